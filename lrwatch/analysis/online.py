"""Diagnose a run while it trains: feed points as they arrive, ask for the verdict any time.

The analyzer keeps the same bounded summary that :func:`lrwatch.analysis.analyze` builds from a
whole run (at most 1024 bins + the last 256 raw points), so an update costs time in proportion to
the points it brings, a diagnosis costs the same at step 100 and at step 10 M, and both give the
same answer on the same points.

The early divergence alarm looks at every row: rows reach the analyzer in blocks (a host copy
brings up to 256 steps at once), and a loss that blew up and came back down, or died, inside one
block would be gone from the block's last few points.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from lrwatch.analysis import detectors
from lrwatch.analysis.diagnose import diagnose
from lrwatch.analysis.summary import COLUMNS, HEAD, TAIL, Summary
from lrwatch.analysis.types import Diagnosis, Evidence, RangeTestSummary, RunCurves, Series
from lrwatch.errors import ConfigError


class OnlineAnalyzer:
    """Incremental twin of :func:`~lrwatch.analysis.analyze`.

    Args:
        optimizer: optimizer class name ("SGD", "AdamW" ...), for typical ranges and scaling.
        momentum: SGD momentum or Adam beta1, when known.
        batch_size: the run's batch size.
        total_steps: planned optimizer steps (for the "blew up in the first few percent" rule).
        range_test: a range test run before training, to pick the suggested LR.
        target_batch_size: batch size of the next run, to scale the suggested LR.
        clip: the max gradient norm when gradients are clipped by norm (the effective step).
        fine_tune: whether training starts from pretrained weights (fine-tuning LR ranges).
        classes: classes or vocabulary size of a cross-entropy loss (its chance level).
        param_count: the model's parameters (an adaptive optimizer's usual LRs fall with it).
        epoch_points: each point is an epoch (a per-epoch log replayed point by point), as
            ``RunCurves.epoch_points`` tells ``analyze``.

    Example::

        >>> import numpy as np
        >>> watch = OnlineAnalyzer(optimizer="SGD")
        >>> for start in range(0, 400, 50):
        ...     steps = np.arange(start, start + 50)
        ...     watch.update(steps, 2.3 * np.exp(-steps / 40) + 0.1, lr=0.1)
        >>> watch.diagnose().status.value
        'healthy'
        >>> watch.update([400], [float("nan")])
        >>> watch.diverging_now().message
        'loss is non-finite at step 400'
    """

    def __init__(self, *, optimizer: str | None = None, momentum: float | None = None,
                 batch_size: int | None = None, total_steps: int | None = None,
                 range_test: RangeTestSummary | None = None,
                 target_batch_size: int | None = None, clip: float | None = None,
                 fine_tune: bool | None = None, classes: int | None = None,
                 param_count: int | None = None, epoch_points: bool = False) -> None:
        empty = Series(np.empty(0, dtype=np.int64), np.empty(0))
        self._meta = RunCurves(loss=empty, optimizer=optimizer, momentum=momentum,
                               batch_size=batch_size, total_steps=total_steps,
                               range_test=range_test, clip=clip, fine_tune=fine_tune,
                               classes=classes, param_count=param_count,
                               epoch_points=epoch_points)
        self._target = target_batch_size
        self._summary = Summary()
        # the validation loss, every point (a few per epoch: it is read whole, for overfitting)
        self._val_steps = np.empty(0, dtype=np.int64)
        self._val_loss = np.empty(0)
        self.dropped = 0  # points ignored because their step did not come after the last one
        self._alarm: Evidence | None = None  # the first alarm among the rows not yet asked about
        self.rows_checked = 0  # rows the alarm has looked at (every row taken in)

    @property
    def points(self) -> int:
        """Points taken in so far."""
        return self._summary.points

    @property
    def last_step(self) -> int | None:
        return self._summary.last_step

    def update(self, steps: Any, loss: Any, lr: Any = None, grad_norm: Any = None,
               update_ratio: Any = None) -> None:
        """Add new points: ``steps`` and ``loss`` of equal length (scalars are fine), and
        optionally ``lr``, ``grad_norm``, ``update_ratio`` of the same length or scalars.

        Steps must increase; a point whose step does not come after the last one seen (a resumed
        run repeating steps) is ignored and counted in ``dropped``.

        Raises:
            ConfigError: if the arrays' lengths differ or hold something other than numbers.
        """
        try:
            s = np.atleast_1d(np.asarray(steps, dtype=np.int64)).reshape(-1)
            n = s.size
            cols = [_column("loss", loss, n, required=True)]
            cols += [_column(name, v, n) for name, v in
                     (("lr", lr), ("grad_norm", grad_norm), ("update_ratio", update_ratio))]
        except (TypeError, ValueError, OverflowError) as exc:
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(f"update() needs numbers: {exc}") from None
        if n == 0:
            return
        floor = self._summary.last_step
        prior = np.maximum.accumulate(np.r_[np.iinfo(np.int64).min if floor is None else floor,
                                            s[:-1]])
        keep = s > prior
        if not keep.all():
            self.dropped += int((~keep).sum())
            s, cols = s[keep], [c[keep] for c in cols]
        if self._alarm is None:
            self._alarm = _first_alarm(self._summary, s, cols[0], cols[2])
        self.rows_checked += s.size
        self._summary.extend(s, *cols)

    def update_val_loss(self, steps: Any, values: Any) -> None:
        """Add validation-loss points (``steps`` and ``values`` of equal length, or scalars);
        a point whose step does not come after the last one seen is ignored. The diagnosis reads
        them as ``analyze`` reads ``RunCurves.val_loss``: a validation loss that turned up while
        the training loss fell (overfitting).

        Raises:
            ConfigError: if the lengths differ or the values are not numbers.
        """
        try:
            s = np.atleast_1d(np.asarray(steps, dtype=np.int64)).reshape(-1)
            v = _column("val_loss", values, s.size, required=True)
        except (TypeError, ValueError, OverflowError) as exc:
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(f"update_val_loss() needs numbers: {exc}") from None
        floor = int(self._val_steps[-1]) if self._val_steps.size else None
        prior = np.maximum.accumulate(np.r_[np.iinfo(np.int64).min if floor is None else floor,
                                            s[:-1]])
        keep = s > prior
        self._val_steps = np.concatenate([self._val_steps, s[keep]])
        self._val_loss = np.concatenate([self._val_loss, v[keep]])

    def diagnose(self) -> Diagnosis:
        """The diagnosis of everything seen so far (the same as ``analyze`` on those points)."""
        meta = self._meta
        if self._val_steps.size:
            meta = replace(meta, val_loss=Series(self._val_steps, self._val_loss))
        return diagnose(self._summary, meta, target_batch_size=self._target)

    def diverging_now(self) -> Evidence | None:
        """The early divergence signal: a NaN/inf loss, or a few losses or gradient norms in a
        row far above their recent robust level. Every row is looked at: this is the first
        alarm among the rows added since the last call, else the alarm at the newest row."""
        found, self._alarm = self._alarm, None
        if found is not None:
            return found
        latest = detectors.alarm(self._summary)
        return latest.evidence if latest is not None else None

    def above_start(self, points: int = 8) -> bool:
        """Whether the loss's recent level (the median of its last ``points`` finite values)
        stands above its first logged value: a run that blew up, not one that sits where it
        started (at chance level, say, before it learns). True when either is unknown."""
        s = self._summary
        tail = s.tail_loss[np.isfinite(s.tail_loss)][-points:]
        if s.head_loss.size == 0 or tail.size == 0:
            return True
        return float(np.median(tail)) > float(s.head_loss[0])

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume, as plain numbers and numpy arrays."""
        s = self._summary
        return {
            "width": s.width, "points": s.points, "dropped": self.dropped,
            "bins": dict(s.bins), "partial": dict(s.partial),
            "tail": (s.tail_steps, s.tail_loss, s.tail_gn), "head": s.head_loss,
            "nonfinite": (s.first_nonfinite, s.nonfinite_count, s.trailing_nonfinite),
            "last_step": s.last_step,
            "val_loss": (self._val_steps, self._val_loss),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume from :meth:`state_dict`.

        Raises:
            ConfigError: if ``state`` is not a state dict of this class.
        """
        try:
            summary = Summary(width=int(state["width"]), points=int(state["points"]),
                              bins={c: np.asarray(state["bins"][c]) for c in COLUMNS},
                              partial={c: np.asarray(state["partial"][c]) for c in COLUMNS})
            summary.tail_steps, summary.tail_loss, summary.tail_gn = (
                np.asarray(a) for a in state["tail"])
            summary.head_loss = np.asarray(state.get("head", ()), dtype=np.float64)
            summary.first_nonfinite, summary.nonfinite_count, summary.trailing_nonfinite = \
                state["nonfinite"]
            summary.last_step = state["last_step"]
            dropped = int(state["dropped"])
            val_steps, val_loss = state.get("val_loss", ((), ()))
            val_steps = np.asarray(val_steps, dtype=np.int64).reshape(-1)
            val_loss = np.asarray(val_loss, dtype=np.float64).reshape(-1)
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"not an OnlineAnalyzer state dict: missing or bad {exc}") from None
        self._summary, self.dropped = summary, dropped
        self._val_steps, self._val_loss = val_steps, val_loss


def _first_alarm(summary: Summary, steps: np.ndarray, loss: np.ndarray,
                 grad_norm: np.ndarray) -> Evidence | None:
    """The first of the new rows at which ``detectors.alarm`` fires, as it would had the rows
    come one at a time. Only rows that can fire get that full look (see ``_may_jump``): a
    non-finite loss, the first rows of a run, and rows whose last points clear the alarm's
    smallest ratio over their window's median."""
    all_steps = np.concatenate([summary.tail_steps, steps])
    all_loss = np.concatenate([summary.tail_loss, loss])
    all_gn = np.concatenate([summary.tail_gn, grad_norm])
    first = summary.tail_steps.size
    rows = set((np.flatnonzero(~np.isfinite(loss)) + first).tolist())
    rows |= _may_jump(all_loss, first, detectors.ALARM_LOSS_RATIO)
    rows |= _may_jump(all_gn, first, detectors.ALARM_GRAD_RATIO)
    for i in sorted(rows):
        lo = max(0, i + 1 - TAIL)
        head = np.concatenate([summary.head_loss, loss[:i + 1 - first]])
        view = Summary(tail_steps=all_steps[lo:i + 1], tail_loss=all_loss[lo:i + 1],
                       tail_gn=all_gn[lo:i + 1], head_loss=head[np.isfinite(head)][:HEAD])
        found = detectors.alarm(view)
        if found is not None:
            return found.evidence
    return None


# a window this short is judged by the alarm's few-points rule: such rows always get a full look
_SHORT_WINDOW = detectors.ALARM_POINTS + detectors.ALARM_HISTORY


def _may_jump(values: np.ndarray, first: int, ratio: float) -> set[int]:
    """Rows ``i >= first`` where a jump alarm may fire: the window (the ``TAIL`` values up to
    ``i``) is short, or its last ``ALARM_POINTS`` values all sit above ``ratio`` times the
    median of the valid values before them, which every jump alarm on a long window needs.
    A cheap bound screens first: the median of a subset is at least the same order statistic
    of the union of all windows."""
    n = values.size
    k = detectors.ALARM_POINTS
    rows = np.arange(first, n)
    short = rows[rows - np.maximum(0, rows + 1 - TAIL) + 1 < _SHORT_WINDOW]
    out = set(short.tolist())
    rows = rows[rows - np.maximum(0, rows + 1 - TAIL) + 1 >= _SHORT_WINDOW]
    if rows.size == 0:
        return out
    with np.errstate(invalid="ignore"):
        valid = np.isfinite(values) & (values > 0)
    recent = np.min([np.where(valid[rows - j], values[rows - j], -np.inf) for j in range(k)],
                    axis=0)
    lo = np.maximum(0, rows + 1 - TAIL)
    counts = np.concatenate([[0], np.cumsum(valid)])
    sizes = counts[rows + 1 - k] - counts[lo]  # valid values before the last k
    union = np.sort(values[int(lo[0]):n][valid[int(lo[0]):n]])
    if union.size == 0:
        return out
    order = np.clip((sizes - 1) // 2, 0, union.size - 1)
    screened = rows[(sizes >= detectors.ALARM_HISTORY) & (recent > ratio * union[order])]
    for i in screened.tolist():
        start = max(0, i + 1 - TAIL)
        ref = values[start:i + 1 - k][valid[start:i + 1 - k]]
        middle = (ref.size - 1) // 2  # the lower middle: at most the alarm's (log) median
        if float(recent[i - rows[0]]) > ratio * float(np.partition(ref, middle)[middle]):
            out.add(i)
    return out


def _column(name: str, values: Any, n: int, required: bool = False) -> np.ndarray:
    if values is None:
        if required:
            raise ConfigError(f"{name} is required")
        return np.full(n, np.nan)
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(n, float(arr))
    arr = arr.reshape(-1)
    if arr.size != n:
        raise ConfigError(f"update(): {name} has {arr.size} values for {n} steps; give one per "
                          "step (or a single number)")
    return arr
