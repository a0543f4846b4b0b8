"""The status rules: for each diagnosis status, when it applies and what it advises.

A :class:`StatusRule` holds what lrwatch knows about one status: its clauses (each reads the
detectors' findings on a run and, when it applies, names the symptoms it rests on, at a
precedence: the lowest precedence that applies wins), its advice (action, factor, wording), and
whether it is a trend verdict (capped while the run is young). ``classify`` tries the clauses of
``RULES`` in precedence order and ``suggest`` asks the status's rule for its advice; what is
shared (the gates for NaN and too few points, the usual-range checks, the confidence and
fine-tune caps, batch scaling, the evidence) stays in those modules.

How to add a status: add its member to ``Status`` (``types.py``, and a ``SymptomName`` for what
its detector finds); write its detector (a function of the :class:`Findings` that returns a
``Symptom`` or None; one that several statuses read goes to ``detectors.py``), its clause, its
advice and its ``StatusRule`` here, with a precedence between the clauses it must come after and
before (they are spaced by 10), and add the rule to ``RULES``; give it a row in
``formatting.STATUS_STYLES``. Tests check that every status has a rule and a style row.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from lrwatch.analysis import detectors as d
from lrwatch.analysis.curve import Curve
from lrwatch.analysis.optimizers import LR_FAR, is_adaptive, typical_range
from lrwatch.analysis.summary import Summary
from lrwatch.analysis.types import Action, Evidence, RunCurves, Status, SymptomName

# Confidence caps (issue 12: a confidence >= 0.9 must be right >= 97%): a status read from the
# shape of the curve alone (slow, swinging) is never that sure; only a NaN that stayed, a
# blow-up or the loss's own units are. A swing back up (or spikes above the start) read
# oscillating was capped at 0.8; its labels say diverging as often (real-world round 21, every
# side: right by status on 5 of 14 such runs, 1 of 3 at 0.75-0.8, from 4 public repositories and
# 5 made families; the reduce right on 13 of 14), so it stays under the 0.7-0.9 bin
SWING_CONFIDENCE = 0.6
# ... and a slow run read as stalled (still falling, or fell a little) no surer than the sides
# earn it (real-world round 8, every side so far: stalled at 0.8 was right 16 of 22, 73%, over 8
# repositories and made families; wrong in 2, a made byte CNN sweep and one IMDB repository)
SLOW_CONFIDENCE = 0.7
# A smooth fall read healthy with nothing else to say does not place its LR among its
# neighbours, which train as smoothly (real-world round 8, every side so far, this verdict at
# 0.7: right 42 of 60 runs, 70%, where 90% of the loss was gone, 39 of 43 public, 3 of 17 made
# sweeps' neighbours; 17 of 27, 63%, where it was not, wrong in 5 of 16 repositories). Round 15,
# every side (1118 runs): 90% gone and still falling at 0.7 was right 39 of 79 (49%; 6 made
# sweep families 5 of 40, mehdidc's sweep 2 of 6; Aitor4's 19 of 20, askmuhsin's 6 of 6, 7
# single public logs 7 of 7): HEALTHY_CONFIDENCE, the evidence naming what one run cannot tell.
# 0.7 stays where the run shows its own end, a validation loss that turned up (25 runs, 24
# right, 8 sources) or a loss that levelled off.
HEALTHY_GONE_CONFIDENCE = 0.7
HEALTHY_CONFIDENCE = 0.6
# A flat loss at an LR that is not far below the usual range reads two ways (too low, or so high
# the model collapsed to the mean / the unigram / chance): low confidence, a range test.
AMBIGUOUS_CONFIDENCE = 0.35
FINE_TUNE_CONFIDENCE = 0.6  # a fine-tune's loss starts near its floor: slow is a weak reading
# A loss that stopped falling after a small drop, read by the LR's place alone (far above the
# range: too high; more than a decade below its top: too low): under an even reading (issue 12:
# "being wrong with low confidence is far better"), and a move of 3x at most.
LEAN_CONFIDENCE = 0.45

# A run that halved its loss and still fell before its LR decayed, read stalled: too low or a
# long schedule (round 10: right 5 of 8 on the real-world sides, 26 of 31 on the benchmark
# corpus, where 0.7 was said of both)
DECAY_TAIL_CONFIDENCE = 0.6
# A loss that stopped improving far above the usual range after it trained (more than halved)
# and sits at a level over the last 40% (fell less than 8%, rose less than 3%): a floor reached,
# or too high, one run cannot tell. Real-world round 10, every side, and the benchmark corpus:
# 17 such runs read "oscillating, reduce 3x" at 0.55, 8 labelled too high, 8 healthy, 1 too low
# (12 from 4 made families, among them a byte tagger fine-tune at 19-33x the fine-tuning top;
# 5 from 4 corpus tasks); outside that band (still falling 8-22%, or rising 3-71%) 27 of 30 were
# too high or diverging (2 public repositories' LMs, 4 made families, 9 corpus tasks), so
# reduce ~3x stays there.
LEVEL_FALL, LEVEL_RISE = 0.08, 0.03  # log-loss change over the last 40%: ~8% down, ~3% up
LEVEL_CONFIDENCE = 0.5

# A loss that rose over an epoch log (``detectors.EPOCH_RISE``): 8 of 8 such logs diverging, from
# 5 repositories, too few runs to claim more than a shape's confidence
EPOCH_RISE_CONFIDENCE = 0.7
# A slow-looking epoch log whose first point hides the start (``detectors.epoch_start_hidden``):
# healthy as far as its epochs tell, no surer than the other open readings (d.OPEN_HEALTHY)
EPOCH_HIDDEN_CONFIDENCE = 0.5

# A loss that fell at least this much (log units: 10%) far above the usual range, with nothing on
# the curve that shows too high an LR (SHOWN_HIGH), is read "too high" from the LR's place alone:
# the usual range is a prior, so it says which way, not how far. Such a run was told to move the
# LR to the top of the range, 18-100x (real-world round 20, every side: 3 runs of 2 made
# families, a VAE under Adam labelled too high, 18x, and a word2vec skip-gram under plain SGD at
# its sweep's best LRs, 17.8 and 31.6, told 56x and 100x: sparse embedding updates train far
# above dense SGD's range); a range test, as for a level far above the range. Round 7 held back
# such moves only where the loss had halved and then stopped. A gradient norm that fell counts
# as a sign (a RealNVP flow at 0.1, 2.3x, keeps its move; so do dead units).
QUIET_FALL = -math.log(0.9)
# A fine-tune starts near its floor: a fall of 5% shows it trained (_fine_tune_place_only;
# round 40: round 44's (IA)^3 fine-tune fell 7-9% at every LR of its flat sweep)
FINE_TRAINED_FALL = -math.log(0.95)
# what shows too high an LR on the curves themselves: a swing back up or a rough loss, a spike, a
# blow-up or a NaN (come back or not), a loss at or above chance level, noise near the top, a
# gradient norm that collapsed (dead units), a loss that stalled or stopped improving high
SHOWN_HIGH = frozenset({
    SymptomName.GRAD_COLLAPSE, SymptomName.DIED,
    SymptomName.UNSETTLED, SymptomName.REBOUND, SymptomName.SPIKES, SymptomName.RECOVERED_SPIKE,
    SymptomName.RECOVERED_NAN, SymptomName.STARTED_ABOVE_CHANCE, SymptomName.NONFINITE,
    SymptomName.CLIMB, SymptomName.BLOWUP, SymptomName.EARLY_BLOWUP, SymptomName.ABOVE_CHANCE,
    SymptomName.AT_CHANCE, SymptomName.ALARM, SymptomName.NOISY_NEAR_TOP,
    SymptomName.STALLED_HIGH, SymptomName.STOPPED_IMPROVING})

# A fine-tune held back from above (it did not halve its loss and does not settle) less than
# FINE_NEAR_DECADES above the fine-tuning range is a coin: real-world round 28, every side, one
# run at a time, 24 fine-tunes read so (19 told "reduce ~3x" at 0.5-0.6, 5 a range test): their
# sweeps label 12 keep and 6 too low (5 sweeps of small models pretrained here, LoRA adapters
# and full fine-tunes, best LRs 3e-3 to 2e-2) and 6 too high (5 sweeps), status
# right on 6; further above it the reduce stays (15 of 18 too high), unless noise or nothing on
# the curve is its only sign (``_fine_tune_place_only``, rounds 37 and 41). A range test, at a
# confidence that says so (all made here: no public fine-tune sits there).
FINE_NEAR_DECADES = 2.0
FINE_NEAR_CONFIDENCE = 0.4
# a sudden NaN after the loss trained (classify.SUDDEN_NAN_TRAINED): a cut of ~2x, under the
# 3x that is a real change of the LR (real-world round 28)
TRAINED_NAN_FACTOR = 0.5
EARLY_SHARE = 0.05  # "the first few percent of steps": where a blow-up asks for warmup
# No suggestion changes the LR by more than this factor (2.5 decades) at once: the usual ranges
# are priors, but a stalled run sits 30-1000x below its sweep's best LR (tuning tasks), and a cap
# of 100x left the stalled runs' median factor to their best LR at 10x (300x: 3.3x).
MAX_STEP = 300.0
# The log-loss drop a well-chosen LR makes over a run (a 10x lower loss); a stalled run that fell by
# less is asked for GOOD_DROP / drop times its LR (3x at least).
GOOD_DROP = math.log(10.0)
# a blow-up (or NaN) that came back: an LR at the edge of stability
CAME_BACK = frozenset({SymptomName.RECOVERED_SPIKE, SymptomName.RECOVERED_NAN,
                       SymptomName.STARTED_ABOVE_CHANCE})
# a loss that did not halve and flattens, or (a fine-tune's) hardly moved
FLAT_OR_FLATTENING = frozenset({SymptomName.FLATTENING, SymptomName.FLAT, SymptomName.PLATEAU})
# A smooth fall that cannot exclude a too-low LR, well below the usual range: the step a second
# run should take to tell (the evidence says "likelier", not "sure": no more than that).
OPEN_LOW_STEP = 3.0
# A fall that flattens before the loss halved, from scratch, this many decades or more below the
# top of the usual range, reads stalled with that step (diagnosis round 43, every side through
# round 50: read "healthy, or too low: range test", 16 of 16 such runs were labelled too low, 15
# public from 5 repositories; from 0.5 decades 22 of 22, but there sits the healthy LM
# pretraining at AdamW 6e-4, its size unknown, 7.0 -> 3.7 against a floor; within half a decade
# of the top 13 of 15 were healthy): below it the floor reading stays open.
FLATTENING_LOW = 1.0


class Findings:
    """What the detectors find on one run with enough points to read its shape, each read
    once, when a clause first asks for it (so a clause that does not apply costs nothing)."""

    def __init__(self, curve: Curve, summary: Summary, meta: RunCurves,
                 alarm: d.Symptom | None) -> None:
        self.curve, self.summary, self.meta, self.alarm = curve, summary, meta, alarm

    @cached_property
    def first(self) -> int:
        return int(self.curve.first[0])

    @cached_property
    def fine(self) -> bool:
        meta = self.meta
        return meta.fine_tune if meta.fine_tune is not None else d.looks_fine_tuned(
            self.curve, meta.optimizer, meta.classes)

    @cached_property
    def prior(self) -> d.Prior:
        meta = self.meta
        return d.Prior(meta.optimizer, meta.momentum, bool(self.fine), meta.clip, meta.classes,
                       meta.param_count)

    @cached_property
    def warm(self) -> d.Symptom | None:
        return d.warming_up(self.curve)

    @cached_property
    def decay(self) -> d.Symptom | None:
        return d.decayed(self.curve)

    @cached_property
    def context(self) -> tuple[Evidence, ...]:
        """Evidence every verdict carries: warmup, decay, an update ratio out of its band."""
        return tuple(s.evidence for s in (self.warm, self.decay, d.update_ratio_off(self.curve))
                     if s is not None)

    @cached_property
    def facts(self) -> frozenset[SymptomName]:
        return frozenset(({SymptomName.FINE_TUNE} if self.fine else set())
                         | ({SymptomName.WARMUP} if self.warm is not None else set()))

    @cached_property
    def far(self) -> d.Symptom | None:
        return d.lr_far_from_range(self.curve, self.prior)

    @cached_property
    def high(self) -> d.Symptom | None:
        far = self.far
        return far if far is not None and far.name is SymptomName.LR_HIGH else None

    @cached_property
    def low(self) -> d.Symptom | None:
        far = self.far
        return far if far is not None and far.name is SymptomName.LR_LOW else None

    @cached_property
    def rise(self) -> d.Symptom | None:
        # the first loss is the loss before any update: with an LR far above the usual range, a
        # loss that ends 2x above it blew up at the first update, even when the start level (the
        # first 3 points) is already above where it ends; without that prior a lucky low first
        # batch could fake it (a batch of 8 can sit 10x under the level), so it then takes 20x
        return d.blowup(self.curve, d.BLOWUP_RATIO if self.high is not None else d.JUMP_RATIO)

    @cached_property
    def little(self) -> d.Symptom | None:
        return d.little_progress(self.curve, from_first=self.high is not None)

    @cached_property
    def spike(self) -> d.Symptom | None:
        """A blow-up the loss came back from (in the logged steps, or inside an early epoch's
        mean), or a cross-entropy that started above chance; only with the step it began."""
        spike = d.recovered_spike(self.curve) or d.started_above_chance(
            self.curve, self.meta.classes) or (
            d.epoch_blowup_came_back(self.curve) if self.meta.epoch_points else None)
        return spike if spike is not None and spike.since_step is not None else None

    @cached_property
    def came_back(self) -> d.Symptom | None:
        return d.recovered_nonfinite(self.summary)

    @cached_property
    def stairs(self) -> d.Symptom | None:
        # a staircase (epoch boundaries) is read only where it cannot be a slow run's: in a
        # fine-tune, or a run that halved its loss (benchmark corpus: 7 stalled runs had 2 steps)
        return d.staircase(self.curve) if self.fine or self.little is None else None

    @cached_property
    def falling(self) -> d.Symptom | None:
        # with a decaying LR the tail keeps improving by annealing, not for want of LR: judge the
        # part of the run before the decay took over
        # a cross-entropy (its classes known) that did not halve, or a fine-tune's loss, has a
        # floor near: slow means falling in a straight line (STEADY); elsewhere the tuned
        # STILL_FALLING
        floor = self.fine or (self.little is not None
                              and d.chance_level(self.meta.classes) is not None)
        steady = d.STEADY if floor else d.STILL_FALLING
        curve = self.curve
        return d.still_falling(curve, threshold=steady) if self.decay is None else \
            d.still_falling(curve.before_decay(), " before the LR decayed", steady)

    @cached_property
    def hidden_start(self) -> d.Symptom | None:
        """An epoch log whose first point already hides the first epoch's fall."""
        return d.epoch_start_hidden(self.curve, self.meta.classes) \
            if self.meta.epoch_points else None

    @cached_property
    def slow_cap(self) -> float:
        return FINE_TUNE_CONFIDENCE if self.fine else SLOW_CONFIDENCE

    @cached_property
    def under(self) -> float | None:
        return d.decades_below_top(self.curve, self.prior)

    @cached_property
    def moved(self) -> d.Symptom | None:
        return d.hardly_moved(self.curve)

    @cached_property
    def flat(self) -> d.Symptom | None:
        """A loss that hardly moved, or sits on a plateau (read when it made little progress)."""
        return self.moved or d.plateau(self.curve)

    @cached_property
    def chance(self) -> d.Symptom | None:
        return d.at_chance(self.curve, self.meta.classes)

    @cached_property
    def above(self) -> d.Symptom | None:
        """An LR above the usual range, read for a run that made little progress."""
        curve, prior = self.curve, self.prior
        above = d.lr_far_from_range(curve, prior, d.LR_ABOVE)
        # far above the usual range a flat loss is held back from above; a loss that still
        # falls smoothly is not swinging, whatever the LR (clipped SGD at lr 20 trains an LSTM)
        rough = self.flat is not None or curve.noise > d.ROUGH_NOISE or d.swung_up(curve)
        return above if above is not None and above.name is SymptomName.LR_HIGH and rough \
            else None

    @cached_property
    def collapse(self) -> d.Symptom | None:
        collapse = d.grad_collapse(self.curve)
        if self.under is not None and self.under > d.COLLAPSE_LOW_LR:
            collapse = None
        return collapse

    @cached_property
    def stopped(self) -> d.Symptom | None:
        """A loss that levelled off after a little progress (not a fine-tune's, nor a clipped
        SGD step above the range: the range says nothing of it, and such runs flatten as they
        train (issue 12: an LSTM LM at lr 20, clip 0.25; the healthy reading names too high))."""
        prior, under = self.prior, self.under
        clipped_above = prior.clip is not None and not is_adaptive(prior.optimizer) and \
            under is not None and under < 0
        return d.levelled_off(self.curve) if not self.fine and not clipped_above else None

    @cached_property
    def beyond(self) -> d.Symptom | None:
        """An LR more than LR_BEYOND above the usual range (read for a run that halved its
        loss)."""
        beyond = d.lr_far_from_range(self.curve, self.prior, d.LR_BEYOND)
        return beyond if beyond is not None and beyond.name is SymptomName.LR_HIGH else None

    @cached_property
    def levelled(self) -> d.Symptom | None:
        return d.levelled_off(self.curve)

    @cached_property
    def open_low(self) -> d.Symptom | None:
        # still falling smoothly at the end, never levelled off: healthy or too low, one run
        # cannot tell (a fine-tune's floor is near; a plateau, an LR far above the range or a
        # loss 90% gone rule it out)
        return d.too_low_not_excluded(self.curve) if self.levelled is None \
            and self.beyond is None and not self.fine and self.warm is None \
            and not d.mostly_gone(self.curve) else None

    @cached_property
    def overfit(self) -> d.Symptom | None:
        """The validation loss turned up while the training loss kept falling."""
        return d.val_turned_up(self.curve, self.meta.val_loss)

    @cached_property
    def open_high(self) -> d.Symptom | None:
        """A healthy-looking run at or above the top of the usual range (size-aware) may as
        well be too high (real-world round 4, held-out: 7 of its 10 too-high runs fell
        smoothly and were called healthy, naming only "too low" as the other reading); not
        for a fine-tune, whose range holds full fine-tunes and LoRA alike, nor for a loss 90%
        gone (no LR could have removed much more)."""
        return d.too_high_not_excluded(self.curve, self.prior) if not self.fine \
            and self.warm is None and not d.mostly_gone(self.curve) else None


@dataclass(frozen=True)
class Reading:
    """A clause that applies: the symptoms it rests on (None entries are skipped), the step
    the status began (default: the first symptom's), its confidence (default: the strongest
    symptom's) and notes for ``suggest``."""

    found: list[d.Symptom | None]
    since: int | None = None
    confidence: float | None = None
    also: frozenset[SymptomName] = frozenset()


@dataclass(frozen=True)
class Clause:
    """When a status applies: ``test`` reads the findings; the lowest ``precedence`` that
    applies wins."""

    precedence: int
    test: Callable[[Findings], Reading | None]


@dataclass(frozen=True)
class AdviceContext:
    """What a status's advice reads: the run, its peak LR (None when unknown) and the usual
    range the shared caps use, where the status began, and what classification found."""

    curves: RunCurves
    lr: float | None
    usual_range: tuple[float, float] | None
    since_step: int | None
    first_step: int
    symptoms: frozenset[SymptomName]
    progress: float | None
    warmed_up: bool
    lr_free: bool
    last_step: int | None = None  # the last logged step: the run's span where its plan is unknown


@dataclass(frozen=True)
class Advice:
    """A status's advice before the shared caps: the action, the factor (None: none to give)
    and the reasons, in the order the rationale states them."""

    action: Action
    factor: float | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class StatusRule:
    """What lrwatch knows about one status. ``clauses`` is empty for a status given outside
    the shape clauses (a NaN or a short run: ``classify``'s gates). ``trend``: a verdict on the
    loss's trend, capped while the run is young (``diagnose.confidence_ceiling``). ``lr_wrong``:
    the status says the LR is wrong, so a factor may move toward the usual range and an LR-free
    optimizer's LR is named a multiplier."""

    status: Status
    advise: Callable[[AdviceContext], Advice]
    clauses: tuple[Clause, ...] = field(default=())
    trend: bool = False
    lr_wrong: bool = False


# --- diverging -------------------------------------------------------------------------------

def _blowup(f: Findings) -> Reading | None:
    return Reading([f.rise]) if f.rise is not None else None


def _rose_over_epochs(f: Findings) -> Reading | None:
    rise = d.rose_over_epochs(f.curve) if f.meta.epoch_points else None
    return Reading([rise], confidence=EPOCH_RISE_CONFIDENCE) if rise is not None else None


def _loss_alarm(f: Findings) -> Reading | None:
    alarm = f.alarm
    if alarm is not None and alarm.strength >= 0.5 and alarm.evidence.signal == "loss":
        return Reading([alarm], confidence=0.5 + 0.4 * (alarm.strength - 0.5))
    return None


def _above_chance(f: Findings) -> Reading | None:
    over = d.above_chance(f.curve, f.meta.classes)
    return Reading([over]) if over is not None else None


def _stuck_high(f: Findings) -> Reading | None:
    stuck = d.stuck_above_first(f.curve) if f.high is not None and f.little is not None \
        else None
    if stuck is not None and f.warm is None:
        return Reading([stuck, f.high])
    return None


def _level_up_far_above(f: Findings) -> Reading | None:
    # far above the usual range, a level that ends BLOWUP_RATIO above where it started blew up
    # even when the noise hides it from the significance test of blowup() (benchmark corpus: 8
    # diverging runs 1-3 decades above the range, their median loss 2-2.8x up, were oscillating)
    curve = f.curve
    if f.high is not None and f.warm is None and \
            curve.end_level - curve.start_level > math.log(d.BLOWUP_RATIO):
        return Reading([f.little, f.high])
    return None


def _died_after_spike(f: Findings) -> Reading | None:
    spike, curve, classes = f.spike, f.curve, f.meta.classes
    if spike is None or spike.since_step is None:
        return None
    huge = spike.name is SymptomName.RECOVERED_SPIKE and \
        (spike.evidence.value or 0) >= d.SPIKE_HUGE
    died = d.died_after(curve, spike.since_step, classes) if huge else \
        d.at_chance(curve, classes) \
        if spike.name is SymptomName.STARTED_ABOVE_CHANCE else None
    if died is not None:
        return Reading([spike, died], confidence=died.strength * 0.8)
    return None


def _collapsed_far_above(f: Findings) -> Reading | None:
    # above the usual range a cross-entropy stuck at chance level has collapsed: the run is
    # dead (made here: an MLP at SGD 0.3-1.8 sat at ln 10 for 5000 steps)
    if f.little is not None and f.above is not None and f.chance is not None:
        return Reading([f.chance, f.above], since=f.first, confidence=0.6)
    return None


def _advise_diverging(c: AdviceContext) -> Advice:
    if SymptomName.NAN_FROM_START in c.symptoms:
        return Advice(Action.RANGE_TEST, None, (
            "the loss was never finite, so no LR can be blamed yet: check the inputs and the "
            "loss function, then let a range test pick the LR",))
    if SymptomName.SHORT_RISE in c.symptoms:
        return Advice(Action.RANGE_TEST, None, (
            "the loss went up over a log too short to say how far the LR is off: a range test "
            "(lrwatch's find_lr), or a run at ~10x lower LR, tells",))
    early = _early(c.since_step, c.first_step, c.curves.total_steps)
    in_range = c.lr is not None and c.usual_range is not None and c.lr <= c.usual_range[1]
    if {SymptomName.DIED, SymptomName.AT_CHANCE} & c.symptoms:
        return Advice(Action.REDUCE, 0.1, (
            "the loss blew up and the weights did not survive it: re-initialise (or restart "
            "from a checkpoint before the blow-up)",))
    if early and in_range and not c.lr_free and not c.warmed_up:
        return Advice(Action.ADD_WARMUP, 1 / 3, (
            "it blew up in the first few percent of steps with an LR in the usual range for "
            f"{c.curves.optimizer}: warm up over ~5% of the steps",))
    if SymptomName.TRAINED_BEFORE_NAN in c.symptoms:
        return Advice(Action.REDUCE, TRAINED_NAN_FACTOR, (
            "the loss trained at this LR before a sudden NaN: if the LR caused it, it sits just "
            "past the edge of stability, where a small cut is enough (a ~10x one gives up what "
            "it trained); if the NaN recurs, look at the data and the precision",))
    if early and c.warmed_up:
        return Advice(Action.REDUCE, 0.1, ("it blew up although the LR warmed up",))
    logged = c.last_step - c.first_step + 1 if c.last_step is not None else None
    placed = c.lr is not None and c.usual_range is not None
    if not c.warmed_up and not c.lr_free and (in_range or not placed) and (
            early or _early(c.since_step, c.first_step, logged if not c.curves.total_steps
                            else None)):
        # the move stays ~10x (real-world round 28, every side: the 59 runs read so, from 28
        # repositories, are all labelled too high by their sources), but the field's cure for a
        # blow-up this early, at an LR not far above the usual range, is named beside it
        return Advice(Action.REDUCE, 0.1, (
            "the loss diverged in the first few percent of its steps: a warmup (over ~5% of the "
            "steps) is the other cure for a blow-up this early",))
    return Advice(Action.REDUCE, 0.1, ("the loss diverged",))


def _early(since_step: int | None, first_step: int, total_steps: int | None) -> bool:
    if since_step is None or not total_steps or total_steps <= 0:
        return False
    return (since_step - first_step) <= EARLY_SHARE * total_steps


# --- oscillating -----------------------------------------------------------------------------

def _swing(f: Findings) -> Reading | None:
    swing = d.rebound(f.curve) or d.spikes(f.curve, f.summary)
    if swing is not None:
        return Reading([swing], confidence=min(swing.strength, SWING_CONFIDENCE))
    return None


def _spike(f: Findings) -> Reading | None:
    return Reading([f.spike]) if f.spike is not None else None


def _nan_came_back(f: Findings) -> Reading | None:
    if f.came_back is not None and f.came_back.strength > 0.5:
        return Reading([f.came_back], confidence=0.6)
    return None


def _grad_died(f: Findings) -> Reading | None:
    # a gradient norm that falls 1000x while the loss does not even halve: the units died (a
    # loss that falls to ~0 takes its gradient with it, which is convergence)
    dead = d.grad_collapse(f.curve, d.GRAD_DEAD)
    if dead is not None and f.curve.start_level - f.curve.end_level < d.LITTLE_PROGRESS:
        return Reading([dead], since=f.first, confidence=0.6)
    return None


def _held_back_from_above(f: Findings) -> Reading | None:
    # a fine-tune's gradient norm falls as it adapts from pretrained weights: no dead units
    if f.little is None or not (f.above is not None or (
            f.collapse is not None and f.low is None and not f.fine)):
        return None
    # the status must show on the curve: a loss that swings back up or is rough, or an LR more
    # than LR_BEYOND above the range (too high the likelier reading); a smooth fall that did not
    # halve, at an LR up to LR_BEYOND above the range, is no oscillation (round 10 made: 6 byte
    # transformers at AdamW 1e-3..1.8e-2 and 4 LoRA adapters at 5.6e-4..3e-3 fell smoothly, 2x-3x
    # gradient norm fall, and were read oscillating; 2 of these 10 at their best LR)
    unsettled = d.unsettled(f.curve)
    if unsettled is None and f.beyond is None:
        return None
    # noise alone, less than LR_BEYOND above the range, with no gradient collapse: a noisy
    # target is as noisy at a good LR (round 18), so the reading is an open one
    noisy = d.noisy_near_top(f.curve, f.prior) if f.collapse is None else None
    if f.fine and f.under is not None and (-f.under < FINE_NEAR_DECADES
                                           or _fine_tune_place_only(f, unsettled)):
        return Reading([f.little, f.above or f.beyond, f.collapse, unsettled, noisy],
                       since=f.first, confidence=FINE_NEAR_CONFIDENCE,
                       also=frozenset({SymptomName.FINE_TUNE_NEAR_RANGE}))
    # a smooth loss whose gradient norm fell (a converged model's falls too) shows nothing of
    # too high on the loss: one step, as for a loss that stalled high (real-world round 34:
    # round 37's in-context LM at Adamax 0.056-0.1, its best runs, at its loss floor, were told
    # "reduce 19-33x" to the range's top)
    return Reading([f.little, f.above or f.beyond, f.collapse, unsettled, noisy], since=f.first,
                   confidence=0.6 if noisy is None else d.OPEN_HEALTHY,
                   also=frozenset({SymptomName.STALLED_HIGH})
                   if unsettled is None and f.collapse is not None else frozenset())


def _fine_tune_place_only(f: Findings, unsettled: d.Symptom | None) -> bool:
    """A fine-tune whose place above the fine-tuning range is its only sign of too high an LR:
    no gradient collapse, and a curve that shows nothing (smooth, no swing back up) or only noise
    after its loss fell ``FINE_TRAINED_FALL`` (5%) or more. However far above the range, a range
    test, not a cut to it: that range holds large models fine-tuned in full or with LoRA; a
    fine-tune of a few parameters (LayerNorm gains, biases, (IA)^3 scales, a soft prompt) or of a
    small model takes LRs decades above it, and the range says which way, not how far (round 37:
    real-world round 40's LayerNorm-only fine-tune, its best runs at 0.03-0.18, 2-3 decades above
    AdamW's range, fell 21-25% with 10-15% noise and was told "reduce 100-300x"; round 40: round
    44's (IA)^3 fine-tune under PyTorch's Adafactor fell 7-9% at its best LRs, under the 10% asked
    until then; round 41: round 45's prompt tuning, a flat sweep from 0.1 to 100 whose loss rose
    1-4% smoothly, was told "reduce 47-300x" at every LR)."""
    if f.collapse is not None:
        return False
    if unsettled is None:
        return True
    fall = f.little.evidence.value if f.little is not None else None
    return fall is not None and fall <= math.exp(-FINE_TRAINED_FALL) and not d.swung_up(f.curve)


def _val_above_chance(f: Findings) -> Reading | None:
    # the training loss learned, the validation loss stayed worse than a uniform guess
    # (d.val_above_chance, real-world round 35): the loss curve is smooth, the validation says
    worse = d.val_above_chance(f.curve, f.meta.val_loss, f.meta.classes)
    return Reading([worse]) if worse is not None else None


def _stopped_far_above(f: Findings) -> Reading | None:
    if f.little is not None and f.stopped is not None:
        lean_high = d.stalled_high(f.curve, f.prior)
        if lean_high is not None:
            return Reading([f.little, f.stopped, lean_high], confidence=LEAN_CONFIDENCE)
    return None


def _stopped_improving_far_above(f: Findings) -> Reading | None:
    stopped = d.stopped_improving(f.curve)
    if f.beyond is None or stopped is None:
        return None
    late = stopped.evidence.value or 0.0
    if -LEVEL_RISE < late < LEVEL_FALL:  # at a level: a floor, or too high
        return Reading([stopped, f.beyond, _level_readings()],
                       confidence=LEVEL_CONFIDENCE, also=frozenset({SymptomName.AMBIGUOUS}))
    return Reading([stopped, f.beyond], confidence=0.55)


def _flat_far_above(f: Findings) -> Reading | None:
    # the mirror of _flat_far_below: half a decade or more above the top of the usual range
    # (size-aware), a loss flat from its first logged points has more often collapsed (to the
    # mean, the unigram or chance level) than never got going; too high is the likelier
    # reading, not a sure one, and the action stays the range test (issue 12, pattern 2).
    # Real-world rounds to 39, every side, one run at a time: 13 such runs read "stalled, range
    # test" at 0.35, 8 labelled too high (all 6 public ones, from 4 sources), 4 healthy and 1
    # too low (two made sweeps of small models whose best LRs sit above the range)
    if f.little is None or f.flat is None or f.fine or f.under is None \
            or f.under > -d.LIKELY_HIGH:
        return None
    return Reading([f.flat, f.chance, _flat_high(f)], confidence=LEAN_CONFIDENCE,
                   also=frozenset({SymptomName.AMBIGUOUS}))


def _flat_high(f: Findings) -> d.Symptom:
    """The evidence of a flat loss far above the usual range: its likelier reading."""
    lr, above = d.peak_lr(f.curve, f.prior), 10 ** -(f.under or 0.0)
    msg = (f"peak LR {lr:.3g} sits {above:.2g}x above the top of {f.prior.usual()}: there a flat "
           "loss more often means too high an LR (the model collapsed to predicting the mean, "
           "the unigram or chance level) than one too low to get going; a short range test "
           "tells")
    return d.Symptom(SymptomName.AMBIGUOUS, LEAN_CONFIDENCE, Evidence(msg, "lr", None, None, lr))


def _advise_oscillating(c: AdviceContext) -> Advice:
    if SymptomName.VAL_ABOVE_CHANCE in c.symptoms:
        return Advice(Action.REDUCE, 0.1, (
            "a validation loss worse than a uniform guess while the training loss learns is "
            "too high an LR's overconfident logits: reduce it ~10x; if a run at a tenth of the "
            "LR is no better on the validation data, check that data's labels and "
            "preprocessing against training's",))
    if SymptomName.FINE_TUNE_NEAR_RANGE in c.symptoms:
        return Advice(Action.RANGE_TEST, None, (
            "a fine-tune above the fine-tuning range (less than 2 decades above it, or with "
            "nothing on its curve, or noise alone after its loss fell 5% or more) reads as too "
            "high an LR or as a small model whose best LR sits above that range (the range holds "
            "large pretrained models fine-tuned in full or with LoRA; a fine-tune of a few "
            "parameters, such as biases or norms, takes larger LRs); run a range test "
            "(lrwatch's find_lr) or a short run at ~3x lower LR before moving it",))
    if SymptomName.NOISY_NEAR_TOP in c.symptoms:
        return Advice(Action.RANGE_TEST, None, (
            "a little above the usual range, a loss that is only noisy reads as too high an LR "
            "or as a noisy target at a good one; run a range test (lrwatch's find_lr) or a short "
            "run at ~3x lower LR before moving it",))
    if SymptomName.AMBIGUOUS in c.symptoms and not CAME_BACK & c.symptoms:
        return Advice(Action.RANGE_TEST, None, (
            "the loss sits at a level far above the usual range: a floor it reached or too high "
            "an LR (a too-high LR stalls high), which one run cannot tell apart; run a range "
            "test (lrwatch's find_lr) or a short run at ~3x lower LR before moving it",))
    if _place_alone(c):
        return Advice(Action.RANGE_TEST, None, (
            f"the loss fell {100 * (1 - math.exp(-(c.progress or 0.0))):.0f}% and nothing on the "
            "curve shows too high an LR (no swing back up, spike, blow-up or NaN): its place far "
            "above the usual range is the only sign, and the range is a prior that says which "
            "way, not how far; run a range test (lrwatch's find_lr) or a short run at ~3x lower "
            "LR before moving it",))
    if CAME_BACK & c.symptoms:
        reason = ("a blow-up that came back is an LR at the edge of stability (or clip the "
                  "gradients)")
    elif SymptomName.STALLED_HIGH in c.symptoms:
        reason = ("the loss stopped falling after a small drop, far above the usual range: too "
                  "high is the likelier reading, not a certain one (a range test tells for sure)")
    else:
        reason = "the loss does not settle"
    return Advice(Action.REDUCE, 1 / 3, (reason,))


def _place_alone(c: AdviceContext) -> bool:
    """Too high read from the LR's place far above the usual range alone, on a loss that fell
    (QUIET_FALL): nothing on the curve shows it, and the range does not say how far to go."""
    if c.lr is None or c.usual_range is None or c.progress is None:
        return False
    return (c.lr > c.usual_range[1] * 10 ** LR_FAR and c.progress >= QUIET_FALL
            and not SHOWN_HIGH & c.symptoms)


# --- stalled ---------------------------------------------------------------------------------

def _flat_far_below(f: Findings) -> Reading | None:
    # more than a decade below the top of the usual range the too-high reading is unlikely (the
    # same line as for a gradient collapse, COLLAPSE_LOW_LR): too low; but a loss that sits at
    # chance level reads both ways unless the LR is far outside the usual range (issue 12:
    # "never a 100x move"; real-world round 5: classifiers at chance early in their run, 1-2.5
    # decades below the top of SGD's range, were told to increase 33-300x at 0.8 and trained
    # well at their LR)
    if f.little is None or f.flat is None:
        return None
    if f.low is None and (f.chance is not None or f.under is None
                          or f.under <= d.COLLAPSE_LOW_LR):
        return None
    inside = f.low is None and d.lr_decades_outside(f.curve, f.prior) == 0.0
    # ... and inside the usual range, an epoch log whose first point already hides the first
    # epoch's fall (d.epoch_start_hidden) shows a level, not a stall: it reads two ways, as a
    # flat loss in the range does (round 45: of the 10 such runs of every side through round
    # 53, 6 were labelled healthy and 1 too high, all told to increase 14-56x at 0.5, among
    # them round 53's self-normalizing net at its best LR; the 3 too low, from 2 families,
    # lose a right-way move for the range test)
    if inside and f.hidden_start is not None:
        return None
    fell = d.fell_to_floor(f.curve, f.meta.classes, f.flat) if inside else None
    if fell is None:
        return Reading([f.little, f.flat, f.low], confidence=min(f.little.strength, f.slow_cap))
    # ... but inside the usual range, a loss that fell 40%+ from its first logged point and then
    # sat flat got going: too low stays the likelier reading this far below the top
    # (_fell_to_floor), by one step, as its fall says (real-world round 33: a VAE under SGD at
    # 0.0158, 134 -> 68.7 in its first epoch, then flat at the level every LR from there up sat
    # at, was told "increase 189x" at 0.7 from the flat stretch alone)
    return Reading([fell, f.flat, d.below_top(f.curve, f.prior)], confidence=LEAN_CONFIDENCE,
                   also=frozenset({SymptomName.TOO_LOW_NOT_EXCLUDED}))


def _fell_to_floor(f: Findings) -> Reading | None:
    # a loss that fell 40%+ from its first points, off chance level, and then sat flat got
    # going: "too low, it never got going" contradicts it (real-world round 19: 27 of the 40
    # such runs not 3x or more below the top of the usual range were labelled healthy, from 8
    # sources, 7 too low, 6 too high); 3x or more below the top, too low stays the likelier
    # reading (6 of 8), so the stalled reading keeps them
    if f.little is None or f.flat is None or f.low is not None or (
            f.under is not None and f.under >= d.FLOOR_LOW - 1e-9):
        return None
    fell = d.fell_to_floor(f.curve, f.meta.classes, f.flat)
    if fell is None:
        return None
    return Reading([fell, f.flat, f.hidden_start], since=f.first, confidence=d.OPEN_HEALTHY,
                   also=frozenset({SymptomName.FELL_TO_FLOOR}))


def _flat_two_readings(f: Findings) -> Reading | None:
    if f.little is not None and f.flat is not None:
        return Reading([f.flat, f.chance, f.low, _two_readings(f.prior)],
                       confidence=AMBIGUOUS_CONFIDENCE, also=frozenset({SymptomName.AMBIGUOUS}))
    return None


def _little_still_falling(f: Findings) -> Reading | None:
    # a fine-tune at a fine-tuning LR that still falls needs more steps, not more LR
    if f.little is not None and f.falling is not None and f.high is None and (
            f.low is not None or not f.fine):
        # at the top of the usual range or above it, too high reads as well (round 16); with
        # the LR not logged, too low is one reading, not the likelier one (round 18)
        top = d.stalled_at_top(f.curve, f.prior) or d.stalled_at_most(f.curve, f.prior) \
            or d.slow_fall_unplaced(f.curve)
        confidence = min(max(f.falling.strength, f.little.strength), f.slow_cap)
        return Reading([f.little, f.falling, f.low, f.hidden_start, top],
                       confidence=confidence if top is None else min(confidence,
                                                                     d.OPEN_HEALTHY),
                       also=_hidden(f))
    return None


def _stopped_far_below(f: Findings) -> Reading | None:
    # a loss that fell a little and then stopped falling at a constant (or unlogged) LR is no
    # healthy approach to a floor by itself: a floor, too low or too high (real-world round 5's
    # logs and round 4's tuning side: 18 of 19 such runs were not healthy, most of them a 27M
    # GPT's sweeps, all read "healthy, keep"); lean only where the LR's place says which, by at
    # most 3x (issue 12: never a 10x move from a shape)
    if f.little is not None and f.stopped is not None and f.under is not None \
            and f.under > d.COLLAPSE_LOW_LR:
        return Reading([f.stopped, d.below_top(f.curve, f.prior)], confidence=LEAN_CONFIDENCE,
                       also=frozenset({SymptomName.TOO_LOW_NOT_EXCLUDED}))
    return None


def _stopped_readings_open(f: Findings) -> Reading | None:
    if f.little is not None and f.stopped is not None:
        return Reading([f.little, f.stopped, _stopped_readings(f.under)],
                       confidence=AMBIGUOUS_CONFIDENCE, also=frozenset({SymptomName.AMBIGUOUS}))
    return None


def _still_falling(f: Findings) -> Reading | None:
    # a fine-tune that halved its loss made good progress whatever it still does; a run whose
    # validation loss turned up while it fell (f.overfit) needs no more LR to fall faster (real-
    # world round 11 held out: a tabular MLP's best runs, still falling at epoch 30 past their
    # test-loss best, read "stalled, increase x3"): the healthy reading names the turn
    curve = f.curve
    if f.falling is not None and f.high is None and f.warm is None and f.stairs is None \
            and f.overfit is None and not f.fine and not d.mostly_gone(curve) \
            and not d.learned(curve, f.meta.classes) and not d.lr_at_top(curve, f.prior):
        if f.decay is not None and f.low is None:
            # a run that halved its loss and then decayed its LR may still fall before the decay
            # for a long schedule's sake, not for want of LR (issue 12: "a cosine tail is not a
            # stall"); too low stays the likelier reading (real-world round 10: 8 such runs read
            # "stalled, increase 3x" at 0.7, 5 labelled too low, 1 healthy, 2 too high, from 3
            # families and 1 public repository; a range test instead cost the benchmark corpus
            # 1.2 points of right way on its tuning tasks, 1.5 held out: its stalled cosine runs),
            # so the move stays 3x, at an open confidence, naming the other reading
            return Reading([f.falling, f.hidden_start], confidence=DECAY_TAIL_CONFIDENCE,
                           also=frozenset({SymptomName.DECAYED}))
        # ... and where the LR is not logged, too low is one reading of a slow fall, not the
        # likelier one (round 18: 2 of 4 such runs, from 2 public repositories, wanted more
        # LR): an open reading and a range test
        # ... and at what the optimizer plausibly takes, no increase is left: too high reads as
        # well (round 21: 2 such runs at 0.7, a text CNN under Adadelta, both too high)
        unplaced = d.slow_fall_unplaced(curve) or d.stalled_at_most(curve, f.prior)
        confidence = min(f.falling.strength, f.slow_cap)
        return Reading([f.falling, f.low, f.hidden_start, unplaced],
                       confidence=confidence if unplaced is None else min(confidence,
                                                                          d.OPEN_HEALTHY),
                       also=_hidden(f))
    return None


def _open_low_below_top(f: Findings) -> Reading | None:
    # ... and at an LR half a decade or more below the top of the usual range, too low is the
    # likelier reading (real-world round 4, tuning side: 13 of 16 such runs were too low), unless
    # the validation loss turned up (as for _still_falling)
    if f.open_low is not None and f.under is not None and f.under >= d.LIKELY_LOW \
            and f.overfit is None and f.warm is None:
        return Reading([f.open_low, d.below_top(f.curve, f.prior), f.hidden_start],
                       confidence=d.OPEN_HEALTHY, also=_hidden(f))
    return None


def _flattening_below_top(f: Findings) -> Reading | None:
    # ... and a fall that flattens before it halved, trained from scratch at an LR
    # FLATTENING_LOW decades or more below the top of the usual range: too low is the likelier
    # reading there too. A validation loss that turned up, a warmup or a clipped SGD step keep
    # it open
    clipped = f.prior.clip is not None and not is_adaptive(f.prior.optimizer)
    if f.little is None or f.fine or clipped or f.under is None or f.under < FLATTENING_LOW \
            or f.overfit is not None or f.warm is not None:
        return None
    return Reading([d.flattening(f.curve), d.floor_or_too_low(f.curve, f.prior),
                    d.below_top(f.curve, f.prior), f.hidden_start],
                   confidence=d.OPEN_HEALTHY, also=_hidden(f))


def _hidden(f: Findings) -> frozenset[SymptomName]:
    """An epoch log whose first point hides the start: a slow fall read from it asks for a
    range test, never a move (issue 12: the first epoch's mean is no start)."""
    return frozenset({SymptomName.EPOCH_START_HIDDEN}) if f.hidden_start is not None \
        else frozenset()


def _two_readings(prior: d.Prior) -> d.Symptom:
    """The evidence of a flat loss that one run cannot read: too low or too high."""
    where = "an LR in the usual range" if prior.range is not None else "this LR"
    msg = (f"at {where} a flat loss reads two ways: too low an LR (it never got going) or too "
           "high (the model collapsed to predicting the mean, the unigram or chance level); one "
           "run cannot tell them apart: a short range test can")
    return d.Symptom(SymptomName.AMBIGUOUS, AMBIGUOUS_CONFIDENCE, Evidence(msg, "lr"))


def _stopped_readings(under: float | None) -> d.Symptom:
    """The evidence of a loss that fell a little and stopped, where the LR's place does not tip
    it: its readings, and the test that tells them apart."""
    if under is None:
        where = "with the LR unknown"
        readings = "a floor (the data's entropy), too low an LR or too high"
    elif under <= d.LR_AT_TOP:
        where, readings = "at or above the top of the usual range", "a floor or too high an LR"
    else:
        where, readings = "within the usual range", "a floor, too low an LR or too high"
    msg = (f"{where} a loss that fell a little and stopped reads as {readings} (a too-high LR "
           "stalls high, a too-low one never gets going); one run cannot tell them apart: a "
           "short range test can")
    return d.Symptom(SymptomName.AMBIGUOUS, AMBIGUOUS_CONFIDENCE, Evidence(msg, "lr"))


def _level_readings() -> d.Symptom:
    """The evidence of a loss that trained and then sat at a level far above the usual range:
    its two readings, and the test that tells them apart."""
    msg = ("far above the usual range, a loss that trained and then sits at a level reads as a "
           "floor it reached or as too high an LR (a too-high LR stalls high); one run cannot "
           "tell them apart: a short range test, or a run at ~3x lower LR, can")
    return d.Symptom(SymptomName.AMBIGUOUS, LEVEL_CONFIDENCE, Evidence(msg, "lr"))


def _epoch_fall(c: AdviceContext) -> bool:
    """An epoch log whose loss still falls at its end (not a flat or levelled one): a few
    dozen epoch means of a steady fall do not tell a too-low LR from a good one that needs more
    epochs (real-world round 13, held out: CIFAR-10 classifiers under Adam 1e-4/1e-3, 14-20
    epochs, 2.2 -> 1.2-1.6 and still falling, kept by their sweep, read "stalled, increase
    x3.8-x7.8"; round 11's tabular MLP's best runs, 30 epochs, "stalled, increase x3"). Below
    the usual range the LR's place tips it (too low: the move stays)."""
    s = c.symptoms
    if c.lr is not None and c.usual_range is not None and c.lr < c.usual_range[0]:
        return False
    falls = bool({SymptomName.STILL_FALLING, SymptomName.STEADY_FALL} & s) or (
        SymptomName.TOO_LOW_NOT_EXCLUDED in s and SymptomName.LEVELLED_OFF not in s)
    return bool(c.curves.epoch_points) and falls and not (
        {SymptomName.FLAT, SymptomName.PLATEAU} & s)


def _advise_stalled(c: AdviceContext) -> Advice:
    if _epoch_fall(c):
        return Advice(Action.RANGE_TEST, None, (
            "a short epoch log of a loss that still falls reads the same at too low an LR and "
            "at a good one that needs more epochs: run a range test (lrwatch's find_lr) or a "
            "short run at ~3x the LR before moving it",))
    if SymptomName.LR_UNPLACED in c.symptoms:
        return Advice(Action.RANGE_TEST, None, (
            "a loss still coming down at a steady, slow rate, with the LR not logged (its place "
            "in the usual range unknown), reads as too low an LR or as a good one whose run ends "
            "the fall: run a range test (lrwatch's find_lr) or short runs at ~3x and ~1/3 the LR "
            "before moving it",))
    if SymptomName.DECAYED in c.symptoms:
        return Advice(Action.INCREASE, OPEN_LOW_STEP, (
            "the loss halved and still fell before the LR decayed: too low an LR is the likelier "
            "reading, a schedule that ends while the loss still falls the other (a range test "
            "tells for sure)",))
    if SymptomName.EPOCH_START_HIDDEN in c.symptoms:
        return Advice(Action.RANGE_TEST, None, (
            "an epoch log's first point is a whole epoch's mean, so how slow the fall is from "
            "it says little of the LR: run a range test (lrwatch's find_lr) or a short run at "
            "~3x the LR before moving it",))
    if SymptomName.AMBIGUOUS in c.symptoms:
        return Advice(Action.RANGE_TEST, None, (
            "a flat loss here may mean too low or too high an LR: run a range test (lrwatch's "
            "find_lr) before moving it",))
    if SymptomName.TOO_HIGH_NOT_EXCLUDED in c.symptoms:
        # the evidence keeps too high open (d.stalled_at_top, d.stalled_at_most): the action
        # must too, never a move against it (real-world round 23, every side: of the 10 such
        # runs told "increase 1.8-14x", 6 were labelled too high or keep, from 4 sources, one a
        # 13.6x increase of an Adam LM at 5e-3; a range test is right either way)
        return Advice(Action.RANGE_TEST, None, (
            "a slow fall here reads as too high an LR as well (its noise holds the loss up) as "
            "too low a one, and one run cannot tell them apart: run a range test (lrwatch's "
            "find_lr) or short runs at ~3x lower and ~3x higher LR before moving it",))
    if SymptomName.TOO_LOW_NOT_EXCLUDED in c.symptoms:
        # an unknown size reads an adaptive optimizer's LR against a small model's range
        assumed = c.curves.param_count is None and is_adaptive(c.curves.optimizer) \
            and SymptomName.FINE_TUNE not in c.symptoms
        if SymptomName.FELL_TO_FLOOR in c.symptoms:
            shape = "it fell at first and then sat flat"
        elif SymptomName.LEVELLED_OFF in c.symptoms:
            shape = "it fell a little and stopped"
        elif SymptomName.FLATTENING in c.symptoms:
            shape = "it fell less than half and flattens"
        else:
            shape = "it still falls smoothly at the end"
        return Advice(Action.INCREASE, OPEN_LOW_STEP, (
            f"{shape}, at an LR well below the top of the usual range"
            + (" of a small model" if assumed else "") + ": too low is the likelier reading, not "
            "a certain one (a range test tells for sure)",))
    factor = stall_factor(c.progress)
    if c.progress is not None and c.progress <= -d.HARDLY_MOVED and c.lr is not None \
            and c.usual_range is not None and c.lr >= c.usual_range[0]:
        # issue 12: a loss that rose past the noise of a flat one (more than HARDLY_MOVED, in
        # log units), at an LR inside the usual range, is no sign of too low an LR (a small LR
        # makes a slow fall, not a rise): too high reads as well (its noise holds the loss up,
        # or it collapsed), so never a 10-300x increase. A flat loss that ends a little higher
        # (the benchmark corpus: 29 too-low SGD runs, +0.1% to +2.8%) is still raised.
        return Advice(Action.RANGE_TEST, None, (
            f"the loss ended higher than it began, at an LR inside {c.curves.optimizer}'s usual "
            "range: too high an LR reads as well as too low, and one run cannot tell them apart: "
            "run a range test (lrwatch's find_lr) or short runs at ~3x lower and ~3x higher LR "
            "before moving it",))
    action = Action.RANGE_TEST if SymptomName.NO_PROGRESS in c.symptoms and c.lr is None \
        else Action.INCREASE
    return Advice(action, factor, ("the loss falls too slowly for its LR"
                                   + (" (or run a range test)" if factor >= 10 else ""),))


def stall_factor(progress: float | None) -> float:
    """How much to raise the LR of a stalled run that fell by ``progress`` (log units): about
    GOOD_DROP / progress (the loss falls in proportion to a small LR), within [3, MAX_STEP]."""
    if progress is None or not math.isfinite(progress):
        return 10.0
    return float(min(max(GOOD_DROP / max(progress, GOOD_DROP / MAX_STEP), 3.0), MAX_STEP))


# --- healthy ---------------------------------------------------------------------------------

def _early_transient(f: Findings) -> Reading | None:
    # as for a blow-up: early, at an LR not far above the usual range, warmup is the fix
    spike = f.spike
    if spike is not None and spike.name is SymptomName.STARTED_ABOVE_CHANCE and \
            f.high is None and d.learned_past(f.curve, f.meta.classes):
        return Reading([spike], confidence=0.5, also=frozenset({SymptomName.EARLY_TRANSIENT}))
    return None


def _little_in_warmup(f: Findings) -> Reading | None:
    return Reading([], confidence=0.4) if f.little is not None and f.warm is not None else None


def _fine_tune_epochs(f: Findings) -> Reading | None:
    # a fine-tune's epochs; elsewhere a slow run has them too
    if f.little is not None and f.stairs is not None and f.fine:
        return Reading([f.stairs], confidence=0.5)
    return None


def _fine_tune_flat(f: Findings) -> Reading | None:
    # a fine-tune starts near its floor: flat at a fine-tuning LR is no sign of a bad LR; one
    # that never moved at an LR nobody logged may be at any LR
    if f.little is not None and f.flat is not None and f.fine and (
            f.moved is None or f.prior.range is not None and f.under is not None):
        return Reading([f.flat, d.floor_or_too_low(f.curve, f.prior)],
                       confidence=0.5 if f.moved is None else 0.4)
    return None


def _epoch_slow_start_hidden(f: Findings) -> Reading | None:
    # an epoch log that fell "little" from its first point, still falling or flattening: the
    # first point is an epoch's mean, the steep part of the fall is behind it, so "moved only X%"
    # is no slow LR (real-world round 8: 9 of 11 Penn Treebank LMs read "stalled, increase
    # 6-10x" were their grid's best or near it); where the LR's place, a fine-tune or too high
    # an LR say more, their clauses come first
    if f.little is not None and f.hidden_start is not None and f.high is None \
            and f.low is None and not f.fine:
        return Reading([f.hidden_start, f.little, f.falling or d.flattening(f.curve)],
                       confidence=EPOCH_HIDDEN_CONFIDENCE,
                       also=frozenset({SymptomName.EPOCH_START_HIDDEN}))
    return None


def _little_flattening(f: Findings) -> Reading | None:
    # within the usual range or below it, a fall that flattens before it halved may as well be
    # too low (d.floor_or_too_low): the evidence names both readings and the advice the test
    if f.little is not None:
        high_open = f.open_high
        # a fine-tune 3x or more above its range: a small model's good LR, or too high (round 29)
        fine_high = d.above_fine_range(f.curve, f.prior) if f.fine else None
        return Reading([d.flattening(f.curve), f.came_back, high_open,
                        d.floor_or_too_low(f.curve, f.prior), fine_high], confidence=0.5,
                       also=_far_above(high_open, f.under, f.prior))
    return None


def _healthy(f: Findings) -> Reading:
    # healthy far above the usual range: it trains, but where runs turn unstable (the suggestion
    # then lowers the LR a little); read from the LR's place alone, an open reading (round 15)
    high_open = f.open_high if f.beyond is None else None
    gone = d.mostly_gone(f.curve)
    # 90% gone earns HEALTHY_GONE_CONFIDENCE only where the run shows its own end (round 15):
    # a validation loss that turned up or a loss that levelled off
    ended = gone and (f.overfit is not None or f.levelled is not None)
    untold = d.neighbours_untold(f.curve) if gone and not ended else None
    plain = HEALTHY_GONE_CONFIDENCE if ended else HEALTHY_CONFIDENCE
    # a loss that levelled off this noisily may be held up by the LR itself (round 16)
    noisy = f.levelled is not None and d.noisy_level(f.curve)
    low = _low_place(f)
    # a fine-tune 3x or more above its range: a small model's good LR, or too high (round 29)
    fine_high = d.above_fine_range(f.curve, f.prior) if f.fine else None
    # a validation loss that turned up at the top of the range: too high as well (round 17)
    top_turn = d.overfit_at_top(f.curve, f.prior) if f.overfit is not None and not f.fine \
        and not (f.prior.clip is not None and not is_adaptive(f.prior.optimizer)) else None
    opened = f.open_low is not None or high_open is not None or f.beyond is not None or noisy \
        or low is not None or top_turn is not None or fine_high is not None
    return Reading([f.overfit, top_turn, f.levelled, f.beyond, f.stairs, f.came_back,
                    d.steady_fall(f.curve), f.open_low, high_open, untold, low, fine_high],
                   confidence=0.5 if f.warm is not None else
                   d.OPEN_HEALTHY if opened else plain,
                   also=_far_above(high_open, f.under, f.prior))


def _low_place(f: Findings) -> d.Symptom | None:
    """A healthy-looking run trained from scratch at an LR LIKELY_LOW decades (3.2x) or more
    below the top of the usual range: too low is the likelier reading there, however well the
    loss fell (real-world round 17, every side: of the 28 such runs read "healthy, keep" or
    "add decay", 27 were labelled otherwise, 26 too low, from 9 made families; every run trained
    from scratch there, whatever its reading: 152 of 170 labelled too low, public logs 62 of 71;
    on the benchmark corpus the 98 runs it sends from a keep to a test had their sweep's best LR
    3x or more higher on 79). A fine-tune, whose range spans full fine-tunes to LoRA, as far
    below the range's bottom (real-world round 29: 9 of the 12 public fine-tunes there read
    "healthy, keep", by the LR their source states, were labelled too low). Not a clipped SGD
    step (the range says nothing of it)."""
    clipped = f.prior.clip is not None and not is_adaptive(f.prior.optimizer)
    rng = f.prior.range
    if clipped or f.under is None or rng is None or f.warm is not None:
        return None
    span = math.log10(rng[1] / rng[0]) if f.fine else 0.0
    return d.below_top(f.curve, f.prior) if f.under >= span + d.LIKELY_LOW else None


def _far_above(high_open: d.Symptom | None, under: float | None,
               prior: d.Prior) -> frozenset[SymptomName]:
    """A healthy-looking run LIKELY_HIGH decades or more above the top of the usual range
    reads every way (healthy, too high, too low for a small model): ambiguous, a range test.
    Not a clipped SGD step: the range says nothing of it (issue 12: an LSTM LM at lr 20, clip
    0.25, trains well)."""
    clipped = prior.clip is not None and not is_adaptive(prior.optimizer)
    far = high_open is not None and under is not None and under <= -d.LIKELY_HIGH \
        and not clipped
    return frozenset({SymptomName.AMBIGUOUS}) if far else frozenset()


def _advise_healthy(c: AdviceContext) -> Advice:
    symptoms = c.symptoms
    if SymptomName.EARLY_TRANSIENT in symptoms:
        action, factor = Action.ADD_WARMUP, None
        reasons = ["it blew up in its first steps and learned well past it: keep the peak LR "
                   + ("and lengthen the warmup" if c.warmed_up
                      else "and warm up over ~5% of the steps")]
    elif SymptomName.FELL_TO_FLOOR in symptoms:
        # a fall to a floor, then flat (_fell_to_floor, real-world round 19): healthy, or held
        # up by too high an LR; a test is right either way, a keep would be wrong on 13 of 40
        action, factor = Action.RANGE_TEST, None
        reasons = ["healthy as far as one run tells: the loss fell and then sat at a floor, "
                   "which a good LR reaches and too high a one holds it at as well; keep the LR "
                   "if a range test (lrwatch's find_lr) or a short run at ~3x lower LR gets no "
                   "lower"]
    elif SymptomName.EPOCH_START_HIDDEN in symptoms:
        action, factor = Action.RANGE_TEST, None
        reasons = ["healthy as far as its epochs tell: an epoch log's first point is a whole "
                   "epoch's mean, so a fall that looks slow from it may be a good LR's approach "
                   "to a floor or too low an LR; run a range test (lrwatch's find_lr) or a short "
                   "run at ~3x the LR before keeping it"]
    elif SymptomName.AMBIGUOUS in symptoms:
        action, factor = Action.RANGE_TEST, None
        reasons = ["healthy as far as one run tells, but 3x or more above the top of the usual "
                   "range a smooth fall looks the same at the best LR, past it and (a small "
                   "model) below it: run a range test (lrwatch's find_lr) or short runs at ~3x "
                   "lower and higher LR before keeping it"]
    elif SymptomName.LR_HIGH in symptoms:
        action, factor = Action.REDUCE, 1 / 3
        reasons = [f"it trains, but far above {c.curves.optimizer}'s usual range, where runs "
                   "turn unstable: a lower LR is likely as good and safer"]
    elif SymptomName.TOO_LOW_NOT_EXCLUDED in symptoms and symptoms & FLAT_OR_FLATTENING:
        # a fall that flattened before it halved (or a fine-tune's that hardly moved), at an LR
        # within the usual range or below it (d.floor_or_too_low, real-world round 12): one run
        # cannot tell a floor from too low an LR, nor, at the range's top, from too high; the
        # action says so, as the evidence does
        action, factor = Action.RANGE_TEST, None
        reasons = ["healthy as far as one run tells: a fall that flattens before the loss "
                   "halved is a good LR's approach to a floor or too low an LR"
                   + (" (at the range's top, too high as well)"
                      if SymptomName.TOO_HIGH_NOT_EXCLUDED in symptoms else "")
                   + "; run a range test (lrwatch's find_lr) or a short run at ~3x the LR, and "
                   "keep whichever gets lower"]
    elif SymptomName.OVERFIT_AT_TOP in symptoms:
        # a validation loss that turned up at the top of the usual range (d.overfit_at_top,
        # real-world round 17): 17 of its 21 runs were labelled too high; a range test gained 16
        # right-way answers for 19 tests, "reduce ~3x" 12 with 4 new wrong-way moves
        action, factor = Action.RANGE_TEST, None
        reasons = ["healthy as far as one run tells, but its validation loss turned up at the "
                   "top of the usual range, where a run past the best LR overfits as well: run a "
                   "range test (lrwatch's find_lr) or a short run at ~3x lower LR, and keep "
                   "whichever gets the lower validation loss"]
    elif SymptomName.FINE_TUNE_ABOVE_RANGE in symptoms:
        action, factor = Action.RANGE_TEST, None
        reasons = ["healthy as far as one run tells, but 3x or more above the fine-tuning "
                   "range, where a small model or a frozen backbone trains well and a larger "
                   "pretrained model is past its best LR: run a range test (lrwatch's find_lr "
                   "with fine_tune=True) or a short run at ~3x lower LR, and keep whichever "
                   "gets the lower validation loss"]
    elif SymptomName.BELOW_TOP in symptoms and c.curves.fine_tune:
        action, factor = Action.RANGE_TEST, None
        reasons = ["healthy as far as one run tells, but 3x or more below the fine-tuning "
                   "range, where a fine-tune's loss falls as smoothly at too low an LR: run a "
                   "range test (lrwatch's find_lr with fine_tune=True) or a short run at ~3x the "
                   "LR, and keep whichever gets the lower validation loss"]
    elif SymptomName.BELOW_TOP in symptoms:
        # a healthy-looking run from scratch 3x or more below the top of the usual range
        # (_low_place, real-world round 17): 27 of its 28 runs were labelled otherwise; a range
        # test gained 27 right-way answers for 28 tests, "increase ~3x" 25 with 2 new wrong-way
        # moves
        action, factor = Action.RANGE_TEST, None
        reasons = ["healthy as far as one run tells, but 3x or more below the top of the usual "
                   "range, where a sweep's runs fall as smoothly and as far as its best one "
                   "(too low is the likelier reading): run a range test (lrwatch's find_lr) or "
                   "a short run at ~3x the LR, and keep whichever gets lower"]
    elif SymptomName.WARMUP in symptoms:
        # the LR still rises at the end of the log (a live run early in its schedule): where it
        # sits, and so whether it is too low, is known once it peaks (diagnosis round 42)
        action, factor = Action.KEEP, 1.0
        reasons = ["smooth decrease while the LR still warms up: keep the schedule; whether the "
                   "LR is too low is read once the warmup has reached its peak"]
    elif SymptomName.LEVELLED_OFF in symptoms:
        action, factor = Action.ADD_DECAY, 1.0
        reasons = ["the loss has levelled off at a constant LR: keep the peak LR and decay it "
                   "(cosine or step) to lower the noise floor"]
    elif SymptomName.TOO_HIGH_NOT_EXCLUDED in symptoms:
        action, factor = Action.KEEP, 1.0
        both = SymptomName.TOO_LOW_NOT_EXCLUDED in symptoms
        other = ("too high or too low an LR, run a range test (lrwatch's find_lr) or short runs "
                 "at ~3x lower and at 3x higher LR" if both else "too high an LR, run a range "
                 "test (lrwatch's find_lr) or a short run at ~3x lower LR")
        reasons = [f"smooth decrease at the top of the usual range: keep it, or, to rule out "
                   f"{other} and keep whichever gets lower"]
    elif SymptomName.TOO_LOW_NOT_EXCLUDED in symptoms:
        # a smooth fall still falling at the end, below the top of the usual range (real-world
        # round 10, every side: 89 runs read "healthy, keep" so, 34 labelled too low and 3 too
        # high, over 15 public repositories and 3 made families): the evidence says one run
        # cannot tell, so must the action (at the top of the range, TOO_HIGH_NOT_EXCLUDED, keep
        # stays: the range's top is where good LRs sit)
        action, factor = Action.RANGE_TEST, None
        reasons = ["smooth, steady decrease, still falling at the end, healthy as far as one "
                   "run tells; before keeping it, rule out too low an LR: run a range test "
                   "(lrwatch's find_lr) or a short run at ~3x the LR, and keep whichever gets "
                   "lower"]
    else:
        action, factor = Action.KEEP, 1.0
        reasons = ["smooth, steady decrease"]
    if SymptomName.VAL_TURNED_UP in symptoms:
        # the training loss keeps falling, the validation loss turned (d.val_turned_up): the run
        # overfits, which says little of the LR's way (real-world round 13, every side so far:
        # of 59 such runs, 39 labelled keep, 17 down, 2 up, 1 unknown, from 15 repositories and
        # made families; most of them the best LRs of sweeps labelled by validation accuracy): the
        # action stays the reading's own (a range test of its own: +16 right way for 51 tests)
        reasons.append("the validation loss turned up while the training loss kept falling: "
                       "the model overfits from there, which the epochs, the data and the "
                       "regularisation answer more than the LR: stop at the validation minimum "
                       "(early stopping); a run at ~3x lower LR tells whether a lower LR "
                       "generalises better")
    if SymptomName.RECOVERED_NAN in symptoms:
        reasons.append("a NaN came back once: if it recurs, reduce the LR ~3x or clip the "
                       "gradients")
    return Advice(action, factor, tuple(reasons))


# --- insufficient data -----------------------------------------------------------------------

def _advise_insufficient(c: AdviceContext) -> Advice:
    if c.curves.epoch_points:  # a finished log of a few epochs will not grow: say what tells
        return Advice(Action.RANGE_TEST, None, (
            "not enough epochs logged to judge the LR from this run; a range test (lrwatch's "
            "find_lr) or short runs at a few LRs would tell",))
    far = _far_above_range(c)
    if far is not None:
        return Advice(Action.RANGE_TEST, None, (
            f"not enough steps to judge the curve yet, but {far}: run a range test (lrwatch's "
            "find_lr) or a short run at a tenth of the LR before going on",))
    return Advice(Action.KEEP, 1.0, ("not enough steps to judge yet",))


def _far_above_range(c: AdviceContext) -> str | None:
    """Where a run too short to judge sits far above its optimizer's usual range (LR_BEYOND
    decades; a fine-tune FINE_NEAR_DECADES above the fine-tuning range, where small pretrained
    models still train), the LR's place says so: "keep" would pass over the one thing the log
    tells (real-world round 30: a QLoRA at lr 5, 4 logged points, read "not enough steps,
    keep"). Not a clipped SGD step: the range says nothing of it."""
    curves = c.curves
    if c.lr is None or c.lr_free or (curves.clip is not None and not is_adaptive(
            curves.optimizer)):
        return None
    fine = curves.fine_tune is True
    rng = typical_range(curves.optimizer, curves.momentum, fine, curves.param_count)
    far = FINE_NEAR_DECADES if fine else d.LR_BEYOND
    if rng is None or math.log10(c.lr / rng[1]) <= far:
        return None
    name = "fine-tuning range" if fine else "usual range"
    return (f"peak LR {c.lr:.3g} is {c.lr / rng[1]:.0f}x above the top of {curves.optimizer}'s "
            f"{name} {rng[0]:.3g}-{rng[1]:.3g}")


#: every status ``classify`` gives, its clauses in the order of the cascade they were read from
RULES: list[StatusRule] = [
    StatusRule(Status.DIVERGING, _advise_diverging, (
        Clause(10, _blowup), Clause(20, _loss_alarm), Clause(30, _above_chance),
        Clause(35, _rose_over_epochs),
        Clause(50, _stuck_high), Clause(60, _level_up_far_above), Clause(70, _died_after_spike),
        Clause(130, _collapsed_far_above)), lr_wrong=True),
    StatusRule(Status.OSCILLATING, _advise_oscillating, (
        Clause(40, _swing), Clause(90, _spike), Clause(100, _nan_came_back),
        Clause(75, _val_above_chance), Clause(110, _grad_died),
        Clause(140, _held_back_from_above),
        Clause(178, _flat_far_above), Clause(200, _stopped_far_above),
        Clause(240, _stopped_improving_far_above)),
        trend=True, lr_wrong=True),
    StatusRule(Status.STALLED, _advise_stalled, (
        Clause(160, _flat_far_below), Clause(180, _flat_two_readings),
        Clause(190, _little_still_falling), Clause(210, _stopped_far_below),
        Clause(220, _stopped_readings_open), Clause(228, _flattening_below_top),
        Clause(250, _still_falling), Clause(260, _open_low_below_top)),
        trend=True, lr_wrong=True),
    # a run that made little progress gets its verdict by precedence 230, so the later clauses
    # read runs that at least halved their loss; the last clause applies to every run
    StatusRule(Status.HEALTHY, _advise_healthy, (
        Clause(80, _early_transient), Clause(120, _little_in_warmup),
        Clause(150, _fine_tune_epochs), Clause(170, _fine_tune_flat),
        Clause(175, _fell_to_floor),
        Clause(185, _epoch_slow_start_hidden), Clause(230, _little_flattening),
        Clause(1000, _healthy)), trend=True),
    StatusRule(Status.INSUFFICIENT_DATA, _advise_insufficient),
]
#: statuses with no rule here, and why
GIVEN_ELSEWHERE = {
    Status.NO_LR_VERDICT: "diagnose gives it to a run trained by several optimizers",
}


def ordered_clauses() -> list[tuple[Clause, StatusRule]]:
    """Every clause of ``RULES`` with its rule, by precedence."""
    return sorted(((c, r) for r in RULES for c in r.clauses), key=lambda cr: cr[0].precedence)


def rule_for(status: Status) -> StatusRule:
    """The rule of ``status``; ValueError for a status with none (``suggest`` must not fall
    back to some other status's advice)."""
    for rule in RULES:
        if rule.status is status:
            return rule
    raise ValueError(f"suggest() has no advice for status {status.value!r}")
