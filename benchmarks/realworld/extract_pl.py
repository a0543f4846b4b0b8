"""Extract the runs of ``manifest_pl.jsonl`` (Lightning ``metrics.csv``, other CSV logs,
TensorBoard event files, and per-point histories saved as JSON) from fetched repository snapshots into the real-world cache.

Usage: ``python -m benchmarks.realworld.extract_pl MIRROR [MIRROR ...]`` where each MIRROR is
the bare git directory of a fetched snapshot. A run is read from the first mirror that holds its
manifest commit; the log is read with ``git show COMMIT:PATH``, so nothing fetched is copied
anywhere but the cache. Re-running it rewrites the same CSVs from the manifest.

Which columns (or TensorBoard tags) are the training loss, LR, gradient norm and validation loss
is decided by the preference lists below; in a manifest line ``meta.loss_key`` overrides the
loss choice where a log names it differently, and ``meta.json_keys`` names the lists of a JSON
history (optional fields, read only here).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.realworld import HERE, cache_dir

MANIFEST = HERE / "manifest_pl.jsonl"

# The first name present wins: per-step training loss before per-epoch (Lightning logs both as
# ``train_loss_step`` / ``train_loss_epoch`` when on_step and on_epoch are set).
LOSS_KEYS = ("train_loss_step", "train/loss_step", "train_loss", "train/loss", "loss",
             "training_loss", "train_loss_epoch", "train/loss_epoch", "Loss/train", "loss/train",
             "ptl/train_loss")
VAL_KEYS = ("val_loss", "val/loss", "valid_loss", "validation_loss", "val_loss_epoch",
            "Loss/val", "loss/val", "ptl/val_loss", "Loss_val", "val_loss_step", "Loss/test", "test_loss")
GRAD_KEYS = ("grad_2.0_norm_total", "grad_norm", "train/grad_norm")
LR_PREFIXES = ("lr-", "lr", "learning_rate", "train/lr")


def _git_show(mirror: Path, commit: str, path: str) -> bytes | None:
    """The file at ``commit:path`` in a bare mirror, or None when the mirror lacks it."""
    out = subprocess.run(["git", "--git-dir", str(mirror), "show", f"{commit}:{path}"],
                         capture_output=True)
    return out.stdout if out.returncode == 0 else None


def _number(text: str | None) -> float | None:
    """A logged value: None when the cell is empty, NaN/inf kept as logged."""
    if text is None or text.strip() == "":
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _first_key(names: list[str], wanted: tuple[str, ...]) -> str | None:
    return next((k for k in wanted if k in names), None)


def _lr_key(names: list[str]) -> str | None:
    """Lightning's LearningRateMonitor writes ``lr-<Optimizer>`` (``/pg1`` for groups)."""
    for prefix in LR_PREFIXES:
        hits = sorted(n for n in names if n == prefix or (prefix.endswith("-")
                                                         and n.startswith(prefix)))
        if hits:
            return hits[0]
    return None


def _rows_from_columns(series: dict[str, list[tuple[int, float]]]) -> list[dict]:
    """One row per logged loss point; LR, gradient norm and epoch at the same step, the
    validation loss on the last loss row at or before its step (Lightning logs it in a row of
    its own)."""
    loss = series["loss"]
    rows = [{"step": s, "loss": v} for s, v in loss]
    by_step = {r["step"]: r for r in rows}
    for key in ("lr", "grad_norm", "epoch"):
        for s, v in series.get(key, []):
            if s in by_step:
                by_step[s].setdefault(key, v)
    steps = [r["step"] for r in rows]
    j = 0
    for s, v in series.get("val_loss", []):
        while j + 1 < len(steps) and steps[j + 1] <= s:
            j += 1
        if steps and steps[j] <= s:
            rows[j]["val_loss"] = v
    return rows


def read_metrics_csv(data: bytes, meta: dict) -> list[dict]:
    """A Lightning ``metrics.csv`` (or another CSV log with a loss column)."""
    loss_key = meta.get("loss_key")
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8", errors="replace"))))
    names = list(table[0].keys()) if table else []
    lk = loss_key or _first_key(names, LOSS_KEYS)
    if lk is None or lk not in names:
        raise ValueError(f"no training-loss column among {names[:12]}")
    keys = {"loss": lk, "val_loss": _first_key(names, VAL_KEYS),
            "grad_norm": _first_key(names, GRAD_KEYS), "lr": _lr_key(names),
            "epoch": "epoch" if "epoch" in names else None}
    step_key = "step" if "step" in names else None
    series: dict[str, list[tuple[int, float]]] = {k: [] for k in keys}
    for i, rec in enumerate(table):
        step = _number(rec.get(step_key)) if step_key else float(i)
        if step is None or not math.isfinite(step):
            continue
        for name, col in keys.items():
            v = _number(rec.get(col)) if col else None
            if v is not None:
                series[name].append((int(step), v))
    return _rows_from_columns(series)


def read_tfevents(data: bytes, meta: dict) -> list[dict]:
    """A TensorBoard event file, read with TensorBoard's own accumulator."""
    loss_key = meta.get("loss_key")
    from tensorboard.backend.event_processing import event_accumulator

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.out.tfevents"
        path.write_bytes(data)
        acc = event_accumulator.EventAccumulator(str(path), size_guidance={"scalars": 0})
        acc.Reload()
        tags = acc.Tags().get("scalars", [])
        lk = loss_key or _first_key(tags, LOSS_KEYS)
        if lk is None or lk not in tags:
            raise ValueError(f"no training-loss tag among {tags[:12]}")
        keys = {"loss": lk, "val_loss": _first_key(tags, VAL_KEYS),
                "grad_norm": _first_key(tags, GRAD_KEYS), "lr": _lr_key(tags),
                "epoch": "epoch" if "epoch" in tags else None}
        series = {name: [(int(e.step), float(e.value)) for e in acc.Scalars(tag)]
                  for name, tag in keys.items() if tag}
    return _rows_from_columns(series)


KERAS_KEYS = {"loss": "loss", "val_loss": "val_loss", "lr": "lr"}


def _at(obj: object, dotted: str) -> object:
    """The value at a dotted path (``history.train.iter``) of parsed JSON, or None."""
    for part in dotted.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj


def read_json_history(data: bytes, meta: dict) -> list[dict]:
    """A JSON object of parallel per-point lists: a Keras ``History.history`` (one value per
    epoch, the default keys) or a script's own run record, whose lists ``meta.json_keys`` names
    by dotted path (``step``, ``loss``, ``lr``, ``val_step``, ``val_loss``). Without a step list
    the step is the point's index (for Keras the epoch; ``meta.steps_per_epoch`` tells how many
    optimizer steps that is, where the script says)."""
    record = json.loads(data)
    keys = meta.get("json_keys") or KERAS_KEYS
    loss = _at(record, keys["loss"])
    if not isinstance(loss, list):
        raise ValueError(f"no per-point list at {keys['loss']!r}")
    steps = _at(record, keys.get("step", "")) if "step" in keys else None
    steps = steps if isinstance(steps, list) and len(steps) == len(loss) else list(range(len(loss)))
    series = {"loss": list(zip(steps, loss))}
    if isinstance(lr := _at(record, keys.get("lr", "lr")), list) and len(lr) == len(loss):
        series["lr"] = list(zip(steps, lr))
    val = _at(record, keys.get("val_loss", "val_loss"))
    val_steps = _at(record, keys["val_step"]) if "val_step" in keys else steps
    if isinstance(val, list) and isinstance(val_steps, list) and len(val_steps) == len(val):
        series["val_loss"] = list(zip(val_steps, val))
    if "step" not in keys:
        series["epoch"] = [(i, float(i)) for i in steps]
    return _rows_from_columns(series)


READERS = {"metrics_csv": read_metrics_csv, "tfevents": read_tfevents,
           "json_history": read_json_history}
COLUMNS = ("step", "loss", "lr", "grad_norm", "epoch", "val_loss")


def write_run(rows: list[dict], out: Path) -> None:
    """The normalised CSV: ``step,loss`` and the optional columns any row has."""
    cols = [c for c in COLUMNS if c in ("step", "loss") or any(c in r for r in rows)]
    with out.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for r in rows:
            w.writerow([r.get(c, "") if c != "step" else int(r["step"]) for c in cols])


def extract(mirrors: list[Path], manifest: Path = MANIFEST) -> tuple[list[str], list[str]]:
    """Write every run of the manifest that one of the mirrors holds; return (written, not
    found)."""
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    written, absent = [], []
    for line in manifest.read_text().splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        reader = READERS.get(row["format"])
        if reader is None:
            raise SystemExit(f"run {row['id']}: format {row['format']!r} is not one of "
                             f"{sorted(READERS)}; fix {manifest.name}")
        data = next((d for m in mirrors
                     if (d := _git_show(m, row["commit"], row["path"])) is not None), None)
        if data is None:
            absent.append(row["id"])
            continue
        try:
            rows = reader(data, row.get("meta", {}))
        except ValueError as exc:
            raise SystemExit(f"run {row['id']} ({row['repo']}:{row['path']}): {exc}") from None
        if not rows:
            raise SystemExit(f"run {row['id']} ({row['repo']}:{row['path']}): no loss points")
        write_run(rows, root / f"{row['id']}.csv")
        written.append(row["id"])
    return written, absent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mirrors", nargs="+", type=Path,
                        help="bare git directories of fetched repository snapshots")
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    args = parser.parse_args(argv)
    for m in args.mirrors:
        if not (m / "HEAD").exists():
            parser.error(f"{m} is not a bare git directory (no HEAD file); pass the mirror's "
                         "git directory")
    written, absent = extract(args.mirrors, args.manifest)
    print(f"wrote {len(written)} runs to {cache_dir()}; {len(absent)} not in these mirrors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
