"""Hints from a Lightning ``hparams.yaml``: the optimizer, batch size, momentum, planned steps.

Lightning writes ``hparams.yaml`` beside ``metrics.csv`` (and beside TensorBoard events) from
``save_hyperparameters()``. lrwatch reads the simple YAML that file holds (nested ``key: value``
mappings, scalars, comments) with a small parser of its own, so reading logs never needs
PyYAML; lists, multi-line strings and tags are skipped, as none of the hints lives there.
A file that cannot be read gives no hints rather than an error: they are only hints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from lrwatch.readers.series import Hints

FILE_NAME = "hparams.yaml"

_OPTIMIZER_KEYS = ("optimizer", "optimizer_name", "optimizer_class", "optimizer_type", "optim",
                   "opt")
_BATCH_KEYS = ("batch_size", "train_batch_size", "per_device_train_batch_size", "bs")
_STEPS_KEYS = ("total_steps", "max_steps", "num_training_steps")
_MOMENTUM_KEYS = ("momentum",)
_MAX_DEPTH = 32  # LightningCLI configs nest hints 2-4 levels deep
# Lower-case spellings users write in configs -> torch's class names.
_OPTIMIZER_NAMES = {name.lower(): name for name in (
    "SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad", "Adadelta",
    "LBFGS", "SparseAdam", "ASGD", "Rprop", "Adafactor", "Lion", "LAMB", "LARS", "Prodigy",
    "DAdaptAdam", "DAdaptSGD",
)}


def parse_simple_yaml(text: str) -> dict[str, Any]:
    """The nested mappings of block-style YAML, with scalar values; other constructs skipped."""
    root: dict[str, Any] = {}
    stack: list[tuple[int, dict[str, Any]]] = [(-1, root)]
    skip_deeper_than: int | None = None
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#") or stripped in ("---", "..."):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        if skip_deeper_than is not None:
            if indent > skip_deeper_than:
                continue
            skip_deeper_than = None
        if stripped.startswith("- ") or stripped == "-" or ":" not in stripped:
            continue  # list items and stray lines carry no hint
        key, _, rest = stripped.partition(":")
        key = _unquote(key.strip())
        rest = _strip_comment(rest).strip()
        while stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1]
        if rest.startswith("!"):  # a tag: keep what follows it on the line, if anything
            rest = rest.partition(" ")[2].strip()
        if rest in ("", "{}") or rest.startswith("&"):
            child: dict[str, Any] = {}
            parent[key] = child
            stack.append((indent, child))
        elif rest[0] in "|>":
            skip_deeper_than = indent  # a multi-line string
        elif rest[0] in "[{":
            parent[key] = None  # flow collections: not needed for hints
        else:
            parent[key] = _scalar(rest)
    return root


def _strip_comment(text: str) -> str:
    quote: str | None = None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or text[i - 1] in " \t"):
            return text[:i]
    return text


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _scalar(text: str) -> Any:
    if text[0] in "'\"":
        return _unquote(text)
    lowered = text.lower()
    if lowered in ("null", "~", "none"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _walk(tree: dict[str, Any], depth: int = 0) -> Iterator[tuple[int, str, Any]]:
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


def _optimizer(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("class_path")
    if not isinstance(value, str) or not value.strip():
        return None
    name = value.strip().rsplit(".", 1)[-1]
    return _OPTIMIZER_NAMES.get(name.lower(), name)


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


def hints_from_tree(tree: dict[str, Any]) -> Hints:
    """The optimizer, batch size, momentum and planned steps a hyperparameter tree names."""
    return Hints(
        optimizer=_first(_find(tree, _OPTIMIZER_KEYS), _optimizer),
        momentum=_first(_find(tree, _MOMENTUM_KEYS), _momentum),
        batch_size=_first(_find(tree, _BATCH_KEYS), _positive_int),
        total_steps=_first(_find(tree, _STEPS_KEYS), _positive_int),
    )


def read_hints(folder: Path) -> Hints:
    """Hints from ``folder/hparams.yaml``; no hints when it is missing or unreadable."""
    path = folder / FILE_NAME
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return Hints()
    return hints_from_tree(parse_simple_yaml(text))
