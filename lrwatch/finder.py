"""The LR range test for Lightning: ``find_lr`` and its callback form ``LRFinder``.

``find_lr(trainer, model, ...)`` takes the arguments of Lightning's ``Tuner(trainer).lr_find``
with the same meanings and returns an object with the same ``suggestion()`` and ``results``, so
switching is one line. The suggestion comes from ``lrwatch.analysis.rangetest`` (a rule built to
be robust to noise, with a safe range and a reason); Lightning's own pick is reported beside it.
What does not depend on Lightning (settings, schedule, per-step record, result, store entry) is
``lrwatch.finder_engine``, shared with the plain-loop and Hugging Face front ends. Errors are
Lightning's types too (``LightningConfigError``, ``LRAttributeError``), so code written for
Lightning's tuner catches them.

How the test runs. Like Lightning, inside ``on_fit_start`` on the trainer's own fit loop, so
gradient accumulation, clipping, precision and DDP behave as in the real training. Unlike
Lightning, it does not call Lightning's private ``_lr_find`` (its behaviour changed across
2.x releases: what it restores, whether it applies the LR, its suggestion rule): a small probe
callback sets the LR before each optimizer step and records the loss after it, and the state
is snapshotted in memory rather than in a temporary checkpoint file, so no file can be left
behind. The loop internals this needs (``fit_loop`` limits, its ``state_dict``, the resume
flags and the cached train loader) are touched in ``_swap_in``, ``_fresh_loop`` and
``_Snapshot.restore`` only; the one private Lightning name used is ``_TunerExitException``, with
which ``find_lr`` leaves ``fit`` as Lightning's own Tuner does (present since 2.0).

- The training data is cycled when it has fewer batches than ``num_training`` (Lightning stops
  at ``max_epochs`` and reads whatever part of the range it reached).
- Under DDP every rank trains; the recorded loss is the mean over ranks, rank 0 decides when to
  stop and its result is broadcast, and only rank 0 writes the store.
- Model, optimizer, LR scheduler, precision-plugin and loop state, and the random state, are
  restored afterwards, also when the test raises.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any


from lrwatch._compat import (
    CALLBACK_BASES,
    LightningConfigError,
    lightning_of,
    rank_zero_info,
    rank_zero_warn,
)
from lrwatch.errors import ConfigError, LRAttributeError
from lrwatch.finder_engine import (
    RangeTestResult,
    RangeTestSettings,
    StepRecorder,
    store_range_test,
)

if TYPE_CHECKING:
    import torch

__all__ = ["LRFinder", "RangeTestResult", "find_lr"]

#: a range test's run is named after the run it precedes: ``<run>-range-test``
RUN_NAME_SUFFIX = "-range-test"

# -- the public entry points -----------------------------------------------------------------


def find_lr(  # a deliberate mirror: Lightning's Tuner.lr_find arguments, names and defaults
    trainer: Any,
    model: Any,
    train_dataloaders: Any = None,
    val_dataloaders: Any = None,
    dataloaders: Any = None,
    datamodule: Any = None,
    method: str = "fit",
    min_lr: float = 1e-8,
    max_lr: float = 1.0,
    num_training: int = 100,
    mode: str = "exponential",
    early_stop_threshold: float | None = 4.0,
    update_attr: bool = True,
    attr_name: str = "",
    fine_tune: bool | None = None,
) -> RangeTestResult | None:
    """Run an LR range test and suggest a starting LR; a drop-in for ``Tuner.lr_find``.

    The LR rises from ``min_lr`` to ``max_lr`` over ``num_training`` optimizer steps of the
    trainer's own fit loop; the model, optimizer and scheduler are restored afterwards. The
    test is stored in the run store (the one of the trainer's ``LRWatch`` callback, else
    ``<default_root_dir>/lrwatch_logs``) so the dashboard and ``lrwatch analyze`` can use it.

    Args:
        trainer: a Lightning ``Trainer`` (``lightning.pytorch`` or ``pytorch_lightning``).
        model: the ``LightningModule``; it needs ``lr`` or ``learning_rate`` (or ``attr_name``)
            when ``update_attr`` is on.
        train_dataloaders, val_dataloaders, datamodule: as for ``trainer.fit``.
        dataloaders: only for other methods; must stay None (as in Lightning).
        method: only ``"fit"``: the range test trains.
        min_lr, max_lr: the LR range, positive.
        num_training: optimizer steps (LRs tried); the data is cycled if shorter. Below 20
            the curve is too short to read: the result then has no suggestion, and says so.
        mode: ``"exponential"`` (even steps in log LR) or ``"linear"``.
        early_stop_threshold: stop once Lightning's smoothed loss exceeds this many times its
            best; None runs all steps.
        update_attr: set the model's LR attribute to the suggestion (never when inconclusive).
        attr_name: the attribute; ``lr`` and ``learning_rate`` are found by themselves.
        fine_tune: True when the model starts from pretrained weights: the suggestion is then
            where the pretrained loss starts to be damaged, less a margin, kept in the
            optimizer's fine-tuning range (1e-5 to 3e-4 for Adam, moved with other adaptive
            optimizers' LR scale; 1e-4 to 1e-2 for SGD) unless the curve says otherwise; the
            reason says which. None (the default) detects it: frozen parameters, or a loss
            that fell only a little before it started to rise at a fine-tuning LR. False reads
            the curve as training from scratch.

    Returns:
        A ``RangeTestResult`` (``suggestion()``, ``results``, ``plot()``, ``lower``,
        ``upper``, ``reason``, ``lightning_suggestion``), or None under ``fast_dev_run``.

    Raises:
        ConfigError: an argument is out of range, no optimizer or several, or the trainer
            cannot run the test (see the message); it is also Lightning's
            ``MisconfigurationException``, as Lightning's tuner raises.
        LRAttributeError: the model has no LR attribute to update (an ``AttributeError`` and a
            ``ConfigError``).

    Arguments Lightning accepts but that make a poor test (``num_training`` below 20,
    ``min_lr`` above ``max_lr``, ``early_stop_threshold`` not above 1) run with a warning.

    Example::

        result = find_lr(trainer, model, datamodule=dm)
        print(result.suggestion(), result.reason)
        result.plot().show()
    """
    with _lightning_errors():
        if method != "fit":
            raise ConfigError(f"find_lr: method={method!r} is not supported; the range test "
                              "trains, so only method='fit' works")
        if dataloaders is not None:
            raise ConfigError("find_lr: `dataloaders` is for evaluation methods; pass the "
                              "training data as train_dataloaders= or datamodule=")
        _check_objects(trainer, model)
        finder = _FindLrFinder(min_lr, max_lr, num_training, mode, early_stop_threshold,
                               update_attr, attr_name, fine_tune=fine_tune)
        _check_trainer(trainer, for_find_lr=True)
        if update_attr:
            _lr_attribute(lightning_of(trainer), model, attr_name)  # fail before training
        finder._exit_after = True
        trainer.callbacks = [finder, *trainer.callbacks]
        try:
            trainer.fit(model, train_dataloaders, val_dataloaders, datamodule)
        finally:
            trainer.callbacks = [cb for cb in trainer.callbacks if cb is not finder]
    return finder.result


@contextlib.contextmanager
def _lightning_errors() -> Iterator[None]:
    """Raise lrwatch's argument errors as ``LightningConfigError``: still a ``ConfigError``,
    and the ``MisconfigurationException`` code written for Lightning's tuner catches."""
    try:
        yield
    except (LightningConfigError, LRAttributeError):
        raise
    except ConfigError as error:
        raise LightningConfigError(str(error)) from None


class LRFinder(*CALLBACK_BASES):  # type: ignore[misc]
    """Run an LR range test at the start of ``fit`` and optionally train with its suggestion.

    The callback form of ``find_lr``, like Lightning's ``LearningRateFinder`` (same arguments).
    With ``update_attr`` the model's LR attribute is set and ``configure_optimizers`` is called
    again, so the optimizer and any LR scheduler start from the suggested LR.

    Args:
        min_lr, max_lr, num_training_steps, mode, early_stop_threshold, update_attr, attr_name,
            fine_tune: as for ``find_lr`` (``num_training_steps`` is its ``num_training``).
        store: record the test in the run store.

    Attributes:
        result: the ``RangeTestResult`` once the test ran (``optimal_lr`` is an alias, as
            Lightning names it).

    Example::

        trainer = Trainer(callbacks=[LRFinder(min_lr=1e-6, max_lr=1.0), LRWatch()])
        trainer.fit(model, datamodule=dm)
    """

    # what its messages call it and its number of steps (``find_lr``: its own names)
    _called, _steps_arg = "LRFinder", "num_training_steps"

    def __init__(  # a deliberate mirror: Lightning's LearningRateFinder arguments and defaults
        self,
        min_lr: float = 1e-8,
        max_lr: float = 1.0,
        num_training_steps: int = 100,
        mode: str = "exponential",
        early_stop_threshold: float | None = 4.0,
        update_attr: bool = True,
        attr_name: str = "",
        store: bool = True,
        fine_tune: bool | None = None,
    ) -> None:
        with _lightning_errors():
            self.settings = RangeTestSettings.checked(min_lr, max_lr, num_training_steps, mode,
                                                      early_stop_threshold, rank_zero_warn,
                                                      fine_tune=fine_tune, front_end=self._called,
                                                      steps_arg=self._steps_arg)
        self.fine_tune = self.settings.fine_tune
        self.min_lr, self.max_lr = self.settings.min_lr, self.settings.max_lr
        self.num_training = self.settings.num_training
        self.mode = self.settings.mode
        self.early_stop_threshold = self.settings.early_stop_threshold
        self.update_attr = bool(update_attr)
        self.attr_name = attr_name
        self.store = store
        self.result: RangeTestResult | None = None
        self._exit_after = False  # find_lr: leave fit once the test is done

    @property
    def optimal_lr(self) -> RangeTestResult | None:
        """Lightning's name for the result object."""
        return self.result

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        self.lr_find(trainer, pl_module)

    def lr_find(self, trainer: Any, pl_module: Any) -> RangeTestResult | None:
        """Run the test now (the start of fit); sets and returns ``self.result``."""
        pl = lightning_of(trainer)
        if trainer.fast_dev_run:
            rank_zero_warn("find_lr: skipped because fast_dev_run is on")
            return self._exit(pl)
        with _lightning_errors():
            _check_trainer(trainer, for_find_lr=False)
            attr = _lr_attribute(pl, pl_module, self.attr_name) if self.update_attr else None
            optimizer = _the_optimizer(trainer, pl_module)
            fine_tune = self.settings.fine_tune_of(pl_module)
        probe = _Probe(StepRecorder(self.settings, optimizer),
                       scale=trainer.accumulate_grad_batches if pl_module.automatic_optimization
                       else 1)
        seed = importlib.import_module(f"{pl.__name__}.utilities.seed")
        with seed.isolate_rng():
            snapshot = _Snapshot.take(trainer, pl_module)
            try:
                _swap_in(pl, trainer, probe, self.num_training)
                trainer.fit_loop.run()
            finally:
                snapshot.restore(trainer, pl_module)
        recorder = trainer.strategy.broadcast(probe.recorder, src=0)
        result = RangeTestResult.of(recorder, optimizer, fine_tune)
        if self.store:
            uid = _store_range_test(trainer, pl_module, result, self.settings) \
                if trainer.is_global_zero else None
            result.run_uid = trainer.strategy.broadcast(uid, src=0)
        self.result = result
        result.report(rank_zero_warn, rank_zero_info)
        suggested = result.reading.suggested_lr
        if attr is not None and suggested is not None:
            _apply(pl, trainer, pl_module, attr, suggested, rebuild=not self._exit_after)
        return self._exit(pl)

    def _exit(self, pl: Any) -> RangeTestResult | None:
        """In find_lr, leave ``fit`` the way Lightning's Tuner does (a clean teardown)."""
        if self._exit_after:
            exceptions = importlib.import_module(f"{pl.__name__}.utilities.exceptions")
            raise exceptions._TunerExitException()
        return self.result


class _FindLrFinder(LRFinder):
    """The callback ``find_lr`` runs: its messages name ``find_lr`` and ``num_training``."""

    _called, _steps_arg = "find_lr", "num_training"


# -- argument checks -------------------------------------------------------------------------


def _check_objects(trainer: Any, model: Any) -> None:
    """A Trainer first, then a LightningModule of the same Lightning package."""
    pl = lightning_of(trainer)
    if not isinstance(trainer, pl.Trainer):
        raise ConfigError(f"find_lr: the first argument must be a Lightning Trainer, got "
                          f"{type(trainer).__name__}; call find_lr(trainer, model, ...)")
    if not isinstance(model, pl.LightningModule):
        raise ConfigError(f"find_lr: the model must be a {pl.__name__}.LightningModule (the "
                          f"trainer's package), got {type(model).__name__}")


def _check_trainer(trainer: Any, for_find_lr: bool) -> None:
    pl = lightning_of(trainer)
    others = [type(cb).__name__ for cb in trainer.callbacks
              if isinstance(cb, (LRFinder, pl.callbacks.LearningRateFinder))]
    if for_find_lr and others:
        raise ConfigError(f"find_lr: the trainer already has a {others[0]} callback; remove it "
                          "or let it run the test at fit")
    strategy = trainer.strategy
    supported = (pl.strategies.SingleDeviceStrategy, pl.strategies.DDPStrategy)
    if not isinstance(strategy, supported):
        raise ConfigError(f"find_lr: the {type(strategy).__name__} strategy is not supported; "
                          "run the range test on one device or with strategy='ddp'")
    if for_find_lr and getattr(strategy, "_start_method", "popen") != "popen":
        raise ConfigError("find_lr: a spawned or forked DDP strategy cannot hand the result back "
                          "to this process; use strategy='ddp', or the LRFinder callback")


def _lr_attribute(pl: Any, pl_module: Any, attr_name: str) -> str:
    parsing = importlib.import_module(f"{pl.__name__}.utilities.parsing")
    names = (attr_name,) if attr_name else ("lr", "learning_rate")
    for name in names:
        if parsing.lightning_hasattr(pl_module, name):
            return name
    model = type(pl_module).__name__
    if attr_name:
        raise LRAttributeError(f"find_lr: {model} has no attribute or hparam {attr_name!r} to "
                               "update; fix attr_name or pass update_attr=False")
    raise LRAttributeError(
        f"find_lr: {model} has no `lr` or `learning_rate` attribute or hparam to update (the "
        "model or model.hparams should have one of these fields: lr, learning_rate); name it "
        "with attr_name=... or pass update_attr=False")


def _the_optimizer(trainer: Any, pl_module: Any) -> torch.optim.Optimizer:
    optimizers = [opt for opt in trainer.optimizers if type(opt).__name__ != "_MockOptimizer"]
    model = type(pl_module).__name__
    if not optimizers:
        raise ConfigError(f"find_lr: {model}.configure_optimizers() returned no optimizer; the "
                          "range test needs one to raise the LR of")
    if len(optimizers) > 1:
        raise ConfigError(f"find_lr: {model}.configure_optimizers() returned {len(optimizers)} "
                          "optimizers, but the range test only works with single optimizer")
    return optimizers[0]


# -- running the test ------------------------------------------------------------------------


class _Probe(*CALLBACK_BASES):  # type: ignore[misc]
    """The only callback during the test: sets each step's LR, records its loss, stops it."""

    def __init__(self, recorder: StepRecorder, scale: int) -> None:
        self.recorder = recorder
        self.scale = scale  # Lightning divides the loss it hands back by the accumulation
        self._start = 0
        self._sum: Any = 0.0
        self._count = 0

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        self._start = trainer.global_step

    def on_before_optimizer_step(self, trainer: Any, pl_module: Any, optimizer: Any) -> None:
        self.recorder.set_lr(optimizer, trainer.global_step - self._start)

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        if loss is not None:
            self._sum = self._sum + loss.detach().float() * self.scale
            self._count += 1
        step = trainer.global_step - self._start
        if step == len(self.recorder.lrs):  # still accumulating: no optimizer step in this batch
            return
        import torch

        # summed over ranks with the count, so a step every rank skipped is told from a NaN
        local = torch.stack([torch.as_tensor(self._sum, dtype=torch.float32).reshape(()),
                             torch.tensor(float(self._count))]).to(pl_module.device)
        total, count = trainer.strategy.reduce(local, reduce_op="sum").tolist()
        self._sum, self._count = 0.0, 0
        stop = self.recorder.record(step - 1, total / count if count else None)
        if trainer.strategy.broadcast(stop, src=0):
            trainer.fit_loop.epoch_loop.max_steps = trainer.global_step


@dataclass
class _Snapshot:
    """What a range test changes, kept in memory (no temporary checkpoint file)."""

    model: dict[str, Any]
    optimizers: list[dict[str, Any]]
    schedulers: list[dict[str, Any]]
    precision: dict[str, Any]
    loop: dict[str, Any]
    settings: dict[str, Any]

    @classmethod
    def take(cls, trainer: Any, pl_module: Any) -> _Snapshot:
        loop = trainer.fit_loop
        precision: dict[str, Any] = getattr(trainer.strategy.precision_plugin, "state_dict",
                                            dict)()
        return cls(
            model={k: _cpu_copy(v) for k, v in pl_module.state_dict().items()},
            optimizers=[copy.deepcopy(opt.state_dict()) for opt in trainer.optimizers],
            schedulers=[copy.deepcopy(cfg.scheduler.state_dict())
                        for cfg in trainer.lr_scheduler_configs],
            precision=copy.deepcopy(precision),
            loop=copy.deepcopy(loop.state_dict()),
            settings={
                "callbacks": trainer.callbacks,
                "loggers": trainer.loggers,
                "scheduler_configs": trainer.strategy.lr_scheduler_configs,
                "max_steps": loop.epoch_loop.max_steps,
                "max_epochs": loop.max_epochs,
                "limit_val_batches": trainer.limit_val_batches,
            },
        )

    def restore(self, trainer: Any, pl_module: Any) -> None:
        s = self.settings
        trainer.callbacks = s["callbacks"]
        trainer.loggers = s["loggers"]
        trainer.strategy.lr_scheduler_configs = s["scheduler_configs"]
        loop = trainer.fit_loop
        loop.epoch_loop.max_steps = s["max_steps"]
        loop.max_epochs = s["max_epochs"]
        trainer.limit_val_batches = s["limit_val_batches"]
        trainer.should_stop = False
        pl_module.load_state_dict(self.model)
        for opt, state in zip(trainer.optimizers, self.optimizers):
            opt.load_state_dict(state)
        for cfg, state in zip(trainer.lr_scheduler_configs, self.schedulers):
            cfg.scheduler.load_state_dict(state)
        if self.precision:
            trainer.strategy.precision_plugin.load_state_dict(self.precision)
        loop.load_state_dict(copy.deepcopy(self.loop))
        _fresh_loop(loop)


def _cpu_copy(value: Any) -> Any:
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", copy=True)
    return copy.deepcopy(value)


def _swap_in(pl: Any, trainer: Any, probe: _Probe, steps: int) -> None:
    """Make the fit loop run ``steps`` optimizer steps with only the probe watching."""
    dummy = importlib.import_module(f"{pl.__name__}.loggers.logger").DummyLogger
    trainer.callbacks = [probe]
    trainer.loggers = [dummy()] if trainer.loggers else []
    trainer.strategy.lr_scheduler_configs = []  # the probe owns the LR during the test
    loop = trainer.fit_loop
    loop.epoch_loop.max_steps = trainer.global_step + steps
    loop.max_epochs = -1  # cycle the data when it has fewer batches than steps
    trainer.limit_val_batches = 0
    _fresh_loop(loop)


def _fresh_loop(loop: Any) -> None:
    """Clear what marks a loop as resumed, and the cached train loader (rebuilt on next run)."""
    loop.restarting = False
    stack = [loop]
    while stack:
        current = stack.pop()
        for flag in ("_restarting", "_loaded_from_state_dict", "_resuming_from_checkpoint"):
            if hasattr(current, flag):
                setattr(current, flag, False)
        stack.extend(v for v in vars(current).values() if type(v).__name__.endswith("Loop"))
    if hasattr(loop, "_combined_loader"):
        loop._combined_loader = None


def _apply(pl: Any, trainer: Any, pl_module: Any, attr: str, lr: float, rebuild: bool) -> None:
    """Set the model's LR attribute; in the callback form also remake the optimizer with it."""
    parsing = importlib.import_module(f"{pl.__name__}.utilities.parsing")
    places = _lr_places(trainer, pl_module, attr)
    parsing.lightning_setattr(pl_module, attr, lr)
    rank_zero_info(f"find_lr: {' and '.join(places)} set to {lr:.4g}")
    if not rebuild:
        return
    before = [g.get("initial_lr", g["lr"]) for g in trainer.optimizers[0].param_groups]
    trainer.strategy.setup_optimizers(trainer)  # configure_optimizers() with the new LR
    after = [g.get("initial_lr", g["lr"]) for g in trainer.optimizers[0].param_groups]
    if after == before:
        rank_zero_warn(f"find_lr: configure_optimizers() does not read {attr}; the suggested LR "
                       "is set on the optimizer directly, but a scheduler may override it")
        for group in trainer.optimizers[0].param_groups:
            group["lr"] = lr


def _lr_places(trainer: Any, pl_module: Any, attr: str) -> list[str]:
    """Where Lightning's ``lightning_setattr`` writes ``attr``, as the user names it
    (``Model.lr``, ``Model.hparams.lr``, the datamodule's): the model's attribute, its
    hyperparameters, and the datamodule's attribute and hyperparameters, each that has it."""
    places = []
    for owner in (pl_module, getattr(trainer, "datamodule", None)):
        if owner is None:
            continue
        name = type(owner).__name__
        if hasattr(owner, attr):
            places.append(f"{name}.{attr}")
        if attr in getattr(owner, "hparams", {}):
            places.append(f"{name}.hparams.{attr}")
    return places


# -- the store -------------------------------------------------------------------------------


def _store_range_test(trainer: Any, pl_module: Any, result: RangeTestResult,
                      settings: RangeTestSettings) -> str | None:
    """Write the test as its own run; link it to the trainer's LRWatch callback. Rank 0 only."""
    from lrwatch.store import default_store_path

    watcher = _lrwatch_callback(trainer)
    path = getattr(watcher, "store_path", None) or default_store_path(trainer.default_root_dir)
    pl = lightning_of(trainer)
    meta = {
        "model": type(pl_module).__name__,
        "front_end": "lightning",
        "accumulate_grad_batches": trainer.accumulate_grad_batches,
        "gradient_clip_val": trainer.gradient_clip_val,
        "precision": str(trainer.precision),
        "world_size": trainer.world_size,
        "lightning_package": pl.__name__,
    }
    uid = store_range_test(path, result, meta, settings, {"lightning": pl.__version__},
                           rank_zero_warn, name=_run_name(watcher, pl_module))
    summary = result.summary()
    if uid is not None and watcher is not None and summary is not None:
        watcher.link_range_test(uid, summary)  # the next run records the link in its meta
    return uid


def _run_name(watcher: Any, pl_module: Any) -> str:
    """``<run>-range-test``, after the name ``LRWatch`` gives the training run (its ``name``,
    else the model's class), so a store of several models says which test was whose."""
    base = getattr(watcher, "name", None) or type(pl_module).__name__
    return base + RUN_NAME_SUFFIX


def _lrwatch_callback(trainer: Any) -> Any:
    from lrwatch.callback import LRWatch  # here: the callback module is heavy

    return next((cb for cb in trainer.callbacks if isinstance(cb, LRWatch)), None)
