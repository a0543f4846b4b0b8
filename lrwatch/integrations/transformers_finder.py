"""The LR range test for the Hugging Face ``Trainer``: ``find_lr(trainer)``.

Each step of the test is one optimizer step of the trainer's own: ``gradient_accumulation_steps``
batches through ``trainer.training_step`` (its loss, its accelerator, its mixed precision), the
trainer's gradient clipping, then ``optimizer.step()``. The engine is the plain loop's
(``lrwatch.finder_loop.run_range_test``), so model, optimizer and random state are restored
afterwards. transformers is imported by the trainer, never here at import time.

    from lrwatch.integrations.transformers_finder import find_lr

    result = find_lr(trainer, min_lr=1e-7, max_lr=1e-2)
    trainer.train()  # with args.learning_rate set to result.suggestion()
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any

from lrwatch.errors import ConfigError
from lrwatch.finder_engine import RangeTestResult, RangeTestSettings, store_range_test
from lrwatch.finder_loop import cycle_batches, run_range_test

__all__ = ["find_lr"]

log = logging.getLogger("lrwatch")


def find_lr(  # a deliberate mirror: the range arguments of Lightning's Tuner.lr_find
    trainer: Any,
    min_lr: float = 1e-8,
    max_lr: float = 1.0,
    num_training: int = 100,
    mode: str = "exponential",
    early_stop_threshold: float | None = 4.0,
    update_attr: bool = True,
    store: str | os.PathLike[str] | bool = True,
    fine_tune: bool | None = None,
) -> RangeTestResult:
    """Run an LR range test with a Hugging Face ``Trainer``'s model, optimizer and data.

    Args:
        trainer: a ``transformers.Trainer`` (or subclass) before ``train()``.
        min_lr, max_lr, num_training, mode, early_stop_threshold: as for ``lrwatch.find_lr``.
        update_attr: set ``trainer.args.learning_rate`` to the suggestion (nothing when there is
            none), so ``train()`` starts from it; an optimizer you passed the Trainer gets it
            on its parameter groups.
        store: True records the test in the store of an lrwatch callback on the trainer, else
            in ``<output_dir>/lrwatch_logs``; a path in that store; False nowhere.
        fine_tune: as for ``lrwatch.find_lr``; a Hugging Face Trainer usually fine-tunes a
            pretrained model, so say ``fine_tune=True`` when it does.

    Returns:
        A ``RangeTestResult`` (``suggestion()``, ``lower``, ``upper``, ``reason``, ``plot()``).

    Raises:
        ConfigError: not a Trainer, no training data, or a bad argument (named).
    """
    if not all(hasattr(trainer, name) for name in ("training_step", "get_train_dataloader",
                                                   "create_optimizer", "args")):
        raise ConfigError(f"find_lr: the first argument must be a transformers.Trainer, got "
                          f"{type(trainer).__name__}")
    if trainer.train_dataset is None:
        raise ConfigError("find_lr: the Trainer has no train_dataset; pass train_dataset= to "
                          "the Trainer")
    settings = RangeTestSettings.checked(min_lr, max_lr, num_training, mode,
                                         early_stop_threshold, fine_tune=fine_tune)
    created = trainer.optimizer is None
    optimizer = trainer.create_optimizer()  # the one train() would use (it is kept if given)
    accumulation = max(int(trainer.args.gradient_accumulation_steps), 1)
    batches = cycle_batches(trainer.get_train_dataloader(), "find_lr: the train_dataset")
    saved = trainer.__dict__.get("current_gradient_accumulation_steps")
    trainer.current_gradient_accumulation_steps = accumulation  # what train() sets per step
    try:
        result = run_range_test(trainer.model, optimizer,
                                lambda: _train_step(trainer, optimizer, batches, accumulation),
                                settings)
    finally:
        if saved is None:
            del trainer.current_gradient_accumulation_steps
        else:
            trainer.current_gradient_accumulation_steps = saved
        if created:
            trainer.optimizer = None  # train() builds a fresh one, from the suggested LR
    if store is not False:
        import transformers

        result.run_uid = store_range_test(_store_path(trainer, store), result, _meta(trainer),
                                          settings, {"transformers": transformers.__version__})
    suggested = result.suggestion()
    if update_attr and suggested is not None:
        trainer.args.learning_rate = suggested
        if not created:
            for group in optimizer.param_groups:
                group["lr"] = suggested
        log.info("find_lr: trainer.args.learning_rate set to %.4g", suggested)
    return result


def _train_step(trainer: Any, optimizer: Any, batches: Iterator[Any], accumulation: int) -> Any:
    """One optimizer step as ``Trainer.train`` takes it; the mean loss of its batches."""
    model = trainer.model
    total = None
    for _ in range(accumulation):
        loss = trainer.training_step(model, next(batches))  # already divided by accumulation
        total = loss if total is None else total + loss
    max_norm = trainer.args.max_grad_norm
    if max_norm is not None and max_norm > 0:
        trainer.accelerator.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    model.zero_grad()
    return total


def _store_path(trainer: Any, store: str | os.PathLike[str] | bool) -> Any:
    from lrwatch.store import default_store_path

    if store is not True:
        return store
    for callback in trainer.callback_handler.callbacks:  # an lrwatch callback's store
        path = getattr(callback, "store_path", None)
        if path is not None and type(callback).__module__.startswith("lrwatch"):
            return path
    return default_store_path(trainer.args.output_dir)


def _meta(trainer: Any) -> dict[str, Any]:
    args = trainer.args
    return {"model": type(trainer.model).__name__, "front_end": "transformers",
            "accumulate_grad_batches": args.gradient_accumulation_steps,
            "gradient_clip_val": args.max_grad_norm}
