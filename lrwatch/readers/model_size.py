"""A model's parameter count, where a log or the files beside it say it: the usual LR of an
Adam-style optimizer falls with model size (``analysis.optimizers.size_scale``).

Three sources, each read the same way by every reader that has it:

- a count as people write it: ``124M``, ``1.3B``, ``350k``, ``124000000`` (``--params``);
- a model ``config.json``: ``num_parameters`` / ``n_params`` when it states one, else estimated
  from a GPT-style shape as ``12 L d^2 + V d`` (L layers of attention, 4d^2, and MLP, 8d^2, plus
  the token embedding; GPT-2 small: 12 x 768 with 50257 tokens gives 124M, its published size),
  under GPT-2's names (``n_layer``, ``n_embd``) or Llama's (``num_hidden_layers``,
  ``hidden_size``);
- a line of a text log: nanoGPT's ``number of parameters: 123.69M``.
"""

from __future__ import annotations

import re
from typing import Any

from lrwatch.errors import ConfigError

_UNITS = {"": 1, "k": 10 ** 3, "m": 10 ** 6, "b": 10 ** 9, "g": 10 ** 9, "t": 10 ** 12}
_COUNT = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*([kmbgt]?)\s*$", re.IGNORECASE)
# nanoGPT's model.py: print("number of parameters: %.2fM" % (self.get_num_params()/1e6,));
# DeiT / ConvNeXt / BEiT's main.py: print('number of params:', n_parameters); MAE's
# main_finetune.py: "number of params (M): %.2f"; timm's train.py: "param count:25557032";
# OLMo's train.py: "Total number of parameters: 1,279,787,008" (thousands separated)
_LOG_LINE = re.compile(r"(?:number of param(?:eter)?s(?P<millions>\s*\(M\))?|param count):"
                       r"\s*(?P<count>\d+(?:,\d{3})*(?:\.\d+)?\s*[kMBGT]?)\b")
_STATED = ("num_parameters", "n_params", "num_params", "param_count")
_SHAPES = (("n_layer", "n_embd"), ("num_hidden_layers", "hidden_size"))


def parse_count(text: str) -> int | None:
    """``124M`` -> 124000000 (also ``1.3B``, ``350k``, ``124000000``, ``123.69M``); None when
    ``text`` is not such a count or not above 0."""
    match = _COUNT.match(text.replace(",", "").replace("_", ""))
    if match is None:
        return None
    count = round(float(match.group(1)) * _UNITS[match.group(2).lower()])
    return count if count > 0 else None


def checked_count(text: str, where: str) -> int:
    """``parse_count`` for a value the user gave; a ConfigError naming ``where`` otherwise."""
    count = parse_count(text)
    if count is None:
        raise ConfigError(f"{where} {text!r} is not a parameter count: give one like 124M, "
                          "1.3B, 350k or 124000000")
    return count


def from_config(config: dict[str, Any]) -> int | None:
    """The parameter count a model ``config.json`` states, else its GPT-style estimate
    ``12 L d^2 + V d``; None when it has neither."""
    for key in _STATED:
        value = config.get(key)
        if _positive_int(value):
            return int(value)
    vocab = config.get("vocab_size")
    for layers_key, width_key in _SHAPES:
        layers, width = config.get(layers_key), config.get(width_key)
        if _positive_int(layers) and _positive_int(width):
            embedding = vocab * width if _positive_int(vocab) else 0
            return 12 * layers * width ** 2 + embedding
    return None


def from_log_line(line: str) -> int | None:
    """The count a text log line prints (nanoGPT's ``number of parameters: 123.69M``, DeiT's
    ``number of params: 5717416``, MAE's ``number of params (M): 86.57``)."""
    match = _LOG_LINE.search(line)
    if match is None:
        return None
    return parse_count(match["count"] + ("M" if match["millions"] else ""))


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0
