"""The live guard in real training: SGD with an LR far too high (0.4 on a small regressor)."""

from __future__ import annotations

import logging
from typing import Any

import lightning.pytorch as lpl
import numpy as np
import pytest
import torch

from lrwatch import LRWatch, Store, keys
from lrwatch.guard import Guard
from lrwatch.store import DIVERGED, FINISHED
from tests.helpers.models import loader, make_module, trainer

PLANNED = 3 * 64  # 3 epochs of 2048 samples in batches of 32


def _one_action(path: Any) -> tuple[Any, Any, Any]:
    """The store at ``path``, its one run and that run's one guard action."""
    store = Store(path, readonly=True)
    (run,) = store.runs()
    (event,) = store.events(run, kind=keys.EVENT_ACTION)
    return store, run, event


def _fit(pl: Any, tmp_path: Any, lr: float = 0.4, **guard: Any) -> tuple[Any, Any, Any]:
    module = make_module(pl, lr=lr)
    t = trainer(pl, [LRWatch(store=tmp_path / "s", **guard)], tmp_path, max_epochs=3,
                limit_val_batches=0)
    t.fit(module, loader(n=2048, batch_size=32))
    store = Store(tmp_path / "s", readonly=True)
    (run,) = store.runs()
    return t, store, run


def _lrwatch_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "lrwatch" and r.levelno == logging.WARNING]


def test_stop_ends_training_early_with_the_reason_and_finite_weights(pl, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="lrwatch")
    t, store, run = _fit(pl, tmp_path, on_diverge="stop")
    assert run.status == DIVERGED
    assert t.global_step < PLANNED // 4
    stops = [e for e in store.events(run, kind=keys.EVENT_ACTION) if e.payload["action"] == "stop"]
    assert len(stops) == 1
    assert any(m.startswith(f"lrwatch: stopping run '{run.name}' at step {stops[0].step}: ")
               for m in _lrwatch_warnings(caplog))
    assert all(torch.isfinite(p).all() for p in t.lightning_module.parameters())


def test_a_trainer_held_by_min_steps_after_a_stop_is_told_once_and_recorded(pl, tmp_path, caplog):
    """The Trainer trains on until min_steps after the guard stopped it: each later step said
    "stopping run" again, an event each. One stop, one reminder, every step recorded."""
    caplog.set_level(logging.WARNING, logger="lrwatch")
    t = trainer(pl, [LRWatch(store=tmp_path / "s", on_diverge="stop")], tmp_path, max_epochs=3,
                limit_val_batches=0, min_steps=30)
    t.fit(make_module(pl, lr=0.4), loader(n=2048, batch_size=32))
    store = Store(tmp_path / "s", readonly=True)
    (run,) = store.runs()
    (stop,) = store.events(run, kind=keys.EVENT_ACTION)
    assert run.status == DIVERGED and stop.payload["action"] == "stop" and run.steps >= 30
    said = _lrwatch_warnings(caplog)
    told = f"lrwatch: stopping run '{run.name}' at step {stop.step}: "
    assert [m for m in said if m.startswith("lrwatch: stopping run")] == [
        m for m in said if m.startswith(told)]
    assert len([m for m in said if m.startswith("lrwatch: stopping run")]) == 1
    assert [m for m in said if "after the guard stopped it" in m] == [
        f"lrwatch: run '{run.name}' trained on to step {stop.step + 1} after the guard stopped it "
        f"at step {stop.step} (a Trainer trains on until its min_steps and min_epochs are met); "
        "lrwatch records on and does not say it again"]
    assert store.scalars(run, keys.LOSS)[0].tolist() == list(range(run.steps))


def test_recover_goes_on_and_ends_with_a_finite_loss_below_the_start(pl, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="lrwatch")
    t, store, run = _fit(pl, tmp_path, on_diverge="recover", snapshot_every_n_steps=20)
    assert run.status == FINISHED and run.steps == PLANNED
    (event,) = store.events(run, kind=keys.EVENT_ACTION)
    assert event.payload["action"] == "recover" and event.payload["restored_step"] < event.step
    assert event.payload["lr_after"] == pytest.approx(event.payload["lr_before"] * event.payload["lr_factor"])
    assert t.optimizers[0].param_groups[0]["lr"] == pytest.approx(event.payload["lr_after"])
    _, loss = store.scalars(run, keys.LOSS)
    final = np.median(loss[-10:])
    assert np.isfinite(final) and final < loss[0]
    assert any("recovered run" in m and "LR x0.1" in m for m in _lrwatch_warnings(caplog))


def test_warn_gives_exactly_one_warning_per_diagnosis_change(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="lrwatch")
    t, store, run = _fit(lpl, tmp_path)  # default: on_diverge="warn"
    assert run.status == FINISHED and t.global_step == PLANNED  # warn never stops training
    changes = [e for e in store.events(run, kind=keys.EVENT_DIAGNOSIS) if not e.payload.get("final")]
    statuses = [e.payload["status"] for e in changes]
    assert "diverging" in statuses
    for a, b in zip(changes, changes[1:]):  # a change each time: the status or the advice 3x
        x, y = a.payload.get("suggested_lr"), b.payload.get("suggested_lr")
        assert a.payload["status"] != b.payload["status"] or max(x / y, y / x) >= 3
    warnings = [m for m in _lrwatch_warnings(caplog) if m.startswith(f"lrwatch: run '{run.name}' is ")]
    assert len(warnings) == len(changes)
    assert [e.payload["message"] for e in changes] == warnings


def test_a_short_stalled_run_ends_with_its_final_verdict(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="lrwatch")
    t, store, run = _fit(lpl, tmp_path, lr=1e-5)  # 192 steps: one check of 100 steps in
    statuses = [(e.payload["status"], e.payload.get("final"))
                for e in store.events(run, kind=keys.EVENT_DIAGNOSIS)]
    assert statuses == [("stalled", True)]
    assert any(m.startswith(f"lrwatch: final verdict on run '{run.name}' (192 steps): stalled")
               for m in _lrwatch_warnings(caplog))


def test_a_failing_warn_guard_warns_once_and_training_and_recording_go_on(tmp_path, monkeypatch):
    # the live diagnosis failing follows the callback's policy: one warning, then it is off
    monkeypatch.setattr(Guard, "check", lambda *a, **k: 1 / 0)
    with pytest.warns(UserWarning, match=r"lrwatch: guard failed \(ZeroDivisionError.*training goes on") as seen:
        t, store, run = _fit(lpl, tmp_path)
    assert sum("guard failed" in str(w.message) for w in seen) == 1
    assert run.status == FINISHED and run.steps == PLANNED
    assert store.scalars(run, keys.LOSS)[0].tolist() == list(range(PLANNED))
    # the final verdict is the callback's, not the guard's
    assert [e.payload.get("final") for e in store.events(run, kind=keys.EVENT_DIAGNOSIS)] == [True]


def test_strict_re_raises_a_failure_of_the_warn_guard(tmp_path, monkeypatch):
    monkeypatch.setattr(Guard, "check", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        _fit(lpl, tmp_path, strict=True)


def test_recover_gives_up_after_max_recoveries(tmp_path):
    _, store, run = _fit(lpl, tmp_path, lr=40.0, on_diverge="recover", max_recoveries=1,
                         lr_factor=0.9, snapshot_every_n_steps=5)
    actions = [e.payload for e in store.events(run, kind=keys.EVENT_ACTION)]
    assert [a["action"] for a in actions] == ["recover", "stop"]
    assert actions[1]["reason"].startswith("gave up after 1 recoveries")
    assert run.status == DIVERGED


def test_skip_batches_leaves_the_weights_alone_for_that_many_steps(tmp_path):
    _, store, run = _fit(lpl, tmp_path, on_diverge="recover", skip_batches=5,
                         snapshot_every_n_steps=20, update_ratio_every_n_steps=1)
    (event,) = store.events(run, kind=keys.EVENT_ACTION)
    steps, ratio = store.scalars(run, keys.UPDATE_RATIO)
    after = ratio[steps > event.step]
    assert np.all(after[:5] == 0) and np.all(after[5:] > 0)


def test_a_step_skipped_by_the_amp_scaler_is_not_divergence(tmp_path):
    """fp16 AMP's GradScaler skips steps with inf gradients by design; stop must not fire."""
    module = make_module(lpl, lr=0.05)
    first = next(module.parameters())
    first.register_hook(lambda g: g * float("inf") if module.trainer.global_step == 3 else g)
    scaler = torch.amp.GradScaler("cpu", init_scale=1.0)  # no overflow of its own
    plugin = lpl.plugins.precision.MixedPrecision("16-mixed", "cpu", scaler=scaler)
    t = trainer(lpl, [LRWatch(store=tmp_path / "s", on_diverge="stop")], tmp_path, max_epochs=1,
                plugins=[plugin], limit_val_batches=0)
    t.fit(module, loader(n=512, batch_size=32))
    store = Store(tmp_path / "s", readonly=True)
    (run,) = store.runs()
    assert run.status == FINISHED and run.steps == 16
    assert store.scalars(run, keys.OPTIMIZER_SKIPPED)[0].tolist() == [3]
    (event,) = store.events(run, kind=keys.EVENT_NONFINITE)
    assert event.step == 3 and event.payload["optimizer_skipped"] is True
    assert store.scalars(run, keys.NONFINITE)[0].size == 0
    assert store.events(run, kind=keys.EVENT_ACTION) == []


def test_repeated_recoveries_compound_the_lr_cut(tmp_path):
    _, store, run = _fit(lpl, tmp_path, lr=40.0, on_diverge="recover", max_recoveries=3,
                         lr_factor=0.5, snapshot_every_n_steps=1000)  # only step 0's snapshot
    recoveries = [e.payload for e in store.events(run, kind=keys.EVENT_ACTION)
                  if e.payload["action"] == "recover"]
    assert len(recoveries) >= 2
    assert all(r["restored_step"] == 0 for r in recoveries)
    assert [r["lr_after"] for r in recoveries] == pytest.approx(
        [40.0 * 0.5 ** (k + 1) for k in range(len(recoveries))])


def test_a_recovery_in_a_warmup_under_lightning_keeps_the_lr_at_most_what_it_says(pl, tmp_path):
    """The callback's recovery scales the Trainer's schedulers as Watch's does: a LambdaLR
    warmup to lr 1.0 that blows up half way goes on rising to at most 0.1 times the LR it blew
    up at (the factor alone took it to 0.1, 2.4x above the LR the message said)."""
    module = make_module(pl, lr=1.0)

    def configure_optimizers() -> Any:
        opt = torch.optim.SGD(module.parameters(), lr=1.0)
        warmup = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 100))
        return {"optimizer": opt, "lr_scheduler": {"scheduler": warmup, "interval": "step"}}

    module.configure_optimizers = configure_optimizers  # type: ignore[method-assign]
    t = trainer(pl, [LRWatch(store=tmp_path / "s", on_diverge="recover",
                             snapshot_every_n_steps=10)], tmp_path, max_epochs=5,
                limit_val_batches=0)
    t.fit(module, loader(n=2048, batch_size=32))
    store, run, event = _one_action(tmp_path / "s")
    p = event.payload
    assert run.status == FINISHED and p["action"] == "recover" and event.step < 100
    top = p["lr_before"] * p["lr_factor"]
    steps, lr = store.scalars(run, keys.LR)
    after = lr[steps > event.step]
    assert after.max() <= top * (1 + 1e-9) and after.max() >= 0.95 * top
    assert p["lr_top"] == pytest.approx(top) and p["lr_after"] < top
    assert t.optimizers[0].param_groups[0]["lr"] == pytest.approx(top)


def test_recover_goes_back_to_a_snapshot_from_before_the_alarm_began(tmp_path):
    """One bad batch at step 20 (gradients 1e4x) raises the alarm over steps 20-21: the
    snapshot of step 20 was taken after that batch's update, so the guard goes back to step
    15's, and one recovery saves the run (going back to step 20's damaged weights blew up
    again until the recoveries ran out)."""
    module = make_module(lpl, lr=0.05)
    first = next(module.parameters())
    first.register_hook(lambda g: g * 1e4 if module.trainer.global_step == 20 else g)
    t = trainer(lpl, [LRWatch(store=tmp_path / "s", on_diverge="recover",
                              snapshot_every_n_steps=5)], tmp_path, max_epochs=3,
                limit_val_batches=0)
    t.fit(module, loader(n=512, batch_size=32))
    store, run, event = _one_action(tmp_path / "s")
    assert event.step == 21 and event.payload["restored_step"] == 15
    assert run.status == FINISHED
    _, loss = store.scalars(run, keys.LOSS)
    assert np.isfinite(loss[-1]) and loss[-1] < loss[0]


def _bad_batch_at(step: int) -> Any:
    """The regressor, whose gradients are 1e4x at ``step``: one bad batch."""
    module = make_module(lpl, lr=0.05)
    first = next(module.parameters())
    first.register_hook(lambda g: g * 1e4 if module.trainer.global_step == step else g)
    return module


def test_a_run_resumed_after_a_recovery_keeps_its_lr_and_counts_that_recovery(tmp_path):
    """max_recoveries holds over the whole run: a checkpoint saved after a recovery carries the
    guard's count, so the resumed fit gives up where the run's recoveries ran out (it started
    counting again from 0: 'recovery 1 of 1' a second time)."""
    guard = dict(store=tmp_path / "s", on_diverge="recover", snapshot_every_n_steps=5,
                 max_recoveries=1)
    checkpoint = lpl.callbacks.ModelCheckpoint(dirpath=tmp_path / "ck", every_n_train_steps=30,
                                               save_top_k=-1)
    trainer(lpl, [LRWatch(**guard), checkpoint], tmp_path, max_steps=30, limit_val_batches=0,
            enable_checkpointing=True).fit(_bad_batch_at(20), loader(n=512, batch_size=32))
    (saved,) = (tmp_path / "ck").iterdir()
    resumed = trainer(lpl, [LRWatch(**guard)], tmp_path, max_epochs=4, limit_val_batches=0)
    resumed.fit(_bad_batch_at(40), loader(n=512, batch_size=32), ckpt_path=str(saved))
    store = Store(tmp_path / "s", readonly=True)
    (run,) = store.runs()
    actions = [e.payload for e in store.events(run, kind=keys.EVENT_ACTION)]
    assert [a["action"] for a in actions] == ["recover", "stop"]
    assert actions[1]["reason"].startswith("gave up after 1 recoveries")
    steps, lr = store.scalars(run, keys.LR)
    assert lr[steps >= 30] == pytest.approx(0.005)  # the recovered LR, kept across the resume
    assert run.status == DIVERGED
