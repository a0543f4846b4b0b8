"""The LR and optimizer a run's path names, where its log names none: sweeps name their runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lrwatch.analysis import analyze
from lrwatch.readers import find_runs, read_run
from lrwatch.readers.path_setup import setup_of


@pytest.mark.parametrize(("path", "lr", "optimizer"), [
    ("experiments/lr_sweep/lr_1e-4/metrics.jsonl", 1e-4, None),
    ("logs/lr_3e-4_focused/metrics.json", 3e-4, None),
    ("results/grid_lr0.0005_wd0.0001_s42/results.json", 5e-4, None),
    ("runs/lr_0.001.jsonl", 1e-3, None),  # the number's point is not a suffix
    ("exp1_history_BS128_LR1e-06.csv", 1e-6, None),
    ("sweep/edge_lr3e-2/2026-07-15/09-02-03/metrics.jsonl", 3e-2, None),  # three folders up
    ("output/CIFAR10/SGD_0.001_200_history.json", 1e-3, "SGD"),  # an optimizer and its LR
    ("sgd-0.01.json", 1e-2, "SGD"),
    ("runs/lr_1em04_steps2000/train.log", 1e-4, None),  # "m" for an exponent's minus
    ("runs/UNet_lr3e_4/events.out.tfevents.1", 3e-4, None),  # "_" for it
    ("runs/adamw_lr1e-3/lightning_logs/version_0/metrics.csv", 1e-3, "AdamW"),
    ("logs/optim_adamw.log", None, "AdamW"),  # the log's own name
    ("adam.csv", None, "Adam"),
    ("adam_2.csv", None, "Adam"),  # a version, not an LR
])
def test_a_path_names_the_lr_and_optimizer_of_a_sweep_run(path, lr, optimizer):
    found = setup_of(Path(path))
    assert found.lr == (pytest.approx(lr) if lr is not None else None)
    assert found.optimizer == optimizer


@pytest.mark.parametrize("path", [
    "home/adam/train.log",  # a folder named alone may be a person's
    "a/lr_1e-3/b/c/d/train.log",  # further up than the three nearest folders
    "runs/min_lr1e-5/train.log",  # a schedule's floor, not its LR
    "runs/lr1e-4steps/train.log",
    "runs/adam_vs_sgd.log",  # two optimizers
    "runs/enc_lr0.1_dec_lr0.01/train.log",  # two LRs: which is the run's is not clear
    "lr_0.01/runs/enc_lr0.1_dec_lr0.01/train.log",  # ... nor is it the folder's further up
    "runs/lr-3/train.log",  # 3 or 1e-3?
    "runs/lr_0/train.log",  # no LR
    "runs/lr_100/train.log",  # no plausible LR
    "lightning_logs/version_3/metrics.csv",
])
def test_a_path_that_names_no_setup_gives_none(path):
    found = setup_of(Path(path))
    assert (found.lr, found.optimizer) == (None, None)


def _jsonl(path: Path, with_lr: bool) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{"step": s, "train_loss": 3.0 * np.exp(-s / 300) + 1.0,
             **({"lr": 0.01} if with_lr else {})} for s in range(0, 600, 5)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_a_log_without_an_lr_takes_its_folders_and_says_so(tmp_path):
    path = _jsonl(tmp_path / "sweep" / "adamw_lr3e-4" / "metrics.jsonl", with_lr=False)
    (run,) = find_runs(path)
    result = read_run(run)
    lr = result.curves.lr
    assert lr is not None and np.all(lr.values == 3e-4) and lr.steps.size == 120
    assert result.curves.optimizer == "AdamW"
    assert any("took lr=0.0003 from the name 'adamw_lr3e-4'" in n for n in result.notes)
    assert not any(n.endswith("the suggestion is a relative change") for n in result.notes)
    assert any("took AdamW from the name 'adamw_lr3e-4' (say --optimizer if it is another)"
               in n for n in result.notes)
    assert analyze(result.curves).suggestion.peak_lr == pytest.approx(3e-4)


def test_what_the_log_says_wins_over_its_path(tmp_path):
    path = _jsonl(tmp_path / "sweep" / "lr_3e-4" / "metrics.jsonl", with_lr=True)
    result = read_run(find_runs(path)[0])
    assert np.all(result.curves.lr.values == 0.01)
    assert not any("from the name" in n for n in result.notes)


def test_a_lightning_configuration_wins_over_its_path(tmp_path):
    version = tmp_path / "adam_lr1e-2" / "lightning_logs" / "version_0"
    version.mkdir(parents=True)
    (version / "metrics.csv").write_text(
        "step,train_loss\n" + "".join(f"{s},{2.0 - s / 1000}\n" for s in range(200)))
    (version / "hparams.yaml").write_text("lr: 0.05\noptimizer: SGD\n")
    curves = read_run(find_runs(version)[0]).curves
    assert (float(curves.lr.values[0]), curves.optimizer) == (0.05, "SGD")


def test_a_settings_file_beside_the_log_gives_its_setup(tmp_path):
    """A training script's config beside its log: the LR (no schedule named), the optimizer,
    the classes of its loss and a fine-tune; namespaced keys read by their last part."""
    path = _jsonl(tmp_path / "run" / "metrics.jsonl", with_lr=False)
    (path.parent / "config.json").write_text(json.dumps({
        "model/vocab_size": 10000, "training/learning_rate": 0.0003, "optim_alg": "adamw",
        "batch_size": 32, "pretrained": True}))
    result = read_run(find_runs(path)[0])
    c = result.curves
    assert (float(c.lr.values[0]), c.optimizer, c.classes, c.batch_size, c.fine_tune) == (
        0.0003, "AdamW", 10000, 32, True)
    assert any("from config.json beside the log (the LR of every step" in n
               for n in result.notes)


def test_a_schedule_in_the_settings_leaves_the_lr_unknown_even_where_the_path_names_it(tmp_path):
    path = _jsonl(tmp_path / "lr_1e-3" / "metrics.jsonl", with_lr=False)
    (path.parent / "config.yaml").write_text("lr: 0.001\nwarmup_iters: 250\noptimizer: SGD\n")
    result = read_run(find_runs(path)[0])
    assert result.curves.lr is None and result.curves.optimizer == "SGD"
    assert any("config.yaml beside the log sets lr=0.001 and a schedule" in n
               for n in result.notes)


def test_key_value_settings_of_course_scripts(tmp_path):
    """``exp_config.txt``: one ``key value`` pair a line; a file with any other line is no
    settings file."""
    path = _jsonl(tmp_path / "run" / "log.jsonl", with_lr=False)
    (path.parent / "exp_config.txt").write_text(
        "batch_size    20\ninitial_lr    0.0001\noptimizer    ADAM\nsave_best    True\n"
        "save_dir: runs/RNN ADAM 0\n")
    c = read_run(find_runs(path)[0]).curves
    assert (float(c.lr.values[0]), c.optimizer, c.batch_size) == (0.0001, "Adam", 20)
    (path.parent / "exp_config.txt").write_text("The run went well.\nlr 0.5\n")
    assert read_run(find_runs(path)[0]).curves.lr is None


def test_a_logs_own_name_wins_over_a_settings_file_its_folder_shares(tmp_path):
    """Logs of a sweep named by LR beside one base config: each keeps its own name's LR."""
    for lr in ("1e-4", "1e-3"):
        _jsonl(tmp_path / "sweep" / f"lr_{lr}.jsonl", with_lr=False)
    (tmp_path / "sweep" / "config.json").write_text(json.dumps({"lr": 0.01, "optimizer": "adamw",
                                                               "batch_size": 64}))
    for run in find_runs(tmp_path / "sweep"):
        c = read_run(run).curves
        assert float(c.lr.values[0]) == float(run.path.stem.split("_")[1])
        assert (c.optimizer, c.batch_size) == ("AdamW", 64)


def test_a_schedule_in_a_shared_settings_file_leaves_a_named_lr_unknown(tmp_path):
    path = _jsonl(tmp_path / "sweep" / "lr_1e-3.jsonl", with_lr=False)
    (path.parent / "config.yaml").write_text("lr: 0.01\nwarmup_steps: 100\n")
    result = read_run(find_runs(path)[0])
    assert result.curves.lr is None
    assert any("the name 'lr_1e-3' gives lr=0.001, but a schedule or warmup is named" in n
               for n in result.notes)
