"""``Watch(on_spike="skip")`` in real hand-written loops, plain PyTorch and Lightning Fabric, on
the case of ``test_guard_spikes``: SGD with momentum 0.9 at lr 0.05 on a small regressor whose
every 10th batch is corrupted, so its loss spikes some 30x above its level again and again."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import torch

from lrwatch import ConfigError, Store, Watch, keys
from tests.helpers.models import regression_data, spiky_loader

STEPS = 400
BATCHES = 2048 // 32  # per epoch; spiky_loader corrupts batches 9, 19, ... of each
NOISE_FLOOR = 0.01  # the targets' own noise: std 0.1
CORRUPTED = {s for s in range(STEPS) if (s % BATCHES) % 10 == 9}


def _regressor() -> torch.nn.Module:
    torch.manual_seed(0)  # the Lightning test's TinyRegressor
    return torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))


def _train(tmp_path: Any, on_spike: str | None, fabric: bool = False) -> tuple[float, list[int]]:
    """Train STEPS steps with ``before_step(loss)`` / ``after_step()``; the model's loss on
    the clean data, and the steps whose update left the weights as they were."""
    model = _regressor()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    data: Any = spiky_loader()
    runner = None
    if fabric:
        from lightning.fabric import Fabric

        runner = Fabric(accelerator="cpu", devices=1)
        model, optimizer = runner.setup(model, optimizer)
        data = runner.setup_dataloaders(data)
    unchanged: list[int] = []
    step = 0
    with Watch(model, optimizer, store=tmp_path / "s", on_spike=on_spike) as watch:
        while step < STEPS:
            for x, y in data:
                loss = torch.nn.functional.mse_loss(model(x), y)
                optimizer.zero_grad()
                runner.backward(loss) if runner is not None else loss.backward()
                watch.before_step(loss)
                before = [p.detach().clone() for p in model.parameters()]
                optimizer.step()
                watch.after_step()
                if all(torch.equal(a, p) for a, p in zip(before, model.parameters())):
                    unchanged.append(step)
                step += 1
                if step == STEPS:
                    break
    x, y = regression_data(2048).tensors
    with torch.no_grad():
        return float(torch.nn.functional.mse_loss(model(x), y)), unchanged


def _skips(tmp_path: Any) -> tuple[Store, Any, list[Any]]:
    store = Store(tmp_path / "s", readonly=True)
    (run,) = store.runs()
    events = store.events(run, kind=keys.EVENT_ACTION)
    return store, run, [e for e in events if e.payload["action"] == "skip"]


def _check_skipped(tmp_path: Any, unchanged: list[int], caplog: Any) -> list[int]:
    """What ``LRWatch(on_spike="skip")`` does, checked as its test checks it: the spikes'
    updates dropped, each an event, one warning at the first and a count at the end."""
    store, run, skips = _skips(tmp_path)
    skipped = [e.step for e in skips]
    assert len(skipped) >= 25  # about one batch in 10 after the warm-up of 64 steps
    assert skipped == unchanged  # exactly those updates were dropped
    for event in skips:
        assert event.step >= 64 and "sigma above its median" in event.payload["reason"]
        assert event.payload["skipped_steps"] == skips.index(event) + 1
    assert set(skipped) >= {s for s in CORRUPTED if s >= 2 * BATCHES}  # all, once settled
    assert len(set(skipped) & CORRUPTED) >= 0.75 * len(skipped)  # and mostly those
    assert store.scalars(run, keys.LOSS)[0].tolist() == list(range(STEPS))  # every row kept
    lines = [r.getMessage() for r in caplog.records if "skipped the update" in r.getMessage()
             or "outlier steps" in r.getMessage()]
    assert len(lines) == 2
    assert lines[0].startswith(f"lrwatch: skipped the update of step {skipped[0]} in run")
    assert f"skipped the updates of {len(skipped)} outlier steps" in lines[1]
    return skipped


def test_skipping_the_spikes_lets_a_plain_loop_learn(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="lrwatch")
    plain_loss, unchanged = _train(tmp_path / "plain", None)
    assert plain_loss > 10 * NOISE_FLOOR and not unchanged  # the case: it never learns
    assert not _skips(tmp_path / "plain")[2]

    caplog.clear()
    skip_loss, unchanged = _train(tmp_path / "skip", "skip")
    assert skip_loss < 3 * NOISE_FLOOR  # it learns
    _check_skipped(tmp_path / "skip", unchanged, caplog)


def test_skipping_the_spikes_lets_a_fabric_loop_learn(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="lrwatch")
    skip_loss, unchanged = _train(tmp_path, "skip", fabric=True)
    assert skip_loss < 3 * NOISE_FLOOR
    _check_skipped(tmp_path, unchanged, caplog)


def _one_step(watch: Watch, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
              before: bool) -> None:
    x, y = regression_data(32).tensors
    loss = torch.nn.functional.mse_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    if before:
        watch.before_step()
    optimizer.step()
    watch.step(loss)


@pytest.mark.parametrize(("before", "message"), [
    (False, r"call watch.before_step\(loss\) before optimizer.step\(\) and watch.after_step\(\)"),
    (True, r"pass it, watch.before_step\(loss\)"),
])
def test_skip_refuses_a_loop_that_gives_the_loss_after_the_update(tmp_path, before, message):
    model = _regressor()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    weights = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(ConfigError, match=message):
        with Watch(model, optimizer, store=tmp_path / "s", on_spike="skip") as watch:
            _one_step(watch, model, optimizer, before)
    assert all(torch.equal(a, p) for a, p in zip(weights, model.parameters()))  # no update made


def test_skip_off_keeps_the_one_call_step(tmp_path):
    model = _regressor()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    with Watch(model, optimizer, store=tmp_path / "s") as watch:
        _one_step(watch, model, optimizer, before=False)
    store = Store(tmp_path / "s", readonly=True)
    (run,) = store.runs()
    assert run.steps == 1
