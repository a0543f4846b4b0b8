"""Logs that report a perplexity and no loss (RNN and transformer LM scripts: ``ppl/train``,
``train_ppl``): the loss is the perplexity's log, and a note says so."""

from __future__ import annotations

import json
import math

import numpy as np

from lrwatch.readers import find_runs, read_run
from tests.helpers.cli import run_cli
from tests.unit.readers.test_tfevents import log_scalars

STEPS = np.arange(0, 2000, 20)
LOSS = 6.0 * np.exp(-STEPS / 600) + 4.0  # nats: 10 -> ~4.2


def test_a_csv_of_perplexities_is_read_as_their_log(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("step,train_ppl,val_ppl,lr\n" + "".join(
        f"{s},{math.exp(v):.6f},{math.exp(v + 0.1):.6f},0.001\n" for s, v in zip(STEPS, LOSS)))
    result = read_run(find_runs(path)[0])
    assert (result.columns.loss, result.columns.val_loss) == ("train_ppl", "val_ppl")
    assert result.columns.perplexity == ("train_ppl", "val_ppl")
    np.testing.assert_allclose(result.curves.loss.values, LOSS, rtol=1e-6)
    np.testing.assert_allclose(result.curves.val_loss.values, LOSS + 0.1, rtol=1e-6)
    assert any("logs no loss: read the log of each perplexity ('train_ppl', 'val_ppl') as a "
               "loss (cross-entropy in nats, ppl = e^loss)" in n for n in result.notes)


def test_a_loss_beside_a_perplexity_is_the_loss(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("step,train_loss,train_ppl\n" + "".join(
        f"{s},{v:.6f},{math.exp(v):.6f}\n" for s, v in zip(STEPS, LOSS)))
    result = read_run(find_runs(path)[0])
    assert (result.columns.loss, result.columns.perplexity) == ("train_loss", None)
    np.testing.assert_allclose(result.curves.loss.values, LOSS, rtol=1e-6)


def test_tensorboard_perplexity_that_blows_up_is_diverging(tmp_path, capsys):
    """A ``ppl/train`` tag that overflows to inf (nothing else logged but ``ppl/val``):
    ``lrwatch analyze`` reads ln(ppl), says where it read it from, and calls the blow-up."""
    rows = [(int(s), {"ppl/train": math.exp(v), "ppl/val": math.exp(v + 0.1)})
            for s, v in zip(STEPS, LOSS)]
    rows += [(2000 + 20 * i, {"ppl/train": math.inf, "ppl/val": math.inf}) for i in range(10)]
    log_scalars(tmp_path / "run", rows)
    code, out, err = run_cli(capsys, str(tmp_path / "run"), "--json")
    assert code == 0, err
    (entry,) = json.loads(out)["runs"]
    assert entry["columns"]["loss"] == "ppl/train" and entry["status"] == "diverging"
    assert entry["columns"]["perplexity"] == ["ppl/train", "ppl/val"]
