"""Reading hints from hparams.yaml without PyYAML, checked against PyYAML on real files."""

from __future__ import annotations

import pytest
import yaml

from lrwatch.readers.hparams import hints_from_tree, parse_simple_yaml, read_hints
from lrwatch.readers.series import Hints

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


def test_the_subset_parser_agrees_with_pyyaml_on_the_mappings_and_scalars():
    ours = parse_simple_yaml(LIGHTNING_CLI)
    reference = yaml.safe_load(LIGHTNING_CLI)
    assert ours["model"] == reference["model"]
    assert ours["optimizer"]["class_path"] == reference["optimizer"]["class_path"]
    assert ours["optimizer"]["init_args"]["lr"] == reference["optimizer"]["init_args"]["lr"]
    assert ours["data"] == reference["data"]
    assert ours["trainer"]["max_steps"] == 5000
    assert (ours["seed_everything"], ours["flag"], ours["empty"]) == (42, True, None)
    assert "a" not in ours and "b" not in ours  # lines of the multi-line string are skipped


def test_hints_come_from_nested_lightning_cli_configs():
    hints = hints_from_tree(parse_simple_yaml(LIGHTNING_CLI))
    assert hints == Hints(optimizer="AdamW", momentum=None, batch_size=32, total_steps=5000)


@pytest.mark.parametrize(("text", "expected"), [
    ("optimizer: sgd\nbatch_size: 16\nmomentum: 0.9\n", Hints("SGD", 0.9, 16, None)),
    ("opt: Adam\nbs: 8\n", Hints("Adam", None, 8, None)),
    ("optimizer: MyOpt\nbatch_size: -1\nmax_steps: -1\n", Hints("MyOpt", None, None, None)),
    ("batch_size: 12.5\nmomentum: 2\n", Hints()),
    ("", Hints()),
    ("- just\n- a list\n", Hints()),
])
def test_hints_keep_only_values_that_make_sense(text, expected):
    assert hints_from_tree(parse_simple_yaml(text)) == expected


def test_a_missing_or_unreadable_file_gives_no_hints(tmp_path):
    assert read_hints(tmp_path) == Hints()
    (tmp_path / "hparams.yaml").write_bytes(b"\xff\xfe\x00garbage: [\n")
    assert read_hints(tmp_path) == Hints()


def test_a_file_nested_thousands_deep_gives_the_shallow_hints_only(tmp_path):
    deep = "".join(" " * depth + "k:\n" for depth in range(3000))
    (tmp_path / "hparams.yaml").write_text(
        "optimizer: adam\n" + deep + " " * 3000 + "batch_size: 64\n")
    assert read_hints(tmp_path) == Hints(optimizer="Adam")
