"""Round 13's made held-out sweeps (``fresh_sweeps13.py``): every run is labelled by its place in
its sweep, ranked by the loss on a test split that its log never holds; each grid spans its best
LR by a decade on both sides; the families are new; the manifest lines carry the same labels on
the ``round13-made`` side only; the LM trains under Hugging Face's Adafactor at the LR given;
the CNN's smoothed loss has the floor the docstring says and its LR follows PyTorch's one-cycle
per step; the adding problem is Hochreiter's, with a plateau at the constant guess; and the
committed truth is what the generator makes.
The checks every round shares run in ``test_made_rounds.py``."""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch.nn import functional as F

from benchmarks.realworld import fresh_sweeps13 as gen
from benchmarks.realworld.made_tasks import train
from tests.unit.test_fresh_sweeps7 import (RETRAINED_REL,
                                           assert_logged_every_10th_step_and_each_epochs_val,
                                           retrain_best)

SUMMARIES = json.loads(gen.OUT.read_text())


def test_the_families_train_with_the_optimizers_the_plan_names() -> None:
    assert [s.meta["optimizer"] for s in gen.plan()] == ["Adafactor", "SGD", "Adam"]


def test_every_family_is_logged_every_10_steps_with_a_validation_loss() -> None:
    assert all(s.meta["logged"].startswith("every 10 steps") for s in gen.plan())
    # each validation falls on a logged step, so its val_loss reaches the CSV
    assert gen.GPT_EVAL_EVERY % gen.GPT_LOG_EVERY == 0
    assert gen.CNN_STEPS_PER_EPOCH % gen.CNN_LOG_EVERY == 0
    assert gen.ADD_EVAL_EVERY % gen.ADD_LOG_EVERY == 0
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_the_lm_optimizer_is_adafactor_at_the_lr_given() -> None:
    """The T5 setting: no relative step or parameter scaling, so the LR is the step size, and
    a first step of a weight moves it by at most the LR (updates clipped at RMS 1)."""
    w = torch.nn.Parameter(torch.ones(4, 4))
    opt = gen.adafactor([w], 3e-3)
    group = opt.param_groups[0]
    assert type(opt).__name__ == "Adafactor" and group["lr"] == 3e-3
    assert not group["relative_step"] and not group["scale_parameter"]
    (w * torch.arange(16.0).view(4, 4)).sum().backward()
    opt.step()
    moved = (1 - w.detach()).abs()
    assert float(moved.max()) <= 3e-3 * 4 and float(moved.mean()) > 3e-4


def test_the_smoothed_loss_has_its_floor_at_the_smoothed_targets_entropy() -> None:
    assert gen.smoothed_floor() == pytest.approx(0.500, abs=1e-3)
    y = torch.tensor([3, 7])
    q = torch.full((2, 10), gen.CNN_SMOOTHING / 10)
    q[torch.arange(2), y] += 1 - gen.CNN_SMOOTHING
    best = F.cross_entropy(q.log(), y, label_smoothing=gen.CNN_SMOOTHING)
    assert float(best) == pytest.approx(gen.smoothed_floor(), rel=1e-5)
    confident = torch.full((2, 10), -20.0)
    confident[torch.arange(2), y] = 20.0  # a confident right answer is penalised
    assert float(F.cross_entropy(confident, y, label_smoothing=0.1)) > gen.smoothed_floor() + 1
    s = SUMMARIES["fresh-cnn_digits_ls_onecycle"]
    assert min(v for v in s["final_eval_losses"] if v is not None) > gen.smoothed_floor()


def test_train_steps_a_one_cycle_scheduler_each_step_and_logs_its_lr() -> None:
    """A OneCycleLR given to ``train``: the logged LR rises from lr/25 to the peak at 30% of the
    steps, then falls to lr/1e5; the momentum cycles the other way."""
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = torch.randn(8, 3)
    momenta = []

    def step_loss(i: int) -> torch.Tensor:
        momenta.append(opt.param_groups[0]["momentum"])
        return model(x).pow(2).mean()
    log = train(model, opt, lambda i: 1.0, 100, step_loss, lambda: 0.0, 50, None,
                scheduler=lambda o: torch.optim.lr_scheduler.OneCycleLR(o, 0.1, total_steps=100))
    lrs = [r[2] for r in log.rows]
    assert lrs[0] == pytest.approx(0.1 / 25)
    assert max(lrs) == pytest.approx(0.1, rel=1e-3) and 25 <= lrs.index(max(lrs)) <= 31
    assert lrs[-1] < 0.1 / 1e3
    assert momenta[0] == pytest.approx(0.95) and min(momenta) == pytest.approx(0.85, abs=1e-3)


def test_the_adding_problem_marks_one_value_in_each_half_and_sums_them() -> None:
    x, y = gen.adding_batch(256, torch.Generator().manual_seed(0))
    assert x.shape == (256, gen.ADD_LEN, 2)
    marks = x[..., 1]
    half = gen.ADD_LEN // 2
    assert torch.equal(marks[:, :half].sum(1), torch.ones(256))
    assert torch.equal(marks[:, half:].sum(1), torch.ones(256))
    assert torch.allclose(y, (x[..., 0] * marks).sum(1))
    # the plateau: the best constant guess (1) has MSE 1/6, the variance of a sum of two U(0,1)
    assert float(F.mse_loss(torch.ones(256), y)) == pytest.approx(1 / 6, rel=0.2)


@pytest.mark.slow
def test_a_committed_truth_is_what_the_generator_makes(tmp_path) -> None:
    """The CNN at its best LR, retrained (a few CPU seconds): the committed final test loss,
    which its logged validation loss is not; its CSV holds every 10th step and a val_loss at
    each epoch's end, as a Lightning log with ``log_every_n_steps=10``."""

    run, s, i = retrain_best(SUMMARIES, "fresh-cnn_digits_ls_onecycle", gen.cnn_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=1e-4)
    assert_logged_every_10th_step_and_each_epochs_val(run, tmp_path, gen.CNN_EPOCHS,
                                                       gen.CNN_STEPS_PER_EPOCH)
    assert run.log.final_val != pytest.approx(run.test, rel=1e-3)
    assert math.isfinite(run.test)
