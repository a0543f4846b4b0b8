"""Round 8's made held-out LR sweeps (issues 12 and 14):
``python -m benchmarks.realworld.fresh_sweeps8 [--family F] [--manifest COMMIT]``.

Three model families that no earlier sweep (the corpus tasks, the made runs, rounds 4, 5 and 7)
has, each a setup real users run that earlier rounds lacked:

- ``ft_tagger_adamw``: a **fine-tune** (issue 12's pattern 7): the byte transformer LM the
  made runs pretrained on the standard library's top-level modules (``make_runs.pretrained``),
  with a new linear head on each position, fine-tuned to tag each byte of six standard-library
  packages' code as code, string literal or comment (Python's tokenizer gives the tags): a
  token-classification fine-tune, as Hugging Face's ``run_ner``; AdamW, 10% linear warmup then
  linear decay to 0, clip 1.0.
- ``mlp_epochs_nesterov``: a tabular MLP **logged once per epoch** (pattern 6): 15 epochs on
  scikit-learn's Hastie 10.2 problem, SGD with Nesterov momentum, the LR cosine-annealed per
  epoch (``CosineAnnealingLR`` stepped each epoch); each CSV row is one epoch's mean training
  loss and its validation loss, as a Keras ``CSVLogger`` file or a course's log holds.
- ``gru_forecast_adam_clip``: a GRU **forecaster** (regression, MSE) of a noisy Mackey-Glass
  series 8 steps ahead from a window of 32, Adam at a constant LR, gradients clipped at 1.0.

13 quarter-decade LRs each (the GRU's 15, see below), seed 4. Each LR range was chosen before
any run was made: the fine-tune's from the made fine-tune of this same pretrained LM (its sweep's
best was 1e-2; a new head is often tuned a little lower), 1e-4..1e-1 (real fine-tunes of large
models sit at 1e-5..5e-5; a model this small takes far larger steps); SGD with Nesterov
momentum on a small MLP, 1e-3..1 (its usual best near 1e-2..1e-1); Adam on a small GRU,
1e-4..1e-1 (its usual best near 1e-3..1e-2); each spans its guess by a decade both sides.
Two changes were made after runs, from their test losses alone and before lrwatch read any of
these runs: the GRU's first 13 LRs put its best at 0.0316, half a decade from the top, so two
more (0.178, 0.316) were added; and the first fine-tune family, a sequence classifier telling
which of the six packages a 32-byte window comes from (``fresh-ft_classifier_adamw-*`` in the
cache, same LRs), learned almost nothing (its best test loss 1.733 against 1.842 before
training and ln 6 = 1.792: the LRs' differences within the test set's noise), so it was
replaced by the tagger, a task with a label on every byte, on the same LRs. Read the GRU's
labels with care: its test losses from 1.78e-3 to 5.6e-2 all lie between 0.0084 and 0.0166,
not in order of the LR (a noisy floor), so the labels of the runs there ride on differences the
seed could change.

**The truth is the loss on a test split that no CSV logs.** Each CSV's ``val_loss`` comes from
a separate validation split (round 7's CSVs logged the truth itself as ``val_loss``, which made
a ranking by it unfair). The test loss before the first step and at the end lives only in the
side file beside each CSV in the cache and in ``sweeps_fresh8.json``, where it ranks the runs
(``made_labels.label_sweep``); ``--manifest COMMIT`` writes those labels, with their reasons, as
``manifest_r8made.jsonl``: the ``round8-made`` side of the one-run diagnosis.

Sizes were set by a CPU budget (the whole plan under ~15 CPU minutes on one thread of the
shared machine), not by results.
"""

from __future__ import annotations

import io
import json
import math
import sysconfig
import time
import tokenize
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from benchmarks.realworld import HERE, cache_dir
from benchmarks.realworld.fresh_sweeps import (FreshSweep, cli, manifest_lines, run_id,
                                               summary)
from benchmarks.realworld.made_labels import SweepPoint
from benchmarks.realworld.made_tasks import (CausalTransformer, Logged, mean_loss, train,
                                             warmup_linear)
from benchmarks.realworld.make_runs import (CTX, D_MODEL, HEADS, LAYERS, pretrained,
                                            quarter_decades, read_run, write_run)

SEED = 4  # not the seeds of earlier rounds (0 made runs, 1 round 4, 2 round 5, 3 round 7)
OUT = HERE / "sweeps_fresh8.json"
MANIFEST = HERE / "manifest_r8made.jsonl"
SCRIPT = "benchmarks/realworld/fresh_sweeps8.py"
VAL_PART = TEST_PART = 0.1  # the tail of each stream or table: validation, then test

# the fine-tune: six standard-library packages (their ``test`` folders left out), 32-byte
# windows (the pretrained LM's context), each byte tagged code / string literal / comment
PACKAGES = ("asyncio", "email", "http", "logging", "unittest", "xml")
TAGS = ("code", "string", "comment")
FT_STEPS, FT_WARMUP, FT_BATCH, FT_CLIP = 300, 30, 32, 1.0  # warmup 10%, clip 1.0: HF defaults
# the per-epoch MLP
MLP_EPOCHS, MLP_BATCH, MLP_SAMPLES = 15, 32, 5000
# the forecaster
SERIES_LEN, WINDOW, HORIZON, GRU_SIZE, GRU_STEPS, GRU_BATCH = 4000, 32, 8, 32, 600, 32


@dataclass
class TestedRun:
    """A run's log (what its CSV holds: training loss, LR, validation loss) and its loss on
    the test split before the first step and at the end: the truth, never in the CSV."""

    log: Logged
    test0: float
    test: float  # inf when the run went non-finite
    by_epoch: bool = False


def three_way(stream: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Train on the head of a stream or table, validate on the next ``VAL_PART``, test on the
    last ``TEST_PART``."""
    n = len(stream)
    a, b = int(n * (1 - VAL_PART - TEST_PART)), int(n * (1 - TEST_PART))
    return stream[:a], stream[a:b], stream[b:]


def finite_or_inf(value: float) -> float:
    return value if math.isfinite(value) else math.inf


# -- a token-classification fine-tune of the made pretrained LM -------------------------------


@lru_cache(maxsize=None)
def tagged_packages() -> tuple[tuple[torch.Tensor, torch.Tensor], ...]:
    """Each of ``PACKAGES`` as one byte stream (its ``.py`` files in path order, tests left
    out, non-ASCII characters as ``?`` so a character is a byte) with each byte's tag from
    Python's tokenizer: ``TAGS``. Split three ways, bytes and tags alike."""
    root = Path(sysconfig.get_paths()["stdlib"])
    streams, tags = [], []
    for name in PACKAGES:
        files = sorted(p for p in (root / name).rglob("*.py")
                       if not any(part.startswith("test") for part in p.relative_to(root).parts))
        text = "\n".join(p.read_text(encoding="utf-8") for p in files)
        text = "".join(c if ord(c) < 128 else "?" for c in text)
        line_start = np.cumsum([0] + [len(line) for line in text.splitlines(keepends=True)])
        tag = np.zeros(len(text), dtype=np.int64)
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            kind = {tokenize.STRING: 1, tokenize.COMMENT: 2}.get(tok.type)
            if kind:
                a = line_start[tok.start[0] - 1] + tok.start[1]
                tag[a:line_start[tok.end[0] - 1] + tok.end[1]] = kind
        streams.append(three_way(torch.frombuffer(bytearray(text.encode()),
                                                  dtype=torch.uint8).long()))
        tags.append(three_way(torch.from_numpy(tag)))
    return tuple((torch.cat([s[k] for s in streams]), torch.cat([t[k] for t in tags]))
                 for k in range(3))


def tag_windows(part: tuple[torch.Tensor, torch.Tensor], starts: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``CTX``-byte windows of a tagged stream starting at ``starts``, and their tags."""
    idx = starts[:, None] + torch.arange(CTX)[None, :]
    return part[0][idx], part[1][idx]


class LMTagger(nn.Module):
    """A pretrained causal byte LM's body (its LM head dropped) with a new linear head on each
    position's last state: a token-classification fine-tune (each byte tagged from its left
    context)."""

    def __init__(self, lm: CausalTransformer, tags: int):
        super().__init__()
        self.lm = lm
        self.lm.head = nn.Identity()
        self.head = nn.Linear(lm.norm.normalized_shape[0], tags)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.lm(x))


def ft_tagger_run(lr: float) -> TestedRun:
    """The fine-tune: AdamW (weight decay 0.01) at peak ``lr``, warmup 30 then linear decay to
    0, clip 1.0, 300 steps of 32 windows; validation every 50 steps on 256 windows, the test on
    1024."""
    train_part, val_part, test_part = tagged_packages()
    g = torch.Generator().manual_seed(SEED)

    def starts(part: tuple[torch.Tensor, torch.Tensor], *shape: int) -> torch.Tensor:
        return torch.randint(0, part[0].numel() - CTX, shape, generator=g)
    batches = starts(train_part, FT_STEPS, FT_BATCH)
    val = [tag_windows(val_part, s) for s in starts(val_part, 4, 64)]
    test = [tag_windows(test_part, s) for s in starts(test_part, 16, 64)]
    lm = CausalTransformer(D_MODEL, LAYERS, HEADS, CTX)
    lm.load_state_dict(pretrained())
    torch.manual_seed(SEED)
    model = LMTagger(lm, len(TAGS))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    test0 = mean_loss(model, test)

    def step_loss(i: int) -> torch.Tensor:
        x, y = tag_windows(train_part, batches[i])
        return F.cross_entropy(model(x).reshape(-1, len(TAGS)), y.reshape(-1))
    log = train(model, opt, warmup_linear(FT_WARMUP, FT_STEPS), FT_STEPS, step_loss,
                lambda: mean_loss(model, val), 50, FT_CLIP)
    return TestedRun(log, test0, finite_or_inf(mean_loss(model, test)))


# -- a tabular MLP logged once per epoch ------------------------------------------------------


def train_by_epoch(model: nn.Module, opt: torch.optim.Optimizer, epochs: int,
                   order: list[torch.Tensor], step_loss: Callable[[torch.Tensor], torch.Tensor],
                   evaluate: Callable[[], float], clip: float | None = None,
                   schedule: str = "cosine", *,
                   scheduler: Callable[[torch.optim.Optimizer], object] | None = None
                   ) -> Logged:
    """Train ``epochs`` passes (``order[e]``: epoch e's batches of row indices), the LR per
    ``schedule``: "cosine" annealed to 0 per epoch, "plateau" divided by 4 after each epoch
    whose validation loss is no new best (PyTorch's word_language_model example), or
    "constant"; or, given ``scheduler``, what the scheduler it makes of ``opt`` sets, stepped
    once an epoch (``MultiStepLR``); gradients clipped at ``clip`` if given. Log one row per
    epoch: its mean training loss, its LR, no gradient norm, and the validation loss after it.
    A non-finite loss ends the run after its epoch is logged."""
    schedules = {
        "cosine": lambda: torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs),
        "plateau": lambda: torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.25,
                                                                      patience=0),
        "constant": lambda: torch.optim.lr_scheduler.LambdaLR(opt, lambda e: 1.0)}
    sched = scheduler(opt) if scheduler is not None else schedules[schedule]()
    log = Logged()
    start, cpu = time.perf_counter(), time.process_time()
    log.val0 = evaluate()
    for epoch in range(1, epochs + 1):
        model.train()
        lr, total = opt.param_groups[0]["lr"], 0.0
        for idx in order[epoch - 1]:
            loss = step_loss(idx)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if clip:
                nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            total += float(loss.detach())
        mean = total / len(order[epoch - 1])
        log.rows.append((epoch, mean, lr, math.nan))
        log.val[epoch] = evaluate() if math.isfinite(mean) else math.nan
        if schedule == "plateau":
            sched.step(log.val[epoch])
        else:
            sched.step()
        if not math.isfinite(mean):
            break
    log.wall_s = time.perf_counter() - start
    log.cpu_s = time.process_time() - cpu
    return log


def adam_pretrained(make_model: Callable[[], nn.Module], x: torch.Tensor, y: torch.Tensor,
                    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], *, steps: int,
                    batch: int, lr: float, seed: int) -> nn.Module:
    """A model pretrained here for a fine-tune (rounds 36 on; earlier rounds wrote this loop
    out): built after ``torch.manual_seed(seed)``, trained by Adam at ``lr`` for ``steps``
    steps of ``batch`` rows of ``x`` / ``y`` drawn with replacement (a generator seeded
    ``seed``), ``loss(model(x), y)`` each step. The same weights for every run that starts
    from it."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = make_model()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        idx = torch.randint(0, len(y), (batch,), generator=g)
        value = loss(model(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        value.backward()
        opt.step()
    return model


def mlp_epochs_run(lr: float) -> TestedRun:
    """An MLP 10-64-64-2 (ReLU) on Hastie 10.2 (5000 rows: 4000 train, 500 validation, 500
    test), SGD with Nesterov momentum 0.9 at ``lr`` cosine-annealed per epoch, 15 epochs of
    shuffled batches of 32 (125 steps an epoch)."""
    from sklearn.datasets import make_hastie_10_2

    x, y = make_hastie_10_2(n_samples=MLP_SAMPLES, random_state=SEED)
    x, y = torch.tensor(x, dtype=torch.float32), torch.tensor((y > 0).astype(np.int64))
    (xtr, xva, xte), (ytr, yva, yte) = three_way(x), three_way(y)
    g = torch.Generator().manual_seed(SEED)
    order = [torch.randperm(len(ytr), generator=g).split(MLP_BATCH) for _ in range(MLP_EPOCHS)]
    torch.manual_seed(SEED)
    model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                          nn.Linear(64, 2))
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True)
    test0 = mean_loss(model, [(xte, yte)])
    log = train_by_epoch(model, opt, MLP_EPOCHS, [list(o) for o in order],
                         lambda idx: F.cross_entropy(model(xtr[idx]), ytr[idx]),
                         lambda: mean_loss(model, [(xva, yva)]))
    return TestedRun(log, test0, finite_or_inf(mean_loss(model, [(xte, yte)])), by_epoch=True)


# -- a GRU forecaster ------------------------------------------------------------------------


def mackey_glass(n: int, tau: int = 17, burn: int = 500) -> np.ndarray:
    """The Mackey-Glass delay equation (beta 0.2, gamma 0.1, power 10, tau 17: chaotic),
    integrated with unit steps from a constant history, the first ``burn`` steps dropped."""
    x = np.full(n + burn + tau, 1.2)
    for t in range(tau, len(x) - 1):
        x[t + 1] = x[t] + 0.2 * x[t - tau] / (1 + x[t - tau] ** 10) - 0.1 * x[t]
    return x[burn + tau:]


def forecast_windows(series: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Every window of ``WINDOW`` values of a series and the value ``HORIZON`` steps after it."""
    n = len(series) - WINDOW - HORIZON + 1
    idx = torch.arange(n)[:, None] + torch.arange(WINDOW)[None, :]
    return series[idx][..., None], series[idx[:, -1] + HORIZON][:, None]


class GRUForecaster(nn.Module):
    """A one-layer GRU over the window; a linear head on its last state."""

    def __init__(self, hidden: int = GRU_SIZE):
        super().__init__()
        self.rnn = nn.GRU(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.rnn(x)[0][:, -1])


def gru_forecast_run(lr: float) -> TestedRun:
    """The GRU on Mackey-Glass plus Gaussian noise (sd 5% of the series'), standardised by the
    training part's mean and sd; Adam at a constant ``lr``, clip 1.0, 600 steps of 32 windows;
    validation every 100 steps on every validation window, the test on every test window."""
    raw = mackey_glass(SERIES_LEN)
    rng = np.random.default_rng(SEED)
    noisy = torch.tensor(raw + rng.normal(0, 0.05 * raw.std(), raw.shape), dtype=torch.float32)
    tr, va, te = three_way(noisy)
    mu, sd = tr.mean(), tr.std()
    (xtr, ytr), val, test = (forecast_windows((s - mu) / sd) for s in (tr, va, te))
    idx = torch.randint(0, len(ytr), (GRU_STEPS, GRU_BATCH),
                        generator=torch.Generator().manual_seed(SEED))
    torch.manual_seed(SEED)
    model = GRUForecaster()
    opt = torch.optim.Adam(model.parameters(), lr=lr)

    @torch.no_grad()
    def mse(x: torch.Tensor, y: torch.Tensor) -> float:
        model.eval()
        return float(F.mse_loss(model(x), y))
    test0 = mse(*test)

    def step_loss(i: int) -> torch.Tensor:
        return F.mse_loss(model(xtr[idx[i]]), ytr[idx[i]])
    log = train(model, opt, lambda i: 1.0, GRU_STEPS, step_loss, lambda: mse(*val), 100, 1.0)
    return TestedRun(log, test0, finite_or_inf(mse(*test)))


# -- the plan, the cache, the summaries ------------------------------------------------------


def plan() -> list[FreshSweep]:
    return [
        FreshSweep("ft_tagger_adamw", quarter_decades(-4.0, -1.0), FT_STEPS, ft_tagger_run,
                   {"optimizer": "AdamW", "weight_decay": 0.01, "batch_size": FT_BATCH,
                    "fine_tune": True, "clip": FT_CLIP, "classes": len(TAGS),
                    "warmup_steps": FT_WARMUP, "schedule": "linear warmup 30, linear decay to 0",
                    "model": "byte transformer LM pretrained on stdlib modules (d 64, 2 layers, "
                             "ctx 32) + new linear head on each position",
                    "data": "32-byte windows of 6 stdlib packages' code, each byte tagged code / "
                            "string / comment by Python's tokenizer; 80/10/10 split, val_loss "
                            "on the 10% validation part, truth on the 10% test part"}),
        FreshSweep("mlp_epochs_nesterov", quarter_decades(-3.0, 0.0),
                   MLP_EPOCHS * math.ceil(MLP_SAMPLES * (1 - VAL_PART - TEST_PART) / MLP_BATCH),
                   mlp_epochs_run,
                   {"optimizer": "SGD", "momentum": 0.9, "nesterov": True,
                    "batch_size": MLP_BATCH, "fine_tune": False, "clip": None, "classes": 2,
                    "warmup_steps": 0, "schedule": "cosine to 0 over 15 epochs, per epoch",
                    "logged": "once per epoch (mean training loss, validation loss)",
                    "epochs": MLP_EPOCHS, "model": "MLP 10-64-64-2, ReLU",
                    "data": "scikit-learn make_hastie_10_2, 5000 rows, 80/10/10 split"}),
        FreshSweep("gru_forecast_adam_clip", quarter_decades(-4.0, -0.5), GRU_STEPS,
                   gru_forecast_run,
                   {"optimizer": "Adam", "batch_size": GRU_BATCH, "fine_tune": False,
                    "clip": 1.0, "warmup_steps": 0, "schedule": "constant", "loss": "MSE",
                    "model": "GRU 32 over 32 values, linear head, 8 steps ahead",
                    "data": "Mackey-Glass (tau 17) + 5% noise, standardised; 80/10/10 split "
                            "in time"}),
    ]


# the corpus family of each sweep's runs in the diagnosis manifest
CORPUS_FAMILY = {"ft_tagger_adamw": "llm_finetune", "mlp_epochs_nesterov": "classifier",
                 "gru_forecast_adam_clip": "other"}


def write_tested(root: Path, rid: str, run: TestedRun) -> None:
    """The run's CSV (no test loss in it) and, in the side file beside it, its test losses."""
    write_run(root, rid, run.log, by_epoch=run.by_epoch)
    side = root / f"{rid}.json"
    side.write_text(json.dumps({**json.loads(side.read_text()), "test0": run.test0,
                                "test": run.test, "by_epoch": run.by_epoch}))


def read_tested(root: Path, rid: str) -> TestedRun | None:
    """A run made before with its test losses, else None."""
    log = read_run(root, rid)
    if log is None:
        return None
    extra = json.loads((root / f"{rid}.json").read_text())
    if "test" not in extra:
        return None
    return TestedRun(log, extra["test0"], extra["test"], extra["by_epoch"])


def point_of(lr: float, run: TestedRun) -> SweepPoint:
    """The run as the sweep labels see it: ranked by its final test loss."""
    losses = np.array([r[1] for r in run.log.rows])
    nonfinite = not np.isfinite(losses).all() or not math.isfinite(run.test)
    return SweepPoint(lr, math.inf if nonfinite else run.test, run.test0, losses, nonfinite)


def make(sweep: FreshSweep) -> dict:
    """Train (or find in the cache) every run of a sweep; its summary for sweeps_fresh8.json,
    in round 4's keys (``final_eval_losses``, ``start_eval_losses``: the test split's)."""
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    points, cpu = [], []
    for lr in sweep.lrs:
        rid = run_id(sweep, lr)
        run = read_tested(root, rid)
        if run is None:
            run = sweep.run(lr)
            write_tested(root, rid, run)
            print(f"{rid}: {len(run.log.rows)} rows, test {run.test0:.4f} -> {run.test:.4f}, "
                  f"cpu {run.log.cpu_s:.0f} s", flush=True)
        points.append(point_of(lr, run))
        cpu.append(round(run.log.cpu_s, 1))
    return summary(sweep, points, cpu, truth="test split, not in the CSV")


def tested_manifest_rows(sweep: FreshSweep, commit: str, *, seed: int, script: str,
                         corpus_family: dict[str, str]) -> list[dict]:
    """The manifest lines of a sweep made before (by ``script``, rounds 8 on), labelled by the
    test loss; refuses when a run is not in the cache."""
    points = []
    for lr in sweep.lrs:
        run = read_tested(cache_dir(), run_id(sweep, lr))
        if run is None:
            raise SystemExit(f"{Path(script).stem}: {run_id(sweep, lr)} is not in the cache "
                             f"({cache_dir()}); make the sweep first (drop --manifest)")
        points.append(point_of(lr, run))
    return manifest_lines(sweep, points, commit, seed=seed, script=script,
                          corpus_family=corpus_family[sweep.family])


def manifest_rows(sweep: FreshSweep, commit: str) -> list[dict]:
    """Round 8's manifest lines of a sweep (``tested_manifest_rows``)."""
    return tested_manifest_rows(sweep, commit, seed=SEED, script=SCRIPT,
                                corpus_family=CORPUS_FAMILY)


def main(argv: list[str] | None = None) -> None:
    cli(plan(), OUT, __doc__.splitlines()[0], argv, manifest=MANIFEST, rows_of=manifest_rows,
        make_one=make)


if __name__ == "__main__":
    main()
