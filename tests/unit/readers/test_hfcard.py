"""The Hugging Face Trainer's model card (README.md) read as a run: its "Training results"
table and "Training hyperparameters" list, written as transformers' modelcard.py writes them."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from lrwatch.readers import find_runs, read_run
from tests.helpers.cli import run_cli

HEADER = "| Training Loss | Epoch | Step | Validation Loss | Accuracy |"
RULE = "|:-------------:|:-----:|:----:|:---------------:|:--------:|"


def card(path, rows, hyperparameters, intro="This model is a fine-tuned version of "
         "[distilbert-base-uncased](https://huggingface.co/distilbert-base-uncased) on the "
         "imdb dataset."):
    """A model card as ``Trainer.create_model_card`` writes it; ``rows``: (loss or None for
    "No log", epoch, step, validation loss, accuracy)."""
    table = [HEADER, RULE] + [
        f"| {'No log' if loss is None else loss} | {epoch} | {step} | {val} | {acc} |"
        for loss, epoch, step, val, acc in rows]
    text = "\n".join([
        "---", "license: apache-2.0", "tags:", "- generated_from_trainer", "---", "",
        "<!-- This model card has been generated automatically according to the information "
        "the Trainer had access to. -->", "", "# distilbert-imdb", "", intro,
        "It achieves the following results on the evaluation set:", "- Loss: 0.2311", "",
        "## Training procedure", "", "### Training hyperparameters", "",
        "The following hyperparameters were used during training:",
        *(f"- {k}: {v}" for k, v in hyperparameters.items()), "",
        "### Training results", "", *table, "", "", "### Framework versions", "",
        "- Transformers 4.38.2", "- Pytorch 2.2.1+cu121"])
    path.mkdir(parents=True, exist_ok=True)
    (path / "README.md").write_text(text + "\n")
    return path / "README.md"


ROWS = [(None, 0.5, 50, 0.62, 0.71)] + [
    (round(0.6 * math.exp(-s / 400) + 0.2, 4), s / 100, s, round(0.5 * math.exp(-s / 500) + 0.2, 4),
     0.8) for s in range(100, 1300, 100)]
HYPER = {"learning_rate": "2e-05", "train_batch_size": "16", "eval_batch_size": "16",
         "seed": "42", "gradient_accumulation_steps": "2", "total_train_batch_size": "32",
         "optimizer": "Adam with betas=(0.9,0.999) and epsilon=1e-08",
         "lr_scheduler_type": "linear", "lr_scheduler_warmup_ratio": "0.1", "num_epochs": "12"}


def test_a_trainer_output_folder_with_only_its_model_card_is_a_run(tmp_path):
    path = card(tmp_path / "distilbert-imdb", ROWS, HYPER)
    for given in (tmp_path, path.parent, path):
        (run,) = find_runs(given)
        assert run.format == "hf_card" and run.name.endswith("distilbert-imdb")
    result = read_run(run)
    curves = result.curves
    np.testing.assert_array_equal(curves.loss.steps, np.arange(100, 1300, 100))  # "No log" left
    assert curves.loss.values[0] == ROWS[1][0]
    np.testing.assert_array_equal(curves.val_loss.steps, [50, *range(100, 1300, 100)])
    # linear decay after a 10% warmup of 12 epochs x 100 steps: 120 steps
    lr = dict(zip(curves.lr.steps, curves.lr.values))
    assert lr[50] == pytest.approx(2e-5 * 50 / 120)
    assert lr[600] == pytest.approx(2e-5 * (1200 - 600) / (1200 - 120))
    assert (curves.optimizer, curves.batch_size, curves.fine_tune, curves.total_steps) == (
        "AdamW", 32, True, 1200)
    assert result.notes[0] == ("the LR of each row from the card's linear schedule: peak 2e-05, "
                               "120 warmup steps of 1200 planned")


@pytest.mark.parametrize(("changes", "optimizer", "lr_at_600"), [
    ({"optimizer": "Use OptimizerNames.ADAMW_TORCH with betas=(0.9,0.999) and epsilon=1e-08",
      "lr_scheduler_type": "cosine", "training_steps": "1000"}, "AdamW",
     2e-5 * 0.5 * (1 + math.cos(math.pi * (600 - 100) / (1000 - 100)))),
    ({"optimizer": "Use adafactor and the args are:\nNo additional optimizer arguments",
      "lr_scheduler_type": "constant"}, "Adafactor", 2e-5),
    ({"optimizer": "Use sgd with betas=(0.9,0.999)", "lr_scheduler_type": "polynomial"}, "SGD",
     None),
])
def test_the_cards_schedule_and_optimizer_as_each_transformers_version_writes_them(
        tmp_path, changes, optimizer, lr_at_600):
    hyper = {k: v for k, v in {**HYPER, **changes}.items()
             if not ("training_steps" in changes and k == "num_epochs")}
    result = read_run(find_runs(card(tmp_path / "run", ROWS, hyper))[0])
    assert result.curves.optimizer == optimizer
    if lr_at_600 is None:
        assert result.curves.lr is None
        assert result.notes[0] == ("the card names a polynomial schedule, which lrwatch does "
                                   "not compute: the LR of each step is unknown (peak 2e-05)")
    else:
        lr = dict(zip(result.curves.lr.steps, result.curves.lr.values))
        assert lr[600] == pytest.approx(lr_at_600)


def test_a_card_beside_a_trainer_state_is_not_a_second_run(tmp_path):
    out = tmp_path / "out"
    card(out, ROWS, HYPER)
    history = [{"epoch": s / 100, "learning_rate": 2e-5, "loss": 0.5, "step": s}
               for s in range(10, 500, 10)]
    (out / "trainer_state.json").write_text(json.dumps({"log_history": history,
                                                        "global_step": 490}))
    assert [(r.name, r.format) for r in find_runs(tmp_path)] == [
        (f"{tmp_path.name}/out", "hf_trainer")]


def test_a_readme_without_a_training_results_table_is_no_run(tmp_path):
    (tmp_path / "README.md").write_text("# My project\n\n## Training results\n\nIt trained "
                                        "well: the loss went down.\n")
    (tmp_path / "train.log").write_text("".join(f"iter {i}: loss {3 - i / 100:.4f}, time 1.0ms,"
                                                " mfu 1.0%\n" for i in range(0, 100, 10)))
    assert [r.format for r in find_runs(tmp_path)] == ["text"]


def test_lrwatch_analyze_judges_a_card_as_a_fine_tune(tmp_path, capsys):
    """Twelve rows of a falling loss: a sparse log, judged at a confidence of at most 0.5, and
    a fine-tune's advice (never a move toward from-scratch LRs)."""
    card(tmp_path / "distilbert-imdb", ROWS, HYPER)
    code, out, err = run_cli(capsys, str(tmp_path / "distilbert-imdb"), "--json")
    assert code == 0, err
    (entry,) = json.loads(out)["runs"]
    assert entry["status"] == "healthy" and entry["confidence"] <= 0.5
    assert entry["columns"] == {"loss": "loss", "lr": "learning_rate", "val_loss": "eval_loss",
                                "val_metric": "eval_accuracy"}
    assert entry["suggested_lr"] is None or entry["suggested_lr"] <= 3 * 2e-5


def test_a_decaying_schedule_without_its_planned_steps_leaves_the_lr_unknown(tmp_path):
    hyper = {k: v for k, v in HYPER.items() if k != "num_epochs"}
    result = read_run(find_runs(card(tmp_path / "run", ROWS, hyper))[0])
    assert result.curves.lr is None and result.curves.loss is not None
    assert result.notes[0] == ("the card's linear schedule decays over planned steps it does "
                               "not give (no training_steps, no num_epochs): the LR of each "
                               "step is unknown (peak 2e-05)")
