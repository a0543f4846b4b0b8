r"""The layouts of plain-text training logs: how each trainer prints a logging step, and how one
printed line becomes a point (``textlog`` recognises a file's layout and reads it).

Each preset is read from the script that prints it; a line may carry a prefix (a time stamp,
a rank), as logs copied from job runners and notebooks do:

- ``nanogpt``: karpathy/nanoGPT ``train.py``: ``iter 100: loss 4.2345, time 12.34ms, mfu 1.20%``
  and, at each evaluation, ``step 250: train loss 2.4, val loss 2.5``. It prints no LR.
- ``word_language_model``: pytorch/examples ``word_language_model/main.py``:
  ``| epoch   1 |   200/ 2983 batches | lr 20.00 | ms/batch 45.1 | loss  7.64 | ppl  2079.2``;
  the step is the batch counted over epochs, ``(epoch - 1) * 2983 + 200``; the end-of-epoch
  line ``| end of epoch   1 | time: ... | valid loss  5.71 | ...`` gives the validation loss.
- ``hf_dicts``: the dicts the Hugging Face Trainer prints, one per line,
  ``{'loss': 2.1, 'grad_norm': 1.3, 'learning_rate': 2e-05, 'epoch': 0.1}``. They carry no
  step, so the step is the entry's order (a note says so).
- ``keras``: what Keras's ``model.fit`` prints, ``Epoch 3/30`` then the epoch's summary,
  ``1875/1875 [====] - 3s 2ms/step - loss: 0.29 - accuracy: 0.91 - val_loss: 0.14`` (Keras 3
  draws the bar with ``━`` and prints ``learning_rate:`` where Keras 2 printed ``lr:``). One point
  per epoch, indexed by epoch; the progress bar's partial updates (``32/1875``) and what
  ``model.evaluate`` prints after the last epoch are not points.
- ``fairseq``: ``fairseq_cli/train.py``'s ``simple`` and ``json`` progress bars, ``epoch 001:
  100 / 1000 loss=9.876, ..., num_updates=100, lr=1.25e-05, gnorm=2.345, ...`` and ``valid on
  'valid' subset | loss 7.1 | ... | num_updates 1000``; its losses are in base 2 (a note says so).
- ``megatron``: Megatron-LM's ``training_log``, `` iteration 100/ 500000 | ... | learning rate:
  1.5E-05 | ... | lm loss: 8.12E+00 | ... | grad norm: 2.345 |`` and `` validation loss at
  iteration 1000 | lm loss value: ...``; Megatron-DeepSpeed and GPT-NeoX print the same.
- ``llmc``: karpathy/llm.c, ``step 1/74 | loss 11.01 (+0.00z)| norm 15.4 (+0.00z)| lr 6.00e-06
  | ...`` and ``val loss 10.9``, or its ``main.log`` (``s:0 trl:11.01 lr:0.000006 norm:15.40``).
- ``timm``: pytorch-image-models ``train.py``, ``Train: 0 [ 100/1251 (  8%)]  Loss: 6.91 (6.93)
  ...  LR: 1.000e-06 ...`` (the step: epoch x 1251 + 100) and its ``Test: [390/390]`` line.
- ``mmengine``: OpenMMLab (MMDetection...), ``Epoch(train)  [1][  50/7330]  lr: 2.0000e-03 ...
  grad_norm: 3.4567  loss: 1.2345 ...``, ``Iter(train) [  50/90000] ...``, and mmcv 1.x's
  ``Epoch [1][50/7330]``, a tab, ``lr: 1.996e-03, ..., loss: 1.2345``.
- ``litgpt``: Lightning-AI/litgpt, ``Epoch 1 | iter 400 step 100 | loss train: 2.345, val: n/a |
  ...`` and ``iter 400: val loss 2.3, val time: ...``; it prints no LR.

- ``composer``: MosaicML Composer's ``ConsoleLogger`` (LLM Foundry), a block per logged batch,
  ``[batch=100/1000]:`` then ``Train loss/train/total: 2.35``, ``Train
  lr-DecoupledAdamW/group0: 6.0e-04`` ..., and ``Eval metrics/eval/LanguageCrossEntropy: 2.9``.
- ``olmo``: AllenAI OLMo's console, ``[step=100/739328,epoch=0]`` (behind the logger's
  prefix) then ``train/CrossEntropyLoss=2.998``, ``optim/total_grad_norm=0.2370`` ... a line
  each. It prints no LR.
- ``torchvision``: pytorch/vision's reference scripts' ``MetricLogger`` (copied by DeiT, DETR,
  MAE, DINO...), ``Epoch: [0]  [ 100/782]  eta: ...  lr: 0.1  ...  loss: 6.91 (6.95)  ...`` and
  ``Test:  [49/50]  ...  loss: 1.23 (1.30)``.

Where no preset reads a loss, the generic layouts read the names a script's own printout puts
before its values (``Epoch [2/5], Step [100/600], Loss: 0.2166``, ``Step 10 | loss:1.8
lr:2e-05``, ``Train Loss: 7.32`` under an ``Epoch: 3/30`` line), indexed by step, by epoch or by
line, and a note says so.

A user's ``--pattern REGEX`` is a layout too (``compile_pattern``): named groups ``loss``
(required), ``step``, ``lr``, ``grad_norm``, ``val_loss``; without ``step``, the step is the
matching line's order.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Literal

from lrwatch.errors import ConfigError

CURVES = ("loss", "lr", "grad_norm", "val_loss")  # the named groups read, besides ``step``
_NUMBER = r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|nan|inf|NaN|Inf)"
# a group that reads a number and stops before a comma or unit printed after it
NUMBER = r"[-+.0-9eE]+"
NUMBER_GROUP_EXAMPLE = rf"(?P<loss>{NUMBER}|nan|inf)"
PATTERN_EXAMPLE = (rf"--pattern 'step (?P<step>\d+).*loss (?P<loss>{NUMBER}|nan)"
                   rf".*lr (?P<lr>{NUMBER})'")

Point = dict[str, float]  # one matched line: curve -> value, plus "step" when it has one


@dataclass(frozen=True)
class Layout:
    """A way of printing the log: how one line becomes a point (None: not such a line)."""

    name: str
    parse: Callable[[str], Point | None]
    steps_are_order: bool = False  # the lines carry no step: the matching line's order is one
    epoch_points: bool = False  # each point summarises an epoch, and the step counts epochs
    note: str | None = None  # what a user must know about the values read (their unit)


class PatternParser:
    """Reads the named groups of a user's ``--pattern`` (the first match in a line).

    A curve's group whose text is no number (``2.31,`` where ``\\S+`` took the comma too) is
    left out of the point, never read as NaN, which would read as a blow-up; ``rejected`` counts
    them per group with a few examples, for the notes. A step that is no number stays NaN, for
    the reader to count the line as one with no usable step.
    """

    def __init__(self, pattern: re.Pattern[str]):
        self.pattern = pattern
        self.wanted = [g for g in ("step", *CURVES) if g in pattern.groupindex]
        self.rejected: dict[str, tuple[int, list[str]]] = {}

    def __call__(self, line: str) -> Point | None:
        match = self.pattern.search(line)
        if match is None:
            return None
        point: Point = {}
        for group in self.wanted:
            text = match.group(group)
            if text is None:
                continue
            if group == "step":
                point[group] = _float(text)
                continue
            try:
                point[group] = float(text)  # "nan" and "inf" are numbers a log prints
            except ValueError:
                count, examples = self.rejected.get(group, (0, []))
                if len(examples) < 3 and text[:20] not in examples:
                    examples.append(text[:20])
                self.rejected[group] = (count + 1, examples)
        return point


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")  # a group that matched no number: kept visible, not dropped


_NANOGPT_ITER = re.compile(rf"(?<!\w)iter (?P<step>\d+): loss (?P<loss>{_NUMBER}), time ")
_NANOGPT_EVAL = re.compile(
    rf"(?<!\w)step (?P<step>\d+): train loss {_NUMBER}, val loss (?P<val_loss>{_NUMBER})")


def _nanogpt(line: str) -> Point | None:
    for pattern in (_NANOGPT_ITER, _NANOGPT_EVAL):
        match = pattern.search(line)
        if match:
            return {k: float(v) for k, v in match.groupdict().items()}
    return None


_WLM_BATCH = re.compile(
    rf"\|\s*epoch\s+(?P<epoch>\d+)\s*\|\s*(?P<batch>\d+)\s*/\s*(?P<batches>\d+)\s+batches\s*\|"
    rf"\s*lr\s+(?P<lr>{_NUMBER})\s*\|.*?\|\s*loss\s+(?P<loss>{_NUMBER})\s*\|")
_WLM_EPOCH = re.compile(
    rf"\|\s*end of epoch\s+(?P<epoch>\d+)\s*\|.*?\|\s*valid loss\s+(?P<val_loss>{_NUMBER})")


def _word_language_model() -> Callable[[str], Point | None]:
    """The batch lines give the batches per epoch, which place the end-of-epoch lines."""
    batches = [0]

    def parse(line: str) -> Point | None:
        match = _WLM_BATCH.search(line)
        if match:
            batches[0] = int(match["batches"])
            step = (int(match["epoch"]) - 1) * batches[0] + int(match["batch"])
            return {"step": step, "lr": float(match["lr"]), "loss": float(match["loss"])}
        match = _WLM_EPOCH.search(line)
        if match and batches[0]:
            return {"step": int(match["epoch"]) * batches[0],
                    "val_loss": float(match["val_loss"])}
        return None
    return parse


_HF_DICT = re.compile(r"\{'(?:loss|eval_loss|learning_rate|lr|grad_norm)'.*\}")
_HF_PAIR = re.compile(rf"'(\w+)':\s*'?({_NUMBER})'?")
_HF_KEYS = {"loss": "loss", "learning_rate": "lr", "lr": "lr", "grad_norm": "grad_norm",
            "eval_loss": "val_loss"}


def _hf_dicts(line: str) -> Point | None:
    found = _HF_DICT.search(line)
    if found is None:
        return None
    pairs = dict(_HF_PAIR.findall(found.group(0)))
    if "train_runtime" in pairs:  # the training's summary, not a point of the curve
        return None
    point = {_HF_KEYS[k]: float(v) for k, v in pairs.items() if k in _HF_KEYS}
    return point or None


_KERAS_EPOCH = re.compile(r"^Epoch (?P<epoch>\d+)/\d+\s*$")
_KERAS_BAR = re.compile(r"^(?P<done>\d+)/(?P<total>\d+)\b")
_KERAS_METRIC = re.compile(rf"(?<![\w/])- (?P<key>[A-Za-z_]\w*): (?P<value>{_NUMBER})")
_KERAS_KEYS = {"loss": "loss", "val_loss": "val_loss", "lr": "lr", "learning_rate": "lr"}


def _keras() -> Callable[[str], Point | None]:
    """An epoch's summary is its bar's line at ``N/N`` (or a line with no bar, as ``verbose=2``
    printed before Keras 2.3); the partial bars before it, and a bar of another length after it
    (``model.evaluate``'s), are not points. The epoch comes from the ``Epoch K/M`` line above."""
    state: dict[str, int | None] = {"epoch": None, "total": None}

    def parse(line: str) -> Point | None:
        match = _KERAS_EPOCH.match(line)
        if match:
            state["epoch"], state["total"] = int(match["epoch"]), None
            return None
        epoch = state["epoch"]
        metrics = {_KERAS_KEYS[k]: _float(v) for k, v in _KERAS_METRIC.findall(line)
                   if k in _KERAS_KEYS}
        if epoch is None or "loss" not in metrics or "ETA" in line:
            return None
        bar = _KERAS_BAR.match(line)
        if bar:
            total = int(bar["total"])
            if int(bar["done"]) != total or state["total"] not in (None, total):
                return None
            state["total"] = total
        return {"step": epoch, **metrics}
    return parse


_KV_EQ = re.compile(rf"(\w+)=({_NUMBER})(?=,|\s|$)")
_KV_PIPE = re.compile(rf"(?:^|\| )(\w+) ({_NUMBER})(?= \||\s*$)")
_FAIRSEQ_INNER = re.compile(r"(?<!\w)epoch \d+:\s+\d+ / \d+ (?P<stats>\w+=.*)")
_FAIRSEQ_VALID = re.compile(
    r"(?<![\w'])(?:epoch \d+ \| )?valid on '(?P<subset>[^']+)' subset \| (?P<stats>.*)")
_FAIRSEQ_JSON = re.compile(r'\{"epoch": \d+.*\}')
_FAIRSEQ_KEYS = {"loss": "loss", "lr": "lr", "gnorm": "grad_norm", "num_updates": "step"}
_FAIRSEQ_NOTE = ("fairseq logs its losses in base 2 (bits per token, ppl = 2^loss): they are "
                 "kept as logged")


def _fairseq() -> Callable[[str], Point | None]:
    """fairseq ``fairseq_cli/train.py`` through ``fairseq/logging/progress_bar.py``: the
    ``simple`` bar's ``train_inner`` line ``epoch 001:    100 / 1000 loss=9.876, ...,
    num_updates=100, lr=1.25e-05, gnorm=2.345, ...`` (``_str_commas``), its ``valid on 'valid'
    subset | loss 7.1 | ... | num_updates 1000`` line (``_str_pipes``), and the ``json`` bar's
    ``{"epoch": 1, "update": 0.1, "loss": "9.876", ..., "num_updates": "100", ...}`` and
    ``{"epoch": 1, "valid_loss": "7.1", ..., "valid_num_updates": "1000"}``. The end-of-epoch
    ``train`` summary (``epoch 001 | loss 9.5 | ...``, ``"train_loss"``) averages the epoch: it is
    no point. Of several validation subsets, the first one logged is read."""
    subsets: list[str] = []

    def point(stats: dict[str, str], prefix: str = "") -> Point:
        return {_FAIRSEQ_KEYS[k[len(prefix):]]: _float(v) for k, v in stats.items()
                if k.startswith(prefix) and k[len(prefix):] in _FAIRSEQ_KEYS}

    def validation(subset: str, stats: dict[str, str], prefix: str = "") -> Point | None:
        subsets[:] = subsets or [subset]
        if subset != subsets[0]:
            return None
        values = point(stats, prefix)
        if "loss" not in values:
            return None
        return {k: v for k, v in values.items() if k == "step"} | {"val_loss": values["loss"]}

    def parse(line: str) -> Point | None:
        match = _FAIRSEQ_INNER.search(line)
        if match:
            return point(dict(_KV_EQ.findall(match["stats"]))) or None
        match = _FAIRSEQ_VALID.search(line)
        if match:
            return validation(match["subset"], dict(_KV_PIPE.findall(match["stats"])))
        match = _FAIRSEQ_JSON.search(line)
        if match is None:
            return None
        try:
            stats = {k: str(v) for k, v in json.loads(match.group(0)).items()}
        except ValueError:
            return None
        if "loss" in stats:
            return point(stats) or None
        subset = next((k[:-len("_num_updates")] for k in stats
                       if k.endswith("_num_updates") and k != "train_num_updates"), None)
        return validation(subset, stats, f"{subset}_") if subset else None
    return parse


_MEGATRON_ITER = re.compile(r"(?<!\w)iteration\s+(?P<step>\d+)/\s*\d+ \|(?P<cells>.*)")
_MEGATRON_VALID = re.compile(
    r"(?<!\w)validation(?P<suffix>-\S+)? (?:loss|results) at (?P<at>[^|]*)\|(?P<cells>.*)")
_MEGATRON_AT = re.compile(r"iteration\s+(\d+)")
_MEGATRON_LM_LOSS = ("lm loss", "lm_loss")  # Megatron-LM / Megatron-DeepSpeed, GPT-NeoX


def _cells(text: str) -> dict[str, float]:
    """``| key: value |`` cells; a cell whose value is not one number is left out."""
    cells = {}
    for cell in text.split("|"):
        key, _, value = cell.partition(":")
        try:
            cells[key.strip()] = float(value)
        except ValueError:
            continue
    return cells


def _loss_cell(cells: dict[str, float], end: str) -> float | None:
    """The language-model loss, else the first cell named ``... loss`` (BERT's ``lm loss``
    comes before its ``sop loss``; ``loss scale`` is not a loss)."""
    for name in _MEGATRON_LM_LOSS:
        if name + end in cells:
            return cells[name + end]
    return next((v for k, v in cells.items() if k.endswith("loss" + end)), None)


def _megatron() -> Callable[[str], Point | None]:
    """Megatron-LM ``megatron/training/training.py`` (``megatron/training.py`` before 2024):
    ``training_log`` prints `` iteration      100/  500000 | consumed samples: ... | learning
    rate: 1.500000E-05 | global batch size: ... | lm loss: 8.123456E+00 | loss scale: 1.0 |
    grad norm: 2.345 | ...`` (since 2024 behind ``[2024-05-01 12:00:00.123456]``), and
    ``evaluate_and_print_results`` `` validation loss at iteration 1000 | lm loss value:
    7.1E+00 | lm loss PPL: ... |``. Megatron-DeepSpeed prints the same lines; EleutherAI
    gpt-neox (``megatron/logging.py``, ``megatron/training.py``) prints ``lm_loss``, no grad
    norm, and `` validation results at iteration 1000 | lm_loss value: ...``. The test set's
    lines are not read; of several validation sets (``validation-NAME loss``), the first; the
    end-of-training validation takes the last iteration logged."""
    state: dict[str, Any] = {"step": None, "suffix": None}

    def parse(line: str) -> Point | None:
        match = _MEGATRON_ITER.search(line)
        if match:
            state["step"] = int(match["step"])
            cells = _cells(match["cells"])
            loss = _loss_cell(cells, "")
            if loss is None:  # Megatron leaves out a loss whose average is negative
                return None
            found: Point = {"step": state["step"], "loss": loss}
            for curve, key in (("lr", "learning rate"), ("grad_norm", "grad norm")):
                if key in cells:
                    found[curve] = cells[key]
            return found
        match = _MEGATRON_VALID.search(line)
        if match is None or "test" in match["at"]:
            return None
        if state["suffix"] is None:
            state["suffix"] = match["suffix"] or ""
        at = _MEGATRON_AT.search(match["at"])
        step = int(at.group(1)) if at else state["step"]
        loss = _loss_cell(_cells(match["cells"]), " value")
        if (match["suffix"] or "") != state["suffix"] or step is None or loss is None:
            return None
        return {"step": step, "val_loss": loss}
    return parse


_LLMC_STEP = re.compile(
    rf"(?<!\w)step\s+(?P<step>\d+)(?:/\d+)?(?::| \|) (?:train )?loss (?P<loss>{_NUMBER})(?=\s|$)"
    r"(?P<rest>.*)")
_LLMC_NORM = re.compile(rf"(?<!\w)norm ({_NUMBER})")
_LLMC_LR = re.compile(rf"(?<!\w)lr ({_NUMBER})")
_LLMC_VAL = re.compile(rf"(?<!, )(?<!\w)val loss ({_NUMBER})\s*$")
_LLMC_FILE = re.compile(
    rf"(?<!\w)s:(?P<step>\d+) (?:trl:(?P<loss>{_NUMBER})(?: lr:(?P<lr>{_NUMBER}))?"
    rf"(?: norm:(?P<grad_norm>{_NUMBER}))?|tel:(?P<val_loss>{_NUMBER}))")


def _llmc() -> Callable[[str], Point | None]:
    """karpathy/llm.c: ``train_gpt2.cu`` prints ``step    1/74 | loss 11.012345 (+0.00z)| norm
    15.4000 (+0.00z)| lr 6.00e-06 | ...`` (``| train loss`` before its z-scores; ``step 1/74:
    train loss 11.01 norm ... lr ...`` and ``step 1: train loss 11.01 (took ...)`` in its first
    months and in ``train_gpt2.c``), ``train_gpt2.py`` ``step    1/74 | train loss 11.012345 |
    norm ... | lr ... |``, both ``val loss 10.9`` before the step they evaluate. The ``.cu``'s
    ``main.log`` file (``llmc/logger.h``) holds ``s:0 trl:11.0123 lr:0.000006 norm:15.40`` and
    ``s:0 tel:10.9``. A printed ``val loss`` line has no step: it gets the last step printed
    above it (the updates made), 0 before the first."""
    last = [0]

    def parse(line: str) -> Point | None:
        match = _LLMC_STEP.search(line)
        if match:
            last[0] = int(match["step"])
            found: Point = {"step": last[0], "loss": _float(match["loss"])}
            for curve, pattern in (("grad_norm", _LLMC_NORM), ("lr", _LLMC_LR)):
                if cell := pattern.search(match["rest"]):
                    found[curve] = _float(cell.group(1))
            return found
        match = _LLMC_VAL.search(line)
        if match:
            return {"step": last[0], "val_loss": _float(match.group(1))}
        match = _LLMC_FILE.search(line)
        if match:
            return {k: _float(v) for k, v in match.groupdict().items() if v is not None}
        return None
    return parse


# "step:N/M" then one loss: the script's own source, printed at the top of each log, holds the same
# f-string with "{step}" where a logged line has digits, so it never matches
_MODDED_NANOGPT = re.compile(
    rf"(?<![\w{{])step:(?P<step>\d+)/\d+ (?:train_loss:(?P<loss>{_NUMBER})"
    rf"|val_loss:(?P<val_loss>{_NUMBER}))(?=\s|$)")


def _modded_nanogpt(line: str) -> Point | None:
    """KellerJordan/modded-nanogpt ``train_gpt2.py`` / ``train_gpt.py``: ``step:10/5100
    train_loss:3.2130 train_time:1234ms step_avg:123.40ms`` (the loss of the batch, after
    ``step`` updates) and ``step:125/5100 val_loss:4.3100 train_time:...``. Later records print
    only the validation loss (``step:1/1390 train_time:...`` lines carry no loss): such a log
    holds no training loss to read. No LR is printed."""
    match = _MODDED_NANOGPT.search(line)
    if match is None:
        return None
    return {k: _float(v) if k != "step" else int(v)
            for k, v in match.groupdict().items() if v is not None}


_TIMM_TRAIN = re.compile(
    rf"(?<!\w)Train: (?P<epoch>\d+) \[\s*(?P<batch>\d+)/(?P<batches>\d+)\s*\(\s*{_NUMBER}%\)\]"
    rf"\s+Loss:\s+(?P<loss>{_NUMBER}) \(\s*{_NUMBER}\)(?P<rest>.*)")
_TIMM_LR = re.compile(rf"\bLR:\s+({_NUMBER})")
_TIMM_TEST = re.compile(
    rf"(?<!\w)Test: \[\s*(?P<batch>\d+)/(?P<last>\d+)\].*?\bLoss:\s+{_NUMBER} "
    rf"\(\s*(?P<avg>{_NUMBER})\)")


def _timm() -> Callable[[str], Point | None]:
    """huggingface/pytorch-image-models ``train.py``: ``train_one_epoch`` logs ``Train: 0 [
    100/1251 (  8%)]  Loss: 6.91 (6.93)  Time: ...  LR: 1.000e-06  Data: ...`` (the batch's loss,
    then the epoch's running mean in brackets: the batch's is read); the step is ``epoch x 1251
    + 100`` (epochs count from 0; since 2024 the bar counts optimizer updates). ``validate`` logs
    ``Test: [  10/390]  Time: ...  Loss:  1.234 ( 1.300)  Acc@1: ...``; the running mean at its
    last batch (``[390/390]``) is the validation loss, at the end of the epoch logged above.
    ``Test (EMA):`` lines (the weights' average) are not read."""
    state = {"epoch": -1, "batches": 0}

    def parse(line: str) -> Point | None:
        match = _TIMM_TRAIN.search(line)
        if match:
            state["epoch"], state["batches"] = int(match["epoch"]), int(match["batches"])
            found: Point = {"step": state["epoch"] * state["batches"] + int(match["batch"]),
                            "loss": _float(match["loss"])}
            if lr := _TIMM_LR.search(match["rest"]):
                found["lr"] = _float(lr.group(1))
            return found
        match = _TIMM_TEST.search(line)
        if match and match["batch"] == match["last"] and state["batches"]:
            return {"step": (state["epoch"] + 1) * state["batches"],
                    "val_loss": _float(match["avg"])}
        return None
    return parse



_MM_HEAD = re.compile(
    r"(?<!\w)(?:Epoch(?:\(train\))?\s*\[\s*(?P<epoch>\d+)\]\[\s*(?P<iter>\d+)/(?P<iters>\d+)\]"
    r"|Iter(?:\(train\))?\s*\[\s*(?P<step>\d+)/\d+\])\s+(?P<rest>.*)")
_MM_CELL = {curve: re.compile(rf"(?<![\w./]){key}: ({_NUMBER})(?=,|\s|$)")
            for curve, key in (("lr", "lr"), ("loss", "loss"), ("grad_norm", "grad_norm"))}


def _mmengine(line: str) -> Point | None:
    """OpenMMLab's training lines (MMDetection, MMSegmentation, MMPretrain...):
    mmengine ``mmengine/runner/log_processor.py`` ``get_log_after_iter`` prints
    ``Epoch(train)  [1][  50/7330]  base_lr: 2.0000e-03 lr: 2.0000e-03  eta: ...  time: ...
    grad_norm: 3.4567  loss: 1.2345  loss_cls: ...`` (``Iter(train) [  50/90000]  ...`` when
    training by iterations), and mmcv 1.x's ``TextLoggerHook`` (MMDetection 2.x) ``Epoch
    [1][50/7330]``, a tab, ``lr: 1.996e-03, eta: ..., loss_cls: ..., loss: 1.2345, grad_norm:
    3.4``. The
    total ``loss`` is read, not its parts (``loss_cls``); the step is ``(epoch - 1) x 7330 + 50``
    (the batch counts from 1), or the iteration. Validation lines carry metrics, not a loss."""
    match = _MM_HEAD.search(line)
    if match is None:
        return None
    found: Point = {}
    for curve, pattern in _MM_CELL.items():
        if cell := pattern.search(match["rest"]):
            found[curve] = _float(cell.group(1))
    if "loss" not in found:
        return None
    found["step"] = (int(match["step"]) if match["step"] is not None else
                     (int(match["epoch"]) - 1) * int(match["iters"]) + int(match["iter"]))
    return found



_LITGPT_STEP = re.compile(
    rf"(?<!\w)(?:Epoch \d+ \| iter \d+ step (?P<step>\d+) \| loss train: (?P<loss>{_NUMBER}),"
    rf"|iter \d+ (?:\| )?step (?P<step2>\d+): loss (?P<loss2>{_NUMBER}), iter time"
    rf"|iter (?P<iter>\d+): loss (?P<loss3>{_NUMBER}), time:)")
_LITGPT_VAL = re.compile(rf"(?<!\w)iter \d+: val loss (?P<val_loss>{_NUMBER}), val time")


def _litgpt() -> Callable[[str], Point | None]:
    """Lightning-AI/litgpt ``litgpt/pretrain.py`` and ``litgpt/finetune/{lora,full,...}.py``:
    ``Epoch 1 | iter 400 step 100 | loss train: 2.345, val: n/a | iter time: 123.45 ms (step)
    ...`` (the loss is the mean over the logging window; ``val:`` repeats the last validation,
    so it is not read there), ``iter 400 step 100: loss 2.3456, iter time: ...`` before 2024,
    and lit-gpt's first ``iter 400: loss 2.3456, time: 123.45ms``; ``iter 400: val loss 2.3,
    val time: ...`` (validation loss, at the last step printed above it). The step is the
    optimizer step (``iter`` counts micro-batches), or the iteration where no step is printed.
    No LR is printed (litgpt sends it to its logger)."""
    last = [0]

    def parse(line: str) -> Point | None:
        match = _LITGPT_STEP.search(line)
        if match:
            step = match["step"] or match["step2"] or match["iter"]
            last[0] = int(step)
            return {"step": last[0],
                    "loss": _float(match["loss"] or match["loss2"] or match["loss3"])}
        match = _LITGPT_VAL.search(line)
        if match:
            return {"step": last[0], "val_loss": _float(match["val_loss"])}
        return None
    return parse


_TV_TRAIN = re.compile(r"(?<!\w)Epoch: \[(?P<epoch>\d+)(?:/\d+)?\]\s+"
                       r"\[\s*(?P<batch>\d+)/(?P<batches>\d+)\]\s+(?P<rest>.*)")
_TV_TEST = re.compile(r"(?<!\w)Test:\s+\[\s*(?P<batch>\d+)/(?P<batches>\d+)\]\s+(?P<rest>.*)")
_TV_CELL = {curve: re.compile(rf"(?<![\w/]){key}: (?P<now>{_NUMBER})(?: \((?P<avg>{_NUMBER})\))?",
                              re.IGNORECASE)  # IPT, a fork, prints "Loss: 2.79 (2.79)"
            for curve, key in (("lr", "lr"), ("loss", "loss"), ("grad_norm", "grad_norm"))}


def _torchvision() -> Callable[[str], Point | None]:
    """pytorch/vision ``references/*/utils.py`` ``MetricLogger.log_every`` and the many codebases
    that copied it (DeiT, DETR, MAE, DINO, ConvNeXt...): ``Epoch: [0]  [ 100/782]  eta: 0:05:12
    lr: 0.1  img/s: 812.3  loss: 6.9121 (6.9530)  acc1: ...  time: ...`` (DINO prints ``Epoch:
    [0/100]``). Each meter prints its window's median, then the epoch's mean in brackets: the
    median is read; the step is ``epoch x 782 + 100`` (epochs and batches count from 0). The
    evaluation's ``Test:  [49/50]  ...  loss: 1.23 (1.30)`` at its last batch gives the validation
    loss (the mean in brackets), at the end of the epoch logged above; ``Test: EMA`` is not
    read."""
    state = {"epoch": -1, "batches": 0}

    def cells(rest: str) -> dict[str, re.Match[str]]:
        return {curve: m for curve, pattern in _TV_CELL.items() if (m := pattern.search(rest))}

    def parse(line: str) -> Point | None:
        match = _TV_TRAIN.search(line)
        if match:
            found = cells(match["rest"])
            if "loss" not in found:
                return None
            state["epoch"], state["batches"] = int(match["epoch"]), int(match["batches"])
            point: Point = {c: _float(m["now"]) for c, m in found.items()}
            point["step"] = state["epoch"] * state["batches"] + int(match["batch"])
            return point
        match = _TV_TEST.search(line)
        if match and int(match["batch"]) == int(match["batches"]) - 1 and state["batches"]:
            loss = cells(match["rest"]).get("loss")
            if loss is not None:
                return {"step": (state["epoch"] + 1) * state["batches"],
                        "val_loss": _float(loss["avg"] or loss["now"])}
        return None
    return parse


_COMPOSER_HEAD = re.compile(r"^(?:\[epoch=(?P<epoch>\d+)\])?\[(?P<unit>\w+)=(?P<now>\d+)"
                            r"(?:/(?P<total>\d+))?\]:?$")
_COMPOSER_CELL = re.compile(rf"^(?P<split>Train|Eval) (?P<key>\S+): (?P<value>{_NUMBER})$")
_COMPOSER_VAL = re.compile(r"^metrics/eval/(?:Language)?CrossEntropy$")


def _composer() -> Callable[[str], Point | None]:
    """MosaicML Composer's ``ConsoleLogger`` (LLM Foundry's console): a block per logged batch,
    ``[batch=100/1000]:`` (``[epoch=2][batch=10/500]:`` where the run is counted in epochs)
    then one value a line after a tab, ``Train loss/train/total: 2.3456``, ``Train
    lr-DecoupledAdamW/group0: 6.0000e-04``, ``Train l2_norm/grad/global: 1.2`` (its
    ``OptimizerMonitor``); an evaluation ends with ``Eval metrics/eval/LanguageCrossEntropy:
    2.9``, the validation loss at the last step trained. The step is the block's
    ``time/batch`` where it logs one (a run counted in tokens or samples heads its blocks with
    those), else its batch: ``(epoch - 1) x 500 + 10`` in a run counted in epochs."""
    state: dict[str, Any] = {"step": None}

    def parse(line: str) -> Point | None:
        head = _COMPOSER_HEAD.match(line)
        if head:
            if head["unit"] == "batch":
                now = int(head["now"])
                state["step"] = ((int(head["epoch"]) - 1) * int(head["total"]) + now
                                 if head["epoch"] and head["total"] else now)
            return None
        cell = _COMPOSER_CELL.match(line)
        if cell is None:
            return None
        key, value = cell["key"], _float(cell["value"])
        if cell["split"] == "Eval":
            curve = "val_loss" if _COMPOSER_VAL.match(key) else None
        elif key == "time/batch":
            state["step"] = int(value)
            return None
        else:
            curve = ("loss" if key == "loss/train/total" else
                     "lr" if key.startswith("lr-") and key.endswith("/group0") else
                     "grad_norm" if key == "l2_norm/grad/global" else None)
        if curve is None:
            return None
        return {curve: value} if state["step"] is None else {"step": state["step"], curve: value}
    return parse


_OLMO_HEAD = re.compile(r"(?<!\w)\[step=(?P<step>\d+)/\d+(?:,epoch=\d+)?\]$")
_OLMO_CELL = re.compile(rf"^(?P<key>(?:train|optim)/[\w/.-]+)=(?P<value>{_NUMBER}"
                        r"(?:,\d{3})*(?:\.\d+)?)$")


def _olmo() -> Callable[[str], Point | None]:
    """AllenAI OLMo's ``Trainer.log_metrics_to_console``: a block per logged step behind the
    logger's prefix, ``[step=100/739328,epoch=0]``, then one value a line, indented,
    ``train/CrossEntropyLoss=2.998``, ``optim/total_grad_norm=0.2370`` (the only ``optim/``
    value it prints: no LR), ``throughput/total_tokens=2,097,152`` (thousands separated)."""
    state: dict[str, Any] = {"step": None}

    def parse(line: str) -> Point | None:
        head = _OLMO_HEAD.search(line)
        if head:
            state["step"] = int(head["step"])
            return None
        cell = _OLMO_CELL.match(line)
        if cell is None or state["step"] is None:
            return None
        key, value = cell["key"], _float(cell["value"].replace(",", ""))
        curve = ("loss" if key == "train/CrossEntropyLoss" else
                 "grad_norm" if key == "optim/total_grad_norm" else None)
        return None if curve is None else {"step": state["step"], curve: value}
    return parse


def presets() -> tuple[Layout, ...]:
    """Fresh layouts (most parsers remember lines they read: the batches per epoch, the last
    step, the validation set)."""
    return (Layout("nanogpt", _nanogpt),
            Layout("word_language_model", _word_language_model()),
            Layout("hf_dicts", _hf_dicts, steps_are_order=True),
            Layout("keras", _keras(), epoch_points=True),
            Layout("fairseq", _fairseq(), note=_FAIRSEQ_NOTE),
            Layout("megatron", _megatron()),
            Layout("llmc", _llmc()),
            Layout("modded_nanogpt", _modded_nanogpt),
            Layout("timm", _timm()),
            Layout("mmengine", _mmengine),
            Layout("litgpt", _litgpt()),
            Layout("torchvision", _torchvision()),
            Layout("composer", _composer()),
            Layout("olmo", _olmo()))


PRESETS = tuple(layout.name for layout in presets())

# The generic reading of a script's own printout, tried where no preset reads a loss: a value
# follows its name, after ":", "=" or a space ("Train Loss: 7.32", "loss=0.52", "lr 1e-3",
# "loss: tensor(2.30, grad_fn=...)"). A loss prefixed val/valid/eval/dev is the validation loss;
# a test loss, and parts of a loss ("loss_cls"), are not read.
_KEY_END = r"\b\s*[:=]?\s*\[?\s*(?:tensor\()?"
_KEY_LOSS = re.compile(
    r"(?<![\w./-])(?:(?P<val>val(?:id(?:ation)?)?|eval(?:uation)?|dev)|(?P<test>test)"
    r"|train(?:ing)?|total|avg|average|mean|running)?[ _/-]{0,3}loss(?:_step)?"
    rf"{_KEY_END}(?P<value>{_NUMBER})", re.IGNORECASE)
# "Loss in iteration 3 : 0.71", "loss at step 200: 2.3", "Loss after epoch 2 is 0.5": the counter
# between the loss's name and its value (read as the named values are, where none of those is)
_KEY_LOSS_AT = re.compile(
    r"(?<![\w./-])(?:(?P<val>val(?:id(?:ation)?)?|eval(?:uation)?|dev)|(?P<test>test)"
    r"|train(?:ing)?|total|avg|average|mean|running)?[ _/-]{0,3}loss\s+(?:in|at|after|for|of|on)"
    r"\s+(?:the\s+)?(?:global[ _]?step|step|iter(?:ation)?|epoch|batch|update)\s*#?\s*\d+"
    rf"(?:\s*/\s*\d+)?\s*(?:is|:|=|,|-+>?)?\s*(?P<value>{_NUMBER})", re.IGNORECASE)
# A perplexity named as a loss is (``train ppl: 581.2``, ``val perplexity 401.7``), read as its
# log where a log prints no loss at all (the IFT6135 / ptb-lm course scripts' ``log.txt``)
_KEY_PPL = re.compile(
    r"(?<![\w./-])(?:(?P<val>val(?:id(?:ation)?)?|eval(?:uation)?|dev)|(?P<test>test)"
    r"|train(?:ing)?|avg|average|mean)?[ _/-]{0,3}(?:ppl|perplexity)"
    rf"{_KEY_END}(?P<value>{_NUMBER})", re.IGNORECASE)
_KEY_STEP = re.compile(r"(?<![\w./-])(?:global[ _]?step|steps?|iter(?:ation)?|update|batch)"
                       r"\b\s*[:=#]?\s*\[?\s*(?P<value>\d+)(?:\s*/\s*(?P<total>\d+))?",
                       re.IGNORECASE)
_KEY_EPOCH = re.compile(r"(?<![\w./-])epoch\b\s*[:=#]?\s*\[?\s*(?P<value>\d+)", re.IGNORECASE)
# an LR also where a printed dict or JSON names it (``{'learning_rate': 0.01, 'reg': 1e-4}``,
# a grid search's config printed above each run)
_KEY_LR = re.compile(rf"(?<![\w./-])(?:lr|learning[ _]rate|current[ _]lr)\b['\"]?"
                     rf"\s*[:=]?\s*\[?\s*(?:tensor\()?(?P<value>{_NUMBER})", re.IGNORECASE)
_KEY_GRAD = re.compile(rf"(?<![\w./-])(?:grad(?:ient)?[ _]?norm|gnorm){_KEY_END}"
                       rf"(?P<value>{_NUMBER})", re.IGNORECASE)
# A loss named as a run's summary (``Best Val Loss = 1.90``, ``lowest loss: 0.3``), printed once
# after training: never a point (it would replace the last epoch's value)
_SUMMARY = re.compile(r"(?:best|lowest|min(?:imum)?)[ _]?$", re.IGNORECASE)
# Fewer loss lines than this in a log's first lines is no training log (a README's example)
GENERIC_MIN_POINTS = 3


def _key_values(index: Literal["step", "epoch", "line"], perplexity: bool = False
                ) -> Callable[[str], Point | None]:
    """Named values, line by line, indexed by ``index``: the losses, or with ``perplexity``
    the log of each perplexity named (a log that prints no loss); ``"step"`` (a step, iteration
    or batch counter on the loss's line; a counter that starts again each epoch, as ``Epoch
    [2/5], Step [100/600], Loss: 0.21`` prints it, is carried on past the epoch's last),
    ``"epoch"`` (the epoch on the line or on a line above it, one point an epoch) or ``"line"``
    (the loss lines' order). An LR or gradient norm on a line of its own goes with the next
    loss; a loss line with no step of its own takes the last step printed above it."""
    state: dict[str, Any] = {"raw": None, "offset": 0, "epoch": None, "raw_epoch": None,
                             "carry": {}}

    def step_of(line: str) -> int | None:
        """The step this line names, else the last one named above it (None: none yet). A
        counter that starts again as the printed epoch goes back starts another run (a loop
        over LRs printing ``Epoch [1/5], Step [100/600]`` again): its step goes back too; so
        does one that starts again where no epoch and no total (``/600``) is printed (a loop
        over rates printing ``Loss in iteration 1`` again)."""
        match = _KEY_STEP.search(line)
        if match is not None:
            raw = int(match["value"])
            if state["raw"] is not None and raw < state["raw"]:  # counted again from the start
                epoch, before = state["epoch"], state["raw_epoch"]
                if epoch is not None and before is not None and epoch < before:
                    state["offset"] = 0
                elif epoch is None and not match["total"]:  # no epoch: another run's counter
                    state["offset"] = 0
                else:
                    state["offset"] += int(match["total"]) if match["total"] else state["raw"]
            state["raw"], state["raw_epoch"] = raw, state["epoch"]
        return None if state["raw"] is None else state["raw"] + state["offset"]

    def parse(line: str) -> Point | None:
        if epoch := _KEY_EPOCH.search(line):
            state["epoch"] = int(epoch["value"])
        for curve, pattern in (("lr", _KEY_LR), ("grad_norm", _KEY_GRAD)):
            if found := pattern.search(line):
                state["carry"][curve] = _float(found["value"])
        point: Point = {}
        found = list((_KEY_PPL if perplexity else _KEY_LOSS).finditer(line))
        for match in found or ([] if perplexity else _KEY_LOSS_AT.finditer(line)):
            curve = "val_loss" if match["val"] else None if match["test"] else "loss"
            if _SUMMARY.search(line, 0, match.start()):
                continue  # "Best Val Loss = 1.90": the run's summary, not a point of it
            if curve is not None and curve not in point:
                value = _float(match["value"])
                point[curve] = (math.log(value) if value > 0 else math.nan) if perplexity \
                    else value
        step = step_of(line)
        if not point:
            return None
        if index == "step":
            if step is None:
                return None
            point["step"] = step
        elif index == "epoch":
            if state["epoch"] is None:
                return None
            point["step"] = state["epoch"]
        if "loss" in point:
            point.update(state["carry"])
            state["carry"] = {}
        return point
    return parse


_GENERIC_NOTE = ("no known layout: read {what} where its lines name them; if that is not the "
                 "training loss, read it with --pattern")


_PPL_WHAT = "the log of 'ppl' (the perplexity; its log is the loss in nats, as no loss is printed)"


def generic_layouts() -> tuple[Layout, ...]:
    """Fresh generic layouts, in the order they are preferred: by step, by epoch, by line; then
    the same three reading perplexities."""
    return (Layout("key_values_by_step", _key_values("step"),
                   note=_GENERIC_NOTE.format(what="'loss' and its step")),
            Layout("key_values_by_epoch", _key_values("epoch"), epoch_points=True,
                   note=_GENERIC_NOTE.format(what="'loss' and its epoch")),
            Layout("key_values_by_line", _key_values("line"), steps_are_order=True,
                   note=_GENERIC_NOTE.format(what="'loss'")),
            Layout("perplexity_by_step", _key_values("step", perplexity=True),
                   note=_GENERIC_NOTE.format(what=f"{_PPL_WHAT} and its step")),
            Layout("perplexity_by_epoch", _key_values("epoch", perplexity=True),
                   epoch_points=True,
                   note=_GENERIC_NOTE.format(what=f"{_PPL_WHAT} and its epoch")),
            Layout("perplexity_by_line", _key_values("line", perplexity=True),
                   steps_are_order=True, note=_GENERIC_NOTE.format(what=_PPL_WHAT)))


def generic_layout(lines: list[str]) -> str | None:
    """The generic layout for a log no preset reads: by step where most loss lines carry a
    step counter, by epoch where the epochs seen give one loss each, else by line; None for
    fewer than GENERIC_MIN_POINTS loss lines. A log that names no loss on enough lines is read
    by its perplexities the same way, where it names them."""
    layouts = generic_layouts()
    return _generic_of(lines, *layouts[:3]) or _generic_of(lines, *layouts[3:])


def _generic_of(lines: list[str], by_step: Layout, by_epoch: Layout, by_line: Layout
                ) -> str | None:
    """Which of one kind's generic layouts reads ``lines`` (``generic_layout``)."""
    losses = own_steps = 0
    epochs: list[float] = []
    for line in lines:
        by_epoch_point = by_epoch.parse(line) or {}
        if "loss" in (by_line.parse(line) or {}):
            losses += 1
            own_steps += _KEY_STEP.search(line) is not None
            if "loss" in by_epoch_point:
                epochs.append(by_epoch_point["step"])
    if losses < GENERIC_MIN_POINTS:
        return None
    if own_steps >= 0.5 * losses:
        return by_step.name
    if len(epochs) >= 0.5 * losses and _one_loss_an_epoch(epochs):
        return by_epoch.name
    return by_line.name


def _one_loss_an_epoch(epochs: list[float]) -> bool:
    """Whether the epochs printed give one loss each: nine in ten are apart, or none is printed
    twice in a row and they go back only to the first (runs printed one after another, a loop
    over LRs printing ``Epoch 1/10`` again: read as one run each)."""
    if len(set(epochs)) >= 0.9 * len(epochs):
        return True
    pairs = list(zip(epochs, epochs[1:]))
    return all(b != a and (b > a or b <= epochs[0]) for a, b in pairs)


def compile_pattern(pattern: str) -> Layout:
    """The layout of a user's ``--pattern``.

    Raises:
        ConfigError: it is not a regular expression, or has no ``loss`` group.
    """
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ConfigError(f"the pattern {pattern!r} (pattern= / --pattern) is not a valid "
                          f"regular expression ({exc}); pass one with named groups, e.g. "
                          f"{PATTERN_EXAMPLE}") from None
    if "loss" not in compiled.groupindex:
        raise ConfigError(f"the pattern {pattern!r} (pattern= / --pattern) has no "
                          "(?P<loss>...) group; name the groups to read: loss, and step, lr, "
                          f"grad_norm, e.g. {PATTERN_EXAMPLE}")
    return Layout("--pattern", PatternParser(compiled),
                  steps_are_order="step" not in compiled.groupindex)
