"""lrwatch's copy of Lightning's suggestion rule picks what Lightning's own code picks."""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pytest
from packaging.version import Version

from lrwatch.analysis.rangetest import lightning_suggestion


@pytest.mark.parametrize("seed", range(5))
def test_lightning_suggestion_matches_lightnings_lr_finder(pl: Any, seed: int) -> None:
    if Version(pl.__version__) < Version("2.5.3"):
        pytest.skip(f"{pl.__name__} {pl.__version__} predates the rule (slope vs linear LR)")
    finder_module = importlib.import_module(f"{pl.__name__}.tuner.lr_finder")
    rng = np.random.default_rng(seed)
    lrs = np.geomspace(1e-7, 1.0, 80)
    losses = 2.0 + np.cumsum(rng.normal(scale=0.05, size=80))
    losses[rng.integers(0, 80, size=4)] = np.nan  # steps whose training_step gave no loss

    finder = finder_module._LRFinder("exponential", 1e-7, 1.0, 80)
    finder.results = {"lr": lrs.tolist(), "loss": losses.tolist()}
    expected = finder.suggestion()

    index = lightning_suggestion(lrs, losses)
    assert index is not None and lrs[index] == expected
