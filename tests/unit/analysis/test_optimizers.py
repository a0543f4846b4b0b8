"""One table of optimizer facts: the diagnosis and the range test agree on every name."""

from __future__ import annotations

import numpy as np
import pytest

from lrwatch.analysis.optimizers import (
    batch_scale,
    clipped_lr,
    is_adaptive,
    is_lr_free,
    momentum_of,
    plausible_max,
    typical_range,
)
from lrwatch.analysis.rangetest import read_range_test


@pytest.mark.parametrize("name", ["Adam", "AdamW", "NAdam", "RAdam", "FusedAdam", "AdamW8bit",
                                  "Adafactor", "Adadelta", "SophiaG", "Lion", "RMSprop",
                                  "AdaBelief", "Yogi", "MADGRAD", "Adan", "NovoGrad", "SOAP",
                                  "DistributedShampoo", "Muon", "MuonWithAuxAdam"])
def test_adaptive_names_are_adaptive(name: str) -> None:
    assert is_adaptive(name)


@pytest.mark.parametrize("name", [None, "", "SGD", "ASGD", "SVRG"])
def test_other_names_are_not(name: str | None) -> None:
    assert not is_adaptive(name)


def test_the_range_test_uses_the_same_list() -> None:
    # the range test's own list named neither AdamW nor NAdam (issue 11)
    lrs = np.geomspace(1e-6, 10, 100)
    x = np.log10(lrs)
    loss = 2.3 * (1 - 0.8 / (1 + np.exp(-(x + 2.7) / 0.15))) * (1 + np.where(
        x > -2, np.expm1(4 * (x + 2)), 0))
    picks = {name: read_range_test(lrs, loss, optimizer=name).suggested_lr
             for name in ("Adam", "AdamW", "NAdam", "SGD")}
    assert picks["Adam"] == picks["AdamW"] == picks["NAdam"] < picks["SGD"]
    assert "(adaptive)" in read_range_test(lrs, loss, optimizer="NAdam").reason


def test_ranges_fine_tuning_and_lr_free() -> None:
    assert typical_range("AdamW") == (1e-4, 3e-3)
    assert typical_range("AdamW", fine_tune=True) == (1e-5, 3e-4)
    assert typical_range("SGD", momentum=0.9) == pytest.approx((1e-3 / 3, 0.1))
    assert typical_range("Prodigy") is None and is_lr_free("Prodigy")
    assert typical_range(None) is None


def test_sgd_by_its_other_names() -> None:
    """TensorFlow 1's classes (DeepOBS logs them) and "heavy ball" momentum are SGD."""
    for name in ("GradientDescentOptimizer", "MomentumOptimizer", "SGD heavy-ball"):
        assert typical_range(name) == typical_range("SGD")
        assert plausible_max(name) == plausible_max("SGD")
        assert not is_adaptive(name)
    assert typical_range("MomentumOptimizer", fine_tune=True) == typical_range("SGD",
                                                                               fine_tune=True)


def test_plausible_maxima_and_clipping() -> None:
    assert plausible_max("SGD", momentum=0.9) == 1.0
    assert plausible_max("AdamW") == 1e-2
    assert plausible_max("SGD", momentum=0.9, clip=0.25) is None  # the clip bounds the step
    assert clipped_lr(20.0, 0.25, 2.0) == pytest.approx(2.5)
    assert clipped_lr(20.0, 0.25, 0.1) == 20.0  # under the clip: no rescaling
    assert clipped_lr(20.0, None, 2.0) == 20.0


def test_batch_scaling_linear_for_sgd_square_root_for_adaptive() -> None:
    assert batch_scale("SGD", 32, 128) == pytest.approx(4.0)
    assert batch_scale("NAdam", 32, 128) == pytest.approx(2.0)
    assert batch_scale("AdamW", None, 128) == 1.0


def test_momentum_is_read_the_same_way_from_every_optimizer() -> None:
    torch = pytest.importorskip("torch")
    params = [torch.nn.Parameter(torch.zeros(2))]
    readings = {
        "SGD": torch.optim.SGD(params, lr=0.1, momentum=0.9),
        "plain SGD": torch.optim.SGD(params, lr=0.1),
        "AdamW": torch.optim.AdamW(params, betas=(0.85, 0.99)),
        "RMSprop": torch.optim.RMSprop(params, momentum=0.5),
        "Adagrad": torch.optim.Adagrad(params),
    }
    assert {name: momentum_of(opt.param_groups[0]) for name, opt in readings.items()} == {
        "SGD": 0.9, "plain SGD": 0.0, "AdamW": 0.85, "RMSprop": 0.5, "Adagrad": None}
