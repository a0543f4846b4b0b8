"""JSON training logs through ``lrwatch analyze``, as a user runs it on the files scripts write:
a Keras history, a list of records, JSON lines (a DeiT-style ``log.txt``), and a Keras
``CSVLogger`` ``training.log``."""

from __future__ import annotations

import json
import math

import pytest

from lrwatch.readers import find_runs, read_run
from tests.helpers.cli import lrwatch, run_cli

EPOCHS = 30
EPOCH_NOTE = "is indexed by epoch: each point is read as a summary of one epoch"


def _loss(e: int) -> float:
    return 0.3 + 2.0 * math.exp(-e / 6)


def keras_history(path, epochs: int = EPOCHS):  # type: ignore[no-untyped-def]
    """``json.dump(model.fit(...).history)``."""
    path.write_text(json.dumps({
        "loss": [_loss(e) for e in range(epochs)],
        "accuracy": [0.1 + e / (2 * epochs) for e in range(epochs)],
        "val_loss": [_loss(e) + 0.05 for e in range(epochs)],
        "val_accuracy": [0.1 + e / (2.2 * epochs) for e in range(epochs)],
        "lr": [1e-3] * epochs,
    }))
    return path


def deit_log(path, epochs: int = EPOCHS):  # type: ignore[no-untyped-def]
    """DeiT / MAE / ConvNeXt's ``log.txt``: one JSON object per epoch."""
    with path.open("w") as fh:
        for e in range(epochs):
            fh.write(json.dumps({"train_lr": 5e-4 * min(1.0, (e + 1) / 5), "train_min_lr": 1e-6,
                                 "train_loss": 6.9 * 0.95 ** e, "test_loss": 6.0 * 0.96 ** e,
                                 "test_acc1": float(e), "epoch": e,
                                 "n_parameters": 22050664}) + "\n")
    return path


def analyze_json(capsys, *args: str) -> dict:  # type: ignore[no-untyped-def]
    code, out, err = run_cli(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)["runs"]


def test_a_keras_history_reads_as_one_point_per_epoch(tmp_path, capsys):
    [run] = analyze_json(capsys, str(keras_history(tmp_path / "history.json")))
    assert run["error"] is None and run["run"] == "history"
    assert run["columns"]["loss"] == "loss" and run["columns"]["lr"] == "lr"
    assert run["columns"]["val_loss"] == "val_loss"
    assert run["steps"] == EPOCHS and run["current_lr"] == pytest.approx(1e-3)
    assert any(EPOCH_NOTE in note for note in run["notes"])


def test_a_list_of_records_with_a_step_reads_steps_and_keeps_nan(tmp_path, capsys):
    records = [{"step": 10 * i, "epoch": i // 10, "train_loss": 2.0 / (i + 1), "lr": 0.1}
               for i in range(60)]
    records[50]["train_loss"] = None  # null is a point that was not finite
    for r in records[51:]:
        r["train_loss"] = float("nan")
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps(records))
    [run] = analyze_json(capsys, str(path))
    assert run["columns"]["loss"] == "train_loss" and run["status"] == "diverging"
    assert "non-finite" in run["evidence"][0] and "at step 500" in run["evidence"][0]
    assert not any(EPOCH_NOTE in note for note in run["notes"])  # the steps are steps


def test_records_under_one_key_of_a_dict_are_found(tmp_path, capsys):
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"config": {"lr": 1e-3, "model": "resnet18"},
                                "history": [{"epoch": e, "train_loss": _loss(e),
                                             "val_loss": _loss(e) + 0.1, "lr": 1e-3}
                                            for e in range(EPOCHS)]}))
    [run] = analyze_json(capsys, str(path))
    assert run["columns"]["loss"] == "train_loss" and run["steps"] == EPOCHS
    assert "read the records under 'history'" in run["notes"]


def test_a_deit_log_txt_of_json_lines_is_read_as_json_not_as_a_text_log(tmp_path, capsys):
    [run] = analyze_json(capsys, str(deit_log(tmp_path / "log.txt")))
    assert run["error"] is None
    assert run["columns"] == {"loss": "train_loss", "lr": "train_lr", "val_loss": "test_loss"}
    assert run["steps"] == EPOCHS and run["current_lr"] == pytest.approx(5e-4)
    assert any(EPOCH_NOTE in note for note in run["notes"])


def test_a_jsonl_with_a_line_cut_short_reads_the_rest_and_says_so(tmp_path, capsys):
    path = tmp_path / "train.jsonl"
    lines = [json.dumps({"iter": i, "loss": 3 * 0.99 ** i, "lr": 3e-4}) for i in range(200)]
    path.write_text("\n".join(lines) + '\n{"iter": 200, "lo')
    [run] = analyze_json(capsys, str(path))
    assert run["steps"] == 200 and run["columns"]["lr"] == "lr"
    assert any("ignored 1 lines that are not a JSON record (line 201)" in n and "no line end" in n
               for n in run["notes"])


def test_loss_and_lr_keys_choose_other_lists(tmp_path, capsys):
    path = tmp_path / "history.json"
    path.write_text(json.dumps({"objective": [_loss(e) for e in range(EPOCHS)],
                                "step_size": [0.01] * EPOCHS}))
    [run] = analyze_json(capsys, str(path), "--loss-key", "objective", "--lr-key", "step_size")
    assert run["columns"]["loss"] == "objective" and run["current_lr"] == pytest.approx(0.01)


def test_a_list_of_another_length_is_left_out_with_a_note(tmp_path):
    """Losses per batch beside validation losses per epoch: the validation losses' steps are
    unknown, so the run is read from its losses, and a note names what was left out."""
    path = tmp_path / "history.json"
    path.write_text(json.dumps({"train_losses": [_loss(i / 10) for i in range(100)],
                                "val_losses": [_loss(e) + 0.1 for e in range(10)]}))
    result = read_run(find_runs(path)[0])
    assert result.curves.loss.values.size == 100 and result.curves.val_loss is None
    assert any("'val_losses' has 10 values and the loss 'train_losses' 100, so the steps of "
               "'val_losses' are unknown: read without it" in n for n in result.notes)


def test_a_keras_training_log_csv_is_read_by_the_csv_reader(tmp_path, capsys):
    path = tmp_path / "training.log"
    path.write_text("epoch,accuracy,loss,lr,val_accuracy,val_loss\n" + "".join(
        f"{e},0.5,{_loss(e):.4f},0.001,0.5,{_loss(e) + 0.05:.4f}\n" for e in range(EPOCHS)))
    [run] = analyze_json(capsys, str(path))
    assert run["error"] is None and run["columns"]["loss"] == "loss"
    assert run["steps"] == EPOCHS and any(EPOCH_NOTE in note for note in run["notes"])


@pytest.mark.parametrize(("text", "message"), [
    ('{"accuracy": [0.1, 0.2], "epoch": [0, 1]}',
     "has no training-loss column; it has: accuracy; name the loss column with"),
    ('{"loss": [3, 2, 1], "step": [0, 1]}',
     "its lists differ in length: 'loss' has 3 values, 'step' has 2"),
    ('{"loss": [3, 2', "is not readable JSON"),
    ("[1, 2, 3]", "is JSON but not a training log lrwatch reads: it holds a list of 3 items"),
    ("", "is empty"),
])
def test_bad_json_is_one_line_naming_the_file(tmp_path, capsys, text, message):
    path = tmp_path / "history.json"
    path.write_text(text)
    code, out, err = run_cli(capsys, str(path))
    assert code == 1 and out == ""
    assert err.startswith(f"InputError: {path}") and message in err
    assert err.count("\n") == 1


def test_a_folder_walk_finds_json_logs_beside_other_logs_and_skips_configs(tmp_path, capsys):
    for folder in ("keras", "deit"):
        (tmp_path / folder).mkdir()
    keras_history(tmp_path / "keras" / "history.json")
    deit_log(tmp_path / "deit" / "log.txt")
    (tmp_path / "deit" / "config.json").write_text(json.dumps({"lr": 5e-4, "loss": "ce"}))
    (tmp_path / "deit" / "README.txt").write_text("DeiT-S, 30 epochs\n")
    (tmp_path / "keras" / "training.log").write_text(
        "epoch,loss,val_loss\n" + "".join(f"{e},{_loss(e)},{_loss(e)}\n" for e in range(EPOCHS)))
    version = tmp_path / "lightning_logs" / "version_0"
    version.mkdir(parents=True)
    (version / "metrics.csv").write_text("step,train_loss,lr-Adam\n" + "".join(
        f"{s},{_loss(s / 10):.5f},0.001\n" for s in range(300)))
    runs = analyze_json(capsys, str(tmp_path))
    top = tmp_path.name
    assert sorted(r["run"] for r in runs) == sorted([
        f"{top}/deit/log", f"{top}/keras/history", f"{top}/keras/training",
        f"{top}/lightning_logs/version_0"])
    assert all(r["error"] is None for r in runs)

    code, out, _ = run_cli(capsys, str(tmp_path))  # the table a user reads
    assert code == 0 and f"{top}/deit/log" in out and "notes:" in out


def test_a_text_log_with_pattern_is_still_read_by_its_pattern(tmp_path, capsys):
    path = tmp_path / "log.txt"
    path.write_text("".join(f'{{"step": {s}, "loss": {_loss(s / 10)}}}\n' for s in range(100)))
    [run] = analyze_json(capsys, str(path), "--pattern",
                         r'"step": (?P<step>\d+), "loss": (?P<loss>\S+)\}')
    assert run["error"] is None and run["steps"] == 100
    assert "read as a text log (--pattern)" in run["notes"]


def test_evaluation_records_of_an_event_log_are_validation_points(tmp_path, capsys):
    """One JSON event a line with one set of keys for both kinds (the mainrun challenge's log):
    a "validation_step" record's "loss" is a validation loss, never the training loss at its
    step (it was logged after the training record of that step and took its place)."""
    events = [{"event": "hyperparameters_configured", "lr": 0.006, "batch_size": 64},
              {"event": "model_info", "parameters_count": 27172864}]
    for step in range(1, 41):
        events.append({"event": "training_step", "step": step, "max_steps": 40,
                       "loss": 9.8 - step / 10, "elapsed_time": 4.8 * step})
        if step % 10 == 1:
            events.append({"event": "validation_step", "step": step, "max_steps": 40,
                           "loss": 2.1 - step / 100, "elapsed_time": 4.8 * step})
    path = tmp_path / "mainrun.log"
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    from lrwatch.readers import find_runs, read_run

    result = read_run(find_runs(path)[0])
    assert result.curves.loss.steps.tolist() == list(range(1, 41))
    assert result.curves.loss.values[0] == pytest.approx(9.7)  # the training record's
    assert result.curves.val_loss.steps.tolist() == [1, 11, 21, 31]
    assert result.curves.val_loss.values.tolist() == pytest.approx([2.09, 1.99, 1.89, 1.79])
    assert ("read 'loss' of the 4 records whose 'event' is 'validation_step' as a validation "
            "loss ('val_loss')") in result.notes
    [run] = analyze_json(capsys, str(path))
    assert (run["columns"]["loss"], run["columns"]["val_loss"]) == ("loss", "val_loss")


def _runs_file(path, lrs):  # type: ignore[no-untyped-def]
    """A sweep saved as one file, as step-back's ``output/*.json``: a list of runs, each its
    config beside its per-epoch history (the best LR falls furthest)."""
    runs = [{"config": {"model": "resnet20", "batch_size": 128, "seed": 0,
                        "opt": {"name": "sgd-m", "lr": lr, "momentum": 0.9}},
             "history": [{"epoch": e, "train_loss": 0.3 + 2.0 * math.exp(-e * reach / 6),
                          "val_loss": 0.4 + 2.0 * math.exp(-e * reach / 6)}
                         for e in range(EPOCHS)],
             "summary": {"start_time": "2023-08-15 10:14:46"}}
            for lr, reach in zip(lrs, (0.2, 1.0, 0.5))]
    path.write_text(json.dumps(runs))
    return path


def test_a_file_listing_several_runs_is_read_as_its_runs(tmp_path, capsys):
    lrs = [0.01, 0.1, 1.0]
    runs = analyze_json(capsys, str(_runs_file(tmp_path / "sweep.json", lrs)))
    assert [r["run"].rsplit("/", 1)[-1] for r in runs] == ["sweep-0", "sweep-1", "sweep-2"]
    assert all(r["error"] is None and r["steps"] == EPOCHS for r in runs)
    assert [r["current_lr"] for r in runs] == pytest.approx(lrs)  # each from its own config
    assert "read the records under 'history'" in runs[0]["notes"]


def test_a_list_of_experiments_each_with_its_own_lists_is_read_as_its_runs(tmp_path, capsys):
    """A sweep's results saved as one list, each experiment its lists of per-epoch losses
    beside its scalars and config (no history key): a run each, not records whose loss is a
    list."""
    experiments = [{"experiment": "Experiment 3", "parameters": 7602, "epochs_trained": 5,
                    "best_test_accuracy": 99.0, "train_losses": [1.2 / e for e in range(1, 6)],
                    "test_losses": [1.0 / e for e in range(1, 6)],
                    "train_accs": [90.0 + e for e in range(1, 6)],
                    "config": {"optimizer": "sgd", "lr": lr}} for lr in (0.01, 0.03)]
    path = tmp_path / "sweep_results.json"
    path.write_text(json.dumps(experiments, indent=2))
    runs = analyze_json(capsys, str(path))
    assert [r["run"].rsplit("/", 1)[-1] for r in runs] == ["sweep_results-0", "sweep_results-1"]
    assert [r["current_lr"] for r in runs] == pytest.approx([0.01, 0.03])
    second = read_run(find_runs(path)[1]).curves
    assert list(second.loss.values) == pytest.approx([1.2 / e for e in range(1, 6)])
    assert second.optimizer == "SGD" and second.epoch_points


def test_a_sweep_saved_as_parallel_lists_is_a_run_for_each_lr(tmp_path, capsys):
    """An LR-tuning loop's JSON: the LRs tried, and for each a list of per-epoch losses, item
    by item. A run each, at its own LR, and together one sweep."""
    lrs = [1e-4, 1e-3, 1e-2, 1e-1]
    reach = [0.1, 0.5, 1.0, 0.3]
    path = tmp_path / "lr_tuning.json"
    path.write_text(json.dumps({
        "lr_s": lrs,
        "loss_history": [[0.3 + math.exp(-e * r) for e in range(EPOCHS)] for r in reach],
        "val_loss_history": [[0.4 + math.exp(-e * r) for e in range(EPOCHS)] for r in reach]}))
    runs = analyze_json(capsys, str(path))
    assert [r["run"].rsplit("/", 1)[-1] for r in runs] == [f"lr_tuning-{i}" for i in range(4)]
    assert [r["current_lr"] for r in runs] == pytest.approx(lrs)
    third = read_run(find_runs(path)[2]).curves
    assert list(third.loss.values) == pytest.approx([0.3 + math.exp(-e) for e in range(EPOCHS)])
    assert third.val_loss is not None
    code, out, err = lrwatch(capsys, "sweep", str(path), "--json")
    assert code == 0, err
    [sweep] = json.loads(out)["sweeps"]
    assert {r["lr"]: r["position"] for r in sweep["runs"]}[1e-2] == "near_best"
    epochs = tmp_path / "history.json"  # lists of lists with no LRs: one run's epochs
    epochs.write_text(json.dumps({"train_loss": [[2.0, 1.9], [1.5, 1.4], [1.2, 1.1]],
                                  "val_loss": [1.8, 1.4, 1.2]}))
    assert [r.name for r in find_runs(epochs)] == ["history"]


def test_the_runs_of_one_file_that_differ_only_in_lr_are_one_sweep(tmp_path, capsys):
    lrs = [0.01, 0.1, 1.0]
    path = _runs_file(tmp_path / "sweep.json", lrs)
    code, out, err = lrwatch(capsys, "sweep", str(path), "--json")
    assert code == 0, err
    [sweep] = json.loads(out)["sweeps"]
    assert sorted(r["lr"] for r in sweep["runs"]) == pytest.approx(lrs)
    best = {r["lr"]: r["position"] for r in sweep["runs"]}
    assert best[0.1] == "near_best" and best[0.01] == "too_low"


def test_a_list_of_records_is_still_one_run(tmp_path, capsys):
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps([{"epoch": e, "train_loss": _loss(e)} for e in range(EPOCHS)]))
    [run] = analyze_json(capsys, str(path))
    assert run["run"].rsplit("/", 1)[-1] == "metrics" and run["steps"] == EPOCHS


def _deepobs_run(path, lr: float, reach: float):  # type: ignore[no-untyped-def]
    """A DeepOBS result file: per-epoch lists beside the run's settings as plain values."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "train_losses": [0.3 + 2.0 * math.exp(-e * reach / 6) for e in range(EPOCHS)],
        "test_losses": [0.4 + 2.0 * math.exp(-e * reach / 6) for e in range(EPOCHS)],
        "optimizer": "AdamOptimizer", "testproblem": "mnist_vae", "batch_size": 64,
        "num_epochs": EPOCHS, "learning_rate": lr, "lr_sched_epochs": None,
        "random_seed": 42, "hyperparams": {"beta1": 0.9, "beta2": 0.999}}))
    return path


def test_the_settings_beside_a_log_give_its_lr_and_a_sweep_of_them_is_read(tmp_path, capsys):
    lrs = [1e-4, 1e-3, 1e-2]
    for lr, reach in zip(lrs, (0.2, 1.0, 0.5)):
        _deepobs_run(tmp_path / "AdamOptimizer" / f"lr__{lr}" / "random_seed__42.json", lr, reach)
    runs = analyze_json(capsys, str(tmp_path))
    assert sorted(r["current_lr"] for r in runs) == pytest.approx(lrs)
    code, out, err = lrwatch(capsys, "sweep", str(tmp_path), "--as-one", "--json")
    assert code == 0, err
    [sweep] = json.loads(out)["sweeps"]
    assert {r["lr"]: r["position"] for r in sweep["runs"]}[1e-3] == "near_best"


def test_a_history_kept_in_groups_is_read_with_its_validation_points(tmp_path, capsys):
    """A W&B history exported by group, beside its config (whose loss-named settings, such as
    ``moe_aux_loss_factor``, are no log): each group its own step list."""
    steps = list(range(0, 3000, 10))
    path = tmp_path / "run.json"
    path.write_text(json.dumps({
        "config": {"lr": 3e-4, "opt": "adamw", "moe_aux_loss_factor": 0.1,
                   "full_eval_at": [1000, 2000]},
        "summary": {"lr": 0, "val/loss": 3.1},
        "history": {
            "train": {"iter": steps, "train_loss": [3 + 4 * math.exp(-s / 600) for s in steps],
                      "train_lr": [3e-4] * len(steps)},
            "val": {"iter": steps[::20], "val_loss": [3.1 + 4 * math.exp(-s / 600)
                                                      for s in steps[::20]]},
            "ema": {"iter": [], "val_loss_ema": []}}}))
    [run] = analyze_json(capsys, str(path))
    assert run["error"] is None
    assert run["columns"] == {"loss": "train_loss", "lr": "train_lr", "val_loss": "val_loss"}
    assert run["steps"] == steps[-1] + 1 and run["current_lr"] == pytest.approx(3e-4)
    assert "read the records under 'history'" in run["notes"]


def test_an_lr_taken_from_the_settings_says_where_it_came_from(tmp_path, capsys):
    path = tmp_path / "result.json"
    path.write_text(json.dumps({"train_losses": [_loss(e) for e in range(EPOCHS)],
                                "optimizer": "SGD", "learning_rate": 0.05}))
    [run] = analyze_json(capsys, str(path))
    assert run["current_lr"] == pytest.approx(0.05)
    assert any("took lr=0.05 from the settings beside its log" in n for n in run["notes"])


def test_a_loss_logged_as_text_is_said_not_called_missing(tmp_path, capsys):
    # was: "has no training-loss column; it has: lr" of records that all have a 'loss'
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps({"step": s, "loss": str(2.0 - s / 100), "lr": 1e-3}) + "\n"
                            for s in range(50)))
    code, out, err = run_cli(capsys, str(path))
    assert (code, out) == (1, "")
    assert err == (f"InputError: {path}: none of its 'loss' values is a number (e.g. '2.0', "
                   "'1.99', '1.98'); write them as JSON numbers\n")


def test_a_llama_factory_trainer_log_reads_its_current_steps(tmp_path, capsys):
    # was: "its records carry no step or epoch: the step is the record's order" (every step 10x
    # too small, the run 100 steps long where it ran 1000)
    path = tmp_path / "trainer_log.jsonl"
    path.write_text("".join(json.dumps(
        {"current_steps": s, "total_steps": 1000, "loss": 2.0 * math.exp(-s / 400) + 0.8,
         "lr": 5e-5 * (1 - s / 1000), "epoch": round(s / 500, 2), "percentage": s / 10,
         "elapsed_time": "0:01:00", "remaining_time": "0:10:00"}) + "\n"
        for s in range(10, 1001, 10)))
    [run] = analyze_json(capsys, str(path))
    assert run["steps"] == 991, run  # the span of steps 10 to 1000
    assert run["columns"]["loss"] == "loss" and run["columns"]["lr"] == "lr"
    assert not any("record's order" in note for note in run["notes"]), run["notes"]


def test_a_json_log_of_no_known_name_given_on_its_own_is_read_as_json(tmp_path):
    """A job database keeps each run's record in a file with no suffix: JSON by its first
    bytes, read as a ``.json`` is (its records under ``history``)."""
    record = {"hp": {"learning_rate": 0.01}, "history": [
        {"epoch": e, "train_loss": 2.3 / e, "valid_loss": 2.4 / e} for e in range(1, 8)]}
    path = tmp_path / "341a7fd6a9034ec2"
    path.write_text(json.dumps(record))
    (run,) = find_runs(path)
    assert run.format == "json"
    curves = read_run(run).curves
    assert list(curves.loss.values) == pytest.approx([2.3 / e for e in range(1, 8)])
    assert curves.val_loss is not None and curves.epoch_points
