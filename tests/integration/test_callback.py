"""LRWatch inside real Lightning training, with each installed Lightning package."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch

from lrwatch import LRWatch, NotAStore, Store, keys
from lrwatch.recorder import Recorder
from lrwatch.store import FINISHED
from tests.helpers.models import loader, make_module, trainer


def _only_run(path: Any):  # type: ignore[no-untyped-def]
    store = Store(path, readonly=True)
    (run,) = store.runs()
    return store, run


def test_every_step_is_recorded_where_lightning_users_look(pl, tmp_path):
    module = make_module(pl, lr=0.05, scheduler_step=5)
    trainer(pl, [LRWatch()], tmp_path).fit(module, loader(), loader(64))
    store, run = _only_run(tmp_path / "lrwatch_logs")  # next to lightning_logs/
    assert (run.name, run.status, run.steps) == ("TinyRegressor", FINISHED, 16)
    steps, loss = store.scalars(run, keys.LOSS)
    assert steps.tolist() == list(range(16))
    assert np.allclose(loss, module.seen_losses, rtol=1e-6)
    _, lr = store.scalars(run, keys.LR)
    assert lr.tolist() == [0.05 * 0.5 ** (s // 5) for s in range(16)]
    _, grad_norm = store.scalars(run, keys.GRAD_NORM)
    assert grad_norm.size == 16 and np.all(np.isfinite(grad_norm)) and np.all(grad_norm > 0)
    ratio_steps, ratio = store.scalars(run, keys.UPDATE_RATIO)
    assert ratio_steps.tolist() == [0]  # with the per-layer norms, every 50 steps: it copies the weights
    assert np.all((ratio > 0) & (ratio < 1))
    val_steps, _ = store.scalars(run, keys.VAL_LOSS)
    assert val_steps.tolist() == [7, 15]  # after the last step of each epoch
    assert store.scalars(run, keys.EPOCH)[1].tolist() == [0.0] * 8 + [1.0] * 8
    assert {"grad_norm/net.0", "grad_norm/net.2", "update_ratio/net.0", keys.STEP_TIME,
            keys.SAMPLES_PER_SEC, keys.PARAM_NORM, keys.MOMENTUM} <= set(store.keys(run))
    meta = run.meta
    assert (meta["optimizer"], meta["batch_size"], meta["planned_steps"]) == ("SGD", 32, 16)
    assert meta["schedulers"] == ["StepLR"] and meta["hparams"] == {"lr": 0.05, "optimizer": "SGD"}
    assert meta["param_count"] == sum(p.numel() for p in module.parameters())
    assert meta["lightning_package"] == pl.__name__
    assert meta["fine_tune"] is None  # a model built here, nothing said: unknown


def test_a_fine_tune_the_user_names_reaches_the_store_and_the_final_verdict(pl, tmp_path):
    from lrwatch.readers.store import read_store_run

    trainer(pl, [LRWatch(fine_tune=True)], tmp_path).fit(make_module(pl, lr=0.05), loader())
    store, run = _only_run(tmp_path / "lrwatch_logs")
    assert run.meta["fine_tune"] is True
    assert read_store_run(store, run.id).curves.fine_tune is True


def test_the_classes_the_user_names_reach_the_store_and_what_analyze_reads(pl, tmp_path):
    from lrwatch.readers.store import read_store_run

    watch = LRWatch(classes=10)
    trainer(pl, [watch], tmp_path).fit(make_module(pl, lr=0.05), loader())
    store, run = _only_run(tmp_path / "lrwatch_logs")
    assert run.meta["classes"] == 10
    assert read_store_run(store, run.id).curves.classes == 10
    assert watch.engine._analyzer()._meta.classes == 10  # what the online analysis is told


def test_a_model_that_says_no_classes_stores_none(pl, tmp_path):
    from lrwatch.readers.store import read_store_run

    trainer(pl, [LRWatch()], tmp_path).fit(make_module(pl, lr=0.05), loader())
    store, run = _only_run(tmp_path / "lrwatch_logs")
    assert run.meta["classes"] is None  # a regressor built here: unknown
    assert read_store_run(store, run.id).curves.classes is None


def test_grad_norm_is_the_norm_lightning_users_would_compute(pl, tmp_path):
    reference: list[float] = []

    class Reference(pl.Callback):
        def on_before_optimizer_step(self, trainer: Any, module: Any, optimizer: Any) -> None:
            grads = [p.grad.flatten() for p in module.parameters() if p.grad is not None]
            reference.append(float(torch.cat(grads).norm()))

    trainer(pl, [LRWatch(store=tmp_path / "s"), Reference()], tmp_path, max_epochs=1).fit(
        make_module(pl), loader())
    store, run = _only_run(tmp_path / "s")
    assert np.allclose(store.scalars(run, keys.GRAD_NORM)[1], reference, rtol=1e-5)


def test_with_accumulation_the_loss_is_the_mean_over_micro_batches(pl, tmp_path):
    module = make_module(pl)
    trainer(pl, [LRWatch(store=tmp_path / "s")], tmp_path, max_epochs=1,
            accumulate_grad_batches=2).fit(module, loader())
    store, run = _only_run(tmp_path / "s")
    steps, loss = store.scalars(run, keys.LOSS)
    assert steps.tolist() == [0, 1, 2, 3]
    expected = np.asarray(module.seen_losses).reshape(4, 2).mean(axis=1)
    assert np.allclose(loss, expected, rtol=1e-5)


def test_clipping_records_the_norm_before_and_after(pl, tmp_path):
    trainer(pl, [LRWatch(store=tmp_path / "s")], tmp_path, max_epochs=1,
            gradient_clip_val=0.01).fit(make_module(pl), loader())
    store, run = _only_run(tmp_path / "s")
    before = store.scalars(run, keys.GRAD_NORM)[1]
    after = store.scalars(run, keys.GRAD_NORM_CLIPPED)[1]
    assert np.all(before > 0.01) and np.allclose(after, 0.01, rtol=1e-3)


def test_a_nan_loss_is_flagged_at_its_step_and_training_goes_on(pl, tmp_path):
    trainer(pl, [LRWatch(store=tmp_path / "s")], tmp_path, max_epochs=1).fit(
        make_module(pl, nan_at_step=5), loader())
    store, run = _only_run(tmp_path / "s")
    assert run.status == FINISHED and run.steps == 8
    flagged = store.scalars(run, keys.NONFINITE)[0].tolist()
    assert flagged == [5, 6, 7]
    assert [e.step for e in store.events(run, kind=keys.EVENT_NONFINITE)] == [5, 6, 7]
    assert np.isnan(store.scalars(run, keys.LOSS)[1][5])


def test_an_internal_error_warns_once_and_training_goes_on(pl, tmp_path, monkeypatch):
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(Recorder, "end_step", broken)
    module = make_module(pl)
    with pytest.warns(UserWarning, match="lrwatch: recording failed .*simulated bug.*training goes on") as seen:
        trainer(pl, [LRWatch(store=tmp_path / "s")], tmp_path, max_epochs=1).fit(module, loader())
    assert sum("simulated bug" in str(w.message) for w in seen) == 1
    assert len(module.seen_losses) == 8  # every step trained
    _, run = _only_run(tmp_path / "s")
    assert run.status == FINISHED


def test_strict_re_raises_internal_errors(pl, tmp_path, monkeypatch):
    monkeypatch.setattr(Recorder, "end_step", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        trainer(pl, [LRWatch(store=tmp_path / "s", strict=True)], tmp_path, max_epochs=1).fit(
            make_module(pl), loader())


def test_a_file_that_is_not_a_store_stops_training_at_the_start(pl, tmp_path):
    path = tmp_path / "results.db"
    path.write_text("my results, not a database")
    module = make_module(pl)
    with pytest.raises(NotAStore, match="results.db is not an lrwatch store"):
        trainer(pl, [LRWatch(store=path)], tmp_path).fit(module, loader())
    assert module.seen_losses == []
    assert path.read_text() == "my results, not a database"


def test_the_environment_variable_chooses_the_store(pl, tmp_path, monkeypatch):
    monkeypatch.setenv("LRWATCH_STORE", str(tmp_path / "elsewhere"))
    trainer(pl, [LRWatch()], tmp_path, max_epochs=1).fit(make_module(pl), loader())
    _only_run(tmp_path / "elsewhere")
    assert not (tmp_path / "lrwatch_logs").exists()


def test_several_optimizers_are_recorded_under_distinct_names(pl, tmp_path):
    class TwoOptimizers(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.automatic_optimization = False
            self.g = torch.nn.Linear(8, 1)
            self.d = torch.nn.Linear(8, 1)

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            x, y = batch
            opt_g, opt_d = self.optimizers()
            for opt, net in ((opt_g, self.g), (opt_d, self.d)):
                loss = torch.nn.functional.mse_loss(net(x), y)
                opt.zero_grad()
                self.manual_backward(loss)
                opt.step()
            return loss

        def configure_optimizers(self) -> Any:
            return [torch.optim.SGD(self.g.parameters(), lr=0.1),
                    torch.optim.Adam(self.d.parameters(), lr=0.001)]

    trainer(pl, [LRWatch(store=tmp_path / "s")], tmp_path, max_epochs=1).fit(TwoOptimizers(), loader())
    store, run = _only_run(tmp_path / "s")
    assert store.scalars(run, "lr")[1].tolist() == [0.1] * 8
    assert store.scalars(run, "lr@Adam")[1].tolist() == [0.001] * 8
    assert store.scalars(run, "grad_norm@Adam")[0].tolist() == list(range(8))
    assert store.scalars(run, keys.LOSS)[0].size == 8
    assert [o["class"] for o in run.meta["optimizers"]] == ["SGD", "Adam"]


def test_resuming_from_a_checkpoint_continues_the_same_run(pl, tmp_path):
    ckpt_dir = tmp_path / "ckpt"
    checkpoint = pl.callbacks.ModelCheckpoint(dirpath=ckpt_dir, save_top_k=-1, every_n_epochs=1)
    first = make_module(pl)
    trainer(pl, [LRWatch(store=tmp_path / "s"), checkpoint], tmp_path, max_epochs=2,
            enable_checkpointing=True).fit(first, loader())
    after_epoch_0 = sorted(ckpt_dir.glob("epoch=0*.ckpt"))[0]
    second = make_module(pl)
    trainer(pl, [LRWatch(store=tmp_path / "s")], tmp_path, max_epochs=3,
            enable_checkpointing=False).fit(second, loader(), ckpt_path=str(after_epoch_0))
    store, run = _only_run(tmp_path / "s")  # still one run
    steps, loss = store.scalars(run, keys.LOSS)
    assert steps.tolist() == list(range(24))  # no gap, no duplicate
    assert np.allclose(loss[8:], second.seen_losses, rtol=1e-6)  # the resumed timeline wins
    assert np.allclose(loss[:8], first.seen_losses[:8], rtol=1e-6)
    assert run.status == FINISHED


def test_resuming_from_a_mid_epoch_checkpoint_loses_no_step(pl, tmp_path):
    ckpt_dir = tmp_path / "ckpt"
    every_5 = pl.callbacks.ModelCheckpoint(dirpath=ckpt_dir, save_top_k=-1,
                                           every_n_train_steps=5)
    trainer(pl, [LRWatch(store=tmp_path / "s"), every_5], tmp_path, max_epochs=2,
            enable_checkpointing=True).fit(make_module(pl), loader())
    mid_epoch = ckpt_dir / "epoch=0-step=5.ckpt"  # 8 batches an epoch
    second = make_module(pl)
    trainer(pl, [LRWatch(store=tmp_path / "s")], tmp_path, max_epochs=2,
            enable_checkpointing=False).fit(second, loader(), ckpt_path=str(mid_epoch))
    store, run = _only_run(tmp_path / "s")
    steps, loss = store.scalars(run, keys.LOSS)
    assert steps.tolist() == list(range(16))  # step 4, the checkpoint's last, is kept
    assert np.allclose(loss[5:], second.seen_losses, rtol=1e-6)


@pytest.mark.parametrize("algorithm, expected", [("norm", 0.25), ("value", None)])
def test_norm_clipping_reaches_the_diagnosis_live_and_offline(pl, tmp_path, algorithm, expected):
    # clipped by norm, the step is lr x clip / |g|: the diagnosis must know the clip (SGD at
    # lr 20 with clip 0.25 trains an LSTM smoothly); clipping by value bounds no step norm
    from lrwatch.readers import curves_from_store

    watch = LRWatch(store=tmp_path / "s")
    trainer(pl, [watch], tmp_path, max_epochs=1, gradient_clip_val=0.25,
            gradient_clip_algorithm=algorithm).fit(make_module(pl), loader())
    store, run = _only_run(tmp_path / "s")
    assert run.meta["gradient_clip_algorithm"] == algorithm
    assert curves_from_store(store, run).clip == expected
    from lrwatch.callback import norm_clip

    clipped = pl.Trainer(gradient_clip_val=0.25, gradient_clip_algorithm=algorithm,
                         logger=False, enable_checkpointing=False)
    clipped.strategy.connect(make_module(pl))
    assert norm_clip(clipped) == expected


@pytest.mark.parametrize("setup", ["manual_returns_nothing", "loss_key_misspelt", "returns_loss"])
def test_a_run_of_one_optimizer_without_a_loss_is_told_why_before_its_verdict(pl, tmp_path,
                                                                               setup, caplog):
    """A manual-optimization step that returns nothing, or a ``loss_key`` no ``self.log`` call
    names, left the run with no loss: its final verdict said only "too short to judge" (0
    steps) after 8 steps. One warning now says why, before that verdict."""
    manual = setup == "manual_returns_nothing"

    class Regressor(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.automatic_optimization = not manual
            self.net = torch.nn.Linear(8, 1)

        def training_step(self, batch: Any, batch_idx: int) -> Any:
            x, y = batch
            loss = torch.nn.functional.mse_loss(self.net(x), y)
            self.log("train_loss", loss)
            if not manual:
                return loss
            optimizer = self.optimizers()
            optimizer.zero_grad()
            self.manual_backward(loss)
            optimizer.step()
            return None

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=0.1)

    watch = LRWatch(store=tmp_path / "s", loss_key="trian_loss" if "key" in setup else None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer(pl, [watch], tmp_path, max_epochs=1).fit(Regressor(), loader())
    told = [str(w.message) for w in caught if "recorded no loss" in str(w.message)]
    if setup == "returns_loss":
        assert told == []
        assert any("final verdict on run 'Regressor' (8 steps): too short" in r.getMessage()
                   for r in caplog.records)
        return
    why = ("loss_key 'trian_loss' was never logged by training_step (it logs: train_loss); pass "
           "LRWatch(loss_key=...) the name of the loss it logs" if "key" in setup else
           "training_step returned no loss (manual optimization returns none); return the loss, "
           "or pass LRWatch(loss_key=...) the name of the loss it logs (it logs: train_loss)")
    assert told == [f"lrwatch: run 'Regressor' recorded no loss in 8 steps: {why}"]
    finals = [r.getMessage() for r in caplog.records if "final verdict" in r.getMessage()]
    assert finals == ["lrwatch: final verdict on run 'Regressor': no loss was recorded, nothing "
                      "to judge"]  # not "(0 steps): too short to judge: needs ~40 steps"
    store, run = _only_run(tmp_path / "s")
    assert keys.LOSS not in store.keys(run) and store.scalars(run, keys.LR)[0].size == 8



def test_an_epochs_last_shorter_accumulation_group_records_its_mean_loss(pl, tmp_path):
    """Lightning divides every micro-batch loss by accumulate_grad_batches, also in the
    epoch's last group when it is shorter: 10 batches in groups of 4 left the last step's loss
    at half its value (2 of 4), a drop at every epoch end that the loss never made."""
    module = make_module(pl)
    trainer(pl, [LRWatch(store=tmp_path / "s")], tmp_path, max_epochs=2,
            accumulate_grad_batches=4).fit(module, loader(n=320))
    store, run = _only_run(tmp_path / "s")
    steps, loss = store.scalars(run, keys.LOSS)
    seen = module.seen_losses
    groups = [(0, 4), (4, 8), (8, 10), (10, 14), (14, 18), (18, 20)]
    assert steps.tolist() == list(range(6))
    np.testing.assert_allclose(loss, [np.mean(seen[a:b]) for a, b in groups], rtol=1e-5)


def test_an_iterable_dataset_of_no_length_trains_and_is_recorded(pl, tmp_path):
    """Trained by epochs on an IterableDataset without a length, Lightning plans -1 steps (its
    max_steps default): that went to the diagnosis as the planned steps, whose ConfigError
    took the training down at its start."""

    class Batches(torch.utils.data.IterableDataset):
        def __iter__(self):  # type: ignore[no-untyped-def]
            yield from loader()

    trainer(pl, [LRWatch(store=tmp_path / "s")], tmp_path, max_epochs=2).fit(
        make_module(pl), torch.utils.data.DataLoader(Batches(), batch_size=None))
    store, run = _only_run(tmp_path / "s")
    assert (run.status, run.meta["planned_steps"]) == (FINISHED, None)
    assert store.scalars(run, keys.LOSS)[0].tolist() == list(range(16))
