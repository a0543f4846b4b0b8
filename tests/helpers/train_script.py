"""A real training run in its own process, for tests that kill, signal or parallelise it.

python -m tests.helpers.train_script STORE [--steps N] [--sleep S] [--strategy ddp|ddp_spawn]
        [--devices K] [--name NAME] [--lr LR] [--on-diverge warn|stop|recover] [--report DIR]
        [--loss-jump RANK STEP FACTOR] [--on-spike skip]

With --report, every process writes DIR/rank<k>.json at the end: its step, LR and a checksum of
its weights, so a test can check that all ranks acted alike. --loss-jump makes the loss that
process RANK reports FACTOR times larger from STEP on (gradients unchanged).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch

from lrwatch import LRWatch
from tests.helpers.models import loader, make_module


class Slow(pl.Callback):
    """Makes each step last a while, so a test can act in the middle of training."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def on_train_batch_end(self, *args: Any) -> None:
        time.sleep(self.seconds)


class Report(pl.Callback):
    """What this process ended with."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def on_train_end(self, trainer: Any, module: Any) -> None:
        weights = sum(float(p.detach().double().sum()) for p in module.parameters())
        Path(self.folder, f"rank{trainer.global_rank}.json").write_text(json.dumps({
            "step": trainer.global_step, "lr": trainer.optimizers[0].param_groups[0]["lr"],
            "weights": weights}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--sleep", type=float, default=0.0)
    parser.add_argument("--strategy", default="auto")
    parser.add_argument("--devices", type=int, default=1)
    parser.add_argument("--name", default=None)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--on-diverge", default="warn")
    parser.add_argument("--report", default=None)
    parser.add_argument("--loss-jump", nargs=3, type=float, default=None)
    parser.add_argument("--on-spike", default=None)
    args = parser.parse_args()
    watch = LRWatch(store=args.store, name=args.name, host_copy_every_n_steps=4,
                    on_diverge=args.on_diverge, check_every_n_steps=5, snapshot_every_n_steps=10,
                    on_spike=args.on_spike)
    callbacks: list[Any] = [watch, Slow(args.sleep)]
    if args.report:
        callbacks.append(Report(args.report))
    trainer = pl.Trainer(
        accelerator="cpu", devices=args.devices, strategy=args.strategy, max_steps=args.steps,
        max_epochs=-1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, num_sanity_val_steps=0, limit_val_batches=0,
        callbacks=callbacks,
    )
    jump = args.loss_jump
    module = make_module(pl, lr=args.lr, log_val=False,
                         loss_jump=(int(jump[0]), int(jump[1]), jump[2]) if jump else None)
    trainer.fit(module, loader(n=512, batch_size=16))
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()  # not left to interpreter teardown (gloo)


if __name__ == "__main__":
    main()
