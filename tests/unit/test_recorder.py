"""The recorder's numbers against references computed the plain way (no Lightning)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lrwatch import keys
from lrwatch.config import RecordConfig
from lrwatch.recorder import Recorder


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))


def _collect(config: RecordConfig, optimizer_factory, steps: int = 6, clipping: bool = False,  # type: ignore[no-untyped-def]
             clip_norm: float | None = None, unread: frozenset[int] = frozenset()):
    """Train a few steps by hand, recording, and compute the references alongside."""
    model = _model()
    optimizer = optimizer_factory(model.parameters())
    rows: dict[str, list] = {}
    events = []

    def sink(block, evts):  # type: ignore[no-untyped-def]
        for key, (s, v) in block.items():
            rows.setdefault(key, []).append((s, v))
        events.extend(evts)

    recorder = Recorder(config, sink)
    recorder.attach([optimizer], model.named_parameters(), clipping=clipping, clip_norm=clip_norm)
    reference: dict[str, list[float]] = {"grad_norm": [], "update_ratio": [], "loss": [],
                                         "layer0": [], "clipped": []}
    x, y = torch.randn(32, 8), torch.randint(0, 3, (32,))
    for step in range(steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        recorder.add_loss(loss)
        grads = torch.cat([p.grad.flatten() for p in model.parameters()])
        reference["grad_norm"].append(float(grads.norm()))
        reference["layer0"].append(float(torch.cat([model[0].weight.grad.flatten(),
                                                    model[0].bias.grad.flatten()]).norm()))
        reference["loss"].append(float(loss.detach()))
        before = torch.cat([p.detach().flatten() for p in model.parameters()]).clone()
        # an unread step's gradients are not read before clipping (a front end that could not)
        recorder.before_optimizer_step(recorder.probes[0], step, read=step not in unread)
        if clipping:
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
            reference["clipped"].append(float(torch.cat([p.grad.flatten() for p in model.parameters()]).norm()))
        optimizer.step()
        after = torch.cat([p.detach().flatten() for p in model.parameters()])
        reference["update_ratio"].append(float((after - before).norm() / before.norm()))
        recorder.end_step(step, epoch=0, world_size=1)
    recorder.drain()
    merged = {k: (np.concatenate([s for s, _ in parts]), np.concatenate([v for _, v in parts]))
              for k, parts in rows.items()}
    return merged, reference, events, optimizer


def test_norms_and_update_ratio_match_the_plain_computation():
    rows, ref, events, _ = _collect(RecordConfig(layer_every_n_steps=2, update_ratio_every_n_steps=1),
                                    lambda p: torch.optim.Adam(p, lr=1e-2))
    assert rows[keys.LOSS][0].tolist() == list(range(6))
    assert np.allclose(rows[keys.LOSS][1], ref["loss"], rtol=1e-6)
    assert np.allclose(rows[keys.GRAD_NORM][1], ref["grad_norm"], rtol=1e-5)
    assert np.allclose(rows[keys.UPDATE_RATIO][1], ref["update_ratio"], rtol=1e-4)
    # per-layer values every 2nd step, named after the module
    steps, layer0 = rows["grad_norm/0"]
    assert steps.tolist() == [0, 2, 4]
    assert np.allclose(layer0, np.asarray(ref["layer0"])[[0, 2, 4]], rtol=1e-5)
    assert "update_ratio/2" in rows and "grad_norm/2" in rows
    assert events == []


def test_hyperparameters_of_every_group_are_recorded_under_lightnings_group_numbers():
    model = _model()
    optimizer = torch.optim.AdamW([
        {"params": model[0].weight, "lr": 1e-3},
        {"params": model[0].bias, "lr": 2e-3},
        {"params": model[2].parameters(), "lr": 1e-4, "name": "head"},
    ], weight_decay=0.01, betas=(0.9, 0.95))
    recorder = Recorder(RecordConfig(), lambda rows, events: None)
    recorder.attach([optimizer], model.named_parameters(), clipping=False)
    assert dict(recorder.probes[0].hyperparameters()) == {
        "lr": 1e-3, "weight_decay": 0.01, "momentum": 0.9, "beta2": 0.95,
        # the second group: LearningRateMonitor's lr-AdamW/pg2
        "lr/pg2": 2e-3, "weight_decay/pg2": 0.01, "momentum/pg2": 0.9, "beta2/pg2": 0.95,
        "lr/head": 1e-4, "weight_decay/head": 0.01, "momentum/head": 0.9, "beta2/head": 0.95,
    }


@pytest.mark.parametrize("clip_norm", [None, 0.1], ids=["measured", "derived"])
def test_the_clipped_norm_is_recorded_after_clipping(clip_norm):
    # clip_norm given: derived from the pre-clip norm, no second pass; it must equal the norm
    # of what clip_grad_norm_ left
    rows, ref, _, _ = _collect(RecordConfig(), lambda p: torch.optim.SGD(p, lr=0.1), clipping=True,
                               clip_norm=clip_norm)
    assert np.allclose(rows[keys.GRAD_NORM_CLIPPED][1], ref["clipped"], rtol=1e-5)
    assert np.all(np.asarray(ref["clipped"]) < np.asarray(ref["grad_norm"]))  # it did clip


def test_a_clipped_norm_without_a_pre_clip_reading_is_measured_and_filed_in_step_order():
    rows, ref, _, _ = _collect(RecordConfig(host_copy_every_n_steps=6),
                               lambda p: torch.optim.SGD(p, lr=0.1), clipping=True, clip_norm=0.1,
                               unread=frozenset({1, 4}))
    steps, clipped = rows[keys.GRAD_NORM_CLIPPED]
    assert steps.tolist() == list(range(6))  # derived at 0, 2, 3, 5; measured at 1, 4
    assert np.allclose(clipped, ref["clipped"], rtol=1e-5)
    assert np.all(rows[keys.GRAD_NORM_CLIPPED][1] <= 0.1 + 1e-6)
    assert np.all(rows[keys.GRAD_NORM][1] > 0.1)


def test_a_non_finite_gradient_is_flagged_at_its_step():
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    got: dict = {"rows": {}, "events": []}
    recorder = Recorder(RecordConfig(), lambda r, e: (got["rows"].update(r), got["events"].extend(e)))
    recorder.attach([optimizer], model.named_parameters(), clipping=False)
    for step in range(3):
        optimizer.zero_grad()
        loss = model(torch.randn(4, 8)).sum()
        loss.backward()
        if step == 1:
            model[0].weight.grad[0, 0] = math.inf
        recorder.add_loss(loss)
        recorder.before_optimizer_step(recorder.probes[0], step)
        optimizer.step()
        recorder.end_step(step, epoch=0, world_size=1)
    recorder.drain()
    (event,) = got["events"]
    assert event.step == 1 and event.kind == keys.EVENT_NONFINITE and event.payload == {"grad_norm": "inf"}
    assert got["rows"][keys.NONFINITE][0].tolist() == [1]


@pytest.mark.parametrize("every", [1, 3])
def test_update_ratio_cadence(every):
    rows, ref, _, _ = _collect(RecordConfig(update_ratio_every_n_steps=every, layer_every_n_steps=100),
                               lambda p: torch.optim.SGD(p, lr=0.5))
    expected_steps = [s for s in range(6) if s % every == 0]
    assert rows[keys.UPDATE_RATIO][0].tolist() == expected_steps
    assert np.allclose(rows[keys.UPDATE_RATIO][1], np.asarray(ref["update_ratio"])[expected_steps], rtol=1e-4)


def test_per_layer_cadence_counts_steps_when_only_every_nth_step_is_recorded():
    # every 5th step recorded, per-layer norms "every 7 steps": the first recorded step at or
    # after each multiple of 7, not only the multiples of 35
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    got: dict = {}

    def sink(rows, events):  # type: ignore[no-untyped-def]
        for key, (steps, _) in rows.items():
            got[key] = got.get(key, []) + steps.tolist()

    recorder = Recorder(RecordConfig(every_n_steps=5, layer_every_n_steps=7), sink)
    recorder.attach([optimizer], model.named_parameters(), clipping=False)
    x, y = torch.randn(16, 8), torch.randint(0, 3, (16,))
    for step in range(36):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        if recorder.should_record(step):
            recorder.add_loss(loss)
            recorder.before_optimizer_step(recorder.probes[0], step)
        optimizer.step()
        if recorder.should_record(step):
            recorder.end_step(step, epoch=0, world_size=1)
    recorder.drain()
    assert got["grad_norm/0"] == [0, 10, 15, 25, 30, 35]
    assert got[keys.UPDATE_RATIO] == [0, 10, 15, 25, 30, 35]


def test_a_parameter_without_a_gradient_counts_as_zero():
    # a layer unused in some steps (a branch not taken) has no .grad: the global norm is that
    # of the gradients there are, and the idle layer's own norm is 0
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    got: dict = {}
    recorder = Recorder(RecordConfig(layer_every_n_steps=1), lambda r, e: got.update(r))
    recorder.attach([optimizer], model.named_parameters(), clipping=False)
    expected = []
    for step in range(2):
        optimizer.zero_grad(set_to_none=True)
        hidden = model[1](model[0](torch.randn(4, 8)))
        loss = hidden.square().mean() if step == 1 else model[2](hidden).sum()
        loss.backward()
        expected.append(float(torch.cat([p.grad.flatten() for p in model.parameters()
                                         if p.grad is not None]).norm()))
        recorder.add_loss(loss)
        recorder.before_optimizer_step(recorder.probes[0], step)
        optimizer.step()
        recorder.end_step(step, epoch=0, world_size=1)
    recorder.drain()
    assert np.allclose(got[keys.GRAD_NORM][1], expected, rtol=1e-5)
    assert got["grad_norm/2"][1][1] == 0.0 and got["grad_norm/2"][1][0] > 0


def test_layer_names_leave_out_torch_compiles_wrapper_level():
    """A LightningModule that compiles a submodule (``self.net = torch.compile(net)``) names
    its parameters ``net._orig_mod.0.weight``: the layer is the user's ``net.0``."""
    from lrwatch.recorder import layer_name

    assert layer_name("net._orig_mod.0.weight") == "net.0"
    assert layer_name("_orig_mod.encoder.bias") == "encoder"
    assert (layer_name("encoder.0.weight"), layer_name("weight")) == ("encoder.0", "weight")
