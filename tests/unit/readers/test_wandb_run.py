"""W&B run files (``wandb/run-*/run-*.wandb``), written here as wandb writes them: LevelDB-style
32 KiB blocks of records, each a protobuf ``Record`` whose history rows carry JSON values."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lrwatch.errors import InputError
from lrwatch.readers import find_runs, read_run
from tests.helpers.cli import run_cli

BLOCK = 32 * 1024


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _history(row: dict, nested: bool = False) -> bytes:
    """Record { history (2): HistoryRecord { item (1): { key (1), value_json (16) } ... } };
    wandb-core writes the key as nested_key (2), a path of one name for a flat key."""
    items = b"".join(_field(1, _field(2 if nested else 1, k.encode())
                            + _field(16, json.dumps(v).encode()))
                     for k, v in row.items())
    return _field(2, items)


def wandb_file(path, rows, cut_short=False, nested=False):
    """A run file: its header, a run record (field 17, not history), then one record a row,
    split across blocks (first / middle / last pieces) where a block has no room left."""
    data = bytearray(b":W&B\xe1\xbe\x00")
    for payload in [_field(17, b"\x0a\x08abcd1234"), *(_history(r, nested) for r in rows)]:
        first = True
        while True:
            room = BLOCK - len(data) % BLOCK
            if room < 7:
                data += b"\0" * room
                room = BLOCK
            piece, payload = payload[:room - 7], payload[room - 7:]
            kind = (1 if not payload else 2) if first else (4 if not payload else 3)
            data += b"\0\0\0\0" + len(piece).to_bytes(2, "little") + bytes([kind]) + piece
            first = False
            if not payload:
                break
    if cut_short:
        data += b"\0\0\0\0" + (500).to_bytes(2, "little") + b"\x01" + _history(rows[-1])[:20]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(data))
    return path


def hf_rows(steps=1200):
    """The Hugging Face Trainer under W&B: a row per logging step (train/global_step), an
    evaluation row every 300 steps, and one row with a long text value (a record of 3 pieces)."""
    rows = []
    for step in range(1, steps + 1):
        rows.append({"train/loss": 3 * np.exp(-step / 400) + 1, "train/learning_rate": 5e-5,
                     "train/global_step": step, "train/epoch": step / 400, "_step": len(rows),
                     "_runtime": step * 0.3, "_timestamp": 1.7e9 + step})
        if step % 300 == 0:
            rows.append({"eval/loss": 3 * np.exp(-step / 400) + 1.1, "train/global_step": step,
                         "_step": len(rows)})
    rows.insert(10, {"notes": "x" * (2 * BLOCK), "_step": 10})
    return rows


@pytest.mark.parametrize("nested", [False, True])
def test_a_run_folder_is_one_run_read_at_the_trainers_step(tmp_path, nested):
    run_dir = tmp_path / "wandb" / "run-20240101_120000-abcd1234"
    wandb_file(run_dir / "run-abcd1234.wandb", hf_rows(), nested=nested)
    (run_dir / "files").mkdir()
    (run_dir / "files" / "output.log").write_text(  # its console, in a layout lrwatch reads
        "".join(f"{{'loss': {3 - i / 100}, 'learning_rate': 5e-05, 'epoch': 0.1}}\n"
                for i in range(50)))
    (run, ) = find_runs(tmp_path)
    assert (run.name, run.format) == (f"{tmp_path.name}/wandb/run-20240101_120000-abcd1234",
                                      "wandb")
    result = read_run(run)
    steps = np.arange(1, 1201)
    np.testing.assert_array_equal(result.curves.loss.steps, steps)
    np.testing.assert_allclose(result.curves.loss.values, 3 * np.exp(-steps / 400) + 1)
    assert result.curves.val_loss.steps.tolist() == [300, 600, 900, 1200]
    assert result.curves.lr.values[0] == 5e-5
    assert (result.columns.loss, result.columns.lr, result.columns.val_loss) == (
        "train/loss", "train/learning_rate", "eval/loss")
    assert result.notes == ()


def test_a_plain_wandb_log_is_stepped_by_its_log_calls_and_a_cut_record_is_said(tmp_path):
    path = wandb_file(tmp_path / "run-x1.wandb",
                      [{"loss": 2 - i / 100, "lr": 0.1, "_step": i} for i in range(100)],
                      cut_short=True)
    result = read_run(find_runs(path)[0])
    assert result.curves.loss.steps.tolist() == list(range(100))
    assert result.notes[0] == "left out the last record: it is cut short (a run still writing?)"
    assert "W&B's _step, one per wandb.log call" in result.notes[1]


def test_a_run_that_logged_nothing_and_a_file_that_is_no_run_file_are_one_line_errors(
        tmp_path, capsys):
    empty = wandb_file(tmp_path / "a" / "run-empty.wandb", [])
    with pytest.raises(InputError, match="holds no logged metric: the run logged nothing yet"):
        read_run(find_runs(empty)[0])
    other = tmp_path / "b" / "run-x.wandb"
    other.parent.mkdir()
    other.write_bytes(b"PK\x03\x04 not a run file")
    code, out, err = run_cli(capsys, str(other))
    assert (code, out) == (1, "")
    assert err.startswith(f"InputError: {other} is not a log lrwatch reads")


CONFIG_YAML = """\
_wandb:
  desc: null
  value:
    python_version: 3.11.9
    t:
      "1": [1, 5, 55]
batch_size:
  desc: null
  value: 32
model:
  desc: null
  value:
    n_layer: 12
    n_embd: 768
    vocab_size: 50257
optimizer:
  desc: Adam with warmup
  value:
    class_path: torch.optim.AdamW
    init_args:
      lr: 0.0006
      betas: [0.9, 0.95]
seed:
  desc: null
  value: 1337
output_dir:
  desc: null
  value: out/run-3
model_name_or_path:
  desc: null
  value: gpt2
"""


def test_a_run_folders_config_yaml_gives_hints_and_a_setup_without_lr_seed_or_output_dir(
        tmp_path):
    from lrwatch.readers.registry import reader_for
    from lrwatch.sweeps import setup_key

    run_dir = tmp_path / "wandb" / "run-20240101_120000-abcd1234"
    wandb_file(run_dir / "run-abcd1234.wandb",
               [{"loss": 3 - i / 100, "_step": i} for i in range(50)])
    (run_dir / "files").mkdir()
    (run_dir / "files" / "config.yaml").write_text(CONFIG_YAML)
    (run,) = find_runs(tmp_path)
    curves = read_run(run).curves
    assert (curves.optimizer, curves.batch_size, curves.fine_tune) == ("AdamW", 32, True)
    assert curves.param_count == 12 * 12 * 768 ** 2 + 50257 * 768  # GPT-2 small's shape
    assert curves.lr.values.tolist() == [0.0006] * 50  # the config's LR: no LR logged
    setup = reader_for("wandb").setup(run)
    assert setup == {"config": {
        "batch_size": 32, "model.n_layer": 12, "model.n_embd": 768, "model.vocab_size": 50257,
        "optimizer.class_path": "torch.optim.AdamW", "optimizer.init_args.lr": 0.0006,
        "optimizer.init_args.betas": [0.9, 0.95], "model_name_or_path": "gpt2"}}
    assert "lr" not in setup_key(setup)  # the sweep finder leaves the LR out


def test_an_unreadable_config_yaml_gives_no_hints_and_no_setup(tmp_path):
    from lrwatch.readers.registry import reader_for

    run_dir = tmp_path / "wandb" / "run-20240101_120000-abcd1234"
    wandb_file(run_dir / "run-abcd1234.wandb",
               [{"loss": 3 - i / 100, "_step": i} for i in range(50)])
    (run_dir / "files").mkdir()
    (run_dir / "files" / "config.yaml").write_text("a: [unclosed\n")
    (run,) = find_runs(tmp_path)
    assert read_run(run).curves.optimizer is None
    assert reader_for("wandb").setup(run) is None
