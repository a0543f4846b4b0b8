"""The fifth finder round's fresh families: the masked-LM data mean what they say, and
``finder_general --generate`` runs a held-out split whole without showing a pick or a score."""

from __future__ import annotations

import re

import pytest
import torch

from benchmarks import finder_general
from benchmarks.finder import FINDER_SEEDS
from benchmarks.finder_families import FINE_TUNE_GRID, SCRATCH_GRID
from benchmarks.finder_fresh import (FRESH_TASKS, IGNORE, MASK, SPLIT, _masked_windows,
                                     masked_byte_loss)

TEXT = bytes(range(32, 127)) * 20


def test_masked_windows_hide_what_the_target_asks_for() -> None:
    inputs, targets = _masked_windows(TEXT, 200, seed=1)
    masked = targets != IGNORE
    assert masked.any(dim=1).all()  # every window has something to predict
    assert ((inputs == MASK) == masked).all()
    assert 0.1 < masked.float().mean() < 0.25  # about 15%, plus the one forced per window
    for row_in, row_target in zip(inputs[:20], targets[:20]):
        window = torch.where(row_target == IGNORE, row_in, row_target)  # the unmasked bytes
        start = TEXT.find(bytes(window.tolist()))
        assert start >= 0  # the masked bytes are the text's own


def test_the_masked_loss_reads_only_the_masked_positions() -> None:
    _, targets = _masked_windows(TEXT, 8, seed=2)
    masked = targets != IGNORE
    byte = targets.clamp(min=0)

    def sure_of(choice: torch.Tensor) -> torch.Tensor:
        return torch.full((*choice.shape, 256), -30.0).scatter_(-1, choice.unsqueeze(-1), 30.0)

    right_where_masked = torch.where(masked, byte, (byte + 1) % 256)  # wrong everywhere else
    wrong_where_masked = torch.where(masked, (byte + 1) % 256, byte)
    assert float(masked_byte_loss(sure_of(right_where_masked), targets)) < 1e-6
    assert float(masked_byte_loss(sure_of(wrong_where_masked), targets)) > 50


def test_generate_runs_the_split_whole_and_shows_no_pick(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    calls: dict[str, set[tuple]] = {"sweep": set(), "lrwatch": set(), "lightning": set(),
                                    "torch_lr_finder": set()}

    def sweep(task, optimizer, lr, seed):
        calls["sweep"].add((task.name, optimizer, f"{lr:.3g}"))
        return 0.123456

    def finder(kind):
        def run(task, optimizer, seed):
            calls[kind].add((task.name, optimizer, seed))
            return {"suggestion": 0.000789}
        return run

    monkeypatch.setattr(finder_general.runs, "sweep", sweep)
    for kind in ("lrwatch", "lightning", "torch_lr_finder"):
        monkeypatch.setattr(finder_general.runs, kind, finder(kind))
    finder_general.generate(SPLIT)

    pairs = [(t, o) for t in FRESH_TASKS for o in t.optimizers]
    assert len(pairs) == 6
    assert calls["sweep"] == {(t.name, o, f"{lr:.3g}") for t, o in pairs
                              for lr in (FINE_TUNE_GRID if t.fine_tune else SCRATCH_GRID)}
    for kind in ("lrwatch", "lightning", "torch_lr_finder"):
        assert calls[kind] == {(t.name, o, s) for t, o in pairs for s in FINDER_SEEDS}
    printed = capsys.readouterr().out
    assert "0.000789" not in printed and "0.123" not in printed and "7.89e-04" not in printed
    assert len(re.findall(r"generated in \d+ s", printed)) == len(pairs)
