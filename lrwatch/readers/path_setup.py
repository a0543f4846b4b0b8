"""What a run's folder says of its setup where its log does not.

- A settings file beside the log (``SETTINGS_FILES``: a training script's ``config.json``,
  ``config.yaml``, ``args.json``, the key-value ``exp_config.txt`` of course scripts): the LR
  (kept per step only when no schedule is named, as ``hparams.yaml``'s), the optimizer, batch
  size, momentum, planned steps, the classes of the loss and a fine-tune
  (``pretrained: true``, ``model_name_or_path``).
- The path's names: sweeps name their runs by LR and optimizer (``lr_sweep/lr_3e-4/``,
  ``grid_lr0.0005_wd0.01/``, ``SGD_0.001_200_history.json``, ``optim_adamw.log``), read from the
  log's own name and its nearest folders' (``NEAREST`` names, the nearest first).

What the log says wins, then the log's own name (a settings file may be shared by a folder of
runs), then the settings file, then the folders' names; a note names where each value came
from, so a user whose folder happens to read as a setup sees it and can say otherwise
(``--optimizer``). Readers that read their own settings (the HF Trainer's, W&B's, MLflow's,
stores) are left as they read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from lrwatch.analysis.types import RunCurves, Series
from lrwatch.readers.hftrainer import fine_tune_from_args
from lrwatch.readers.hparams import (NOT_SETUP, OPTIMIZER_NAMES, hints_from_tree, read_yaml,
                                    text_value)
from lrwatch.readers.series import RELATIVE, Hints, ReadResult
from lrwatch.run_names import has_lr_token, name_lr

# the formats whose readers take no settings file of their own
FORMATS = frozenset({"csv", "json", "text", "tensorboard", "notebook"})
# settings files a training script writes beside its log, the first found is read (a Lightning
# folder's ``hparams.yaml`` is its reader's)
SETTINGS_FILES = ("config.json", "config.yaml", "config.yml", "args.json", "args.yaml",
                  "params.json", "params.yaml", "hparams.json", "hyperparameters.json",
                  "exp_config.txt", "config.txt", "args.txt")
_SETTINGS_BYTES = 1_000_000  # larger is no settings file
_CLASS_KEYS = ("num_classes", "n_classes", "num_labels", "vocab_size", "n_vocab", "ntokens")
# ``key: value``, ``key = value`` or ``key  value`` (one word: a line of prose is no setting)
_KEY_VALUE = re.compile(r"^\s*([A-Za-z_][\w.-]*)\s*(?:[:=]\s*(\S.*?)|\s+(\S+))\s*$")

NEAREST = 4  # the log's own name and the three folders above it (``lr_1e-3/version_0/x.csv``)
# ``SGD_0.001_200_history``, ``adam-1e-3``: an optimizer's name and a number with a point or an
# exponent (``adam_2`` is a version, not an LR); an ``lr`` token is ``run_names.name_lr``'s
_OPTIMIZER_LR = re.compile(
    r"(?<![a-z])(?P<name>" + "|".join(sorted(OPTIMIZER_NAMES, key=len, reverse=True))
    + r")[_-](?P<lr>\d*\.\d+(?:e[-+]?\d+)?|\d+(?:\.\d+)?e[-+]?\d+)(?![\d.]*[a-z\d])")
_MOST = 10.0  # no LR above this is a plausible reading of a name (LR-free optimizers run at ~1)


@dataclass(frozen=True)
class PathSetup:
    """The LR and optimizer a run's path names, with the name each was read from."""

    lr: float | None = None
    lr_from: str | None = None
    optimizer: str | None = None
    optimizer_from: str | None = None


def names_of(path: Path) -> list[str]:
    """The log's own name (less its suffixes) and its folders', nearest first."""
    own = path.name
    while (suffix := Path(own).suffix) and suffix[1:].isalpha():  # ``lr_0.001.jsonl``
        own = own[:-len(suffix)]
    return [own, *(p.name for p in path.parents)][:NEAREST]


def setup_of(path: Path) -> PathSetup:
    """The LR and optimizer named by the nearest part of ``path`` that names them. The LR stops
    at the nearest name with an LR token, read as sweeps read it (``name_lr``: ``lr_0.001``;
    none where it names two, ``enc_lr0.1_dec_lr0.01``). An optimizer is taken only from the
    log's own name or a name that also gives the LR: a folder named ``adam`` alone may be a
    person's."""
    lr = lr_from = optimizer = optimizer_from = None
    settled = False  # a nearer name had an LR token, readable or not
    for i, name in enumerate(names_of(path)):
        low = name.lower()
        paired = _OPTIMIZER_LR.search(low)
        value = None
        if has_lr_token(name):
            found = name_lr(name).lr
            value = found if found is not None and found <= _MOST else None
        elif paired:
            value = _plausible(paired.group("lr"))
        if not settled and value is not None:
            lr, lr_from = value, name
        settled = settled or has_lr_token(name) or value is not None
        named = paired.group("name") if paired else _optimizer_word(low)
        if optimizer is None and named and (i == 0 or value is not None):
            optimizer, optimizer_from = OPTIMIZER_NAMES[named], name
    return PathSetup(lr, lr_from, optimizer, optimizer_from)


def optimizer_lr_key(name: str) -> tuple[float, str] | None:
    """The LR a name gives beside an optimizer's name (``SGD_0.001_200_history``,
    ``adam-1e-3``), and the name with that LR taken out (``SGD_*_200_history``), as a sweep
    keys its runs; None where no such pair, or more than one, is in it. A file's suffix
    (``sgd-0.001.json``) is no part of the number."""
    stem, dot, suffix = name.rpartition(".")
    if not (dot and suffix.isalpha()):
        stem, suffix = name, ""
    pairs = list(_OPTIMIZER_LR.finditer(stem.lower()))
    if len(pairs) != 1 or (lr := _plausible(pairs[0].group("lr"))) is None:
        return None
    start, end = pairs[0].span("lr")
    return lr, name[:start] + "*" + name[end:]


def _plausible(text: str) -> float | None:
    value = float(text)
    return value if 0 < value <= _MOST else None


def _optimizer_word(name: str) -> str | None:
    """The one optimizer a name holds as a word of its own (``optim_adamw``, ``adam.csv``);
    None for none or for two (``adam_vs_sgd``)."""
    words = {w for w in re.split(r"[^a-z]+", name) if w in OPTIMIZER_NAMES}
    return words.pop() if len(words) == 1 else None


def settings_beside(folder: Path) -> tuple[dict[str, Any], str] | None:
    """The first settings file in the log's ``folder`` that holds a mapping, with its name;
    namespaced keys (``training/learning_rate``) are read by their last part."""
    for name in SETTINGS_FILES:
        path = folder / name
        try:
            if not path.is_file() or path.stat().st_size > _SETTINGS_BYTES:
                continue
        except OSError:
            continue
        tree = _read_settings(path)
        if tree:
            return {str(k).rsplit("/", 1)[-1]: v for k, v in tree.items()}, name
    return None


def own_settings(log: Path) -> dict[str, Any] | None:
    """A run's setup, to find the sweeps among runs that log none: the settings file beside its
    log, where the log is the only one of its kind in its folder (a ``config.json`` beside a
    folder of logs is no one run's), less where the run went and its seed (``NOT_SETUP``);
    None where there is none."""
    folder = log if log.is_dir() else log.parent
    if not log.is_dir():
        try:
            logs = [p for p in folder.iterdir()
                    if p.suffix == log.suffix and p.name not in SETTINGS_FILES]
        except OSError:
            return None
        if len(logs) != 1:
            return None
    found = settings_beside(folder)
    if found is None:
        return None
    tree = {k: v for k, v in found[0].items() if str(k).lower() not in NOT_SETUP}
    return {"settings": tree} if tree else None


def _read_settings(path: Path) -> dict[Any, Any] | None:
    if path.suffix in (".yaml", ".yml"):
        return read_yaml(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if path.suffix == ".json":
        try:
            tree = json.loads(text)
        except (ValueError, RecursionError):
            return None
        return tree if isinstance(tree, dict) else None
    pairs = [_KEY_VALUE.match(line) for line in text.splitlines() if line.strip()]
    if not pairs or not all(pairs):  # every line a ``key value`` pair, or no settings
        return None
    return {m.group(1): text_value(m.group(2) or m.group(3)) for m in pairs if m}


def _hints_of(tree: dict[str, Any]) -> Hints:
    hints = hints_from_tree(tree)
    classes = next((v for k in _CLASS_KEYS if isinstance(v := tree.get(k), int)
                    and not isinstance(v, bool) and v >= 2), None)
    fine = True if tree.get("pretrained") is True or fine_tune_from_args(tree) else None
    return replace(hints, classes=classes, fine_tune=fine)


def with_path_setup(result: ReadResult, path: Path, log_format: str) -> ReadResult:
    """``result`` with what the settings file beside its log and its path name, where its log
    named nothing (no LR where a settings file names a schedule: the LR of each step is then
    unknown), and a note for each."""
    if log_format not in FORMATS:
        return result
    curves, notes, scheduled = result.curves, list(result.notes), result.lr_scheduled
    named = setup_of(path)
    own = names_of(path)[0]
    found = settings_beside(path if path.is_dir() else path.parent)
    if found is not None:
        tree, name = found
        hints = _hints_of(tree)
        # the log's own name is its own; a settings file may be shared by a folder of runs
        if named.lr_from == own and hints.lr is not None:
            scheduled = scheduled or bool(hints.lr_scheduled)
            hints = replace(hints, lr=None, lr_scheduled=None)
        if named.optimizer_from == own:
            hints = replace(hints, optimizer=None)
        curves, scheduled = _with_settings(curves, hints, name, notes, scheduled)
    if curves.lr is not None and curves.optimizer is not None:
        return replace(result, curves=curves, notes=tuple(notes), lr_scheduled=scheduled)
    if curves.lr is None and named.lr is not None and not scheduled:
        curves = constant_lr(curves, named.lr, notes)
        notes.append(f"the log has no LR: took lr={named.lr:g} from the name "
                     f"'{named.lr_from}' as the LR of every step")
    elif curves.lr is None and named.lr is not None:
        notes.append(f"the name '{named.lr_from}' gives lr={named.lr:g}, but a schedule or "
                     "warmup is named: the LR of each step is unknown")
    if curves.optimizer is None and named.optimizer is not None:
        curves = replace(curves, optimizer=named.optimizer)
        notes.append(f"the log names no optimizer: took {named.optimizer} from the name "
                     f"'{named.optimizer_from}' (say --optimizer if it is another)")
    return replace(result, curves=curves, notes=tuple(notes), lr_scheduled=scheduled)


def _with_settings(curves: RunCurves, hints: Hints, name: str, notes: list[str],
                   scheduled: bool) -> tuple[RunCurves, bool]:
    """``curves`` with the settings' values where the log has none; whether the LR of each step
    is unknown (the settings name an LR and a schedule)."""
    taken = {k: getattr(hints, k) for k in ("optimizer", "momentum", "batch_size", "total_steps",
                                            "classes", "fine_tune", "clip")
             if getattr(curves, k) is None and getattr(hints, k) is not None}
    if curves.lr is None and hints.lr is not None and not hints.lr_scheduled and not scheduled:
        curves = constant_lr(curves, hints.lr, notes)
        taken["lr"] = hints.lr
    elif curves.lr is None and hints.lr is not None:
        scheduled = True
        notes.append(f"{name} beside the log sets lr={hints.lr:g} and a schedule or warmup: "
                     "the LR of each step is unknown, the suggestion is a relative change")
    if taken:
        said = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                         for k, v in taken.items())
        every = " (the LR of every step: it names no schedule)" if "lr" in taken else ""
        notes.append(f"took {said} from {name} beside the log{every}")
    return replace(curves, **{k: v for k, v in taken.items() if k != "lr"}), scheduled


def constant_lr(curves: RunCurves, lr: float, notes: list[str]) -> RunCurves:
    """``curves`` with ``lr`` at every step; the notes that said the LR is unknown lose their
    "the suggestion is a relative change" (the note that gives the LR follows them)."""
    notes[:] = [n[:-len(RELATIVE)] if n.endswith(RELATIVE) else n for n in notes]
    steps = curves.loss.steps
    return replace(curves, lr=Series(steps, np.full(steps.size, lr)))
