"""The finder's early stop reads the curve Lightning's own range test records."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from lrwatch.analysis.rangetest import lightning_ema
from lrwatch.finder_engine import RangeTestSettings, StepRecorder

# falls, then blows up: Lightning stops a few steps into the climb
LOSSES = [2.3, 2.1, 1.9, 1.6, 1.4, 1.3, 1.5, 2.4, 4.8, 9.7, 25.0, 80.0, 300.0]


def _lightnings_run(threshold: float) -> tuple[list[float], int | None]:
    """Lightning's ``_LRCallback`` fed LOSSES one optimizer step at a time: what it records
    and the step it asks to stop at."""
    from lightning.pytorch.tuner import lr_finder as module  # dev and CI install it
    callback = module._LRCallback(num_training=len(LOSSES), early_stop_threshold=threshold,
                                  progress_bar_refresh_rate=0)
    trainer = SimpleNamespace(fit_loop=SimpleNamespace(batch_idx=0), accumulate_grad_batches=1,
                              global_step=0, should_stop=False,
                              strategy=SimpleNamespace(broadcast=lambda x: x))
    stop = None
    for k, loss in enumerate(LOSSES):
        trainer.fit_loop.batch_idx = k
        trainer.global_step = k + 1  # after the optimizer step, as in on_train_batch_end
        callback.on_train_batch_end(trainer, None, {"loss": torch.tensor(loss, dtype=torch.float64)}, None, k)
        if trainer.should_stop and stop is None:
            stop = k
    return callback.losses, stop


def _ours(threshold: float) -> int | None:
    model = torch.nn.Linear(1, 1)
    settings = RangeTestSettings.checked(1e-3, 1.0, len(LOSSES), "exponential", threshold,
                                         warn=lambda message: None)  # short on purpose
    recorder = StepRecorder(settings, torch.optim.SGD(model.parameters(), lr=1.0))
    for k, loss in enumerate(LOSSES):
        if recorder.record(k, loss):
            return k
    return None


@pytest.mark.parametrize("threshold", [2.0, 4.0, 10.0])
def test_early_stop_step_and_smoothed_curve_match_lightning(threshold: float) -> None:
    recorded, lightning_stop = _lightnings_run(threshold)
    assert lightning_ema(np.array(LOSSES)) == pytest.approx(recorded, rel=1e-12)
    assert lightning_stop is not None
    assert _ours(threshold) == lightning_stop
