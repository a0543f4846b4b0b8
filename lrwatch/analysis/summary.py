"""A bounded, mergeable summary of a run: what the diagnosis reads, for 50 or 10 M steps alike.

The points are cut into at most ``MAX_BINS`` consecutive bins of ``width`` points each, where
``width`` is the smallest power of two that fits the run (1 below ``MAX_BINS`` points: no
decimation at all). A bin keeps only sums, counts, extremes and last values, which merge exactly,
so an online analyzer that doubles ``width`` by merging neighbours as a run grows holds the same
bins as one built from the whole run at once. Beside the bins: the last ``TAIL`` raw points (for
spikes and the early divergence alarm) and where the loss stopped being finite.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MAX_BINS = 1024
TAIL = 256
HEAD = 3  # first finite losses kept: where training started, for the early alarm

# per-bin columns; "sum"/"n" columns add up, "min"/"max" take extremes, "last" the right side
COLUMNS = ("first", "last", "count", "loss_n", "loss_sum", "loss_min", "loss_max",
           "lr_last", "gn_n", "gn_sum", "gn_max", "ur_n", "ur_sum")


def width_for(points: int) -> int:
    """Points per bin for a run of ``points`` points: a power of two, at most MAX_BINS bins."""
    width = 1
    while -(-points // width) > MAX_BINS:
        width *= 2
    return width


def _reduce_rows(steps: np.ndarray, loss: np.ndarray, lr: np.ndarray, gn: np.ndarray,
                 ur: np.ndarray, width: int) -> dict[str, np.ndarray]:
    """Bin columns for points already cut into rows of ``width`` (arrays of shape (rows, width))."""
    shape = (-1, width)
    steps, loss, lr, gn, ur = (a.reshape(shape) for a in (steps, loss, lr, gn, ur))
    ok = np.isfinite(loss)
    lr_ok = np.isfinite(lr)
    lr_idx = np.where(lr_ok, np.arange(width), -1).max(axis=1)
    gn_ok = np.isfinite(gn)
    ur_ok = np.isfinite(ur)
    rows = np.arange(steps.shape[0])
    return {
        "first": steps[:, 0].copy(),
        "last": steps[:, -1].copy(),
        "count": np.full(steps.shape[0], width, dtype=np.int64),
        "loss_n": ok.sum(axis=1),
        "loss_sum": np.where(ok, loss, 0.0).sum(axis=1),
        "loss_min": np.where(ok, loss, np.inf).min(axis=1),
        "loss_max": np.where(ok, loss, -np.inf).max(axis=1),
        "lr_last": np.where(lr_idx >= 0, lr[rows, np.maximum(lr_idx, 0)], np.nan),
        "gn_n": gn_ok.sum(axis=1),
        "gn_sum": np.where(gn_ok, gn, 0.0).sum(axis=1),
        "gn_max": np.where(gn_ok, gn, -np.inf).max(axis=1),
        "ur_n": ur_ok.sum(axis=1),
        "ur_sum": np.where(ur_ok, ur, 0.0).sum(axis=1),
    }


def _merge(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Bins ``a[i]`` followed by ``b[i]``, merged column by column."""
    return {
        "first": a["first"], "last": b["last"],
        "count": a["count"] + b["count"],
        "loss_n": a["loss_n"] + b["loss_n"], "loss_sum": a["loss_sum"] + b["loss_sum"],
        "loss_min": np.minimum(a["loss_min"], b["loss_min"]),
        "loss_max": np.maximum(a["loss_max"], b["loss_max"]),
        "lr_last": np.where(np.isfinite(b["lr_last"]), b["lr_last"], a["lr_last"]),
        "gn_n": a["gn_n"] + b["gn_n"], "gn_sum": a["gn_sum"] + b["gn_sum"],
        "gn_max": np.maximum(a["gn_max"], b["gn_max"]),
        "ur_n": a["ur_n"] + b["ur_n"], "ur_sum": a["ur_sum"] + b["ur_sum"],
    }


def _empty() -> dict[str, np.ndarray]:
    return {c: np.empty(0, dtype=np.int64 if c in ("first", "last", "count", "loss_n", "gn_n",
                                                     "ur_n") else np.float64) for c in COLUMNS}


def _concat(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {c: np.concatenate([a[c], b[c]]) for c in COLUMNS}


def _take(a: dict[str, np.ndarray], sl: slice) -> dict[str, np.ndarray]:
    return {c: a[c][sl] for c in COLUMNS}


@dataclass
class Summary:
    """Bins of a run plus its last raw points; grows with :meth:`extend`.

    Points must come in increasing step order (see :func:`lrwatch.analysis.prepare.align`).
    """

    width: int = 1
    points: int = 0
    bins: dict[str, np.ndarray] = field(default_factory=_empty)  # full bins
    partial: dict[str, np.ndarray] = field(default_factory=_empty)  # 0 or 1 bin, < width points
    tail_steps: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    tail_loss: np.ndarray = field(default_factory=lambda: np.empty(0))
    tail_gn: np.ndarray = field(default_factory=lambda: np.empty(0))
    head_loss: np.ndarray = field(default_factory=lambda: np.empty(0))  # first HEAD finite
    first_nonfinite: int | None = None  # first step with a NaN/inf loss
    nonfinite_count: int = 0
    trailing_nonfinite: int | None = None  # step where the final run of NaN/inf losses began
    last_step: int | None = None

    def extend(self, steps: np.ndarray, loss: np.ndarray, lr: np.ndarray, gn: np.ndarray,
               ur: np.ndarray) -> None:
        """Add points (equal-length float arrays, steps increasing and after ``last_step``)."""
        n = steps.size
        if n == 0:
            return
        with np.errstate(over="ignore", invalid="ignore"):  # sums of losses near the float limit
            self._extend(n, steps, loss, lr, gn, ur)

    def _extend(self, n: int, steps: np.ndarray, loss: np.ndarray, lr: np.ndarray, gn: np.ndarray,
                ur: np.ndarray) -> None:
        self._track_nonfinite(steps, loss)
        if self.head_loss.size < HEAD:
            finite = loss[np.isfinite(loss)][:HEAD - self.head_loss.size]
            self.head_loss = np.concatenate([self.head_loss, finite.astype(np.float64)])
        self.tail_steps = np.concatenate([self.tail_steps, steps])[-TAIL:]
        self.tail_loss = np.concatenate([self.tail_loss, loss])[-TAIL:]
        self.tail_gn = np.concatenate([self.tail_gn, gn])[-TAIL:]
        self.last_step = int(steps[-1])
        self.points += n
        self._widen(width_for(self.points))
        w = self.width
        cols = (steps, loss, lr, gn, ur)
        start = 0
        have = int(self.partial["count"].sum())
        if have:  # top up the partial bin first
            take = min(w - have, n)
            self.partial = _merge(self.partial, _reduce_rows(*(c[:take] for c in cols), take))
            start = take
            if have + take == w:
                self.bins = _concat(self.bins, self.partial)
                self.partial = _empty()
        full = (n - start) // w
        if full:
            stop = start + full * w
            self.bins = _concat(self.bins, _reduce_rows(*(c[start:stop] for c in cols), w))
            start = stop
        if start < n:
            self.partial = _reduce_rows(*(c[start:] for c in cols), n - start)

    def _widen(self, width: int) -> None:
        """Merge neighbouring bins until bins hold ``width`` points each."""
        while self.width < width:
            nb = self.bins["first"].size
            pairs = nb // 2
            merged = _merge(_take(self.bins, slice(0, 2 * pairs, 2)),
                            _take(self.bins, slice(1, 2 * pairs, 2)))
            if nb % 2:  # the odd last full bin joins the partial one
                odd = _take(self.bins, slice(nb - 1, nb))
                self.partial = _merge(odd, self.partial) if self.partial["first"].size else odd
            self.bins = merged
            self.width *= 2
            if self.partial["first"].size and int(self.partial["count"][0]) == self.width:
                self.bins = _concat(self.bins, self.partial)
                self.partial = _empty()

    def _track_nonfinite(self, steps: np.ndarray, loss: np.ndarray) -> None:
        bad = ~np.isfinite(loss)
        if not bad.any():
            self.trailing_nonfinite = None
            return
        self.nonfinite_count += int(bad.sum())
        if self.first_nonfinite is None:
            self.first_nonfinite = int(steps[np.argmax(bad)])
        if not bad[-1]:
            self.trailing_nonfinite = None
            return
        good = np.flatnonzero(~bad)
        if good.size:
            self.trailing_nonfinite = int(steps[good[-1] + 1])
        elif self.trailing_nonfinite is None:
            self.trailing_nonfinite = int(steps[0])

    def all_bins(self) -> dict[str, np.ndarray]:
        """Full bins followed by the partial one."""
        return _concat(self.bins, self.partial) if self.partial["first"].size else self.bins
