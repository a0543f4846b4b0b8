"""Plain-text training logs: the layouts recognised by themselves, --pattern, and files
that are not logs. Each fixture prints lines the way its script's print statement does."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from lrwatch.errors import ConfigError, InputError
from lrwatch.readers import find_runs, read_run
from lrwatch.readers.textlog import QUICK_SNIFF_BYTES, SNIFF_BYTES, read_text_log
from tests.helpers.cli import run_cli

# the example a one-line error about --pattern ends with
PATTERN_EXAMPLE = ("--pattern 'step (?P<step>\\d+).*loss (?P<loss>[-+.0-9eE]+|nan)"
                   ".*lr (?P<lr>[-+.0-9eE]+)'")


def nanogpt_log(path, iters=300, eval_interval=100):
    """nanoGPT train.py: its configuration first, then iteration and evaluation lines."""
    lines = ["Overriding config with config/train_shakespeare_char.py:",
             "tokens per iteration will be: 16,384", "number of parameters: 10.65M",
             "compiling the model... (takes a ~minute)"]
    for i in range(0, iters, 10):
        if i % eval_interval == 0:
            lines.append(f"step {i}: train loss {4.2 - i / 100:.4f}, val loss {4.3 - i / 120:.4f}")
        lines.append(f"iter {i}: loss {4.2 * math.exp(-i / 200):.4f}, time {12.34:.2f}ms, "
                     f"mfu {1.2:.2f}%")
    path.write_text("\n".join(lines) + "\n")
    return path


def wlm_log(path, epochs=2, batches=2983, interval=200):
    """pytorch/examples word_language_model/main.py, its print format strings."""
    lines = []
    for epoch in range(1, epochs + 1):
        lr = 20 / 4 ** (epoch - 1)
        for batch in range(interval, batches, interval):
            loss = 7.6 - epoch - batch / 2000
            lines.append("| epoch {:3d} | {:5d}/{:5d} batches | lr {:02.2f} | ms/batch {:5.2f} | "
                         "loss {:5.2f} | ppl {:8.2f}".format(epoch, batch, batches, lr, 45.1,
                                                             loss, math.exp(loss)))
        lines.append("-" * 89)
        lines.append("| end of epoch {:3d} | time: {:5.2f}s | valid loss {:5.2f} | "
                     "valid ppl {:8.2f}".format(epoch, 132.5, 5.5 - epoch / 10, 250.0))
        lines.append("-" * 89)
    path.write_text("\n".join(lines) + "\n")
    return path


def test_nanogpt_iterations_and_evaluations(tmp_path):
    path = nanogpt_log(tmp_path / "train.log")
    (run,) = find_runs(path)
    assert (run.name, run.format) == ("train", "text")
    result = read_run(run)
    np.testing.assert_array_equal(result.curves.loss.steps, np.arange(0, 300, 10))
    np.testing.assert_allclose(result.curves.loss.values,
                               np.round(4.2 * np.exp(-np.arange(0, 300, 10) / 200), 4))
    np.testing.assert_array_equal(result.curves.val_loss.steps, [0, 100, 200])
    assert result.curves.lr is None
    assert result.notes[0] == "read as a text log (nanogpt)"
    assert any("no learning-rate column" in n for n in result.notes)


def test_word_language_model_steps_count_batches_over_epochs(tmp_path):
    result = read_run(find_runs(wlm_log(tmp_path / "wlm.txt"))[0])
    steps = result.curves.loss.steps
    assert steps[0] == 200 and steps[14] == 2983 + 200  # epoch 2, batch 200
    lr = dict(zip(result.curves.lr.steps, result.curves.lr.values))
    assert (lr[200], lr[2983 + 200]) == (20.0, 5.0)
    np.testing.assert_array_equal(result.curves.val_loss.steps, [2983, 2 * 2983])
    np.testing.assert_allclose(result.curves.val_loss.values, [5.4, 5.3])


def test_lines_behind_a_prefix_are_read_too(tmp_path):
    """Job runners stamp each line; some forks print ``perplexity`` for ``ppl``."""
    path = tmp_path / "job.log"
    path.write_text(
        "2023-02-27 20:33:05 - Job run bootstrap complete.\n"
        "2023-02-27 20:33:31 - | epoch   1 |   200/ 2983 batches | lr 20.00 | ms/batch  8.41 | "
        "loss  7.63 | perplexity  2064.78\n"
        "2023-02-27 20:33:32 - | epoch   1 |   400/ 2983 batches | lr 20.00 | ms/batch  8.23 | "
        "loss  6.86 | perplexity   949.18\n"
        "[rank0]: iter 5: loss 4.0000, time 1.00ms, mfu 1.00%\n")
    result = read_run(find_runs(path)[0])
    assert result.notes[0] == "read as a text log (word_language_model)"
    np.testing.assert_array_equal(result.curves.loss.steps, [200, 400])
    np.testing.assert_array_equal(result.curves.loss.values, [7.63, 6.86])


def test_printed_hugging_face_dicts_are_read_in_their_order(tmp_path):
    lines = [str({"loss": round(2.1 - i / 100, 4), "grad_norm": 1.3 + i / 10,
                  "learning_rate": 2e-05 * (1 - i / 40), "epoch": round(i / 40, 2)})
             for i in range(30)]
    lines.insert(10, " 33%|███▎      | 10/30 [00:05<00:10,  2.0it/s]\r" + lines.pop(10))
    lines.append(str({"eval_loss": 1.5, "eval_runtime": 2.0, "epoch": 0.75}))
    lines.append(str({"train_runtime": 20.0, "train_samples_per_second": 9.1,
                      "train_loss": 1.8, "epoch": 0.75}))
    path = tmp_path / "stdout.txt"
    path.write_text("\n".join(lines) + "\n")
    result = read_run(find_runs(path)[0])
    np.testing.assert_array_equal(result.curves.loss.steps, np.arange(30))
    assert result.curves.loss.values[10] == 2.0  # the line behind a progress bar
    assert result.curves.lr.values[0] == 2e-05 and len(result.curves.grad_norm) == 30
    np.testing.assert_array_equal(result.curves.val_loss.steps, [30])
    summary_train_loss = 1.8  # the summary's train_loss is no point of the curve
    assert summary_train_loss not in result.curves.loss.values
    assert any("the step is the entry's order" in n for n in result.notes)


def test_pattern_reads_any_layout_with_named_groups(tmp_path, capsys):
    path = tmp_path / "run.out"
    path.write_text("".join(f"[rank0] step={s} lr={0.1:.3g} loss={2 * math.exp(-s / 300):.5f} "
                            f"gnorm={1.5:.2f}\n" for s in range(0, 600, 2)))
    pattern = (r"step=(?P<step>\d+) lr=(?P<lr>\S+) loss=(?P<loss>\S+) "
               r"gnorm=(?P<grad_norm>\S+)")
    result = read_run(find_runs(path, pattern=pattern)[0], pattern=pattern)
    np.testing.assert_array_equal(result.curves.loss.steps, np.arange(0, 600, 2))
    assert result.curves.lr.values[0] == 0.1 and len(result.curves.grad_norm) == 300
    code, out, err = run_cli(capsys, str(path), "--pattern", pattern, "--json")
    (entry,) = json.loads(out)["runs"]
    assert code == 0 and entry["error"] is None, err
    assert entry["columns"] == {"loss": "loss", "lr": "lr", "grad_norm": "grad_norm"}
    assert entry["current_lr"] == 0.1


def test_a_pattern_without_step_counts_matching_lines(tmp_path):
    path = tmp_path / "losses.txt"
    path.write_text("".join(f"loss: {v}\n" for v in (3.0, 2.5, 2.0)))
    result = read_run(find_runs(path)[0], pattern=r"loss: (?P<loss>\S+)")
    np.testing.assert_array_equal(result.curves.loss.steps, [0, 1, 2])
    np.testing.assert_array_equal(result.curves.loss.values, [3.0, 2.5, 2.0])


def test_a_pattern_group_that_takes_no_number_is_said_never_read_as_nan(tmp_path, capsys):
    # the README's example pattern on lines with a comma after the loss: '\S+' takes '2.4000,';
    # read as NaN, every point was a blow-up and the run "diverging" from its first step
    path = tmp_path / "train.log"
    path.write_text("".join(f"step {s} loss {2.3 * math.exp(-s / 80) + 0.1:.4f}, lr 0.001\n"
                            for s in range(200)))
    code, out, err = run_cli(capsys, str(path), "--pattern",
                             r"step (?P<step>\d+) loss (?P<loss>\S+) lr (?P<lr>\S+)")
    assert (code, out) == (1, "")
    assert re.fullmatch(r"InputError: \S+train\.log: the loss group of the pattern .* matched "
                        r"200 lines but never a number \(e\.g\. '2\.4000,', '2\.3714,', "
                        r"'2\.3432,'\): narrow the group to the number, e\.g\. "
                        r"\(\?P<loss>\[-\+\.0-9eE\]\+\|nan\|inf\)\n", err), err


def test_a_pattern_group_skips_the_text_it_took_and_says_how_much(tmp_path):
    path = tmp_path / "train.log"
    path.write_text("".join(f"step {s} loss {'n/a' if s % 50 == 0 else 2.0 - s / 100}\n"
                            for s in range(200)))
    result = read_run(find_runs(path)[0], pattern=r"step (?P<step>\d+) loss (?P<loss>\S+)")
    assert len(result.curves.loss) == 196 and np.isfinite(result.curves.loss.values).all()
    assert 0 not in result.curves.loss.steps
    assert any(n.startswith("ignored 4 values of the pattern's loss group that are not "
                            "numbers (e.g. 'n/a'); where they hold one, narrow the group")
               for n in result.notes), result.notes


def test_a_pattern_step_that_is_no_whole_number_is_left_out_not_truncated(tmp_path):
    # steps 0.1, 0.2 ... truncated to int were 10 points on each step, 9 of them overwritten
    path = tmp_path / "train.log"
    path.write_text("".join(f"step {s / 10} loss {2.0 - s / 100}\n" for s in range(100)))
    result = read_run(find_runs(path)[0], pattern=r"step (?P<step>\S+) loss (?P<loss>\S+)")
    np.testing.assert_array_equal(result.curves.loss.steps, np.arange(10))
    np.testing.assert_allclose(result.curves.loss.values, 2.0 - np.arange(0, 100, 10) / 100)
    assert "ignored 90 lines whose step is not a whole number" in result.notes
    assert not any("logged again" in n for n in result.notes)


@pytest.mark.parametrize(("pattern", "message"), [
    ("loss=(?P<loss>\\S+", r"^ConfigError: the pattern 'loss=\(\?P<loss>\\\\S\+' "
                          r"\(pattern= / --pattern\) is not a valid regular expression "
                          r"\(missing \), unterminated subpattern"),
    ("loss=(?P<value>\\S+)", r"^ConfigError: the pattern 'loss=\(\?P<value>\\\\S\+\)' "
                             r"\(pattern= / --pattern\) has no \(\?P<loss>\.\.\.\) group"),
])
def test_a_bad_pattern_is_a_one_line_usage_error(tmp_path, capsys, pattern, message):
    path = nanogpt_log(tmp_path / "train.log")
    code, out, err = run_cli(capsys, str(path), "--pattern", pattern)
    assert (code, out, err.count("\n")) == (1, "", 1)
    assert err.rstrip("\n").endswith(PATTERN_EXAMPLE)
    assert re.match(message, err), err
    with pytest.raises(ConfigError):
        find_runs(tmp_path, pattern=pattern)


def test_a_log_in_no_known_layout_says_to_pass_pattern(tmp_path, capsys):
    path = tmp_path / "train.log"
    path.write_text("".join(f"[train] it={i} objective={2 - i / 100:.3f}\n" for i in range(50)))
    code, out, err = run_cli(capsys, str(path))
    assert (code, out) == (1, "")
    assert err == (f"InputError: {path} matches no known log layout (nanogpt, "
                   "word_language_model, hf_dicts, keras, fairseq, megatron, llmc, "
                   "modded_nanogpt, timm, mmengine, litgpt, torchvision, composer, olmo) and names "
                   "no loss on 3+ lines ('loss: 2.31'): pass --pattern with named groups, "
                   f"e.g. {PATTERN_EXAMPLE}\n")
    code, out, err = run_cli(capsys, str(path), "--pattern", r"objective=(?P<loss>\S+)")
    assert code == 0, err


def keras_log(path, epochs=30, batches=1875, keras3=False):
    """What Keras's model.fit(verbose=1) prints, as a captured stdout holds it: the progress bar
    redrawn behind carriage returns, each epoch's summary at N/N, then model.evaluate's bar."""
    bar = "━" * 20 if keras3 else "[==============================]"
    lines = []
    for epoch in range(1, epochs + 1):
        loss, lr = 2.3 * math.exp(-epoch / 8) + 0.3, 1e-3 / 2 ** (epoch // 10)
        lr_cell = f" - learning_rate: {lr:.4e}" if keras3 else f" - lr: {lr:.4e}"
        partial = "\r".join(f"{done:4d}/{batches} {bar} - ETA: 2s - loss: {loss + 1:.4f}"
                            for done in (32, 640))
        summary = f"{batches}/{batches} {bar} - 3s 2ms/step - loss: {loss:.4f} - accuracy: 0.9"
        if keras3:  # Keras 3 ends the bar before validation, then redraws it with val_ metrics
            partial += f"\r{summary}"
        lines += [f"Epoch {epoch}/{epochs}", partial + f"\r{summary} - val_loss: "
                  f"{loss + 0.1:.4f} - val_accuracy: 0.88{lr_cell}"]
    lines.append(f"313/313 {bar} - 0s 1ms/step - loss: 9.9999 - accuracy: 0.1")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("keras3", [False, True])
def test_keras_fit_output_gives_one_point_per_epoch(tmp_path, keras3):
    path = keras_log(tmp_path / "fit.txt", keras3=keras3)
    result = read_run(find_runs(path)[0])
    epochs = np.arange(1, 31)
    expected = np.round(2.3 * np.exp(-epochs / 8) + 0.3, 4)
    np.testing.assert_array_equal(result.curves.loss.steps, epochs)
    np.testing.assert_allclose(result.curves.loss.values, expected)  # no partial bar, no evaluate
    np.testing.assert_allclose(result.curves.val_loss.values, np.round(expected + 0.1, 4))
    np.testing.assert_allclose(result.curves.lr.values, 1e-3 / 2 ** (epochs // 10), rtol=1e-4)
    assert result.curves.epoch_points
    assert result.notes[0] == "read as a text log (keras)"
    assert not any("logged again" in note for note in result.notes)


@pytest.mark.parametrize("summary", [
    " - 1s - loss: {loss:.4f} - acc: 0.5",  # Keras before 2.3
    "27/27 - 5s - 172ms/step - accuracy: 0.53 - loss: {loss:.4f} - val_accuracy: 0.44 - "
    "val_loss: 0.6982 - learning_rate: 5.0000e-04",  # Keras 3
])
def test_keras_verbose_2_is_read_too(tmp_path, summary):
    path = tmp_path / "keras.log"
    path.write_text("".join(f"Epoch {e}/20\n{summary.format(loss=1 / e)}\n" for e in range(1, 21)))
    result = read_run(find_runs(path)[0])
    np.testing.assert_array_equal(result.curves.loss.steps, np.arange(1, 21))
    np.testing.assert_allclose(result.curves.loss.values, np.round(1 / np.arange(1, 21), 4))


def test_a_folder_walk_takes_only_text_files_in_a_known_layout(tmp_path):
    (tmp_path / "exp").mkdir()
    nanogpt_log(tmp_path / "exp" / "train.log")
    (tmp_path / "exp" / "README.txt").write_text("How to run: python train.py\n")
    (tmp_path / "requirements.txt").write_text("torch>=2\nnumpy\n")
    wlm_log(tmp_path / "wlm.txt")
    runs = find_runs(tmp_path)
    assert [(r.name, r.format) for r in runs] == [
        ("wlm", "text"), (f"{tmp_path.name}/exp/train", "text")]
    (tmp_path / "exp" / "README.txt").unlink()
    (tmp_path / "exp" / "train.log").unlink()
    (tmp_path / "wlm.txt").unlink()
    with pytest.raises(InputError, match="no logs in"):
        find_runs(tmp_path)


def test_a_git_lfs_pointer_in_place_of_a_csv_says_to_pull(tmp_path, capsys):
    path = tmp_path / "lightning_logs" / "version_0" / "metrics.csv"
    path.parent.mkdir(parents=True)
    path.write_text("version https://git-lfs.github.com/spec/v1\n"
                    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
                    "size 48213\n")
    for given in (path, path.parent):
        code, out, err = run_cli(capsys, str(given))
        assert (code, out) == (1, "")
        assert err == (f"InputError: {path} is a Git LFS pointer, not the log itself: run "
                       "`git lfs pull` in its repository to fetch the file, then analyze it "
                       "again\n")


def test_lrwatch_analyze_reads_a_preset_log_as_a_user_would(tmp_path, capsys):
    path = wlm_log(tmp_path / "lstm.log", epochs=3)
    code, out, err = run_cli(capsys, str(path), "--json")
    (entry,) = json.loads(out)["runs"]
    assert code == 0 and entry["error"] is None, err
    assert (entry["run"], entry["current_lr"]) == ("lstm", 20.0)  # the peak LR, before decay
    assert entry["columns"] == {"loss": "loss", "lr": "lr", "val_loss": "val_loss"}
    assert entry["notes"][0] == "read as a text log (word_language_model)"
    code, out, _ = run_cli(capsys, str(path))
    assert code == 0 and out.splitlines()[1].startswith("lstm ")


FAIRSEQ_STAMP = "2021-03-01 10:00:{:02d} | INFO | {} | "


def fairseq_log(path, log_format="simple", epochs=2, size=500, interval=100):
    """fairseq_cli/train.py through fairseq/logging/progress_bar.py: the train_inner lines of the
    simple bar ("{}:  {:5d} / {:d} {}" over _str_commas) or the json bar (json.dumps), the
    valid subset's line and the epoch's train summary, behind logging's format in train.py."""
    lines = [FAIRSEQ_STAMP.format(0, "fairseq_cli.train") + "task: LanguageModelingTask",
             FAIRSEQ_STAMP.format(0, "fairseq_cli.train") + "num. shared model params: "
             "125,034,240 (num. trained: 125,034,240)"]
    for epoch in range(1, epochs + 1):
        for i in range(size):
            update = (epoch - 1) * size + i + 1
            if update % interval:
                continue
            loss = 10 * math.exp(-update / 400) + 4
            stats = {"loss": f"{loss:.3f}", "nll_loss": f"{loss - 0.1:.3f}",
                     "ppl": f"{2 ** loss:.2f}", "wps": "12345.6", "ups": "3.01", "wpb": "4096",
                     "bsz": "8", "num_updates": f"{update:g}", "lr": f"{5e-4 * update / 1000:g}",
                     "gnorm": f"{1 + 1 / update:.3f}", "loss_scale": "64", "train_wall": "30",
                     "gb_free": "10.2", "wall": f"{update // 3:g}"}
            if log_format == "json":
                message = json.dumps({"epoch": epoch, "update": round(epoch - 1 + (i + 1) / size,
                                                                       3), **stats})
            else:
                message = "{}:  {:5d} / {:d} {}".format(
                    f"epoch {epoch:03d}", i + 1, size,
                    ", ".join(k + "=" + v.strip() for k, v in stats.items()))
            lines.append(FAIRSEQ_STAMP.format(i % 60, "train_inner") + message)
        valid = {"loss": f"{6 - epoch / 2:.3f}", "nll_loss": "5.9", "ppl": "60.2",
                 "wps": "30000", "wpb": "4096", "bsz": "8", "num_updates": f"{epoch * size:g}",
                 "best_loss": f"{6 - epoch / 2:.3f}"}
        train = {"loss": "9.999", "nll_loss": "9.9", "ppl": "1000", "num_updates":
                 f"{epoch * size:g}", "lr": "0.0001", "gnorm": "1.5"}
        for tag, stats in (("valid", valid), ("train", train)):
            if log_format == "json":
                message = json.dumps({"epoch": epoch,
                                      **{f"{tag}_{k}": v for k, v in stats.items()}})
            else:
                prefix = f"epoch {epoch:03d}" + (" | valid on 'valid' subset" if tag == "valid"
                                                 else "")
                message = "{} | {}".format(prefix, " | ".join(k + " " + v.strip()
                                                               for k, v in stats.items()))
            lines.append(FAIRSEQ_STAMP.format(59, tag) + message)
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("log_format", ["simple", "json"])
def test_fairseq_train_inner_and_valid_lines(tmp_path, log_format):
    result = read_run(find_runs(fairseq_log(tmp_path / "train.log", log_format))[0])
    updates = np.arange(100, 1001, 100)
    np.testing.assert_array_equal(result.curves.loss.steps, updates)
    np.testing.assert_allclose(result.curves.loss.values,
                               np.round(10 * np.exp(-updates / 400) + 4, 3))
    assert 9.999 not in result.curves.loss.values  # the epoch's train summary is no point
    np.testing.assert_allclose(result.curves.lr.values, 5e-4 * updates / 1000)
    np.testing.assert_allclose(result.curves.grad_norm.values, np.round(1 + 1 / updates, 3))
    np.testing.assert_array_equal(result.curves.val_loss.steps, [500, 1000])
    np.testing.assert_allclose(result.curves.val_loss.values, [5.5, 5.0])
    assert result.notes[:2] == (
        "read as a text log (fairseq)",
        "fairseq logs its losses in base 2 (bits per token, ppl = 2^loss): they are kept as "
        "logged")


def megatron_log(path, iters=2000, interval=100, eval_interval=1000, neox=False):
    """Megatron-LM megatron/training/training.py: training_log's line (behind its time stamp)
    and evaluate_and_print_results's framed validation line; EleutherAI gpt-neox's with
    neox=True (samples/sec first, lm_loss, no grad norm, "validation results at")."""
    lines = ["------------------------ arguments ------------------------",
             "  lr .............................................. 0.0003",
             " > number of parameters on (tensor, pipeline) model parallel rank (0, 0): 124475904"]
    for it in range(interval, iters + 1, interval):
        loss, lr = 9 * math.exp(-it / 800) + 3, 3e-4 * min(1, it / 500)
        if neox:
            line = (f" samples/sec: {51.234:.3f} | iteration {it:8d}/{iters:8d} | elapsed time "
                    f"per iteration (ms): {1234.5:.1f} | learning rate: {lr:.3E} | approx flops "
                    f"per GPU: 120.3TFLOPS | lm_loss: {loss:.6E} | loss scale: {65536.0:.1f} | "
                    f"number of skipped iterations: {0:3d} | number of nan iterations: {0:3d} |")
        else:
            line = (f" [2024-05-01 12:{it // 100 % 60:02d}:00.123456] iteration {it:8d}/{iters:8d}"
                    f" | consumed samples: {it * 256:12d} | elapsed time per iteration (ms): "
                    f"{1234.5:.1f} | throughput per GPU (TFLOP/s/GPU): {180.2:.1f} | learning "
                    f"rate: {lr:.6E} | global batch size: {256:5d} | lm loss: {loss:.6E} | loss "
                    f"scale: {1.0:.1f} | grad norm: {1 + 100 / it:.3f} | number of skipped "
                    f"iterations: {0:3d} | number of nan iterations: {0:3d} |")
        lines.append(line)
        if it % eval_interval == 0:
            val = loss + 0.2
            if neox:
                string = (f" validation results at iteration {it} | lm_loss value: {val:.6E} | "
                          f"lm_loss_ppl value: {math.exp(val):.6E} | ")
            else:
                string = (f" validation loss at iteration {it} | lm loss value: {val:.6E} | "
                          f"lm loss PPL: {math.exp(val):.6E} | ")
            lines += ["-" * (len(string) + 1), string, "-" * (len(string) + 1)]
    if not neox:  # the test set at the end of training is not the validation curve
        lines.append(f" validation loss at iteration {iters} on test set | lm loss value: "
                     f"{1.0:.6E} | lm loss PPL: {math.e:.6E} | ")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("neox", [False, True])
def test_megatron_training_log_and_validation_lines(tmp_path, neox):
    result = read_run(find_runs(megatron_log(tmp_path / "pretrain_gpt.log", neox=neox))[0])
    its = np.arange(100, 2001, 100)
    loss = 9 * np.exp(-its / 800) + 3
    np.testing.assert_array_equal(result.curves.loss.steps, its)
    np.testing.assert_allclose(result.curves.loss.values, loss, rtol=1e-6)
    np.testing.assert_allclose(result.curves.lr.values, 3e-4 * np.minimum(1, its / 500),
                               rtol=1e-3 if neox else 1e-6)
    np.testing.assert_array_equal(result.curves.val_loss.steps, [1000, 2000])
    np.testing.assert_allclose(result.curves.val_loss.values, loss[[9, 19]] + 0.2, rtol=1e-6)
    if neox:
        assert result.curves.grad_norm is None
    else:
        np.testing.assert_allclose(result.curves.grad_norm.values, np.round(1 + 100 / its, 3))
    assert result.notes[0] == "read as a text log (megatron)"


def llmc_log(path, steps=74, val_every=20, python=False):
    """karpathy/llm.c: train_gpt2.cu's printf0 lines (train_gpt2.py's print0 with python=True),
    "val loss" printed before the step it evaluates."""
    lines = ["| Parameter counts: 124475904 |", "+-----------------------+"]
    for step in range(steps + 1):
        loss = 11 * math.exp(-step / 30) + 3
        if step % val_every == 0 or step == steps:
            lines.append(f"val loss {loss + 0.05:f}")
        if step == steps:
            break
        lr, norm = 6e-4 * (step + 1) / steps, 1 + 10 / (step + 1)
        if python:
            lines.append(f"step {step + 1:4d}/{steps} | train loss {loss:.6f} | norm {norm:.4f} | "
                         f"lr {lr:.2e} | ({123.45:.2f} ms | {42000:.0f} tok/s)")
        else:
            lines.append("step %4d/%d | loss %7.6f (%+.2fz)| norm %6.4f (%+.2fz)| lr %.2e | "
                         "%.2f ms | %.1f%% bf16 MFU | %.0f tok/s"
                         % (step + 1, steps, loss, 0.1, norm, -0.2, lr, 123.45, 41.2, 420000))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("python", [False, True])
def test_llmc_steps_and_validation_before_them(tmp_path, python):
    result = read_run(find_runs(llmc_log(tmp_path / "gpt2_124M.log", python=python))[0])
    steps = np.arange(74)
    np.testing.assert_array_equal(result.curves.loss.steps, steps + 1)
    np.testing.assert_allclose(result.curves.loss.values, 11 * np.exp(-steps / 30) + 3,
                               rtol=1e-6)
    np.testing.assert_allclose(result.curves.lr.values, np.float64(
        [float(f"{v:.2e}") for v in 6e-4 * (steps + 1) / 74]))
    np.testing.assert_allclose(result.curves.grad_norm.values, 1 + 10 / (steps + 1), rtol=1e-4)
    # "val loss" at loop step s is printed before step s + 1: it is the model after s updates
    np.testing.assert_array_equal(result.curves.val_loss.steps, [0, 20, 40, 60, 74])
    np.testing.assert_allclose(result.curves.val_loss.values,
                               11 * np.exp(-np.array([0, 20, 40, 60, 74]) / 30) + 3.05, rtol=1e-6)
    assert result.notes[0] == "read as a text log (llmc)"


def test_llmc_main_log_file_is_read_too(tmp_path):
    """llmc/logger.h's main.log: "s:%d trl:%.4f lr:%.6f norm:%.2f" and "s:%d tel:%.4f"."""
    path = tmp_path / "main.log"
    lines = []
    for s in range(100):
        if s % 25 == 0:
            lines.append("s:%d tel:%.4f" % (s, 10 - s / 20))
        lines.append("s:%d trl:%.4f lr:%.6f norm:%.2f" % (s, 11 - s / 20, 6e-4, 1.5))
        if s % 50 == 0:
            lines.append("s:%d eval:%.4f" % (s, 0.25))  # HellaSwag accuracy, not a loss
    path.write_text("\n".join(lines) + "\n")
    result = read_run(find_runs(path)[0])
    np.testing.assert_array_equal(result.curves.loss.steps, np.arange(100))
    assert result.curves.lr.values[0] == 6e-4 and result.curves.grad_norm.values[0] == 1.5
    np.testing.assert_array_equal(result.curves.val_loss.steps, [0, 25, 50, 75])
    assert result.notes[0] == "read as a text log (llmc)"


def modded_nanogpt_log(path, steps=60, val_every=25):
    """KellerJordan/modded-nanogpt: the script's own source printed first (its print f-strings
    hold "step:{step}"), then a validation line every val_every steps and a training line per
    step."""
    code = ["import os", "    if last_step or (args.val_loss_every > 0 and step % 125 == 0):",
            "        print0(f'step:{step}/{args.num_iterations} val_loss:{val_loss:.4f} "
            "train_time:{training_time_ms:.0f}ms step_avg:{training_time_ms/(timed_steps-1):.2f}ms')",
            "    print0(f\"step:{step+1}/{args.num_iterations} train_loss:{train_loss.item():.4f} "
            "train_time:{approx_time:.0f}ms step_avg:{approx_time/timed_steps:.2f}ms\")",
            "=" * 100, "Running pytorch 2.5.0", "step:0/60 train_time:0ms step_avg:nanms"]
    lines = list(code)
    for step in range(steps + 1):
        loss = 11 * math.exp(-step / 20) + 3
        if step % val_every == 0 or step == steps:
            lines.append(f"step:{step}/{steps} val_loss:{loss + 0.05:.4f} "
                         f"train_time:{step * 100}ms step_avg:nanms")
        if step == steps:
            break
        lines.append(f"step:{step + 1}/{steps} train_loss:{loss:.4f} "
                     f"train_time:{step * 100 + 50}ms step_avg:100.00ms")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_modded_nanogpt_training_and_validation_lines(tmp_path):
    """The speedrun's records are .txt files named by a uuid: a folder walk finds them, reads
    the training loss after each step and the validation loss, and skips the printed source."""
    modded_nanogpt_log(tmp_path / "d4bfb25f-688d-4da5-8743-33926fad4842.txt")
    (run,) = find_runs(tmp_path)
    result = read_run(run)
    assert result.notes[0] == "read as a text log (modded_nanogpt)"
    steps = np.arange(60)
    np.testing.assert_array_equal(result.curves.loss.steps, steps + 1)
    np.testing.assert_allclose(result.curves.loss.values,
                               np.round(11 * np.exp(-steps / 20) + 3, 4))
    assert result.curves.val_loss.steps.tolist() == [0, 25, 50, 60]
    assert result.curves.val_loss.values[0] == pytest.approx(14.05)
    assert result.curves.lr is None


def timm_log(path, epochs=3, updates=1251, interval=50, test_batches=391):
    """pytorch-image-models train.py: train_one_epoch's "Train:" line (the batch's loss, then
    the running mean) every log_interval updates and at the last; validate's "Test:" lines, and
    the EMA weights' "Test (EMA):" lines."""
    lines = ["Training with a single process on 1 device (cuda:0).",
             "Model resnet50 created, param count:25557032"]
    for epoch in range(epochs):
        for idx in range(updates):
            if idx % interval and idx != updates - 1:
                continue
            loss = 6.9 * math.exp(-(epoch * updates + idx) / 2000) + 1
            lr = 1e-6 + 1e-3 * (epoch * updates + idx) / (epochs * updates)
            lines.append(
                f"Train: {epoch} [{idx:>4d}/{updates} ({100. * (idx + 1) / updates:>3.0f}%)]  "
                f"Loss: {loss:#.3g} ({loss + 0.5:#.3g})  Time: {0.312:.3f}s, {820.5:>7.2f}/s  "
                f"({0.315:.3f}s, {812.1:>7.2f}/s)  LR: {lr:.3e}  Data: {0.011:.3f} ({0.012:.3f})")
        for suffix, val in (("", 2.5 - epoch / 4), (" (EMA)", 9.0)):
            for idx in (0, 50, 100, 150, 200, 250, 300, 350, test_batches - 1):
                mean = val if idx == test_batches - 1 else 3.0
                lines.append(f"Test{suffix}: [{idx:>4d}/{test_batches - 1}]  Time: 0.100 (0.120)"
                             f"  Loss: {val + 1:>7.3f} ({mean:>6.3f})"
                             f"  Acc@1: {70.0:>7.3f} ({71.0:>7.3f})  Acc@5: {90.0:>7.3f} "
                             f"({91.0:>7.3f})")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_timm_steps_count_updates_over_epochs_and_read_the_batch_loss(tmp_path):
    result = read_run(find_runs(timm_log(tmp_path / "log.txt"))[0])
    idx = [*range(0, 1250, 50), 1250]  # every 50th update, and the last
    steps = np.concatenate([np.array(idx) + epoch * 1251 for epoch in range(3)])
    np.testing.assert_array_equal(result.curves.loss.steps, steps)
    np.testing.assert_allclose(result.curves.loss.values,  # the batch's, not the mean's
                               [float(f"{6.9 * math.exp(-s / 2000) + 1:#.3g}") for s in steps])
    np.testing.assert_allclose(result.curves.lr.values, 1e-6 + 1e-3 * steps / (3 * 1251),
                               rtol=1e-3)
    np.testing.assert_array_equal(result.curves.val_loss.steps, [1251, 2502, 3753])
    np.testing.assert_allclose(result.curves.val_loss.values, [2.5, 2.25, 2.0])  # no EMA line
    assert result.notes[0] == "read as a text log (timm)"


def torchvision_log(path, epochs=3, batches=782, interval=100, test_batches=50):
    """pytorch/vision references/classification: MetricLogger.log_every's lines (each meter's
    window median, then the epoch's mean in brackets), a "Total time" line after each epoch,
    and evaluate's "Test:" lines with the " * Acc@1" summary; DeiT, DETR and MAE print the
    same."""
    lines = []
    for epoch in range(epochs):
        for idx in [*range(0, batches, interval), batches - 1]:
            step = epoch * batches + idx
            loss, lr = 6.9 * math.exp(-step / 1500) + 1, 0.1 * 0.9 ** epoch
            lines.append(f"Epoch: [{epoch}]  [{idx:>3d}/{batches}]  eta: 0:05:12  lr: {lr}  "
                         f"img/s: 812.3  loss: {loss:.4f} ({loss + 0.4:.4f})  acc1: 10.0000 "
                         f"(9.5000)  time: 0.3152  data: 0.0021  max mem: 4012")
        lines.append(f"Epoch: [{epoch}] Total time: 0:04:07")
        for idx in [*range(0, test_batches, 20), test_batches - 1]:
            lines.append(f"Test:  [{idx:>2d}/{test_batches}]  eta: 0:00:10  loss: 9.0000 "
                         f"({2.5 - epoch / 4:.4f})  acc1: 50.0 (51.0)  time: 0.1  data: 0.01")
        lines.append("Test:  Total time: 0:00:12\n * Acc@1 51.000 Acc@5 80.000")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_torchvision_metric_logger_steps_count_batches_over_epochs(tmp_path):
    result = read_run(find_runs(torchvision_log(tmp_path / "train.log"))[0])
    idx = [*range(0, 782, 100), 781]
    steps = np.concatenate([np.array(idx) + epoch * 782 for epoch in range(3)])
    np.testing.assert_array_equal(result.curves.loss.steps, steps)
    np.testing.assert_allclose(result.curves.loss.values,  # the window's median, not the mean
                               np.round(6.9 * np.exp(-steps / 1500) + 1, 4))
    np.testing.assert_allclose(result.curves.lr.values, 0.1 * 0.9 ** (steps // 782))
    np.testing.assert_array_equal(result.curves.val_loss.steps, [782, 1564, 2346])
    np.testing.assert_allclose(result.curves.val_loss.values, [2.5, 2.25, 2.0])
    assert result.notes[0] == "read as a text log (torchvision)"


def mmengine_log(path, style="epoch", epochs=2, iters=730, interval=50):
    """OpenMMLab: mmengine's LogProcessor.get_log_after_iter lines behind MMLogger's format
    (style "epoch" or "iter"), or mmcv 1.x TextLoggerHook's (style "mmcv", MMDetection 2.x);
    the validation lines carry metrics only."""
    lines = []
    for epoch in range(1, epochs + 1):
        for i in range(interval, iters + 1, interval):
            step = (epoch - 1) * iters + i
            loss, lr = 2.5 * math.exp(-step / 500) + 0.5, 2e-2 * min(1, step / 500)
            parts = {"loss_rpn_cls": 0.1, "loss_rpn_bbox": 0.05, "loss_cls": loss - 0.3,
                     "acc": 91.2345, "loss_bbox": 0.15}
            if style == "mmcv":
                items = ", ".join(f"{k}: {v:.4f}" for k, v in
                                  {**parts, "loss": loss, "grad_norm": 5 / epoch}.items())
                lines.append(f"2021-05-01 12:00:00,123 - mmdet - INFO - Epoch [{epoch}][{i}/"
                             f"{iters}]\tlr: {lr:.3e}, eta: 2 days, 1:02:03, time: 0.456, "
                             f"data_time: 0.012, memory: 3456, {items}")
                continue
            head = (f"Epoch(train)  [{epoch}][{str(i).rjust(len(str(iters)))}/{iters}]"
                    if style == "epoch" else f"Iter(train) [{str(step).rjust(5)}/{epochs * iters}]")
            items = "  ".join(f"{k}: {v:.4f}" for k, v in
                              {"grad_norm": 5 / epoch, "loss": loss, **parts}.items())
            lines.append(f"2023/06/01 12:00:00 - mmengine - INFO - {head}  base_lr: {lr:.4e} "
                         f"lr: {lr:.4e}  eta: 1 day, 2:03:04  time: 0.4567  data_time: 0.0123  "
                         f"memory: 4567  {items}")
        lines.append(f"2023/06/01 12:30:00 - mmengine - INFO - Epoch(val) [{epoch}][625/625]    "
                     "coco/bbox_mAP: 0.3740  coco/bbox_mAP_50: 0.5810  data_time: 0.0021  "
                     "time: 0.0640")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("style", ["epoch", "iter", "mmcv"])
def test_mmengine_and_mmcv_training_lines(tmp_path, style):
    result = read_run(find_runs(mmengine_log(tmp_path / "20230601_120000.log", style))[0])
    steps = np.concatenate([np.arange(50, 731, 50) + e * 730 for e in range(2)])
    np.testing.assert_array_equal(result.curves.loss.steps, steps)
    np.testing.assert_allclose(result.curves.loss.values,  # the total, not loss_cls
                               np.round(2.5 * np.exp(-steps / 500) + 0.5, 4))
    np.testing.assert_allclose(result.curves.lr.values, 2e-2 * np.minimum(1, steps / 500),
                               rtol=1e-3)  # lr, not base_lr (here equal)
    np.testing.assert_allclose(result.curves.grad_norm.values, np.where(steps > 730, 2.5, 5.0))
    assert result.curves.val_loss is None
    assert result.notes[0] == "read as a text log (mmengine)"


def litgpt_log(path, steps=200, accum=4, eval_interval=50, old=False):
    """litgpt/pretrain.py's fabric.print lines (old=True: "iter N step S: loss ..., iter time"
    as before 2024): a line per optimizer step (every accum iterations), then at each
    evaluation "iter N: val loss ..., val time"."""
    lines = ["Seed set to 42", "Number of trainable parameters: 1,100,048,384"]
    val_loss = "n/a"
    for step in range(1, steps + 1):
        it = step * accum
        loss = 10 * math.exp(-step / 60) + 2
        if old:
            lines.append(f"iter {it} step {step}: loss {loss:.4f}, iter time: {123.45:.2f}ms "
                         "(optimizer.step)")
        else:
            lines.append(f"Epoch {1} | iter {it} step {step} | loss train: {loss:.3f}, val: "
                         f"{val_loss} | iter time: {123.45:.2f} ms (step) remaining time: 0:10:00")
        if step % eval_interval == 0:
            val_loss = f"{loss + 0.1:.3f}"
            lines.append(f"iter {it}: val loss {loss + 0.1:.4f}, val time: {2345.6:.2f} ms")
    lines.append(f"Final evaluation | val loss: {1.0:.3f} | val ppl: {math.e:.3f}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("old", [False, True])
def test_litgpt_optimizer_steps_and_validations(tmp_path, old):
    result = read_run(find_runs(litgpt_log(tmp_path / "pretrain.log", old=old))[0])
    steps = np.arange(1, 201)
    np.testing.assert_array_equal(result.curves.loss.steps, steps)  # steps, not micro-batches
    np.testing.assert_allclose(result.curves.loss.values,
                               np.round(10 * np.exp(-steps / 60) + 2, 4 if old else 3))
    np.testing.assert_array_equal(result.curves.val_loss.steps, [50, 100, 150, 200])
    np.testing.assert_allclose(result.curves.val_loss.values,  # not the final evaluation's
                               np.round(10 * np.exp(-np.array([50, 100, 150, 200]) / 60)
                                        + 2.1, 4))
    assert result.curves.lr is None
    assert result.notes[0] == "read as a text log (litgpt)"


@pytest.mark.parametrize(("write", "layout"), [
    (nanogpt_log, "nanogpt"), (wlm_log, "word_language_model"), (keras_log, "keras"),
    (fairseq_log, "fairseq"), (megatron_log, "megatron"), (llmc_log, "llmc"),
    (modded_nanogpt_log, "modded_nanogpt"), (timm_log, "timm"), (mmengine_log, "mmengine"),
    (litgpt_log, "litgpt"), (torchvision_log, "torchvision")])
def test_each_layout_is_read_by_its_own_preset(tmp_path, write, layout):
    result = read_run(find_runs(write(tmp_path / "train.log"))[0])
    assert result.notes[0] == f"read as a text log ({layout})"


def test_near_layouts_are_told_apart(tmp_path):
    """nanoGPT's evaluation line and llm.c's first lines both begin "step N: train loss";
    gpt-neox's line is Megatron's; fairseq's json lines are no Hugging Face dicts."""
    early_llmc = tmp_path / "llmc.log"  # train_gpt2.c, and train_gpt2.cu in its first weeks
    early_llmc.write_text("".join(f"step {s}: train loss {5 - s / 40:f} (took {1234.5:f} ms)\n"
                                  for s in range(40)) + "val loss 4.100000\n")
    read = read_run(find_runs(early_llmc)[0])
    assert read.notes[0] == "read as a text log (llmc)" and len(read.curves.loss) == 40
    assert read.curves.val_loss.steps.tolist() == [39]
    evals_only = tmp_path / "nanogpt.log"
    evals_only.write_text("".join(f"step {s}: train loss {4 - s / 1e3:.4f}, val loss "
                                  f"{4.1 - s / 1e3:.4f}\n" for s in range(0, 1000, 250)))
    evals = read_run(find_runs(evals_only)[0])  # evaluations carry no training loss to llm.c
    assert evals.notes[0] == "read as a text log (key_values_by_step)"
    neox = read_run(find_runs(megatron_log(tmp_path / "neox.log", neox=True))[0])
    assert neox.notes[0] == "read as a text log (megatron)"
    json_log = read_run(find_runs(fairseq_log(tmp_path / "fairseq.log", "json"))[0])
    assert json_log.notes[0] == "read as a text log (fairseq)"
    lit = tmp_path / "lit_gpt.log"  # lit-gpt's first lines: "time:", where nanoGPT prints "time"
    lit.write_text("".join(f"iter {i}: loss {5 - i / 100:.4f}, time: {812.3:.2f}ms\n"
                           for i in range(30)))
    assert read_run(find_runs(lit)[0]).notes[0] == "read as a text log (litgpt)"
    assert read_run(find_runs(nanogpt_log(tmp_path / "nano.log"))[0]).notes[0] == (
        "read as a text log (nanogpt)")


def test_a_readme_or_a_traceback_is_no_run(tmp_path):
    (tmp_path / "README.txt").write_text(
        "Train with: python train.py --lr 3e-4\nEach step prints the train loss, the grad norm "
        "and the lr; the validation loss is printed every 250 steps (val loss: lower is "
        "better). Train: 90 epochs, Loss: cross-entropy.\n")
    (tmp_path / "crash.log").write_text(
        "Traceback (most recent call last):\n"
        '  File "train.py", line 842, in <module>\n'
        '    print0(f"step {step+1:4d}/{args.num_iterations} | train loss {lossf:.6f} | norm")\n'
        '  File "megatron/training/training.py", line 3568, in training_log\n'
        "    log_string += ' iteration {:8d}/{:8d} |'.format(iteration, args.train_iters)\n"
        "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB\n")
    with pytest.raises(InputError, match="no logs in"):
        find_runs(tmp_path)


@pytest.mark.parametrize(("write", "prefix"), [
    (megatron_log, "[rank0]: "), (llmc_log, "2024-06-01T10:00:00.123Z "),
    (timm_log, "[rank0]: "), (fairseq_log, "[default0]:"), (mmengine_log, "[rank0]: "),
    (torchvision_log, "[rank0]: ")])
def test_new_layouts_behind_a_prefix_are_read(tmp_path, write, prefix):
    plain = read_run(find_runs(write(tmp_path / "plain.log"))[0])
    path = tmp_path / "prefixed.log"
    path.write_text("".join(prefix + line + "\n"
                            for line in (tmp_path / "plain.log").read_text().splitlines()))
    result = read_run(find_runs(path)[0])
    assert result.notes[0] == plain.notes[0]
    for curve in ("loss", "lr", "val_loss"):
        if getattr(plain.curves, curve) is None:  # mmengine's validation lines carry no loss
            assert getattr(result.curves, curve) is None
            continue
        np.testing.assert_array_equal(getattr(result.curves, curve).steps,
                                      getattr(plain.curves, curve).steps)
        np.testing.assert_array_equal(getattr(result.curves, curve).values,
                                      getattr(plain.curves, curve).values)


def test_lrwatch_analyze_reads_a_megatron_log_as_a_user_would(tmp_path, capsys):
    path = megatron_log(tmp_path / "gpt_345m.log")
    code, out, err = run_cli(capsys, str(path), "--json")
    (entry,) = json.loads(out)["runs"]
    assert code == 0 and entry["error"] is None, err
    assert (entry["run"], entry["current_lr"]) == ("gpt_345m", 3e-4)  # the peak, after warmup
    assert entry["columns"] == {"loss": "loss", "lr": "lr", "grad_norm": "grad_norm",
                                "val_loss": "val_loss"}
    assert entry["notes"][0] == "read as a text log (megatron)"



def test_a_log_whose_first_loss_line_comes_after_a_long_preamble_is_recognised(tmp_path):
    # a multi-node job's stdout: launcher commands and every rank's arguments come first
    log = megatron_log(tmp_path / "job.log")
    preamble = "".join(f"[rank{r % 64}]: argument {r} ........................ value_{r}\n"
                       for r in range(12_000))
    assert QUICK_SNIFF_BYTES < len(preamble.encode()) < SNIFF_BYTES - len(log.read_bytes())
    log.write_text(preamble + log.read_text())
    (run,) = find_runs(tmp_path)
    result = read_run(run)
    assert result.notes[0] == "read as a text log (megatron)"
    assert result.curves.loss.steps.tolist() == list(range(100, 2001, 100))


def test_a_data_text_file_is_no_run_of_a_folder(tmp_path):
    (tmp_path / "corpus.txt").write_text("the model was trained to minimise its loss\n" * 50_000)
    with pytest.raises(InputError, match="no logs in"):
        find_runs(tmp_path)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_a_log_saved_with_a_byte_order_mark_is_read(tmp_path, encoding):
    """Windows PowerShell's `python train.py > train.log` writes UTF-16 with a byte order mark
    (Notepad, UTF-8 with one): its lines are read as any other log's, in a folder walk too."""
    plain = read_run(find_runs(nanogpt_log(tmp_path / "plain.log"))[0])
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "adam_lr0.001.log").write_text((tmp_path / "plain.log").read_text(),
                                             encoding=encoding)
    (run,) = find_runs(folder)
    result = read_run(run)
    assert result.notes[0] == "read as a text log (nanogpt)"
    np.testing.assert_array_equal(result.curves.loss.steps, plain.curves.loss.steps)
    np.testing.assert_array_equal(result.curves.loss.values, plain.curves.loss.values)
    np.testing.assert_array_equal(result.curves.val_loss.values, plain.curves.val_loss.values)
    custom = tmp_path / "custom.log"  # and a pattern reads such a file's lines too
    custom.write_text("".join(f" iter: {i:>8d}, loss: {3 - i / 100:.6f}\n"
                              for i in range(10, 110, 10)), encoding=encoding)
    (run,) = find_runs(custom, pattern=r"iter:\s+(?P<step>\d+), loss: (?P<loss>\S+)")
    read = read_run(run, pattern=r"iter:\s+(?P<step>\d+), loss: (?P<loss>\S+)")
    assert read.curves.loss.steps.tolist() == list(range(10, 110, 10))
    assert read.curves.loss.values[0] == pytest.approx(2.9)


def test_recognising_a_log_parses_only_lines_that_name_a_loss_or_an_epoch(tmp_path, monkeypatch):
    """A speedrun record printing only its validation loss (a 'step:N/M train_time' line every
    step): no preset reads a training loss, and telling so parses each of the few lines that
    name a loss, not every step's line with every layout (1030 such logs took a walk 111 s)."""
    from lrwatch.readers import text_layouts, textlog

    lines = [f"step:{s}/6000 train_time:{s * 95}ms step_avg:95.00ms" for s in range(1, 6001)]
    lines += [f"step:{s}/6000 val_loss:{4 - s / 6000:.4f} train_time:{s * 95}ms"
              for s in range(0, 6001, 125)]
    (tmp_path / "f3a1c2e0.txt").write_text("\n".join(lines) + "\n")
    parsed = []
    fresh = text_layouts.presets

    def counting():
        return tuple(text_layouts.Layout(layout.name, lambda line, p=layout.parse:
                                         parsed.append(line) or p(line))
                     for layout in fresh())
    monkeypatch.setattr(textlog, "presets", counting)
    with pytest.raises(InputError, match="no logs in"):
        find_runs(tmp_path)
    assert 0 < len(parsed) <= 2 * 49 * len(fresh())  # the 256 kB head, then 1 MB


def test_a_scripts_own_printout_is_read_by_the_names_on_its_lines(tmp_path):
    """No preset prints "Epoch [2/5], Step [100/600], Loss: 0.2166" (the PyTorch tutorials'
    line): its step counts again from each epoch's start, so the steps carry on past 600."""
    path = tmp_path / "train.log"
    path.write_text("".join(f"Epoch [{e}/3], Step [{s}/600], Loss: "
                            f"{1 / ((e - 1) * 6 + s / 100):.4f}\n"
                            for e in range(1, 4) for s in range(100, 601, 100)))
    result = read_run(find_runs(path)[0])
    np.testing.assert_array_equal(result.curves.loss.steps, np.arange(100, 1801, 100))
    np.testing.assert_allclose(result.curves.loss.values, np.round(1 / np.arange(1, 19), 4))
    assert result.notes[:2] == (
        "read as a text log (key_values_by_step)",
        "no known layout: read 'loss' and its step where its lines name them; if that is not the "
        "training loss, read it with --pattern")
    assert not result.curves.epoch_points


def test_named_values_on_lines_of_their_own_make_one_point_an_epoch(tmp_path):
    """A block an epoch: the epoch, the LR, the training and validation losses on lines of
    their own; a test loss is not the validation loss, and a header's lr goes nowhere."""
    path = tmp_path / "run.log"
    path.write_text("lr: 0.0001\nnum_epochs: 20\n" + "".join(
        f"Epoch: {e}/20\nTime Taken: 30.36s - LR: {1e-4 * 0.9 ** e:.3e}\nTrain Loss: "
        f"{7 - e / 10:.4f} - Train Perplexity: 543.44\nValid Loss: {6.5 - e / 10:.4f}\n"
        f"Test Loss: 9.0000\n{'-' * 80}\n" for e in range(1, 21)))
    result = read_run(find_runs(path)[0])
    epochs = np.arange(1, 21)
    np.testing.assert_array_equal(result.curves.loss.steps, epochs)
    np.testing.assert_allclose(result.curves.loss.values, 7 - epochs / 10)
    np.testing.assert_allclose(result.curves.val_loss.values, 6.5 - epochs / 10)
    np.testing.assert_allclose(result.curves.lr.values, 1e-4 * 0.9 ** epochs, rtol=1e-3)
    assert result.curves.epoch_points
    assert result.notes[0] == "read as a text log (key_values_by_epoch)"


@pytest.mark.parametrize(("line", "layout"), [
    ("Step {i} | loss:{loss:.4f} lr:2e-05 tokens_per_second_per_gpu:1500.2", "by_step"),
    ("iteration {i} loss: tensor({loss:.4f}, grad_fn=<NllLossBackward0>) lr=2e-05", "by_step"),
    ("Epoch 0:  40%|####      | {i}/782 [00:30<00:45, 25.6it/s, loss={loss:.4f}, v_num=0]",
     "by_line"),
])
def test_other_printouts_are_read_by_step_or_by_line(tmp_path, line, layout):
    path = tmp_path / "out.txt"
    path.write_text("".join(line.format(i=i, loss=3 - i / 100) + "\n" for i in range(1, 101)))
    result = read_run(find_runs(path)[0])
    assert result.notes[0] == f"read as a text log (key_values_{layout})"
    np.testing.assert_allclose(result.curves.loss.values, 3 - np.arange(1, 101) / 100)
    if layout == "by_step":
        np.testing.assert_array_equal(result.curves.loss.steps, np.arange(1, 101))
        np.testing.assert_allclose(result.curves.lr.values, 2e-5)


def test_a_validation_or_test_loss_padded_with_spaces_is_no_training_loss(tmp_path):
    path = tmp_path / "train.log"
    path.write_text("".join(f"iter {i}:  Train  Loss = {2 / i:.4f},  Val  Loss = {3 / i:.4f},  "
                            "Test  Loss = 9.0000\n" for i in range(1, 21)))
    result = read_run(find_runs(path)[0])
    np.testing.assert_allclose(result.curves.loss.values, np.round(2 / np.arange(1, 21), 4))
    np.testing.assert_allclose(result.curves.val_loss.values, np.round(3 / np.arange(1, 21), 4))


def test_two_loss_lines_are_too_few_to_read(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("baseline: loss 2.31\nours: loss 1.95\n")
    with pytest.raises(InputError, match="names no loss on 3\\+ lines"):
        read_run(find_runs(path)[0])


def composer_log(path, by="batch", time_batch=True, batches=300, interval=10, per_epoch=100):
    """MosaicML Composer's ConsoleLogger.log_to_console: a progress head per logged batch, then
    one metric a line behind a tab, in the order they were logged; an evaluation's decile lines
    and its end (LLM Foundry's eval metric) every 100 batches."""
    lines = ["******************************", "Config:", "max_duration: 300ba", "*" * 30]
    for b in range(interval, batches + 1, interval):
        head = {"batch": f"[batch={b}/{batches}]:",
                "epoch": f"[epoch={(b - 1) // per_epoch + 1}][batch={(b - 1) % per_epoch + 1}"
                         f"/{per_epoch}]:",
                "token": f"[token={b * 2048}/{batches * 2048}]:"}[by]
        lines += [head, "\t Train time/epoch: 0", *[f"\t Train time/batch: {b}"] * time_batch,
                  f"\t Train time/token: {b * 2048}",
                  f"\t Train loss/train/total: {8 * math.exp(-b / 60) + 3:.4f}",
                  f"\t Train metrics/train/LanguageCrossEntropy: {8 * math.exp(-b / 60) + 3:.4f}",
                  f"\t Train l2_norm/grad/global: {2 + 10 / b:.4f}",
                  f"\t Train lr-DecoupledAdamW/group0: {6e-4 * min(1, b / 50):.4e}"]
        if b % 100 == 0:
            lines += [f"[Eval batch={i}/10] Eval on eval data" for i in (1, 5)]
            lines += ["[Eval batch=10/10] Eval on eval data:",
                      "\t Eval metrics/eval/LanguageCrossEntropy: "
                      f"{8 * math.exp(-b / 60) + 3.2:.4f}",
                      "\t Eval metrics/eval/LanguagePerplexity: 40.1"]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("by, time_batch", [("batch", False), ("epoch", False), ("epoch", True),
                                            ("token", True)])
def test_composer_console_blocks_read_at_their_batch(tmp_path, by, time_batch):
    result = read_run(find_runs(composer_log(tmp_path / "train.log", by, time_batch))[0])
    steps = np.arange(10, 301, 10)
    np.testing.assert_array_equal(result.curves.loss.steps, steps)
    np.testing.assert_allclose(result.curves.loss.values, np.round(8 * np.exp(-steps / 60) + 3, 4))
    np.testing.assert_allclose(result.curves.lr.values, 6e-4 * np.minimum(1, steps / 50), rtol=1e-4)
    np.testing.assert_allclose(result.curves.grad_norm.values, np.round(2 + 10 / steps, 4))
    np.testing.assert_array_equal(result.curves.val_loss.steps, [100, 200, 300])
    assert result.notes[0] == "read as a text log (composer)"


def test_runs_appended_to_one_log_are_a_run_each_a_resume_is_one(tmp_path, capsys):
    """Three seeds' nanoGPT logs ``>>`` into one file: the step starts again at 0 twice, so the
    file holds three runs, each read with its own losses (read as one, each step would keep the
    last seed's loss alone). A run resumed from its step-100 checkpoint repeats steps after its
    first: it is one run, later values kept."""
    one = read_run(find_runs(nanogpt_log(tmp_path / "one.log"))[0])
    runs = tmp_path / "seeds.log"
    runs.write_text((tmp_path / "one.log").read_text() * 3)
    found = find_runs(runs)
    assert [r.name for r in found] == ["seeds#1", "seeds#2", "seeds#3"]
    for k, run in enumerate(found, start=1):
        result = read_run(run)
        np.testing.assert_array_equal(result.curves.loss.values, one.curves.loss.values)
        assert result.notes[0] == (f"run {k} of those seeds.log holds one after another (its "
                                   "step starts again)")
    code, out, err = run_cli(capsys, str(tmp_path), "--json")
    assert code == 0, err
    assert sorted(e["run"].split("/")[-1] for e in json.loads(out)["runs"]) == [
        "one", "seeds#1", "seeds#2", "seeds#3"]
    with pytest.raises(InputError, match=r"seeds.log holds 3 runs one after another: its step "
                                         r"starts again 2 times \(from 290 to 0 at line 42\)"):
        read_text_log(runs)
    resumed = tmp_path / "resumed.log"
    first = [(i, 4.2 - i / 100) for i in range(0, 150, 10)]
    again = [(i, 4.1 - i / 100) for i in range(100, 300, 10)]
    resumed.write_text("".join(f"iter {i}: loss {v:.4f}, time 12.34ms, mfu 1.20%\n"
                               for i, v in first + again))
    result = read_run(find_runs(resumed)[0])
    np.testing.assert_array_equal(result.curves.loss.steps, np.arange(0, 300, 10))
    np.testing.assert_allclose(result.curves.loss.values[10:], [v for _, v in again])
    assert "'loss' has 5 steps logged again with another value (a resumed run?); kept the " \
           "later value of each" in result.notes


def test_a_log_that_prints_perplexities_only_is_read_by_their_log(tmp_path):
    """The PTB language-model course scripts' ``log.txt``: one line an epoch, perplexities and
    no loss; the loss read is ln(ppl), the validation loss ln(val ppl), and the notes say so."""
    losses = [6.3 - 0.9 * math.log1p(e) for e in range(20)]
    path = tmp_path / "log.txt"
    path.write_text("".join(
        f"epoch: {e}\ttrain ppl: {math.exp(v)}\tval ppl: {math.exp(v + 0.2)}\tbest val: "
        f"{math.exp(v + 0.2)}\ttime (s) spent in epoch: 169.5\n" for e, v in enumerate(losses)))
    result = read_run(find_runs(path)[0])
    np.testing.assert_array_equal(result.curves.loss.steps, np.arange(20))
    np.testing.assert_allclose(result.curves.loss.values, losses)
    np.testing.assert_allclose(result.curves.val_loss.values, np.add(losses, 0.2))
    assert result.notes[:2] == (
        "read as a text log (perplexity_by_epoch)",
        "no known layout: read the log of 'ppl' (the perplexity; its log is the loss in nats, as "
        "no loss is printed) and its epoch where its lines name them; if that is not the "
        "training loss, read it with --pattern")
    assert result.curves.epoch_points


def test_a_job_runners_output_file_is_a_text_log_of_its_folder(tmp_path, capsys):
    """SLURM writes a job's stdout to ``slurm-<job>.out`` and its stderr (where Python's
    ``logging`` prints) to ``.err``; ``nohup`` to ``nohup.out``. A folder walk finds them as it
    finds a ``.log``, and only those in a layout it knows."""
    nanogpt_log(tmp_path / "slurm-4242.out")
    wlm_log(tmp_path / "train-4242.err")
    (tmp_path / "build.out").write_text("compiling...\ndone in 3.2 s\n")
    runs = find_runs(tmp_path)
    assert [(r.name, r.format) for r in runs] == [("slurm-4242", "text"), ("train-4242", "text")]
    assert read_run(runs[0]).curves.loss.values[0] == pytest.approx(4.2)
    code, out, err = run_cli(capsys, str(tmp_path / "slurm-4242.out"), "--json")
    assert code == 0, err
    assert json.loads(out)["runs"][0]["notes"][0] == "read as a text log (nanogpt)"


@pytest.mark.parametrize("name", ["train_log", "run.md", "output.stdout", "nohup.out.1"])
def test_a_text_log_of_any_name_given_on_its_own_is_read_by_what_it_holds(tmp_path, name):
    """A log saved under a name lrwatch does not know (no suffix, a ``.md`` of a run's copied
    output, a rotated ``nohup.out.1``) is read when it is named on its own and its lines are in
    a layout lrwatch knows."""
    path = wlm_log(tmp_path / name, epochs=2)
    (run,) = find_runs(path)
    assert (run.name, run.format) == (path.stem, "text")
    result = read_run(run)
    assert result.curves.lr.values[0] == 20.0 and len(result.curves.loss) == 28


@pytest.mark.parametrize("data", [
    b"Some notes on the model\nIt trains well.\n",
    bytes(range(256)) * 8,  # binary records: never read as text
    b"\xff\xfe" + "just text, no loss\n".encode("utf-16-le"),
])
def test_a_file_of_an_unknown_name_that_is_no_log_is_refused_in_one_line(tmp_path, capsys,
                                                                          data):
    path = tmp_path / "results.0005"
    path.write_bytes(data)
    code, out, err = run_cli(capsys, str(path))
    assert (code, out) == (1, "")
    assert err.startswith(f"InputError: {path} is not a log lrwatch reads: pass an lrwatch store")
    assert err.count("\n") == 1


def test_a_loop_over_settings_printing_epoch_1_again_is_a_run_each(tmp_path):
    """A course's grid search prints each configuration's epochs in one file: the epochs go
    back to the first, so the file holds a run per configuration, one point an epoch (read
    by line, the configurations would be one run)."""
    lines = []
    for config, (lr, rate) in enumerate([(1e-2, 0.0), (1e-3, 0.2), (1e-4, 0.02)], start=1):
        lines += [f"Evaluating Config #{config} [of 3]:", f" {{'learning_rate': {lr}}}"]
        lines += [f"(Epoch {e} / 5) train loss: {2.3 * (1 - rate) ** e:.6f}; val loss: 2.4"
                  for e in range(1, 6)]
        lines.append("")
    path = tmp_path / "grid_search.md"
    path.write_text("\n".join(lines))
    runs = find_runs(path)
    assert [r.name for r in runs] == ["grid_search#1", "grid_search#2", "grid_search#3"]
    second = read_run(runs[1]).curves
    np.testing.assert_array_equal(second.loss.steps, [1, 2, 3, 4, 5])
    assert second.loss.values[-1] == pytest.approx(2.3 * 0.8 ** 5)
    assert second.epoch_points


def test_a_loss_named_before_its_counter_is_read_and_a_counter_that_starts_again_is_a_run(
        tmp_path):
    """``print("Loss in iteration", i, ":", loss)`` puts the counter between the loss's name and
    its value. A loop over rates prints iteration 1 again with no epoch or total on its lines:
    each pass is a run (read as one, the runs would be one curve jumping back up)."""
    lines = []
    for rate in (10.0, 1.0):
        lines += [f"Loss in iteration {i} : {0.69 * (1 - 0.02 * rate) ** i + 0.3}"
                  for i in range(1, 41)]
        lines.append(f"Testing accuracy of updater 0 with rate {rate} = 0.85")
    path = tmp_path / "lr_a9a.txt"
    path.write_text("\n".join(lines) + "\n")
    runs = find_runs(path)
    assert [r.name for r in runs] == ["lr_a9a#1", "lr_a9a#2"]
    second = read_run(runs[1]).curves
    np.testing.assert_array_equal(second.loss.steps, np.arange(1, 41))
    assert second.loss.values[-1] == pytest.approx(0.69 * 0.98 ** 40 + 0.3)
    epochs = tmp_path / "epochs.txt"  # a counter of each epoch's batches, its epoch above
    epochs.write_text("".join(f"Epoch {e}\n" + "".join(
        f"loss at batch {b}: {2.0 / (e * 10 + b):.4f}\n" for b in range(1, 6))
        for e in range(1, 4)))
    (run,) = find_runs(epochs)
    np.testing.assert_array_equal(read_run(run).curves.loss.steps, np.arange(1, 16))


def test_a_summary_printed_after_the_run_is_no_point_and_a_printed_config_gives_the_lr(
        tmp_path):
    """A grid search's printout: each run's config as a dict above its epochs (its LR read from
    the dict), and after the last run the search's ``Best Val Loss = ...``, which is no point of
    that run (read as one, it replaced the last epoch's validation loss with another run's)."""
    def run(lr: float, k: int) -> str:
        return (f"\nEvaluating Config #{k} [of 2]:\n {{'learning_rate': {lr}, 'reg': 0.0001}}\n"
                + "".join(f"(Epoch {e} / 5) train loss: {2.3 - e * lr * 40:.6f}; "
                          f"val loss: {2.35 - e * lr * 30:.6f}\n" for e in range(1, 6)))
    path = tmp_path / "search.txt"
    path.write_text(run(0.01, 1) + run(0.001, 2) + "\nSearch done. Best Val Loss = 0.85\n"
                    "Best Config: {'learning_rate': 0.01, 'reg': 0.0001}\n")
    first, second = (read_run(r).curves for r in find_runs(path))
    assert list(first.lr.values) == [0.01] and list(second.lr.values) == [0.001]
    assert second.val_loss.values[-1] == pytest.approx(2.35 - 5 * 0.001 * 30)
    assert 0.85 not in second.val_loss.values
