"""Extract the runs of ``manifest_pl.jsonl`` (Lightning ``metrics.csv``, other CSV logs,
TensorBoard event files, per-point histories saved as JSON) from fetched repository snapshots
into the real-world cache.

Usage: ``python -m benchmarks.realworld.extract_pl MIRROR [MIRROR ...]`` where each MIRROR is
the bare git directory of a fetched snapshot. A run is read from the first mirror that holds its
manifest commit; the log is read with ``git show COMMIT:PATH``, so nothing fetched is copied
anywhere but the cache. Re-running it rewrites the same CSVs from the manifest.

Which columns (or TensorBoard tags) are the training loss, LR, gradient norm and validation loss
is decided by the preference lists below; in a manifest line ``meta.loss_key`` overrides the
loss choice where a log names it differently, ``meta.json_keys`` names the lists of a JSON
history, and ``meta.perplexity`` reads TensorBoard perplexity tags as their logs (optional fields,
read only here).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.realworld import HERE, cache_dir, extract_hf
from lrwatch.readers.wandb_run import MAGIC, history_rows

MANIFEST = HERE / "manifest_pl.jsonl"

# The first name present wins: per-step training loss before per-epoch (Lightning logs both as
# ``train_loss_step`` / ``train_loss_epoch`` when on_step and on_epoch are set).
LOSS_KEYS = ("train_loss_step", "train/loss_step", "train_loss", "train/loss", "loss",
             "training_loss", "train_loss_epoch", "train/loss_epoch", "Loss/train", "loss/train",
             "ptl/train_loss")
VAL_KEYS = ("val_loss", "val/loss", "valid_loss", "validation_loss", "val_loss_epoch",
            "Loss/val", "loss/val", "ptl/val_loss", "Loss_val", "val_loss_step", "Loss/test",
            "test_loss")
GRAD_KEYS = ("grad_2.0_norm_total", "grad_norm", "train/grad_norm")
LR_PREFIXES = ("lr-", "lr", "learning_rate", "train/lr", "lr/pg0")  # lr/pg0: Ultralytics' weights


def git_show(mirror: Path, commit: str, path: str) -> bytes | None:
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


def _pick_keys(names: list[str], meta: dict) -> dict[str, str | None]:
    """Which column (or tag) holds each series; the loss one must exist."""
    loss = meta.get("loss_key") or _first_key(names, LOSS_KEYS)
    if loss is None or loss not in names:
        raise ValueError(f"no training-loss column among {names[:12]}; name it in meta.loss_key")
    # ``meta.lr_key`` set to null: the log has no LR of the run's schedule (a column that holds
    # the configured peak on every row while a warmup and decay move the real LR is not one)
    lr = meta["lr_key"] if "lr_key" in meta else _lr_key(names)
    return {"loss": loss, "val_loss": meta.get("val_key") or _first_key(names, VAL_KEYS),
            "grad_norm": _first_key(names, GRAD_KEYS), "lr": lr,
            "epoch": "epoch" if "epoch" in names else None,
            # a higher-is-better validation metric (accuracy), only where meta names it
            "val_metric": meta.get("val_metric_key")}


def _rows_from_columns(series: dict[str, list[tuple[int, float]]]) -> list[dict]:
    """One row per logged loss point: the gradient norm at the same step; the LR and epoch as
    last logged at or before it (an LR monitor logs the schedule's value when it changes or once
    an epoch, not beside every loss); the validation loss on the last loss row at or before its
    step (Lightning logs it in a row of its own)."""
    loss = series["loss"]
    rows = [{"step": s, "loss": v} for s, v in loss]
    by_step = {r["step"]: r for r in rows}
    for s, v in series.get("grad_norm", []):
        if s in by_step:
            by_step[s].setdefault("grad_norm", v)
    for key in ("lr", "epoch"):
        known = sorted(series.get(key, []), key=lambda p: p[0])
        k = -1
        for r in rows:
            while k + 1 < len(known) and known[k + 1][0] <= r["step"]:
                k += 1
            if k >= 0:
                r[key] = known[k][1]
    steps = [r["step"] for r in rows]
    for key in ("val_loss", "val_metric"):
        j = 0
        for s, v in series.get(key, []):
            while j + 1 < len(steps) and steps[j + 1] <= s:
                j += 1
            if steps and steps[j] <= s:
                rows[j][key] = v
    return rows


def _widen_split(table: list[dict]) -> list[dict]:
    """A long CSV log (one ``loss`` column, a ``split`` column saying ``train`` or ``val``) as
    the wide table the other readers see: ``train_loss`` and ``val_loss`` columns."""
    wide = []
    for rec in table:
        split = (rec.get("split") or "").strip().lower()
        key = "train_loss" if split == "train" else "val_loss" if split.startswith("val") else None
        if key is not None:
            wide.append({**{k: v for k, v in rec.items() if k not in ("split", "loss")},
                         key: rec.get("loss")})
    return wide


def _rows_where(table: list[dict], where: dict) -> list[dict]:
    """The rows of one run in a CSV that holds several (a sweep script's one file of every
    LR and seed): those whose columns equal ``where``'s values (compared as numbers where both
    read as numbers, to a relative 1e-9, so ``1e-3`` matches ``0.001`` and ``1.0`` matches a
    logspace grid's ``1.0000000000000004``)."""
    def same(cell: str | None, wanted: object) -> bool:
        a, b = _number(cell), _number(str(wanted))
        if a is not None and b is not None:
            return math.isclose(a, b, rel_tol=1e-9)
        return cell == str(wanted)

    missing = [c for c in where if table and c not in table[0]]
    if missing:
        raise ValueError(f"meta.csv_where names columns the CSV lacks: {missing}")
    return [rec for rec in table if all(same(rec.get(c), v) for c, v in where.items())]


def _add_sums(table: list[dict], meta: dict) -> None:
    """Where a log writes the optimized loss as parts (Ultralytics' ``results.csv``: box, class
    and DFL losses, gains already applied, whose sum is the loss), ``meta.loss_sum`` /
    ``meta.val_sum`` name the parts: their sum becomes the ``loss_sum`` / ``val_sum`` column
    (empty where a part is)."""
    for key in ("loss_sum", "val_sum"):
        parts = meta.get(key) or []
        missing = [c for c in parts if table and c not in table[0]]
        if missing:
            raise ValueError(f"meta.{key} names columns the CSV lacks: {missing}")
        for rec in table if parts else []:
            values = [_number(rec.get(c)) for c in parts]
            rec[key] = "" if None in values else repr(sum(values))


def read_metrics_csv(data: bytes, meta: dict) -> list[dict]:
    """A Lightning ``metrics.csv`` (or another CSV log with a loss column; a long log with a
    ``split`` column is widened first). Where one CSV holds several runs, ``meta.csv_where``
    picks the run's rows and ``meta.step_key`` names the column that counts its points (for
    example ``epoch``); ``meta.delimiter`` reads a tab-separated log (pandas ``to_csv(sep="\\t")``);
    ``meta.loss_sum`` / ``meta.val_sum`` read a loss logged as parts (``_add_sums``);
    ``meta.lr_key`` names an LR column none of the usual names match (``Alpha``), or is null
    where the column an LR name matches holds the configured peak, not the scheduled LR; and
    ``meta.nan_unlogged`` lists per-epoch columns that the log fills with ``nan`` on the rows
    between epochs (a per-iteration CSV with an epoch's validation loss on its last row): their
    ``nan`` cells are read as not logged, while a NaN in any other column is kept."""
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8", errors="replace")),
                                delimiter=meta.get("delimiter", ",")))
    _add_sums(table, meta)
    if meta.get("loss_sum"):
        meta = {"loss_key": "loss_sum", **meta}
    if meta.get("val_sum"):
        meta = {"val_key": "val_sum", **meta}
    if meta.get("csv_where"):
        table = _rows_where(table, meta["csv_where"])
    if table and {"split", "loss"} <= table[0].keys():
        table = _widen_split(table)
    names = list(dict.fromkeys(k for rec in table for k in rec))
    keys = _pick_keys(names, meta)
    for col in meta.get("nan_unlogged", []):
        if col not in names:
            raise ValueError(f"meta.nan_unlogged names {col!r}, not a column of the CSV")
    unlogged = set(meta.get("nan_unlogged", []))
    step_key = meta.get("step_key") or ("step" if "step" in names else None)
    if step_key not in (None, *names):
        raise ValueError(f"meta.step_key {step_key!r} is not a column of the CSV")
    series: dict[str, list[tuple[int, float]]] = {k: [] for k in keys}
    for i, rec in enumerate(table):
        step = _number(rec.get(step_key)) if step_key else float(i)
        if step is None or not math.isfinite(step):
            continue
        for name, col in keys.items():
            v = _number(rec.get(col)) if col else None
            if v is not None and not (col in unlogged and math.isnan(v)):
                series[name].append((int(step), v))
    return _rows_from_columns(series)


def read_tfevents(data: bytes, meta: dict) -> list[dict]:
    """A TensorBoard event file, read with TensorBoard's own accumulator. Where a trainer logs
    perplexities only (``ppl/train``, ``ppl/val`` named in ``meta.loss_key`` / ``meta.val_key``),
    ``meta.perplexity`` true makes the losses their logs (nats per token); a NaN stays NaN and an
    infinite perplexity (float32 overflows past a loss of about 88.7) an infinite loss."""
    from tensorboard.backend.event_processing import event_accumulator

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.out.tfevents"
        path.write_bytes(data)
        acc = event_accumulator.EventAccumulator(str(path), size_guidance={"scalars": 0})
        acc.Reload()
        keys = _pick_keys(acc.Tags().get("scalars", []), meta)
        series = {name: [(int(e.step), float(e.value)) for e in acc.Scalars(tag)]
                  for name, tag in keys.items() if tag}
    if meta.get("perplexity"):
        for name in ("loss", "val_loss"):
            series[name] = [(s, math.log(v) if v > 0 and not math.isnan(v) else v)
                            for s, v in series.get(name, [])]
    return _rows_from_columns(series)


KERAS_KEYS = {"loss": "loss", "val_loss": "val_loss", "lr": "lr"}


def _at(obj: object, dotted: str) -> object:
    """The value at a dotted path of parsed JSON (``history.train.iter``; a number indexes a
    list, so ``3.train_losses`` is the fourth record of a list of run records), or None."""
    for part in dotted.split("."):
        if isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        elif isinstance(obj, dict) and part in obj:
            obj = obj[part]
        else:
            return None
    return obj


def _columns_of_records(points: object, keys: dict) -> dict[str, list]:
    """A list of per-point records as the parallel lists ``read_json_history`` reads: one list
    per field that ``keys`` names (a field a record lacks is None, so the point is skipped)."""
    if not isinstance(points, list) or not all(isinstance(p, dict) for p in points):
        raise ValueError(f"no list of per-point records at {keys['records']!r}")
    fields = {name for key, name in keys.items() if key != "records"}
    return {name: [p.get(name) for p in points] for name in fields}


def _interleaved(loss: list, val: object, plan: dict) -> dict[str, list]:
    """A loss list that holds two kinds of record in the order a nanoGPT-style trainer wrote
    them: at every ``eval_every``-th step an evaluation record (its estimated training loss,
    matched by the ``val`` list), then at every ``log_every``-th step the step's own batch loss,
    steps 0 ... ``last_step``. The batch losses are the run's loss, the evaluations its
    validation loss; the estimated training losses are dropped."""
    log_every, eval_every, last = plan["log_every"], plan["eval_every"], plan["last_step"]
    written = [(kind, step) for step in range(last + 1)
               for kind, every in (("eval", eval_every), ("log", log_every)) if step % every == 0]
    if len(written) != len(loss):
        raise ValueError(f"meta.interleaved expects {len(written)} loss records (every "
                         f"{log_every} steps and every {eval_every} to step {last}), "
                         f"the log has {len(loss)}")
    series: dict[str, list] = {"loss": [(step, float(value)) for (kind, step), value
                                        in zip(written, loss)
                                        if kind == "log" and value is not None]}
    eval_steps = list(range(0, last + 1, eval_every))
    if isinstance(val, list) and len(val) == len(eval_steps):
        series["val_loss"] = [(s, float(v)) for s, v in zip(eval_steps, val) if v is not None]
    return series


def read_json_history(data: bytes, meta: dict) -> list[dict]:
    """A JSON object of parallel per-point lists: a Keras ``History.history`` (one value per
    epoch, the default keys) or a script's own run record, whose lists ``meta.json_keys`` names
    by dotted path (``step``, ``loss``, ``lr``, ``val_step``, ``val_loss``); or, where
    ``json_keys.records`` names a list of per-point records (``{"epoch": 1, "train_loss": …}``),
    the other keys name fields of each record. Without a step list the step is the point's index
    (for Keras the epoch; ``meta.steps_per_epoch`` tells how many optimizer steps that is, where
    the script says). Where the ``lr`` path holds one number (a run at a constant LR that records
    it once, as DeepOBS's output does), every point gets that LR. ``meta.interleaved``
    (``log_every``, ``eval_every``, ``last_step``) reads a loss list that mixes evaluation and
    per-step records (``_interleaved``)."""
    record = json.loads(data)
    keys = meta.get("json_keys") or KERAS_KEYS
    if "records" in keys:
        record = _columns_of_records(_at(record, keys["records"]), keys)
    loss = _at(record, keys["loss"])
    if not isinstance(loss, list):
        raise ValueError(f"no per-point list at {keys['loss']!r}")
    if meta.get("interleaved"):
        return _rows_from_columns(_interleaved(loss, _at(record, keys.get("val_loss", "")),
                                               meta["interleaved"]))
    steps = _at(record, keys.get("step", "")) if "step" in keys else None
    steps = steps if isinstance(steps, list) and len(steps) == len(loss) else list(range(len(loss)))
    def pairs(xs: list, ys: list) -> list[tuple[int, float]]:
        return [(int(x), float(y)) for x, y in zip(xs, ys) if y is not None]

    series = {"loss": pairs(steps, loss)}
    lr = _at(record, keys.get("lr", "lr"))
    if isinstance(lr, list) and len(lr) == len(loss):
        series["lr"] = pairs(steps, lr)
    elif isinstance(lr, (int, float)) and not isinstance(lr, bool):
        series["lr"] = [(s, float(lr)) for s, _ in series["loss"]]  # one constant LR, a number
    val = _at(record, keys.get("val_loss", "val_loss"))
    val_steps = _at(record, keys["val_step"]) if "val_step" in keys else steps
    if isinstance(val, list) and isinstance(val_steps, list) and len(val_steps) == len(val):
        series["val_loss"] = pairs(val_steps, val)
    # a higher-is-better validation metric (accuracy), only where ``json_keys.val_metric`` (or,
    # for a Keras history read by its default keys, ``meta.val_metric_key``) names it: the sweep
    # reading ranks by it before any loss (sweep rounds 22 and 23)
    metric_key = keys.get("val_metric") or meta.get("val_metric_key")
    metric = _at(record, metric_key) if metric_key else None
    if isinstance(metric, list) and isinstance(val_steps, list) \
            and len(val_steps) == len(metric):
        series["val_metric"] = pairs(val_steps, metric)
    if "step" not in keys:
        series["epoch"] = [(i, float(i)) for i in steps]
    return _rows_from_columns(series)


def read_wandb(data: bytes, meta: dict) -> list[dict]:
    """A W&B offline run file: its history rows (``_step``, or the logged key ``meta.step_key``
    names, such as a per-epoch log's ``epoch``, and the logged keys)."""
    if not data.startswith(MAGIC):
        raise ValueError("not a W&B run file (no ':W&B' header)")
    history, _ = history_rows(io.BytesIO(data))  # lrwatch's own W&B reader
    names = sorted({k for row in history for k in row})
    keys = _pick_keys(names, meta)
    step_key = meta.get("step_key", "_step")
    if step_key not in names:
        raise ValueError(f"meta.step_key {step_key!r} is not a key of the run's history")
    series: dict[str, list[tuple[int, float]]] = {k: [] for k in keys}
    for row in history:
        step = row.get(step_key)
        for name, col in keys.items():
            value = row.get(col) if col else None
            if isinstance(step, (int, float)) and isinstance(value, (int, float)):
                series[name].append((int(step), float(value)))  # json.loads reads NaN too
    return _rows_from_columns(series)


def read_hf_format(fmt: str):
    """A reader for the formats ``extract_hf`` parses (``text``, ``trainer_state``), so that one
    manifest may mix them with the formats read here; steps with no training loss are left out,
    as ``extract_hf`` leaves them out (an empty loss would read as a non-finite one)."""
    def read(data: bytes, meta: dict) -> list[dict]:
        if fmt == "text" and meta.get("log_syntax") not in extract_hf.TEXT_SYNTAX:
            raise ValueError(f"meta.log_syntax {meta.get('log_syntax')!r} is not one of "
                             f"{sorted(extract_hf.TEXT_SYNTAX)}")
        rows = extract_hf.parse({"id": "", "format": fmt, "meta": meta},
                                extract_hf.decode_text(data))
        return [r for r in rows if "loss" in r]
    return read


def read_float32_records(data: bytes, meta: dict) -> list[dict]:
    """A raw binary log of fixed-size records of little-endian float32 values, one record per
    logged point (a script that writes ``struct.pack('f' * n, *values)`` at each evaluation):
    ``meta.record_fields`` names the values of a record in order (``loss``, ``val_loss``, ``lr``,
    ``grad_norm``; any other name is read and left out), ``meta.record_every`` is the number of
    optimizer steps between records (the step of record i is (i + 1) x that)."""
    fields = meta.get("record_fields")
    every = meta.get("record_every")
    if not isinstance(fields, list) or not fields or "loss" not in fields:
        raise ValueError("meta.record_fields must list each record's values, 'loss' among them")
    if not isinstance(every, int) or every < 1:
        raise ValueError("meta.record_every must be a positive number of steps")
    size = 4 * len(fields)
    if len(data) % size:
        raise ValueError(f"{len(data)} bytes is not a whole number of {size}-byte records")
    kept = [f for f in fields if f in ("loss", "val_loss", "lr", "grad_norm")]
    series: dict[str, list[tuple[int, float]]] = {f: [] for f in kept}
    for i in range(len(data) // size):
        values = struct.unpack_from("<" + "f" * len(fields), data, i * size)
        for name, value in zip(fields, values):
            if name in series:
                series[name].append(((i + 1) * every, float(value)))
    return _rows_from_columns(series)


READERS = {"metrics_csv": read_metrics_csv, "tfevents": read_tfevents,
           "json_history": read_json_history, "wandb": read_wandb,
           "float32_records": read_float32_records,
           "text": read_hf_format("text"), "trainer_state": read_hf_format("trainer_state")}
COLUMNS = ("step", "loss", "lr", "grad_norm", "epoch", "val_loss", "val_metric")


def write_run(rows: list[dict], out: Path) -> None:
    """The normalised CSV: ``step,loss`` and the optional columns any row has."""
    cols = [c for c in COLUMNS if c in ("step", "loss") or any(c in r for r in rows)]
    with out.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for r in rows:
            w.writerow([r.get(c, "") if c != "step" else int(r["step"]) for c in cols])


def extract(mirrors: list[Path], manifest: Path = MANIFEST,
            failed: dict[str, str] | None = None) -> tuple[list[str], list[str]]:
    """Write every run of the manifest that one of the mirrors holds; return (written, not
    found). A run that cannot be read stops it with the run and file named, or, where
    ``failed`` is a dict, adds that message under the run's id and goes on with the next
    run."""
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    written, absent = [], []
    for line in manifest.read_text().splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        try:
            rows = _read_run(row, mirrors, manifest)
        except SystemExit as exc:
            if failed is None:
                raise
            failed[row["id"]] = str(exc)
            continue
        if rows is None:
            absent.append(row["id"])
            continue
        write_run(rows, root / f"{row['id']}.csv")
        written.append(row["id"])
    return written, absent


def _with_merged_logs(row: dict, mirror: Path, data: bytes, manifest: Path) -> bytes:
    """The run's log with the JSONL logs ``meta.merge_paths`` names (files of the same commit)
    appended, so that records of one step merge across files: a script that writes each step's
    training loss to one file and each evaluation's validation loss to another. Only a
    ``jsonl`` text log can be merged this way; a named file the commit lacks stops the run."""
    extra = row.get("meta", {}).get("merge_paths") or []
    if not extra:
        return data
    where = f"run {row['id']} ({row['repo']}:{row['path']})"
    if row["format"] != "text" or row["meta"].get("log_syntax") != "jsonl":
        raise SystemExit(f"{where}: meta.merge_paths needs format 'text' with log_syntax "
                         f"'jsonl', not {row['format']!r}; fix {manifest.name}")
    parts = [data]
    for path in extra:
        more = git_show(mirror, row["commit"], path)
        if more is None:
            raise SystemExit(f"{where}: meta.merge_paths names {path!r}, which commit "
                             f"{row['commit'][:12]} lacks; fix {manifest.name}")
        parts.append(more)
    return b"\n".join(p.rstrip(b"\n") for p in parts) + b"\n"


def _read_run(row: dict, mirrors: list[Path], manifest: Path) -> list[dict] | None:
    """One run's rows, None when no mirror holds its commit and file; SystemExit naming the run
    and file when its log cannot be read."""
    reader = READERS.get(row["format"])
    if reader is None:
        raise SystemExit(f"run {row['id']}: format {row['format']!r} is not one of "
                         f"{sorted(READERS)}; fix {manifest.name}")
    found = next(((m, d) for m in mirrors
                  if (d := git_show(m, row["commit"], row["path"])) is not None), None)
    if found is None:
        return None
    mirror, data = found
    data = _with_merged_logs(row, mirror, data, manifest)
    try:
        rows = reader(data, row.get("meta", {}))
    except ValueError as exc:
        raise SystemExit(f"run {row['id']} ({row['repo']}:{row['path']}): {exc}") from None
    if not rows:
        raise SystemExit(f"run {row['id']} ({row['repo']}:{row['path']}): no loss points")
    return rows


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
