"""The public corpus read as a user reads it: each run's own log file, through lrwatch's readers.

``realworld_diagnosis`` judges the CSV an extractor wrote from a public log, with the setup its
manifest line records (optimizer, fine-tune, classes, parameter count). A user who runs
``lrwatch analyze`` on the log itself gets what lrwatch's readers find there, and the setup only
where the log says it or where the user states it (``--optimizer``, ``--fine-tune``,
``--classes``, ``--params``). This benchmark takes each public run's file from its snapshot (the
commit and path of its manifest line), at its path in the repository and with the small files
of its folder beside it (a user's checkout has them: settings files, and the folders' names),
reads it with ``find_runs`` / ``read_run`` and diagnoses it three ways, judged by the run's label
as ``realworld_diagnosis`` judges:

- ``csv``: the extracted CSV with the manifest's setup (the figure ``realworld_diagnosis`` gives);
- ``file``: the file as lrwatch reads it, nothing stated;
- ``file+flags``: the same, with the four flags a user can state set from the manifest's setup;
- ``folder``: ``lrwatch analyze FOLDER --json`` as a user who analyzes the folder of a run
  gets it, nothing stated: for a run of a sweep, the folder that holds the logs of the sweep's
  runs (each written at its path with the small files beside it), so the sweep advises the
  run; for another run, its log's own folder.

A file lrwatch cannot read is counted by its one-line error's kind. In a file that holds several
runs (a sweep in one JSON or CSV table), the labelled run is the one whose training losses are
those the corpus extracted for its label; where none (or more than one) has them, the run is
counted apart.

``python -m benchmarks.realworld_raw SNAPSHOTS`` (the folder ``realworld.rebuild`` reads: fetched
snapshots as ``<owner>+<name>/repo``); figures to stdout and ``benchmarks/out/realworld_raw.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import io
import json
import os
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

from benchmarks.realworld import RealRun, load, manifest
from benchmarks.realworld.extract_pl import git_show
from benchmarks.realworld.rebuild import find_snapshots
from benchmarks.realworld_diagnosis import entry_of, judge
from lrwatch.analysis import analyze
from lrwatch.cli import main as cli_main
from lrwatch.errors import LRWatchError
from lrwatch.readers import find_runs, read_run

# the manifest's setup fields a user can state on the command line
FLAGS = ("optimizer", "fine_tune", "classes", "param_count")
OUT = Path(__file__).parent / "out"
# the files beside a log written with it: the smallest BESIDE_FILES of up to BESIDE_BYTES each
# (configurations, model cards; a folder of a sweep's hundred logs is not all needed)
BESIDE_BYTES = 200_000
BESIDE_FILES = 20


def source_file(run: RealRun, git_dir: Path, into: Path) -> Path | None:
    """The run's log file at its commit, written under ``into`` at its path in the repository,
    with the smallest other files of its folder (what a user's checkout has beside the log:
    ``hparams.yaml``, ``config.json``; and the folders' names, which sweeps name runs by); None
    when the snapshot lacks the commit or the file."""
    data = git_show(git_dir, run.commit, run.path)
    if data is None:
        return None
    path = into / run.path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    folder = str(Path(run.path).parent)
    listing = subprocess.run(
        ["git", "--git-dir", str(git_dir), "ls-tree", "-l", "-z", run.commit,
         *([] if folder == "." else [folder + "/"])], capture_output=True, text=True).stdout
    beside = []
    for entry in filter(None, listing.split("\0")):
        info, name = entry.split("\t", 1)
        kind, size = info.split()[1], info.split()[3]
        if kind == "blob" and name != run.path and size.isdigit() and int(size) <= BESIDE_BYTES:
            beside.append((int(size), name))
    for _, name in sorted(beside)[:BESIDE_FILES]:
        data = git_show(git_dir, run.commit, name)
        if data is not None:
            (into / name).write_bytes(data)
    return path


def read_file(run: RealRun, path: Path, folder_view: tuple[Path, Path] | None = None) -> dict:
    """The judged rows of one run, or what stopped its file from being read. In a file of
    several runs, the labelled run is the one whose training losses are those the corpus
    extracted for the label (``of_several``: how many runs the file held); when no run or
    more than one has them, the run is counted apart. ``folder_view``: the folder a user
    analyzes and the run's log in it (default: the log's own folder)."""
    try:
        found = find_runs(str(path))
    except LRWatchError as exc:
        return {"error": _kind(str(exc))}
    if len(found) == 1:
        try:
            curves = read_run(found[0]).curves
        except LRWatchError as exc:
            return {"error": _kind(str(exc))}
        labelled, several = found[0], {}
    else:
        key = hashlib.sha256(path.read_bytes()).hexdigest()  # one file's runs are read once
        if key not in _SEVERAL:
            _SEVERAL[key] = [_curves_or_none(r) for r in found]
        matching = [(r, c) for r, c in zip(found, _SEVERAL[key])
                    if c is not None and _same_losses(c.loss.values, run.curves.loss.values)]
        if len(matching) != 1:
            return {"several": len(found)}
        (labelled, curves), several = matching[0], {"of_several": len(found)}
    stated = {k: run.meta[k] for k in FLAGS if run.meta.get(k) is not None}
    folder, log = folder_view or (path.parent, path)
    in_folder = _in_folder(log, labelled.part, folder)
    return {**several, "csv": judge(run, entry_of(analyze(run.curves))),
            "file": judge(run, entry_of(analyze(curves))),
            "file+flags": judge(run, entry_of(analyze(dataclasses.replace(curves, **stated)))),
            **({} if in_folder is None else {"folder": judge(run, in_folder)})}


def _sweep_view(run: RealRun, members: list[RealRun], git_dirs: dict, into: Path
                ) -> tuple[Path, Path] | None:
    """Where a user analyzes a run of a sweep: the logs of the sweep's runs (of its commit),
    each with the small files beside it, written at their paths under ``into``, and the
    folder that holds them all; the run's log in it. None for a run of no sweep."""
    members = [m for m in members if (m.repo, m.commit) == (run.repo, run.commit)]
    if len(members) < 2 or run.repo not in git_dirs:
        return None
    root = into / (run.sweep or "")
    if not root.exists():
        root.mkdir(parents=True)
        for member in members:
            source_file(member, git_dirs[run.repo], root)
    top = Path(os.path.commonpath([str(Path(m.path).parent) for m in members]))
    return root / top, root / run.path


def _curves_or_none(log_run):  # type: ignore[no-untyped-def]
    try:
        return read_run(log_run).curves
    except LRWatchError:
        return None


def _in_folder(log: Path, part: str | None, folder: Path) -> dict | None:
    """The entry of the run of ``log`` (``part`` of it) in ``lrwatch analyze FOLDER --json``,
    as a user who analyzes the folder gets it (a sweep among its runs advises it); None where
    its runs cannot be told apart. Each folder is analyzed once."""
    if folder not in _FOLDER_ENTRIES:
        try:
            runs = find_runs(str(folder))
        except LRWatchError:
            runs = []
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            try:
                cli_main(["analyze", str(folder), "--json"])
                entries = json.loads(out.getvalue())["runs"]
            except SystemExit:
                entries = []
        _FOLDER_ENTRIES[folder] = (runs, entries if len(entries) == len(runs) else [])
    runs, entries = _FOLDER_ENTRIES[folder]
    places = [i for i, r in enumerate(runs) if r.part == part and log in (r.path, *r.files)]
    return entries[places[0]] if len(places) == 1 and entries else None


# a file of several runs (its content's hash) -> each run's curves, None where unread
_SEVERAL: dict[str, list] = {}
# a folder analyzed -> its runs and their entries
_FOLDER_ENTRIES: dict[Path, tuple[list, list[dict]]] = {}


def _same_losses(read: np.ndarray, extracted: np.ndarray) -> bool:
    """Whether two loss curves hold the same values (NaN where the other has NaN)."""
    return read.shape == extracted.shape and bool(
        np.allclose(read, extracted, rtol=1e-6, atol=0.0, equal_nan=True))


def _kind(message: str) -> str:
    """A one-line error without its path: what kind of file it was refused as."""
    for kind in ("is not a log lrwatch reads", "matches no known log layout",
                 "holds several runs", "has no training-loss column"):
        if kind in message:
            return kind
    return message.split(": ", 1)[-1][:80]


def figures(rows: list[dict]) -> dict:
    """Status right, way right and 10x-wrong-way counts of each reading over the same runs."""
    read = [r for r in rows if "csv" in r]
    out: dict = {"runs": len(rows), "read": len(read),
                 "from_several": sum("of_several" in r for r in rows),
                 "several": sum("several" in r for r in rows),
                 "errors": dict(Counter(r["error"] for r in rows if "error" in r))}
    for how in ("csv", "file", "file+flags"):
        out[how] = {"status_right": sum(r[how]["status_right"] for r in read),
                    "right_way": sum(r[how]["right_way"] for r in read),
                    "wrong_way_far": sum(r[how]["wrong_way_far"] for r in read)}
    # the runs also read in their folder, each reading on those same runs
    both = [r for r in read if "folder" in r]
    swept = [r for r in both if r.get("of_a_sweep")]
    out["in_folder"] = {"runs": len(both), "of_a_sweep": len(swept),
                        "found_in_a_sweep": sum(r["folder"]["in_sweep"] for r in swept), **{how: {
        "status_right": sum(r[how]["status_right"] for r in both),
        "right_way": sum(r[how]["right_way"] for r in both),
        "wrong_way_far": sum(r[how]["wrong_way_far"] for r in both),
        "confident_wrong_way": sum(r[how]["wrong_way"] and r[how]["confidence"] >= 0.9
                                   for r in both)}
        for how in ("csv", "file", "folder")}}
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.realworld_raw")
    parser.add_argument("snapshots", type=Path, help="folder of fetched snapshots")
    args = parser.parse_args(argv)
    runs, missing = load()
    runs = [r for r in runs if not r.repo.startswith("lrwatch-made") and r.curves is not None]
    made = {row["id"] for row in manifest() if row["repo"].startswith("lrwatch-made")}
    absent = [i for i in missing if i not in made]  # runs made here are retrained, not read
    git_dirs, _ = find_snapshots(args.snapshots, sorted({r.repo for r in runs}))
    sweeps: dict[str, list[RealRun]] = {}
    for run in runs:
        if run.sweep:
            sweeps.setdefault(run.sweep, []).append(run)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, run in enumerate(runs):
            if run.repo not in git_dirs:
                rows.append({"id": run.id, "error": "snapshot absent"})
                continue
            folder = Path(tmp) / str(i)
            folder.mkdir()
            path = source_file(run, git_dirs[run.repo], folder)
            view = _sweep_view(run, sweeps.get(run.sweep, []), git_dirs, Path(tmp) / "sweeps")
            row = {"error": "not in its snapshot"} if path is None else read_file(run, path, view)
            rows.append({"id": run.id, "format": run.format, "of_a_sweep": bool(run.sweep),
                         **row})
    res = figures(rows)
    OUT.mkdir(exist_ok=True)
    (OUT / "realworld_raw.json").write_text(json.dumps({"figures": res, "rows": rows}))
    n = res["read"]
    print(f"{res['runs']} public runs: {n} read from their file ({res['from_several']} of them "
          f"found among the runs of a file of several by their losses), {res['several']} in a "
          f"file of several runs none of which (or more than one) has its losses, "
          f"{sum(res['errors'].values())} not read"
          + (f"; {len(absent)} more missing from the cache (realworld.rebuild writes them)"
             if absent else ""))
    for kind, count in sorted(res["errors"].items(), key=lambda kv: -kv[1]):
        print(f"  not read ({count}): {kind}")
    for how in ("csv", "file", "file+flags"):
        f = res[how]
        print(f"{how:>10}: status right {f['status_right']} ({f['status_right'] / n:.1%}), way "
              f"right {f['right_way']} ({f['right_way'] / n:.1%}), 10x the wrong way "
              f"{f['wrong_way_far']}")
    both = res["in_folder"]
    m = max(both["runs"], 1)
    print(f"the {both['runs']} of them also read in their folder (lrwatch analyze FOLDER: the "
          f"sweeps among its runs advise them; of the {both['of_a_sweep']} runs of a sweep, "
          f"{both['found_in_a_sweep']} found in one):")
    for how in ("csv", "file", "folder"):
        f = both[how]
        print(f"{how:>10}: status right {f['status_right']} ({f['status_right'] / m:.1%}), way "
              f"right {f['right_way']} ({f['right_way'] / m:.1%}), 10x the wrong way "
              f"{f['wrong_way_far']}, wrong way at confidence >= 0.9 {f['confident_wrong_way']}")


if __name__ == "__main__":
    main()
