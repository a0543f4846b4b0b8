"""``lrwatch analyze`` as a user runs it: real Lightning logs, a store, and broken inputs."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from lrwatch import LRWatch, keys
from lrwatch.cli.analyze import ENTRY_KEYS, NO_OPTIMIZER, _progress
from lrwatch.readers import find_runs
from lrwatch.store import FINISHED, Store
from tests.helpers.cli import run_cli
from tests.unit.readers.training import train_tiny

STATUSES = {"diverging", "oscillating", "stalled", "healthy", "insufficient_data"}
GOOD_CSV = "step,train_loss,lr-Adam\n" + "".join(
    f"{s},{2.0 * np.exp(-s / 40) + 0.1:.6f},0.001\n" for s in range(300))

# the example a one-line error about --pattern ends with
PATTERN_EXAMPLE = ("--pattern 'step (?P<step>\\d+).*loss (?P<loss>[-+.0-9eE]+|nan)"
                   ".*lr (?P<lr>[-+.0-9eE]+)'")


def strict_json(text: str) -> dict:
    """Parse as JSON that other tools accept: NaN and Infinity are refused."""
    def refuse(constant: str) -> None:
        raise ValueError(f"invalid JSON constant {constant}")
    return json.loads(text, parse_constant=refuse)


def csv_file(path, text=GOOD_CSV):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# -- real trainings ---------------------------------------------------------------------------
def test_one_training_logged_three_ways_gets_one_diagnosis(pl, tmp_path, capsys):
    train_tiny(pl, tmp_path, lr=0.05, epochs=3, batches=30, batch_size=4,
               callbacks=(LRWatch(store=tmp_path / "lrwatch_logs", name="tiny"),))
    code, out, err = run_cli(capsys, str(tmp_path), "--json")
    assert code == 0, err
    runs = strict_json(out)["runs"]
    top = tmp_path.name
    assert [(r["run"], r["source"]) for r in runs] == [
        (f"{top}/lightning_logs/version_0", str(tmp_path)),
        (f"{top}/lrwatch_logs/tiny", str(tmp_path)),
        (f"{top}/tb/lightning_logs/version_0", str(tmp_path)),
    ]
    for entry in runs:
        assert list(entry) == list(ENTRY_KEYS) and entry["error"] is None
        assert entry["status"] in STATUSES - {"insufficient_data"}  # 90 steps are enough
        assert entry["steps"] == 90 and entry["current_lr"] == pytest.approx(0.05)
        assert 0 <= entry["confidence"] <= 1
    # the CSV, the store and the events hold the same curves: the same verdict
    assert len({(r["status"], r["since_step"], r["action"]) for r in runs}) == 1
    assert runs[0]["columns"] == {"loss": "train_loss_step", "lr": "lr-SGD",
                                  "grad_norm": "grad_2.0_norm_total", "val_loss": "val_loss",
                                  "momentum": "lr-SGD-momentum", "optimizer": "SGD"}
    assert runs[1]["columns"] == {"loss": "loss", "lr": "lr", "grad_norm": "grad_norm",
                                  "val_loss": "val_loss", "optimizer": "SGD"}


def test_a_run_that_blows_up_is_diverging_and_the_lr_goes_down(pl, tmp_path, capsys):
    train_tiny(pl, tmp_path, lr=5.0, momentum=0.0, epochs=2, batches=30, batch_size=4,
               tensorboard=False)
    logs = tmp_path / "lightning_logs"
    with open(logs / "version_0" / "metrics.csv") as fh:
        losses = [(int(r["step"]), float(r["train_loss_step"]))
                  for r in csv.DictReader(fh) if r["train_loss_step"]]
    first_nan = min(step for step, loss in losses if not math.isfinite(loss))

    code, out, _ = run_cli(capsys, str(logs), "--json")
    (entry,) = strict_json(out)["runs"]
    assert code == 0
    assert entry["status"] == "diverging" and entry["action"] in ("reduce", "add_warmup")
    assert entry["current_lr"] == entry["peak_lr"] == 5.0 and entry["suggested_lr"] < 5.0
    assert entry["since_step"] <= first_nan and entry["evidence"]

    code, out, _ = run_cli(capsys, str(logs))
    header, row = out.splitlines()[:2]
    assert header.split() == ["run", "status", "conf", "since", "steps", "lr", "action", "evidence"]
    assert row.startswith("lightning_logs/version_0") and " diverging " in row
    assert f"5 → {entry['suggested_lr']:.3g}" in row and entry["evidence"][0] in row


# -- stores -----------------------------------------------------------------------------------
def test_a_store_lists_its_trainings_not_its_range_tests(store_path, capsys):
    steps = np.arange(300)
    with Store(store_path) as store:
        finder = store.create_run("finder", {"kind": "range_test"})
        store.backend.append(finder.id, {keys.LOSS: (steps, np.ones(300))})
        run = store.create_run("train", {"kind": "train", "optimizer": "AdamW"})
        store.backend.append(run.id, {keys.LOSS: (steps, 2.0 * np.exp(-steps / 40) + 0.1),
                                      keys.LR: (steps, np.full(300, 1e-3))})
        store.backend.set_status(run.id, FINISHED)
    code, out, _ = run_cli(capsys, str(store_path.parent), "--json")
    (entry,) = strict_json(out)["runs"]
    assert code == 0 and entry["run"] == "train" and entry["current_lr"] == 0.001
    assert entry["status"] in STATUSES - {"insufficient_data"}


def test_without_a_path_it_reads_where_lrwatch_records(tmp_path, capsys, monkeypatch):
    steps = np.arange(300)
    store_path = tmp_path / "project" / "lrwatch_logs" / "lrwatch.db"
    with Store(store_path) as store:
        run = store.create_run("train", {"kind": "train", "optimizer": "AdamW"})
        store.backend.append(run.id, {keys.LOSS: (steps, 2.0 * np.exp(-steps / 40) + 0.1)})
    monkeypatch.delenv("LRWATCH_STORE", raising=False)
    monkeypatch.chdir(tmp_path / "project")  # ./lrwatch_logs, as LRWatch() records
    code, out, _ = run_cli(capsys, "--json")
    assert code == 0 and [r["run"] for r in strict_json(out)["runs"]] == ["train"]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LRWATCH_STORE", str(store_path))
    code, out, _ = run_cli(capsys, "--json")
    assert code == 0 and [r["run"] for r in strict_json(out)["runs"]] == ["train"]


def test_a_healthy_row_leads_with_its_rationale_not_its_context(store_path, capsys):
    steps = np.arange(300)
    with Store(store_path) as store:
        run = store.create_run("train", {"kind": "train", "optimizer": "AdamW"})
        store.backend.append(run.id, {keys.LOSS: (steps, 2.0 * np.exp(-steps / 40) + 0.1),
                                      keys.LR: (steps, np.full(300, 1e-3)),
                                      keys.UPDATE_RATIO: (steps, np.full(300, 0.05))})
    code, out, _ = run_cli(capsys, str(store_path), "--json")
    (entry,) = strict_json(out)["runs"]
    assert entry["status"] == "healthy" and entry["evidence"][0].startswith("loss fell 9")
    assert any("update/weight ratio" in line for line in entry["evidence"])
    code, out, _ = run_cli(capsys, str(store_path))
    row = out.splitlines()[1]
    assert "keep" in row and "smooth, steady decrease" in row and "update/weight" not in row


def test_a_damaged_store_alone_exits_1_with_one_line_naming_it(tmp_path, capsys):
    path = tmp_path / "lrwatch.db"
    path.write_bytes(b"SQLite format 3\x00" + b"\x07" * 5000)
    code, out, err = run_cli(capsys, str(path))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and str(path) in err and err.startswith("InputError: ")


# -- many inputs, some broken ------------------------------------------------------------------
def test_one_unreadable_input_among_many_gets_its_own_entry(tmp_path, capsys):
    good = csv_file(tmp_path / "good" / "metrics.csv")
    empty = csv_file(tmp_path / "empty" / "metrics.csv", "")
    missing = tmp_path / "missing.csv"
    code, out, err = run_cli(capsys, str(good), str(empty), str(missing), "--json")
    assert code == 0 and err == ""
    runs = strict_json(out)["runs"]
    assert [(r["source"], r["error"] is None) for r in runs] == [
        (str(good), True), (str(empty), False), (str(missing), False)]
    assert runs[1]["error"] == f"{empty} is empty: no header and no rows"
    assert runs[1]["status"] is None and runs[1]["evidence"] == []
    assert runs[2]["error"].startswith(f"{missing} does not exist")

    code, out, _ = run_cli(capsys, str(good), str(empty))
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:3] == ["source", "run", "status"]
    assert lines[2].startswith(str(empty)) and " error " in lines[2]
    assert lines[2].endswith(f"{empty} is empty: no header and no rows")


def run_without_root_powers(cwd, *args: str) -> subprocess.CompletedProcess:
    """``lrwatch analyze ARGS`` in a process that file permissions apply to, even as root (CI
    runs as root: setpriv drops the capabilities that let root read any file)."""
    command = [sys.executable, "-m", "lrwatch.cli", "analyze", *args]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("root without setpriv: permissions cannot be tested")
        drop = "-dac_override,-dac_read_search"
        command = [setpriv, f"--bounding-set={drop}", f"--inh-caps={drop}", *command]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_unreadable_folders_and_files_get_their_own_entry(tmp_path):
    csv_file(tmp_path / "good.csv")
    (tmp_path / "nr").mkdir()
    csv_file(tmp_path / "t" / "lightning_logs" / "version_0" / "metrics.csv")
    csv_file(tmp_path / "t" / "lightning_logs" / "version_1" / "metrics.csv")
    locked = [tmp_path / "nr", tmp_path / "t" / "lightning_logs" / "version_1"]
    for folder in locked:
        folder.chmod(0)
    try:
        done = run_without_root_powers(tmp_path, "nr", "good.csv", "t",
                                       "t/lightning_logs/version_1/metrics.csv", "--json")
    finally:
        for folder in locked:
            folder.chmod(0o755)
    assert done.returncode == 0 and "Error" not in done.stderr, done.stderr
    runs = [(r["source"], r["run"], r["error"]) for r in strict_json(done.stdout)["runs"]]
    assert runs == [
        ("nr", f"{tmp_path.name}/nr", "cannot read nr: permission denied"),
        ("good.csv", "good", None),
        ("t", "t/lightning_logs/version_0", None),
        ("t", "t/lightning_logs/version_1",
         "cannot read t/lightning_logs/version_1: permission denied"),
        ("t/lightning_logs/version_1/metrics.csv", None,
         "cannot read t/lightning_logs/version_1/metrics.csv: permission denied"),
    ]


def test_an_unreadable_event_file_names_the_file(tmp_path):
    pytest.importorskip("tensorboard")
    events = tmp_path / "tb" / "events.out.tfevents.1.host"
    events.parent.mkdir()
    events.write_bytes(b"x")
    events.chmod(0)
    done = run_without_root_powers(tmp_path, "tb", "--json")
    (entry,) = strict_json(done.stdout)["runs"]
    assert done.returncode == 1
    assert entry["error"] == "cannot read tb/events.out.tfevents.1.host: permission denied"


def test_nothing_readable_exits_1_with_one_line_naming_the_file(tmp_path, capsys):
    header_only = csv_file(tmp_path / "metrics.csv", "epoch,step,train_loss\n")
    code, out, err = run_cli(capsys, str(header_only))
    assert (code, out) == (1, "")
    assert err == (f"InputError: {header_only} has a header but no rows: "
                   "the run logged nothing yet\n")

    code, out, err = run_cli(capsys, str(header_only), "--json")  # the document still comes
    assert code == 1 and strict_json(out)["runs"][0]["error"].startswith(str(header_only))
    assert err.count("\n") == 1


def test_a_folder_without_logs_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("no logs here")
    code, _, err = run_cli(capsys, str(tmp_path))
    assert code == 1
    assert err == (f"InputError: no logs in {tmp_path}: expected an lrwatch store (lrwatch.db), a "
                   "Lightning metrics.csv or TensorBoard event files (events.out.tfevents.*), a "
                   "Hugging Face trainer_state.json, a JSON log or a text training log in it or "
                   "below\n")


def test_a_folder_of_text_logs_in_no_preset_layout_is_read_by_its_names(tmp_path, capsys):
    """A script's own printout (an epoch block of "Train Loss: 7.3251" lines) is in no preset
    layout: each log is read by the names on its lines, one point an epoch, with a note that
    says so and how to read it otherwise; --pattern still reads it the user's way."""
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "README.txt").write_text("Each run logs its train loss and its valid loss.\n")
    for name in ("2025-02-16 10:43:29.611931.log", "2025-02-16 12:31:36.995326.log"):
        (logs / name).write_text("lr: 0.0001\nnum_epochs: 30\n" + "".join(
            f"Epoch: {e}/30\nTime Taken: 30.36s - LR: 9.90e-05\nTrain Loss: {7 - e / 10:.4f} - "
            f"Train Perplexity: 543.44\nValid Loss: {6.5 - e / 10:.4f}\n{'-' * 80}\n"
            for e in range(1, 31)))
    code, out, err = run_cli(capsys, str(tmp_path), "--json")
    assert code == 0, err
    runs = strict_json(out)["runs"]
    assert [(e["error"], e["steps"], e["current_lr"]) for e in runs] == [(None, 30, 9.9e-05)] * 2
    assert runs[0]["columns"] == {"loss": "loss", "lr": "lr", "val_loss": "val_loss"}
    assert runs[0]["notes"][:2] == [
        "read as a text log (key_values_by_epoch)",
        "no known layout: read 'loss' and its epoch where its lines name them; if that is not the "
        "training loss, read it with --pattern"]
    code, out, err = run_cli(capsys, str(tmp_path), "--json", "--pattern",
                             r"Train Loss: (?P<loss>\S+)")
    assert code == 0, err
    runs = strict_json(out)["runs"]
    assert [(e["error"], e["steps"]) for e in runs] == [(None, 30), (None, 30)]


def test_a_folder_whose_text_logs_print_a_loss_too_rarely_says_to_pass_pattern(tmp_path, capsys):
    """Two loss lines are too few to read a log by its names: the error says which file looks
    like a training log and that --pattern reads it."""
    (tmp_path / "run.log").write_text("start: Train Loss: 7.3251\nend: Train Loss: 5.1100\n")
    code, out, err = run_cli(capsys, str(tmp_path))
    assert (code, out) == (1, "")
    assert err.startswith(f"InputError: no logs in {tmp_path}: expected an lrwatch store")
    assert err.endswith(f"a text file prints a loss in no layout lrwatch knows (e.g. {tmp_path}/"
                        f"run.log): read it with --pattern, e.g. {PATTERN_EXAMPLE}\n")


def test_names_with_control_characters_are_printed_escaped(tmp_path, capsys):
    tricky = "run\x1b[31mred\nnext"
    csv_file(tmp_path / tricky / "metrics.csv")
    csv_file(tmp_path / "bad\rrow" / "metrics.csv", "step,loss\n")
    code, out, _ = run_cli(capsys, str(tmp_path))
    assert code == 0
    assert "\x1b[31m" not in out and "\r" not in out  # no escape code reaches the terminal
    lines = out.splitlines()
    assert lines[1].split()[:2] == [f"{tmp_path.name}/bad\\rrow", "error"]
    assert lines[2].split()[0] == f"{tmp_path.name}/run\\x1b[31mred\\nnext"
    assert f"{tmp_path}/bad\\rrow/metrics.csv has a header but no rows" in lines[1]
    code, out, _ = run_cli(capsys, str(tmp_path), "--json")  # JSON escapes them its own way
    assert [e["run"] for e in strict_json(out)["runs"]] == [
        f"{tmp_path.name}/bad\rrow", f"{tmp_path.name}/{tricky}"]


def test_a_fifo_named_like_a_log_is_skipped_with_a_note_not_waited_on(tmp_path):
    csv_file(tmp_path / "good" / "metrics.csv")
    (tmp_path / "pipe").mkdir()
    os.mkfifo(tmp_path / "pipe" / "metrics.csv")  # no writer: opening it would wait forever
    os.mkfifo(tmp_path / "pipe" / "trainer_state.json")
    done = subprocess.run([sys.executable, "-m", "lrwatch.cli", "analyze", str(tmp_path),
                           "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    good, *skipped = strict_json(done.stdout)["runs"]
    assert (good["run"], good["error"]) == (f"{tmp_path.name}/good", None)
    assert sorted(e["error"] for e in skipped) == [
        f"skipped {tmp_path / 'pipe' / name}: a FIFO (named pipe), not a regular file (lrwatch "
        "reads only regular files; a FIFO would wait forever)"
        for name in ("metrics.csv", "trainer_state.json")]


@pytest.mark.parametrize("text", [
    "step,loss\n" + "".join(f"{s},{'nan' if s > 150 else 2 - s / 100}\n" for s in range(200)),
    "step,loss\n" + "".join(f"{s},{'inf' if s % 7 == 0 else 1.0}\n" for s in range(200)),
    "step,loss,lr\n" + "".join(f"{s},{1 / (s + 1)},0.1\n"
                               for s in [*range(120), *range(60, 200)]),
    "step,loss,lr\n" + "".join(f"{199 - s},{1 / (200 - s)},0.1\n" for s in range(200)),
    "step,loss,lr\n" + "".join(f"{s},{'abc' if s % 5 == 0 else 1 / (s + 1)},x\n"
                               for s in range(200)),
    "step,loss\n0,1.0\n",
], ids=["nan-tail", "inf-cells", "resumed", "reversed", "mixed-types", "one-row"])
def test_odd_but_readable_logs_get_a_diagnosis_in_valid_json(tmp_path, capsys, text):
    code, out, err = run_cli(capsys, str(csv_file(tmp_path / "metrics.csv", text)), "--json")
    (entry,) = strict_json(out)["runs"]
    assert code == 0 and entry["error"] is None and entry["status"] in STATUSES, err


def test_a_log_without_lr_still_gets_a_diagnosis_with_a_relative_suggestion(tmp_path, capsys):
    steps = np.arange(400)
    text = "step,loss\n" + "".join(f"{s},{v:.6f}\n" for s, v in zip(steps, 2 * np.exp(steps / 50)))
    code, out, _ = run_cli(capsys, str(csv_file(tmp_path / "metrics.csv", text)), "--json")
    (entry,) = strict_json(out)["runs"]
    assert code == 0 and entry["status"] == "diverging" and entry["current_lr"] is None
    assert entry["factor"] is not None and entry["factor"] < 1
    assert any("no learning-rate column" in n for n in entry["notes"])


def test_file_names_that_are_not_utf8_come_out_as_valid_utf8(tmp_path, capsys):
    path = tmp_path / os.fsdecode(b"bad\xff.csv")  # "bad\udcff.csv"
    try:
        csv_file(path, "step,loss\n0,1.0\n1,0.9\n")
    except OSError:
        pytest.skip("this file system takes only UTF-8 names")
    shown = f"{tmp_path}/bad\\xff.csv"  # the undecodable byte, escaped
    code, out, _ = run_cli(capsys, str(path), "--json")
    (entry,) = strict_json(out)["runs"]
    assert code == 0 and (entry["source"], entry["run"]) == (shown, "bad\\xff")
    assert entry["notes"] == [
        f"no learning-rate column in {shown}; the suggestion is a relative change"]
    code, out, _ = run_cli(capsys, str(path))
    assert code == 0 and out.encode("utf-8").count(b"bad\\xff") == 3  # the row, its note


# -- flags ------------------------------------------------------------------------------------
def test_run_selects_by_name_and_an_unknown_name_lists_the_runs(tmp_path, capsys):
    for version in range(3):
        csv_file(tmp_path / "lightning_logs" / f"version_{version}" / "metrics.csv")
    logs = str(tmp_path / "lightning_logs")
    code, out, _ = run_cli(capsys, logs, "--run", "version_1", "--json")
    assert code == 0
    assert [r["run"] for r in strict_json(out)["runs"]] == ["lightning_logs/version_1"]
    code, _, err = run_cli(capsys, logs, "--run", "version_9")
    assert code == 1 and err == (
        f"InputError: no run 'version_9' in {logs}; runs there: lightning_logs/version_0, "
        "lightning_logs/version_1, lightning_logs/version_2 (LR range tests are not analysed)\n")


def test_run_given_twice_analyzes_both_and_names_the_one_not_there(tmp_path, capsys):
    for version in range(3):
        csv_file(tmp_path / "lightning_logs" / f"version_{version}" / "metrics.csv")
    logs = str(tmp_path / "lightning_logs")
    code, out, _ = run_cli(capsys, logs, "--run", "version_2", "--run", "version_0", "--json")
    assert code == 0
    assert [r["run"] for r in strict_json(out)["runs"]] == [
        "lightning_logs/version_0", "lightning_logs/version_2"]
    code, out, _ = run_cli(capsys, logs, "--run", "version_1", "--run", "version_9", "--json")
    runs = strict_json(out)["runs"]
    assert code == 0 and [r["run"] for r in runs] == ["lightning_logs/version_1", "version_9"]
    assert runs[0]["error"] is None and runs[1]["error"].startswith("no run 'version_9' in ")


def test_key_flags_choose_the_columns_and_a_missing_one_names_those_there(tmp_path, capsys):
    steps = np.arange(300)
    text = "step,train_loss,aux_loss,lr-Adam,my_lr\n" + "".join(
        f"{s},{1 + s},{2 * np.exp(-s / 40):.6f},0.001,0.02\n" for s in steps)
    path = str(csv_file(tmp_path / "metrics.csv", text))
    code, out, _ = run_cli(capsys, path, "--loss-key", "aux_loss", "--lr-key", "my_lr", "--json")
    (entry,) = strict_json(out)["runs"]
    assert code == 0 and entry["columns"]["loss"] == "aux_loss" and entry["current_lr"] == 0.02
    code, _, err = run_cli(capsys, path, "--lr-key", "lr")
    assert code == 1 and err == (f"InputError: {path} has no column 'lr' (lr_key= / --lr-key); "
                                 "it has: train_loss, aux_loss, lr-Adam, my_lr\n")


def test_event_files_without_tensorboard_name_the_extra(tmp_path, capsys, monkeypatch):
    from torch.utils.tensorboard import SummaryWriter
    with SummaryWriter(log_dir=str(tmp_path / "tb")) as writer:
        writer.add_scalar("loss", 1.0, 0)
    good = csv_file(tmp_path / "csv" / "metrics.csv")
    for name in [m for m in sys.modules if m == "tensorboard" or m.startswith("tensorboard.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    code, out, _ = run_cli(capsys, str(good), str(tmp_path / "tb"), "--json")
    runs = strict_json(out)["runs"]
    assert code == 0 and runs[0]["error"] is None
    assert runs[1]["error"] == ("Reading TensorBoard event files needs the 'tensorboard' package: "
                                "pip install 'lrwatch[tensorboard]'")


def test_analyze_runs_where_torch_and_lightning_are_not_installed(tmp_path):
    path = csv_file(tmp_path / "metrics.csv")
    # A finder that refuses these packages, as if not installed. (Setting sys.modules[name] to
    # None would not do: scipy looks torch up in sys.modules and trips over the None.)
    script = (
        "import sys\n"
        "BLOCKED = {'torch', 'lightning', 'pytorch_lightning', 'tensorboard', 'dash', 'yaml'}\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in BLOCKED:\n"
        "            raise ImportError(f'{name} is not installed')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from lrwatch.cli import main\n"
        f"main(['analyze', {str(path)!r}, '--json'])\n"
        "assert not BLOCKED & set(sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert strict_json(done.stdout)["runs"][0]["status"] in STATUSES


def test_a_progress_bar_shows_on_a_terminal_when_many_runs_are_read(tmp_path):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for version in range(5):
        csv_file(tmp_path / f"version_{version}" / "metrics.csv")
    runs = find_runs(tmp_path)
    terminal = Terminal()
    with _progress(runs, file=terminal) as bar:
        assert list(bar) == runs
    assert "reading logs" in terminal.getvalue() and "5/5" in terminal.getvalue()
    few = Terminal()
    with _progress(runs[:4], file=few) as bar:
        assert list(bar) == runs[:4]
    assert few.getvalue() == ""


def test_classes_tells_every_run_its_chance_level_and_a_bad_one_is_one_line(tmp_path, capsys):
    """A loss that sits at ln 10 the whole run: only with --classes 10 does its evidence name
    chance level (a CSV says nothing of its classes); --classes 1 or x is a one-line error."""
    noise = np.random.default_rng(0).normal(0.0, 0.01, 300)
    path = csv_file(tmp_path / "flat.csv", "step,train_loss,lr-Adam\n" + "".join(
        f"{s},{math.log(10) + w:.6f},0.001\n" for s, w in enumerate(noise)))
    evidence = {}
    for extra in ((), ("--classes", "10")):
        code, out, _ = run_cli(capsys, str(path), "--json", *extra)
        assert code == 0
        (entry,) = strict_json(out)["runs"]
        evidence[extra] = " | ".join(entry["evidence"])
    assert "chance level (" not in evidence[()]
    assert "the loss sits at ln(10) = 2.3, chance level" in evidence[("--classes", "10")]
    for bad, shown in (("1", "1"), ("x", "'x'")):
        code, out, err = run_cli(capsys, str(path), "--classes", bad)
        assert (code, out, err.count("\n")) == (1, "", 1)
        assert "--classes must be the classes (or vocabulary size) of a cross-entropy loss, " \
               f"an integer >= 2, got {shown}" in err


def test_optimizer_and_fine_tune_say_what_a_loss_log_does_not(tmp_path, capsys):
    """A log of a loss and a constant LR 1e-4 names no optimizer (a note says how to name it,
    once for a folder of such runs): --optimizer SGD places the LR a decade below SGD's usual
    range, --optimizer adamw --fine-tune inside a fine-tune's (kept, not raised); a name lrwatch
    has no range for, or one against the log's own, is noted; a blank name is a one-line
    error."""
    rng = np.random.default_rng(0)
    rows = "".join(f"{s},{2.0 * np.exp(-s / 400) + 0.5 + rng.normal(0, 0.01):.6f},0.0001\n"
                   for s in range(600))
    plain = csv_file(tmp_path / "plain" / "run.csv", "step,train_loss,lr\n" + rows)
    sgd = csv_file(tmp_path / "sgd" / "run.csv", "step,train_loss,lr-SGD\n" + rows)

    def entry(path, *flags):
        code, out, err = run_cli(capsys, str(path), "--json", *flags)
        assert code == 0, err
        (found,) = strict_json(out)["runs"]
        return found

    bare = entry(plain)
    assert "usual range" not in " ".join(bare["evidence"])
    assert bare["notes"] == [NO_OPTIMIZER] and "--optimizer NAME" in NO_OPTIMIZER
    assert "1.0 decades below SGD's usual range 0.001-0.3" in " ".join(
        entry(plain, "--optimizer", "sgd", "--from-scratch")["evidence"])
    tuned = entry(plain, "--optimizer", "torch.optim.AdamW", "--fine-tune")
    assert (tuned["status"], tuned["action"]) == ("healthy", "keep")
    assert entry(plain, "--optimizer", "Frobnicator")["notes"] == [
        "lrwatch knows no usual LR range for Frobnicator (--optimizer): the LR is judged by "
        "the curves alone"]
    assert entry(sgd, "--optimizer", "adamw")["notes"] == [
        "the run's log or folder names the optimizer SGD; judged as AdamW (--optimizer)"]
    code, out, err = run_cli(capsys, str(plain), "--optimizer", " ")
    assert (code, out, err.count("\n")) == (1, "", 1)
    assert "--optimizer needs the optimizer's class name, e.g. --optimizer AdamW" in err
    csv_file(tmp_path / "plain" / "again.csv", "step,train_loss,lr\n" + rows)
    code, out, _ = run_cli(capsys, str(tmp_path / "plain"))  # the table says it once
    assert code == 0 and out.count(NO_OPTIMIZER) == 1 and f"every run: {NO_OPTIMIZER}" in out


def test_a_logs_folder_says_its_lr_and_optimizer_where_the_log_does_not(tmp_path, capsys):
    """A sweep's CSV logs a loss only; its folder is named after the optimizer and LR, and a
    sibling run has a config.json: analyze judges each at its LR and says where that came from."""
    rows = "".join(f"{s},{2.0 * np.exp(-s / 400) + 0.5:.6f}\n" for s in range(600))
    named = csv_file(tmp_path / "sweep" / "sgd_lr0.1" / "run.csv", "step,train_loss\n" + rows)
    configured = csv_file(tmp_path / "sweep" / "b" / "run.csv", "step,train_loss\n" + rows)
    (configured.parent / "config.json").write_text(json.dumps(
        {"optimizer": "AdamW", "learning_rate": 3e-4, "batch_size": 32}))
    for path, lr, said in (
            (named, 0.1, ["the log has no LR: took lr=0.1 from the name 'sgd_lr0.1' as the LR "
                          "of every step",
                          "the log names no optimizer: took SGD from the name 'sgd_lr0.1' (say "
                          "--optimizer if it is another)"]),
            (configured, 3e-4, ["took optimizer=AdamW, batch_size=32, lr=0.0003 from config.json "
                                "beside the log (the LR of every step: it names no schedule)"])):
        code, out, err = run_cli(capsys, str(path), "--json")
        assert code == 0, err
        (found,) = strict_json(out)["runs"]
        assert found["current_lr"] == pytest.approx(lr)
        assert [n for n in found["notes"] if "no learning-rate column" not in n] == said
        assert NO_OPTIMIZER not in found["notes"]
