"""lrwatch: watch PyTorch Lightning training through its learning rate.

Record every optimizer step with the ``LRWatch`` callback (``Watch`` in a Fabric or plain
PyTorch loop, ``lrwatch.integrations.transformers.LRWatchCallback`` in a Hugging Face
Trainer), diagnose the curves with ``lrwatch.analysis``, find a starting LR with ``find_lr``, and look at it all in the dashboard.

Heavy parts load on first use: ``import lrwatch`` does not import torch, Lightning or Dash.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from lrwatch._version import __version__
from lrwatch.errors import (
    ConfigError,
    InputError,
    LRWatchError,
    MissingExtra,
    NotAStore,
    RunNotFound,
    SchemaTooNew,
    StoreError,
    StoreLocked,
)
from lrwatch.store import Store

if TYPE_CHECKING:
    from lrwatch.callback import LRWatch
    from lrwatch.figures import plot
    from lrwatch.finder import LRFinder, RangeTestResult, find_lr
    from lrwatch.finder_loop import find_lr_loop
    from lrwatch.watch import Watch

# public name -> module that defines it, imported on first access (PEP 562)
_LAZY = {
    "LRWatch": "lrwatch.callback",
    "LRFinder": "lrwatch.finder",
    "RangeTestResult": "lrwatch.finder",
    "find_lr": "lrwatch.finder",
    "find_lr_loop": "lrwatch.finder_loop",
    "plot": "lrwatch.figures",
    "Watch": "lrwatch.watch",
}

__all__ = [
    "ConfigError",
    "InputError",
    "LRFinder",
    "LRWatch",
    "LRWatchError",
    "MissingExtra",
    "NotAStore",
    "RangeTestResult",
    "RunNotFound",
    "SchemaTooNew",
    "Store",
    "StoreError",
    "StoreLocked",
    "Watch",
    "__version__",
    "find_lr",
    "find_lr_loop",
    "plot",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lrwatch' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
