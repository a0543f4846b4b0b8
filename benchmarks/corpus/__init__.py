"""The labeled corpus of real Lightning runs (see ``generate.py``) and its loader."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lrwatch.analysis import RunCurves, Series

CACHE = Path(__file__).with_name("runs.npz")
UNLABELABLE = "unlabelable"  # the label of runs whose sweep could not be labeled (generate.py)

# Tasks tuned on, and tasks only ever reported on (other data and architectures). Each round of
# rule changes moved the previous held-out tasks to the tuning side: round 3 the first ones
# (digits_cnn ... seq_gru, evaluated 12 times), round 4 round 3's (signal_cnn1d ... seq_attention,
# evaluated twice), round 5 round 4's (seq_lstm_sum ... friedman2_softplus, evaluated twice).
TUNE_TASKS = ["digits_mlp", "digits_logreg", "friedman_mlp", "blobs_bn_mlp",
              "digits_cnn", "digits_tanh_deep", "digits_autoencoder", "seq_gru",
              "signal_cnn1d", "moons_gelu_deep", "regression_resln", "seq_attention",
              "seq_lstm_sum", "classif8_dropout", "digits_rescnn", "friedman2_softplus"]
HELDOUT_TASKS = ["cancer_wide_silu", "diabetes_tanh", "ratings_embed", "digits_mixer"]


@dataclass(frozen=True)
class CorpusRun:
    """One run: its curves as the analysis sees them, its sweep's label and best LR."""

    sweep: str
    task: str
    optimizer: str  # "SGD", "SGDm" (momentum 0.9), "Adam", "AdamW"
    schedule: str
    batch_size: int
    lr: float  # the peak LR of the run
    label: str  # diverging | oscillating | stalled | healthy | unlabelable
    best_lr: float
    heldout: bool
    curves: RunCurves

    @property
    def first_nonfinite_step(self) -> int | None:
        bad = np.flatnonzero(~np.isfinite(self.curves.loss.values))
        return int(self.curves.loss.steps[bad[0]]) if bad.size else None


def load(path: Path = CACHE) -> list[CorpusRun]:
    """Every run of the cached corpus; its side (held out or tuned on) comes from HELDOUT_TASKS,
    not from the flag stored with it, so an older cache reads with today's split."""
    with np.load(path) as data:
        table = json.loads(str(data["table"]))
        steps, loss, lr, gn = (data[k] for k in ("steps", "loss", "lr", "grad_norm"))
    runs = []
    for row in table:
        sl = slice(row["offset"], row["offset"] + row["length"])
        s = steps[sl].astype(np.int64)
        optimizer = "SGD" if row["optimizer"] == "SGDm" else row["optimizer"]
        curves = RunCurves(
            loss=Series(s, loss[sl]), lr=Series(s, lr[sl]), grad_norm=Series(s, gn[sl]),
            optimizer=optimizer, momentum=0.9 if row["optimizer"] == "SGDm" else None,
            batch_size=row["batch_size"], total_steps=int(s[-1]) + 1 if s.size else None)
        runs.append(CorpusRun(sweep=row["sweep"], task=row["task"], optimizer=row["optimizer"],
                              schedule=row["schedule"], batch_size=row["batch_size"],
                              lr=row["lr"], label=row["label"], best_lr=row["best_lr"],
                              heldout=row["task"] in HELDOUT_TASKS, curves=curves))
    return runs
