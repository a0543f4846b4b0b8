"""``LRWatchCallback`` in real Hugging Face ``Trainer.train()`` runs: a 2-layer GPT-2 built
from its config (no download) on synthetic tokens, on CPU."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

transformers = pytest.importorskip("transformers")

from lrwatch import Store, keys  # noqa: E402
from lrwatch.integrations.transformers import LRWatchCallback  # noqa: E402
from lrwatch.recorder import OptimizerProbe  # noqa: E402
from lrwatch.store import DIVERGED, FINISHED  # noqa: E402

VOCAB, LENGTH = 64, 16


class Tokens(torch.utils.data.Dataset):
    """Synthetic token sequences with a learnable rule (each token follows from the last)."""

    def __init__(self, n: int = 256) -> None:
        generator = torch.Generator().manual_seed(0)
        start = torch.randint(0, VOCAB, (n, 1), generator=generator)
        self.ids = (start + torch.arange(LENGTH) * 3) % VOCAB

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.ids[i], "labels": self.ids[i]}


def _gpt2() -> Any:
    """A 2-layer GPT-2 from its config: random weights, nothing downloaded."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    config = transformers.GPT2Config(vocab_size=VOCAB, n_positions=LENGTH, n_embd=32, n_layer=2,
                                     n_head=2, bos_token_id=0, eos_token_id=0)
    return transformers.GPT2LMHeadModel(config)


def _train(tmp_path: Any, callback: LRWatchCallback, extra_callbacks: Any = (),
           **args: Any) -> Any:
    model = _gpt2()
    options = {"output_dir": str(tmp_path / "out"), "per_device_train_batch_size": 8,
               "max_steps": 24, "learning_rate": 1e-3, "logging_steps": 1, "report_to": "none",
               "use_cpu": True, "save_strategy": "no", "disable_tqdm": True, "seed": 0, **args}
    trainer = transformers.Trainer(model=model, args=transformers.TrainingArguments(**options),
                                   train_dataset=Tokens(), callbacks=[callback, *extra_callbacks])
    trainer.train()
    return trainer


def _only_run(path: Any):  # type: ignore[no-untyped-def]
    store = Store(path, readonly=True)
    (run,) = store.runs()
    return store, run


@pytest.mark.parametrize("accumulate", [1, 2, 4])
def test_every_step_matches_what_trainer_logs(tmp_path, monkeypatch, accumulate):
    passes: list[int] = []  # the steps whose gradients lrwatch went over
    read = OptimizerProbe.before_step
    monkeypatch.setattr(OptimizerProbe, "before_step",
                        lambda probe, step: (passes.append(step), read(probe, step))[1])
    trainer = _train(tmp_path, LRWatchCallback(), gradient_accumulation_steps=accumulate,
                     max_grad_norm=0.5, warmup_steps=5)
    assert passes == list(range(24))  # once a step, after its last micro-batch only
    logged = [h for h in trainer.state.log_history if "loss" in h]
    store, run = _only_run(tmp_path / "out" / "lrwatch_logs")  # next to the Trainer's output
    assert (run.name, run.status, run.steps) == ("GPT2LMHeadModel", FINISHED, 24)
    steps, loss = store.scalars(run, keys.LOSS)
    assert steps.tolist() == list(range(24))
    assert np.allclose(loss, [h["loss"] for h in logged], rtol=1e-4)
    # the norm before clipping, as Trainer reports it; the clipped one after
    assert np.allclose(store.scalars(run, keys.GRAD_NORM)[1], [h["grad_norm"] for h in logged],
                       rtol=1e-3)
    clipped = store.scalars(run, keys.GRAD_NORM_CLIPPED)[1]
    assert np.all(clipped <= 0.5 + 1e-4)
    # the LR each step was taken with: Trainer logs the one before its scheduler steps
    assert np.allclose(store.scalars(run, keys.LR)[1], [h["learning_rate"] for h in logged])
    meta = run.meta
    assert (meta["front_end"], meta["optimizer"], meta["planned_steps"]) == (
        "transformers", "AdamW", 24)
    assert (meta["gradient_clip_val"], meta["accumulate_grad_batches"]) == (0.5, accumulate)
    assert {"grad_norm/transformer.h.0.attn.c_attn", keys.UPDATE_RATIO} <= set(store.keys(run))


@pytest.mark.parametrize("on_diverge", ["warn", "stop"])
def test_each_param_group_files_the_lr_of_each_step_once(tmp_path, on_diverge):
    # the hyperparameters are read with the gradients at the end of the backward pass; where
    # the guard acts on updates ("stop") the pre-optimizer-step hook still runs, and files
    # nothing twice
    trainer = _train(tmp_path, LRWatchCallback(on_diverge=on_diverge), max_steps=12,
                     warmup_steps=6, weight_decay=0.01, gradient_accumulation_steps=2)
    lrs = [h["learning_rate"] for h in trainer.state.log_history if "learning_rate" in h]
    store, run = _only_run(tmp_path / "out" / "lrwatch_logs")
    for key in (keys.LR, "lr/pg2"):  # Trainer's groups with and without weight decay
        steps, values = store.scalars(run, key)
        assert steps.tolist() == list(range(12)) and np.allclose(values, lrs)
    assert store.scalars(run, keys.WEIGHT_DECAY)[1].tolist() == [0.01] * 12
    assert store.scalars(run, "weight_decay/pg2")[1].tolist() == [0.0] * 12


def _count_passes(monkeypatch: Any) -> list[int]:
    """The steps whose gradients lrwatch goes over, appended as it does."""
    passes: list[int] = []
    read = OptimizerProbe.before_step
    monkeypatch.setattr(OptimizerProbe, "before_step",
                        lambda probe, step: (passes.append(step), read(probe, step))[1])
    return passes


def test_gradients_are_read_once_a_step_in_every_train_call_and_no_hook_stays(tmp_path,
                                                                              monkeypatch):
    passes = _count_passes(monkeypatch)
    trainer = _train(tmp_path, LRWatchCallback(), max_steps=6, gradient_accumulation_steps=2)
    trainer.train()  # again, with the same callback
    assert passes == [*range(6), *range(6)]
    model = trainer.model  # the model is left as it was given: no forward or gradient hook
    assert not model._forward_hooks
    assert not any(getattr(p, "_post_accumulate_grad_hooks", None) for p in model.parameters())


def test_without_parameter_hooks_a_pre_hook_on_each_loss_reads_the_same(tmp_path, monkeypatch):
    # DeepSpeed and FSDP keep gradients away from the optimizer's parameters: there the
    # callback hooks each step's loss node instead, and reads what Trainer clips alike
    from lrwatch.integrations import transformers as integration

    monkeypatch.setattr(integration, "_parameter_hooks", lambda *args: [])
    passes = _count_passes(monkeypatch)
    trainer = _train(tmp_path, LRWatchCallback(), gradient_accumulation_steps=2,
                     max_grad_norm=0.5, max_steps=8)
    assert passes == list(range(8))
    store, run = _only_run(tmp_path / "out" / "lrwatch_logs")
    logged = [h["grad_norm"] for h in trainer.state.log_history if "grad_norm" in h]
    assert np.allclose(store.scalars(run, keys.GRAD_NORM)[1], logged, rtol=1e-3)


class AppliedNorms(transformers.TrainerCallback):
    """What torch computes from the gradients the optimizer is about to apply (after Trainer's
    clipping), over the optimizer's parameters."""

    def __init__(self) -> None:
        self.norms: list[float] = []

    def on_pre_optimizer_step(self, args: Any, state: Any, control: Any, optimizer: Any = None,
                              **kwargs: Any) -> None:
        grads = [p.grad for group in optimizer.param_groups for p in group["params"]
                 if p.grad is not None]
        self.norms.append(float(torch.nn.utils.get_total_norm(grads)))


@pytest.mark.parametrize("max_grad_norm", [1.2, 0.0], ids=["clipping", "no-clipping"])
def test_recorded_gradient_norms_are_what_torch_computes(tmp_path, max_grad_norm):
    applied = AppliedNorms()
    trainer = _train(tmp_path, LRWatchCallback(), max_grad_norm=max_grad_norm, learning_rate=3e-3,
                     extra_callbacks=[applied])
    store, run = _only_run(tmp_path / "out" / "lrwatch_logs")
    # before clipping: the norm Trainer's clip_grad_norm_ returned (it logs it every step)
    before = [h["grad_norm"] for h in trainer.state.log_history if "grad_norm" in h]
    assert np.allclose(store.scalars(run, keys.GRAD_NORM)[1], before, rtol=1e-5)
    if max_grad_norm:  # after clipping (derived, not measured): the norm of what was applied
        steps, clipped = store.scalars(run, keys.GRAD_NORM_CLIPPED)
        assert steps.tolist() == list(range(24))
        assert np.allclose(clipped, applied.norms, rtol=1e-5)
        assert min(before) < max_grad_norm < max(before)  # both sides of the clip were taken
    else:
        assert np.allclose(before, applied.norms, rtol=1e-5)
        assert keys.GRAD_NORM_CLIPPED not in store.keys(run)


def test_an_optimizer_over_part_of_the_model_gets_its_clipped_norm_measured(tmp_path):
    # Trainer clips over the whole model, so the clip factor is not the optimizer's own: the
    # clipped norm cannot be derived from the optimizer's pre-clip norm
    model = _gpt2()
    model.lm_head.weight.requires_grad_(False)  # tied to the embedding: freeze it separately
    part = torch.optim.AdamW(model.transformer.h.parameters(), lr=1e-3)
    applied = AppliedNorms()
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"), per_device_train_batch_size=8, max_steps=12,
        max_grad_norm=0.5, report_to="none", use_cpu=True, save_strategy="no", disable_tqdm=True)
    transformers.Trainer(model=model, args=args, train_dataset=Tokens(), optimizers=(part, None),
                         callbacks=[LRWatchCallback(), applied]).train()
    store, run = _only_run(tmp_path / "out" / "lrwatch_logs")
    assert np.allclose(store.scalars(run, keys.GRAD_NORM_CLIPPED)[1], applied.norms, rtol=1e-5)


def test_without_a_loss_in_the_model_output_the_trainers_logs_fill_in(tmp_path):
    def loss_of(outputs: Any, labels: torch.Tensor, num_items_in_batch: Any = None) -> torch.Tensor:
        logits = outputs["logits"][:, :-1].reshape(-1, VOCAB)
        return torch.nn.functional.cross_entropy(logits, labels[:, 1:].reshape(-1))

    model = _gpt2()
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"), per_device_train_batch_size=8, max_steps=12,
        logging_steps=4, report_to="none", use_cpu=True, save_strategy="no", disable_tqdm=True)
    trainer = transformers.Trainer(model=model, args=args, train_dataset=Tokens(),
                                   compute_loss_func=loss_of, callbacks=[LRWatchCallback()])
    trainer.train()
    logged = [h for h in trainer.state.log_history if "loss" in h]
    store, run = _only_run(tmp_path / "out" / "lrwatch_logs")
    steps, loss = store.scalars(run, keys.LOSS)
    assert steps.tolist() == [3, 7, 11] and np.allclose(loss, [h["loss"] for h in logged])
    norm_steps, norms = store.scalars(run, keys.GRAD_NORM)  # before clipping, as logged
    assert norm_steps.tolist() == [3, 7, 11]
    assert np.allclose(norms, [h["grad_norm"] for h in logged])
    assert store.scalars(run, keys.LR)[0].tolist() == list(range(12))  # the LR: every step


def test_eval_loss_is_stored_as_the_validation_loss(tmp_path):
    callback = LRWatchCallback(store=tmp_path / "s", name="with-eval")
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"), per_device_train_batch_size=8, max_steps=12,
        eval_strategy="steps", eval_steps=6, report_to="none", use_cpu=True,
        save_strategy="no", disable_tqdm=True)
    trainer = transformers.Trainer(model=_gpt2(), args=args,
                                   train_dataset=Tokens(), eval_dataset=Tokens(32),
                                   callbacks=[callback])
    trainer.train()
    store, run = _only_run(tmp_path / "s")
    steps, values = store.scalars(run, keys.VAL_LOSS)
    evals = [h["eval_loss"] for h in trainer.state.log_history if "eval_loss" in h]
    assert run.name == "with-eval" and steps.tolist() == [5, 11]
    assert np.allclose(values, evals)


def test_stop_sets_should_training_stop_on_divergence(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="lrwatch")
    trainer = _train(tmp_path, LRWatchCallback(on_diverge="stop"), learning_rate=5.0,
                     max_steps=200, max_grad_norm=0.0, lr_scheduler_type="constant",
                     optim="sgd")
    store, run = _only_run(tmp_path / "out" / "lrwatch_logs")
    assert run.status == DIVERGED and trainer.state.global_step < 100
    (stop,) = store.events(run, kind=keys.EVENT_ACTION)
    assert stop.payload["action"] == "stop"
    assert trainer.state.global_step <= stop.step + 2  # training ended right after the decision
    assert any(r.getMessage().startswith(f"lrwatch: stopping run '{run.name}' at step {stop.step}")
               for r in caplog.records)


def test_warn_gives_one_warning_per_diagnosis_change(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="lrwatch")
    trainer = _train(tmp_path, LRWatchCallback(check_every_n_steps=25), learning_rate=5.0,
                     max_steps=150, max_grad_norm=0.0, lr_scheduler_type="constant", optim="sgd")
    store, run = _only_run(tmp_path / "out" / "lrwatch_logs")
    assert run.status == FINISHED and trainer.state.global_step == 150  # warn never stops
    changes = [e for e in store.events(run, kind=keys.EVENT_DIAGNOSIS) if not e.payload.get("final")]
    assert "diverging" in {e.payload["status"] for e in changes}
    lines = [r.getMessage() for r in caplog.records
             if r.getMessage().startswith(f"lrwatch: run '{run.name}' is ")]
    assert [e.payload["message"] for e in changes] == lines
    assert any(r.getMessage().startswith("lrwatch: final verdict") for r in caplog.records)


def test_bad_arguments_are_one_line_errors(tmp_path):
    from lrwatch import ConfigError

    with pytest.raises(ConfigError, match="on_diverge must be one of warn, stop, recover"):
        LRWatchCallback(on_diverge="halt")
    with pytest.raises(ConfigError, match="on_spike must be None or 'skip'"):
        LRWatchCallback(on_spike="drop")
    with pytest.raises(ConfigError, match="store must be a path"):
        LRWatchCallback(store=5)  # type: ignore[arg-type]


class SpikyTokens(torch.utils.data.IterableDataset):
    """``Tokens`` in order, except that every 10th batch of 8 has random labels: its loss
    spikes far above the level the model has reached."""

    def __init__(self, n: int) -> None:
        self.tokens = Tokens(n)
        generator = torch.Generator().manual_seed(1)
        self.noise = torch.randint(0, VOCAB, (n, LENGTH), generator=generator)

    def __iter__(self):  # type: ignore[no-untyped-def]
        for i in range(len(self.tokens)):
            row = self.tokens[i]
            yield {**row, "labels": self.noise[i]} if (i // 8) % 10 == 9 else row


class Moved(transformers.TrainerCallback):
    """The steps at which the optimizer changed the model's weights."""

    def __init__(self) -> None:
        self.steps: list[int] = []
        self._before: torch.Tensor | None = None

    def on_pre_optimizer_step(self, args: Any, state: Any, control: Any, model: Any = None,
                              **kwargs: Any) -> None:
        self._before = torch.cat([p.detach().flatten() for p in model.parameters()]).clone()

    def on_optimizer_step(self, args: Any, state: Any, control: Any, model: Any = None,
                          **kwargs: Any) -> None:
        after = torch.cat([p.detach().flatten() for p in model.parameters()])
        if not torch.equal(self._before, after):
            self.steps.append(state.global_step)


def test_on_spike_skip_drops_the_updates_of_outlier_steps(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="lrwatch")
    steps = 120
    model = _gpt2()
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"), per_device_train_batch_size=8, max_steps=steps,
        learning_rate=1e-2, lr_scheduler_type="constant", report_to="none", use_cpu=True,
        save_strategy="no", disable_tqdm=True, seed=0)  # the loss settles below 0.5 by step 40
    moved = Moved()  # after LRWatchCallback, which drops a skipped step's gradients
    transformers.Trainer(model=model, args=args, train_dataset=SpikyTokens(8 * steps),
                         callbacks=[LRWatchCallback(on_spike="skip"), moved]).train()
    store, run = _only_run(tmp_path / "out" / "lrwatch_logs")
    skips = [e for e in store.events(run, kind=keys.EVENT_ACTION) if e.payload["action"] == "skip"]
    corrupted = {s for s in range(steps) if s % 10 == 9}
    assert {e.step for e in skips} == {s for s in corrupted if s >= 64}  # judged after 64 steps
    assert all("sigma above its median" in e.payload["reason"] for e in skips)
    assert sorted(set(range(steps)) - set(moved.steps)) == [e.step for e in skips]  # no update
    assert any(r.getMessage().startswith(f"lrwatch: skipped the update of step {skips[0].step}")
               for r in caplog.records)


def test_two_processes_record_the_averaged_gradient_norm(tmp_path):
    """Under DDP the recorded norm is the one of the gradients averaged across processes (what
    Trainer clips by and logs), not process 0's own."""
    root = Path(__file__).resolve().parents[2]
    report = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
         "--master_port", str(_free_port()), "-m", "tests.helpers.hf_ddp_script",
         str(tmp_path / "out"), str(report)],
        cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, capture_output=True,
        timeout=600)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    logged = json.loads(report.read_text())["grad_norm"]
    store, run = _only_run(tmp_path / "out" / "lrwatch_logs")
    assert run.meta["world_size"] == 2 and run.status == FINISHED
    steps, norms = store.scalars(run, keys.GRAD_NORM)
    assert steps.tolist() == list(range(6)) and len(logged) == 6
    assert np.allclose(norms, logged, rtol=1e-4)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_pretrained_model_is_recorded_and_diagnosed_as_a_fine_tune(tmp_path):
    """A model loaded with ``from_pretrained`` starts from pretrained weights: the run's
    metadata says so and the run read back from the store carries it to the diagnosis (which
    then reads the LR against the fine-tuning range); a model built from its config is not
    called one (unknown, not "no")."""
    from lrwatch.readers.store import read_store_run

    _gpt2().save_pretrained(tmp_path / "pretrained")
    model = transformers.GPT2LMHeadModel.from_pretrained(tmp_path / "pretrained")
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "tuned"), per_device_train_batch_size=8, max_steps=24,
        learning_rate=2e-5, logging_steps=1, report_to="none", use_cpu=True,
        save_strategy="no", disable_tqdm=True, seed=0)
    transformers.Trainer(model=model, args=args, train_dataset=Tokens(),
                         callbacks=[LRWatchCallback()]).train()
    _train(tmp_path / "scratch", LRWatchCallback())
    tuned_store, tuned = _only_run(tmp_path / "tuned" / "lrwatch_logs")
    scratch_store, scratch = _only_run(tmp_path / "scratch" / "out" / "lrwatch_logs")
    assert tuned.meta["fine_tune"] is True and scratch.meta["fine_tune"] is None
    assert read_store_run(tuned_store, tuned.id).curves.fine_tune is True
    assert read_store_run(scratch_store, scratch.id).curves.fine_tune is None


class Sentences(torch.utils.data.Dataset):
    """Synthetic token sequences labelled 0-2 by their first token."""

    def __init__(self, n: int = 64) -> None:
        generator = torch.Generator().manual_seed(0)
        self.ids = torch.randint(1, VOCAB, (n, LENGTH), generator=generator)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.ids[i], "labels": self.ids[i, 0] % 3}


def _classifier(**config: Any) -> Any:
    """A 2-layer GPT-2 with a 3-class head, from its config (nothing downloaded)."""
    torch.manual_seed(0)
    return transformers.GPT2ForSequenceClassification(transformers.GPT2Config(
        vocab_size=VOCAB, n_positions=LENGTH, n_embd=32, n_layer=2, n_head=2, num_labels=3,
        pad_token_id=0, **config))


def test_the_classes_come_from_the_models_config_unless_the_user_names_them(tmp_path):
    """Not told, the callback reads K off the model: a classifier built from its config (no
    ``architectures``: its class name stands in) has 3 labels, a language model its 64-token
    vocabulary; told, the user's K wins. Each reaches the run's metadata and the store's read."""
    from lrwatch.readers.store import read_store_run

    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "cls"), per_device_train_batch_size=8, max_steps=4,
        learning_rate=1e-3, logging_steps=1, report_to="none", use_cpu=True,
        save_strategy="no", disable_tqdm=True, seed=0)
    transformers.Trainer(model=_classifier(), args=args, train_dataset=Sentences(),
                         callbacks=[LRWatchCallback()]).train()
    _train(tmp_path / "lm", LRWatchCallback(), max_steps=4)
    _train(tmp_path / "told", LRWatchCallback(classes=10), max_steps=4)
    for folder, classes in (("cls", 3), ("lm/out", VOCAB), ("told/out", 10)):
        store, run = _only_run(tmp_path / folder / "lrwatch_logs")
        assert run.meta["classes"] == classes
        assert read_store_run(store, run.id).curves.classes == classes


def test_model_classes_reads_a_saved_config_a_wrapper_and_no_softmax(tmp_path):
    from lrwatch.engine import model_classes

    _classifier().save_pretrained(tmp_path / "saved")
    loaded = transformers.GPT2ForSequenceClassification.from_pretrained(tmp_path / "saved")
    assert loaded.config.architectures == ["GPT2ForSequenceClassification"]
    assert model_classes(loaded) == 3
    wrapper = torch.nn.Module()  # a LightningModule holding the model, say
    wrapper.model = _classifier()
    assert model_classes(wrapper) == 3
    assert model_classes(_classifier(problem_type="regression")) is None  # MSE: no chance level
    assert model_classes(transformers.GPT2Model(_classifier().config)) is None  # no head, no loss
    # a headless backbone loaded from a classifier's checkpoint (under the user's own head): the
    # checkpoint's saved head says nothing of the loss this model trains with
    assert model_classes(transformers.GPT2Model.from_pretrained(tmp_path / "saved")) is None
    assert model_classes(torch.nn.Linear(3, 1)) is None


def test_a_run_resumed_from_a_checkpoint_goes_on_as_one_run(tmp_path):
    # Trainer saves at step 10 and 20; a new Trainer resumes from checkpoint-10: lrwatch goes on
    # recording the same run (it recorded a second, overlapping run before), its steps once each
    store_path = tmp_path / "s"
    _train(tmp_path, LRWatchCallback(store=store_path), max_steps=20, save_strategy="steps",
           save_steps=10)
    checkpoint = tmp_path / "out" / "checkpoint-10"
    assert json.loads((checkpoint / "lrwatch_state.json").read_text())["run_uid"]
    model = _gpt2()
    options = {"output_dir": str(tmp_path / "out"), "per_device_train_batch_size": 8,
               "max_steps": 20, "learning_rate": 1e-3, "logging_steps": 1, "report_to": "none",
               "use_cpu": True, "save_strategy": "no", "disable_tqdm": True, "seed": 0}
    transformers.Trainer(model=model, args=transformers.TrainingArguments(**options),
                         train_dataset=Tokens(),
                         callbacks=[LRWatchCallback(store=store_path)]).train(
        resume_from_checkpoint=str(checkpoint))
    store, run = _only_run(store_path)
    steps, loss = store.scalars(run, keys.LOSS)
    assert steps.tolist() == list(range(20)) and np.isfinite(loss).all()
    assert run.status == FINISHED
