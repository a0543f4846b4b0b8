"""What a path holds: trees of versions, stores inside projects, and paths with nothing to read."""

from __future__ import annotations

import numpy as np
import pytest

from lrwatch import keys
from lrwatch.errors import InputError
from lrwatch.readers import find_runs, read_run
from lrwatch.store import Store

CSV = "step,train_loss,lr-SGD\n0,2.0,0.1\n1,1.5,0.1\n"


def csv_run(folder):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metrics.csv").write_text(CSV)
    return folder


def test_a_tree_gives_one_run_per_version_named_below_the_given_folder(tmp_path):
    logs = tmp_path / "lightning_logs"
    for version in (0, 1, 10):
        csv_run(logs / f"version_{version}")
    (logs / "version_1" / "events.out.tfevents.1.host").write_bytes(b"")  # both: the CSV wins
    (logs / ".ipynb_checkpoints").mkdir()
    csv_run(logs / ".ipynb_checkpoints" / "hidden")  # hidden folders are not entered
    runs = find_runs(logs)
    assert [(r.name, r.format) for r in runs] == [
        ("lightning_logs/version_0", "csv"), ("lightning_logs/version_1", "csv"),
        ("lightning_logs/version_10", "csv")]
    assert all(r.source == str(logs) for r in runs)


def test_a_version_folder_or_its_file_is_named_by_its_last_two_parts(tmp_path):
    version = csv_run(tmp_path / "lightning_logs" / "version_3")
    for given in (version, version / "metrics.csv"):
        (run,) = find_runs(given)
        assert (run.name, run.source) == ("lightning_logs/version_3", str(given))
    other = tmp_path / "exported.csv"
    other.write_text(CSV)
    assert find_runs(other)[0].name == "exported"


def test_a_project_folder_holds_stores_csv_and_event_logs(tmp_path):
    project = tmp_path / "project"
    csv_run(project / "lightning_logs" / "version_0")
    (project / "tb" / "version_0").mkdir(parents=True)
    (project / "tb" / "version_0" / "events.out.tfevents.1.host").write_bytes(b"")
    with Store(project / "lrwatch_logs") as store:
        run = store.create_run("baseline", {"kind": "train"})
        store.backend.append(run.id, {keys.LOSS: (np.arange(3), np.ones(3))})
    assert [(r.name, r.format) for r in find_runs(project)] == [
        ("project/lightning_logs/version_0", "csv"),
        ("project/lrwatch_logs/baseline", "store"),
        ("project/tb/version_0", "tensorboard"),
    ]
    assert len(read_run(find_runs(project)[1]).curves.loss) == 3


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: None, r"missing does not exist: pass a store, a metrics.csv, event files"),
    (lambda p: p.mkdir(), (r"no logs in .*missing: expected an lrwatch store \(lrwatch.db\), a "
                           r"Lightning metrics.csv or TensorBoard event files")),
    (lambda p: p.write_text("hello"), r"missing is not a log lrwatch reads: pass an lrwatch store"),
])
def test_paths_with_nothing_to_read_say_what_was_expected(tmp_path, make, message):
    path = tmp_path / "missing"
    make(path)
    with pytest.raises(InputError, match=message):
        find_runs(path)


def test_an_empty_folder_of_folders_has_no_logs(tmp_path):
    (tmp_path / "lightning_logs" / "version_0").mkdir(parents=True)
    (tmp_path / "lightning_logs" / "version_0" / "hparams.yaml").write_text("lr: 0.1\n")
    with pytest.raises(InputError, match="no logs in"):
        find_runs(tmp_path / "lightning_logs")


def test_a_store_under_another_name_is_found_and_other_sqlite_files_are_not(tmp_path):
    """`make demo` records to lrwatch_logs/demo.db: `lrwatch analyze lrwatch_logs` finds it."""
    import sqlite3

    store = Store(tmp_path / "lrwatch_logs" / "demo.db")
    run = store.create_run("lr-too-high", {})
    store.backend.append(run.id, {keys.LOSS: (np.arange(50), np.linspace(2, 1, 50))})
    store.close()
    with sqlite3.connect(tmp_path / "lrwatch_logs" / "other.db") as conn:
        conn.execute("CREATE TABLE t(x INTEGER)")
    runs = find_runs(tmp_path / "lrwatch_logs")
    assert [(r.name, r.format, r.error) for r in runs] == [("demo/lr-too-high", "store", None)]


def store_with_run(path, name):
    with Store(path) as store:
        run = store.create_run(name, {"kind": "train"})
        store.backend.append(run.id, {keys.LOSS: (np.arange(3), np.ones(3))})


def test_a_folder_with_lrwatch_db_still_gives_everything_else_in_it(tmp_path):
    project = tmp_path / "project"
    store_with_run(project / "lrwatch.db", "baseline")
    csv_run(project / "lightning_logs" / "version_0")
    assert [(r.name, r.format) for r in find_runs(project)] == [
        ("baseline", "store"), ("project/lightning_logs/version_0", "csv")]

    logs = tmp_path / "lrwatch_logs"  # `make demo` writes demo.db beside a default store
    store_with_run(logs / "lrwatch.db", "default")
    store_with_run(logs / "demo.db", "demo-run")
    assert [r.name for r in find_runs(logs)] == ["demo/demo-run", "default"]


def test_a_damaged_lrwatch_db_is_its_own_error_beside_the_logs_around_it(tmp_path):
    (tmp_path / "lrwatch.db").write_bytes(b"not a store")
    csv_run(tmp_path / "lightning_logs" / "version_0")
    damaged, csv = find_runs(tmp_path)
    assert damaged.error is not None and str(tmp_path / "lrwatch.db") in damaged.error
    assert (csv.format, csv.error) == ("csv", None)


def test_linked_log_folders_are_followed_and_named_by_the_path_given(tmp_path):
    target = csv_run(tmp_path / "scratch" / "ll" / "version_0").parent
    project = tmp_path / "proj"
    project.mkdir()
    (project / "lightning_logs").symlink_to(target)
    assert [r.name for r in find_runs(project)] == ["proj/lightning_logs/version_0"]
    assert [r.name for r in find_runs(project / "lightning_logs")] == [
        "lightning_logs/version_0"]
    assert [r.name for r in find_runs(project / "lightning_logs" / "version_0" / "metrics.csv")
            ] == ["lightning_logs/version_0"]


def test_link_loops_end_and_a_linked_folder_is_read_once_by_its_real_name(tmp_path):
    logs = tmp_path / "lightning_logs"
    csv_run(logs / "version_0")
    (logs / "version_0" / "up").symlink_to(logs)  # a loop
    (logs / "latest").symlink_to(logs / "version_0")  # sorts before version_0
    assert [r.name for r in find_runs(logs)] == ["lightning_logs/version_0"]


def test_a_link_to_a_folder_above_is_not_followed_out_of_the_path_given(tmp_path):
    # was: 'up -> ..' in version_0 read every run beside lightning_logs, as lightning_logs/...
    csv_run(tmp_path / "other_project" / "version_0")
    logs = tmp_path / "lightning_logs"
    csv_run(logs / "version_0")
    (logs / "version_0" / "up").symlink_to("../..")
    assert [r.name for r in find_runs(logs)] == ["lightning_logs/version_0"]
    assert [r.name for r in find_runs(logs / "version_0")] == ["lightning_logs/version_0"]


def test_an_empty_path_is_an_error_not_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    csv_run(tmp_path / "version_0")
    with pytest.raises(InputError, match=r"^an empty path \(''\) was given: pass a store"):
        find_runs("")


def test_a_git_lfs_pointer_in_place_of_a_store_says_to_pull(tmp_path):
    pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:9f2c\nsize 1048576\n"
    (tmp_path / "lrwatch.db").write_text(pointer)
    (tmp_path / "demo.db").write_text(pointer)
    csv_run(tmp_path / "lightning_logs" / "version_0")
    runs = find_runs(tmp_path)
    assert [(r.name, r.error is None) for r in runs] == [
        ("demo/demo.db", False), ("lrwatch.db", False),
        (f"{tmp_path.name}/lightning_logs/version_0", True)]
    assert all("is a Git LFS pointer, not the log itself: run `git lfs pull`" in r.error
               for r in runs[:2])
    with pytest.raises(InputError, match=r"lrwatch.db is a Git LFS pointer"):
        find_runs(tmp_path / "lrwatch.db")


def test_a_file_one_reader_took_is_not_looked_at_again_by_the_next(tmp_path, monkeypatch):
    """A sweep's JSON-lines .log files (one event a line) are the JSON reader's runs: the text
    reader, asked later, does not sniff them line by line with every printed layout (130 such
    logs of 380 kB took a folder walk 68 s), and no file is two runs."""
    import json

    from lrwatch.readers import textlog

    for lr in ("1e-3", "3e-3"):
        (tmp_path / f"lr{lr}.log").write_text("".join(
            json.dumps({"event": "training_step", "step": s, "loss": 5 - s / 100}) + "\n"
            for s in range(1, 200)))
    nanogpt = tmp_path / "nanogpt.log"  # a printed log beside them is still the text reader's
    nanogpt.write_text("".join(f"iter {i}: loss {4 - i / 100:.4f}, time 12.34ms, mfu 1.20%\n"
                               for i in range(0, 100, 10)))
    sniffed = []
    recognise = textlog._recognise
    monkeypatch.setattr(textlog, "_recognise",
                        lambda path, options: sniffed.append(path.name) or recognise(path, options))
    runs = find_runs(tmp_path)
    assert sorted((run.name.split("/")[-1], run.format) for run in runs) == [
        ("lr1e-3", "json"), ("lr3e-3", "json"), ("nanogpt", "text")]
    assert sniffed == ["nanogpt.log"]
