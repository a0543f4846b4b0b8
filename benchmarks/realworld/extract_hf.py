"""Extract the runs of ``manifest_hf.jsonl`` from fetched repository snapshots into the cache.

Usage: ``python -m benchmarks.realworld.extract_hf GIT_DIR [GIT_DIR ...]``, each a bare git
directory of a fetched snapshot (or a clone). Every manifest line whose commit one of them holds
is read with ``git show COMMIT:PATH``, parsed by its format and written as ``<id>.csv`` into
``cache_dir()``; the lines no snapshot holds are listed, not silently skipped.

Formats read here: Hugging Face ``trainer_state.json`` (its ``log_history``), and ``text``: training
logs printed or written by a training loop. ``meta.log_syntax`` names the syntax of a text log:
``jsonl`` (one JSON record a line; ``meta.record_kind_key`` names the field that tells training from
validation records where both write ``loss``; ``meta.jsonl_keys`` names the key a column is read
from where the default choice is wrong, and ``meta.loss_terms`` / ``meta.val_terms`` build the
training / validation loss as a weighted sum of logged keys, dotted paths into nested records
allowed, where the log writes the optimized loss as parts), ``json_records`` (a JSON array of
records; ``meta.jsonl_keys`` and the terms as for ``jsonl``), ``nanogpt``, ``word_lm`` (PyTorch's
word_language_model), ``step_loss`` (``step N ... loss X`` lines: build-nanogpt, llm.c,
modded-nanogpt), ``mainrun`` (the Maincode mainrun challenge's structured log), ``rwthlm`` (the RWTH
LSTM LM toolkit's ``--verbose`` perplexity lines), ``epoch_train_val`` (a solver's per-epoch ``train
loss: X; val loss: Y`` lines), ``pytorch_mnist`` (PyTorch's MNIST example: ``Train Epoch:`` and
``Test set:`` lines) or ``loss_in_iteration`` (Spark MLlib gradient descent's ``Loss in iteration N
: X``) or ``epoch_ppl`` (per-epoch ``epoch: E train ppl: X val ppl: Y`` lines, the IFT6135 PTB
assignment's ``log.txt``; the losses are the perplexities' logs) or ``hf_model_card`` (a Hugging
Face model card's ``Training results`` table: training and validation loss at each evaluation
step) or ``epoch_lists`` (blocks of a metric's name then one comma-separated line of per-epoch
values per execution of the same setup; ``meta.execution`` picks the line) or ``keras_fit`` (one
``fit``'s ``Epoch N/M`` blocks of ``name: value`` metrics: Keras 2 and 3 progress lines, and loops
that print the same way). Where one log prints several runs, ``meta.text_section`` (``[start,
end]``) keeps one run's lines (``meta.text_section_regex``: both are regular expressions).
``meta.notebook_outputs`` (true)
reads a Jupyter notebook's printed output, one line per printed line, whatever the ``.ipynb`` file's
own layout (Colab saves it as one JSON line).
"""

from __future__ import annotations

import codecs
import csv
import json
import math
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from benchmarks.realworld import HERE, cache_dir

MANIFEST = HERE / "manifest_hf.jsonl"
COLUMNS = ("step", "loss", "lr", "grad_norm", "epoch", "val_loss")
NUM = r"([-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|nan|inf)|NaN|Infinity)"

Row = dict[str, float]


def _num(text: str) -> float:
    return float(text.lower().replace("infinity", "inf"))


def from_trainer_state(text: str) -> list[Row]:
    """``log_history`` of a Hugging Face Trainer (the whole state, or the bare list saved from
    ``trainer.state.log_history``): training records (``loss``) and evaluation records
    (``eval_loss``) merged by step."""
    state = json.loads(text)
    by_step: dict[int, Row] = {}
    for rec in state if isinstance(state, list) else state["log_history"]:
        step = rec.get("step")
        if step is None:
            continue
        row = by_step.setdefault(int(step), {"step": float(step)})
        if "loss" in rec:
            row["loss"] = float(rec["loss"])
            for src, dst in (("learning_rate", "lr"), ("grad_norm", "grad_norm"),
                             ("epoch", "epoch")):
                if rec.get(src) is not None:
                    row[dst] = float(rec[src])
        if "eval_loss" in rec:
            row["val_loss"] = float(rec["eval_loss"])
    return [by_step[s] for s in sorted(by_step)]


JSONL_KEYS = {"step": ("step", "iter", "iteration", "global_step", "current_steps"),
              "loss": ("train_loss", "loss", "train/loss"),
              "lr": ("lr", "learning_rate", "train/lr", "train/learning_rate",
                     "learning_rate/group_0"),
              "grad_norm": ("grad_norm", "train/grad_norm", "train/grad_norm_before_clip"),
              "epoch": ("epoch",),
              "val_loss": ("val_loss", "eval_loss", "valid_loss", "val/loss", "eval/loss")}


def from_jsonl(lines: list[str], kind_key: str | None = None,
               meta: dict | None = None) -> list[Row]:
    """One JSON object a line; records of one step (training, validation) are merged. Where
    each record names its kind in ``kind_key`` (``meta.record_kind_key``: ``split``, ``event``)
    and both kinds write ``loss``, a validation record's ``loss`` is the validation loss.
    ``meta`` may name a column's key (``jsonl_keys``) or build the losses from parts
    (``loss_terms``, ``val_terms``: see ``_with_terms``)."""
    records = (json.loads(line) for line in lines if line.strip().startswith("{"))
    if kind_key:
        records = _val_records_renamed(records, kind_key)
    meta = meta or {}
    if meta.get("loss_terms") or meta.get("val_terms") or meta.get("jsonl_keys"):
        records = _with_terms(records, meta)
    return _merge_records(records)


def _dotted(rec: dict, path: str) -> object:
    """The value at a dotted path of nested records (``val_splits.val_re_rand.loss``); a key
    that itself holds the whole path (``train/vol_loss``, ``a.b``) is read first."""
    if path in rec:
        return rec[path]
    value: object = rec
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            raise KeyError(path)
        value = value[part]
    return value


def _with_terms(records: Iterable[dict], meta: dict) -> Iterable[dict]:
    """Each record with its columns named by the manifest: ``meta.jsonl_keys`` maps a column
    (``step``, ``grad_norm``...) to the key it is read from, and ``meta.loss_terms`` /
    ``meta.val_terms`` (``{key: weight}``) make the training / validation loss the weighted sum of
    those keys (a log of the loss's parts: ``vol_loss + 10 * surf_loss``; the mean of several
    validation splits' losses). A record lacking a column's key or term gets no such column;
    keys named nowhere are left out, so the default key choice cannot pick another column.
    ``meta.steps_per_epoch`` turns a step column that counts epochs into optimizer steps."""
    columns = dict(meta.get("jsonl_keys") or {})
    per_epoch = meta.get("steps_per_epoch")
    unknown = sorted(set(columns) - set(JSONL_KEYS))
    if unknown:
        raise ValueError(f"meta.jsonl_keys names unknown columns {unknown}; "
                         f"use some of {sorted(JSONL_KEYS)}")
    for rec in records:
        out: dict = {}
        for col, key in columns.items():
            try:
                out[col] = _dotted(rec, key)
            except KeyError:
                continue
        if per_epoch and "step" in out:
            out["step"] = _num(str(out["step"])) * per_epoch
        for col, terms in (("train_loss", meta.get("loss_terms")),
                           ("val_loss", meta.get("val_terms"))):
            try:
                if terms:
                    out[col] = sum(float(w) * _num(str(_dotted(rec, k)))
                                   for k, w in terms.items())
            except (KeyError, ValueError):
                continue
        yield out


VALIDATION_KINDS = ("val", "valid", "validation", "eval")


def _val_records_renamed(records: Iterable[dict], kind_key: str) -> Iterable[dict]:
    """Each validation record's ``loss`` moved to ``val_loss``; records of other kinds
    (a divergence notice, a run header) with no ``loss`` pass through unchanged."""
    for rec in records:
        if str(rec.get(kind_key, "")).lower() in VALIDATION_KINDS and "loss" in rec:
            rec = {k: v for k, v in rec.items() if k != "loss"} | {"val_loss": rec["loss"]}
        yield rec


def from_json_records(lines: list[str], meta: dict | None = None) -> list[Row]:
    """A JSON array of such records (a metrics logger's ``metrics.json``); ``meta`` may name a
    column's key (``jsonl_keys``: a script's own ``[{"epoch": 1, "train_loss": …}, …]`` with its
    validation loss under ``dev_loss``) or build the losses from parts, as for ``jsonl``."""
    records = json.loads("\n".join(lines))
    meta = meta or {}
    if meta.get("loss_terms") or meta.get("val_terms") or meta.get("jsonl_keys"):
        records = _with_terms(records, meta)
    return _merge_records(records)


def _merge_records(records: Iterable[dict]) -> list[Row]:
    """The known columns of each record (first matching key wins), merged by step."""
    by_step: dict[int, Row] = {}
    for rec in records:
        picked = {}
        for col, keys in JSONL_KEYS.items():
            for key in keys:
                try:
                    picked[col] = _num(str(rec[key]))
                    break
                except (KeyError, ValueError):
                    continue
        if "step" in picked:
            by_step.setdefault(int(picked["step"]), {}).update(picked)
    return [by_step[s] for s in sorted(by_step)]


def from_nanogpt(lines: list[str]) -> list[Row]:
    """nanoGPT: ``iter N: loss X, ...`` each log interval and ``step N: train loss X, val loss
    Y`` at each evaluation."""
    rows: dict[int, Row] = {}
    for line in lines:
        m = re.search(rf"\biter (\d+): (?:train )?loss {NUM}", line)
        if m:
            rows.setdefault(int(m[1]), {})["loss"] = _num(m[2])
            continue
        m = re.search(rf"\bstep (\d+): train loss {NUM}, val loss {NUM}", line)
        if m:
            rows.setdefault(int(m[1]), {})["val_loss"] = _num(m[3])
    return [{"step": float(s), **rows[s]} for s in sorted(rows)]


def from_word_lm(lines: list[str]) -> list[Row]:
    """PyTorch word_language_model: ``| epoch E | B/ T batches | lr X | ... | loss Y |`` and
    ``| end of epoch E | ... | valid loss Z |``; the step counts batches from the start."""
    rows: list[Row] = []
    for line in lines:
        m = re.search(rf"\|\s*epoch\s+(\d+)\s*\|\s*(\d+)\s*/\s*(\d+) batches\s*\|\s*lr {NUM}.*?"
                      rf"\|\s*loss\s+{NUM}", line)
        if m:
            epoch, batch, total = int(m[1]), int(m[2]), int(m[3])
            rows.append({"step": float((epoch - 1) * total + batch), "loss": _num(m[5]),
                         "lr": _num(m[4]), "epoch": epoch - 1 + batch / total})
            continue
        m = re.search(rf"end of epoch\s+(\d+).*?valid loss\s+{NUM}", line)
        if m and rows:
            rows[-1]["val_loss"] = _num(m[2])
    return rows


STEP_LOSS_KEYS = {"step": ("step", "s", "iter", "iteration"),
                  "loss": ("train_loss", "trl", "loss"),
                  "val_loss": ("val_loss", "tel", "val"),
                  "lr": ("lr", "learning_rate"),
                  "grad_norm": ("norm", "grad_norm", "gnorm")}
KEY_OF = {name: col for col, names in STEP_LOSS_KEYS.items() for name in names}


def from_step_loss(lines: list[str]) -> list[Row]:
    """``key:value`` / ``key value`` / ``key=value`` lines with a step key: build-nanogpt
    (``step 10 | loss: 3.2 | lr 6e-4 | norm: 1.1``), llm.c (``s:10 trl:3.2 lr:.. norm:..``,
    ``s:10 tel:3.4``), modded-nanogpt (``step:10/5100 train_loss:3.2``, ``val_loss:``).
    Records of one step (a training and a validation line) are merged."""
    by_step: dict[int, Row] = {}
    for line in lines:
        pairs = re.findall(rf"([A-Za-z_]+)\s*[:=]?\s*{NUM}(?![\w.])", line)
        if not pairs or KEY_OF.get(pairs[0][0].lower()) != "step":
            continue  # a log record starts with its step; code echoed into the log does not
        rec: Row = {}
        for key, value in pairs:
            col = KEY_OF.get(key.lower())
            if col and col not in rec:
                rec[col] = _num(value)
        if len(rec) > 1:
            by_step.setdefault(int(rec["step"]), {}).update(rec)
    return [by_step[s] for s in sorted(by_step)]


def from_mainrun(lines: list[str]) -> list[Row]:
    """The mainrun challenge's log: one JSON event a line; ``training_step`` events carry the step
    and the per-token training loss. Its ``validation_step`` losses are nats per character, not
    comparable with the per-token training loss, so they are left out."""
    rows: list[Row] = []
    for line in lines:
        if '"training_step"' not in line:
            continue
        rec = json.loads(line)
        if rec.get("event") == "training_step":
            rows.append({"step": float(rec["step"]), "loss": _num(str(rec["loss"]))})
    return rows


def from_rwthlm(lines: list[str]) -> list[Row]:
    """The RWTH LM toolkit (``rwthlm --verbose``): one ``training perplexity = X`` line per batch;
    the loss is its log (nats per token), so an ``inf`` perplexity stays a non-finite loss. The
    step is the line's index."""
    rows: list[Row] = []
    for line in lines:
        m = re.match(rf"\s*training perplexity = {NUM}\s*$", line)
        if m:
            ppl = _num(m[1])
            rows.append({"step": float(len(rows)),
                         "loss": math.log(ppl) if ppl > 0 and not math.isnan(ppl) else ppl})
    return rows


def from_epoch_train_val(lines: list[str]) -> list[Row]:
    """A per-epoch solver printout, ``(Epoch 3 / 20) train loss: 1.41; val loss: 1.82`` (the
    TUM I2DL exercises' Solver); the step is the epoch."""
    rows: list[Row] = []
    for line in lines:
        m = re.search(rf"\(Epoch (\d+) / \d+\) train loss: {NUM}; val loss: {NUM}", line)
        if m:
            epoch = float(m[1])
            rows.append({"step": epoch, "loss": _num(m[2]), "val_loss": _num(m[3]),
                         "epoch": epoch})
    return rows


def _log_ppl(ppl: float) -> float:
    """A perplexity's log (nats per token); NaN and a non-positive value stay as they are."""
    return math.log(ppl) if ppl > 0 and not math.isnan(ppl) else ppl


def from_epoch_ppl(lines: list[str]) -> list[Row]:
    """A per-epoch perplexity log, ``epoch: 0<TAB>train ppl: X<TAB>val ppl: Y<TAB>best val: ..``
    (the ``log.txt`` that the ``ptb-lm.py`` of Montreal's IFT6135 PTB language-model assignment
    writes); the losses are the perplexities' logs (nats per token), so a ``nan`` or ``inf``
    perplexity stays non-finite. The log counts epochs from 0; the step is the epochs done."""
    rows: list[Row] = []
    for line in lines:
        m = re.match(rf"\s*epoch:\s*(\d+)\s+train ppl:\s*{NUM}\s+val ppl:\s*{NUM}", line)
        if m:
            done = float(int(m[1]) + 1)
            rows.append({"step": done, "loss": _log_ppl(_num(m[2])),
                         "val_loss": _log_ppl(_num(m[3])), "epoch": done})
    return rows


EPOCH_LIST_COLUMNS = {"train_loss": "loss", "val_loss": "val_loss", "val_acc1": "val_metric",
                      "learning_rate": "lr"}


def from_epoch_lists(lines: list[str], execution: int) -> list[Row]:
    """Per-epoch lists in named blocks, as a script that runs one setup several times writes them
    (the ``results/*.txt`` of pedro-dreyer/masters_code): a block is a name line (``train_loss``,
    ``val_loss``, ``val_acc1``, ``learning_rate``, ...) and then one line of comma-separated
    values per execution, up to a blank line; a ``parameters`` block of ``key:value`` lines is
    not read. ``execution`` (0-based) picks the run's line of each block; the step is the epochs
    done. ``val_acc1`` (a higher-is-better accuracy) is kept as ``val_metric``."""
    blocks: dict[str, list[str]] = {}
    name = None
    for line in lines:
        if not line.strip():
            name = None
        elif name is None:
            name = line.strip()
            blocks[name] = []
        else:
            blocks[name].append(line.strip())
    series: dict[str, list[float]] = {}
    for block, col in EPOCH_LIST_COLUMNS.items():
        if block not in blocks:
            continue
        if execution >= len(blocks[block]):
            raise ValueError(f"meta.execution {execution} but block {block!r} has "
                             f"{len(blocks[block])} lines")
        series[col] = [_num(v) for v in blocks[block][execution].split(",")]
    if "loss" not in series:
        raise ValueError(f"no train_loss block; blocks: {sorted(blocks)}")
    rows: list[Row] = []
    for i, loss in enumerate(series["loss"]):
        row: Row = {"step": float(i + 1), "loss": loss, "epoch": float(i + 1)}
        row.update({col: vals[i] for col, vals in series.items() if i < len(vals)})
        rows.append(row)
    return rows


def from_pytorch_mnist(lines: list[str], batch_size: int | None) -> list[Row]:
    """PyTorch's MNIST example and the scripts copied from it: ``Train Epoch: E [N/T (P%)]
    Loss: X`` every log interval (N samples of the epoch's T) and ``Test set: Average loss: Y``
    after each epoch. The step counts optimizer steps, ``ceil(T / batch_size)`` an epoch, so the
    run's ``meta.batch_size`` is needed."""
    if not batch_size:
        raise ValueError("log_syntax 'pytorch_mnist' counts steps by meta.batch_size; set it")
    rows: list[Row] = []
    for line in lines:
        m = re.search(rf"Train Epoch:\s*(\d+)\s*\[(\d+)/(\d+)[^\]]*\]\s*Loss:\s*{NUM}", line)
        if m:
            epoch, seen, total = int(m[1]), int(m[2]), int(m[3])
            rows.append({"step": float((epoch - 1) * math.ceil(total / batch_size)
                                       + seen // batch_size),
                         "loss": _num(m[4]), "epoch": epoch - 1 + seen / total})
            continue
        m = re.search(rf"Test set: Average loss:\s*{NUM}", line)
        if m and rows:
            rows[-1]["val_loss"] = _num(m[1])
    return rows


def from_loss_in_iteration(lines: list[str]) -> list[Row]:
    """Spark MLlib's gradient descent, printing its loss history: ``Loss in iteration 7 : 0.41``
    (the mini-batch loss of iteration 7); the step is the iteration."""
    rows: list[Row] = []
    for line in lines:
        m = re.search(rf"Loss in iteration (\d+) : {NUM}", line)
        if m:
            rows.append({"step": float(m[1]), "loss": _num(m[2])})
    return rows


def notebook_output_lines(text: str) -> list[str]:
    """The lines a Jupyter notebook printed (its cells' stream and text outputs, in cell order),
    read from the ``.ipynb`` JSON: the file's own line breaks vary by the tool that saved it."""
    try:
        cells = json.loads(text)["cells"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"meta.notebook_outputs is set but the file is not a notebook: {exc}")
    lines: list[str] = []
    for cell in cells:
        for out in cell.get("outputs", []):
            printed = out.get("text", out.get("data", {}).get("text/plain", ""))
            lines.extend(("".join(printed) if isinstance(printed, list) else printed).splitlines())
    return lines


def section(lines: list[str], start: str, end: str, regex: bool = False) -> list[str]:
    """The lines of one run in a log that prints several (a grid search's printout): from the
    line holding ``start`` up to the next line holding ``end``. With ``regex`` (the manifest's
    ``meta.text_section_regex``) both are regular expressions searched in each line, so that a
    marker can be a whole line (``^0\\.1$``) where its text also occurs inside logged numbers."""
    def holds(marker: str, line: str) -> bool:
        return re.search(marker, line) is not None if regex else marker in line
    first = next((i for i, line in enumerate(lines) if holds(start, line)), None)
    if first is None:
        raise ValueError(f"no line holds meta.text_section's start {start!r}")
    last = next((i for i in range(first + 1, len(lines)) if holds(end, lines[i])), len(lines))
    return lines[first:last]


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
EPOCH_LINE = re.compile(r"^\s*Epoch (\d+)/\d+\b")
METRIC = re.compile(rf"([A-Za-z][A-Za-z_ ]*?):\s*{NUM}")
FIT_KEYS = {"loss": "loss", "train_loss": "loss", "val_loss": "val_loss",
            "val_accuracy": "val_metric", "val_acc": "val_metric"}


def from_keras_fit(lines: list[str]) -> list[Row]:
    """One ``fit``'s per-epoch printout: an ``Epoch N/M`` line, then the epoch's metrics as
    ``name: value`` pairs, as Keras prints them (``96/96 [===] - 16s - loss: 0.57 - accuracy: 0.82
    - val_loss: 0.68 - val_accuracy: 0.81``; Keras 3 puts the accuracy first and colours the bar)
    and as loops written after it print them (``Train Loss: 0.78, Train Acc: 0.75`` / ``Val Loss:
    0.69, Val Acc: 0.73``). Colour codes and a progress bar's carriage-return updates are dropped;
    an epoch's last value of each metric is kept. The step is the epoch; the validation accuracy
    becomes ``val_metric``. The run ends where the epoch count starts again (the next fit)."""
    rows: list[Row] = []
    cur: Row | None = None
    for raw in lines:
        line = ANSI.sub("", raw).split("\r")[-1]
        m = EPOCH_LINE.match(line)
        if m:
            epoch = float(m[1])
            if rows and epoch <= rows[-1]["step"]:
                break
            cur = {"step": epoch, "epoch": epoch}
            rows.append(cur)
            continue
        if cur is None:
            continue
        for name, value in METRIC.findall(line):
            col = FIT_KEYS.get(name.strip().lower().replace(" ", "_"))
            if col:
                cur[col] = _num(value)
    return [r for r in rows if "loss" in r]


def from_hf_model_card(lines: list[str]) -> list[Row]:
    """A Hugging Face model card's ``Training results`` table (what the Trainer's
    ``generated_from_trainer`` card writes): one row per evaluation, ``| Training Loss | Epoch |
    Step | Validation Loss | ...`` with the training loss averaged since the previous logging
    step (``No log`` where none was logged, read as not logged). Only the first such table is
    read; a card without one gives no rows."""
    rows: list[Row] = []
    header: list[str] | None = None
    for line in lines:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            if line.lstrip().startswith("|") and "Step" in cells and "Validation Loss" in cells:
                header = cells
            continue
        if not line.lstrip().startswith("|"):
            if rows:
                break
            continue
        if all(set(c) <= set(":-") for c in cells):
            continue  # the alignment row under the header
        rec = dict(zip(header, cells))
        try:
            step = _num(rec["Step"])
        except (KeyError, ValueError):
            break
        row: Row = {"step": step}
        for col, key in (("loss", "Training Loss"), ("val_loss", "Validation Loss"),
                         ("epoch", "Epoch")):
            try:
                row[col] = _num(rec[key])
            except (KeyError, ValueError):
                continue  # "No log"
        rows.append(row)
    return rows


TEXT_SYNTAX = {"jsonl": from_jsonl, "json_records": from_json_records, "nanogpt": from_nanogpt,
               "word_lm": from_word_lm, "step_loss": from_step_loss, "mainrun": from_mainrun,
               "rwthlm": from_rwthlm, "epoch_train_val": from_epoch_train_val,
               "pytorch_mnist": from_pytorch_mnist, "loss_in_iteration": from_loss_in_iteration,
               "epoch_ppl": from_epoch_ppl, "hf_model_card": from_hf_model_card,
               "epoch_lists": from_epoch_lists, "keras_fit": from_keras_fit}


def parse(row: dict, text: str) -> list[Row]:
    """The run's rows, by the manifest line's format."""
    meta = row.get("meta", {})
    if row["format"] == "trainer_state":
        return from_trainer_state(text)
    if row["format"] != "text" or meta.get("log_syntax") not in TEXT_SYNTAX:
        raise SystemExit(f"run {row['id']}: unknown format {row['format']!r} / log_syntax "
                         f"{meta.get('log_syntax')!r}; use one of {sorted(TEXT_SYNTAX)}")
    lines = notebook_output_lines(text) if meta.get("notebook_outputs") else text.splitlines()
    if meta.get("text_section"):
        lines = section(lines, *meta["text_section"],
                        regex=bool(meta.get("text_section_regex")))
    if meta["log_syntax"] == "jsonl":
        return from_jsonl(lines, meta.get("record_kind_key"), meta)
    if meta["log_syntax"] == "json_records":
        return from_json_records(lines, meta)
    if meta["log_syntax"] == "pytorch_mnist":
        return from_pytorch_mnist(lines, meta.get("batch_size"))
    if meta["log_syntax"] == "epoch_lists":
        return from_epoch_lists(lines, int(meta.get("execution", 0)))
    return TEXT_SYNTAX[meta["log_syntax"]](lines)


def write_csv(path: Path, rows: list[Row]) -> None:
    """``step,loss`` and the optional columns some row has; empty cell = not logged. Steps with
    no training loss (evaluation only) are left out: an empty loss would read as a non-finite
    one."""
    cols = [c for c in COLUMNS if c in ("step", "loss") or any(c in r for r in rows)]
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(cols)
        for r in rows:
            if "loss" not in r:
                continue
            out.writerow([("" if c not in r else int(r[c]) if c == "step" else
                           "nan" if math.isnan(r[c]) else repr(r[c])) for c in cols])


def decode_text(data: bytes) -> str:
    """A log's text: UTF-16 where it starts with a UTF-16 byte-order mark (what Windows
    PowerShell's ``Out-File`` and ``Tee-Object`` write), else UTF-8 (a UTF-8 mark dropped),
    undecodable bytes replaced."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace")
    return data.decode("utf-8-sig", "replace")


def show(git_dir: str, commit: str, path: str) -> str | None:
    """The file at that commit, or None when this snapshot lacks the commit or the file."""
    res = subprocess.run(["git", "--git-dir", git_dir, "show", f"{commit}:{path}"],
                         capture_output=True)
    return decode_text(res.stdout) if res.returncode == 0 else None


def extract(git_dirs: list[str], manifest: Path = MANIFEST,
            failed: dict[str, str] | None = None) -> tuple[list[str], list[str]]:
    """Write every run of the manifest that one of the snapshots holds into ``cache_dir()``;
    return (written, not found) as run ids. A log that does not parse stops it with the run and
    file named (a manifest line to fix), or, where ``failed`` is a dict, adds that message
    under the run's id and goes on with the next run."""
    out = cache_dir()
    out.mkdir(parents=True, exist_ok=True)
    rows = [json.loads(ln) for ln in manifest.read_text().splitlines() if ln.strip()]
    written, absent = [], []
    for row in rows:
        text = next((t for g in git_dirs
                     if (t := show(str(g), row["commit"], row["path"])) is not None), None)
        if text is None:
            absent.append(row["id"])
            continue
        try:
            runs = _parse_run(row, text)
        except SystemExit as exc:
            if failed is None:
                raise
            failed[row["id"]] = str(exc)
            continue
        write_csv(out / f"{row['id']}.csv", runs)
        written.append(row["id"])
    return written, absent


def _parse_run(row: dict, text: str) -> list[Row]:
    try:
        runs = parse(row, text)
    except ValueError as exc:
        raise SystemExit(f"run {row['id']} ({row['repo']}:{row['path']}): {exc}") from None
    if not any("loss" in r for r in runs):
        raise SystemExit(f"run {row['id']}: no loss found in {row['repo']}:{row['path']}")
    return runs


def main(argv: list[str]) -> int:
    if not argv or any(not Path(a).is_dir() for a in argv):
        print("usage: python -m benchmarks.realworld.extract_hf GIT_DIR [GIT_DIR ...] "
              "(bare git directories of fetched snapshots)", file=sys.stderr)
        return 2
    written, absent = extract([str(a) for a in argv], MANIFEST)
    print(f"wrote {len(written)} runs to {cache_dir()}; {len(absent)} not in these snapshots"
          + (f": {', '.join(absent[:10])}" + (" ..." if len(absent) > 10 else "") if absent
             else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
