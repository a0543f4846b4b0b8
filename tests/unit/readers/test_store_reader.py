"""Runs of an lrwatch store as RunCurves: series, metadata, linked range tests, damage."""

from __future__ import annotations

import numpy as np
import pytest

from lrwatch import keys
from lrwatch.analysis.types import RangeTestSummary
from lrwatch.errors import InputError, LRWatchError, RunNotFound
from lrwatch.readers import curves_from_store, find_runs, read_run, read_store_run, training_runs
from lrwatch.store import FINISHED, Store

STEPS = np.arange(100)
TRAIN_META = {"kind": "train", "optimizer": "SGD", "momentum": 0.9, "batch_size": 32,
              "planned_steps": 1000}


def fill(store_path, with_range_test=True):
    """A store with a range test and a training run linked to it, written by the public API."""
    with Store(store_path) as store:
        if with_range_test:
            finder = store.create_run("lr-find", {"kind": "range_test"})
            store.backend.append(finder.id, {keys.LOSS: (np.arange(20), np.linspace(3, 1, 20)),
                                             keys.LR: (np.arange(20), np.logspace(-5, 0, 20))})
            store.backend.set_status(finder.id, FINISHED)
        meta = dict(TRAIN_META)
        if with_range_test:
            meta["range_test"] = {"run": finder.uid, "suggested_lr": 0.03, "lower_lr": 0.001,
                                  "upper_lr": 0.3}
        run = store.create_run("resnet", meta)
        store.backend.append(run.id, {
            keys.LOSS: (STEPS, 2.0 / (1 + STEPS)),
            keys.LR: (STEPS, np.full(100, 0.05)),
            keys.param_group_key(keys.LR, 1): (STEPS, np.full(100, 0.5)),
            keys.GRAD_NORM: (STEPS, np.full(100, 1.5)),
            keys.group_key(keys.GRAD_NORM, "fc"): (STEPS, np.full(100, 9.0)),
            keys.UPDATE_RATIO: (STEPS, np.full(100, 1e-3)),
            keys.VAL_LOSS: (np.array([49, 99]), np.array([0.5, 0.3])),
        })
        store.backend.set_status(run.id, FINISHED)
    return store_path


def test_a_stored_run_gives_its_series_and_metadata(store_path):
    fill(store_path)
    with Store(store_path, readonly=True) as store:
        (run,) = training_runs(store)  # the range test is not a training
        curves = curves_from_store(store, run)
    assert run.name == "resnet"
    np.testing.assert_array_equal(curves.loss.steps, STEPS)
    np.testing.assert_allclose(curves.loss.values, 2.0 / (1 + STEPS))
    np.testing.assert_array_equal(curves.lr.values, 0.05)  # the first group, not lr/pg2
    np.testing.assert_array_equal(curves.grad_norm.values, 1.5)  # the total, not a layer
    assert len(curves.update_ratio) == 100 and list(curves.val_loss.steps) == [49, 99]
    assert (curves.optimizer, curves.momentum, curves.batch_size, curves.total_steps) == (
        "SGD", 0.9, 32, 1000)
    assert curves.range_test == RangeTestSummary(suggested_lr=0.03, lower_lr=0.001, upper_lr=0.3)


def test_runs_are_found_by_name_uid_or_id(store_path):
    fill(store_path)
    with Store(store_path, readonly=True) as store:
        run = store.run("resnet")
        by_uid = curves_from_store(store, run.uid)
        by_id = curves_from_store(store, run.id)
        np.testing.assert_array_equal(by_uid.loss.values, by_id.loss.values)
        with pytest.raises(RunNotFound, match="no run 'nope'"):
            curves_from_store(store, "nope")


def test_a_run_that_recorded_nothing_yet_gives_an_empty_loss(store_path):
    with Store(store_path) as store:
        run = store.create_run("fresh", {"kind": "train", "optimizer": None, "batch_size": None})
    with Store(store_path, readonly=True) as store:
        curves = curves_from_store(store, run)
    assert len(curves.loss) == 0 and curves.lr is None and curves.range_test is None
    assert (curves.optimizer, curves.batch_size) == (None, None)


def test_an_lr_with_no_usable_value_is_noted(store_path):
    steps = np.arange(50)
    with Store(store_path) as store:
        run = store.create_run("nan-lr", {"kind": "train"})
        store.backend.append(run.id, {keys.LOSS: (steps, np.ones(50)),
                                      keys.LR: (steps, np.full(50, np.nan))})
    with Store(store_path, readonly=True) as store:
        result = read_store_run(store, run.id)
    assert result.columns.lr == keys.LR
    assert result.notes == (f"the learning rate 'lr' of run 'nan-lr' of {store_path} has no "
                            "usable value (none is a finite number above 0); the suggestion is "
                            "a relative change",)


def test_odd_metadata_is_ignored_not_trusted(store_path):
    with Store(store_path) as store:
        run = store.create_run("odd", {"optimizer": 3, "momentum": "high", "batch_size": -4,
                                       "planned_steps": True,
                                       "range_test": {"suggested_lr": None, "lower_lr": 1e-4}})
    with Store(store_path, readonly=True) as store:
        curves = curves_from_store(store, run)
    assert (curves.optimizer, curves.momentum, curves.batch_size, curves.total_steps,
            curves.range_test) == (None, None, None, None, None)


def test_key_overrides_read_other_series_and_name_the_keys_when_missing(store_path):
    fill(store_path)
    with Store(store_path, readonly=True) as store:
        result = read_store_run(store, "resnet", lr_key="lr/pg2")
        np.testing.assert_array_equal(result.curves.lr.values, 0.5)
        expected = (r"run 'resnet' of .*lrwatch.db has no key 'train_loss' "
                    r"\(loss_key= / --loss-key\); it has: grad_norm, grad_norm/fc, loss, lr")
        with pytest.raises(InputError, match=expected):
            read_store_run(store, "resnet", loss_key="train_loss")


def test_a_run_stored_without_a_kind_is_a_training(store_path):
    fill(store_path)  # a range test and a training, each with its kind
    with Store(store_path) as store:
        store.create_run("written-before-kinds", {"optimizer": "SGD"})
        names = [run.name for run in training_runs(store)]
        kinds = [keys.run_kind(run.meta) for run in store.runs()]
    assert names == ["resnet", "written-before-kinds"]
    assert kinds == [keys.RUN_RANGE_TEST, keys.RUN_TRAIN, keys.RUN_TRAIN]


def test_find_runs_lists_the_training_runs_of_a_store_file_or_folder(store_path):
    fill(store_path)
    for given in (store_path, store_path.parent):
        (run,) = find_runs(given)
        assert (run.source, run.name, run.format) == (str(given), "resnet", "store")
        assert read_run(run).curves.optimizer == "SGD"


def test_a_store_with_only_a_range_test_has_no_training_runs(store_path):
    with Store(store_path) as store:
        store.create_run("lr-find", {"kind": "range_test"})
    (entry,) = find_runs(store_path)
    assert entry.error == f"the store {store_path} has no training runs yet"


def test_a_damaged_store_is_a_one_line_store_error(store_path):
    fill(store_path)
    data = bytearray(store_path.read_bytes())
    page = 4096
    data[page:] = b"\xde\xad\xbe\xef" * ((len(data) - page) // 4)  # every page after the header
    store_path.write_bytes(bytes(data))
    (entry,) = find_runs(store_path)
    assert entry.error == (f"cannot read the store {store_path} (database disk image is malformed);"
                           " the file may be damaged: pass another store")
    with pytest.raises(LRWatchError, match="the file may be damaged"):
        read_run(entry)


def test_a_file_that_is_not_a_store_is_said_so(tmp_path):
    path = tmp_path / "lrwatch.db"
    path.write_bytes(b"definitely not sqlite" * 100)
    (entry,) = find_runs(path)
    assert entry.error == (f"{path} is not an lrwatch store (file is not a database); "
                           "pass the path of an lrwatch store")
