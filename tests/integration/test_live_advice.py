"""Live advice on real Lightning runs: what the console says while training and at its end.

One test per case of the "live advice" report: early verdicts at modest confidence, a changed
suggestion said again, one final verdict line; a blow-up hidden inside a block of rows; advice
after a guard recovery; GANs with manual optimization and logged metrics.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any

import lightning.pytorch as lpl
import pytest
from click.testing import CliRunner

from lrwatch import LRWatch, Store, figures, keys
from lrwatch.analysis import Status, analyze
from lrwatch.analysis.diagnose import TREND_STATUSES, confident_steps
from lrwatch.cli import cli
from lrwatch.readers import curves_from_store
from tests.helpers.models import (
    blobs_loader,
    loader,
    make_classifier,
    make_gan,
    make_module,
    ring_loader,
    trainer,
)


def _fit(tmp_path: Any, module: Any, data: Any, caplog: pytest.LogCaptureFixture,
         max_epochs: int = 2, watch: LRWatch | None = None, **options: Any
         ) -> tuple[Any, Any, list[str]]:
    caplog.set_level(logging.WARNING, logger="lrwatch")
    watch = watch or LRWatch(store=tmp_path / "s", **options)
    t = trainer(lpl, [watch], tmp_path, max_epochs=max_epochs, limit_val_batches=0)
    t.fit(module, data)
    store = Store(tmp_path / "s", readonly=True)
    (run,) = store.runs()
    lines = [r.getMessage() for r in caplog.records
             if r.name == "lrwatch" and r.levelno == logging.WARNING]
    return store, run, lines


def _analyze_json(store: Any, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["analyze", str(store.path), "--json", *args])
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.output)["runs"]
    return entry


def test_early_verdicts_are_modest_changed_advice_is_said_again_and_fit_ends_with_a_verdict(
        tmp_path, caplog):
    # SGD with momentum 0.9, a StepLR and an LR that looks too low early on (the 40k-step case,
    # scaled down to 512 steps): early "stalled" lines, said again as the suggested LR moves
    # (round 22: at 0.002 the early fall that goes flat no longer jumps to the range's top, so
    # the LR is 0.001, where the loss still falls and the move to the top is said again)
    store, run, lines = _fit(tmp_path, make_classifier(lpl, 0.001, momentum=0.9, step_size=150),
                             blobs_loader(n=4096, batch_size=16), caplog,
                             check_every_n_steps=25, host_copy_every_n_steps=25)
    events = store.events(run, kind=keys.EVENT_DIAGNOSIS)
    live = [e for e in events if not e.payload.get("final")]
    needed = confident_steps(1, run.steps)
    trend = {s.value for s in TREND_STATUSES}
    early = [e for e in live if e.payload["status"] in trend and e.step + 1 < needed]
    assert early and all(e.payload["confidence"] < 0.9 for e in early)
    # a line for each status change or suggested LR moved 3x or more, and only then
    for before, after in zip(live, live[1:]):
        a, b = before.payload["suggested_lr"], after.payload["suggested_lr"]
        assert before.payload["status"] != after.payload["status"] or max(a / b, b / a) >= 3
    assert any(b.payload["status"] == a.payload["status"] for a, b in zip(live, live[1:]))
    # one final verdict, the one `lrwatch analyze` gives for the stored run
    finals = [m for m in lines if m.startswith(f"lrwatch: final verdict on run '{run.name}' (512 steps): ")]
    (final_event,) = [e for e in events if e.payload.get("final")]
    entry = _analyze_json(store)
    assert len(finals) == 1 and final_event.payload["message"] == finals[0]
    assert (final_event.payload["status"], final_event.payload["suggested_lr"]) == (
        entry["status"], entry["suggested_lr"])


def test_a_run_too_short_to_judge_says_how_many_steps_it_needs(tmp_path, caplog):
    store, run, lines = _fit(tmp_path, make_module(lpl, lr=0.05), loader(n=320, batch_size=32),
                             caplog, max_epochs=2)
    assert run.steps == 20
    assert lines[-1] == (f"lrwatch: final verdict on run '{run.name}' (20 steps): too short to "
                         "judge: needs ~40 steps")


def test_warn_mode_sees_a_blow_up_that_the_last_rows_of_its_block_hide(tmp_path, caplog):
    # SGD at lr 2: the loss reaches ~1e13 within ten steps, then the units die and it sits near
    # ln(10) again; rows reach the host in blocks of at most 16 steps, and the blow-up is over
    # before its block's last rows (the live diagnosis, every 100 steps, would see it only then)
    watch = LRWatch(store=tmp_path / "s", host_copy_every_n_steps=16)
    # blocks of exactly 16 rows, as on a GPU that makes 16 steps in under the 0.5 s that would
    # otherwise cut a block short on a slow machine
    watch.config = dataclasses.replace(watch.config, host_copy_interval_s=3600.0)
    store, run, lines = _fit(tmp_path, make_classifier(lpl, 2.0, momentum=0.9), blobs_loader(),
                             caplog, watch=watch)
    _, loss = store.scalars(run, keys.LOSS)
    assert loss[:12].max() > 1e9 and loss[12:16].max() < 10
    flags = [e for e in store.events(run, kind=keys.EVENT_DIAGNOSIS)
             if e.payload.get("status") in ("alarm", "diverging") and not e.payload.get("final")]
    assert flags and flags[0].payload["seen_at"] <= 16  # warned when its block arrived
    first = next(m for m in lines if m.startswith(f"lrwatch: run '{run.name}' is "))
    assert first == flags[0].payload["message"]
    assert "blowing up at step" in first or "is diverging since step 1 " in first


def test_advice_after_a_recovery_is_about_the_lr_the_guard_set(tmp_path, caplog):
    store, run, lines = _fit(tmp_path, make_module(lpl, lr=0.4), loader(n=2048, batch_size=32),
                             caplog, max_epochs=3, on_diverge="recover",
                             snapshot_every_n_steps=20)
    (action,) = store.events(run, kind=keys.EVENT_ACTION)
    d = analyze(curves_from_store(store, run))
    assert d.evidence[0].message.startswith(f"the guard recovered at step {action.step} ")
    assert d.suggestion.peak_lr == pytest.approx(action.payload["lr_after"])
    # never back to what blew up: a move stays under it, and a range test (at 0.04, 7.5x below
    # the top of SGD's usual range, round 17's rule asks for one) moves nothing
    assert d.suggestion.suggested_lr is None or \
        d.suggestion.suggested_lr < action.payload["lr_before"]
    assert d.steps == run.steps - action.step - 1
    entry = _analyze_json(store)
    assert entry["current_lr"] == pytest.approx(action.payload["lr_after"])
    final = [m for m in lines if m.startswith(f"lrwatch: final verdict on run '{run.name}'")]
    assert len(final) == 1 and f"the guard recovered at step {action.step}" in final[0]


def test_a_gan_gets_its_logged_losses_stored_and_no_lr_verdict_from_them(tmp_path, caplog):
    store, run, lines = _fit(tmp_path, make_gan(lpl), ring_loader(), caplog, max_epochs=4)
    assert run.steps == 128
    for name in ("g_loss", "d_loss"):
        steps, values = store.scalars(run, keys.logged_key(name))
        assert steps.tolist() == list(range(128)) and values.min() > 0
    entry = _analyze_json(store, "--loss-key", "g_loss")
    assert entry["columns"]["loss"] == "logged/g_loss"
    assert entry["status"] == Status.NO_LR_VERDICT.value and entry["action"] == "keep"
    assert [e.split(":")[0] for e in entry["evidence"]] == ["Adam", "Adam-1"]
    d = figures.run_diagnosis(store, run)  # the dashboard's badge is a verdict, not "analysing"
    assert d is not None and d.status is Status.NO_LR_VERDICT
    assert not any("stalled" in m or "increase" in m for m in lines)
    (final,) = [m for m in lines if m.startswith(f"lrwatch: final verdict on run '{run.name}'")]
    assert "no LR verdict" in final and "2 optimizers" in final


def test_a_gan_whose_generator_loss_is_its_loss_still_gets_no_lr_verdict(tmp_path, caplog):
    store, run, lines = _fit(tmp_path, make_gan(lpl), ring_loader(), caplog, max_epochs=4,
                             loss_key="g_loss")
    steps, loss = store.scalars(run, keys.LOSS)
    assert steps.tolist() == list(range(128))
    assert loss.tolist() == pytest.approx(store.scalars(run, keys.logged_key("g_loss"))[1].tolist())
    assert analyze(curves_from_store(store, run)).status is Status.NO_LR_VERDICT
    assert not any("stalled" in m or "increase" in m for m in lines)


def test_metrics_logged_in_validation_sit_beside_the_loss(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="lrwatch")
    t = trainer(lpl, [LRWatch(store=tmp_path / "s")], tmp_path, max_epochs=2)
    t.fit(make_module(lpl), loader(n=256), loader(n=64))
    store = Store(tmp_path / "s", readonly=True)
    (run,) = store.runs()
    steps, values = store.scalars(run, keys.logged_key("val_loss"))
    assert steps.tolist() == [7, 15]  # the last step of each epoch, as val_loss itself
    assert values.tolist() == pytest.approx(store.scalars(run, keys.VAL_LOSS)[1].tolist())


def test_the_final_live_verdict_reads_a_turned_validation_loss_as_analyze_does(tmp_path, caplog):
    # round 13: the validation loss the module logs reaches the online analyzer, so the live
    # verdict at the end of the run names the overfitting turn as `lrwatch analyze` does; the
    # validation loss here is the module's own number for each epoch (falls to epoch 3, then
    # rises 40%), the training loss a classifier's that keeps falling
    import torch

    base = make_classifier(lpl, 0.05, momentum=0.9)

    class Overfits(type(base)):  # type: ignore[misc]
        def validation_step(self, batch: Any, batch_idx: int) -> None:
            e = self.current_epoch
            val = 1.0 - 0.1 * e if e <= 3 else 0.7 * (1 + 0.1 * (e - 3))
            self.log("val_loss", torch.tensor(val))

    watch = LRWatch(store=tmp_path / "s", check_every_n_steps=32, host_copy_every_n_steps=32)
    seen: list[Any] = []

    class LastLook(lpl.Callback):  # the online verdict once the last rows are in
        def on_train_end(self, trainer: Any, module: Any) -> None:
            assert watch.engine.guard is not None
            seen.append(watch.engine.guard.analyzer.diagnose())

    caplog.set_level(logging.WARNING, logger="lrwatch")
    data = blobs_loader(n=1024, batch_size=32)
    t = trainer(lpl, [watch, LastLook()], tmp_path, max_epochs=8, limit_val_batches=1)
    t.fit(Overfits(), data, data)
    store = Store(tmp_path / "s", readonly=True)
    (run,) = store.runs()
    offline = analyze(curves_from_store(store, run))
    turned = [e.message for e in offline.evidence if e.signal == keys.VAL_LOSS]
    assert turned and turned[0].startswith("validation loss turned up at step ")
    (live,) = seen
    assert [e.message for e in live.evidence if e.signal == keys.VAL_LOSS] == turned
    assert (live.status, live.since_step, live.suggestion.action) == (
        offline.status, offline.since_step, offline.suggestion.action)
