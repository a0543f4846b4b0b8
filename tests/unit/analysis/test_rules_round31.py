"""Round 31: the optimizers whose usual LRs lrwatch did not know. MADGRAD, Adan and NovoGrad run
at LRs of their own (their authors' defaults and published configs), AdaBelief, SOAP and Shampoo
at Adam's, Yogi and Adafactor up to 1e-2; before, a flat loss under them at 1e-5 got no more than
"run a range test", and Muon hybrids ("MuonWithAuxAdam") were read against AdamW's range because
their name holds "Adam", so a Muon run at modded-nanogpt's 0.05 read as far above its range."""

from __future__ import annotations

import numpy as np
import pytest

from lrwatch.analysis import Action, RunCurves, Series, Status, analyze
from tests.helpers.online import online_agrees
from tests.helpers.said import said

STEPS = np.arange(10, 2001, 10)


def _healthy(seed: int = 3) -> np.ndarray:
    """A loss falling smoothly from 4 toward a floor of 1, 1% noise."""
    rng = np.random.default_rng(seed)
    return (1.0 + 3.0 * np.exp(-STEPS / 300.0)) * np.exp(rng.normal(0.0, 0.01, STEPS.size))


def _hardly_moved(seed: int = 3) -> np.ndarray:
    """A loss that moved ~2% over the whole run, 1% noise."""
    rng = np.random.default_rng(seed)
    return (4.0 + 0.1 * np.exp(-STEPS / 3000.0)) * np.exp(rng.normal(0.0, 0.01, STEPS.size))


def _run(loss: np.ndarray, optimizer: str, lr: float) -> RunCurves:
    return RunCurves(loss=Series(STEPS, loss), optimizer=optimizer,
                     lr=Series(STEPS, np.full(STEPS.size, lr)))


def test_a_muon_hybrid_is_not_read_against_adamws_range() -> None:
    d = analyze(_run(_healthy(), "MuonWithAuxAdam", 0.05))
    words = said(d)
    assert d.status is Status.HEALTHY, words
    assert d.suggestion.action is not Action.REDUCE, words
    assert "above the top of the usual range" not in words


@pytest.mark.parametrize("optimizer", ["NovoGrad", "Adan", "MADGRAD"])
def test_a_flat_loss_far_below_the_optimizers_own_range_is_sent_up_into_it(optimizer: str) -> None:
    d = analyze(_run(_hardly_moved(), optimizer, 1e-5))
    words = said(d)
    assert d.status is Status.STALLED, words
    assert d.suggestion.action is Action.INCREASE, words
    assert f"below {optimizer}'s usual" in words
    assert d.suggestion.suggested_lr is not None and 2.5e-4 <= d.suggestion.suggested_lr <= 0.05


def test_the_online_analyzer_agrees() -> None:
    online_agrees(_run(_hardly_moved(), "NovoGrad", 1e-5))
    online_agrees(_run(_healthy(), "MuonWithAuxAdam", 0.05))
