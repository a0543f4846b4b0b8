"""find_lr behaves as Lightning's ``Tuner.lr_find`` where code written for Lightning relies on it:
short tests run, errors are Lightning's types too, ``suggestion(skip_begin, skip_end)`` counts,
and steps whose ``training_step`` returned None are skipped. Real Trainers, both packages."""

from __future__ import annotations

import importlib
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from lrwatch import ConfigError, find_lr
from lrwatch.analysis.rangetest import MIN_STEPS
from tests.integration.test_finder import clone_state, loader, make_model, make_trainer, states_equal


def misconfiguration(pl: Any) -> type[Exception]:
    return importlib.import_module(f"{pl.__name__}.utilities.exceptions").MisconfigurationException


def test_a_test_shorter_than_the_rule_needs_runs_and_says_why_it_has_no_suggestion(
        pl: Any, tmp_path: Path) -> None:
    model = make_model(pl)
    model.lr = 0.123
    before = clone_state(model.state_dict())

    with pytest.warns(UserWarning, match="num_training=5 is below 20"):
        result = find_lr(make_trainer(pl, tmp_path), model, loader(), num_training=5)

    assert len(result.results["lr"]) == 5 and model.steps_seen == 5
    assert result.suggestion() is None
    assert f"needs at least {MIN_STEPS}" in result.reason
    assert model.lr == 0.123  # nothing to apply
    assert states_equal(before, model.state_dict())


def test_a_reversed_range_runs_between_the_two_lrs(pl: Any, tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="min_lr=1.0 is above max_lr=0.001"):
        result = find_lr(make_trainer(pl, tmp_path), make_model(pl), loader(), min_lr=1.0,
                         max_lr=1e-3, num_training=25, update_attr=False)
    assert result.results["lr"][0] == pytest.approx(1e-3)
    assert all(1e-3 <= lr <= 1.0 + 1e-12 for lr in result.results["lr"])


def test_an_early_stop_threshold_not_above_one_runs_with_a_warning(pl: Any, tmp_path: Path
                                                                    ) -> None:
    with pytest.warns(UserWarning, match="early_stop_threshold=1.0 is not above 1"):
        result = find_lr(make_trainer(pl, tmp_path), make_model(pl), loader(),
                         early_stop_threshold=1.0, num_training=40, update_attr=False)
    assert 2 <= len(result.results["lr"]) < 40  # stopped once the loss stopped falling


def test_several_optimizers_raise_lightnings_misconfiguration_too(pl: Any, tmp_path: Path
                                                                   ) -> None:
    def two(self: Any) -> Any:
        return [torch.optim.SGD(self.parameters(), lr=0.1), torch.optim.Adam(self.parameters())]

    model = make_model(pl, configure_optimizers=two, automatic_optimization=False)
    with pytest.raises(misconfiguration(pl), match="only works with single optimizer") as caught:
        find_lr(make_trainer(pl, tmp_path), model, loader(), num_training=30)
    assert isinstance(caught.value, ConfigError)
    assert str(caught.value).startswith("find_lr: Classifier.configure_optimizers() returned 2")


def test_bad_arguments_raise_lightnings_misconfiguration_too(pl: Any, tmp_path: Path) -> None:
    for kwargs in ({"method": "validate"}, {"min_lr": -1.0}, {"mode": "cosine"}):
        with pytest.raises(misconfiguration(pl)) as caught:
            find_lr(make_trainer(pl, tmp_path), make_model(pl), loader(), **kwargs)
        assert isinstance(caught.value, ConfigError), kwargs


@pytest.mark.parametrize("attr_name, match", [
    ("", "should have one of these fields: lr, learning_rate"),
    ("learning_rate_typo", "no attribute or hparam 'learning_rate_typo'"),
])
def test_a_missing_lr_attribute_is_an_attribute_error_before_training(
        pl: Any, tmp_path: Path, attr_name: str, match: str) -> None:
    model = make_model(pl)
    del model.lr
    with pytest.raises(AttributeError, match=match) as caught:
        find_lr(make_trainer(pl, tmp_path), model, loader(), attr_name=attr_name)
    assert isinstance(caught.value, ConfigError)
    assert model.steps_seen == 0


def test_suggestion_reads_only_the_steps_between_skip_begin_and_skip_end(pl: Any,
                                                                         tmp_path: Path) -> None:
    torch.manual_seed(0)
    result = find_lr(make_trainer(pl, tmp_path), make_model(pl), loader(), min_lr=1e-4,
                     max_lr=10, num_training=80, early_stop_threshold=None, update_attr=False)
    steps = len(result.results["lr"])
    assert steps == 80 and result.suggestion() is not None

    # the first half (LRs up to ~0.03) is still falling: a lower pick than on the whole curve
    first_half = result.suggestion(skip_end=steps // 2)
    assert first_half is not None and first_half < result.suggestion()
    assert first_half <= result.results["lr"][steps // 2 - 1]
    assert result.suggestion(skip_begin=0, skip_end=0) == result.suggestion()
    too_few = result.suggestion(skip_begin=steps - 5)  # five steps left: nothing to read
    assert too_few is None
    assert "needs at least" in result.read(skip_begin=steps - 5).reason


def test_steps_whose_training_step_returned_none_are_skipped(pl: Any, tmp_path: Path) -> None:
    none_at = [5, 12, 17]

    def training_step(self: Any, batch: Any, batch_idx: int) -> Any:
        self.steps_seen += 1
        if self.trainer.global_step in none_at:
            return None
        x, y = batch
        return F.cross_entropy(self.net(x), y)

    model = make_model(pl, training_step=training_step)
    with pytest.warns(UserWarning, match="returned `None`"):  # Lightning's own warning
        result = find_lr(make_trainer(pl, tmp_path), model, loader(), min_lr=1e-3, max_lr=10,
                         num_training=MIN_STEPS, early_stop_threshold=None)

    assert len(result.results["lr"]) == len(result.results["loss"]) == MIN_STEPS
    loss = np.asarray(result.results["loss"])
    assert np.isnan(loss[none_at]).all() and np.isfinite(np.delete(loss, none_at)).all()
    suggestion = result.suggestion()
    assert suggestion is not None and math.isfinite(suggestion), result.reason
    assert model.lr == suggestion
