"""What every fresh finder round's families share (rounds 7 to 11; a new round adds a row to
``ROUNDS``): five families on their own split, none seen before, each family's data and model of
the shapes the sweep and the range tests feed them, the same on every call and for a seed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pytest
import torch

from benchmarks import finder_fresh7 as fresh7
from benchmarks import finder_fresh8 as fresh8
from benchmarks import finder_fresh9 as fresh9
from benchmarks import finder_fresh10 as fresh10
from benchmarks import finder_fresh11 as fresh11
from benchmarks import finder_general, finder_runs


@dataclass(frozen=True)
class Round:
    split: str
    tasks: tuple[Any, ...]
    # task: (input of one sample, target of one sample, model output of one sample)
    shapes: dict[str, tuple[tuple[int, ...], ...]]
    data: tuple[Callable[[], Any], ...]


ROUNDS = [
    Round("fresh7-held-out", tuple(fresh7.FRESH7_TASKS), {
        "cnn1d-waveforms": ((1, 64), (), (5,)),
        "conv-dae-digits": ((1, 8, 8), (1, 8, 8), (1, 8, 8)),
        "linreg-poly-diabetes": ((65,), (1,), (1,)),
        "groupnorm-cnn-canvas-digits": ((1, 12, 12), (), (10,)),
        "finetune-mlp-housing-shift": ((8,), (1,), (1,))},
        (fresh7._waveforms, fresh7._noisy_digits, fresh7._diabetes, fresh7._canvas_digits,
         fresh7._housing_shift)),
    Round("fresh8-held-out", tuple(fresh8.FRESH8_TASKS), {
        "dropout-mlp-noisy-table": ((20,), (), (3,)),
        "vae-digits": ((64,), (64,), (65,)),
        "mf-ratings": ((2,), (1,), (1,)),
        "gru-char-lm": ((32,), (32,), (32, 256)),
        "finetune-lastlayers-mlp-topics": ((200,), (), (5,))},
        (fresh8._noisy_table, fresh8._digits_for_vae, fresh8._ratings, fresh8._gru_lm,
         fresh8._topics_finetune)),
    Round("fresh9-held-out", tuple(fresh9.FRESH9_TASKS), {
        "bigru-tagger-seen-before": ((24,), (24,), (24, 2)),
        "deep-linear-regression": ((20,), (5,), (5,)),
        "lstm-seq-max-regression": ((20, 1), (1,), (1,)),
        "poisson-mlp-counts": ((12,), (1,), (1,)),
        "finetune-lstm-lm-prose-to-code": ((32,), (32,), (32, 256))},
        (fresh9._seen_before_tags, fresh9._low_rank_map, fresh9._noisy_sequences,
         fresh9._event_counts, fresh9._prose_to_code)),
    Round("fresh10-held-out", tuple(fresh10.FRESH10_TASKS), {
        "dwsep-cnn-canvas-shapes": ((1, 16, 16), (), (6,)),
        "two-tower-recommender": ((11,), (), (2,)),
        "tcn-forecaster": ((1, 48), (8,), (8,)),
        "gnn-edge-agreement": ((12, 16), (1,), (1,)),
        "finetune-cnn-shapes-larger": ((1, 12, 12), (), (6,))},
        (fresh10._canvas_shapes, fresh10._likes, fresh10._seasonal_series, fresh10._graphs,
         fresh10._shapes_larger)),
    Round("fresh11-held-out", tuple(fresh11.FRESH11_TASKS), {
        "vit-canvas-shapes": ((1, 16, 16), (), (6,)),
        "gru-largest-sum-clipped": ((16, 3), (), (3,)),
        "wide-deep-clicks": ((8,), (), (2,)),
        "bn-autoencoder-curves": ((40,), (40,), (40,)),
        "finetune-lastlayers-lm-prose-to-docs": ((32,), (32,), (32, 256))},
        (fresh11._vit_shapes, fresh11._running_sums, fresh11._clicks, fresh11._curves,
         fresh11._docs_finetune)),
]
TASKS = [(r, t) for r in ROUNDS for t in r.tasks]
DATA = [d for r in ROUNDS for d in r.data]


@pytest.mark.parametrize("r", ROUNDS, ids=lambda r: r.split)
def test_five_fresh_families_on_their_own_split(r: Round) -> None:
    assert [t.name for t in r.tasks] == list(r.shapes)
    assert len({t.family for t in r.tasks}) == 5
    assert all(t.split == r.split for t in r.tasks)
    assert [t.fine_tune for t in r.tasks] == [False] * 4 + [True]  # the last one a fine-tune
    assert r.split in finder_general.SPLITS and set(r.tasks) <= set(finder_general.TASKS)
    earlier = {t.name for t in finder_general.TASKS if t.split != r.split}
    assert not earlier & set(r.shapes)


@pytest.mark.parametrize("r, task", TASKS, ids=[t.name for _, t in TASKS])
def test_data_and_model_shapes(r: Round, task: Any) -> None:
    x, y = task.data()
    xv, yv = task.validation()
    sample, target, output = r.shapes[task.name]
    assert tuple(x.shape[1:]) == tuple(xv.shape[1:]) == sample
    assert tuple(y.shape[1:]) == tuple(yv.shape[1:]) == target
    assert len(x) == len(y) and len(xv) == len(yv) and len(xv) >= 100
    assert torch.isfinite(x.float()).all() and torch.isfinite(xv.float()).all()
    if not task.fine_tune:  # a fine-tune's model is pretrained first (slow)
        net = finder_runs.model(task, 0)
        assert tuple(net(x[:4]).shape) == (4, *output)
        assert torch.isfinite(task.loss(net.eval()(xv), yv))


@pytest.mark.parametrize("data", DATA, ids=lambda d: f"{d.__module__}.{d.__name__}")
def test_data_are_the_same_on_every_call(data: Callable[[], Any]) -> None:
    first = [t.clone() for part in data() for t in part]
    data.cache_clear()
    torch.manual_seed(12345)  # the global RNG must not matter
    again = [t for part in data() for t in part]
    assert all(torch.equal(a, b) for a, b in zip(first, again))


@pytest.mark.parametrize("r, task", [(r, t) for r, t in TASKS if not t.fine_tune],
                         ids=[t.name for _, t in TASKS if not t.fine_tune])
def test_models_are_the_same_for_the_same_seed(r: Round, task: Any) -> None:
    x, _ = task.data()
    first, again = finder_runs.model(task, 3).eval(), finder_runs.model(task, 3).eval()
    other = finder_runs.model(task, 4).eval()
    with torch.no_grad():
        assert torch.equal(first(x[:8]), again(x[:8]))
        assert not torch.equal(first(x[:8]), other(x[:8]))
