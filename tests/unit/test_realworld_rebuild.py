"""``python -m benchmarks.realworld.rebuild``: one command rebuilds the public runs of the cache
from a folder of fetched snapshots, here real bare git repositories made in a temporary folder,
and says what is absent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks.realworld import curves_of, read_csv

ROOT = Path(__file__).resolve().parents[2]
LOG = ('{"step": 10, "train_loss": 3.0, "lr": 0.001}\n'
       '{"step": 10, "val_loss": 3.5}\n'
       '{"step": 20, "train_loss": 2.5, "lr": 0.001}\n')
METRICS_CSV = "epoch,step,train_loss,val_loss\n0,9,2.5,\n0,9,,2.0\n1,19,1.5,\n"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def bare_snapshot(work: Path, into: Path, files: dict[str, str]) -> str:
    """Commit ``files`` in a fresh repository under ``work``, clone it bare to ``into``; return
    the commit."""
    work.mkdir(parents=True)
    for name, text in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text)
    git(work, "init", "-q")
    git(work, "add", ".")
    git(work, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "logs")
    into.parent.mkdir(parents=True, exist_ok=True)
    git(work, "clone", "-q", "--bare", str(work), str(into))
    return git(work, "rev-parse", "HEAD")


def line(run_id: str, repo: str, commit: str, path: str, fmt: str, **meta: object) -> str:
    label = {"status": "healthy", "direction": "keep", "source": "sweep", "why": "test"}
    return json.dumps({"id": run_id, "repo": repo, "commit": commit, "path": path,
                       "format": fmt, "family": "cnn", "meta": meta, "label": label})


def rebuild(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LRWATCH_REALWORLD": str(tmp_path / "cache")}
    return subprocess.run([sys.executable, "-m", "benchmarks.realworld.rebuild", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def mirrors(tmp_path: Path) -> tuple[Path, str]:
    """A folder laid out as the fetch tool lays it out: ``someone+logs/repo``, a bare git
    directory holding a JSONL training log; returns (folder, commit)."""
    folder = tmp_path / "mirrors"
    commit = bare_snapshot(tmp_path / "work", folder / "someone+logs" / "repo",
                           {"logs/train.jsonl": LOG})
    return folder, commit


def test_the_command_writes_the_csv_and_names_the_absent_repository(mirrors, tmp_path):
    folder, commit = mirrors
    manifest = tmp_path / "manifest_t.jsonl"
    manifest.write_text("\n".join([
        line("t-run", "someone/logs", commit, "logs/train.jsonl", "text", log_syntax="jsonl"),
        line("t-gone", "nobody/elsewhere", "1" * 40, "log.txt", "text", log_syntax="jsonl"),
        line("t-gone2", "nobody/elsewhere", "2" * 40, "log.txt", "text", log_syntax="jsonl"),
        line("t-old", "someone/logs", "3" * 40, "logs/train.jsonl", "text", log_syntax="jsonl"),
    ]) + "\n")

    res = rebuild(tmp_path, str(folder), "--manifest", str(manifest))

    assert res.returncode == 1, res.stderr  # not every run was written
    out = res.stdout.splitlines()
    assert "manifest_t.jsonl: 1 of 4 runs written" in out
    assert "absent: nobody/elsewhere (2 runs of manifest_t.jsonl)" in out
    assert ("someone/logs: its snapshot lacks the commit or file of 1 run of manifest_t.jsonl "
            "(t-old)") in out
    assert out[-1].startswith("wrote 1 of 4 runs to ") and out[-1].endswith("1 repositories absent")
    run = read_csv(tmp_path / "cache" / "t-run.csv")
    np.testing.assert_array_equal(run["step"], [10, 20])
    np.testing.assert_allclose(run["loss"], [3.0, 2.5])
    np.testing.assert_allclose(run["lr"], [0.001, 0.001])
    np.testing.assert_array_equal(run["val_loss"], [3.5, np.nan])
    assert not (tmp_path / "cache" / "t-gone.csv").exists()


def test_a_folder_of_bare_git_directories_and_the_hf_manifest(tmp_path):
    folder = tmp_path / "bare"
    commit = bare_snapshot(tmp_path / "w1", folder / "logs.git", {"train.jsonl": LOG})
    other = bare_snapshot(tmp_path / "w2", folder / "anyone+curves.git",
                          {"lightning_logs/version_0/metrics.csv": METRICS_CSV})
    hf = tmp_path / "hf" / "manifest_hf.jsonl"  # read by extract_hf, as the real one is
    hf.parent.mkdir()
    hf.write_text(line("h-run", "someone/logs", commit, "train.jsonl", "text",
                       log_syntax="jsonl") + "\n")
    pl = tmp_path / "manifest_p.jsonl"  # read by extract_pl
    pl.write_text(line("p-run", "anyone/curves", other, "lightning_logs/version_0/metrics.csv",
                       "metrics_csv") + "\n")

    res = rebuild(tmp_path, str(folder), "--manifest", str(hf), "--manifest", str(pl))

    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.splitlines()[:2] == ["manifest_hf.jsonl: 1 of 1 runs written",
                                           "manifest_p.jsonl: 1 of 1 runs written"]
    np.testing.assert_allclose(read_csv(tmp_path / "cache" / "h-run.csv")["loss"], [3.0, 2.5])
    pl_run = read_csv(tmp_path / "cache" / "p-run.csv")
    np.testing.assert_allclose(pl_run["loss"], [2.5, 1.5])
    np.testing.assert_array_equal(pl_run["val_loss"], [2.0, np.nan])


def test_a_run_that_cannot_be_read_is_reported_and_the_others_are_still_written(mirrors,
                                                                                tmp_path):
    folder, commit = mirrors
    manifest = tmp_path / "manifest_t.jsonl"
    manifest.write_text("\n".join([
        line("t-bad", "someone/logs", commit, "logs/train.jsonl", "text", log_syntax="nope"),
        line("t-run", "someone/logs", commit, "logs/train.jsonl", "text", log_syntax="jsonl"),
    ]) + "\n")

    res = rebuild(tmp_path, str(folder), "--manifest", str(manifest))

    assert res.returncode == 1
    out = res.stdout.splitlines()
    assert "manifest_t.jsonl: 1 of 2 runs written, 1 failed" in out
    failed = [ln for ln in out if ln.startswith("failed (manifest_t.jsonl): run t-bad ")]
    assert len(failed) == 1 and "'nope'" in failed[0]
    assert (tmp_path / "cache" / "t-run.csv").exists()


def test_list_prints_every_public_repository_one_a_line(tmp_path):
    res = rebuild(tmp_path, "--list")
    assert res.returncode == 0
    repos = res.stdout.splitlines()
    # a repository of an early manifest, one of round 8's, one of round 10's; no made family
    assert {"KellerJordan/modded-nanogpt", "OpenMOSS/SummerQuest-2026",
            "Aitor4/BDAPRO-Learning-rate-SGD"} <= set(repos)
    assert len(repos) == len(set(repos)) and all(r.count("/") == 1 for r in repos)
    assert not any(r.startswith("lrwatch-made/") for r in repos)


def test_a_missing_folder_is_one_line(tmp_path):
    res = rebuild(tmp_path, str(tmp_path / "nowhere"))
    assert res.returncode == 2
    assert res.stderr.strip().splitlines()[-1].endswith("is not a folder of fetched snapshots")


def test_a_gradient_norm_logged_as_nan_is_kept_and_an_empty_cell_is_not(tmp_path):
    """As lrwatch's CSV reader does: ``nan`` in a cell is the run's news (it died there, or fp16
    AMP skipped a step), an empty cell is a row that logged no gradient norm."""
    path = tmp_path / "run.csv"
    path.write_text("step,loss,grad_norm\n10,3.0,1.5\n15,2.9,\n20,9e5,nan\n")
    curves = curves_of({"meta": {}}, read_csv(path))
    assert curves.grad_norm.steps.tolist() == [10, 20]
    assert np.isnan(curves.grad_norm.values[-1])
