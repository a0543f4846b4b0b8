"""The GPU suite (``python -m benchmarks gpu``) runs where a device is lent, once, in a short
lease: its loops are run here on the CPU (no sync check there), so the script is known to work
and to count what it records."""

from __future__ import annotations

import pytest
import torch

from benchmarks import gpu


def test_the_proofs_loops_record_every_step_of_both_front_ends():
    found = gpu.proof("cpu", steps=20)
    for front in ("plain", "lightning"):
        assert found[front]["recorded"] == {"loss": 20, "lr": 20, "grad_norm": 20}, found
        for run in ("bare", "watched"):
            assert found[front][run]["wait"] is None and found[front][run]["step_ms"] > 0


def test_without_cuda_the_suite_says_so_and_stops(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    gpu.main()
    assert capsys.readouterr().out.startswith("no CUDA device here")
