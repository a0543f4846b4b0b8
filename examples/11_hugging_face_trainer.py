"""11 — Hugging Face: ``LRWatchCallback`` in a ``transformers.Trainer`` run.

A 2-layer GPT-2 built from its config (random weights, nothing downloaded) learns synthetic
token sequences. The callback records every optimizer step's loss, LR and gradient norm (the
norm before the Trainer clips it) into ``<output_dir>/lrwatch_logs``, diagnoses the run as it
trains and gives the final verdict at the end. Needs ``pip install 'lrwatch[transformers]'``.
"""

import tempfile

import torch
import transformers

from lrwatch import Store
from lrwatch.integrations.transformers import LRWatchCallback

VOCAB, LENGTH = 64, 16


class Tokens(torch.utils.data.Dataset):
    """Sequences that count up in threes from a random start: learnable, and free."""

    def __init__(self, n: int = 512) -> None:
        start = torch.randint(0, VOCAB, (n, 1), generator=torch.Generator().manual_seed(0))
        self.ids = (start + torch.arange(LENGTH) * 3) % VOCAB

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i):
        return {"input_ids": self.ids[i], "labels": self.ids[i]}


torch.manual_seed(0)
config = transformers.GPT2Config(vocab_size=VOCAB, n_positions=LENGTH, n_embd=32, n_layer=2,
                                 n_head=2, bos_token_id=0, eos_token_id=0)
output_dir = tempfile.mkdtemp(prefix="hf-run-")
args = transformers.TrainingArguments(
    output_dir=output_dir, run_name="tiny-gpt2", per_device_train_batch_size=16, max_steps=120,
    learning_rate=3e-3, warmup_steps=10, logging_steps=40, report_to="none", use_cpu=True,
    save_strategy="no", disable_tqdm=True)
callback = LRWatchCallback()  # on_diverge="stop" would end a run that blows up
transformers.Trainer(model=transformers.GPT2LMHeadModel(config), args=args,
                     train_dataset=Tokens(), callbacks=[callback]).train()

with Store(f"{output_dir}/lrwatch_logs", readonly=True) as store:
    run = store.run(callback.run.name)
    steps, loss = store.scalars(run, "loss")
    print(f"{run.name}: {run.steps} steps recorded, loss {loss[0]:.3f} -> {loss[-1]:.3f}")
