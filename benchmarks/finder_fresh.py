"""Fresh held-out families for the range test's fifth round (issue 17), never used before.

Written down, and their runs generated, before any rule change of the round; the rule is tuned
on the earlier families only, frozen, and these are evaluated once. Kinds of model that no
earlier finder task has: a recurrent classifier of synthetic sequences, a patch transformer
(ViT-like) on digits, a denoising autoencoder of synthetic signals under AdamW, and a
BERT-like masked LM fine-tuned from weights pretrained here. Small, CPU-only, nothing
downloaded (the text ships with Python: standard-library modules none of the earlier LMs read).

- ``gru-motif-sequences``: a GRU (48 units) tells which of 4 noisy motifs a 32-step,
  3-channel sequence holds; Adam and SGD with momentum 0.9.
- ``vit-patches-digits``: 2x2 patches of a digit, a CLS token, two pre-norm encoder layers
  (d=32, 4 heads); AdamW.
- ``dae-signals-gelu``: a GELU MLP (64-128-24-128-64) maps a noisy sum of sinusoids to the
  clean one (MSE); AdamW and SGD with momentum 0.9.
- ``finetune-mlm-code-to-prose``: a two-layer bidirectional encoder (d=32) pretrained to fill
  masked bytes of Python source, fine-tuned on 400 masked windows of docstring prose; AdamW,
  a fine-tune (``fine_tune=True``, its sweep on ``FINE_TUNE_GRID``).
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
from torch import nn
from torch.nn import functional as F

from benchmarks.finder_families import (CONTEXT, Data, _lm_split, _pretrained, _split, _task,
                                        docstring_text, plain_mlp, source_text)
from benchmarks.finder_tasks import Task, digits, mse

SPLIT = "fresh-held-out"


# -- a recurrent classifier --------------------------------------------------------------------


@lru_cache(maxsize=None)
def _motif_sequences() -> tuple[Data, Data]:
    """2500 noisy 32-step, 3-channel sequences, each holding one of 4 motifs (6 steps long) at
    a random place; the label is the motif. 2000 to train, 500 to validate."""
    g = torch.Generator().manual_seed(31)
    motifs = torch.randn(4, 6, 3, generator=g)
    labels = torch.randint(0, 4, (2500,), generator=g)
    x = 0.8 * torch.randn(2500, 32, 3, generator=g)
    places = torch.randint(0, 32 - 6, (2500,), generator=g)
    for i, (label, place) in enumerate(zip(labels.tolist(), places.tolist())):
        x[i, place:place + 6] += motifs[label]
    return _split(x, labels, 2000, seed=31)


class MotifGRU(nn.Module):
    """A one-layer GRU over the sequence, its last state into a linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(3, 48, batch_first=True)
        self.head = nn.Linear(48, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, h = self.gru(x)
        return self.head(h[-1])


# -- a patch transformer ---------------------------------------------------------------------


@lru_cache(maxsize=None)
def _digits_for_patches() -> tuple[Data, Data]:
    x, y = digits()
    return _split(x, y, 1400, seed=32)


class PatchTransformer(nn.Module):
    """ViT-like: 16 patches of 2x2 pixels embedded, a CLS token, learned positions, two
    pre-norm encoder layers, the CLS state into the head."""

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        self.embed = nn.Linear(4, width)
        self.cls = nn.Parameter(torch.zeros(1, 1, width))
        self.position = nn.Parameter(0.02 * torch.randn(1, 17, width))
        layer = nn.TransformerEncoderLayer(width, 4, dim_feedforward=2 * width, dropout=0.0,
                                           batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        patches = x.reshape(-1, 4, 2, 4, 2).permute(0, 1, 3, 2, 4).reshape(-1, 16, 4)
        h = torch.cat([self.cls.expand(len(x), -1, -1), self.embed(patches)], dim=1)
        return self.head(self.norm(self.blocks(h + self.position))[:, 0])


# -- a denoising autoencoder -----------------------------------------------------------------


@lru_cache(maxsize=None)
def _noisy_signals() -> tuple[Data, Data]:
    """Sums of three sinusoids (random frequency 1-8, amplitude, phase) on 64 points, with
    Gaussian noise (0.3) on the input only. 2000 to train, 500 to validate."""
    g = torch.Generator().manual_seed(33)
    t = torch.linspace(0, 1, 64)
    freq = torch.randint(1, 9, (2500, 3, 1), generator=g).float()
    amp = torch.randn(2500, 3, 1, generator=g)
    phase = 2 * math.pi * torch.rand(2500, 3, 1, generator=g)
    clean = (amp * torch.sin(2 * math.pi * freq * t + phase)).sum(1) / math.sqrt(3)
    noisy = clean + 0.3 * torch.randn(clean.shape, generator=g)
    return _split(noisy, clean, 2000, seed=33)


# -- a masked LM fine-tune -------------------------------------------------------------------

MASK = 256  # the mask token, one past the bytes
IGNORE = -100  # targets of unmasked positions: no loss
MLM_CODE_MODULES = ("random", "enum", "statistics", "tokenize", "contextlib", "operator",
                    "weakref", "queue", "sched", "graphlib", "numbers", "abc")
MLM_PROSE_MODULES = ("shutil", "configparser", "difflib", "inspect", "threading",
                     "urllib.parse", "tempfile", "ftplib", "smtplib", "imaplib")


def _masked_windows(text: bytes, count: int, seed: int) -> Data:
    """``count`` windows of ``CONTEXT`` bytes with 15% of the positions masked (at least one):
    the input has ``MASK`` there, the target the byte (``IGNORE`` elsewhere)."""
    g = torch.Generator().manual_seed(seed)
    data = torch.tensor(list(text), dtype=torch.long)
    start = torch.randint(0, len(data) - CONTEXT, (count,), generator=g)
    tokens = torch.stack([data[s:s + CONTEXT] for s in start.tolist()])
    masked = torch.rand(tokens.shape, generator=g) < 0.15
    masked[torch.arange(count), torch.randint(0, CONTEXT, (count,), generator=g)] = True
    return tokens.masked_fill(masked, MASK), tokens.masked_fill(~masked, IGNORE)


@lru_cache(maxsize=None)
def _mlm_data() -> tuple[Data, Data, Data]:
    """2000 masked windows of source to pretrain on; 400 of prose to fine-tune on, 400 to
    validate."""
    pretrain, _ = _lm_split(source_text(MLM_CODE_MODULES), 2000, 1, 34, _masked_windows)
    train, val = _lm_split(docstring_text(MLM_PROSE_MODULES), 400, 400, 35, _masked_windows)
    return pretrain, train, val


class MaskedEncoder(nn.Module):
    """BERT-like: byte and position embeddings, two bidirectional pre-norm layers (d=32,
    2 heads), a linear head over the 256 bytes."""

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        self.embed = nn.Embedding(257, width)
        self.position = nn.Parameter(torch.zeros(1, CONTEXT, width))
        layer = nn.TransformerEncoderLayer(width, 2, dim_feedforward=2 * width, dropout=0.0,
                                           batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, 256)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h = self.embed(tokens) + self.position[:, :tokens.shape[1]]
        return self.head(self.norm(self.blocks(h)))


def masked_byte_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
                           ignore_index=IGNORE)


def _finetuned_mlm() -> nn.Module:
    net = MaskedEncoder()
    net.load_state_dict(_pretrained("mlm-encoder-code", MaskedEncoder, _mlm_data()[0],
                                    masked_byte_loss, 1500))
    return net


FRESH_TASKS: list[Task] = [
    _task("gru-motif-sequences", SPLIT, "recurrent", _motif_sequences, MotifGRU,
          F.cross_entropy, ("Adam", "SGD-momentum")),
    _task("vit-patches-digits", SPLIT, "patch-transformer", _digits_for_patches,
          PatchTransformer, F.cross_entropy, ("AdamW",)),
    _task("dae-signals-gelu", SPLIT, "denoising-autoencoder", _noisy_signals,
          lambda: plain_mlp([64, 128, 24, 128, 64], nn.GELU), mse, ("AdamW", "SGD-momentum")),
    _task("finetune-mlm-code-to-prose", SPLIT, "mlm-fine-tune", _mlm_data, _finetuned_mlm,
          masked_byte_loss, ("AdamW",), fine_tune=True),
]
