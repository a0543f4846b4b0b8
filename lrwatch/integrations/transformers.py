"""``LRWatchCallback``: lrwatch in a Hugging Face ``Trainer`` (``pip install lrwatch[transformers]``).

The same engine as the Lightning callback: every optimizer step's loss, learning rates and
gradient norms go into the run store, the online diagnosis warns once per change, and
``on_diverge="stop"`` sets ``control.should_training_stop`` (``"recover"`` rolls back and lowers
the LR). ``Trainer`` hands callbacks no per-step loss or gradient norm, so:

- the loss is read from the model's output (``outputs.loss``, what ``Trainer`` trains on) by a
  forward hook, on the device, without a sync: a step's loss is the mean of its micro-batches'
  losses, or their sum when the model normalised them over the whole accumulated batch
  (``num_items_in_batch``), as ``Trainer`` itself counts it;
- the gradient norm is taken when the step's last backward pass has finished, before
  ``Trainer`` clips (``max_grad_norm``): one pass over the gradients a step, however many
  micro-batches it accumulates (accelerate's ``GradientState.sync_gradients``, which ``Trainer``
  sets before each micro-batch, says which is the last). The backward pass is caught by a hook
  on each of the optimizer's parameters, registered once at train begin, that does nothing
  unless the last micro-batch's forward pass armed it (under DeepSpeed and FSDP, whose
  gradients do not accumulate into those parameters, by a pre-hook on each step's loss node);
  the clipped norm follows from it
  (``clip_grad_norm_`` scales every gradient by ``min(1, max_grad_norm / (norm + 1e-6))``), so
  it is derived rather than measured again, except where ``Trainer`` clips in another way
  (DeepSpeed, FSDP, fp16's scaled gradients, parameters outside the optimizer): there it is
  measured after the update;
- a model whose output carries no loss (a ``compute_loss_func``, label smoothing) gets its loss
  and gradient norm from ``Trainer``'s own logs, at the logged steps.

``eval_loss`` from evaluation is stored as the validation loss. Rank 0 records.

A checkpoint (``on_save``) gets ``lrwatch_state.json`` beside it: the run and the guard's counts.
``train(resume_from_checkpoint=...)`` from that checkpoint goes on recording the same run (what
it had recorded after the checkpoint is dropped), as the Lightning callback does.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Callable

import torch

from lrwatch import keys
from lrwatch.engine import (
    TrainingFacts,
    count_parameters,
    optimizer_facts,
    run_metadata,
    torch_all_ranks_max,
)
from lrwatch.errors import MissingExtra
from lrwatch.front_end import FrontEnd
from lrwatch.store import FINISHED, default_store_path

try:
    import transformers
    from transformers import TrainerCallback
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise MissingExtra("transformers", "transformers", "LRWatchCallback") from exc

__all__ = ["LRWatchCallback"]

# what a checkpoint folder holds of lrwatch's: the run it continues and the guard's counts
STATE_FILE = "lrwatch_state.json"


class LRWatchCallback(TrainerCallback, FrontEnd):
    """Record and diagnose every optimizer step of a Hugging Face ``Trainer`` run.

    Args:
        store: the store file or folder (default: ``$LRWATCH_STORE``, else
            ``<output_dir>/lrwatch_logs``).
        name: the run's name (default: ``args.run_name`` when set, else the model's class).
        on_diverge: "warn", "stop" (``control.should_training_stop``; the run ends as
            diverged) or "recover" (roll back to a recent snapshot, lower the LR, go on).
        on_spike: as for ``LRWatch``, judging the step's loss and its gradient norm after
            ``Trainer``'s clipping.
        classes: the classes (or vocabulary size) of the model's cross-entropy loss, for the
            diagnosis's chance level ln K (default: read from the model's config, num_labels /
            id2label of a classifier, vocab_size of a language model; else unknown).
        the others: as for ``LRWatch`` (``lrwatch.front_end.FrontEnd`` takes them for every
            front end); the live dashboard serves the store until this process exits, and the
            end of training says how to serve it again.

    Example::

        trainer = Trainer(model, args, train_dataset=data, callbacks=[LRWatchCallback()])
        trainer.train()
        # then, in a shell: lrwatch runs <output_dir>/lrwatch_logs
    """

    _hooks: tuple[Any, ...] = ()  # the forward hook and the parameters' hooks, while training
    _rank_zero = True

    # -- start and end -------------------------------------------------------------------------
    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None,
                       optimizer: Any = None, lr_scheduler: Any = None, **kwargs: Any) -> None:
        engine = self.engine
        self._rank_zero = bool(state.is_world_process_zero)
        self._world = int(getattr(args, "world_size", 1) or 1)
        self._clips = bool(args.max_grad_norm and args.max_grad_norm > 0)
        self._optimizer, self._model = optimizer, model
        # what every step passes on, read once: the guard's schedulers, this process's rank,
        # the exchange of decisions between processes; dropping a non-finite step's gradients
        # is left to fp16's scaler and to several processes' agreement
        self._schedulers = [lr_scheduler] if lr_scheduler is not None else []
        self._rank = int(getattr(args, "process_index", 0) or 0)
        self._exchange = torch_all_ranks_max if self._world > 1 else None
        self._may_drop = self._world == 1 and not args.fp16
        self._losses: list[torch.Tensor] = []  # this step's micro-batch losses, on the device
        self._summed = False  # the losses were normalised over the accumulated batch: sum them
        self._backward_seen = False  # a backward pass of this step ended (gradients read)
        self._from_logs = False  # no loss in the model's output: loss and norms from the logs
        self._step = state.global_step  # the index of the optimizer step under way
        raw = getattr(optimizer, "optimizer", optimizer)
        name = self.name or (args.run_name if args.run_name and args.run_name != args.output_dir
                             else type(model).__name__)
        if state.global_step > 0:  # resumed from a checkpoint: go on with its run
            self._resume_from(_checkpoint_dir(args, state.global_step))
        facts = TrainingFacts(*optimizer_facts([raw]), batch_size=args.per_device_train_batch_size,
                              total_steps=int(state.max_steps) if state.max_steps else None,
                              clip=float(args.max_grad_norm) if self._clips else None,
                              param_count=count_parameters(model),
                              fine_tune=self._fine_tune(model), classes=self._classes(model))
        engine.begin(name, facts, [raw], rank_zero=self._rank_zero)
        if self._rank_zero:
            engine.open_store(self.store_arg if self.store_arg is not None
                              else default_store_path(args.output_dir))
            self._serve_dashboard()
            clip_norm = facts.clip if facts.clip and _torch_clips(args, model, raw) else None
            self._record(name, self._metadata(args, model, raw, lr_scheduler, facts),
                         model.named_parameters(), self._clips, clip_norm=clip_norm)
        self._gradient_state = _gradient_state()
        # read once, not every forward pass: whether on_spike="skip" wants the loss before its
        # backward pass, and the bound method the backward pass calls
        self._judges_spikes = engine.guard is not None and engine.guard.spikes is not None
        self._guards_updates = engine.guards_updates
        self._on_backward = self._backward_starts
        # several processes: read once DDP has averaged the gradients (see _after_gradient_sync)
        self._at_backward_end = (self._after_gradient_sync if self._world > 1
                                 else self._backward_done)
        self._remove_hooks()  # a train() that raised left its hooks behind
        self._armed = False  # the step's last forward pass is done: read at its backward's end
        self._hooks = (model.register_forward_hook(self._forward_done, with_kwargs=True),
                       *_parameter_hooks(args, raw, self._gradient_arrived))
        self._per_param = len(self._hooks) > 1

    def _resume_from(self, checkpoint: Path) -> None:
        """Take the run and guard counts a checkpoint's ``STATE_FILE`` names (none: a new run)."""
        try:
            saved = json.loads((checkpoint / STATE_FILE).read_text())
        except (OSError, ValueError):
            return
        if isinstance(saved, dict):
            self.engine.resume_uid = saved.get("run_uid")
            self.engine.resume_guard = saved.get("guard")

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Write ``STATE_FILE`` into the checkpoint ``Trainer`` just saved."""
        run = self.run
        folder = _checkpoint_dir(args, state.global_step)
        if not self._rank_zero or run is None or not folder.is_dir():
            return
        state_now = {"run_uid": run.uid, "guard": self.engine.guard_state()}
        self.engine.safely("checkpoint state", (folder / STATE_FILE).write_text,
                           json.dumps(state_now))

    def _remove_hooks(self) -> None:
        for hook in self._hooks:
            hook.remove()
        self._hooks = ()

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._remove_hooks()
        engine = self.engine
        engine.train_end(max(state.global_step - 1, 0), rank_zero=self._rank_zero)
        engine.finish(engine.status or FINISHED)
        if self._rank_zero:
            self._note_dashboard()

    # -- per step ------------------------------------------------------------------------------
    def _forward_done(self, module: Any, args: Any, kwargs: dict[str, Any], output: Any) -> None:
        """A training forward pass: keep its loss; when it is its step's last micro-batch, read
        the gradients when its backward pass ends (before Trainer clips them)."""
        if not module.training or not torch.is_grad_enabled():
            return
        # the loss in a ModelOutput or a dict with "loss" (read here, not by a helper: this runs
        # every forward pass)
        loss = output.get("loss") if isinstance(output, dict) else getattr(output, "loss", None)
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            return
        self._summed = kwargs.get("num_items_in_batch") is not None
        value = loss.detach()
        if value.dtype != torch.float32:  # a cast of a float32 loss still costs a tensor op
            value = value.float()
        self._losses.append(value if value.ndim == 0 else value.reshape(()))
        engine = self.engine
        engine.add_samples(_batch_size(kwargs, args))
        if self._judges_spikes:
            engine.backward_loss(value)  # what on_spike="skip" judges
        if self._gradient_state is not None and not self._gradient_state.sync_gradients:
            return  # not the step's last micro-batch: its gradients are partial
        if self._per_param:
            self._armed = True
        elif (node := loss.grad_fn) is not None:
            # on the node, not the tensor: Trainer may scale the loss in place afterwards
            node.register_prehook(self._on_backward)

    def _gradient_arrived(self, param: torch.Tensor) -> None:
        """A parameter's gradient was accumulated: the first one of an armed backward pass has
        the gradients read once that pass is over."""
        if self._armed:
            self._armed = False
            _queue_callback(self._at_backward_end)

    def _backward_starts(self, grad_outputs: Any) -> None:
        _queue_callback(self._at_backward_end)

    def _after_gradient_sync(self) -> None:
        """Queued again from the end of the backward pass, so that it runs after DDP's own
        end-of-backward callback, which it queues later (once its last bucket is ready) and
        which writes the averaged gradients back: read before it, they are this process's."""
        _queue_callback(self._backward_done)

    def _backward_done(self) -> None:
        # the step's first reading files its hyperparameters too: Trainer changes none of them
        # between the backward pass and the update (its scheduler steps after the update), and
        # on_pre_optimizer_step then has nothing to record (one pass through the engine a step)
        first, self._backward_seen = not self._backward_seen, True
        self.engine.read_gradients(self._optimizer, self._step, with_hyperparameters=first)

    def on_pre_optimizer_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._armed = False
        if self._backward_seen:  # recorded at the backward pass's end: the guard's part only
            self._from_logs = False
            if self._guards_updates:
                self.engine.before_optimizer_step(self._optimizer, self._step, recorded=True,
                                                  may_drop=self._may_drop)
            return
        # without a backward-end reading, the gradients can be read here only when unclipped
        self._from_logs = True
        self.engine.before_optimizer_step(self._optimizer, self._step, read=not self._clips,
                                          may_drop=self._may_drop)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        engine, step = self.engine, self._step
        losses = self._losses
        if len(losses) == 1:  # no accumulation: the loss as it is (no stacking per step)
            engine.add_loss(losses[0])
        elif losses:
            total = torch.stack(losses).sum()
            engine.add_loss(total if self._summed else total / len(losses))
        self._losses, self._backward_seen = [], False
        epoch = max(math.ceil(state.epoch or 0) - 1, 0)
        engine.end_step(step, epoch, self._world)
        decision = engine.guard_step(step, self._model, self._schedulers,
                                     rank_zero=self._rank_zero, rank=self._rank,
                                     exchange=self._exchange)
        if decision is not None and decision.action == "stop":
            control.should_training_stop = True
        self._step = state.global_step  # the index of the next optimizer step

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
               **kwargs: Any) -> None:
        if not logs:
            return
        step = max(state.global_step - 1, 0)
        if "eval_loss" in logs:
            self.engine.add_value(keys.VAL_LOSS, step, float(logs["eval_loss"]))
        if self._from_logs and "loss" in logs:
            self.engine.add_value(keys.LOSS, step, float(logs["loss"]))
        if self._from_logs and self._clips and "grad_norm" in logs:  # the pre-clip norm
            self.engine.add_value(keys.GRAD_NORM, step, float(logs["grad_norm"]))

    def _metadata(self, args: Any, model: Any, optimizer: Any, scheduler: Any,
                  facts: TrainingFacts) -> dict[str, Any]:
        return run_metadata(
            "transformers", model, [optimizer], facts, self.engine.record_config,
            schedulers=[type(scheduler).__name__] if scheduler is not None else [],
            accumulate_grad_batches=args.gradient_accumulation_steps,
            gradient_clip_val=float(args.max_grad_norm) if self._clips else None,
            gradient_clip_algorithm="norm" if self._clips else None,
            precision="bf16" if args.bf16 else "fp16" if args.fp16 else "32",
            world_size=self._world,
            max_epochs=args.num_train_epochs,
            hparams={k: _plain(getattr(args, k, None)) for k in _HPARAMS},
            versions={"transformers": transformers.__version__},
        )


# TrainingArguments stored as the run's hyperparameters (what sets the LR schedule and step)
_HPARAMS = ("learning_rate", "lr_scheduler_type", "warmup_steps", "warmup_ratio", "weight_decay",
            "optim", "per_device_train_batch_size", "gradient_accumulation_steps",
            "max_grad_norm", "num_train_epochs", "max_steps", "seed")


def _torch_clips(args: Any, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> bool:
    """Whether ``Trainer`` clips with ``torch.nn.utils.clip_grad_norm_`` over exactly the
    optimizer's parameters, on the gradients lrwatch reads (not scaled by fp16's loss scale)."""
    if args.deepspeed or args.fsdp or args.fp16:
        return False
    trained = {id(p) for p in model.parameters() if p.requires_grad}
    stepped = {id(p) for group in optimizer.param_groups for p in group["params"]
               if p.requires_grad}
    return trained == stepped


def _checkpoint_dir(args: Any, step: int) -> Path:
    """Where ``Trainer`` saves the checkpoint of ``step`` (outside a hyperparameter search)."""
    return Path(args.output_dir) / f"checkpoint-{step}"


# the autograd engine runs a queued callback once the whole backward pass under way is done
_queue_callback = torch.autograd.Variable._execution_engine.queue_callback


def _parameter_hooks(args: Any, optimizer: torch.optim.Optimizer,
                     hook: Callable[[torch.Tensor], None]) -> list[Any]:
    """``hook`` registered on each trained parameter of ``optimizer``, called whenever its
    gradient has been accumulated; none under DeepSpeed or FSDP, whose gradients do not
    accumulate into these parameters. Registered once, against a pre-hook on each step's loss
    node: registering that cost ~40 us a step, a call of ``hook`` that finds nothing armed
    ~0.4 us a parameter (thread CPU on the development machine, BENCHMARKS.md)."""
    if args.deepspeed or args.fsdp:
        return []
    trained = {id(p): p for group in optimizer.param_groups for p in group["params"]
               if p.requires_grad}
    return [p.register_post_accumulate_grad_hook(hook) for p in trained.values()]


def _gradient_state() -> Any:
    """accelerate's ``GradientState`` (a shared singleton), whose ``sync_gradients`` is False
    during a micro-batch that is not its step's last; None without accelerate (every backward
    pass is then read, the last one's values kept)."""
    try:
        from accelerate.state import GradientState
    except ImportError:  # pragma: no cover - Trainer itself needs accelerate
        return None
    return GradientState()


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, (int, float, str, bool)) else str(value)


def _batch_size(kwargs: dict[str, Any], args: tuple[Any, ...]) -> int:
    """Samples in a forward pass: the first dimension of its first tensor input."""
    for inputs in (args, kwargs.values()):  # not one tuple of both: a copy every forward pass
        for value in inputs:
            if isinstance(value, torch.Tensor) and value.ndim:
                return int(value.shape[0])
    return 0
