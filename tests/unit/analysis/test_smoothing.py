"""ema: TensorBoard's debiased EMA, NaN passing through."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lrwatch.analysis import ema
from lrwatch.errors import ConfigError


def tensorboard_reference(values: list[float], weight: float) -> list[float]:
    """TensorBoard's smoothing loop, transcribed point by point."""
    last, seen, out = 0.0, 0, []
    for v in values:
        if not math.isfinite(v):
            out.append(v)
            continue
        last = last * weight + (1 - weight) * v
        seen += 1
        out.append(last / (1 - weight ** seen))
    return out


@pytest.mark.parametrize("weight", [0.0, 0.3, 0.6, 0.9, 0.99, 0.999])
def test_matches_tensorboard_loop(weight: float) -> None:
    rng = np.random.default_rng(0)
    values = list(rng.normal(1.0, 0.5, 300))
    values[17] = math.nan
    values[40] = math.inf
    got = ema(values, weight)
    want = tensorboard_reference(values, weight)
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_first_point_is_not_pulled_toward_zero() -> None:
    assert ema([5.0, 5.0, 5.0], 0.99).tolist() == pytest.approx([5.0, 5.0, 5.0])


def test_nan_stays_at_its_position_and_does_not_enter_the_average() -> None:
    out = ema([1.0, math.nan, 1.0, -math.inf], 0.9)
    assert math.isnan(out[1]) and out[3] == -math.inf
    assert out[2] == pytest.approx(1.0)


def test_empty_and_all_nan() -> None:
    assert ema([], 0.5).size == 0
    assert np.isnan(ema([math.nan, math.nan], 0.5)).all()


@pytest.mark.parametrize("weight", [-0.1, 1.0, 1.5, math.nan])
def test_weight_out_of_range_is_a_config_error(weight: float) -> None:
    with pytest.raises(ConfigError, match="ema weight must be in"):
        ema([1.0, 2.0], weight)
