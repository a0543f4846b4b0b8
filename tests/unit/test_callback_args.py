"""LRWatch's arguments: a wrong one is a one-line ConfigError naming it, at construction."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lrwatch import ConfigError, LRWatch


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"store": 3}, "store must be a path"),
    ({"store": ["runs"]}, "store must be a path"),
    ({"dashboard_port": -1}, "dashboard_port must be an integer >= 0"),
    ({"dashboard_port": 70000}, "dashboard_port must be in 0-65535"),
    ({"dashboard_port": "8050"}, "dashboard_port must be an integer >= 0, got '8050'"),
    ({"dashboard_host": 3}, "dashboard_host must be a host name or address"),
    ({"dashboard_host": " "}, "dashboard_host must be a host name or address"),
    ({"lr_factor": "0.1"}, "lr_factor must be a number in"),
    ({"lr_factor": 1.5}, "lr_factor must be a number in"),
    ({"every_n_steps": 2.0}, "every_n_steps must be a positive integer, got 2.0"),
    ({"skip_batches": -1}, "skip_batches must be an integer >= 0"),
])
def test_a_wrong_argument_is_named_at_construction(kwargs, message) -> None:
    with pytest.raises(ConfigError, match=message):
        LRWatch(**kwargs)


def test_numpy_integers_are_accepted_and_recorded_as_plain_ints() -> None:
    watch = LRWatch(every_n_steps=np.int64(5), check_every_n_steps=np.int32(20),
                    dashboard_port=np.int64(8060))
    assert watch.config.every_n_steps == 5 and type(watch.config.every_n_steps) is int
    assert watch.guard_config.check_every_n_steps == 20
    json.dumps(watch.config.to_dict())  # recorded with the run: must be JSON
    json.dumps(watch.guard_config.to_dict())
