"""`lrwatch runs` and `lrwatch export`, as a user runs them."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import click
import numpy as np
import pytest

from lrwatch import Store
from lrwatch.cli import main
from lrwatch.store import FINISHED


@pytest.fixture
def filled(store_path):  # type: ignore[no-untyped-def]
    store = Store(store_path)
    run = store.create_run("baseline", {"optimizer": "Adam"})
    store.backend.append(run.id, {
        "loss": (np.arange(4), np.array([2.0, 1.0, np.nan, 0.5])),
        "lr": (np.arange(4), np.full(4, 3e-4)),
        "grad_norm/encoder": (np.array([0, 2]), np.array([0.1, 0.2])),
    })
    store.backend.set_status(run.id, FINISHED)
    store.create_run("second", {})
    store.close()  # its last checkpoint is written now, so the file's bytes stay put
    return store_path


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lrwatch.cli", *args],
                          capture_output=True, text=True, timeout=60)


def test_runs_lists_each_run_with_status_steps_loss_and_lr(filled, capsys):
    main(["runs", str(filled)])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "name", "status", "steps", "loss", "peak", "lr", "started",
                                "duration"]
    first = lines[1].split()
    assert first[:6] == ["1", "baseline", "finished", "4", "0.5", "0.0003"]
    assert lines[2].split()[:4] == ["2", "second", "running", "0"]


def test_runs_on_an_empty_store(store_path, capsys):
    Store(store_path).close()
    main(["runs", str(store_path)])
    assert "no runs" in capsys.readouterr().out


def test_export_csv_keeps_nan_and_leaves_absent_cells_empty(filled, tmp_path):
    out = tmp_path / "baseline.csv"
    main(["export", str(filled), "--run", "baseline", "-o", str(out)])
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["step", "loss", "lr", "grad_norm/encoder"]  # main series first
    assert rows[1] == ["0", "2.0", "0.0003", "0.1"]
    assert rows[2] == ["1", "1.0", "0.0003", ""]
    assert rows[3] == ["2", "nan", "0.0003", "0.2"]


def test_export_parquet_round_trips(filled, tmp_path):
    import pyarrow.parquet as pq  # the [parquet] extra; `make test` installs it
    out = tmp_path / "run.parquet"
    main(["export", str(filled), "--run", "baseline", "--format", "parquet", "-o", str(out)])
    table = pq.read_table(out).to_pydict()
    assert table["step"] == [0, 1, 2, 3]
    assert table["grad_norm/encoder"] == [0.1, None, 0.2, None]
    assert table["loss"][:2] == [2.0, 1.0] and np.isnan(table["loss"][2])


def test_errors_are_one_line_and_exit_1(filled, tmp_path):
    missing = _cli("export", str(filled), "--run", "nope")
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [
        f"RunNotFound: no run 'nope' in {filled}; runs here: baseline, second"]
    (tmp_path / "junk.db").write_text("junk")
    junk = _cli("runs", str(tmp_path / "junk.db"))
    assert junk.returncode == 1 and len(junk.stderr.strip().splitlines()) == 1
    assert "not an lrwatch store" in junk.stderr and "Traceback" not in junk.stderr
    bad_key = _cli("export", str(filled), "--run", "baseline", "--keys", "loss,acc")
    assert bad_key.returncode == 1 and "has no key acc" in bad_key.stderr


def _one_line_error(argv: list[str], capsys) -> str:  # type: ignore[no-untyped-def]
    """Run the CLI in-process; it must exit 1 with one line on stderr, which is returned."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    return err


@pytest.mark.parametrize("command", [["export"], ["export", "--format", "parquet"], ["report"]])
@pytest.mark.parametrize("store_arg, output", [
    ("{store}", "{store}"),
    ("{folder}", "{store}"),  # the store given as its folder
    ("{store}", "{folder}/./lrwatch.db"),  # another spelling of the same file
    ("{store}", "{store}-wal"),
    ("{store}", "{store}-shm"),
])
def test_output_over_the_store_itself_is_refused(filled, capsys, command, store_arg, output):
    names = {"store": str(filled), "folder": str(filled.parent)}
    before = filled.read_bytes()
    err = _one_line_error([command[0], store_arg.format(**names), "--run", "baseline",
                           *command[1:], "-o", output.format(**names)], capsys)
    assert err.startswith("ConfigError: ") and "pass another -o" in err
    assert filled.read_bytes() == before
    with Store(filled, readonly=True) as st:
        assert [r.name for r in st.runs()] == ["baseline", "second"]


def test_an_export_that_fails_midway_leaves_the_earlier_one_whole(filled, tmp_path, capsys,
                                                                   monkeypatch):
    import errno

    import lrwatch.export

    target = tmp_path / "x.csv"
    main(["export", str(filled), "--run", "baseline", "-o", str(target)])
    capsys.readouterr()
    earlier = target.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("x.")) == ["x.csv"]

    def disk_full(table, fh):  # type: ignore[no-untyped-def]
        fh.write("step,loss\n0,")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(lrwatch.export, "write_csv", disk_full)
    err = _one_line_error(["export", str(filled), "--run", "baseline", "-o", str(target)], capsys)
    assert err == f"ConfigError: cannot write the export to {target}: No space left on device; " \
                  "pass another -o"
    assert target.read_bytes() == earlier  # no partial file in its place or beside it
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("x.")) == ["x.csv"]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("where", ["missing folder", "a folder"])
def test_an_output_that_cannot_be_written_is_one_line(filled, tmp_path, capsys, fmt, where):
    target = {"missing folder": tmp_path / "no" / "dir" / f"x.{fmt}", "a folder": tmp_path}[where]
    err = _one_line_error(["export", str(filled), "--run", "baseline", "--format", fmt,
                           "-o", str(target)], capsys)
    assert err.startswith(f"ConfigError: cannot write the export to {target}: ")
    assert err.endswith("; pass another -o")


@pytest.mark.parametrize("name, default", [("exp/a", "exp_a.csv"), ("../escape", "_escape.csv"),
                                           ("my run", "my run.csv")])
def test_the_default_file_is_the_run_name_made_safe_in_the_current_folder(
        store_path, tmp_path, monkeypatch, name, default):
    with Store(store_path) as st:
        run = st.create_run(name)
        st.backend.append(run.id, {"loss": (np.arange(2), np.array([2.0, 1.0]))})
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    main(["export", str(store_path), "--run", name])
    assert [p.name for p in here.iterdir()] == [default]
    assert (here / default).read_text().splitlines() == ["step,loss", "0,2.0", "1,1.0"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here", "store"]


def _table(rows: int, keys: int):  # type: ignore[no-untyped-def]
    """A RunTable of ``rows`` steps x ``keys`` keys; every third cell of key k0 unrecorded."""
    from lrwatch.export import RunTable

    rng = np.random.default_rng(0)
    values = {f"k{i}": rng.random(rows) * 10.0 ** rng.integers(-8, 8, rows) for i in range(keys)}
    present = {key: np.ones(rows, bool) for key in values}
    present["k0"][::3] = False
    return RunTable(np.arange(rows) * 2, values, present)


def test_csv_cells_are_the_shortest_repr_across_blocks(monkeypatch):
    import io

    from lrwatch import export

    monkeypatch.setattr(export, "CSV_BLOCK_ROWS", 4)  # rows 0-3, 4-7, 8-9: three blocks
    table = _table(10, 2)
    table.values["k1"][:5] = [np.nan, np.inf, -np.inf, -0.0, 1e16]
    out = io.StringIO(newline="")
    export.write_csv(table, out)
    expected = ["step,k0,k1"] + [
        ",".join([str(2 * i), "" if i % 3 == 0 else repr(float(table.values["k0"][i])),
                  repr(float(table.values["k1"][i]))]) for i in range(10)]
    assert out.getvalue() == "\r\n".join(expected) + "\r\n"
    assert out.getvalue().splitlines()[1].endswith(",nan")


def test_csv_export_memory_does_not_grow_with_the_run():
    """The writer holds one block of rows at a time: writing 3x the rows takes no more memory
    (a cell a string at once took 3x: 34 MB, then 102 MB)."""
    import tracemalloc

    from lrwatch.export import write_csv

    class Sink:
        def write(self, text: str) -> None:
            pass

    peaks = []
    for rows in (100_000, 300_000):
        table = _table(rows, 4)
        tracemalloc.start()
        try:
            write_csv(table, Sink())
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    assert peaks[1] < 1.25 * peaks[0], f"peaks {peaks[0] / 1e6:.0f}, {peaks[1] / 1e6:.0f} MB"


def test_run_table_aligns_series_on_the_union_of_their_steps(store_path):
    from lrwatch.export import run_table

    with Store(store_path) as st:
        run = st.create_run("r")
        st.backend.append(run.id, {"a": (np.arange(5), np.arange(5.0)),
                                   "b": (np.array([1, 3]), np.array([10.0, 30.0])),
                                   "c": (np.array([6]), np.array([60.0]))})
        table = run_table(st, run)
        assert run_table(st, run, ["b", "b"]).values.keys() == {"b"}
    assert table.steps.tolist() == [0, 1, 2, 3, 4, 6]
    assert table.present["a"].tolist() == [True] * 5 + [False]
    assert table.values["a"][:5].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert table.present["b"].tolist() == [False, True, False, True, False, False]
    assert table.values["b"][[1, 3]].tolist() == [10.0, 30.0]
    assert table.present["c"].tolist() == [False] * 5 + [True] and table.values["c"][5] == 60.0


@pytest.fixture
def tricky(store_path):  # type: ignore[no-untyped-def]
    """Runs whose names look like an id, or hold a newline or a terminal escape."""
    with Store(store_path) as st:
        for name in ("exp/a", "line\nbreak", "\x1b[31mred", "1"):
            run = st.create_run(name)
            st.backend.append(run.id, {"loss": (np.arange(2), np.array([2.0, float(run.id)]))})
    return store_path


def test_a_run_ref_that_is_both_a_name_and_an_id_is_refused(tricky, capsys):
    err = _one_line_error(["export", str(tricky), "--run", "1", "-o", "-"], capsys)
    assert err == ("ConfigError: --run 1 is the name of run 4 and the id of run 1 ('exp/a'); "
                   "pass --run name:1 or --run id:1")


@pytest.mark.parametrize("ref, run_id", [("id:1", 1), ("name:1", 4), ("exp/a", 1), ("3", 3),
                                         ("name:line\nbreak", 2)])
def test_id_and_name_prefixes_pick_the_run(tricky, capsys, ref, run_id):
    main(["export", str(tricky), "--run", ref, "-o", "-"])
    assert capsys.readouterr().out.splitlines()[-1] == f"1,{float(run_id)!r}"


def test_report_takes_the_same_run_refs(tricky, tmp_path, capsys):
    main(["report", str(tricky), "--run", "name:1", "-o", str(tmp_path / "r.html")])
    assert "<h1>1</h1>" in (tmp_path / "r.html").read_text()
    err = _one_line_error(["report", str(tricky), "--run", "1", "-o", str(tmp_path / "r.html")],
                          capsys)
    assert err.startswith("ConfigError: --run 1 is the name of run 4 and the id of run 1")


@pytest.mark.parametrize("ref, message", [
    ("id:x", "ConfigError: --run id:x: an id is a whole number, as `lrwatch runs` lists"),
    ("id:9", "RunNotFound: no run 'id:9' in"),
    ("name:nope", "RunNotFound: no run 'name:nope' in"),
    ("nope", "RunNotFound: no run 'nope' in"),
])
def test_bad_run_refs_are_one_line(tricky, capsys, ref, message):
    err = _one_line_error(["export", str(tricky), "--run", ref, "-o", "-"], capsys)
    assert err.startswith(message)
    if "RunNotFound" in message:
        assert err.endswith("runs here: exp/a, line\\nbreak, \\x1b[31mred, 1")


def test_runs_prints_names_with_control_characters_escaped(tricky, capsys, monkeypatch):
    monkeypatch.setattr("click.utils.should_strip_ansi", lambda *_: False)  # as on a terminal
    main(["runs", str(tricky)])
    out = capsys.readouterr().out
    assert "\x1b[31mred" not in out  # the name's escape code never reaches the terminal
    lines = click.unstyle(out).splitlines()
    assert [line.split()[:2] for line in lines[1:]] == [
        ["1", "exp/a"], ["2", "line\\nbreak"], ["3", "\\x1b[31mred"], ["4", "1"]]


def test_export_puts_the_main_series_before_dozens_of_per_layer_ones(store_path, tmp_path):
    layers = [f"grad_norm/block{i:02d}.conv" for i in range(50)]
    with Store(store_path) as store:
        run = store.create_run("wide", {})
        steps = np.arange(3)
        store.backend.append(run.id, {key: (steps, np.ones(3)) for key in [
            *layers, "update_ratio/block00.conv", "lr/pg2", "logged/val_acc", "grad_norm",
            "update_ratio", "lr", "loss"]})
    out = tmp_path / "wide.csv"
    main(["export", str(store_path), "--run", "wide", "-o", str(out)])
    header = out.read_text().splitlines()[0].split(",")
    assert header[:7] == ["step", "loss", "lr", "grad_norm", "update_ratio", "logged/val_acc",
                          "grad_norm/block00.conv"]
    assert header[-2:] == ["lr/pg2", "update_ratio/block00.conv"]


def test_a_missing_run_in_a_store_of_many_says_the_names_listed_are_only_the_newest(
        store_path, capsys):
    with Store(store_path) as store:
        for k in range(12):
            run = store.create_run(f"run-{k}")
            store.append(run, {"loss": (np.arange(3), np.ones(3))})
        with pytest.raises(Exception) as found:
            store.run("nope")
    newest = ", ".join(f"run-{k}" for k in range(4, 12))
    # it said "runs here: run-4, ..., run-11", as if the store held no run-0 to run-3
    assert str(found.value).endswith(
        f"the newest 8 of 12 runs: {newest}; `lrwatch runs` lists them all")
    err = _one_line_error(["export", str(store_path), "--run", "nope", "-o", "-"], capsys)
    assert err.endswith(f"the newest 8 of 12 runs: {newest}; `lrwatch runs` lists them all")


def test_export_writes_the_format_its_output_file_names(filled, tmp_path, capsys):
    import pyarrow.parquet as pq

    for name in ("run.parquet", "run.PQ"):  # it wrote CSV text under these names
        out = tmp_path / name
        main(["export", str(filled), "--run", "baseline", "-o", str(out)])
        assert out.read_bytes()[:4] == b"PAR1"
        table = pq.read_table(out)
        assert table.column_names == ["step", "loss", "lr", "grad_norm/encoder"]
        assert table.column("loss").to_pylist()[:2] == [2.0, 1.0]
    out = tmp_path / "run.csv"
    main(["export", str(filled), "--run", "baseline", "-o", str(out)])
    assert out.read_text().startswith("step,loss,lr,grad_norm/encoder\n")
    with pytest.raises(SystemExit) as exit_:  # a --format the name contradicts: a usage error
        main(["export", str(filled), "--run", "baseline", "--format", "csv",
              "-o", str(tmp_path / "x.parquet")])
    assert exit_.value.code == 2
    assert "x.parquet names a parquet file, but --format is csv" in capsys.readouterr().err
    assert not (tmp_path / "x.parquet").exists()


def test_runs_lines_up_columns_after_wide_names(store_path, capsys):
    import unicodedata

    def screen_width(text: str) -> int:  # as a terminal draws it
        return sum(0 if unicodedata.combining(c) else
                   2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)

    with Store(store_path) as store:
        for name in ("学习率-实验", "plain", "🚀rocket", "e\u0301te"):  # wide, emoji, combining
            run = store.create_run(name)
            store.append(run, {"loss": (np.arange(3), np.ones(3))})
    main(["runs", str(store_path)])
    lines = capsys.readouterr().out.splitlines()
    # the status column starts at one screen column on every line (it drifted by one per
    # wide character)
    starts = {screen_width(line[:line.index("running" if "running" in line else "status")])
              for line in lines if "running" in line or "status" in line}
    assert len(starts) == 1, lines
