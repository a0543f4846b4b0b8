"""Stores with synthetic runs written through the store's own append, and a way to call the
app's callbacks over HTTP as the browser does."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lrwatch import Store, keys
from lrwatch.store import FINISHED, PendingEvent


def fill_run(store: Store, name: str, steps: int, *, start: int = 0, run_id: int | None = None,
             layers: int = 0, layer_every: int = 10, nan_from: int | None = None,
             meta: dict[str, Any] | None = None, seed: int = 0) -> int:
    """Append ``steps`` steps of a decaying noisy loss (and LR, grad norm, update ratio, step
    time, per-layer grad norms) to a new run, or to ``run_id`` from step ``start``."""
    rng = np.random.default_rng(seed + start)
    if run_id is None:
        run_id = store.create_run(name, meta or {"kind": "train", "optimizer": "SGD"}).id
    s = np.arange(start, start + steps)
    loss = 2.3 * np.exp(-s / 300) + 0.1 + 0.02 * rng.standard_normal(s.size)
    events = []
    if nan_from is not None:
        loss = np.where(s >= nan_from, np.nan, loss)
        events = [PendingEvent(int(k), keys.EVENT_NONFINITE, {"loss": True}, time.time())
                  for k in s[s >= nan_from]]
    columns = {
        keys.LOSS: (s, loss), keys.LR: (s, np.full(s.size, 0.1)),
        keys.GRAD_NORM: (s, 1 + rng.random(s.size)),
        keys.UPDATE_RATIO: (s, 1e-3 * (1 + 0.1 * rng.random(s.size))),
        keys.STEP_TIME: (s, 0.01 + 0.001 * rng.random(s.size)),
    }
    ls = s[s % layer_every == 0]
    for k in range(layers):
        columns[f"{keys.GRAD_NORM}/layer{k}"] = (ls, np.full(ls.size, 10.0 ** (k - 1)))
    store.backend.append(run_id, columns, events)
    return run_id


@pytest.fixture
def store(store_path: Path) -> Store:
    st = Store(store_path)
    yield st
    st.close()


@pytest.fixture
def two_runs(store: Store) -> Store:
    """A finished 500-step run with 3 layers, and a 300-step run that turns NaN at step 250."""
    a = fill_run(store, "steady", 500, layers=3)
    store.backend.set_status(a, FINISHED)
    b = fill_run(store, "nan-run", 300, nan_from=250)
    store.backend.set_status(b, FINISHED)
    return store


class Callbacks:
    """Calls the app's callbacks through its HTTP endpoint, as the browser's renderer does."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.client = app.server.test_client()
        self.client.get("/")  # Dash finishes its setup on the first request

    def call(self, outputs: list[str], inputs: list[tuple[str, str, Any]],
             state: list[tuple[str, str, Any]] = (), changed: list[str] = ()) -> Any:
        """POST one callback; returns the Flask response (``.status_code``, ``.json``)."""
        body = {
            "output": ".." + "...".join(outputs) + ".." if len(outputs) > 1 else outputs[0],
            "outputs": [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in outputs],
            "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
            "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
            "changedPropIds": list(changed),
        }
        if len(outputs) == 1:
            body["outputs"] = body["outputs"][0]
        return self.client.post("/_dash-update-component", json=body)
