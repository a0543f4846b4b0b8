"""find_lr and LRFinder on real Lightning training (both Lightning packages)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch.nn import functional as F

import lrwatch.finder
from lrwatch import ConfigError, find_lr
from lrwatch.analysis.rangetest import RangeTestStatus
from lrwatch.finder import LRFinder
from lrwatch.store import ENV_VAR, Store, default_store_path


@pytest.fixture(autouse=True)
def _no_store_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


def blobs(n: int = 512, seed: int = 0) -> torch.utils.data.TensorDataset:
    """Four Gaussian blobs in 8-d: learnable in a few dozen steps."""
    g = torch.Generator().manual_seed(seed)
    centers = torch.randn(4, 8, generator=g) * 3
    y = torch.randint(0, 4, (n,), generator=g)
    x = centers[y] + torch.randn(n, 8, generator=g)
    return torch.utils.data.TensorDataset(x, y)


def loader(n: int = 512, batch_size: int = 16) -> torch.utils.data.DataLoader:
    return torch.utils.data.DataLoader(blobs(n), batch_size=batch_size, shuffle=True,
                                       generator=torch.Generator().manual_seed(1))


def make_model(pl: Any, **overrides: Any) -> Any:
    """A small classifier; ``overrides`` swap in hooks or settings for one test."""

    class Classifier(pl.LightningModule):
        def __init__(self, lr: float = 1e-3) -> None:
            super().__init__()
            self.lr = lr
            self.net = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(),
                                           torch.nn.Linear(32, 4))
            self.steps_seen = 0
            self.lrs_used: list[float] = []

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            self.steps_seen += 1
            x, y = batch
            return F.cross_entropy(self.net(x), y)

        def on_before_optimizer_step(self, optimizer: Any) -> None:
            self.lrs_used.append(optimizer.param_groups[0]["lr"])

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=self.lr, momentum=0.9)

    for name, value in overrides.items():
        setattr(Classifier, name, value)
    torch.manual_seed(0)
    return Classifier()


def make_trainer(pl: Any, root: Path, **kwargs: Any) -> Any:
    options = dict(accelerator="cpu", devices=1, max_epochs=1, logger=False,
                   enable_checkpointing=False, enable_progress_bar=False,
                   enable_model_summary=False, default_root_dir=str(root))
    options.update(kwargs)
    return pl.Trainer(**options)


def states_equal(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Deep equality of state dicts (tensors compared exactly)."""
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(
            states_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(states_equal(x, y) for x, y in zip(a, b))
    return bool(a == b)


def clone_state(state: Any) -> Any:
    if isinstance(state, torch.Tensor):
        return state.detach().clone()
    if isinstance(state, dict):
        return {k: clone_state(v) for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(clone_state(v) for v in state)
    return state


def test_find_lr_suggests_applies_and_restores(pl: Any, tmp_path: Path) -> None:
    model = make_model(pl)
    before = clone_state(model.state_dict())
    trainer = make_trainer(pl, tmp_path)

    result = find_lr(trainer, model, loader(), min_lr=1e-3, max_lr=10, num_training=60)

    assert result is not None and result.status is RangeTestStatus.OK, result.reason
    assert len(result.results["lr"]) == len(result.results["loss"]) <= 60
    assert result.results["lr"][0] == pytest.approx(1e-3)
    assert result.lower <= result.suggestion() <= result.upper
    assert model.lr == result.suggestion()  # update_attr
    assert states_equal(before, model.state_dict())
    assert trainer.global_step == 0 and not trainer.should_stop
    # the real training runs as if no test had happened: a full epoch of 32 steps
    model.lrs_used.clear()
    trainer.fit(model, loader())
    assert trainer.global_step == 32
    assert model.lrs_used == [pytest.approx(result.suggestion())] * 32
    assert not list(tmp_path.rglob("*.ckpt"))


def test_the_message_names_where_the_lr_was_set(pl: Any, tmp_path: Path, monkeypatch) -> None:
    def configure_optimizers(self: Any) -> Any:
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr, momentum=0.9)

    model = make_model(pl, configure_optimizers=configure_optimizers)
    del model.lr
    model.hparams["lr"] = 1e-3  # as save_hyperparameters() keeps it
    # what find_lr says, whatever other tests did to Lightning's loggers
    told: list[str] = []
    monkeypatch.setattr(lrwatch.finder, "rank_zero_info", told.append)
    result = find_lr(make_trainer(pl, tmp_path), model, loader(), min_lr=1e-3, max_lr=10,
                     num_training=60)
    assert result.suggestion() is not None and model.hparams.lr == result.suggestion()
    said = [message for message in told if " set to " in message]
    assert said == [f"find_lr: Classifier.hparams.lr set to {result.suggestion():.4g}"]


def test_lr_schedule_replaces_the_users_scheduler_during_the_test(pl: Any, tmp_path: Path
                                                                  ) -> None:
    def configure_optimizers(self: Any) -> Any:
        opt = torch.optim.Adam(self.parameters(), lr=self.lr)
        return [opt], [torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)]

    model = make_model(pl, configure_optimizers=configure_optimizers)
    result = find_lr(make_trainer(pl, tmp_path), model, loader(), min_lr=1e-6, max_lr=1.0,
                     num_training=40, early_stop_threshold=None, update_attr=False)

    assert len(result.results["lr"]) == 40
    assert result.results["lr"] == pytest.approx(np.geomspace(1e-6, 1.0, 40).tolist())
    assert model.lrs_used == pytest.approx(result.results["lr"])


def test_gradient_accumulation_records_one_raw_loss_per_optimizer_step(pl: Any, tmp_path: Path
                                                                       ) -> None:
    model = make_model(pl)
    trainer = make_trainer(pl, tmp_path, accumulate_grad_batches=3, gradient_clip_val=0.5)
    result = find_lr(trainer, model, loader(n=480), min_lr=1e-8, max_lr=1e-6, num_training=25,
                     early_stop_threshold=None, update_attr=False)

    assert len(result.results["raw_loss"]) == 25
    assert model.steps_seen == 75  # three batches per optimizer step (30 batches a pass)
    # at LRs this small nothing is learnt: the loss is the untrained one, not a third of it
    torch.manual_seed(0)
    x, y = blobs().tensors
    with torch.no_grad():
        untrained = float(F.cross_entropy(make_model(pl).net(x), y))
    assert np.mean(result.results["raw_loss"]) == pytest.approx(untrained, rel=0.1)


def test_callback_form_restores_state_and_trains_with_the_suggestion(pl: Any, tmp_path: Path
                                                                     ) -> None:
    seen: dict[str, Any] = {}

    class Spy(pl.Callback):
        def __init__(self, label: str) -> None:
            self.label = label

        def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
            seen[self.label] = clone_state({
                "model": pl_module.state_dict(),
                "optimizer": trainer.optimizers[0].state_dict(),
                "scheduler": trainer.lr_scheduler_configs[0].scheduler.state_dict(),
                "step": trainer.global_step,
            })

    def configure_optimizers(self: Any) -> Any:
        opt = torch.optim.AdamW(self.parameters(), lr=self.lr)
        warmup = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: min(1.0, (step + 1) / 10))
        return {"optimizer": opt, "lr_scheduler": {"scheduler": warmup, "interval": "step"}}

    finder = LRFinder(min_lr=1e-3, max_lr=10, num_training_steps=60, update_attr=False)
    model = make_model(pl, configure_optimizers=configure_optimizers)
    trainer = make_trainer(pl, tmp_path, callbacks=[Spy("before"), finder, Spy("after")])
    trainer.fit(model, loader())

    assert finder.result is not None and finder.optimal_lr is finder.result
    assert states_equal(seen["before"], seen["after"])
    assert trainer.global_step == 32


def test_callback_form_applies_the_suggestion_through_configure_optimizers(
        pl: Any, tmp_path: Path) -> None:
    def configure_optimizers(self: Any) -> Any:
        opt = torch.optim.SGD(self.parameters(), lr=self.lr)
        warmup = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: min(1.0, (step + 1) / 10))
        return {"optimizer": opt, "lr_scheduler": {"scheduler": warmup, "interval": "step"}}

    finder = LRFinder(min_lr=1e-3, max_lr=10, num_training_steps=60)
    model = make_model(pl, configure_optimizers=configure_optimizers)
    trainer = make_trainer(pl, tmp_path, callbacks=[finder], max_steps=15)
    trainer.fit(model, loader())
    suggested = finder.result.suggestion()
    assert suggested is not None and model.lr == suggested

    # the same training with the LR set by hand sees the same warmup from the same LR
    reference = make_model(pl, configure_optimizers=configure_optimizers)
    reference.lr = suggested
    make_trainer(pl, tmp_path, max_steps=15).fit(reference, loader())
    assert model.lrs_used[-15:] == pytest.approx(reference.lrs_used)
    assert model.lrs_used[-1] == pytest.approx(suggested)


def test_data_shorter_than_num_training_is_cycled(pl: Any, tmp_path: Path) -> None:
    model = make_model(pl)
    result = find_lr(make_trainer(pl, tmp_path), model, loader(n=80), num_training=30,
                     min_lr=1e-6, max_lr=1e-3, early_stop_threshold=None, update_attr=False)
    assert len(result.results["lr"]) == 30
    assert model.steps_seen == 30  # 5 batches a pass, 6 passes


def test_stored_as_its_own_run(pl: Any, tmp_path: Path) -> None:
    result = find_lr(make_trainer(pl, tmp_path), make_model(pl), loader(), min_lr=1e-3,
                     max_lr=10, num_training=60)

    with Store(default_store_path(tmp_path), readonly=True) as store:
        (run,) = store.runs()
        assert run.uid == result.run_uid and run.name == "Classifier-range-test"
        assert run.meta["kind"] == "range_test"
        assert run.meta["optimizer"] == "SGD" and run.meta["momentum"] == 0.9
        steps, lrs = store.scalars(run, "lr")
        _, loss = store.scalars(run, "loss")
        _, smoothed = store.scalars(run, "loss_smoothed")
        (event,) = store.events(run, kind="range_test")
    n = len(result.results["lr"])
    assert steps.tolist() == list(range(n))
    assert np.allclose(lrs, result.results["lr"])
    assert np.allclose(loss, result.results["raw_loss"], equal_nan=True)
    assert np.allclose(smoothed, result.results["smoothed_loss"], equal_nan=True)
    assert event.payload["suggested_lr"] == result.suggestion()
    assert event.payload["lower_lr"] == result.lower
    assert event.payload["upper_lr"] == result.upper
    assert event.payload["lightning_suggestion"] == result.lightning_suggestion
    assert event.payload["reason"] == result.reason


def test_a_raising_run_restores_the_model_and_leaves_no_file(pl: Any, tmp_path: Path) -> None:
    def training_step(self: Any, batch: Any, batch_idx: int) -> torch.Tensor:
        self.steps_seen += 1
        if self.steps_seen == 6:
            raise RuntimeError("boom in training_step")
        x, y = batch
        return F.cross_entropy(self.net(x), y)

    model = make_model(pl, training_step=training_step)
    before = clone_state(model.state_dict())
    trainer = make_trainer(pl, tmp_path)
    callbacks = list(trainer.callbacks)
    with pytest.raises(RuntimeError, match="boom"):
        find_lr(trainer, model, loader(), min_lr=1e-3, max_lr=10, num_training=30)
    assert states_equal(before, model.state_dict())
    assert model.lr == 1e-3
    assert trainer.callbacks == callbacks
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_nan_from_the_first_step_is_inconclusive(pl: Any, tmp_path: Path) -> None:
    def training_step(self: Any, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        return F.cross_entropy(self.net(x), y) * float("nan")

    model = make_model(pl, training_step=training_step)
    with pytest.warns(UserWarning, match="no suggestion"):
        result = find_lr(make_trainer(pl, tmp_path), model, loader(), num_training=30)
    assert result.status is RangeTestStatus.INCONCLUSIVE
    assert result.suggestion() is None
    assert "first step" in result.reason and "non-finite" in result.reason
    assert model.lr == 1e-3  # nothing applied
    assert len(result.results["lr"]) == 1  # it stopped at once


@pytest.mark.parametrize("kwargs, match", [
    ({"min_lr": 0.1, "max_lr": 0.1}, "min_lr and max_lr are both 0.1"),
    ({"min_lr": 0.0}, "min_lr=0.0 must be a positive number"),
    ({"max_lr": -1.0}, "max_lr=-1.0 must be a positive number"),
    ({"min_lr": float("nan")}, "min_lr=nan must be a positive number"),
    ({"num_training": 0}, "num_training=0 must be at least 1"),
    ({"mode": "cosine"}, "mode='cosine' is not one of"),
    ({"early_stop_threshold": "4"}, "early_stop_threshold='4' must be a number"),
    ({"method": "validate"}, "method='validate' is not supported"),
    ({"dataloaders": [1]}, "pass the training data as train_dataloaders"),
])
def test_bad_arguments_fail_before_training(pl: Any, tmp_path: Path, kwargs: dict[str, Any],
                                            match: str) -> None:
    model = make_model(pl)
    with pytest.raises(ConfigError, match=match):
        find_lr(make_trainer(pl, tmp_path), model, loader(), **kwargs)
    assert model.steps_seen == 0


def test_arguments_in_the_wrong_order_or_of_the_wrong_kind_are_named(pl: Any,
                                                                     tmp_path: Path) -> None:
    trainer, model = make_trainer(pl, tmp_path), make_model(pl)
    with pytest.raises(ConfigError, match="first argument must be a Lightning Trainer"):
        find_lr(model, trainer, loader())  # swapped
    with pytest.raises(ConfigError, match="first argument must be a Lightning Trainer, got "
                                          "NoneType"):
        find_lr(None, model, loader())
    with pytest.raises(ConfigError, match="the model must be a .*LightningModule.*got Linear"):
        find_lr(trainer, torch.nn.Linear(2, 2), loader())
    with pytest.raises(ConfigError, match="num_training must be a whole number of steps, got "
                                          "100.0"):
        find_lr(trainer, model, loader(), num_training=100.0)


@pytest.mark.parametrize("kwargs, match", [
    ({"num_training_steps": 0}, "^LRFinder: num_training_steps=0 must be at least 1"),
    ({"num_training_steps": 2.5}, "^LRFinder: num_training_steps must be a whole number of "
                                  "steps, got 2.5"),
    ({"min_lr": 0}, "^LRFinder: min_lr=0 must be a positive number"),
])
def test_the_callback_names_its_own_arguments(kwargs: dict[str, Any], match: str) -> None:
    """``LRFinder`` takes Lightning's ``num_training_steps``: its errors named ``find_lr`` and
    ``num_training``, an argument the callback does not have."""
    with pytest.raises(ConfigError, match=match):
        LRFinder(**kwargs)


@pytest.mark.parametrize("optimizers, match", [
    (lambda self: None, "returned no optimizer"),
    (lambda self: [torch.optim.SGD(self.parameters(), lr=0.1),
                   torch.optim.SGD(self.parameters(), lr=0.1)], "returned 2 optimizers"),
])
def test_models_without_a_single_optimizer_are_refused(pl: Any, tmp_path: Path, optimizers: Any,
                                                       match: str) -> None:
    def training_step(self: Any, batch: Any, batch_idx: int) -> Any:
        x, y = batch
        return F.cross_entropy(self.net(x), y)

    overrides = {"configure_optimizers": optimizers}
    if "2" in match:
        overrides["automatic_optimization"] = False
    model = make_model(pl, **overrides)
    with pytest.raises(ConfigError, match=match):
        find_lr(make_trainer(pl, tmp_path), model, loader(), num_training=30)


def test_model_without_lr_attribute_needs_attr_name(pl: Any, tmp_path: Path) -> None:
    model = make_model(pl)
    del model.lr
    with pytest.raises(ConfigError, match="no `lr` or `learning_rate`"):
        find_lr(make_trainer(pl, tmp_path), model, loader(), num_training=30)


def test_fast_dev_run_skips_the_test(pl: Any, tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="fast_dev_run"):
        assert find_lr(make_trainer(pl, tmp_path, fast_dev_run=True), make_model(pl),
                       loader()) is None


def test_plot_marks_the_suggestion_the_safe_range_and_lightnings_pick(pl: Any, tmp_path: Path
                                                                     ) -> None:
    result = find_lr(make_trainer(pl, tmp_path), make_model(pl), loader(), min_lr=1e-3,
                     max_lr=10, num_training=60, update_attr=False)
    fig = result.plot(suggest=True)

    loss, smoothed = fig.data[0], fig.data[1]
    assert list(loss.x) == pytest.approx(result.results["lr"], rel=1e-5)  # sent rounded
    assert list(smoothed.y) == pytest.approx(result.results["smoothed_loss"], rel=1e-5)
    assert fig.layout.xaxis.type == "log"
    rect = next(s for s in fig.layout.shapes if s.type == "rect")
    assert (rect.x0, rect.x1) == (result.lower, result.upper)
    lines = sorted(s.x0 for s in fig.layout.shapes if s.type == "line")
    assert lines == sorted([result.suggestion(), result.lightning_suggestion])
    names = " ".join(t.name for t in fig.data)
    assert f"lrwatch suggestion {result.suggestion():.3g}" in names
    assert "Lightning" in names and "pick" in names

    plain = result.plot(suggest=False)
    assert len(plain.data) == 2 and not plain.layout.shapes


@pytest.mark.parametrize("form", ["find_lr", "callback"])
def test_the_range_test_is_linked_to_the_run_that_follows(pl: Any, tmp_path: Path, form: str
                                                          ) -> None:
    from lrwatch import LRWatch

    store = tmp_path / "runs"
    model = make_model(pl)
    if form == "find_lr":
        trainer = make_trainer(pl, tmp_path, callbacks=[LRWatch(store=store)])
        result = find_lr(trainer, model, loader(), min_lr=1e-3, max_lr=10, num_training=60)
    else:
        finder = LRFinder(min_lr=1e-3, max_lr=10, num_training_steps=60)
        trainer = make_trainer(pl, tmp_path, callbacks=[finder, LRWatch(store=store)])
    trainer.fit(model, loader())
    if form == "callback":
        result = finder.result

    with Store(store, readonly=True) as runs:
        test, train = runs.runs()  # the test in LRWatch's store, not the default one
        assert test.uid == result.run_uid and test.meta["kind"] == "range_test"
        assert (test.name, train.name) == ("Classifier-range-test", "Classifier")
        assert train.meta["kind"] == "train"
        assert train.meta["range_test"] == {
            "run": result.run_uid, "suggested_lr": result.suggestion(),
            "lower_lr": result.lower, "upper_lr": result.upper}
        steps, lrs = runs.scalars(train, "lr")
    assert len(steps) == 32 and np.allclose(lrs, result.suggestion())
    assert not default_store_path(tmp_path).exists()


def test_a_store_that_cannot_be_written_costs_the_record_not_the_result(
        pl: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store's folder should be")
    monkeypatch.setenv(ENV_VAR, str(blocker / "lrwatch.db"))
    with pytest.warns(UserWarning, match="could not store the range test"):
        result = find_lr(make_trainer(pl, tmp_path), make_model(pl), loader(), min_lr=1e-3,
                         max_lr=10, num_training=60, update_attr=False)
    assert result.run_uid is None and result.suggestion() is not None


def test_a_second_test_on_the_same_trainer_sees_the_same_model(pl: Any, tmp_path: Path) -> None:
    # Lightning #9672: repeated calls started from the model the first call had trained
    model = make_model(pl)
    trainer = make_trainer(pl, tmp_path)
    runs = [find_lr(trainer, model, loader(), min_lr=1e-3, max_lr=10, num_training=60,
                    update_attr=False) for _ in range(2)]
    assert runs[0].results["raw_loss"] == runs[1].results["raw_loss"]
    assert runs[0].suggestion() == runs[1].suggestion()
