"""Rebuild the public runs of the real-world cache from fetched repository snapshots, in one
command.

Usage: ``python -m benchmarks.realworld.rebuild MIRRORS_DIR`` reads every public manifest
(each ``manifest_*.jsonl`` beside this file that names a repository not made here) with its own
extractor (``extract_hf`` for ``manifest_hf.jsonl``, ``extract_pl`` for the others) from the
snapshots found in MIRRORS_DIR, and writes ``<id>.csv`` into ``cache_dir()``. MIRRORS_DIR holds
one folder per snapshot: ``<owner>+<name>/repo`` as the fetch tool lays them out (``repo`` a bare
git directory or a clone), or bare git directories (``<owner>+<name>.git``, ``<name>.git``, or
any name: a snapshot whose name is no repository of the manifests is still searched). It prints
how many runs each manifest got, one ``absent: owner/name`` line per repository with no snapshot
and runs missing (what a session must fetch), a line per snapshot that lacks a run's commit or
file, and a line per run its extractor could not read. Exit status 0 when every run was
written, 1 otherwise.

``--list`` prints the ``owner/name`` of every repository the public manifests need, one a line;
``--manifest FILE`` (repeatable) reads only those manifests. The runs made here are not rebuilt
from snapshots: ``make_runs`` and the ``fresh_sweepsN`` generators retrain them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from benchmarks.realworld import HERE, cache_dir, extract_hf, extract_pl

MADE_PREFIX = "lrwatch-made/"  # the ``repo`` of runs made here (README: a manifest line)


def read_manifest(path: Path) -> list[dict]:
    """The manifest's lines; a line that is not JSON stops it with the file and line."""
    rows = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path.name}:{n}: not JSON ({exc})") from None
    return rows


def public_manifests() -> list[Path]:
    """Every manifest beside this module that holds a run of a public repository."""
    return [p for p in sorted(HERE.glob("manifest_*.jsonl"))
            if any(not r["repo"].startswith(MADE_PREFIX) for r in read_manifest(p))]


def needed_repos(manifests: list[Path]) -> dict[str, list[dict]]:
    """``owner/name`` -> its runs (manifest lines, ``_manifest`` added), in manifest order."""
    repos: dict[str, list[dict]] = defaultdict(list)
    for path in manifests:
        for row in read_manifest(path):
            if not row["repo"].startswith(MADE_PREFIX):
                repos[row["repo"]].append({**row, "_manifest": path.name})
    return dict(repos)


def _git_dir(folder: Path) -> Path | None:
    """The git directory of one snapshot folder: ``repo`` (bare), ``repo/.git`` (a clone), the
    folder itself (bare) or its ``.git``; None when it holds none."""
    for cand in (folder / "repo", folder / "repo" / ".git", folder, folder / ".git"):
        if (cand / "HEAD").is_file() and (cand / "objects").is_dir():
            return cand
    return None


def find_snapshots(mirrors_dir: Path, repos: list[str]) -> tuple[dict[str, Path], list[Path]]:
    """({repo: git dir} for the snapshots named after a needed repository, [the other git
    dirs]). A folder's name, less ``.git``, is ``owner+name`` (GitHub names hold no ``+``), or a
    bare ``name`` where only one needed repository has that name; case is ignored as GitHub
    ignores it."""
    by_full = {r.lower(): r for r in repos}
    by_name: dict[str, list[str]] = defaultdict(list)
    for r in repos:
        by_name[r.split("/", 1)[1].lower()].append(r)
    named: dict[str, Path] = {}
    others: list[Path] = []
    for folder in sorted(p for p in mirrors_dir.iterdir() if p.is_dir()):
        git_dir = _git_dir(folder)
        if git_dir is None:
            continue
        key = folder.name.removesuffix(".git").lower()
        repo = (by_full.get(key.replace("+", "/", 1)) if "+" in key else
                by_name[key][0] if len(by_name.get(key, [])) == 1 else None)
        if repo is not None and repo not in named:
            named[repo] = git_dir
        else:
            others.append(git_dir)
    return named, others


def _extractor(manifest: Path):
    return extract_hf.extract if manifest.name == extract_hf.MANIFEST.name else extract_pl.extract


def rebuild(mirrors_dir: Path, manifests: list[Path]) -> tuple[list[str], bool]:
    """Extract every manifest from the snapshots under ``mirrors_dir``; return the report's
    lines (the last one the total) and whether every run was written."""
    repos = needed_repos(manifests)
    named, others = find_snapshots(mirrors_dir, list(repos))
    lines: list[str] = []
    written: set[str] = set()
    failed: dict[str, tuple[str, str]] = {}  # run id -> (manifest, why)
    total = 0
    for manifest in manifests:
        rows = read_manifest(manifest)
        total += len(rows)
        git_dirs = [named[r] for r in dict.fromkeys(row["repo"] for row in rows)
                    if r in named] + others
        errors: dict[str, str] = {}
        got, _ = _extractor(manifest)(git_dirs, manifest, failed=errors)
        written.update(got)
        failed.update({run: (manifest.name, why) for run, why in errors.items()})
        lines.append(f"{manifest.name}: {len(got)} of {len(rows)} runs written"
                     + (f", {len(errors)} failed" if errors else ""))
    absent, lacking = [], []
    for repo, runs in repos.items():
        missing = [r for r in runs if r["id"] not in written and r["id"] not in failed]
        if not missing:
            continue
        where = ", ".join(dict.fromkeys(r["_manifest"] for r in missing))
        if repo not in named:
            absent.append(f"absent: {repo} ({_runs(len(missing))} of {where})")
        else:
            ids = ", ".join(r["id"] for r in missing[:5]) + (" ..." if len(missing) > 5 else "")
            lacking.append(f"{repo}: its snapshot lacks the commit or file of "
                           f"{_runs(len(missing))} of {where} ({ids})")
    lines += absent + lacking
    lines += [f"failed ({name}): {why}" for name, why in failed.values()]
    lines.append(f"wrote {len(written)} of {total} runs to {cache_dir()}; "
                 f"{len(absent)} repositories absent")
    return lines, len(written) == total


def _runs(n: int) -> str:
    return f"{n} run" + ("" if n == 1 else "s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    parser.add_argument("mirrors_dir", nargs="?", type=Path,
                        help="folder of fetched snapshots (<owner>+<name>/repo or bare git "
                             "directories)")
    parser.add_argument("--list", action="store_true",
                        help="print the owner/name of every repository the manifests need")
    parser.add_argument("--manifest", type=Path, action="append",
                        help="read only this manifest (repeatable; default: every public one)")
    args = parser.parse_args(argv)
    for m in args.manifest or []:
        if not m.is_file():
            parser.error(f"manifest {m} is not a file")
    manifests = args.manifest or public_manifests()
    if args.list:
        print("\n".join(sorted(needed_repos(manifests), key=str.lower)))
        return 0
    if args.mirrors_dir is None:
        parser.error("give MIRRORS_DIR, the folder of fetched snapshots (or --list)")
    if not args.mirrors_dir.is_dir():
        parser.error(f"{args.mirrors_dir} is not a folder of fetched snapshots")
    lines, whole = rebuild(args.mirrors_dir, manifests)
    print("\n".join(lines))
    return 0 if whole else 1


if __name__ == "__main__":
    sys.exit(main())
