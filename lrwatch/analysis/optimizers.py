"""What lrwatch knows about optimizers, in one place: usual LR ranges (and how an adaptive
optimizer's falls with model size), LR-free and adaptive optimizers, batch-size scaling,
fine-tuning ranges and the largest plausible LRs.

The diagnosis (``detectors``, ``suggest``) and the range test (``rangetest``) read these facts
from here only, so one optimizer is never adaptive to one module and plain to another. Names
match case-insensitively, and by substring for wrapped and fused variants ("FusedAdam",
"AdamW8bit", "DeepSpeedCPUAdam").
"""

from __future__ import annotations

import math
from typing import Any, Mapping, TypeVar

T = TypeVar("T")

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
    # signSGD and Signum step lr per coordinate as Lion does (the sign of the gradient or of its
    # momentum), so they share Lion's range, 3-10x under AdamW's (Chen et al. 2023, Lion);
    # Bernstein et al. 2018 (signSGD) train ResNet-50 on ImageNet with Signum best at 1e-4
    # (their code's README, jxbz/signSGD). Matched before "sgd" (longest name first).
    "signsgd": (1e-5, 3e-4),
    "signum": (1e-5, 3e-4),
    # Adam's relatives that keep its step size: AdaBelief (Zhuang et al. 2020 run Adam's 1e-3),
    # SOAP (Vyas et al. 2024: Adam's LRs, 3e-3 at the top) and Shampoo grafted onto Adam.
    "adabelief": (1e-4, 3e-3),
    "soap": (1e-4, 3e-3),
    "shampoo": (1e-4, 3e-3),
    # Yogi's paper defaults to 1e-2 (Zaheer et al. 2018) and Adafactor with a set LR runs at 1e-3
    # to fine-tune and 1e-2 to pretrain (T5, Raffel et al. 2020): Adam's range up to 1e-2.
    "yogi": (1e-4, 1e-2),
    "adafactor": (1e-4, 1e-2),
    # MADGRAD's best LRs in its README: 2.5e-4 (PreActResNet-152, CIFAR-10) to 2.5e-2 (IWSLT14
    # transformer), 1e-3 on ImageNet; "different from SGD or Adam", default 1e-2.
    "madgrad": (2.5e-4, 2.5e-2),
    # Adan's README: its LRs are 5-10x Adam/AdamW's (ViT-S at 1.5e-2 on batch 2048); default 1e-3.
    "adan": (5e-4, 1.5e-2),
    # NovoGrad normalises each layer's gradient: NVIDIA's Jasper / QuartzNet configs run 1e-2 to
    # 5e-2, smaller speech and LM setups 1e-3.
    "novograd": (1e-3, 5e-2),
    # Muon (its orthogonalised step ignores the gradient's scale): Keller Jordan's code runs 0.02,
    # modded-nanogpt 0.05, torch.optim.Muon defaults to 1e-3; its "match_rms_adamw" scaling
    # takes AdamW's LRs, below this range.
    "muon": (1e-3, 0.1),
}
# Fine-tuning from pretrained weights runs lower: full fine-tunes of transformers at 1e-5-5e-5
# (BERT's paper: 2e-5-5e-5; the HF examples: 2e-5-5e-5), LoRA at 1e-4-3e-4 (the PEFT examples);
# a fine-tuned CNN with SGD at 1e-4-1e-2 (torchvision's fine-tuning tutorial: 1e-3). The adaptive
# range is Adam's; another adaptive optimizer's moves with its own usual range's top (round 40:
# Lion's 10x under it, Adafactor's 3.3x above it, T5's fine-tuning LR 1e-3 at its top).
FINE_TUNE_RANGES: dict[str, tuple[float, float]] = {
    "adaptive": (1e-5, 3e-4),
    "sgd": (1e-4, 1e-2),
}
# A fine-tune that needs more LR needs a little more: never more than 3x at once (issue 12: a
# 300x increase on a full fine-tune at 2e-5 would wreck the pretrained weights).
FINE_TUNE_MAX_INCREASE = 3.0
# Other names of SGD: TensorFlow 1's classes (DeepOBS logs ``MomentumOptimizer`` and
# ``GradientDescentOptimizer``) and "heavy ball" momentum; read as "sgd" by every table here.
SGD_NAMES = ("gradientdescent", "momentumoptimizer", "heavy-ball", "heavyball", "heavy ball")
# Optimizers that adapt their own step size and run at lr ~ 1 on purpose.
LR_FREE = ("prodigy", "dadapt", "dadaptation", "mechanic", "dog", "ldog")
# Per-parameter adaptive optimizers: square-root batch-size scaling and the range test's wider
# margin; every other named optimizer is treated like SGD. Sign-based ones (Lion, signSGD,
# Signum) belong here too: their step ignores the gradient's scale, as Adam's does.
ADAPTIVE = ("adam", "adamw", "nadam", "radam", "adamax", "lamb", "rmsprop", "adagrad",
            "adadelta", "adafactor", "lion", "sophia", "signsgd", "signum", "adabelief", "soap",
            "shampoo", "yogi", "madgrad", "adan", "novograd", "muon")
# Optimizers whose names hold another's ("MuonWithAuxAdam", "Muon (AdamW for the embeddings)"):
# matched first, so a hybrid is read as the optimizer that steps its weight matrices.
FIRST = ("muon",)
# Sign-based optimizers: a step of lr on every coordinate, so the largest plausible LR is Lion's.
SIGN_BASED = ("lion", "signsgd", "signum")
# The largest LR a suggestion may reach without clipping: SGD with heavy momentum diverges on
# most networks above ~1 (Goyal et al. 2017 reach 3.2 only with warmup on batch 8k, plain SGD
# a few times more); Adam-style optimizers above ~1e-2 (issue 13). With gradient clipping the
# step is bounded by lr x clip, so these caps do not apply.
PLAUSIBLE_MAX: dict[str, float] = {"sgd": 3.0, "sgd_momentum": 1.0, "adaptive": 1e-2,
                                   "lion": 1e-3}  # "lion": every sign-based optimizer
# Adagrad and Adadelta scale their step by accumulated squared gradients that only grow, so they
# take far larger LRs than Adam: Adadelta's documented default is 1.0 (Zeiler 2012 has no LR at
# all; torch.optim.Adadelta, Keras), Adagrad's usual range tops out at 0.1 (TYPICAL_RANGES), 3x
# above it as for Adam. Matched before "adaptive" (round 22).
# The optimizers whose usual LRs reach past Adam's cap (round 31) take 3x their range's top, as
# Adam's cap sits 3x above its top; Muon's too.
PLAUSIBLE_MAX_BY_NAME: dict[str, float] = {"adadelta": 1.0, "adagrad": 0.3, "muon": 0.3,
                                           "madgrad": 0.075, "adan": 0.045, "novograd": 0.15,
                                           "yogi": 0.03, "adafactor": 0.03}
# Adam-style pretraining runs at lower peak LRs the larger the model. Published configs (AdamW,
# warmup + cosine), parameters -> peak LR: GPT-3 (Brown et al. 2020, table 2.1) 125M 6e-4,
# 350M 3e-4, 760M 2.5e-4, 1.3B 2e-4, 2.7B 1.6e-4, 6.7B 1.2e-4, 13B 1e-4, 175B 6e-5; Pythia
# (Biderman et al. 2023, table 6) uses the same LRs and adds 70M at 1e-3. LLaMA (Touvron et al.
# 2023: 7B-13B 3e-4, 33B-65B 1.5e-4) and Chinchilla (Hoffmann et al. 2022: 70B 1e-4) run up to
# ~2.5x these: the usual range's top sits at 3x them, as a small model's does (SMALL_MODEL_LR).
SIZE_LRS: tuple[tuple[float, float], ...] = (
    (70e6, 1e-3), (125e6, 6e-4), (350e6, 3e-4), (760e6, 2.5e-4), (1.3e9, 2e-4), (2.7e9, 1.6e-4),
    (6.7e9, 1.2e-4), (13e9, 1e-4), (175e9, 6e-5))
# The LR a small model (up to SIZE_LRS's first size) usually takes: TYPICAL_RANGES's adaptive
# ranges are built around it (AdamW 1e-4-3e-3: its top is 3x this LR), so a model of known size
# gets that range scaled by SIZE_LRS's LR over this one; a small model keeps it as it is.
SMALL_MODEL_LR = 1e-3
# An LR this many decades outside the usual range is "far" from it (a prior for the diagnosis;
# a suggestion then also moves it halfway toward the range).
LR_FAR = 0.8


def _lower(optimizer: str) -> str:
    """A name lower-cased, with SGD's other names read as "sgd"."""
    name = optimizer.lower()
    return "sgd" if any(k in name for k in SGD_NAMES) else name


def _find(name: str, table: dict[str, T]) -> T | None:
    """A lower-cased optimizer name's entry in ``table``: its own, else the longest key it holds
    ("FusedAdam", "AdamW8bit"); a hybrid whose name holds a ``FIRST`` key gets that key's."""
    if any(k in name for k in FIRST):
        return next((table[k] for k in FIRST if k in name and k in table), None)
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
                  fine_tune: bool | None = None,
                  param_count: int | None = None) -> tuple[float, float] | None:
    """The usual LR range of an optimizer class name, when lrwatch knows it. SGD with heavy
    momentum (>= 0.5) steps ~1/(1-momentum) times further per LR, so its usual LRs are a third.
    An adaptive optimizer's range moves down with the model's parameter count, when known
    (``size_scale``). A fine-tune gets the fine-tuning range of its optimizer family (LoRA and
    full fine-tunes use it at every size), in the optimizer's own LR units; none where the
    optimizer has no usual range."""
    if not optimizer or is_lr_free(optimizer):
        return None
    name = _lower(optimizer)
    if fine_tune:
        if not is_adaptive(optimizer):
            return FINE_TUNE_RANGES["sgd"] if "sgd" in name else None
        own = _find(name, TYPICAL_RANGES)
        if own is None:
            return None
        shift = own[1] / TYPICAL_RANGES["adam"][1]  # the optimizer's LR scale against Adam's
        low, high = FINE_TUNE_RANGES["adaptive"]
        return low * shift, high * shift
    found = _find(name, TYPICAL_RANGES)
    if found is not None and name == "sgd" and momentum is not None and momentum >= 0.5:
        return found[0] / 3, found[1] / 3
    scale = size_scale(param_count) if is_adaptive(optimizer) else 1.0
    return found if found is None or scale == 1.0 else (found[0] * scale, found[1] * scale)


def fine_tune_or_too_low(optimizer: str | None, lr: float, momentum: float | None = None,
                         param_count: int | None = None) -> bool:
    """Whether ``lr`` sits in the optimizer's fine-tuning range and below its from-scratch one:
    a fine-tune's usual LR, or far too low a one from scratch (Adam-style 1e-5-1e-4, SGD
    1e-4-1e-3). One curve does not tell which where nothing says whether it is a fine-tune."""
    fine = typical_range(optimizer, momentum, fine_tune=True)
    scratch = typical_range(optimizer, momentum, fine_tune=False, param_count=param_count)
    # an LR at a range's end is at that end, however it rounds: a grid's (np.logspace) or one
    # logged in float32 (1e-4 is 9.99999974e-05 there)
    near = 1 - 1e-6
    return fine is not None and scratch is not None and fine[0] * near <= lr < scratch[0] * near


def size_scale(param_count: int | None) -> float:
    """How far an adaptive optimizer's usual LRs sit below a small model's at ``param_count``
    parameters: SIZE_LRS's LR (log-log interpolated, the largest size's beyond it) over
    SMALL_MODEL_LR; 1 for an unknown size or a small model."""
    if param_count is None or param_count <= SIZE_LRS[0][0]:
        return 1.0
    sizes = [math.log(n) for n, _ in SIZE_LRS]
    lrs = [math.log(lr) for _, lr in SIZE_LRS]
    at = min(math.log(param_count), sizes[-1])
    i = max(k for k in range(len(sizes) - 1) if sizes[k] <= at)
    share = (at - sizes[i]) / (sizes[i + 1] - sizes[i])
    return min(1.0, math.exp(lrs[i] + share * (lrs[i + 1] - lrs[i])) / SMALL_MODEL_LR)


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
    name = _lower(optimizer)
    if any(k in name for k in SIGN_BASED):
        return PLAUSIBLE_MAX["lion"]
    most = _find(name, PLAUSIBLE_MAX_BY_NAME)
    if most is not None:
        return most
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
