"""Round 39's made held-out sweeps (``fresh_sweeps39.py``): a causal transformer with two heads
(each prefix's bracket depth and the string's balance, a multi-task loss) under RAdam with a
polynomial decay; a BatchNorm CNN reading the orientation of made noisy gratings under a von
Mises likelihood and LARS, logged once per epoch; a BitFit fine-tune of a rainfall MLP
pretrained here with the Tweedie deviance under Adam. The checks every round shares (labels by
place, grids, new families, the manifest's side) run in ``test_made_rounds.py``,
``test_fresh_sweeps8.py`` and ``test_realworld_sides.py``; these pin what this round wrote
itself."""

from __future__ import annotations

import json
import math

import pytest
import torch

from benchmarks.realworld import fresh_sweeps39 as gen
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())


def test_the_families_train_with_the_optimizers_and_losses_the_plan_names() -> None:
    brackets, orientation, bitfit = gen.plan()
    assert brackets.meta["optimizer"] == "RAdam" and "transformer" in brackets.meta["model"]
    assert brackets.meta["loss"].startswith("multi-task")
    assert "polynomial" in brackets.meta["schedule"]
    assert orientation.meta["optimizer"] == "LARS"
    assert "once per epoch" in orientation.meta["logged"]
    assert orientation.meta["loss"].startswith("von Mises")
    assert bitfit.meta["optimizer"] == "Adam" and bitfit.meta["fine_tune"] is True
    assert bitfit.meta["loss"].startswith("Tweedie") and "BitFit" in bitfit.meta["model"]
    assert all(len(s.lrs) == 13 for s in gen.plan())
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_the_bracket_targets_are_the_depths_and_the_noisy_balance() -> None:
    (seq, y), _, _ = gen.brackets()
    depth = torch.cumsum(torch.where(seq < 2, 1, -1), 1) + 2
    assert torch.equal(y[:, :-1], depth)
    balanced = []
    for row in seq[:400].tolist():
        stack, ok = [], True
        for c in row:
            if c < 2:
                stack.append(c)
            elif not stack or stack.pop() != c - 2:
                ok = False
        balanced.append(ok and not stack)
    agree = sum(int(b) == int(v) for b, v in zip(balanced, y[:400, -1]))
    assert 0.85 * 400 < agree < 0.95 * 400  # one label in ten flipped
    assert 0.4 < sum(balanced) / 400 < 0.6
    finals = SUMMARIES["fresh-transformer_multitask_brackets_radam_poly"]["final_eval_losses"]
    assert all(f is None or f > gen.noise_floor() for f in finals)


def test_the_transformers_depth_at_a_position_reads_no_later_bracket() -> None:
    torch.manual_seed(0)
    model = gen.BracketTagger().eval()
    (seq, _), _, _ = gen.brackets()
    x = seq[:4].clone()
    later = x.clone()
    later[:, 10] = (later[:, 10] + 1) % 4
    with torch.no_grad():
        a, b = model(x), model(later)
    assert torch.allclose(a[:, :10], b[:, :10], atol=1e-6)
    assert not torch.allclose(a[:, 10:], b[:, 10:])


def test_the_losses_are_the_von_mises_nll_per_degree_and_the_tweedie_deviance() -> None:
    out = torch.tensor([[1.0, 0.5, 0.3], [-0.2, 2.0, -1.0], [0.3, -0.4, 2.5]])
    angle = torch.tensor([0.4, 2.0, 5.5])
    kappa = 1 + torch.nn.functional.softplus(out[:, 2])
    mu = torch.atan2(out[:, 1], out[:, 0])
    expected = -(torch.distributions.VonMises(mu, kappa).log_prob(angle)
                 + math.log(math.pi / 180)).mean()
    assert float(gen.von_mises_nll(out, angle)) == pytest.approx(float(expected), rel=1e-5)
    y = torch.tensor([0.0, 1.5, 4.0])
    assert float(gen.tweedie_deviance(torch.log(y.clamp(min=1e-3))[1:, None], y[1:])) == (
        pytest.approx(0.0, abs=1e-5))  # zero where the mean is the amount
    assert float(gen.tweedie_deviance(torch.zeros(3, 1), y)) > 0


def test_lars_scales_each_matrix_step_by_its_trust_ratio_and_steps_biases_plainly() -> None:
    w = torch.nn.Parameter(torch.full((2, 2), 3.0))
    b = torch.nn.Parameter(torch.zeros(2))
    opt = gen.LARS([w, b], lr=0.5)
    w.grad, b.grad = torch.full((2, 2), 2.0), torch.ones(2)
    opt.step()
    assert torch.allclose(w, torch.full((2, 2), 3.0 - 0.5 * gen.OR_TRUST * 6.0 / 4.0 * 2.0))
    assert torch.allclose(b, torch.full((2,), -0.5))


def test_the_bitfit_fine_tune_starts_at_the_pretrained_mlp_on_a_moved_region() -> None:
    base = gen.rain_mlp()
    base.load_state_dict(gen.pretrained_rain())
    (xp, yp), ((xs, ys), _, (xte, yte)) = gen.rain_tables()
    assert float((ys == 0).float().mean()) > 0.1  # Tweedie amounts: many dry days
    assert float(ys.mean()) != pytest.approx(float(yp.mean()), rel=0.05)  # the region moved
    with torch.no_grad():
        start = float(gen.tweedie_deviance(base(xte), yte))
    s = SUMMARIES["fresh-mlp_ft_bitfit_rain_tweedie_adam"]
    assert s["start_eval_losses"][0] == pytest.approx(start, rel=1e-5)


def test_retraining_the_fine_tunes_best_run_gives_its_committed_test_loss() -> None:
    """The fine-tune at its best LR, retrained with its pretraining (a few CPU seconds): the
    committed test loss; a retrain on other kernels drifts within ``RETRAINED_REL``."""
    run, s, i = retrain_best(SUMMARIES, "fresh-mlp_ft_bitfit_rain_tweedie_adam", gen.bitfit_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=RETRAINED_REL)
