"""Hugging Face Trainer runs at several LRs are found as one sweep from the files the Trainer
writes (``config.json``, ``trainer_state.json``), and a model card's hyperparameter list is a
setup too. Real ``Trainer.train()`` runs of a tiny GPT-2 built from a config (no download)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.test_sweep_cli import sweep_json

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

LRS = (1e-4, 1e-3, 1e-2)
STEPS = 40


class Tokens(torch.utils.data.Dataset):
    """Repeating token patterns a tiny model learns quickly at a good LR."""

    def __init__(self, count: int = 256, length: int = 16, vocab: int = 32) -> None:
        g = torch.Generator().manual_seed(0)
        starts = torch.randint(0, vocab, (count, 1), generator=g)
        self.ids = (starts + torch.arange(length)[None, :] * 3) % vocab

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict:
        return {"input_ids": self.ids[i], "labels": self.ids[i]}


def train(out: Path, lr: float, layers: int = 1) -> None:
    torch.manual_seed(0)
    config = transformers.GPT2Config(vocab_size=32, n_positions=16, n_embd=32, n_layer=layers,
                                     n_head=2, bos_token_id=0, eos_token_id=0)
    model = transformers.GPT2LMHeadModel(config)
    args = transformers.TrainingArguments(
        output_dir=str(out), run_name=out.name, max_steps=STEPS, logging_steps=2,
        learning_rate=lr, lr_scheduler_type="constant", per_device_train_batch_size=16,
        report_to="none", use_cpu=True, save_strategy="no", seed=0, disable_tqdm=True)
    trainer = transformers.Trainer(model=model, args=args, train_dataset=Tokens())
    trainer.train()
    trainer.save_state()  # trainer_state.json
    trainer.save_model()  # config.json beside it


@pytest.fixture(scope="module")
def hf_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hf")
    torch.set_num_threads(1)
    for lr in LRS:
        train(root / f"gpt2-lr{lr:g}", lr)
    train(root / "gpt2-2layers", 1e-3, layers=2)  # another model: not part of the sweep
    return root


@pytest.mark.slow
def test_trainer_runs_at_several_lrs_are_one_sweep(hf_runs, capsys):
    sweeps = sweep_json(capsys, str(hf_runs))["sweeps"]
    assert len(sweeps) == 1
    runs = sweeps[0]["runs"]
    assert sorted(r["lr"] for r in runs) == pytest.approx(sorted(LRS))
    assert all("2layers" not in r["run"] for r in runs)
    lowest = min(runs, key=lambda r: r["lr"])
    assert lowest["position"] == "too_low" and lowest["suggested_lr"] > 3 * LRS[0]


CARD = """---
library_name: transformers
---
# tiny-{lr}

This model is a fine-tuned version of [gpt2](https://huggingface.co/gpt2) on an unknown dataset.

## Training procedure

### Training hyperparameters

The following hyperparameters were used during training:
- learning_rate: {lr}
- train_batch_size: {batch}
- seed: 42
- optimizer: Use adamw_torch with betas=(0.9,0.999) and epsilon=1e-08
- lr_scheduler_type: linear
- num_epochs: 3

### Framework versions
- Transformers 4.40.0
"""


def test_model_card_hyperparameters_group_runs_and_tell_setups_apart(tmp_path, capsys):
    """Published fine-tunes often ship a trainer_state.json and the Trainer's model card, no
    training arguments: the card's list (minus the LR) is the setup."""
    import numpy as np

    for i, (lr, batch) in enumerate([(1e-5, 8), (3e-5, 8), (1e-4, 8), (3e-5, 32)]):
        folder = tmp_path / f"run{i}"
        folder.mkdir()
        steps = np.arange(10, 410, 10)
        loss = 0.6 + 1.5 * np.exp(-steps * lr * 30)
        history = [{"step": int(s), "loss": float(v), "learning_rate": lr}
                   for s, v in zip(steps, loss)]
        folder.joinpath("trainer_state.json").write_text(json.dumps(
            {"log_history": history, "global_step": 400, "max_steps": 400,
             "train_batch_size": batch}))
        folder.joinpath("README.md").write_text(CARD.format(lr=lr, batch=batch))
    sweeps = sweep_json(capsys, str(tmp_path))["sweeps"]
    assert len(sweeps) == 1
    assert sorted(Path(r["run"]).name for r in sweeps[0]["runs"]) == ["run0", "run1", "run2"]
