"""The range-test engine on recorded curves: which steps the rule reads, and the settings."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lrwatch import ConfigError
from lrwatch.finder_engine import RangeTestResult, RangeTestSettings, StepRecorder


def recorded(losses: list[float | None], threshold: float | None = None) -> RangeTestResult:
    settings = RangeTestSettings.checked(1e-4, 1.0, len(losses), "exponential", threshold)
    recorder = StepRecorder(settings, torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=1))
    for step, loss in enumerate(losses):
        recorder.record(step, loss)
    return RangeTestResult(recorder, "SGD", 0.0)


def u_curve(n: int = 60) -> list[float]:
    """Falls from 2.3 to its bottom two thirds of the way in, then climbs steeply."""
    x = np.linspace(0, 1, n)
    fall = 2.0 * np.sin(np.pi * np.minimum(x / 0.66, 1) / 2)
    climb = 30 * np.maximum(x - 0.66, 0) ** 2
    return (2.3 - fall + climb).tolist()


def test_skipped_steps_inside_the_curve_are_bridged_and_do_not_end_it() -> None:
    losses: list[float | None] = list(u_curve())
    full = recorded(losses).suggestion()
    for k in (0, 7, 20, 59):
        losses[k] = None
    result = recorded(losses)

    assert np.isnan(np.asarray(result.results["loss"])[[0, 7, 20, 59]]).all()
    assert result.suggestion() == pytest.approx(full, rel=0.2)
    smoothed = np.asarray(result.results["smoothed_loss"])
    assert np.isnan(smoothed[[0, 59]]).all()  # the ends are left out, not made up
    assert np.isfinite(smoothed[[7, 20]]).all()


def test_a_skipped_step_after_the_loss_blew_up_is_not_bridged() -> None:
    losses: list[float | None] = [*u_curve(30), math.inf, None, 3.0]
    result = recorded(losses)
    smoothed = np.asarray(result.results["smoothed_loss"])
    assert np.isnan(smoothed[30:]).all()


def test_skip_begin_and_skip_end_read_only_the_middle() -> None:
    result = recorded(u_curve(80))
    assert result.suggestion(skip_begin=0, skip_end=0) == result.suggestion()
    falling_part = result.suggestion(skip_end=30)  # only the descent is left
    assert falling_part is not None and falling_part < result.suggestion()
    assert result.suggestion(skip_begin=70) is None  # ten points: too few
    assert "needs at least" in result.read(skip_begin=70).reason


def test_lenient_settings_warn_and_impossible_ones_are_refused() -> None:
    messages: list[str] = []
    settings = RangeTestSettings.checked(1.0, 1e-3, 5, "Linear", 0.5, warn=messages.append)
    assert (settings.min_lr, settings.max_lr, settings.mode) == (1e-3, 1.0, "linear")
    assert settings.schedule().tolist() == pytest.approx(np.linspace(1e-3, 1.0, 5).tolist())
    assert [m.split("=")[0] for m in messages] == [
        "find_lr: min_lr", "find_lr: num_training", "find_lr: early_stop_threshold"]
    for args, match in [((0.1, 0.1, 20, "linear", None), "both 0.1"),
                        ((1e-3, 1.0, 0, "linear", None), "num_training=0 must be at least 1"),
                        ((1e-3, 1.0, True, "linear", None), "whole number of steps, got True"),
                        ((1e-3, 1.0, 20, "linear", float("nan")), "must be a number")]:
        with pytest.raises(ConfigError, match=match):
            RangeTestSettings.checked(*args)
