"""Data, models and the training loop of the runs made here (``make_runs.py``).

Nothing is downloaded: the text is what ships with Python itself, the top-level ``.py`` files
of the standard library (code) and the documentation topics of ``pydoc_data`` (English prose),
read as bytes. The classifier uses scikit-learn's bundled digits. Every run is seeded and draws
its batches from a generator of its own, so two runs of one sweep see the same batches in the
same order and differ only in their learning rate.
"""

from __future__ import annotations

import math
import sysconfig
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

VOCAB = 256  # byte-level models: one class per byte value
VAL_FRACTION = 0.05  # the tail of each text is held out for the eval loss


# -- text ------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def stdlib_code() -> torch.Tensor:
    """The standard library's top-level ``.py`` files, in name order, as one byte stream."""
    root = Path(sysconfig.get_paths()["stdlib"])
    data = b"\n".join(p.read_bytes() for p in sorted(root.glob("*.py")))
    return torch.frombuffer(bytearray(data), dtype=torch.uint8).long()


@lru_cache(maxsize=None)
def python_docs() -> torch.Tensor:
    """The Python documentation topics that ship as ``pydoc_data.topics`` (English prose)."""
    from pydoc_data.topics import topics

    data = "\n".join(topics[k] for k in sorted(topics)).encode()
    return torch.frombuffer(bytearray(data), dtype=torch.uint8).long()


def split(stream: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Train on the head of a stream, evaluate on its tail."""
    cut = int(stream.numel() * (1 - VAL_FRACTION))
    return stream[:cut], stream[cut:]


def windows(stream: torch.Tensor, starts: torch.Tensor, ctx: int) -> tuple[torch.Tensor, ...]:
    """Inputs and next-byte targets of the windows starting at ``starts``."""
    idx = starts[:, None] + torch.arange(ctx + 1)[None, :]
    chunk = stream[idx]
    return chunk[:, :-1], chunk[:, 1:]


# -- models ----------------------------------------------------------------------------------


class CausalTransformer(nn.Module):
    """A small pre-LayerNorm GPT-style byte-level language model."""

    def __init__(self, d_model: int = 64, layers: int = 2, heads: int = 4, ctx: int = 64):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, d_model)
        self.pos = nn.Embedding(ctx, d_model)
        block = nn.TransformerEncoderLayer(d_model, heads, 4 * d_model, dropout=0.0,
                                           batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, VOCAB)
        self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(ctx))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[1]
        h = self.tok(x) + self.pos(torch.arange(t))
        h = self.blocks(h, mask=self.mask[:t, :t], is_causal=True)
        return self.head(self.norm(h))


class TiedTransformer(CausalTransformer):
    """The transformer with its output head tied to the token embedding, left at PyTorch's
    default initialisation (N(0, 1)): its first logits are large, so its first loss sits well
    above ln 256, as in many hand-written models."""

    def __init__(self, d_model: int = 64, layers: int = 2, heads: int = 4, ctx: int = 64):
        super().__init__(d_model, layers, heads, ctx)
        self.head = nn.Linear(d_model, VOCAB, bias=False)
        self.head.weight = self.tok.weight


class GRULanguageModel(nn.Module):
    """A one-layer GRU byte-level language model."""

    def __init__(self, size: int = 96):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, size)
        self.rnn = nn.GRU(size, size, batch_first=True)
        self.head = nn.Linear(size, VOCAB)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.rnn(self.emb(x))[0])


class LSTMLanguageModel(nn.Module):
    """The PyTorch word_language_model example's LSTM, shrunk, on bytes."""

    def __init__(self, size: int = 128, layers: int = 2, dropout: float = 0.2):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, size)
        self.rnn = nn.LSTM(size, size, layers, dropout=dropout, batch_first=True)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(size, VOCAB)

    def forward(self, x: torch.Tensor, state=None):
        h, state = self.rnn(self.drop(self.emb(x)), state)
        return self.head(self.drop(h)), state


# -- schedules -------------------------------------------------------------------------------


def warmup_cosine(warmup: int, total: int, floor: float = 0.1) -> Callable[[int], float]:
    """Linear warmup to the peak, then cosine decay to ``floor`` of it (nanoGPT's shape)."""
    def factor(i: int) -> float:
        if i < warmup:
            return (i + 1) / warmup
        p = (i - warmup) / max(1, total - warmup)
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, p)))
    return factor


def warmup_linear(warmup: int, total: int) -> Callable[[int], float]:
    """Linear warmup, then linear decay to zero (the Hugging Face fine-tuning default)."""
    def factor(i: int) -> float:
        if i < warmup:
            return (i + 1) / warmup
        return max(0.0, (total - i) / max(1, total - warmup))
    return factor


# -- the loop --------------------------------------------------------------------------------


@dataclass
class Logged:
    """One run's log: a row per optimizer step, ``val`` at the steps it was measured."""

    rows: list[tuple[int, float, float, float]] = field(default_factory=list)  # step, loss, lr, gn
    val: dict[int, float] = field(default_factory=dict)
    val0: float = math.nan  # eval loss before the first step
    wall_s: float = 0.0
    cpu_s: float = 0.0

    @property
    def final_val(self) -> float:
        """The eval loss at the last step; inf when the run stopped early on a NaN."""
        last = self.rows[-1][0]
        v = self.val.get(last, math.nan)
        return v if math.isfinite(v) else math.inf


def train(model: nn.Module, opt: torch.optim.Optimizer, factor: Callable[[int], float],
          steps: int, step_loss: Callable[[int], torch.Tensor],
          evaluate: Callable[[], float], eval_every: int, clip: float | None, *,
          scheduler: Callable[[torch.optim.Optimizer], object] | None = None) -> Logged:
    """Run ``steps`` optimizer steps, logging each step's loss, LR and gradient norm (before
    clipping); evaluate every ``eval_every`` steps and at the end. A non-finite loss ends the
    run after it is logged (an exploded run only repeats NaN). The LR is the peak times
    ``factor(step)``, or, given ``scheduler``, what the scheduler it makes of ``opt`` sets
    (stepped once a step: PyTorch's ``OneCycleLR``, which also cycles the momentum)."""
    sched = (scheduler(opt) if scheduler is not None
             else torch.optim.lr_scheduler.LambdaLR(opt, factor))
    params = [p for g in opt.param_groups for p in g["params"]]
    log = Logged()
    start, cpu = time.perf_counter(), time.process_time()
    log.val0 = evaluate()
    for step in range(1, steps + 1):
        model.train()
        loss = step_loss(step - 1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = float(nn.utils.clip_grad_norm_(params, clip if clip else math.inf))
        lr = opt.param_groups[0]["lr"]
        opt.step()
        sched.step()
        value = float(loss.detach())
        log.rows.append((step, value, lr, gn))
        finite = math.isfinite(value) and math.isfinite(gn)
        if step % eval_every == 0 or step == steps or not finite:
            log.val[step] = evaluate() if finite else math.nan
        if not finite:
            break
    log.wall_s = time.perf_counter() - start
    log.cpu_s = time.process_time() - cpu
    return log


@torch.no_grad()
def mean_loss(model: nn.Module, batches: list[tuple[torch.Tensor, torch.Tensor]]) -> float:
    """The mean cross-entropy of a model over fixed batches, in eval mode."""
    model.eval()
    total = 0.0
    for x, y in batches:
        out = model(x)
        logits = out[0] if isinstance(out, tuple) else out
        total += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)))
    return total / len(batches)
