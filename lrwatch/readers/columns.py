"""Which logged column is the loss, the learning rate, the gradient norm, the validation loss,
the validation accuracy.

Lightning users name them in a few well-known ways: ``self.log("train_loss", on_step=True,
on_epoch=True)`` gives ``train_loss_step`` and ``train_loss_epoch``; ``LearningRateMonitor``
gives ``lr-Adam``, ``lr-AdamW/pg1`` (several param groups, counted from 1), ``lr-SGD-1`` (a
second SGD optimizer) and, with ``log_momentum=True``, ``lr-SGD-momentum``;
``grad_norm(module, 2)`` gives ``grad_2.0_norm_total``; lrwatch's own export gives ``loss``,
``lr``, ``lr/pg2``, ``grad_norm``. Scripts' JSON logs say ``train_lr`` (DeiT, MAE, ConvNeXt,
DINO), ``test_loss`` for the validation loss (the same logs; read as one only when nothing is
named ``val``) and ``train_losses`` / ``test_losses`` for whole lists. Names are split into
lower-case words and ranked: a step-level series beats an ``_epoch`` aggregate, the first param
group beats the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

from lrwatch.errors import InputError

_SPLIT = re.compile(r"[^a-z0-9]+")
# How an error names the user's choice of a column: the Python argument and the command's flag
# (a library caller passed loss_key=, a command-line user --loss-key).
LOSS_KEY_CHOICE = "loss_key= / --loss-key"
LR_KEY_CHOICE = "lr_key= / --lr-key"
_TRAIN = {"train", "training", "trn"}
_VAL = {"val", "valid", "validation"}
_HELD_OUT = {"test", "eval", "dev"}  # a validation loss when no ``val`` one is logged
_AGGREGATE = {"epoch"}
_NEUTRAL = {"step", "total"}
_NOT_LR = {"momentum", "beta", "beta1", "beta2", "betas", "weight", "decay", "wd", "warmup",
           "scheduler", "min", "max", "finder", "find"}
_GROUP = re.compile(r"^pg(\d+)$")
# ``lr-AdamW``, ``lr-AdamW-1``, ``lr-AdamW/pg2``: LearningRateMonitor's names.
_MONITOR_LR = re.compile(r"^lr-([A-Za-z_][A-Za-z0-9_]*?)(?:-(\d+))?(?:/([^/]+))?$")
_MONITOR_MOMENTUM = re.compile(r"^lr-([A-Za-z_][A-Za-z0-9_]*?)(?:-(\d+))?(?:/([^/]+))?-momentum$")


@dataclass(frozen=True)
class Columns:
    """The columns (or tags, or store keys) chosen for each curve; None where there is none."""

    loss: str
    lr: str | None = None
    grad_norm: str | None = None
    val_loss: str | None = None
    momentum: str | None = None  # LearningRateMonitor(log_momentum=True): ``lr-SGD-momentum``
    optimizer: str | None = None  # read from an ``lr-<Optimizer>`` name
    # other training losses ranked alike (YOLO's ``train/box_loss``, ``train/cls_loss`` ...): the
    # loss was picked among parts of a total none of them is; None when the pick was clear
    loss_peers: tuple[str, ...] | None = None
    # a higher-is-better validation metric (``val_acc``, ``eval_accuracy``, ``valid/acc``,
    # ``val_top1``; ``test_acc`` when none is named ``val``): what a sweep ranks runs by first
    val_metric: str | None = None
    # the chosen loss / val-loss columns that hold a perplexity, exp(cross-entropy), read as its
    # log: a log that reports no loss beside it (``ppl/train``, ``train_perplexity``); else None
    perplexity: tuple[str, ...] | None = None


def words(name: str) -> list[str]:
    """``"train/loss_step"`` -> ``["train", "loss", "step"]``; ``grad_2.0_norm`` -> ``2``, ``0``;
    a list named in the plural as one of its values (``train_losses``, DeepOBS's
    ``valid_accuracies``, ``val_accs``) -> ``["train", "loss"]``, ``["valid", "accuracy"]``."""
    return [_SINGULAR.get(w, w) for w in _SPLIT.split(name.lower()) if w]


_SINGULAR = {"losses": "loss", "accuracies": "accuracy", "accs": "acc"}


# A row's or record's kind, in logs that write training and evaluation rows with the same keys
# (``{"event": "validation_step", "loss": 2.1}``, a CSV's ``split`` column of train / val rows)
KIND_KEYS = ("event", "split", "phase", "mode", "stage", "type", "kind")


def names_held_out(text: str) -> bool:
    """Whether ``text`` names a validation or test split (``val``, ``validation_step``,
    ``eval``, ``test``): what a record's kind says of the values in it."""
    return bool((_VAL | _HELD_OUT) & set(words(text)))


def is_loss_name(name: str) -> bool:
    """Whether ``name`` may be a training loss (what a reader looks for before it reads)."""
    return _loss_rank(name) is not None


def _loss_rank(name: str) -> tuple[int, ...] | None:
    """Rank of a training-loss candidate (lower is better), None when it is not one."""
    ws = words(name)
    if "loss" not in ws or (_VAL | _HELD_OUT) & set(ws):
        return None
    others = [w for w in ws if w not in _TRAIN | _AGGREGATE | _NEUTRAL | {"loss"}]
    is_aggregate = bool(_AGGREGATE & set(ws))
    return (int(is_aggregate), len(others), int(not (_TRAIN & set(ws)) and ws != ["loss"]),
            len(name))


_PERPLEXITY = {"ppl", "perplexity"}


def _perplexity_rank(name: str, held_out: bool) -> tuple[int, ...] | None:
    """A training (``held_out`` False) or validation perplexity, ranked like a loss: the loss
    where a log reports no loss beside it."""
    ws = words(name)
    if not _PERPLEXITY & set(ws) or bool((_VAL | _HELD_OUT) & set(ws)) != held_out:
        return None
    others = [w for w in ws if w not in _TRAIN | _VAL | _HELD_OUT | _AGGREGATE | _NEUTRAL
              | _PERPLEXITY]
    return (int(bool(_AGGREGATE & set(ws))), len(others), int("step" in ws), len(name))


def _val_loss_rank(name: str) -> tuple[int, ...] | None:
    """``val_loss`` and its kin first; ``test_loss`` / ``eval_loss`` only when none is logged."""
    ws = words(name)
    if "loss" not in ws or not (_VAL | _HELD_OUT) & set(ws):
        return None
    held_out = not _VAL & set(ws)
    others = [w for w in ws if w not in _VAL | _HELD_OUT | _AGGREGATE | _NEUTRAL | {"loss"}]
    return (int(held_out), len(others), int("step" in ws), len(name))


# Higher-is-better metrics a sweep can rank runs by, in order of preference.
_METRICS = ("accuracy", "acc", "top1", "f1", "auc")


def _val_metric_rank(name: str) -> tuple[int, ...] | None:
    """``val_acc``, ``val_accuracy``, ``eval_accuracy``, ``valid/acc``, ``val_top1`` first;
    ``test_acc`` only when none is named ``val``; never a loss or an error rate."""
    ws = words(name)
    metric = next((m for m in _METRICS if m in ws), None)
    if metric is None or not (_VAL | _HELD_OUT) & set(ws) or {"loss", "err", "error"} & set(ws):
        return None
    held_out = not _VAL & set(ws)
    others = [w for w in ws if w not in _VAL | _HELD_OUT | _AGGREGATE | _NEUTRAL | {metric}]
    return (int(held_out), len(others), _METRICS.index(metric), int("step" in ws), len(name))


def val_metric_column(names: Sequence[str]) -> str | None:
    """The validation metric among ``names`` (``_val_metric_rank``); None without one."""
    return _best(names, _val_metric_rank)


def _lr_rank(name: str) -> tuple[int, ...] | None:
    """LR candidates: ``lr``, ``lr-Adam``, ``lr-Adam/pg2``, ``learning_rate``, ``train/lr``."""
    ws = words(name)
    if _NOT_LR & set(ws):
        return None
    is_lr = "lr" in ws or "learning_rate" in "_".join(ws)
    if not is_lr:
        return None
    monitor = _MONITOR_LR.match(name)
    if monitor:
        optimizer_index = int(monitor.group(2) or 0)
        group = monitor.group(3)
    else:
        optimizer_index = 0
        group = name.split("/", 1)[1] if ws[0] == "lr" and "/" in name else None
    group_match = _GROUP.match(group) if group else None
    if group is None:
        group_rank = 0
    elif group_match:
        group_rank = int(group_match.group(1))
    else:
        group_rank = 1000  # a named group: after the numbered ones
    extra = [w for w in ws if w not in {"lr", "learning", "rate", "step"} | _TRAIN]
    if monitor:
        extra = []
    return (optimizer_index, group_rank, int("epoch" in ws), len(extra), len(name))


# Ultralytics YOLO's ``results.csv`` (``lr/pg0`` .. ``lr/pg2``) and YOLOv5's (``x/lr0`` ..
# ``x/lr2``) log one LR per param group. Group 1 holds the weights with decay, at the LR set
# (``lr0``); the biases' group (0 in Ultralytics and later YOLOv5, 2 in YOLOv5 before its
# ``smart_optimizer``) falls from ``warmup_bias_lr`` (0.1) during warmup, so its peak is not
# the LR the user set. Known by its mAP columns (``metrics/mAP50(B)``, ``metrics/mAP_0.5``).
_YOLO_LR = re.compile(r"^(?:lr/pg|x/lr)(\d)$")


def _yolo_lr(names: Sequence[str]) -> str | None:
    """The weights' LR column of a YOLO ``results.csv``; None in any other log."""
    groups = {int(m.group(1)): n for n in names if (m := _YOLO_LR.match(n))}
    if 1 in groups and any(n.lower().startswith("metrics/map") for n in names):
        return groups[1]
    return None


def _grad_norm_rank(name: str) -> tuple[int, ...] | None:
    """``grad_norm``, ``grad_2.0_norm_total``, ``train/grad_norm``; never one layer's norm."""
    ws = words(name)
    if "norm" not in ws or not {"grad", "grads", "gradient", "gradients"} & set(ws):
        return None
    per_layer = [w for w in ws if w not in {"grad", "grads", "gradient", "gradients", "norm",
                                            "total", "step", "epoch", "l2", "2", "0"} | _TRAIN]
    if per_layer:
        return None
    if "clipped" in ws:
        return None
    return (int("epoch" in ws), int("total" not in ws and "2" in ws), len(name))


def _loss_peers(names: Sequence[str], loss: str) -> tuple[str, ...] | None:
    """The other training-loss candidates that rank as ``loss`` does but for their names'
    lengths, when ``loss`` itself names a part (a word besides train / loss / step / total)."""
    chosen = _loss_rank(loss)
    if chosen is None or chosen[1] == 0:
        return None
    peers = tuple(n for n in names if n != loss and (r := _loss_rank(n)) is not None
                  and r[:3] == chosen[:3])
    return peers or None


def _best(names: Sequence[str], rank: Callable[[str], tuple[int, ...] | None]) -> str | None:
    ranked = [(r, i, n) for i, n in enumerate(names) if (r := rank(n)) is not None]
    return min(ranked)[2] if ranked else None


def optimizer_from_lr_name(name: str | None) -> str | None:
    """``lr-AdamW/pg1`` -> ``AdamW``; None for names that do not carry the optimizer."""
    if not name:
        return None
    match = _MONITOR_LR.match(name)
    return match.group(1) if match else None


def _momentum_for(lr_name: str | None, names: Sequence[str]) -> str | None:
    """The ``-momentum`` column LearningRateMonitor logs beside the chosen LR column."""
    if lr_name and f"{lr_name}-momentum" in names:
        return f"{lr_name}-momentum"
    return None


def detect_columns(names: Sequence[str], where: str, loss_key: str | None = None,
                   lr_key: str | None = None) -> Columns:
    """Choose the loss, LR, grad-norm and val-loss columns among ``names``.

    Args:
        names: every column, tag or key the log has.
        where: the file or run, named in error messages.
        loss_key, lr_key: the user's choice (``--loss-key``, ``--lr-key``), used as given.

    Raises:
        InputError: a given key is not there, or no column looks like a training loss.
    """
    available = ", ".join(names) if names else "none"
    for flag, key in ((LOSS_KEY_CHOICE, loss_key), (LR_KEY_CHOICE, lr_key)):
        if key is not None and key not in names:
            raise InputError(f"{where} has no column '{key}' ({flag}); it has: {available}")
    loss = loss_key or _best(names, _loss_rank)
    perplexity: list[str] = []
    if loss is None:  # a log of perplexities only: their log is the loss
        loss = _best(names, lambda n: _perplexity_rank(n, held_out=False))
        perplexity += [loss] if loss else []
    if loss is None:
        raise InputError(
            f"{where} has no training-loss column; it has: {available}; "
            f"name the loss column with {LOSS_KEY_CHOICE}")
    val_loss = _best([n for n in names if n != loss], _val_loss_rank)
    if val_loss is None and perplexity:
        val_loss = _best(names, lambda n: _perplexity_rank(n, held_out=True))
        perplexity += [val_loss] if val_loss else []
    lr = lr_key or _yolo_lr(names) or _best(names, _lr_rank)
    return Columns(
        loss=loss,
        lr=lr,
        grad_norm=_best(names, _grad_norm_rank),
        val_loss=val_loss,
        perplexity=tuple(perplexity) or None,
        momentum=_momentum_for(lr, names),
        optimizer=optimizer_from_lr_name(lr),
        loss_peers=None if loss_key else _loss_peers(names, loss),
        val_metric=_best(names, _val_metric_rank),
    )
