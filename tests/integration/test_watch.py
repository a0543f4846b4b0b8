"""``Watch`` in real hand-written loops: plain PyTorch and Lightning Fabric (CPU)."""

from __future__ import annotations

import logging
import math
import re
import warnings
from typing import Any

import numpy as np
import pytest
import torch

from lrwatch import ConfigError, Store, Watch, keys
from lrwatch.store import DIVERGED, FAILED, FINISHED, INTERRUPTED
from tests.helpers import curves as synth
from tests.helpers.models import loader


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))


def _only_run(path: Any):  # type: ignore[no-untyped-def]
    store = Store(path, readonly=True)
    (run,) = store.runs()
    return store, run


def _plain_loop(watch: Watch, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                epochs: int = 1, clip: float | None = None, **loader_args: Any) -> list[float]:
    """A loop as users write it; returns each step's loss and pre-clip gradient norm."""
    seen: list[float] = []
    for _ in range(epochs):
        for x, y in loader(**loader_args):
            loss = torch.nn.functional.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            if clip is not None:
                watch.before_step()
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            watch.after_step(loss, samples=len(x))
            seen.append(float(loss.detach()))
            if watch.should_stop:
                return seen
    return seen


def test_a_plain_loop_is_recorded_step_by_step(tmp_path):
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)
    norms: list[float] = []
    optimizer.register_step_pre_hook(lambda *_: norms.append(float(torch.cat(
        [p.grad.flatten() for p in model.parameters()]).norm())))
    with Watch(model, optimizer, store=tmp_path / "s", batch_size=32, total_steps=16) as watch:
        seen = []
        for _ in range(2):
            for x, y in loader():
                loss = torch.nn.functional.mse_loss(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                scheduler.step()
                watch.step(loss)
                seen.append(float(loss.detach()))
    store, run = _only_run(tmp_path / "s")
    assert (run.name, run.status, run.steps) == ("Sequential", FINISHED, 16)
    steps, loss = store.scalars(run, keys.LOSS)
    assert steps.tolist() == list(range(16)) and np.allclose(loss, seen, rtol=1e-6)
    assert np.allclose(store.scalars(run, keys.GRAD_NORM)[1], norms, rtol=1e-5)
    # the LR each step was taken with (the scheduler steps after it)
    assert store.scalars(run, keys.LR)[1].tolist() == [0.05 * 0.5 ** (s // 5) for s in range(16)]
    assert store.scalars(run, keys.MOMENTUM)[1].tolist() == [0.9] * 16
    assert {"grad_norm/0", "grad_norm/2", keys.UPDATE_RATIO, keys.STEP_TIME} <= set(store.keys(run))
    meta = run.meta
    assert (meta["front_end"], meta["optimizer"], meta["batch_size"], meta["planned_steps"]) == (
        "torch", "SGD", 32, 16)
    finals = [e for e in store.events(run, kind=keys.EVENT_DIAGNOSIS) if e.payload.get("final")]
    assert len(finals) == 1  # the same final verdict as the Lightning callback's


def test_a_fabric_loop_is_recorded_under_the_users_own_layer_names(tmp_path):
    from lightning.fabric import Fabric

    fabric = Fabric(accelerator="cpu", devices=1)
    model, optimizer = fabric.setup(_model(), torch.optim.Adam(_model().parameters(), lr=1e-3))
    optimizer = fabric.setup_optimizers(torch.optim.Adam(model.parameters(), lr=1e-3))
    data = fabric.setup_dataloaders(loader())
    seen = []
    with Watch(model, optimizer, store=tmp_path / "s", name="fabric-run") as watch:
        for x, y in data:
            loss = torch.nn.functional.mse_loss(model(x), y)
            optimizer.zero_grad()
            fabric.backward(loss)
            optimizer.step()
            watch.step(loss)
            seen.append(float(loss.detach()))
    store, run = _only_run(tmp_path / "s")
    assert (run.name, run.status, run.steps, run.meta["front_end"]) == ("fabric-run", FINISHED, 8, "fabric")
    assert np.allclose(store.scalars(run, keys.LOSS)[1], seen, rtol=1e-6)
    assert {"grad_norm/0", "grad_norm/2"} <= set(store.keys(run))
    assert run.meta["optimizer"] == "Adam" and store.scalars(run, keys.LR)[1].tolist() == [1e-3] * 8


def test_before_step_records_the_norm_before_clipping_and_the_clipped_one(tmp_path):
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    with Watch(model, optimizer, store=tmp_path / "s", grad_clip=0.01) as watch:
        _plain_loop(watch, model, optimizer, clip=0.01)
    store, run = _only_run(tmp_path / "s")
    before = store.scalars(run, keys.GRAD_NORM)[1]
    after = store.scalars(run, keys.GRAD_NORM_CLIPPED)[1]
    assert before.size == after.size == 8
    assert np.all(before > 0.01) and np.allclose(after, 0.01, rtol=1e-3)
    assert (run.meta["gradient_clip_val"], run.meta["gradient_clip_algorithm"]) == (0.01, "norm")


def test_stop_sets_should_stop_and_the_run_ends_diverged(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="lrwatch")
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.4)  # far too high for this regressor
    with Watch(model, optimizer, store=tmp_path / "s", on_diverge="stop") as watch:
        seen = _plain_loop(watch, model, optimizer, epochs=3, n=2048)
    assert watch.should_stop and len(seen) < 3 * 64 // 4
    store, run = _only_run(tmp_path / "s")
    assert run.status == DIVERGED
    (stop,) = store.events(run, kind=keys.EVENT_ACTION)
    assert stop.payload["action"] == "stop"
    assert any(r.getMessage().startswith(f"lrwatch: stopping run '{run.name}' at step {stop.step}")
               for r in caplog.records)
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_a_loop_that_ignores_should_stop_is_told_once_and_recorded_to_its_end(tmp_path, caplog):
    """A loop that never reads ``should_stop`` heard "stopping run" at every later step (and
    each was an event): one stop, one reminder, and every step is recorded."""
    caplog.set_level(logging.WARNING, logger="lrwatch")
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.4)
    with Watch(model, optimizer, store=tmp_path / "s", on_diverge="stop") as watch:
        for x, y in loader(n=2048):
            loss = torch.nn.functional.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            watch.step(loss)
    assert watch.should_stop
    store, run = _only_run(tmp_path / "s")
    (stop,) = store.events(run, kind=keys.EVENT_ACTION)
    assert run.status == DIVERGED and stop.payload["action"] == "stop"
    said = [r.getMessage() for r in caplog.records if r.name == "lrwatch"]
    assert len([m for m in said if m.startswith("lrwatch: stopping run")]) == 1
    assert [m for m in said if "after the guard stopped it" in m] == [
        f"lrwatch: run '{run.name}' trained on to step {stop.step + 1} after the guard stopped it "
        f"at step {stop.step} (the loop breaks when watch.should_stop is True); lrwatch records "
        "on and does not say it again"]
    assert store.scalars(run, keys.LOSS)[0].tolist() == list(range(64))


def test_recover_rolls_back_lowers_the_lr_and_goes_on(tmp_path):
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.4)
    with Watch(model, optimizer, store=tmp_path / "s", on_diverge="recover",
               snapshot_every_n_steps=20) as watch:
        seen = _plain_loop(watch, model, optimizer, epochs=3, n=2048)
    assert not watch.should_stop and len(seen) == 3 * 64
    store, run = _only_run(tmp_path / "s")
    assert run.status == FINISHED
    (event,) = store.events(run, kind=keys.EVENT_ACTION)
    assert event.payload["action"] == "recover" and event.payload["restored_step"] < event.step
    assert optimizer.param_groups[0]["lr"] == pytest.approx(event.payload["lr_after"])
    assert event.payload["lr_after"] < 0.4
    _, loss = store.scalars(run, keys.LOSS)
    assert np.isfinite(np.median(loss[-10:])) and np.median(loss[-10:]) < loss[0]


def test_an_exception_in_the_loop_marks_the_run_failed_and_keeps_its_rows(tmp_path):
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    with pytest.raises(RuntimeError, match="data loader broke"):
        with Watch(model, optimizer, store=tmp_path / "s") as watch:
            for i, (x, y) in enumerate(loader()):
                if i == 5:
                    raise RuntimeError("data loader broke")
                loss = torch.nn.functional.mse_loss(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                watch.step(loss)
    store, run = _only_run(tmp_path / "s")
    assert run.status == FAILED and store.scalars(run, keys.LOSS)[0].tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"optimizer": "adam"}, "optimizer must be a torch.optim.Optimizer"),
    ({"grad_clip": -1.0}, "grad_clip must be the max gradient norm"),
    ({"on_diverge": "explode"}, "on_diverge must be one of warn, stop, recover"),
    ({"store": 3}, "store must be a path"),
    # were a TypeError from deep inside, or a repr of every parameter tensor
    ({"schedulers": 5}, r"^schedulers must be a list of LR schedulers .*, got 5$"),
    ({"schedulers": "cosine"}, r"^schedulers must be a list .*, got .cosine.$"),
    ({"schedulers": ["cosine"]}, r"^schedulers must be a list .*, got \['cosine'\]$"),
    ({"hparams": 5}, "^hparams must be a dict of hyperparameters, got 5$"),
    ({"optimizer": "param_groups"}, "^optimizer must be a torch.optim.Optimizer or a list of "
                                    "them, got a list$"),
])
def test_bad_arguments_are_one_line_errors_naming_them(tmp_path, kwargs, message):
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    if kwargs.get("optimizer") == "param_groups":  # a mistake: the groups, not the optimizer
        kwargs["optimizer"] = optimizer.param_groups
    args: dict[str, Any] = {"optimizer": optimizer, "store": tmp_path / "s", **kwargs}
    with pytest.raises(ConfigError, match=message) as error:
        Watch(model, **args)
    assert "\n" not in str(error.value)


def test_the_live_diagnosis_reads_the_model_at_its_size_as_analyze_does(tmp_path):
    """A 124M-parameter GPT at AdamW 6e-4 with warmup and cosine, falling smoothly: textbook,
    so neither the live verdicts nor the final one may tell it to increase. The live analysis
    is told the model's size as ``analyze`` reads it from the store (the size is declared by a
    frozen parameter of 124M elements that costs one float; the losses are the curve's)."""
    curve = synth.gpt_pretrain(6e-4, None, n=1500)
    assert curve.lr is not None
    model = torch.nn.Linear(4, 1)
    model.register_parameter("declared", torch.nn.Parameter(
        torch.zeros(1).expand(124_000_000), requires_grad=False))
    optimizer = torch.optim.AdamW([model.weight, model.bias], lr=6e-4)
    x = torch.randn(8, 4)
    with Watch(model, optimizer, store=tmp_path / "s", batch_size=512,
               total_steps=len(curve.loss.values)) as watch:
        for lr, value in zip(curve.lr.values, curve.loss.values):
            optimizer.param_groups[0]["lr"] = float(lr)
            loss = model(x).pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            watch.step(float(value))
    store, run = _only_run(tmp_path / "s")
    assert run.meta["param_count"] == 124_000_005
    verdicts = [e.payload for e in store.events(run, kind=keys.EVENT_DIAGNOSIS)]
    assert verdicts and verdicts[-1].get("final")
    # healthy, never moved (round 10: "healthy, or too low" below its size's top is a range test)
    assert {v["status"] for v in verdicts} == {"healthy"}
    assert {v["action"] for v in verdicts} <= {"keep", "range_test"}


def test_a_plain_loops_runs_at_several_lrs_end_with_where_each_stands(tmp_path):
    """Four plain-loop runs of one model at four LRs into one store, one after another (a grid
    search as users write it): from the third on, each run's last word beside its final verdict
    says where it stands among the store's runs of its setup, as the Lightning callback's does."""
    lrs = [1e-3, 1e-2, 1e-1, 3e-1]
    for lr in lrs:
        model = _model()
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        with Watch(model, optimizer, store=tmp_path / "s", name=f"lr{lr:g}") as watch:
            _plain_loop(watch, model, optimizer, epochs=3)
    with Store(tmp_path / "s", readonly=True) as store:
        beside = {run.name: [e.payload for e in store.events(run, kind=keys.EVENT_DIAGNOSIS)
                             if e.payload.get("final") and e.payload.get("sweep")]
                  for run in store.runs()}
    assert beside["lr0.001"] == beside["lr0.01"] == []
    assert [p["sweep"]["runs"] for p in beside["lr0.1"] + beside["lr0.3"]] == [3, 4]
    last = beside["lr0.3"][0]
    assert last["message"].startswith(
        "lrwatch: run 'lr0.3' beside the 3 other runs of its setup in the store: ")
    assert last["sweep"]["position"] in {"too_low", "near_best", "too_high", "diverged"}


@pytest.mark.parametrize("classes", [10, None])
def test_the_classes_given_reach_the_store_and_the_final_verdict_reads_chance_level(tmp_path,
                                                                                   classes):
    """A 10-class loss that sits at ln 10 all run: told ``classes=10``, the run's metadata and
    the run read back from the store carry it, and the final verdict names chance level; not
    told, nothing says it (a torch model has no config to read it from)."""
    from lrwatch.readers.store import read_store_run

    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.randn(8, 4)
    noise = np.random.default_rng(0).normal(0.0, 0.01, 300)
    with Watch(model, optimizer, store=tmp_path / "s", classes=classes) as watch:
        for wobble in noise:
            loss = model(x).pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            watch.step(float(np.log(10) + wobble))
    store, run = _only_run(tmp_path / "s")
    assert run.meta["classes"] == classes
    assert read_store_run(store, run.id).curves.classes == classes
    final = [e.payload for e in store.events(run, kind=keys.EVENT_DIAGNOSIS)
             if e.payload.get("final")][-1]
    assert any("chance level (" in line for line in final["evidence"]) == (classes is not None)


def test_a_loop_that_never_calls_finish_keeps_its_last_rows_at_exit(tmp_path):
    """Rows wait on the device up to 0.5 s (256 steps) before they reach the writer: a script
    that ends without ``finish()`` (no ``with`` block) still has them written at exit, and the
    run reads interrupted, not an empty run."""
    import subprocess
    import sys

    script = (
        "import torch\n"
        "from lrwatch import Watch\n"
        "model = torch.nn.Linear(4, 1)\n"
        "optimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        f"watch = Watch(model, optimizer, store={str(tmp_path / 's')!r}, name='no-finish')\n"
        "for _ in range(3):\n"
        "    loss = model(torch.randn(8, 4)).pow(2).mean()\n"
        "    optimizer.zero_grad()\n"
        "    loss.backward()\n"
        "    optimizer.step()\n"
        "    watch.step(loss)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    store, run = _only_run(tmp_path / "s")
    assert run.status == INTERRUPTED
    for key in (keys.LOSS, keys.LR, keys.GRAD_NORM):
        assert store.scalars(run, key)[0].tolist() == [0, 1, 2], key


def test_the_loss_may_be_any_one_number_and_a_batch_of_losses_is_a_one_line_error(tmp_path):
    """A float, a numpy scalar, a 0-d or one-element tensor (requiring grad or not) are the
    step's loss; a per-sample loss vector was recorded as its first element, and a string was a
    ValueError from inside torch: both are now an error naming the call."""
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    given = [lambda l: l.item(), lambda l: np.float32(l.item()), lambda l: l,
             lambda l: l.detach().reshape(1)]
    losses = []
    with Watch(model, optimizer, store=tmp_path / "s") as watch:
        for (x, y), give in zip(loader(), given):
            loss = torch.nn.functional.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            watch.step(give(loss))
            losses.append(loss.item())
        for bad, shown in ((torch.tensor([0.5, 9.0]), "a tensor of shape (2,)"),
                           ("0.5", "'0.5'"), ([0.5], "a list")):
            with pytest.raises(ConfigError, match=r"^watch.step\(loss\): loss must be one number "
                               rf".*got {re.escape(shown)}; pass the loss you call backward\(\) "
                               "on$"):
                watch.step(bad)
    store, run = _only_run(tmp_path / "s")
    steps, recorded = store.scalars(run, keys.LOSS)
    assert steps.tolist() == [0, 1, 2, 3]
    np.testing.assert_allclose(recorded, losses, rtol=1e-6)


@pytest.mark.parametrize("steps", [5, 30])
def test_a_loop_that_steps_another_optimizer_than_the_watched_one_is_told(tmp_path, steps):
    """An optimizer made after Watch (or rebuilt) is not seen: the run had its loss and no LR or
    gradient norm, without a word. One warning says so, at step 20 or at the end, whichever
    comes first; a loop that steps the watched optimizer gets none."""
    model = _model()
    watched = torch.optim.SGD(model.parameters(), lr=0.05)
    for stepped, name in ((torch.optim.Adam(model.parameters(), lr=1e-3), "other"),
                          (watched, "watched")):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with Watch(model, watched, store=tmp_path / "s", name=name) as watch:
                for _, (x, y) in zip(range(steps), loader(n=1024)):
                    loss = torch.nn.functional.mse_loss(model(x), y)
                    stepped.zero_grad()
                    loss.backward()
                    stepped.step()
                    watch.step(loss)
        told = [str(w.message) for w in caught if "never stepped" in str(w.message)]
        if name == "watched":
            assert told == []
        else:
            assert told == [f"lrwatch: {min(steps, 20)} calls of watch.step() and the optimizer "
                            "given to Watch never stepped: only the loss is recorded (no LR, no "
                            "gradient norm); give Watch the optimizer the loop steps (one made "
                            "after Watch is not seen)"]
            with Store(tmp_path / "s", readonly=True) as store:
                recorded = store.keys(store.run(name))
                assert keys.LOSS in recorded and keys.LR not in recorded


def test_the_final_verdict_of_a_one_step_run_counts_one_step(tmp_path, caplog):
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    with Watch(model, optimizer, store=tmp_path / "s", name="one") as watch:
        _plain_loop(watch, model, optimizer, n=32)  # one batch
    finals = [r.getMessage() for r in caplog.records if "final verdict" in r.getMessage()]
    assert finals == ["lrwatch: final verdict on run 'one' (1 step): too short to judge: needs "
                      "~40 steps"]


class _OwnModuleAttribute(torch.nn.Module):
    """A user's model with a submodule it calls ``module``: not a wrapper."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.module = torch.nn.Linear(8, 16)
        self.head = torch.nn.Linear(16, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.module(x)))


@pytest.mark.parametrize("made", ["own_module_attribute", "compiled"])
def test_a_model_is_recorded_under_its_own_class_layers_and_size(tmp_path, made):
    """Any ``.module`` was taken for a wrapper's: a model with a submodule called ``module`` was
    named after that submodule (Linear), its head filed as layer "other" and its size that of
    the submodule. A ``torch.compile``d model was named OptimizedModule, its layers
    ``_orig_mod.0``."""
    if made == "compiled":
        inner = _model()
        model, name, layers = torch.compile(inner, backend="eager"), "Sequential", {"0", "2"}
    else:
        model = inner = _OwnModuleAttribute()
        name, layers = "_OwnModuleAttribute", {"module", "head"}
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    with Watch(model, optimizer, store=tmp_path / "s") as watch:
        _plain_loop(watch, model, optimizer)
    store, run = _only_run(tmp_path / "s")
    assert (run.name, run.meta["model"]) == (name, name)
    assert run.meta["param_count"] == sum(p.numel() for p in inner.parameters())
    assert {k.split("/", 1)[1] for k in store.keys(run) if k.startswith("grad_norm/")} == layers


def test_a_before_step_after_the_optimizer_stepped_is_ignored_with_one_warning(tmp_path):
    """A second ``before_step()`` after ``optimizer.step()`` re-read the gradients and marked a
    step the optimizer took as skipped (``optimizer_skipped``); it is now ignored, once said."""
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with Watch(model, optimizer, store=tmp_path / "s") as watch:
            for i, (x, y) in enumerate(loader()):
                loss = torch.nn.functional.mse_loss(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                watch.before_step()
                optimizer.step()
                if i in (3, 5):
                    watch.before_step()  # out of order
                watch.after_step(loss)
    told = [str(w.message) for w in caught if "before_step" in str(w.message)]
    assert told == ["lrwatch: watch.before_step() came after optimizer.step() in step 3: ignored "
                    "(the gradients were read inside optimizer.step()); call it between "
                    "backward() and optimizer.step()"]
    store, run = _only_run(tmp_path / "s")
    assert keys.OPTIMIZER_SKIPPED not in store.keys(run)
    assert store.scalars(run, keys.GRAD_NORM)[0].tolist() == list(range(8))


def test_an_unusable_store_is_a_one_line_error_that_does_not_name_another_front_end(tmp_path):
    """The advice said "pass LRWatch(store=...)" to a Watch user, who never made an LRWatch."""
    from lrwatch import StoreError

    (tmp_path / "a-file").write_text("not a folder")
    model = _model()
    with pytest.raises(StoreError) as error:
        Watch(model, torch.optim.SGD(model.parameters(), lr=0.1), store=tmp_path / "a-file" / "s")
    assert str(error.value) == (f"cannot create the store folder {tmp_path / 'a-file' / 's'}: Not "
                                "a directory; pass store= a writable path, or set LRWATCH_STORE "
                                "to one")


def test_an_optimizer_over_frozen_parameters_only_leaves_the_rest_recorded(tmp_path):
    """An optimizer whose parameters are all frozen (a frozen module's own optimizer) made its
    weight snapshot fail on an empty list, and recording stopped for the whole run: no row
    was stored. Its LR is recorded; it has no gradients or updates to measure."""
    model = _model()
    for p in model[0].parameters():
        p.requires_grad_(False)
    head = torch.optim.SGD(model[2].parameters(), lr=0.05)
    frozen = torch.optim.Adam(model[0].parameters(), lr=1e-3)
    with Watch(model, [head, frozen], store=tmp_path / "s", strict=True) as watch:
        for x, y in loader():
            loss = torch.nn.functional.mse_loss(model(x), y)
            head.zero_grad()
            loss.backward()
            head.step()
            frozen.step()
            watch.step(loss)
    store, run = _only_run(tmp_path / "s")
    recorded = set(store.keys(run))
    assert {keys.LOSS, keys.GRAD_NORM, keys.UPDATE_RATIO, "lr@Adam"} <= recorded
    assert store.scalars(run, keys.LOSS)[0].tolist() == list(range(8))
    assert not any(k.startswith(keys.GRAD_NORM) and k.endswith("@Adam") for k in recorded)


@pytest.mark.parametrize("given", ["not_given", "none", "given", "warn_mode"])
def test_recover_with_a_scheduler_not_given_to_watch_is_told(tmp_path, given):
    """A LambdaLR not given to Watch set the LR back at its next step: the recovery said
    "LR x0.1 (0.05 -> 0.005)" and the run went on at 0.05. One warning says to pass it.
    ``schedulers=None`` means none, as leaving it out does (it was refused)."""
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    options: dict[str, Any] = {"on_diverge": "warn" if given == "warn_mode" else "recover"}
    if given in ("given", "none"):
        options["schedulers"] = [scheduler] if given == "given" else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with Watch(model, optimizer, store=tmp_path / "s", **options) as watch:
            for i, (x, y) in enumerate(loader()):
                loss = torch.nn.functional.mse_loss(model(x), y) * (math.nan if i == 4 else 1)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                scheduler.step()
                watch.step(loss)
    told = [str(w.message) for w in caught if "scheduler" in str(w.message)]
    assert len(told) == (given in ("not_given", "none"))
    store, run = _only_run(tmp_path / "s")
    assert run.steps == 8 and run.meta["schedulers"] == (["LambdaLR"] if given == "given" else [])
    if given != "given":
        return
    assert store.scalars(run, keys.LR)[1][-1] == pytest.approx(0.005)  # the cut held


@pytest.mark.parametrize("order", ["set_to_none", "zeros", "before_zero_grad", "read_again"])
def test_a_before_step_before_backward_is_told_once_and_records_no_wrong_norms(tmp_path, order):
    """``watch.before_step()`` before ``loss.backward()`` read no gradient (after a
    ``zero_grad()``: no norm at all, silently), zeros (``zero_grad(set_to_none=False)``: filed
    as real norms) or the last step's. One warning says where it goes; no such norm is filed,
    the rest of each step is. A loop that reads again after backward is right: no warning."""
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with Watch(model, optimizer, store=tmp_path / "s") as watch:
            for x, y in loader():
                loss = torch.nn.functional.mse_loss(model(x), y)
                if order == "before_zero_grad":
                    watch.before_step()
                optimizer.zero_grad(set_to_none=order != "zeros")
                if order != "before_zero_grad":
                    watch.before_step()
                loss.backward()
                if order == "read_again":
                    watch.before_step()
                optimizer.step()
                watch.after_step(loss)
    told = [str(w.message) for w in caught if "before_step" in str(w.message)]
    store, run = _only_run(tmp_path / "s")
    for key in (keys.LOSS, keys.LR):
        assert store.scalars(run, key)[0].tolist() == list(range(8))
    assert store.scalars(run, keys.UPDATE_RATIO)[0].tolist() == [0]  # its every 50 steps
    if order == "read_again":
        assert told == [] and store.scalars(run, keys.GRAD_NORM)[0].tolist() == list(range(8))
        return
    assert told == ["lrwatch: watch.before_step() came before loss.backward() in step 0: the "
                    "gradients it read were not the step's, so no gradient norm is recorded for "
                    "such steps; call it after backward() and before optimizer.step()"]
    assert not any(k.startswith(keys.GRAD_NORM) for k in store.keys(run))
    assert keys.OPTIMIZER_SKIPPED not in store.keys(run)


def test_the_steps_a_recovery_skips_are_skipped_with_a_before_step_before_backward(tmp_path):
    """``skip_batches`` dropped the gradients in ``before_step``, before backward made them:
    the steps meant to be skipped updated the weights."""
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    weights: list[torch.Tensor] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Watch(model, optimizer, store=tmp_path / "s", on_diverge="recover",
                   snapshot_every_n_steps=2, skip_batches=2) as watch:
            for i, (x, y) in enumerate(loader()):
                loss = torch.nn.functional.mse_loss(model(x), y) * (math.nan if i == 4 else 1)
                optimizer.zero_grad()
                watch.before_step()
                loss.backward()
                optimizer.step()
                watch.after_step(loss)
                weights.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    store, run = _only_run(tmp_path / "s")
    (event,) = store.events(run, kind=keys.EVENT_ACTION)
    assert event.payload["action"] == "recover" and event.step == 4
    assert torch.equal(weights[5], weights[4]) and torch.equal(weights[6], weights[4])
    assert not torch.equal(weights[7], weights[4])


def _warmup(kind: str, optimizer: torch.optim.Optimizer, steps: int) -> Any:
    """A 100-step warmup to the optimizer's LR, as ``kind`` builds it."""
    sched = torch.optim.lr_scheduler
    if kind == "LambdaLR":
        return sched.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / 100))
    if kind == "LinearLR":
        return sched.LinearLR(optimizer, start_factor=0.01, end_factor=1.0, total_iters=100)
    if kind == "SequentialLR":  # a warmup, then a cosine that starts from its own base LRs
        return sched.SequentialLR(optimizer, [
            sched.LinearLR(optimizer, start_factor=0.01, end_factor=1.0, total_iters=100),
            sched.CosineAnnealingLR(optimizer, T_max=steps - 100)], milestones=[100])
    return sched.OneCycleLR(optimizer, max_lr=1.0, total_steps=steps, pct_start=100 / steps)


def _recovered(tmp_path: Any, lr: float, schedule: Any, epochs: int,
               snapshot_every: int) -> tuple[Any, Any, Any]:
    """The regressor trained by SGD at ``lr`` under ``schedule(optimizer)``, watched with
    ``on_diverge="recover"``: its store, its run and the run's one guard action."""
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    scheduler = schedule(optimizer)
    with Watch(model, optimizer, store=tmp_path / "s", on_diverge="recover",
               snapshot_every_n_steps=snapshot_every, schedulers=[scheduler]) as watch:
        for _ in range(epochs):
            for x, y in loader(n=2048):
                loss = torch.nn.functional.mse_loss(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                scheduler.step()
                watch.step(loss)
    store, run = _only_run(tmp_path / "s")
    (event,) = store.events(run, kind=keys.EVENT_ACTION)
    return store, run, event


@pytest.mark.parametrize("kind", ["LambdaLR", "LinearLR", "SequentialLR", "OneCycleLR"])
def test_a_recovery_in_warmup_keeps_the_lr_at_most_what_it_says(tmp_path, kind, caplog):
    """SGD warming up to lr 1.0 blows this regressor up half way. The recovery scaled the
    schedule by the factor alone: it said "LR x0.1 (0.57 -> 0.042)" and the warmup then took the
    LR to 0.1 (OneCycleLR: "0.267 -> 0.0143", then 0.1); a SequentialLR's cosine went back to
    its unscaled 1.0 at its milestone and the run blew up twice more. The LR now rises with the
    schedule to at most the factor times the LR it blew up at, as the message says."""
    caplog.set_level(logging.WARNING, logger="lrwatch")
    store, run, event = _recovered(tmp_path, 1.0, lambda o: _warmup(kind, o, steps=5 * 64),
                                   epochs=5, snapshot_every=10)
    p = event.payload
    assert run.status == FINISHED and p["action"] == "recover" and event.step < 100
    top = p["lr_before"] * p["lr_factor"]
    steps, lr = store.scalars(run, keys.LR)
    after = lr[steps > event.step]
    assert after[0] == pytest.approx(p["lr_after"])
    assert after.max() <= top * (1 + 1e-9) and after.max() >= 0.95 * top  # it reaches it
    assert p["lr_top"] == pytest.approx(top) and p["lr_after"] < top  # still warming up
    said = [r.getMessage() for r in caplog.records if "recovered run" in r.getMessage()]
    assert said == [event.payload["message"]]
    assert (f"LR x{p['lr_factor']:.3g} ({p['lr_before']:.3g} -> {p['lr_after']:.3g}, rising with "
            f"its schedule to {top:.3g} at most)") in said[0]


def test_a_recovery_in_a_decaying_schedule_goes_on_at_the_factor_times_the_lr_it_blew_up_at(
        tmp_path, caplog):
    """Past its peak a schedule only lowers the LR: the recovery sets the factor times the LR
    it blew up at, and the schedule goes on down from there (its shape scaled)."""
    caplog.set_level(logging.WARNING, logger="lrwatch")
    store, run, event = _recovered(
        tmp_path, 0.4, lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=3 * 64),
        epochs=3, snapshot_every=20)
    p = event.payload
    assert p["lr_after"] == pytest.approx(p["lr_before"] * p["lr_factor"]) == p["lr_top"]
    steps, lr = store.scalars(run, keys.LR)
    after = lr[steps > event.step]
    assert after[0] == pytest.approx(p["lr_after"]) and np.all(np.diff(after) <= 1e-12)
    assert "rising" not in p["message"]
