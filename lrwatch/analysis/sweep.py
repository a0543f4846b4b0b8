"""Read runs of one model that differ only in the learning rate (a sweep) together.

One run's curves cannot tell a too-low LR from a good one: both are smooth and still falling.
Beside each other they can. ``analyze_sweep`` compares the runs at an equal step budget,
estimates the best LR between the grid points, says when the sweep is flat (the loss does not
depend on the LR over the range tried) or when the best sits at an edge of the grid, and tells
each run where it stands.

The method, step by step:

1. **Budget.** Every run is read at the same step: the last step that at least half of the runs
   reached (the median of their last steps). Runs that stopped before it are of two kinds
   (``_stopped_ahead``): one that stopped ahead (it learned, and its level at its last step is
   at or below the best full-length run's at that same step, or its lowest validation loss is
   below theirs: early stopping ends the high LRs that converge first) is read at its own last
   step and ranked by the level it reached there, never by one it did not reach; one cut short
   behind (pruned by a tuner for being worse, crashed) cannot be compared and is placed by LR
   only. A run that stopped ahead leads the fit only where its level is clearly below the
   best full-length run's (``_best_index``); within noise of it, it widens the band instead.
2. **Level.** A run's final loss is the mean of its last ``TAIL_FRACTION`` of points up to the
   budget (a mean, not a median: at too high an LR most batches can score near 0 between
   spikes, and the spikes are the loss); its noise is the standard error of that level, from
   the spread of block means of the same window (so each run's own noise sets its error bar).
   Where every run logged a validation loss late enough (``VAL_REACH``), the level is the
   validation loss at the budget instead: what a user means by "best" (``ranked_by``; the
   summary says so). Where some run that learned overfits (its validation loss ends
   ``VAL_RISE`` above its lowest), each run's lowest validation loss is its level instead: the
   checkpoint a user keeps by early stopping (``ranked_by="best_val_loss"``); unless the best
   run by the training loss or by that lowest overfits itself: then, on a sweep of
   ``OVERFIT_VAL_LRS`` LRs or more, the validation loss at the budget ranks the runs (the
   held-out signal the log has: ``ranked_by="val_loss"``, round 23); on a smaller one the
   training loss ranks them (sources that rank by accuracy, or by the training loss, keep
   those runs), and the validation loss at the budget is read beside it (``_disagreement``):
   where it puts the best LR outside the training loss's band, the band spans both, the
   runs between the two bests and across the validation loss's band (``_disputed_range``) are
   ``unranked``, positions still rest on the training loss's band, and the summary says the
   two losses disagree and that which one ranks the runs is not in the curves. Where the
   best runs overfit (or no validation loss is logged) and every run logged
   a higher-is-better validation metric late enough (``val_acc``, ``eval_accuracy``: what a user
   keeps runs by), that metric ranks them instead, as an error (``_metric_levels``: at the
   budget, or each run's best where some run overfits; ``ranked_by="val_metric"`` /
   ``"best_val_metric"``), runs within ``METRIC_TOLERANCE`` of the best within noise of it.
3. **Diverged.** A run with a non-finite loss before the budget, or a tail median above
   ``BLOWUP`` x its starting loss, diverged: left out of the fit, it bounds the best from above.
4. **Fit.** A lopsided parabola of log level against log10 LR (``ASYMMETRY`` times steeper
   above its minimum than below: loss rises faster past the best LR than short of it) through
   the lowest run and its neighbours on the grid (``FIT_NEIGHBOURS`` each side); its minimum,
   kept between the neighbours, is the best LR (the level itself when a loss is not positive).
   The band: the minimum of refits with each level moved by its noise (``BAND_DRAWS`` draws,
   ``BAND_QUANTILES``), widened to at least ``BAND_GRID_STEPS`` of the grid's step each side
   (on a coarse grid the bowl's shape, not the noise, sets the error) and ``MIN_BAND_DECADES``;
   with no fit (the lowest run's neighbour diverged, or the points do not curve upward) it
   reaches halfway (in log LR) to the next LR tried each side. It is widened to hold every
   run next to the lowest whose level is within noise of it (``_plateau``: noise sigmas, each
   the larger of the level's standard error and ``PLATEAU_SPREAD`` of the spread of the points
   it averages, ``PLATEAU_RELATIVE`` of the level, and ``SAME_DROP`` of the start where the best
   level is itself within that of 0): the training loss cannot rank those LRs, so the best may
   lie anywhere among them. On a grid of LRs ``COARSE_GRID_DECADES`` or more apart the summary
   says that such a grid places the best only to the band's width.
5. **Flat.** The sweep is flat when every finite run's level is within noise of the lowest
   (``FLAT_SIGMAS`` x the combined noise, or ``FLAT_RELATIVE`` of the level, whichever is
   larger) and the lowest run learned: its training loss is clearly below where it started
   (``LEARNED``), or, where a validation loss ranks the runs, that loss is below its own first
   point (``VAL_LEARNED``; each loss against its own start: they can sit on different scales; a
   fine-tune's training loss can fall a few percent while its validation loss falls more):
   the LR is not what limits that model. Runs that all sit at their starting loss learned
   nothing: not flat;
   when every stable run sits there within noise, the best guess is the highest stable LR
   (the loss has not started to move at any LR below it), and the band spans them all; where
   they span ``UNMOVED_DECADES`` or more and none above them blew up, the summary says the LR
   may not be what holds the model back.
6. **Edge.** The lowest level at the first LR: the best may lie lower (``edge="low"``); at the
   last: it may lie higher (``edge="high"``); unless a run beyond it diverged, or was cut short
   at a level above the best run's at that same step (a tuner pruned it for being worse).
7. **Position.** ``diverged``; else ``near_best`` when inside the band and less than
   ``NEAR_FACTOR`` from the estimate (every finite run of a flat sweep is near the best), and
   not a run cut short at a level clearly above the best run's at that same step; else
   ``too_low`` or ``too_high``. A run outside the band is clearly worse than the best or
   beyond what the sweep can resolve: telling it to keep its LR would be a guess. A run next to
   the best whose level is within noise of the best's (``_plateau``) is ``unranked``: its
   position comes from its LR alone, and the advice says the loss cannot rank it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal, Sequence, cast

import numpy as np

from lrwatch.analysis.types import Series
from lrwatch.errors import ConfigError

Position = Literal["too_low", "near_best", "too_high", "diverged"]
Edge = Literal["low", "high"]
POSITIONS: tuple[Position, ...] = ("too_low", "near_best", "too_high", "diverged")

MIN_RUNS = 3  # a parabola needs three levels
# A sweep where no run learned over this many decades of LR, and none blew up, says so: the LR
# may not be what holds the model back (round 45's prompt tuning: 0.1 to 100, nothing moved)
UNMOVED_DECADES = 2.0
TAIL_FRACTION = 0.1  # the level: the mean of the last 10% of points up to the budget ...
MIN_TAIL_POINTS = 5  # ... and at least 5 of them
HEAD_FRACTION = 0.05  # the starting loss: the median of the first 5% of points
BLOWUP = 2.0  # diverged: tail median above 2x the starting loss (the corpus labels' own rule)
LEVEL_BLOCKS = 5  # the level's noise: spread of 5 block means of the tail window
# Flat needs the best run 10% below its start: the corpus's moons sweeps at SGD, all stuck at
# chance (ln 2) up to the LR that diverged, read as flat without it (tuning side).
LEARNED = 0.9
# A validation loss that ranks the runs learned from a 5% fall below its first point, as a
# fine-tune trained for the one-run reading (status_rules.FINE_TRAINED_FALL): a held-out loss
# averages over its whole split, and a fine-tune starts near its floor (sweep round 26: round
# 45's prompt tuning, its validation loss 5.6% down at every LR from 0.1 to 100, read "nothing
# learned, best LR 100, extend the grid" at 10%). Whether the sweep learned, and so whether it
# is flat or unlearned, is read the same way for both.
VAL_LEARNED = 0.95
# The parabola goes through the lowest run and 1 neighbour each side, on the log of the level:
# on the corpus's tuning sweeps (one-decade grids) that put 74% of estimates within 2x of the
# half-decade grid's best, against 70% for the level itself and 60% for 2 neighbours a side.
FIT_NEIGHBOURS = 1
# The bowl is lopsided: on the tuning sweeps with a finer grid (corpus half-decade, quarter-decade
# and made sweeps), the median rise of log level one decade above the finer grid's best is 1.52,
# one decade below it 1.09: 1.4x. A symmetric parabola through a coarse grid's three points
# therefore lands low (median -0.09 decades on the corpus's one-decade halves); this one lands
# at -0.02 and puts 78% of those estimates within 2x of the finer best (74% symmetric; 1.0 to
# 2.0 tried: 1.4 best, tuning side).
ASYMMETRY = 1.4
VERTEX_GRID = 121  # the minimum is searched on 121 points between the outer neighbours
FIT_POINTS = 50  # the fitted curve is drawn through 50 LRs
BAND_DRAWS = 200
BAND_QUANTILES = (0.1, 0.9)  # an 80% band
# The band is never narrower than x2 each side (0.3 decades), the accuracy asked of the estimate:
# on fine grids the training loss does not rank LRs exactly as the held-out loss does (tuning
# side: 117/128 corpus half-decade grids, 3/4 and 9/10 quarter-decade ones within 2x), and a run
# must now be inside the band to be near the best. Tried 0.15, 0.2, 0.25, 0.3 (round 5, tuning
# side): quarter-decade tuning grids' positions 41, 42, 43, 43/44; made grids' 103, 103, 104,
# 105/107; the corpus's 1591/1600 throughout; public sweeps 74/76 throughout.
MIN_BAND_DECADES = 0.3
# The noise-only band covered the finer grid's best on 46% of the corpus's one-decade tuning
# halves: the grid, not the noise, limits a coarse sweep. With this fit the estimate's error, in
# grid steps, has its 80th percentile at 0.31 (corpus one-decade halves), 0.34 (corpus
# half-decade grids), 0.37 and 0.45 (made sweeps' halves and full grids): tuning side.
# Round 17 (every line up to round 15 as tuning data, with ``PLATEAU_SPREAD``): 0.35 held the
# truth on the corpus's one-decade halves 239/256 tuning and 63/64 held-out, its misses 2.2-3.3x
# off; 0.4 / 0.45 / 0.5: 244 / 246 / 248 of 256 and 63 / 64 / 64 of 64; 0.5 cost a public position
# (round 8's TinyStories LM at 1e-3, which its source says to raise, in the band); no other
# line moves (the floor only exceeds ``MIN_BAND_DECADES`` on grids coarser than 0.67 decades).
BAND_GRID_STEPS = 0.45
# A grid of LRs 0.75 decades apart or more (one-decade grids) cannot place the best within 2x:
# the corpus's one-decade halves put 200/256 (78%) tuning and 41/64 (64%) held-out estimates
# within 2x of the half-decade grid's best, the half-decade grids 117/128 and 30/32 (round 17);
# where the truth lies halfway between two coarse LRs, 58% and 32%. Fed the noise-free
# whole-training-set losses the same fit reaches 77% (the first sweep round): the grid, more than
# the noise or the fit, sets that limit (pulling the estimate halfway back to the best run's LR:
# 191/256 and 38/64). The summary says so and names the LRs that would place it closer.
COARSE_GRID_DECADES = 0.75
FLAT_SIGMAS = 2.0  # flat: all levels within 2 combined noise sigmas of the lowest ...
FLAT_RELATIVE = 0.02  # ... or within 2% of it (seed-to-seed spread that one run cannot show)
# The LRs next to the best that the loss cannot rank (the band's plateau, ``unranked``): within
# 1.5% of the best level, not 2%: two public sweeps' sources ask for a higher LR at runs whose
# levels end 1.7% (a 27M GPT's Muon sweep, training loss) and 2.0% (a 12-layer LM's Optuna sweep,
# validation loss) above the best, which 2% kept. Tried 0.01 / 0.015 / 0.02 (round 8, every sweep
# so far as tuning data): public positions 104 / 104 / 103 of 118 and round 5's 31 / 31 / 30 of 35;
# the corpus's tuning one-decade band held the truth 237 / 238 / 238 of 256; no other position
# figure moved.
PLATEAU_RELATIVE = 0.015
# The plateau's noise sigma is never below 0.3 of the spread of the points a level averages (their
# standard deviation), not only the standard error of their mean: two runs whose levels differ
# by less than about one step's scatter (2 x 0.3 x sqrt(2) = 0.85 of it) are not ranked by that
# difference. The standard error alone let the band miss the truth where the training losses of
# the runs around the best end within their own scatter (the corpus's held-out
# cancer_wide_silu, whose losses end within noise of each other from LR 0.03 to 1: its Adam
# sweep's estimate 0.019 against a truth of 0.96, band 0.0086-0.043). Round 17, every line up
# to round 15 as tuning data, 0 / 0.3 / 0.5 / 1 x the spread (``BAND_GRID_STEPS`` 0.35): the
# band held the truth on the corpus's tuning halves 238 / 239 / 239 / 244 of 256, held-out
# halves 59 / 63 / 64 / 64 of 64, held-out grids 31 / 32 / 32 / 32 of 32, quarter-decade tuning
# grids 3 / 4 / 4 / 4 of 4; no position lost on any line (+1 corpus tuning grid, +1
# quarter-decade tuning grid; 1 x: +2 public round 7), no run 10x below the best told
# near_best; the median band on the corpus's tuning grids 0.63 / 0.80 / 1.00 / 1.50 decades
# wide, unranked runs there 145 / 211 / 308 / 488 of 1600 (public sweeps at 0.3: one more
# unranked run, round 5's IMDB Lion at 3e-6). The step-to-step scatter (std of differences /
# sqrt 2) as 1 x gave the figures of 1 x the spread. 0.3 holds the truth at the least width; at
# 0.3 no made or fresh line moves (at 1 x, one of round 15's logistic regression's halves gains its
# band).
PLATEAU_SPREAD = 0.3
NEAR_FACTOR = 10 ** 0.5  # near the best: less than half a decade (x3.16) from the estimate
# Levels within 1% of the starting loss of each other cannot be ranked: near a loss of
# 0 (CIFAR-10 CNNs trained to 0.0002-0.007, the public sweeps' source keeping both LRs) the
# relative noise rules above call any difference real. Only for the band and positions, not for
# flat; tried 0 and 0.01 (round 5, tuning side, with the first band rule tried): the corpus
# tuning half-decade grids' positions 1589 -> 1592/1600, public sweeps 73 -> 74/76.
# Where it started: the median of the runs' starting losses, not the best run's own (round 7: a
# high LR drops the loss within its first 5% of points, so its "start" was 0.16 where the
# sweep's was 2.4 on the public MNIST MLP sweeps; public positions 100 -> 103/118, no corpus
# position changed, its tuning band held the truth 240 -> 238/256).
# Round 10: only where the best level is itself within 1% of the start of 0 (the case above);
# at a loss far from 0 (round 8's public TinyStories LMs: best validation losses 1.5-2.5, starts
# near 10) 1% of the start is 4-7% of the level, and runs whose sources say "raise the LR" at
# 2.2-4.4% above the best read as unranked and near_best. Every sweep so far as tuning data:
# public 104 -> 103/118 (a run the source keeps at 2.05% above the best), round 8's public
# 141 -> 143/148 (+3 of the OpenMOSS students' sweeps, -1), pooled public 293 -> 294/326; every
# other position that moved was one half-decade step from the truth (either answer counts).
SAME_DROP = 0.01
# The validation loss ranks the runs when every run logged one at or past 80% of the budget
# (a point earlier than that says little about where the run ended).
VAL_REACH = 0.8
# A run overfits when its validation loss ends more than 10% above its own lowest. When the best
# runs overfit (the public Keras CIFAR-10 and MNIST MLP sweeps, labelled by validation accuracy:
# their best runs' validation losses end 1.2-7.7x above their lowest; ranked by it, the public
# sweeps' positions fell from 100/118 to 74/118) the validation loss parts from what the user
# ranks by. Tried 0.05 / 0.1 / 0.2 (round 7, tuning side): public 98 / 100 / 100 of 118, round 4's
# fresh halves 12 / 12 / 11 of 12 within 2x, round 5's fresh halves 6 / 6 / 7 of 8.
# Round 9: only the best runs (by the training loss, or by the lowest validation loss) send the
# sweep back to the training loss; when only others overfit, each run's lowest validation loss
# ranks it (early stopping). On the 7 made and fresh sweeps where some run overfits (an LSTM
# LM, a byte MLP, a CNN, a GRU classifier, a linear model, a GRU forecaster, a per-epoch MLP),
# positions 85 -> 93 of 93 on the full grids, 82 -> 86 of 88 on their halves; round 8's
# per-epoch MLP estimate 0.118 -> 0.026 (truth 0.027). Public: 104/118, 31/35, 17/25 unchanged;
# round 8's 142 -> 141/148 (a TinyStories LM whose one overfitting run is one that blew up).
# Gating on the training loss's best alone: round 4's halves 94 -> 92/94 (a CNN whose lowest
# validation losses are 2% apart), round 8's 37 -> 41/41; the smoothed minimum (3-point running
# mean) instead of the lowest point: round 8's halves 41 -> 39/41 and one run 10x below told
# near_best. All sweeps above as tuning data (round 9, every one evaluated before).
VAL_RISE = 0.1
# A validation metric (higher is better: accuracy) ranks a sweep where the losses cannot: where
# the training loss would rank the runs (their best overfit, or no validation loss is logged),
# the metric the user keeps runs by ranks them (``_by_metric``); where the validation loss ranks
# them it goes on doing so. Metrics within ``METRIC_TOLERANCE`` of the scale (1 point of
# accuracy) are within noise of each other: the sampling error of a 10,000-image validation
# split's accuracy at 85% is 0.36 points (two of them, 2 sigmas apart: 1.0), and the public
# sources labelled by accuracy call runs within 1 point of the best healthy. Round 22, every
# line through round 29 as tuning data, the 17 public sweeps labelled by an accuracy their logs
# hold (the MNIST MLPs, round 7's MNIST CNN, DeepOBS's and step-back's CIFAR, char-RNN and
# ImageNet-32 sweeps): positions 133/155 under round 20's rules; ranked by the metric wherever
# every run logs it, 130 / 133 of 155 at a tolerance of 0 / 1 point; only where the training
# loss would rank them (10 of the 17; the other 7 stay ranked by the validation loss), 130 / 134
# / 134 / 134 at 0 / 0.5 / 1 / 2 points; within 2x of a kept run 15 -> 14 of 17 throughout (two
# decade grids whose estimate falls between two kept runs, one the other way). Beside the sweep
# (``realworld_diagnosis --with-sweeps``) at 1 point, only where the training loss would rank:
# status right on rounds 6, 7 and 21's sides 74 / 76 / 91% -> 83 / 91 / 92%, the right way 83 /
# 76 / 96% -> 86 / 94 / 98%, 10x the wrong way 7 / 9 / 0% -> 5 / 3 / 0%; at 0.5 point round 6
# read 79 / 79 / 10%; ranked wherever logged, round 21 read 90% (status).
METRIC_TOLERANCE = 0.01
# Where the best runs overfit and no metric is logged, the validation loss at the budget ranks a
# sweep of this many LRs or more (not the training loss: rounds 9-21 kept it for the public
# sweeps labelled by accuracy, which a logged accuracy ranks since round 22). Round 23, every
# line through round 30 as tuning data (BENCHMARKS.md "Sweep round 23"): made and fresh full
# grids within 2x 72 -> 83 of 88, positions 1072 -> 1128 of 1141, their halves 135 -> 154 of
# 169 and 1046 -> 1099 of 1117; public round 26 88 -> 98 of 101, round 30 13 -> 15 of 15; at a
# cost on round 28's char GPT AdamW (18 -> 15 of 25), round 4's fresh halves (94 -> 92 of 94)
# and round 9's (39 -> 38 of 39). Each run's lowest validation loss instead: 75 of 88, 1099,
# 143 of 169, 1067. On sweeps of 3-4 LRs (none in the sweeps benchmark) it moved runs both ways
# beside their sweep: round 13's public side gained a status and two ways, but a 3-LR sweep told
# a run labelled keep to reduce 12.5x (rounds 1-4's tuning sides' 10x wrong-way count 0 -> 1):
# below 5 LRs the training loss still ranks them, the two losses' disagreement read beside it.
OVERFIT_VAL_LRS = 5
RankedBy = Literal["loss", "val_loss", "best_val_loss", "val_metric", "best_val_metric"]
_LOSS_NAMES: dict[str, str] = {"loss": "training loss", "val_loss": "validation loss",
                               "best_val_loss": "lowest validation losses",
                               "val_metric": "validation metric",
                               "best_val_metric": "best validation metric"}
_METRIC_RANKS = ("val_metric", "best_val_metric")
_SEED = 0  # the band's draws are reproducible


@dataclass(frozen=True)
class SweepRun:
    """One run of a sweep: its name, its (peak) learning rate and its loss curve."""

    name: str
    lr: float
    loss: Series
    val_loss: Series | None = None  # when logged: what "best" means to a user (``_by_validation``)
    # a higher-is-better validation metric (accuracy, top-1, F1...) when logged: the measure a
    # user keeps a run by, which ranks the sweep before any loss (``_metric_levels``)
    val_metric: Series | None = None
    val_metric_name: str | None = None  # its column, for the summary (``val_acc``)


@dataclass(frozen=True)
class RunPlace:
    """Where one run stands in its sweep."""

    name: str
    lr: float
    position: Position
    final_loss: float | None  # the level at the budget (None when diverged before it)
    final_loss_noise: float | None
    factor: float | None  # the estimated best LR / this LR (None when the sweep is flat)
    suggested_lr: float | None
    pruned: bool  # stopped before the budget: placed by its LR only
    level_step: int | None  # the step its level was read at
    # its level is within noise of the best run's (not the best run itself): the loss cannot
    # rank it against the best, so its position rests on its LR alone
    unranked: bool = False
    # where the loss that ranked it started (the median of its first points; None when unknown)
    start_loss: float | None = None


@dataclass(frozen=True)
class SweepReading:
    """What a sweep says: the best LR with its band, flat or not, an edge, each run's place."""

    runs: tuple[RunPlace, ...]
    budget_step: int
    best_lr: float | None
    best_lr_low: float | None
    best_lr_high: float | None
    flat: bool
    edge: Edge | None
    fit: tuple[tuple[float, ...], tuple[float, ...]] | None  # the fitted curve: (LRs, levels)
    summary: str
    # the levels compared: the training loss, the validation loss at the budget, or each run's
    # lowest validation loss (its early-stopping checkpoint, where some runs overfit)
    ranked_by: RankedBy = "loss"
    # where the training loss ranked the runs although the best of them overfit and the
    # validation loss at the budget puts the best elsewhere: its best LR (the band spans both,
    # and the runs between the two are unranked); None otherwise
    validation_best_lr: float | None = None
    # the LRs the two losses rank differently there: from the validation loss's best, or the
    # far end of its band, to the training loss's best (``_disputed_range``); None otherwise.
    # Not in ``to_dict``: issue 14's JSON carries ``validation_best_lr`` and ``unranked``
    disputed_lrs: tuple[float, float] | None = None
    # the numeric settings other than the LR that differ across the runs (a random search's,
    # or runs named as one; set by ``lrwatch.sweeps``, which knows the runs' setups): each
    # run's place is read across them
    also_varied: tuple[str, ...] = ()

    def place(self, name: str) -> RunPlace | None:
        return next((run for run in self.runs if run.name == name), None)

    def to_dict(self) -> dict[str, object]:
        """The ``lrwatch sweep --json`` entry of this sweep."""
        return {
            "runs": [{"run": r.name, "lr": r.lr, "position": r.position,
                      "final_loss": _finite(r.final_loss), "suggested_lr": r.suggested_lr,
                      "unranked": r.unranked}
                     for r in self.runs],
            "best_lr": self.best_lr, "best_lr_low": self.best_lr_low,
            "best_lr_high": self.best_lr_high, "flat": self.flat, "edge": self.edge,
            "budget_step": self.budget_step, "ranked_by": self.ranked_by,
            "validation_best_lr": self.validation_best_lr, "summary": self.summary,
            "also_varied": list(self.also_varied),
        }


@dataclass(frozen=True)
class _Level:
    value: float  # NaN when the run diverged before the budget
    noise: float
    diverged: bool
    pruned: bool
    step: int | None
    start: float  # the starting loss (median of the first points)
    # the spread of the points the level averages (their standard deviation; 0 for a validation
    # level, one point): how far one step's loss strays, which ``_plateau`` reads beside ``noise``
    spread: float = 0.0


def analyze_sweep(runs: Sequence[SweepRun], rank_by: RankedBy | None = None) -> SweepReading:
    """Compare runs that differ in the LR; see the module docstring for the method.

    ``rank_by`` says what ranks the runs when the user knows (the training loss, the validation
    loss at the budget, or each run's lowest validation loss: what the user keeps); None lets
    the logs decide (step 2 of the method). Whether runs overfit is not in the curves alone:
    a user who ranks by a test loss and one who ranks by accuracy keep different runs.

    Raises:
        ConfigError: fewer than ``MIN_RUNS`` runs, fewer than two distinct LRs, an LR that
            is not a finite number above 0, or a validation ``rank_by`` where some run logged
            no validation loss late enough.
    """
    for run in runs:
        if not (isinstance(run.lr, (int, float)) and math.isfinite(run.lr) and run.lr > 0):
            raise ConfigError(f"run '{run.name}' has LR {run.lr!r}: a sweep needs each run's "
                              "learning rate, a finite number above 0")
    if len(runs) < MIN_RUNS or len({run.lr for run in runs}) < 2:
        raise ConfigError(f"a sweep needs at least {MIN_RUNS} runs at 2 or more learning rates "
                          f"(got {len(runs)} runs at {len({r.lr for r in runs})} LRs)")
    ordered = sorted(runs, key=lambda r: r.lr)
    budget = _budget(ordered)
    levels = [_level(run.loss, budget) for run in ordered]
    ahead = _stopped_ahead(ordered, levels, budget)
    levels = [replace(lv, pruned=False) if done else lv for lv, done in zip(levels, ahead)]
    ranked_by: RankedBy = "loss"
    validation = _validation_levels(ordered, levels, budget, ahead)
    metric = _metric_levels(ordered, levels, budget, ahead, validation)
    if rank_by in _METRIC_RANKS:
        by_validation = _chosen_metric(metric, cast(RankedBy, rank_by))
    else:
        by_validation = _by_validation(levels, validation) if rank_by is None \
            else _chosen_levels(validation, rank_by)
        if rank_by is None and by_validation is None and metric is not None:
            by_validation = _by_metric(metric)  # the metric, not the training loss, decides
        elif rank_by is None and by_validation is None and validation is not None \
                and len({run.lr for run in ordered}) >= OVERFIT_VAL_LRS:
            # the best runs overfit and no metric is logged: the held-out signal the log has,
            # the validation loss at the budget, ranks them (``OVERFIT_VAL_LRS``'s note)
            by_validation = validation[0], "val_loss"
    trained = levels  # the training loss's levels: whether a run learned is read on them
    if by_validation is not None:
        levels, ranked_by = by_validation
    lrs = np.array([run.lr for run in ordered])
    usable = np.array([not lv.diverged and not lv.pruned for lv in levels])
    if np.count_nonzero(usable) == 0:
        places = tuple(_place(run, lv, None, False) for run, lv in zip(ordered, levels))
        return SweepReading(places, budget, None, None, None, False, None, None,
                            f"no run reached step {budget} without diverging: no best LR")
    x = np.log10(lrs[usable])
    y = np.array([lv.value for lv in levels])[usable]
    noise = np.array([lv.noise for lv in levels])[usable]
    starts = np.array([lv.start for lv in levels])[usable]
    lowest_i = int(np.argmin(y))
    lowest = [lv for lv, ok in zip(trained, usable) if ok][lowest_i]
    learned = bool(lowest.value < LEARNED * lowest.start
                   or ranked_by in ("val_loss", "best_val_loss") and _validation_fell(
                       [run for run, ok in zip(ordered, usable) if ok], y[lowest_i]))
    flat = bool(np.count_nonzero(usable) >= MIN_RUNS and _is_flat(y, noise) and learned)
    stopped = np.array(ahead, dtype=bool)[usable]
    best_i = _best_index(y, noise, starts, stopped)
    best_run = [run for run, ok in zip(ordered, usable) if ok][best_i]
    edge: Edge | None = None
    if not flat and best_i == 0 and x.size > 1 and not _bounded(
            best_run, [(r, lv) for r, lv in zip(ordered, levels) if r.lr < best_run.lr]):
        edge = "low"
    elif not flat and best_i == x.size - 1 and x.size > 1 and not _bounded(
            best_run, [(r, lv) for r, lv in zip(ordered, levels) if r.lr > best_run.lr]):
        edge = "high"
    tried = np.log10(lrs[[not lv.pruned for lv in levels]])
    # the fit runs through the runs that went the distance, and through the runs that stopped
    # ahead only where one of them is the best (``_best_index``): a run stopped early within
    # noise of the best does not pull the estimate toward its LR (it widens the band, below).
    # Round 20: fitted as neighbours, round 10's SUSY logistic regression's stopped runs at 0.8
    # and 1.4 (0.3% below 0.2) drew its estimate from 0.195 to 0.8 (that line 53 -> 52 of 83,
    # a 12-layer LM's Optuna sweep lost a position: 103 -> 102 of 118 on the tuning line; round
    # 24's LSTM gained one, 8 -> 9 of 9); fitted only when one leads: 103, 54, 8 (round 25: 5/7)
    fitted = ~stopped | bool(stopped[best_i])
    best_x, low_x, high_x, fit = _estimate(x[fitted], y[fitted], noise[fitted],
                                           int(np.count_nonzero(fitted[:best_i])), tried)
    spread = np.array([lv.spread for lv in levels])[usable]
    first, last = _plateau(y, np.maximum(noise, PLATEAU_SPREAD * spread), starts)
    low_x, high_x = min(low_x, float(x[first])), max(high_x, float(x[last]))
    note = ""
    if not flat and last - first >= 2:
        note = (f"; the runs at LR {10 ** x[first]:.3g} to {10 ** x[last]:.3g} end within noise "
                f"of each other: their {_LOSS_NAMES[ranked_by]} cannot rank them")
    unlearned = not flat and first == 0 and last == x.size - 1 and x.size >= MIN_RUNS \
        and not learned
    if unlearned:  # every stable run sits at its starting loss: the LR has not started to act
        note = "; no stable run learned: the best guess is the highest stable LR"
        best_run = [run for run, ok in zip(ordered, usable) if ok][-1]
        best_x, fit, high_x = float(x[last]), None, max(high_x, float(x[last]))
        edge = None if _bounded(best_run, [(r, lv) for r, lv in zip(ordered, levels)
                                           if r.lr > best_run.lr]) else "high"
        span = float(x[last] - x[first])
        if edge == "high" and span >= UNMOVED_DECADES:  # nothing above it acted either
            note = (f"; no stable run learned at any LR from {10 ** x[first]:.3g} to "
                    f"{10 ** x[last]:.3g} ({10 ** span:.0f}x apart), and none blew up: the LR "
                    "may not be what holds this model back; if it is, the best guess is the "
                    "highest stable LR")
    grid = np.unique(tried)
    step = float(np.median(np.diff(grid))) if grid.size > 1 else 0.0
    if not flat and not unlearned and edge is None and step >= COARSE_GRID_DECADES:
        note += (f"; the LRs tried are {10 ** step:.3g}x apart: a grid this coarse places the "
                 f"best LR only within the band, runs between {10 ** low_x:.3g} and "
                 f"{10 ** high_x:.3g} would place it closer")
    done = [(run, lv) for run, lv, a in zip(ordered, levels, ahead) if a]
    if done and not unlearned:
        note += (f"; the run{'s' if len(done) > 1 else ''} at LR "
                 f"{_listed([f'{run.lr:.3g}' for run, _ in done])} stopped early (step"
                 f"{'s' if len(done) > 1 else ''} "
                 f"{_listed([str(lv.step) for _, lv in done])}) at or below the best full-length "
                 "run at that step, as early stopping ends runs that are done, not as a tuner "
                 f"prunes runs that are behind: {'each is' if len(done) > 1 else 'it is'} ranked "
                 "by the level it reached")
    best_lr = 10 ** best_x
    stable = [run for run, ok in zip(ordered, usable) if ok]
    unranked = set() if flat else {r.name for r in stable[first:last + 1]} - {best_run.name}
    disagreement = None if by_validation is not None or validation is None or flat \
        or unlearned or rank_by is not None \
        else _disagreement(ordered, levels, validation[0], tried, (low_x, high_x))
    placing_band = (10 ** low_x, 10 ** high_x)  # positions rest on the loss that ranked the runs
    if disagreement is not None:
        val_x, val_low, val_high = disagreement
        low_x, high_x = min(low_x, val_low), max(high_x, val_high)
        between = _disputed_range(best_x, val_x, val_low, val_high)
        unranked |= {r.name for r in stable if between[0] <= math.log10(r.lr) <= between[1]}
        note += (f"; the best runs by the training loss overfit (their validation loss ends "
                 f"over {VAL_RISE:.0%} above its lowest) and the validation loss at step "
                 f"{budget} puts the best LR at about {10 ** val_x:.3g}: the two losses "
                 f"disagree, so the band spans both and the runs at LR {10 ** between[0]:.3g} "
                 f"to {10 ** between[1]:.3g} are not ranked; which loss ranks them is not in "
                 "the curves: rank by 'val_loss' where a held-out loss of each run's final "
                 "model decides, by 'loss' where the training loss or accuracy does")
    places = tuple(_place(run, lv, best_lr, flat, placing_band, best_run,
                          run.name in unranked)
                   for run, lv in zip(ordered, levels))
    reading = SweepReading(places, budget, best_lr, 10 ** low_x, 10 ** high_x, flat, edge,
                           fit, "", ranked_by,
                           None if disagreement is None else 10 ** disagreement[0],
                           None if disagreement is None else (10 ** between[0], 10 ** between[1]))
    names = {r.val_metric_name for r in ordered if r.val_metric_name}
    name = names.pop() if len(names) == 1 else None
    return SweepReading(**{**vars(reading), "summary": _summary(reading, name) + note})


def _budget(runs: Sequence[SweepRun]) -> int:
    """The step every run is read at: the last step at least half of the runs reached."""
    ends = sorted(_last_step(run.loss) for run in runs)
    return int(ends[len(ends) - math.ceil(len(ends) / 2)])


def _last_step(loss: Series) -> int:
    return int(loss.steps.max()) if loss.steps.size else -1


def _level(loss: Series, budget: int) -> _Level:
    """A run's loss level at ``budget`` (its own end when it stopped before)."""
    order = np.argsort(loss.steps, kind="stable")
    steps, values = loss.steps[order], loss.values[order]
    if steps.size == 0:
        return _Level(math.nan, math.nan, False, True, None, math.nan)
    pruned = int(steps[-1]) < budget
    keep = steps <= budget
    steps, values = steps[keep], values[keep]
    if steps.size == 0:
        return _Level(math.nan, math.nan, False, True, None, math.nan)
    finite = np.isfinite(values)
    head = values[: max(1, int(HEAD_FRACTION * values.size))]
    start = float(np.median(head[np.isfinite(head)])) if np.isfinite(head).any() else math.nan
    if not finite.all():
        return _Level(math.nan, math.nan, True, pruned, None, start)
    n_tail = min(values.size, max(MIN_TAIL_POINTS, int(math.ceil(TAIL_FRACTION * values.size))))
    tail = values[-n_tail:]
    value = float(np.mean(tail))
    blocks = [float(np.mean(b)) for b in np.array_split(tail, LEVEL_BLOCKS) if b.size]
    noise = float(np.std(blocks, ddof=1) / math.sqrt(len(blocks))) if len(blocks) > 1 else 0.0
    spread = float(np.std(tail, ddof=1)) if tail.size > 1 else 0.0
    diverged = bool(math.isfinite(start) and start > 0 and np.median(tail) > BLOWUP * start)
    return _Level(value, noise, diverged, pruned, int(steps[-1]), start, spread)


def _validation_levels(runs: Sequence[SweepRun], levels: list[_Level], budget: int,
                       ahead: Sequence[bool] | None = None
                       ) -> tuple[list[_Level], list[_Level], list[bool]] | None:
    """Each run's validation loss at the budget (its last point at or before it) and its lowest
    up to the budget, as levels, and whether the run overfits (it learned, and its validation
    loss ends ``VAL_RISE`` above its lowest); None unless every run read at the budget logged
    one late enough (at or past ``VAL_REACH`` of the budget). A run that stopped ahead
    (``_stopped_ahead``) is read the same way up to its own last step. A run whose validation
    loss is not finite at its last point diverged. The noise is left at 0: the relative rules
    (``FLAT_RELATIVE``, ``SAME_DROP``) still keep levels a few percent apart unranked."""
    last_levels, lowest_levels, overfit = [], [], []
    for i, (run, level) in enumerate(zip(runs, levels)):
        if level.diverged or level.pruned:
            last_levels.append(level)
            lowest_levels.append(level)
            overfit.append(False)
            continue
        val = run.val_loss
        if val is None:
            return None
        end = level.step if ahead is not None and ahead[i] and level.step is not None \
            else budget
        keep = val.steps <= end
        if not keep.any() or int(val.steps[keep].max()) < VAL_REACH * end:
            return None
        last = val.values[keep][int(np.argmax(val.steps[keep]))]
        lowest = float(np.nanmin(val.values[keep])) if np.isfinite(val.values[keep]).any() \
            else math.nan
        overfit.append(bool(level.value < LEARNED * level.start
                            and last > (1 + VAL_RISE) * lowest))
        if not math.isfinite(last):
            gone = _Level(math.nan, math.nan, True, False, level.step, level.start)
            last_levels.append(gone)
            lowest_levels.append(gone)
        else:
            last_levels.append(_Level(float(last), 0.0, False, False, level.step, level.start))
            lowest_levels.append(_Level(lowest, 0.0, False, False, level.step, level.start))
    return last_levels, lowest_levels, overfit


def _by_validation(levels: list[_Level],
                   validation: tuple[list[_Level], list[_Level], list[bool]] | None
                   ) -> tuple[list[_Level], RankedBy] | None:
    """The levels that rank the runs when the validation loss does (``_validation_levels``):
    the validation loss at the budget, or, where some run overfits, each run's lowest; None
    without validation levels, or when the best run by the training loss or by its lowest
    validation loss overfits (then the training loss ranks the runs, and the validation loss at
    the budget is read beside it: ``_disagreement``)."""
    if validation is None:
        return None
    last_levels, lowest_levels, overfit = validation
    if not any(overfit):
        return last_levels, "val_loss"
    usable = [i for i, lv in enumerate(lowest_levels) if not lv.diverged and not lv.pruned]
    best_by_loss = min(usable, key=lambda i: levels[i].value)
    best_by_val = min(usable, key=lambda i: lowest_levels[i].value)
    if overfit[best_by_loss] or overfit[best_by_val]:
            return None  # the best runs overfit: the validation loss parts from what users rank by
    return lowest_levels, "best_val_loss"


def _chosen_levels(validation: tuple[list[_Level], list[_Level], list[bool]] | None,
                   rank_by: RankedBy) -> tuple[list[_Level], RankedBy] | None:
    """The levels of the loss the user ranks by (``_validation_levels``; None: the training
    loss's)."""
    if rank_by == "loss":
        return None
    if validation is None:
        raise ConfigError(
            f"rank by {rank_by!r} needs a validation loss in every run, logged at or past "
            f"{VAL_REACH:.0%} of the step budget; some run has none: rank by 'loss' (the "
            "training loss) or let the logs choose")
    last_levels, lowest_levels, _ = validation
    return (last_levels if rank_by == "val_loss" else lowest_levels), rank_by


_METRIC_SCALE_NOTE = "1 - the metric, or 100 - it where it is logged in percent"


def _metric_levels(runs: Sequence[SweepRun], levels: list[_Level], budget: int,
                   ahead: Sequence[bool],
                   validation: tuple[list[_Level], list[_Level], list[bool]] | None
                   ) -> tuple[list[_Level], list[_Level], list[bool]] | None:
    """Each run's validation metric (higher is better: accuracy, top-1, F1) as an error, lower
    is better (``_METRIC_SCALE_NOTE``), at the budget and at its best up to the budget, read as
    ``_validation_levels`` reads the validation loss (every run read at the budget logged it at
    or past ``VAL_REACH`` of it, else None), and whether each run overfits: by its validation
    loss where every run logs one (``validation``), else by its error ending ``VAL_RISE`` above
    its lowest. Its start: the median error of its first ``HEAD_FRACTION`` of points; its noise
    puts ``METRIC_TOLERANCE`` of the scale within noise (``_within_noise``).
    Round 22: the sources that label a sweep by accuracy keep the runs with the best accuracy;
    where their logs hold it, it ranks the runs, not a loss that parts from it (the best runs'
    validation losses rise while their accuracy still improves)."""
    if not any(run.val_metric is not None for run in runs):
        return None
    logged = [run.val_metric.values[np.isfinite(run.val_metric.values)] for run in runs
              if run.val_metric is not None]
    top = max((float(v.max()) for v in logged if v.size), default=0.0)
    scale = 100.0 if top > 1.0 else 1.0
    # the noise sigma that puts ``METRIC_TOLERANCE`` of the scale within noise (``_within_noise``)
    noise = METRIC_TOLERANCE * scale / (FLAT_SIGMAS * math.sqrt(2))
    last_levels, best_levels, overfit = [], [], []
    for i, (run, level) in enumerate(zip(runs, levels)):
        if level.diverged or level.pruned:
            last_levels.append(level)
            best_levels.append(level)
            overfit.append(False)
            continue
        metric = run.val_metric
        if metric is None:
            return None
        end = level.step if ahead[i] and level.step is not None else budget
        keep = metric.steps <= end
        if not keep.any() or int(metric.steps[keep].max()) < VAL_REACH * end:
            return None
        order = np.argsort(metric.steps[keep], kind="stable")
        error = scale - metric.values[keep][order]
        head = error[: max(1, int(HEAD_FRACTION * error.size))]
        start = float(np.median(head[np.isfinite(head)])) if np.isfinite(head).any() \
            else math.nan
        last = float(error[-1])
        lowest = float(np.nanmin(error)) if np.isfinite(error).any() else math.nan
        if validation is not None:
            overfit.append(validation[2][i])
        else:
            overfit.append(bool(lowest < LEARNED * start and last > (1 + VAL_RISE) * lowest))
        if not math.isfinite(last):
            gone = _Level(math.nan, math.nan, True, False, level.step, start)
            last_levels.append(gone)
            best_levels.append(gone)
        else:
            last_levels.append(_Level(last, noise, False, False, level.step, start))
            best_levels.append(_Level(lowest, noise, False, False, level.step, start))
    return last_levels, best_levels, overfit


def _by_metric(metric: tuple[list[_Level], list[_Level], list[bool]]
               ) -> tuple[list[_Level], RankedBy]:
    """The levels that rank the runs when every run logs a validation metric
    (``_metric_levels``): its error at the budget, or, where some run overfits, each run's best
    (the checkpoint early stopping keeps). Unlike the validation loss, the metric ranks the
    sweep even where the best runs overfit: it is what the user keeps runs by. Called only
    where the training loss would rank the runs (``METRIC_TOLERANCE``'s note)."""
    last_levels, best_levels, overfit = metric
    return (best_levels, "best_val_metric") if any(overfit) else (last_levels, "val_metric")


def _chosen_metric(metric: tuple[list[_Level], list[_Level], list[bool]] | None,
                   rank_by: RankedBy) -> tuple[list[_Level], RankedBy]:
    """The levels of the validation metric the user ranks by (``_metric_levels``)."""
    if metric is None:
        raise ConfigError(
            f"rank by {rank_by!r} needs a validation metric (accuracy: val_acc, val_accuracy, "
            f"eval_accuracy ...) in every run, logged at or past {VAL_REACH:.0%} of the step "
            "budget; some run has none: rank by 'loss' or 'val_loss', or let the logs choose")
    return (metric[0] if rank_by == "val_metric" else metric[1]), rank_by


def _disagreement(runs: Sequence[SweepRun], levels: list[_Level], val_levels: list[_Level],
                  tried: np.ndarray, band: tuple[float, float]
                  ) -> tuple[float, float, float] | None:
    """Where the training loss (``levels``) ranks the runs although the best of them overfit:
    the best log10 LR by the validation loss at the budget (the model each run ends with) among
    the runs that learned (a run at its starting loss has a low validation loss too: it predicts
    nothing confidently) and its band, when that estimate lies outside the training loss's
    ``band``; None when they agree.
    Neither loss can be trusted alone there: the public sweeps ranked by accuracy or by the
    training loss keep the overfitting runs, a test loss does not (round 11's per-epoch MLP)."""
    usable = [i for i, lv in enumerate(val_levels) if not lv.diverged and not lv.pruned
              and levels[i].value < LEARNED * levels[i].start]
    if len(usable) < MIN_RUNS:
        return None
    x = np.log10([runs[i].lr for i in usable])
    y = np.array([val_levels[i].value for i in usable])
    val_x, low, high, _ = _estimate(x, y, np.zeros_like(y), int(np.argmin(y)), tried)
    if band[0] <= val_x <= band[1]:
        return None
    return val_x, low, high


def _disputed_range(best_x: float, val_x: float, val_low: float, val_high: float
                    ) -> tuple[float, float]:
    """The log10 LRs the training loss (best at ``best_x``) and the validation loss at the
    budget (best at ``val_x``, band ``val_low`` to ``val_high``) rank differently: from the
    training loss's best to the validation loss's, and on to the far end of the validation
    loss's band, which cannot rank the runs inside it against its best.
    Round 13, every sweep so far as tuning data: between the two bests only, analyze told 6 runs
    within 1.5x of the truth or kept by their source to increase 10-30x (round 11's per-epoch
    MLP at 3.2e-4 and round 12's docstring classifier at 5.6e-4, each on its full grid and its
    even half; the public MNIST MLP at 7.9e-4 and MNIST CNN at 0.0215, kept by their sources);
    with the band's far end they are told to run a range test, as are 3 runs told increase
    rightly (Keras Adagrad 0.003, two MNIST MLP runs whose sources say up). No position,
    estimate or band moves."""
    if val_x < best_x:
        return val_low - 1e-9, best_x + 1e-9
    return best_x - 1e-9, val_high + 1e-9


def _stopped_ahead(runs: Sequence[SweepRun], levels: list[_Level], budget: int) -> list[bool]:
    """Which runs that stopped before the budget stopped ahead, as early stopping ends a run
    whose validation loss has stopped improving (the high LRs that converge fastest stop
    first), not behind, as a tuner prunes a run for being worse: a run that learned (its level
    ``LEARNED`` below its start) whose level at its last step is at or below the best
    full-length run's at that same step, or whose lowest validation loss is below the lowest
    any full-length run reached by the budget. Such a run is ranked by the level it reached at
    its own end (never by one it did not reach); the others stay placed by their LR.
    Round 20, every line up to round 25 as tuning data: 68 runs ended before the budget, 13 of
    made sweeps (all diverging) and 55 of public ones: the 23 that learned and stopped at or
    below the best full-length run's level at their last step are all kept by their sources
    (22; one unlabelled: a Penn Treebank RNN's 0.2, 0.5 and 1 under early stopping, round 10's
    logistic regressions and SVMs, round 24's LSTMs, a 12-layer LM's Optuna runs stopped at
    their trial's end); of the 13 that learned and stopped above it (TinyStories LMs cut short,
    a CNN) 11 are told to go down and 2, within 0.5% of it, kept; 12 stopped near their starting
    loss (9 down: the Optuna-pruned LMs among them; 2 keep, 1 up) and 7 diverged."""
    full = [i for i, lv in enumerate(levels) if not lv.pruned and not lv.diverged
            and math.isfinite(lv.value)]
    if not full:
        return [False] * len(levels)
    best = runs[min(full, key=lambda i: levels[i].value)]
    best_val = min((_lowest_val(runs[i].val_loss, budget) for i in full), default=math.nan)
    ahead = []
    for run, level in zip(runs, levels):
        if not level.pruned or level.diverged or level.step is None \
                or not math.isfinite(level.value) or not level.value < LEARNED * level.start:
            ahead.append(False)
            continue
        ref = _level(best.loss, level.step)
        ahead.append(bool(level.value <= ref.value
                          or _lowest_val(run.val_loss, level.step) < best_val))
    return ahead


def _best_index(y: np.ndarray, noise: np.ndarray, starts: np.ndarray, ahead: np.ndarray) -> int:
    """The run the fit centres on: the lowest level, unless that is a run that stopped ahead
    (``_stopped_ahead``) within noise of the lowest full-length run (``_within_noise`` with
    ``PLATEAU_RELATIVE``, as ``_plateau``): a run stopped early ranks first only on a level
    clearly below what the runs that went the distance reached. Round 20: round 10's public
    logistic regressions under Adam, whose runs from 0.02 to 1.4 end within 0.3% of each other
    and are all kept by their source, moved their estimates from 0.11 and 0.20 to 1.09 on runs
    stopped 0.03-0.3% lower without it (that line's positions 53 -> 50 of 83)."""
    low = int(np.argmin(y))
    full = np.flatnonzero(~ahead)
    if not ahead[low] or full.size == 0:
        return low
    alt = int(full[np.argmin(y[full])])
    start = float(np.median(starts))
    near_zero = abs(y[low]) < SAME_DROP * start
    tied = y[alt] - y[low] <= _within_noise(noise[alt], noise[low], y[low],
                                            start if near_zero else 0.0, PLATEAU_RELATIVE)
    return alt if tied else low


def _lowest_val(val: Series | None, end: int) -> float:
    """The lowest finite validation loss logged up to step ``end`` (NaN without one)."""
    if val is None:
        return math.nan
    keep = (val.steps <= end) & np.isfinite(val.values)
    return float(np.min(val.values[keep])) if keep.any() else math.nan


def _bounded(best: SweepRun, beyond: list[tuple[SweepRun, _Level]]) -> bool:
    """Whether a run beyond the best LR shows the loss rising there: it diverged, or it was cut
    short with a level above the best run's level at that same step."""
    for run, level in beyond:
        if level.diverged:
            return True
        if level.pruned and level.step is not None and \
                level.value > _level(best.loss, level.step).value:
            return True
    return False


def _validation_fell(runs: Sequence[SweepRun], level: float) -> bool:
    """``level`` is ``VAL_LEARNED`` below where the runs' validation loss started: the highest of
    their first validation points (runs of one sweep start from the same weights; the slowest
    moved least by its first evaluation). Read on that loss's own scale: a fine-tune's training
    loss can fall a few percent while the task's validation loss falls 10% and more."""
    firsts = [run.val_loss.values[int(np.argmin(run.val_loss.steps))] for run in runs
              if run.val_loss is not None and run.val_loss.values.size >= 2]
    start = max((v for v in firsts if math.isfinite(v)), default=math.nan)
    return bool(math.isfinite(start) and start > 0 and level < VAL_LEARNED * start)


def _is_flat(y: np.ndarray, noise: np.ndarray) -> bool:
    """Every level within noise of the lowest one."""
    low = int(np.argmin(y))
    return bool(np.all(y - y[low] <= _within_noise(noise, noise[low], y[low])))


def _within_noise(noise: np.ndarray | float, best_noise: float, best: float,
                  start: float = 0.0, relative: float = FLAT_RELATIVE) -> np.ndarray | float:
    """How far above the best level a level can lie and still not be told from it:
    ``FLAT_SIGMAS`` combined noise sigmas, ``relative`` of the level, or (``start``: the
    sweep's starting loss) ``SAME_DROP`` of where it started."""
    return np.maximum(np.maximum(FLAT_SIGMAS * np.hypot(noise, best_noise),
                                 relative * abs(best)), SAME_DROP * start)


def _plateau(y: np.ndarray, noise: np.ndarray, starts: np.ndarray) -> tuple[int, int]:
    """The first and last index of the runs next to the lowest level (and it) whose levels
    are within noise of it (``_within_noise``, with ``PLATEAU_RELATIVE`` of the level and,
    where the lowest level is within ``SAME_DROP`` of the median starting loss of 0, that much
    of it): LRs the loss cannot rank."""
    low = int(np.argmin(y))
    start = float(np.median(starts))
    near_zero = abs(y[low]) < SAME_DROP * start
    within = y - y[low] <= _within_noise(noise, noise[low], y[low], start if near_zero else 0.0,
                                         PLATEAU_RELATIVE)
    first = last = low
    while first > 0 and within[first - 1]:
        first -= 1
    while last < y.size - 1 and within[last + 1]:
        last += 1
    return first, last


def _bowl(fit: tuple[float, float, float], x: np.ndarray) -> np.ndarray:
    """The lopsided parabola ``fit`` = (minimum, curvature below it, level there) at ``x``."""
    x0, a, c = fit
    u = x - x0
    return c + a * np.where(u < 0, 1.0, ASYMMETRY) * u * u


def _vertex(x: np.ndarray, y: np.ndarray, lo: float, hi: float
            ) -> tuple[float, tuple[float, float, float] | None]:
    """The minimum of the lopsided parabola closest to (x, y) (least squares), searched within
    [lo, hi]; the lowest point when no upward-curving one fits."""
    if x.size < 3 or np.ptp(x) == 0:
        return float(x[np.argmin(y)]), None
    x0 = np.linspace(lo, hi, VERTEX_GRID)
    u = x[None, :] - x0[:, None]
    shape = np.where(u < 0, 1.0, ASYMMETRY) * u * u  # each candidate minimum's shape at x
    centred = shape - shape.mean(axis=1, keepdims=True)
    spread = (centred ** 2).sum(axis=1)
    a = (centred * (y - y.mean())).sum(axis=1) / np.where(spread > 0, spread, np.inf)
    sse = ((y - y.mean() - a[:, None] * centred) ** 2).sum(axis=1)
    sse[a <= 0] = np.inf
    if not np.isfinite(sse).any():
        return float(x[np.argmin(y)]), None
    k = int(np.argmin(sse))
    c = float(y.mean() - a[k] * shape[k].mean())
    return float(x0[k]), (float(x0[k]), float(a[k]), c)


def _estimate(x: np.ndarray, y: np.ndarray, noise: np.ndarray, best_i: int, tried: np.ndarray
              ) -> tuple[float, float, float, tuple[tuple[float, ...], tuple[float, ...]] | None]:
    """Best log10 LR, its band, and the fitted curve; ``tried``: log10 of every LR read at the
    budget, diverged ones included."""
    lo_i, hi_i = max(0, best_i - FIT_NEIGHBOURS), min(x.size, best_i + FIT_NEIGHBOURS + 1)
    xs, ys, ns = x[lo_i:hi_i], y[lo_i:hi_i], noise[lo_i:hi_i]
    logged = bool(np.all(ys > 0))
    if logged:
        ys, ns = np.log(ys), ns / ys
    lo, hi = float(xs.min()), float(xs.max())
    best, fit = _vertex(xs, ys, lo, hi)
    rng = np.random.default_rng(_SEED)
    residual = 0.0
    if fit is not None and xs.size > 3:
        residual = float(np.std(ys - _bowl(fit, xs), ddof=3))
    sigma = np.maximum(ns, residual)
    draws = [_vertex(xs, ys + rng.normal(0.0, sigma), lo, hi)[0] for _ in range(BAND_DRAWS)]
    low, high = np.quantile(draws, BAND_QUANTILES)
    if fit is None:
        below, above = tried[tried < best], tried[tried > best]
        low = (best + below.max()) / 2 if below.size else best
        high = (best + above.min()) / 2 if above.size else best
    grid = np.unique(tried)
    floor = max(MIN_BAND_DECADES, BAND_GRID_STEPS * float(np.median(np.diff(grid)))
                if grid.size > 1 else MIN_BAND_DECADES)
    low, high = min(low, best - floor), max(high, best + floor)
    curve = None
    if fit is not None:
        drawn = np.linspace(lo, hi, FIT_POINTS)
        level = _bowl(fit, drawn)
        curve = (tuple(10 ** drawn), tuple(np.exp(level) if logged else level))
    return best, float(low), float(high), curve


def _place(run: SweepRun, level: _Level, best_lr: float | None, flat: bool,
           band: tuple[float, float] | None = None, best_run: SweepRun | None = None,
           unranked: bool = False) -> RunPlace:
    final = None if math.isnan(level.value) else level.value
    noise = None if math.isnan(level.noise) else level.noise
    factor = None if best_lr is None or flat else best_lr / run.lr
    position: Position
    if level.diverged:
        position = "diverged"
    elif best_lr is None or flat or _near(run, level, best_lr, band, best_run):
        position = "near_best"
    else:
        position = "too_low" if run.lr < best_lr else "too_high"
    suggested = run.lr if flat and position == "near_best" else best_lr
    start = None if math.isnan(level.start) else level.start
    return RunPlace(run.name, run.lr, position, final, noise, factor, suggested,
                    level.pruned, level.step, unranked, start)


def _near(run: SweepRun, level: _Level, best_lr: float, band: tuple[float, float] | None,
          best_run: SweepRun | None) -> bool:
    """Inside the band, less than ``NEAR_FACTOR`` from the estimate (LRs compared to 1e-9),
    and not cut short at a level clearly above the best run's at that same step."""
    slack = 1 + 1e-9
    if not (best_lr / NEAR_FACTOR < run.lr / slack and run.lr * slack < best_lr * NEAR_FACTOR):
        return False
    if band is not None and not (band[0] <= run.lr * slack and run.lr <= band[1] * slack):
        return False
    if level.pruned and level.step is not None and best_run is not None \
            and best_run.name != run.name and not math.isnan(level.value):
        ref = _level(best_run.loss, level.step)
        return bool(level.value - ref.value <= _within_noise(level.noise, ref.noise, ref.value))
    return True


def _summary(reading: SweepReading, metric_name: str | None = None) -> str:
    """One sentence a person can check on the sweep's plot (``metric_name``: the validation
    metric's column, where one ranks the runs)."""
    n = len(reading.runs)
    lrs = [r.lr for r in reading.runs]
    span = f"{n} runs, LR {min(lrs):.3g} to {max(lrs):.3g}, read at step {reading.budget_step}"
    if reading.ranked_by == "val_loss":
        span += " by their validation loss"
    elif reading.ranked_by == "best_val_loss":
        span += (" by their lowest validation loss (some runs overfit: the checkpoint early "
                 "stopping keeps)")
    elif reading.ranked_by == "val_metric":
        span += f" by their {metric_name or 'validation metric'} (higher is better)"
    elif reading.ranked_by == "best_val_metric":
        span += (f" by their best {metric_name or 'validation metric'} (higher is better; "
                 "some runs overfit: the checkpoint early stopping keeps)")
    finals = [r.final_loss for r in reading.runs if r.final_loss is not None
              and r.position != "diverged"]
    if reading.flat:
        what = "final loss" if reading.ranked_by not in _METRIC_RANKS else \
            f"error ({_METRIC_SCALE_NOTE})"
        return (f"{span}: flat, the {what} is {min(finals):.4g} to {max(finals):.4g} across "
                "the range (within noise): the LR is not what limits this model")
    text = (f"{span}: best LR about {reading.best_lr:.3g} "
            f"({reading.best_lr_low:.3g} to {reading.best_lr_high:.3g})")
    if reading.edge == "low":
        text += "; the lowest LR tried did best: extend the grid below"
    elif reading.edge == "high":
        text += "; the highest LR tried did best: extend the grid above"
    return text


def _listed(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
