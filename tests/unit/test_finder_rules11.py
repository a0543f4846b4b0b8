"""Round 11's study reads what a range test's curve shows (how far the loss falls, over how many
decades, to what floor) and a size-guarded fine-tune candidate: each on a curve built in the test,
where the answer can be worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks.finder_rules11 import SMALL_MODEL, _features, _read, _valley

LRS = np.geomspace(1e-6, 10, 100)  # find_lr's test: 1e-6 to 10 in 100 steps


def curve(fall: float, start: float = 1e-3, bottom: float = 1e-1, level: float = 2.0) -> dict:
    """A loss flat at ``level`` up to ``start``, falling log-linearly to ``level * (1 - fall)``
    at ``bottom``, flat there for a decade (so the rule's smoothing keeps the floor), then rising
    fast: the fall spans log10(bottom / start) decades."""
    x = np.log10(LRS)
    a, b = math.log10(start), math.log10(bottom)
    share = np.clip((x - a) / (b - a), 0.0, 1.0)
    loss = level * (1 - fall) ** share * np.where(x > b + 1, 10 ** (3 * (x - b - 1)), 1.0)
    return {"lr": LRS.tolist(), "raw_loss": loss.tolist()}


def test_the_features_read_the_fall_its_width_and_its_floor() -> None:
    f = _features(curve(fall=0.8), "Adam")
    assert f is not None
    assert f["fall"] == pytest.approx(-math.log(0.2), abs=0.1)  # a log-loss fall: ln 5
    # 1e-3 to 1e-1, the bottom read a little into the floor's plateau by the smoothing
    assert f["width"] == pytest.approx(2.0, abs=0.3)
    assert f["floor"] == pytest.approx(math.log10(2.0 * 0.2), abs=0.02)
    assert f["optimizer kind"] == 2.0  # adaptive
    assert _features(curve(fall=0.8), "SGD")["optimizer kind"] == 0.0
    flat = {"lr": LRS.tolist(), "raw_loss": [2.0] * len(LRS)}
    assert _features(flat, "Adam") is None  # no fall: nothing to read


def test_the_candidate_reads_a_small_models_fine_tune_between_lrwatch_and_the_valley() -> None:
    c = curve(fall=0.1, start=1e-4, bottom=1e-2)  # a pretrained model's small fall
    shipped = _read(c, "AdamW", True)
    valley = _valley(c)
    assert shipped is not None and valley is not None and valley > shipped
    assert _read(c, "AdamW", True, param_count=50_000) == pytest.approx(0.5 * (shipped + valley))
    # a model above the guard, or of unknown size, keeps lrwatch's reading
    assert _read(c, "AdamW", True, param_count=SMALL_MODEL + 1) == shipped
    assert _read(c, "AdamW", True, param_count=None) == shipped
    # training from scratch is read the same at every size
    assert _read(c, "AdamW", False, param_count=50_000) == _read(c, "AdamW", False)
