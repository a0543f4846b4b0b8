"""Round 10's made held-out sweeps (``fresh_sweeps10.py``): every run is labelled by its place in
its sweep, ranked by the loss on a test split that its CSV never logs; each grid spans its best
LR by a decade on both sides; the families are new; the manifest lines carry the same labels on
the ``round10-made`` side only; the logs read as their users' loggers write them (a sampled step
every 10 or 50 steps, a mean every 10); the LoRA adapters alone train, from the pretrained model;
and the committed truth is what the generator makes.
The checks every round shares run in ``test_made_rounds.py``."""

from __future__ import annotations

import json
import math

import pytest
import torch

from benchmarks.realworld import fresh_sweeps10 as gen
from benchmarks.realworld.made_tasks import CausalTransformer, Logged
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())


def test_a_sampled_log_keeps_every_kth_steps_own_values_and_the_last_step() -> None:
    rows = [(s, float(s), s / 10, 2.0 * s) for s in range(1, 24)]
    log = gen.sampled_every(Logged(rows=rows, val={20: 0.5, 23: 0.4}, val0=1.0), 10)
    assert log.rows == [(10, 10.0, 1.0, 20.0), (20, 20.0, 2.0, 40.0), (23, 23.0, 2.3, 46.0)]
    assert log.val == {20: 0.5, 23: 0.4} and log.final_val == 0.4


def test_a_run_that_went_non_finite_is_logged_to_its_last_step() -> None:
    rows = [(s, float(s), 0.1, 1.0) for s in range(1, 14)] + [(14, math.nan, 0.1, math.nan)]
    log = gen.sampled_every(Logged(rows=rows, val={14: math.nan}, val0=1.0), 10)
    assert [r[0] for r in log.rows] == [10, 14] and math.isnan(log.rows[-1][1])
    assert log.final_val == math.inf


def test_lora_trains_only_the_adapters_and_starts_at_the_pretrained_model() -> None:
    torch.manual_seed(0)
    model = CausalTransformer(16, 2, 2, 8)
    x = torch.randint(0, 256, (3, 8))
    before = model.eval()(x).detach()
    adapters = gen.add_lora(model, rank=2, alpha=4)
    assert len(adapters) == 8  # A and B on the qkv and output weights of both layers
    assert {id(p) for p in model.parameters() if p.requires_grad} == {id(p) for p in adapters}
    with torch.no_grad():
        assert torch.allclose(model(x), before, atol=1e-5)  # B starts at zero
        model.train()
        assert torch.allclose(model(x), before, atol=1e-5)
    model.train()
    torch.nn.functional.cross_entropy(model(x).reshape(-1, 256), x.reshape(-1)).backward()
    assert all(p.grad is None for p in model.parameters() if not p.requires_grad)
    assert adapters[0].grad is not None and adapters[1].grad.abs().sum() > 0  # B learns first
    with torch.no_grad():  # an adapter's update reaches the model in eval mode too
        adapters[1].add_(0.1)
        assert not torch.allclose(model.eval()(x), before, atol=1e-3)


def test_the_regression_features_see_repetition_and_entropy() -> None:
    repetitive, varied = b"ab" * 256, bytes(range(256)) * 2
    f_rep, f_var = gen.chunk_features(repetitive), gen.chunk_features(varied)
    assert len(f_rep) == 10 and f_rep[8] > 0.99 and f_var[8] == pytest.approx(253 / 509)
    assert f_rep[9] == pytest.approx(1 / 8) and f_var[9] == pytest.approx(1.0)


@pytest.mark.slow
def test_a_committed_truth_is_what_the_generator_makes() -> None:
    """The regression at its best LR, retrained (the cheapest family, a few CPU seconds): the
    committed final test loss, which its logged validation loss is not."""
    run, s, i = retrain_best(SUMMARIES, "fresh-regression_zlib_sgdm", gen.regression_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=1e-4)
    assert [r[0] for r in run.log.rows] == list(range(50, s["steps"] + 1, 50))
    assert run.log.val[s["steps"]] != pytest.approx(run.test, rel=1e-3)
