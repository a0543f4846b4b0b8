"""Fresh held-out families for the range test's ninth round (issue 17), never used before.

Written down, and their runs generated, before any rule change of the round; the rule is tuned
on earlier splits only, frozen, and these are evaluated once. Models, data and optimizers that
no earlier finder task has together; small, CPU-only, nothing downloaded (scikit-learn's bundled
digits, standard-library text, synthetic data). As in rounds 7 and 8, each family was accepted
from its sweep alone, before any range test was made (``python -m benchmarks.finder_general
--sweep fresh9-held-out``): best LR strictly inside the grid, best validation loss well below a
model that learned nothing (the untrained or pretrained model and the best constant prediction:
for the counts the training mean rate, for the tagger each position's tag frequency, for the LM
also the bytes' unigram entropy), and the best LR ahead of both its grid neighbours at seeds 0,
1 and 2 (the reference is seed 0's sweep). Drafts that failed were replaced before any range
test was made: a small ResNet (two residual blocks, BatchNorm, 16 channels) under SGD with
Nesterov momentum, on round 7's canvas digits and on the plain digits (its best swapped with a
neighbour from seed to seed: its validation loss, with BatchNorm's running statistics, jumped by
nearly 3 nats between seeds), without normalisation and with GroupNorm on the plain digits (the
same); an LSTM regressor of 32 units under RMSprop (its best swapped with a neighbour at seed
2), now 16 units under SGD with Nesterov momentum; a Poisson MLP under Adam on 2000 counts (the
same), now RMSprop on 5000; a dilated causal conv forecaster of noisy sines under Adam, AdamW,
SGD and SGD with momentum (flat from 1e-3 to 3e-2 under the Adams, swapping neighbours under the
SGDs). Round 8's encoder transformer was not tried again.

- ``bigru-tagger-seen-before``: a bidirectional GRU tags each token of a synthetic sequence
  with whether it occurred earlier in the sequence; SGD with momentum 0.9.
- ``deep-linear-regression``: a deep linear network (four linear layers, no activation) fitting
  a low-rank linear map from 20 correlated inputs to 5 outputs; Adagrad.
- ``lstm-seq-max-regression``: a one-layer LSTM reads a noisy sequence of 20 values and
  regresses the largest clean value; SGD with Nesterov momentum 0.9.
- ``poisson-mlp-counts``: a SiLU MLP predicting the log-rate of synthetic event counts, the
  Poisson negative log-likelihood its loss; RMSprop.
- ``finetune-lstm-lm-prose-to-code``: an LSTM byte LM pretrained here on standard-library
  docstrings, fully fine-tuned on the Python source of other modules; AdamW, a fine-tune
  (``fine_tune=True``, its sweep on ``FINE_TUNE_GRID``).
"""

from __future__ import annotations

from functools import lru_cache

import torch
from torch import nn
from torch.nn import functional as F

from benchmarks.finder_families import (Data, _lm_split, _pretrained, _split, _task,
                                        docstring_text, next_byte_loss, source_text)
from benchmarks.finder_tasks import Task, mse

SPLIT = "fresh9-held-out"


# -- a bidirectional GRU tagger under SGD with momentum -----------------------------------------

VOCAB, LENGTH = 16, 24


@lru_cache(maxsize=None)
def _seen_before_tags() -> tuple[Data, Data]:
    """Sequences of 24 tokens drawn uniformly from 16; each token is tagged 1 when the same
    token occurred earlier in its sequence, else 0 (about 48% of the tags are 1). 3000 to
    train, 600 to validate."""
    g = torch.Generator().manual_seed(97)
    x = torch.randint(0, VOCAB, (3600, LENGTH), generator=g)
    seen = torch.zeros(3600, LENGTH, dtype=torch.long)
    for t in range(1, LENGTH):
        seen[:, t] = (x[:, :t] == x[:, t:t + 1]).any(1).long()
    return _split(x, seen, 3000, seed=97)


class BiGRUTagger(nn.Module):
    """A token embedding (16), one bidirectional GRU layer (32 a direction), a linear head
    giving each position's two tag logits."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, 16)
        self.gru = nn.GRU(16, 32, batch_first=True, bidirectional=True)
        self.head = nn.Linear(64, 2)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h, _ = self.gru(self.embed(tokens))
        return self.head(h)


def tag_loss(logits: torch.Tensor, tags: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over every position's tag."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tags.reshape(-1))


# -- a deep linear network under Adagrad -------------------------------------------------------


@lru_cache(maxsize=None)
def _low_rank_map() -> tuple[Data, Data]:
    """20 correlated Gaussian inputs (a random mixing), 5 outputs: a rank-3 linear map of the
    inputs plus noise of 0.3. 2000 to train, 500 to validate."""
    g = torch.Generator().manual_seed(91)
    mixing = torch.randn(20, 20, generator=g) / 20 ** 0.5
    x = torch.randn(2500, 20, generator=g) @ mixing
    x = (x - x.mean(0)) / x.std(0)
    w = torch.randn(20, 3, generator=g) @ torch.randn(3, 5, generator=g) / 20 ** 0.5
    y = x @ w + 0.3 * torch.randn(2500, 5, generator=g)
    return _split(x, y, 2000, seed=91)


def deep_linear() -> nn.Module:
    return nn.Sequential(nn.Linear(20, 32), nn.Linear(32, 32), nn.Linear(32, 32),
                         nn.Linear(32, 5))


# -- an LSTM sequence-to-one regressor under SGD with Nesterov momentum -------------------------

STEPS = 20


@lru_cache(maxsize=None)
def _noisy_sequences() -> tuple[Data, Data]:
    """Sequences of 20 values: a clean value drawn from N(0, 1) at each step, seen through
    Gaussian noise of 0.3; the target is the largest clean value, standardised on the training
    rows. 3000 to train, 600 to validate."""
    g = torch.Generator().manual_seed(92)
    clean = torch.randn(3600, STEPS, generator=g)
    x = (clean + 0.3 * torch.randn(3600, STEPS, generator=g))[:, :, None]
    y = clean.max(1).values[:, None]
    (xt, yt), (xv, yv) = _split(x, y, 3000, seed=92)
    return (xt, (yt - yt.mean()) / yt.std()), (xv, (yv - yt.mean()) / yt.std())


class SequenceLSTM(nn.Module):
    """One LSTM layer (16) over the sequence, a linear head on its last hidden state."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(1, 16, batch_first=True)
        self.head = nn.Linear(16, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.lstm(x)
        return self.head(h[:, -1])


# -- a Poisson regression MLP under RMSprop ----------------------------------------------------


@lru_cache(maxsize=None)
def _event_counts() -> tuple[Data, Data]:
    """12 Gaussian features; counts drawn from a Poisson law whose log-rate is 1 plus a smooth
    function of them (a random tanh layer of 6 units, read out with weights of spread 0.6), a
    mean count of about 3. 5000 to train, 1000 to validate."""
    g = torch.Generator().manual_seed(93)
    x = torch.randn(6000, 12, generator=g)
    hidden = torch.tanh(x @ (torch.randn(12, 6, generator=g) / 12 ** 0.5) * 1.5)
    log_rate = 1.0 + hidden @ torch.randn(6, 1, generator=g)[:, 0] * 0.6
    y = torch.poisson(log_rate.exp(), generator=g)[:, None]
    return _split(x, y, 5000, seed=93)


def poisson_loss(log_rate: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """The Poisson negative log-likelihood of the counts given the predicted log-rate (nats,
    the counts' log-factorial dropped)."""
    return F.poisson_nll_loss(log_rate, counts, log_input=True)


def poisson_mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(12, 64), nn.SiLU(), nn.Linear(64, 64), nn.SiLU(),
                         nn.Linear(64, 1))


# -- a full fine-tune of an LSTM byte LM, prose to code ------------------------------------------

LSTM_PROSE_MODULES = ("http.server", "socketserver", "codecs", "xml.dom.minidom", "ast",
                      "pdb", "cmd", "trace")
LSTM_CODE_MODULES = ("colorsys", "base64", "quopri", "hmac", "netrc", "wave")


@lru_cache(maxsize=None)
def _prose_to_code() -> tuple[Data, Data, Data]:
    """2000 windows of docstring prose to pretrain on; 300 windows of Python source of other
    modules to fine-tune on, 400 more (from the source's last 15%) to validate."""
    pretrain, _ = _lm_split(docstring_text(LSTM_PROSE_MODULES), 2000, 10, seed=94)
    train, val = _lm_split(source_text(LSTM_CODE_MODULES), 300, 400, seed=95)
    return pretrain, train, val


class LSTMLM(nn.Module):
    """A byte embedding (32), one LSTM layer (64), a linear head over the 256 bytes."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(256, 32)
        self.lstm = nn.LSTM(32, 64, batch_first=True)
        self.head = nn.Linear(64, 256)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h, _ = self.lstm(self.embed(tokens))
        return self.head(h)


def _finetuned_lstm_lm() -> nn.Module:
    """The LSTM LM pretrained on prose (1000 AdamW steps), every weight trainable."""
    net = LSTMLM()
    net.load_state_dict(_pretrained("lstm-lm-prose", LSTMLM, _prose_to_code()[0],
                                    next_byte_loss, 1000))
    return net


FRESH9_TASKS: list[Task] = [
    _task("bigru-tagger-seen-before", SPLIT, "bigru-tagger", _seen_before_tags, BiGRUTagger,
          tag_loss, ("SGD-momentum",)),
    _task("deep-linear-regression", SPLIT, "deep-linear", _low_rank_map, deep_linear, mse,
          ("Adagrad",)),
    _task("lstm-seq-max-regression", SPLIT, "lstm-regressor", _noisy_sequences, SequenceLSTM,
          mse, ("SGD-nesterov",)),
    _task("poisson-mlp-counts", SPLIT, "poisson-regression", _event_counts, poisson_mlp,
          poisson_loss, ("RMSprop",)),
    _task("finetune-lstm-lm-prose-to-code", SPLIT, "lstm-lm-fine-tune", _prose_to_code,
          _finetuned_lstm_lm, next_byte_loss, ("AdamW",), fine_tune=True),
]
