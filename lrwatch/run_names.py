"""The LR a run's name names: ``lr_0.001/``, ``adam_lr0.01_bs64.log``, ``run-lr1e-3-seed0``.

One reading for every part of lrwatch that reads names: sweeps key their runs by them
(``lrwatch.sweeps``), and a log that logs no LR takes it from its path
(``lrwatch.readers.path_setup``). A leaf module: it imports nothing of lrwatch's.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# An LR token: ``lr``, ``learning_rate``, ``learning-rate`` or ``learningrate`` (any case), not
# glued to a letter or digit before it (``clr``, ``xlr``), an optional ``_``, ``=`` or ``-``, a
# number in plain or e notation, then no letter or digit (``lr_decay0.5``, ``lrs``,
# ``lr_schedule`` and ``lr0.1x`` are not tokens). An LR-like token with a qualifier before it
# (``min_lr1e-5``, ``warmup_lr0.1``) names another LR of the schedule: not the run's LR, and
# part of its setup. A minus sign after ``_`` or ``=`` (``lr_-2.75``, ``lr=-3``) makes the
# number the LR's log10: no LR is negative.
# Names spell numbers as file names allow: ``1e_4`` and ``1em04`` (``_`` / ``m`` for the minus
# of an exponent), ``2p5e-4`` and ``1_5e-4`` (``p`` / ``_`` for a point, before an exponent
# only where ``_`` is its separator); ``_number`` reads them.
_NUMBER = (r"(?:\d+(?:\.\d*|p\d+|_\d+(?=[eE]))?|\.\d+)"
           r"(?:[eE](?:[-+_]|m(?=\d))?\d+)?")
_LR_TOKEN = re.compile(
    rf"(?<![A-Za-z0-9])(?P<word>lr|learning[_-]?rate)(?P<sep>[_=-]?)(?P<neg>(?<=[_=])-)?"
    rf"(?P<value>{_NUMBER})(?![A-Za-z0-9]|\.\d)", re.IGNORECASE)
# the words that name another LR of a schedule (``min``, ``warmup``, ...)
OTHER_LR_WORDS = r"min|end|final|start|warmup|eta|last"
_QUALIFIED = re.compile(rf"(?:init|initial|{OTHER_LR_WORDS})[_-]?$", re.IGNORECASE)
# A folder or file named by a number alone under a folder of LRs (``lr/0.001/``,
# ``lr_sweep/1e-4.jsonl``, ``initial_lr_sweep/1.0e-04/``: that sweep's first); ``min_lr/1e-5/``
# is a schedule's floor.
_FOLDER_LR = re.compile(
    rf"(?<![A-Za-z0-9])(?P<word>lr|learning[_-]?rate)s?(?:[_-](?:sweep|search|grid|scan))?"
    rf"/(?P<sep>)(?P<neg>)(?P<value>{_NUMBER})(?=/|$|\.[A-Za-z]\w*$)", re.IGNORECASE)
_OTHER_QUALIFIED = re.compile(rf"(?:{OTHER_LR_WORDS})[_-]?$", re.IGNORECASE)
# A seed token: the word ``seed`` with its number (``seed0``, ``seed_1``, ``seed=2``), or ``s``
# and a number standing alone (``s1``: a seed by habit, though it may name a stage or a size).
_SEED_TOKEN = re.compile(r"(?<![A-Za-z0-9])(?:seed[_=-]?\d+|s\d+)(?![A-Za-z0-9])",
                         re.IGNORECASE)

# Tokens that say which run it was, not how it trained, so they differ across the runs of one
# sweep: a start date and time (``20260617-143139``, ``2023-11-28_15-53-31``; Hydra's
# ``2026-07-15/09-04-57/`` folders), a result written into the name (``valloss1.4184``,
# ``val_loss=0.12``), a commit or a hash id (``220e953``: hex, with a digit and a letter), a
# run's number (``exp3``, ``run_2``, ``trial12``; Ray Tune's trial id and index
# ``98f7d_00180_180``). A key leaves them out (with a separator beside each).
_DATE = r"(?:19|20)\d\d[-_.]?(?:0[1-9]|1[0-2])[-_.]?(?:0[1-9]|[12]\d|3[01])"
_TIME = r"(?:[-_T]?[0-2]\d[-_:.]?[0-5]\d(?:[-_:.]?[0-5]\d)?)"
# what a run measures, named in a result (``valloss1.41``; ``best_val_loss`` among settings)
METRIC_WORDS = r"loss|losses|acc|accuracy|ppl|perplexity|score|f1|bleu|auc|err|error|mse|mae|rmse"
SPLIT_WORDS = r"val|valid|test|train|eval|dev"  # the data a metric is measured on
_RESULT = (rf"(?:(?:best|final|min|max|last)[_-]?)?(?:{SPLIT_WORDS})?[_-]?(?:{METRIC_WORDS})"
           r"[_=-]?\d*\.\d+")
_RUN_IDENTITY = re.compile(
    rf"(?<![A-Za-z0-9])(?:{_DATE}{_TIME}?|(?<=/)[0-2]\d[-:.][0-5]\d[-:.][0-5]\d(?=/)|{_RESULT}"
    r"|(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,40}|(?:exp|run|trial|job)[_-]?\d+"
    r"|[0-9a-f]{5}_\d{5}(?:_\d+)?)"
    r"(?![A-Za-z0-9]|\.\d)", re.IGNORECASE)
_FOLDER_SEPARATOR = re.compile(r"[_-]*/[_/-]*")  # what is left where a token was taken out
_SEPARATOR_RUN = re.compile(r"([_-])[_-]+")
_LOOSE_SEPARATOR = re.compile(r"^[_-]+|(?<==)[_-]+|[_-]+(?=\.|$)")


@dataclass(frozen=True)
class NameLR:
    """What a run's name says: its LR, the name with the LR token (and any seed) taken out, the
    seed token, or why it names no LR."""

    lr: float | None
    key: str | None  # the name with the LR and seed tokens taken out (None: no LR token)
    seed: str | None = None  # the seed token, lower case (``seed0``, ``s1``)
    why: str | None = None  # why ``lr`` is None


def name_lr(name: str) -> NameLR:
    """The LR a run's name names (``lr_0.001``, ``lr=3e-4.csv``, ``run-lr1e-3-seed0``,
    ``adam_lr0.01_bs64.log``, ``learning_rate_0.0005``; ``384d_lr_-2.75``: 10^-2.75): one LR
    token, or several naming the same LR. Several naming different LRs, none, or one that is
    not a positive number: no LR, and ``why`` says so. ``key`` is the name with the LR token
    taken out, each seed token (``seed0``, ``s1``) replaced by ``seed*`` (``group`` decides
    whether seeds part runs) and what names the run, not its setup, left out."""
    tokens = [m for m in _LR_TOKEN.finditer(name) if not _QUALIFIED.search(name[:m.start()])]
    tokens += [m for m in _FOLDER_LR.finditer(name)
               if not _OTHER_QUALIFIED.search(name[:m.start()])]
    if not tokens:
        return NameLR(None, None, why="no learning rate logged, nor in its name (no LR curve, "
                                      "no lr in its hyperparameters, no lr_0.001 in its name)")
    values = {_value(m) for m in tokens}
    shown = ", ".join(dict.fromkeys(m.group(0) for m in tokens))
    if len(values) > 1:
        return NameLR(None, None, why=f"no learning rate logged, and its name names several "
                                      f"({shown}): which is its LR is not clear")
    value = values.pop()
    exponent = next((m for m in tokens
                     if m.group("sep") == "-" and m.group("value").isdigit()), None)
    if exponent is not None:  # ``lr-3``: LR 3, or 1e-3 as some scripts name it?
        digits = exponent.group("value")
        return NameLR(None, None, why=f"no learning rate logged, and its name's "
                                      f"{exponent.group(0)} may mean {digits} or 1e-{digits}: "
                                      f"rename it lr_{digits} or lr1e-{digits}")
    if not (math.isfinite(value) and value > 0):
        return NameLR(None, None, why=f"no learning rate logged, and its name's {shown} is not "
                                      "a positive LR")
    key = name
    for token in sorted(tokens, key=lambda m: m.start(), reverse=True):
        start = token.start("neg") if token.group("neg") else token.start("value")
        key = key[:start] + "*" + key[token.end("value"):]
    seeds = sorted({m.group(0).lower() for m in _SEED_TOKEN.finditer(key)})
    key = _SEED_TOKEN.sub("seed*", key)
    return NameLR(value, _without_identity(key), seed="+".join(seeds) or None)


def _without_identity(key: str) -> str:
    """``key`` less the tokens that name the run, not its setup (``_RUN_IDENTITY``)."""
    bare = _RUN_IDENTITY.sub("", key)
    if bare == key:
        return key
    bare = _SEPARATOR_RUN.sub(r"\1", _FOLDER_SEPARATOR.sub("/", bare))
    return _LOOSE_SEPARATOR.sub("", bare)


def _value(token: re.Match[str]) -> float:
    """A token's LR: its number, or 10 to the minus that number after a minus sign (NaN for an
    exponent so written, ``lr_-1e-3``: no reading of it is sure)."""
    value = _number(token.group("value"))
    if not token.group("neg"):
        return value
    return math.nan if "e" in token.group("value").lower() else 10.0 ** -value


def _number(text: str) -> float:
    """A number as ``_NUMBER`` matches it (``1e_4``, ``1em04``, ``2p5e-4``, ``1_5e-4``)."""
    mantissa, _, exponent = text.lower().partition("e")
    mantissa = mantissa.replace("p", ".").replace("_", ".")
    exponent = exponent.replace("_", "-").replace("m", "-")
    return float(mantissa + ("e" + exponent if exponent else ""))


def has_lr_token(text: str) -> bool:
    """Whether ``text`` holds an LR token that names the run's LR (not ``min_lr1e-5``)."""
    return any(not _QUALIFIED.search(text[:m.start()]) for m in _LR_TOKEN.finditer(text))
