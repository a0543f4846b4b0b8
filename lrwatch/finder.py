"""The LR range test for Lightning: ``find_lr`` and its callback form ``LRFinder``.

``find_lr(trainer, model, ...)`` takes the arguments of Lightning's ``Tuner(trainer).lr_find``
with the same meanings and returns an object with the same ``suggestion()`` and ``results``, so
switching is one line. The suggestion comes from ``lrwatch.analysis.rangetest`` (a rule built to
be robust to noise, with a safe range and a reason); Lightning's own pick is reported beside it.

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

import copy
import importlib
import math
import numbers
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lrwatch import keys
from lrwatch._compat import CALLBACK_BASES, lightning_of, rank_zero_info, rank_zero_warn
from lrwatch._version import __version__
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

__all__ = ["LRFinder", "RangeTestResult", "find_lr"]

MODES = ("exponential", "linear")
RUN_NAME = "range-test"


# -- the result ------------------------------------------------------------------------------


class RangeTestResult:
    """What a range test found: Lightning's ``_LRFinder`` interface, plus the reading.

    Attributes:
        results: ``{"lr": [...], "loss": [...]}`` as Lightning gives it (``loss`` is smoothed
            with Lightning's debiased EMA), plus ``"raw_loss"``: the loss of each step, and
            ``"smoothed_loss"``: lrwatch's lag-free smoothing.
        reading: the full ``RangeTestReading`` (status, safe range, reason, Lightning's pick).
        run_uid: the store entry of this test, when it was stored.
    """

    def __init__(self, lrs: list[float], losses: list[float], reading: RangeTestReading, *,
                 mode: str, min_lr: float, max_lr: float, num_training: int,
                 run_uid: str | None = None) -> None:
        self.reading = reading
        self.mode = mode
        self.lr_min = min_lr
        self.lr_max = max_lr
        self.num_training = num_training
        self.run_uid = run_uid
        raw = np.asarray(losses, dtype=np.float64)
        self.results: dict[str, list[float]] = {
            "lr": list(lrs),
            "loss": lightning_ema(raw).tolist(),
            "raw_loss": raw.tolist(),
            "smoothed_loss": reading.smoothed.tolist(),
        }

    def suggestion(self, skip_begin: int | None = None, skip_end: int | None = None
                   ) -> float | None:
        """The suggested starting LR, or None when the test was inconclusive (see ``reason``).

        ``skip_begin``/``skip_end`` are settings of Lightning's rule, accepted so calls written
        for Lightning keep working; lrwatch's rule needs neither and ignores them.
        """
        if skip_begin is not None or skip_end is not None:
            rank_zero_warn("find_lr: skip_begin/skip_end tune Lightning's rule and are ignored; "
                           "result.lightning_suggestion is Lightning's pick")
        return self.reading.suggested_lr

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

    def __repr__(self) -> str:
        r = self.reading
        return (f"RangeTestResult(status={r.status.value!r}, suggestion={r.suggested_lr!r}, "
                f"lower={r.lower_lr!r}, upper={r.upper_lr!r}, steps={len(self.results['lr'])})")


# -- the public entry points -----------------------------------------------------------------


def find_lr(
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
        min_lr, max_lr: the LR range, positive, ``min_lr < max_lr``.
        num_training: optimizer steps (LRs tried); the data is cycled if shorter.
        mode: ``"exponential"`` (even steps in log LR) or ``"linear"``.
        early_stop_threshold: stop once Lightning's smoothed loss exceeds this many times its
            best (> 1); None runs all steps.
        update_attr: set the model's LR attribute to the suggestion (never when inconclusive).
        attr_name: the attribute; ``lr`` and ``learning_rate`` are found by themselves.

    Returns:
        A ``RangeTestResult`` (``suggestion()``, ``results``, ``plot()``, ``lower``,
        ``upper``, ``reason``, ``lightning_suggestion``), or None under ``fast_dev_run``.

    Raises:
        ConfigError: an argument is out of range, the model has no LR attribute, no optimizer
            or several, or the trainer cannot run the test (see the message).

    Example::

        result = find_lr(trainer, model, datamodule=dm)
        print(result.suggestion(), result.reason)
        result.plot().show()
    """
    if method != "fit":
        raise ConfigError(f"find_lr: method={method!r} is not supported; the range test trains, "
                          "so only method='fit' works")
    if dataloaders is not None:
        raise ConfigError("find_lr: `dataloaders` is for evaluation methods; pass the training "
                          "data as train_dataloaders= or datamodule=")
    _check_objects(trainer, model)
    finder = LRFinder(min_lr, max_lr, num_training, mode, early_stop_threshold, update_attr,
                      attr_name)
    _check_trainer(trainer, for_find_lr=True)
    if update_attr:
        _lr_attribute(lightning_of(trainer), model, attr_name)  # fail before training starts
    finder._exit_after = True
    trainer.callbacks = [finder, *trainer.callbacks]
    try:
        trainer.fit(model, train_dataloaders, val_dataloaders, datamodule)
    finally:
        trainer.callbacks = [cb for cb in trainer.callbacks if cb is not finder]
    return finder.result


class LRFinder(*CALLBACK_BASES):  # type: ignore[misc]
    """Run an LR range test at the start of ``fit`` and optionally train with its suggestion.

    The callback form of ``find_lr``, like Lightning's ``LearningRateFinder`` (same arguments).
    With ``update_attr`` the model's LR attribute is set and ``configure_optimizers`` is called
    again, so the optimizer and any LR scheduler start from the suggested LR.

    Args:
        min_lr, max_lr, num_training_steps, mode, early_stop_threshold, update_attr, attr_name:
            as for ``find_lr`` (``num_training_steps`` is its ``num_training``).
        store: record the test in the run store.

    Attributes:
        result: the ``RangeTestResult`` once the test ran (``optimal_lr`` is an alias, as
            Lightning names it).

    Example::

        trainer = Trainer(callbacks=[LRFinder(min_lr=1e-6, max_lr=1.0), LRWatch()])
        trainer.fit(model, datamodule=dm)
    """

    def __init__(
        self,
        min_lr: float = 1e-8,
        max_lr: float = 1.0,
        num_training_steps: int = 100,
        mode: str = "exponential",
        early_stop_threshold: float | None = 4.0,
        update_attr: bool = True,
        attr_name: str = "",
        store: bool = True,
    ) -> None:
        self.min_lr, self.max_lr = _check_range(min_lr, max_lr)
        self.num_training = _check_steps(num_training_steps)
        self.mode = _check_mode(mode)
        self.early_stop_threshold = _check_threshold(early_stop_threshold)
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
        _check_trainer(trainer, for_find_lr=False)
        attr = _lr_attribute(pl, pl_module, self.attr_name) if self.update_attr else None
        optimizer = _the_optimizer(trainer, pl_module)
        schedule = _schedule(self.min_lr, self.max_lr, self.num_training, self.mode)
        probe = _Probe(schedule, self.early_stop_threshold, optimizer,
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
        lrs, losses = trainer.strategy.broadcast((probe.lrs, probe.losses), src=0)
        reading = read_range_test(np.asarray(lrs), np.asarray(losses),
                                  optimizer=type(optimizer).__name__,
                                  momentum=_momentum(optimizer),
                                  planned_steps=self.num_training)
        result = RangeTestResult(lrs, losses, reading, mode=self.mode, min_lr=self.min_lr,
                                 max_lr=self.max_lr, num_training=self.num_training)
        if self.store:
            uid = _store_range_test(trainer, pl_module, optimizer, result, self) \
                if trainer.is_global_zero else None
            result.run_uid = trainer.strategy.broadcast(uid, src=0)
        self.result = result
        _report(result, len(losses) < self.num_training)
        suggested = reading.suggested_lr
        if attr is not None and suggested is not None:
            _apply(pl, trainer, pl_module, attr, suggested, rebuild=not self._exit_after)
        return self._exit(pl)

    def _exit(self, pl: Any) -> RangeTestResult | None:
        """In find_lr, leave ``fit`` the way Lightning's Tuner does (a clean teardown)."""
        if self._exit_after:
            exceptions = importlib.import_module(f"{pl.__name__}.utilities.exceptions")
            raise exceptions._TunerExitException()
        return self.result


# -- argument checks -------------------------------------------------------------------------


def _check_range(min_lr: float, max_lr: float) -> tuple[float, float]:
    for name, value in (("min_lr", min_lr), ("max_lr", max_lr)):
        if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise ConfigError(f"find_lr: {name}={value!r} must be a positive number")
    if min_lr >= max_lr:
        raise ConfigError(f"find_lr: min_lr={min_lr!r} must be below max_lr={max_lr!r}")
    return float(min_lr), float(max_lr)


def _check_steps(num_training: int) -> int:
    if isinstance(num_training, bool) or not isinstance(num_training, numbers.Integral):
        raise ConfigError(f"find_lr: num_training must be a whole number of steps, got "
                          f"{num_training!r}")
    if num_training < MIN_STEPS:
        raise ConfigError(
            f"find_lr: num_training={num_training!r} is too small; the range test needs at "
            f"least {MIN_STEPS} steps to tell the loss trend from noise (the default is 100)")
    return int(num_training)


def _check_mode(mode: str) -> str:
    if not isinstance(mode, str) or mode.lower() not in MODES:
        raise ConfigError(f"find_lr: mode={mode!r} is not one of {', '.join(map(repr, MODES))}")
    return mode.lower()


def _check_threshold(threshold: float | None) -> float | None:
    if threshold is not None and (not isinstance(threshold, (int, float)) or not threshold > 1):
        raise ConfigError(f"find_lr: early_stop_threshold={threshold!r} must be above 1 "
                          "(4.0 stops at 4x the best loss) or None to run every step")
    return None if threshold is None else float(threshold)


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
        raise ConfigError(f"find_lr: {model} has no attribute or hparam {attr_name!r} to update; "
                          "fix attr_name or pass update_attr=False")
    raise ConfigError(f"find_lr: {model} has no `lr` or `learning_rate` attribute or hparam to "
                      "update; name it with attr_name=... or pass update_attr=False")


def _the_optimizer(trainer: Any, pl_module: Any) -> torch.optim.Optimizer:
    optimizers = [opt for opt in trainer.optimizers if type(opt).__name__ != "_MockOptimizer"]
    model = type(pl_module).__name__
    if not optimizers:
        raise ConfigError(f"find_lr: {model}.configure_optimizers() returned no optimizer; the "
                          "range test needs one to raise the LR of")
    if len(optimizers) > 1:
        raise ConfigError(f"find_lr: {model}.configure_optimizers() returned {len(optimizers)} "
                          "optimizers; the range test works with a single optimizer")
    return optimizers[0]


def _momentum(optimizer: torch.optim.Optimizer) -> float | None:
    group = optimizer.param_groups[0]
    if "betas" in group:
        return float(group["betas"][0])
    if "momentum" in group:
        return float(group["momentum"])
    return None


def _schedule(min_lr: float, max_lr: float, steps: int, mode: str) -> np.ndarray:
    """The LR of each step: ``min_lr`` first, ``max_lr`` last."""
    if mode == "exponential":
        return np.geomspace(min_lr, max_lr, steps)
    return np.linspace(min_lr, max_lr, steps)


# -- running the test ------------------------------------------------------------------------


class _Probe(*CALLBACK_BASES):  # type: ignore[misc]
    """The only callback during the test: sets each step's LR, records its loss, stops it."""

    def __init__(self, schedule: np.ndarray, threshold: float | None,
                 optimizer: torch.optim.Optimizer, scale: int) -> None:
        self.schedule = schedule
        self.threshold = threshold
        self.scale = scale  # Lightning divides the loss it hands back by the accumulation
        base = [g.get("initial_lr", g["lr"]) for g in optimizer.param_groups]
        self.ratios = [b / base[0] if base[0] else 1.0 for b in base]  # keep layer-wise LRs
        self.lrs: list[float] = []
        self.losses: list[float] = []
        self._start = 0
        self._sum: Any = 0.0
        self._count = 0
        self._ema = 0.0
        self._finite = 0  # finite losses so far
        self._best = math.inf

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        self._start = trainer.global_step

    def on_before_optimizer_step(self, trainer: Any, pl_module: Any, optimizer: Any) -> None:
        lr = float(self.schedule[min(trainer.global_step - self._start, len(self.schedule) - 1)])
        for group, ratio in zip(optimizer.param_groups, self.ratios):
            group["lr"] = lr * ratio

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        if loss is not None:
            self._sum = self._sum + loss.detach().float() * self.scale
            self._count += 1
        step = trainer.global_step - self._start
        if step == len(self.lrs):  # still accumulating: no optimizer step in this batch
            return
        import torch

        mean = (self._sum / self._count if self._count
                else torch.tensor(float("nan"), device=pl_module.device))
        value = float(trainer.strategy.reduce(mean.to(pl_module.device), reduce_op="mean"))
        self._sum, self._count = 0.0, 0
        self.lrs.append(float(self.schedule[min(step - 1, len(self.schedule) - 1)]))
        self.losses.append(value)
        if trainer.strategy.broadcast(self._diverged(value, skipped=loss is None), src=0):
            trainer.fit_loop.epoch_loop.max_steps = trainer.global_step

    def _diverged(self, loss: float, skipped: bool) -> bool:
        """Lightning's rule: its smoothed loss above ``threshold`` x best; or a non-finite loss."""
        if skipped:
            return False
        if not math.isfinite(loss):
            return True
        self._finite += 1
        # the step's index in the test (its loss is already in self.losses), as lightning_ema
        self._ema, smoothed = lightning_ema_step(self._ema, loss, len(self.losses) - 1)
        stop = (self.threshold is not None and self._finite > 1 and self._best > 0
                and smoothed > self.threshold * self._best)
        self._best = min(self._best, smoothed)
        return stop


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
    parsing.lightning_setattr(pl_module, attr, lr)
    rank_zero_info(f"find_lr: {type(pl_module).__name__}.{attr} set to {lr:.4g}")
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


def _report(result: RangeTestResult, stopped_early: bool) -> None:
    r = result.reading
    steps = len(result.results["lr"])
    if r.status is RangeTestStatus.INCONCLUSIVE:
        rank_zero_warn(f"find_lr: no suggestion after {steps} steps: {r.reason}")
    elif r.status in (RangeTestStatus.STILL_FALLING, RangeTestStatus.EDGE_ONLY):
        rank_zero_warn(f"find_lr: suggesting {r.suggested_lr:.3g}, but {r.reason}")
    else:
        rank_zero_info(f"find_lr: suggesting {r.suggested_lr:.3g} (safe range "
                       f"{r.lower_lr:.3g} to {r.upper_lr:.3g}; Lightning's rule: "
                       f"{_fmt(r.lightning_lr)}); " + ("stopped early: " if stopped_early else "")
                       + r.reason)


def _fmt(x: float | None) -> str:
    return "none" if x is None else f"{x:.3g}"


# -- the store -------------------------------------------------------------------------------


def _store_range_test(trainer: Any, pl_module: Any, optimizer: Any, result: RangeTestResult,
                      finder: LRFinder) -> str | None:
    """Write the test as its own run; link it to the trainer's LRWatch callback. Rank 0 only."""
    from lrwatch.store import FINISHED, PendingEvent, Store, default_store_path

    watcher = _lrwatch_callback(trainer)
    path = getattr(watcher, "store_path", None) or default_store_path(trainer.default_root_dir)
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
        "steps": int(len(raw)),
    }
    meta = {
        "kind": "range_test",
        "model": type(pl_module).__name__,
        "optimizer": type(optimizer).__name__,
        "momentum": _momentum(optimizer),
        "accumulate_grad_batches": trainer.accumulate_grad_batches,
        "gradient_clip_val": trainer.gradient_clip_val,
        "precision": str(trainer.precision),
        "world_size": trainer.world_size,
        "settings": {"min_lr": finder.min_lr, "max_lr": finder.max_lr,
                     "num_training": finder.num_training, "mode": finder.mode,
                     "early_stop_threshold": finder.early_stop_threshold},
        "lightning_package": lightning_of(trainer).__name__,
        "versions": _versions(trainer),
    }
    try:
        with Store(path) as store:
            run = store.create_run(RUN_NAME, meta)
            columns = {
                keys.LR: (steps, np.asarray(result.results["lr"])),
                keys.LOSS: (steps, raw),
                keys.LOSS_SMOOTHED: (steps, r.smoothed),
            }
            event = PendingEvent(step=max(len(raw) - 1, 0), kind=keys.EVENT_RANGE_TEST,
                                 payload=payload, time=time.time())
            store.append(run, columns, [event])
            store.set_status(run, FINISHED)
    except Exception as error:  # the result matters more than its record
        rank_zero_warn(f"find_lr: could not store the range test in {path}: {error}")
        return None
    summary = result.summary()
    if watcher is not None and summary is not None:
        watcher.link_range_test(run.uid, summary)  # the next run records the link in its meta
    return run.uid


def _lrwatch_callback(trainer: Any) -> Any:
    from lrwatch.callback import LRWatch  # here: the callback module is heavy

    return next((cb for cb in trainer.callbacks if isinstance(cb, LRWatch)), None)


def _versions(trainer: Any) -> dict[str, str]:
    import platform

    import torch

    return {"lrwatch": __version__, "torch": torch.__version__,
            "lightning": lightning_of(trainer).__version__,
            "python": platform.python_version()}
