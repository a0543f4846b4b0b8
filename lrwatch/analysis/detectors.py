"""Detectors: each reads one symptom off a curve and returns it as a :class:`Symptom` (with
evidence a person can check on the plot), or None when the symptom is absent.

Thresholds are named constants below; they were set on the tuning tasks of the benchmark corpus
(see ``benchmarks/diagnosis.py``) and on the field's rules of thumb quoted beside them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lrwatch.analysis.curve import Curve, mad_sigma
from lrwatch.analysis.optimizers import (
    LR_FAR,
    clipped_lr,
    is_adaptive,
    is_lr_free,
    plausible_max,
    typical_range,
)
from lrwatch.analysis.summary import Summary
from lrwatch.analysis.types import Evidence, Series, SymptomName

# A run whose loss ends more than 2x above where it started has blown up (AutoTrainer flags the
# loss exploding; we use a ratio because losses have no common scale).
BLOWUP_RATIO = 2.0
# Before a run has enough points to judge, only a 10x rise over its first loss is called.
EARLY_BLOWUP = 10.0
# A run whose loss ends 20x above its very first loss (logged before any update) blew up in its
# first steps, faster than the start level (3 points) can see.
JUMP_RATIO = 20.0
# A single point (the first loss, before any update) is trusted this many per-point noise
# standard deviations (one-sided, ~98%): a lucky first batch does not fake a blow-up.
FIRST_POINT_Z = 2.0
# Climbing back up from the best level by more than this, by more than the noise of the levels
# (SIGNIFICANT standard errors) and giving back more than REBOUND_SHARE of the loss drop already
# made, means the LR is too high to settle, even when it does not blow up. The share keeps a
# loss near 0 (1e-8 -> 1e-4: a 10^4x "rise" in log units) from counting.
REBOUND_RATIO = 1.5
REBOUND_SHARE = 0.1
SIGNIFICANT = 3.0
# Spikes: more than SPIKE_SHARE of the recent losses back above where training started, while
# their median sits below half of it: the loss keeps being thrown back (a level near the start,
# with noise around it, is not spiking: small-batch losses of a run that has not moved are
# heavy-tailed, and a tenth of them can reach twice the start without any LR problem).
SPIKE_SHARE = 0.1
# ... and at least this many of them: "keeps being thrown back" is a recurrence, and one point in
# a short log's 8 is 12% (real-world round 31: three fine-tunes' 9-epoch logs, one epoch back
# above the first epoch's mean, read "oscillating, reduce 3x" live; their sweeps kept them).
SPIKES_LEAST = 2
# ... and the fall must show in the loss's lower envelope as well: the median of the recent
# bins' least losses at most SPIKES_FLOOR_FALL of that of the first bins. A loss whose per-step
# noise is heavy-tailed (a diffusion model's noise prediction at batch 1, its random timestep
# sets the loss) has a few high samples among its first points and never falls: against that
# start its ordinary tail read as spikes (diagnosis round 44: public round 52's Stable Diffusion
# fine-tunes, 9 of 9 good runs told to reduce live; their least losses stay where they began).
SPIKES_FLOOR_FALL = 0.5
# A run whose loss fell by less than half (log ratio 0.7) has made little progress: too low an
# LR, or one so high that the model collapsed (see LR_FAR and GRAD_COLLAPSE to tell which).
LITTLE_PROGRESS = 0.7
NO_PROGRESS = 0.05  # below this it has not started to learn at all: 10x, not 3x
# Still falling at the end: the last 40% of the LR time made more than 10% of the whole drop -
# it has not levelled off, a higher LR gets there sooner.
STILL_FALLING = 0.1
# A cross-entropy that did not halve, or a fine-tune's loss, has a floor near: it is slow only
# when it falls almost in a straight line (a linear fall puts 40% of its drop in the last 40%;
# a power law's approach to a floor 5-20%: public logs, an LSTM LM at 12%, an SFT at 17%, a
# BERT fine-tune at 22%, all healthy; without a known chance level the benchmark corpus's
# stalled runs at 10-25% keep STILL_FALLING).
STEADY = 0.25
# ... unless the loss already fell 10x: 90% of a non-negative loss gone, at least 90% of what
# any LR could remove (the corpus labels a run healthy from 90% of its sweep's best reduction).
MOSTLY_GONE = math.log(10.0)
# Falling less than 22% (log 0.25) over the last 40%: stopped improving.
STOPPED = 0.25
# A healthy verdict that cannot exclude a too-low LR (the loss still fell more than 2% over the
# last 40% of the run, the least levelled_off counts as a change, and did not level off): its
# confidence. Real-world round 4, tuning side (302 runs): the rules before called all 88 such
# runs (not fine-tunes, loss not 90% gone) healthy at 0.7 and were right on 43 (too low 40, too
# high 5), against 17 of 21 whose loss had levelled off; 0.5 is what they earn.
STILL_IMPROVING = 0.02
OPEN_HEALTHY = 0.5
HEALTHY_UNTOLD = 0.6  # the strength of neighbours_untold: the healthy reading it qualifies
# A loss that levelled off at a constant LR with step-to-step noise this large (log units, 40%)
# may be held up by the LR itself: its noise floor, which a lower LR or decay would lower, as
# well as a good LR's end (real-world round 16, every side: "healthy" on such a loss was right
# by status and way on 1 of 7 runs from 5 sources, public and made; noise 30% or less: 2 of 3
# and lower, mixed); the healthy reading is an open one (OPEN_HEALTHY).
NOISY_LEVEL = 0.40
# ... and when such a run's peak LR sits this many decades (3.2x) or more below the top of the
# optimizer's usual range, too low is the likelier reading: 16 of its 19 runs there were labelled
# too low (round 4, tuning side; at 0.3 decades 21 of 28, at 0.9 10 of 11).
LIKELY_LOW = 0.5
# ... and as far (3.2x) or more above it, a smooth run reads every way: healthy, too high or (a
# tiny model that takes more than the usual range) too low. Rounds 4-6, the 23 such runs read
# "healthy, or too high, keep" (clipped SGD aside): 12 healthy (4 families made here), 7 too
# high (3 public repositories' 17M TinyStories LMs, 1 made LM), 4 too low (2 made families).
LIKELY_HIGH = 0.5
# A run that made little progress with its LR more than this many decades above the usual
# range (a quarter decade: clearly above, not at its top) was held back by too high an LR: a
# stalled run is one whose LR is too low, which an LR above the usual range rarely is.
LR_ABOVE = 0.25
# A loss still falling at the end with the LR within a quarter decade of the top of the usual
# range (or above it) is not held back by too low an LR: the usual range's top is where good
# LRs sit, and a loss still falling there needs more steps, not a larger LR.
LR_AT_TOP = 0.25
# A run that made progress and then stopped improving was held back by too high an LR only when
# its LR sits more than a decade (and a quarter) above the usual range: up to a decade above it
# such runs are mostly converged (tuning tasks: 11 healthy, 4 oscillating at a decade above).
LR_BEYOND = 1.25
# A gradient norm that collapses while the loss makes little progress reads as too high an LR
# (dead units) unless the LR sits more than a decade below the top of the usual range: there it
# is the quick fit of the easy part (a regression's mean), and the run is too slow (tuning tasks:
# 5 stalled runs of seq_lstm_sum, 1.5-3 decades below the top, were called oscillating).
COLLAPSE_LOW_LR = 1.0
# Gradient norm falling 2x while the loss barely moves: units died or saturated (too high an LR).
GRAD_COLLAPSE = 0.7
# ... and falling 1000x (or to 0), whatever the loss did: the network died (too high an LR).
GRAD_DEAD = math.log(1000.0)
# The update/weight ratio rule of thumb is ~1e-3; a decade off either way is worth saying.
UPDATE_RATIO_LOW = 1e-4
UPDATE_RATIO_HIGH = 1e-2
# Early alarm: the last ALARM_POINTS points of the loss (or gradient norm) both sit ALARM_*_RATIO x
# and ALARM_Z robust std above the median of the points before them (up to the raw tail; two
# points in a row, so one bad batch does not fire it). With fewer than ALARM_HISTORY points
# before them their spread cannot be estimated: the last ALARM_FEW_POINTS points must then all
# sit ALARM_FEW_RATIO x above both that median and the run's first point (ALARM_FEW_HISTORY
# points before them are enough: a blow-up in the first steps is caught by the 5th point, and a
# low first batch or two cannot fake it). A loss alarm must also give back a tenth
# (REBOUND_SHARE) of the drop made since the start: a loss near 0 that doubles is not blowing up.
ALARM_POINTS = 2
ALARM_Z = 6.0
ALARM_LOSS_RATIO = 2.0
ALARM_GRAD_RATIO = 10.0
ALARM_HISTORY = 16
ALARM_FEW_POINTS = 3
ALARM_FEW_RATIO = 10.0
ALARM_FEW_HISTORY = 2
# --- units that fit the loss (issue 12: public logs; see docs/analysis.md)
# A cross-entropy cannot fall below the data's entropy, so "did not halve" is no stall: a
# healthy LM goes 7.0 -> 3.7, a healthy SFT 2.08 -> 1.04. Below halving, the run is judged by
# its shape: HARDLY_MOVED (10%) or less over the run, or a PLATEAU (less than 2% over the last
# decade of steps or 0.5% over the second half, within the noise of the levels) is flat; still
# falling steadily is slow; a fall that flattens toward a floor is healthy.
HARDLY_MOVED = 0.1
PLATEAU = 0.02
PLATEAU_HALF = 0.005
# Chance level of a K-class cross-entropy is ln K: a level within CHANCE_BAND (5%) of it is the
# uniform guess; a run that never got below it and ends ABOVE_CHANCE (15%) above it does worse
# than guessing: it blew up, if not in its logged steps then before the first logged point.
CHANCE_BAND = 0.05
ABOVE_CHANCE = 0.15
# An epoch log's first point is the mean of a whole epoch: below this share of ln K it already
# hides part of the fall from chance level (real-world sides, every epoch log: first epochs that
# barely moved sit at 0.96-1.0 ln K, I2DL at lr 1e-4, a brain-tumour CNN at 1e-5, a made MLP at
# 1e-3; the I2DL grids that trained sit at 0.79-0.83, a ConvNeXt at 0.56-0.67).
EPOCH_BELOW_CHANCE = 0.9
# An epoch's mean 1000x (3 decades) above the epochs right after it, among an epoch log's first
# tenth: a blow-up inside that epoch the loss came back from (real-world round 35, every side
# through round 38: 9 epoch logs jumped so, from 4 sources (a Lion ResNet, a CORAL MLP under
# LAMB, a GIN under RMSprop, a VAE under Adagrad), all 9 labelled too high or diverging; at
# 100-250x a ResNet's shared first point of 252 sits before healthy and too-low runs alike)
EPOCH_HIDDEN_BLOWUP = 1e3
LEARNED_SHARE = 0.25
# A run that blew up in its first steps (at an LR not far above the usual range) and then got
# below half of chance level learned well past it: the blow-up did no lasting harm, the peak LR
# is not what to change, the first steps are (warmup). Real-world corpus round 3 (tuning side):
# 8 parameter-golf records, Muon with no warmup, jumped from ln 1024 at step 1 to 8-15 in the
# first steps and ended at 0.27-0.30 of it.
LEARNED_PAST_SHARE = 0.5
# A staircase: the level falls in at least STAIR_MIN sharp steps (each one bin, together
# STAIR_SHARE of the drop after the first tenth of the run) and is flat in between: epoch
# boundaries of a multi-epoch run, where the model meets its examples again (issue 12, pattern 6).
STAIR_MIN = 2
STAIR_SHARE = 0.5
STAIR_Z = 4.0  # a step clears this many standard errors of the level
STAIR_REGULAR = 0.25  # steps at most 25% off their median spacing, the first one included
# A curve whose per-point noise (log units) stays under ROUGH_NOISE (8%) is smooth: an LR above
# the usual range does not make it "oscillating" (issue 12: SGD at lr 20 with clipping trains an
# LSTM at 1% noise; the benchmark corpus's oscillating runs far above the range: 12-20%).
ROUGH_NOISE = 0.08
# ... or a level that went back up SWING (5%) above its running best (public logs: a 17M LM at
# AdamW 0.1, 1.5 decades above the usual range, rose 4.65 -> 5.18 mid-run; a clipped LSTM at lr
# 20 never rose)
SWING = 0.05
# ... and SIGNIFICANT standard errors of a difference of two levels (each a running median of
# `window` points: 1.2533 sigma / sqrt(window), so the difference sqrt(2) of that): the running
# best is the lowest of noisy levels, so a rise of one level's error or two is what noise does
# (real-world round 13, made: a byte LM under Adafactor logged every 10 steps, 3-6% noise a
# point, rose 6-10% above its best, 3.3-4.5 level errors, on the sweep's best run and on one 50x
# too low, and was read "oscillating, reduce 3x"; every public swing read so rose 9+ errors)
SWING_ERROR = math.sqrt(2.0) * 1.2533
# A recovered spike: a loss SPIKE_RATIO (5x) above its running best, SPIKE_Z per-point noise
# above it, giving back SPIKE_GIVE_BACK (half) of the drop made so far, and back down at least
# 2x below the spike by the end (public logs: 5x-3,600x jumps that came back). In a dense log
# (NAN_SHORT points or more) it must hold for SPIKE_POINTS points (or a hundredth of the run) in
# a row, after the first and before the last twentieth of the run: one small batch of a
# regression near 0 jumps 5x without any LR problem, and so do the first few steps (benchmark
# corpus: 26 healthy runs at their sweep's best LR had such jumps).
SPIKE_RATIO = 5.0
SPIKE_Z = 6.0
SPIKE_GIVE_BACK = 0.5
SPIKE_POINTS = 3
# ... from this jump (1e4x, 4 decades) on, a spike followed by dead gradients or a loss stuck
# at chance level is a divergence the weights did not survive (issue 13: 1.4e17, then grads ~0).
SPIKE_HUGE = 1e4
# A NaN that came back: a share of NAN_SHARE (1%) of the points, or any NaN in a short log
# (under NAN_SHORT points, per-epoch logs: a NaN epoch), is an LR at the edge of stability.
NAN_SHARE = 0.01
NAN_SHORT = 200
# A run not marked as a fine-tune is read as one when an adaptive optimizer's peak LR is at most
# FINE_TUNE_LR with a linear decay (the Hugging Face Trainer's default schedule: warmup, then
# linear to 0), or at most FINE_TUNE_LR_LOW_LOSS while its first loss sits under half of chance
# level (the pretrained model already knows the task).
FINE_TUNE_LR = 6e-5
FINE_TUNE_LR_LOW_LOSS = 3e-4


@dataclass(frozen=True)
class Symptom:
    """A symptom found on the curve: how clearly (``strength`` in [0, 1]) and since when."""

    name: SymptomName
    strength: float
    evidence: Evidence
    since_step: int | None = None

    def __post_init__(self) -> None:
        """A name given as a string must be a SymptomName's value: a misspelt one raises."""
        object.__setattr__(self, "name", SymptomName(self.name))


def strength(value: float, threshold: float) -> float:
    """0.5 at the threshold, rising toward 1 as ``value`` passes it (both positive)."""
    if not (math.isfinite(value) and threshold > 0):
        return 1.0 if value == math.inf else 0.5
    return float(np.clip(0.5 + 0.5 * math.tanh(2.0 * (value / threshold - 1.0)), 0.0, 1.0))


def _exp(x: float) -> float:
    """``exp`` that saturates to inf instead of raising (log-loss gaps can exceed 709)."""
    return math.exp(x) if x < 709.0 else math.inf


def _fmt(x: float) -> str:
    return f"{x:.3g}"


# --------------------------------------------------------------------------- too high
def nonfinite(summary: Summary) -> Symptom | None:
    """The loss is NaN or inf at the end of the run and stayed so."""
    if summary.trailing_nonfinite is None:
        return None
    step = summary.trailing_nonfinite
    finite_before = summary.points > summary.nonfinite_count or summary.first_nonfinite != step
    msg = (f"loss became non-finite (NaN/inf) at step {step} and stayed so to step "
           f"{summary.last_step}")
    if not finite_before:
        msg = (f"loss was non-finite from the first recorded step ({step}): check the inputs and "
               "the loss function too, not only the LR")
    return Symptom(SymptomName.NONFINITE, 1.0 if finite_before else 0.5,
                   Evidence(msg, "loss", step, summary.last_step, float(summary.nonfinite_count)),
                   since_step=step)


def gradient_gone_at_end(loss: Series | None, grad_norm: Series | None) -> Symptom | None:
    """The log ends on a NaN/inf gradient norm after finite ones, with a finite loss that did
    not fall to it (the last loss at or above the first): the run died there, the loss not yet
    showing it (a trainer that stops on a non-finite gradient logs that step last). A NaN/inf
    gradient norm the run went on from is fp16 AMP skipping a step, and a column of NaN a
    gradient norm never measured: neither is this (real-world round 47: an L2-SP fine-tune's run
    at SGD 1 logged a loss of 586 -> 373998 with a NaN gradient norm and stopped; it read
    "insufficient data, keep")."""
    if loss is None or grad_norm is None or not grad_norm.values.size or not loss.values.size:
        return None
    step = int(grad_norm.steps[-1])
    if np.isfinite(grad_norm.values[-1]) or int(loss.steps[-1]) > step \
            or not np.isfinite(grad_norm.values).any():
        return None
    finite = loss.values[np.isfinite(loss.values)]
    if finite.size > 1 and not finite[-1] >= finite[0]:
        return None
    msg = (f"the gradient norm is NaN/inf at step {step}, the last logged one: the run diverged "
           "there (its loss did not fall before it)")
    return Symptom(SymptomName.NONFINITE, 1.0, Evidence(msg, "grad_norm", step, step, None),
                   since_step=step)


def climb_before_nan(curve: Curve) -> Symptom | None:
    """Where the loss started climbing before it went non-finite: the start of the final stretch
    that stays clearly above the best level (20%, or 3x the noise of the level)."""
    if curve.size < 8:
        return None
    best_i = int(np.argmin(curve.trend))
    best = float(curve.trend[best_i])
    noise = curve.noise / math.sqrt(curve.window)
    high = np.minimum(curve.log_loss, curve.trend) > best + max(math.log(1.2), 3 * noise)
    if not high[-3:].all():
        return None
    low = np.flatnonzero(~high)
    start = int(low[-1]) + 1 if low.size else 0
    ratio = _exp(float(curve.log_loss[-3:].min()) - best)
    msg = (f"before that, loss climbed {curve.times(ratio)}"
           f" from {_fmt(curve.to_loss(best))} over steps "
           f"{curve.first[start]}-{curve.last[-1]}") + _grad_growth(curve, start)
    return Symptom(SymptomName.CLIMB, 1.0, Evidence(msg, "loss", int(curve.first[start]),
                                                    int(curve.last[-1]), ratio),
                   since_step=int(curve.first[start]))


def blowup(curve: Curve, first_ratio: float = JUMP_RATIO) -> Symptom | None:
    """The loss ends more than 2x above where it started (and beyond the noise of both levels),
    or ``first_ratio`` x (JUMP_RATIO by default) above its very first point, the loss before any
    update (a blow-up within the first steps, beyond the noise of the end level)."""
    start, first = curve.first_level, float(curve.log_loss[0])
    tail = max(3, curve.size // 10)
    # the end level: the last tenth of the run, or its last fiftieth when that is higher (a
    # blow-up in the last 2% of a long run must not wait for a tenth of it to show)
    end = max(curve.end_level, curve.level(curve.size - max(3, curve.size // 50), curve.size))
    end_error = curve.level_error(curve.size - tail, curve.size)
    margin = SIGNIFICANT * math.hypot(curve.level_error(0, 3), end_error)
    vs_start, vs_first = _exp(end - start), _exp(end - first)
    over_start = end - start > math.log(BLOWUP_RATIO) + margin
    # the first point is one batch: its noise is the curve's per-point noise
    first_margin = math.hypot(FIRST_POINT_Z * curve.noise, SIGNIFICANT * end_error)
    if not over_start and end - first <= math.log(first_ratio) + first_margin:
        return None
    ratio, ref = (vs_start, start) if over_start else (vs_first, first)
    # the climb began after the lowest level reached before the level first passed 2x the start
    over = np.flatnonzero(curve.trend > ref + math.log(BLOWUP_RATIO))
    cross = int(over[0]) if over.size else curve.size - 1
    best_i = int(np.argmin(curve.trend[:cross + 1]))
    rise_from = min(_rise_start(curve, best_i, end), cross)
    msg = (f"loss rose {curve.times(ratio)} above where it started ({_fmt(curve.to_loss(ref))} -> "
           f"{_fmt(curve.to_loss(end))}), climbing over steps {curve.first[rise_from]}-"
           f"{curve.last[-1]}") + _grad_growth(curve, rise_from)
    s = strength(ratio, BLOWUP_RATIO if ref == start else first_ratio)
    return Symptom(SymptomName.BLOWUP, s, Evidence(msg, "loss", int(curve.first[rise_from]),
                                                   int(curve.last[-1]), ratio),
                   since_step=int(curve.first[rise_from]))


def stuck_above_first(curve: Curve) -> Symptom | None:
    """The loss ends more than BLOWUP_RATIO x above its very first point (the loss before any
    update), beyond the noise of the end level. Called only for a run that made little progress
    at an LR far above the usual range: its first update threw it up and it never came back,
    which :func:`blowup` misses when the loss is too noisy for its wider margin."""
    first, end = float(curve.log_loss[0]), curve.end_level
    tail = max(3, curve.size // 10)
    if end - first <= math.log(BLOWUP_RATIO) + SIGNIFICANT * curve.level_error(
            curve.size - tail, curve.size):
        return None
    ratio = _exp(end - first)
    msg = (f"loss ended {curve.times(ratio)}"
           f" above its first value ({_fmt(curve.to_loss(first))} -> "
           f"{_fmt(curve.to_loss(end))}, steps {curve.first[0]}-{curve.last[-1]}) and never "
           "came back down")
    return Symptom(SymptomName.BLOWUP, strength(ratio, BLOWUP_RATIO),
                   Evidence(msg, "loss", int(curve.first[0]), int(curve.last[-1]), ratio),
                   since_step=int(curve.first[0]))


# An epoch log's first point is the mean loss of a whole epoch, not one lucky batch: a loss whose
# end level sits EPOCH_RISE above it went backward (real-world rounds 4-7: the 8 epoch logs that
# ended 1.25x or more above their first epoch, 1.30-3.2x, from 5 repositories, were all labelled
# diverging; no healthy, stalled or oscillating epoch log ended above 1.0x its first epoch)
EPOCH_RISE = 1.25
# the fewest points short_rise reads: a first, a middle and a last
SHORT_RISE_POINTS = 3


def rose_over_epochs(curve: Curve) -> Symptom | None:
    """On a log indexed by epoch: the loss ends EPOCH_RISE x or more above its first epoch's
    mean, beyond the noise of the end level."""
    first, end = float(curve.log_loss[0]), curve.end_level
    tail = max(3, curve.size // 10)
    if end - first <= math.log(EPOCH_RISE) + SIGNIFICANT * curve.level_error(
            curve.size - tail, curve.size):
        return None
    over = np.flatnonzero(curve.trend > first + math.log(EPOCH_RISE))
    since = int(curve.first[int(np.argmin(curve.trend[:int(over[0]) + 1]))]) if over.size \
        else int(curve.first[0])
    ratio = _exp(end - first)
    msg = (f"the loss ends {curve.times(ratio)}"
           f" above its first epoch's mean ({_fmt(curve.to_loss(first))}"
           f" -> {_fmt(curve.to_loss(end))}, epochs {curve.first[0]}-{curve.last[-1]}): an "
           "epoch's mean is no lucky batch, training went backward")
    return Symptom(SymptomName.BLOWUP, strength(ratio, EPOCH_RISE),
                   Evidence(msg, "loss", since, int(curve.last[-1]), ratio), since_step=since)


def early_blowup(curve: Curve) -> Symptom | None:
    """On a run too short to judge otherwise: its last 3 losses all sit 10x above its first."""
    first = float(curve.log_loss[0])
    ratio = _exp(float(curve.log_loss[-3:].min()) - first)
    if ratio <= EARLY_BLOWUP:
        return None
    msg = (f"loss rose {curve.times(ratio)} in its first {curve.steps} steps (from "
           f"{_fmt(curve.to_loss(first))} at step {curve.first[0]} to "
           f"{_fmt(curve.to_loss(float(curve.log_loss[-1])))} at step {curve.last[-1]})")
    return Symptom(SymptomName.EARLY_BLOWUP, strength(ratio, EARLY_BLOWUP),
                   Evidence(msg, "loss", int(curve.first[0]), int(curve.last[-1]), ratio),
                   since_step=int(curve.first[1]))


def short_rise(curve: Curve) -> Symptom | None:
    """On a log too short for a verdict (3 to 11 points, each a summary of several steps, or 3
    to 5 epochs): its last two losses both sit EPOCH_RISE x or more above its first. Real-world
    round 25, every side through round 24: of the 79 runs too short for a verdict, 4 such logs,
    3 labelled diverging (3 repositories: an LM pretraining, a Whisper fine-tune, a GRU LM) and
    1 too high (a made GPT under RAdam); none of the 63 labelled healthy or too low rose. The
    first 3-11 points (3-5 epochs) of the 1673 longer runs did it on 55: 37 diverging (26
    repositories and made families), 15 too high (8), 3 too low (1 made family), none healthy
    (the last point alone: 84, 13 of them too low or healthy: a live run's one bad point). Too
    few points to tell a blow-up from noise by their standard errors: it names a rise, not how
    far the LR is off."""
    if curve.size < SHORT_RISE_POINTS:
        return None
    first, last = float(curve.log_loss[0]), float(curve.log_loss[-1])
    if float(curve.log_loss[-2:].min()) - first < math.log(EPOCH_RISE):
        return None
    ratio = _exp(last - first)
    msg = (f"the loss ends {curve.times(ratio)}"
           f" above its first point ({_fmt(curve.to_loss(first))} at "
           f"step {curve.first[0]} -> {_fmt(curve.to_loss(last))} at step {curve.last[-1]}) "
           f"over the {curve.size} points logged, and the point before it too: training went "
           "backward, though so few points cannot say how far the LR is off")
    return Symptom(SymptomName.SHORT_RISE, strength(ratio, EPOCH_RISE),
                   Evidence(msg, "loss", int(curve.first[0]), int(curve.last[-1]), ratio),
                   since_step=int(curve.first[0]))


def rebound(curve: Curve) -> Symptom | None:
    """The loss climbed back up from its best level: by more than 1.5x, beyond the noise of the
    two levels, and giving back more than a tenth of the drop it had made."""
    tail = max(3, curve.size // 10)
    end = curve.end_level
    best_i, best = _best(curve)
    ratio = _exp(end - best)
    half = max(1, curve.window // 2)
    noise = math.hypot(curve.level_error(curve.size - tail, curve.size),
                       curve.level_error(best_i - half, best_i + half + 1))
    start = curve.to_loss(max(curve.start_level, best))
    low, high = curve.to_loss(best), curve.to_loss(end)
    given_back = (high - low) / (start - low) if start > low else 0.0
    if ratio <= REBOUND_RATIO or end - best <= SIGNIFICANT * noise \
            or given_back <= REBOUND_SHARE:
        return None
    rise_from = _rise_start(curve, best_i, end)
    msg = (f"loss climbed back {100 * (ratio - 1):.0f}% from its best {_fmt(low)} "
           f"(step {curve.first[best_i]}) to {_fmt(high)} by step {curve.last[-1]}, giving back "
           f"{100 * min(given_back, 9.99):.0f}% of its drop") + _grad_growth(curve, rise_from)
    return Symptom(SymptomName.REBOUND, strength(ratio, REBOUND_RATIO),
                   Evidence(msg, "loss", int(curve.first[best_i]), int(curve.last[-1]), ratio),
                   since_step=int(curve.first[rise_from]))


def spikes(curve: Curve, summary: Summary) -> Symptom | None:
    """The recent losses (the last quarter of the run, at most the summary's raw tail) keep
    jumping back above where training started while their level sits far below it."""
    n = min(summary.tail_loss.size, max(8, summary.points // 4))
    recent = summary.tail_loss[-n:]
    recent = recent[np.isfinite(recent)]
    if recent.size < 8 or curve.scale != 1.0 or curve.shift != 0.0:
        return None  # a loss that can be <= 0 has no "far below its start" in ratios
    start = curve.to_loss(curve.first_level)
    level = float(np.median(recent))
    thrown = int(np.sum(recent > start))
    above = thrown / recent.size
    far = float(np.mean(recent > BLOWUP_RATIO * start))
    if above <= SPIKE_SHARE or thrown < SPIKES_LEAST or level >= start / BLOWUP_RATIO \
            or not _floor_fell(summary):
        return None
    steps = summary.tail_steps[-n:]
    msg = (f"{100 * above:.0f}% of the last {recent.size} losses (steps {steps[0]}-{steps[-1]}) "
           f"spiked back above the starting loss {_fmt(start)} ({100 * far:.0f}% above twice "
           f"it) while their median is {_fmt(level)}")
    return Symptom(SymptomName.SPIKES, strength(above, SPIKE_SHARE),
                   Evidence(msg, "loss", int(steps[0]), int(steps[-1]), above),
                   since_step=int(steps[0]))


def _floor_fell(summary: Summary) -> bool:
    """The median of the last quarter's bin minima at most SPIKES_FLOOR_FALL of the first
    tenth's (True where too few bins tell)."""
    bins = summary.all_bins()
    lows = bins["loss_min"][(bins["loss_n"] > 0) & np.isfinite(bins["loss_min"])]
    if lows.size < 8:
        return True
    early = float(np.median(lows[:max(3, lows.size // 10)]))
    late = float(np.median(lows[-max(3, lows.size // 4):]))
    return not (early > 0 and late > SPIKES_FLOOR_FALL * early)


def _best(curve: Curve) -> tuple[int, float]:
    """The lowest level before the last twentieth of the run."""
    stop = max(1, curve.size - max(1, curve.size // 20))
    i = int(np.argmin(curve.trend[:stop]))
    return i, float(curve.trend[i])


def _rise_start(curve: Curve, best_i: int, end: float) -> int:
    """First bin after the best one where the level is clearly above the best level (by 20%,
    or 3x the noise of the level when that is more)."""
    noise = curve.noise / math.sqrt(curve.window)
    margin = min(max(math.log(1.2), 3 * noise), 0.5 * (end - float(curve.trend[best_i])))
    above = np.flatnonzero(curve.trend[best_i:] > float(curve.trend[best_i]) + margin)
    return best_i + int(above[0]) if above.size else best_i


def _grad_growth(curve: Curve, since: int) -> str:
    gn = curve.grad_norm
    ok = np.isfinite(gn) & (gn > 0)
    if ok[since:].sum() < 2 or ok[: since + 1].sum() < 1:
        return ""
    before = float(np.median(gn[: since + 1][ok[: since + 1]]))
    after = float(np.max(gn[since:][ok[since:]]))
    return f" while grad norm grew {after / before:.3g}x" if after > 2 * before else ""


# --------------------------------------------------------------------------- progress
def little_progress(curve: Curve, from_first: bool = False) -> Symptom | None:
    """The loss fell by less than half over the run (or did not move at all); with
    ``from_first``, counted from the very first loss when that is lower than the start level
    (a jump at the first update is then not progress to make up)."""
    begin = min(curve.start_level, float(curve.log_loss[0])) if from_first else curve.start_level
    drop = begin - curve.end_level
    if drop >= LITTLE_PROGRESS:
        return None
    name = SymptomName.NO_PROGRESS if drop < NO_PROGRESS else SymptomName.LITTLE_PROGRESS
    start, end = _fmt(curve.to_loss(begin)), _fmt(curve.to_loss(curve.end_level))
    msg = (f"loss moved only {100 * (_exp(-drop) - 1):+.1f}% over the whole run "
           f"({start} -> {end}, steps {curve.first[0]}-{curve.last[-1]})")
    return Symptom(name, strength(LITTLE_PROGRESS, max(drop, 0.05)),
                   Evidence(msg, "loss", int(curve.first[0]), int(curve.last[-1]),
                            _exp(-drop)), since_step=int(curve.first[0]))


def steady_fall(curve: Curve) -> Symptom:
    """What a healthy run did, in numbers: how far the loss fell and how noisy it was (the
    evidence of a verdict that found nothing wrong; a healthy run deserves a why too)."""
    drop = curve.start_level - curve.end_level
    start, end = _fmt(curve.to_loss(curve.start_level)), _fmt(curve.to_loss(curve.end_level))
    msg = (f"loss fell {100 * (1 - _exp(-drop)):.0f}% ({start} -> {end}, steps "
           f"{curve.first[0]}-{curve.last[-1]}), step-to-step noise {100 * curve.noise:.1f}%")
    return Symptom(SymptomName.STEADY_FALL, 0.7, Evidence(msg, "loss", int(curve.first[0]),
                                                          int(curve.last[-1]), _exp(-drop)))


def neighbours_untold(curve: Curve) -> Symptom:
    """What one run of a loss 90% gone and still falling cannot tell (real-world round 15): in
    sweeps, runs 3-30x from the best LR fell 90-100% as smoothly and were labelled too low or
    too high; only a second run places this LR."""
    msg = ("one run cannot place its LR: in sweeps, runs 3-30x from the best LR also removed "
           "90-100% of the loss as smoothly; a run at ~3x and at ~1/3 this LR would tell")
    return Symptom(SymptomName.NEIGHBOURS_UNTOLD, HEALTHY_UNTOLD,
                   Evidence(msg, "loss", int(curve.first[0]), int(curve.last[-1])))


def late_drop(curve: Curve) -> tuple[int, float]:
    """Where the last 40% of the run (in LR time) starts, and the log-loss drop over it."""
    at60 = curve.at_lr_time(0.6 * curve.lr_time[-1])
    return at60, float(curve.trend[at60]) - curve.end_level


def still_falling(curve: Curve, where: str = "",
                  threshold: float = STILL_FALLING) -> Symptom | None:
    """Still falling fast at the end (in LR time): the last 40% of the run made a large share
    of the whole drop, read on the loss itself (in log space the slow approach to a floor near 0
    would look like progress still to come) - it has not levelled off. ``where`` qualifies the
    span in the message (" before the LR decayed"); ``threshold`` is the share (STILL_FALLING
    by default; STEADY for a loss that did not halve or a fine-tune)."""
    if curve.size < 10:
        return None
    at60, late = late_drop(curve)
    start, end = _exp(curve.start_level), _exp(curve.end_level)
    share = (_exp(float(curve.trend[at60])) - end) / (start - end) if start > end else 0.0
    if share <= threshold:
        return None
    steps = max(1, int(curve.last[-1] - curve.first[at60]))
    msg = (f"the last 40% of the run{where} (steps {curve.first[at60]}-{curve.last[-1]}) still "
           f"made {100 * share:.0f}% of the loss drop ({_per_k(late, steps)}): still coming "
           "down at a steady, slow rate")
    return Symptom(SymptomName.STILL_FALLING, strength(share, threshold),
                   Evidence(msg, "loss", int(curve.first[at60]), int(curve.last[-1]), share),
                   since_step=int(curve.first[0]))


def mostly_gone(curve: Curve) -> bool:
    """The loss ended more than MOSTLY_GONE (10x) below where it started: 90% of a non-negative
    loss is gone, so no LR could have removed much more (still falling then is not stalling)."""
    return curve.shift == 0.0 and curve.start_level - curve.end_level > MOSTLY_GONE


def learned(curve: Curve, classes: int | None) -> bool:
    """A cross-entropy that ended under LEARNED_SHARE (a quarter) of chance level ln K: three
    quarters of a uniform guess's loss gone, the model has learned the task (still falling then
    is not stalling: public logs, healthy classifiers at 0.13-0.22 of ln K still fell)."""
    chance = chance_level(classes)
    return chance is not None and curve.shift == 0.0 and \
        curve.to_loss(curve.end_level) < LEARNED_SHARE * chance


def stopped_improving(curve: Curve) -> Symptom | None:
    """The loss fell less than 22% (log 0.25) over the last 40% of the run (in LR time)."""
    at60, late = late_drop(curve)
    if late >= STOPPED:
        return None
    steps = max(1, int(curve.last[-1] - curve.first[at60]))
    msg = (f"loss {_change(late)} over the last 40% of the run "
           f"(steps {curve.first[at60]}-{curve.last[-1]}, {_per_k(late, steps)})")
    return Symptom(SymptomName.STOPPED_IMPROVING, strength(STOPPED, max(late, 0.01)),
                   Evidence(msg, "loss", int(curve.first[at60]), int(curve.last[-1]), late),
                   since_step=int(curve.first[at60]))


def _per_k(drop: float, steps: int) -> str:
    """A log-loss drop over ``steps`` as a rate a person can read: "-1.2% per 100 steps"."""
    per = 10 ** max(2, min(6, int(math.log10(max(steps, 1)))))
    return f"{-100 * (1 - _exp(-drop * per / steps)):+.2g}% per {per:g} steps"


def _level_change(drop: float) -> str:
    return f"{100 * (1 - _exp(-drop)):.1f}% lower" if drop >= 0 else \
        f"{100 * (_exp(-drop) - 1):.1f}% higher"


def _change(drop: float) -> str:
    """A log-loss drop as words: "fell only 12%" or "rose 30%"."""
    if drop >= 0:
        return f"fell only {100 * (1 - _exp(-drop)):.0f}%"
    return f"rose {100 * (_exp(-drop) - 1):.3g}%"


def grad_collapse(curve: Curve, threshold: float | None = None) -> Symptom | None:
    """The gradient norm fell from the start to the end by more than ``threshold`` (log;
    GRAD_COLLAPSE, 2x, by default). A gradient norm that ends at exactly 0 fell all the way."""
    gn = curve.grad_norm
    k = max(3, curve.size // 10)
    head, tail = gn[:k], gn[-k:]
    head, tail = head[np.isfinite(head) & (head > 0)], tail[np.isfinite(tail) & (tail >= 0)]
    if head.size < 2 or tail.size < 2:
        return None
    before, after = float(np.median(head)), float(np.median(tail))
    fall = math.log(before) - math.log(after) if after > 0 else math.inf
    if fall <= (GRAD_COLLAPSE if threshold is None else threshold):
        return None
    msg = (f"gradient norm fell {_exp(fall):.3g}x from the start to the end "
           f"({_fmt(before)} -> {_fmt(after)})")
    if after == 0:
        msg = f"gradient norm fell from {_fmt(before)} to 0: the units stopped learning"
    return Symptom(SymptomName.GRAD_COLLAPSE, strength(fall, GRAD_COLLAPSE),
                   Evidence(msg, "grad_norm", int(curve.first[0]), int(curve.last[-1]),
                            _exp(fall)))


@dataclass(frozen=True)
class Prior:
    """What is known of the run besides its curves: the optimizer and its usual LR range (the
    fine-tuning one for a fine-tune), the gradient clip, the classes of a cross-entropy."""

    optimizer: str | None = None
    momentum: float | None = None
    fine_tune: bool = False
    clip: float | None = None
    classes: int | None = None
    param_count: int | None = None

    @property
    def range(self) -> tuple[float, float] | None:
        return typical_range(self.optimizer, self.momentum, self.fine_tune, self.param_count)

    @property
    def sized(self) -> bool:
        """The usual range was moved down for the model's known size."""
        return self.range != typical_range(self.optimizer, self.momentum, self.fine_tune)

    def usual(self) -> str:
        """The usual range in words: "AdamW's usual range 0.0001-0.003" (at a known size,
        "... for 124M parameters")."""
        rng = self.range or (0.0, 0.0)
        name = "fine-tuning range" if self.fine_tune else "usual range"
        size = f" for {_count(self.param_count)} parameters" if self.sized else ""
        return f"{self.optimizer}'s {name} {rng[0]:.3g}-{rng[1]:.3g}{size}"


def _count(n: int | None) -> str:
    """A parameter count as people write it: 124M, 1.3B."""
    value = float(n or 0)
    for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= size:
            return f"{value / size:.3g}{unit}"
    return f"{value:.0f}"


def peak_lr(curve: Curve, prior: Prior) -> float | None:
    """The peak LR as the optimizer's step sees it: with gradient clipping and a logged gradient
    norm above the clip, ``lr x clip / |g|`` (the median gradient norm); with clipping and no
    gradient norm the step is unknown (None), as is an unlogged LR. An adaptive optimizer's
    step does not scale with the gradient, so clipping leaves its LR as it is."""
    ok = np.isfinite(curve.lr) & (curve.lr > 0)
    if not ok.any():
        return None
    lr = float(curve.lr[ok].max())
    if prior.clip is None or is_adaptive(prior.optimizer):  # Adam's step ignores the scale
        return lr
    gn = curve.grad_norm[np.isfinite(curve.grad_norm) & (curve.grad_norm > 0)]
    return clipped_lr(lr, prior.clip, float(np.median(gn))) if gn.size else None


def lr_decades_outside(curve: Curve, prior: Prior) -> float:
    """How many decades the peak LR sits above (> 0) or below (< 0) the optimizer's usual range;
    0 inside it, or when the LR, the optimizer or its range is unknown (or it is LR-free)."""
    rng, lr = prior.range, peak_lr(curve, prior)
    if rng is not None and lr is None and prior.clip is not None:
        raw = curve.lr[np.isfinite(curve.lr) & (curve.lr > 0)]  # clipped: at most the raw LR
        return min(0.0, math.log10(float(raw.max())) - math.log10(rng[0])) if raw.size else 0.0
    if rng is None or lr is None:
        return 0.0
    decade = math.log10(lr)
    return max(0.0, decade - math.log10(rng[1])) - max(0.0, math.log10(rng[0]) - decade)


def decades_below_top(curve: Curve, prior: Prior) -> float | None:
    """How many decades the peak LR sits below the top of the optimizer's usual range (< 0
    above it); None when the LR, the optimizer or its range is unknown, or it is LR-free."""
    rng, lr = prior.range, peak_lr(curve, prior)
    if rng is None or lr is None:
        return None
    return math.log10(rng[1] / lr)


def lr_at_top(curve: Curve, prior: Prior) -> bool:
    """The peak LR sits at least at the top of the optimizer's usual range, within LR_AT_TOP
    decades below it (False when the LR, the optimizer or its range is unknown, or LR-free)."""
    below = decades_below_top(curve, prior)
    return below is not None and below <= LR_AT_TOP


def lr_far_from_range(curve: Curve, prior: Prior, far: float = LR_FAR) -> Symptom | None:
    """The LR sits more than ``far`` decades (LR_FAR by default) outside the optimizer's usual
    range."""
    decades = lr_decades_outside(curve, prior)
    if abs(decades) <= far:
        return None
    lr = peak_lr(curve, prior) or math.nan
    where = "above" if decades > 0 else "below"
    what = "the clipped step's LR" if prior.clip is not None else "peak LR"
    msg = f"{what} {_fmt(lr)} is {abs(decades):.1f} decades {where} {prior.usual()}"
    name = SymptomName.LR_HIGH if decades > 0 else SymptomName.LR_LOW
    return Symptom(name, strength(abs(decades), far), Evidence(msg, "lr", None, None, lr))


# --------------------------------------------------------------------------- schedule context
def warming_up(curve: Curve) -> Symptom | None:
    """The LR is still rising at the end of the curve: too early to call the run stalled."""
    lr = curve.lr
    ok = np.isfinite(lr) & (lr > 0)
    if ok.sum() < 3:
        return None
    vals = lr[ok]
    recent = vals[int(0.8 * vals.size):]
    if vals[-1] <= 1.02 * recent[0] or vals[-1] < 1.5 * vals[0] or vals[-1] < vals.max():
        return None
    msg = f"LR still rising (warmup): {_fmt(vals[0])} -> {_fmt(vals[-1])}"
    return Symptom(SymptomName.WARMUP, 1.0,
                   Evidence(msg, "lr", int(curve.first[0]), int(curve.last[-1]), float(vals[-1])))


def decayed(curve: Curve) -> Symptom | None:
    """The LR has been decayed well below its peak (cosine or step tail)."""
    lr = curve.lr
    ok = np.isfinite(lr) & (lr > 0)
    if ok.sum() < 3:
        return None
    peak, now = float(lr[ok].max()), float(lr[ok][-1])
    if now > 0.5 * peak:
        return None
    msg = f"LR decayed to {100 * now / peak:.0f}% of its peak {_fmt(peak)}"
    return Symptom(SymptomName.DECAYED, 1.0,
                   Evidence(msg, "lr", None, int(curve.last[-1]), now / peak))


def looks_fine_tuned(curve: Curve, optimizer: str | None, classes: int | None) -> bool:
    """A fine-tune, read off the run (see FINE_TUNE_LR): an adaptive optimizer (or an unknown
    one) at a fine-tuning LR with a linear decay, or with a first loss under half of chance."""
    ok = np.isfinite(curve.lr) & (curve.lr > 0)
    if not ok.any() or (optimizer is not None and not is_adaptive(optimizer)):
        return False
    lr = curve.lr[ok]
    peak = float(lr.max())
    chance = chance_level(classes)
    if chance is not None and peak <= FINE_TUNE_LR_LOW_LOSS and curve.shift == 0.0 \
            and curve.to_loss(curve.first_level) < 0.5 * chance:
        return True
    return peak <= FINE_TUNE_LR and _linear_decay(lr)


def _linear_decay(lr: np.ndarray) -> bool:
    """After its peak the LR falls in a straight line to under a fifth of the peak (within 5%
    of the peak everywhere; a cosine strays up to 21%)."""
    top = int(np.argmax(lr))
    tail = lr[top:]
    if tail.size < 5 or tail[-1] > 0.2 * tail[0]:
        return False
    line = np.linspace(tail[0], tail[-1], tail.size)
    return bool(np.max(np.abs(tail - line)) <= 0.05 * tail[0])


def levelled_off(curve: Curve) -> Symptom | None:
    """A constant-LR run whose loss stopped improving: decay would lower the noise floor."""
    lr = curve.lr
    ok = np.isfinite(lr) & (lr > 0)
    if ok.sum() >= 3 and float(lr[ok][-1]) < 0.9 * float(lr[ok].max()):
        return None
    ne = max(3, curve.size // 10)
    at70 = int(0.7 * curve.size)
    before, end = curve.level(at70 - ne, at70), curve.end_level
    noise = curve.noise / math.sqrt(ne)
    if before - end > max(0.02, 2 * noise):
        return None
    msg = (f"loss levelled off: {_level_change(before - end)} over the last 30% "
           f"of the run (steps {curve.first[at70]}-{curve.last[-1]})")
    if noisy_level(curve):
        msg += (f", with step-to-step noise {100 * curve.noise:.0f}%: a loss this noisy at a "
                "constant LR may be held up by the LR itself (its noise floor) as well as at a "
                "good LR's end; one run cannot tell them apart: a run at ~3x lower LR would")
    return Symptom(SymptomName.LEVELLED_OFF, 1.0, Evidence(msg, "loss", int(curve.first[at70]),
                                                           int(curve.last[-1]), before - end))


def noisy_level(curve: Curve) -> bool:
    """The loss's step-to-step noise is NOISY_LEVEL or more: a level it reached at a constant
    LR may be that LR's noise floor."""
    return bool(math.isfinite(curve.noise) and curve.noise >= NOISY_LEVEL)


def _at_top(curve: Curve, prior: Prior) -> tuple[float, str] | None:
    """The peak LR and where it sits ("at", "2x above") when it is at or above the top of the
    usual range (within LR_AT_TOP below it); None elsewhere or when either is unknown."""
    below, lr = decades_below_top(curve, prior), peak_lr(curve, prior)
    if below is None or lr is None or below > LR_AT_TOP:
        return None
    return lr, f"{10 ** -below:.2g}x above" if below < 0 else "at"


def overfit_at_top(curve: Curve, prior: Prior) -> Symptom | None:
    """A validation loss that turned up (``val_turned_up``) at an LR at or above the top of the
    usual range (within LR_AT_TOP below it): a run past its best LR overfits as well as a good
    one given too many epochs (real-world round 17, every side: of the 21 runs that overfit
    there, 17 were labelled too high, 3 keep, 1 too low, from 7 made families; below the top 4
    keep of 8, 3 too high), so the evidence names both readings and the run that tells them
    apart."""
    place = _at_top(curve, prior)
    if place is None:
        return None
    lr, where = place
    msg = (f"overfitting, or too high: peak LR {_fmt(lr)} sits {where} the top of "
           f"{prior.usual()}, where a validation loss turns up at an LR past the best as well "
           "as at a good one run too long; one run cannot tell them apart: a run at ~3x lower "
           "LR, or a range test, would")
    return Symptom(SymptomName.OVERFIT_AT_TOP, OPEN_HEALTHY, Evidence(msg, "lr", None, None, lr))


def stalled_at_top(curve: Curve, prior: Prior) -> Symptom | None:
    """A loss that moved little and still falls, at an LR at or above the top of the usual
    range (within LR_AT_TOP below it): too low an LR and one so high that its noise holds the
    loss up both fall slowly (real-world round 16, every side: "stalled" there at 0.7 was right
    on 2 of 4 runs, 3 made families: a GCN's two epoch logs labelled too low, told a range test;
    a byte CNN under SGD-momentum and an MLP-Mixer under Nesterov SGD labelled too high, told
    "increase"), so the evidence names both readings and the run that tells."""
    place = _at_top(curve, prior)
    if place is None:
        return None
    lr, where = place
    msg = (f"stalled, or too high: peak LR {_fmt(lr)} sits {where} the top of {prior.usual()}, "
           "where a slow fall may come from too high an LR (its noise holds the loss up) as "
           "well as too low a one; one run cannot tell them apart: a run at ~3x lower LR and one "
           "at ~3x higher, or a range test, would")
    return Symptom(SymptomName.TOO_HIGH_NOT_EXCLUDED, OPEN_HEALTHY,
                   Evidence(msg, "lr", None, None, lr))


#: an LR within this factor of the optimizer's plausible most leaves an increase no room
#: (``suggest.NO_ROOM``, the same 1.5x)
AT_MOST = 1.5


def stalled_at_most(curve: Curve, prior: Prior) -> Symptom | None:
    """A slow fall read as stalled at an LR already at what the optimizer plausibly takes
    (``optimizers.plausible_max``, within AT_MOST), where no increase is left to suggest: a slow
    fall there reads as too high an LR as well (real-world round 21, every side: "stalled" there
    was right on none of 3 runs, 2 made families: a text CNN under Adadelta at 1 and 1.78,
    labelled too high and diverging, at 0.7; a RealNVP flow under Adam at 1e-2, labelled keep,
    at 0.5), so the evidence names both readings, as at the top of the usual range."""
    lr = peak_lr(curve, prior)
    most = plausible_max(prior.optimizer, prior.momentum, prior.clip)
    if lr is None or most is None or lr * AT_MOST <= most:
        return None
    msg = (f"stalled, or too high: peak LR {_fmt(lr)} sits at or above ~{most:g}, the most "
           f"{prior.optimizer} plausibly takes, where a slow fall may come from too high an LR "
           "(its noise holds the loss up) as well as too low a one; one run cannot tell them "
           "apart: a run at ~3x lower LR, or a range test, would")
    return Symptom(SymptomName.TOO_HIGH_NOT_EXCLUDED, OPEN_HEALTHY,
                   Evidence(msg, "lr", None, None, lr))


def _lr_logged(curve: Curve) -> bool:
    """Some step of the run logged a positive, finite LR."""
    return bool((np.isfinite(curve.lr) & (curve.lr > 0)).any())


def slow_fall_unplaced(curve: Curve) -> Symptom | None:
    """A slow, steady fall read as stalled where the LR is not logged, so its place in the
    usual range is unknown: "too low" rests on that place (real-world round 18, every side:
    "stalled, increase" from a loss still coming down at a steady, slow rate was right on 23
    of 26 runs 3x or more below the top of the range, and on 2 of 4 whose LR was not logged,
    from 2 public repositories: a CFD surrogate's Lion runs under a cosine the log does not
    hold, labelled keep and too high, told "increase 3x" at 0.7), so the reading is an open one
    and the runs that tell are named. An LR logged with no usual range known (an optimizer not
    named) keeps the reading: no run of the sides had that shape."""
    if _lr_logged(curve):
        return None
    msg = ("the LR is not logged, so its place in the usual range is unknown: a loss still "
           "coming down at a steady, slow rate reads as too low an LR, or as a good one (or one "
           "past the best) whose schedule or run length ends the fall; one run cannot tell them "
           "apart: a range test, or runs at ~3x and ~1/3 the LR, would")
    return Symptom(SymptomName.LR_UNPLACED, OPEN_HEALTHY, Evidence(msg, "lr"))


#: a flat loss that first fell by this share of its first points' level got going
FELL_TO_FLOOR = 0.4
#: ... to a level under this share of chance level (where chance is known): off chance
OFF_CHANCE = 0.9
#: ... at an LR less than 3x below the top of the usual range (decades): 3x or more below it,
#: too low stays the likelier reading of a fall that stopped
FLOOR_LOW = math.log10(3)


def fell_to_floor(curve: Curve, classes: int | None, flat: Symptom) -> Symptom | None:
    """A loss flat over the rest of the run (``flat``: a plateau, or hardly moved from the start
    level) after it fell FELL_TO_FLOOR (40%) or more from its first logged loss, to a level
    under OFF_CHANCE of chance level where that is known: the run got going, so "it never got
    going" (stalled, too low) contradicts the curve (real-world round 19, every side: of the 40
    runs read "stalled, range test" at 0.35 so, with the LR not 3x or more below the top of the
    usual range, 27 were labelled healthy, from 8 sources: a public repository's logistic
    regressions and SVMs, 7 made families; 7 too low, 6 too high; 3x or more below the top, 6
    of 8 were too low). Such a flat stretch is a floor the run converged to, or a level too
    high an LR holds it at; one run cannot tell them apart."""
    first = float(curve.log_loss[0])
    drop = first - curve.end_level
    share = 1 - _exp(-drop)
    if share < FELL_TO_FLOOR:
        return None
    chance = chance_level(classes)
    end = curve.to_loss(curve.end_level)
    if chance is not None and curve.shift == 0.0 and end >= OFF_CHANCE * chance:
        return None  # back at chance (a blow-up's first points fall to it): no floor reached
    by = f"by step {flat.since_step}" if flat.name is SymptomName.PLATEAU and \
        flat.since_step is not None else "in its first logged points"
    msg = (f"the loss fell {100 * share:.0f}% ({_fmt(curve.to_loss(first))} -> "
           f"{_fmt(end)}) {by}, then showed no clear fall to step "
           f"{curve.last[-1]}: it got going, so the flat stretch is a floor it converged to, or "
           "a level too high an LR holds it at (its noise keeps it up); one run cannot tell "
           "them apart: a range test, or a run at ~3x lower LR, would")
    return Symptom(SymptomName.FELL_TO_FLOOR, OPEN_HEALTHY,
                   Evidence(msg, "loss", int(curve.first[0]), int(curve.last[-1]), _exp(-drop)),
                   since_step=int(curve.first[0]))


def noisy_near_top(curve: Curve, prior: Prior) -> Symptom | None:
    """A loss that made little progress above the usual range, no more than LR_BEYOND above
    it, whose only sign of too high an LR is its step-to-step noise (no swing back up): a noisy
    target (an MSE on noisy data) is as noisy at a good LR (real-world round 18: a TCN
    forecaster's sweep had 10-20% noise at every LR from 1e-4 to 1e-1, its best at 3.2e-3).
    Such runs were told "reduce ~3x" at 0.6, right by their sweeps on 9 of 15 from 7 sources
    (the benchmark corpus's 11 on 5 tasks: 8; a TCN forecaster and a source fine-tune made
    here: 1 of 4), wrong on 4 of the 7 sources: the evidence names both readings and the run
    that tells."""
    outside = lr_decades_outside(curve, prior)
    if swung_up(curve) or curve.noise <= ROUGH_NOISE or outside <= 0 or outside > LR_BEYOND:
        return None
    lr = peak_lr(curve, prior)
    msg = (f"noisy, or too high: peak LR {_fmt(lr or math.nan)} sits {10 ** outside:.2g}x above "
           f"{prior.usual()}, and the loss shows no swing back up, only step-to-step noise, "
           "which a noisy target (a regression's noise floor) has at a good LR as well; one run "
           "cannot tell them apart: a run at ~3x lower LR, or a range test, would")
    return Symptom(SymptomName.NOISY_NEAR_TOP, OPEN_HEALTHY, Evidence(msg, "lr"))


def too_low_not_excluded(curve: Curve) -> Symptom | None:
    """A healthy-looking run whose loss still fell over the last 40% of the run (in LR time) and
    did not level off at a constant LR: one run cannot tell a good LR from too low a one there
    (a too-low LR also falls smoothly, only further from where a better LR gets), so the
    evidence names both readings and the test that tells them apart."""
    at60, late = late_drop(curve)
    if late <= STILL_IMPROVING:
        return None
    msg = (f"healthy, or too low: the loss still fell {100 * (1 - _exp(-late)):.0f}% over the "
           f"last 40% of the run (steps {curve.first[at60]}-{curve.last[-1]}) and never levelled "
           "off; a smooth fall looks the same at a good LR and at one too low, so one run cannot "
           "tell them apart: a range test, or a run at ~3x the LR, would")
    return Symptom(SymptomName.TOO_LOW_NOT_EXCLUDED, OPEN_HEALTHY,
                   Evidence(msg, "loss", int(curve.first[at60]), int(curve.last[-1]), late))


def floor_or_too_low(curve: Curve, prior: Prior) -> Symptom | None:
    """A loss that did not halve and flattens, at an LR no more than LR_AT_TOP above the top of
    the usual range (or anywhere below it): a good LR's approach to a floor (a cross-entropy
    cannot fall below the data's entropy) and a too-low LR's slow fall look the same on one run
    (real-world round 12, every side so far: 46 such runs, fine-tunes that hardly moved among
    them, read "healthy, keep": 17 labelled healthy, 28 too low, 1 too high, from 8 public
    repositories and 8 made families), so the evidence names both readings and the run that
    tells them apart. Where the LR is not logged its place is unknown, so too low stays open
    (real-world round 39, every side: 104 such runs read "healthy, keep" from 30 public
    repositories, 50 labelled healthy, 43 too low, 11 too high) and too high is named with it."""
    below = decades_below_top(curve, prior)
    unlogged = not _lr_logged(curve) and not is_lr_free(prior.optimizer)
    if below is None and not unlogged or below is not None and below < -LR_AT_TOP:
        return None
    drop = curve.start_level - curve.end_level
    fell = (f"the loss fell {100 * (1 - _exp(-drop)):.0f}% and flattens" if drop >= 0.01 else
            f"the loss ended {_level_change(drop)} than it started and is flat")
    if below is None:
        msg = (f"healthy, too low or too high: {fell}, with the LR not logged (its place in the "
               "usual range unknown); a good LR's approach to a floor and a too-low LR's slow "
               "fall look the same on one run: a range test, or runs at ~3x and ~1/3 the LR, "
               "would tell them apart")
    else:
        msg = (f"healthy, or too low: {fell}, at an LR within {prior.usual()} or below it; a "
               "good LR's approach to a floor and a too-low LR's slow fall look the same on one "
               "run: a range test, or a run at ~3x the LR, would tell them apart")
    return Symptom(SymptomName.TOO_LOW_NOT_EXCLUDED, OPEN_HEALTHY,
                   Evidence(msg, "loss", int(curve.first[0]), int(curve.last[-1]), drop))


def below_top(curve: Curve, prior: Prior) -> Symptom | None:
    """The peak LR sits below the top of the optimizer's usual range (the evidence that tips a
    smooth fall that cannot exclude too low an LR toward it). With the model's size unknown the
    range is a small model's, and the evidence says so: larger models train at lower LRs."""
    below, rng, lr = decades_below_top(curve, prior), prior.range, peak_lr(curve, prior)
    if below is None or below <= 0 or rng is None or lr is None:
        return None
    if prior.fine_tune:  # a fine-tuning range spans full fine-tunes to LoRA: its bottom counts
        msg = (f"peak LR {_fmt(lr)} is {rng[0] / lr:.2g}x below the bottom of {prior.usual()}: "
               "too low is the likelier reading")
        return Symptom(SymptomName.BELOW_TOP, strength(math.log10(rng[0] / lr), LIKELY_LOW),
                       Evidence(msg, "lr", None, None, lr))
    msg = (f"peak LR {_fmt(lr)} is {10 ** below:.2g}x below the top of {prior.usual()}: too low "
           "is the likelier reading")
    if prior.param_count is None and not prior.fine_tune and is_adaptive(prior.optimizer):
        msg += (" - if the model is small: this range assumes one, and larger models train at "
                "lower LRs (GPT-3: 6e-4 at 125M, 2e-4 at 1.3B); give its parameter count "
                "(--params, param_count=) to read it against its size")
    return Symptom(SymptomName.BELOW_TOP, strength(below, LIKELY_LOW),
                   Evidence(msg, "lr", None, None, lr))


def above_fine_range(curve: Curve, prior: Prior) -> Symptom | None:
    """A fine-tune whose peak LR sits LIKELY_HIGH decades (3.2x) or more above the top of the
    fine-tuning range: a smooth fall there is a small model's or a frozen backbone's good LR, or
    one past the best (real-world round 29: of 14 such public fine-tunes read "healthy, keep", 5
    were labelled too high, 9 keep)."""
    below, rng, lr = decades_below_top(curve, prior), prior.range, peak_lr(curve, prior)
    if not prior.fine_tune or below is None or -below < LIKELY_HIGH or rng is None or lr is None:
        return None
    msg = (f"peak LR {_fmt(lr)} is {10 ** -below:.2g}x above the top of {prior.usual()}: a "
           "good LR for a small model or a frozen backbone, or too high an LR")
    return Symptom(SymptomName.FINE_TUNE_ABOVE_RANGE, strength(-below, LIKELY_HIGH),
                   Evidence(msg, "lr", None, None, lr))


def too_high_not_excluded(curve: Curve, prior: Prior) -> Symptom | None:
    """A healthy-looking run at an LR at or above the top of the usual range (within LR_AT_TOP
    below it): a smooth fall there may as well come from an LR past the best (the higher LRs of
    a sweep train smoothly too, only to a worse loss), so the evidence names that reading and
    the run that tells."""
    place = _at_top(curve, prior)
    if place is None:
        return None
    lr, where = place
    msg = (f"healthy, or too high: peak LR {_fmt(lr)} sits {where} the top of {prior.usual()}, "
           "where a smooth fall looks the same at the best LR and at one past it (a sweep's "
           "higher LRs train smoothly too, only to a worse loss); one run cannot tell them "
           "apart: a run at ~3x lower LR, or a range test, would")
    return Symptom(SymptomName.TOO_HIGH_NOT_EXCLUDED, OPEN_HEALTHY,
                   Evidence(msg, "lr", None, None, lr))


def stalled_high(curve: Curve, prior: Prior) -> Symptom | None:
    """A loss that fell a little and stopped falling with the peak LR more than LR_ABOVE decades
    above the top of the usual range (size-aware): it reads as a floor, or as an LR so high the
    loss stalls high; that far above the range too high is the likelier of the two, not a sure
    one (real-world round 5: a 27M GPT's AdamW runs at 3e-3-1e-2, 10-30x its sweep's best,
    fell 19-26% and stopped)."""
    below, lr = decades_below_top(curve, prior), peak_lr(curve, prior)
    if below is None or lr is None or below >= -LR_ABOVE:
        return None
    msg = (f"peak LR {_fmt(lr)} sits {10 ** -below:.2g}x above the top of {prior.usual()}: a "
           "loss that stopped falling after a small drop reads there as a floor or as too high "
           "an LR (a too-high LR stalls high), too high the likelier; a run at ~3x lower LR, or "
           "a range test, tells")
    return Symptom(SymptomName.STALLED_HIGH, OPEN_HEALTHY, Evidence(msg, "lr", None, None, lr))


def update_ratio_off(curve: Curve) -> Symptom | None:
    """The update/weight ratio of the last tenth sits far from the ~1e-3 rule of thumb
    (CS231n): below 1e-4 the weights barely move, above 1e-2 they are thrown around.
    Context for the verdict; it does not decide it (the corpus has no such curve to tune on)."""
    ur = curve.update_ratio[-max(3, curve.size // 10):]
    ur = ur[np.isfinite(ur) & (ur > 0)]
    if ur.size < 3:
        return None
    ratio = float(np.median(ur))
    if UPDATE_RATIO_LOW <= ratio <= UPDATE_RATIO_HIGH:
        return None
    side = "below" if ratio < UPDATE_RATIO_LOW else "above"
    msg = (f"update/weight ratio {ratio:.2g} over the last tenth of the run, far {side} the "
           "~1e-3 rule of thumb")
    name = SymptomName.UPDATE_RATIO_LOW if side == "below" else SymptomName.UPDATE_RATIO_HIGH
    return Symptom(name, 0.5, Evidence(msg, "update_ratio", None, int(curve.last[-1]), ratio))


# --------------------------------------------------------------------------- early alarm
def alarm(summary: Summary) -> Symptom | None:
    """Divergence starting now: a NaN/inf loss, or the last few points of loss or gradient norm
    far above the level before them (gradient-norm spikes usually precede loss spikes), from
    the 5th point of a run on."""
    steps, loss, gn = summary.tail_steps, summary.tail_loss, summary.tail_gn
    if steps.size == 0:
        return None
    if not np.isfinite(loss[-1]):
        return Symptom(SymptomName.ALARM, 1.0,
                       Evidence(f"loss is non-finite at step {steps[-1]}", "loss", int(steps[-1]),
                                int(steps[-1]), float(loss[-1])),
                       since_step=int(steps[-1]))
    start = float(np.median(summary.head_loss)) if summary.head_loss.size else math.nan
    for name, values in (("loss", loss), ("grad_norm", gn)):
        found = _jump(values, ALARM_LOSS_RATIO if name == "loss" else ALARM_GRAD_RATIO)
        if found is None:
            continue
        k, ratio, center = found
        recent = values[-k:]
        if name == "loss" and math.isfinite(start) and \
                float(recent.min()) - center <= REBOUND_SHARE * max(start - center, 0.0):
            continue
        label = "loss" if name == "loss" else "grad norm"
        # the ratio is the least of the last k points against the level before: "to" names
        # that point, and the last one too where it is well above it
        least, last = float(recent.min()), float(recent[-1])
        to = _fmt(least) if last <= 1.5 * least else \
            f"at least {_fmt(least)}, {_fmt(last)} at step {steps[-1]}"
        msg = (f"{label} jumped to {ratio:.3g}x its level before over the last {k} steps "
               f"({steps[-k]}-{steps[-1]}, from {_fmt(center)} to {to})")
        return Symptom(SymptomName.ALARM, strength(ratio, ALARM_LOSS_RATIO if name == "loss"
                                                   else ALARM_GRAD_RATIO),
                       Evidence(msg, name, int(steps[-k]), int(steps[-1]), ratio),
                       since_step=int(steps[-k]))
    return None


def _jump(values: np.ndarray, ratio_needed: float) -> tuple[int, float, float] | None:
    """``(points, ratio, level)`` when the last points all sit far above the median level of
    the points before them (see ALARM_*), else None."""
    for k, history in ((ALARM_POINTS, ALARM_HISTORY), (ALARM_FEW_POINTS, ALARM_FEW_HISTORY)):
        if values.size < k + history:
            continue
        recent = values[-k:]
        ref = values[:-k]
        ref = ref[np.isfinite(ref) & (ref > 0)]
        if ref.size < history or not np.all(np.isfinite(recent) & (recent > 0)):
            return None
        logs = np.log(ref)
        center = float(np.median(logs))
        rise = float(np.log(recent.min())) - center
        if ref.size >= ALARM_HISTORY:
            if rise > max(math.log(ratio_needed), ALARM_Z * max(mad_sigma(logs), 1e-3)):
                return k, _exp(rise), math.exp(center)
            return None
        # a short run's first point is where training started (the whole run is in the tail):
        # the jump must clear it too, so a low first batch or two cannot fake one
        center = max(center, float(logs[0]))
        rise = float(np.log(recent.min())) - center
        if rise > math.log(ALARM_FEW_RATIO):
            return k, _exp(rise), math.exp(center)
        return None
    return None


# --------------------------------------------------------------------------- units of the loss
def chance_level(classes: int | None) -> float | None:
    """ln K, the cross-entropy of a uniform guess over K classes (None when K is unknown)."""
    return math.log(classes) if classes is not None and classes >= 2 else None


def at_chance(curve: Curve, classes: int | None) -> Symptom | None:
    """The end level sits within CHANCE_BAND of ln K: the model predicts the uniform guess."""
    chance = chance_level(classes)
    if chance is None or curve.shift != 0.0:
        return None
    end = curve.to_loss(curve.end_level)
    if abs(end / chance - 1.0) > CHANCE_BAND:
        return None
    msg = (f"the loss sits at ln({classes}) = {chance:.3g}, chance level ({_fmt(end)} over the "
           f"last tenth, steps {curve.first[-max(3, curve.size // 10)]}-{curve.last[-1]})")
    return Symptom(SymptomName.AT_CHANCE, 0.5,
                   Evidence(msg, "loss", None, int(curve.last[-1]), end))


def above_chance(curve: Curve, classes: int | None) -> Symptom | None:
    """The loss never got below chance level and ends ABOVE_CHANCE above it: worse than a
    uniform guess, so the model blew up (before the first logged point when it starts there)."""
    chance = chance_level(classes)
    if chance is None or curve.shift != 0.0:
        return None
    best, end = curve.to_loss(float(np.min(curve.trend))), curve.to_loss(curve.end_level)
    if best < chance * (1 + CHANCE_BAND) or end < chance * (1 + ABOVE_CHANCE):
        return None
    start = curve.to_loss(curve.first_level)
    where = " from the first logged point" if start > chance * (1 + CHANCE_BAND) else ""
    msg = (f"the loss stayed above chance level ln({classes}) = {chance:.3g}{where} and ends "
           f"at {_fmt(end)}, {100 * (end / chance - 1):.0f}% above it: worse than a uniform "
           "guess, the model blew up" + (" before the first logged point" if where else ""))
    return Symptom(SymptomName.ABOVE_CHANCE, strength(end / chance, 1 + ABOVE_CHANCE) * 0.8,
                   Evidence(msg, "loss", int(curve.first[0]), int(curve.last[-1]), end / chance),
                   since_step=int(curve.first[0]))


def started_above_chance(curve: Curve, classes: int | None) -> Symptom | None:
    """The first logged level sits ABOVE_CHANCE above chance level and the loss later came
    down to it or below: it blew up before the first logged point, or in the first steps, and
    came back (to chance only: the weights died).

    A log that starts at the first step with a first loss already above chance shows the
    initialisation's scale (large first logits), not a blow-up: no symptom."""
    chance = chance_level(classes)
    if chance is None or curve.shift != 0.0:
        return None
    start, best = curve.to_loss(curve.first_level), curve.to_loss(float(np.min(curve.trend)))
    if start < chance * (1 + ABOVE_CHANCE) or best > chance * (1 + CHANCE_BAND):
        return None
    head = curve.summary.head_loss
    from_init = int(curve.first[0]) <= 1 and head.size > 0
    initial = float(head[0]) if from_init else start
    if from_init and initial > chance * (1 + ABOVE_CHANCE):
        return None
    when = (f"in its first steps (from {_fmt(initial)} at step {curve.first[0]})" if from_init
            else f"before the first logged point (step {curve.first[0]})")
    msg = (f"the loss sat at {_fmt(start)} over its first logged points, "
           f"{100 * (start / chance - 1):.0f}% above chance level ln({classes}) = {chance:.3g}: "
           f"it blew up {when}, then came back to {_fmt(best)}")
    return Symptom(SymptomName.STARTED_ABOVE_CHANCE, 0.6,
                   Evidence(msg, "loss", int(curve.first[0]), int(curve.last[-1]), start / chance),
                   since_step=int(curve.first[0]))


def epoch_blowup_came_back(curve: Curve) -> Symptom | None:
    """An epoch log one of whose first tenth of points (the first two at least) sits
    EPOCH_HIDDEN_BLOWUP x above the median of the three after it: an epoch's mean holds every
    batch of that epoch, so the loss blew up inside it and came back; where the classes are
    unknown, the chance-level reading (``started_above_chance``) cannot see it."""
    if curve.shift != 0.0 or curve.size < 6:
        return None
    z = curve.log_loss
    gaps = [float(z[j] - np.median(z[j + 1:j + 4]))
            for j in range(min(max(2, curve.size // 10), curve.size - 3))]
    at = int(np.argmax(gaps))
    if gaps[at] < math.log(EPOCH_HIDDEN_BLOWUP):
        return None
    ratio = _exp(gaps[at])
    after = curve.to_loss(float(np.median(z[at + 1:at + 4])))
    msg = (f"each point is an epoch's mean: the epoch at step {curve.first[at]} averaged "
           f"{_fmt(curve.to_loss(float(z[at])))}, {curve.times(ratio)}"
           f" the {_fmt(after)} of the epochs "
           "after it: the loss blew up inside that epoch and came back, an LR at the edge of "
           "stability")
    return Symptom(SymptomName.RECOVERED_SPIKE, 0.5,
                   Evidence(msg, "loss", int(curve.first[at]), int(curve.last[at]), ratio),
                   since_step=int(curve.first[at]))


def learned_past(curve: Curve, classes: int | None) -> bool:
    """A cross-entropy that ended under LEARNED_PAST_SHARE (half) of chance level."""
    chance = chance_level(classes)
    return chance is not None and curve.shift == 0.0 and \
        curve.to_loss(curve.end_level) < LEARNED_PAST_SHARE * chance


def hardly_moved(curve: Curve) -> Symptom | None:
    """The level moved less than HARDLY_MOVED (10%) between the start and the end."""
    drop = curve.start_level - curve.end_level
    if abs(drop) >= HARDLY_MOVED:
        return None
    msg = (f"loss hardly moved: {100 * (_exp(-drop) - 1):+.1f}% over the whole run "
           f"({_fmt(curve.to_loss(curve.start_level))} -> {_fmt(curve.to_loss(curve.end_level))},"
           f" steps {curve.first[0]}-{curve.last[-1]})")
    return Symptom(SymptomName.FLAT, 0.5,
                   Evidence(msg, "loss", int(curve.first[0]), int(curve.last[-1]), _exp(-drop)),
                   since_step=int(curve.first[0]))


def plateau(curve: Curve) -> Symptom | None:
    """Flat at the end, judged per decade of steps as a power law is: over the last decade (the
    last 90% of the steps) the level fell less than PLATEAU, or over the second half less than
    PLATEAU_HALF, in either case also less than 3 standard errors of the two levels. A healthy
    loss with a floor still falls there (an LM: 4.5 -> 3.7 over its last decade, ~1-5% over its
    second half); one stuck at the unigram level or at chance does not."""
    if curve.size < 10:
        return None
    span = curve.last[-1] - curve.first[0]
    k = max(3, curve.size // 20)
    for share, least in ((0.1, PLATEAU), (0.5, PLATEAU_HALF)):
        at = int(np.clip(np.searchsorted(curve.first, curve.first[0] + share * span),
                         k // 2, curve.size // 2))
        before = curve.level(at - k // 2, at + k - k // 2)
        drop = before - curve.end_level
        noise = math.hypot(curve.level_error(at - k // 2, at + k - k // 2),
                           curve.level_error(curve.size - k, curve.size))
        if drop < max(least, SIGNIFICANT * noise):
            within = ", within its noise" if drop >= least else ""
            msg = (f"no clear fall over the last {100 * (1 - share):.0f}% of the run "
                   f"({_level_change(drop)}{within}, from step {curve.first[at]} to "
                   f"{curve.last[-1]}, at {_fmt(curve.to_loss(curve.end_level))})")
            return Symptom(SymptomName.PLATEAU, 0.5, Evidence(msg, "loss", int(curve.first[at]),
                                                              int(curve.last[-1]), drop),
                           since_step=int(curve.first[at]))
    return None


def flattening(curve: Curve) -> Symptom | None:
    """A fall that slows toward a floor: the context of a healthy run whose loss did not halve
    (a cross-entropy cannot fall below the data's entropy)."""
    drop = curve.start_level - curve.end_level
    if drop <= 0:
        return None
    msg = (f"loss fell {100 * (1 - _exp(-drop)):.0f}% ({_fmt(curve.to_loss(curve.start_level))}"
           f" -> {_fmt(curve.to_loss(curve.end_level))}) and is flattening toward a floor: a "
           "loss like cross-entropy cannot fall below the data's entropy")
    return Symptom(SymptomName.FLATTENING, 0.5, Evidence(msg, "loss", int(curve.first[0]),
                                                         int(curve.last[-1]), drop))


def epoch_start_hidden(curve: Curve, classes: int | None) -> Symptom | None:
    """An epoch log's first point, the mean of its first epoch, is no start: the steep early
    fall is already behind it, so the drop measured from it understates the progress (real-world
    round 8: Penn Treebank LMs whose first epoch's mean was 6.0 nats, from ln V ~ 9.2, told
    "moved only -20%, increase 6-10x" at their grid's best LR). Found where the first point sits
    under EPOCH_BELOW_CHANCE of chance level, or where chance level is unknown (the first mean
    is then a floor on the start, not the start); None where it sits at chance (a first epoch
    that barely moved shows the start)."""
    chance = chance_level(classes)
    first = float(curve.loss[0])
    if chance is not None and curve.shift == 0.0:
        if first >= EPOCH_BELOW_CHANCE * chance:
            return None
        below = 100 * (1 - first / chance)
        where = (f"the first epoch's mean {_fmt(first)} is already {below:.0f}% below chance "
                 f"level ln({classes}) = {chance:.3g}, where training started")
    else:
        where = (f"the first epoch's mean {_fmt(first)} is a floor on where training started, "
                 "which the log does not show")
    msg = (f"each point is an epoch's mean: {where}, so the drop measured from it over "
           f"{int(curve.count.sum())} epochs hides the first epoch's steep fall")
    return Symptom(SymptomName.EPOCH_START_HIDDEN, 0.5,
                   Evidence(msg, "loss", int(curve.first[0]), int(curve.first[0]), first))


def swung_up(curve: Curve) -> bool:
    """The level rose SWING (5%) above its running best somewhere, beyond 3 standard errors of
    the difference of two levels (``SWING_ERROR``): the curve does not fall smoothly, and the
    rise stands out of the run's own noise."""
    best = np.minimum.accumulate(curve.trend)
    rise = float(np.max(curve.trend - best)) if curve.size else 0.0
    error = SWING_ERROR * curve.noise / math.sqrt(curve.window)
    return rise > max(math.log(1 + SWING), SIGNIFICANT * error)


def unsettled(curve: Curve) -> Symptom | None:
    """The loss does not settle: its level swung back up above its running best (``swung_up``)
    or it is rough (per-point noise above ROUGH_NOISE). What a status of too high an LR shows
    on the curve; a loss that falls smoothly shows none of it (real-world round 10, made: a
    byte transformer at 1e-3..1.8e-2 and LoRA adapters at 5.6e-4..3e-3 fell smoothly and were
    read "oscillating" from their LR and gradient norm alone)."""
    best = np.minimum.accumulate(curve.trend)
    at = int(np.argmax(curve.trend - best)) if curve.size else 0
    if swung_up(curve):
        rise = _exp(float(curve.trend[at] - best[at])) - 1
        msg = f"the loss rose {100 * rise:.0f}% above its best level by step {curve.first[at]}"
        return Symptom(SymptomName.UNSETTLED, strength(rise, SWING),
                       Evidence(msg, "loss", int(curve.first[at]), None, rise))
    if curve.noise > ROUGH_NOISE:
        msg = (f"step-to-step noise {100 * curve.noise:.1f}%, above the "
               f"{100 * ROUGH_NOISE:.0f}% of a smooth curve")
        return Symptom(SymptomName.UNSETTLED, strength(curve.noise, ROUGH_NOISE),
                       Evidence(msg, "loss", int(curve.first[0]), int(curve.last[-1]),
                                curve.noise))
    return None


def staircase(curve: Curve) -> Symptom | None:
    """The level falls in a few sharp steps at regular intervals, the first one interval after
    the start (epoch boundaries), and these steps make most of the drop after the first tenth."""
    if curve.size < 20:
        return None
    begin = curve.size // 10
    zs = curve.trend[begin:]
    total = float(zs[0] - zs[-1])
    if total <= max(PLATEAU, SIGNIFICANT * curve.noise / math.sqrt(curve.window)):
        return None
    drops = -np.diff(zs)
    sharp = np.flatnonzero(drops > max(STAIR_Z * curve.noise / math.sqrt(curve.window),
                                       0.1 * total))
    # one step of the level may take two bins: merge neighbours
    groups = np.split(sharp, np.flatnonzero(np.diff(sharp) > 2) + 1) if sharp.size else []
    share = float(drops[sharp].sum()) / total
    if len(groups) < STAIR_MIN or share < STAIR_SHARE:
        return None
    lr = curve.lr
    for g in groups:  # a step of the LR schedule lowers the loss in steps too: not epochs
        i, j = begin + max(int(g[0]) - 2, 0), min(begin + int(g[-1]) + 3, curve.size - 1)
        if np.isfinite(lr[i]) and np.isfinite(lr[j]) and lr[j] < 0.9 * lr[i]:
            return None
    at = np.array([int(curve.first[begin + int(g[-1]) + 1]) for g in groups])
    gaps = np.diff(np.r_[curve.first[0], at]).astype(float)
    period = float(np.median(gaps))
    # regular, and on to the end of the run: the next boundary would fall after the last step
    if period <= 0 or np.max(np.abs(gaps / period - 1.0)) > STAIR_REGULAR \
            or curve.last[-1] - at[-1] > (1 + STAIR_REGULAR) * period:
        return None
    msg = (f"the loss falls in {len(groups)} steps every ~{period:.0f} steps (at steps "
           f"{', '.join(map(str, at[:6]))}), {100 * share:.0f}% of its drop, and is flat in "
           "between: the epoch boundaries of a multi-epoch run, not a stall")
    return Symptom(SymptomName.STAIRCASE, 0.5,
                   Evidence(msg, "loss", int(at[0]), int(at[-1]), share))


def recovered_spike(curve: Curve) -> Symptom | None:
    """A loss that jumped SPIKE_RATIO x above its running best for SPIKE_POINTS points in a row
    (one point of a sparse log), giving back half the drop made so far, and came back down."""
    if curve.size < 6 or curve.shift != 0.0:
        return None
    k = 1 if curve.size < NAN_SHORT else max(SPIKE_POINTS, curve.size // 100)
    held = curve.log_loss if k == 1 else np.lib.stride_tricks.sliding_window_view(
        curve.log_loss, k).min(axis=1)  # the lowest of k points in a row from each bin
    best = np.minimum.accumulate(curve.trend)
    # from the first twentieth (a jolt in the first steps is the start, not a relapse) to where
    # a twentieth of the run is left to show the recovery; a huge jump (SPIKE_HUGE) counts from
    # the 4th point on
    stop = min(held.size, curve.size - max(3, curve.size // 20))
    for begin in (3, max(3, curve.size // 20)):
        if stop <= begin:
            return None
        gap = held[begin:stop] - best[begin - 1:stop - 1]
        i = int(np.argmax(gap)) + begin
        jump = float(gap[i - begin])
        if jump >= math.log(SPIKE_HUGE) or i >= curve.size // 20:
            break
    low, high = curve.to_loss(float(best[i - 1])), curve.to_loss(float(held[i]))
    start = max(curve.to_loss(curve.first_level), low)
    given_back = (high - low) / (start - low) if start > low else 0.0
    if jump < max(math.log(SPIKE_RATIO), SPIKE_Z * curve.noise) or \
            given_back < SPIKE_GIVE_BACK or curve.end_level > float(held[i]) - math.log(2.0):
        return None
    peak = curve.to_loss(float(np.max(curve.log_loss[i:i + k])))
    ratio = _exp(jump)
    msg = (f"loss jumped {curve.times(ratio)}"
           f" above its running best ({_fmt(low)} -> {_fmt(peak)} at "
           f"step {curve.first[i]}), then came back down to "
           f"{_fmt(curve.to_loss(curve.end_level))} by the end")
    return Symptom(SymptomName.RECOVERED_SPIKE, strength(ratio, SPIKE_RATIO) * 0.7,
                   Evidence(msg, "loss", int(curve.first[i]), int(curve.last[i + k - 1]), ratio),
                   since_step=int(curve.first[i]))


def recovered_nonfinite(summary: Summary) -> Symptom | None:
    """NaN/inf losses in the middle of the run that came back to finite values; strength 0.5
    for a single NaN step in a long dense log (NAN_SHARE, NAN_SHORT), more otherwise."""
    if summary.first_nonfinite is None or summary.trailing_nonfinite is not None:
        return None
    share = summary.nonfinite_count / max(summary.points, 1)
    strong = share >= NAN_SHARE or summary.points < NAN_SHORT
    msg = (f"the loss was non-finite (NaN/inf) at {summary.nonfinite_count} logged point(s) "
           f"from step {summary.first_nonfinite}, then came back to finite values")
    return Symptom(SymptomName.RECOVERED_NAN, 0.7 if strong else 0.3,
                   Evidence(msg, "loss", summary.first_nonfinite, None,
                            float(summary.nonfinite_count)),
                   since_step=summary.first_nonfinite)


def died_after(curve: Curve, since_step: int, classes: int | None) -> Symptom | None:
    """After a huge spike at ``since_step``, a loss that ends short of half its start level (a
    converged loss near 0 takes its gradient with it), with a gradient norm GRAD_DEAD (1000x)
    below its level before the spike, or at chance level: the weights did not survive."""
    i = int(np.searchsorted(curve.first, since_step))
    if curve.end_level < curve.start_level - math.log(2.0):  # it trained on: it halved
        return None
    gn = curve.grad_norm
    before, after = gn[:i], gn[i + 1:]
    before, after = before[np.isfinite(before) & (before > 0)], after[np.isfinite(after)]
    if before.size and after.size >= 3:
        b, a = float(np.median(before)), float(np.median(after))
        if a <= 0 or math.log(b) - math.log(a) > GRAD_DEAD:
            msg = (f"then the gradients vanished (grad norm {_fmt(b)} -> {_fmt(a)}): the weights "
                   "are dead; re-initialise")
            return Symptom(SymptomName.DIED, 1.0, Evidence(msg, "grad_norm", since_step,
                                                           int(curve.last[-1]), a))
    chance = at_chance(curve, classes)
    if chance is not None:
        msg = "then the loss fell back to chance level: the weights are dead; re-initialise"
        return Symptom(SymptomName.DIED, 0.8, Evidence(msg, "loss", since_step, int(curve.last[-1]),
                                                       chance.evidence.value))
    return None


# ------------------------------------------------------------------ validation loss
# A validation loss that ends VAL_TURN above its own lowest point while the training loss keeps
# falling: the model overfits (the same 10% line as ``sweep.VAL_RISE``, which ranks a sweep's
# runs by their validation loss where some overfit). VAL_POINTS validation points at least, the
# lowest one before the last, and the training loss VAL_TRAIN_FELL (log units, ~10%) lower at
# the end than where the validation loss turned: a validation loss that rises with the training
# loss is the run's own trouble, read from the training loss.
VAL_TURN = 0.1
VAL_POINTS = 4
VAL_TRAIN_FELL = 0.1


# The lowest validation loss this far above chance level (ln K) while the training loss fell
# below it: worse than a uniform guess on unseen data (real-world round 35: 12 frozen-backbone
# classifiers at Adam 0.1, validation 2.3-3.8x chance at its lowest, training 0.3-0.6x; no run
# labelled healthy or too low in the corpus sits above 1.0x)
VAL_ABOVE_CHANCE = 0.5
# ... and the validation loss kept at least this share of its first point: a validation loss
# summed over a set (not averaged) sits far above chance as well, but falls as training does
VAL_KEPT = 0.5
# ... over at least this many finite validation points (one or two may be a spike)
VAL_CHANCE_POINTS = 3


def val_above_chance(curve: Curve, val: Series | None, classes: int | None) -> Symptom | None:
    """The training loss fell below chance level, the validation loss never did: its lowest
    point sits VAL_ABOVE_CHANCE above ln K. The model is confidently wrong on data it did not
    train on: too high an LR blows the logits up (or the validation data does not match the
    training data's labels or preprocessing, which no LR fixes)."""
    chance = chance_level(classes)
    if chance is None or curve.shift != 0.0 or val is None:
        return None
    ok = np.isfinite(val.values)
    steps, values = val.steps[ok], val.values[ok]
    if values.size < VAL_CHANCE_POINTS:
        return None
    i = int(np.argmin(values))
    low, trained = float(values[i]), curve.to_loss(float(np.min(curve.trend)))
    if low < chance * (1 + VAL_ABOVE_CHANCE) or low < VAL_KEPT * float(values[0]) \
            or trained > chance * (1 - CHANCE_BAND):
        return None
    msg = (f"the validation loss never came below chance level ln({classes}) = {chance:.3g}: "
           f"{_fmt(low)} at its lowest (step {int(steps[i])}), {low / chance:.1f}x chance, while "
           f"the training loss fell to {_fmt(trained)}: worse than a uniform guess on unseen "
           "data, the mark of too high an LR (or of validation data whose labels or "
           "preprocessing differ from training's)")
    return Symptom(SymptomName.VAL_ABOVE_CHANCE, 0.6,
                   Evidence(msg, "val_loss", int(steps[0]), int(steps[-1]), low / chance),
                   since_step=int(steps[0]))


def val_turned_up(curve: Curve, val: Series | None) -> Symptom | None:
    """The validation loss turned up while the training loss kept falling (overfitting), with
    the step it turned: its lowest point."""
    if val is None or curve.size == 0:
        return None
    ok = np.isfinite(val.values)
    steps, values = val.steps[ok], val.values[ok]
    if values.size < VAL_POINTS or float(values.min()) <= 0:
        return None
    i = int(np.argmin(values))
    low, last = float(values[i]), float(values[-1])
    if i == values.size - 1 or last < (1.0 + VAL_TURN) * low:
        return None
    turned = int(steps[i])
    at = int(min(np.searchsorted(curve.last, turned, side="left"), curve.size - 1))
    fell = curve.level(at, at + max(1, curve.window // 2)) - curve.end_level
    if fell < VAL_TRAIN_FELL:
        return None
    msg = (f"validation loss turned up at step {turned}: {_fmt(last)} at the end, "
           f"{100 * (last / low - 1):.0f}% above its lowest {_fmt(low)}, while the training loss "
           f"fell a further {100 * (1 - _exp(-fell)):.0f}%: the model overfits from there")
    return Symptom(SymptomName.VAL_TURNED_UP, strength(math.log(last / low), VAL_TURN),
                   Evidence(msg, "val_loss", turned, int(steps[-1]), last / low - 1),
                   since_step=turned)
