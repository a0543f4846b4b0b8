"""The live guard: diagnose while training runs, warn on each change, stop or recover.

``Guard`` knows torch and ``lrwatch.analysis``, not Lightning: the callback feeds it the rows
the recorder hands over (host numpy arrays), asks it for a decision, and lets it act on the
module, optimizers and schedulers it passes in.

- Every ``check_every_n_steps`` the online analyzer gives a full diagnosis; news is one warning
  (rank 0, through the ``lrwatch`` logger) and one event in the store. News is a change of
  status, or a suggested LR that moved ``RENOUNCE_RATIO`` or more from the one announced (the
  user acts on the number). ``diverging`` is announced at once; other news once it held for two
  checks in a row (three where it goes back to the status announced before the current one), so
  mini-batch noise near a boundary does not make the status flicker; a change between two trend
  readings (healthy / stalled) that neither claim more than 0.5 confidence is not news unless
  the advice moves (to "reduce", say; a range test either way is no move). A run
  trained by several optimizers (GANs) gets no verdict from its loss (an adversarial loss is not
  meant to fall): only its alarms are watched. The final verdict at train end is the callback's.
- Divergence (the status, or the analyzer's early alarm, which sees every row: a NaN/inf loss or
  gradient, or a jump of the loss or gradient norm far above its recent robust level) is acted
  on according to ``on_diverge``; a diverging status without an alarm only where it names a
  move, claims at least ``ACT_CONFIDENCE`` and the loss stands above its first logged value (one
  that sits where it started, at chance level say, is announced: a model not learning yet looks
  so at a too-low LR too).
  ``stalled`` and ``oscillating`` only ever warn.
- ``recover`` restores the newest healthy snapshot taken before the trouble began (model,
  optimizers and schedulers, copied to CPU every ``snapshot_every_n_steps`` steps), scales every
  LR and every scheduler's base LRs so that the LR from there on tops out at a factor times the
  LR that diverged (a warmup goes on rising, to that top; ``schedule_top``), starts a fresh
  analyzer (the run goes on at a new LR: the old peak must not shape the new verdicts),
  optionally drops the gradients of the next ``skip_batches`` steps, and goes on; after
  ``max_recoveries`` it stops. Factors compound: a second recovery that goes back to a snapshot
  from before the first still lands below the first one's LR. The batches between the snapshot and the divergence are not
  replayed: the data goes on where it was.
- Under DDP every rank watches its own loss and the decision is OR-ed across ranks (one
  all-reduce of a few numbers every ``DDP_DECISION_EVERY`` steps): a spike on any rank is acted
  on, by all ranks at the same step.
- ``on_spike="skip"`` (opt-in) drops the update of an outlier step: its loss or gradient norm far
  above the last steps' (``SpikeFilter``). The step's loss (max over ranks) and gradient norm are
  read on the host once per step, so every rank decides alike from the same numbers.
"""

from __future__ import annotations

import copy
import logging
import math
import numbers
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import torch

from lrwatch import keys
from lrwatch.analysis import Diagnosis, OnlineAnalyzer, Status
from lrwatch.analysis.curve import MAD_TO_SIGMA
from lrwatch.analysis.types import Action
from lrwatch.config import set_checked_int
from lrwatch.errors import ConfigError

log = logging.getLogger("lrwatch")

ON_DIVERGE = ("warn", "stop", "recover")
ON_SPIKE = (None, "skip")
# Under DDP, the ranks' decisions are OR-ed at steps that are multiples of this, so all ranks act
# at the same step (an all-reduce costs a round trip; not every step).
DDP_DECISION_EVERY = 10
# An outlier step for on_spike="skip", after OLMo-core's SkipStepOptimizer
# (src/olmo_core/optim/skip_step_optimizer.py): the loss or gradient norm more than 6 sigma above
# the last 128 steps, judged once 64 steps are in the window. Unlike OLMo the level and spread
# are the median and MAD: a spike recurring at rate p in a mean/std window keeps its own z-score
# below sqrt((1 - p) / p), so spikes every 10 steps (z <= 3) would never count as outliers.
SPIKE_SIGMAS = 6.0
SPIKE_WINDOW = 128
SPIKE_WARMUP = 64
# Outliers this many steps in a row are a new level, not a spike (llm-foundry's KillLossSpike
# calls 5 consecutive high steps a persistent rise): updates go on, the divergence guard judges.
MAX_CONSECUTIVE_SKIPS = 5
SNAPSHOTS_KEPT = 2
# A suggested LR this many times above or below the one announced is news worth a new line: the
# factor the suggestions' own error spans (BENCHMARKS.md, diagnosis: the median suggestion is
# 3.3x from the sweep's best LR), so a smaller move is within what the advice can tell apart.
RENOUNCE_RATIO = 3.0
# Checks in a row a status other than diverging must hold to be announced; a status that goes
# back to the one announced before the current one must hold longer. Replayed live on the public
# logs (BENCHMARKS.md, "Live round 2") most back-and-forths (A -> B -> A) were a trend statistic
# hovering at its threshold, the return coming a median 9 points after the change.
NEWS_CHECKS = 2
RETURN_CHECKS = 3
# A change between two trend readings (healthy / stalled) neither of which claims more than this
# confidence is not news: at <= 0.5 the rules say they cannot tell the two apart (BENCHMARKS.md,
# "Live round 2": 417 of 598 back-and-forths were such readings).
UNSURE_TREND = 0.5
# A diverging verdict below this confidence (one reading of several: a blow-up in the first
# steps that came back to chance level, which a too-low LR's loss shows too) is announced, not
# acted on. Replayed live on every labelled side (2195 runs): good runs stopped 5 -> 2, too-high
# runs stopped 172 -> 168 (3 of the 4 at their last point, one 5% of its run later).
ACT_CONFIDENCE = 0.5
# Scheduler steps a recovery looks ahead for the highest LR its schedule reaches (a warmup's
# peak): about 2.4 us a step for LambdaLR and SequentialLR (LinearLR, then cosine), 3.8 us for
# OneCycleLR (wall time on the development machine): 0.1-0.2 s once per recovery at the most.
SCHEDULE_LOOKAHEAD = 50_000
# LR keys of a param group that a recovery scales (OneCycleLR keeps max_lr/min_lr there).
_GROUP_LR_KEYS = ("lr", "initial_lr", "max_lr", "min_lr")


@dataclass(frozen=True)
class GuardConfig:
    """How the guard acts.

    Args:
        on_diverge: "warn" (record and warn only), "stop" (end training cleanly, run marked
            diverged) or "recover" (roll back, lower the LR, go on).
        check_every_n_steps: steps between full diagnoses (a diagnosis costs about a
            millisecond; divergence alarms are checked on every new row regardless).
        snapshot_every_n_steps: steps between CPU snapshots kept for ``recover``.
        max_recoveries: recoveries before the guard gives up and stops.
        lr_factor: LR multiplier on recovery (the LR from there on is at most this times the LR
            that diverged); None takes the diagnosis's suggestion (about 0.1
            when diverging; 0.5 for a sudden NaN after the loss trained, which a recurrence
            lowers again).
        skip_batches: after a recovery, the next n optimizer steps are skipped (their
            gradients dropped).
        on_spike: None, or "skip": drop the update of an outlier step (``SpikeFilter``).
    """

    on_diverge: str = "warn"
    check_every_n_steps: int = 100
    snapshot_every_n_steps: int = 100
    max_recoveries: int = 3
    lr_factor: float | None = None
    skip_batches: int = 0
    on_spike: str | None = None

    def __post_init__(self) -> None:
        if self.on_diverge not in ON_DIVERGE:
            raise ConfigError(
                f"on_diverge must be one of {', '.join(ON_DIVERGE)}; got {self.on_diverge!r}")
        if self.on_spike not in ON_SPIKE:
            raise ConfigError(f"on_spike must be None or 'skip', got {self.on_spike!r}")
        for name in ("check_every_n_steps", "snapshot_every_n_steps"):
            set_checked_int(self, name)
        for name in ("max_recoveries", "skip_batches"):
            set_checked_int(self, name, minimum=0)
        factor = self.lr_factor
        if factor is not None and (isinstance(factor, bool) or not isinstance(factor, numbers.Real)
                                   or not 0 < factor < 1):
            raise ConfigError(f"lr_factor must be a number in (0, 1) to lower the LR, got {factor!r}")

    @property
    def acts(self) -> bool:
        return self.on_diverge != "warn"

    @property
    def on_every_rank(self) -> bool:
        """Whether every rank runs a guard (it acts on the training), not rank 0 alone."""
        return self.acts or self.on_spike is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Decision:
    """What the guard decided at ``step`` (under DDP: all ranks together, see ``agree``)."""

    action: str  # "stop" | "recover"
    step: int
    reason: str
    lr_factor: float
    restore_step: int | None = None  # the snapshot to go back to (recover)


@dataclass
class Snapshot:
    step: int
    module: dict[str, Any]
    optimizers: list[dict[str, Any]]
    schedulers: list[dict[str, Any]]
    lr_scale: float  # the guard's cumulative LR scale when the snapshot was taken


@dataclass
class Notice:
    """A change the callback reports: a warning line and an event for the store."""

    step: int
    kind: str
    message: str
    payload: dict[str, Any] = field(default_factory=dict)
    log: bool = True  # False: an event only (a repeat already announced once)


def _to_cpu(state: Any) -> Any:
    """A deep copy of a state dict with every tensor moved to CPU."""
    if isinstance(state, torch.Tensor):
        return state.detach().to("cpu", copy=True)
    if isinstance(state, dict):
        return {k: _to_cpu(v) for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(_to_cpu(v) for v in state)
    return copy.deepcopy(state)


class Guard:
    """Decides on rank 0, acts on every rank. See the module docstring."""

    def __init__(self, config: GuardConfig, make_analyzer: Callable[[], OnlineAnalyzer],
                 run_name: str, judge_loss: bool = True, label: str | None = None,
                 judged: int = 0) -> None:
        self.config = config
        self.judge_loss = judge_loss  # False with several optimizers: alarms only
        self.label = label  # the judged optimizer's key label (None: the first's plain keys)
        self.judged = judged  # its index: a recovery reports its LR (the one the loss is judged by)
        self._make_analyzer = make_analyzer
        self.analyzer = make_analyzer()
        self.run_name = run_name
        self.recoveries = 0
        # product of the LR factors of all recoveries so far: a recovery that goes back to a
        # snapshot from before an earlier one still ends up below that earlier LR
        self.lr_scale = 1.0
        self.skip_remaining = 0
        self.stopped_reason: str | None = None
        self._announced: Diagnosis | None = None
        self._candidate: Diagnosis | None = None  # news seen once, not yet announced
        self._held = 0  # checks in a row the candidate held
        self._before: Diagnosis | None = None  # the diagnosis announced before the last one
        self._alarm_step: int | None = None
        self._snapshots: list[Snapshot] = []
        self._last_check = -1  # the last step a full diagnosis covered
        self._fresh = False  # rows arrived since the last check
        self._nonfinite: str | None = None  # a NaN/inf the recorder flagged, not yet acted on
        self.rows_seen = 0  # rows the alarm looked at, all analyzers together
        self._own_losses: list[tuple[int, torch.Tensor]] = []  # a rank without a recorder's
        self.spikes = SpikeFilter() if config.on_spike == "skip" else None
        self.skipped_steps = 0
        self._step_loss: torch.Tensor | None = None  # this step's backward losses, summed

    # -- rank 0: watch -----------------------------------------------------------------------
    def observe(self, rows: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        """Feed the analyzer the rows the recorder just handed over."""
        if keys.LOSS not in rows:
            return
        if keys.NONFINITE in rows and self._nonfinite is None:
            flagged = int(rows[keys.NONFINITE][0][0])
            self._nonfinite = f"a gradient or the loss is NaN/inf at step {flagged}"
        steps, loss = rows[keys.LOSS]
        self._fresh = True
        self.rows_seen += int(steps.size)
        self.analyzer.update(steps, loss, **{
            name: _aligned(rows.get(keys.optimizer_key(base, self.label)), steps)
            for name, base in (("lr", keys.LR), ("grad_norm", keys.GRAD_NORM),
                               ("update_ratio", keys.UPDATE_RATIO))
        })

    def add_own_loss(self, step: int, loss: torch.Tensor) -> None:
        """On a rank without a recorder (DDP rank k > 0): keep its loss of ``step`` on the
        device until the next decision step."""
        self._own_losses.append((step, loss.detach().reshape(())))

    def observe_own_losses(self) -> None:
        """Feed the analyzer the losses kept by ``add_own_loss`` (one host copy for all)."""
        if not self._own_losses:
            return
        steps = np.array([s for s, _ in self._own_losses], dtype=np.int64)
        values = torch.stack([v.float() for _, v in self._own_losses]).cpu().numpy()
        self._own_losses.clear()
        self.observe({keys.LOSS: (steps, values.astype(np.float64))})

    def check(self, step: int) -> tuple[list[Notice], Decision | None]:
        """Notices of what changed, and a decision when divergence must be acted on.

        Only new rows are looked at: with the recorder copying every k steps to the host, the
        guard sees (and acts) at most k steps late; ``on_diverge`` "stop"/"recover" copy every
        step by default. An alarm names the step of the row that raised it.
        """
        notices: list[Notice] = []
        if not self._fresh or not self.analyzer.points:
            return notices, None
        self._fresh = False
        found = self.analyzer.diverging_now()
        alarm = found.message if found is not None else self._nonfinite
        alarm_row = found.end_step if found is not None and found.end_step is not None else step
        # the first step of the alarm's window: its update already took the bad gradients, so
        # a snapshot taken at that step holds damaged weights
        alarm_began = found.start_step if found is not None and found.start_step is not None \
            else alarm_row
        # decided before this check's diagnosis: where a block brings both the alarm and a new
        # "diverging" verdict, the alarm's line (the row that raised it) comes first
        alarm_news = alarm is not None and self._alarm_step is None \
            and self.status != Status.DIVERGING
        diagnosis: Diagnosis | None = None
        seen = self.analyzer.last_step if self.analyzer.last_step is not None else step
        if self.judge_loss and (seen - self._last_check >= self.config.check_every_n_steps
                                or alarm is not None):
            self._last_check = seen
            diagnosis = self.analyzer.diagnose()
            if self._is_news(diagnosis):
                self._announced = diagnosis
                notices.append(Notice(step, keys.EVENT_DIAGNOSIS,
                                      f"lrwatch: run '{self.run_name}' is {describe(diagnosis)}",
                                      {**diagnosis.to_dict(), "seen_at": step}))
        if alarm_news:
            self._alarm_step = alarm_row
            late = f" (seen at step {step})" if alarm_row != step else ""
            notices.insert(0, Notice(alarm_row, keys.EVENT_DIAGNOSIS,
                                     f"lrwatch: run '{self.run_name}' is blowing up at step "
                                     f"{alarm_row}{late}: {alarm}",
                                     {"status": "alarm", "evidence": [alarm], "seen_at": step}))
        elif alarm is None and (diagnosis is None or diagnosis.status != Status.DIVERGING):
            self._alarm_step = None
        # a diverging verdict that cannot say how far the LR is off (a rise over a log too short
        # for a verdict, at 0.5: on the first points of longer runs it fired on 3 of 1151 healthy
        # or too-low ones) is announced, not acted on: the guard acts on an alarm, or on a
        # verdict that names a move. So is a verdict on a loss that stands no higher than where
        # it started (at or above chance level from the first points: a model that has not
        # learned yet, which a too-low LR shows as well as a too-high one): nothing is blowing
        # up that stopping or rolling back would save, and on the public logs replayed live
        # (BENCHMARKS.md, "Live advice on public training logs") such verdicts stopped healthy
        # or too-low runs of several sources in their first tenth.
        diverging = alarm is not None or (
            diagnosis is not None and diagnosis.status == Status.DIVERGING
            and diagnosis.suggestion.action is not Action.RANGE_TEST
            and diagnosis.confidence >= ACT_CONFIDENCE
            and self.analyzer.above_start())
        if not diverging or not self.config.acts:
            return notices, None
        if diagnosis is None:
            diagnosis = self.analyzer.diagnose()
        return notices, self._decide(step, diagnosis, alarm,
                                     alarm_began if alarm is not None else None)

    @property
    def status(self) -> Status | None:
        """The status last announced."""
        return self._announced.status if self._announced is not None else None

    def _is_news(self, diagnosis: Diagnosis) -> bool:
        """Whether ``diagnosis`` is worth a new line now (see the module docstring)."""
        if diagnosis.status == Status.INSUFFICIENT_DATA or not _differs(
                diagnosis, self._announced) or _both_unsure(diagnosis, self._announced):
            self._candidate = None
            self._held = 0
            return False
        if diagnosis.status != Status.DIVERGING:
            if self._candidate is not None and not _differs(diagnosis, self._candidate):
                self._held += 1
            else:
                self._candidate, self._held = diagnosis, 1
            back = self._before is not None and diagnosis.status == self._before.status
            if self._held < (RETURN_CHECKS if back else NEWS_CHECKS):
                return False
        self._candidate = None
        self._held = 0
        self._before = self._announced
        return True

    def snapshot_due(self, step: int) -> bool:
        """Whether to take a snapshot now: one is due, and the run looks worth going back to
        (this rank's view; under DDP the engine takes one only when every rank agrees)."""
        last = self._snapshots[-1].step if self._snapshots else None
        due = last is None or step - last >= self.config.snapshot_every_n_steps
        return due and self._alarm_step is None and self.status != Status.DIVERGING

    def _decide(self, step: int, diagnosis: Diagnosis, alarm: str | None,
                alarm_began: int | None = None) -> Decision:
        reason = alarm or (diagnosis.evidence[0].message if diagnosis.evidence else "diverging")
        suggested = diagnosis.suggestion.factor
        factor = self.config.lr_factor or (
            suggested if suggested is not None and 0 < suggested < 1
            and diagnosis.suggestion.action is Action.REDUCE else 0.1)
        if self.config.on_diverge == "stop" or self.recoveries >= self.config.max_recoveries:
            if self.config.on_diverge == "recover":
                reason = f"gave up after {self.recoveries} recoveries; {reason}"
            return Decision("stop", step, reason, factor)
        began = diagnosis.since_step if diagnosis.status == Status.DIVERGING else None
        began = min(x for x in (began, self._alarm_step, alarm_began, step) if x is not None)
        older = [s.step for s in self._snapshots if s.step < began]
        restore = max(older) if older else (min(s.step for s in self._snapshots)
                                            if self._snapshots else None)
        if restore is None:
            return Decision("stop", step, f"no snapshot to recover from yet; {reason}", factor)
        return Decision("recover", step, reason, factor, restore)

    # -- every rank: agree -----------------------------------------------------------------------
    def agree(self, step: int, decision: Decision | None, snapshot: bool, rank: int,
              device: torch.device) -> tuple[Decision | None, bool]:
        """The decision of all ranks together (DDP): any rank's decision is acted on by all,
        the earliest snapshot and smallest LR factor any rank asked for win, a stop beats a
        recovery, and a snapshot is taken only when every rank finds the run worth it. One
        all-reduce of a few numbers."""
        vote = torch.tensor(encode_vote(decision, snapshot, rank), dtype=torch.float64,
                            device=device)
        return decode_vote(all_ranks_max(vote).tolist(), step, decision)

    # -- every rank: skip spikes ---------------------------------------------------------------
    def add_backward_loss(self, loss: torch.Tensor) -> None:
        """A loss whose gradients this optimizer step takes (accumulated micro-batches add up)."""
        loss = loss.detach().float().reshape(())
        self._step_loss = loss if self._step_loss is None else self._step_loss + loss

    def spike_check(self, step: int, optimizer: torch.optim.Optimizer) -> Notice | None:
        """``on_spike="skip"``: a Notice when this step is an outlier whose update the caller
        must drop, else None. Judges the step's loss (the max over ranks) and gradient norm, read
        on the host together, so every rank decides alike."""
        loss, self._step_loss = self._step_loss, None
        grads = [p.grad for g in optimizer.param_groups for p in g["params"] if p.grad is not None]
        if self.spikes is None or loss is None or not grads:
            return None
        norm = total_norm(grads)
        loss_max, grad_norm = all_ranks_max(torch.stack([loss.to(norm.device), norm])).tolist()
        reason = self.spikes.judge(loss_max, grad_norm)
        if reason is None:
            return None
        self.skipped_steps += 1
        first = self.skipped_steps == 1
        return Notice(step, keys.EVENT_ACTION,
                      f"lrwatch: skipped the update of step {step} in run '{self.run_name}': "
                      f"{reason}" + ("; further skips are counted, each an event in the store"
                                     if first else ""),
                      {"action": "skip", "reason": reason, "loss": loss_max,
                       "grad_norm": grad_norm, "skipped_steps": self.skipped_steps},
                      log=first)

    # -- every rank: act -----------------------------------------------------------------------
    def snapshot(self, step: int, module: torch.nn.Module, optimizers: Sequence[torch.optim.Optimizer],
                 schedulers: Sequence[Any]) -> None:
        """Keep a CPU copy of everything a recovery restores (the newest few are kept)."""
        self._snapshots.append(Snapshot(
            step=step,
            module=_to_cpu(module.state_dict()),
            optimizers=[_to_cpu(o.state_dict()) for o in optimizers],
            schedulers=[_to_cpu(s.state_dict()) for s in schedulers],
            lr_scale=self.lr_scale,
        ))
        del self._snapshots[:-SNAPSHOTS_KEPT]

    def recover(self, decision: Decision, module: torch.nn.Module,
                optimizers: Sequence[torch.optim.Optimizer], schedulers: Sequence[Any],
                total_steps: int | None = None) -> dict[str, Any]:
        """Go back to the decision's snapshot, lower the LRs, and say what was done.

        The judged optimizer's LR from there on tops out at ``lr_factor`` times the LR it
        diverged at: the schedule (``schedulers``, looked at ``SCHEDULE_LOOKAHEAD`` steps ahead,
        no further than ``total_steps``) is scaled so that its highest LR to come is that one. In
        a warmup the LR goes on rising, to that top (scaled by ``lr_factor`` alone, a warmup
        that blew up part way went on to its full peak times the factor: above the LR it set);
        past a schedule's peak it goes on from that LR. A schedule that cannot be looked ahead
        is scaled by ``lr_factor`` (``lr_top`` None)."""
        snap = next(s for s in self._snapshots if s.step == decision.restore_step)
        judged = optimizers[self.judged] if self.judged < len(optimizers) else None
        lr_before = judged.param_groups[0]["lr"] if judged is not None and judged.param_groups \
            else None
        module.load_state_dict(snap.module)
        for optimizer, state in zip(optimizers, snap.optimizers):
            optimizer.load_state_dict(state)
        for scheduler, state in zip(schedulers, snap.schedulers):
            scheduler.load_state_dict(state)
        self.analyzer = self._make_analyzer()
        ahead = SCHEDULE_LOOKAHEAD if total_steps is None else max(
            0, min(SCHEDULE_LOOKAHEAD, total_steps - snap.step))
        top = schedule_top(judged, optimizers, schedulers, ahead) \
            if judged is not None and lr_before is not None else None
        if top is not None and top > 0 and math.isfinite(top):
            scale = decision.lr_factor * lr_before / top  # type: ignore[operator]
            target = snap.lr_scale * scale
        else:  # by the factor alone, against the LR scale the snapshot was taken at
            top = None
            target = self.lr_scale * decision.lr_factor
            scale = target / snap.lr_scale
        scale_lrs(optimizers, schedulers, scale)
        self.lr_scale = target
        self.recoveries += 1
        self.skip_remaining = self.config.skip_batches
        self._alarm_step = None
        self._nonfinite = None
        self._announced = self._candidate = self._before = None
        self._held = 0
        self._last_check = decision.step
        self._snapshots = [s for s in self._snapshots if s.step <= snap.step]
        return {
            "action": "recover", "recovery": self.recoveries, "restored_step": snap.step,
            "lr_factor": decision.lr_factor, "lr_scale": target,
            "lr_before": lr_before,  # the judged optimizer's: a hybrid's Muon, not its AdamW
            "lr_after": judged.param_groups[0]["lr"] if lr_before is not None else None,
            # the highest LR the schedule takes it to from here (lr_after unless it rises)
            "lr_top": top * scale if top is not None else None,
            "skip_batches": self.config.skip_batches, "reason": decision.reason,
        }


class SpikeFilter:
    """Tells outlier steps apart (``on_spike="skip"``): a loss or gradient norm more than
    SPIKE_SIGMAS robust sigmas (median, MAD) above the last SPIKE_WINDOW steps' level, once
    SPIKE_WARMUP steps are in. Every finite value enters the window, skipped or not, so a level
    that truly moved is the new normal within half a window; and after MAX_CONSECUTIVE_SKIPS
    outliers in a row updates go on anyway. NaN/inf is left to AMP's scaler and the divergence
    guard."""

    def __init__(self) -> None:
        self._windows = {name: _Window(SPIKE_WINDOW) for name in ("loss", "grad norm")}
        self.in_a_row = 0

    def judge(self, loss: float, grad_norm: float) -> str | None:
        """Why this step is an outlier to skip, or None."""
        found = None
        for name, value in (("loss", loss), ("grad norm", grad_norm)):
            if not math.isfinite(value):
                continue
            window = self._windows[name]
            if found is None and window.size >= SPIKE_WARMUP:
                found = _outlier(name, value, window.values())
            window.append(value)
        if found is None:
            self.in_a_row = 0
            return None
        if self.in_a_row >= MAX_CONSECUTIVE_SKIPS:
            return None  # a new level, not a spike: stays so until a step is back in line
        self.in_a_row += 1
        return found


class _Window:
    """The last ``length`` values, in a fixed numpy buffer (a step's look costs microseconds)."""

    def __init__(self, length: int) -> None:
        self._buffer = np.empty(length)
        self._next = 0
        self.size = 0

    def append(self, value: float) -> None:
        self._buffer[self._next] = value
        self._next = (self._next + 1) % self._buffer.size
        self.size = min(self.size + 1, self._buffer.size)

    def values(self) -> np.ndarray:
        return self._buffer[:self.size]  # order does not matter to a median


def _median(values: np.ndarray) -> float:
    """np.median without its checks (6 us against 49 us on 128 values, CPU time on the
    development machine): the values are finite."""
    k = values.size // 2
    if values.size % 2:
        return float(np.partition(values, k)[k])
    part = np.partition(values, (k - 1, k))
    return 0.5 * float(part[k - 1] + part[k])


def _outlier(name: str, value: float, past: np.ndarray) -> str | None:
    """``value`` described as an outlier against ``past``, or None."""
    level = _median(past)
    spread = MAD_TO_SIGMA * _median(np.abs(past - level))
    spread = max(spread, abs(level) * float(np.finfo(np.float32).eps))  # below float32 noise
    z = (value - level) / spread if spread > 0 else 0.0
    if z <= SPIKE_SIGMAS:
        return None
    times = f", {value / level:.3g}x" if level > 0 else ""
    return (f"{name} {value:.4g} is {z:.3g} sigma above its median {level:.4g} over the last "
            f"{past.size} steps{times}")


def encode_vote(decision: Decision | None, snapshot: bool, rank: int) -> list[float]:
    """One rank's decision as numbers whose element-wise max over ranks is the joint one:
    [decided, stop, -restore step, -LR factor, snapshot veto, deciding rank + 1]."""
    if decision is None:
        return [0.0, 0.0, -math.inf, -math.inf, float(not snapshot), 0.0]
    restore = decision.restore_step
    return [1.0, float(decision.action == "stop"),
            -float(restore) if restore is not None else -math.inf, -decision.lr_factor,
            float(not snapshot), float(rank + 1)]


def decode_vote(vote: Sequence[float], step: int, own: Decision | None
                ) -> tuple[Decision | None, bool]:
    """The joint decision and snapshot from the max over ranks of ``encode_vote``s; the reason
    is this rank's own, or names the rank that saw it."""
    decided, stop, restore, factor, veto, seer = vote
    snapshot = veto == 0
    if not decided:
        return None, snapshot
    reason = own.reason if own is not None else f"rank {int(seer) - 1} saw its loss blow up"
    if stop or not math.isfinite(restore):
        return Decision("stop", step, reason, -factor), snapshot
    return Decision("recover", step, reason, -factor, int(-restore)), snapshot


def all_ranks_max(tensor: torch.Tensor) -> torch.Tensor:
    """``tensor`` replaced in place by its element-wise max over all ranks (torch.distributed,
    when initialised with several ranks; else unchanged)."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return tensor


def total_norm(grads: Sequence[torch.Tensor]) -> torch.Tensor:
    """The 2-norm of all ``grads`` together, fused per device, on the first one's device."""
    by_device: dict[torch.device, list[torch.Tensor]] = {}
    for g in grads:
        by_device.setdefault(g.device, []).append(g)
    first = grads[0].device
    norms = [torch.linalg.vector_norm(torch.stack(torch._foreach_norm(gs, 2, dtype=torch.float32)))
             .to(first) for gs in by_device.values()]
    return norms[0] if len(norms) == 1 else torch.linalg.vector_norm(torch.stack(norms))


def schedule_top(optimizer: torch.optim.Optimizer, optimizers: Sequence[torch.optim.Optimizer],
                 schedulers: Sequence[Any], steps: int) -> float | None:
    """The highest LR of ``optimizer``'s first param group from now on (now included): where
    its schedule stops rising, its first step down, looked for over the next ``steps`` scheduler
    steps by stepping ``schedulers``, then putting schedulers and param groups back as they
    were. A schedule is not followed past its first fall (a CosineAnnealingLR stepped past its
    T_max rises again, where the run has ended), nor past its end (OneCycleLR refuses a step
    past its total). None when a scheduler cannot be stepped so (one of another library whose
    step needs an epoch). ReduceLROnPlateau only lowers the LR: it is left alone. Without
    schedulers the LR is constant: the one now."""
    group = optimizer.param_groups[0]
    top = float(group["lr"])
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau
    stepped = [s for s in schedulers if not isinstance(s, plateau)]
    if not stepped or steps <= 0:
        return top
    states = [copy.deepcopy(s.state_dict()) for s in stepped]
    groups = [[{k: v for k, v in g.items() if k != "params"} for g in o.param_groups]
              for o in optimizers]
    try:
        with warnings.catch_warnings():  # "lr_scheduler.step() before optimizer.step()"
            warnings.simplefilter("ignore")
            for k in range(steps):
                try:
                    for scheduler in stepped:
                        scheduler.step()
                except Exception:  # at once: not torch's; later: the schedule's end
                    if k == 0:
                        return None
                    break
                lr = float(group["lr"])
                if lr < top * (1 - 1e-9):  # past its top
                    break
                top = max(top, lr)
    finally:
        for scheduler, state in zip(stepped, states):
            scheduler.load_state_dict(state)
        for o, saved in zip(optimizers, groups):
            for g, values in zip(o.param_groups, saved):
                g.update(values)
    return top


def scale_lrs(optimizers: Sequence[torch.optim.Optimizer], schedulers: Sequence[Any],
              factor: float) -> None:
    """Multiply every param group's LRs and every scheduler's base LRs by ``factor``."""
    for optimizer in optimizers:
        for group in optimizer.param_groups:
            for key in _GROUP_LR_KEYS:
                if isinstance(group.get(key), (int, float)):
                    group[key] *= factor
    for scheduler in schedulers:
        for attribute in ("base_lrs", "min_lrs", "_last_lr"):
            values = getattr(scheduler, attribute, None)
            if isinstance(values, list):
                setattr(scheduler, attribute, [v * factor for v in values])
        # SequentialLR and ChainedScheduler: each scheduler inside sets the LR from its own base
        # LRs (a cosine after a warmup starts from them at its milestone)
        inner = getattr(scheduler, "_schedulers", None)
        if isinstance(inner, (list, tuple)):
            scale_lrs((), inner, factor)


def describe(d: Diagnosis) -> str:
    """``stalled since step 40 (confidence 0.55, ...): evidence. Suggestion: ...``: a diagnosis
    in one line, for the console."""
    s = d.suggestion
    if d.status is Status.NO_LR_VERDICT:
        return (f"no LR verdict: {s.rationale}. Gradient and update health: "
                + "; ".join(e.message for e in d.evidence))
    since = f" since step {d.since_step}" if d.since_step is not None else ""
    early = d.extra.get("confident_from_steps")
    early = f", early: a confident verdict needs ~{early} steps" if early else ""
    evidence = "; ".join(e.message for e in d.evidence[:2]) or s.rationale
    lr = ""
    if s.peak_lr is not None and s.suggested_lr is not None:
        lr = f" ({s.peak_lr:.3g} -> {s.suggested_lr:.3g})"
    elif s.factor is not None:
        lr = f" (x{s.factor:.3g})"
    return (f"{d.status.value}{since} (confidence {d.confidence:.2f}{early}): {evidence}. "
            f"Suggestion: {s.action.value.replace('_', ' ')}{lr}"
            + (f": {s.rationale}" if d.evidence else ""))


def _differs(new: Diagnosis, old: Diagnosis | None) -> bool:
    """Another status, or a suggested LR (or factor) RENOUNCE_RATIO or more away."""
    if old is None or new.status != old.status:
        return True
    a, b = new.suggestion, old.suggestion
    for x, y in ((a.suggested_lr, b.suggested_lr), (a.factor, b.factor)):
        if x is not None and y is not None and x > 0 and y > 0:
            return max(x / y, y / x) >= RENOUNCE_RATIO
    return a.action != b.action


def _both_unsure(new: Diagnosis, old: Diagnosis | None) -> bool:
    """Another trend reading (healthy / stalled) than the one announced, neither above
    UNSURE_TREND confidence, whose advice is the same or a range test (a move the reading
    names, "reduce" say, is news)."""
    trend = (Status.HEALTHY, Status.STALLED)
    return old is not None and new.status != old.status and new.status in trend \
        and old.status in trend and new.confidence <= UNSURE_TREND \
        and old.confidence <= UNSURE_TREND \
        and new.suggestion.action in (Action.RANGE_TEST, old.suggestion.action)


def _aligned(pair: tuple[np.ndarray, np.ndarray] | None, steps: np.ndarray) -> np.ndarray | None:
    """``pair``'s values at ``steps`` (NaN where it has none)."""
    if pair is None:
        return None
    out = np.full(steps.size, np.nan)
    where = np.searchsorted(pair[0], steps)
    inside = where < pair[0].size
    match = np.zeros(steps.size, dtype=bool)
    match[inside] = pair[0][where[inside]] == steps[inside]
    out[match] = pair[1][where[match]]
    return out
