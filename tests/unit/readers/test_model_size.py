"""The model's parameter count, read where users have it: a recorded run's metadata, a model
``config.json`` beside a ``trainer_state.json``, a nanoGPT log line, and ``--params``; the
diagnosis reads an Adam-style optimizer's usual LRs against it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lrwatch import keys
from lrwatch.readers import find_runs, read_run
from lrwatch.readers.model_size import from_config, from_log_line, parse_count
from lrwatch.store import FINISHED, Store
from tests.helpers import curves as synth
from tests.helpers.cli import run_cli
from tests.unit.readers.test_hftrainer import trainer_state, write_json
from tests.unit.readers.test_textlog import nanogpt_log

# GPT-2 small's config.json on the Hugging Face Hub (the keys that size it)
GPT2_CONFIG = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_embd": 768,
               "n_head": 12, "n_layer": 12, "n_positions": 1024, "vocab_size": 50257}
# Llama-2-7B's config.json (the keys that size it)
LLAMA_CONFIG = {"architectures": ["LlamaForCausalLM"], "hidden_size": 4096,
                "intermediate_size": 11008, "num_attention_heads": 32, "num_hidden_layers": 32,
                "vocab_size": 32000}


@pytest.mark.parametrize(("text", "count"), [
    ("124M", 124_000_000), ("1.3B", 1_300_000_000), ("350k", 350_000), ("123.69M", 123_690_000),
    ("124000000", 124_000_000), ("124,439,808", 124_439_808), (" 7b ", 7_000_000_000)])
def test_a_count_as_people_write_it(text: str, count: int) -> None:
    assert parse_count(text) == count


@pytest.mark.parametrize("text", ["", "M", "big", "0", "-5M", "1.3 billion", "12MB"])
def test_what_is_not_a_count_is_none(text: str) -> None:
    assert parse_count(text) is None


def test_a_gpt_style_config_is_sized_by_its_shape() -> None:
    """12 L d^2 + V d: GPT-2 small comes out within 1% of its published 124M, Llama-2-7B
    within 3% of its 6.74B."""
    assert from_config(GPT2_CONFIG) == pytest.approx(124_439_808, rel=0.01)
    assert from_config(LLAMA_CONFIG) == pytest.approx(6_738_415_616, rel=0.03)
    assert from_config({**GPT2_CONFIG, "num_parameters": 81_912_576}) == 81_912_576
    assert from_config({"architectures": ["BertForSequenceClassification"]}) is None


def test_a_nanogpt_log_gives_its_parameter_count(tmp_path: Path) -> None:
    path = nanogpt_log(tmp_path / "train.log")  # prints "number of parameters: 10.65M"
    result = read_run(find_runs(path)[0])
    assert result.curves.param_count == 10_650_000
    assert any("10,650,000 parameters" in note for note in result.notes)


@pytest.mark.parametrize(("line", "count"), [
    ("number of params: 5717416", 5_717_416),  # DeiT, ConvNeXt, BEiT
    ("number of params (M): 86.57", 86_570_000),  # MAE's fine-tuning
    ("Model resnet50 created, param count:25557032", 25_557_032),  # timm
    ("number of parameters: 123.69M", 123_690_000),  # nanoGPT
    ("the number of parameters is what matters", None),
])
def test_the_size_lines_other_trainers_print_are_read(line: str, count: int | None) -> None:
    assert from_log_line(line) == count


def test_a_trainer_state_is_sized_by_the_config_beside_it(tmp_path: Path) -> None:
    write_json(tmp_path / "sized" / "trainer_state.json", trainer_state(300, peak_lr=6e-4))
    write_json(tmp_path / "sized" / "config.json", GPT2_CONFIG)
    write_json(tmp_path / "bare" / "trainer_state.json", trainer_state(300, peak_lr=6e-4))
    sizes = {run.name.rsplit("/", 1)[-1]: read_run(run).curves.param_count
             for run in find_runs(tmp_path)}
    assert sizes["sized"] == pytest.approx(124_439_808, rel=0.01)
    assert sizes["bare"] is None


def _store_gpt_run(store_path: Path, meta: dict) -> None:
    """A GPT-2-like pretraining run at 6e-4 (warmup + cosine, smooth fall still going),
    recorded through the store's public API with ``meta``."""
    curves = synth.gpt_pretrain(6e-4, None)
    with Store(store_path) as store:
        run = store.create_run("gpt", {"kind": "train", "optimizer": "AdamW", **meta})
        store.backend.append(run.id, {
            keys.LOSS: (curves.loss.steps, curves.loss.values),
            keys.LR: (curves.lr.steps, curves.lr.values)})  # type: ignore[union-attr]
        store.backend.set_status(run.id, FINISHED)


def test_a_recorded_run_gives_the_param_count_the_engine_recorded(store_path: Path) -> None:
    _store_gpt_run(store_path, {"param_count": 124_439_808})
    assert read_run(find_runs(store_path)[0]).curves.param_count == 124_439_808


def test_params_on_the_command_line_reads_the_lr_against_the_model_size(
        store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A GPT-2-sized run at 6e-4: without a size it reads as a small model's (increase, with
    the evidence saying what it assumed); with --params 124M it is healthy and not moved (round
    10: still falling a little below its size's top, its action is the range test its evidence
    names, where it was keep)."""
    _store_gpt_run(store_path, {})
    code, out, _ = run_cli(capsys, str(store_path), "--json")
    unsized = json.loads(out)["runs"][0]
    code2, out2, _ = run_cli(capsys, str(store_path), "--json", "--params", "124M")
    sized = json.loads(out2)["runs"][0]
    assert (code, code2) == (0, 0)
    assert unsized["action"] == "increase"
    assert any("assumes one" in e for e in unsized["evidence"])
    assert sized["status"] == "healthy" and sized["action"] in ("keep", "range_test")


def test_a_bad_params_value_is_a_one_line_error(store_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    _store_gpt_run(store_path, {})
    code, out, err = run_cli(capsys, str(store_path), "--params", "huge")
    assert (code, out, err.count("\n")) == (1, "", 1)
    assert "--params 'huge' is not a parameter count" in err and "124M" in err
