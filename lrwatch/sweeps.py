"""Find the sweeps among logged runs and read them: runs of one model and setup that differ only
in the learning rate.

A run's *setup* is everything it logged about itself except the LR: from an lrwatch store the
model class, its parameter count, the optimizer with its settings, the schedulers, batch size,
planned steps and the module's hyperparameters; from a Lightning log folder its
``hparams.yaml``. Runs whose setups are equal and whose LRs differ form a sweep (at least
``MIN_LRS`` LRs). A run's LR is the peak of its logged LR curve (warmup and decay shape it the
same way in every run of a sweep), else the LR its hyperparameters name, else the LR its name
names (``lr_0.001/``, ``adam_lr0.01_bs64.log``: see ``name_lr``).

A run that logged no setup is matched by its name: its path with the LR token taken out, so
``adam_lr0.01_bs64.log`` and ``adam_lr0.1_bs64.log`` are one sweep and ``sgd_lr0.1_bs64.log``
another. A seed in the name (``seed0``, ``s1``) is taken out too where it marks repeats of
one sweep (see ``group``).

The readers are used through their public functions only (``find_runs``, ``read_run``); each
reader's ``setup`` reads its format's metadata.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from lrwatch.analysis.sweep import RankedBy, SweepReading, SweepRun, analyze_sweep
from lrwatch.errors import LRWatchError
from lrwatch.run_names import (METRIC_WORDS, OTHER_LR_WORDS, SPLIT_WORDS, has_lr_token,
                                name_lr)

MIN_LRS = 3  # a parabola needs three LRs
MIN_SEARCH = 5  # fewer runs whose other settings all differ are no random search to read
# Hyperparameter names that carry the LR (and so differ across a sweep): not part of the setup.
_LR_NAMES = ("lr", "learning_rate", "learningrate")
_LR_SUFFIXES = ("_lr", ".lr", "_learning_rate", ".learning_rate")

# An LR-named hyperparameter that names another LR of the schedule (``warmup_lr``, ``min_lr``,
# ``final_lr``, ``warmup_start_lr``): not the run's LR (no part of its setup either: it moves
# with the LR across a sweep). ``init_lr`` stays the LR: configs name their peak so.
_OTHER_LR = re.compile(rf"(?:{OTHER_LR_WORDS})[_-]?(?:lr|learning[_-]?rate)$", re.IGNORECASE)
_NAME_ENTRY = "from the run's name"  # where ``setup_of`` puts what a run's name says
# Settings that say which run it was, when and where, not how it trained: they differ across
# the runs of one sweep (an Optuna trial's number, a start time, the GPU it ran on), so a setup
# is compared without them at any depth (with the seeds and output folders readers leave out).
_IDENTITY_KEYS = frozenset({
    "timestamp", "time", "date", "datetime", "start_time", "end_time", "created_at", "trial",
    "trial_id", "trial_number", "trial_index", "experiment_id", "exp_id", "run_id", "job_id",
    "uuid", "device", "host", "hostname", "pid", "commit", "git_hash", "git_commit",
    "output_path", "save_path", "checkpoint_path", "log_path", "results_path", "log_file"})
# A number a run wrote among its settings that is a result, not a setting (``best_val_loss``,
# ``eval_ppl``, ``final_accuracy``, ``train_runtime``: a float); ``loss_scale``,
# ``aux_loss_weight`` or an int ``grad_acc`` are settings. A ``best_`` key is a result whatever
# it holds (``best_epoch``, ``best_model_checkpoint``).
_RESULT_KEY = re.compile(
    rf"(?:^|[_.])(?:{SPLIT_WORDS})?(?:{METRIC_WORDS}|runtime|duration|elapsed)$|^best_",
    re.IGNORECASE)


@dataclass(frozen=True)
class SweepMember:
    """A run read for a sweep: where it came from, its LR and its loss."""

    source: str
    name: str
    lr: float | None  # None: neither its LR curve nor its hyperparameters give one
    setup: str | None  # a canonical text of its setup; None when it logged none
    run: SweepRun | None
    # the seed its name names (``seed0``, ``s1``) where its setup is its name, else None
    seed: str | None = None
    # why no LR was found, when its name was read for one and gave none
    no_lr: str | None = None


@dataclass(frozen=True)
class Sweep:
    """Runs of one setup at several LRs, and what reading them together says."""

    members: tuple[SweepMember, ...]
    reading: SweepReading


def is_lr_name(name: str) -> bool:
    """Whether a hyperparameter name is a learning rate (``lr``, ``base_lr``, ``optim.lr`` ...)."""
    lowered = name.lower()
    return lowered in _LR_NAMES or lowered.endswith(_LR_SUFFIXES)


def peak_lr(lr_values: np.ndarray | None) -> float | None:
    """The largest finite positive logged LR: the peak of warmup + decay, the constant LR."""
    if lr_values is None:
        return None
    good = lr_values[np.isfinite(lr_values) & (lr_values > 0)]
    return float(good.max()) if good.size else None


def run_label(log_run: Any) -> tuple[str, str]:
    """A found run's name to read an LR from, and the path it stands for: the run's path
    below the PATH given (folder and file names: ``lr_0.001/version_0/metrics.csv``), or the
    PATH's own name (``lr_0.001`` given as a PATH) where that names no LR."""
    source = Path(os.path.abspath(os.path.expanduser(log_run.source)))
    base = source if source.is_dir() else source.parent
    path = Path(os.path.abspath(log_run.path))
    try:
        relative = path.relative_to(base).as_posix()
    except ValueError:
        relative = path.name
    relative = "" if relative == "." else relative
    if relative and has_lr_token(relative):
        return relative, path.as_posix()
    return base.name + ("/" + relative if relative else ""), path.as_posix()


def name_entry(log_run: Any) -> dict[str, Any] | None:
    """What a found run's name says, as ``setup_of`` adds it to the run's setup: ``lr``,
    ``key`` (its whole path with the LR and seed tokens taken out: runs of one sweep differ in
    those only), ``seed``, ``why``. None for a store's run (its name is no path)."""
    if log_run.run_id is not None or log_run.part is not None:
        return None
    from lrwatch.readers.path_setup import optimizer_lr_key

    label, path = run_label(log_run)
    found = name_lr(label)
    # the label is the tail of the path: the rest of the path, unchanged, keeps runs of other
    # folders apart
    head = path[:len(path) - len(label)] if path.endswith(label) else path + "|"
    if found.lr is not None and found.key is not None:
        return {"lr": found.lr, "key": head + found.key, "seed": found.seed, "why": None}
    paired = optimizer_lr_key(label) if found.key is None and "lr" not in label.lower() \
        else None  # ``SGD_0.001_200_history``: an LR beside its optimizer's name
    if paired is not None:
        return {"lr": paired[0], "key": head + paired[1], "seed": None, "why": None}
    return {"lr": None, "key": None, "seed": None, "why": found.why}


def member(source: str, name: str, curves: Any, setup: dict[str, Any] | None) -> SweepMember:
    """One run's sweep view from its read curves (``RunCurves``) and its setup (as
    ``setup_of`` gives it: a run's name may give its LR and, with no setup logged, its key)."""
    logged, named = _split(setup)
    lr = peak_lr(curves.lr.values if curves.lr is not None else None)
    if lr is None and logged:
        lr = _lr_from(logged)
    if lr is None and named:
        lr = named["lr"]
    text = setup_key(setup)
    seed = named["seed"] if named and not logged and text is not None else None
    why = named["why"] if named and lr is None else None
    run = SweepRun(name, lr, curves.loss, curves.val_loss, curves.val_metric,
                   curves.val_metric_name) if lr is not None else None
    return SweepMember(source, name, lr, text, run, seed, why)


def setup_key(setup: dict[str, Any] | None) -> str | None:
    """The setup without its LRs, as one comparable text; None when nothing was logged. A run
    that logged none but whose name names its LR is keyed by its name without the LR (and
    seed) tokens."""
    logged, named = _split(setup)
    if logged:
        return _canonical(_comparable(logged))
    if named and named["key"] is not None:
        return _canonical({"run name": named["key"]})
    return None


def _split(setup: dict[str, Any] | None) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """A setup from ``setup_of``: what the run logged, and what its name says."""
    if not setup:
        return None, None
    named = setup.get(_NAME_ENTRY)
    logged = {k: v for k, v in setup.items() if k != _NAME_ENTRY}
    return logged or None, named


def group(members: Iterable[SweepMember]) -> list[list[SweepMember]]:
    """Members of equal setup at ``MIN_LRS`` or more LRs, each group a sweep, biggest first.

    Runs keyed by their names differ in their seeds (``seed0``, ``s1``) too: one sweep where
    an LR was run at several seeds (repeats: the sweep reader takes several runs at one LR)
    or where the name says ``seed`` (each LR run once, at its own seed: still one sweep; a
    seed is no setup); a bare ``s1`` that never repeats an LR may name something else (a
    stage, a size), so its runs are kept apart by it."""
    by_setup: dict[str, list[SweepMember]] = defaultdict(list)
    for m in members:
        if m.setup is not None and m.run is not None:
            by_setup[m.setup].append(m)
    groups = [part for g in by_setup.values() for part in _by_seed(g)
              if len({m.lr for m in part}) >= MIN_LRS]
    grouped = {id(m) for g in groups for m in g}
    groups += _searches([m for g in by_setup.values() for m in g if id(m) not in grouped])
    return sorted(groups, key=len, reverse=True)


def _searches(members: list[SweepMember]) -> list[list[SweepMember]]:
    """Runs of a random search (Optuna's trials, a random grid): one setup but for settings
    drawn anew with the LR for each run, each such setting a float no two of them share (a
    grid repeats its values: its runs are sweeps of equal setups) and that no person chose
    (``_drawn``: values a person set, ``dropout: 0.1`` then ``0.2``, make runs of other
    setups). ``MIN_SEARCH`` runs or more at ``MIN_LRS`` LRs or more."""
    by_skeleton: dict[str, list[SweepMember]] = defaultdict(list)
    for m in members:
        by_skeleton[_canonical(_skeleton(json.loads(str(m.setup))))].append(m)
    found = []
    for part in by_skeleton.values():
        values = _numbers_by_path(part)
        varied = [v for v in values.values() if len(set(v)) > 1]
        if (len(part) >= MIN_SEARCH and len({m.lr for m in part}) >= MIN_LRS and varied
                and all(len(v) == len(part) == len(set(v)) and all(map(_drawn, v))
                        for v in varied)):
            found.append(part)
    return found


def _drawn(value: float) -> bool:
    """A float drawn from a range (``0.260558688084297``), not one a person chose (``0.3``,
    ``1e-4``, ``0.00137``): more than 4 significant digits."""
    return float(f"{value:.4g}") != value


def also_varied(members: Sequence[SweepMember]) -> tuple[str, ...]:
    """The numeric settings other than the LR whose values differ across a sweep's runs (a
    random search's, or those of runs named as one sweep), by their last name (``dropout``,
    ``weight_decay``); empty for equal setups."""
    values = _numbers_by_path([m for m in members if m.setup is not None])
    return tuple(sorted({path.rsplit(".", 1)[-1] for path, v in values.items()
                         if len(set(v)) > 1}))


def _skeleton(tree: Any) -> Any:
    """A setup tree with each float left out (what a random search draws anew)."""
    if isinstance(tree, dict):
        return {k: _skeleton(v) for k, v in tree.items()}
    return None if isinstance(tree, float) else tree


def _numbers_by_path(members: Sequence[SweepMember]) -> dict[str, list[float]]:
    """Each number (never a bool) in the members' setups under its dotted path, one value per
    member that has it (a random search's members share their ints: ``_skeleton`` keeps them)."""
    values: dict[str, list[float]] = defaultdict(list)
    for m in members:
        stack: list[tuple[str, Any]] = [("", json.loads(str(m.setup)))]
        while stack:
            path, node = stack.pop()
            if isinstance(node, dict):
                stack.extend((f"{path}.{k}" if path else str(k), v) for k, v in node.items())
            elif isinstance(node, (int, float)) and not isinstance(node, bool):
                values[path].append(float(node))
    return values


def _by_seed(members: list[SweepMember]) -> list[list[SweepMember]]:
    """One setup's members, parted by seed where their seeds are not repeats of one sweep."""
    seeds = {m.seed for m in members}
    if len(seeds) < 2:
        return [members]
    seeds_at: dict[float | None, set[str | None]] = defaultdict(set)
    for m in members:
        seeds_at[m.lr].add(m.seed)
    repeated = any(len(s) > 1 for s in seeds_at.values())
    named = all(s is not None and all(p.startswith("seed") for p in s.split("+"))
                for s in seeds)
    if repeated or named:
        return [members]
    parts: dict[str | None, list[SweepMember]] = defaultdict(list)
    for m in members:
        parts[m.seed].append(m)
    return list(parts.values())


def drop_copies(members: Sequence[SweepMember]) -> tuple[list[SweepMember],
                                                         list[tuple[SweepMember, SweepMember]]]:
    """The members less those whose setup, LR and loss curve repeat an earlier member's (one run
    written twice, by a TensorBoard and a CSV logger into two ``version_N`` folders: read as two
    seeds at one LR), and each copy with the member it repeats."""
    kept: list[SweepMember] = []
    copies: list[tuple[SweepMember, SweepMember]] = []
    for m in members:
        same = next((k for k in kept if _same_curve(k, m)), None)
        if same is None:
            kept.append(m)
        else:
            copies.append((m, same))
    return kept, copies


def _same_curve(a: SweepMember, b: SweepMember) -> bool:
    """The same LR and loss curve, to float32's precision (TensorBoard keeps float32 of what a
    CSV file keeps in full); two seeds never agree that closely over a curve."""
    if a.run is None or b.run is None or a.lr != b.lr or a.setup != b.setup:
        return False
    x, y = a.run.loss, b.run.loss
    return bool(x.steps.size >= 2 and np.array_equal(x.steps, y.steps)
                and np.allclose(x.values, y.values, rtol=1e-6, atol=0.0, equal_nan=True))


def read_sweep(members: Sequence[SweepMember], rank_by: RankedBy | None = None) -> Sweep:
    """Read runs as one sweep (those with no LR are left out), ranked by ``rank_by``
    (``analyze_sweep``; None: as the logs allow).

    Raises:
        ConfigError: fewer than three runs with an LR, or fewer than two LRs, or a validation
            ``rank_by`` where some run logged no validation loss late enough.
    """
    usable = tuple(m for m in members if m.run is not None)
    reading = analyze_sweep([m.run for m in usable if m.run is not None], rank_by)
    varied = also_varied(usable)
    if varied:
        reading = replace(reading, also_varied=varied, summary=(
            f"{reading.summary}; {', '.join(varied)} also differ across these runs (a random "
            "search's, or runs named as one sweep): each run's place is read across them"))
    return Sweep(usable, reading)


def find_sweeps(members: Sequence[SweepMember], rank_by: RankedBy | None = None) -> list[Sweep]:
    """Every sweep among ``members``, grouped by setup."""
    return [read_sweep(g, rank_by) for g in group(members)]


def setup_of(log_run: Any) -> dict[str, Any] | None:
    """What a found run (``lrwatch.readers.LogRun``) logged about its setup, as its reader
    reads it (a store run's metadata, a Lightning ``hparams.yaml``, a Hugging Face run's
    ``config.json`` and training arguments, a W&B run's config; else its own settings file
    beside its log, ``path_setup.own_settings``), or None; with what its name
    says (``name_entry``) under ``"from the run's name"`` where that may give its LR or its
    key."""
    from lrwatch.readers.path_setup import FORMATS, own_settings
    from lrwatch.readers.registry import reader_for

    if log_run.error is not None:
        return None
    logged = reader_for(log_run.format).setup(log_run)
    if logged is None and log_run.format in FORMATS:  # a settings file beside its log
        logged = own_settings(log_run.path)
    named = name_entry(log_run)
    if named is None or (logged and _lr_from(logged) is not None):
        return logged
    return {**(logged or {}), _NAME_ENTRY: named}


def members_of(log_runs: Iterable[Any], read: Any) -> list[SweepMember]:
    """Sweep views of found runs; ``read(log_run)`` gives a ``ReadResult`` or raises
    ``LRWatchError`` (such runs are left out: ``lrwatch analyze`` reports them itself)."""
    found = []
    for log_run in log_runs:
        if log_run.error is not None:
            continue
        try:
            curves = read(log_run).curves
        except LRWatchError:
            continue
        found.append(member(log_run.source, log_run.name, curves, setup_of(log_run)))
    return found


def store_members(store: Any) -> list[tuple[int, SweepMember]]:
    """``(run id, sweep view)`` of every training run of an open ``Store`` (the dashboard's
    door: no log folders, no readers of other formats)."""
    from lrwatch.readers import training_runs

    return [(info.id, _store_member(store, info)) for info in training_runs(store)]


def store_sweep(store: Any, run_id: int) -> Sweep | None:
    """The sweep one run of an open ``Store`` belongs to: the store's training runs of its
    setup, at ``MIN_LRS`` or more LRs, read together (each member named by its run id); None
    when there is none. Only the runs of that setup are read."""
    from lrwatch.readers import training_runs
    from lrwatch.readers.store import store_setup

    infos = training_runs(store)
    mine = next((info for info in infos if info.id == run_id), None)
    key = None if mine is None else setup_key(store_setup(mine.meta))
    if key is None:
        return None
    same = [info for info in infos if setup_key(store_setup(info.meta)) == key]
    members = [_store_member(store, info, name=str(info.id)) for info in same]
    if len({m.lr for m in members if m.lr is not None}) < MIN_LRS:
        return None
    return read_sweep(members)


def _store_member(store: Any, info: Any, name: str | None = None) -> SweepMember:
    from lrwatch.readers import curves_from_store
    from lrwatch.readers.store import store_setup

    return member(store.path, info.name if name is None else name,
                  curves_from_store(store, info), store_setup(info.meta))


def _comparable(tree: Any) -> Any:
    """A setup tree less what differs across one sweep's runs: the LRs, the run's identity
    (``_IDENTITY_KEYS``, seeds, output folders), results (``_RESULT_KEY``) and a text naming
    the run by its LR (``"grid_lr0.001_wd0.01"``: its name)."""
    if not isinstance(tree, dict):
        return tree
    return {k: _comparable(v) for k, v in tree.items() if not _varies_by_run(str(k), v)}


def _varies_by_run(key: str, value: Any) -> bool:
    from lrwatch.readers.hparams import NOT_SETUP

    lower = key.lower()
    if is_lr_name(key) or lower in _IDENTITY_KEYS or lower in NOT_SETUP:
        return True
    if isinstance(value, str):
        return has_lr_token(value)
    return _RESULT_KEY.search(lower) is not None and (
        isinstance(value, float) or lower.startswith("best_"))


def _lr_from(tree: Any) -> float | None:
    """The first LR-named positive number in a setup tree, shallowest first; never another
    LR of the schedule (``warmup_lr``, ``min_lr``: see ``_OTHER_LR``)."""
    queue = [tree]
    while queue:
        node = queue.pop(0)
        if not isinstance(node, dict):
            continue
        for key, value in node.items():
            if (is_lr_name(str(key)) and not _OTHER_LR.search(str(key))
                    and isinstance(value, (int, float))
                    and not isinstance(value, bool) and math.isfinite(value) and value > 0):
                return float(value)
        queue.extend(v for v in node.values() if isinstance(v, dict))
    return None


def _canonical(tree: Any) -> str:
    return json.dumps(tree, sort_keys=True, default=str)
