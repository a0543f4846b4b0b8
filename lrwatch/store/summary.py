"""A run's summary: what the run list shows besides the run's row (its last loss and peak LR).

Both backends keep one per finished run (written when the run is compacted, so ``lrwatch
runs`` and the dashboard's run list never read series: 10,000 runs list in one query). A
summary is a cache: it counts only while the run is not running and has the last step it was
made at; a resume (``reopen_run``, ``truncate``) drops it. A run without a valid one (a store
written before summaries, a running run, a read-only open of an older schema) is summarised on
demand by :func:`summarize`, from the same reads the list made before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from lrwatch import keys
from lrwatch.store.base import RUNNING, Event, RunInfo

if TYPE_CHECKING:
    from lrwatch.store.base import StoreBackend


@dataclass(frozen=True)
class RunSummary:
    """What the run list shows of a run's series: NaN and inf kept as they were recorded."""

    last_loss: float | None  # the loss at the run's highest step; None without a loss
    peak_lr: float | None  # the LR analysis judges: see :func:`peak_lr`

    def to_text(self) -> str:
        return json.dumps({"last_loss": self.last_loss, "peak_lr": self.peak_lr})

    @classmethod
    def from_text(cls, text: Any) -> "RunSummary | None":
        """The summary stored as ``text``; None when it cannot be one (then it is recomputed)."""
        try:
            data = json.loads(text)
            loss, lr = data["last_loss"], data["peak_lr"]
        except (TypeError, ValueError, KeyError, IndexError):
            return None
        if not (_number_or_none(loss) and _number_or_none(lr)):
            return None
        return cls(loss, lr)


def _number_or_none(value: Any) -> bool:
    """Whether a stored field is what ``to_text`` writes: a float (NaN and inf too) or None."""
    return value is None or type(value) is float


def stored_or_computed(backend: "StoreBackend", run: RunInfo, stored_status: str,
                       summary_step: int | None, text: Any) -> RunSummary:
    """The run's stored summary (``text``, made at ``summary_step``) while it still describes
    the run: made at its last step, the run (by its stored status) not running, so nothing was
    written since; else one computed now."""
    if text is not None and stored_status != RUNNING and summary_step == run.last_step:
        summary = RunSummary.from_text(text)
        if summary is not None:
            return summary
    return summarize(backend, run.id, run.meta)


def recoveries(events: Sequence[Event]) -> list[Event]:
    """The guard's recoveries among a run's ``action`` events, oldest first."""
    return [e for e in events
            if e.kind == keys.EVENT_ACTION and e.payload.get("action") == "recover"]


def peak_lr(steps: np.ndarray, lr: np.ndarray, after_step: int | None) -> float | None:
    """The LR a verdict on a run is relative to, as ``analyze`` takes it: the peak LR (what the
    user sets: with warmup or decay the last LR is not), after the guard's last recovery
    (``after_step``); None when no LR there is a finite number above 0."""
    if after_step is not None:
        lr = lr[steps > after_step]
    ok = lr[np.isfinite(lr) & (lr > 0)]
    return float(ok.max()) if ok.size else None


def summarize(backend: "StoreBackend", run_id: int,
              meta: Mapping[str, Any] | None = None) -> RunSummary:
    """A run's summary from its series and events (three reads; what listing did per run), its
    LR the judged optimizer's (``keys.judged_label``: a Muon + AdamW hybrid's Muon) by the run's
    ``meta`` (read when not given)."""
    last_loss = backend.last_values(run_id, [keys.LOSS]).get(keys.LOSS)
    if meta is None:
        meta = backend.get_run(run_id).meta
    steps, lr = backend.scalars(run_id, keys.optimizer_key(keys.LR, keys.judged_label(meta)))
    recovered = recoveries(backend.events(run_id, kind=keys.EVENT_ACTION))
    return RunSummary(last_loss, peak_lr(steps, lr, recovered[-1].step if recovered else None))

