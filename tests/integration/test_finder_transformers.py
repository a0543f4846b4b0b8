"""find_lr for the Hugging Face Trainer, on a tiny GPT-2 built from its config (no downloads)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from lrwatch import ConfigError, Store
from lrwatch.analysis.rangetest import NEW_TASK_STEP_BACK
from tests.integration.test_finder import clone_state, states_equal

transformers = pytest.importorskip("transformers")
from lrwatch.integrations.transformers_finder import find_lr  # noqa: E402


class Counting(torch.utils.data.Dataset):
    """Sequences counting up from a random start: a pattern a tiny LM learns in a few steps."""

    def __init__(self, n: int = 256, length: int = 16, vocab: int = 64) -> None:
        g = torch.Generator().manual_seed(0)
        starts = torch.randint(0, vocab, (n, 1), generator=g)
        self.ids = (starts + torch.arange(length)) % vocab

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.ids[i], "labels": self.ids[i]}


def make_trainer(tmp_path: Path, **args: Any) -> Any:
    torch.manual_seed(0)
    config = transformers.GPT2Config(vocab_size=64, n_positions=16, n_embd=32, n_layer=1,
                                     n_head=2)
    model = transformers.GPT2LMHeadModel(config)
    options = dict(output_dir=str(tmp_path / "out"), per_device_train_batch_size=16,
                   learning_rate=5e-5, report_to=[], use_cpu=True, save_strategy="no",
                   logging_strategy="no", disable_tqdm=True)
    options.update(args)
    return transformers.Trainer(model=model, args=transformers.TrainingArguments(**options),
                                train_dataset=Counting())


def test_find_lr_suggests_restores_stores_and_train_starts_from_it(tmp_path: Path) -> None:
    trainer = make_trainer(tmp_path, gradient_accumulation_steps=2, max_steps=3)
    before = clone_state(trainer.model.state_dict())

    result = find_lr(trainer, min_lr=1e-5, max_lr=10, num_training=60)

    suggestion = result.suggestion()
    assert suggestion is not None, result.reason
    assert result.lower <= suggestion <= result.upper
    assert states_equal(before, trainer.model.state_dict())
    assert trainer.args.learning_rate == suggestion
    with Store(tmp_path / "out" / "lrwatch_logs", readonly=True) as store:
        (run,) = store.runs()
        assert run.uid == result.run_uid
        assert run.meta["front_end"] == "transformers" and run.meta["optimizer"] == "AdamW"
        assert run.meta["accumulate_grad_batches"] == 2

    trainer.train()  # a fresh optimizer from the suggested LR
    assert trainer.optimizer.param_groups[0]["initial_lr"] == pytest.approx(suggestion)


def test_a_users_optimizer_is_restored_and_given_the_suggestion(tmp_path: Path) -> None:
    torch.manual_seed(0)
    trainer = make_trainer(tmp_path)
    optimizer = torch.optim.SGD(trainer.model.parameters(), lr=0.01, momentum=0.9)
    trainer.optimizer = optimizer

    result = find_lr(trainer, min_lr=1e-4, max_lr=100, num_training=40, store=False)

    assert trainer.optimizer is optimizer and not optimizer.state  # no momentum left over
    assert optimizer.param_groups[0]["lr"] == (result.suggestion() or 0.01), result.reason
    assert result.run_uid is None


def test_bad_input_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must be a transformers.Trainer, got Linear"):
        find_lr(torch.nn.Linear(2, 2))
    trainer = make_trainer(tmp_path)
    trainer.train_dataset = None
    with pytest.raises(ConfigError, match="has no train_dataset"):
        find_lr(trainer)
    with pytest.raises(ConfigError, match="num_training=0 must be at least 1"):
        find_lr(make_trainer(tmp_path), num_training=0)


def test_fine_tune_is_read_and_a_model_that_learns_from_scratch_says_so(tmp_path: Path) -> None:
    # a freshly initialised GPT-2 told it is a fine-tune: its loss falls by over 90%, so the
    # suggestion is the from-scratch one stepped back (a new task on pretrained weights), and
    # the reason says why
    told = find_lr(make_trainer(tmp_path), min_lr=1e-6, max_lr=10.0, store=False,
                   update_attr=False, fine_tune=True)
    scratch = find_lr(make_trainer(tmp_path), min_lr=1e-6, max_lr=10.0, store=False,
                      update_attr=False, fine_tune=False)
    assert told.reading.fine_tune and "you said so (fine_tune=True)" in told.reason
    assert "learning much it did not know" in told.reason
    assert told.suggestion() == pytest.approx(scratch.suggestion() / 10 ** NEW_TASK_STEP_BACK)
    assert not scratch.reading.fine_tune
    with pytest.raises(ConfigError, match="find_lr: fine_tune='no' must be True"):
        find_lr(make_trainer(tmp_path), fine_tune="no")
