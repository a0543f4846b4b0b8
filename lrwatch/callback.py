"""``LRWatch``: the Lightning callback that records every optimizer step into a run store.

A thin adapter: Lightning's hooks are translated into calls on ``lrwatch.engine.Engine``, which
records, diagnoses, guards and writes (the same engine ``Watch`` and the Hugging Face callback
use). What the user logs with ``self.log`` is stored too, under ``logged/<name>`` at the steps
it was logged. At the end of fit one line gives the final verdict, the one ``lrwatch analyze``
gives on the stored run. Global rank 0 records; other ranks do nothing per step. An internal
error never takes training down: the failing part warns once and turns itself off
(``strict=True`` re-raises, for tests). A store that cannot be used is a clear error at the
start of training.
"""

from __future__ import annotations

import math
import os
from typing import Any, Literal, Mapping

import torch

from lrwatch import keys
from lrwatch._compat import CALLBACK_BASES, lightning_of
from lrwatch.analysis.types import RangeTestSummary
from lrwatch.config import check_bool
from lrwatch.engine import (
    TrainingFacts,
    count_parameters,
    judged_optimizer,
    optimizer_facts,
    run_metadata,
    torch_all_ranks_max,
)
from lrwatch.errors import ConfigError
from lrwatch.front_end import FrontEnd
from lrwatch.store import FAILED, FINISHED, INTERRUPTED, default_store_path

# Names under which users log their validation loss, most specific first.
VAL_LOSS_NAMES = ("val_loss", "val/loss", "valid_loss", "validation_loss", "val_loss_epoch")


class LRWatch(*CALLBACK_BASES, FrontEnd):  # type: ignore[misc]
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
        lr_factor: LR multiplier of a recovery: the LR from there on is at most this times the
            LR that diverged (default: the diagnosis's suggestion, ~0.1).
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
            loss, which is adversarial: its gradient and update health per optimizer instead
            (unless ``shared_loss``).
        mirror: send each diagnosis change and guard action to every logger of the Trainer
            too (an ``lrwatch/status`` scalar; TensorBoard text, MLflow tags, a W&B alert); see
            ``lrwatch.notify.loggers``. The store records regardless.
        alert: a webhook URL (Slack incoming webhook or compatible) that gets a
            ``{"text": ...}`` message on each diagnosis change and guard action, from a
            background thread; a slow or dead endpoint never holds training.
        strict: re-raise lrwatch's internal errors instead of warning and going on.
        fine_tune: training starts from pretrained weights (True), from scratch (False), or
            unknown (None: True where the model shows it, a Hugging Face model loaded by
            ``from_pretrained`` or a PEFT model inside it). A fine-tune's LR is read against the
            fine-tuning range (AdamW 1e-5-3e-4), and an increase is at most 3x.
        classes: the classes (or vocabulary size) of a cross-entropy loss; its chance level
            ln K lets the diagnosis tell a loss stuck at a uniform guess or worse than one.
            Default: read from a Hugging Face model's config (num_labels / id2label of a
            ...ForSequenceClassification/TokenClassification model, vocab_size of a language
            model), else unknown.
        shared_loss: several optimizers step one loss together (a Muon + AdamW hybrid: Muon
            for the weight matrices, AdamW for embeddings and norms), not against each other (a
            GAN): the loss is judged, against the LR of the one that steps the weight matrices
            (Muon, where one is; else the first). Default False: several optimizers get no LR
            verdict from the loss.

    Example::

        trainer = pl.Trainer(max_epochs=5, callbacks=[LRWatch()])
        trainer.fit(model, datamodule)
        # then, in a shell: lrwatch runs
    """

    # Spelled out (FrontEnd's options), not ``**options``: LightningCLI and Hydra build the
    # callback from this signature and check a config file's values against its types.
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
        fine_tune: bool | None = None,
        classes: int | None = None,
        shared_loss: bool = False,
    ) -> None:
        if loss_key is not None and (not isinstance(loss_key, str) or not loss_key.strip()):
            raise ConfigError(f"loss_key must be the name of a logged metric, got {loss_key!r}")
        check_bool("mirror", mirror)
        FrontEnd.__init__(
            self, store, name, on_diverge=on_diverge, every_n_steps=every_n_steps,
            layer_every_n_steps=layer_every_n_steps,
            update_ratio_every_n_steps=update_ratio_every_n_steps,
            host_copy_every_n_steps=host_copy_every_n_steps,
            check_every_n_steps=check_every_n_steps, snapshot_every_n_steps=snapshot_every_n_steps,
            max_recoveries=max_recoveries, lr_factor=lr_factor, skip_batches=skip_batches,
            on_spike=on_spike, alert=alert, dashboard=dashboard, dashboard_host=dashboard_host,
            dashboard_port=dashboard_port, keep_dashboard=keep_dashboard, strict=strict,
            fine_tune=fine_tune, classes=classes, shared_loss=shared_loss)
        self.engine.warn = _rank_zero_warn  # once, on rank 0
        self.engine.stop_hint = " (a Trainer trains on until its min_steps and min_epochs are met)"
        self.config, self.guard_config = self.engine.record_config, self.engine.guard_config
        self.strict = strict
        self.loss_key = loss_key
        self.mirror = mirror
        self._logged: dict[str, Any] = {}  # each logged metric's last value object, stored once
        self._stepped = False
        self._steps_seen = 0  # this fit's optimizer steps
        self._loss_seen = False  # whether any of them had a loss (returned, or loss_key's)
        self._micro_losses = 0  # micro-batch losses given to the engine since the last step

    # -- state across checkpoints ----------------------------------------------------------
    @property
    def state_key(self) -> str:
        # Lightning formats it on every hook call (profiler names): build it once
        key = self.__dict__.get("_state_key")
        if key is None:
            key = self.__dict__["_state_key"] = self._generate_state_key(name=self.name)
        return key

    def state_dict(self) -> dict[str, Any]:
        return {"run_uid": self.run.uid if self.run else self.engine.resume_uid,
                "store_path": str(self.store_path) if self.store_path else None,
                "guard": self.engine.guard_state() or self.engine.resume_guard}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.engine.resume_uid = state_dict.get("run_uid")
        self.engine.resume_guard = state_dict.get("guard")

    # -- the range test that came before ---------------------------------------------------
    def link_range_test(self, uid: str, summary: RangeTestSummary) -> None:
        """Record that the range test stored as run ``uid`` chose this run's starting LR."""
        self.engine.link_range_test(uid, summary)

    # -- set-up and tear-down --------------------------------------------------------------
    def setup(self, trainer: Any, pl_module: Any, stage: str) -> None:
        if stage != "fit" or not trainer.is_global_zero:
            return
        path = self.store_arg if self.store_arg is not None else default_store_path(
            trainer.default_root_dir)
        self.engine.open_store(path)  # clear error now if unusable
        self._serve_dashboard(info=lightning_of(trainer).utilities.rank_zero_info)

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        self._logged = {}
        self._steps_seen, self._loss_seen, self._micro_losses = 0, False, 0
        engine = self.engine
        name = self.name or type(pl_module).__name__
        engine.begin(name, self._facts(trainer, pl_module), trainer.optimizers,
                     judged=judged_optimizer(trainer.optimizers, self.shared_loss),
                     rank_zero=trainer.is_global_zero)
        if not trainer.is_global_zero or self.store_path is None:
            return
        run = self._record(name, self._metadata(trainer, pl_module), pl_module.named_parameters(),
                           _clipping_on(trainer), loggers=trainer.loggers if self.mirror else ())
        lightning_of(trainer).utilities.rank_zero_info(
            f"lrwatch: recording run '{run.name}' to {self.store_path} "
            f"(see it with: lrwatch runs {self.store_path})")

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        if trainer.is_global_zero and self.engine.recording:
            self._tell_if_no_loss(trainer)
        self.engine.train_end(_batches_stepped(trainer), rank_zero=trainer.is_global_zero)

    def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
        self.engine.finish(self.engine.status or FINISHED)

    def teardown(self, trainer: Any, pl_module: Any, stage: str) -> None:
        if stage == "fit":
            self.engine.finish(self.engine.status or FINISHED)
            self._note_dashboard(_rank_zero_info)

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        interrupted = isinstance(exception, KeyboardInterrupt) or (
            type(exception).__name__ == "SIGTERMException")
        self.engine.finish(INTERRUPTED if interrupted else FAILED)
        self._note_dashboard(_rank_zero_info)

    # -- per step ----------------------------------------------------------------------------
    def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        self.engine.restart_clock()

    def on_before_backward(self, trainer: Any, pl_module: Any, loss: Any) -> None:
        self.engine.backward_loss(loss)

    def on_before_optimizer_step(self, trainer: Any, pl_module: Any, optimizer: Any) -> None:
        self._stepped = True
        self.engine.before_optimizer_step(
            optimizer, _batches_stepped(trainer),
            may_drop=trainer.world_size == 1 and _no_amp_scaler(trainer))

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        engine = self.engine
        if engine.recording:
            engine.add_samples(_batch_size(batch))
        # a rank that does not record keeps it for its guard (DDP: every rank judges its own)
        loss = _loss_of(outputs) if self.loss_key is None or not engine.recording else None
        if loss is not None:
            engine.add_loss(loss)
            self._loss_seen = True
            self._micro_losses += 1
        if not self._stepped:
            return  # accumulating: the optimizer has not stepped yet
        self._stepped = False
        self._steps_seen += 1
        # Lightning divides each micro-batch's loss by accumulate_grad_batches, also in an
        # epoch's last, shorter group (or one where a step returned None): their sum is the
        # step's mean loss only over a full group
        accumulate = trainer.accumulate_grad_batches
        if 0 < self._micro_losses < accumulate and pl_module.automatic_optimization:
            engine.scale_loss(accumulate / self._micro_losses)
        self._micro_losses = 0
        step = _batches_stepped(trainer)
        engine.end_step(step, trainer.current_epoch, trainer.world_size,
                        lambda s: self._record_logged(trainer, s))
        schedulers = [c.scheduler for c in trainer.lr_scheduler_configs]
        decision = engine.guard_step(
            step, pl_module, schedulers, rank_zero=trainer.is_global_zero,
            rank=trainer.global_rank,
            exchange=torch_all_ranks_max if trainer.world_size > 1 else None)
        if decision is not None and decision.action == "stop":
            trainer.should_stop = True

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        engine = self.engine
        if trainer.sanity_checking or not engine.recording:
            return
        # before this fit's first step (a resumed run validating first): the last step done
        last = max(engine.last_step if engine.last_step >= 0 else _batches_stepped(trainer) - 1, 0)
        value = _val_loss(trainer.callback_metrics)
        if value is not None:
            engine.add_value(keys.VAL_LOSS, last, value)
        engine.safely("recording", self._record_logged, trainer, last)
        engine.restart_clock()  # validation time is not step time

    def _record_logged(self, trainer: Any, step: int) -> None:
        """Store at ``step`` the metrics logged since the last look (each ``self.log`` call
        makes a new value object; with accumulation, the last micro-batch's); ``loss_key``'s is
        the step's loss too."""
        recorder = self.engine.recorder
        assert recorder is not None
        for name, value in trainer.callback_metrics.items():
            if self._logged.get(name) is value or not isinstance(value, torch.Tensor) \
                    or value.numel() != 1:
                continue
            self._logged[name] = value
            recorder.add_logged(keys.logged_key(name), step, value)
            if name == self.loss_key and not trainer.validating:
                recorder.add_loss(value)
                self._loss_seen = True

    def _tell_if_no_loss(self, trainer: Any) -> None:
        """Warn when a run of one optimizer stepped but never had a loss (a ``training_step``
        that returns nothing, or a ``loss_key`` never logged): its final verdict can only say
        that no loss was recorded; this says why, and what to pass."""
        if not self._steps_seen or self._loss_seen or len(trainer.optimizers) != 1:
            return
        logged = sorted(n for n, v in trainer.callback_metrics.items()
                        if isinstance(v, torch.Tensor) and v.numel() == 1)
        names = f" (it logs: {', '.join(logged)})" if logged else ""
        if self.loss_key is not None:
            why = (f"loss_key '{self.loss_key}' was never logged by training_step{names}; "
                   "pass LRWatch(loss_key=...) the name of the loss it logs")
        else:
            why = ("training_step returned no loss (manual optimization returns none); return "
                   f"the loss, or pass LRWatch(loss_key=...) the name of the loss it logs{names}")
        name = self.run.name if self.run is not None else type(trainer.lightning_module).__name__
        self.engine.warn(f"lrwatch: run '{name}' recorded no loss in {self._steps_seen} steps: "
                         + why)

    def _facts(self, trainer: Any, pl_module: Any) -> TrainingFacts:
        return _training_facts(trainer, self._fine_tune(pl_module), self._classes(pl_module),
                               judged_optimizer(trainer.optimizers, self.shared_loss))

    def _metadata(self, trainer: Any, pl_module: Any) -> dict[str, Any]:
        lightning = lightning_of(trainer)
        return run_metadata(
            "lightning", pl_module, trainer.optimizers, self._facts(trainer, pl_module),
            self.config, judged_optimizer(trainer.optimizers, self.shared_loss),
            schedulers=[type(c.scheduler).__name__ for c in trainer.lr_scheduler_configs],
            accumulate_grad_batches=trainer.accumulate_grad_batches,
            gradient_clip_val=trainer.gradient_clip_val,
            gradient_clip_algorithm=trainer.gradient_clip_algorithm,
            precision=str(trainer.precision),
            world_size=trainer.world_size,
            max_epochs=trainer.max_epochs,
            hparams=dict(getattr(pl_module, "hparams", {}) or {}),
            lightning_package=lightning.__name__,
            versions={"lightning": lightning.__version__},
        )


# -- helpers that read Lightning objects --------------------------------------------------------
def _batches_stepped(trainer: Any) -> int:
    """Index of the current optimizer step: what Lightning's loggers use as ``step``."""
    try:
        return int(trainer.fit_loop.epoch_loop._batches_that_stepped)
    except AttributeError:
        return int(trainer.global_step)


def _training_facts(trainer: Any, fine_tune: bool | None, classes: int | None,
                    judged: int | None) -> TrainingFacts:
    """What the online analysis is told: the judged optimizer and its momentum, batch size,
    planned steps, clip, model size, whether it fine-tunes, and the classes of its loss."""
    optimizer, momentum = optimizer_facts(trainer.optimizers, judged)
    return TrainingFacts(optimizer=optimizer, momentum=momentum,
                         batch_size=_loader_batch_size(trainer),
                         total_steps=_planned_steps(trainer),
                         clip=norm_clip(trainer),
                         param_count=count_parameters(trainer.lightning_module),
                         fine_tune=fine_tune, classes=classes)


def _planned_steps(trainer: Any) -> int | None:
    """The optimizer steps the fit plans, or None when unknown: Lightning says inf, or -1 (its
    ``max_steps`` default) for an iterable dataset of no length trained by epochs."""
    planned = trainer.estimated_stepping_batches
    if isinstance(planned, (int, float)) and math.isfinite(planned) and planned >= 1:
        return int(planned)
    return None


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


def _no_amp_scaler(trainer: Any) -> bool:
    """AMP's GradScaler skips non-finite steps itself: leave those to it."""
    return getattr(trainer.precision_plugin, "scaler", None) is None


def _rank_zero_info(message: str) -> None:
    from lrwatch._compat import rank_zero_info

    rank_zero_info(message)


def _rank_zero_warn(message: str) -> None:
    from lrwatch._compat import rank_zero_warn

    rank_zero_warn(message)
