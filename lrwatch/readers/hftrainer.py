"""Hugging Face ``Trainer`` logs: ``trainer_state.json`` in its output folder and checkpoints.

The Trainer saves ``trainer_state.json`` in every ``checkpoint-<step>/`` folder (and in the
output folder itself on ``save_state()``); each holds the whole ``log_history`` so far, one
entry per logging step (``loss``, ``learning_rate``, ``grad_norm``, ``epoch``, ``step``), one
per evaluation (``eval_loss``, ``eval_runtime`` ...) and, last, a summary of the training
(``train_loss``, ``train_runtime``, ``total_flos``), which is not a point of the curve. So a
folder of checkpoints is one run, read from its newest state only.

What the run is, when its files say so (never guessed):

- a fine-tune: a PEFT ``adapter_config.json``; a ``training_args.json``/``.yaml`` naming
  ``model_name_or_path`` (the weights training starts from; "don't set if you want to train a
  model from scratch", the transformers example scripts say), a ``finetuning_type`` or an
  SFT/DPO ``stage`` (LLaMA-Factory); a ``config.json`` with a ``finetuning_task``; a model
  card saying "fine-tuned version of". ``training_args.bin`` is a pickle and is not opened.
- gradient clipping: ``max_grad_norm`` of those training arguments.
- the classes of a cross-entropy loss: ``config.json``'s labels for a ``…ForSequence/Token/
  Image/AudioClassification`` model, its ``vocab_size`` for a language model.
- the model's parameter count: ``config.json``'s, or its estimate from the model's shape
  (``model_size.from_config``).
- its setup, to find sweeps (runs of one setup at several LRs): the model's ``config.json``,
  the training arguments, the hyperparameters the Trainer's model card lists, and the state's
  batch size and planned steps; names that say where a run went (``output_dir``, ``run_name``)
  are not part of it.
"""

from __future__ import annotations

import json
import math
import re
from array import array
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from lrwatch.analysis.types import RunCurves
from lrwatch.errors import InputError
from lrwatch.loss_classes import classes_from_config
from lrwatch.readers.base import Folder, FolderRuns, Found, LogRun, ReadOptions
from lrwatch.readers.columns import detect_columns, val_metric_column
from lrwatch.readers.files import refuse_lfs_pointer
from lrwatch.readers import model_size
from lrwatch.readers.hparams import OPTIMIZER_NAMES, load_yaml
from lrwatch.readers.series import Hints, Points, ReadResult, build_curves, cannot_read

FILE_NAME = "trainer_state.json"
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
_EVAL_LOSS = "eval_loss"
# Keys of the last entry, the training's summary (``Trainer.train`` logs it once at the end).
_SUMMARY_KEYS = {"train_runtime", "train_loss"}
_ARGS_FILES = ("training_args.json", "training_args.yaml", "training_args.yml")
# A Trainer log peaking at or below this LR reads as a fine-tune when no file says either way:
# full fine-tunes run at 1e-5-5e-5 and LoRA at about 1e-4 (the brief's ranges; BERT's paper,
# the PEFT examples), while from-scratch training with AdamW sits at 3e-4-3e-3.
FINE_TUNE_TOP = 1e-4
_FINE_TUNE_STAGES = {"sft", "rm", "ppo", "dpo", "kto", "orpo", "simpo"}  # LLaMA-Factory stages
# Where a run went, not how it trained: these differ across the runs of one sweep.
RUN_IDENTITY = {"output_dir", "logging_dir", "run_name", "hub_model_id", "hub_token",
                "resume_from_checkpoint", "overwrite_output_dir"}
_CONFIG_IDENTITY = {"_name_or_path", "transformers_version"}
_STATE_SETUP = ("train_batch_size", "max_steps", "num_train_epochs")
# The model card's list, as transformers' modelcard.py writes it: "- learning_rate: 2e-05".
_CARD_ITEM = re.compile(r"^- ([A-Za-z_][\w.]*): (.+)$")
# transformers' ``optim`` names -> torch class names (``OptimizerNames`` in training_args.py).
_HF_OPTIMIZERS = (("adamw", "AdamW"), ("paged_adamw", "AdamW"), ("adafactor", "Adafactor"),
                  ("sgd", "SGD"), ("adagrad", "Adagrad"), ("rmsprop", "RMSprop"),
                  ("lion", "Lion"), ("paged_lion", "Lion"), ("lomo", "LOMO"))


class TrainerStateReader:
    """``trainer_state.json``: a folder holding one, or ``checkpoint-*/`` folders holding
    them, is one run."""

    format = "hf_trainer"

    def wants(self, name: str) -> bool:
        return name == FILE_NAME

    def claims(self, path: Path, head: bytes, options: ReadOptions) -> bool:
        return path.name == FILE_NAME or (
            path.suffix.lower() == ".json" and b'"log_history"' in head)

    def file_runs(self, path: Path, options: ReadOptions) -> list[Found]:
        return [Found(path.parent, files=(path,))]

    def folder_runs(self, folder: Folder, options: ReadOptions) -> FolderRuns:
        checkpoints = sorted((d for d in folder.dirs if _CHECKPOINT.match(d)
                              and (folder.path / d / FILE_NAME).is_file()), key=_checkpoint_step)
        states = [folder.path / d / FILE_NAME for d in checkpoints]
        if FILE_NAME in folder.files:
            states.append(folder.path / FILE_NAME)
        if not states:
            return FolderRuns()
        return FolderRuns((Found(folder.path, files=tuple(states)),), frozenset(checkpoints))

    def read(self, run: LogRun, options: ReadOptions) -> ReadResult:
        return read_trainer_state(run.files, options)

    def setup(self, run: LogRun) -> dict[str, Any] | None:
        return trainer_setup(run.files)


def _checkpoint_step(name: str) -> int:
    match = _CHECKPOINT.match(name)
    return int(match.group(1)) if match else -1


def _load_json(path: Path) -> Any:
    """A JSON file's value (``NaN`` and ``Infinity`` as Python writes them are accepted).

    Raises:
        InputError: it cannot be read, is a Git LFS pointer, or is not JSON.
    """
    refuse_lfs_pointer(path)
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except OSError as exc:
        raise cannot_read(path, exc) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{path} is not readable JSON ({exc}); the file may be cut short or "
                         "damaged") from None


def _newest_state(files: tuple[Path, ...]) -> tuple[Path, dict[str, Any], list[str]]:
    """The state with the most steps among the newest checkpoint's and the output folder's own
    (``save_state()`` writes it at the end): a checkpoint's history is a prefix of every later
    one's, so only these two are opened."""
    checkpoints = [f for f in files if _CHECKPOINT.match(f.parent.name)]
    candidates = [f for f in files if f not in checkpoints] + checkpoints[-1:]
    best: tuple[tuple[int, int], Path, dict[str, Any]] | None = None
    for path in candidates:
        state = _load_json(path)
        if not isinstance(state, dict) or not isinstance(state.get("log_history"), list):
            raise InputError(f"{path} is not a Hugging Face trainer state: it has no "
                             "'log_history' list")
        global_step = state.get("global_step")
        rank = (global_step if _is_count(global_step) else 0, len(state["log_history"]))
        if best is None or rank > best[0]:
            best = (rank, path, state)
    if best is None:
        raise InputError("no trainer_state.json to read")
    notes = []
    if len(files) > 1:
        notes.append(f"read {best[1]}, the newest of {len(files)} trainer states (each holds "
                     "the history before it)")
    return best[1], best[2], notes


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _text_values(history: list[Any], key: str) -> list[str]:
    """The values of ``key`` in the log entries that are text, not numbers (``"2.31"``, a
    hand-edited or converted state; the Trainer writes numbers), each cut to 20 characters."""
    return [str(entry[key])[:20] for entry in history
            if isinstance(entry, dict) and entry.get(key) is not None
            and not _is_number(entry[key])]


def _points(history: list[Any], path: Path) -> tuple[dict[str, Points], list[str]]:
    """Every numeric key of the log entries as ``(steps, values)``; the training summary and
    entries without a step are left out (counted in a note)."""
    steps: dict[str, array] = {}
    values: dict[str, array] = {}
    no_step = 0
    for entry in history:
        if not isinstance(entry, dict) or _SUMMARY_KEYS & entry.keys():
            continue
        step = entry.get("step")
        if not isinstance(step, int) or isinstance(step, bool):
            no_step += 1
            continue
        for key, value in entry.items():
            if key == "step" or not _is_number(value):
                continue
            if key not in steps:
                steps[key], values[key] = array("q"), array("d")
            steps[key].append(step)
            values[key].append(float(value))
    notes = [f"ignored {no_step} entries of {path}'s log_history without a step"] if no_step else []
    return {k: (np.frombuffer(steps[k], dtype=np.int64), np.frombuffer(values[k], dtype=np.float64))
            for k in steps}, notes


def read_trainer_state(files: tuple[Path, ...], options: ReadOptions = ReadOptions()
                       ) -> ReadResult:
    """A run from ``trainer_state.json`` files (the newest is read), with what the files
    around it say of the run.

    Raises:
        InputError: the file is not JSON, not a trainer state, or logged no loss.
    """
    path, state, notes = _newest_state(files)
    points, point_notes = _points(state["log_history"], path)
    where = str(path)
    train_keys = [k for k in points if not k.startswith("eval_")]
    loss_key = options.loss_key or "loss"
    text = _text_values(state["log_history"], loss_key)
    if text and loss_key not in points:
        raise InputError(f"{where}: none of the {len(text)} '{loss_key}' "
                         f"values in its log_history is a number (e.g. "
                         f"{', '.join(repr(t) for t in text[:3])}); write them as JSON numbers")
    if not train_keys or (options.loss_key is None and "loss" not in points):
        raise InputError(f"{where} has no training loss in its log_history yet (the Trainer "
                         "logs one every logging_steps steps)")
    if text:
        notes.append(f"ignored {len(text)} '{loss_key}' values of {where}'s "
                     f"log_history that are not numbers (e.g. "
                     f"{', '.join(repr(t) for t in text[:3])})")
    columns = detect_columns(train_keys + ([_EVAL_LOSS] if _EVAL_LOSS in points else []), where,
                             loss_key=options.loss_key, lr_key=options.lr_key)
    if _EVAL_LOSS in points:
        columns = replace(columns, val_loss=_EVAL_LOSS)
    # ``eval_accuracy`` (a compute_metrics result) for a sweep to rank by
    columns = replace(columns, val_metric=val_metric_column(
        [k for k in points if k.startswith("eval_")]))
    hints = _hints(state, _folders_of(path))
    result = build_curves(columns, points, hints, where)
    curves, guessed = _fine_tune_by_lr(result.curves)
    if guessed:
        notes.append(f"{where}: read as a fine-tune (a Trainer log whose peak LR "
                     f"{guessed:.3g} is in the fine-tuning range; no file beside it says so)")
    return replace(result, curves=curves, notes=tuple(notes + point_notes) + result.notes)


def trainer_setup(files: tuple[Path, ...]) -> dict[str, Any] | None:
    """A Trainer run's setup from the files beside its newest state; None when no model
    config, training arguments or model card is there (batch size and steps alone do not tell
    one model from another)."""
    try:
        path, state, _ = _newest_state(files)
    except InputError:
        return None
    folders = _folders_of(path)
    parts = {
        "model_config": {k: v for k, v in _json_beside(folders, "config.json").items()
                         if k not in _CONFIG_IDENTITY},
        "training_args": {k: v for k, v in _training_args(folders).items()
                          if k not in RUN_IDENTITY},
        "card": card_hyperparameters(folders),
    }
    setup: dict[str, Any] = {name: part for name, part in parts.items() if part}
    if not setup:
        return None
    setup["trainer_state"] = {k: state[k] for k in _STATE_SETUP if k in state}
    return setup


def _folders_of(state_path: Path) -> list[Path]:
    """Where a state's companion files sit: its folder, then, for a checkpoint's state, the
    output folder above it."""
    folder = state_path.parent
    return [folder, *([folder.parent] if _CHECKPOINT.match(folder.name) else [])]


def card_hyperparameters(folders: list[Path], name: str = "README.md") -> dict[str, str]:
    """The "Training hyperparameters" list of the model card the Trainer writes
    (``README.md``) in the first of ``folders`` that has one, as text values; empty when there
    is none."""
    for folder in folders:
        try:
            card = (folder / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        items: dict[str, str] = {}
        inside = False
        for line in card.splitlines():
            if line.startswith("#"):
                if inside:
                    break
                inside = line.lstrip("#").strip().lower() == "training hyperparameters"
            elif inside and (match := _CARD_ITEM.match(line.strip())):
                items[match.group(1)] = match.group(2).strip()
        if items:
            return items
    return {}


def _fine_tune_by_lr(curves: RunCurves) -> tuple[RunCurves, float | None]:
    """The Trainer is the usual tool of fine-tunes: a log with no file that says either way and
    a peak LR within the fine-tuning range (full fine-tunes 1e-5 to 5e-5, LoRA about 1e-4) is
    read as one, and the peak is returned so the note can say why."""
    if curves.fine_tune is not None or curves.lr is None or not len(curves.lr):
        return curves, None
    lr = curves.lr.values[np.isfinite(curves.lr.values)]
    peak = float(lr.max()) if lr.size else 0.0
    if not 0 < peak <= FINE_TUNE_TOP:
        return curves, None
    return replace(curves, fine_tune=True), peak


def _hints(state: dict[str, Any], folders: list[Path]) -> Hints:
    """What the state and the files beside it (in its folder, then the output folder) say."""
    args = _training_args(folders)
    config = _json_beside(folders, "config.json")
    batch_size = state.get("train_batch_size", args.get("per_device_train_batch_size"))
    total_steps = state.get("max_steps")
    clip = args.get("max_grad_norm")
    return Hints(
        optimizer=hf_optimizer(args.get("optim")),
        batch_size=batch_size if _is_count(batch_size) else None,
        total_steps=total_steps if _is_count(total_steps) else None,
        fine_tune=_fine_tune(folders, args, config),
        clip=float(clip) if _is_number(clip) and math.isfinite(clip) and clip > 0 else None,
        classes=classes_from_config(config),
        param_count=model_size.from_config(config),
    )


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _json_beside(folders: list[Path], name: str) -> dict[str, Any]:
    """The first readable JSON object ``name`` in ``folders``; empty when there is none (these
    files only add hints, so a damaged one is passed over)."""
    for folder in folders:
        try:
            value = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        if isinstance(value, dict):
            return value
    return {}


def _training_args(folders: list[Path]) -> dict[str, Any]:
    """The training arguments saved as JSON or YAML beside the state, when any."""
    for folder in folders:
        for name in _ARGS_FILES:
            path = folder / name
            if not path.is_file():
                continue
            if name.endswith(".json"):
                return _json_beside([folder], name)
            import yaml  # lazily: only runs with a YAML file need it

            try:
                value = load_yaml(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
                continue
            return value if isinstance(value, dict) else {}
    return {}


def _fine_tune(folders: list[Path], args: dict[str, Any], config: dict[str, Any]
               ) -> bool | None:
    """True when a file says training started from pretrained weights; None when none says."""
    if any((folder / "adapter_config.json").is_file() for folder in folders):
        return True
    if fine_tune_from_args(args) or fine_tune_from_args(config):
        return True
    for folder in folders:
        try:
            card = (folder / "README.md").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if "fine-tuned version of" in card:  # the Trainer's model card (modelcard.py)
            return True
    return None


def fine_tune_from_args(settings: dict[str, Any]) -> bool | None:
    """True when training arguments or a model config say training starts from pretrained
    weights (``model_name_or_path``, LLaMA-Factory's ``finetuning_type`` or a fine-tuning
    ``stage``, a config's ``finetuning_task``); None when they do not say."""
    stage = settings.get("stage")
    if (settings.get("model_name_or_path") or settings.get("finetuning_type")
            or settings.get("finetuning_task")
            or (isinstance(stage, str) and stage.lower() in _FINE_TUNE_STAGES)):
        return True
    return None


def hf_optimizer(name: Any) -> str | None:
    """transformers' ``optim`` name (``adamw_torch``, ``paged_adamw_8bit``) as torch's class
    name; None for none or one lrwatch does not know."""
    if not isinstance(name, str) or not name:
        return None
    lowered = name.lower()
    for prefix, torch_name in _HF_OPTIMIZERS:
        if lowered.startswith(prefix):
            return torch_name
    return OPTIMIZER_NAMES.get(lowered)


READER = TrainerStateReader()
