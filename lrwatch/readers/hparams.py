"""Hints from a Lightning ``hparams.yaml``: the optimizer, batch size, momentum, planned steps,
and the learning rate for logs that have no LR column.

Lightning writes ``hparams.yaml`` beside ``metrics.csv`` (and beside TensorBoard events) from
``save_hyperparameters()``; it is read with PyYAML's safe loader (imported only when the file
is there), a Python tag older Lightning wrote read as its plain value. Hints sit a few levels
deep in LightningCLI configs (``optimizer.init_args.lr``). A file that cannot be read gives no
hints rather than an error: they are only hints.

The learning rate is a hint only when the file names no scheduler or warmup: an ``lr`` is what
the schedule starts from, so with a schedule the LR of each step is unknown.
"""

from __future__ import annotations

import functools

import math
from pathlib import Path
from typing import Any, Iterator

from lrwatch.readers.series import Hints

FILE_NAME = "hparams.yaml"

_OPTIMIZER_KEYS = ("optimizer", "optimizer_name", "optimizer_class", "optimizer_type", "optim",
                   "opt", "optim_alg")
_BATCH_KEYS = ("batch_size", "train_batch_size", "per_device_train_batch_size", "bs")
_STEPS_KEYS = ("total_steps", "max_steps", "num_training_steps")
_MOMENTUM_KEYS = ("momentum",)
_LR_KEYS = ("lr", "learning_rate", "base_lr", "max_lr", "initial_lr")
# Keys whose presence means the LR changes during training (LightningCLI's ``lr_scheduler``,
# a model's ``scheduler``/``warmup_steps`` arguments ...): any word of the key among these.
_SCHEDULE_WORDS = {"scheduler", "schedule", "warmup", "sched"}
_MAX_DEPTH = 32  # LightningCLI configs nest hints 2-4 levels deep
# Keys that say where a run went or which seed it drew, not how it trained: they differ across
# the runs of one sweep (a module's ``seed`` argument, LightningCLI's ``seed_everything``, a
# script's output folder), so a run's setup leaves them out at any depth.
NOT_SETUP = frozenset({"seed", "seed_everything", "data_seed", "random_seed", "output_dir",
                       "out_dir", "log_dir", "logging_dir", "save_dir", "default_root_dir",
                       "checkpoint_dir", "ckpt_dir", "run_name", "exp_name", "experiment_name"})
# Lower-case spellings users write in configs -> torch's class names.
OPTIMIZER_NAMES = {name.lower(): name for name in (
    "SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad", "Adadelta",
    "LBFGS", "SparseAdam", "ASGD", "Rprop", "Adafactor", "Lion", "LAMB", "LARS", "Prodigy",
    "DAdaptAdam", "DAdaptSGD",
)}


def _walk(tree: dict[Any, Any], depth: int = 0) -> Iterator[tuple[int, str, Any]]:
    """Every ``(depth, key, value)`` down to ``_MAX_DEPTH``: hints sit a few levels deep, and a
    file nested thousands deep must not exhaust the recursion limit."""
    for key, value in tree.items():
        yield depth, str(key).lower(), value
        if isinstance(value, dict) and depth < _MAX_DEPTH:
            yield from _walk(value, depth + 1)


def _find(tree: dict[str, Any], names: tuple[str, ...]) -> list[Any]:
    """Values under any of ``names``, shallowest first (``model.optimizer`` after ``optimizer``)."""
    found = [(depth, names.index(key), value) for depth, key, value in _walk(tree) if key in names]
    return [value for _, _, value in sorted(found, key=lambda t: t[:2])]


def text_value(text: str) -> Any:
    """A setting written as text (MLflow's params, a ``key value`` settings file): an int or a
    float where it reads as one, True / False for ``true`` / ``false``, else the text."""
    text = text.strip()
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def optimizer_name(text: str) -> str:
    """An optimizer as a config or a user writes it (``adamw``, ``torch.optim.AdamW``) as its
    class name (``AdamW``); a name lrwatch does not list is kept as written."""
    name = text.strip().rsplit(".", 1)[-1]
    return OPTIMIZER_NAMES.get(name.lower(), name)


def _optimizer(value: Any) -> str | None:
    if isinstance(value, dict):  # LightningCLI's {class_path, init_args}; a config's {name}
        value = value.get("class_path") or value.get("name")
    if not isinstance(value, str) or not value.strip():
        return None
    return optimizer_name(value)


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if value > 0 and float(value).is_integer() else None


def _momentum(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if 0.0 <= value < 1.0 else None


def _first(values: list[Any], convert: Any) -> Any:
    for value in values:
        converted = convert(value)
        if converted is not None:
            return converted
    return None


def _lr(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) and value > 0 else None


def _scheduled(tree: dict[Any, Any]) -> bool:
    """Whether the tree configures a schedule: a key such as ``lr_scheduler`` or
    ``warmup_steps`` with a value that is not empty, None, False or 0."""
    return any(_SCHEDULE_WORDS & set(key.replace("-", "_").split("_"))
               and value not in (None, False, 0, "", {}, [], "none", "None")
               for _, key, value in _walk(tree))


def hints_from_tree(tree: Any) -> Hints:
    """The optimizer, batch size, momentum, planned steps and (when no schedule is named) the
    learning rate a hyperparameter tree names; no hints when it is not a mapping."""
    if not isinstance(tree, dict):
        return Hints()
    lr = _first(_find(tree, _LR_KEYS), _lr)
    return Hints(
        optimizer=_first(_find(tree, _OPTIMIZER_KEYS), _optimizer),
        momentum=_first(_find(tree, _MOMENTUM_KEYS), _momentum),
        batch_size=_first(_find(tree, _BATCH_KEYS), _positive_int),
        total_steps=_first(_find(tree, _STEPS_KEYS), _positive_int),
        lr=lr,
        lr_scheduled=None if lr is None else _scheduled(tree),
    )


def read_tree(folder: Path) -> dict[Any, Any] | None:
    """The hyperparameter tree of ``folder/hparams.yaml``; None when it is missing, unreadable
    or not a mapping (hparams are hints and setups, never a reason to fail a read)."""
    return read_yaml(folder / FILE_NAME)


def setup_tree(folder: Path) -> dict[Any, Any] | None:
    """The run's setup as ``folder/hparams.yaml`` gives it: its tree less the keys that say
    where the run went or its seed (``NOT_SETUP``); None when there is no tree."""
    tree = read_tree(folder)
    return _without(tree, NOT_SETUP) if tree else None


def _without(tree: dict[Any, Any], names: frozenset[str], depth: int = 0) -> dict[Any, Any]:
    return {key: _without(value, names, depth + 1)
            if isinstance(value, dict) and depth < _MAX_DEPTH else value
            for key, value in tree.items() if str(key).lower() not in names}


def read_yaml(path: Path) -> dict[Any, Any] | None:
    """The mapping a YAML file holds; None when it is missing, unreadable or not a mapping."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    import yaml  # only when there is a file to read: reading a CSV alone never loads it

    try:
        tree = load_yaml(text)
    except (yaml.YAMLError, RecursionError):
        return None
    return tree if isinstance(tree, dict) else None


def load_yaml(text: str) -> Any:
    """What a YAML text holds, read safely; a value with a tag the safe loader refuses (older
    Lightning wrote ``tpu_cores: !!python/name:...`` into ``hparams.yaml``, argparse
    namespaces come as ``!!python/object:...``) is read as its plain value, never built as a
    Python object, so one such line no longer loses the whole file.

    Raises:
        yaml.YAMLError: the text is not YAML.
    """
    import yaml

    return yaml.load(text, Loader=_lenient_loader())  # noqa: S506 - a SafeLoader


@functools.cache
def _lenient_loader() -> Any:
    """PyYAML's safe loader that reads any tag it does not know as the plain value under it."""
    import yaml

    class Lenient(yaml.SafeLoader):
        pass

    def plain(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
        if isinstance(node, yaml.MappingNode):
            return loader.construct_mapping(node, deep=True)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return loader.construct_scalar(node)  # type: ignore[arg-type]

    Lenient.add_multi_constructor("tag:yaml.org,2002:python/", plain)
    Lenient.add_multi_constructor("!", plain)
    return Lenient


def read_hints(folder: Path) -> Hints:
    """Hints from ``folder/hparams.yaml``; no hints when it is missing or unreadable."""
    return hints_from_tree(read_tree(folder))
