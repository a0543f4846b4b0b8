"""Plain-text training logs: the four layouts recognised by themselves, --pattern, and files
that are not logs. Each fixture prints lines the way its script's print statement does."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from lrwatch.errors import ConfigError, InputError
from lrwatch.readers import find_runs, read_run
from tests.helpers.cli import run_cli


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
    assert result.notes[0] == "read as a nanogpt log"
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
    assert result.notes[0] == "read as a word_language_model log"
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
    assert err.rstrip("\n").endswith("e.g. --pattern 'step (?P<step>\\d+) .*loss (?P<loss>\\S+) "
                                     ".*lr (?P<lr>\\S+)'")
    assert re.match(message, err), err
    with pytest.raises(ConfigError):
        find_runs(tmp_path, pattern=pattern)


def test_a_log_in_no_known_layout_says_to_pass_pattern(tmp_path, capsys):
    path = tmp_path / "train.log"
    path.write_text("".join(f"[train] it={i} objective={2 - i / 100:.3f}\n" for i in range(50)))
    code, out, err = run_cli(capsys, str(path))
    assert (code, out) == (1, "")
    assert err == (f"InputError: {path} matches no known log layout (nanogpt, "
                   "word_language_model, hf_dicts, keras): pass --pattern with named groups, "
                   "e.g. --pattern 'step (?P<step>\\d+) .*loss (?P<loss>\\S+) .*lr (?P<lr>\\S+)'\n")
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
    assert result.notes[0] == "read as a keras log"
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
    assert entry["notes"][0] == "read as a word_language_model log"
    code, out, _ = run_cli(capsys, str(path))
    assert code == 0 and out.splitlines()[1].startswith("lstm ")
