"""``Watch``: lrwatch for a hand-written PyTorch loop or a Lightning Fabric loop.

The same engine as the Lightning callback (recording, live diagnosis, guard, store): only the
events differ. Gradients are read inside ``optimizer.step()`` through the optimizer's step
pre-hook, so one call after the step is all a loop needs::

    with Watch(model, optimizer, store="lrwatch_logs") as watch:
        for x, y in loader:
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            watch.step(loss)
            if watch.should_stop:  # on_diverge="stop" and the run diverged
                break

A loop that clips (or unscales AMP gradients) between ``backward()`` and ``step()`` calls
``watch.before_step()`` where the gradients are the ones to record (after
``scaler.unscale_``, before clipping), then ``watch.after_step(loss)``. One that comes before
``backward()`` (whose gradients it did not see) is told once, and the norms it read (none,
zeros, or the last step's) are not filed.

``on_spike="skip"`` drops the update of an outlier step, which must be judged before the
update is made: the loop calls ``watch.before_step(loss)`` before ``optimizer.step()`` and
``watch.after_step()`` after it (``watch.step(loss)`` after the step is refused).
"""

from __future__ import annotations

import os
import sys
from types import TracebackType
from typing import Any, Mapping, Sequence

import torch

from lrwatch.config import check_int
from lrwatch.engine import (
    TrainingFacts,
    count_parameters,
    judged_optimizer,
    optimizer_facts,
    run_metadata,
    torch_all_ranks_max,
    torch_distributed,
)
from lrwatch.errors import ConfigError
from lrwatch.front_end import FrontEnd, FrontEndOptions
from lrwatch.recorder import COMPILED_INNER
from lrwatch.store import FAILED, FINISHED, INTERRUPTED, default_store_path

if sys.version_info >= (3, 11):  # ``**options`` typed by a TypedDict (PEP 692)
    from typing import Unpack
else:  # torch depends on typing_extensions
    from typing_extensions import Unpack

__all__ = ["Watch"]

#: steps after which a loop whose watched optimizers never stepped is told so (AMP's GradScaler
#: may skip the first few steps, which never reach ``optimizer.step()``)
UNSTEPPED_WARN_AFTER = 20

SKIP_NEEDS_BEFORE_STEP = (
    "on_spike='skip' judges a step before its update: call watch.before_step(loss) before "
    "optimizer.step() and watch.after_step() after it, instead of watch.step(loss) after it")


class Watch(FrontEnd):
    """Record and diagnose every optimizer step of a hand-written training loop.

    Args:
        model: the model being trained (a Fabric-wrapped one too).
        optimizer: its optimizer, or a list of them (a Fabric-wrapped one too).
        store: the store file or folder (default: ``$LRWATCH_STORE``, else ``./lrwatch_logs``).
        name: the run's name (default: the model's class name).
        schedulers: LR schedulers a ``recover`` rolls back and scales with the optimizers
            (default None: none).
        batch_size, total_steps: the loop's batch size and planned optimizer steps, when known
            (the diagnosis reads them: a stall is judged against the steps left).
        grad_clip: the max gradient norm the loop clips to, if it does (the diagnosis then reads
            the effective step; the clipped norm is recorded too).
        hparams: what to store as the run's hyperparameters.
        on_diverge: "warn", "stop" (``should_stop`` becomes True; the run ends as diverged) or
            "recover" (roll back to a recent snapshot, lower the LR, go on).
        on_spike: "skip" drops the update of an outlier step, as ``LRWatch``'s does; it needs
            ``watch.before_step(loss)`` before ``optimizer.step()`` (see the module's notes).
        options: the others, as for ``LRWatch`` (``lrwatch.front_end.FrontEnd`` takes them for
            every front end): every_n_steps, layer_every_n_steps, update_ratio_every_n_steps,
            host_copy_every_n_steps, check_every_n_steps, snapshot_every_n_steps,
            max_recoveries, lr_factor, skip_batches, alert, dashboard (``finish`` says how to
            serve it again), dashboard_host, dashboard_port, keep_dashboard, strict,
            fine_tune (default: True where the model shows it: a Hugging Face model from
            ``from_pretrained``, or a PEFT model), classes (default: read from a Hugging Face
            model's config: num_labels of a classifier, vocab_size of a language model),
            shared_loss (several optimizers that step one loss together, a Muon + AdamW
            hybrid, not a GAN: the loss is judged against the Muon's LR).
    """

    def __init__(
        self,
        model: torch.nn.Module,
        optimizer: torch.optim.Optimizer | Sequence[torch.optim.Optimizer],
        store: str | os.PathLike[str] | None = None,
        name: str | None = None,
        *,
        schedulers: Sequence[Any] | None = None,
        batch_size: int | None = None,
        total_steps: int | None = None,
        grad_clip: float | None = None,
        hparams: Mapping[str, Any] | None = None,
        **options: Unpack[FrontEndOptions],
    ) -> None:
        if not isinstance(model, torch.nn.Module):
            raise ConfigError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        optimizers = [optimizer] if not isinstance(optimizer, (list, tuple)) else list(optimizer)
        if not optimizers or not all(isinstance(getattr(o, "optimizer", o), torch.optim.Optimizer)
                                     for o in optimizers):
            raise ConfigError("optimizer must be a torch.optim.Optimizer or a list of them, got "
                              f"{_kind(optimizer)}")
        for arg, value in (("batch_size", batch_size), ("total_steps", total_steps)):
            if value is not None:
                check_int(arg, value)
        if schedulers is None:  # as omitted: no schedulers
            listed: list[Any] = []
        elif hasattr(schedulers, "__iter__") and not isinstance(schedulers, (str, bytes, Mapping)):
            listed = list(schedulers)
        else:
            listed = [schedulers]
        if not all(hasattr(s, "state_dict") and hasattr(s, "optimizer") for s in listed):
            raise ConfigError("schedulers must be a list of LR schedulers (torch.optim.lr_scheduler"
                              f"), got {_kind(schedulers)}")
        if hparams is not None and not isinstance(hparams, Mapping):
            raise ConfigError(f"hparams must be a dict of hyperparameters, got {_kind(hparams)}")
        if grad_clip is not None and (isinstance(grad_clip, bool)
                                      or not isinstance(grad_clip, (int, float)) or grad_clip <= 0):
            raise ConfigError(f"grad_clip must be the max gradient norm (> 0), got {grad_clip!r}")
        super().__init__(store, name, **options)
        self.front_end = "fabric" if type(model).__name__ == "_FabricModule" else "torch"
        self.model = _unwrap_model(model)
        self.optimizers = [getattr(o, "optimizer", o) for o in optimizers]
        self.schedulers = listed
        self.step_index = 0  # the optimizer step the next after_step completes
        self._read = False  # this step's gradients were read by before_step
        self._loss: torch.Tensor | None = None  # this step's loss, when before_step had it
        self._skips_spikes = self.engine.guard_config.on_spike is not None
        self._rank, self._world = torch_distributed()
        self._finished = False
        self._ever_stepped = False  # a watched optimizer's step() ran (its pre-hook fired)
        self._stepped_now = False  # ... in the step after_step completes next
        self._told_late_read = False
        self._early = False  # a backward came after before_step read this step's gradients
        self._told_early_read = False
        self._told_unstepped = False
        name = name or type(self.model).__name__
        judged = judged_optimizer(self.optimizers, self.shared_loss)
        facts = TrainingFacts(*optimizer_facts(self.optimizers, judged), batch_size=batch_size,
                              total_steps=total_steps,
                              clip=float(grad_clip) if grad_clip is not None else None,
                              param_count=count_parameters(self.model),
                              fine_tune=self._fine_tune(self.model),
                              classes=self._classes(self.model))
        engine = self.engine
        engine.begin(name, facts, self.optimizers, judged=judged, rank_zero=self._rank == 0)
        engine.stop_hint = " (the loop breaks when watch.should_stop is True)"
        if self._rank == 0:
            engine.open_store(store if store is not None else default_store_path())
            self._serve_dashboard()
            meta = run_metadata(
                self.front_end, self.model, self.optimizers, facts, engine.record_config, judged,
                schedulers=[type(s).__name__ for s in self.schedulers],
                gradient_clip_val=grad_clip, gradient_clip_algorithm="norm" if grad_clip else None,
                world_size=self._world, hparams=dict(hparams or {}))
            self._record(name, meta, self.model.named_parameters(), grad_clip is not None)
        self._hooks = [o.register_step_pre_hook(self._optimizer_steps) for o in self.optimizers]
        # one parameter of each optimizer tells when a backward pass reaches it: one that comes
        # after before_step() means the gradients read there were not the step's
        for optimizer in self.optimizers:
            trained = [p for g in optimizer.param_groups for p in g["params"] if p.requires_grad]
            if trained:
                self._hooks.append(trained[-1].register_post_accumulate_grad_hook(
                    self._gradient_made))
        self._told_schedulers = False
        self._tell_if_schedulers_missing()

    # -- per step ------------------------------------------------------------------------------
    def before_step(self, loss: torch.Tensor | float | None = None) -> None:
        """Read the gradients now (they are final: after backward and any AMP unscale, before
        clipping), instead of inside ``optimizer.step()``. ``loss``: the step's loss, which
        ``on_spike="skip"`` needs here (``after_step`` then needs none).

        Raises:
            ConfigError: ``on_spike="skip"`` and no loss.
        """
        if loss is not None:
            self._loss = _as_tensor(loss, "before_step")
            self.engine.backward_loss(self._loss)
        elif self._skips_spikes:
            raise ConfigError("on_spike='skip' judges the step's loss before its update: pass "
                              "it, watch.before_step(loss)")
        if self._stepped_now:  # read inside optimizer.step() already; read again, the step
            self._tell_late_read()  # it took would be filed as one the optimizer skipped
            return
        self._read, self._early = True, False
        for optimizer in self.optimizers:
            self._read_gradients(optimizer)

    def _tell_late_read(self) -> None:
        if not self._told_late_read:
            self._told_late_read = True
            self.engine.warn(
                f"lrwatch: watch.before_step() came after optimizer.step() in step "
                f"{self.step_index}: ignored (the gradients were read inside optimizer.step()); "
                "call it between backward() and optimizer.step()")

    def _gradient_made(self, param: torch.Tensor) -> None:
        """A backward pass reached a watched parameter: after ``before_step`` read the
        gradients and before ``optimizer.step()``, it makes the ones the step will take."""
        if self._read and not self._stepped_now:
            self._early = True

    def _forget_early_read(self) -> None:
        """``before_step`` came before this step's backward: what it read was no gradient, zeros
        (``zero_grad(set_to_none=False)``) or the last step's; file no gradient norm rather than
        those, and say so once."""
        self.engine.forget_gradients_read(self.step_index)
        if not self._told_early_read:
            self._told_early_read = True
            self.engine.warn(
                f"lrwatch: watch.before_step() came before loss.backward() in step "
                f"{self.step_index}: the gradients it read were not the step's, so no gradient "
                "norm is recorded for such steps; call it after backward() and before "
                "optimizer.step()")

    def _optimizer_steps(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        self._ever_stepped = self._stepped_now = True
        if self._read:
            if self._early:  # the guard dropped gradients that backward() made again
                self._forget_early_read()
                self.engine.drop_again(optimizer, self.step_index)
            return
        if self._skips_spikes:  # too late to judge: the loss comes after this update
            raise ConfigError(SKIP_NEEDS_BEFORE_STEP)
        self._read_gradients(optimizer)

    def _read_gradients(self, optimizer: Any) -> None:
        self.engine.before_optimizer_step(optimizer, self.step_index, may_drop=self._world == 1)

    def after_step(self, loss: torch.Tensor | float | None = None, samples: int | None = None) -> None:
        """The optimizer step is done: file its row (``loss``: the step's loss, default the one
        given to ``before_step``; a tensor is not synchronised; ``samples``: how many it saw),
        then let the guard look."""
        engine, step = self.engine, self.step_index
        if self._skips_spikes and not self._read:
            raise ConfigError(SKIP_NEEDS_BEFORE_STEP)
        loss = _as_tensor(loss, "step") if loss is not None else self._loss
        if loss is not None:
            engine.add_loss(loss)
        if samples:
            engine.add_samples(int(samples))
        if self._early:  # and the optimizer never stepped (an AMP scaler skipped it)
            self._forget_early_read()
        engine.end_step(step, world_size=self._world)
        engine.guard_step(step, self.model, self.schedulers, rank_zero=self._rank == 0,
                          rank=self._rank,
                          exchange=torch_all_ranks_max if self._world > 1 else None)
        self._read, self._loss, self._stepped_now, self._early = False, None, False, False
        self.step_index += 1
        if self.step_index == 1:  # a scheduler made after Watch, before the loop's first step
            self._tell_if_schedulers_missing()
        if self.step_index == UNSTEPPED_WARN_AFTER:
            self._tell_if_unstepped()

    def _tell_if_schedulers_missing(self) -> None:
        """With ``on_diverge="recover"``, warn once when an optimizer has an LR scheduler (torch
        marks the ``step`` it wraps) and Watch was given none: a recovery would not roll it back,
        and one that sets the LR from its base LRs (LambdaLR, OneCycleLR) would put the old LR
        back at its next step, while the recovery's message said it was cut."""
        if self._told_schedulers or self.schedulers \
                or self.engine.guard_config.on_diverge != "recover":
            return
        if any(getattr(o.step, "_wrapped_by_lr_sched", False) for o in self.optimizers):
            self._told_schedulers = True
            self.engine.warn(
                "lrwatch: on_diverge='recover' rolls back and lowers the LR, but the optimizer's "
                "LR scheduler was not given to Watch: it would not be rolled back, and one that "
                "sets the LR from its base LRs (LambdaLR, OneCycleLR ...) would put the old LR "
                "back at its next step; pass Watch(..., schedulers=[scheduler])")

    def _tell_if_unstepped(self) -> None:
        """Warn once when none of the optimizers given to Watch ever stepped: the loop steps
        another one (made after Watch, or rebuilt), so only the loss is recorded."""
        if self._ever_stepped or self._told_unstepped or self.step_index == 0:
            return
        self._told_unstepped = True
        self.engine.warn(
            f"lrwatch: {self.step_index} calls of watch.step() and the optimizer given to Watch "
            "never stepped: only the loss is recorded (no LR, no gradient norm); give Watch the "
            "optimizer the loop steps (one made after Watch is not seen)")

    step = after_step  # the one call a loop without clipping needs, after optimizer.step()

    # -- the end ---------------------------------------------------------------------------------
    def finish(self, status: str | None = None) -> None:
        """End the run: the last rows, the final verdict, the status (once). ``status``
        defaults to finished (diverged when the guard stopped it)."""
        if self._finished:
            return
        self._finished = True
        for hook in self._hooks:
            hook.remove()
        self._tell_if_unstepped()
        engine = self.engine
        if status is None:
            engine.train_end(max(self.step_index - 1, 0), rank_zero=self._rank == 0)
        engine.finish(status or engine.status or FINISHED)
        self._note_dashboard()

    def __enter__(self) -> "Watch":
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if kind is None:
            self.finish()
        else:
            self.finish(INTERRUPTED if issubclass(kind, KeyboardInterrupt) else FAILED)


def _as_tensor(loss: Any, call: str) -> torch.Tensor:
    """The loss given to ``watch.<call>`` as a 0-d tensor (on its device, not synchronised).

    Raises:
        ConfigError: not one number (a string, a batch of per-sample losses).
    """
    if isinstance(loss, torch.Tensor):
        if loss.numel() == 1:
            return loss.reshape(())
        got = f"a tensor of shape {tuple(loss.shape)}"
    elif isinstance(loss, (bool, str, bytes)):
        got = repr(loss)[:60]
    else:
        try:
            return torch.tensor(float(loss))  # a float, an int, a numpy scalar
        except (TypeError, ValueError):
            got = f"a {type(loss).__name__}"
    raise ConfigError(f"watch.{call}(loss): loss must be one number (a float or a one-element "
                      f"tensor), got {got}; pass the loss you call backward() on")


def _kind(value: Any) -> str:
    """A wrong argument, shown on one line: short values as they are, others by their type."""
    shown = repr(value)
    return shown if len(shown) <= 60 and "\n" not in shown else f"a {type(value).__name__}"


def _unwrap_model(model: torch.nn.Module) -> torch.nn.Module:
    """The user's own module inside Fabric's, DDP's or ``torch.compile``'s wrapper (its class
    names the run; its parameter names are the user's), however they nest. Only those
    wrappers: a user's model may well have a submodule of its own called ``module``."""
    while True:
        inner = getattr(model, _WRAPPERS.get(type(model).__name__, ""), None)
        if not isinstance(inner, torch.nn.Module) or inner is model:
            return model
        model = inner


#: wrapper class name -> the attribute that holds the wrapped module
_WRAPPERS = {"_FabricModule": "module", "DistributedDataParallel": "module",
             "DataParallel": "module", "OptimizedModule": COMPILED_INNER}
