"""Jupyter notebooks: the training log a cell printed, read from the outputs the notebook was
saved with. Each notebook is written as Jupyter saves one (nbformat 4), its outputs as the
printing code's text."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lrwatch.errors import InputError
from lrwatch.readers import find_runs, read_run
from tests.helpers.cli import lrwatch, run_cli

PATTERN_EXAMPLE = ("--pattern 'step (?P<step>\\d+).*loss (?P<loss>[-+.0-9eE]+|nan)"
                   ".*lr (?P<lr>[-+.0-9eE]+)'")


def markdown(text: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": [text]}


def code(source: str, *outputs: dict[str, Any], count: int | None = None) -> dict[str, Any]:
    return {"cell_type": "code", "execution_count": count, "metadata": {},
            "source": source.splitlines(keepends=True), "outputs": list(outputs)}


def stream(text: str, name: str = "stdout", as_list: bool = True) -> dict[str, Any]:
    """A stream output; Jupyter saves its text as a list of lines, some tools as one string."""
    return {"output_type": "stream", "name": name,
            "text": text.splitlines(keepends=True) if as_list else text}


def result(text: str, count: int) -> dict[str, Any]:
    return {"output_type": "execute_result", "execution_count": count, "metadata": {},
            "data": {"text/plain": [text]}}


def notebook(path: Path, *cells: dict[str, Any]) -> Path:
    with open(path, "w") as fh:
        json.dump({"nbformat": 4, "nbformat_minor": 5, "cells": list(cells),
                   "metadata": {"kernelspec": {"name": "python3", "language": "python",
                                               "display_name": "Python 3"}}}, fh, indent=1)
    return path


def keras_loss(epoch: int) -> float:
    return round(2.3 * math.exp(-epoch / 8) + 0.3, 4)


def keras_fit(epochs: int = 30, keras3: bool = False) -> str:
    """What ``model.fit(..., verbose=1)`` leaves in a cell's output: an ``Epoch e/N`` line,
    then the epoch's summary; Keras 3 draws its bar with colour codes, which are saved too."""
    lines = []
    for epoch in range(1, epochs + 1):
        loss = keras_loss(epoch)
        if keras3:
            summary = (f"\x1b[1m1875/1875\x1b[0m \x1b[32m{'━' * 20}\x1b[0m\x1b[37m\x1b[0m "
                       f"\x1b[1m3s\x1b[0m 2ms/step - accuracy: 0.9 - loss: {loss:.4f} - "
                       f"val_accuracy: 0.88 - val_loss: {loss + 0.1:.4f}")
        else:
            summary = (f"1875/1875 [==============================] - 3s 2ms/step - loss: "
                       f"{loss:.4f} - accuracy: 0.9 - val_loss: {loss + 0.1:.4f}")
        lines += [f"Epoch {epoch}/{epochs}", summary]
    return "\n".join(lines) + "\n"


def torch_loop(epochs: int = 30) -> str:
    """A PyTorch loop's ``print(f"Epoch [{e}/{n}], Loss: {loss:.4f}")``."""
    return "".join(f"Epoch [{e}/{epochs}], Loss: {1.5 / e:.4f}\n" for e in range(1, epochs + 1))


def training_notebook(path: Path) -> Path:
    """Markdown, an import cell with unrelated output, a Keras fit over 30 epochs (cell 3,
    run as In [4]), a plot, then a PyTorch loop over 30 epochs (cell 6)."""
    return notebook(
        path,
        markdown("# MNIST"),
        code("import tensorflow as tf\nprint(tf.__version__)", stream("2.15.0\n"), count=1),
        code("history = model.fit(x, y, epochs=30, validation_split=0.1)",
             stream(keras_fit()), result("<keras.src.callbacks.History at 0x7f2c1c2b5d50>", 4),
             count=4),
        code("plt.plot(history.history['loss'])",
             {"output_type": "display_data", "metadata": {},
              "data": {"image/png": "iVBORw0KGgo=", "text/plain": ["<Figure size 640x480>"]}},
             count=5),
        markdown("## The same in PyTorch"),
        code("for epoch in range(30): ...", stream(torch_loop(), as_list=False), count=6),
    )


def test_each_cell_that_prints_a_training_log_is_a_run(tmp_path):
    path = training_notebook(tmp_path / "mnist.ipynb")
    runs = find_runs(path)
    assert [(r.name, r.format) for r in runs] == [("mnist:cell3", "notebook"),
                                                  ("mnist:cell6", "notebook")]

    keras = read_run(runs[0])
    epochs = np.arange(1, 31)
    np.testing.assert_array_equal(keras.curves.loss.steps, epochs)
    np.testing.assert_allclose(keras.curves.loss.values, [keras_loss(e) for e in epochs])
    np.testing.assert_allclose(keras.curves.val_loss.values, [keras_loss(e) + 0.1 for e in epochs])
    assert keras.notes[:2] == ("read from the printed output of cell 3 (In [4])",
                               "read as a text log (keras)")

    loop = read_run(runs[1])
    np.testing.assert_array_equal(loop.curves.loss.steps, epochs)
    np.testing.assert_allclose(loop.curves.loss.values, np.round(1.5 / epochs, 4))
    assert loop.notes[:2] == ("read from the printed output of cell 6 (In [6])",
                              "read as a text log (key_values_by_epoch)")


def test_keras_3_colour_codes_and_stderr_output_are_read(tmp_path):
    path = notebook(tmp_path / "fit.ipynb", code("model.fit(...)",
                                                 stream(keras_fit(keras3=True), name="stderr")))
    (run,) = find_runs(path)
    assert run.name == "fit:cell1"
    result = read_run(run)
    assert len(result.curves.loss) == 30
    np.testing.assert_allclose(result.curves.loss.values[-1], keras_loss(30))
    assert result.notes[0] == "read from the printed output of cell 1"  # never executed: no In []


def test_a_line_cut_by_a_progress_bar_on_the_other_stream_is_read_whole(tmp_path):
    # a loop prints to stdout while tqdm redraws on stderr: the saved outputs alternate, and a
    # print that was flushed in two parts comes back in two stdout outputs
    outputs = []
    for step in range(10, 110, 10):
        outputs += [stream(f"step {step} loss 2."), stream(f"{step:02d}%|###| {step}/100\r",
                                                           name="stderr"),
                    stream(f"{100 - step:02d} lr 0.001\n")]
    path = notebook(tmp_path / "loop.ipynb", code("train()", *outputs))
    result = read_run(find_runs(path)[0])
    np.testing.assert_array_equal(result.curves.loss.steps, np.arange(10, 110, 10))
    np.testing.assert_allclose(result.curves.loss.values,
                               [float(f"2.{100 - s:02d}") for s in range(10, 110, 10)])


def test_a_cell_that_stopped_with_an_error_says_so(tmp_path):
    path = notebook(tmp_path / "nb.ipynb", code(
        "train()", stream(torch_loop(12)),
        {"output_type": "error", "ename": "KeyboardInterrupt", "evalue": "", "traceback": []}))
    result = read_run(find_runs(path)[0])
    assert len(result.curves.loss) == 12
    assert "the cell stopped with KeyboardInterrupt: its training may have ended early" in (
        result.notes)


def test_lrwatch_analyze_lists_a_notebooks_runs_as_a_user_would(tmp_path, capsys):
    path = training_notebook(tmp_path / "mnist.ipynb")
    code_, out, err = run_cli(capsys, str(path), "--json")
    assert code_ == 0, err
    entries = json.loads(out)["runs"]
    assert [(e["run"], e["error"]) for e in entries] == [("mnist:cell3", None),
                                                         ("mnist:cell6", None)]
    assert entries[0]["columns"] == {"loss": "loss", "val_loss": "val_loss"}
    assert entries[0]["notes"][:2] == ["read from the printed output of cell 3 (In [4])",
                                       "read as a text log (keras)"]
    code_, out, _ = run_cli(capsys, str(path))
    assert code_ == 0
    assert [line.split()[0] for line in out.splitlines()[1:3]] == ["mnist:cell3", "mnist:cell6"]


def test_a_folder_walk_reads_a_notebook_once_not_its_checkpoint_copy(tmp_path, capsys):
    (tmp_path / "exp" / ".ipynb_checkpoints").mkdir(parents=True)
    training_notebook(tmp_path / "exp" / "mnist.ipynb")
    training_notebook(tmp_path / "exp" / ".ipynb_checkpoints" / "mnist-checkpoint.ipynb")
    notebook(tmp_path / "exp" / "explore.ipynb", code("df.head()", result("   a  b", 1), count=1))
    (tmp_path / "exp" / "broken.ipynb").write_text('{"cells": [')
    runs = find_runs(tmp_path)
    top = tmp_path.name
    assert [(r.name, r.format, r.error) for r in runs] == [
        (f"{top}/exp/mnist:cell3", "notebook", None), (f"{top}/exp/mnist:cell6", "notebook", None)]
    code_, out, err = run_cli(capsys, str(tmp_path), "--json")
    assert code_ == 0, err
    assert [e["run"] for e in json.loads(out)["runs"]] == [f"{top}/exp/mnist:cell3",
                                                           f"{top}/exp/mnist:cell6"]


def test_pattern_reads_a_cells_output_in_a_layout_lrwatch_does_not_know(tmp_path, capsys):
    lines = "".join(f"[it {i}] objective={2 - i / 100:.3f} eta=0.05\n" for i in range(40))
    path = notebook(tmp_path / "custom.ipynb", code("fit()", stream(lines), count=2))
    with pytest.raises(InputError) as caught:
        find_runs(path)
    assert str(caught.value) == (
        f"{path} holds no cell output that prints a training loss in a layout lrwatch knows, "
        "nor names one on 3+ lines ('loss: 2.31'): save the notebook with its training cell's "
        f"output, or pass --pattern with named groups, e.g. {PATTERN_EXAMPLE}")
    pattern = r"\[it (?P<step>\d+)\] objective=(?P<loss>\S+) eta=(?P<lr>\S+)"
    code_, out, err = run_cli(capsys, str(path), "--pattern", pattern, "--json")
    assert code_ == 0, err
    (entry,) = json.loads(out)["runs"]
    assert (entry["run"], entry["current_lr"]) == ("custom:cell1", 0.05)
    assert entry["notes"][:2] == ["read from the printed output of cell 1 (In [2])",
                                  "read as a text log (--pattern)"]
    assert not any("plain-text logs only" in note for note in entry["notes"])
    result = read_run(find_runs(path, pattern=pattern)[0], pattern=pattern)
    np.testing.assert_array_equal(result.curves.loss.steps, np.arange(40))
    code_, out, err = run_cli(capsys, str(path), "--pattern", r"cost=(?P<loss>\S+)")
    assert (code_, out) == (1, "")
    assert err == (f"InputError: {path}: no cell's output matches the pattern "
                   "'cost=(?P<loss>\\\\S+)' (pattern= / --pattern) in its first 1024 kB; check "
                   "it against a line the training cell printed\n")


@pytest.mark.parametrize(("write", "message"), [
    (lambda p: notebook(p, markdown("# Train"), code("model.fit(x, y, epochs=30)", count=None)),
     "{path} holds no cell output (saved with its outputs cleared, or never run): run the "
     "notebook and save it with its outputs, then analyze it again"),
    (lambda p: p.write_text("Epoch 1/3\nloss: 0.5\n"),
     "{path} is not a Jupyter notebook: not JSON (Expecting value: line 1 column 1 (char 0)); "
     "pass an .ipynb as Jupyter saves it (a cut copy or merge markers break it)"),
    (lambda p: p.write_text('{"loss": [0.5, 0.4]}'),
     "{path} is JSON but not a Jupyter notebook (no 'cells' list, as nbformat 4 has); pass an "
     ".ipynb as Jupyter saves it"),
    (lambda p: p.write_text('{"nbformat": 3, "worksheets": [{"cells": []}]}'),
     "{path} is an nbformat 3 notebook; lrwatch reads nbformat 4: convert it with `jupyter "
     "nbconvert --to notebook --inplace train.ipynb` (or open and save it in Jupyter), then "
     "analyze it again"),
    (lambda p: p.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:4d7a21\n"
                            "size 48213\n"),
     "{path} is a Git LFS pointer, not the log itself: run `git lfs pull` in its repository "
     "to fetch the file, then analyze it again"),
])
def test_a_notebook_with_nothing_to_read_is_a_one_line_error(tmp_path, capsys, write, message):
    path = tmp_path / "train.ipynb"
    write(path)
    code_, out, err = run_cli(capsys, str(path))
    assert (code_, out) == (1, "")
    assert err == f"InputError: {message.format(path=path)}\n"
    with pytest.raises(InputError):
        find_runs(path)


def test_a_notebook_changed_since_its_runs_were_listed_says_to_list_them_again(tmp_path):
    path = training_notebook(tmp_path / "mnist.ipynb")
    run = find_runs(path)[1]
    notebook(path, code("history = model.fit(...)", stream(keras_fit()), count=1))
    with pytest.raises(InputError, match=r"mnist\.ipynb no longer prints a training log in cell "
                                         r"6: list its runs again$"):
        read_run(run)


def test_a_cell_that_trains_at_several_lrs_in_a_loop_gives_a_run_for_each(tmp_path):
    """``for lr in (1e-3, 1e-2): train(lr)`` in one cell prints two nanoGPT logs one after
    another (the iteration starts again at 0): two runs, each with its own losses."""
    def run_log(lr: float) -> str:
        return f"training at lr {lr}\n" + "".join(
            f"iter {i}: loss {4.2 - i * lr:.4f}, time 12.34ms, mfu 1.20%\n"
            for i in range(0, 300, 10))
    path = notebook(tmp_path / "sweep.ipynb", markdown("# LR sweep"),
                    code("for lr in (1e-3, 1e-2): train(lr)",
                         stream(run_log(1e-3) + run_log(1e-2)), count=2))
    runs = find_runs(path)
    assert [r.name for r in runs] == ["sweep:cell2#1", "sweep:cell2#2"]
    for run, lr in zip(runs, (1e-3, 1e-2)):
        result = read_run(run)
        np.testing.assert_array_equal(result.curves.loss.steps, np.arange(0, 300, 10))
        np.testing.assert_allclose(result.curves.loss.values,
                                   np.round(4.2 - np.arange(0, 300, 10) * lr, 4))
    assert read_run(runs[1]).notes[0] == ("read from the printed output of cell 2 (In [2]): "
                                          "run 2 of those it printed one after another")


def html(markup: str, count: int | None = None) -> dict[str, Any]:
    """A rich output as Jupyter saves it: its HTML, and the placeholder text IPython gives."""
    kind = {"output_type": "display_data"} if count is None else {
        "output_type": "execute_result", "execution_count": count}
    return {**kind, "metadata": {}, "data": {"text/html": markup.splitlines(keepends=True),
                                              "text/plain": ["<IPython.core.display.HTML object>"]}}


def trainer_table(rows: list[tuple[int, str, float]]) -> str:
    """The progress table the Hugging Face Trainer draws in a notebook (its
    ``NotebookProgressCallback``): a progress bar, then Step / Training Loss / Validation Loss,
    'No log' where no training loss was logged yet."""
    body = "".join(f"    <tr>\n      <td>{s}</td>\n      <td>{t}</td>\n      <td>{v:.6f}</td>\n"
                   "    </tr>\n" for s, t, v in rows)
    return ("<div>\n  <progress value='2808' max='2808' style='width:300px;'></progress>\n"
            "  [2808/2808 4:35:34, Epoch 2/2]\n</div>\n<table border=\"1\" class=\"dataframe\">\n"
            "  <thead>\n <tr style=\"text-align: left;\">\n      <th>Step</th>\n"
            "      <th>Training Loss</th>\n      <th>Validation Loss</th>\n    </tr>\n"
            f"  </thead>\n  <tbody>\n{body}  </tbody>\n</table><p>")


def test_the_trainers_progress_table_is_read_not_its_printout(tmp_path):
    """A fine-tune run in a notebook: the Trainer logs to its HTML table, not to stdout; the
    cell's printout is warnings and ``TrainOutput(..., training_loss=<the run's mean>)``,
    which would read as a last point. The table's rows are read, 'No log' left out."""
    steps = list(range(200, 2801, 200))
    losses = [round(1.0 + 0.6 * math.exp(-s / 600), 6) for s in steps]
    rows = [(s, "No log" if s == 200 else f"{t:.6f}", t + 0.05) for s, t in zip(steps, losses)]
    path = notebook(tmp_path / "finetune.ipynb", markdown("# LoRA"),
                    code("trainer.train()", stream("warnings.warn(...)\n", name="stderr"),
                         html(trainer_table(rows)),
                         result("TrainOutput(global_step=2808, training_loss=1.2171, "
                                "metrics={'train_runtime': 16534.6})", 24), count=24))
    (run,) = find_runs(path)
    result_ = read_run(run)
    np.testing.assert_array_equal(result_.curves.loss.steps, steps[1:])
    np.testing.assert_allclose(result_.curves.loss.values, losses[1:])
    np.testing.assert_allclose(result_.curves.val_loss.values, np.add(losses, 0.05))
    assert result_.notes[0] == "read from the table displayed by cell 2 (In [24])"
    assert not any(n.startswith(("read as a text log", "no known layout")) for n in result_.notes)


def test_a_history_dataframe_is_read_and_a_table_that_names_no_loss_is_not(tmp_path):
    """``pd.DataFrame(history.history)`` shown as a cell's result (its index in the first
    column), beside a table of accuracies only, which is no log."""
    frame = ("<table border=\"1\" class=\"dataframe\">\n<thead><tr><th></th><th>loss</th>"
             "<th>val_loss</th></tr></thead>\n<tbody>\n" + "".join(
                 f"<tr><th>{e}</th><td>{keras_loss(e)}</td><td>{keras_loss(e) + 0.1}</td></tr>\n"
                 for e in range(1, 21)) + "</tbody></table>")
    accuracies = ("<table><tr><th>epoch</th><th>accuracy</th></tr>" + "".join(
        f"<tr><td>{e}</td><td>0.9</td></tr>" for e in range(1, 21)) + "</table>")
    path = notebook(tmp_path / "history.ipynb",
                    code("pd.DataFrame(history.history)", html(frame, count=3), count=3),
                    code("pd.DataFrame(acc)", html(accuracies, count=4), count=4))
    (run,) = find_runs(path)
    assert run.name == "history:cell1"
    np.testing.assert_allclose(read_run(run).curves.loss.values,
                               [keras_loss(e) for e in range(1, 21)])


def test_a_tutorial_loop_over_lrs_gives_a_run_for_each_where_its_epoch_goes_back(tmp_path):
    """``Epoch [e/3], Step [s/300], Loss: x`` for two LRs in one cell: the step counter starts
    again each epoch (carried on, one run) and again with the epoch back at 1 (a new run)."""
    def run_log(lr: float) -> str:
        return f"training with lr={lr}\n" + "".join(
            f"Epoch [{e}/3], Step [{s}/300], Loss: {2.0 / (e * s / 100 + lr * 10):.4f}\n"
            for e in range(1, 4) for s in range(100, 301, 100))
    path = notebook(tmp_path / "lrs.ipynb",
                    code("for lr in (0.01, 0.1): train(lr)",
                         stream(run_log(0.01) + run_log(0.1)), count=1))
    runs = find_runs(path)
    assert [r.name for r in runs] == ["lrs:cell1#1", "lrs:cell1#2"]
    second = read_run(runs[1]).curves
    np.testing.assert_array_equal(second.loss.steps, np.arange(100, 901, 100))
    np.testing.assert_allclose(second.loss.values[:2], [round(2.0 / 2.0, 4), round(2.0 / 3.0, 4)])
    np.testing.assert_allclose(second.lr.values[:1], [0.1])


def test_a_cell_looping_over_lrs_is_a_sweep_lrwatch_sweep_reads(tmp_path, capsys):
    """Five LRs trained in one cell's loop, each run's LR printed above it: ``lrwatch sweep
    NOTEBOOK --as-one`` places each run; the best LR of this made sweep is 1e-3."""
    text = ""
    for lr in (1e-4, 3e-4, 1e-3, 3e-3, 1e-2):
        text += f"training with lr={lr}\n"
        floor = 0.5 + 0.3 * abs(math.log10(lr / 1e-3))
        for e in range(1, 6):
            text += "".join(
                f"Epoch [{e}/5], Step [{s}/500], Loss: "
                f"{floor + 2.0 * math.exp(-((e - 1) * 500 + s) * min(lr, 1e-3) / 0.8):.4f}\n"
                for s in range(100, 501, 100))
    path = notebook(tmp_path / "lrs.ipynb", code("for lr in lrs: train(lr)", stream(text),
                                                 count=3))
    code_, out, err = lrwatch(capsys, "sweep", str(path), "--as-one", "--json")
    assert code_ == 0, err
    (sweep,) = json.loads(out)["sweeps"]
    assert [(r["run"].split(":")[-1], r["lr"], r["position"]) for r in sweep["runs"]] == [
        ("cell1#1", 1e-4, "too_low"), ("cell1#2", 3e-4, "too_low"), ("cell1#3", 1e-3, "near_best"),
        ("cell1#4", 3e-3, "too_high"), ("cell1#5", 1e-2, "too_high")]
    assert sweep["best_lr_low"] <= 1e-3 <= sweep["best_lr_high"]


def keras_fit_at(lr: float, epochs: int = 10) -> str:
    """``model.fit`` at ``lr``: falls fastest and lowest at 1e-3, as a sweep's runs do."""
    floor = 0.4 + 0.3 * abs(math.log10(lr / 1e-3))
    lines = []
    for epoch in range(1, epochs + 1):
        loss = floor + 2.0 * math.exp(-epoch * min(lr, 1e-3) / 3e-4)
        lines += [f"Epoch {epoch}/{epochs}",
                  f"96/96 [==============================] - 16s 166ms/step - loss: {loss:.4f}"
                  f" - accuracy: 0.5 - val_loss: {loss + 0.05:.4f} - val_accuracy: 0.5"]
    return "\n".join(lines) + "\n"


ZOOMCAMP_LOOP = """scores = {}

for lr in [0.0001, 0.001, 0.01, 0.1]:
    print(lr)

    model = make_model(learning_rate=lr)
    history = model.fit(train_ds, epochs=10, validation_data=val_ds)
    scores[lr] = history.history
"""


def lr_loop_notebook(path: Path, source: str = ZOOMCAMP_LOOP,
                     lrs: tuple[float, ...] = (1e-4, 1e-3, 1e-2, 1e-1)) -> Path:
    """A course's cell that fits a model at each LR of a list, printing only the bare LR
    above each fit."""
    return notebook(path, code("%matplotlib inline\nimport tensorflow as tf", count=1),
                    code(source, stream("".join(f"{lr}\n" + keras_fit_at(lr) + "\n\n"
                                                for lr in lrs)), count=2))


def test_runs_of_a_cell_looping_over_a_list_of_lrs_take_their_lrs_from_the_loop(tmp_path):
    """The LR is printed bare (``print(lr)``), in no layout a log reads: the cell's loop over a
    list of four LRs, and its four runs, give each run its LR, in order."""
    runs = find_runs(lr_loop_notebook(tmp_path / "notebook.ipynb"))
    assert [r.name for r in runs] == [f"notebook:cell2#{k}" for k in range(1, 5)]
    for run, lr in zip(runs, (1e-4, 1e-3, 1e-2, 1e-1)):
        result = read_run(run)
        assert set(result.curves.lr.values) == {lr}
        assert any("the cell loops over lr in [0.0001, 0.001, 0.01, 0.1]" in n
                   for n in result.notes)


@pytest.mark.parametrize("source, why", [
    (ZOOMCAMP_LOOP.replace("[0.0001, 0.001, 0.01, 0.1]", "[0.0001, 0.001, 0.01]"),
     "three LRs for four runs: which run had which is not sure"),
    (ZOOMCAMP_LOOP.replace("model.fit(", "model.fit(callbacks=[lr_schedule], x="),
     "a schedule: the loop's value is only where each run starts"),
    (ZOOMCAMP_LOOP + "\nfor learning_rate in [0.5, 0.6]:\n    pass\n", "two loops over LRs"),
])
def test_a_loop_that_does_not_say_each_runs_lr_gives_none(tmp_path, source, why):
    runs = find_runs(lr_loop_notebook(tmp_path / "notebook.ipynb", source))
    assert all(read_run(r).curves.lr is None for r in runs), why


def test_a_folder_with_such_a_notebook_holds_its_sweep(tmp_path, capsys):
    """``lrwatch analyze`` on the course's folder: the loop's runs are one sweep (they differ in
    the LR alone), read by their validation loss; the best is 1e-3."""
    lr_loop_notebook(tmp_path / "notebook.ipynb")
    code_, out, err = lrwatch(capsys, "sweep", str(tmp_path), "--json")
    assert code_ == 0, err
    (sweep,) = json.loads(out)["sweeps"]
    assert [(r["lr"], r["position"]) for r in sweep["runs"]] == [
        (1e-4, "too_low"), (1e-3, "near_best"), (1e-2, "too_high"), (1e-1, "too_high")]
