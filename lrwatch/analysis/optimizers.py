"""What lrwatch knows about optimizers, in one place: usual LR ranges, LR-free and adaptive
optimizers, batch-size scaling, fine-tuning ranges and the largest plausible LRs.

The diagnosis (``detectors``, ``suggest``) and the range test (``rangetest``) read these facts
from here only, so one optimizer is never adaptive to one module and plain to another. Names
match case-insensitively, and by substring for wrapped and fused variants ("FusedAdam",
"AdamW8bit", "DeepSpeedCPUAdam").
"""

from __future__ import annotations

import math
from typing import Any, Mapping

# Typical LR ranges for training from scratch, lower-cased optimizer class name -> (low, high).
TYPICAL_RANGES: dict[str, tuple[float, float]] = {
    "sgd": (1e-3, 0.3),
    "adam": (1e-4, 3e-3),
    "adamw": (1e-4, 3e-3),
    "nadam": (1e-4, 3e-3),
    "radam": (1e-4, 3e-3),
    "adamax": (1e-4, 3e-3),
    "lamb": (1e-4, 1e-2),
    "rmsprop": (1e-4, 3e-3),
    "adagrad": (1e-3, 1e-1),
    "lion": (1e-5, 3e-4),
}
# Fine-tuning from pretrained weights runs lower: full fine-tunes of transformers at 1e-5-5e-5
# (BERT's paper: 2e-5-5e-5; the HF examples: 2e-5-5e-5), LoRA at 1e-4-3e-4 (the PEFT examples);
# a fine-tuned CNN with SGD at 1e-4-1e-2 (torchvision's fine-tuning tutorial: 1e-3).
FINE_TUNE_RANGES: dict[str, tuple[float, float]] = {
    "adaptive": (1e-5, 3e-4),
    "sgd": (1e-4, 1e-2),
}
# A fine-tune that needs more LR needs a little more: never more than 3x at once (issue 12: a
# 300x increase on a full fine-tune at 2e-5 would wreck the pretrained weights).
FINE_TUNE_MAX_INCREASE = 3.0
# Optimizers that adapt their own step size and run at lr ~ 1 on purpose.
LR_FREE = ("prodigy", "dadapt", "dadaptation", "mechanic", "dog", "ldog")
# Per-parameter adaptive optimizers: square-root batch-size scaling and the range test's wider
# margin; every other named optimizer is treated like SGD.
ADAPTIVE = ("adam", "adamw", "nadam", "radam", "adamax", "lamb", "rmsprop", "adagrad",
            "adadelta", "adafactor", "lion", "sophia")
# The largest LR a suggestion may reach without clipping: SGD with heavy momentum diverges on
# most networks above ~1 (Goyal et al. 2017 reach 3.2 only with warmup on batch 8k, plain SGD
# a few times more); Adam-style optimizers above ~1e-2 (issue 13). With gradient clipping the
# step is bounded by lr x clip, so these caps do not apply.
PLAUSIBLE_MAX: dict[str, float] = {"sgd": 3.0, "sgd_momentum": 1.0, "adaptive": 1e-2,
                                   "lion": 1e-3}
# An LR this many decades outside the usual range is "far" from it (a prior for the diagnosis;
# a suggestion then also moves it halfway toward the range).
LR_FAR = 0.8


def _find(name: str, table: dict[str, tuple[float, float]]) -> tuple[float, float] | None:
    found = table.get(name)
    if found is None:
        for key in sorted(table, key=len, reverse=True):  # "FusedAdam", "AdamW8bit" ..
            if key in name:
                return table[key]
    return found


def momentum_of(group: Mapping[str, Any]) -> float | None:
    """A param group's momentum (SGD, RMSprop) or beta1 (Adam family), None when it has
    neither: the one reading of it for the run metadata, the recorder and the range test."""
    if "momentum" in group:
        return float(group["momentum"])
    betas = group.get("betas")
    return float(betas[0]) if betas else None


def typical_range(optimizer: str | None, momentum: float | None = None,
                  fine_tune: bool | None = None) -> tuple[float, float] | None:
    """The usual LR range of an optimizer class name, when lrwatch knows it. SGD with heavy
    momentum (>= 0.5) steps ~1/(1-momentum) times further per LR, so its usual LRs are a third.
    A fine-tune gets the fine-tuning range of its optimizer family."""
    if not optimizer or is_lr_free(optimizer):
        return None
    name = optimizer.lower()
    if fine_tune:
        return FINE_TUNE_RANGES["adaptive"] if is_adaptive(optimizer) else \
            FINE_TUNE_RANGES["sgd"] if "sgd" in name else None
    found = _find(name, TYPICAL_RANGES)
    if found is not None and name == "sgd" and momentum is not None and momentum >= 0.5:
        return found[0] / 3, found[1] / 3
    return found


def is_lr_free(optimizer: str | None) -> bool:
    """Prodigy, D-Adaptation and the like: lr ~ 1 is a multiplier, not a step size."""
    name = (optimizer or "").lower()
    return any(k in name for k in LR_FREE)


def is_adaptive(optimizer: str | None) -> bool:
    """Adam-family and other per-parameter adaptive optimizers, by class name (False for an
    unknown or missing name: callers decide what an unknown optimizer gets)."""
    name = (optimizer or "").lower()
    return bool(name) and any(k in name for k in ADAPTIVE)


def plausible_max(optimizer: str | None, momentum: float | None = None,
                  clip: float | None = None) -> float | None:
    """The largest LR a suggestion should reach for this optimizer (None: no known bound, as
    for an unknown or LR-free optimizer, or with gradient clipping, which bounds the step)."""
    if not optimizer or clip is not None or is_lr_free(optimizer):
        return None
    name = optimizer.lower()
    if "lion" in name:
        return PLAUSIBLE_MAX["lion"]
    if is_adaptive(optimizer):
        return PLAUSIBLE_MAX["adaptive"]
    if "sgd" in name:
        return PLAUSIBLE_MAX["sgd_momentum" if (momentum or 0) >= 0.5 else "sgd"]
    return None


def batch_scale(optimizer: str | None, batch_size: int | None, target: int | None) -> float:
    """LR multiplier for moving from ``batch_size`` to ``target`` (1 when either is unknown):
    linear for SGD (Goyal et al. 2017), square root for adaptive optimizers (Malladi et al.
    2022)."""
    if not batch_size or not target or batch_size <= 0 or target <= 0 or batch_size == target:
        return 1.0
    ratio = target / batch_size
    return math.sqrt(ratio) if is_adaptive(optimizer) else ratio


def clipped_lr(lr: float, clip: float | None, grad_norm: float | None) -> float:
    """The effective LR of a clipped step: ``lr x clip / |g|`` when the gradient norm exceeds
    the clip (the step is rescaled to norm ``clip``), else ``lr``."""
    if clip is None or grad_norm is None or not math.isfinite(grad_norm) or grad_norm <= clip:
        return lr
    return lr * clip / grad_norm
