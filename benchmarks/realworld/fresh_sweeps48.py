"""Round 48's made held-out LR sweeps:
``python -m benchmarks.realworld.fresh_sweeps48 [--family F] [--manifest COMMIT]``.

DRAFT
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from benchmarks.realworld import HERE
from benchmarks.realworld.fresh_sweeps import FreshSweep, cli
from benchmarks.realworld.fresh_sweeps8 import (TestedRun, finite_or_inf, make,
                                                tested_manifest_rows, train_by_epoch)
from benchmarks.realworld.fresh_sweeps21 import batches_of, split3
from benchmarks.realworld.fresh_sweeps26 import ascii_stream
from benchmarks.realworld.fresh_sweeps31 import minibatch_run, shuffled_batches
from benchmarks.realworld.fresh_sweeps41 import (FT_CTX, FT_D, FT_FF, FT_HEADS, FT_LAYERS,
                                                 block_windows, code_lm, next_byte_loss,
                                                 pretrained_lm, prose_windows)
from benchmarks.realworld.make_runs import quarter_decades

SEED = 44  # not earlier rounds' seeds (0 made runs, 1 round 4, 2 round 5, 3 round 7, 4 ... 43)
OUT = HERE / "sweeps_fresh48.json"
MANIFEST = HERE / "manifest_r48made.jsonl"
SCRIPT = "benchmarks/realworld/fresh_sweeps48.py"
LOG_EVERY = 10

# ULMFiT fine-tune of round 41's byte transformer pretrained here: Adam, STLR, discriminative
# LRs, gradual unfreezing
UL_STEPS, UL_BATCH, UL_EVAL_EVERY, UL_BETAS = 300, 16, 50, (0.7, 0.99)
UL_CUT, UL_RATIO, UL_DECAY, UL_UNFREEZE = 0.1, 32, 2.6, 60
# a GAT graph classifier of made graphs, Adam with L2, constant, logged once per epoch
GA_NODES, GA_CLASSES, GA_DEGREE, GA_FLIP = 16, 3, 4.0, 0.1
GA_TRAIN, GA_VAL, GA_TEST, GA_BATCH, GA_EPOCHS = 1536, 512, 1024, 64, 30
GA_HIDDEN, GA_HEADS, GA_WD = 8, 4, 5e-4
# a Mamba (selective state-space) byte LM under AdamW + warmup / cosine, clipped
MB_TEXT, MB_CTX, MB_D, MB_EXPAND, MB_STATE, MB_CONV, MB_LAYERS = "enum.py", 64, 48, 2, 8, 4, 2
MB_STEPS, MB_WARMUP, MB_BATCH, MB_EVAL_EVERY, MB_WD, MB_CLIP = 300, 30, 16, 50, 0.1, 1.0
MB_BETAS, MB_FLOOR = (0.9, 0.95), 0.1


# -- a ULMFiT fine-tune of a byte transformer pretrained here, under Adam ------------------------


def layer_groups(model: nn.Module) -> list[list[nn.Parameter]]:
    """ULMFiT's layer groups of the byte transformer, top first: the final LayerNorm and the
    head, each transformer layer from the last down, then the embeddings."""
    groups = [list(model.norm.parameters()) + list(model.head.parameters())]
    groups += [list(layer.parameters()) for layer in reversed(model.blocks.layers)]
    return groups + [list(model.tok.parameters()) + list(model.pos.parameters())]


def slanted_triangular(steps: int, cut_frac: float = UL_CUT, ratio: float = UL_RATIO):
    """ULMFiT's slanted triangular LR (Howard & Ruder 2018): from ``1 / ratio`` of the peak up
    linearly over the first ``cut_frac`` of the steps, then linearly down to ``1 / ratio``."""
    cut = math.floor(steps * cut_frac)

    def factor(i: int) -> float:
        p = i / cut if i < cut else 1 - (i - cut) / (cut * (1 / cut_frac - 1))
        return (1 + p * (ratio - 1)) / ratio
    return factor


class GradualUnfreezing(torch.optim.lr_scheduler.LambdaLR):
    """The slanted triangular LR on every group, and ULMFiT's gradual unfreezing: only the top
    group trains at first, one more (from the top down) every ``every`` steps; a frozen group
    has no gradient, so Adam neither steps it nor keeps moments for it until it thaws."""

    def __init__(self, opt: torch.optim.Optimizer, steps: int, every: int):
        self.every = every
        for group in opt.param_groups[1:]:
            for p in group["params"]:
                p.requires_grad_(False)
        super().__init__(opt, slanted_triangular(steps))

    def step(self, epoch: int | None = None) -> None:
        super().step(epoch)
        thawed = self.last_epoch // self.every
        if self.last_epoch % self.every == 0 and thawed < len(self.optimizer.param_groups):
            for p in self.optimizer.param_groups[thawed]["params"]:
                p.requires_grad_(True)


def ulmfit_run(lr: float, seed: int = SEED) -> TestedRun:
    """Round 41's byte transformer pretrained here on ``zipfile.py``, fine-tuned on the prose's
    next bytes as ULMFiT does: Adam (betas ``UL_BETAS``, ULMFiT's; no weight decay) with
    discriminative LRs (the top group at ``lr``, each group below ``UL_DECAY`` times less), the
    slanted triangular schedule (``UL_CUT``, ``UL_RATIO``) and gradual unfreezing (one group
    more every ``UL_UNFREEZE`` steps), ``UL_STEPS`` steps of ``UL_BATCH`` shuffled windows,
    logged every 10 steps with a ``val_loss`` every ``UL_EVAL_EVERY``; the test windows'
    cross-entropy the truth."""
    splits = prose_windows()
    weights = pretrained_lm()  # before the seed: pretraining draws from the global RNG
    order = shuffled_batches(len(splits[0][0]), UL_BATCH, UL_STEPS, seed)
    torch.manual_seed(seed)
    model = code_lm()
    model.load_state_dict(weights)
    opt = torch.optim.Adam([{"params": g, "lr": lr / UL_DECAY ** k}
                            for k, g in enumerate(layer_groups(model))], lr=lr, betas=UL_BETAS)
    return minibatch_run(model, opt, next_byte_loss, splits, order, UL_STEPS, UL_EVAL_EVERY,
                         scheduler=lambda o: GradualUnfreezing(o, UL_STEPS, UL_UNFREEZE))


# -- a graph attention network classifying made graphs, Adam, logged once per epoch --------------


def made_graph(kind: int, rng: np.random.Generator) -> np.ndarray:
    """A graph of ``GA_NODES`` nodes and mean degree about ``GA_DEGREE``: 0 an Erdos-Renyi
    graph, 1 a two-block stochastic block model (nine in ten edges within a block), 2 a
    Watts-Strogatz ring (each node to its ``GA_DEGREE`` nearest, one in ten edges rewired).
    Its symmetric adjacency, no self-loops."""
    n = GA_NODES
    if kind == 2:
        gap = np.abs(np.arange(n)[:, None] - np.arange(n)[None])
        ring = (np.minimum(gap, n - gap) <= GA_DEGREE // 2) & (gap > 0)
        rewire = np.triu(ring & (rng.random((n, n)) < 0.1))
        upper = np.triu(ring) & ~rewire
        for i, _ in zip(*np.nonzero(rewire)):
            free = np.flatnonzero(~(upper[i] | upper[:, i]) & (np.arange(n) != i))
            j = rng.choice(free)
            upper[min(i, j), max(i, j)] = True
    else:
        same = (np.arange(n)[:, None] < n // 2) == (np.arange(n)[None] < n // 2)
        p = (np.full((n, n), GA_DEGREE / (n - 1)) if kind == 0 else
             np.where(same, 0.9 * GA_DEGREE / (n // 2 - 1), 0.1 * GA_DEGREE / (n // 2)))
        upper = np.triu(rng.random((n, n)) < p, 1)
    perm = rng.permutation(n)  # the nodes in a random order
    return (upper | upper.T)[perm][:, perm]


def node_features(adj: np.ndarray) -> np.ndarray:
    """Each node's degree over ``GA_DEGREE``, its local clustering coefficient and a constant."""
    a = adj.astype(float)
    deg = a.sum(1)
    triangles = np.einsum("ij,jk,ki->i", a, a, a) / 2
    clustering = np.where(deg > 1, triangles / np.maximum(deg * (deg - 1) / 2, 1), 0.0)
    return np.stack([deg / GA_DEGREE, clustering, np.ones_like(deg)], 1)


@lru_cache(maxsize=None)
def graph_sets() -> tuple[tuple, tuple, tuple]:
    """``GA_TRAIN`` / ``GA_VAL`` / ``GA_TEST`` made graphs, a third of each generator, their
    labels the generator's with ``GA_FLIP`` of them moved to another class at random (the
    floor): (node features, adjacency with self-loops, label)."""
    rng = np.random.default_rng(SEED)
    n = GA_TRAIN + GA_VAL + GA_TEST
    kinds = rng.integers(0, GA_CLASSES, n)
    adjs = np.stack([made_graph(int(k), rng) for k in kinds])
    feats = np.stack([node_features(a) for a in adjs])
    flip = rng.random(n) < GA_FLIP
    labels = np.where(flip, (kinds + rng.integers(1, GA_CLASSES, n)) % GA_CLASSES, kinds)
    loops = adjs | np.eye(GA_NODES, dtype=bool)
    return split3(GA_TRAIN, GA_VAL, torch.tensor(feats, dtype=torch.float32),
                  torch.tensor(loops), torch.tensor(labels))


class GATLayer(nn.Module):
    """A graph attention layer (Velickovic et al. 2018): ``heads`` heads, each a linear map and
    attention ``LeakyReLU(a^T [W h_i || W h_j])`` (slope 0.2) softmaxed over i's neighbours
    (itself included); the heads concatenated (or averaged on the last layer)."""

    def __init__(self, d_in: int, d_out: int, heads: int, concat: bool = True):
        super().__init__()
        self.heads, self.d_out, self.concat = heads, d_out, concat
        self.lin = nn.Linear(d_in, heads * d_out, bias=False)
        self.att_src = nn.Parameter(torch.empty(heads, d_out))
        self.att_dst = nn.Parameter(torch.empty(heads, d_out))
        self.bias = nn.Parameter(torch.zeros(heads * d_out if concat else d_out))
        nn.init.xavier_uniform_(self.att_src)
        nn.init.xavier_uniform_(self.att_dst)

    def forward(self, h: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        b, n, _ = h.shape
        wh = self.lin(h).view(b, n, self.heads, self.d_out)
        score = ((wh * self.att_dst).sum(-1)[:, :, None] + (wh * self.att_src).sum(-1)[:, None])
        score = F.leaky_relu(score, 0.2).masked_fill(~adj[..., None], -math.inf)
        out = torch.einsum("bijh,bjhd->bihd", torch.softmax(score, 2), wh)
        out = out.reshape(b, n, -1) if self.concat else out.mean(2)
        return out + self.bias


class GraphGAT(nn.Module):
    """Two GAT layers (``GA_HEADS`` heads of ``GA_HIDDEN``, ELU; then ``GA_HEADS`` heads of
    ``GA_HIDDEN`` averaged), the nodes' mean, ELU and a linear head to ``GA_CLASSES``."""

    def __init__(self):
        super().__init__()
        self.gat1 = GATLayer(3, GA_HIDDEN, GA_HEADS)
        self.gat2 = GATLayer(GA_HIDDEN * GA_HEADS, GA_HIDDEN, GA_HEADS, concat=False)
        self.head = nn.Linear(GA_HIDDEN, GA_CLASSES)

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        h = F.elu(self.gat1(x, adj))
        return self.head(F.elu(self.gat2(h, adj).mean(1)))


def gat_run(lr: float, seed: int = SEED) -> TestedRun:
    """The GAT under PyTorch's Adam with an L2 penalty of ``GA_WD`` (``weight_decay``, the GAT
    paper's recipe; no dropout) at a constant ``lr``, ``GA_BATCH`` shuffled graphs a step, the
    cross-entropy, logged once per epoch (``GA_EPOCHS``: each epoch's mean training loss, a
    ``val_loss`` after it); the test graphs' cross-entropy the truth."""
    (xtr, atr, ytr), (xva, ava, yva), (xte, ate, yte) = graph_sets()
    order = batches_of(GA_TRAIN, GA_BATCH, GA_EPOCHS, seed).view(GA_EPOCHS, -1, GA_BATCH)
    torch.manual_seed(seed)
    model = GraphGAT()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=GA_WD)

    @torch.no_grad()
    def evaluate(x: torch.Tensor, a: torch.Tensor, y: torch.Tensor) -> float:
        model.eval()
        return float(F.cross_entropy(model(x, a), y))
    test0 = evaluate(xte, ate, yte)
    log = train_by_epoch(model, opt, GA_EPOCHS, list(order),
                         lambda idx: F.cross_entropy(model(xtr[idx], atr[idx]), ytr[idx]),
                         lambda: evaluate(xva, ava, yva), schedule="constant")
    return TestedRun(log, test0, finite_or_inf(evaluate(xte, ate, yte)), by_epoch=True)


# -- a Mamba byte LM under AdamW + warmup / cosine -----------------------------------------------


class MambaBlock(nn.Module):
    """Mamba's selective state-space block (Gu & Dao 2023): an input projection to ``expand``
    times the width and a gate, a causal depthwise convolution of ``MB_CONV`` and SiLU, an
    input-dependent step, B and C (the selection), the diagonal recurrence ``h = exp(dt A) h +
    dt B x`` of ``MB_STATE`` states per channel (A = -exp(A_log), S4D-real's 1..N), ``y = C h +
    D x``, gated by SiLU of the gate and projected back; the scan run step by step."""

    def __init__(self, d: int):
        super().__init__()
        inner, self.rank = MB_EXPAND * d, math.ceil(d / 16)
        self.in_proj = nn.Linear(d, 2 * inner, bias=False)
        self.conv = nn.Conv1d(inner, inner, MB_CONV, groups=inner, padding=MB_CONV - 1)
        self.x_proj = nn.Linear(inner, self.rank + 2 * MB_STATE, bias=False)
        self.dt_proj = nn.Linear(self.rank, inner)
        dt = torch.exp(torch.rand(inner) * (math.log(0.1) - math.log(1e-3)) + math.log(1e-3))
        with torch.no_grad():  # Mamba's step init: softplus(bias) log-uniform on [1e-3, 0.1]
            self.dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))
        self.A_log = nn.Parameter(torch.log(torch.arange(1, MB_STATE + 1.0)).repeat(inner, 1))
        self.D = nn.Parameter(torch.ones(inner))
        self.out_proj = nn.Linear(inner, d, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[1]
        u, gate = self.in_proj(x).chunk(2, -1)
        u = F.silu(self.conv(u.transpose(1, 2))[..., :n].transpose(1, 2))
        dt, b, c = self.x_proj(u).split([self.rank, MB_STATE, MB_STATE], -1)
        dt = F.softplus(self.dt_proj(dt))  # (batch, n, inner)
        decay = torch.exp(dt[..., None] * -torch.exp(self.A_log))  # (batch, n, inner, state)
        drive = (dt * u)[..., None] * b[:, :, None]
        h, ys = torch.zeros_like(decay[:, 0]), []
        for t in range(n):
            h = decay[:, t] * h + drive[:, t]
            ys.append((h * c[:, t, None]).sum(-1))
        y = torch.stack(ys, 1) + u * self.D
        return self.out_proj(y * F.silu(gate))


class MambaLM(nn.Module):
    """A Mamba byte LM: an embedding, ``MB_LAYERS`` pre-LayerNorm residual ``MambaBlock`` s of
    width ``MB_D``, a final LayerNorm and a head tied to the embedding (initialised at
    deviation 0.02); no positions."""

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(128, MB_D)
        nn.init.normal_(self.tok.weight, std=0.02)  # Mamba's (GPT-2's) tied embedding init
        self.norms = nn.ModuleList(nn.LayerNorm(MB_D) for _ in range(MB_LAYERS + 1))
        self.blocks = nn.ModuleList(MambaBlock(MB_D) for _ in range(MB_LAYERS))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.tok(x)
        for norm, block in zip(self.norms, self.blocks):
            h = h + block(norm(h))
        return self.norms[-1](h) @ self.tok.weight.T


@lru_cache(maxsize=None)
def enum_windows() -> tuple[tuple, tuple, tuple]:
    """The standard library's ``MB_TEXT`` (non-ASCII as ``?``), ``fresh_sweeps41``'s
    ``block_windows`` of ``MB_CTX`` bytes (blocks of 1024 dealt 80/10/10 at random), every
    ``MB_CTX // 2`` bytes in training."""
    return block_windows(ascii_stream(MB_TEXT), MB_CTX, MB_CTX // 2)


def warmup_cosine(warmup: int, total: int, floor: float):
    """A linear warmup over ``warmup`` steps, then a cosine decay to ``floor`` of the peak at
    the last step (the GPT-3 recipe Mamba's LMs train by)."""
    def factor(i: int) -> float:
        if i < warmup:
            return (i + 1) / warmup
        t = (i - warmup) / max(1, total - 1 - warmup)
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * t))
    return factor


def mamba_run(lr: float, seed: int = SEED) -> TestedRun:
    """The Mamba LM under AdamW (betas ``MB_BETAS``, weight decay ``MB_WD`` on the matrices
    only, gradients clipped at ``MB_CLIP``: Mamba's recipe) at a peak ``lr``, a linear warmup
    of ``MB_WARMUP`` steps then a cosine decay to ``MB_FLOOR`` of the peak, ``MB_STEPS`` steps
    of ``MB_BATCH`` shuffled windows, the next byte's cross-entropy, logged every 10 steps with
    a ``val_loss`` every ``MB_EVAL_EVERY``; the test windows' loss the truth."""
    splits = enum_windows()
    order = shuffled_batches(len(splits[0][0]), MB_BATCH, MB_STEPS, seed)
    torch.manual_seed(seed)
    model = MambaLM()
    params = dict(model.named_parameters())
    decayed = [p for k, p in params.items() if p.ndim >= 2 and not k.endswith("A_log")]
    rest = [p for k, p in params.items() if p.ndim < 2 or k.endswith("A_log")]
    opt = torch.optim.AdamW([{"params": decayed, "weight_decay": MB_WD},
                             {"params": rest, "weight_decay": 0.0}], lr=lr, betas=MB_BETAS)
    factor = warmup_cosine(MB_WARMUP, MB_STEPS, MB_FLOOR)
    return minibatch_run(model, opt, next_byte_loss, splits, order, MB_STEPS, MB_EVAL_EVERY,
                         scheduler=lambda o: torch.optim.lr_scheduler.LambdaLR(o, factor),
                         clip=MB_CLIP)


# -- the plan and the manifest -------------------------------------------------------------------

UL_RANGE, GA_RANGE, MB_RANGE = (-2.75, 0.25), (-2.75, 0.25), (-3.0, 0.0)
EVERY = f"every {LOG_EVERY} steps (that step's loss)"


def plan() -> list[FreshSweep]:
    return [
        FreshSweep("gpt_ft_ulmfit_prose_adam_stlr", quarter_decades(*UL_RANGE), UL_STEPS,
                   ulmfit_run,
                   {"optimizer": "Adam", "betas": list(UL_BETAS), "batch_size": UL_BATCH,
                    "fine_tune": True, "clip": None, "warmup_steps": int(UL_CUT * UL_STEPS),
                    "weight_decay": 0.0,
                    "schedule": f"slanted triangular (cut_frac {UL_CUT}, ratio {UL_RATIO}); "
                                f"discriminative LRs (each layer group {UL_DECAY}x below the "
                                f"one above; the head's the logged LR); gradual unfreezing "
                                f"(one group more every {UL_UNFREEZE} steps)",
                    "loss": "cross-entropy (next byte)",
                    "logged": f"{EVERY}, val_loss every {UL_EVAL_EVERY} steps",
                    "model": f"byte transformer d {FT_D}, {FT_LAYERS} layers, {FT_HEADS} "
                             f"heads, feed-forward {FT_FF}, context {FT_CTX}, pretrained here "
                             "on zipfile.py; ULMFiT fine-tune",
                    "data": "pydoc_data topics (English prose), blocks dealt 80/10/10"}),
        FreshSweep("gat_graphs_ce_adam_epochs", quarter_decades(*GA_RANGE), GA_EPOCHS, gat_run,
                   {"optimizer": "Adam", "batch_size": GA_BATCH, "epochs": GA_EPOCHS,
                    "weight_decay": GA_WD, "fine_tune": False, "clip": None,
                    "warmup_steps": 0, "schedule": "constant",
                    "loss": f"cross-entropy ({GA_CLASSES} classes)",
                    "logged": "once per epoch (its mean training loss), val_loss each epoch",
                    "model": f"graph attention network: 2 layers of {GA_HEADS} heads of "
                             f"{GA_HIDDEN}, mean pooling, linear head",
                    "data": f"made graphs of {GA_NODES} nodes (Erdos-Renyi, two-block SBM, "
                            f"Watts-Strogatz; {GA_FLIP:.0%} labels moved): {GA_TRAIN} train, "
                            f"{GA_VAL} validation, {GA_TEST} test graphs"}),
        FreshSweep("mamba_enum_adamw_warmcos", quarter_decades(*MB_RANGE), MB_STEPS, mamba_run,
                   {"optimizer": "AdamW", "batch_size": MB_BATCH, "fine_tune": False,
                    "clip": MB_CLIP, "warmup_steps": MB_WARMUP, "weight_decay": MB_WD,
                    "betas": list(MB_BETAS),
                    "schedule": f"linear warmup {MB_WARMUP}, cosine decay to {MB_FLOOR} x "
                                "the peak",
                    "loss": "cross-entropy (next byte)",
                    "logged": f"{EVERY}, val_loss every {MB_EVAL_EVERY} steps",
                    "model": f"Mamba (selective SSM) byte LM d {MB_D}, {MB_LAYERS} layers, "
                             f"expand {MB_EXPAND}, state {MB_STATE}, context {MB_CTX}",
                    "data": f"{MB_TEXT} of the standard library, blocks dealt 80/10/10"}),
    ]


# the corpus family of each sweep's runs in the diagnosis manifest
CORPUS_FAMILY = {"gpt_ft_ulmfit_prose_adam_stlr": "llm_finetune",
                 "gat_graphs_ce_adam_epochs": "classifier",
                 "mamba_enum_adamw_warmcos": "lm_pretrain"}


def manifest_rows(sweep: FreshSweep, commit: str) -> list[dict]:
    """Round 48's manifest lines of a sweep (``fresh_sweeps8.tested_manifest_rows``)."""
    return tested_manifest_rows(sweep, commit, seed=SEED, script=SCRIPT,
                                corpus_family=CORPUS_FAMILY)


def main(argv: list[str] | None = None) -> None:
    cli(plan(), OUT, __doc__.splitlines()[0], argv, manifest=MANIFEST, rows_of=manifest_rows,
        make_one=make)


if __name__ == "__main__":
    main()
