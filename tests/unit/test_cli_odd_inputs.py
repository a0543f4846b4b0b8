"""What a new user meets first: ``python -m lrwatch`` and the CLI on inputs that are empty,
unreadable or too few, each answered in one line that names the file and what to do."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

from tests.helpers.cli import lrwatch

ROOT = Path(__file__).resolve().parents[2]


def write_csv(path: Path, lr: float | None, points: int = 60) -> Path:
    """A Lightning-style ``metrics.csv``; no LR column where ``lr`` is None."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "step,train_loss" + ("" if lr is None else ",lr-Adam")
    rows = [f"{s},{2.3 * math.exp(-s / 30) + 0.1}" + ("" if lr is None else f",{lr}")
            for s in range(points)]
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_sweep_of_unreadable_files_names_the_files_error_not_zero_runs(tmp_path, capsys):
    # was: "a sweep needs at least 3 runs at 2 or more learning rates (got 0 runs at 0 LRs)",
    # or "1 runs, but no 3 of them share a setup", never why the runs could not be read
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    code, out, err = lrwatch(capsys, "sweep", str(empty))
    assert (code, out) == (1, "")
    assert err == (f"InputError: no sweep in {empty}: 1 run found, which cannot be read: "
                   f"{empty} is empty: no header and no rows\n")
    header_only = tmp_path / "header.csv"
    header_only.write_text("step,loss\n")
    code, out, err = lrwatch(capsys, "sweep", str(empty), str(header_only), "--as-one")
    assert (code, out) == (1, "")
    assert err == (f"InputError: no sweep in {empty}, {header_only}: 2 runs found: 2 cannot be "
                   f"read (the first: {empty} is empty: no header and no rows); a sweep needs 3 "
                   "runs at 2 or more learning rates: pass runs of one model at different LRs\n")


def test_sweep_as_one_of_runs_without_lr_or_at_one_lr_says_which(tmp_path, capsys):
    for i in range(3):
        write_csv(tmp_path / "nolr" / f"run{i}" / "metrics.csv", None)
        write_csv(tmp_path / "same" / f"run{i}" / "metrics.csv", 1e-3)
    code, out, err = lrwatch(capsys, "sweep", str(tmp_path / "nolr"), "--as-one")
    assert (code, out) == (1, "")
    assert err == (f"InputError: no sweep in {tmp_path / 'nolr'}: none of its 3 runs logs a "
                   "learning rate, and a sweep needs each run's LR; name the LR column with "
                   "--lr-key\n")
    code, out, err = lrwatch(capsys, "sweep", str(tmp_path / "same"), "--as-one")
    assert (code, out) == (1, "")
    assert err == (f"InputError: no sweep in {tmp_path / 'same'}: 3 runs found: 3 at 1 LR; a "
                   "sweep needs 3 runs at 2 or more learning rates: pass runs of one model at "
                   "different LRs\n")


def test_sweep_left_out_gives_the_reason_a_run_could_not_be_read(tmp_path, capsys):
    for lr in (1e-4, 1e-3, 1e-2):
        write_csv(tmp_path / f"lr{lr:g}" / "metrics.csv", lr)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "metrics.csv").write_text("step,train_loss,lr-Adam\n")
    code, out, err = lrwatch(capsys, "sweep", *(str(p) for p in sorted(tmp_path.iterdir())),
                             "--as-one")
    assert code == 0, err
    assert ("has a header but no rows: the run logged nothing yet") in out.split("left out:")[1]


def test_python_dash_m_lrwatch_is_the_command(tmp_path):
    # was: "No module named lrwatch.__main__; 'lrwatch' is a package and cannot be directly
    # executed"
    done = subprocess.run([sys.executable, "-m", "lrwatch", "analyze", str(tmp_path / "nope")],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (f"InputError: {tmp_path / 'nope'} does not exist: pass a store, a "
                           "metrics.csv, event files or a folder\n")
    done = subprocess.run([sys.executable, "-m", "lrwatch", "--help"], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0 and "Usage: lrwatch [OPTIONS] COMMAND" in done.stdout


def test_csv_with_two_columns_of_the_loss_name_is_refused_not_read_from_the_first(
        tmp_path, capsys):
    # was: the first 'loss' column read silently (a pandas export of two frames joined)
    table = tmp_path / "metrics.csv"
    table.write_text("step,loss,lr,loss\n" + "".join(f"{s},{2 - s / 50},0.1,{9 + s}\n"
                                                    for s in range(40)))
    code, out, err = lrwatch(capsys, "analyze", str(table))
    assert (code, out) == (1, "")
    assert err == (f"InputError: {table} has 2 columns named 'loss' (columns 2, 4): lrwatch "
                   "cannot tell which one to read; rename the others\n")
    # a name repeated among columns that are not read changes nothing
    table.write_text("step,loss,lr,note,note\n" + "".join(f"{s},{2 - s / 50},0.1,a,b\n"
                                                          for s in range(40)))
    code, out, err = lrwatch(capsys, "analyze", str(table), "--json")
    assert (code, err) == (0, "")
    assert '"steps": 40' in out


def test_pattern_on_a_log_another_reader_reads_is_said_unused(tmp_path, capsys):
    # was: --pattern silently ignored on a metrics.csv
    table = write_csv(tmp_path / "run" / "metrics.csv", 1e-3)
    code, out, err = lrwatch(capsys, "analyze", str(table), "--pattern",
                             r"step (?P<step>\d+) loss (?P<loss>\S+)", "--json")
    assert (code, err) == (0, "")
    assert ("--pattern reads plain-text logs only: metrics.csv (csv) was read by its own "
            "fields") in out
    code, out, err = lrwatch(capsys, "analyze", str(table), "--json")
    assert "--pattern" not in out


def test_nan_for_a_number_option_is_a_usage_error_naming_the_option(tmp_path, capsys):
    # click's FloatRange lets nan through its bounds: --interval nan was a traceback
    # ("cannot convert float NaN to integer"), --smoothing nan "ema weight must be in [0, 1)"
    store = tmp_path / "lrwatch.db"
    for argv, option in ((["dashboard", str(store), "--interval", "nan"], "--interval"),
                         (["report", str(store), "--smoothing", "nan"], "--smoothing"),
                         (["demo", "--pace", "nan", "--no-dashboard"], "--pace")):
        code, out, err = lrwatch(capsys, *argv)
        assert (code, out) == (2, ""), argv
        assert f"Error: Invalid value for '{option}': nan is not a number in the range" in err
        assert "Traceback" not in err
    assert not store.exists()
