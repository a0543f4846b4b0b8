"""The model card the Hugging Face ``Trainer`` writes (``README.md``: ``create_model_card``, on
``save_model`` and ``push_to_hub``), read as a run where no ``trainer_state.json`` is left.

A fine-tune's output folder on the Hub, or one whose checkpoints were deleted, keeps the card
alone: its "Training results" table holds the training loss at each evaluation (``Training
Loss | Epoch | Step | Validation Loss | <metrics>``; "No log" where no loss was logged yet), and
its "Training hyperparameters" list the LR, the schedule, the batch size and the optimizer.

- The LR of each row is the Trainer's schedule (``transformers.get_scheduler``) computed from
  the peak ``learning_rate``, the warmup and the planned steps (``training_steps``, else
  ``num_epochs`` times the steps an epoch takes in the table): for ``linear``, ``cosine``,
  ``constant`` and ``constant_with_warmup``; for another schedule it is unknown, as a note says.
- The optimizer: the card's ``Use adamw_torch with …``; the ``Adam with betas=…`` of older
  cards names the Trainer's default, AdamW (modelcard.py wrote "Adam" whatever ran).
- A fine-tune where the card says "fine-tuned version of", from scratch where it says "trained
  from scratch".
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from lrwatch.errors import InputError
from lrwatch.readers.base import Folder, FolderRuns, Found, LogRun, ReadOptions
from lrwatch.readers.columns import detect_columns, val_metric_column
from lrwatch.readers.hftrainer import card_hyperparameters, hf_optimizer
from lrwatch.readers.hparams import text_value
from lrwatch.readers.series import Hints, Points, ReadResult, build_curves, cannot_read

FILE_NAME = "README.md"
_CARD_BYTES = 2_000_000  # a card is a few kB; larger is no card
_RESULTS = "training results"
# card column -> the name the Trainer logs it under (``log_history``)
_COLUMNS = {"training loss": "loss", "step": "step", "epoch": "epoch",
            "validation loss": "eval_loss"}


class ModelCardReader:
    """A folder whose ``README.md`` is a Trainer's model card with a "Training results" table
    is one run (where no ``trainer_state.json`` made it one first)."""

    format = "hf_card"

    def wants(self, name: str) -> bool:
        return name == FILE_NAME

    def claims(self, path: Path, head: bytes, options: ReadOptions) -> bool:
        return path.suffix.lower() == ".md" and _is_card(path)

    def file_runs(self, path: Path, options: ReadOptions) -> list[Found]:
        return [Found(path.parent, files=(path,))]

    def folder_runs(self, folder: Folder, options: ReadOptions) -> FolderRuns:
        path = folder.path / FILE_NAME
        if FILE_NAME not in folder.files or not _is_card(path):
            return FolderRuns()
        return FolderRuns((Found(folder.path, files=(path,)),))

    def read(self, run: LogRun, options: ReadOptions) -> ReadResult:
        return read_model_card(run.files[0], options)

    def setup(self, run: LogRun) -> dict[str, Any] | None:
        items = card_hyperparameters([run.files[0].parent], run.files[0].name)
        setup = {k: v for k, v in items.items() if k != "seed"}
        return {"card": setup} if setup else None


def _text(path: Path) -> str:
    """The card's text.

    Raises:
        InputError: it cannot be read.
    """
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise cannot_read(path, exc) from None


def _is_card(path: Path) -> bool:
    """Whether a markdown file holds a Trainer's "Training results" table with a training
    loss and a step column (never raises: a file that cannot be read is none)."""
    try:
        if path.stat().st_size > _CARD_BYTES:
            return False
        text = _text(path)
        return "raining results" in text and {"training loss", "step"} <= set(
            _results_table(text)[0])
    except (OSError, InputError):
        return False


def _results_table(card: str) -> tuple[list[str], list[list[str]]]:
    """The "Training results" table: its header (lower-cased) and rows of cells; empty when
    the card has none."""
    lines = card.splitlines()
    start = next((i for i, line in enumerate(lines)
                  if line.startswith("#") and line.lstrip("#").strip().lower() == _RESULTS), None)
    if start is None:
        return [], []
    table = []
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        if line.strip().startswith("|"):
            table.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif table:
            break
    if len(table) < 2:
        return [], []
    header = [c.lower() for c in table[0]]
    rows = [r for r in table[1:] if not all(set(c) <= set(":- ") for c in r)]  # the |:--:| line
    return header, rows


def read_model_card(path: Path, options: ReadOptions = ReadOptions()) -> ReadResult:
    """A run from a Trainer's model card: the table's training loss, validation loss and
    metrics at each step, the LR its schedule gives there, and the hyperparameters' hints.

    Raises:
        InputError: the card has no results table, or no training loss in it yet.
    """
    where = str(path)
    card = _text(path)
    header, rows = _results_table(card)
    if "training loss" not in header or "step" not in header:
        raise InputError(f"{where} has no \"Training results\" table with a Training Loss and "
                         "a Step column (the table the Hugging Face Trainer's model card holds)")
    names = [_COLUMNS.get(h, "eval_" + re.sub(r"\W+", "_", h).strip("_")) for h in header]
    points, epochs = _points(names, rows)
    if "loss" not in points:
        raise InputError(f"{where}: its results table has no training loss yet (\"No log\" in "
                         "every row: the Trainer logs one every logging_steps steps)")
    items = {k: text_value(v) for k, v in card_hyperparameters([path.parent], path.name).items()}
    peak = items.get("learning_rate")
    total = _planned_steps(items, epochs)
    notes = []
    if isinstance(peak, (int, float)) and peak > 0:
        steps = np.unique(np.concatenate([s for s, _ in points.values()]))
        schedule = items.get("lr_scheduler_type", "linear")
        lr = _schedule(float(peak), str(schedule), _warmup(items, total), total, steps)
        if lr is not None:
            points["learning_rate"] = (steps, lr)
            notes.append(f"the LR of each row from the card's {schedule} schedule: peak "
                         f"{peak:g}, {_warmup(items, total)} warmup steps of {total} planned")
        elif schedule in ("linear", "cosine"):
            notes.append(f"the card's {schedule} schedule decays over planned steps it does "
                         f"not give (no training_steps, no num_epochs): the LR of each step is "
                         f"unknown (peak {peak:g})")
        else:
            notes.append(f"the card names a {schedule} schedule, which lrwatch does not "
                         f"compute: the LR of each step is unknown (peak {peak:g})")
    columns = detect_columns([k for k in points if not k.startswith("eval_")], where,
                             loss_key=options.loss_key, lr_key=options.lr_key)
    columns = replace(columns, val_loss="eval_loss" if "eval_loss" in points else None,
                      val_metric=val_metric_column([k for k in points if k != "eval_loss"
                                                    and k.startswith("eval_")]))
    result = build_curves(columns, points, _hints(card, items, total), where)
    return replace(result, notes=tuple(notes) + result.notes)


def _points(names: list[str], rows: list[list[str]]
            ) -> tuple[dict[str, Points], list[tuple[int, float]]]:
    """Each column's ``(steps, values)`` (a "No log" or empty cell is no point; ``nan`` is
    one), and ``(step, epoch)`` of each row; a row without a whole step is left out."""
    found: dict[str, tuple[list[int], list[float]]] = {}
    epochs: list[tuple[int, float]] = []
    step_at = names.index("step")
    for row in rows:
        step = _number(row[step_at]) if step_at < len(row) else None
        if step is None or not math.isfinite(step) or not step.is_integer():
            continue
        for name, cell in zip(names, row):
            value = _number(cell)
            if name == "epoch" and value is not None:
                epochs.append((int(step), value))
            elif name != "step" and value is not None:
                steps, values = found.setdefault(name, ([], []))
                steps.append(int(step))
                values.append(value)
    return {k: (np.array(s, dtype=np.int64), np.array(v, dtype=np.float64))
            for k, (s, v) in found.items()}, epochs


def _number(cell: str) -> float | None:
    """A cell's number (``nan`` and ``inf`` too); None for "No log", an empty cell or text."""
    try:
        return float(cell.replace(",", ""))
    except ValueError:
        return None


def _planned_steps(items: dict[str, Any], epochs: list[tuple[int, float]]) -> int | None:
    """The steps the run planned: ``training_steps`` (``max_steps``), else ``num_epochs``
    times the steps an epoch took in the table (its last row's step over its epoch)."""
    if _count(items.get("training_steps")):
        return int(items["training_steps"])
    rows = [(s, e) for s, e in epochs if s > 0 and e > 0]
    if not rows or not isinstance(items.get("num_epochs"), (int, float)):
        return None
    step, epoch = rows[-1]
    return round(step / epoch * float(items["num_epochs"]))


def _warmup(items: dict[str, Any], total: int | None) -> int:
    """The warmup's steps: ``lr_scheduler_warmup_steps``, else its ratio of the planned."""
    if _count(items.get("lr_scheduler_warmup_steps")):
        return int(items["lr_scheduler_warmup_steps"])
    ratio = items.get("lr_scheduler_warmup_ratio")
    if isinstance(ratio, float) and 0 < ratio < 1 and total:
        return math.ceil(ratio * total)
    return 0


def _schedule(peak: float, schedule: str, warmup: int, total: int | None,
              steps: np.ndarray) -> np.ndarray | None:
    """The LR at ``steps`` under ``transformers.get_scheduler``'s schedule of that name; None
    for another schedule, or a decaying one whose planned steps are unknown."""
    t = steps.astype(np.float64)
    rise = np.minimum(1.0, t / warmup) if warmup else np.ones_like(t)
    if schedule in ("constant", "constant_with_warmup"):
        return peak * (rise if schedule == "constant_with_warmup" else np.ones_like(t))
    if schedule not in ("linear", "cosine") or not total or total <= warmup:
        return None
    progress = np.clip((t - warmup) / (total - warmup), 0.0, 1.0)
    decay = 1.0 - progress if schedule == "linear" else 0.5 * (1.0 + np.cos(math.pi * progress))
    return peak * np.where(t < warmup, rise, decay)


def _hints(card: str, items: dict[str, Any], total: int | None) -> Hints:
    batch = items.get("total_train_batch_size", items.get("train_batch_size"))
    fine_tune = (True if "fine-tuned version of" in card else
                 False if "trained from scratch" in card else None)
    return Hints(optimizer=_card_optimizer(items.get("optimizer")),
                 batch_size=int(batch) if _count(batch) else None, total_steps=total,
                 fine_tune=fine_tune, source="the model card")


def _card_optimizer(text: Any) -> str | None:
    """``Use adamw_torch with betas=…`` / ``Use OptimizerNames.ADAMW_TORCH with …`` ->
    ``AdamW``; the older cards' ``Adam with betas=…`` -> the Trainer's default, ``AdamW``."""
    if not isinstance(text, str) or not text.strip():
        return None
    name = text.strip().removeprefix("Use ").split()[0].removeprefix("OptimizerNames.")
    return "AdamW" if name == "Adam" else hf_optimizer(name)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


READER = ModelCardReader()
