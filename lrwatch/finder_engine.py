"""The LR range test without a training framework: settings, schedule, per-step record, result
and its store entry.

Every front end (``lrwatch.finder`` for Lightning, ``lrwatch.finder_loop`` for a plain PyTorch
or Fabric loop, ``lrwatch.integrations.transformers_finder`` for the Hugging Face Trainer) runs
its own training steps and hands them here: ``RangeTestSettings`` checks the arguments,
``StepRecorder`` gives each step its LR, keeps its loss and says when the loss has blown up,
``RangeTestResult`` reads the curve with ``lrwatch.analysis.rangetest`` and
``store_range_test`` writes it as its own run. torch is imported only where a tensor is touched.
"""

from __future__ import annotations

import math
import numbers
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from lrwatch import keys
from lrwatch.analysis.optimizers import momentum_of
from lrwatch.analysis.rangetest import (
    MIN_STEPS,
    RangeTestReading,
    RangeTestStatus,
    lightning_ema,
    lightning_ema_step,
    read_range_test,
)
from lrwatch.analysis.types import RangeTestSummary
from lrwatch.errors import ConfigError

if TYPE_CHECKING:
    import plotly.graph_objects as go
    import torch

__all__ = ["RangeTestResult", "RangeTestSettings", "StepRecorder", "store_range_test"]

MODES = ("exponential", "linear")
RUN_NAME = "range-test"
Warn = Callable[[str], None]


def _warn(message: str) -> None:
    warnings.warn(message, UserWarning, stacklevel=3)


# -- settings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RangeTestSettings:
    """A range test's arguments, checked: every front end's in one place. Build with
    :meth:`checked`."""

    min_lr: float
    max_lr: float
    num_training: int
    mode: str
    early_stop_threshold: float | None
    fine_tune: bool | None = None  # as given: None detects it (``fine_tune_of``)

    @classmethod
    def checked(cls, min_lr: float, max_lr: float, num_training: int, mode: str,
                early_stop_threshold: float | None, warn: Warn = _warn,
                fine_tune: Any = None, front_end: str = "find_lr",
                steps_arg: str = "num_training") -> RangeTestSettings:
        """Refuse what cannot run (a ``ConfigError`` naming the argument); warn about what
        runs but is unlikely to be read (Lightning runs those, so code written for it does).
        ``front_end``: the function or class called, which every message names;
        ``steps_arg``: its name for ``num_training`` (``LRFinder``'s ``num_training_steps``)."""
        for name, value in (("min_lr", min_lr), ("max_lr", max_lr)):
            if (isinstance(value, bool) or not isinstance(value, numbers.Real)
                    or not math.isfinite(value) or value <= 0):
                raise ConfigError(f"{front_end}: {name}={value!r} must be a positive number")
        if min_lr == max_lr:
            raise ConfigError(f"{front_end}: min_lr and max_lr are both {min_lr!r}; the range "
                              "test needs a range (min_lr below max_lr)")
        if min_lr > max_lr:
            warn(f"{front_end}: min_lr={min_lr!r} is above max_lr={max_lr!r}; testing from "
                 f"{max_lr!r} up to {min_lr!r}")
            min_lr, max_lr = max_lr, min_lr
        if isinstance(num_training, bool) or not isinstance(num_training, numbers.Integral):
            raise ConfigError(f"{front_end}: {steps_arg} must be a whole number of steps, got "
                              f"{num_training!r}")
        if num_training < 1:
            raise ConfigError(f"{front_end}: {steps_arg}={num_training!r} must be at least 1 "
                              "(the default is 100)")
        if num_training < MIN_STEPS:
            warn(f"{front_end}: {steps_arg}={num_training!r} is below {MIN_STEPS}, too few "
                 "steps to tell the loss trend from noise: the test runs but will likely give no "
                 "suggestion; use 100 (the default)")
        if not isinstance(mode, str) or mode.lower() not in MODES:
            raise ConfigError(f"{front_end}: mode={mode!r} is not one of "
                              f"{', '.join(map(repr, MODES))}")
        if early_stop_threshold is not None:
            if (isinstance(early_stop_threshold, bool)
                    or not isinstance(early_stop_threshold, numbers.Real)
                    or math.isnan(early_stop_threshold)):
                raise ConfigError(f"{front_end}: early_stop_threshold={early_stop_threshold!r} "
                                  "must be a number (4.0 stops at 4x the best loss) or None")
            if early_stop_threshold <= 1:
                warn(f"{front_end}: early_stop_threshold={early_stop_threshold!r} is not above 1, "
                     "so the test stops as soon as the loss stops falling; 4.0 is the usual value")
            early_stop_threshold = float(early_stop_threshold)
        if fine_tune is not None and not isinstance(fine_tune, bool):
            raise ConfigError(f"{front_end}: fine_tune={fine_tune!r} must be True (the model "
                              "starts from pretrained weights), False (from scratch) or None "
                              "(detect it)")
        return cls(float(min_lr), float(max_lr), int(num_training), mode.lower(),
                   early_stop_threshold, fine_tune)

    def schedule(self) -> np.ndarray:
        """The LR of each step: ``min_lr`` first, ``max_lr`` last."""
        if self.mode == "exponential":
            return np.geomspace(self.min_lr, self.max_lr, self.num_training)
        return np.linspace(self.min_lr, self.max_lr, self.num_training)

    def fine_tune_of(self, model: torch.nn.Module) -> tuple[bool | None, str]:
        """``fine_tune`` resolved from the model when None: a model with frozen parameters
        (``requires_grad=False``: a frozen backbone, adapters) is being fine-tuned; otherwise
        it stays None and the curve decides. Returns it with the reason, for the reading."""
        if self.fine_tune is not None:
            return self.fine_tune, ""
        sizes = [(p.numel(), p.requires_grad) for p in model.parameters()]
        frozen = sum(size for size, trained in sizes if not trained)
        if not frozen:
            return None, ""
        share = frozen / sum(size for size, _ in sizes)
        return True, (f"{100 * share:.0f}% of the model's parameters are frozen "
                      "(requires_grad=False), as in a fine-tune; pass fine_tune=False if it is "
                      "not one")

    def as_meta(self) -> dict[str, Any]:
        return {"min_lr": self.min_lr, "max_lr": self.max_lr, "num_training": self.num_training,
                "mode": self.mode, "early_stop_threshold": self.early_stop_threshold}


# -- the steps -------------------------------------------------------------------------------


class StepRecorder:
    """Sets each step's LR and keeps its loss; says when the loss has blown up.

    ``None`` for a loss means the step was skipped (a ``training_step`` that returned None):
    it is recorded as NaN, like Lightning, and left out when the curve is read.
    """

    def __init__(self, settings: RangeTestSettings, optimizer: torch.optim.Optimizer) -> None:
        self.settings = settings
        self.schedule = settings.schedule()
        base = [g.get("initial_lr", g["lr"]) for g in optimizer.param_groups]
        self.ratios = [b / base[0] if base[0] else 1.0 for b in base]  # keep layer-wise LRs
        self.lrs: list[float] = []
        self.losses: list[float] = []
        self.skipped: list[bool] = []
        self._ema = 0.0
        self._finite = 0  # finite losses so far
        self._best = math.inf

    def lr(self, step: int) -> float:
        return float(self.schedule[min(step, len(self.schedule) - 1)])

    def set_lr(self, optimizer: Any, step: int) -> None:
        """Give every parameter group the LR of ``step`` (from 0), keeping their ratios."""
        lr = self.lr(step)
        for group, ratio in zip(optimizer.param_groups, self.ratios):
            group["lr"] = lr * ratio

    def record(self, step: int, loss: float | None) -> bool:
        """Keep the loss of ``step``; True when the test should stop: a non-finite loss, or
        Lightning's rule (its smoothed loss above ``early_stop_threshold`` x its best)."""
        self.lrs.append(self.lr(step))
        self.skipped.append(loss is None)
        self.losses.append(math.nan if loss is None else float(loss))
        if loss is None:
            return False
        if not math.isfinite(loss):
            return True
        self._finite += 1
        # the step's index in the test, as lightning_ema counts it
        self._ema, smoothed = lightning_ema_step(self._ema, float(loss), len(self.losses) - 1)
        threshold = self.settings.early_stop_threshold
        stop = (threshold is not None and self._finite > 1 and self._best > 0
                and smoothed > threshold * self._best)
        self._best = min(self._best, smoothed)
        return stop

    @property
    def done(self) -> bool:
        return len(self.lrs) >= self.settings.num_training


# -- the result ------------------------------------------------------------------------------


class RangeTestResult:
    """What a range test found: Lightning's ``_LRFinder`` interface, plus the reading.

    Attributes:
        results: ``{"lr": [...], "loss": [...]}`` as Lightning gives it (``loss`` is smoothed
            with Lightning's debiased EMA, NaN at skipped steps), plus ``"raw_loss"``: the loss
            of each step, and ``"smoothed_loss"``: lrwatch's lag-free smoothing.
        reading: the full ``RangeTestReading`` (status, safe range, reason, Lightning's pick).
        run_uid: the store entry of this test, when it was stored.
    """

    def __init__(self, recorder: StepRecorder, optimizer: str | None, momentum: float | None,
                 run_uid: str | None = None, fine_tune: bool | None = False,
                 fine_tune_because: str = "") -> None:
        settings = recorder.settings
        self.mode = settings.mode
        self.lr_min = settings.min_lr
        self.lr_max = settings.max_lr
        self.num_training = settings.num_training
        self.optimizer = optimizer
        self.momentum = momentum
        self.run_uid = run_uid
        self.fine_tune = fine_tune  # as given: None detects it from the curve
        self._fine_tune_because = fine_tune_because
        self._lrs = np.asarray(recorder.lrs, dtype=np.float64)
        self._raw = np.asarray(recorder.losses, dtype=np.float64)
        self._skipped = np.asarray(recorder.skipped, dtype=bool)
        self.reading = self.read()
        smoothed = np.full(len(self._raw), np.nan)
        smoothed[self._curve()[0]] = self.reading.smoothed
        self.results: dict[str, list[float]] = {
            "lr": self._lrs.tolist(),
            "loss": lightning_ema(self._raw).tolist(),
            "raw_loss": self._raw.tolist(),
            "smoothed_loss": smoothed.tolist(),
        }

    @classmethod
    def of(cls, recorder: StepRecorder, optimizer: torch.optim.Optimizer,
           fine_tune: tuple[bool | None, str]) -> RangeTestResult:
        """The result of a test recorded by ``recorder`` with ``optimizer`` (its class name and
        momentum are kept); ``fine_tune``: ``RangeTestSettings.fine_tune_of``'s answer."""
        return cls(recorder, type(optimizer).__name__, momentum_of(optimizer.param_groups[0]),
                   fine_tune=fine_tune[0], fine_tune_because=fine_tune[1])

    def read(self, skip_begin: int | None = None, skip_end: int | None = None
             ) -> RangeTestReading:
        """Read the curve (lrwatch's rule) without the first ``skip_begin`` and last
        ``skip_end`` steps, when given; see ``_curve`` for skipped steps."""
        use, losses = self._curve(skip_begin, skip_end)
        begin, end = max(skip_begin or 0, 0), max(skip_end or 0, 0)
        return read_range_test(self._lrs[use], losses[use], optimizer=self.optimizer,
                               momentum=self.momentum,
                               planned_steps=max(self.num_training - begin - end, 1),
                               fine_tune=self.fine_tune,
                               fine_tune_because=self._fine_tune_because)

    def _curve(self, skip_begin: int | None = None, skip_end: int | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """The steps the rule reads and their losses. A skipped step (no loss) between two
        finite losses gets the loss interpolated between them, so a few skipped steps neither
        end the curve (as a NaN would) nor shorten it below what the rule needs; skipped steps
        at either end, or past a non-finite loss, are left out."""
        n = len(self._raw)
        index = np.arange(n)
        inside = (index >= max(skip_begin or 0, 0)) & (index < n - max(skip_end or 0, 0))
        measured = inside & ~self._skipped
        finite = measured & np.isfinite(self._raw)
        losses = self._raw.copy()
        if not finite.any():
            return measured, losses
        bad = index[measured & ~finite]
        last = min(int(index[finite].max()), int(bad[0]) if bad.size else n)
        fill = inside & self._skipped & (index > index[finite].min()) & (index < last)
        losses[fill] = np.interp(index[fill], index[finite], self._raw[finite])
        return measured | fill, losses

    def suggestion(self, skip_begin: int | None = None, skip_end: int | None = None
                   ) -> float | None:
        """The suggested starting LR, or None when the curve cannot be read (see ``reason``).

        ``skip_begin``/``skip_end`` leave that many steps out of the curve at its start and
        end, as in Lightning; lrwatch's rule needs neither, so by default none are left out.
        """
        if skip_begin is None and skip_end is None:
            return self.reading.suggested_lr
        return self.read(skip_begin, skip_end).suggested_lr

    @property
    def status(self) -> RangeTestStatus:
        return self.reading.status

    @property
    def reason(self) -> str:
        """Why this suggestion, or why none: a sentence with the numbers read off the curve."""
        return self.reading.reason

    @property
    def lower(self) -> float | None:
        """Lower end of the safe range: below it the loss barely moved."""
        return self.reading.lower_lr

    @property
    def upper(self) -> float | None:
        """Upper end of the safe range: above it the loss stopped falling."""
        return self.reading.upper_lr

    @property
    def lightning_suggestion(self) -> float | None:
        """What Lightning's steepest-descent rule (2.5.3+) picks from the same curve."""
        return self.reading.lightning_lr

    @property
    def stopped_early(self) -> bool:
        return len(self._lrs) < self.num_training

    def summary(self) -> RangeTestSummary | None:
        """Suggestion and safe range for a run's metadata, or None when inconclusive."""
        return self.reading.summary()

    def plot(self, suggest: bool = True) -> go.Figure:
        """Loss against LR as a plotly figure; with ``suggest``, lrwatch's pick, the safe range
        and Lightning's pick. Drawn by ``lrwatch.figures``, as in the dashboard."""
        from lrwatch.figures import range_test_figure

        r = self.reading
        picks: dict[str, Any] = dict(suggested_lr=r.suggested_lr, lower_lr=r.lower_lr,
                                     upper_lr=r.upper_lr, lightning_lr=r.lightning_lr)
        fig = range_test_figure(self.results["lr"], self.results["raw_loss"],
                                smoothed=self.results["smoothed_loss"],
                                **(picks if suggest else {}))
        if self.mode == "linear":
            fig.update_xaxes(type="linear", tickformat=None)
        smoothed = r.smoothed[np.isfinite(r.smoothed)]
        if smoothed.size:  # from the bottom to a bit above the start: the blow-up runs off
            low, high = float(smoothed.min()), float(max(smoothed[0], smoothed.min()))
            pad = 0.1 * (high - low) or 0.1 * abs(high) or 0.1
            fig.update_yaxes(range=[low - pad, high + 2 * pad])
        return fig

    def report(self, warn: Warn = _warn, info: Warn | None = None) -> None:
        """Say what the test found: a warning when the suggestion is missing or weak."""
        r = self.reading
        steps = len(self.results["lr"])
        if r.status is RangeTestStatus.INCONCLUSIVE:
            warn(f"find_lr: no suggestion after {steps} steps: {r.reason}")
        elif r.status in (RangeTestStatus.STILL_FALLING, RangeTestStatus.EDGE_ONLY):
            warn(f"find_lr: suggesting {r.suggested_lr:.3g}, but {r.reason}")
        elif info is not None:
            info(f"find_lr: suggesting {r.suggested_lr:.3g} (safe range {r.lower_lr:.3g} to "
                 f"{r.upper_lr:.3g}; Lightning's rule: {_fmt(r.lightning_lr)}); "
                 + ("stopped early: " if self.stopped_early else "") + r.reason)

    def __repr__(self) -> str:
        r = self.reading
        return (f"RangeTestResult(status={r.status.value!r}, suggestion={r.suggested_lr!r}, "
                f"lower={r.lower_lr!r}, upper={r.upper_lr!r}, steps={len(self.results['lr'])})")


def _fmt(x: float | None) -> str:
    return "none" if x is None else f"{x:.3g}"


# -- the store -------------------------------------------------------------------------------


def store_range_test(path: str | Path, result: RangeTestResult, meta: dict[str, Any],
                     settings: RangeTestSettings, frameworks: dict[str, str] | None = None,
                     warn: Warn = _warn, name: str = RUN_NAME) -> str | None:
    """Write the test as its own run (``kind: "range_test"``, named ``name``) in the store at
    ``path``, its metadata ``meta`` with the settings and the versions of lrwatch, torch,
    Python and the front end's ``frameworks``; its uid, or None with a warning when the store
    cannot be written (the result matters more)."""
    from lrwatch.store import FINISHED, PendingEvent, Store

    r = result.reading
    raw = np.asarray(result.results["raw_loss"])
    steps = np.arange(len(raw), dtype=np.int64)
    payload = {
        "status": r.status.value,
        "suggested_lr": r.suggested_lr,
        "lower_lr": r.lower_lr,
        "upper_lr": r.upper_lr,
        "reason": r.reason,
        "lightning_suggestion": r.lightning_lr,
        "fine_tune": r.fine_tune,
        "steps": int(len(raw)),
    }
    full_meta = {"kind": keys.RUN_RANGE_TEST, "optimizer": result.optimizer,
                 "momentum": result.momentum, **meta, "settings": settings.as_meta(),
                 "versions": versions(**(frameworks or {}))}
    try:
        with Store(path) as store:
            run = store.create_run(name, full_meta)
            columns = {
                keys.LR: (steps, np.asarray(result.results["lr"])),
                keys.LOSS: (steps, raw),
                keys.LOSS_SMOOTHED: (steps, np.asarray(result.results["smoothed_loss"])),
            }
            event = PendingEvent(step=max(len(raw) - 1, 0), kind=keys.EVENT_RANGE_TEST,
                                 payload=payload, time=time.time())
            store.append(run, columns, [event])
            store.set_status(run, FINISHED)
    except Exception as error:  # the result matters more than its record
        warn(f"find_lr: could not store the range test in {path}: {error}")
        return None
    return run.uid


def versions(**frameworks: str) -> dict[str, str]:
    """lrwatch, torch and Python versions, plus the front end's framework versions."""
    import platform

    import torch

    from lrwatch._version import __version__

    return {"lrwatch": __version__, "torch": torch.__version__, **frameworks,
            "python": platform.python_version()}
