"""The one place that knows Lightning comes as ``lightning.pytorch`` or ``pytorch_lightning``.

Users have one or both installed. ``CALLBACK_BASES`` holds the ``Callback`` class of each one
present, so ``LRWatch`` derives from all of them and every ``Trainer`` accepts it.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from lrwatch.errors import ConfigError, MissingExtra

FLAVORS = ("lightning.pytorch", "pytorch_lightning")


def _import(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


MODULES: dict[str, ModuleType] = {
    name: module for name in FLAVORS if (module := _import(name)) is not None
}
if not MODULES:
    raise MissingExtra("lightning", "lightning", "The LRWatch callback")

CALLBACK_BASES: tuple[type, ...] = tuple(m.Callback for m in MODULES.values())
MISCONFIGURATION_BASES: tuple[type, ...] = tuple(dict.fromkeys(
    m.utilities.exceptions.MisconfigurationException for m in MODULES.values()))


class LightningConfigError(ConfigError, *MISCONFIGURATION_BASES):  # type: ignore[misc]
    """A bad argument to a Lightning front end: lrwatch's ``ConfigError`` and Lightning's
    ``MisconfigurationException`` at once, so code written for Lightning's tuner catches it."""


def lightning_of(obj: Any) -> ModuleType:
    """The Lightning package a Trainer or LightningModule instance comes from."""
    root = type(obj).__module__.split(".")[0]
    name = "lightning.pytorch" if root == "lightning" else "pytorch_lightning"
    if name not in MODULES:  # a subclass defined elsewhere: walk its bases
        for base in type(obj).__mro__:
            base_root = base.__module__.split(".")[0]
            if base_root in ("lightning", "pytorch_lightning"):
                name = "lightning.pytorch" if base_root == "lightning" else "pytorch_lightning"
                break
    return MODULES.get(name) or next(iter(MODULES.values()))


def rank_zero_warn(message: str) -> None:
    """Warn once per message, on global rank 0 only (Lightning's own utility)."""
    module = next(iter(MODULES.values()))
    module.utilities.rank_zero_warn(message)


def rank_zero_info(message: str) -> None:
    module = next(iter(MODULES.values()))
    module.utilities.rank_zero_info(message)
