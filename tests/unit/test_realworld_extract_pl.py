"""The Lightning/TensorBoard/JSON/W&B extractor of the real-world corpus, on a real git repository
made here: each format lands in the cache as the normalised CSV that load() reads."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from torch.utils.tensorboard import SummaryWriter

from benchmarks.realworld import curves_of, read_csv
from benchmarks.realworld.extract_pl import (extract, main, read_float32_records,
                                             read_json_history, read_metrics_csv, read_wandb)

METRICS_CSV = """epoch,step,train_loss_step,lr-AdamW,val_loss,train_loss_epoch
0,9,2.5,0.001,,
0,19,nan,0.001,,
0,19,,,1.9,2.2
1,29,1.5,0.0005,,
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture
def snapshot(tmp_path: Path) -> tuple[Path, str]:
    """A repository holding one log of each format, committed; returns (git dir, commit)."""
    repo = tmp_path / "repo"
    (repo / "lightning_logs/version_0").mkdir(parents=True)
    (repo / "lightning_logs/version_0/metrics.csv").write_text(METRICS_CSV)
    with SummaryWriter(log_dir=str(repo / "tb")) as writer:
        for step in range(4):
            writer.add_scalar("train/loss", 4.0 - step, step * 10)
            writer.add_scalar("val/loss", 5.0 - step, step * 10)
            if step in (0, 2):  # an LR monitor logs when the schedule changes
                writer.add_scalar("lr-SGD", 0.1 if step == 0 else 0.01, step * 10)
    (repo / "keras.json").write_text(json.dumps({"loss": [2.3, 1.1, None, 0.4],
                                                 "val_loss": [2.2, 1.3, 1.0, 0.9]}))
    (repo / "mainrun.log").write_text(
        '{"event": "training_step", "step": 1, "loss": 9.8}\n'
        '{"event": "validation_step", "step": 1, "loss": 2.1}\n'
        '{"event": "training_step", "step": 2, "loss": 9.1}\n')
    (repo / "trainer_state.json").write_text(json.dumps({"log_history": [
        {"step": 5, "loss": 2.0, "learning_rate": 2e-5}, {"step": 10, "eval_loss": 1.8}]}))
    (repo / "record.json").write_text(json.dumps(
        {"history": {"train": {"iter": [50, 100], "loss": [9.0, 7.0], "lr": [1e-4, 2e-4]},
                     "val": {"iter": [100], "val_loss": [7.5]}}}))
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "logs")
    return repo / ".git", git(repo, "rev-parse", "HEAD")


def manifest_line(run_id: str, commit: str, path: str, fmt: str, **meta: object) -> str:
    label = {"status": "healthy", "direction": "keep", "source": "sweep", "why": "test"}
    return json.dumps({"id": run_id, "repo": "someone/logs", "commit": commit, "path": path,
                       "format": fmt, "family": "cnn", "meta": meta, "label": label})


def test_each_format_becomes_the_normalised_csv_load_reads(snapshot, tmp_path, monkeypatch):
    git_dir, commit = snapshot
    monkeypatch.setenv("LRWATCH_REALWORLD", str(tmp_path / "cache"))
    event_file = next((git_dir.parent / "tb").iterdir()).relative_to(git_dir.parent)
    keys = {"step": "history.train.iter", "loss": "history.train.loss",
            "lr": "history.train.lr", "val_step": "history.val.iter",
            "val_loss": "history.val.val_loss"}
    manifest = tmp_path / "manifest_pl.jsonl"
    manifest.write_text("\n".join([
        manifest_line("pl-csv", commit, "lightning_logs/version_0/metrics.csv", "metrics_csv"),
        manifest_line("pl-tb", commit, str(event_file), "tfevents"),
        manifest_line("pl-keras", commit, "keras.json", "json_history"),
        manifest_line("pl-record", commit, "record.json", "json_history", json_keys=keys),
        manifest_line("pl-elsewhere", "0" * 40, "x.csv", "metrics_csv"),
    ]) + "\n")

    written, absent = extract([git_dir], manifest)

    assert written == ["pl-csv", "pl-tb", "pl-keras", "pl-record"] and absent == ["pl-elsewhere"]
    cache = tmp_path / "cache"
    csv_run = read_csv(cache / "pl-csv.csv")
    # per-step loss (not the epoch mean), the NaN kept, the LR monitor's column, and the
    # validation loss of its own row put on the last training row at or before its step
    np.testing.assert_array_equal(csv_run["step"], [9, 19, 29])
    np.testing.assert_array_equal(csv_run["loss"], [2.5, np.nan, 1.5])
    np.testing.assert_array_equal(csv_run["lr"], [0.001, 0.001, 0.0005])
    np.testing.assert_array_equal(csv_run["val_loss"], [np.nan, 1.9, np.nan])
    tb_run = read_csv(cache / "pl-tb.csv")
    np.testing.assert_array_equal(tb_run["step"], [0, 10, 20, 30])
    np.testing.assert_allclose(tb_run["loss"], [4, 3, 2, 1])
    np.testing.assert_allclose(tb_run["val_loss"], [5, 4, 3, 2])
    np.testing.assert_allclose(tb_run["lr"], [0.1, 0.1, 0.01, 0.01])  # as last logged
    keras_run = read_csv(cache / "pl-keras.csv")  # a null epoch is dropped, not made a NaN
    np.testing.assert_array_equal(keras_run["step"], [0, 1, 3])
    np.testing.assert_allclose(keras_run["loss"], [2.3, 1.1, 0.4])
    record = read_csv(cache / "pl-record.csv")
    np.testing.assert_array_equal(record["step"], [50, 100])
    np.testing.assert_allclose(record["lr"], [1e-4, 2e-4])
    np.testing.assert_array_equal(record["val_loss"], [np.nan, 7.5])
    curves = curves_of({"meta": {}}, csv_run)
    assert curves.lr is not None and curves.loss.values.size == 3
    # the validation loss reaches analyze (round 13 reads it for overfitting): its points only
    assert curves.val_loss is not None
    np.testing.assert_array_equal(curves.val_loss.steps, [19])
    np.testing.assert_array_equal(curves.val_loss.values, [1.9])


def test_a_log_without_the_named_loss_is_refused_with_the_run_and_file(snapshot, tmp_path,
                                                                      monkeypatch):
    git_dir, commit = snapshot
    monkeypatch.setenv("LRWATCH_REALWORLD", str(tmp_path / "cache"))
    manifest = tmp_path / "manifest_pl.jsonl"
    manifest.write_text(manifest_line("pl-csv", commit, "lightning_logs/version_0/metrics.csv",
                                      "metrics_csv", loss_key="train_acc") + "\n")
    with pytest.raises(SystemExit, match=r"pl-csv .*metrics\.csv.*meta\.loss_key"):
        extract([git_dir], manifest)


def test_a_manifest_mixes_text_logs_and_trainer_states_with_the_formats_read_here(
        snapshot, tmp_path, monkeypatch):
    git_dir, commit = snapshot
    monkeypatch.setenv("LRWATCH_REALWORLD", str(tmp_path / "cache"))
    manifest = tmp_path / "manifest_r5.jsonl"
    manifest.write_text("\n".join([
        manifest_line("r-text", commit, "mainrun.log", "text", log_syntax="mainrun"),
        manifest_line("r-state", commit, "trainer_state.json", "trainer_state"),
        manifest_line("r-csv", commit, "lightning_logs/version_0/metrics.csv", "metrics_csv"),
    ]) + "\n")

    written, absent = extract([git_dir], manifest)

    assert written == ["r-text", "r-state", "r-csv"] and absent == []
    text_run = read_csv(tmp_path / "cache" / "r-text.csv")
    np.testing.assert_array_equal(text_run["step"], [1, 2])
    np.testing.assert_allclose(text_run["loss"], [9.8, 9.1])
    state_run = read_csv(tmp_path / "cache" / "r-state.csv")  # the eval-only step left out
    np.testing.assert_array_equal(state_run["step"], [5])
    np.testing.assert_allclose(state_run["lr"], [2e-5])


def test_a_text_log_of_an_unknown_syntax_is_refused_with_the_run_and_the_choices(
        snapshot, tmp_path, monkeypatch):
    git_dir, commit = snapshot
    monkeypatch.setenv("LRWATCH_REALWORLD", str(tmp_path / "cache"))
    manifest = tmp_path / "manifest_r5.jsonl"
    manifest.write_text(manifest_line("r-text", commit, "mainrun.log", "text",
                                      log_syntax="mainrun_v2") + "\n")
    with pytest.raises(SystemExit, match=r"r-text .*mainrun\.log.*mainrun_v2.*'nanogpt'"):
        extract([git_dir], manifest)


def test_the_cli_refuses_a_folder_that_is_not_a_git_directory(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main([str(tmp_path)])
    assert "not a bare git directory" in capsys.readouterr().err


def _varint(n: int) -> bytes:
    out = b""
    while True:
        out += bytes([n & 0x7F | (0x80 if n > 0x7F else 0)])
        n >>= 7
        if not n:
            return out


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def wandb_file(rows: list[dict]) -> bytes:
    """A W&B run file as wandb writes it: header, then one history record per row, each in the
    LevelDB log framing (the first one split in two pieces, as records that cross a block are)."""
    framed = []
    for row in rows:
        items = b"".join(_field(1, _field(1, k.encode()) + _field(16, json.dumps(v).encode()))
                         for k, v in row.items())
        framed.append(_field(2, items))
    out = b":W&B" + b"\xe1\xbe\x00"
    first = framed[0]
    out += b"\0\0\0\0" + len(first[:5]).to_bytes(2, "little") + b"\x02" + first[:5]
    out += b"\0\0\0\0" + len(first[5:]).to_bytes(2, "little") + b"\x04" + first[5:]
    for rec in framed[1:]:
        out += b"\0\0\0\0" + len(rec).to_bytes(2, "little") + b"\x01" + rec
    return out


def test_a_wandb_run_file_gives_its_history_rows():
    data = wandb_file([{"_step": 1, "LOSS/Train": 0.7},
                       {"_step": 250, "LOSS/Train": 0.5, "LOSS/Validation": 0.6},
                       {"_step": 500, "LOSS/Train": float("nan")}])
    rows = read_wandb(data, {"loss_key": "LOSS/Train", "val_key": "LOSS/Validation"})
    assert [r["step"] for r in rows] == [1, 250, 500]
    assert rows[1] == {"step": 250, "loss": 0.5, "val_loss": 0.6}
    assert np.isnan(rows[2]["loss"])
    with pytest.raises(ValueError, match="not a W&B run file"):
        read_wandb(b"PK\x03\x04", {})


def test_a_per_epoch_wandb_run_is_stepped_by_its_epoch_key():
    data = wandb_file([{"_step": 0, "Loss/Train": 6.9, "epoch": 1},
                       {"_step": 1, "Loss/Train": 5.9, "epoch": 2}])
    rows = read_wandb(data, {"loss_key": "Loss/Train", "step_key": "epoch"})
    assert [(r["step"], r["loss"], r["epoch"]) for r in rows] == [(1, 6.9, 1), (2, 5.9, 2)]
    with pytest.raises(ValueError, match="'iteration'"):
        read_wandb(data, {"loss_key": "Loss/Train", "step_key": "iteration"})


def test_a_long_csv_with_a_split_column_gives_training_rows_with_their_validation_loss():
    data = (b"step,wallclock_sec,split,loss,lr\n"
            b"1,0.7,train,9.27,1e-3\n50,25.6,train,3.47,1e-3\n"
            b"50,26.0,val,3.51,\n100,51.0,train,2.90,1e-3\n")
    rows = read_metrics_csv(data, {})
    assert [r["step"] for r in rows] == [1, 50, 100]
    assert [r["loss"] for r in rows] == [9.27, 3.47, 2.90]  # the val row is not a training point
    assert rows[1]["val_loss"] == 3.51 and "val_loss" not in rows[2]
    assert all(r["lr"] == 1e-3 for r in rows)


def test_a_json_list_of_run_records_is_read_by_the_index_of_the_run():
    runs = [{"config": {"max_lr": 0.01}, "train_losses": [9.0, 9.0], "test_losses": [9.0, 9.0]},
            {"config": {"max_lr": 0.03}, "train_losses": [1.2, 0.2, 0.1],
             "test_losses": [0.4, 0.1, 0.05]}]
    keys = {"loss": "1.train_losses", "val_loss": "1.test_losses"}
    rows = read_json_history(json.dumps(runs).encode(), {"json_keys": keys})
    assert [r["step"] for r in rows] == [0, 1, 2]
    assert [r["loss"] for r in rows] == [1.2, 0.2, 0.1]
    assert [r["val_loss"] for r in rows] == [0.4, 0.1, 0.05]
    with pytest.raises(ValueError, match="5.train_losses"):
        read_json_history(json.dumps(runs).encode(), {"json_keys": {"loss": "5.train_losses"}})


def test_a_run_record_that_holds_its_constant_lr_once_gives_every_point_that_lr():
    # DeepOBS writes one JSON per run: per-epoch lists (the untrained evaluation first) and the
    # run's constant learning rate as a single number
    run = {"train_losses": [2.3, 0.9, float("nan")], "test_losses": [2.3, 1.0, float("nan")],
           "learning_rate": 0.0398, "optimizer": "MomentumOptimizer"}
    keys = {"loss": "train_losses", "val_loss": "test_losses", "lr": "learning_rate"}
    rows = read_json_history(json.dumps(run).encode(), {"json_keys": keys})
    assert [r["step"] for r in rows] == [0, 1, 2]
    assert [r["lr"] for r in rows] == [0.0398] * 3
    assert rows[1]["val_loss"] == 1.0 and np.isnan(rows[2]["loss"])
    # a flag is not an LR
    run["learning_rate"] = True
    assert "lr" not in read_json_history(json.dumps(run).encode(), {"json_keys": keys})[0]


def test_a_loss_list_interleaving_evaluations_and_logged_steps_keeps_the_logged_steps():
    # a nanoGPT-style sweep summary: at steps 0 and 4 an evaluation record (estimated training
    # loss, with the validation list) is written before that step's own batch loss
    run = {"train_losses": [4.3, 4.2, 3.1, 4.0, 2.9],  # eval 0, step 0, step 2, eval 4, step 4
           "val_losses": [4.4, 3.2], "learning_rate": "1e-3"}
    meta = {"json_keys": {"loss": "train_losses", "val_loss": "val_losses"},
            "interleaved": {"log_every": 2, "eval_every": 4, "last_step": 4}}
    rows = read_json_history(json.dumps(run).encode(), meta)
    assert [(r["step"], r["loss"]) for r in rows] == [(0, 4.2), (2, 3.1), (4, 2.9)]
    assert rows[0]["val_loss"] == 4.4 and rows[2]["val_loss"] == 3.2 and "val_loss" not in rows[1]
    run["train_losses"].pop()  # a record short: the plan does not fit, said in one line
    with pytest.raises(ValueError, match="expects 5 loss records"):
        read_json_history(json.dumps(run).encode(), meta)


def test_a_json_list_of_per_epoch_records_is_read_by_field_name():
    job = {"content": {"hp": {"learning_rate": 0.01}},
           "history": [{"epoch": 1, "train_loss": 0.28, "valid_loss": 0.29, "valid_acc": 0.91},
                       {"epoch": 2, "train_loss": 0.23, "valid_loss": 0.24, "valid_acc": 0.93},
                       {"epoch": 3, "train_loss": 42.0, "valid_loss": 43.1, "valid_acc": 0.10}]}
    keys = {"records": "history", "loss": "train_loss", "val_loss": "valid_loss"}
    rows = read_json_history(json.dumps(job).encode(), {"json_keys": keys})
    assert [r["step"] for r in rows] == [0, 1, 2]
    assert [r["loss"] for r in rows] == [0.28, 0.23, 42.0]
    assert [r["val_loss"] for r in rows] == [0.29, 0.24, 43.1]
    assert [r["epoch"] for r in rows] == [0, 1, 2]
    with pytest.raises(ValueError, match="'runs'"):
        read_json_history(json.dumps(job).encode(), {"json_keys": {**keys, "records": "runs"}})


def test_one_run_of_a_csv_holding_a_whole_sweep_is_picked_by_its_lr_and_seed():
    data = (b"start_lr,seed,epoch,epoch_lr,train_loss,test_loss,test_accuracy\n"
            b"0.001,0,1,,1.49,0.54,86.6\n0.001,0,2,,0.43,0.34,90.3\n"
            b"0.001,1,1,,1.14,0.52,87.0\n1.0000000000000004,0,1,,nan,nan,9.8\n"
            b"1.0000000000000004,0,2,,nan,nan,9.8\n")
    meta = {"csv_where": {"start_lr": 0.001, "seed": 0}, "step_key": "epoch",
            "val_key": "test_loss"}
    rows = read_metrics_csv(data, meta)
    assert [r["step"] for r in rows] == [1, 2]
    assert [r["loss"] for r in rows] == [1.49, 0.43]
    assert [r["val_loss"] for r in rows] == [0.54, 0.34]
    diverged = read_metrics_csv(data, {**meta, "csv_where": {"start_lr": 1.0, "seed": 0}})
    assert len(diverged) == 2 and all(np.isnan(r["loss"]) for r in diverged)
    with pytest.raises(ValueError, match="lacks.*'rate'"):
        read_metrics_csv(data, {**meta, "csv_where": {"rate": 0.1}})
    with pytest.raises(ValueError, match="'iteration'"):
        read_metrics_csv(data, {**meta, "step_key": "iteration"})


def test_a_tab_separated_log_is_read_with_its_delimiter():
    data = (b"train_loss\ttrain_epoch\teval_loss\teval_epoch\n"
            b"3.764\t0.0\t3.69\t0.0\n3.766\t0.0005\t3.54\t0.002\n3.760\t0.0010\t\t\n")
    rows = read_metrics_csv(data, {"delimiter": "\t", "loss_key": "train_loss"})
    assert [r["step"] for r in rows] == [0, 1, 2]
    assert [r["loss"] for r in rows] == [3.764, 3.766, 3.760]
    with pytest.raises(ValueError, match="no training-loss column"):
        read_metrics_csv(data, {})  # read as commas, the header is one unknown column


def test_a_loss_logged_as_parts_is_read_as_their_sum_with_the_ultralytics_lr():
    data = (b"epoch,train/box_loss,train/cls_loss,train/dfl_loss,val/box_loss,val/cls_loss,"
            b"val/dfl_loss,lr/pg0,lr/pg1,lr/pg2\n"
            b"1,1.5,2.5,2.0,1.0,2.0,1.5,3.3e-05,3.3e-05,0.0667\n"
            b"2,1.25,1.5,1.75,nan,nan,nan,6.6e-05,6.6e-05,0.0334\n")
    meta = {"step_key": "epoch", "loss_sum": ["train/box_loss", "train/cls_loss",
                                              "train/dfl_loss"],
            "val_sum": ["val/box_loss", "val/cls_loss", "val/dfl_loss"]}
    rows = read_metrics_csv(data, meta)
    assert [r["step"] for r in rows] == [1, 2]
    assert [r["loss"] for r in rows] == [6.0, 4.5]
    assert rows[0]["val_loss"] == 4.5 and np.isnan(rows[1]["val_loss"])  # kept as logged
    assert [r["lr"] for r in rows] == [3.3e-05, 6.6e-05]  # the weights' group, not the biases'
    with pytest.raises(ValueError, match="loss_sum.*'train/obj_loss'"):
        read_metrics_csv(data, {**meta, "loss_sum": ["train/box_loss", "train/obj_loss"]})


def test_a_csv_whose_lr_column_is_the_configured_peak_gives_no_lr_where_the_manifest_says_so():
    # a fine-tuning notebook's per-epoch history: the learning_rate column repeats the peak LR
    # on every row while a linear warmup and decay move the LR the optimizer used
    data = (b"epoch,train_loss,train_acc,test_acc,test_loss,f1_score,batch_size,learning_rate\n"
            b"1,0.45,77.8,86.5,0.25,86.4,32,2e-05\n2,0.24,87.5,87.6,0.24,88.4,32,2e-05\n")
    meta = {"step_key": "epoch", "val_key": "test_loss"}
    assert [r["lr"] for r in read_metrics_csv(data, meta)] == [2e-05, 2e-05]
    rows = read_metrics_csv(data, {**meta, "lr_key": None})
    assert [r["step"] for r in rows] == [1, 2]
    assert [r["loss"] for r in rows] == [0.45, 0.24]
    assert [r["val_loss"] for r in rows] == [0.25, 0.24]
    assert all("lr" not in r for r in rows)


def test_a_per_iteration_csv_with_nan_between_epochs_keeps_only_each_epochs_validation_loss():
    # hypergradient-descent's train.py: one row an iteration, the epoch's validation loss on its
    # last row and `nan` on the others, the LR in a column named Alpha
    data = (b"Epoch,Iteration,Time,Loss,LossEpoch,ValidLossEpoch,Alpha,AlphaEpoch,Beta\n"
            b"0,0,0,2.30,2.30,2.31,0.01,0.01,0.0001\n"
            b"1,2,0.02,2.10,nan,nan,0.01,nan,0.0001\n"
            b"1,3,0.04,1.90,2.00,1.95,0.01,0.01,0.0001\n"
            b"2,4,0.06,nan,nan,nan,0.01,nan,0.0001\n"
            b"2,5,0.08,1.70,1.80,1.75,0.01,0.01,0.0001\n")
    meta = {"loss_key": "Loss", "val_key": "ValidLossEpoch", "step_key": "Iteration",
            "lr_key": "Alpha", "nan_unlogged": ["ValidLossEpoch"]}
    rows = read_metrics_csv(data, meta)
    assert [r["step"] for r in rows] == [0, 2, 3, 4, 5]
    assert [r.get("val_loss") for r in rows] == [2.31, None, 1.95, None, 1.75]
    assert np.isnan(rows[3]["loss"])  # a NaN training loss is still kept as logged
    assert all(r["lr"] == 0.01 for r in rows)
    without = read_metrics_csv(data, {k: v for k, v in meta.items() if k != "nan_unlogged"})
    assert np.isnan(without[1]["val_loss"])  # read as logged, the gaps would be NaN losses
    with pytest.raises(ValueError, match="nan_unlogged names 'ValidLoss'"):
        read_metrics_csv(data, {**meta, "nan_unlogged": ["ValidLoss"]})


def test_a_validation_log_in_a_second_jsonl_file_merges_with_the_per_step_log(tmp_path,
                                                                              monkeypatch):
    # kylianmarceau/transformerLM's train.py: every step's training loss in <run>_steps.jsonl,
    # each evaluation's validation loss in <run>.jsonl, both keyed by step
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "run_steps.jsonl").write_text("".join(
        json.dumps({"step": s, "learning_rate": 1e-3 * s, "train_loss": 9.0 - s,
                    "pre_clip_gradient_norm": 1.0 / s}) + "\n" for s in (1, 2, 3, 4)))
    (repo / "run.jsonl").write_text(
        json.dumps({"step": 2, "train_loss": 7.0, "validation_loss": 7.5}) + "\n"
        + json.dumps({"step": 4, "train_loss": 5.0, "validation_loss": 5.25}) + "\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "logs")
    commit = git(repo, "rev-parse", "HEAD")
    monkeypatch.setenv("LRWATCH_REALWORLD", str(tmp_path / "cache"))
    keys = {"step": "step", "loss": "train_loss", "lr": "learning_rate",
            "grad_norm": "pre_clip_gradient_norm", "val_loss": "validation_loss"}
    manifest = tmp_path / "manifest_r27.jsonl"
    manifest.write_text(manifest_line("two-files", commit, "run_steps.jsonl", "text",
                                      log_syntax="jsonl", jsonl_keys=keys,
                                      merge_paths=["run.jsonl"]) + "\n")

    written, absent = extract([repo / ".git"], manifest)

    assert written == ["two-files"] and absent == []
    run = read_csv(tmp_path / "cache" / "two-files.csv")
    np.testing.assert_array_equal(run["step"], [1, 2, 3, 4])
    np.testing.assert_allclose(run["loss"], [8, 7, 6, 5])
    np.testing.assert_allclose(run["lr"], [1e-3, 2e-3, 3e-3, 4e-3])
    np.testing.assert_allclose(run["grad_norm"], [1, 0.5, 1 / 3, 0.25])
    np.testing.assert_array_equal(run["val_loss"], [np.nan, 7.5, np.nan, 5.25])

    manifest.write_text(manifest_line("two-files", commit, "run_steps.jsonl", "text",
                                      log_syntax="jsonl", jsonl_keys=keys,
                                      merge_paths=["missing.jsonl"]) + "\n")
    with pytest.raises(SystemExit, match=r"two-files .*merge_paths names 'missing\.jsonl'"):
        extract([repo / ".git"], manifest)
    manifest.write_text(manifest_line("two-files", commit, "run_steps.jsonl", "metrics_csv",
                                      merge_paths=["run.jsonl"]) + "\n")
    with pytest.raises(SystemExit, match="merge_paths needs format 'text'"):
        extract([repo / ".git"], manifest)


def test_tensorboard_perplexities_become_their_logs_with_an_overflow_kept_infinite(tmp_path,
                                                                                monkeypatch):
    """A trainer that logs only ``ppl/train`` and ``ppl/val`` (exp of the per-token loss, which
    float32 holds as inf past a loss of about 88.7): ``meta.perplexity`` reads the logs."""
    repo = tmp_path / "repo"
    with SummaryWriter(log_dir=str(repo / "runs/adam_0.1_seed0")) as writer:
        for epoch, (train, val) in enumerate([(400.0, 150.0), (90.0, 60.0),
                                              (float("inf"), float("inf"))]):
            writer.add_scalar("ppl/train", train, epoch)
            writer.add_scalar("ppl/val", val, epoch)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "runs")
    commit = git(repo, "rev-parse", "HEAD")
    event_file = next((repo / "runs/adam_0.1_seed0").iterdir()).relative_to(repo)
    monkeypatch.setenv("LRWATCH_REALWORLD", str(tmp_path / "cache"))
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text(manifest_line("tb-ppl", commit, str(event_file), "tfevents",
                                      loss_key="ppl/train", val_key="ppl/val",
                                      perplexity=True) + "\n")

    assert extract([repo / ".git"], manifest) == (["tb-ppl"], [])

    run = read_csv(tmp_path / "cache" / "tb-ppl.csv")
    np.testing.assert_array_equal(run["step"], [0, 1, 2])
    np.testing.assert_allclose(run["loss"], [np.log(400.0), np.log(90.0), np.inf])
    np.testing.assert_allclose(run["val_loss"], [np.log(150.0), np.log(60.0), np.inf])


def test_an_accuracy_named_in_the_manifest_becomes_a_new_column_and_changes_no_other():
    # sweep round 22: the public sweeps labelled by an accuracy their logs hold keep it
    run = {"train_losses": [2.3, 0.9, 0.5], "test_losses": [2.3, 1.0, 1.1],
           "test_accuracies": [0.1, 0.7, 0.75], "learning_rate": 0.01}
    keys = {"loss": "train_losses", "val_loss": "test_losses", "lr": "learning_rate"}
    before = read_json_history(json.dumps(run).encode(), {"json_keys": keys})
    after = read_json_history(json.dumps(run).encode(),
                              {"json_keys": {**keys, "val_metric": "test_accuracies"}})
    assert [r["val_metric"] for r in after] == [0.1, 0.7, 0.75]
    assert [{k: v for k, v in r.items() if k != "val_metric"} for r in after] == before
    table = "epoch,train_loss,test_loss,test_accuracy\n1,1.5,0.5,86.5\n2,0.4,0.3,90.3\n"
    rows = read_metrics_csv(table.encode(), {"step_key": "epoch", "loss_key": "train_loss",
                                             "val_key": "test_loss",
                                             "val_metric_key": "test_accuracy"})
    assert [r["val_metric"] for r in rows] == [86.5, 90.3]
    assert "val_metric" not in read_metrics_csv(table.encode(), {"step_key": "epoch"})[0]


def test_a_keras_history_keeps_the_accuracy_its_manifest_names_and_changes_no_other_column():
    # sweep round 23: the Keras CIFAR-10 histories (default keys) name val_accuracy in meta
    history = {"loss": [2.1, 1.2, 0.6], "accuracy": [0.3, 0.6, 0.8],
               "val_loss": [1.9, 1.1, 1.4], "val_accuracy": [0.31, 0.6, 0.66]}
    before = read_json_history(json.dumps(history).encode(), {})
    after = read_json_history(json.dumps(history).encode(), {"val_metric_key": "val_accuracy"})
    assert [r["val_metric"] for r in after] == [0.31, 0.6, 0.66]
    assert [{k: v for k, v in r.items() if k != "val_metric"} for r in after] == before
    assert all("val_metric" not in r for r in before)


def test_a_binary_log_of_float32_records_reads_its_named_fields_at_every_nth_step():
    # round 40: a script that packs [train_loss, train_acc, val_loss, val_acc] as float32 at
    # every evaluation (every 200 batches); the accuracies are read and left out
    import struct
    values = [(1.5, 0.4, 1.25, 0.5), (0.75, 0.6, 1.0, 0.625)]
    data = b"".join(struct.pack("<4f", *v) for v in values)
    meta = {"record_fields": ["loss", "train_acc", "val_loss", "val_acc"], "record_every": 200}
    assert read_float32_records(data, meta) == [
        {"step": 200, "loss": 1.5, "val_loss": 1.25}, {"step": 400, "loss": 0.75, "val_loss": 1.0}]
    with pytest.raises(ValueError, match="whole number"):
        read_float32_records(data[:-4], meta)
    with pytest.raises(ValueError, match="record_fields"):
        read_float32_records(data, {"record_every": 200})
