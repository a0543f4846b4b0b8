"""The engine every front end shares: recorder, online analysis, guard, store writer, notices.

A front end (the Lightning callback, ``Watch`` for Fabric and plain loops, the Hugging Face
``TrainerCallback``) only translates its framework's events into these calls:

- ``open_store(path)`` at set-up (a store that cannot be used is a clear error now);
- ``begin(...)`` at train start on every rank (the guard acts on every rank), then on rank 0
  ``start(name, meta, named_parameters, clipping)``: a new run, or the checkpoint's run reopened;
- per optimizer step: ``add_samples`` / ``add_loss`` as micro-batches pass,
  ``before_optimizer_step(optimizer, step)`` when gradients are final, ``end_step(step, epoch)``
  when the step is done, then ``guard_step(...)``, which may stop (``should_stop``) or recover;
- ``train_end(step)`` (the last rows, the guard's last look, the final verdict) and
  ``finish(status)`` (the run's status; the writer stops), once.

The engine knows torch, not Lightning or transformers. An internal error never takes training
down: the failing part warns once and turns itself off (``strict=True`` re-raises, for tests).
Each diagnosis change and guard action is a ``Notice``: a warning line on the ``lrwatch``
logger, an event in the store, and a call to every function in ``listeners``.
"""

from __future__ import annotations

import atexit
import logging
import os
import platform
import time
import warnings
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import torch

from lrwatch import keys
from lrwatch._version import __version__
from lrwatch.analysis import OnlineAnalyzer
from lrwatch.analysis.optimizers import FIRST, momentum_of
from lrwatch.analysis.types import Diagnosis, RangeTestSummary, Status
from lrwatch.config import RecordConfig
from lrwatch.guard import (
    DDP_DECISION_EVERY,
    Decision,
    Guard,
    GuardConfig,
    Notice,
    all_ranks_max,
    decode_vote,
    describe,
    encode_vote,
)
from lrwatch.loss_classes import classes_from_config
from lrwatch.notify import Notifier
from lrwatch.recorder import Recorder, Rows
from lrwatch.store import (
    DIVERGED,
    PendingEvent,
    RunInfo,
    StoreBackend,
    StoreURL,
    open_backend,
    resolve_location,
)
from lrwatch.store.writer import RunWriter

log = logging.getLogger("lrwatch")

# a rank's vote tensor -> its element-wise max over all ranks (``lrwatch.guard.all_ranks_max``)
Exchange = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class TrainingFacts:
    """What the online analysis is told about the run (each may be unknown: None)."""

    optimizer: str | None = None  # the first optimizer's class name
    momentum: float | None = None  # SGD momentum or Adam beta1
    batch_size: int | None = None
    total_steps: int | None = None  # planned optimizer steps
    clip: float | None = None  # the max gradient norm when gradients are clipped by norm
    param_count: int | None = None  # the model's parameters (an adaptive LR range falls with it)
    fine_tune: bool | None = None  # training starts from pretrained weights (its own LR range)
    classes: int | None = None  # of a cross-entropy loss (or its vocabulary): chance level ln K


def optimizer_facts(optimizers: Sequence[torch.optim.Optimizer], judged: int | None = 0
                    ) -> tuple[str | None, float | None]:
    """The judged optimizer's (``judged_optimizer``; the first where there is none) class name
    and its momentum (SGD) or beta1 (Adam)."""
    chosen = optimizers[judged or 0] if optimizers else None
    group = chosen.param_groups[0] if chosen is not None and chosen.param_groups else {}
    return type(chosen).__name__ if chosen is not None else None, momentum_of(group)


def judged_optimizer(optimizers: Sequence[Any], shared_loss: bool) -> int | None:
    """The index of the optimizer whose LR the loss is judged against: 0 for one optimizer.
    Several optimizers train against each other (a GAN: None, no LR verdict from the loss)
    unless they step one loss together (``shared_loss``, a Muon + AdamW hybrid): then the one
    that steps the weight matrices (Muon's: ``optimizers.FIRST``), else the first."""
    names = [type(getattr(o, "optimizer", o)).__name__.lower() for o in optimizers]
    if len(names) <= 1:
        return 0
    if not shared_loss:
        return None
    return next((i for i, name in enumerate(names) if any(k in name for k in FIRST)), 0)


def count_parameters(model: torch.nn.Module) -> int:
    """The model's parameter count, as the diagnosis reads model size."""
    return sum(p.numel() for p in model.parameters())


def starts_pretrained(model: torch.nn.Module) -> bool | None:
    """True where the model shows it starts from pretrained weights: a Hugging Face model that
    ``from_pretrained`` loaded (its ``config._name_or_path`` says from where; empty for one built
    from its config), or a PEFT model (LoRA and the like) around one, anywhere in ``model``;
    else None: weights loaded any other way leave no mark, and not knowing is not a "no"."""
    for module in model.modules():
        config = getattr(module, "config", None)
        if getattr(config, "_name_or_path", "") or hasattr(module, "peft_config"):
            return True
    return None


def model_classes(model: torch.nn.Module) -> int | None:
    """The classes of the model's cross-entropy loss where a Hugging Face model in ``model`` (the
    outermost one) says them: ``loss_classes.classes_from_config`` on its config, read for its
    own class (a headless backbone under the user's head has none, whatever head its checkpoint
    had); else None."""
    for module in model.modules():
        config = getattr(module, "config", None)
        if hasattr(config, "_name_or_path") and callable(getattr(config, "to_dict", None)):
            return classes_from_config(config.to_dict(), type(module).__name__)
    return None


def hparams_of(optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    group = optimizer.param_groups[0] if optimizer.param_groups else {}
    return {k: v for k, v in group.items() if k != "params"}


def run_metadata(front_end: str, model: torch.nn.Module, optimizers: Sequence[Any],
                 facts: TrainingFacts, record: RecordConfig, judged: int | None = 0,
                 **extra: Any) -> dict[str, Any]:
    """The run metadata every front end stores (``extra`` adds the front end's own);
    ``judged``: ``judged_optimizer``'s answer, kept where there are several optimizers."""
    raw = [getattr(o, "optimizer", o) for o in optimizers]
    if len(raw) > 1:
        extra = {"judged_optimizer": judged, **extra}
    meta: dict[str, Any] = {
        "kind": keys.RUN_TRAIN,
        "front_end": front_end,
        "model": type(model).__name__,
        "optimizer": facts.optimizer,
        "optimizers": [{"class": type(o).__name__, "hparams": hparams_of(o)} for o in raw],
        "momentum": facts.momentum,
        "batch_size": facts.batch_size,
        "planned_steps": facts.total_steps,
        "param_count": facts.param_count if facts.param_count is not None else
        count_parameters(model),
        "fine_tune": facts.fine_tune,
        "classes": facts.classes,
        "record": record.to_dict(),
        "versions": {"lrwatch": __version__, "torch": torch.__version__,
                     "python": platform.python_version()},
    }
    versions = extra.pop("versions", {})
    meta.update(extra)
    meta["versions"].update(versions)
    return meta


def torch_distributed() -> tuple[int, int]:
    """This process's rank and the world size under ``torch.distributed`` (0, 1 without it)."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


torch_all_ranks_max: Exchange = all_ranks_max  # the ``Exchange`` of torch.distributed


def final_line(run_name: str, d: Diagnosis) -> str:
    """``lrwatch: final verdict on run 'x' (435 steps): ...``: what to do next, in one line."""
    if d.steps == 0:  # not "too short": no step had a loss (a warning before it says why)
        return f"lrwatch: final verdict on run '{run_name}': no loss was recorded, nothing to judge"
    head = f"lrwatch: final verdict on run '{run_name}' ({d.steps} step{'s' * (d.steps != 1)}): "
    if d.status is Status.INSUFFICIENT_DATA:
        needs = f": needs ~{d.needed_steps} steps" if d.needed_steps else ""
        return head + f"too short to judge{needs}"
    return head + describe(d)


def sweep_line(run_name: str, entry: dict[str, Any]) -> str:
    """``lrwatch: run 'x' beside the 4 other runs of its setup in the store: stalled ...``: where
    a finished run stands among the store's runs of its setup at other LRs (an analyze entry
    that took its sweep's advice), in one line."""
    lr = ""
    if entry["action"] in ("increase", "reduce") and entry["peak_lr"] is not None \
            and entry["suggested_lr"] is not None:
        lr = f" ({entry['peak_lr']:.3g} -> {entry['suggested_lr']:.3g})"
    return (f"lrwatch: run '{run_name}' beside the {entry['sweep']['runs'] - 1} other runs of "
            f"its setup in the store: {entry['status']} (confidence {entry['confidence']:.2f}): "
            f"{entry['evidence'][0]}. Suggestion: {entry['action'].replace('_', ' ')}{lr}")


# Engines whose run is recording: at interpreter exit their rows still on the device (up to 0.5 s
# or 256 steps of them) reach the writer before the writers close (``_drain_at_exit``).
_RECORDING: "weakref.WeakSet[Engine]" = weakref.WeakSet()
_drain_hook_installed = False


def _drain_at_exit() -> None:
    """Hand every unfinished run's last rows to its writer: a loop that never called
    ``finish()``, or an exception its front end cannot see (the Hugging Face Trainer has no
    exception hook). Registered after the writers' own exit hook, so it runs before it."""
    for engine in list(_RECORDING):
        if engine.recorder is not None:
            engine.safely("recording", engine.recorder.drain)


def _warn(message: str) -> None:
    warnings.warn(message, UserWarning, stacklevel=3)


class Engine:
    """One training run's recording, live diagnosis and guard, whatever the framework.

    Args:
        record: what to record and how often.
        guard: what to do on divergence.
        strict: re-raise internal errors instead of warning and going on.
        warn: how a front end warns (Lightning: once, on rank 0); default ``warnings.warn``.
    """

    def __init__(self, record: RecordConfig, guard: GuardConfig, *, strict: bool = False,
                 warn: Callable[[str], None] = _warn) -> None:
        self.record_config = record
        self.guard_config = guard
        self.strict = strict
        self.warn = warn
        self.listeners: list[Callable[[Notice], None]] = []  # told of every notice (rank 0)
        self.store_path: Path | StoreURL | None = None
        self.run: RunInfo | None = None
        self.recorder: Recorder | None = None
        self.guard: Guard | None = None
        self.status: str | None = None  # the run's end status when the guard decided one
        # how a loop that trains on after the guard stopped it is told to stop (its front end's)
        self.stop_hint = ""
        self._stopped_at: int | None = None  # the step the guard stopped the run at
        self._told_stop_ignored = False
        self.resume_uid: str | None = None  # a checkpoint's run, reopened by ``start``
        self.resume_guard: dict[str, Any] | None = None  # its guard's counts, set by ``begin``
        self.range_test: dict[str, Any] | None = None
        self.last_step = -1
        self._backend: StoreBackend | None = None
        self._writer: RunWriter | None = None
        self._notifier: Notifier | None = None
        self._rank_zero = True
        self._own_loss: torch.Tensor | None = None  # a rank without a recorder: its step's loss
        self._facts = TrainingFacts()
        self._optimizers: list[Any] = []
        self._pending: Decision | None = None
        self._spike_step: int | None = None  # the step on_spike="skip" dropped (all optimizers)
        self._skip_step: int | None = None  # the last step a recovery's skip_batches dropped
        self._truncate_pending = False  # a resumed run: drop its rows from the next step on
        self._disabled: set[str] = set()

    # -- set-up ------------------------------------------------------------------------------
    def open_store(self, path: str | os.PathLike[str]) -> None:
        """Open the store now, so an unusable one is a clear error before training starts."""
        self.store_path = resolve_location(path)
        if self._backend is None:
            self._backend = open_backend(self.store_path)

    def _writer_backend(self) -> StoreBackend:
        """The writer thread's own connection to the store."""
        assert self.store_path is not None
        return open_backend(self.store_path)

    def attach_notifier(self, notifier: Notifier | None) -> None:
        """Send every notice to ``notifier`` too (mirrored loggers, an alert webhook); it is
        closed by ``finish``. None: nothing to attach."""
        if notifier is None:
            return
        self._notifier = notifier
        self.listeners.append(self._tell_notifier)

    def _tell_notifier(self, notice: Notice) -> None:
        notifier = self._notifier
        if notifier is not None:
            send = (notifier.guard_acted if notice.kind == keys.EVENT_ACTION
                    else notifier.diagnosis_changed)
            send(notice.step, notice.message, notice.payload)

    def begin(self, run_name: str, facts: TrainingFacts, optimizers: Sequence[Any], *,
              judged: int | None = 0, rank_zero: bool = True) -> None:
        """Training starts: reset per-fit state; the guard, on rank 0 (and on every rank when
        it acts or skips spikes). ``judged``: the optimizer whose LR the loss is judged against
        (``judged_optimizer``); None (several optimizers that train against each other): alarms
        only, no LR verdict."""
        self.status = None
        self._pending = None
        self._stopped_at, self._told_stop_ignored = None, False
        self._spike_step = self._skip_step = None
        self._own_loss = None
        self._rank_zero = rank_zero
        self._disabled.clear()
        self._facts = facts
        self._optimizers = [getattr(o, "optimizer", o) for o in optimizers]
        self.guard = None
        if self.guard_config.on_every_rank or rank_zero:
            labels = keys.optimizer_labels([type(o).__name__ for o in self._optimizers])
            self.guard = Guard(self.guard_config, self._analyzer, run_name,
                               judge_loss=judged is not None,
                               label=labels[judged] if judged is not None else None,
                               judged=judged or 0)
            resumed, self.resume_guard = self.resume_guard, None
            if resumed:  # the checkpoint's recoveries count toward max_recoveries
                self.guard.recoveries = int(resumed.get("recoveries", 0))
                self.guard.lr_scale = float(resumed.get("lr_scale", 1.0))

    def guard_state(self) -> dict[str, Any] | None:
        """What a checkpoint keeps of the guard: its recoveries so far and the LR scale they
        set (None before training starts)."""
        guard = self.guard
        if guard is None:
            return None
        return {"recoveries": guard.recoveries, "lr_scale": guard.lr_scale}

    def start(self, name: str, meta: dict[str, Any],
              named_parameters: Iterable[tuple[str, torch.Tensor]], clipping: bool, *,
              clip_norm: float | None = None) -> RunInfo:
        """Rank 0: create the run (or reopen the checkpoint's) and start recording into it
        (``clip_norm``: see ``Recorder.attach``)."""
        assert self._backend is not None, "open_store comes first"
        self.run = self._open_run(name, {**meta, "range_test": self.range_test})
        if self.guard is not None:
            self.guard.run_name = self.run.name
        self._writer = RunWriter(self._writer_backend, self.run.id, on_error=self._writer_failed)
        global _drain_hook_installed
        if not _drain_hook_installed:  # after RunWriter's: atexit runs the later one first
            _drain_hook_installed = True
            atexit.register(_drain_at_exit)
        _RECORDING.add(self)
        self.recorder = Recorder(self.record_config, self._hand_over)
        self.safely("recording", self.recorder.attach, self._optimizers, named_parameters, clipping,
                    clip_norm)
        if self.guard is not None:
            self.recorder.sinks.append(self._guard_observes)
        self.recorder.start_clock()
        return self.run

    def _open_run(self, name: str, meta: dict[str, Any]) -> RunInfo:
        assert self._backend is not None
        uid, self.resume_uid = self.resume_uid, None
        if uid is not None:
            try:
                run = self._backend.get_run(uid)
            except KeyError:
                self.warn(f"lrwatch: the checkpoint's run {uid} is not in {self.store_path}; "
                          "recording a new run")
            else:
                # drop what came after the checkpoint at the first step this fit records (a
                # front end's step counter may lag until its loop restarts)
                self._truncate_pending = True
                return self._backend.reopen_run(run.id)
        return self._backend.create_run(name, meta)

    def link_range_test(self, uid: str, summary: RangeTestSummary) -> None:
        """Record that the range test stored as run ``uid`` chose this run's starting LR."""
        self.range_test = {"run": uid, "suggested_lr": summary.suggested_lr,
                           "lower_lr": summary.lower_lr, "upper_lr": summary.upper_lr}
        if self.run is not None and self._backend is not None:
            self._backend.update_meta(self.run.id, {"range_test": self.range_test})

    @property
    def recording(self) -> bool:
        return self.recorder is not None and "recording" not in self._disabled

    @property
    def should_stop(self) -> bool:
        """The guard stopped the run (``on_diverge="stop"``, or recoveries ran out)."""
        return self.status == DIVERGED

    # -- per step ------------------------------------------------------------------------------
    def add_samples(self, n: int) -> None:
        if self.recording:
            self.recorder.add_samples(n)  # type: ignore[union-attr]

    def add_loss(self, loss: torch.Tensor) -> None:
        """A micro-batch's share of the step's loss (stays on its device). A rank that does not
        record keeps it for its guard, which judges its own loss (DDP)."""
        if self.recording:
            self.recorder.add_loss(loss)  # type: ignore[union-attr]
        elif self.recorder is None and self.guard is not None and self.guard_config.acts:
            self._own_loss = loss

    def scale_loss(self, factor: float) -> None:
        """This step's loss so far times ``factor`` (see ``Recorder.scale_loss``)."""
        if self.recording:
            self.recorder.scale_loss(factor)  # type: ignore[union-attr]

    def backward_loss(self, loss: torch.Tensor) -> None:
        """A loss whose gradients this optimizer step takes, ahead of its backward pass: what
        ``on_spike="skip"`` judges (micro-batches add up)."""
        guard = self.guard
        if guard is not None and guard.spikes is not None:
            self.safely("guard", guard.add_backward_loss, loss)

    def add_value(self, key: str, step: int, value: float) -> None:
        if self.recording:
            self.recorder.add_value(key, step, value)  # type: ignore[union-attr]
        if key == keys.VAL_LOSS and self.guard is not None and "guard" not in self._disabled:
            # the online diagnosis reads the validation loss as analyze() does (overfitting)
            self.safely("guard", self.guard.analyzer.update_val_loss, step, value)

    def read_gradients(self, optimizer: Any, step: int, *,
                       with_hyperparameters: bool = False) -> None:
        """The gradients of ``step`` are final (before clipping) ahead of the optimizer hook:
        norms now; a later call for the same step replaces them. Then
        ``before_optimizer_step(..., read=False)``. ``with_hyperparameters``: the LRs, betas and
        weight decays are final too and are filed now (once a step), so that
        ``before_optimizer_step(..., recorded=True)`` is needed only where ``guards_updates``."""
        recorder = self.recorder
        if self.recording and recorder.should_record(step):  # type: ignore[union-attr]
            probe = recorder.probe_for(optimizer)  # type: ignore[union-attr]
            if probe is not None:
                if with_hyperparameters:
                    self.safely("recording", recorder.before_optimizer_step, probe, step)  # type: ignore[union-attr]
                else:
                    self.safely("recording", probe.before_step, step)

    @property
    def guards_updates(self) -> bool:
        """Whether the guard acts on an update before it is made (drops the gradients of a
        non-finite step, of a spike under ``on_spike="skip"``, of a recovery's skipped steps):
        ``before_optimizer_step`` has work to do even when the step is recorded already."""
        return self.guard_config.acts or self.guard_config.on_spike is not None

    def before_optimizer_step(self, optimizer: Any, step: int, *, may_drop: bool = True,
                              read: bool = True, recorded: bool = False) -> None:
        """The weights are about to be updated; the gradients are final (``read``: their norms
        are taken now; ``recorded``: ``read_gradients(..., with_hyperparameters=True)`` filed
        the step's norms and hyperparameters already, only the guard's part is left). With a
        guard that acts, ``may_drop`` (single process, no AMP scaler) lets a non-finite step's
        gradients be dropped so the weights stay finite until the guard acts; skipped batches
        drop theirs."""
        recorder = self.recorder
        if self.recording and recorder.should_record(step):  # type: ignore[union-attr]
            probe = recorder.probe_for(optimizer)  # type: ignore[union-attr]
            if probe is not None:
                if not recorded:
                    self.safely("recording", recorder.before_optimizer_step, probe, step, read)  # type: ignore[union-attr]
                if self.guard_config.acts and may_drop and _nonfinite_on_host(probe.pending):
                    drop_gradients(optimizer)
        guard = self.guard
        if guard is not None and guard.spikes is not None:  # on_spike="skip"
            if self._spike_step == step:  # judged at the step's first optimizer: drop them all
                drop_gradients(optimizer)  # (a Muon + AdamW hybrid's Muon as its AdamW)
            else:
                spike = self.safely("guard", guard.spike_check, step,
                                    getattr(optimizer, "optimizer", optimizer))
                if spike is not None:
                    self._spike_step = step
                    drop_gradients(optimizer)
                    if self._rank_zero:
                        self.notify(spike)
        if guard is not None and guard.skip_remaining > 0:
            self._skip_step = step
            drop_gradients(optimizer)
            if getattr(optimizer, "optimizer", optimizer) is self._optimizers[-1]:
                guard.skip_remaining -= 1

    def forget_gradients_read(self, step: int) -> None:
        """The gradients ``before_optimizer_step`` read for ``step`` were not the step's (its
        backward came after, a loop's mistake): file no gradient norm for it rather than a
        wrong one (zeros, or the last step's). Then ``drop_again`` before the update."""
        if self.recording and self.recorder.should_record(step):  # type: ignore[union-attr]
            for probe in self.recorder.probes:  # type: ignore[union-attr]
                probe.forget_gradient_norms()

    def drop_again(self, optimizer: Any, step: int) -> None:
        """``step``'s gradients were made after ``before_optimizer_step`` dropped them (its
        backward came after): drop them again where the guard dropped the step's update (an
        outlier under ``on_spike="skip"``, a step a recovery skips)."""
        if step in (self._spike_step, self._skip_step):
            drop_gradients(optimizer)

    def end_step(self, step: int, epoch: int = 0, world_size: int = 1,
                 record_extra: Callable[[int], None] | None = None) -> None:
        """Optimizer step ``step`` is complete: file its row (``record_extra(step)`` first adds
        what the front end has for it, e.g. metrics the user logged)."""
        self.last_step = step
        if self._truncate_pending:
            self._drop_rows_from(step)
        own_loss, self._own_loss = self._own_loss, None
        if own_loss is not None and self.guard is not None:  # a rank that does not record
            self.safely("guard", self.guard.add_own_loss, step, own_loss)
        recorder = self.recorder
        if not self.recording:
            return
        if recorder.should_record(step):  # type: ignore[union-attr]
            if record_extra is not None:
                self.safely("recording", record_extra, step)
            self.safely("recording", recorder.end_step, step, epoch, world_size)  # type: ignore[union-attr]
        else:
            recorder.skip_step()  # type: ignore[union-attr]

    def restart_clock(self) -> None:
        """Step time counts from here (after validation, at an epoch start)."""
        if self.recorder is not None:
            self.recorder.start_clock()

    def _drop_rows_from(self, step: int) -> None:
        """Drop a resumed run's rows from ``step`` on: what it recorded after its checkpoint."""
        self._truncate_pending = False
        if self._backend is not None and self.run is not None:
            self.safely("recording", self._backend.truncate, self.run.id, step)

    # -- the guard ----------------------------------------------------------------------------
    def _analyzer(self) -> OnlineAnalyzer:
        facts, linked = self._facts, self.range_test
        return OnlineAnalyzer(
            optimizer=facts.optimizer, momentum=facts.momentum, batch_size=facts.batch_size,
            total_steps=facts.total_steps, clip=facts.clip, param_count=facts.param_count,
            fine_tune=facts.fine_tune, classes=facts.classes,
            range_test=RangeTestSummary(linked["suggested_lr"], linked["lower_lr"],
                                        linked["upper_lr"]) if linked else None,
        )

    def _guard_observes(self, rows: Rows, events: list[PendingEvent]) -> None:
        if self.guard is not None and "guard" not in self._disabled:
            self.safely("guard", self.guard.observe, rows)

    def guard_step(self, step: int, module: torch.nn.Module, schedulers: Sequence[Any] = (), *,
                   rank_zero: bool = True, rank: int = 0,
                   exchange: Exchange | None = None) -> Decision | None:
        """After step ``step``: rank 0 diagnoses; a divergence is acted on (stop, or recover on
        ``module``, the optimizers and ``schedulers``). Under several processes every rank
        judges its own loss too, and every ``DDP_DECISION_EVERY`` steps ``exchange`` (a max over
        ranks) ORs the decisions of all ranks (this one is ``rank``), so all act together.
        Returns the decision acted on."""
        if self.guard is None or "guard" in self._disabled:
            return None
        return self.safely("guard", self._run_guard, step, module, schedulers, rank_zero, rank,
                           exchange)

    def _run_guard(self, step: int, module: torch.nn.Module, schedulers: Sequence[Any],
                   rank_zero: bool, rank: int, exchange: Exchange | None) -> Decision | None:
        guard = self.guard
        assert guard is not None
        if rank_zero and self.recorder is not None:
            notices, decision = guard.check(step)
            for notice in notices:
                self.notify(notice)
            self._pending = self._pending or decision
        if not guard.config.acts:
            return None
        if self._stopped_at is not None:  # stopped already, and the loop trains on: said once
            self._pending = None
            self._tell_stop_ignored(step, rank_zero)
            return None
        snapshot = guard.config.on_diverge == "recover" and guard.snapshot_due(step)
        if exchange is not None:
            if step % DDP_DECISION_EVERY != 0:
                return None
            if not rank_zero:  # a rank that does not record: its own loss decides
                guard.observe_own_losses()
                self._pending = self._pending or guard.check(step)[1]
            vote = torch.tensor(encode_vote(self._pending, snapshot, rank), dtype=torch.float64,
                                device=_device_of(module))
            self._pending, snapshot = decode_vote(exchange(vote).tolist(), step, self._pending)
        decision, self._pending = self._pending, None
        if decision is not None:
            self._act(decision, module, schedulers, rank_zero)
        elif snapshot:
            guard.snapshot(step, module, self._optimizers, schedulers)
        return decision

    def _act(self, decision: Decision, module: torch.nn.Module, schedulers: Sequence[Any],
             rank_zero: bool) -> None:
        guard = self.guard
        assert guard is not None
        if decision.action == "stop":
            self.status = DIVERGED
            self._stopped_at = decision.step
            payload: dict[str, Any] = {"action": "stop", "reason": decision.reason}
            message = (f"lrwatch: stopping run '{guard.run_name}' at step {decision.step}: "
                       f"{decision.reason}")
        else:
            payload = guard.recover(decision, module, self._optimizers, schedulers,
                                    self._facts.total_steps)
            top, after = payload["lr_top"], payload["lr_after"]
            rising = (f", rising with its schedule to {top:.3g} at most" if top is not None
                      and after is not None and top > after * (1 + 1e-6) else "")
            message = (f"lrwatch: recovered run '{guard.run_name}' at step {decision.step}: "
                       f"back to the weights of step {payload['restored_step']}, LR x"
                       f"{decision.lr_factor:.3g} ({payload['lr_before']:.3g} -> "
                       f"{after:.3g}{rising}); recovery {payload['recovery']} of "
                       f"{guard.config.max_recoveries}. Cause: {decision.reason}")
        if rank_zero:
            self.notify(Notice(decision.step, keys.EVENT_ACTION, message, payload))

    def _tell_stop_ignored(self, step: int, rank_zero: bool) -> None:
        """The guard stopped the run and training went on to ``step``: say so once (recording
        goes on, the guard acts no more); every later step is silent."""
        if self._told_stop_ignored or self._stopped_at is None or step <= self._stopped_at:
            return
        self._told_stop_ignored = True
        if rank_zero and self.guard is not None:
            log.warning(f"lrwatch: run '{self.guard.run_name}' trained on to step {step} after "
                        f"the guard stopped it at step {self._stopped_at}{self.stop_hint}; "
                        "lrwatch records on and does not say it again")

    # -- the end ------------------------------------------------------------------------------
    def train_end(self, step: int, rank_zero: bool = True) -> None:
        """Training is over: the last rows, the guard's look at them, the final verdict."""
        if self._truncate_pending:  # resumed, but no step to train
            self._drop_rows_from(step)
        if self.recorder is not None:
            self.safely("recording", self.recorder.drain)
            if self.guard is not None:
                self.safely("guard", self._look_last)
        if self._writer is not None:
            self._writer.flush()
            if rank_zero:
                self.safely("final verdict", self._final_verdict)

    def _look_last(self) -> None:
        """The guard's look at the last rows (training is over: no action)."""
        assert self.guard is not None
        for notice in self.guard.check(max(self.last_step, 0))[0]:
            self.notify(notice)
        skipped = self.guard.skipped_steps
        if skipped > 1:
            log.warning(f"lrwatch: run '{self.guard.run_name}' skipped the updates of {skipped} "
                        "outlier steps (on_spike='skip'); each is an event in the store")

    def _final_verdict(self) -> None:
        """One line with the run's final verdict, read back from the store as ``lrwatch
        analyze`` reads it (guard recoveries and several optimizers included), and its event;
        where the store holds runs of the same setup at other LRs (a sweep, run after run), a
        second line and event: where this run stands among them, as ``lrwatch analyze`` reads
        a run beside its sweep."""
        from lrwatch.analysis import analyze
        from lrwatch.readers import read_store_run
        from lrwatch.store import Store
        from lrwatch.sweep_advice import advise_in_sweep
        from lrwatch.sweeps import store_sweep

        assert self.run is not None and self._backend is not None
        with Store(self._backend.path, readonly=True) as store:  # a server's local spool
            diagnosis = analyze(read_store_run(store, self.run.id).curves)
            sweep = self.safely("sweep", store_sweep, store, self.run.id)
        step = max(self.last_step, 0)
        seen = self.guard.rows_seen if self.guard is not None else None
        self.notify(Notice(step, keys.EVENT_DIAGNOSIS, final_line(self.run.name, diagnosis),
                           {**diagnosis.to_dict(), "final": True, "rows_seen_by_alarm": seen}))
        place = None if sweep is None else sweep.reading.place(str(self.run.id))
        if sweep is not None and place is not None:
            entry = {**diagnosis.to_dict(), "notes": [], "sweep": None}
            advise_in_sweep(entry, place, sweep.reading)
            self.notify(Notice(step, keys.EVENT_DIAGNOSIS, sweep_line(self.run.name, entry),
                               {**entry, "final": True}))

    def finish(self, status: str) -> None:
        """Hand over the last rows, set the run's final status and stop the writer (once)."""
        _RECORDING.discard(self)
        self.guard = None
        if self._notifier is not None:
            self.listeners.remove(self._tell_notifier)
            self._notifier.close()
            self._notifier = None
        if self.recorder is not None:
            self.safely("recording", self.recorder.drain)
            self.recorder.close()
            self.recorder = None
        if self._writer is not None:
            self._writer.close(status)
            self._writer = None
        if self._backend is not None:
            self._backend.close()
            self._backend = None

    # -- plumbing ------------------------------------------------------------------------------
    def notify(self, notice: Notice) -> None:
        """One warning line (unless the notice is a counted repeat), one event in the store,
        and every listener told."""
        if notice.log:
            log.warning(notice.message)
        if self._writer is not None:
            self._writer.put(events=[PendingEvent(step=notice.step, kind=notice.kind,
                                                  payload={**notice.payload, "message": notice.message},
                                                  time=time.time())])
        for listener in self.listeners:
            self.safely("notify", listener, notice)

    def _hand_over(self, rows: Rows, events: list[PendingEvent]) -> None:
        if self._writer is not None:
            self._writer.put(rows, events)

    def _writer_failed(self, exc: BaseException) -> None:
        """Told from the writer thread (once per failure streak): nothing to raise into."""
        self.warn(f"lrwatch: writing to {self.store_path} failed ({exc}); rows are kept "
                  "and retried, training goes on")

    def safely(self, part: str, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn``; on an internal error warn once and turn ``part`` off (unless strict)."""
        if part in self._disabled:
            return None
        try:
            return fn(*args)
        except Exception as exc:
            if self.strict:
                raise
            self._disabled.add(part)
            self.warn(f"lrwatch: {part} failed ({type(exc).__name__}: {exc}); it is off "
                      "for the rest of this run, training goes on")
            return None


def _nonfinite_on_host(pending: list[tuple[str, torch.Tensor]]) -> bool:
    """A non-finite global gradient norm this step, when reading it costs no device sync."""
    for key, value in pending:
        if key.startswith(keys.GRAD_NORM) and value.ndim == 0 and value.device.type == "cpu":
            return not bool(torch.isfinite(value))
    return False


def _device_of(module: torch.nn.Module) -> torch.device:
    """Where ``module``'s weights are: the device a collective over ranks runs on (NCCL: a GPU)."""
    first = next(module.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


def drop_gradients(optimizer: Any) -> None:
    """Make this optimizer step a no-op: torch optimizers skip parameters without gradients."""
    raw = getattr(optimizer, "optimizer", optimizer)
    for group in raw.param_groups:
        for p in group["params"]:
            p.grad = None
