"""``on_spike="skip"`` in real training: SGD with momentum 0.9 at lr 0.05 on a small regressor
whose every 10th batch is corrupted, so its loss spikes some 30x above its level again and again."""

from __future__ import annotations

import logging
from typing import Any

import lightning.pytorch as lpl
import numpy as np
import torch

from lrwatch import LRWatch, Store, keys
from tests.helpers.models import make_module, regression_data, spiky_loader, trainer

STEPS = 400
BATCHES = 2048 // 32  # per epoch; spiky_loader corrupts batches 9, 19, ... of each
NOISE_FLOOR = 0.01  # the targets' own noise: std 0.1


def _fit(tmp_path: Any, on_spike: str | None) -> tuple[float, Store, Any]:
    """Train; the model's loss on the clean data, and the store."""
    module = make_module(lpl, lr=0.05, momentum=0.9, log_val=False)
    t = trainer(lpl, [LRWatch(store=tmp_path / "s", on_spike=on_spike)], tmp_path,
                max_steps=STEPS, max_epochs=-1, limit_val_batches=0)
    t.fit(module, spiky_loader())
    x, y = regression_data(2048).tensors
    with torch.no_grad():
        clean = float(torch.nn.functional.mse_loss(module.net(x), y))
    store = Store(tmp_path / "s", readonly=True)
    (run,) = store.runs()
    return clean, store, run


def test_skipping_the_spikes_lets_the_run_learn(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="lrwatch")
    plain_loss, plain_store, plain_run = _fit(tmp_path / "plain", None)
    _, loss = plain_store.scalars(plain_run, keys.LOSS)
    assert loss[-200:].max() > 20 * np.median(loss[-200:])  # the case: spikes, again and again
    assert plain_loss > 10 * NOISE_FLOOR
    assert not plain_store.events(plain_run, kind=keys.EVENT_ACTION)

    caplog.clear()
    skip_loss, store, run = _fit(tmp_path / "skip", "skip")
    assert skip_loss < 3 * NOISE_FLOOR  # it learns
    _, loss = store.scalars(run, keys.LOSS)
    assert np.median(loss[-100:]) < 0.2 * np.median(plain_store.scalars(plain_run, keys.LOSS)[1][-100:])

    skips = [e for e in store.events(run, kind=keys.EVENT_ACTION) if e.payload["action"] == "skip"]
    assert len(skips) >= 25  # about one batch in 10 after the warm-up of 64 steps
    for event in skips:
        assert event.step >= 64 and "sigma above its median" in event.payload["reason"]
        assert event.payload["skipped_steps"] == skips.index(event) + 1
    corrupted = [s for s in range(STEPS) if (s % BATCHES) % 10 == 9]  # the spiking batches
    skipped = {e.step for e in skips}
    assert skipped >= {s for s in corrupted if s >= 2 * BATCHES}  # all, once the level settled
    assert len(skipped & set(corrupted)) >= 0.75 * len(skipped)  # and mostly those
    lines = [r.getMessage() for r in caplog.records if "skipped the update" in r.getMessage()
             or "outlier steps" in r.getMessage()]
    assert len(lines) == 2 and lines[0].startswith(f"lrwatch: skipped the update of step {skips[0].step}")
    assert f"skipped the updates of {len(skips)} outlier steps" in lines[1]
