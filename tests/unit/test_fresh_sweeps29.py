"""Round 29's made held-out sweeps (``fresh_sweeps29.py``): a word-level transformer LM on the
standard library's docstrings under AdamW with a warmup and a cosine; a tabular MLP on
overlapping synthetic classes under plain SGD with a step decay, one point per epoch; each with a
floor no run passes (the text's entropy over words, the classes' overlap), and the committed
truths are what the generator makes. The checks every round shares (labels by
place, grids, new families, the manifest's side) run in ``test_made_rounds.py``,
``test_fresh_sweeps8.py`` and ``test_realworld_sides.py``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from benchmarks.realworld import fresh_sweeps29 as gen
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())
WD, TB = "fresh-wordgpt_docstrings_adamw_warmcos", "fresh-mlp_overlap6_sgd_step"


def _best_final(name: str) -> float:
    s = SUMMARIES[name]
    return min(f for f in s["final_eval_losses"] if f is not None)


def test_the_families_train_with_the_optimizers_and_schedules_the_plan_names() -> None:
    wd, tb = gen.plan()
    assert [s.meta["optimizer"] for s in gen.plan()] == ["AdamW", "SGD"]
    assert wd.meta["schedule"] == "linear warmup 30 (10%), cosine to 0"
    assert tb.meta["momentum"] == 0.0 and tb.meta["schedule"] == "StepLR x0.5 every 10 epochs"
    # the grids cover what users pick (the generator's docstring): AdamW on a small transformer
    # nanoGPT's 6e-4 to 1e-2, plain SGD 1e-2 to 1
    assert min(wd.lrs) <= 6e-4 and max(wd.lrs) >= 1e-2
    assert min(tb.lrs) <= 1e-2 and max(tb.lrs) >= 1.0
    assert all(len(s.lrs) == 13 for s in gen.plan())


def test_the_logging_is_dense_enough_to_judge() -> None:
    assert gen.WD_STEPS // gen.LOG_EVERY >= 30
    assert gen.TB_EPOCHS >= 30  # one point per epoch
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_the_word_lm_reads_whitespace_words_of_a_capped_vocabulary() -> None:
    (train_part, val_part, test_part), vocab = gen.docstring_words()
    assert len(vocab) == gen.WD_VOCAB == len(set(vocab)) and vocab[0] == "<unk>"
    assert not any(any(c.isspace() for c in w) for w in vocab[1:])
    assert int(max(p.max() for p in (train_part, val_part, test_part))) < gen.WD_VOCAB
    assert len(train_part) > 7 * len(test_part) > 0
    # a word the vocabulary lacks is <unk>: some of every split, far from all of it
    assert all(0.0 < float((p == 0).float().mean()) < 0.3 for p in (train_part, test_part))
    assert gen.WordGPT()(train_part[: 2 * gen.WD_CTX].view(2, -1)).shape == (2, gen.WD_CTX,
                                                                             gen.WD_VOCAB)


def test_the_warmup_then_cosine_schedule() -> None:
    factors = [gen.warmup_cosine(gen.WD_WARMUP, gen.WD_STEPS, floor=0.0)(k)
               for k in range(gen.WD_STEPS)]
    assert factors[0] == pytest.approx(1 / gen.WD_WARMUP)
    assert max(factors) == factors[gen.WD_WARMUP - 1] == 1.0
    assert factors[-1] < 1e-3 and gen.WD_WARMUP == 0.1 * gen.WD_STEPS


def test_the_word_lm_starts_at_chance_and_stays_above_the_texts_entropy() -> None:
    s = SUMMARIES[WD]
    assert all(v == pytest.approx(math.log(gen.WD_VOCAB), abs=0.3)
               for v in s["start_eval_losses"])
    # a real floor: no 90% fall (the rounds' rule), yet a quarter of the start learned
    assert 0.1 * s["start_eval_losses"][0] < _best_final(WD) < 0.75 * s["start_eval_losses"][0]


def test_the_tabular_classes_overlap() -> None:
    (xtr, ytr), (xva, _), (xte, yte) = gen.overlap_table()
    assert xtr.shape == (gen.TB_TRAIN, gen.TB_FEATURES) and len(xva) == gen.TB_VAL
    assert len(xte) == gen.TB_TEST and set(ytr.tolist()) == set(range(gen.TB_CLASSES))
    assert gen.tabular_mlp()(xte[:5]).shape == (5, gen.TB_CLASSES)
    s = SUMMARIES[TB]
    assert s["start_eval_losses"][0] == pytest.approx(math.log(gen.TB_CLASSES), abs=0.1)
    # 5% of the labels are drawn at random and the classes overlap: far above 0
    assert 0.1 * s["start_eval_losses"][0] < _best_final(TB) < 0.75 * s["start_eval_losses"][0]


def test_no_familys_best_run_removes_90_percent_of_its_loss() -> None:
    for s in SUMMARIES.values():
        i = s["lrs"].index(s["best_lr"])
        assert s["final_eval_losses"][i] > 0.1 * s["start_eval_losses"][i]


def test_the_tabular_truth_is_what_the_generator_makes_one_point_an_epoch() -> None:
    """The MLP at its best LR, retrained (a few CPU seconds): the committed test loss; one row
    per epoch, the LR halved every 10 epochs, a ``val_loss`` after each epoch."""
    run, s, i = retrain_best(SUMMARIES, TB, gen.tabular_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=1e-4)
    epochs = [r[0] for r in run.log.rows]
    assert run.by_epoch and epochs == list(range(1, gen.TB_EPOCHS + 1))
    lrs = np.array([r[2] for r in run.log.rows])
    expected = s["lrs"][i] * gen.TB_GAMMA ** ((np.array(epochs) - 1) // gen.TB_STEP_EPOCHS)
    assert lrs == pytest.approx(expected)
    assert sorted(run.log.val) == epochs
    assert run.test not in run.log.val.values()
