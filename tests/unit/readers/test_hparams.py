"""Hints from hparams.yaml (read with PyYAML): the optimizer, batch size, momentum, planned
steps, and the LR of logs that have no LR column."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from lrwatch.readers import find_runs, read_run
from lrwatch.readers.hparams import hints_from_tree, read_hints
from lrwatch.readers.series import Hints
from tests.helpers.cli import run_cli

LIGHTNING_CLI = """\
# written by LightningCLI
seed_everything: 42
model:
  hidden: 128
  dropout: 0.1   # a comment
optimizer:
  class_path: torch.optim.AdamW
  init_args:
    lr: 0.0003
    betas:
    - 0.9
    - 0.999
data:
  batch_size: 32
  root: "data: here"
trainer:
  max_steps: 5000
  callbacks: [a, b]
note: |
  a: multi-line
  b: string
flag: true
empty: null
"""


def test_hints_come_from_nested_lightning_cli_configs(tmp_path):
    (tmp_path / "hparams.yaml").write_text(LIGHTNING_CLI)
    assert read_hints(tmp_path) == Hints(optimizer="AdamW", momentum=None, batch_size=32,
                                         total_steps=5000, lr=0.0003, lr_scheduled=False)


@pytest.mark.parametrize(("text", "expected"), [
    ("optimizer: sgd\nbatch_size: 16\nmomentum: 0.9\n", Hints("SGD", 0.9, 16, None)),
    ("opt: Adam\nbs: 8\n", Hints("Adam", None, 8, None)),
    ("optimizer: MyOpt\nbatch_size: -1\nmax_steps: -1\n", Hints("MyOpt", None, None, None)),
    ("batch_size: 12.5\nmomentum: 2\n", Hints()),
    ("", Hints()),
    ("- just\n- a list\n", Hints()),
    ("lr: 0.1\n", Hints(lr=0.1, lr_scheduled=False)),
    ("learning_rate: 3.0e-4\nwarmup_steps: 100\n", Hints(lr=3e-4, lr_scheduled=True)),
    ("model:\n  lr: 0.01\n  lr_scheduler: cosine\n", Hints(lr=0.01, lr_scheduled=True)),
    ("lr: 0.01\nuse_scheduler: false\nwarmup_steps: 0\n", Hints(lr=0.01, lr_scheduled=False)),
    ("lr: -1\n", Hints()),
    ("lr: .inf\n", Hints()),
    ("lr: [0.1, 0.01]\n", Hints()),
])
def test_hints_keep_only_values_that_make_sense(text, expected):
    assert hints_from_tree(yaml.safe_load(text)) == expected


def test_a_missing_or_unreadable_file_gives_no_hints(tmp_path):
    assert read_hints(tmp_path) == Hints()
    (tmp_path / "hparams.yaml").write_bytes(b"\xff\xfe\x00garbage: [\n")
    assert read_hints(tmp_path) == Hints()


def test_a_file_nested_thousands_deep_gives_the_shallow_hints_only(tmp_path):
    deep = "".join(" " * depth + "k:\n" for depth in range(3000))
    (tmp_path / "hparams.yaml").write_text(
        "optimizer: adam\n" + deep + " " * 3000 + "batch_size: 64\n")
    assert read_hints(tmp_path) in (Hints(optimizer="Adam"), Hints())  # no crash, no deep hint


def test_what_pyyaml_reads_and_a_line_parser_did_not(tmp_path):
    """Flow mappings, anchors and lists, as LightningCLI and hand-written configs have."""
    (tmp_path / "hparams.yaml").write_text(
        "defaults: &opt {optimizer: sgd, momentum: 0.9}\nmodel:\n  <<: *opt\n"
        "  lr: 0.05\ndata: {batch_size: 64}\n")
    assert read_hints(tmp_path) == Hints(optimizer="SGD", momentum=0.9, batch_size=64, lr=0.05,
                                         lr_scheduled=False)


def test_python_tags_of_older_lightning_files_are_read_as_plain_values(tmp_path):
    """Lightning 1.0-1.2 saved argparse arguments with Python tags the safe loader refuses
    (``tpu_cores: !!python/name:...``): the rest of the file is still read, and no tag is
    built into an object."""
    (tmp_path / "hparams.yaml").write_text(
        "accumulate_grad_batches: 4\nbatch_size: 8\nlearning_rate: 5.0e-05\n"
        "tpu_cores: !!python/name:pytorch_lightning.utilities.argparse_utils._gpus_arg_default"
        " ''\nsplit_ratios: !!python/tuple [0.8, 0.1, 0.1]\n"
        "args: !!python/object:argparse.Namespace {optimizer: adamw}\n")
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load((tmp_path / "hparams.yaml").read_text())
    assert read_hints(tmp_path) == Hints(optimizer="AdamW", batch_size=8, lr=5e-5,
                                         lr_scheduled=False)
    (tmp_path / "metrics.csv").write_text(CSV_WITHOUT_LR)
    assert set(read_run(find_runs(tmp_path)[0]).curves.lr.values) == {5e-5}


CSV_WITHOUT_LR = "step,train_loss\n" + "".join(f"{s},{2.0 / (1 + s / 50):.5f}\n"
                                               for s in range(200))


def test_a_csv_without_lr_takes_it_from_hparams_yaml(tmp_path):
    (tmp_path / "metrics.csv").write_text(CSV_WITHOUT_LR)
    (tmp_path / "hparams.yaml").write_text("lr: 0.02\noptimizer: sgd\n")
    result = read_run(find_runs(tmp_path)[0])
    assert result.columns.lr == "hparams.yaml:lr" and result.curves.optimizer == "SGD"
    np.testing.assert_array_equal(result.curves.lr.steps, result.curves.loss.steps)
    assert set(result.curves.lr.values) == {0.02}
    assert any("took lr=0.02 from hparams.yaml as the LR of every step" in n
               for n in result.notes)


def test_lrwatch_analyze_shows_the_lr_taken_from_hparams_yaml(tmp_path, capsys):
    version = tmp_path / "lightning_logs" / "version_0"
    version.mkdir(parents=True)
    (version / "metrics.csv").write_text(CSV_WITHOUT_LR)
    (version / "hparams.yaml").write_text("model:\n  learning_rate: 0.003\n  optimizer: adamw\n")
    code, out, err = run_cli(capsys, str(tmp_path / "lightning_logs"), "--json")
    (entry,) = json.loads(out)["runs"]
    assert code == 0 and entry["error"] is None, err
    assert entry["current_lr"] == 0.003 and entry["suggested_lr"] is not None
    assert entry["columns"]["lr"] == "hparams.yaml:lr"


def test_with_a_scheduler_the_configured_lr_is_not_taken_for_every_step(tmp_path):
    (tmp_path / "metrics.csv").write_text(CSV_WITHOUT_LR)
    (tmp_path / "hparams.yaml").write_text("lr: 0.02\nscheduler: cosine\n")
    result = read_run(find_runs(tmp_path)[0])
    assert result.curves.lr is None and result.columns.lr is None
    assert any("hparams.yaml sets lr=0.02 but also a scheduler or warmup" in n
               for n in result.notes)


def test_an_lr_column_wins_over_hparams_yaml(tmp_path):
    (tmp_path / "metrics.csv").write_text("step,train_loss,lr-Adam\n0,1.0,0.001\n1,0.9,0.001\n")
    (tmp_path / "hparams.yaml").write_text("lr: 0.5\n")
    result = read_run(find_runs(tmp_path)[0])
    assert result.columns.lr == "lr-Adam" and set(result.curves.lr.values) == {0.001}
