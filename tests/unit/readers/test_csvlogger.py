"""Hand-written CSV logs with the defects real ones have: sparse rows, resumes, NaN, junk."""

from __future__ import annotations

import json
import math
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from lrwatch.errors import InputError
from lrwatch.readers import find_runs, read_run
from lrwatch.readers.csvlogger import read_csv_log
from tests.helpers.cli import lrwatch, run_cli


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_sparse_lightning_rows_give_each_curve_its_own_steps(tmp_path):
    path = write(tmp_path / "metrics.csv", (
        "epoch,lr-Adam,step,train_loss_epoch,train_loss_step,val_loss\n"
        ",0.001,0,,,\n"
        "0,,0,,2.5,\n"
        ",0.001,1,,,\n"
        "0,,1,,2.0,\n"
        "0,,1,,,1.9\n"
        "0,,1,2.25,,\n"
    ))
    result = read_csv_log(path)
    curves = result.curves
    np.testing.assert_array_equal(curves.loss.steps, [0, 1])
    np.testing.assert_array_equal(curves.loss.values, [2.5, 2.0])
    np.testing.assert_array_equal(curves.lr.values, [0.001, 0.001])
    np.testing.assert_array_equal(curves.val_loss.steps, [1])
    assert curves.optimizer == "Adam" and curves.grad_norm is None
    assert result.notes == ()


def test_nan_and_inf_are_kept_as_logged(tmp_path):
    path = write(tmp_path / "metrics.csv", "step,loss\n0,1.5\n1,inf\n2,nan\n3,-inf\n4,NaN\n")
    values = read_csv_log(path).curves.loss.values
    assert values[0] == 1.5 and values[1] == math.inf and values[3] == -math.inf
    assert math.isnan(values[2]) and math.isnan(values[4])


def test_a_resumed_run_keeps_the_later_value_of_each_step_and_says_so(tmp_path):
    # steps 0-3, then a resume from step 2 that logs 2-4 again with other values
    path = write(tmp_path / "metrics.csv",
                 "step,loss\n0,4.0\n1,3.0\n2,2.0\n3,1.0\n2,2.5\n3,1.5\n4,1.2\n")
    result = read_csv_log(path)
    np.testing.assert_array_equal(result.curves.loss.steps, [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(result.curves.loss.values, [4.0, 3.0, 2.5, 1.5, 1.2])
    assert any("'loss' has 2 steps logged again with another value" in n for n in result.notes)


def test_a_long_csv_with_a_split_column_reads_its_val_rows_as_validation_loss(tmp_path):
    """One row per (step, split): the 'val' rows' loss is a validation loss, not a second
    value of the training loss at their step (nor a sign of a resumed run)."""
    rows = ["step,split,loss,lr"]
    for step in range(1, 101):
        rows.append(f"{step},train,{5 - step / 50:.3f},0.001")
        if step % 20 == 0:
            rows.append(f"{step},val,{4 - step / 100:.3f},")
    result = read_csv_log(write(tmp_path / "metrics.csv", "\n".join(rows) + "\n"))
    np.testing.assert_array_equal(result.curves.loss.steps, np.arange(1, 101))
    np.testing.assert_allclose(result.curves.loss.values, 5 - np.arange(1, 101) / 50)
    np.testing.assert_array_equal(result.curves.val_loss.steps, [20, 40, 60, 80, 100])
    np.testing.assert_allclose(result.curves.val_loss.values, [3.8, 3.6, 3.4, 3.2, 3.0])
    assert (result.columns.loss, result.columns.val_loss) == ("loss", "val_loss")
    assert result.notes == ("read 'loss' of the 5 rows whose 'split' is 'val' as a validation "
                            "loss ('val_loss')",)


def test_shuffled_steps_are_sorted(tmp_path):
    path = write(tmp_path / "metrics.csv", "step,loss\n2,1.0\n0,3.0\n1,2.0\n")
    curves = read_csv_log(path).curves
    np.testing.assert_array_equal(curves.loss.steps, [0, 1, 2])
    np.testing.assert_array_equal(curves.loss.values, [3.0, 2.0, 1.0])


def test_a_missing_lr_column_still_reads_the_loss_and_says_the_suggestion_is_relative(tmp_path):
    path = write(tmp_path / "metrics.csv", "step,train_loss\n0,1.0\n1,0.9\n")
    result = read_csv_log(path)
    assert result.curves.lr is None and len(result.curves.loss) == 2
    assert any("no learning-rate column" in n for n in result.notes)


def test_non_numeric_cells_are_skipped_and_counted(tmp_path):
    path = write(tmp_path / "metrics.csv",
                 "step,loss,lr\n0,1.0,0.1\n1,tensor(0.9),0.1\n2,oops,0.1\nx,0.7,0.1\n4,0.6,0.1\n")
    result = read_csv_log(path)
    np.testing.assert_array_equal(result.curves.loss.steps, [0, 4])
    assert "ignored 2 non-numeric values in 'loss' (e.g. 'tensor(0.9)', 'oops')" in result.notes
    assert "ignored 1 rows whose step is not a number" in result.notes


def test_a_csv_without_step_column_counts_rows_as_steps(tmp_path):
    path = write(tmp_path / "losses.csv", "loss,lr\n3.0,0.1\n2.0,0.1\n1.0,0.1\n")
    np.testing.assert_array_equal(read_csv_log(path).curves.loss.steps, [0, 1, 2])


def test_a_csv_of_several_runs_one_after_another_is_a_run_each(tmp_path, capsys):
    """A sweep saved as one table, one row per (LR, seed, epoch), as pandas writes it: read by
    row it would be one curve that jumps back up at each new run; its epoch column starting
    again says where each run starts, and the columns that hold one value through a run say
    which it is. The runs are one sweep (the seed is no setup)."""
    rows = ["start_lr,seed,epoch,train_loss,test_loss"]
    for lr, rate in ((0.001, 0.02), (0.01, 0.2), (0.1, 0.5)):
        for seed in (0, 1):
            rows += [f"{lr},{seed},{e},{2 * (1 - rate) ** e + seed / 100:.4f},"
                     f"{2.1 * (1 - rate) ** e:.4f}" for e in range(1, 6)]
    path = write(tmp_path / "lr_sweep_results.csv", "\n".join(rows) + "\n")
    runs = find_runs(path)
    assert [r.name for r in runs] == [f"lr_sweep_results#{k}" for k in range(1, 7)]
    fourth = read_run(runs[3])
    np.testing.assert_array_equal(fourth.curves.loss.steps, [0, 1, 2, 3, 4])
    np.testing.assert_allclose(fourth.curves.loss.values,
                               [round(2 * 0.8 ** e + 0.01, 4) for e in range(1, 6)])
    np.testing.assert_array_equal(fourth.curves.lr.values, [0.01] * 5)
    assert fourth.notes[0] == ("run 4 of those lr_sweep_results.csv holds one after another "
                               "(its 'epoch' column starts again): its rows with start_lr=0.01, "
                               "seed=1")
    assert [r.name for r in find_runs(tmp_path)] == [r.name for r in runs]  # in a folder too
    code, out, err = lrwatch(capsys, "sweep", str(path), "--json")
    assert code == 0, err
    (sweep,) = json.loads(out)["sweeps"]
    assert [(r["lr"], r["position"]) for r in sweep["runs"]] == [
        (0.001, "too_low"), (0.001, "too_low"), (0.01, "too_low"), (0.01, "too_low"),
        (0.1, "near_best"), (0.1, "near_best")]
    with pytest.raises(InputError, match=(
            r"lr_sweep_results.csv holds several runs one after another: its 'epoch' column "
            r"starts again 5 times \(from 5 to 1 at line 7\); list its runs")):
        read_csv_log(path)  # read whole, not as one of its runs
    keras = write(tmp_path / "training.csv", "epoch,loss\n0,2.0\n1,1.5\n2,1.2\n")
    assert read_csv_log(keras).curves.loss.values.tolist() == [2.0, 1.5, 1.2]  # one run
    assert [r.name for r in find_runs(keras)] == ["training"]


def test_a_wandb_history_of_the_hf_trainer_is_stepped_by_its_global_step(tmp_path):
    # W&B's _step counts log calls (an evaluation is one): the optimizer step is train/global_step
    rows = ["_step,_runtime,train/loss,train/learning_rate,train/global_step,eval/loss"]
    for call, step in enumerate(range(0, 100, 10)):
        rows.append(f"{call},{step / 10},{3 - step / 100},0.0003,{step}," if step != 50
                    else f"{call},{step / 10},,,{step},2.6")
    result = read_csv_log(write(tmp_path / "history.csv", "\n".join(rows) + "\n"))
    np.testing.assert_array_equal(result.curves.loss.steps, [0, 10, 20, 30, 40, 60, 70, 80, 90])
    np.testing.assert_array_equal(result.curves.val_loss.steps, [50])
    assert result.columns.loss == "train/loss" and result.columns.lr == "train/learning_rate"


def test_a_loss_read_among_parts_of_a_total_says_so(tmp_path):
    # YOLO's results.csv pads every cell to a width; its total loss is not a column
    header = ["epoch", "train/box_loss", "train/cls_loss", "train/dfl_loss", "lr/pg0"]
    rows = [",".join(f"{c:>16}" for c in header)]
    rows += [",".join(f"{v:>16}" for v in (e, 1 / e, 2 / e, 3 / e, 0.01)) for e in range(1, 9)]
    result = read_csv_log(write(tmp_path / "results.csv", "\n".join(rows) + "\n"))
    assert result.columns.loss == "train/box_loss"
    assert ("3 loss columns alike ('train/box_loss', 'train/cls_loss', 'train/dfl_loss'), none "
            "named a total: read 'train/box_loss'; pick another with loss_key= / --loss-key"
            ) in result.notes


def test_hparams_beside_the_csv_give_the_optimizer_and_batch_size(tmp_path):
    path = write(tmp_path / "version_0" / "metrics.csv", "step,loss\n0,1.0\n")
    write(tmp_path / "version_0" / "hparams.yaml",
          "optimizer: adamw\nbatch_size: 64\nmomentum: 0.9\n")
    curves = read_csv_log(path).curves
    assert (curves.optimizer, curves.batch_size, curves.momentum) == ("AdamW", 64, 0.9)


def test_the_lr_column_name_beats_hparams_for_the_optimizer(tmp_path):
    path = write(tmp_path / "v" / "metrics.csv", "step,loss,lr-SGD\n0,1.0,0.1\n")
    write(tmp_path / "v" / "hparams.yaml", "optimizer: adam\n")
    assert read_csv_log(path).curves.optimizer == "SGD"


@pytest.mark.parametrize(("text", "message"), [
    ("", r"metrics.csv is empty: no header and no rows"),
    ("\n\n", r"metrics.csv is empty"),
    ("epoch,step,train_loss\n", r"metrics.csv has a header but no rows"),
    ("step,loss\n0,\n1,\n", r"metrics.csv has a 'loss' column but no value in it"),
    ("step,acc\n0,0.5\n", r"metrics.csv has no training-loss column; it has: acc"),
])
def test_unusable_csvs_give_a_one_line_error_naming_the_file(tmp_path, text, message):
    path = write(tmp_path / "metrics.csv", text)
    with pytest.raises(InputError, match=message) as info:
        read_csv_log(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_a_binary_file_is_not_a_csv(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError, match=r"metrics.csv is not a (text CSV|readable CSV) file"):
        read_csv_log(path)


def test_a_huge_csv_is_streamed_not_loaded(tmp_path):
    rows = 100_000
    path = tmp_path / "metrics.csv"
    steps = np.arange(rows)
    with open(path, "w") as fh:
        fh.write("epoch,lr-SGD,step,train_loss_step,val_loss,notes_a,notes_b\n")
        for step in steps.tolist():
            fh.write(f"0,0.1,{step},{1.0 / (1 + step):.6f},,some-text-here,more-text-here\n")
    size = path.stat().st_size
    tracemalloc.start()
    try:
        curves = read_csv_log(path).curves
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(curves.loss) == rows and len(curves.lr) == rows
    kept = 2 * rows * 16  # loss and lr: an int64 step and a float64 value each
    # neither the text nor Python floats are held: little more than the kept arrays
    assert peak < min(size, 1.5 * kept), (peak, size, kept)


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_separated_files_are_read(tmp_path, delimiter):
    text = "step,train_loss,lr\n0,2.0,0.1\n1,1.5,0.1\n".replace(",", delimiter)
    curves = read_csv_log(write(tmp_path / "metrics.csv", text)).curves
    np.testing.assert_array_equal(curves.loss.values, [2.0, 1.5])
    np.testing.assert_array_equal(curves.lr.values, [0.1, 0.1])


@pytest.mark.parametrize(("text", "message"), [
    ("step;loss\n0;0,5\n1;0,4\n",
     r"none of the 2 values in 'loss' is a number \(e.g. '0,5', '0,4'\); pick another"),
    ("step,loss\n0,True\n1,False\n", r"none of the 2 values in 'loss' is a number \(e.g. 'True'"),
    ("step,loss\n0,\x00\n", r"none of the 1 values in 'loss' is a number \(e.g. '\\x00'\)"),
    ("step train_loss lr\n0 2.0 0.1\n1 1.5 0.1\n",
     (r"in 'step train_loss lr' is a number \(e.g. '0 2.0 0.1', '1 1.5 0.1'\); the file has a "
      r"single column: lrwatch reads comma-, tab- or semicolon-separated CSV")),
    ('step,loss\n0,"1.0\n1,2.0\n2,3.0\n',
     (r"none of the 1 values in 'loss' is a number .*; 2 lines were read inside quoted cells "
      r"\(a quote \" never closed\?\)")),
    ("step,loss\n9223372036854775808,1.0\n1e30,2.0\n",
     (r"has no usable step: no 'step' cell is a number within ±2\^63 "
      r"\(e.g. '9223372036854775808', '1e30'\)")),
], ids=["decimal-commas", "booleans", "nul", "single-column", "open-quote", "huge-steps"])
def test_a_loss_column_without_numbers_says_why(tmp_path, text, message):
    path = write(tmp_path / "metrics.csv", text)
    with pytest.raises(InputError, match=message) as info:
        read_csv_log(path)
    assert "\n" not in str(info.value) and str(info.value).startswith(str(path))


def test_a_quote_never_closed_is_noted_when_rows_before_it_were_read(tmp_path):
    path = write(tmp_path / "metrics.csv", 'step,loss\n0,1.0\n1,"2.0\n2,3.0\n3,4.0\n')
    result = read_csv_log(path)
    np.testing.assert_array_equal(result.curves.loss.steps, [0])
    assert ('2 lines were read inside quoted cells, as part of an earlier row (a quote " never '
            "closed?)") in result.notes


@pytest.mark.parametrize("lrs", [("nan", "nan"), ("inf", "0"), ("-0.1", "0"), ("", "")],
                         ids=["nan", "inf-and-zero", "negative", "empty"])
def test_an_lr_column_without_a_usable_value_is_noted(tmp_path, lrs):
    path = write(tmp_path / "metrics.csv", f"step,loss,lr\n0,1.0,{lrs[0]}\n1,0.9,{lrs[1]}\n")
    result = read_csv_log(path)
    assert result.columns.lr == "lr"
    assert ("the learning-rate column 'lr' has no usable value (none is a finite number above "
            "0); the suggestion is a relative change") in result.notes


def test_numbers_with_underscores_are_not_numbers(tmp_path):
    """float() reads '1_05' as 105 (PEP 515); no logger writes numbers so."""
    path = write(tmp_path / "metrics.csv", "step,loss\n0,1_05\n1,0.5\n2_0,0.4\n")
    result = read_csv_log(path)
    np.testing.assert_array_equal(result.curves.loss.steps, [1])
    assert "ignored 1 non-numeric values in 'loss' (e.g. '1_05')" in result.notes
    assert "ignored 1 rows whose step is not a number" in result.notes


def test_a_step_that_is_no_whole_number_is_left_out_never_truncated(tmp_path, capsys):
    # steps 0.1, 0.2 ... were truncated to 0: ten points on a step, nine overwritten, and a
    # note blaming "a resumed run"
    rows = "".join(f"{s / 10},{2.0 - s / 100},0.001\n" for s in range(100))
    result = read_csv_log(write(tmp_path / "metrics.csv", "step,loss,lr\n" + rows))
    np.testing.assert_array_equal(result.curves.loss.steps, np.arange(10))
    np.testing.assert_allclose(result.curves.loss.values, 2.0 - np.arange(0, 100, 10) / 100)
    assert "ignored 90 rows whose step is not a whole number (e.g. '0.1', '0.2', '0.3')" \
        in result.notes
    assert not any("logged again" in n for n in result.notes)
    only = write(tmp_path / "halves" / "metrics.csv", "step,loss\n0.5,1.0\n1.5,0.9\n")
    code, out, err = run_cli(capsys, str(only))
    assert (code, out) == (1, "")
    assert err == (f"InputError: {only} has no usable step: its 'step' cells are not whole "
                   "numbers (e.g. '0.5', '1.5'), so they count no optimizer steps; rename that "
                   "column to read the rows in order, one step each\n")


def test_a_last_line_without_line_end_is_left_out_as_cut_short(tmp_path):
    """Lightning writes whole lines: a last line without its end is a write in progress."""
    path = write(tmp_path / "metrics.csv", "step,loss\n0,1.0\n1,0.5\n100,0.00")
    result = read_csv_log(path)
    np.testing.assert_array_equal(result.curves.loss.steps, [0, 1])
    assert ("left out the last line '100,0.00': it has no line end, so it may be cut short (a "
            "write in progress?)") in result.notes
    crlf = "step,loss,lr\r\n0,1.0,0.1\r\n1,0.5,0.1\r\n"  # as Lightning's csv writer ends lines
    whole = read_csv_log(write(tmp_path / "whole.csv", crlf))
    assert len(whole.curves.loss) == 2 and whole.notes == ()


@pytest.mark.parametrize(("text", "message"), [
    ("epoch,step,train_loss", r"has a header but no rows: the run logged nothing yet$"),
    ("step,loss\n0,1.0", (r"has a header but no rows: the run logged nothing yet \(its last line "
                          r"'0,1.0' has no line end, so it may be cut short\)$")),
])
def test_a_file_with_no_whole_row_has_no_rows(tmp_path, text, message):
    with pytest.raises(InputError, match=message):
        read_csv_log(write(tmp_path / "metrics.csv", text))


def test_a_split_column_of_training_rows_only_gives_no_validation_loss(tmp_path):
    path = write(tmp_path / "metrics.csv", "step,split,loss,lr\n1,train,2.0,0.1\n2,train,1.5,0.1\n")
    result = read_csv_log(path)
    assert result.curves.loss.values.tolist() == [2.0, 1.5]
    assert result.curves.val_loss is None and result.columns.val_loss is None
    assert result.notes == ()


@pytest.mark.parametrize("epoch", ["epoch", "Epoch", "EPOCH"])
def test_a_table_of_epochs_is_read_as_epochs_whatever_the_capitals(tmp_path, epoch):
    rows = "".join(f"{e},{2.0 * 0.9 ** e}\n" for e in range(12))
    result = read_csv_log(write(tmp_path / "history.csv", f"{epoch},Train Loss\n{rows}"))
    assert result.curves.epoch_points is True
    assert result.curves.loss.steps.tolist() == list(range(12))


@pytest.mark.parametrize("header", ["epoch,iteration,loss", "Epoch,Iteration,loss"])
def test_a_table_with_an_iteration_count_beside_its_epoch_is_read_by_step(tmp_path, header):
    # COMP6248-style: one row per logged iteration, the epoch it belongs to beside it
    rows = "".join(f"{i // 4},{i * 50},{2.0 * 0.99 ** i}\n" for i in range(40))
    result = read_csv_log(write(tmp_path / "log.csv", f"{header}\n{rows}"))
    assert result.curves.epoch_points is False
