"""find_lr on a fine-tune: real Lightning training of a model pretrained in the test.

One Lightning package only (``lightning.pytorch``): the fine-tune reading is the engine's, the
same for both, and each test trains several range tests.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import pytest
import torch
from torch.nn import functional as F

from lrwatch import ConfigError, find_lr, find_lr_loop
from lrwatch.analysis.optimizers import FINE_TUNE_RANGES
from lrwatch.analysis.rangetest import NEW_TASK_STEP_BACK
from lrwatch.store import ENV_VAR, Store, default_store_path

LOW, HIGH = FINE_TUNE_RANGES["adaptive"]


@pytest.fixture(autouse=True)
def _no_store_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


def blobs(n: int = 1024, seed: int = 1, flip: float = 0.3) -> torch.utils.data.TensorDataset:
    """Four overlapping Gaussian classes in 16-d, a share ``flip`` of the labels random (a loss
    floor well above zero, so the pretrained loss is not lost in its own noise)."""
    centers = torch.randn(4, 16, generator=torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (n,), generator=g)
    x = centers[y] + torch.randn(n, 16, generator=g)
    y = torch.where(torch.rand(n, generator=g) < flip, torch.randint(0, 4, (n,), generator=g), y)
    return torch.utils.data.TensorDataset(x, y)


def network() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(16, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64),
                               torch.nn.ReLU(), torch.nn.Linear(64, 4))


def pretrained() -> torch.nn.Module:
    """``network()`` trained on other samples of the task with Adam (1e-3, 300 steps)."""
    return copy.deepcopy(_pretrained())


@lru_cache(maxsize=1)
def _pretrained() -> torch.nn.Module:
    net = network()
    x, y = blobs(seed=5).tensors
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(2)
    for _ in range(300):
        batch = torch.randint(0, len(x), (64,), generator=g)
        opt.zero_grad()
        F.cross_entropy(net(x[batch]), y[batch]).backward()
        opt.step()
    return net


def module(net: torch.nn.Module) -> Any:
    class Classifier(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.lr = 1e-3
            self.net = net

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            x, y = batch
            return F.cross_entropy(self.net(x), y)

        def configure_optimizers(self) -> Any:
            params = [p for p in self.parameters() if p.requires_grad]
            return torch.optim.AdamW(params, lr=self.lr)

    return Classifier()


def range_test(root: Path, net: torch.nn.Module, flip: float = 0.3, **kwargs: Any) -> Any:
    loader = torch.utils.data.DataLoader(blobs(flip=flip), batch_size=64, shuffle=True,
                                         generator=torch.Generator().manual_seed(3))
    trainer = pl.Trainer(accelerator="cpu", devices=1, max_epochs=1, logger=False,
                         enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, default_root_dir=str(root))
    return find_lr(trainer, module(net), loader, min_lr=1e-6, max_lr=10.0,
                   update_attr=False, **kwargs)


@pytest.mark.timeout(600)
def test_fine_tune_true_keeps_a_pretrained_model_in_the_fine_tuning_range(
        tmp_path: Path) -> None:
    told = range_test(tmp_path, pretrained(), fine_tune=True)
    scratch = range_test(tmp_path, pretrained(), fine_tune=False)
    assert told.reading.fine_tune and "you said so (fine_tune=True)" in told.reason
    assert LOW <= told.suggestion() <= HIGH
    assert f"training from scratch would suggest {scratch.suggestion():.3g}" in told.reason
    assert not scratch.reading.fine_tune and "fine-tune" not in scratch.reason
    assert scratch.suggestion() > 10 * HIGH  # what the pretrained loss's blow-up alone says


@pytest.mark.timeout(600)
def test_a_model_trained_from_scratch_is_not_read_as_a_fine_tune(tmp_path: Path) -> None:
    detected = range_test(tmp_path, network())
    scratch = range_test(tmp_path, network(), fine_tune=False)
    assert not detected.reading.fine_tune
    assert detected.suggestion() == scratch.suggestion()
    assert detected.reason == scratch.reason


@pytest.mark.timeout(600)
def test_frozen_parameters_say_fine_tune_and_the_reason_says_so(tmp_path: Path) -> None:
    net = pretrained()
    for p in net[0].parameters():
        p.requires_grad_(False)
    result = range_test(tmp_path, net)
    assert result.reading.fine_tune
    assert "of the model's parameters are frozen" in result.reason
    assert LOW <= result.suggestion() <= HIGH
    with Store(default_store_path(tmp_path), readonly=True) as store:  # the dashboard reads it
        (run,) = store.runs()
        (event,) = store.events(run, kind="range_test")
    assert event.payload["fine_tune"] is True
    assert event.payload["suggested_lr"] == result.suggestion()


@pytest.mark.timeout(600)
def test_fine_tune_true_on_a_new_task_steps_back_from_the_curve_and_says_so(tmp_path: Path) -> None:
    # from scratch, on clean labels: the loss falls by far more than half
    told = range_test(tmp_path, network(), flip=0.0, fine_tune=True)
    scratch = range_test(tmp_path, network(), flip=0.0, fine_tune=False)
    assert told.reading.fine_tune and "learning much it did not know" in told.reason
    # the from-scratch pick, stepped back to spare the pretrained weights
    assert told.suggestion() == pytest.approx(scratch.suggestion() / 10 ** NEW_TASK_STEP_BACK)


def test_a_bad_fine_tune_value_is_refused_before_training(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="fine_tune='yes' must be True"):
        range_test(tmp_path, network(), fine_tune="yes")


@pytest.mark.timeout(600)
def test_the_plain_loop_takes_the_same_argument() -> None:
    net = pretrained()
    for p in net[0].parameters():
        p.requires_grad_(False)
    loader = torch.utils.data.DataLoader(blobs(), batch_size=64, shuffle=True,
                                         generator=torch.Generator().manual_seed(3))
    optimizer = torch.optim.AdamW([p for p in net.parameters() if p.requires_grad], lr=1e-3)
    detected = find_lr_loop(net, optimizer, loader, F.cross_entropy, min_lr=1e-6, max_lr=10.0,
                            store=False)
    assert detected.reading.fine_tune and "are frozen" in detected.reason
    assert LOW <= detected.suggestion() <= HIGH
    with pytest.raises(ConfigError, match="find_lr_loop: fine_tune=1 must be True"):
        find_lr_loop(net, optimizer, loader, F.cross_entropy, store=False, fine_tune=1)
