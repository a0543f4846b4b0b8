"""Round 10's made held-out sweeps (``fresh_sweeps10.py``): every run is labelled by its place in
its sweep, ranked by the loss on a test split that its CSV never logs; each grid spans its best
LR by a decade on both sides; the families are new; the manifest lines carry the same labels on
the ``round10-made`` side only; the logs read as their users' loggers write them (a sampled step
every 10 or 50 steps, a mean every 10); the LoRA adapters alone train, from the pretrained model;
and the committed truth is what the generator makes."""

from __future__ import annotations

import json
import math

import pytest
import torch

from benchmarks.realworld import in_side, manifest
from benchmarks.realworld import fresh_sweeps10 as gen
from benchmarks.realworld.made_tasks import CausalTransformer, Logged
from tests.unit.test_fresh_sweeps7 import (RETRAINED_REL, assert_grid_spans_best,
                                           assert_labelled_by_place,
                                           assert_manifest_carries_labels)

SUMMARIES = json.loads(gen.OUT.read_text())
EARLIER_SIDES = ("tuning", "heldout", "round3-tuning", "round3-heldout", "round4-tuning",
                 "round4-heldout", "round5-heldout", "round6-heldout", "round7-heldout",
                 "round7-made", "round8-heldout", "round8-made", "round9-made")


@pytest.mark.parametrize("name", sorted(SUMMARIES))
def test_each_run_is_labelled_by_its_place_in_its_sweep(name: str) -> None:
    assert_labelled_by_place(SUMMARIES[name])


@pytest.mark.parametrize("name", sorted(SUMMARIES))
def test_each_grid_is_quarter_decades_spanning_its_best_by_a_decade_both_sides(name: str) -> None:
    assert_grid_spans_best(SUMMARIES[name], range(11, 14))


def test_the_families_are_the_plans_and_new() -> None:
    assert set(SUMMARIES) == {f"fresh-{s.family}" for s in gen.plan()}
    earlier = set()
    for other in ("sweeps_fresh.json", "sweeps_fresh5.json", "sweeps_fresh7.json",
                  "sweeps_fresh8.json", "sweeps_fresh9.json", "sweeps_made.json"):
        earlier |= {v["family"] for v in json.loads((gen.HERE / other).read_text()).values()}
    assert not earlier & {s.family for s in gen.plan()}


def test_the_manifest_carries_the_summaries_labels_on_the_round10_side_only() -> None:
    rows = [r for r in manifest() if r["path"] == gen.SCRIPT]
    assert_manifest_carries_labels(rows, SUMMARIES, "round10-made")
    assert not any(in_side(r["repo"], side) for r in rows for side in EARLIER_SIDES)


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
    s = SUMMARIES["fresh-regression_zlib_sgdm"]
    i = s["lrs"].index(s["best_lr"])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        run = gen.regression_run(s["lrs"][i])
    finally:
        torch.set_num_threads(threads)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=1e-4)
    assert [r[0] for r in run.log.rows] == list(range(50, s["steps"] + 1, 50))
    assert run.log.val[s["steps"]] != pytest.approx(run.test, rel=1e-3)
