"""The HF/text extractor turns each log syntax into the rows the corpus CSV holds."""

import json
import math
import subprocess

import pytest

from benchmarks.realworld import read_csv
from benchmarks.realworld.extract_hf import decode_text, main, parse, write_csv
from benchmarks.realworld.extract_pl import READERS


def _text(syntax: str, text: str) -> list[dict]:
    return parse({"id": "t", "format": "text", "meta": {"log_syntax": syntax}}, text)


def test_trainer_state_merges_eval_into_the_training_row_of_its_step():
    state = {"log_history": [
        {"step": 10, "loss": 2.0, "learning_rate": 1e-4, "grad_norm": 1.5, "epoch": 0.1},
        {"step": 10, "eval_loss": 2.2, "epoch": 0.1},
        {"step": 20, "loss": 1.5, "learning_rate": 2e-4, "grad_norm": float("nan"), "epoch": 0.2},
        {"step": 20, "train_loss": 1.7, "train_runtime": 3.0},
    ]}
    rows = parse({"id": "t", "format": "trainer_state", "meta": {}}, json.dumps(state))
    assert [r["step"] for r in rows] == [10, 20]
    assert rows[0] == {"step": 10, "loss": 2.0, "lr": 1e-4, "grad_norm": 1.5, "epoch": 0.1,
                       "val_loss": 2.2}
    assert rows[1]["loss"] == 1.5 and math.isnan(rows[1]["grad_norm"])


def test_jsonl_keeps_nan_and_merges_validation_records():
    text = ('{"step": 10, "train_loss": 3.0, "lr": 0.001}\n'
            '{"step": 10, "val_loss": 3.5}\n'
            '{"step": 20, "train_loss": NaN, "lr": 0.001}\n')
    rows = _text("jsonl", text)
    assert rows[0] == {"step": 10, "loss": 3.0, "lr": 0.001, "val_loss": 3.5}
    assert math.isnan(rows[1]["loss"])


def test_word_lm_counts_batches_across_epochs_and_reads_nan():
    text = ("| epoch   1 |   200/ 2983 batches | lr 20.00 | ms/batch  8.41 | loss  7.63 | ppl  2064.78\n"
            "| end of epoch   1 | time: 35.58s | valid loss  5.48 | valid ppl   239.90\n"
            "| epoch   2 |   200/ 2983 batches | lr 5.00 | ms/batch  8.41 | loss   nan | ppl      nan\n")
    rows = _text("word_lm", text)
    assert [r["step"] for r in rows] == [200, 3183]
    assert rows[0]["lr"] == 20.0 and rows[0]["val_loss"] == 5.48
    assert rows[1]["lr"] == 5.0 and math.isnan(rows[1]["loss"])


def test_nanogpt_reads_iter_lines_and_eval_lines():
    text = ("step 0: train loss 10.6895, val loss 10.6778\n"
            "iter 0: loss 10.6813, time 387977.50ms, mfu -100.00%\n"
            "iter 1: loss nan, time 7808.16ms, mfu -100.00%\n")
    rows = _text("nanogpt", text)
    assert rows[0] == {"step": 0, "loss": 10.6813, "val_loss": 10.6778}
    assert math.isnan(rows[1]["loss"])


def test_step_loss_reads_speedrun_and_llmc_lines_but_not_code_echoed_in_the_log():
    text = ("    lr=0.02, step=3, loss=9.0\n"  # source code printed at the top of the log
            "step:0/5100 val_loss:16.0012 train_time:387ms step_avg:nanms\n"
            "step:1/5100 train_loss:15.9932 train_time:23767ms step_avg:nanms\n"
            "s:2 trl:10.8556 lr:0.000003 norm:14.84\n")
    rows = _text("step_loss", text)
    assert [r["step"] for r in rows] == [0, 1, 2]
    assert rows[1]["loss"] == 15.9932
    assert rows[2] == {"step": 2, "loss": 10.8556, "lr": 3e-6, "grad_norm": 14.84}


def test_mainrun_reads_training_steps_and_leaves_out_per_character_validation():
    text = ('{"event": "model_info", "parameters_count": 27172864}\n'
            '{"event": "training_step", "step": 1, "max_steps": 3, "loss": 9.77, "prnt": false}\n'
            '{"event": "validation_step", "step": 1, "max_steps": 3, "loss": 2.04}\n'
            '{"event": "training_step", "step": 2, "max_steps": 3, "loss": NaN, "prnt": false}\n')
    rows = _text("mainrun", text)
    assert [r["step"] for r in rows] == [1, 2] and rows[0] == {"step": 1, "loss": 9.77}
    assert math.isnan(rows[1]["loss"]) and all("val_loss" not in r for r in rows)


def test_rwthlm_turns_each_batch_perplexity_into_its_log_and_keeps_inf():
    text = ("Training ...\ntraining perplexity = 5853.96\ntime = 19.9 seconds\n"
            "training perplexity = 339460.43\ntraining perplexity = inf\n")
    rows = _text("rwthlm", text)
    assert [r["step"] for r in rows] == [0, 1, 2]
    assert rows[0]["loss"] == pytest.approx(math.log(5853.96))
    assert rows[1]["loss"] == pytest.approx(math.log(339460.43))
    assert rows[2]["loss"] == math.inf


def test_unknown_syntax_is_refused_with_the_choices():
    with pytest.raises(SystemExit, match="use one of"):
        _text("tensorboard", "")


def test_csv_leaves_out_eval_only_steps_and_round_trips(tmp_path):
    rows = [{"step": 1.0, "loss": 2.0, "lr": 0.1}, {"step": 2.0, "val_loss": 1.0},
            {"step": 3.0, "loss": float("nan")}]
    write_csv(tmp_path / "r.csv", rows)
    cols = read_csv(tmp_path / "r.csv")
    assert list(cols) == ["step", "loss", "lr", "val_loss"]
    assert list(cols["step"]) == [1, 3] and math.isnan(cols["loss"][1])


def test_main_extracts_a_manifest_run_from_a_git_snapshot(tmp_path, monkeypatch, capsys):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "trainer_state.json").write_text(json.dumps(
        {"log_history": [{"step": 5, "loss": 1.0}, {"step": 10, "loss": 0.5}]}))
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "x"], check=True)
    commit = subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True, text=True).stdout
    manifest = tmp_path / "manifest_hf.jsonl"
    manifest.write_text(json.dumps({"id": "hf-t", "repo": "o/r", "commit": commit.strip(),
                                    "path": "trainer_state.json", "format": "trainer_state"})
                        + "\n" + json.dumps({"id": "hf-absent", "repo": "o/x", "commit": "0" * 40,
                                             "path": "a.json", "format": "trainer_state"}) + "\n")
    monkeypatch.setattr("benchmarks.realworld.extract_hf.MANIFEST", manifest)
    monkeypatch.setenv("LRWATCH_REALWORLD", str(tmp_path / "cache"))
    assert main([str(repo / ".git")]) == 0
    assert "1 not in these snapshots: hf-absent" in capsys.readouterr().out
    assert list(read_csv(tmp_path / "cache" / "hf-t.csv")["loss"]) == [1.0, 0.5]
    assert main([str(tmp_path / "nowhere")]) == 2


GRID_PRINTOUT = """Evaluating Config #1 [of 12]:
 {'learning_rate': 0.01, 'reg': 0.001}
(Epoch 1 / 10) train loss: 16.580197; val loss: 30.1
(Epoch 2 / 10) train loss: nan; val loss: 36.651682
Evaluating Config #2 [of 12]:
 {'learning_rate': 0.0001, 'reg': 0.001}
(Epoch 1 / 10) train loss: 2.264190; val loss: 2.1
(Epoch 2 / 10) train loss: 1.440912; val loss: 1.852264
Evaluating Config #12 [of 12]:
 {'learning_rate': 1e-05, 'reg': 0.001}
(Epoch 1 / 10) train loss: 2.301941; val loss: 2.3
"""


def test_one_config_of_a_grid_search_printout_is_read_by_its_section():
    def run(start: str) -> list[dict]:
        meta = {"log_syntax": "epoch_train_val", "text_section": [start, "Evaluating Config"]}
        return parse({"id": "t", "format": "text", "meta": meta}, GRID_PRINTOUT)

    second = run("Evaluating Config #2 [")
    assert [(r["step"], r["loss"], r["val_loss"]) for r in second] == [
        (1, 2.264190, 2.1), (2, 1.440912, 1.852264)]
    first = run("Evaluating Config #1 [")  # not #12's lines
    assert [r["step"] for r in first] == [1, 2] and math.isnan(first[1]["loss"])
    assert [r["loss"] for r in run("Evaluating Config #12 [")] == [2.301941]
    with pytest.raises(ValueError, match="#7 \\["):
        run("Evaluating Config #7 [")


def test_jsonl_records_that_name_their_kind_keep_validation_loss_apart():
    # a training loop writing {"split": "train"|"val", "loss": ...} or {"event": ...} records
    text = ('{"step": 500, "split": "train", "loss": 2.40, "lr": 0.0005}\n'
            '{"step": 500, "split": "val", "loss": 2.37, "lr": 0.0005}\n'
            '{"step": 510, "split": "train", "loss": 2.35, "lr": 0.0005}\n'
            '{"step": 510, "split": "divergence", "reason": "loss above threshold"}\n')
    meta = {"log_syntax": "jsonl", "record_kind_key": "split"}
    rows = parse({"id": "t", "format": "text", "meta": meta}, text)
    assert rows == [{"step": 500, "loss": 2.40, "lr": 0.0005, "val_loss": 2.37},
                    {"step": 510, "loss": 2.35, "lr": 0.0005}]
    # without the key the validation loss would overwrite the training loss of its step
    assert _text("jsonl", text)[0]["loss"] == 2.37


def test_pytorch_mnist_counts_optimizer_steps_by_the_batch_size_and_reads_the_test_loss():
    log = ("## LR = 0.01\nTrain Epoch: 1 [0/60000 (0%)]\tLoss: 2.310461\n"
           "Train Epoch: 1 [57600/60000 (96%)]      Loss: 0.219308\n\n"
           "Test set: Average loss: 0.1108, Accuracy: 9651/10000 (96.51%)\n\n"
           "Train Epoch: 2 [6400/60000 (11%)]       Loss: nan\n### Conclusions\n"
           "Train Epoch: 3 [0/60000 (0%)]   Loss: 0.5\n")
    meta = {"log_syntax": "pytorch_mnist", "batch_size": 64,
            "text_section": ["## LR = 0.01", "## "]}
    rows = parse({"id": "t", "format": "text", "meta": meta}, log)
    assert [r["step"] for r in rows] == [0, 900, 938 + 100]  # 938 batches of 64 an epoch
    assert rows[1]["val_loss"] == 0.1108 and "val_loss" not in rows[0]
    assert math.isnan(rows[2]["loss"]) and rows[2]["epoch"] == 1 + 6400 / 60000
    with pytest.raises(ValueError, match="meta.batch_size"):
        parse({"id": "t", "format": "text", "meta": {"log_syntax": "pytorch_mnist"}}, log)


def test_spark_loss_history_runs_are_cut_apart_by_the_accuracy_line_printed_after_each():
    # Spark MLlib gradient descent prints a run's losses, then the script's accuracy line
    log = ("18/02/26 INFO SparkContext: Running Spark version 2.0.0\n"
           "Loss in iteration 1 : 0.693147180560079\nLoss in iteration 2 : 0.5309\n"
           "Testing accuracy  of updater 0 on alg 0 with rate 1.0 = 0.85, training accuracy 0.84\n"
           "Loss in iteration 1 : 0.693147180560079\nLoss in iteration 2 : NaN\n"
           "Testing accuracy  of updater 0 on alg 0 with rate 10.0 = 0.24, training accuracy 0.24\n")
    first = {"log_syntax": "loss_in_iteration",
             "text_section": ["Loss in iteration 1 :", "Testing accuracy"]}
    second = {"log_syntax": "loss_in_iteration",
              "text_section": ["of updater 0 on alg 0 with rate 1.0 =", "Testing accuracy"]}
    rows = parse({"id": "t", "format": "text", "meta": first}, log)
    assert rows == [{"step": 1, "loss": 0.693147180560079}, {"step": 2, "loss": 0.5309}]
    rows = parse({"id": "t", "format": "text", "meta": second}, log)
    assert [r["step"] for r in rows] == [1, 2] and math.isnan(rows[1]["loss"])


def test_a_notebook_saved_on_one_line_is_read_by_its_printed_output_lines():
    printed = ["Evaluating Config #1 [of 2]:\n", " {'learning_rate': 0.01}\n",
               "(Epoch 1 / 10) train loss: 2.302800; val loss: 2.302400\n",
               "(Epoch 2 / 10) train loss: 2.550600; val loss: nan\n",
               "Evaluating Config #2 [of 2]:\n", " {'learning_rate': 0.001}\n",
               "(Epoch 1 / 10) train loss: 2.302700; val loss: 2.302800\n", "Search done.\n"]
    notebook = json.dumps({"cells": [
        {"cell_type": "markdown", "source": ["(Epoch 9 / 10) train loss: 9.0; val loss: 9.0"]},
        {"cell_type": "code", "source": ["grid_search(...)"],
         "outputs": [{"output_type": "stream", "name": "stdout", "text": printed}]}]})
    assert "\n" not in notebook  # one JSON line, as Colab saves it
    meta = {"log_syntax": "epoch_train_val", "notebook_outputs": True,
            "text_section": ["Evaluating Config #1 [of 2]", "Evaluating Config"]}
    rows = parse({"id": "t", "format": "text", "meta": meta}, notebook)
    assert [(r["step"], r["loss"]) for r in rows] == [(1.0, 2.3028), (2.0, 2.5506)]
    assert math.isnan(rows[1]["val_loss"])  # the markdown cell's text is not output
    meta["text_section"] = ["Evaluating Config #2 [of 2]", "Search done"]
    second = parse({"id": "t", "format": "text", "meta": meta}, notebook)
    assert [r["loss"] for r in second] == [2.3027]
    with pytest.raises(ValueError, match="not a notebook"):
        parse({"id": "t", "format": "text", "meta": meta}, "(Epoch 1 / 10) train loss: 1")


def test_jsonl_loss_logged_as_parts_is_their_weighted_sum_and_named_keys_pick_columns():
    # a loop that logs the optimized loss as parts (vol + 10 * surf) and a validation loss per
    # split in a nested record, with its optimizer step under its own name
    epoch = {"event": "epoch", "epoch": 1, "ema_step": 375, "lr": 0.003,
             "train/vol_loss": 0.5, "train/surf_loss": 0.25, "grad_norm/mean": 12.0,
             "val_splits": {"a": {"loss": 1.0}, "b": {"loss": 2.0}}}
    text = "\n".join(json.dumps(r) for r in (
        {"event": "config", "lr": 0.003},
        epoch,
        {**epoch, "epoch": 2, "ema_step": 750, "train/surf_loss": float("nan")},
        {"event": "test", "test_avg": {"loss": 0.1}}))
    meta = {"log_syntax": "jsonl",
            "jsonl_keys": {"step": "ema_step", "lr": "lr", "epoch": "epoch",
                           "grad_norm": "grad_norm/mean"},
            "loss_terms": {"train/vol_loss": 1.0, "train/surf_loss": 10.0},
            "val_terms": {"val_splits.a.loss": 0.5, "val_splits.b.loss": 0.5}}
    rows = parse({"id": "t", "format": "text", "meta": meta}, text)
    assert rows[0] == {"step": 375, "lr": 0.003, "epoch": 1, "grad_norm": 12.0,
                       "loss": 3.0, "val_loss": 1.5}
    assert rows[1]["step"] == 750 and math.isnan(rows[1]["loss"])
    assert len(rows) == 2  # the config and test records have no step
    by_epoch = {**meta, "jsonl_keys": {"step": "epoch"}, "steps_per_epoch": 375}
    rows = parse({"id": "t", "format": "text", "meta": by_epoch}, text)
    assert [r["step"] for r in rows] == [375, 750] and "lr" not in rows[0]
    with pytest.raises(ValueError, match="unknown columns"):
        parse({"id": "t", "format": "text",
               "meta": {**meta, "jsonl_keys": {"speed": "seconds"}}}, text)


def test_a_json_array_of_epoch_records_reads_its_named_columns():
    # a script's own metrics.json: one record an epoch, its validation loss under dev_loss
    text = json.dumps([{"epoch": 1, "train_loss": 6.96, "dev_loss": 6.3863, "dev_ppl": 593.65},
                       {"epoch": 2, "train_loss": 6.2917, "dev_loss": 6.1797, "dev_ppl": 482.83}],
                      indent=4)
    meta = {"log_syntax": "json_records",
            "jsonl_keys": {"step": "epoch", "epoch": "epoch", "loss": "train_loss",
                           "val_loss": "dev_loss"}}
    rows = parse({"id": "t", "format": "text", "meta": meta}, text)
    assert rows == [{"step": 1, "epoch": 1, "loss": 6.96, "val_loss": 6.3863},
                    {"step": 2, "epoch": 2, "loss": 6.2917, "val_loss": 6.1797}]
    # without the keys no record has a step, so nothing is read
    assert parse({"id": "t", "format": "text", "meta": {"log_syntax": "json_records"}},
                 text) == []


def test_a_powershell_utf16_log_reads_like_its_utf8_text():
    # train.py's output piped through PowerShell's Out-File: UTF-16 with a byte-order mark,
    # CRLF line ends, the run's arguments first and test.py's accuracy appended after training
    text = ("Namespace(n=3, batch=128, lr=0.1, momentum=0.9, n_iter=64000, optimizer='sgd')\r\n"
            "Total number of parameters : 0.270 M\r\n"
            "iter:     10, loss: 2.493077850341797\r\n"
            "iter:     20, loss: 2.2552029609680178\r\n"
            "model saved to checkpoint_sgd_0.1\\model_final.pth\r\n"
            "accuracy: 88.92 %\r\n")
    data = text.encode("utf-16")  # a byte-order mark, then UTF-16 in this machine's order
    assert data[:2] in (b"\xff\xfe", b"\xfe\xff") and decode_text(data) == text
    assert decode_text(b"\xef\xbb\xbf" + text.encode()) == text == decode_text(text.encode())
    rows = READERS["text"](data, {"log_syntax": "step_loss"})
    assert rows == [{"step": 10, "loss": 2.493077850341797},
                    {"step": 20, "loss": 2.2552029609680178}]


def test_a_per_epoch_perplexity_log_reads_as_log_perplexity_losses_by_epochs_done():
    # log.txt of the IFT6135 PTB assignment's ptb-lm.py: epochs counted from 0, tab-separated
    log = ("epoch: 0\ttrain ppl: 1096.6331584284585\tval ppl: 403.4287934927351\t"
           "best val: 403.4287934927351\ttime (s) spent in epoch: 70.4\n"
           "epoch: 1\ttrain ppl: 148.4131591025766\tval ppl: inf\tbest val: 403.43\t"
           "time (s) spent in epoch: 70.1\n"
           "epoch: 2\ttrain ppl: nan\tval ppl: nan\tbest val: 403.43\t"
           "time (s) spent in epoch: 69.9\n")
    rows = _text("epoch_ppl", log)
    assert [r["step"] for r in rows] == [1, 2, 3] and [r["epoch"] for r in rows] == [1, 2, 3]
    assert rows[0]["loss"] == pytest.approx(7.0) and rows[0]["val_loss"] == pytest.approx(6.0)
    assert rows[1]["loss"] == pytest.approx(5.0) and rows[1]["val_loss"] == math.inf
    assert math.isnan(rows[2]["loss"]) and math.isnan(rows[2]["val_loss"])


def test_a_model_cards_training_results_table_reads_each_evaluation_row():
    # a Hugging Face Trainer's generated model card: "No log" where no training loss was logged
    # before the evaluation; the metrics table after the training results is not read
    card = ("---\nlicense: apache-2.0\n---\n# t5-small-finetuned\n"
            "| metric | value |\n|---|---|\n| Loss | 2.31 |\n\n"
            "### Training results\n\n"
            "| Training Loss | Epoch | Step  | Validation Loss | Rouge1  |\n"
            "|:-------------:|:-----:|:-----:|:---------------:|:-------:|\n"
            "| No log        | 0.25  | 500   | 2.9708          | 22.0519 |\n"
            "| 3.1153        | 0.5   | 1000  | 2.9099          | 20.2838 |\n"
            "| nan           | 0.75  | 1500  | nan             | 0.0     |\n\n"
            "### Framework versions\n\n| Transformers | 4.18.0 |\n")
    rows = _text("hf_model_card", card)
    assert [r["step"] for r in rows] == [500, 1000, 1500]
    assert "loss" not in rows[0] and rows[0]["val_loss"] == pytest.approx(2.9708)
    assert rows[1] == {"step": 1000, "loss": 3.1153, "val_loss": 2.9099, "epoch": 0.5}
    assert math.isnan(rows[2]["loss"]) and math.isnan(rows[2]["val_loss"])
    assert _text("hf_model_card", "# a card\n\nNo training results.\n") == []


def test_per_epoch_lists_read_the_chosen_executions_line_of_each_block():
    # a results/*.txt of pedro-dreyer/masters_code: parameters, then one line per execution
    log = ("parameters\nadam_lr:0.005\nexecutions:2\n\n"
           "train_loss\n2.155,1.843,nan\n2.094,1.809,1.561\n\n"
           "train_acc1\n15.82,25.716,37.91\n17.464,26.2,39.336\n\n"
           "val_acc1\n21.11,30.36,36.85\n21.69,29.98,42.01\n\n"
           "val_loss\n1.884,1.862,1.922\n1.891,1.765,1.616\n\n"
           "learning_rate\n0.005,0.005,0.005\n0.005,0.005,0.005\n\n")
    first = parse({"id": "t", "format": "text",
                   "meta": {"log_syntax": "epoch_lists"}}, log)
    assert [r["step"] for r in first] == [1, 2, 3] and [r["epoch"] for r in first] == [1, 2, 3]
    assert first[0] == {"step": 1, "loss": 2.155, "epoch": 1, "val_loss": 1.884,
                        "val_metric": 21.11, "lr": 0.005}
    assert math.isnan(first[2]["loss"])
    second = parse({"id": "t", "format": "text",
                    "meta": {"log_syntax": "epoch_lists", "execution": 1}}, log)
    assert [r["loss"] for r in second] == [2.094, 1.809, 1.561]
    assert second[2]["val_loss"] == 1.616 and second[2]["val_metric"] == 42.01
    with pytest.raises(ValueError, match="meta.execution 2"):
        parse({"id": "t", "format": "text",
               "meta": {"log_syntax": "epoch_lists", "execution": 2}}, log)


def test_a_keras_fit_printout_reads_each_epochs_last_metrics_and_stops_at_the_next_fit():
    bar = "\x1b[1m96/96\x1b[0m \x1b[32m━━━━\x1b[0m \x1b[1m51s\x1b[0m 1s/step"
    nb = {"cells": [{"cell_type": "code", "source": ["print(1)"], "outputs": [
        {"output_type": "stream", "name": "stdout", "text": [
            "0.001\n", "Epoch 1/2\n",
            "10/96 [=>...] - ETA: 9s - loss: 2.9000 - accuracy: 0.1\r"
            "96/96 [======] - 16s 166ms/step - loss: 1.2568 - accuracy: 0.6698"
            " - val_loss: 0.8537 - val_accuracy: 0.7449\n",
            "Epoch 2/2\n",
            "96/96 [======] - 16s - loss: nan - accuracy: 0.8188 - val_loss: nan"
            " - val_accuracy: 0.1000\n",
            "0.1\n", "Epoch 1/2\n",
            f"{bar} - accuracy: 0.6 - loss: 10.4920 - val_accuracy: 0.75 - val_loss: 6.0144\n",
            "Epoch 2/2\n", "  Train Loss: 5.2193, Train Acc: 0.70\n",
            "  Val Loss: 7.3142, Val Acc: 0.7566\n", "0.5\n", "Epoch 1/2\n",
            "96/96 - loss: 9.0 - val_loss: 9.0\n"]}]}]}
    text = json.dumps(nb)
    meta = {"log_syntax": "keras_fit", "notebook_outputs": True, "text_section_regex": True,
            "text_section": [r"^0\.001$", "(?!)"]}
    rows = parse({"id": "t", "format": "text", "meta": meta}, text)
    assert [r["step"] for r in rows] == [1, 2]  # the next fit (0.1) is not this run's
    assert rows[0] == {"step": 1, "epoch": 1, "loss": 1.2568, "val_loss": 0.8537,
                       "val_metric": 0.7449}
    assert math.isnan(rows[1]["loss"]) and math.isnan(rows[1]["val_loss"])
    # a whole-line marker: "0.1" also occurs inside "0.1000" above, which a plain one would hit
    meta["text_section"] = [r"^0\.1$", r"^0\.5$"]
    rows = parse({"id": "t", "format": "text", "meta": meta}, text)
    assert rows == [{"step": 1, "epoch": 1, "loss": 10.492, "val_loss": 6.0144,
                     "val_metric": 0.75},
                    {"step": 2, "epoch": 2, "loss": 5.2193, "val_loss": 7.3142,
                     "val_metric": 0.7566}]
    plain = dict(meta, text_section_regex=False, text_section=["0.1", "0.5"])
    assert parse({"id": "t", "format": "text", "meta": plain}, text) != rows
