"""A validation accuracy (a higher-is-better metric) is read beside the losses by every reader
that finds one named, for a sweep to rank its runs by (sweep round 22)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lrwatch import keys
from lrwatch.readers import find_runs, read_run
from lrwatch.readers.columns import detect_columns
from lrwatch.store import Store


@pytest.mark.parametrize("names, metric", [
    (["train_loss", "val_loss", "val_acc"], "val_acc"),
    (["loss", "accuracy", "val_loss", "val_accuracy"], "val_accuracy"),
    (["loss", "eval_loss", "eval_accuracy"], "eval_accuracy"),
    (["train/loss", "valid/loss", "valid/acc"], "valid/acc"),
    (["loss", "val_top1", "val_top5"], "val_top1"),
    (["train_loss", "test_loss", "test_acc"], "test_acc"),
    (["train_loss", "test_acc", "val_acc"], "val_acc"),  # test_acc only when no val one
    (["train_loss", "train_acc", "val_loss", "val_error"], None),  # not held out / lower-better
    # lists named in the plural, as DeepOBS writes them
    (["train_losses", "valid_losses", "train_accuracies", "valid_accuracies"], "valid_accuracies"),
    (["train_losses", "test_losses", "test_accuracies"], "test_accuracies"),
    (["loss", "val_accs"], "val_accs"),
])
def test_the_validation_metric_is_found_as_the_validation_loss_is(names, metric):
    assert detect_columns(names, "log").val_metric == metric


def test_a_csv_log_gives_its_validation_accuracy(tmp_path):
    rows = ["epoch,step,train_loss,val_loss,val_acc"]
    rows += [f"{e},{10 * e},{2 - 0.1 * e},," for e in range(10)]
    rows += [f"{e},{10 * e},,{1.5 - 0.05 * e},{0.5 + 0.04 * e}" for e in range(10)]
    (tmp_path / "metrics.csv").write_text("\n".join(rows) + "\n")
    curves = read_run(find_runs(tmp_path / "metrics.csv")[0]).curves
    assert curves.val_metric_name == "val_acc"
    np.testing.assert_allclose(curves.val_metric.values[-1], 0.86)
    assert curves.val_loss is not None


def test_a_keras_history_json_gives_its_val_accuracy(tmp_path):
    history = {"loss": [2.0, 1.0, 0.5], "accuracy": [0.3, 0.6, 0.8],
               "val_loss": [1.8, 1.1, 0.9], "val_accuracy": [0.35, 0.62, 0.71]}
    (tmp_path / "history.json").write_text(json.dumps(history))
    curves = read_run(find_runs(tmp_path / "history.json")[0]).curves
    assert curves.val_metric_name == "val_accuracy"
    np.testing.assert_allclose(curves.val_metric.values, [0.35, 0.62, 0.71])


def test_a_tensorboard_log_gives_its_validation_accuracy(tmp_path):
    pytest.importorskip("tensorboard")
    from torch.utils.tensorboard import SummaryWriter

    with SummaryWriter(log_dir=str(tmp_path)) as writer:
        for step in range(20):
            writer.add_scalar("train/loss", 2.0 / (step + 1), step)
            if step % 5 == 4:
                writer.add_scalar("val/acc", 0.5 + step / 50, step)
    curves = read_run(find_runs(tmp_path)[0]).curves
    assert curves.val_metric_name == "val/acc"
    np.testing.assert_array_equal(curves.val_metric.steps, [4, 9, 14, 19])


def test_a_trainer_state_gives_its_eval_accuracy(tmp_path):
    history = [{"step": s, "loss": 2.0 / s, "learning_rate": 1e-4} for s in range(10, 110, 10)]
    history += [{"step": s, "eval_loss": 1.0 / s, "eval_accuracy": 0.5 + s / 400}
                for s in (50, 100)]
    (tmp_path / "trainer_state.json").write_text(json.dumps(
        {"log_history": history, "global_step": 100, "max_steps": 100}))
    curves = read_run(find_runs(tmp_path / "trainer_state.json")[0]).curves
    assert curves.val_metric_name == "eval_accuracy"
    np.testing.assert_allclose(curves.val_metric.values, [0.625, 0.75])


def test_an_mlflow_run_gives_its_validation_accuracy(tmp_path):
    run = tmp_path / "mlruns" / "1" / "abc123"
    (run / "metrics").mkdir(parents=True)
    (run / "meta.yaml").write_text("run_id: abc123\nrun_name: r1\nlifecycle_stage: active\n")
    (run / "metrics" / "train_loss").write_text(
        "".join(f"1700000000 {2.0 / (s + 1)} {s}\n" for s in range(20)))
    (run / "metrics" / "val_acc").write_text(
        "".join(f"1700000000 {0.5 + s / 100} {s}\n" for s in (9, 19)))
    curves = read_run(find_runs(run)[0]).curves
    assert curves.val_metric_name == "val_acc"
    np.testing.assert_allclose(curves.val_metric.values, [0.59, 0.69])


def test_a_stored_run_gives_the_accuracy_its_user_logged(tmp_path):
    path = tmp_path / "lrwatch.db"
    steps = np.arange(100)
    with Store(path) as store:
        run = store.create_run("resnet", {})
        store.backend.append(run.id, {
            keys.LOSS: (steps, 2.0 / (1 + steps)),
            keys.logged_key("val_acc"): (np.array([49, 99]), np.array([0.8, 0.9])),
        })
    with Store(path, readonly=True) as store:
        from lrwatch.readers import curves_from_store

        curves = curves_from_store(store, "resnet")
    assert curves.val_metric_name == "val_acc"
    np.testing.assert_allclose(curves.val_metric.values, [0.8, 0.9])


def test_a_log_without_an_accuracy_reads_as_before(tmp_path):
    (tmp_path / "metrics.csv").write_text("step,train_loss,val_loss\n0,2.0,\n1,1.5,1.4\n")
    curves = read_run(find_runs(tmp_path / "metrics.csv")[0]).curves
    assert curves.val_metric is None and curves.val_metric_name is None
