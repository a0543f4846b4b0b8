"""Property tests: analyze() and the online analyzer on arbitrary finite and non-finite arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lrwatch.analysis import Action, OnlineAnalyzer, RunCurves, Series, Status, analyze, ema

values = st.floats(allow_nan=True, allow_infinity=True, width=64)
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
arrays = hnp.arrays(np.float64, st.integers(0, 400), elements=values)
finite_arrays = hnp.arrays(np.float64, st.integers(0, 400), elements=finite)
steps_strategy = st.one_of(
    st.just("increasing"), st.just("shuffled"), st.just("duplicated"), st.just("sparse"))

DOWN = {Status.DIVERGING, Status.OSCILLATING}
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _steps(kind: str, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "shuffled":
        return rng.permutation(n)
    if kind == "duplicated":
        return np.sort(rng.integers(0, max(1, n // 2), n))
    if kind == "sparse":
        return np.cumsum(rng.integers(1, 1000, n))
    return np.arange(n)


def check(d, steps: np.ndarray, scale: float = 1.0) -> None:  # type: ignore[no-untyped-def]
    """Invariants of any diagnosis; ``scale`` is the batch-size scaling in the factor."""
    assert isinstance(d.status, Status)
    assert 0.0 <= d.confidence <= 1.0
    if d.since_step is not None:
        assert steps.min() <= d.since_step <= steps.max()
    s = d.suggestion
    if s.factor is not None:
        assert math.isfinite(s.factor) and s.factor > 0
        own = s.factor / scale
        if d.status in DOWN:
            assert own <= 1.0 and s.action in (Action.REDUCE, Action.ADD_WARMUP)
        elif d.status is Status.STALLED:
            assert own > 1.0 and s.action in (Action.INCREASE, Action.RANGE_TEST)
        elif s.action is Action.REDUCE:  # healthy, but far above the usual range: ~3x lower
            assert own == pytest.approx(1 / 3)
            assert any("above" in e.message and "usual range" in e.message for e in d.evidence)
        else:
            assert own == 1.0 and s.action in (Action.KEEP, Action.ADD_DECAY)
    if s.suggested_lr is not None:
        assert math.isfinite(s.suggested_lr) and s.suggested_lr > 0
    d.to_dict()


@SETTINGS
@given(loss=arrays, kind=steps_strategy, seed=st.integers(0, 2**16),
       lr=st.one_of(st.none(), values), with_grad=st.booleans())
def test_analyze_never_raises_and_stays_consistent(loss: np.ndarray, kind: str, seed: int,
                                                   lr: float | None, with_grad: bool) -> None:
    steps = _steps(kind, loss.size, seed)
    grad = Series(steps, np.abs(loss[::-1])) if with_grad else None
    curves = RunCurves(loss=Series(steps, loss),
                       lr=None if lr is None else Series(steps, np.full(loss.size, lr)),
                       grad_norm=grad, optimizer="Adam", batch_size=16)
    check(analyze(curves, target_batch_size=64), steps, scale=2.0)  # sqrt(64 / 16) for Adam


@SETTINGS
@given(loss=finite_arrays, chunk=st.integers(1, 50))
def test_online_agrees_with_analyze_on_any_finite_curve(loss: np.ndarray, chunk: int) -> None:
    steps = np.arange(loss.size)
    online = OnlineAnalyzer()
    for start in range(0, loss.size, chunk):
        online.update(steps[start:start + chunk], loss[start:start + chunk])
    live = online.diagnose()
    batch = analyze(RunCurves(loss=Series(steps, loss)))
    check(live, steps if steps.size else np.zeros(1, dtype=int))
    assert live.status is batch.status
    assert live.since_step == batch.since_step


@SETTINGS
@given(x=hnp.arrays(np.float64, st.integers(0, 400),
                   elements=st.one_of(st.floats(-1e150, 1e150),
                                      st.sampled_from([math.nan, math.inf, -math.inf]))),
       weight=st.floats(0.0, 0.999))
def test_ema_keeps_length_nonfinite_positions_and_range(x: np.ndarray, weight: float) -> None:
    out = ema(x, weight)
    assert out.shape == x.shape
    bad = ~np.isfinite(x)
    np.testing.assert_array_equal(out[bad], x[bad])
    good = x[~bad]
    if good.size:
        tol = 1e-9 * max(1.0, float(np.abs(good).max()))
        assert np.all(out[~bad] >= good.min() - tol) and np.all(out[~bad] <= good.max() + tol)
