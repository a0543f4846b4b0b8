"""The hot path: per-step signals computed on the device, copied to the host in blocks.

Nothing here forces a host-device synchronisation per step. Gradient and weight norms come
from fused ``torch._foreach_norm`` calls; the resulting 0-dim tensors stay on the device until
``host_copy_every_n_steps`` steps (or ``host_copy_interval_s`` seconds) have gathered, then one
non-blocking copy into pinned memory brings them over, and the rows are handed on when that copy
has landed. On CPU the same code runs, the copy being a plain one.

This module knows torch, not Lightning: the callback feeds it.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import torch
from torch import Tensor

from lrwatch import keys
from lrwatch.analysis.optimizers import momentum_of
from lrwatch.config import RecordConfig
from lrwatch.store.base import PendingEvent

Rows = dict[str, "tuple[np.ndarray, np.ndarray]"]
Sink = Callable[[Rows, list[PendingEvent]], None]

# Prefix of a buffered key whose values are pre-clip norms, the clipped norms to derive from
# them on the host (``OptimizerProbe``'s ``clip_norm``): no device work per step.
TO_CLIP = "to_clip:"


#: the attribute under which ``torch.compile``'s ``OptimizedModule`` holds the user's module
COMPILED_INNER = "_orig_mod"


def layer_name(param_name: str) -> str:
    """``encoder.0.weight`` -> ``encoder.0``: the module that owns a parameter, under the
    user's own names (``torch.compile``'s wrapper adds an ``_orig_mod`` level: left out)."""
    parts = [part for part in param_name.split(".") if part != COMPILED_INNER]
    return ".".join(parts[:-1]) if len(parts) > 1 else ".".join(parts)


class OptimizerProbe:
    """Gradient and update norms of one optimizer's parameters, computed on the device."""

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        label: str | None,
        param_names: Mapping[int, str],
        config: RecordConfig,
        clipping: bool,
        clip_norm: float | None = None,
    ) -> None:
        self.optimizer = optimizer
        self.label = label
        self.config = config
        self.params: list[Tensor] = [
            p for group in optimizer.param_groups for p in group["params"] if p.requires_grad
        ]
        names = [layer_name(param_names.get(id(p), "other")) for p in self.params]
        self.layers: list[str] = sorted(set(names))
        position = {name: i for i, name in enumerate(self.layers)}
        device = self.params[0].device if self.params else torch.device("cpu")
        # float32 gradients (a gradient has its parameter's dtype): ``_foreach_norm`` is not
        # given the dtype, whose path cost 75 against 70 us on the overhead suite's MLP gradients
        # (thread CPU, best of 5 x 3,000 calls) for the same values (bit-identical on 1,200
        # random float32 tensors); other dtypes are still summed in float32
        self._norm_dtype = (None if all(p.dtype == torch.float32 for p in self.params)
                            else torch.float32)
        self._layer_of = torch.tensor([position[n] for n in names], dtype=torch.long, device=device)
        self._before: list[Tensor] | None = None  # weights before the update, when tracked
        self._snapshot_taken = False
        self.update_every = config.update_ratio_cadence
        self._handles: list[Any] = []
        # this step's values: (key, tensor) for one value, (key prefix, tensor) + layer keys for
        # a per-layer vector; see ``layer_keys``
        self.pending: list[tuple[str, Tensor]] = []
        self.layer_step = False
        # Lightning clips right after on_before_optimizer_step, inside the step's closure, so
        # the clipped gradients are seen after the update (the optimizer leaves .grad alone).
        self._clipping = clipping
        # the max norm of a ``clip_grad_norm_`` over exactly these parameters: the clipped norm
        # then follows from the pre-clip one, without a second pass over the gradients
        self.clip_norm = clip_norm
        self._pre_clip: Tensor | None = None  # this step's pre-clip norm, for the derivation
        self._handles.append(optimizer.register_step_post_hook(self._after_update))
        self._group_keys: list[tuple[str, str, str, str]] = []  # see ``hyperparameters``
        # the keys filed every step, built once
        self._grad_key = self.key(keys.GRAD_NORM)
        self._clipped_key = self.key(keys.GRAD_NORM_CLIPPED)
        self._to_clip_key = TO_CLIP + self._clipped_key
        self._grad_layers_key = self.key(keys.GRAD_NORM + "/*")

    def key(self, base: str) -> str:
        return keys.optimizer_key(base, self.label)

    def layer_keys(self, base: str) -> list[str]:
        """``grad_norm/encoder.0`` (``grad_norm/encoder.0@Adam-1`` for a later optimizer) ..."""
        return [self.key(keys.group_key(base, layer)) for layer in self.layers]

    # -- norms ---------------------------------------------------------------------------
    def _grads(self) -> tuple[list[Tensor], Tensor | None]:
        """The dense gradients there are, and the layer of each (one pass over the parameters
        a step; the positions are listed only when some gradient is missing)."""
        grads = [g for p in self.params if (g := p.grad) is not None and not g.is_sparse]
        if len(grads) == len(self.params):
            return grads, self._layer_of
        index = [i for i, p in enumerate(self.params)
                 if p.grad is not None and not p.grad.is_sparse]
        return grads, self._layer_of[torch.tensor(index, dtype=torch.long)] if index else None

    def _norms(self, tensors: list[Tensor]) -> Tensor:
        """The float32 2-norm of each tensor, stacked (one fused pass)."""
        return torch.stack(torch._foreach_norm(tensors, 2, dtype=self._norm_dtype))

    def _layer_norms(self, norms: Tensor, layer_of: Tensor) -> Tensor:
        squares = torch.zeros(len(self.layers), dtype=norms.dtype, device=norms.device)
        return squares.index_add_(0, layer_of.to(norms.device), norms.square()).sqrt()

    def before_step(self, step: int) -> None:
        """Gradients are final (accumulated, unscaled, not yet clipped); weights not yet updated."""
        self.pending = []
        self.stepped = False
        self._pre_clip = None
        self.layer_step = self._due(step, self.config.layer_every_n_steps)
        grads, layer_of = self._grads()
        if grads:
            norms = self._norms(grads)
            self._pre_clip = torch.linalg.vector_norm(norms)
            self.pending.append((self._grad_key, self._pre_clip))
            if self.layer_step and layer_of is not None:
                self.pending.append((self._grad_layers_key, self._layer_norms(norms, layer_of)))
        self._snapshot_taken = False
        if (self._due(step, self.update_every) or self.layer_step) and self.params:
            if self._before is None:
                self._before = [torch.empty_like(p) for p in self.params]
            with torch.no_grad():
                torch._foreach_copy_(self._before, [p.detach() for p in self.params])
            self._snapshot_taken = True

    def forget_gradient_norms(self) -> None:
        """This step's gradient norms were read from gradients that were not yet the step's (a
        loop's backward came after): drop them, so none is filed rather than a wrong one. The
        weights read before the update stay (the update ratio is right), and a clipped norm is
        then measured on the gradients the optimizer used."""
        self._pre_clip = None
        self.pending = [(key, value) for key, value in self.pending
                        if key not in (self._grad_key, self._grad_layers_key)]

    def _due(self, step: int, every: int) -> bool:
        """Whether a recorded ``step`` is the first recorded one at or after a multiple of
        ``every`` (with every_n_steps > 1, recorded steps need not hit the multiples)."""
        return step % every < self.config.every_n_steps

    def _after_update(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        """The optimizer has stepped (an AMP-skipped step never gets here)."""
        self.stepped = True
        if self._clipping:
            self._add_clipped_norm()
        if not self._snapshot_taken or self._before is None:
            return
        self._snapshot_taken = False
        with torch.no_grad():
            before = self._norms(self._before)
            torch._foreach_sub_(self._before, [p.detach() for p in self.params])
            delta = self._norms(self._before)
        weight_norm = torch.linalg.vector_norm(before)
        self.pending.append((self.key(keys.PARAM_NORM), weight_norm))
        self.pending.append((self.key(keys.UPDATE_RATIO), torch.linalg.vector_norm(delta) / weight_norm))
        if self.layer_step:
            ratio = self._layer_norms(delta, self._layer_of) / self._layer_norms(before, self._layer_of)
            self.pending.append((self.key(keys.UPDATE_RATIO + "/*"), ratio))

    def _add_clipped_norm(self) -> None:
        """The global norm of the clipped gradients: with a known clip, this step's pre-clip
        norm, marked for the host to derive it from (``clipped_norms``); else measured."""
        pre, self._pre_clip = self._pre_clip, None
        if self.clip_norm is not None and pre is not None:
            self.pending.append((self._to_clip_key, pre))
            return
        grads, _ = self._grads()
        if grads:
            norms = self._norms(grads)
            self.pending.append((self._clipped_key, torch.linalg.vector_norm(norms)))

    def hyperparameters(self) -> list[tuple[str, float]]:
        """``(key, host value)`` of the LR, momentum (or Adam beta1), beta2 and weight decay of
        every param group. Read every step, so the keys are built once per set of groups (a
        step's read of two AdamW groups: 7.3 -> 4.4 us, thread CPU time on the development
        machine)."""
        groups = self.optimizer.param_groups
        if len(self._group_keys) != len(groups):
            self._group_keys = [self._keys_of(g, group) for g, group in enumerate(groups)]
        out: list[tuple[str, float]] = []
        for group, (lr, decay, momentum, beta2) in zip(groups, self._group_keys):
            for key, value in ((lr, group.get("lr")), (decay, group.get("weight_decay")),
                               (momentum, momentum_of(group))):
                if value is not None:
                    out.append((key, float(value)))
            if "momentum" not in group and "betas" in group:
                out.append((beta2, float(group["betas"][1])))
        return out

    def _keys_of(self, g: int, group: Mapping[str, Any]) -> tuple[str, str, str, str]:
        """The LR, weight decay, momentum and beta2 keys of param group ``g``."""
        name = group.get("name")
        return tuple(self.key(keys.param_group_key(base, g, name))  # type: ignore[return-value]
                     for base in (keys.LR, keys.WEIGHT_DECAY, keys.MOMENTUM, keys.BETA2))

    def close(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        self._before = None


@dataclass
class _InFlight:
    """A device-to-host copy under way, with what is needed to unpack it."""

    host: Tensor
    done: Any  # torch.cuda.Event, or None when the copy was synchronous
    layout: list[tuple[str, list[int], int, list[str] | None]]  # key, steps, width, layer keys
    host_rows: Rows
    events: list[PendingEvent]


class Recorder:
    """Gathers one row per optimizer step and hands blocks of rows to ``sink``.

    ``sink(rows, events)`` receives ``{key: (steps, values)}`` numpy arrays and events; it is
    called from the training thread, so it must be quick (the store writer only enqueues).
    """

    def __init__(self, config: RecordConfig, sink: Sink) -> None:
        self.config = config
        self.sinks: list[Sink] = [sink]
        self.probes: list[OptimizerProbe] = []
        self._device: dict[str, tuple[list[int], list[Tensor]]] = defaultdict(lambda: ([], []))
        self._layer_names: dict[str, list[str]] = {}
        self._clip_norms: dict[str, float] = {}  # clipped-norm key -> its known clip
        self._host: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        self._events: list[PendingEvent] = []
        self._in_flight: list[_InFlight] = []
        self._loss_sum: Tensor | None = None
        self._buffered_steps = 0
        self._last_copy = time.monotonic()
        self._clock: float | None = None
        self._samples = 0
        self.device = torch.device("cpu")  # where the device buffers live (the weights' device)

    # -- set-up --------------------------------------------------------------------------
    def attach(self, optimizers: Sequence[torch.optim.Optimizer],
               named_parameters: Iterable[tuple[str, Tensor]], clipping: bool,
               clip_norm: float | None = None) -> None:
        """Probe ``optimizers``. ``clip_norm``: the front end clips with ``clip_grad_norm_`` to
        this norm over exactly the parameters of its one optimizer, so the clipped norm is
        derived from the pre-clip one rather than measured again."""
        names = {id(p): n for n, p in named_parameters}
        labels = keys.optimizer_labels([type(o).__name__ for o in optimizers])
        self.probes = [OptimizerProbe(o, label, names, self.config, clipping, clip_norm)
                       for o, label in zip(optimizers, labels)]
        self._clip_norms = {p.key(keys.GRAD_NORM_CLIPPED): clip_norm for p in self.probes
                            if clip_norm is not None}
        params = [p for probe in self.probes for p in probe.params]
        self.device = params[0].device if params else torch.device("cpu")

    def probe_for(self, optimizer: Any) -> OptimizerProbe | None:
        raw = getattr(optimizer, "optimizer", optimizer)  # LightningOptimizer wraps the real one
        for probe in self.probes:
            if probe.optimizer is raw:
                return probe
        return None

    def should_record(self, step: int) -> bool:
        return step % self.config.every_n_steps == 0

    # -- per step ------------------------------------------------------------------------
    def start_clock(self) -> None:
        """Step time counts from here (after validation or at an epoch start)."""
        self._clock = time.perf_counter()

    def add_samples(self, n: int) -> None:
        self._samples += n

    def add_loss(self, loss: Tensor) -> None:
        """A micro-batch's loss (already divided by the accumulation count, as Lightning does).
        One a front end detached and made float32 already is kept as it is (two tensor ops less a
        step)."""
        if loss.requires_grad:
            loss = loss.detach()
        if loss.dtype != torch.float32:
            loss = loss.float()
        self._loss_sum = loss if self._loss_sum is None else self._loss_sum + loss

    def scale_loss(self, factor: float) -> None:
        """Rescale this step's summed loss (a front end whose micro-batch losses were divided
        by more micro-batches than the step had: Lightning's last, partial accumulation)."""
        if self._loss_sum is not None:
            self._loss_sum = self._loss_sum * factor

    def before_optimizer_step(self, probe: OptimizerProbe, step: int, read: bool = True) -> None:
        """The optimizer is about to step: its LRs and, unless ``read`` is False (a front end
        that read the gradients earlier, with ``probe.before_step``), its gradients."""
        if read:
            probe.before_step(step)
        # ``_host_value`` inlined: 4-8 values a step (two AdamW groups under Hugging Face's
        # Trainer), each a method call less on the training thread
        host = self._host
        for key, value in probe.hyperparameters():
            steps, values = host[key]
            steps.append(step)
            values.append(value)

    def end_step(self, step: int, epoch: int, world_size: int) -> None:
        """The optimizer step ``step`` is complete: file its row."""
        if self._loss_sum is not None:
            self._device_value(keys.LOSS, step, self._loss_sum)
            self._loss_sum = None
        skipped = False
        for probe in self.probes:
            skipped = skipped or (bool(probe.pending) and not probe.stepped)
            for key, value in probe.pending:
                if value.ndim:  # a per-layer vector, filed under "<base>/*"
                    base = key.split("/*")[0]
                    self._layer_names[key] = probe.layer_keys(base)
                self._device_value(key, step, value)
            probe.pending = []
        if skipped:
            self._host_value(keys.OPTIMIZER_SKIPPED, step, 1.0)
        now = time.perf_counter()
        if self._clock is not None:
            elapsed = now - self._clock
            self._host_value(keys.STEP_TIME, step, elapsed)
            if self._samples and elapsed > 0:
                self._host_value(keys.SAMPLES_PER_SEC, step, self._samples * world_size / elapsed)
        self._clock = now
        self._samples = 0
        self._host_value(keys.EPOCH, step, float(epoch))
        self._buffered_steps += 1
        if (self._buffered_steps >= self.config.host_copy_every_n_steps
                or time.monotonic() - self._last_copy >= self.config.host_copy_interval_s):
            self.copy_to_host()
        self._deliver_landed()

    def skip_step(self) -> None:
        """A step that is not recorded (every_n_steps > 1): forget its partial values."""
        self._loss_sum = None
        self._samples = 0
        for probe in self.probes:
            probe.pending = []
        self._clock = time.perf_counter()

    def add_value(self, key: str, step: int, value: float) -> None:
        """A host-side value (validation loss ...)."""
        self._host_value(key, step, value)

    def add_logged(self, key: str, step: int, value: Tensor) -> None:
        """A metric the user logged, kept on its device until the next host copy (no sync)."""
        value = value.detach().reshape(()).float()
        if value.device != self.device:  # one copy moves every buffer: keep them on one device
            value = value.to(self.device, non_blocking=True)
        self._device_value(key, step, value)

    def add_event(self, step: int, kind: str, payload: dict[str, Any]) -> None:
        self._events.append(PendingEvent(step=step, kind=kind, payload=payload, time=time.time()))

    def _device_value(self, key: str, step: int, value: Tensor) -> None:
        steps, values = self._device[key]
        steps.append(step)
        values.append(value)

    def _host_value(self, key: str, step: int, value: float) -> None:
        steps, values = self._host[key]
        steps.append(step)
        values.append(value)

    # -- hand-over -----------------------------------------------------------------------
    def copy_to_host(self) -> None:
        """Start one copy of everything buffered on the device (non-blocking on GPU)."""
        self._buffered_steps = 0
        self._last_copy = time.monotonic()
        layout, parts = [], []
        for key, (steps, values) in self._device.items():
            stacked = torch.stack(values).reshape(len(steps), -1).float()
            layout.append((key, steps, stacked.shape[1], self._layer_names.get(key)))
            parts.append(stacked.reshape(-1))
        host_rows = {k: (np.asarray(s, dtype=np.int64), np.asarray(v, dtype=np.float64))
                     for k, (s, v) in self._host.items()}
        events, self._events = self._events, []
        self._device = defaultdict(lambda: ([], []))
        self._host = defaultdict(lambda: ([], []))
        if not parts:
            if host_rows or events:
                self._emit(host_rows, events)
            return
        flat = torch.cat(parts)
        if flat.is_cuda:
            host = torch.empty(flat.shape, dtype=flat.dtype, pin_memory=True)
            host.copy_(flat, non_blocking=True)
            done = torch.cuda.Event()
            done.record()
        else:
            host, done = flat.to("cpu"), None
        self._in_flight.append(_InFlight(host, done, layout, host_rows, events))

    def _deliver_landed(self, wait: bool = False) -> None:
        while self._in_flight:
            first = self._in_flight[0]
            if first.done is not None and not first.done.query():
                if not wait:
                    return
                first.done.synchronize()
            self._in_flight.pop(0)
            self._unpack(first)

    def _unpack(self, flight: _InFlight) -> None:
        flat = flight.host.numpy().astype(np.float64)
        rows: Rows = dict(flight.host_rows)
        offset = 0
        for key, steps, width, layers in flight.layout:
            block = flat[offset:offset + len(steps) * width].reshape(len(steps), width)
            offset += len(steps) * width
            step_array = np.asarray(steps, dtype=np.int64)
            if key.startswith(TO_CLIP):
                key = key[len(TO_CLIP):]
                block = clipped_norms(block, self._clip_norms[key])
            if key in self._clip_norms:  # derived at some steps of the block, measured at others
                _add_rows(rows, key, step_array, block[:, 0])
            elif layers is None:
                rows[key] = (step_array, block[:, 0])
            else:
                for j, layer_key in enumerate(layers):
                    rows[layer_key] = (step_array, block[:, j])
        events = flight.events + _nonfinite_events(rows)
        # A non-finite gradient whose step the optimizer skipped (AMP's GradScaler) is noted in
        # its event but is not a non-finite step of the run: the scaler handled it.
        flagged = sorted({e.step for e in events
                          if e.kind == keys.EVENT_NONFINITE and not e.payload.get("optimizer_skipped")})
        if flagged:
            rows[keys.NONFINITE] = (np.asarray(flagged, dtype=np.int64), np.ones(len(flagged)))
        self._emit(rows, events)

    def _emit(self, rows: Rows, events: list[PendingEvent]) -> None:
        for sink in self.sinks:
            sink(rows, events)

    def drain(self) -> None:
        """Copy and hand over everything gathered so far, waiting for the device (train end)."""
        self.copy_to_host()
        self._deliver_landed(wait=True)

    def close(self) -> None:
        for probe in self.probes:
            probe.close()
        self.probes = []


def clipped_norms(pre_clip: np.ndarray, max_norm: float) -> np.ndarray:
    """The global norms ``torch.nn.utils.clip_grad_norm_(max_norm)`` leaves, from those before:
    it multiplies every gradient by ``min(1, max_norm / (norm + 1e-6))`` (torch's formula)."""
    return pre_clip * np.minimum(1.0, max_norm / (pre_clip + 1e-6))


def _add_rows(rows: Rows, key: str, steps: np.ndarray, values: np.ndarray) -> None:
    """File ``key``'s rows, merged in step order with those already there (a block where a
    clipped norm was derived at some steps and measured at others)."""
    if key in rows:
        had_steps, had_values = rows[key]
        steps, values = np.concatenate([had_steps, steps]), np.concatenate([had_values, values])
        order = np.argsort(steps, kind="stable")
        steps, values = steps[order], values[order]
    rows[key] = (steps, values)


def _nonfinite_events(rows: Rows) -> list[PendingEvent]:
    """One event at each step whose loss or global gradient norm is NaN or inf."""
    bad: dict[int, dict[str, Any]] = {}
    for key in (keys.LOSS, keys.GRAD_NORM):
        if key not in rows:
            continue
        steps, values = rows[key]
        for i in np.flatnonzero(~np.isfinite(values)):
            bad.setdefault(int(steps[i]), {})[key] = _describe(float(values[i]))
    skipped = set(rows[keys.OPTIMIZER_SKIPPED][0].tolist()) if keys.OPTIMIZER_SKIPPED in rows else set()
    for step, payload in bad.items():
        if step in skipped and keys.LOSS not in payload:
            payload["optimizer_skipped"] = True
    now = time.time()
    return [PendingEvent(step=s, kind=keys.EVENT_NONFINITE, payload=p, time=now)
            for s, p in sorted(bad.items())]


def _describe(value: float) -> str:
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
