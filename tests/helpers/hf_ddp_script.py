"""A Hugging Face ``Trainer.train()`` with ``LRWatchCallback`` in each process of a torchrun job
(gloo, CPU), for the test that checks what several processes record.

python -m torch.distributed.run --nproc_per_node 2 -m tests.helpers.hf_ddp_script OUT REPORT

Process 0 writes REPORT (JSON): the gradient norms the Trainer logged each step (its clipping
norm, taken over the gradients averaged across processes).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import transformers

from lrwatch.integrations.transformers import LRWatchCallback
from tests.integration.test_transformers import Tokens, _gpt2


def main() -> None:
    out, report = sys.argv[1], Path(sys.argv[2])
    args = transformers.TrainingArguments(
        output_dir=out, per_device_train_batch_size=8, gradient_accumulation_steps=2,
        max_steps=6, learning_rate=1e-3, logging_steps=1, max_grad_norm=0.5, report_to="none",
        use_cpu=True, save_strategy="no", disable_tqdm=True, seed=0, ddp_backend="gloo")
    trainer = transformers.Trainer(model=_gpt2(), args=args, train_dataset=Tokens(),
                                   callbacks=[LRWatchCallback()])
    trainer.train()
    if trainer.is_world_process_zero():
        logged = [h["grad_norm"] for h in trainer.state.log_history if "grad_norm" in h]
        report.write_text(json.dumps({"grad_norm": logged}))
    # Trainer never destroys its gloo process group, and gloo's worker threads can then abort
    # the process while the interpreter finalizes ("terminate called without an active
    # exception", rank 1, seen once in CI under load; pytorch/pytorch PR 179291). Training, the
    # store and the report are complete here: leave without finalizing.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
