"""``lrwatch sweep`` on sweeps as users have them: Lightning version folders written by
Lightning's own ``CSVLogger`` (its ``hparams.yaml`` and ``metrics.csv``), named one by one or
found in a folder."""

from __future__ import annotations

import importlib
import json
import math
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import lrwatch

LRS = [1e-3, 3e-3, 1e-2, 3e-2, 1e-1]


def log_run(root: Path, hparams: dict[str, Any], lr: float, steps: int = 100) -> Path:
    """One run logged by Lightning's ``CSVLogger`` into ``root/lightning_logs/version_N``: its
    hyperparameters, and a loss falling with a speed set by ``lr`` (no LR column: the LR is in
    ``hparams.yaml`` only, as a module that calls ``save_hyperparameters()`` and logs no
    ``LearningRateMonitor`` leaves it)."""
    loggers = importlib.import_module("lightning.pytorch.loggers")
    logger = loggers.CSVLogger(root, name="lightning_logs")
    logger.log_hyperparams(hparams)
    rate = min(lr, 0.03) * 2  # faster up to 0.03, where it levels off
    for step in range(steps):
        noise = 0.01 * math.sin(step * 1.7 + hparams.get("seed", 0))  # a seed's own noise
        logger.log_metrics({"train_loss": 0.1 + 2.0 * math.exp(-rate * step) + noise}, step=step)
    logger.save()
    logger.finalize("success")
    return Path(logger.log_dir)


def sweep_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code, out, err = lrwatch(capsys, "sweep", *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_a_seed_in_hparams_yaml_does_not_part_the_runs_of_a_sweep(tmp_path, capsys):
    """Each run at its own seed (``seed`` in the module's hyperparameters, LightningCLI's
    ``seed_everything``), two at one LR: one sweep of all six, none left out."""
    runs = [(lr, 42 + i) for i, lr in enumerate(LRS)] + [(LRS[2], 7)]
    for lr, seed in runs:
        log_run(tmp_path, {"lr": lr, "seed": seed, "hidden": 16,
                           "trainer": {"seed_everything": seed}}, lr)
    document = sweep_json(capsys, str(tmp_path / "lightning_logs"))
    (sweep,) = document["sweeps"]
    assert sorted(r["lr"] for r in sweep["runs"]) == sorted(lr for lr, _ in runs)
    assert document["left_out"] == []


@pytest.mark.parametrize("other", ["warmup_lr", "min_lr", "final_lr", "end_lr", "start_lr"])
def test_another_lr_of_the_schedule_named_first_is_not_the_runs_lr(tmp_path, capsys, other):
    """``hparams.yaml`` keeps the module's argument order: ``warmup_lr`` (or a floor the
    schedule decays to) before ``lr``. With no LR column the run's LR is its ``lr``, not the
    first LR-named key: all five were read at 1e-05."""
    for lr in LRS:
        log_run(tmp_path, {other: 1e-5, "lr": lr, "scheduler": "cosine"}, lr)
    (sweep,) = sweep_json(capsys, str(tmp_path / "lightning_logs"))["sweeps"]
    assert [r["lr"] for r in sweep["runs"]] == pytest.approx(LRS)


def test_too_few_runs_named_or_found_is_one_line_that_names_the_paths(tmp_path, capsys):
    """Two runs named (one of them twice), or a folder of one or two runs: one line naming the
    PATHs and how many runs a sweep needs, not a bare ``ConfigError`` nor a hint to
    ``--as-one`` that cannot help."""
    first, second = (log_run(tmp_path / "two", {"lr": lr}, lr) for lr in LRS[:2])
    log_run(tmp_path / "one", {"lr": LRS[0]}, LRS[0])
    for args in ([str(first), str(first), str(second)], [str(tmp_path / "two")],
                 [str(tmp_path / "one")]):
        code, out, err = lrwatch(capsys, "sweep", *args)
        assert code == 1 and out == "" and err.count("\n") == 1, err
        assert args[-1] in err and "a sweep needs 3 runs" in err and "--as-one" not in err


def test_trainer_runs_that_log_no_setup_are_told_why_and_how_to_read_them(tmp_path, capsys):
    """Real ``Trainer`` runs of a model of the user's own (no ``config.json``) that save
    checkpoints only: their setup is in ``training_args.bin``, a pickle lrwatch does not load.
    The line says they log no setup, and ``--as-one`` reads them."""
    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(4, 1)

        def forward(self, x: Any, labels: Any = None) -> dict[str, Any]:
            out = self.layer(x)
            return {"loss": torch.nn.functional.mse_loss(out, labels), "logits": out}

    x = torch.randn(64, 4, generator=torch.Generator().manual_seed(0))
    data = [{"x": row, "labels": row.sum(0, keepdim=True)} for row in x]
    for i, lr in enumerate([1e-3, 1e-2, 1e-1]):
        args = transformers.TrainingArguments(
            output_dir=str(tmp_path / f"run{i}"), learning_rate=lr, max_steps=20,
            per_device_train_batch_size=8, logging_steps=2, save_steps=10, report_to="none",
            use_cpu=True, disable_tqdm=True)
        transformers.Trainer(model=Net(), args=args, train_dataset=data).train()
    code, out, err = lrwatch(capsys, "sweep", str(tmp_path))
    assert code == 1 and err.count("\n") == 1, err
    assert "3 of them log no setup" in err and "training_args.bin" in err and "--as-one" in err
    (sweep,) = sweep_json(capsys, str(tmp_path), "--as-one")["sweeps"]
    assert [r["lr"] for r in sweep["runs"]] == pytest.approx([1e-3, 1e-2, 1e-1], rel=0.2)


def test_a_run_logged_by_two_loggers_is_read_once(tmp_path, capsys):
    """Lightning's TensorBoardLogger and CSVLogger beside each other write each run into two
    ``version_N`` folders: read once (the copy is left out and says why), not as two seeds."""
    loggers = importlib.import_module("lightning.pytorch.loggers")
    for lr in LRS:
        log_run(tmp_path, {"lr": lr, "hidden": 16}, lr)
        tensorboard = loggers.TensorBoardLogger(tmp_path, name="lightning_logs")
        tensorboard.log_hyperparams({"lr": lr, "hidden": 16})
        rate = min(lr, 0.03) * 2
        for step in range(100):
            loss = 0.1 + 2.0 * math.exp(-rate * step) + 0.01 * math.sin(step * 1.7)
            tensorboard.log_metrics({"train_loss": loss}, step=step)
        tensorboard.finalize("success")
    document = sweep_json(capsys, str(tmp_path / "lightning_logs"))
    (sweep,) = document["sweeps"]
    assert sorted(r["lr"] for r in sweep["runs"]) == LRS
    assert len(document["left_out"]) == len(LRS)
    assert all("logged twice" in e["reason"] for e in document["left_out"])
    # lrwatch analyze places each copy where the run it repeats stands, in a sweep of 5
    code, out, err = lrwatch(capsys, "analyze", str(tmp_path / "lightning_logs"), "--json")
    assert code == 0, err
    entries = json.loads(out)["runs"]
    assert len(entries) == 2 * len(LRS)
    assert all(e["sweep"]["runs"] == len(LRS) for e in entries)
    by_lr: dict[float, set[str]] = {}
    for e in entries:
        by_lr.setdefault(e["current_lr"], set()).add(e["sweep"]["position"])
    assert sorted(by_lr) == LRS and all(len(p) == 1 for p in by_lr.values())
