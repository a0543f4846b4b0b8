"""The LR range test for a plain PyTorch or Lightning Fabric loop: ``find_lr_loop``.

What torch-lr-finder users know (``LRFinder(model, optimizer, criterion).range_test(loader)``)
in one call, with lrwatch's reading of the curve and its store entry::

    result = find_lr_loop(model, optimizer, train_loader, loss_fn=torch.nn.CrossEntropyLoss())

or, when a training step is more than ``loss_fn(model(x), y)`` (Fabric's ``backward``, AMP,
dict batches), with the step itself: it gets one batch, trains on it (forward, backward,
``optimizer.step()``) and returns the loss::

    def step(batch):
        optimizer.zero_grad()
        loss = model(**batch).loss
        fabric.backward(loss)
        optimizer.step()
        return loss

    result = find_lr_loop(model, optimizer, train_loader, step=step)

The LR of every parameter group is set before each step (keeping their ratios); model and
optimizer state, train/eval mode and the random state are put back afterwards, also when a
step raises. One process: under DDP each rank would run and read its own test (the Lightning
``find_lr`` is the one that agrees across ranks).
"""

from __future__ import annotations

import copy
import logging
import os
import random
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable

from lrwatch.errors import ConfigError
from lrwatch.finder_engine import (
    RangeTestResult,
    RangeTestSettings,
    StepRecorder,
    store_range_test,
)

if TYPE_CHECKING:
    import torch

__all__ = ["cycle_batches", "find_lr_loop", "run_range_test"]

log = logging.getLogger("lrwatch")
Loss = Any  # a tensor, a float, or None for a step that did not train


def find_lr_loop(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    train_loader: Iterable[Any],
    loss_fn: Callable[[Any, Any], Loss] | None = None,
    *,
    step: Callable[[Any], Loss] | None = None,
    min_lr: float = 1e-8,
    max_lr: float = 1.0,
    num_training: int = 100,
    mode: str = "exponential",
    early_stop_threshold: float | None = 4.0,
    store: str | os.PathLike[str] | bool = True,
    fine_tune: bool | None = None,
) -> RangeTestResult:
    """Run an LR range test on your own training step and suggest a starting LR.

    Args:
        model: the model being trained (a ``torch.nn.Module``, Fabric-wrapped or not).
        optimizer: its optimizer; every parameter group's LR is raised together.
        train_loader: the training batches; cycled when shorter than ``num_training``.
        loss_fn: ``loss_fn(model(inputs), targets)`` for batches of ``(inputs, targets)``;
            the step is then zero_grad, forward, backward, ``optimizer.step()``.
        step: instead of ``loss_fn``: ``step(batch)`` trains on one batch and returns its loss
            (None when it skipped the batch). Give exactly one of the two.
        min_lr, max_lr, num_training, mode, early_stop_threshold: as for ``lrwatch.find_lr``.
        store: True records the test in the default store (``$LRWATCH_STORE`` or
            ``./lrwatch_logs``), a path in that store, False nowhere.
        fine_tune: as for ``lrwatch.find_lr``.

    Returns:
        A ``RangeTestResult``: ``suggestion()``, ``lower``, ``upper``, ``reason``, ``results``,
        ``plot()``. Setting the LR is yours: the optimizer is as it was before the test.

    Raises:
        ConfigError: a bad argument, named in the message.
    """
    import torch

    if not isinstance(model, torch.nn.Module):
        raise ConfigError(f"find_lr_loop: the model must be a torch.nn.Module, got "
                          f"{type(model).__name__}; call find_lr_loop(model, optimizer, loader)")
    if not hasattr(optimizer, "param_groups") or not hasattr(optimizer, "state_dict"):
        raise ConfigError(f"find_lr_loop: the optimizer must be a torch optimizer, got "
                          f"{type(optimizer).__name__}")
    if not isinstance(train_loader, Iterable):
        raise ConfigError(f"find_lr_loop: train_loader must be an iterable of batches, got "
                          f"{type(train_loader).__name__}")
    if (loss_fn is None) == (step is None):
        raise ConfigError("find_lr_loop: give loss_fn= (batches of inputs and targets) or "
                          "step= (your own training step), exactly one of them")
    settings = RangeTestSettings.checked(min_lr, max_lr, num_training, mode,
                                         early_stop_threshold, fine_tune=fine_tune,
                                         front_end="find_lr_loop")
    batches = cycle_batches(train_loader)
    train_step = step or _loss_fn_step(model, optimizer, loss_fn)  # type: ignore[arg-type]
    result = run_range_test(model, optimizer, lambda: train_step(next(batches)), settings,
                            name="find_lr_loop: step" if step is not None else "find_lr_loop")
    if store is not False:
        from lrwatch.store import default_store_path

        path = default_store_path() if store is True else store
        meta = {"model": type(model).__name__, "front_end": "torch"}
        result.run_uid = store_range_test(path, result, meta, settings)
    return result


def run_range_test(model: torch.nn.Module, optimizer: Any, train_step: Callable[[], Loss],
                   settings: RangeTestSettings, name: str = "find_lr") -> RangeTestResult:
    """Call ``train_step`` once per LR of the schedule until done or the loss blows up; the
    model, optimizer and random state are restored afterwards. Shared by the loop and Hugging
    Face front ends (``name``: what a message about the step's loss calls it).

    Raises:
        ConfigError: a step returned something that is not a loss, or no step returned one.
    """
    fine_tune = settings.fine_tune_of(model)
    inner = _unwrapped(optimizer)
    recorder = StepRecorder(settings, inner)
    with _restored(model, inner):
        model.train()
        for index in range(settings.num_training):
            recorder.set_lr(inner, index)
            if recorder.record(index, _value(train_step(), name)):
                break
    if all(recorder.skipped):  # not "too few steps ran": every step ran, none gave its loss
        raise ConfigError(f"{name} returned None in all {len(recorder.skipped)} steps of the "
                          "range test; it must return the batch's loss")
    result = RangeTestResult.of(recorder, inner, fine_tune)
    result.report(info=log.info)
    return result


def _loss_fn_step(model: torch.nn.Module, optimizer: Any,
                  loss_fn: Callable[[Any, Any], Loss]) -> Callable[[Any], Loss]:
    import torch

    device = next((p.device for p in model.parameters()), torch.device("cpu"))

    def step(batch: Any) -> Loss:
        if not isinstance(batch, (tuple, list)) or len(batch) < 2:
            raise ConfigError(f"find_lr_loop: loss_fn needs batches of (inputs, targets), got a "
                              f"{type(batch).__name__}; pass step= to train on other batches")
        inputs, targets = (x.to(device) if isinstance(x, torch.Tensor) else x
                           for x in batch[:2])
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        if not (isinstance(loss, torch.Tensor) and loss.numel() == 1):
            raise ConfigError(f"find_lr_loop: loss_fn must return the batch's mean loss (one "
                              f"number), got {_shown(loss)}; use reduction='mean', or pass "
                              "step= to reduce it yourself")
        loss.backward()
        optimizer.step()
        return loss

    return step


def _value(loss: Loss, name: str) -> float | None:
    """A step's loss as a float (a tensor's mean), or None for a step that did not train."""
    if loss is None:
        return None
    if hasattr(loss, "detach"):
        return float(loss.detach().float().mean())
    if not isinstance(loss, (str, bytes, bool)):
        try:
            return float(loss)
        except (TypeError, ValueError):
            pass
    raise ConfigError(f"{name} must return the batch's loss (a number or a tensor), or None "
                      f"for a batch it did not train on; got {_shown(loss)}")


def _shown(value: Any) -> str:
    """A value in a one-line message: a tensor by its shape, a short one as it is."""
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"a tensor of shape {tuple(shape)}"
    shown = repr(value)
    return shown if len(shown) <= 40 and "\n" not in shown else f"a {type(value).__name__}"


def cycle_batches(loader: Iterable[Any], name: str = "find_lr_loop: train_loader"
                  ) -> Iterator[Any]:
    """The batches again and again; a loader without batches is an error naming it."""
    while True:
        empty = True
        for batch in loader:
            empty = False
            yield batch
        if empty:
            raise ConfigError(f"{name} gave no batches")


def _unwrapped(optimizer: Any) -> Any:
    """Fabric's optimizer wrapper holds the real one in ``.optimizer``."""
    inner = getattr(optimizer, "optimizer", None)
    return inner if hasattr(inner, "param_groups") else optimizer


@contextmanager
def _restored(model: torch.nn.Module, optimizer: Any) -> Iterator[None]:
    """Put model and optimizer state, train/eval modes and the random state back."""
    import numpy as np
    import torch

    weights = {k: v.detach().to("cpu", copy=True) if isinstance(v, torch.Tensor)
               else copy.deepcopy(v) for k, v in model.state_dict().items()}
    opt_state = copy.deepcopy(optimizer.state_dict())
    modes = {m: m.training for m in model.modules()}
    rng = (torch.get_rng_state(), np.random.get_state(), random.getstate(),
           torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None)
    try:
        yield
    finally:
        model.load_state_dict(weights)
        optimizer.load_state_dict(opt_state)
        for module, training in modes.items():
            module.train(training)
        torch.set_rng_state(rng[0])
        np.random.set_state(rng[1])
        random.setstate(rng[2])
        if rng[3] is not None:
            torch.cuda.set_rng_state_all(rng[3])
