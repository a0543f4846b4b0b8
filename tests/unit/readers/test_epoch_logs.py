"""Logs indexed by epoch (Keras's CSVLogger, Keras's TensorBoard ``epoch_loss``): each point
summarises an epoch, so a finished 25-epoch run is judged instead of "not enough steps"."""

from __future__ import annotations

import math

import numpy as np

from lrwatch.analysis import Action, Status, analyze
from lrwatch.readers import find_runs, read_run
from lrwatch.readers.csvlogger import read_csv_log
from tests.unit.readers.test_tfevents import log_scalars


def _losses(epochs: int) -> list[float]:
    """A smooth per-epoch training loss, 2.3 -> ~0.3, with a little noise."""
    rng = np.random.default_rng(5)
    return [0.3 + 2.0 * math.exp(-e / 5) + float(rng.normal(0, 0.01)) for e in range(epochs)]


def _keras_csv(path, epochs: int):  # type: ignore[no-untyped-def]
    rows = ["epoch,accuracy,loss,val_accuracy,val_loss"]
    rows += [f"{e},0.9,{loss:.4f},0.88,{loss + 0.05:.4f}" for e, loss in enumerate(_losses(epochs))]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_a_keras_csv_of_25_epochs_is_judged_at_low_confidence_and_says_it_read_epochs(tmp_path):
    result = read_csv_log(_keras_csv(tmp_path / "training.log.csv", 25))
    assert result.curves.epoch_points
    assert any("indexed by epoch" in note for note in result.notes)
    d = analyze(result.curves)
    assert d.status is Status.HEALTHY
    assert d.confidence <= 0.5


def test_a_keras_csv_of_8_epochs_that_fell_is_healthy_as_far_as_8_epochs_tell(tmp_path):
    d = analyze(read_csv_log(_keras_csv(tmp_path / "short.csv", 8)).curves)
    assert d.status is Status.HEALTHY and d.confidence <= 0.5
    assert any("8 epoch points" in e.message for e in d.evidence)


def test_a_keras_csv_of_5_epochs_is_too_short_and_says_how_many_epochs_it_needs(tmp_path):
    d = analyze(read_csv_log(_keras_csv(tmp_path / "short.csv", 5)).curves)
    assert d.status is Status.INSUFFICIENT_DATA
    assert d.needed_steps == 12
    # a finished log of 5 epochs will not grow: the advice says what would tell, not "yet"
    assert d.suggestion.action is Action.RANGE_TEST
    assert "not enough epochs" in d.suggestion.rationale and "find_lr" in d.suggestion.rationale


def test_a_csv_with_a_step_column_is_not_read_as_epochs(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("epoch,step,train_loss\n" + "".join(
        f"0,{s},{loss:.4f}\n" for s, loss in enumerate(_losses(25))))
    result = read_csv_log(path)
    assert not result.curves.epoch_points
    assert analyze(result.curves).status is Status.INSUFFICIENT_DATA


def test_keras_tensorboard_epoch_loss_is_read_as_epochs(tmp_path):
    log_scalars(tmp_path / "train", [(e, {"epoch_loss": loss})
                                     for e, loss in enumerate(_losses(25))])
    result = read_run(find_runs(tmp_path / "train")[0])
    assert result.columns.loss == "epoch_loss" and result.curves.epoch_points
    d = analyze(result.curves)
    assert d.status is Status.HEALTHY and d.confidence <= 0.5
    log_scalars(tmp_path / "steps", [(s, {"loss": loss}) for s, loss in enumerate(_losses(25))])
    assert not read_run(find_runs(tmp_path / "steps")[0]).curves.epoch_points


def test_a_validation_loss_at_every_point_reads_the_steps_as_epochs(tmp_path):
    # writer.add_scalar("Loss/train", loss, epoch) and "Loss/dev" beside it: 25 epochs, not a
    # run 25 optimizer steps old ("not enough steps to judge yet")
    log_scalars(tmp_path / "run", [(e, {"Loss/train": loss, "Loss/dev": loss + 0.1})
                                   for e, loss in enumerate(_losses(25), start=1)])
    result = read_run(find_runs(tmp_path / "run")[0])
    assert result.curves.epoch_points
    assert any("validation loss at every training-loss point" in n for n in result.notes)
    d = analyze(result.curves)
    assert d.status is Status.HEALTHY and d.confidence <= 0.5
    # evaluated every 10 steps beside a loss logged every 10: steps, as before
    log_scalars(tmp_path / "every10", [(10 * s, {"Loss/train": loss, "Loss/dev": loss + 0.1})
                                       for s, loss in enumerate(_losses(25), start=1)])
    assert not read_run(find_runs(tmp_path / "every10")[0]).curves.epoch_points
