"""Round 48's made held-out LR sweeps:
``python -m benchmarks.realworld.fresh_sweeps48 [--family F] [--manifest COMMIT]``.

Three model families that no earlier sweep (the corpus tasks, the made runs, rounds 4, 5 and 7
to 47) has, neither by name nor by model, loss and optimizer together: a **ULMFiT fine-tune**
(Howard & Ruder 2018: discriminative LRs, a slanted triangular LR and gradual unfreezing; no
earlier round thawed layers during a run) of round 41's byte transformer pretrained here, under
**Adam** with ULMFiT's betas 0.7 / 0.99; a **graph attention network** (Velickovic et al. 2018;
round 12's GCN was the only graph model) classifying **made graphs** under **Adam with an L2
penalty** (the GAT paper's recipe) at a constant LR, **logged once per epoch**; and a **Mamba
byte LM** (Gu & Dao 2023: a selective state-space model, its step, B and C functions of the
input; round 45's S4D was not selective) under **AdamW** with a linear warmup, a cosine decay
and clipping at 1 (Mamba's recipe). On data made here (no downloads; the text ships with
Python). One is a fine-tune of a model pretrained here, one logs once per epoch, one is a
sequence LM, two are attention models (the fine-tune and the GAT).

- ``gpt_ft_ulmfit_prose_adam_stlr``: round 41's byte transformer (d 48, 2 pre-LayerNorm layers
  of 4 causal heads, feed-forward 128, context 64, 59,712 weights) **pretrained here** on the
  standard library's ``zipfile.py`` (``fresh_sweeps41.pretrained_lm``: Adam 3e-3, 1200 steps of
  16; the same weights for every run), trained on the next bytes of the English prose of
  ``pydoc_data`` (``fresh_sweeps41.prose_windows``: 1920 / 120 / 120 windows of 64) as ULMFiT
  fine-tunes: four layer groups (the final LayerNorm and head, layer 2, layer 1, the
  embeddings), the top at ``lr`` and each below 2.6 times less; only the top trains at first,
  one more group thaws every 60 steps (all four from step 180; a frozen group has no gradient,
  so Adam keeps no moments for it); the slanted triangular LR (cut_frac 0.1, ratio 32: from
  ``lr / 32`` up over 30 steps, then linearly back down); PyTorch's **Adam** (betas 0.7 /
  0.99, no weight decay), 300 steps of 16, logged every 10 steps (the head's LR) with a
  ``val_loss`` every 50; the truth the test windows' cross-entropy.
- ``gat_graphs_ce_adam_epochs``: a **GAT** (2 layers of 4 attention heads of 8, ELU, the
  second's heads averaged, the nodes' mean, ELU and a linear head; 1,315 weights) classifying
  **made graphs** of 16 nodes and mean degree about 4 by their generator (Erdos-Renyi, a
  two-block stochastic block model with nine in ten edges within a block, a Watts-Strogatz
  ring with one in ten edges rewired; the nodes in a random order; each node's features its
  degree over 4, its clustering coefficient and a constant), 10% of the labels moved to
  another class (a floor of at least 0.394 nats); 1536 / 512 / 1024 graphs; the cross-entropy
  under PyTorch's **Adam** with ``weight_decay`` 5e-4 (the GAT paper's L2; no dropout) at a
  constant ``lr``, batches of 64, **logged once per epoch** (30 epochs: each epoch's mean
  training loss, a ``val_loss`` after it).
- ``mamba_enum_adamw_warmcos``: a **Mamba byte LM** (an embedding of 48 tied to the head,
  initialised at deviation 0.02; 2 pre-LayerNorm residual Mamba blocks: an input projection to
  96 channels and a gate, a causal depthwise convolution of 4 and SiLU, an input-dependent
  step (rank 3, softplus, initialised log-uniform on 1e-3..0.1), B and C of 8 states, the
  diagonal recurrence ``h = exp(dt A) h + dt B x`` with S4D-real's A, scanned step by step,
  ``y = C h + D x`` gated by SiLU of the gate; a final LayerNorm; no positions; 41,184 weights)
  on the standard library's ``enum.py`` (``fresh_sweeps41.block_windows`` of 64 bytes: 1830 /
  120 / 120 windows), the next byte's cross-entropy under **AdamW** (betas 0.9 / 0.95, weight
  decay 0.1 on the matrices only, gradients clipped at 1.0) with a linear warmup of 30 steps,
  then a cosine decay to a tenth of the peak, 300 steps of 16, logged every 10 steps with a
  ``val_loss`` every 50.

13 quarter-decade LRs each (every step 1.78x, so a best within 2x is a grid point), seed 44. **The
grids were fixed from what users pick before any probe, and all three moved once after a first
probe** (every other grid point, seed 44, at LRs rounded to three digits): the ULMFiT fine-tune's
10**-4..10**-1 (Adam's usual 1e-4-3e-3 and the larger LRs a fine-tune of a small model takes:
3.16e-3 in the middle), whose probe put the best at the top, 1e-1 (1.7543; 3.16e-2 1.7972, 1e-2
1.9147, 3.16e-3 2.0618, 1e-3 2.2446, 3.16e-4 2.4557, 1e-4 2.6565), moved up a decade and a quarter
to 10**-2.75..10**0.25 (after three more probe points above it: 3.16e-1 2.7991, 1 4.7276, 3.16
57.7396); the GAT's 10**-4..10**-1 (its paper's 5e-3 and 1e-2: 3.16e-3 in the middle), whose probe
put the best at the top, 1e-1 (0.5830; 3.16e-2 0.5877, 1e-2 0.6047, 3.16e-3 0.6648, 1e-3 0.7389,
3.16e-4 0.8443, 1e-4 1.0614), moved up a decade and a quarter to 10**-2.75..10**0.25 (after 3.16e-1
1.1055, 1 1.1227 and 3.16 4.3528 above it); the Mamba LM's 10**-4..10**-1 (AdamW's usual 1e-4-3e-3
for a small LM: 3.16e-3 in the middle), whose probe put the best at 1e-2 (1.0458; 3.16e-2 1.0505,
1e-1 1.0921, 3.16e-3 1.2031, 1e-3 1.6704, 3.16e-4 2.5405, 1e-4 3.7258), a decade from the top, moved
up a decade to 10**-3..10**0. The sweep bests: the ULMFiT fine-tune 5.62e-2 (1.5 decades from both
ends), the GAT 1.78e-1 (a decade from the top, two from the bottom), the Mamba LM 3.16e-2 (1.5
decades from both ends).

**The GAT's best sits on a plateau that ends at a cliff**: 1.78e-2 to 1.78e-1 end within 3.3% of
each other (0.5737 to 0.5929, not in order of LR), and from 3.16e-1 up every run ends above its
start, about the class prior's ln 3 (1.1042 to 1.2072 from 1.0989: diverging). **The ULMFiT
fine-tune's top rises smoothly**: 1.78e-1 ends 21% above the best, 3.16e-1 just under its start
(2.8483 from 2.8890), 5.62e-1 up above it; none goes non-finite. **The Mamba LM's clipping holds it
to 1.78e-1**: 1e-2 to 5.62e-2 end within 1%, 1.78e-1 and 3.16e-1 56% and 40% above the best, and
5.62e-1 and 1 go non-finite in their first 60 steps. A three-digit LR moved the Mamba LM's 3.16e-2
run by 1% (1.0505 for 3.16e-2 in the probe, 1.0395 for 10**-1.5 in the sweep).

Probe test losses at each best and its neighbours (seeds 42/43/44; seed 44 the sweep's own
runs, the others at three-digit LRs; a seed moves the batches and the initialisation, of the
fine-tune the batches only, not the data or the pretrained weights):

- **The ULMFiT fine-tune's best moves between 5.62e-2 and 1e-1, within 0.5% of each other**:
  1e-1 at seed 42 (1.7660; 5.62e-2 +0.1%, 3.16e-2 +1.3%), 5.62e-2 at seeds 43 and 44 (1.7756,
  1.7461; 1e-1 +0.4%, +0.5%; 3.16e-2 +1.8%, +2.9%).
- **The GAT's best moves across its plateau, 3.16e-2 to 1.78e-1**: 3.16e-2 at seeds 42 and 43
  (0.5499, 0.5531; 1.78e-2 +2.5%, +1.0%; 5.62e-2 +1.3%, +0.1%; 1e-1 +2.2%, +1.6%; 1.78e-1
  +29.5%, +24.1%), 1.78e-1 at seed 44 (0.5737; 1e-1 +1.6%, 5.62e-2 +1.7%, 3.16e-2 +3.3%);
  3.16e-1 ends at or above its start at every seed.
- **The Mamba LM's best moves between 1.78e-2 and 5.62e-2**: 5.62e-2 at seed 42 (1.0105; 1e-1
  +6.9%, 3.16e-2 +1.6%, 1.78e-2 +1.1%), 1.78e-2 at seed 43 (1.0125; 1e-2 +3.5%, 3.16e-2
  +1.6%, 5.62e-2 +2.2%), 3.16e-2 at seed 44 (1.0395; 1.78e-2 +0.03%, 5.62e-2 +1.0%).

Best test losses: the ULMFiT fine-tune 1.7461 at 5.62e-2 from 2.8890 (it fell 40%); the GAT
0.5737 at 1.78e-1 from 1.0989 (48%); the Mamba LM 1.0395 at 3.16e-2 from 4.8316 (78%). Labels:
16 stalled, 9 healthy, 5 oscillating, 9 diverging (ULMFiT 6/2/2/3, GAT 6/3/0/4, Mamba 4/4/3/2).
Training took 312.7 CPU s on one thread for the 39 runs in the sweeps (ULMFiT 41.6, GAT 50.2,
Mamba 220.9; each run's own CPU time, on a machine shared with other work), and about 550 CPU s
for the pretraining (about 14 s a process), the timing check, the probes and the seed checks:
under 15 CPU minutes in all (the processes' imports not counted), under the plan's ~25.

The truth is the loss on a test split that no log holds; each log's ``val_loss`` comes from a
separate validation split, as in rounds 8 to 47 (``fresh_sweeps8``, whose machinery this reuses:
the cache's side file beside each CSV holds the test losses, ``sweeps_fresh48.json`` ranks each
run by its final test loss with ``made_labels.label_sweep``, and ``--manifest COMMIT`` writes
those labels, with their reasons, as ``manifest_r48made.jsonl``: the ``round48-made`` side of
the one-run diagnosis). The ULMFiT fine-tune and the Mamba LM train through
``fresh_sweeps31.minibatch_run`` with the scheduler each steps every step (the ULMFiT one also
thaws the groups; the Mamba LM with ``clip=``, new in round 48); the GAT through
``fresh_sweeps8.train_by_epoch`` at a constant LR.

The runs were made with this machine's default PyTorch CPU kernels, as rounds 13 to 47's were; a
retrain on other kernels drifts within the tests' retrained-truth tolerance.
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
