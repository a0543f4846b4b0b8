"""Find the sweeps among logged runs and read them: runs of one model and setup that differ only
in the learning rate.

A run's *setup* is everything it logged about itself except the LR: from an lrwatch store the
model class, its parameter count, the optimizer with its settings, the schedulers, batch size,
planned steps and the module's hyperparameters; from a Lightning log folder its
``hparams.yaml``. Runs whose setups are equal and whose LRs differ form a sweep (at least
``MIN_LRS`` LRs). A run's LR is the peak of its logged LR curve (warmup and decay shape it the
same way in every run of a sweep), else the LR its hyperparameters name.

The readers are used through their public functions only (``find_runs``, ``read_run``); each
reader's ``setup`` reads its format's metadata.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from lrwatch.analysis.sweep import RankedBy, SweepReading, SweepRun, analyze_sweep
from lrwatch.errors import LRWatchError

MIN_LRS = 3  # a parabola needs three LRs
# Hyperparameter names that carry the LR (and so differ across a sweep): not part of the setup.
_LR_NAMES = ("lr", "learning_rate", "learningrate")
_LR_SUFFIXES = ("_lr", ".lr", "_learning_rate")


@dataclass(frozen=True)
class SweepMember:
    """A run read for a sweep: where it came from, its LR and its loss."""

    source: str
    name: str
    lr: float | None  # None: neither its LR curve nor its hyperparameters give one
    setup: str | None  # a canonical text of its setup; None when it logged none
    run: SweepRun | None


@dataclass(frozen=True)
class Sweep:
    """Runs of one setup at several LRs, and what reading them together says."""

    members: tuple[SweepMember, ...]
    reading: SweepReading


def is_lr_name(name: str) -> bool:
    """Whether a hyperparameter name is a learning rate (``lr``, ``base_lr``, ``optim.lr`` ...)."""
    lowered = name.lower()
    return lowered in _LR_NAMES or lowered.endswith(_LR_SUFFIXES)


def peak_lr(lr_values: np.ndarray | None) -> float | None:
    """The largest finite positive logged LR: the peak of warmup + decay, the constant LR."""
    if lr_values is None:
        return None
    good = lr_values[np.isfinite(lr_values) & (lr_values > 0)]
    return float(good.max()) if good.size else None


def member(source: str, name: str, curves: Any, setup: dict[str, Any] | None) -> SweepMember:
    """One run's sweep view from its read curves (``RunCurves``) and its setup."""
    lr = peak_lr(curves.lr.values if curves.lr is not None else None)
    if lr is None and setup:
        lr = _lr_from(setup)
    text = setup_key(setup)
    run = SweepRun(name, lr, curves.loss, curves.val_loss) if lr is not None else None
    return SweepMember(source, name, lr, text, run)


def setup_key(setup: dict[str, Any] | None) -> str | None:
    """The setup without its LRs, as one comparable text; None when nothing was logged."""
    return None if not setup else _canonical(_without_lr(setup))


def group(members: Iterable[SweepMember]) -> list[list[SweepMember]]:
    """Members of equal setup at ``MIN_LRS`` or more LRs, each group a sweep, biggest first."""
    by_setup: dict[str, list[SweepMember]] = defaultdict(list)
    for m in members:
        if m.setup is not None and m.run is not None:
            by_setup[m.setup].append(m)
    groups = [g for g in by_setup.values() if len({m.lr for m in g}) >= MIN_LRS]
    return sorted(groups, key=len, reverse=True)


def read_sweep(members: Sequence[SweepMember], rank_by: RankedBy | None = None) -> Sweep:
    """Read runs as one sweep (those with no LR are left out), ranked by ``rank_by``
    (``analyze_sweep``; None: as the logs allow).

    Raises:
        ConfigError: fewer than three runs with an LR, or fewer than two LRs, or a validation
            ``rank_by`` where some run logged no validation loss late enough.
    """
    usable = tuple(m for m in members if m.run is not None)
    return Sweep(usable, analyze_sweep([m.run for m in usable if m.run is not None], rank_by))


def find_sweeps(members: Sequence[SweepMember], rank_by: RankedBy | None = None) -> list[Sweep]:
    """Every sweep among ``members``, grouped by setup."""
    return [read_sweep(g, rank_by) for g in group(members)]


def setup_of(log_run: Any) -> dict[str, Any] | None:
    """What a found run (``lrwatch.readers.LogRun``) logged about its setup, as its reader
    reads it (a store run's metadata, a Lightning ``hparams.yaml``, a Hugging Face run's
    ``config.json`` and training arguments), or None."""
    from lrwatch.readers.registry import reader_for

    return None if log_run.error is not None else reader_for(log_run.format).setup(log_run)


def members_of(log_runs: Iterable[Any], read: Any) -> list[SweepMember]:
    """Sweep views of found runs; ``read(log_run)`` gives a ``ReadResult`` or raises
    ``LRWatchError`` (such runs are left out: ``lrwatch analyze`` reports them itself)."""
    found = []
    for log_run in log_runs:
        if log_run.error is not None:
            continue
        try:
            curves = read(log_run).curves
        except LRWatchError:
            continue
        found.append(member(log_run.source, log_run.name, curves, setup_of(log_run)))
    return found


def store_members(store: Any) -> list[tuple[int, SweepMember]]:
    """``(run id, sweep view)`` of every training run of an open ``Store`` (the dashboard's
    door: no log folders, no readers of other formats)."""
    from lrwatch.readers import curves_from_store, training_runs
    from lrwatch.readers.store import store_setup

    return [(info.id, member(store.path, info.name, curves_from_store(store, info),
                             store_setup(info.meta)))
            for info in training_runs(store)]


def _without_lr(tree: Any) -> Any:
    if isinstance(tree, dict):
        return {k: _without_lr(v) for k, v in tree.items() if not is_lr_name(str(k))}
    return tree


def _lr_from(tree: Any) -> float | None:
    """The first LR-named positive number in a setup tree, shallowest first."""
    queue = [tree]
    while queue:
        node = queue.pop(0)
        if not isinstance(node, dict):
            continue
        for key, value in node.items():
            if (is_lr_name(str(key)) and isinstance(value, (int, float))
                    and not isinstance(value, bool) and math.isfinite(value) and value > 0):
                return float(value)
        queue.extend(v for v in node.values() if isinstance(v, dict))
    return None


def _canonical(tree: Any) -> str:
    return json.dumps(tree, sort_keys=True, default=str)
