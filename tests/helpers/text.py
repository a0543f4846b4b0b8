"""What a model that learned nothing but byte frequencies scores on a text."""

from __future__ import annotations

import torch


def unigram_nats(train: torch.Tensor, test: torch.Tensor) -> float:
    """The cross-entropy (nats per byte) on ``test`` of the bytes' frequencies in ``train``
    (add-one smoothed): an LM that beats it learned more than which bytes are common."""
    counts = torch.bincount(train.flatten().long(), minlength=256).double() + 1.0
    logp = (counts / counts.sum()).log()
    return -float(logp[test.flatten().long()].mean())


