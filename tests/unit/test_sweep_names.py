"""The LR a run's name names (``lrwatch.sweeps.name_lr``), and how runs keyed by their names
group into sweeps, seeds included."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lrwatch.analysis.sweep import SweepRun
from lrwatch.readers import find_runs, read_run
from lrwatch.sweeps import SweepMember, group, members_of, name_lr


@pytest.mark.parametrize("name, lr", [
    ("lr_0.001", 1e-3),
    ("lr=3e-4.csv", 3e-4),
    ("run-lr1e-3-seed0", 1e-3),
    ("adam_lr0.01_bs64.log", 1e-2),
    ("learning_rate_0.0005", 5e-4),
    ("Learning-Rate-1E-3/events", 1e-3),
    ("LR3e-04", 3e-4),
    ("lr.001", 1e-3),
    ("lr-0.2", 0.2),
    ("lr_20", 20.0),  # word_language_model's SGD LR
    ("sweep/lr_0.1/version_0/metrics.csv", 0.1),
    ("lr_0.1/lr_0.1.log", 0.1),  # the same LR twice: no doubt
    ("cosine_lr0.1_min_lr1e-5", 0.1),  # min_lr is the schedule's floor, not the LR
    ("warmup_lr1e-6_lr3e-4", 3e-4),
    ("384d_lr_-2.75", 10 ** -2.75),  # a minus sign: the LR's log10 (no LR is negative)
    ("lr=-3", 1e-3),
    ("UNet_lr3e_4", 3e-4),  # file names spell an exponent's minus "_" or "m", a point "p"
    ("lr_1e_02/metrics.csv", 1e-2),
    ("lr_1em03_steps2000", 1e-3),
    ("lr_2p5e-4", 2.5e-4),
    ("lr1_5e-4", 1.5e-4),
    ("initial_lr_sweep/1.0e-04/events.out.tfevents.1", 1e-4),  # a number under LRs' folder
    ("lr/0.001/version_0/metrics.csv", 1e-3),
    ("lr_sweep/3e-4.jsonl", 3e-4),
])
def test_a_name_with_one_lr_token_names_that_lr(name, lr):
    assert name_lr(name).lr == pytest.approx(lr)
    assert name_lr(name).why is None


@pytest.mark.parametrize("name, why", [
    ("run_7", "nor in its name"),
    ("lr_schedule_0.5", "nor in its name"),
    ("lrs0.1", "nor in its name"),
    ("clr0.1", "nor in its name"),
    ("lr_decay0.5", "nor in its name"),
    ("lr0.1x", "nor in its name"),
    ("lr1e-3.5", "nor in its name"),
    ("sweep_lr", "nor in its name"),
    ("enc_lr0.1_dec_lr0.01", "names several (lr0.1, lr0.01)"),
    ("lr_0.1/lr_0.01.log", "names several (lr_0.1, lr_0.01)"),
    ("lr_0", "lr_0 is not a positive LR"),
    ("gpt-lr-3", "lr-3 may mean 3 or 1e-3"),
    ("lr_-1e-3", "lr_-1e-3 is not a positive LR"),
    ("lr1em", "nor in its name"),
    ("lr_1p", "nor in its name"),
    ("min_lr/1e-5/metrics.csv", "nor in its name"),  # the schedule's floor
    ("lr_sweep_2/0.1/metrics.csv", "nor in its name"),  # a second sweep's run 0.1?
])
def test_a_name_with_no_or_several_lr_tokens_names_no_lr(name, why):
    found = name_lr(name)
    assert found.lr is None and found.key is None
    assert why in found.why


def test_names_that_differ_only_in_the_lr_share_a_key():
    adam = {name_lr(f"adam_lr{lr}_bs64.log").key for lr in ("0.01", "0.1", "1e-3")}
    assert adam == {"adam_lr*_bs64.log"}
    assert name_lr("sgd_lr0.1_bs64.log").key != name_lr("adam_lr0.1_bs64.log").key
    assert name_lr("adam_lr0.1_bs128.log").key != name_lr("adam_lr0.1_bs64.log").key
    # the schedule's floor stays in the key: another floor is another setup
    assert name_lr("lr0.1_min_lr1e-5").key != name_lr("lr0.1_min_lr1e-6").key


@pytest.mark.parametrize("names", [
    # a commit, a start time and the result the script wrote into each run's folder name
    ("220e953-adamw-lr0.0001-d512_valloss1.4184/train.log",
     "c709a00-adamw-lr0.001-d512_20260617-142907_valloss1.3483/train.log"),
    # a numbered experiment and a log named by its start time
    ("logs/exp0_lr0.0001_hid200_sgd/log_20250411_160404.txt",
     "logs/exp11_lr0.5_hid200_sgd/log_20250412_141037.txt"),
    # a dated folder, a Lightning checkpoint's metric, a run's number
    ("2026_01_31_cnn_lr_1e-3/metrics.csv", "2026-02-02_13-05-11_cnn_lr_3e-4/metrics.csv"),
    ("epoch=3-val_loss=0.12-lr0.1.ckpt", "epoch=3-val_loss=0.31-lr0.01.ckpt"),
    ("adam_lr0.1_run1.csv", "adam_lr0.01_run_2.csv"),
    # Ray Tune's trial folders: its trial id and index, the config, the start time
    ("tune/run_98f7d_00180_180_lr=0.001,bn=True_2023-11-28_15-53-31/version_0/metrics.csv",
     "tune/run_98f7d_00182_182_lr=0.1,bn=True_2023-11-28_15-56-15/version_0/metrics.csv"),
    # Hydra's date and time folders under each run's
    ("screen_lr3e-4/2026-07-15/08-40-13/metrics.jsonl",
     "screen_lr1e-2/2026-07-15/08-51-49/metrics.jsonl"),
])
def test_what_names_the_run_not_its_setup_leaves_the_key(names):
    assert len({name_lr(name).key for name in names}) == 1


@pytest.mark.parametrize("names", [
    ("d512_lr0.1.log", "d1024_lr0.01.log"),  # a size is setup
    ("adam_lr0.1_wd0.01.log", "adam_lr0.01_wd0.1.log"),
    ("deadbee_lr0.1.log", "cafebee_lr0.01.log"),  # words, not hashes: no digit in them
])
def test_what_sets_runs_apart_stays_in_the_key(names):
    assert len({name_lr(name).key for name in names}) == 2


def test_a_seed_leaves_the_key_and_is_kept_apart():
    found = name_lr("run-lr1e-3-seed0")
    assert found.key == "run-lr*-seed*" and found.seed == "seed0"
    assert name_lr("run_s2_lr0.1").seed == "s2"
    assert name_lr("bs64_lr0.1").seed is None  # "bs64" is no seed


def named(name: str, lr: float, seed: str | None, key: str = "k") -> SweepMember:
    loss = np.linspace(2, 1, 50)
    return SweepMember("src", name, lr, key, SweepRun(name, lr, loss, None), seed)


def test_an_lr_run_at_several_seeds_makes_them_repeats_of_one_sweep():
    members = [named(f"lr{lr}_s{s}", lr, f"s{s}") for s in (0, 1) for lr in (0.1, 0.01, 0.001)]
    assert [len(g) for g in group(members)] == [6]


def test_seed_named_runs_each_at_its_own_lr_are_one_sweep():
    members = [named(f"lr{lr}_seed{i}", lr, f"seed{i}") for i, lr in enumerate((0.1, 0.01, 1e-3))]
    assert [len(g) for g in group(members)] == [3]


def test_bare_s_numbers_that_never_repeat_an_lr_part_the_runs():
    """``s1`` / ``s2`` may name a stage or a size: with no LR run at both, they are kept
    apart."""
    members = [named(f"s1_lr{lr}", lr, "s1") for lr in (0.1, 0.01, 1e-3)]
    members += [named(f"s2_lr{lr}", lr, "s2") for lr in (0.3, 0.03, 3e-3)]
    assert sorted(len(g) for g in group(members)) == [3, 3]
    assert {frozenset(m.seed for m in g) for g in group(members)} == {frozenset({"s1"}),
                                                                      frozenset({"s2"})}


def write_csv(path: Path, header: str, rows: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n" + "\n".join(rows) + "\n")


def test_a_logged_lr_wins_over_the_name_and_a_name_says_why_it_gave_none(tmp_path):
    """The LR curve of ``lr_0.5.csv`` says 0.01: that is its LR. A Lightning run whose
    ``hparams.yaml`` names an LR takes that one. A name of two LRs gives none, and says so."""
    write_csv(tmp_path / "lr_0.5.csv", "step,loss,lr", [f"{i},{2 - i / 100},0.01"
                                                        for i in range(50)])
    version = tmp_path / "lr_0.3" / "version_0"
    write_csv(version / "metrics.csv", "step,train_loss", [f"{i},{2 - i / 100}"
                                                           for i in range(50)])
    (version / "hparams.yaml").write_text("lr: 0.02\nhidden: 8\n")
    write_csv(tmp_path / "lr0.1_lr0.2.csv", "step,loss", [f"{i},{2 - i / 100}"
                                                          for i in range(50)])
    runs = [run for path in ("lr_0.5.csv", "lr_0.3", "lr0.1_lr0.2.csv")
            for run in find_runs(tmp_path / path)]
    by_name = {m.source.rsplit("/", 1)[-1]: m for m in members_of(runs, read_run)}
    assert by_name["lr_0.5.csv"].lr == pytest.approx(0.01)
    assert by_name["lr_0.3"].lr == pytest.approx(0.02)
    assert by_name["lr0.1_lr0.2.csv"].lr is None
    assert "names several (lr0.1, lr0.2)" in by_name["lr0.1_lr0.2.csv"].no_lr
