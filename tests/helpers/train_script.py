"""A real training run in its own process, for tests that kill, signal or parallelise it.

python -m tests.helpers.train_script STORE [--steps N] [--sleep S] [--strategy ddp|ddp_spawn]
        [--devices K] [--name NAME]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import lightning.pytorch as pl

from lrwatch import LRWatch
from tests.helpers.models import loader, make_module


class Slow(pl.Callback):
    """Makes each step last a while, so a test can act in the middle of training."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def on_train_batch_end(self, *args: Any) -> None:
        time.sleep(self.seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--sleep", type=float, default=0.0)
    parser.add_argument("--strategy", default="auto")
    parser.add_argument("--devices", type=int, default=1)
    parser.add_argument("--name", default=None)
    args = parser.parse_args()
    trainer = pl.Trainer(
        accelerator="cpu", devices=args.devices, strategy=args.strategy, max_steps=args.steps,
        max_epochs=-1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, num_sanity_val_steps=0, limit_val_batches=0,
        callbacks=[LRWatch(store=args.store, name=args.name, host_copy_every_n_steps=4), Slow(args.sleep)],
    )
    trainer.fit(make_module(pl, log_val=False), loader(n=512, batch_size=16))


if __name__ == "__main__":
    main()
