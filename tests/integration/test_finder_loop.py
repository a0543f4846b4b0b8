"""find_lr_loop on a plain PyTorch loop and on Lightning Fabric: real training, a real store."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from lrwatch import ConfigError, Store, find_lr_loop
from lrwatch.analysis.rangetest import RangeTestStatus
from tests.integration.test_finder import clone_state, loader, states_equal


def classifier() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))


def test_loss_fn_form_suggests_restores_and_stores(tmp_path: Path) -> None:
    model = classifier()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.eval()  # the test trains in train mode and gives the mode back
    before = clone_state(model.state_dict())
    torch_state, py_state = torch.get_rng_state(), random.getstate()

    result = find_lr_loop(model, optimizer, loader(), loss_fn=torch.nn.CrossEntropyLoss(),
                          min_lr=1e-3, max_lr=10, num_training=60, store=tmp_path)

    assert result.status is RangeTestStatus.OK, result.reason
    assert result.lower <= result.suggestion() <= result.upper
    assert result.results["lr"][0] == pytest.approx(1e-3)
    assert states_equal(before, model.state_dict()) and not model.training
    assert optimizer.param_groups[0]["lr"] == 0.01 and not optimizer.state
    assert torch.equal(torch_state, torch.get_rng_state()) and py_state == random.getstate()
    with Store(tmp_path, readonly=True) as store:
        (run,) = store.runs()
        (event,) = store.events(run, kind="range_test")
        _, lrs = store.scalars(run, "lr")
    assert run.uid == result.run_uid
    assert run.meta["kind"] == "range_test" and run.meta["front_end"] == "torch"
    assert run.meta["optimizer"] == "SGD" and run.meta["momentum"] == 0.9
    assert np.allclose(lrs, result.results["lr"])
    assert event.payload["suggested_lr"] == result.suggestion()


def test_step_form_with_fabric(tmp_path: Path) -> None:
    from lightning.fabric import Fabric

    fabric = Fabric(accelerator="cpu", devices=1)
    net = classifier()
    model, optimizer = fabric.setup(net, torch.optim.AdamW(net.parameters()))
    train = fabric.setup_dataloaders(loader())
    steps: list[float] = []

    def step(batch: Any) -> torch.Tensor:
        x, y = batch
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        fabric.backward(loss)
        steps.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        return loss

    result = find_lr_loop(model, optimizer, train, step=step, min_lr=1e-5, max_lr=10,
                          num_training=50, store=False)

    assert steps == pytest.approx(result.results["lr"])  # the LR the step trained at
    assert result.suggestion() is not None, result.reason
    assert result.run_uid is None
    assert optimizer.param_groups[0]["lr"] == 1e-3  # AdamW's default, given back


def test_steps_that_return_none_are_skipped_and_data_is_cycled(tmp_path: Path) -> None:
    model = classifier()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    calls = 0

    def step(batch: Any) -> torch.Tensor | None:
        nonlocal calls
        calls += 1
        if calls in (4, 9):
            return None
        x, y = batch
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    result = find_lr_loop(model, optimizer, loader(n=160), step=step, min_lr=1e-3, max_lr=10,
                          num_training=40, early_stop_threshold=None, store=False)

    assert calls == 40  # ten batches a pass, cycled
    assert np.isnan(np.asarray(result.results["loss"])[[3, 8]]).all()
    assert result.suggestion() is not None, result.reason


@pytest.mark.parametrize("args, kwargs, match", [
    (("model", None, []), {}, "the model must be a torch.nn.Module, got str"),
    ((None, "opt", []), {"loss_fn": F.mse_loss}, "the optimizer must be a torch optimizer"),
    ((None, None, 3), {"loss_fn": F.mse_loss}, "train_loader must be an iterable"),
    ((None, None, []), {}, "give loss_fn= .* or step= .*exactly one"),
    ((None, None, []), {"loss_fn": F.mse_loss, "max_lr": -1},
     "^find_lr_loop: max_lr=-1 must be a positive"),  # its own name, not find_lr's
    ((None, None, []), {"loss_fn": F.mse_loss}, "train_loader gave no batches"),
    ((None, None, [torch.zeros(2, 8)]), {"loss_fn": F.mse_loss},
     "loss_fn needs batches of \\(inputs, targets\\), got a Tensor; pass step="),
])
def test_bad_arguments_are_named(args: tuple[Any, ...], kwargs: dict[str, Any],
                                 match: str) -> None:
    model = classifier()
    defaults = (model, torch.optim.SGD(model.parameters(), lr=0.1), None)
    args = tuple(default if given is None else given for given, default in zip(args, defaults))
    with pytest.raises(ConfigError, match=match):
        find_lr_loop(*args, store=False, **kwargs)


def _stepping(model: torch.nn.Module, optimizer: torch.optim.Optimizer, returns: Any) -> Any:
    def step(batch: Any) -> Any:
        x, y = batch
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
        return returns

    return step


@pytest.mark.parametrize("form, match", [
    ({"loss_fn": torch.nn.CrossEntropyLoss(reduction="none")},
     r"^find_lr_loop: loss_fn must return the batch's mean loss \(one number\), got a tensor of "
     r"shape \(16,\); use reduction='mean', or pass step= to reduce it yourself$"),
    ({"step": "returns 'x'"}, r"^find_lr_loop: step must return the batch's loss \(a number or "
                              r"a tensor\), or None for a batch it did not train on; got 'x'$"),
    ({"step": "returns None"}, r"^find_lr_loop: step returned None in all 30 steps of the range "
                               r"test; it must return the batch's loss$"),
])
def test_a_step_that_gives_no_loss_is_a_one_line_error(form: dict[str, Any], match: str) -> None:
    """A per-sample loss was a RuntimeError from backward(), a string a ValueError, and a step
    that returns nothing read as "only 0 steps ran" after all of them ran."""
    model = classifier()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    before = clone_state(model.state_dict())
    if "step" in form:
        form = {"step": _stepping(model, optimizer, "x" if "'x'" in form["step"] else None)}
    with pytest.raises(ConfigError, match=match):
        find_lr_loop(model, optimizer, loader(), num_training=30, store=False, **form)
    assert states_equal(before, model.state_dict())  # put back, also when it raised
