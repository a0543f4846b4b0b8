"""Round 11's made held-out sweeps (``fresh_sweeps11.py``): every run is labelled by its place in
its sweep, ranked by the loss on a test split that its log never holds; each grid spans its best
LR by a decade on both sides; the families are new; the manifest lines carry the same labels on
the ``round11-made`` side only; the fine-tune's log is a Hugging Face ``trainer_state.json`` that
lrwatch's reader and the corpus extractor read alike; the series ResNet's blocks are residual;
and the committed truth is what the generator makes.
The checks every round shares run in ``test_made_rounds.py``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from benchmarks.realworld import read_csv
from benchmarks.realworld import fresh_sweeps11 as gen
from benchmarks.realworld.fresh_sweeps8 import TestedRun, read_tested
from benchmarks.realworld.made_tasks import Logged
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())


def _per_step_log(steps: int, epoch_steps: int) -> Logged:
    """A made-up per-step log: loss 10 - step / 10, LR step / 1000, gradient norm step,
    validation at each epoch's end."""
    rows = [(s, 10 - s / 10, s / 1000, float(s)) for s in range(1, steps + 1)]
    val = {s: 5.0 - s / 100 for s in range(epoch_steps, steps + 1, epoch_steps)}
    return Logged(rows=rows, val=val, val0=6.0, wall_s=1.0, cpu_s=1.0)


def test_the_trainer_state_logs_the_mean_of_every_8_steps_and_each_epochs_eval() -> None:
    state = gen.trainer_state(_per_step_log(32, 16), epoch_steps=16, every=8)
    train = [r for r in state["log_history"] if "loss" in r]
    evals = [r for r in state["log_history"] if "eval_loss" in r]
    assert [r["step"] for r in train] == [8, 16, 24, 32]
    assert train[0]["loss"] == pytest.approx(10 - 4.5 / 10)  # the mean of steps 1..8
    assert (train[0]["learning_rate"], train[0]["grad_norm"]) == (0.008, 8.0)  # step 8's
    assert [r["epoch"] for r in train] == [0.5, 1.0, 1.5, 2.0]
    assert [(r["step"], r["eval_loss"]) for r in evals] == [(16, 4.84), (32, 4.68)]
    assert "train_loss" in state["log_history"][-1] and state["global_step"] == 32


def test_a_fine_tune_run_is_cached_as_a_trainer_state_both_readers_read_alike(
        tmp_path) -> None:
    from lrwatch.readers.hftrainer import read_trainer_state

    run = TestedRun(_per_step_log(gen.HF_STEPS, gen.HF_STEPS_PER_EPOCH), 1.2, 0.7123)
    gen.write_hf(tmp_path, "fresh-x-lr0.001", run)
    path = tmp_path / "fresh-x-lr0.001.hf" / "trainer_state.json"
    curves = read_trainer_state((path,)).curves
    cols = read_csv(tmp_path / "fresh-x-lr0.001.csv")
    every = np.arange(gen.HF_LOG_EVERY, gen.HF_STEPS + 1, gen.HF_LOG_EVERY)
    assert curves.loss.steps.tolist() == cols["step"].tolist() == every.tolist()
    assert np.allclose(curves.loss.values, cols["loss"])
    assert np.allclose(curves.lr.values, every / 1000) and np.allclose(cols["lr"], every / 1000)
    val_steps = cols["step"][np.isfinite(cols["val_loss"])]
    assert val_steps.tolist() == [64, 128, 192]
    assert 0.7123 not in cols["val_loss"].tolist() and "0.7123" not in path.read_text()
    back = read_tested(tmp_path, "fresh-x-lr0.001")  # the sweep ranks it by the side file
    assert (back.test0, back.test) == (1.2, 0.7123) and back.log.final_val == pytest.approx(3.08)


def test_a_series_resnet_block_adds_its_input_back() -> None:
    torch.manual_seed(0)
    block = gen.ResidualBlock1d(4, 4).eval()
    for conv in block.body:
        if isinstance(conv, torch.nn.Conv1d):
            torch.nn.init.zeros_(conv.weight)
    x = torch.randn(2, 4, 16)
    with torch.no_grad():
        assert torch.allclose(block(x), torch.relu(x))  # a zero body: only the shortcut
        assert gen.resnet1d()(torch.randn(5, 1, gen.CBF_LEN)).shape == (5, 3)


def test_the_cylinder_bell_funnel_shapes_rise_hold_and_fall() -> None:
    x, y = gen.cylinder_bell_funnel(600, np.random.default_rng(0))
    assert x.shape == (600, gen.CBF_LEN) and set(y.tolist()) == {0, 1, 2}
    assert np.allclose(x.mean(1), 0, atol=1e-9) and np.allclose(x.std(1), 1)
    # points 33..48 lie inside every series' event (a <= 32, b >= a + 32)
    slope = [np.polyfit(np.arange(16), x[y == k].mean(0)[32:48], 1)[0] for k in range(3)]
    assert slope[1] > 0.02 > abs(slope[0]) and slope[2] < -0.02  # bell rises, funnel falls
    assert all(x[y == k].mean(0)[32:48].mean() > x[y == k].mean(0)[:10].mean() for k in range(3))


@pytest.mark.slow
def test_a_committed_truth_is_what_the_generator_makes() -> None:
    """The tabular MLP at its best LR, retrained (the cheapest family, a few CPU seconds): the
    committed final test loss, which its logged validation loss is not."""
    run, s, i = retrain_best(SUMMARIES, "fresh-tabular_mlp_epochs_adam", gen.tabular_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=1e-4)
    assert [r[0] for r in run.log.rows] == list(range(1, gen.TAB_EPOCHS + 1))
    assert run.log.val[gen.TAB_EPOCHS] != pytest.approx(run.test, rel=1e-3)
    assert math.isfinite(run.test)
