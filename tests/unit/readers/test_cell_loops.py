"""The LRs a notebook cell's code loops over (``lrwatch.readers.cell_loops``)."""

from __future__ import annotations

import pytest

from lrwatch.readers.cell_loops import loop_lrs


@pytest.mark.parametrize("source, lrs", [
    ("for lr in [0.0001, 0.001, 0.01, 0.1]:\n    fit(lr)", (1e-4, 1e-3, 1e-2, 1e-1)),
    ("lrs = [1e-3, 3e-3]\nfor lr in lrs:\n    fit(lr)", (1e-3, 3e-3)),  # bound to a name
    ("%%time\n!nvidia-smi\nfor LR in (0.1, 1):\n    fit(LR)", (0.1, 1.0)),  # IPython lines
    ("for learning_rate in [3e-4]:\n    fit(learning_rate)", (3e-4,)),
])
def test_a_cell_looping_over_a_list_of_lrs_names_them_in_order(source, lrs):
    assert loop_lrs(source) == lrs


@pytest.mark.parametrize("source", [
    "for lr in np.logspace(-4, -1, 4):\n    fit(lr)",  # computed, not written
    "for lr in [0.1, 'auto']:\n    fit(lr)",
    "for lr in [0.1, 100]:\n    fit(lr)",  # no plausible LR
    "for lr in [0.1]:\n    fit(lr)\nfor lr in [0.2]:\n    fit(lr)",  # two loops
    "for size in [32, 64]:\n    fit(size)",  # no LR
    "for lr in [0.1, 0.01]\n    fit(lr)",  # does not parse
])
def test_a_cell_without_exactly_one_written_lr_list_names_none(source):
    assert loop_lrs(source) is None
