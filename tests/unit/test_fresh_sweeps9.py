"""Round 9's made held-out sweeps (``fresh_sweeps9.py``): every run is labelled by its place in
its sweep, ranked by the loss on a test split that its CSV never logs; each grid spans its best
LR by a decade on both sides; the families are new; the manifest lines carry the same labels on
the ``round9-made`` side only; the logs read as their users' loggers write them (per epoch,
every 5 steps); and the committed truth is what the generator makes."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from benchmarks.realworld import in_side, manifest
from benchmarks.realworld import fresh_sweeps9 as gen
from benchmarks.realworld.fresh_sweeps8 import train_by_epoch
from benchmarks.realworld.made_tasks import Logged
from tests.unit.test_fresh_sweeps7 import (RETRAINED_REL, assert_grid_spans_best,
                                           assert_labelled_by_place,
                                           assert_manifest_carries_labels)

SUMMARIES = json.loads(gen.OUT.read_text())
EARLIER_SIDES = ("tuning", "heldout", "round3-tuning", "round3-heldout", "round4-tuning",
                 "round4-heldout", "round5-heldout", "round6-heldout", "round7-heldout",
                 "round7-made", "round8-heldout", "round8-made")


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
                  "sweeps_fresh8.json", "sweeps_made.json"):
        earlier |= {v["family"] for v in json.loads((gen.HERE / other).read_text()).values()}
    assert not earlier & {s.family for s in gen.plan()}


def test_the_manifest_carries_the_summaries_labels_on_the_round9_side_only() -> None:
    rows = [r for r in manifest() if r["path"] == gen.SCRIPT]
    assert_manifest_carries_labels(rows, SUMMARIES, "round9-made")
    assert not any(in_side(r["repo"], side) for r in rows for side in EARLIER_SIDES)


def test_a_log_every_five_steps_holds_each_stretchs_mean_loss_and_last_lr() -> None:
    rows = [(s, float(s), s / 10, 2.0 * s) for s in range(1, 13)]
    log = gen.every_few(Logged(rows=rows, val={10: 0.5, 12: 0.4}, val0=1.0), 5)
    assert log.rows == [(5, 3.0, 0.5, 10.0), (10, 8.0, 1.0, 20.0), (12, 11.5, 1.2, 24.0)]
    assert log.val == {10: 0.5, 12: 0.4} and log.final_val == 0.4


def test_the_plateau_schedule_quarters_the_lr_after_an_epoch_with_no_new_best() -> None:
    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    vals = iter([5.0, 4.0, 4.5, 3.0, 3.0])  # before training, then after epochs 1-4
    log = train_by_epoch(model, opt, 4, [[0]] * 4, lambda _: model(torch.ones(1, 1)).sum() * 0,
                         lambda: next(vals), schedule="plateau")
    assert [r[2] for r in log.rows] == [1.0, 1.0, 0.25, 0.25]  # epoch 2 worse than epoch 1


def test_corrupted_windows_differ_from_their_source_in_at_most_four_bytes() -> None:
    stream = torch.arange(4000) % 97
    x, label = gen.corrupted_windows(stream, 200, torch.Generator().manual_seed(0))
    assert x.shape == (200, gen.CTX) and 60 < int(label.sum()) < 140
    clean = (x[:, 1:] - x[:, :-1]) % 97 == 1  # the source counts up by one
    assert clean[label == 0].all()
    assert not clean[label == 1].all(dim=1).any()  # each corrupted window shows a break


@pytest.mark.slow
def test_a_committed_truth_is_what_the_generator_makes() -> None:
    """The per-epoch digits CNN at its best LR, retrained (the cheapest family, a few CPU
    seconds): the committed final test loss, which its logged validation loss is not."""
    s = SUMMARIES["fresh-cnn_digits_epochs_adam"]
    i = s["lrs"].index(s["best_lr"])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        run = gen.cnn_digits_run(s["lrs"][i])
    finally:
        torch.set_num_threads(threads)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=1e-4)
    assert [r[0] for r in run.log.rows] == list(range(1, gen.CNN_EPOCHS + 1))
    assert run.log.val[gen.CNN_EPOCHS] != pytest.approx(run.test, rel=1e-3)
