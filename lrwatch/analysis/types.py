"""The values analysis takes and gives: curves in, a ``Diagnosis`` out.

These types are the contract between analysis and everything that reads a diagnosis (the CLI,
the dashboard, the guard, reports), so they hold plain numbers and strings only.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np

from lrwatch.errors import ConfigError


class Status(str, Enum):
    """What the curves say about the learning rate."""

    DIVERGING = "diverging"  # loss blows up or goes NaN, gradient norm grows: LR far too high
    OSCILLATING = "oscillating"  # loss swings or spikes without making progress: LR too high
    STALLED = "stalled"  # loss falls extremely slowly or plateaus: LR too low
    HEALTHY = "healthy"  # smooth, steady decrease
    INSUFFICIENT_DATA = "insufficient_data"  # too short to judge
    # several optimizers train against each other (GANs): an adversarial loss is not meant to
    # fall, so it says nothing of the LR; each optimizer's gradient and update health is given
    NO_LR_VERDICT = "no_lr_verdict"


class SymptomName(str, Enum):
    """The names of what the detectors find and classification notes, read by ``classify``
    and ``suggest``: one name each, so a misspelt one fails where it is written (an
    AttributeError) instead of silently changing a diagnosis."""

    # too high
    NONFINITE = "nonfinite"  # the loss went NaN/inf and stayed
    NAN_FROM_START = "nan_from_start"  # ... and was never finite
    CLIMB = "climb"  # the loss climbed before it went NaN
    # a NaN with no climb before it, after the loss trained for many logged points at this LR
    TRAINED_BEFORE_NAN = "trained_before_nan"
    BLOWUP = "blowup"
    EARLY_BLOWUP = "early_blowup"
    SHORT_RISE = "short_rise"  # a log too short for a verdict ends above its first point
    REBOUND = "rebound"
    SPIKES = "spikes"
    RECOVERED_SPIKE = "recovered_spike"
    RECOVERED_NAN = "recovered_nan"
    ABOVE_CHANCE = "above_chance"
    STARTED_ABOVE_CHANCE = "started_above_chance"
    AT_CHANCE = "at_chance"
    DIED = "died"
    GRAD_COLLAPSE = "grad_collapse"
    ALARM = "alarm"
    # progress
    NO_PROGRESS = "no_progress"
    LITTLE_PROGRESS = "little_progress"
    STEADY_FALL = "steady_fall"
    STILL_FALLING = "still_falling"
    STOPPED_IMPROVING = "stopped_improving"
    LEVELLED_OFF = "levelled_off"
    FLAT = "flat"
    PLATEAU = "plateau"
    FLATTENING = "flattening"
    TOO_LOW_NOT_EXCLUDED = "too_low_not_excluded"  # a smooth fall a too-low LR would also make
    # a loss 90% gone and still falling: one run does not place its LR among its neighbours
    NEIGHBOURS_UNTOLD = "neighbours_untold"
    STAIRCASE = "staircase"
    # an epoch log's first point (a whole epoch's mean) already below where training started
    EPOCH_START_HIDDEN = "epoch_start_hidden"
    # the LR and its schedule
    LR_HIGH = "lr_high"
    LR_LOW = "lr_low"
    BELOW_TOP = "below_top"  # the peak LR sits below the top of the usual range
    # a smooth fall at or above the top of the usual range: an LR past the best makes one too
    TOO_HIGH_NOT_EXCLUDED = "too_high_not_excluded"
    # a loss that stopped falling after a small drop, above the usual range: too high is likelier
    STALLED_HIGH = "stalled_high"
    UNSETTLED = "unsettled"  # the loss swung back up or is rough: it does not settle
    WARMUP = "warmup"
    DECAYED = "decayed"
    UPDATE_RATIO_LOW = "update_ratio_low"
    UPDATE_RATIO_HIGH = "update_ratio_high"
    # the validation loss turned up while the training loss kept falling: overfitting
    VAL_TURNED_UP = "val_turned_up"
    # the training loss fell below chance level, the validation loss never did: too high an LR
    VAL_ABOVE_CHANCE = "val_above_chance"
    # ... at an LR at or above the top of the usual range: overfitting or too high an LR
    OVERFIT_AT_TOP = "overfit_at_top"
    # a slow fall with the LR not logged, so it has no place in the usual range: too low is
    # one reading, not the likelier one
    LR_UNPLACED = "lr_unplaced"
    # a little-progress loss that is only noisy (no swing up), up to LR_BEYOND above the range:
    # too high, or a noisy target at a good LR
    NOISY_NEAR_TOP = "noisy_near_top"
    # a fine-tune held back from above at an LR less than FINE_NEAR_DECADES above the
    # fine-tuning range: too high, or a small model whose best LR sits above that range
    FINE_TUNE_NEAR_RANGE = "fine_tune_near_range"
    # a healthy-looking fine-tune LIKELY_HIGH decades or more above the fine-tuning range: a
    # good LR for a small model or a frozen backbone, or one past the best (real-world round 29)
    FINE_TUNE_ABOVE_RANGE = "fine_tune_above_range"
    # a loss that fell 40% or more from its first points and then sat flat, off chance level:
    # it got going and reached a floor (or a level too high an LR holds it at)
    FELL_TO_FLOOR = "fell_to_floor"
    # notes classification adds
    AMBIGUOUS = "ambiguous"  # a flat loss one run cannot read: too low or too high
    FINE_TUNE = "fine_tune"
    EARLY_TRANSIENT = "early_transient"  # a blow-up in the first steps it learned past


class Action(str, Enum):
    """What to do with the learning rate."""

    REDUCE = "reduce"
    INCREASE = "increase"
    ADD_WARMUP = "add_warmup"
    ADD_DECAY = "add_decay"
    RANGE_TEST = "range_test"
    KEEP = "keep"


@dataclass(frozen=True)
class Series:
    """One curve: ``values[i]`` was recorded at optimizer step ``steps[i]``."""

    steps: np.ndarray
    values: np.ndarray

    def __post_init__(self) -> None:
        try:
            steps = np.asarray(self.steps, dtype=np.int64).reshape(-1)
            values = np.asarray(self.values, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"a Series needs integer steps and numeric values ({exc})") from None
        if steps.shape != values.shape:
            raise ConfigError(
                f"a series needs as many steps as values (got {steps.size} and {values.size})")
        object.__setattr__(self, "steps", steps)
        object.__setattr__(self, "values", values)

    def __len__(self) -> int:
        return int(self.steps.size)


@dataclass(frozen=True)
class RangeTestSummary:
    """What an LR range test concluded, when one ran before the training."""

    suggested_lr: float
    lower_lr: float
    upper_lr: float


@dataclass(frozen=True)
class GuardAction:
    """A guard's recovery during the run: at ``step`` it went back to the weights of
    ``restored_step`` and set the LR from ``lr_before`` to ``lr_after``."""

    step: int
    restored_step: int | None
    lr_before: float | None
    lr_after: float | None


@dataclass(frozen=True)
class OptimizerCurves:
    """The gradient norm and update ratio of one optimizer of several (``label``: its key
    suffix, such as ``Adam-1``)."""

    label: str
    grad_norm: Series | None = None
    update_ratio: Series | None = None


@dataclass(frozen=True)
class RunCurves:
    """Everything analysis may use about one run; only ``loss`` is required."""

    loss: Series
    lr: Series | None = None
    grad_norm: Series | None = None
    update_ratio: Series | None = None
    val_loss: Series | None = None
    optimizer: str | None = None  # optimizer class name: "SGD", "AdamW" ...
    momentum: float | None = None  # SGD momentum, when known (0 = plain SGD)
    batch_size: int | None = None
    total_steps: int | None = None  # planned optimizer steps, when known
    range_test: RangeTestSummary | None = None
    fine_tune: bool | None = None  # training starts from pretrained weights, when known
    clip: float | None = None  # the max gradient norm of gradient clipping, when known
    classes: int | None = None  # classes (or vocabulary size) of a cross-entropy loss, when known
    param_count: int | None = None  # the model's parameters, when known (usual LRs fall with it)
    # each loss point summarises an epoch: the log is indexed by epoch (Keras's CSVLogger and
    # TensorBoard ``epoch_loss``), so a point stands for many steps though its index counts 1
    epoch_points: bool = False
    # the guard's recoveries: what follows the last one is judged, at the LR it set
    guard_actions: tuple[GuardAction, ...] = ()
    # the optimizers after the first of a run trained by several (GANs): no LR verdict from
    # the loss; grad_norm and update_ratio above are the first optimizer's
    other_optimizers: tuple[OptimizerCurves, ...] = ()
    # a higher-is-better validation metric (``val_acc``, ``eval_accuracy``, ``val_top1``) and its
    # logged name, when logged: what a sweep ranks its runs by before any loss (only sweeps read it)
    val_metric: Series | None = None
    val_metric_name: str | None = None

    def __post_init__(self) -> None:
        """Check the types here, so a wrong one is named instead of failing deep in analysis."""
        if not isinstance(self.loss, Series):
            raise ConfigError("RunCurves(loss=...) needs a Series(steps, values), got "
                              f"{type(self.loss).__name__}")
        for name in ("lr", "grad_norm", "update_ratio", "val_loss", "val_metric"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Series):
                raise ConfigError(f"RunCurves({name}=...) needs a Series(steps, values) or None, "
                                  f"got {type(value).__name__}")
        if self.optimizer is not None and not isinstance(self.optimizer, str):
            raise ConfigError("RunCurves(optimizer=...) needs the optimizer's class name, e.g. "
                              f"'AdamW', got {self.optimizer!r}")
        if self.momentum is not None and (isinstance(self.momentum, bool)
                                          or not isinstance(self.momentum, numbers.Real)):
            raise ConfigError(f"RunCurves(momentum=...) needs a number, got {self.momentum!r}")
        if not isinstance(self.epoch_points, bool):
            raise ConfigError(f"RunCurves(epoch_points=...) needs True or False, got "
                              f"{self.epoch_points!r}")
        if self.fine_tune is not None and not isinstance(self.fine_tune, bool):
            raise ConfigError(f"RunCurves(fine_tune=...) needs True, False or None, got "
                              f"{self.fine_tune!r}")
        if self.clip is not None and (isinstance(self.clip, bool) or not isinstance(
                self.clip, numbers.Real) or not self.clip > 0):
            raise ConfigError(f"RunCurves(clip=...) needs a positive number, got {self.clip!r}")
        for name in ("batch_size", "total_steps", "classes", "param_count"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(
                    value, numbers.Integral) or value < 1):
                raise ConfigError(f"RunCurves({name}=...) needs a positive integer, got {value!r}")
        if self.range_test is not None and not isinstance(self.range_test, RangeTestSummary):
            raise ConfigError("RunCurves(range_test=...) needs a RangeTestSummary, got "
                              f"{type(self.range_test).__name__}")


@dataclass(frozen=True)
class Evidence:
    """One finding, with numbers a person can check on the curve."""

    message: str  # "loss rose 4.2x over steps 1200-1400 while grad norm grew 60x"
    signal: str  # the curve it was read from: "loss", "grad_norm", "lr", "update_ratio" ...
    start_step: int | None = None
    end_step: int | None = None
    value: float | None = None  # the headline number of the message


@dataclass(frozen=True)
class Suggestion:
    """What to do with the LR, and why."""

    action: Action
    peak_lr: float | None  # the run's peak LR (what was set; warmup and decay do not move it)
    suggested_lr: float | None
    factor: float | None  # suggested / peak; given alone when the LR itself is unknown
    rationale: str

    @property
    def current_lr(self) -> float | None:
        """Deprecated alias of ``peak_lr`` (the name said "current" of what is the peak LR);
        to be removed in the release after 0.1."""
        warnings.warn("Suggestion.current_lr is deprecated: it is the run's peak LR, read "
                      "Suggestion.peak_lr", DeprecationWarning, stacklevel=2)
        return self.peak_lr


@dataclass(frozen=True)
class Diagnosis:
    """The verdict on a run's learning rate."""

    status: Status
    confidence: float  # in [0, 1]
    since_step: int | None  # first step at which the status holds
    steps: int  # optimizer steps analysed
    evidence: tuple[Evidence, ...]
    suggestion: Suggestion
    needed_steps: int | None = None  # for INSUFFICIENT_DATA: steps needed to judge
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    # early divergence signal from the last few steps (NaN/inf, loss or grad-norm jump), set even
    # while the status is not yet DIVERGING: what a live guard acts on
    alarm: Evidence | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (enums as their values, no NaN)."""
        s = self.suggestion
        return {
            "status": self.status.value,
            "confidence": round(float(self.confidence), 4),
            "since_step": self.since_step,
            "steps": self.steps,
            "needed_steps": self.needed_steps,
            "current_lr": _finite(s.peak_lr),  # kept for readers of 0.1 documents
            "peak_lr": _finite(s.peak_lr),
            "suggested_lr": _finite(s.suggested_lr),
            "factor": _finite(s.factor),
            "action": s.action.value,
            "rationale": s.rationale,
            "evidence": [e.message for e in self.evidence],
            "alarm": self.alarm.message if self.alarm is not None else None,
        }


def _finite(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)
