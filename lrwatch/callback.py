"""``LRWatch``: the Lightning callback that records every optimizer step into a run store.

A thin adapter: hooks are mapped onto ``lrwatch.recorder`` (the tensor math) and the store's
background writer. What the user logs with ``self.log`` is stored too, under ``logged/<name>``
at the steps it was logged. At the end of fit one line gives the final verdict, the one
``lrwatch analyze`` gives on the stored run. Global rank 0 records; other ranks do nothing per
step. An internal error never takes training down: the failing part warns once and turns itself
off (``strict=True`` re-raises, for tests). A store that cannot be used is a clear error at the
start of training.
"""

from __future__ import annotations

import logging
import os
import platform
import time
from pathlib import Path
from typing import Any, Callable, Literal, Mapping

import torch

from lrwatch import keys
from lrwatch._compat import CALLBACK_BASES, lightning_of
from lrwatch._version import __version__
from lrwatch.analysis import OnlineAnalyzer
from lrwatch.analysis.types import Diagnosis, RangeTestSummary, Status
from lrwatch.config import RecordConfig, check_int
from lrwatch.errors import ConfigError
from lrwatch.guard import DDP_DECISION_EVERY, Decision, Guard, GuardConfig, Notice, describe
from lrwatch.notify import Notifier, build_notifier, check_alert_url
from lrwatch.recorder import Recorder, Rows
from lrwatch.store import (
    DIVERGED,
    FAILED,
    FINISHED,
    INTERRUPTED,
    PendingEvent,
    RunInfo,
    default_store_path,
)
from lrwatch.store import StoreBackend, StoreURL, open_backend, resolve_location
from lrwatch.store.writer import RunWriter

log = logging.getLogger("lrwatch")

# Names under which users log their validation loss, most specific first.
VAL_LOSS_NAMES = ("val_loss", "val/loss", "valid_loss", "validation_loss", "val_loss_epoch")


class LRWatch(*CALLBACK_BASES):  # type: ignore[misc]
    """Record loss, learning rates, gradient norms and update ratios of every optimizer step.

    Args:
        store: the store file or folder. Default: ``$LRWATCH_STORE``, else
            ``<trainer.default_root_dir>/lrwatch_logs``.
        name: the run's name (default: the LightningModule's class name; ``-2``, ``-3`` ...
            are appended when taken).
        every_n_steps: record every n-th optimizer step.
        layer_every_n_steps: per-layer gradient norms and update ratios every n steps.
        update_ratio_every_n_steps: global update/weight ratio and weight norm every n steps
            (each such step copies the weights once, on their device, and passes over them four
            times). Default: with the per-layer norms, every ``layer_every_n_steps``.
        host_copy_every_n_steps: steps kept on the device before one copy to the host
            (default 256, or fewer when 0.5 s passed first; 1 when ``on_diverge`` acts, so the
            guard sees each step at once).
        on_diverge: what to do when the run diverges: "warn" (warn and record only),
            "stop" (end training cleanly, run marked diverged) or "recover" (roll back to a
            recent healthy snapshot, lower the LR, go on). See ``lrwatch.guard``.
        check_every_n_steps: steps between live diagnoses, made when rows reach the host (in
            "warn" mode every 0.5 s, so at most that often); divergence alarms are checked on
            every new row regardless.
        snapshot_every_n_steps: steps between the CPU snapshots ``recover`` rolls back to.
        max_recoveries: recoveries before ``recover`` gives up and stops.
        lr_factor: LR multiplier of a recovery (default: the diagnosis's suggestion, ~0.1).
        skip_batches: after a recovery, skip the next n optimizer steps.
        on_spike: "skip" drops the update of an outlier step (loss or gradient norm more than
            6 sigma above the last 128 steps), decided alike on every rank; the first skip is a
            warning, every skip an event. Costs one host read per step. Default None: off.
        dashboard: serve the live dashboard for this store next to training (rank 0, in a
            separate process; a dashboard already serving this store on this machine is reused).
            It serves until this Python process exits: in a notebook, as long as its kernel
            runs; in a script, until the script ends, which is when fit prints how to serve the
            store again (``lrwatch dashboard <store>``).
        dashboard_host, dashboard_port: where it listens (127.0.0.1:8050; the next free port
            when taken).
        keep_dashboard: leave the dashboard up after this process exits too (stop it by the
            pid fit prints).
        loss_key: the name of a metric logged with ``self.log`` to diagnose as the loss, for a
            ``training_step`` that returns none (manual optimization); default: the loss it
            returns. A run trained by several optimizers (GANs) gets no LR verdict from its
            loss, which is adversarial: its gradient and update health per optimizer instead.
        mirror: send each diagnosis change and guard action to every logger of the Trainer
            too (an ``lrwatch/status`` scalar; TensorBoard text, MLflow tags, a W&B alert); see
            ``lrwatch.notify.loggers``. The store records regardless.
        alert: a webhook URL (Slack incoming webhook or compatible) that gets a
            ``{"text": ...}`` message on each diagnosis change and guard action, from a
            background thread; a slow or dead endpoint never holds training.
        strict: re-raise lrwatch's internal errors instead of warning and going on.

    Example::

        trainer = pl.Trainer(max_epochs=5, callbacks=[LRWatch()])
        trainer.fit(model, datamodule)
        # then, in a shell: lrwatch runs
    """

    def __init__(
        self,
        store: str | os.PathLike[str] | None = None,
        name: str | None = None,
        *,
        every_n_steps: int = 1,
        layer_every_n_steps: int = 50,
        update_ratio_every_n_steps: int | None = None,
        host_copy_every_n_steps: int | None = None,
        on_diverge: Literal["warn", "stop", "recover"] = "warn",
        check_every_n_steps: int = 100,
        snapshot_every_n_steps: int = 100,
        max_recoveries: int = 3,
        lr_factor: float | None = None,
        skip_batches: int = 0,
        on_spike: str | None = None,
        dashboard: bool = False,
        dashboard_host: str = "127.0.0.1",
        dashboard_port: int = 8050,
        keep_dashboard: bool = False,
        loss_key: str | None = None,
        mirror: bool = False,
        alert: str | None = None,
        strict: bool = False,
    ) -> None:
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise ConfigError(f"name must be a non-empty string, got {name!r}")
        if loss_key is not None and (not isinstance(loss_key, str) or not loss_key.strip()):
            raise ConfigError(f"loss_key must be the name of a logged metric, got {loss_key!r}")
        if store is not None and not isinstance(store, (str, os.PathLike)):
            raise ConfigError(f"store must be a path (a str or pathlib.Path), got {store!r}")
        if not isinstance(dashboard_host, str) or not dashboard_host.strip():
            raise ConfigError(f"dashboard_host must be a host name or address such as "
                              f"'127.0.0.1', got {dashboard_host!r}")
        dashboard_port = check_int("dashboard_port", dashboard_port, minimum=0)
        if dashboard_port > 65535:
            raise ConfigError(f"dashboard_port must be in 0-65535, got {dashboard_port}")
        self.guard_config = GuardConfig(
            on_diverge=on_diverge, check_every_n_steps=check_every_n_steps,
            snapshot_every_n_steps=snapshot_every_n_steps, max_recoveries=max_recoveries,
            lr_factor=lr_factor, skip_batches=skip_batches, on_spike=on_spike)
        if host_copy_every_n_steps is None:
            host_copy_every_n_steps = 1 if self.guard_config.acts else RecordConfig.host_copy_every_n_steps
        self.config = RecordConfig(
            every_n_steps=every_n_steps,
            layer_every_n_steps=layer_every_n_steps,
            update_ratio_every_n_steps=update_ratio_every_n_steps,
            host_copy_every_n_steps=host_copy_every_n_steps,
        )
        self.store_arg = store
        self.name = name
        self.dashboard = dashboard
        self.dashboard_host, self.dashboard_port = dashboard_host, dashboard_port
        self.keep_dashboard = keep_dashboard
        self.dashboard_url: str | None = None
        self._dashboard: Any = None
        self.strict = strict
        self.loss_key = loss_key
        if not isinstance(mirror, bool):
            raise ConfigError(f"mirror must be True or False, got {mirror!r}")
        self.mirror, self.alert = mirror, check_alert_url(alert) if alert is not None else None
        self._notifier: Notifier | None = None
        self._logged: dict[str, Any] = {}  # each logged metric's last value object, stored once
        self.store_path: Path | StoreURL | None = None
        self.run: RunInfo | None = None
        self._backend: StoreBackend | None = None
        self._writer: RunWriter | None = None
        self._recorder: Recorder | None = None
        self._guard: Guard | None = None
        self._pending: Decision | None = None
        self._resume_uid: str | None = None
        self._truncate_pending = False  # a resumed run: drop its rows from the next step on
        self._range_test: dict[str, Any] | None = None
        self._disabled: set[str] = set()
        self._stepped = False
        self._last_step = -1
        self._status: str | None = None

    # -- state across checkpoints ----------------------------------------------------------
    @property
    def state_key(self) -> str:
        # Lightning formats it on every hook call (profiler names): build it once
        key = self.__dict__.get("_state_key")
        if key is None:
            key = self.__dict__["_state_key"] = self._generate_state_key(name=self.name)
        return key

    def state_dict(self) -> dict[str, Any]:
        return {"run_uid": self.run.uid if self.run else self._resume_uid,
                "store_path": str(self.store_path) if self.store_path else None}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._resume_uid = state_dict.get("run_uid")

    # -- the range test that came before ---------------------------------------------------
    def link_range_test(self, uid: str, summary: RangeTestSummary) -> None:
        """Record that the range test stored as run ``uid`` chose this run's starting LR."""
        self._range_test = {"run": uid, "suggested_lr": summary.suggested_lr,
                            "lower_lr": summary.lower_lr, "upper_lr": summary.upper_lr}
        if self.run is not None and self._backend is not None:
            self._backend.update_meta(self.run.id, {"range_test": self._range_test})

    # -- set-up and tear-down --------------------------------------------------------------
    def setup(self, trainer: Any, pl_module: Any, stage: str) -> None:
        if stage != "fit" or not trainer.is_global_zero:
            return
        path = self.store_arg if self.store_arg is not None else default_store_path(
            trainer.default_root_dir)
        self.store_path = resolve_location(path)
        if self._backend is None:
            self._backend = open_backend(self.store_path)  # clear error now if unusable
        if self.dashboard and (self._dashboard is None or not self._dashboard.running()):
            self._start_dashboard(trainer)
        self._dashboard_noted = False

    def _start_dashboard(self, trainer: Any) -> None:
        """Serve the dashboard in its own process; a failure to start never stops training."""
        from lrwatch.dashboard.launcher import start_in_background
        from lrwatch.errors import LRWatchError

        try:
            self._dashboard = start_in_background(
                self.store_path, self.dashboard_host, self.dashboard_port,  # type: ignore[arg-type]
                keep=self.keep_dashboard, wait=False)
        except Exception as exc:  # noqa: BLE001 - the dashboard is never worth a training run
            reason = str(exc) if isinstance(exc, LRWatchError) else f"{type(exc).__name__}: {exc}"
            _rank_zero_warn(f"lrwatch: the dashboard did not start ({reason}); training goes on")
            return
        self.dashboard_url = self._dashboard.url
        lightning_of(trainer).utilities.rank_zero_info(
            f"lrwatch: dashboard at {self.dashboard_url}"
            + (" (already serving this store)" if self._dashboard.reused else ""))

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        self._status = None
        self._pending = None
        self._logged = {}
        self._disabled.clear()
        if self.guard_config.on_every_rank or trainer.is_global_zero:
            self._guard = Guard(self.guard_config, lambda: self._analyzer(trainer),
                                self.name or type(pl_module).__name__,
                                judge_loss=len(trainer.optimizers) == 1)
        if not trainer.is_global_zero or self._backend is None:
            return
        step = _batches_stepped(trainer)
        self.run = self._start_run(trainer, pl_module, step)
        self._guard.run_name = self.run.name  # type: ignore[union-attr]
        store_path = self.store_path
        self._writer = RunWriter(lambda: open_backend(store_path), self.run.id,
                                 on_error=self._writer_failed)
        self._recorder = Recorder(self.config, self._hand_over)
        self._safely("recording", self._recorder.attach, trainer.optimizers,
                     pl_module.named_parameters(), _clipping_on(trainer))
        if self._guard is not None:
            self._recorder.sinks.append(self._guard_observes)
        self._recorder.start_clock()
        page = f"{self.dashboard_url}/run/{self.run.id}" if self.dashboard_url else None
        self._notifier = self._safely("notify", build_notifier, self.run.name,
                                      trainer.loggers if self.mirror else (), self.alert, page)
        lightning_of(trainer).utilities.rank_zero_info(
            f"lrwatch: recording run '{self.run.name}' to {self.store_path} "
            f"(see it with: lrwatch runs {self.store_path})")

    def _start_run(self, trainer: Any, pl_module: Any, step: int) -> RunInfo:
        assert self._backend is not None
        uid, self._resume_uid = self._resume_uid, None
        if uid is not None:
            try:
                run = self._backend.get_run(uid)
            except KeyError:
                lightning_of(trainer).utilities.rank_zero_warn(
                    f"lrwatch: the checkpoint's run {uid} is not in {self.store_path}; "
                    "recording a new run")
            else:
                # drop what came after the checkpoint at the first step this fit records: a
                # checkpoint saved mid-epoch has Lightning's step counter one behind until its
                # loop restarts, after this hook
                self._truncate_pending = True
                return self._backend.reopen_run(run.id)
        meta = self._metadata(trainer, pl_module)
        return self._backend.create_run(self.name or type(pl_module).__name__, meta)

    def _drop_rows_from(self, step: int) -> None:
        """Drop a resumed run's rows from ``step`` on: what the run recorded after its checkpoint
        (written before any row of this fit reaches the writer)."""
        self._truncate_pending = False
        if self._backend is not None and self.run is not None:
            self._safely("recording", self._backend.truncate, self.run.id, step)

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        if self._truncate_pending:  # resumed, but no step to train
            self._drop_rows_from(_batches_stepped(trainer))
        if self._recorder is not None:
            self._safely("recording", self._recorder.drain)
            if self._guard is not None:  # the last rows get their look too
                self._safely("guard", self._look_last)
        if self._writer is not None:
            self._writer.flush()
            if trainer.is_global_zero:
                self._safely("final verdict", self._final_verdict)

    def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
        self._finish(self._status or FINISHED)

    def teardown(self, trainer: Any, pl_module: Any, stage: str) -> None:
        if stage == "fit":
            self._finish(self._status or FINISHED)
            self._note_dashboard()

    def _note_dashboard(self) -> None:
        """The fit ended: the dashboard serves on (see ``dashboard``); say once how to reopen it."""
        if self._dashboard is not None and not self._dashboard_noted:
            self._dashboard_noted = True
            _rank_zero_info(self._dashboard.after_fit_note(self.store_path))

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        interrupted = isinstance(exception, KeyboardInterrupt) or (
            type(exception).__name__ == "SIGTERMException")
        self._finish(INTERRUPTED if interrupted else FAILED)
        self._note_dashboard()

    def _finish(self, status: str) -> None:
        """Hand over the last rows, set the run's final status and stop the writer (once)."""
        self._guard = None
        if self._notifier is not None:
            self._notifier.close()
            self._notifier = None
        if self._recorder is not None:
            self._safely("recording", self._recorder.drain)
            self._recorder.close()
            self._recorder = None
        if self._writer is not None:
            self._writer.close(status)
            self._writer = None
        if self._backend is not None:
            self._backend.close()
            self._backend = None

    # -- per step ----------------------------------------------------------------------------
    def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        if self._recorder is not None:
            self._recorder.start_clock()

    def on_before_backward(self, trainer: Any, pl_module: Any, loss: Any) -> None:
        if self._guard is not None and self._guard.spikes is not None:
            self._guard.add_backward_loss(loss)

    def on_before_optimizer_step(self, trainer: Any, pl_module: Any, optimizer: Any) -> None:
        self._stepped = True
        recorder = self._recorder
        if recorder is not None and "recording" not in self._disabled:
            step = _batches_stepped(trainer)
            if recorder.should_record(step):
                probe = recorder.probe_for(optimizer)
                if probe is not None:
                    self._safely("recording", recorder.before_optimizer_step, probe, step)
                    if (self.guard_config.acts and trainer.world_size == 1
                            and _nonfinite_on_host(probe.pending) and _no_amp_scaler(trainer)):
                        _drop_gradients(optimizer)  # keep the weights finite until the guard acts
        guard = self._guard
        if guard is not None and guard.spikes is not None:  # on_spike="skip"
            spike = self._safely("guard", guard.spike_check, _batches_stepped(trainer),
                                 getattr(optimizer, "optimizer", optimizer))
            if spike is not None:
                _drop_gradients(optimizer)
                if trainer.is_global_zero:
                    self._notify(spike)
        if guard is not None and guard.skip_remaining > 0:
            _drop_gradients(optimizer)
            if getattr(optimizer, "optimizer", optimizer) is trainer.optimizers[-1]:
                guard.skip_remaining -= 1

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        recorder = self._recorder
        if recorder is not None and "recording" not in self._disabled:
            recorder.add_samples(_batch_size(batch))
            loss = _loss_of(outputs) if self.loss_key is None else None
            if loss is not None:
                recorder.add_loss(loss)
        if not self._stepped:
            return  # accumulating: the optimizer has not stepped yet
        self._stepped = False
        step = _batches_stepped(trainer)
        self._last_step = step
        if self._truncate_pending:
            self._drop_rows_from(step)
        if recorder is not None and "recording" not in self._disabled:
            if recorder.should_record(step):
                self._safely("recording", self._record_logged, trainer, step)
                self._safely("recording", recorder.end_step, step, trainer.current_epoch,
                             trainer.world_size)
            else:
                recorder.skip_step()
        if self._guard is not None and recorder is None and self.guard_config.acts:
            loss = _loss_of(outputs)  # a rank that does not record judges its own loss (DDP)
            if loss is not None:
                self._guard.add_own_loss(step, loss)
        if self._guard is not None and "guard" not in self._disabled:
            self._safely("guard", self._run_guard, trainer, pl_module)

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        recorder = self._recorder
        if recorder is None or trainer.sanity_checking or "recording" in self._disabled:
            return
        # before this fit's first step (a resumed run validating first): the last step done
        last = max(self._last_step if self._last_step >= 0 else _batches_stepped(trainer) - 1, 0)
        value = _val_loss(trainer.callback_metrics)
        if value is not None:
            recorder.add_value(keys.VAL_LOSS, last, value)
        self._safely("recording", self._record_logged, trainer, last)
        recorder.start_clock()  # validation time is not step time

    def _record_logged(self, trainer: Any, step: int) -> None:
        """Store at ``step`` the metrics logged since the last look (each ``self.log`` call
        makes a new value object; with accumulation, the last micro-batch's); ``loss_key``'s is
        the step's loss too."""
        recorder = self._recorder
        assert recorder is not None
        for name, value in trainer.callback_metrics.items():
            if self._logged.get(name) is value or not isinstance(value, torch.Tensor) \
                    or value.numel() != 1:
                continue
            self._logged[name] = value
            recorder.add_logged(keys.logged_key(name), step, value)
            if name == self.loss_key and not trainer.validating:
                recorder.add_loss(value)

    # -- the guard ---------------------------------------------------------------------------
    def _analyzer(self, trainer: Any) -> OnlineAnalyzer:
        optimizer, momentum, planned = _training_facts(trainer)
        linked = self._range_test
        return OnlineAnalyzer(
            optimizer=optimizer, momentum=momentum, batch_size=_loader_batch_size(trainer),
            total_steps=planned, clip=norm_clip(trainer),
            range_test=RangeTestSummary(linked["suggested_lr"], linked["lower_lr"],
                                        linked["upper_lr"]) if linked else None,
        )

    def _guard_observes(self, rows: Rows, events: list[PendingEvent]) -> None:
        if self._guard is not None and "guard" not in self._disabled:
            self._safely("guard", self._guard.observe, rows)

    def _run_guard(self, trainer: Any, pl_module: Any) -> None:
        """Each rank decides on its own loss; under DDP the decisions are OR-ed every few steps,
        so all act together."""
        guard = self._guard
        assert guard is not None
        step = _batches_stepped(trainer)
        if trainer.is_global_zero and self._recorder is not None:
            notices, decision = guard.check(step)
            for notice in notices:
                self._notify(notice)
            self._pending = self._pending or decision
        if not guard.config.acts:
            return
        snapshot = guard.config.on_diverge == "recover" and guard.snapshot_due(step)
        if trainer.world_size > 1:
            if step % DDP_DECISION_EVERY != 0:
                return
            if not trainer.is_global_zero:
                guard.observe_own_losses()
                self._pending = self._pending or guard.check(step)[1]
            self._pending, snapshot = guard.agree(step, self._pending, snapshot,
                                                  trainer.global_rank, pl_module.device)
        decision, self._pending = self._pending, None
        schedulers = [c.scheduler for c in trainer.lr_scheduler_configs]
        if decision is not None:
            self._act(trainer, pl_module, decision, schedulers)
        elif snapshot:
            guard.snapshot(step, pl_module, trainer.optimizers, schedulers)

    def _look_last(self) -> None:
        """The guard's look at the last rows (training is over: no action)."""
        assert self._guard is not None
        for notice in self._guard.check(max(self._last_step, 0))[0]:
            self._notify(notice)
        skipped = self._guard.skipped_steps
        if skipped > 1:
            log.warning(f"lrwatch: run '{self._guard.run_name}' skipped the updates of {skipped} "
                        "outlier steps (on_spike='skip'); each is an event in the store")

    def _final_verdict(self) -> None:
        """One line with the run's final verdict, read back from the store as ``lrwatch
        analyze`` reads it (guard recoveries and several optimizers included), and its event."""
        from lrwatch.analysis import analyze
        from lrwatch.readers import read_store_run
        from lrwatch.store import Store

        assert self.run is not None and self._backend is not None
        with Store(self._backend.path, readonly=True) as store:  # a server's local spool
            diagnosis = analyze(read_store_run(store, self.run.id).curves)
        step = max(self._last_step, 0)
        seen = self._guard.rows_seen if self._guard is not None else None
        self._notify(Notice(step, keys.EVENT_DIAGNOSIS, final_line(self.run.name, diagnosis),
                            {**diagnosis.to_dict(), "final": True, "rows_seen_by_alarm": seen}))

    def _act(self, trainer: Any, pl_module: Any, decision: Decision, schedulers: list[Any]) -> None:
        guard = self._guard
        assert guard is not None
        if decision.action == "stop":
            trainer.should_stop = True
            self._status = DIVERGED
            payload: dict[str, Any] = {"action": "stop", "reason": decision.reason}
            message = (f"lrwatch: stopping run '{guard.run_name}' at step {decision.step}: "
                       f"{decision.reason}")
        else:
            payload = guard.recover(decision, pl_module, trainer.optimizers, schedulers)
            message = (f"lrwatch: recovered run '{guard.run_name}' at step {decision.step}: "
                       f"back to the weights of step {payload['restored_step']}, LR x"
                       f"{decision.lr_factor:.3g} ({payload['lr_before']:.3g} -> "
                       f"{payload['lr_after']:.3g}); recovery {payload['recovery']} of "
                       f"{guard.config.max_recoveries}. Cause: {decision.reason}")
        if trainer.is_global_zero:
            self._notify(Notice(decision.step, keys.EVENT_ACTION, message, payload))

    def _notify(self, notice: Notice) -> None:
        """One warning line on rank 0 (unless the notice is a counted repeat) and one event in
        the store."""
        if notice.log:
            log.warning(notice.message)
        if self._writer is not None:
            self._writer.put(events=[PendingEvent(step=notice.step, kind=notice.kind,
                                                  payload={**notice.payload, "message": notice.message},
                                                  time=time.time())])
        if self._notifier is not None:
            send = (self._notifier.guard_acted if notice.kind == keys.EVENT_ACTION
                    else self._notifier.diagnosis_changed)
            self._safely("notify", send, notice.step, notice.message, notice.payload)

    # -- plumbing ----------------------------------------------------------------------------
    def _hand_over(self, rows: Rows, events: list[PendingEvent]) -> None:
        if self._writer is not None:
            self._writer.put(rows, events)

    def _writer_failed(self, exc: BaseException) -> None:
        """Told from the writer thread (once per failure streak): nothing to raise into."""
        _rank_zero_warn(f"lrwatch: writing to {self.store_path} failed ({exc}); rows are kept "
                        "and retried, training goes on")

    def _safely(self, part: str, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn``; on an internal error warn once and turn ``part`` off (unless strict)."""
        if part in self._disabled:
            return None
        try:
            return fn(*args)
        except Exception as exc:
            if self.strict:
                raise
            self._disabled.add(part)
            _rank_zero_warn(f"lrwatch: {part} failed ({type(exc).__name__}: {exc}); it is off "
                            "for the rest of this run, training goes on")
            return None

    def _metadata(self, trainer: Any, pl_module: Any) -> dict[str, Any]:
        optimizers = list(trainer.optimizers)
        optimizer, momentum, planned = _training_facts(trainer)
        lightning = lightning_of(trainer)
        return {
            "kind": "train",
            "model": type(pl_module).__name__,
            "optimizer": optimizer,
            "optimizers": [{"class": type(o).__name__, "hparams": _hparams_of(o)} for o in optimizers],
            "momentum": momentum,
            "schedulers": [type(c.scheduler).__name__ for c in trainer.lr_scheduler_configs],
            "batch_size": _loader_batch_size(trainer),
            "accumulate_grad_batches": trainer.accumulate_grad_batches,
            "gradient_clip_val": trainer.gradient_clip_val,
            "gradient_clip_algorithm": trainer.gradient_clip_algorithm,
            "precision": str(trainer.precision),
            "world_size": trainer.world_size,
            "param_count": sum(p.numel() for p in pl_module.parameters()),
            "planned_steps": planned,
            "max_epochs": trainer.max_epochs,
            "hparams": dict(getattr(pl_module, "hparams", {}) or {}),
            "record": self.config.to_dict(),
            "range_test": self._range_test,
            "lightning_package": lightning.__name__,
            "versions": {"lrwatch": __version__, "torch": torch.__version__,
                         "lightning": lightning.__version__,
                         "python": platform.python_version()},
        }


def final_line(run_name: str, d: Diagnosis) -> str:
    """``lrwatch: final verdict on run 'x' (435 steps): ...``: what to do next, in one line."""
    head = f"lrwatch: final verdict on run '{run_name}' ({d.steps} steps): "
    if d.status is Status.INSUFFICIENT_DATA:
        needs = f": needs ~{d.needed_steps} steps" if d.needed_steps else ""
        return head + f"too short to judge{needs}"
    return head + describe(d)


# -- helpers that read Lightning objects --------------------------------------------------------
def _batches_stepped(trainer: Any) -> int:
    """Index of the current optimizer step: what Lightning's loggers use as ``step``."""
    try:
        return int(trainer.fit_loop.epoch_loop._batches_that_stepped)
    except AttributeError:
        return int(trainer.global_step)


def _training_facts(trainer: Any) -> tuple[str | None, float | None, int | None]:
    """The first optimizer's class name, its momentum (SGD) or beta1 (Adam), planned steps."""
    first = trainer.optimizers[0] if trainer.optimizers else None
    group = first.param_groups[0] if first is not None and first.param_groups else {}
    planned = trainer.estimated_stepping_batches
    return (type(first).__name__ if first is not None else None,
            group.get("momentum", (group.get("betas") or (None,))[0]),
            int(planned) if planned not in (None, float("inf")) else None)


def _clipping_on(trainer: Any) -> bool:
    return bool(trainer.gradient_clip_val) and trainer.lightning_module.automatic_optimization


def norm_clip(trainer: Any) -> float | None:
    """The max gradient norm Lightning clips to, when it clips by norm (its default algorithm):
    the diagnosis then reads the effective step ``lr x clip / |g|``."""
    algorithm = getattr(trainer, "gradient_clip_algorithm", None) or "norm"
    algorithm = str(getattr(algorithm, "value", algorithm)).lower()
    if not _clipping_on(trainer) or not algorithm.endswith("norm"):
        return None
    return float(trainer.gradient_clip_val)


def _loss_of(outputs: Any) -> torch.Tensor | None:
    """The loss a training step returned (a tensor, or ``{"loss": tensor, ...}``)."""
    if isinstance(outputs, torch.Tensor):
        loss = outputs
    elif isinstance(outputs, Mapping):
        loss = outputs.get("loss")
    else:
        return None
    if isinstance(loss, torch.Tensor) and loss.numel() == 1:
        return loss.reshape(())
    return None


def _batch_size(batch: Any) -> int:
    """Samples in a batch: the first dimension of its first tensor."""
    if isinstance(batch, torch.Tensor):
        return int(batch.shape[0]) if batch.ndim else 1
    if isinstance(batch, Mapping):
        batch = list(batch.values())
    if isinstance(batch, (list, tuple)):
        for item in batch:
            size = _batch_size(item)
            if size:
                return size
    return 0


def _loader_batch_size(trainer: Any) -> int | None:
    loader = trainer.train_dataloader
    size = getattr(loader, "batch_size", None)
    if size is None:
        size = getattr(getattr(loader, "batch_sampler", None), "batch_size", None)
    return int(size) if isinstance(size, int) else None


def _val_loss(metrics: Mapping[str, Any]) -> float | None:
    for name in VAL_LOSS_NAMES:
        value = metrics.get(name)
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            return float(value)
        if isinstance(value, (int, float)):
            return float(value)
    return None


def _hparams_of(optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    group = optimizer.param_groups[0] if optimizer.param_groups else {}
    return {k: v for k, v in group.items() if k != "params"}


def _nonfinite_on_host(pending: list[tuple[str, torch.Tensor]]) -> bool:
    """A non-finite global gradient norm this step, when reading it costs no device sync."""
    for key, value in pending:
        if key.startswith(keys.GRAD_NORM) and value.ndim == 0 and value.device.type == "cpu":
            return not bool(torch.isfinite(value))
    return False


def _no_amp_scaler(trainer: Any) -> bool:
    """AMP's GradScaler skips non-finite steps itself: leave those to it."""
    return getattr(trainer.precision_plugin, "scaler", None) is None


def _drop_gradients(optimizer: Any) -> None:
    """Make this optimizer step a no-op: torch optimizers skip parameters without gradients."""
    raw = getattr(optimizer, "optimizer", optimizer)
    for group in raw.param_groups:
        for p in group["params"]:
            p.grad = None


def _rank_zero_info(message: str) -> None:
    from lrwatch._compat import rank_zero_info

    rank_zero_info(message)


def _rank_zero_warn(message: str) -> None:
    from lrwatch._compat import rank_zero_warn

    rank_zero_warn(message)
