"""Labels of the runs made here, from each run's place in its sweep (never from lrwatch).

All runs of a sweep train one model for the same number of steps and differ only in the LR;
they are ranked by their final eval loss (the last evaluation, on a fixed held-out set, so
the ranking does not ride on one noisy training batch). The best LR, and any LR whose final
loss is within 2% of the best, are healthy (on a flat stretch of a sweep the LR is not what
limits the loss, however far apart the LRs); lower LRs are too slow (stalled, LR up); higher
ones are unstable (oscillating, LR down), or diverging when the loss went non-finite or ended
above where it started.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

NEAR_LOSS = 0.02  # final loss within 2% of the best counts as as good as the best
SMOOTH = 25  # steps in the running mean behind the instability figure


@dataclass(frozen=True)
class SweepPoint:
    lr: float
    final: float  # final eval loss; inf when the run went non-finite
    start: float  # eval loss before the first step
    losses: np.ndarray  # training loss of every logged step
    nonfinite: bool


def largest_rise(losses: np.ndarray) -> float:
    """The largest rise of the running mean of the training loss above its running minimum, as
    a fraction of that minimum: 0 for a loss that never went back up."""
    finite = losses[np.isfinite(losses)]
    if finite.size < SMOOTH:
        return math.nan
    mean = np.convolve(finite, np.ones(SMOOTH) / SMOOTH, mode="valid")
    floor = np.minimum.accumulate(mean)
    return float(np.max(mean / floor - 1.0))


def rose_past_start(losses: np.ndarray, steps: int) -> bool:
    """Whether the running mean of the training loss, past the first 5% of the steps, rose
    above its mean over the first steps: means, so one noisy batch is no blow-up, and training
    loss against training loss (a fine-tuning run's held-out text can be easier than its
    training text)."""
    finite = losses[np.isfinite(losses)]
    late = finite[steps // 20:]
    if late.size < SMOOTH:
        return False
    first = float(finite[:SMOOTH].mean())
    return float(np.convolve(late, np.ones(SMOOTH) / SMOOTH, mode="valid").max()) > first


def label_sweep(points: list[SweepPoint], steps: int) -> tuple[float, list[dict]]:
    """The best LR of the sweep and one manifest label per point, in the order given."""
    best = min(points, key=lambda p: p.final)
    if not math.isfinite(best.final):
        raise ValueError("every run of the sweep went non-finite: no best LR to label from")
    head = (f"sweep of {len(points)} LRs at {steps} steps: best {best.lr:.3g} "
            f"(final eval loss {best.final:.4f})")
    labels = []
    for p in points:
        rel = p.final / best.final - 1.0
        rise = largest_rise(p.losses)
        # a log of fewer than SMOOTH points has no running mean: its rise goes unsaid
        rose = f", largest rise of the {SMOOTH}-step mean {rise:+.0%}" if math.isfinite(rise) else ""
        here = (f"lr {p.lr:.3g} ends at eval loss {p.final:.4f} ({rel:+.1%} vs best), "
                f"started at {p.start:.4f}{rose}" if math.isfinite(p.final) else
                f"lr {p.lr:.3g} went non-finite at step {p.losses.size}")
        why = f"{head}; {here}"
        if p is best or rel <= NEAR_LOSS:
            lab = {"status": "healthy", "direction": "keep", "source": "sweep"}
        elif p.lr < best.lr:
            lab = {"status": "stalled", "direction": "up", "source": "sweep"}
        elif p.nonfinite:
            lab = {"status": "diverging", "direction": "down", "source": "nonfinite"}
        elif p.final > p.start:
            lab = {"status": "diverging", "direction": "down", "source": "sweep"}
        else:
            lab = {"status": "oscillating", "direction": "down", "source": "sweep"}
            if rose_past_start(p.losses, steps):
                lab["also"] = ["diverging"]  # blew up past its start, then came back
        lab["why"] = why
        labels.append(lab)
    return best.lr, labels
