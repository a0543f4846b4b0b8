"""Logs as real tools wrote them (trimmed copies from public repositories, listed with their
provenance in tests/data/readers/README.md): the columns, LR and steps each is read with."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from lrwatch.errors import InputError
from lrwatch.readers import find_runs, read_run

DATA = Path(__file__).resolve().parents[2] / "data" / "readers"


def test_yolov8_results_reads_the_weights_lr_not_the_warmup_bias_lr():
    """Ultralytics logs lr/pg0 (biases, falling from warmup_bias_lr 0.1), lr/pg1 and lr/pg2;
    the peak of pg0 (0.0705) is not the lr0 the user set (0.01)."""
    (run,) = find_runs(DATA / "ultralytics_yolov8" / "results.csv")
    result = read_run(run)
    assert (result.columns.loss, result.columns.lr) == ("train/box_loss", "lr/pg1")
    assert result.columns.val_loss == "val/box_loss"
    np.testing.assert_array_equal(result.curves.loss.steps, np.arange(13))
    assert result.curves.lr.values.max() <= 0.01
    assert result.curves.lr.values[0] == 0.0032727


def test_yolov5_results_reads_its_x_lr_columns():
    """YOLOv5 names its LRs x/lr0..x/lr2 (here the biases are group 2: 0.0702 at epoch 0)."""
    (run,) = find_runs(DATA / "yolov5" / "results.csv")
    result = read_run(run)
    assert (result.columns.loss, result.columns.lr) == ("train/box_loss", "x/lr1")
    np.testing.assert_array_equal(result.curves.loss.steps, np.arange(13))
    assert result.curves.lr.values[0] == 0.0033121


def test_a_yolo_run_folder_is_read_from_its_results_csv(tmp_path):
    """Its header names mAP columns with brackets and colons (metrics/mAP50(B)); the folder,
    events and all, is one run read from the CSV, the only file that logs the LR."""
    folder = tmp_path / "runs" / "detect" / "train"
    shutil.copytree(DATA / "ultralytics_yolov8", folder)
    (folder / "events.out.tfevents.1675348815.host.1.0").write_bytes(b"")
    (run,) = find_runs(tmp_path / "runs")
    assert (run.name, run.format, run.path.name) == ("runs/detect/train", "csv", "results.csv")
    assert read_run(run).columns.lr == "lr/pg1"
    (v5,) = find_runs(shutil.copytree(DATA / "yolov5", tmp_path / "v5"))
    assert v5.path.name == "results.csv"


def test_detectron2_metrics_json_lines():
    (run,) = find_runs(DATA / "detectron2" / "metrics.json")
    result = read_run(run)
    assert (result.columns.loss, result.columns.lr) == ("total_loss", "lr")
    np.testing.assert_array_equal(result.curves.loss.steps, np.arange(19, 300, 20))
    assert result.curves.lr.values[0] == 1.9310000000000002e-06
    assert result.notes == ()


def test_olmo_console_blocks_read_at_their_step():
    """OLMo prints ``[step=1/15000,epoch=0]`` then ``train/CrossEntropyLoss=2.998`` a line
    each: no loss named ``loss`` on a line of its own, so no layout read it before; its
    ``Total number of parameters: 1,279,787,008`` was read as 1 parameter."""
    (run,) = find_runs(DATA / "olmo" / "train.log")
    result = read_run(run)
    assert result.notes[0] == "read as a text log (olmo)"
    loss = result.curves.loss
    np.testing.assert_array_equal(loss.steps, np.arange(1, 18))
    assert (loss.values[0], loss.values[1]) == (2.998, 2.919)
    np.testing.assert_allclose(result.curves.grad_norm.values[:2], [0.2370, 0.2051])
    assert result.curves.lr is None
    assert "the log gives the model's size: 1,279,787,008 parameters" in result.notes


def test_an_event_file_with_no_training_loss_is_named_in_the_error(monkeypatch):
    """The HF Trainer writes a final evaluate()'s scalars to an event file of their own; given
    by its name in the current folder, the error named '.' instead of the file."""
    pytest.importorskip("tensorboard")
    folder = DATA / "hf_trainer_tensorboard"
    monkeypatch.chdir(folder)
    name = next(p.name for p in folder.iterdir() if "tfevents" in p.name)
    (run,) = find_runs(name)
    with pytest.raises(InputError) as error:
        read_run(run)
    assert str(error.value).startswith(f"{name} has no training-loss column; it has: "
                                       "eval/gen_len, eval/loss, ")


def test_early_yolov8_event_file_rewrites_each_epoch_in_place_not_a_resume():
    """Ultralytics 8.0.x logs ``trainer.tloss`` (the epoch's running mean) at every batch, all
    at step epoch + 1; the last write is the epoch's mean (results.csv's 1.6878, 1.267, 1.1897).
    It was read as steps, with '162 steps logged again ... (a resumed run?)'."""
    pytest.importorskip("tensorboard")
    (run,) = find_runs(DATA / "ultralytics_yolov8_events")
    result = read_run(run)
    assert result.columns.loss == "train/box_loss"
    loss = result.curves.loss
    np.testing.assert_array_equal(loss.steps, [1, 2, 3])
    np.testing.assert_allclose(loss.values, [1.6878, 1.267, 1.1897], atol=1e-4)
    assert result.curves.epoch_points
    assert not any("resumed" in n for n in result.notes)
    assert any(n.startswith("'train/box_loss' was logged several times at each of 3 steps, in "
                            "step order") for n in result.notes)


def test_fastai_csvlogger_history_is_read_by_epoch():
    """fastai's CSVLogger writes ``epoch,train_loss,valid_loss,<metrics>,time`` (the time as
    ``04:39``, not a number): one row an epoch, no LR."""
    (run,) = find_runs(DATA / "fastai" / "history.csv")
    result = read_run(run)
    assert (result.columns.loss, result.columns.val_loss, result.columns.lr) == (
        "train_loss", "valid_loss", None)
    np.testing.assert_array_equal(result.curves.loss.steps, np.arange(12))
    assert result.curves.loss.values[0] == 0.8100565075874329
    assert result.curves.epoch_points
    assert not any("not numbers" in n for n in result.notes)
