"""Round 9's made held-out LR sweeps (issues 12 and 14):
``python -m benchmarks.realworld.fresh_sweeps9 [--family F] [--manifest COMMIT]``.

Three model families that no earlier sweep (the corpus tasks, the made runs, rounds 4, 5, 7 and
8) has, each a setup real users run and log that way:

- ``word_lstm_epochs_sgd``: a **word-level** LSTM language model **logged once per epoch**, as
  PyTorch's ``word_language_model`` example trains it: plain SGD, gradients clipped at 0.25,
  the LR divided by 4 after each epoch whose validation loss is no new best, dropout 0.2,
  truncated BPTT with the state carried across batches; 10 epochs on the documentation topics
  that ship with Python (``pydoc_data.topics``), a vocabulary of the training part's 1000
  commonest words.
- ``cnn_digits_epochs_adam``: a CNN on scikit-learn's digits **logged once per epoch** on a
  small training split (300 images, no dropout, no augmentation) so that it overfits at some
  LRs: its validation loss turns up while its training loss falls (a Keras ``CSVLogger`` file
  of ``model.fit(..., validation_data=...)``); Adam at a constant LR, 20 epochs of batch 16.
- ``ft_seqcls_adamw``: a **sequence-classification fine-tune** of the byte transformer LM the
  made runs pretrained (``make_runs.pretrained``), its LM head replaced by a linear head on the
  last position's state (as Hugging Face's ``GPT2ForSequenceClassification``), telling whether
  a 32-byte window of standard-library code has had 4 of its bytes replaced by bytes from
  elsewhere in the same code (a corrupted-text detector); AdamW, 10% linear warmup then linear
  decay to 0, clip 1.0, **logged every 5 steps** as the Trainer's ``logging_steps`` does (the
  mean training loss of those steps, the LR and gradient norm of the last).

13 quarter-decade LRs each, seed 5. Each range was chosen before any run, to span a guess of
the best by more than a decade on both sides: the LSTM's 10**-0.5..10**2.5 (the example's
default LR is 20; clipping at 0.25 bounds each step, so a small model's best sits near it,
guessed 10); Adam on a small CNN 1e-4..1e-1 (its usual best near 1e-3..3e-3); the fine-tune's
10**-4.5..10**-1.5 (round 8's fine-tune of this same LM was best at 5.6e-3 and the made
fine-tune at 1e-2; a new classification head on one position guessed a little lower, 3e-3).

No range or family was changed after the runs. Read the fine-tune's labels with care: the task
is hard for this small LM in 240 steps (the best test loss 0.640, from 0.786 before training,
against ln 2 = 0.693): its three best runs (1e-3..3.16e-3) end within 1% of each other,
which another seed could reorder, though the bowl as a whole is clear (0.735 at the lowest LR,
0.693 at the highest).

**The truth is the loss on a test split that no CSV logs**; each CSV's ``val_loss`` comes from
a separate validation split, as in round 8 (``fresh_sweeps8``, whose machinery this reuses:
the cache's side file beside each CSV holds the test losses, ``sweeps_fresh9.json`` ranks each
run by its final test loss with ``made_labels.label_sweep``, and ``--manifest COMMIT`` writes
those labels, with their reasons, as ``manifest_r9made.jsonl``: the ``round9-made`` side of the
one-run diagnosis).

Sizes were set by a CPU budget (the whole plan under ~12 CPU minutes on one thread of the
shared machine), not by results.
"""

from __future__ import annotations

import re
import sysconfig
from collections import Counter
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from benchmarks.realworld import HERE
from benchmarks.realworld.fresh_sweeps import FreshSweep, cli
from benchmarks.realworld.fresh_sweeps8 import (TestedRun, finite_or_inf, make,
                                                tested_manifest_rows, three_way, train_by_epoch)
from benchmarks.realworld.made_tasks import (CausalTransformer, Logged, mean_loss, train,
                                             warmup_linear)
from benchmarks.realworld.make_runs import (CTX, D_MODEL, HEADS, LAYERS, pretrained,
                                            quarter_decades)

SEED = 5  # not earlier rounds' seeds (0 made runs, 1 round 4, 2 round 5, 3 round 7, 4 round 8)
OUT = HERE / "sweeps_fresh9.json"
MANIFEST = HERE / "manifest_r9made.jsonl"
SCRIPT = "benchmarks/realworld/fresh_sweeps9.py"

# the word LSTM: the documentation's first WORDS tokens (split 80/10/10), the example's clip
WORDS, VOCAB_WORDS, LSTM_SIZE, LSTM_EPOCHS, LSTM_BATCH, BPTT, LSTM_CLIP = (
    60_000, 1000, 64, 10, 20, 30, 0.25)
# the digits CNN: a small training split, the rest of the 1797 images validation and test
CNN_TRAIN, CNN_VAL, CNN_EPOCHS, CNN_BATCH = 300, 300, 20, 16
# the fine-tune: windows of six standard-library packages' code, 4 bytes replaced in half
FT_PACKAGES = ("concurrent", "importlib", "json", "multiprocessing", "urllib", "wsgiref")
FT_STEPS, FT_WARMUP, FT_BATCH, FT_CLIP, FT_EVAL_EVERY, FT_LOG_EVERY = 240, 24, 32, 1.0, 40, 5
CORRUPTED_BYTES = 4
LSTM_STEPS_PER_EPOCH = len(range(0, int(WORDS * 0.8) // LSTM_BATCH - BPTT - 1, BPTT))


# -- a word-level LSTM LM logged once per epoch ------------------------------------------------


@lru_cache(maxsize=None)
def word_streams() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The documentation topics' first ``WORDS`` tokens (lower-case words, numbers, single
    punctuation marks) as ids, split three ways; words outside the training part's
    ``VOCAB_WORDS`` commonest are id 0 (unknown)."""
    from pydoc_data.topics import topics

    text = "\n".join(topics[k] for k in sorted(topics)).lower()
    tokens = re.findall(r"[a-z]+|[0-9]+|[^\sa-z0-9]", text)[:WORDS]
    train_words = tokens[:int(len(tokens) * 0.8)]
    ids = {w: i + 1 for i, (w, _) in enumerate(Counter(train_words).most_common(VOCAB_WORDS))}
    return three_way(torch.tensor([ids.get(w, 0) for w in tokens]))


class WordLSTM(nn.Module):
    """The word_language_model example's LSTM, shrunk: embedding, one LSTM layer, dropout on
    both sides, a linear decoder; its state carried between calls until ``reset``."""

    def __init__(self, vocab: int, size: int = LSTM_SIZE, dropout: float = 0.2):
        super().__init__()
        self.emb = nn.Embedding(vocab, size)
        self.rnn = nn.LSTM(size, size, batch_first=True)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(size, vocab)
        self.state: tuple[torch.Tensor, torch.Tensor] | None = None

    def reset(self) -> None:
        self.state = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.state is not None:
            self.state = tuple(s.detach() for s in self.state)
        h, self.state = self.rnn(self.drop(self.emb(x)), self.state)
        return self.head(self.drop(h))


def as_streams(part: torch.Tensor, batch: int) -> torch.Tensor:
    """A token stream cut into ``batch`` contiguous rows (the example's ``batchify``)."""
    return part[: part.numel() // batch * batch].view(batch, -1)


@torch.no_grad()
def stream_loss(model: WordLSTM, streams: torch.Tensor) -> float:
    """The mean next-word cross-entropy over contiguous rows, read in BPTT chunks with the
    state carried, in eval mode (the example's ``evaluate``)."""
    model.eval()
    model.reset()
    total, count = 0.0, 0
    for pos in range(0, streams.shape[1] - 1, BPTT):
        x, y = streams[:, pos:pos + BPTT], streams[:, pos + 1:pos + 1 + BPTT]
        x = x[:, :y.shape[1]]
        total += float(F.cross_entropy(model(x).reshape(-1, model.head.out_features),
                                       y.reshape(-1), reduction="sum"))
        count += y.numel()
    model.reset()
    return total / count


def word_lstm_run(lr: float) -> TestedRun:
    """The word LSTM: SGD at ``lr`` (divided by 4 after an epoch with no new best validation
    loss), clip 0.25, 10 epochs of 20 rows x 30 words (79 steps an epoch), the state reset at
    each epoch's start; validation and test read in full."""
    train_part, val_part, test_part = word_streams()
    rows = as_streams(train_part, LSTM_BATCH)
    val, test = as_streams(val_part, 10), as_streams(test_part, 10)
    torch.manual_seed(SEED)
    model = WordLSTM(VOCAB_WORDS + 1)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    test0 = stream_loss(model, test)
    starts = list(range(0, rows.shape[1] - BPTT - 1, BPTT))
    assert len(starts) == LSTM_STEPS_PER_EPOCH

    def step_loss(pos: int) -> torch.Tensor:
        if pos == 0:
            model.reset()
        x, y = rows[:, pos:pos + BPTT], rows[:, pos + 1:pos + 1 + BPTT]
        return F.cross_entropy(model(x).reshape(-1, VOCAB_WORDS + 1), y.reshape(-1))
    log = train_by_epoch(model, opt, LSTM_EPOCHS, [starts] * LSTM_EPOCHS, step_loss,
                         lambda: stream_loss(model, val), clip=LSTM_CLIP, schedule="plateau")
    return TestedRun(log, test0, finite_or_inf(stream_loss(model, test)), by_epoch=True)


# -- a digits CNN on a small split, logged once per epoch ---------------------------------------


def digits_three_way() -> tuple[tuple[torch.Tensor, torch.Tensor], ...]:
    """scikit-learn's digits (8x8, in [0, 1]) shuffled with the seed: ``CNN_TRAIN`` training
    images, ``CNN_VAL`` validation images, the rest (1197) the test."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x / 16.0, dtype=torch.float32).view(-1, 1, 8, 8)
    y = torch.tensor(y)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(SEED))
    cuts = (order[:CNN_TRAIN], order[CNN_TRAIN:CNN_TRAIN + CNN_VAL], order[CNN_TRAIN + CNN_VAL:])
    return tuple((x[i], y[i]) for i in cuts)


def cnn_digits_run(lr: float) -> TestedRun:
    """A CNN conv32-conv64-pool-fc128-10 (ReLU, no dropout) on 300 digits, Adam at a constant
    ``lr``, 20 epochs of shuffled batches of 16 (19 steps an epoch)."""
    (xtr, ytr), val, test = digits_three_way()
    g = torch.Generator().manual_seed(SEED)
    order = [list(torch.randperm(len(ytr), generator=g).split(CNN_BATCH))
             for _ in range(CNN_EPOCHS)]
    torch.manual_seed(SEED)
    model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(),
                          nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(64 * 16, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    test0 = mean_loss(model, [test])
    log = train_by_epoch(model, opt, CNN_EPOCHS, order,
                         lambda idx: F.cross_entropy(model(xtr[idx]), ytr[idx]),
                         lambda: mean_loss(model, [val]), schedule="constant")
    return TestedRun(log, test0, finite_or_inf(mean_loss(model, [test])), by_epoch=True)


# -- a sequence-classification fine-tune of the made pretrained LM ------------------------------


@lru_cache(maxsize=None)
def package_code() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``FT_PACKAGES``' ``.py`` files (tests left out, path order) as one byte stream, split
    three ways."""
    root = Path(sysconfig.get_paths()["stdlib"])
    data = b"\n".join(p.read_bytes() for name in FT_PACKAGES
                      for p in sorted((root / name).rglob("*.py"))
                      if not any(part.startswith("test") for part in p.relative_to(root).parts))
    return three_way(torch.frombuffer(bytearray(data), dtype=torch.uint8).long())


def corrupted_windows(part: torch.Tensor, n: int, g: torch.Generator
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` ``CTX``-byte windows of a stream, half of them (label 1) with ``CORRUPTED_BYTES``
    bytes replaced by bytes drawn from elsewhere in the stream (byte frequencies kept, so only
    the context tells)."""
    starts = torch.randint(0, part.numel() - CTX, (n,), generator=g)
    x = part[starts[:, None] + torch.arange(CTX)[None, :]].clone()
    label = torch.randint(0, 2, (n,), generator=g)
    pos = torch.rand(n, CTX, generator=g).argsort(dim=1)[:, :CORRUPTED_BYTES]
    donors = part[torch.randint(0, part.numel(), (n, CORRUPTED_BYTES), generator=g)]
    rows = label.nonzero().squeeze(1)
    x[rows[:, None], pos[rows]] = donors[rows]
    return x, label


class LastStateClassifier(nn.Module):
    """A pretrained causal byte LM's body (its LM head dropped) with a new linear head on the
    last position's state, which has read the whole window."""

    def __init__(self, lm: CausalTransformer, classes: int):
        super().__init__()
        self.lm = lm
        self.lm.head = nn.Identity()
        self.head = nn.Linear(lm.norm.normalized_shape[0], classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.lm(x)[:, -1])


def every_few(log: Logged, k: int) -> Logged:
    """A per-step log as a trainer logging every ``k`` steps writes it: one row per ``k``
    steps (and one for a last, shorter stretch) with their mean training loss and the last
    step's LR and gradient norm; the validation losses as they were."""
    rows = []
    for a in range(0, len(log.rows), k):
        chunk = log.rows[a:a + k]
        step, _, lr, gn = chunk[-1]
        rows.append((step, float(np.mean([r[1] for r in chunk])), lr, gn))
    return Logged(rows, log.val, log.val0, log.wall_s, log.cpu_s)


def ft_seqcls_run(lr: float) -> TestedRun:
    """The fine-tune: AdamW (weight decay 0.01) at peak ``lr``, warmup 24 then linear decay to
    0, clip 1.0, 240 steps of 32 windows, logged every 5 steps; validation every 40 steps on 256
    windows, the test on 1024."""
    train_part, val_part, test_part = package_code()
    g = torch.Generator().manual_seed(SEED)
    batches = [corrupted_windows(train_part, FT_BATCH, g) for _ in range(FT_STEPS)]
    val = [corrupted_windows(val_part, 64, g) for _ in range(4)]
    test = [corrupted_windows(test_part, 64, g) for _ in range(16)]
    lm = CausalTransformer(D_MODEL, LAYERS, HEADS, CTX)
    lm.load_state_dict(pretrained())
    torch.manual_seed(SEED)
    model = LastStateClassifier(lm, 2)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    test0 = mean_loss(model, test)

    def step_loss(i: int) -> torch.Tensor:
        x, y = batches[i]
        return F.cross_entropy(model(x), y)
    log = train(model, opt, warmup_linear(FT_WARMUP, FT_STEPS), FT_STEPS, step_loss,
                lambda: mean_loss(model, val), FT_EVAL_EVERY, FT_CLIP)
    return TestedRun(every_few(log, FT_LOG_EVERY), test0, finite_or_inf(mean_loss(model, test)))


# -- the plan and the manifest -------------------------------------------------------------------


def plan() -> list[FreshSweep]:
    return [
        FreshSweep("word_lstm_epochs_sgd", quarter_decades(-0.5, 2.5),
                   LSTM_EPOCHS * LSTM_STEPS_PER_EPOCH, word_lstm_run,
                   {"optimizer": "SGD", "momentum": 0.0, "batch_size": LSTM_BATCH, "bptt": BPTT,
                    "fine_tune": False, "clip": LSTM_CLIP, "warmup_steps": 0,
                    "schedule": "LR / 4 after an epoch with no new best validation loss",
                    "logged": "once per epoch (mean training loss, validation loss)",
                    "epochs": LSTM_EPOCHS,
                    "model": "word LSTM LM, embedding 64, 1 layer of 64, dropout 0.2",
                    "data": f"pydoc_data.topics, first {WORDS} word tokens, vocabulary "
                            f"{VOCAB_WORDS} + unknown; 80/10/10 split in order"}),
        FreshSweep("cnn_digits_epochs_adam", quarter_decades(-4.0, -1.0),
                   CNN_EPOCHS * -(-CNN_TRAIN // CNN_BATCH), cnn_digits_run,
                   {"optimizer": "Adam", "batch_size": CNN_BATCH, "fine_tune": False,
                    "clip": None, "classes": 10, "warmup_steps": 0, "schedule": "constant",
                    "logged": "once per epoch (mean training loss, validation loss)",
                    "epochs": CNN_EPOCHS,
                    "model": "CNN conv32-conv64-pool-fc128-10, ReLU, no dropout",
                    "data": f"scikit-learn digits 8x8: {CNN_TRAIN} train, {CNN_VAL} "
                            "validation, 1197 test images"}),
        FreshSweep("ft_seqcls_adamw", quarter_decades(-4.5, -1.5), FT_STEPS, ft_seqcls_run,
                   {"optimizer": "AdamW", "weight_decay": 0.01, "batch_size": FT_BATCH,
                    "fine_tune": True, "clip": FT_CLIP, "classes": 2,
                    "warmup_steps": FT_WARMUP,
                    "schedule": f"linear warmup {FT_WARMUP}, linear decay to 0",
                    "logged": f"every {FT_LOG_EVERY} steps (mean training loss)",
                    "model": "byte transformer LM pretrained on stdlib modules (d 64, 2 layers, "
                             "ctx 32) + new linear head on the last position",
                    "data": "32-byte windows of 6 stdlib packages' code, half with 4 bytes "
                            "replaced from elsewhere (label: corrupted or not); 80/10/10 split, "
                            "val_loss on the 10% validation part, truth on the 10% test part"}),
    ]


# the corpus family of each sweep's runs in the diagnosis manifest
CORPUS_FAMILY = {"word_lstm_epochs_sgd": "rnn_lm", "cnn_digits_epochs_adam": "classifier",
                 "ft_seqcls_adamw": "llm_finetune"}


def manifest_rows(sweep: FreshSweep, commit: str) -> list[dict]:
    """Round 9's manifest lines of a sweep (``fresh_sweeps8.tested_manifest_rows``)."""
    return tested_manifest_rows(sweep, commit, seed=SEED, script=SCRIPT,
                                corpus_family=CORPUS_FAMILY)


def main(argv: list[str] | None = None) -> None:
    cli(plan(), OUT, __doc__.splitlines()[0], argv, manifest=MANIFEST, rows_of=manifest_rows,
        make_one=make)


if __name__ == "__main__":
    main()
