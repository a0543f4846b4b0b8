"""Stable metric names: the contract between the recorder, the store, readers and users.

``loss``, ``lr`` and ``grad_norm`` never change. Derived names follow one rule each:

- the param groups after the first (index ``g`` > 0) of an optimizer: ``lr/<group>``, where
  ``<group>`` is the group's ``name`` entry when it has one, else ``pg<g+1>``: groups counted
  from 1, as Lightning's LearningRateMonitor counts them (the second group is ``lr/pg2``, as
  ``lr-Adam/pg2`` is); the same for ``momentum``, ``beta2`` and ``weight_decay``. Stores
  written before this numbering (they counted from 0: the second group was ``lr/pg1``) are
  renamed by a schema migration, or translated as read (:func:`renumbered_group_key`);
- a layer (module) ``m``: ``grad_norm/<m>``, ``update_ratio/<m>`` (``grad_norm/encoder.0``);
- a metric the user logs with ``self.log(name, ...)``: ``logged/<name>`` (``logged/g_loss``,
  ``logged/val_acc``), at the steps it was logged, so a user's name never shadows these;
- optimizer ``k`` > 0 of several (GANs, manual optimization): every optimizer key gets the
  suffix ``@<OptimizerClass>`` (``lr@Adam``), deduplicated with ``-<k>`` (``lr@Adam-1``).
"""

from __future__ import annotations

import re
from typing import Any, Mapping

LOSS = "loss"
LR = "lr"
MOMENTUM = "momentum"  # SGD momentum, or beta1 of Adam-style optimizers
BETA2 = "beta2"
WEIGHT_DECAY = "weight_decay"
GRAD_NORM = "grad_norm"  # global L2 norm before clipping, after AMP unscaling
GRAD_NORM_CLIPPED = "grad_norm_clipped"  # global L2 norm after clipping (clipping on only)
PARAM_NORM = "param_norm"
UPDATE_RATIO = "update_ratio"  # ||w_after - w_before|| / ||w_before||
STEP_TIME = "step_time"  # seconds between consecutive optimizer steps (host wall clock)
SAMPLES_PER_SEC = "samples_per_sec"
EPOCH = "epoch"
VAL_LOSS = "val_loss"
NONFINITE = "nonfinite"  # 1.0 at a step whose loss or gradient norm is NaN or inf
LOSS_SMOOTHED = "loss_smoothed"  # a range test's lag-free smoothed loss (range-test runs only)
OPTIMIZER_SKIPPED = "optimizer_skipped"  # 1.0 at a step the optimizer did not take (AMP scaler)

#: the bases the recorder writes one key of per param group (``param_group_key``)
PARAM_GROUP_BASES = (LR, MOMENTUM, BETA2, WEIGHT_DECAY)

LOGGED = "logged"  # prefix of the metrics the user logs: see logged_key

# Event kinds stored beside the scalars.
EVENT_NONFINITE = "nonfinite"
EVENT_DIAGNOSIS = "diagnosis"
EVENT_ACTION = "action"
EVENT_RANGE_TEST = "range_test"

# Run kinds, a stored run's ``meta["kind"]``: a training, or an LR range test stored as a run of
# its own. A run stored without a kind is a training.
RUN_TRAIN = "train"
RUN_RANGE_TEST = "range_test"


def run_kind(meta: Mapping[str, Any]) -> str:
    """A stored run's kind, from its metadata (``RUN_TRAIN`` when it names none)."""
    return str(meta.get("kind") or RUN_TRAIN)


def is_range_test(meta: Mapping[str, Any]) -> bool:
    """Whether a stored run, by its metadata, is an LR range test."""
    return run_kind(meta) == RUN_RANGE_TEST


def group_key(base: str, group: str) -> str:
    """``lr/pg2``, ``grad_norm/encoder.0``: a per-param-group (or per-layer) key."""
    return f"{base}/{group}"


def param_group_key(base: str, index: int, name: object = None) -> str:
    """The key of ``base`` (``lr``) for param group ``index``: ``lr`` for the first group,
    ``lr/<name>`` for a named later one, else ``lr/pg<index + 1>`` (Lightning's numbering)."""
    if index == 0:
        return base
    return group_key(base, str(name) if name else f"pg{index + 1}")


# A numbered per-group key: base, group number, optimizer suffix (``lr/pg2@Adam-1``).
_NUMBERED_GROUP = re.compile(
    rf"^({'|'.join(map(re.escape, PARAM_GROUP_BASES))})/pg(\d+)((?:@.+)?)$")


def numbered_group(key: str) -> int | None:
    """The group number of a numbered per-group key (2 for ``lr/pg2@Adam``), None for others."""
    match = _NUMBERED_GROUP.match(key)
    return int(match.group(2)) if match else None


def renumbered_group_key(key: str, by: int = 1) -> str:
    """``key`` with its group number moved by ``by``: ``+1`` turns a key of a store written
    before Lightning's numbering (``lr/pg1``, the second group) into today's (``lr/pg2``),
    ``-1`` turns it back; every other key (``lr``, ``lr/head``, ``grad_norm/pg1``) is kept."""
    match = _NUMBERED_GROUP.match(key)
    if not match:
        return key
    base, number, suffix = match.groups()
    return f"{base}/pg{int(number) + by}{suffix}"


def logged_key(name: str) -> str:
    """``logged/val_acc``: where a metric the user logged as ``val_acc`` is stored."""
    return group_key(LOGGED, name)


def optimizer_key(base: str, optimizer_label: str | None) -> str:
    """``lr@Adam-1`` for optimizers after the first; the first keeps the plain name."""
    return base if not optimizer_label else f"{base}@{optimizer_label}"


def optimizer_classes(meta: Mapping[str, Any]) -> list[str]:
    """The class names of a run's optimizers, in order, from its metadata (``"?"`` where one
    is not named); empty where the metadata lists none."""
    optimizers = meta.get("optimizers")
    if not isinstance(optimizers, list):
        return []
    return [str(o.get("class")) if isinstance(o, dict) else "?" for o in optimizers]


def judged_index(meta: Mapping[str, Any]) -> int | None:
    """The index of the optimizer a run's loss is judged against, as its metadata records it
    (``judged_optimizer``: several optimizers that stepped one loss, a Muon + AdamW hybrid's
    Muon); None where it records none or an index out of its optimizers."""
    judged = meta.get("judged_optimizer")
    if isinstance(judged, bool) or not isinstance(judged, int) \
            or not 0 <= judged < len(optimizer_classes(meta)):
        return None
    return judged


def judged_label(meta: Mapping[str, Any]) -> str | None:
    """The key label (``optimizer_labels``) of the optimizer a run's loss is judged against
    (``judged_index``); None: the first's plain keys."""
    judged = judged_index(meta)
    return None if judged is None else optimizer_labels(optimizer_classes(meta))[judged]


def optimizer_labels(class_names: list[str]) -> list[str | None]:
    """Labels for a trainer's optimizers: None for the first, ``Class`` or ``Class-k`` after."""
    labels: list[str | None] = []
    seen: dict[str, int] = {}
    for i, name in enumerate(class_names):
        count = seen.get(name, 0)
        seen[name] = count + 1
        labels.append(None if i == 0 else (name if count == 0 else f"{name}-{count}"))
    return labels
