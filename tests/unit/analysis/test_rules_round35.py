"""Round 35: a blow-up inside an early epoch's mean. Round 38's held-out VAE under Adagrad at
0.56 logged its first epoch's mean at 3.1e9 and the epochs after it at 61, 49, ... 33: the loss
blew up inside that epoch and came back (its test loss ended above where it started). With no
chance level to hold it against (an ELBO, a Poisson likelihood), the first mean read as a floor
on where training started, and the run as "healthy, range test". An epoch's mean 1000x above
the epochs right after it is a blow-up the loss came back from: oscillating, reduce ~3x, the
evidence naming the epoch. A per-step log whose first loss is the initialisation's (a huge
unnormalised regression loss at step 0) is not read so, nor is an epoch log that fell 100x."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import Action, RunCurves, Series, Status, analyze
from tests.helpers.online import online_agrees
from tests.helpers.said import said

EPOCHS = np.arange(1, 41)


def _epoch_log(first: float) -> np.ndarray:
    """An ELBO's epoch means: ``first``, then 61 easing to 33 with 1% noise."""
    rng = np.random.default_rng(35)
    loss = (33.0 + 28.0 * np.exp(-(EPOCHS - 2) / 4.0)) * np.exp(rng.normal(0, 0.01, EPOCHS.size))
    loss[0] = first
    return loss


def _run(loss: np.ndarray, steps: np.ndarray = EPOCHS, epochs: bool = True,
         lr: float = 0.56) -> RunCurves:
    return RunCurves(loss=Series(steps, loss), optimizer="Adagrad", epoch_points=epochs,
                     lr=Series(steps, np.full(steps.size, lr)))


def test_an_epoch_mean_far_above_the_epochs_after_it_is_a_blow_up_that_came_back() -> None:
    d = analyze(_run(_epoch_log(3.1e9)))
    words = said(d)
    assert d.status is Status.OSCILLATING, words
    assert d.suggestion.action is Action.REDUCE, words
    assert d.suggestion.factor is not None and abs(d.suggestion.factor - 1 / 3) < 1e-9, words
    assert "blew up inside that epoch and came back" in words
    assert d.confidence <= 0.5, words


def test_an_epoch_log_that_fell_100x_in_its_first_epoch_is_no_blow_up() -> None:
    d = analyze(_run(_epoch_log(61.0 * 100)))
    assert "blew up inside that epoch" not in said(d)
    assert d.suggestion.action is not Action.REDUCE, said(d)


def test_a_per_step_log_from_a_huge_initial_loss_is_no_blow_up() -> None:
    """An unnormalised regression: 1e7 at step 0, 61 by the next logged step (no epochs)."""
    steps = np.arange(0, 4000, 100)
    d = analyze(_run(_epoch_log(1e7), steps, epochs=False, lr=0.05))
    assert "blew up inside that epoch" not in said(d)
    assert d.suggestion.action is not Action.REDUCE, said(d)


def test_the_online_analyzer_agrees() -> None:
    live = online_agrees(_run(_epoch_log(3.1e9)), chunk=5)
    assert live.status is Status.OSCILLATING
    assert live.suggestion.action is Action.REDUCE
