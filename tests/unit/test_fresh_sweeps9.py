"""Round 9's made held-out sweeps (``fresh_sweeps9.py``): every run is labelled by its place in
its sweep, ranked by the loss on a test split that its CSV never logs; each grid spans its best
LR by a decade on both sides; the families are new; the manifest lines carry the same labels on
the ``round9-made`` side only; the logs read as their users' loggers write them (per epoch,
every 5 steps); and the committed truth is what the generator makes.
The checks every round shares run in ``test_made_rounds.py``."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from benchmarks.realworld import fresh_sweeps9 as gen
from benchmarks.realworld.fresh_sweeps8 import train_by_epoch
from benchmarks.realworld.made_tasks import Logged
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())


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
    run, s, i = retrain_best(SUMMARIES, "fresh-cnn_digits_epochs_adam", gen.cnn_digits_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=1e-4)
    assert [r[0] for r in run.log.rows] == list(range(1, gen.CNN_EPOCHS + 1))
    assert run.log.val[gen.CNN_EPOCHS] != pytest.approx(run.test, rel=1e-3)
