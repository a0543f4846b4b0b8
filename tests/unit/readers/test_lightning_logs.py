"""The readers on logs written by a real Lightning training (CSVLogger and TensorBoardLogger)."""

from __future__ import annotations

import numpy as np

from lrwatch.readers import find_runs, read_run
from tests.unit.readers.training import train_tiny


def test_csv_and_tensorboard_logs_of_one_training_read_alike(pl, tmp_path):
    trained = train_tiny(pl, tmp_path, lr=0.05, optimizer="SGD", momentum=0.9)

    csv = read_run(find_runs(trained.csv_dir / "metrics.csv")[0])
    assert trained.tb_dir is not None
    tb = read_run(find_runs(trained.tb_dir)[0])

    for result in (csv, tb):
        cols = result.columns
        assert (cols.loss, cols.lr, cols.grad_norm, cols.val_loss, cols.momentum) == (
            "train_loss_step", "lr-SGD", "grad_2.0_norm_total", "val_loss", "lr-SGD-momentum")
        curves = result.curves
        # one loss and one LR per optimizer step, steps 0 .. steps-1
        np.testing.assert_array_equal(curves.loss.steps, np.arange(trained.steps))
        np.testing.assert_array_equal(curves.lr.steps, np.arange(trained.steps))
        np.testing.assert_allclose(curves.lr.values, trained.lr, rtol=1e-6)
        assert len(curves.grad_norm) == trained.steps
        assert len(curves.val_loss) == 2  # one validation per epoch
        assert (curves.optimizer, curves.batch_size) == ("SGD", trained.batch_size)
        assert curves.momentum is not None and abs(curves.momentum - 0.9) < 1e-6
        assert result.notes == ()
    # TensorBoard keeps float32; the CSV keeps what Lightning's .item() gave
    np.testing.assert_allclose(tb.curves.loss.values, csv.curves.loss.values, rtol=1e-6)
    np.testing.assert_allclose(tb.curves.grad_norm.values, csv.curves.grad_norm.values, rtol=1e-6)
    np.testing.assert_array_equal(tb.curves.val_loss.steps, csv.curves.val_loss.steps)


def test_a_lightning_logs_tree_gives_one_run_per_version(pl, tmp_path):
    first = train_tiny(pl, tmp_path, lr=0.01, optimizer="Adam", tensorboard=False, epochs=1)
    second = train_tiny(pl, tmp_path, lr=0.001, optimizer="AdamW", tensorboard=False, epochs=1)

    runs = find_runs(tmp_path / "lightning_logs")
    assert [r.name for r in runs] == ["lightning_logs/version_0", "lightning_logs/version_1"]
    assert [r.path.parent for r in runs] == [first.csv_dir, second.csv_dir]
    results = [read_run(r) for r in runs]
    assert [r.curves.optimizer for r in results] == ["Adam", "AdamW"]
    assert [float(r.curves.lr.values[-1]) for r in results] == [0.01, 0.001]
    assert [r.curves.momentum for r in results] == [0.9, 0.9]  # Adam's beta1
