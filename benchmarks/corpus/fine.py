"""Quarter-decade LR sweeps around the corpus's best LR, for the sweep benchmark's truth.

The corpus grid is half a decade: too coarse to say whether a best-LR estimate is within 2x.
``python -m benchmarks.corpus.fine`` trains, with the corpus's own machinery
(``generate.train_run``: Lightning, CSVLogger, the same seed and steps), ``FINE_SWEEPS`` on a
quarter-decade grid from 10^-1.25 to 10^1.25 x each sweep's corpus best LR (11 runs), one thread,
and caches the curves and whole-training-set losses in ``fine_sweeps.npz`` (about 12 s a run on
one CPU core).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.corpus import load
from benchmarks.corpus.generate import SweepSpec, train_run

FINE_CACHE = Path(__file__).with_name("fine_sweeps.npz")
# Cheap tasks, four held-out and four tuned on, every optimizer and both schedules.
FINE_SWEEPS = [
    SweepSpec("diabetes_tanh", "Adam"), SweepSpec("diabetes_tanh", "SGDm", "warmup_cosine"),
    SweepSpec("cancer_wide_silu", "AdamW", "warmup_cosine"), SweepSpec("cancer_wide_silu", "SGD"),
    SweepSpec("friedman_mlp", "Adam"), SweepSpec("friedman_mlp", "SGDm"),
    SweepSpec("moons_gelu_deep", "AdamW", "warmup_cosine"), SweepSpec("blobs_bn_mlp", "SGD"),
]
QUARTERS = range(-5, 6)  # 10^(k/4) x the corpus best


def main() -> None:
    best = {run.sweep: run.best_lr for run in load()}
    table, steps, loss = [], [], []
    offset = 0
    for spec in FINE_SWEEPS:
        with tempfile.TemporaryDirectory(prefix="lrwatch-fine-") as workdir:
            for k in QUARTERS:
                lr = best[spec.name] * 10 ** (k / 4)
                run = train_run(spec, lr, workdir)
                n = int(run["steps"].size)
                table.append({"sweep": spec.name, "task": spec.task, "lr": lr,
                              "final_eval_loss": run["final_eval_loss"],
                              "initial_eval_loss": run["initial_eval_loss"],
                              "offset": offset, "length": n})
                steps.append(run["steps"])
                loss.append(run["loss"])
                offset += n
                print(f"{spec.name} lr {lr:.3g}: eval loss {run['final_eval_loss']:.4g}",
                      flush=True)
        np.savez_compressed(FINE_CACHE, table=json.dumps(table), steps=np.concatenate(steps),
                            loss=np.concatenate(loss))


if __name__ == "__main__":
    main()
