"""Hugging Face Trainer logs: trainer_state.json, checkpoint folders, and what the files around
them say of the run. The fixtures follow the layout real files have (the Trainer writes them
with sorted keys and indent 2: eval entries between training entries, a training summary last,
total_flos, best_metric, stateful_callbacks)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from lrwatch.errors import InputError
from lrwatch.readers import find_runs, read_run
from tests.helpers.cli import run_cli


def trainer_state(last_step, logging_steps=10, eval_steps=100, lr_key="learning_rate",
                  peak_lr=2e-5, summary=True):
    """A ``TrainerState`` as ``save_to_json`` writes it, after ``last_step`` steps."""
    history = []
    for step in range(logging_steps, last_step + 1, logging_steps):
        history.append({"epoch": step / 250, "grad_norm": 1.0 + step / 1000,
                        lr_key: peak_lr * (1 - step / 1000),
                        "loss": round(2.0 * math.exp(-step / 150) + 0.3, 4), "step": step})
        if step % eval_steps == 0:
            history.append({"epoch": step / 250, "eval_loss": 0.5 + 100 / step,
                            "eval_runtime": 12.3, "eval_samples_per_second": 40.6,
                            "eval_steps_per_second": 5.1, "step": step})
    if summary:
        history.append({"epoch": last_step / 250, "step": last_step, "total_flos": 1.2e15,
                        "train_loss": 0.9, "train_runtime": 300.5,
                        "train_samples_per_second": 26.6, "train_steps_per_second": 3.3})
    return {"best_metric": 1.5, "best_model_checkpoint": f"out/checkpoint-{last_step}",
            "epoch": last_step / 250, "eval_steps": eval_steps, "global_step": last_step,
            "is_hyper_param_search": False, "is_local_process_zero": True,
            "is_world_process_zero": True, "log_history": history,
            "logging_steps": logging_steps, "max_steps": 1000, "num_train_epochs": 4,
            "save_steps": 100, "stateful_callbacks": {"TrainerControl": {"args": {
                "should_save": True, "should_training_stop": False}, "attributes": {}}},
            "total_flos": 1.2e15, "train_batch_size": 8, "trial_name": None, "trial_params": None}


def write_json(path, value):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, sort_keys=True))
    return path


def test_the_log_history_gives_loss_lr_grad_norm_and_eval_loss(tmp_path):
    path = write_json(tmp_path / "out" / "trainer_state.json", trainer_state(300))
    (run,) = find_runs(path)
    assert (run.name, run.format) == (f"{tmp_path.name}/out", "hf_trainer")
    result = read_run(run)
    curves = result.curves
    np.testing.assert_array_equal(curves.loss.steps, np.arange(10, 301, 10))
    assert curves.loss.values[0] == round(2.0 * math.exp(-10 / 150) + 0.3, 4)
    np.testing.assert_allclose(curves.lr.values, 2e-5 * (1 - np.arange(10, 301, 10) / 1000))
    assert curves.grad_norm is not None and len(curves.grad_norm) == 30
    np.testing.assert_array_equal(curves.val_loss.steps, [100, 200, 300])
    assert 300 not in curves.loss.steps[curves.loss.values == 0.9]  # the summary is no point
    assert (curves.batch_size, curves.total_steps) == (8, 1000)
    assert vars(result.columns) == {"loss": "loss", "lr": "learning_rate",
                                   "grad_norm": "grad_norm", "val_loss": "eval_loss",
                                   "momentum": None, "optimizer": None, "loss_peers": None,
                                   "val_metric": None, "perplexity": None}


def test_some_trainers_write_lr_instead_of_learning_rate(tmp_path):
    path = write_json(tmp_path / "trainer_state.json", trainer_state(200, lr_key="lr"))
    result = read_run(find_runs(path)[0])
    assert result.columns.lr == "lr" and result.curves.lr.values[0] == pytest.approx(1.98e-5)


def test_a_folder_of_checkpoints_is_one_run_read_from_the_newest(tmp_path):
    out = tmp_path / "out"
    for step in (200, 1000, 900):  # 1000 sorts before 200 as text; it is the newest
        write_json(out / f"checkpoint-{step}" / "trainer_state.json",
                   trainer_state(step, summary=False))
    runs = find_runs(tmp_path)
    assert [(r.name, r.format) for r in runs] == [(f"{tmp_path.name}/out", "hf_trainer")]
    result = read_run(runs[0])
    assert result.curves.loss.steps[-1] == 1000
    assert any(f"read {out / 'checkpoint-1000' / 'trainer_state.json'}, the newest of 3" in n
               for n in result.notes)
    # save_state() at the end writes the output folder's own file: the longest one wins
    write_json(out / "trainer_state.json", trainer_state(1000))
    assert len(read_run(find_runs(out)[0]).curves.val_loss) == 10
    # one checkpoint given on its own is read as it is
    (alone,) = find_runs(out / "checkpoint-200")
    assert (alone.name, read_run(alone).curves.loss.steps[-1]) == ("out/checkpoint-200", 200)


def test_a_trainer_folder_with_its_events_is_read_from_the_trainer_state(tmp_path):
    write_json(tmp_path / "out" / "checkpoint-100" / "trainer_state.json", trainer_state(100))
    (tmp_path / "out" / "events.out.tfevents.1700000000.host.1.0").write_bytes(b"")
    assert [(r.name, r.format) for r in find_runs(tmp_path)] == [
        (f"{tmp_path.name}/out", "hf_trainer")]


def test_fine_tune_clip_and_classes_come_only_from_files_that_say_so(tmp_path):
    out = tmp_path / "out"
    # at a from-scratch LR, a trainer state alone says none of these
    write_json(out / "checkpoint-100" / "trainer_state.json", trainer_state(100, peak_lr=3e-4))
    curves = read_run(find_runs(out)[0]).curves
    assert (curves.fine_tune, curves.clip, curves.classes, curves.optimizer) == (
        None, None, None, None)

    (out / "training_args.yaml").write_text(  # as LLaMA-Factory writes it
        "finetuning_type: lora\nlearning_rate: 5.0e-05\nmax_grad_norm: 1.0\n"
        "model_name_or_path: Qwen/Qwen3-14B\noptim: adamw_torch\nstage: sft\n")
    write_json(out / "checkpoint-100" / "config.json", {
        "architectures": ["Qwen3ForCausalLM"], "vocab_size": 151936})
    curves = read_run(find_runs(out)[0]).curves
    assert (curves.fine_tune, curves.clip, curves.classes, curves.optimizer) == (
        True, 1.0, 151936, "AdamW")


@pytest.mark.parametrize(("files", "fine_tune", "classes"), [
    ({"adapter_config.json": {"base_model_name_or_path": "gpt2", "peft_type": "LORA"}}, True,
     None),
    ({"config.json": {"architectures": ["BertForSequenceClassification"], "finetuning_task":
                      "mnli", "id2label": {"0": "a", "1": "b", "2": "c"}}}, True, 3),
    ({"config.json": {"architectures": ["BertForSequenceClassification"], "num_labels": 1,
                      "problem_type": "regression"}}, None, None),
    ({"training_args.json": {"max_grad_norm": 0.0, "config_name": "gpt2"}}, None, None),
])
def test_each_kind_of_evidence(tmp_path, files, fine_tune, classes):
    write_json(tmp_path / "trainer_state.json", trainer_state(100, peak_lr=3e-4))
    for name, value in files.items():
        write_json(tmp_path / name, value)
    curves = read_run(find_runs(tmp_path)[0]).curves
    assert (curves.fine_tune, curves.classes, curves.clip) == (fine_tune, classes, None)


@pytest.mark.parametrize(("peak_lr", "fine_tune"), [(2e-5, True), (1e-4, True), (3e-4, None)])
def test_a_trainer_log_at_a_fine_tuning_lr_reads_as_a_fine_tune(tmp_path, peak_lr, fine_tune):
    # the Trainer is the usual tool of fine-tunes: at 1e-5-ish with no file that says either
    # way, the run is judged against fine-tuning LRs (a 2.08 -> 1.04 SFT is not a stall), and
    # the note says why
    write_json(tmp_path / "trainer_state.json", trainer_state(300, peak_lr=peak_lr))
    result = read_run(find_runs(tmp_path)[0])
    assert result.curves.fine_tune is fine_tune
    said = [n for n in result.notes if "read as a fine-tune" in n]
    assert len(said) == (1 if fine_tune else 0)
    if fine_tune:
        assert f"peak LR {result.curves.lr.values.max():.3g} " in said[0]


def test_a_model_card_that_says_fine_tuned_marks_a_fine_tune(tmp_path):
    write_json(tmp_path / "trainer_state.json", trainer_state(100))
    (tmp_path / "README.md").write_text(
        "# out\n\nThis model is a fine-tuned version of [distilbert-base-uncased]"
        "(https://huggingface.co/distilbert-base-uncased) on the imdb dataset.\n")
    assert read_run(find_runs(tmp_path)[0]).curves.fine_tune is True


@pytest.mark.parametrize(("content", "message"), [
    ('{"log_history": [{"loss": 1.0, "st', r"trainer_state.json is not readable JSON \("),
    ('{"global_step": 3}', r"trainer_state.json is not a Hugging Face trainer state: it has no "
                           r"'log_history' list"),
    ('{"log_history": [{"epoch": 0.1, "eval_loss": 1.0, "step": 5}]}',
     r"trainer_state.json has no training loss in its log_history yet"),
    ("version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 52414\n",
     r"trainer_state.json is a Git LFS pointer, not the log itself: run `git lfs pull`"),
])
def test_files_that_cannot_be_read_are_one_line_errors(tmp_path, content, message):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "trainer_state.json").write_text(content)
    (run,) = find_runs(tmp_path)
    with pytest.raises(InputError, match=message):
        read_run(run)


def test_a_loss_written_as_text_is_said_not_called_missing(tmp_path, capsys):
    # was: "has no training loss in its log_history yet", of a state whose every entry has one
    state = trainer_state(100, summary=False)
    for entry in state["log_history"]:
        if "loss" in entry:
            entry["loss"] = str(entry["loss"])
    write_json(tmp_path / "text" / "trainer_state.json", state)
    code, out, err = run_cli(capsys, str(tmp_path / "text"))
    assert (code, out) == (1, "")
    assert err == (f"InputError: {tmp_path / 'text' / 'trainer_state.json'}: none of the 10 "
                   "'loss' values in its log_history is a number (e.g. '2.171', '2.0503', "
                   "'1.9375'); write them as JSON numbers\n")
    state["log_history"][0]["loss"] = 2.0
    write_json(tmp_path / "some" / "trainer_state.json", state)
    result = read_run(find_runs(tmp_path / "some")[0])
    assert len(result.curves.loss) == 1
    assert any(n.endswith("log_history that are not numbers (e.g. '2.0503', '1.9375', "
                          "'1.8319')") and n.startswith("ignored 9 'loss' values")
               for n in result.notes), result.notes


def test_lrwatch_analyze_reads_an_output_folder(tmp_path, capsys):
    out = tmp_path / "out"
    for step in (500, 1000):
        write_json(out / f"checkpoint-{step}" / "trainer_state.json", trainer_state(step))
    code, stdout, err = run_cli(capsys, str(out), "--json")
    (entry,) = json.loads(stdout)["runs"]
    assert code == 0 and entry["error"] is None, err
    assert entry["run"] == f"{tmp_path.name}/out"
    assert entry["current_lr"] == pytest.approx(2e-5 * 0.99)  # the peak LR, at step 10
    assert entry["columns"] == {"loss": "loss", "lr": "learning_rate", "grad_norm": "grad_norm",
                                "val_loss": "eval_loss"}
