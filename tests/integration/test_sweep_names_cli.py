"""``lrwatch sweep`` and ``lrwatch analyze`` on folders whose runs name their LR only in their
names (``lr_0.001/``, ``adam_lr0.01_bs64.log``, ``run-lr1e-3-seed0.csv``): real files of each
format the readers read (nanoGPT text logs, CSV, TensorBoard events written by
``torch.utils.tensorboard.SummaryWriter``, Lightning ``metrics.csv`` without an LR column),
run through the real CLI.

The loss curves are built so the best LR is known: each run falls from 4 towards a floor that
is lowest at LR 0.01 (``0.3 + 0.4 * log10(lr / 0.01) ** 2``), faster at a higher LR."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from tests.helpers.cli import lrwatch

LRS = [1e-4, 1e-3, 1e-2, 1e-1]
STEPS = 200


BEST = 1e-2  # the LR whose floor is lowest


def loss_curve(lr: float, seed: int = 0) -> np.ndarray:
    """A run at ``lr``: best near ``BEST``, too slow below it, a higher floor above it."""
    rng = np.random.default_rng(seed)
    floor = 0.3 + 0.4 * math.log10(lr / BEST) ** 2
    rate = min(lr, 0.05) * 2
    steps = np.arange(STEPS)
    return floor + (4 - floor) * np.exp(-rate * steps) + 0.01 * rng.standard_normal(STEPS)


def write_nanogpt_log(path: Path, lr: float, seed: int = 0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"iter {step}: loss {loss:.4f}, time 12.0ms, mfu 1.00%\n"
                            for step, loss in enumerate(loss_curve(lr, seed))))


def write_csv(path: Path, lr: float, seed: int = 0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("step,train_loss\n" + "".join(
        f"{step},{loss:.5f}\n" for step, loss in enumerate(loss_curve(lr, seed))))


def sweep_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    code, out, err = lrwatch(capsys, "sweep", *args, "--json")
    assert code == 0, err
    return json.loads(out)


def analyze_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, dict]:
    code, out, err = lrwatch(capsys, "analyze", *args, "--json")
    assert code == 0, err
    return {entry["run"]: entry for entry in json.loads(out)["runs"]}


def check_positions(sweep: dict) -> None:
    """What a user checks: the best LR inside the grid near 0.01, the lowest runs too low, the
    run at 0.01 near the best."""
    assert BEST / 3 < sweep["best_lr"] < BEST * 3
    by_lr: dict[float, set[str]] = {}
    for run in sweep["runs"]:
        by_lr.setdefault(float(f"{run['lr']:.3g}"), set()).add(run["position"])
    assert by_lr == {1e-4: {"too_low"}, 1e-3: {"too_low"}, 1e-2: {"near_best"},
                     1e-1: by_lr[1e-1] & {"too_high", "diverged"}}
    assert by_lr[1e-1]


@pytest.fixture
def text_logs(tmp_path: Path) -> Path:
    """Two sweeps of nanoGPT-style text logs in one folder (Adam and SGD, the LR only in the
    file name), one log whose name names two LRs and one that names none."""
    folder = tmp_path / "logs"
    for opt in ("adam", "sgd"):
        for lr in LRS:
            write_nanogpt_log(folder / f"{opt}_lr{lr:g}_bs64.log", lr)
    write_nanogpt_log(folder / "enc_lr0.1_dec_lr0.01.log", 1e-2)
    write_nanogpt_log(folder / "cosine_lr_schedule.log", 1e-2)
    return folder


def test_a_folder_of_text_logs_named_by_lr_holds_two_sweeps(text_logs, capsys):
    document = sweep_json(capsys, str(text_logs))
    sweeps = document["sweeps"]
    assert len(sweeps) == 2
    names = [[run["run"] for run in sweep["runs"]] for sweep in sweeps]
    assert sorted(names) == [[f"adam_lr{lr:g}_bs64" for lr in LRS],
                             [f"sgd_lr{lr:g}_bs64" for lr in LRS]]
    for sweep in sweeps:
        assert [run["lr"] for run in sweep["runs"]] == pytest.approx(LRS)
        check_positions(sweep)
    left_out = {e["run"]: e["reason"] for e in document["left_out"]}
    assert set(left_out) == {"enc_lr0.1_dec_lr0.01", "cosine_lr_schedule"}
    assert all("no learning rate logged" in why for why in left_out.values())
    assert "names several (lr0.1, lr0.01)" in left_out["enc_lr0.1_dec_lr0.01"]
    assert "no lr_0.001 in its name" in left_out["cosine_lr_schedule"]


def test_analyze_gives_each_named_run_its_sweeps_advice(text_logs, capsys):
    entries = analyze_json(capsys, str(text_logs))
    low = entries["adam_lr0.0001_bs64"]
    assert low["sweep"]["position"] == "too_low"
    assert low["status"] == "stalled" and low["action"] == "increase"
    assert BEST / 3 < low["suggested_lr"] < BEST * 3  # the sweep's best, though no log names an LR
    assert low["peak_lr"] == pytest.approx(1e-4)  # its LR, read from its name
    assert low["factor"] == pytest.approx(low["suggested_lr"] / 1e-4)
    assert not any("relative change" in note for note in low["notes"])
    assert entries["sgd_lr0.01_bs64"]["sweep"]["position"] == "near_best"
    assert entries["sgd_lr0.01_bs64"]["sweep"]["runs"] == 4  # its own sweep, not Adam's
    # a run whose name is ambiguous is read alone, as before
    assert entries["enc_lr0.1_dec_lr0.01"]["sweep"] is None


def test_tensorboard_run_folders_named_by_lr_are_one_sweep(tmp_path, capsys):
    from torch.utils.tensorboard import SummaryWriter

    root = tmp_path / "runs"
    for lr in LRS:
        with SummaryWriter(str(root / f"learning_rate_{lr:g}")) as writer:
            for step, loss in enumerate(loss_curve(lr)):
                writer.add_scalar("train/loss", float(loss), step)
    (sweep,) = sweep_json(capsys, str(root))["sweeps"]
    assert [run["lr"] for run in sweep["runs"]] == pytest.approx(LRS)
    assert [run["run"] for run in sweep["runs"]] == [f"runs/learning_rate_{lr:g}" for lr in LRS]
    check_positions(sweep)
    entries = analyze_json(capsys, str(root))
    assert entries["runs/learning_rate_0.0001"]["sweep"]["position"] == "too_low"


def test_lightning_metrics_without_an_lr_column_take_the_lr_from_their_folder(tmp_path,
                                                                               capsys):
    """``lr_X/version_0/metrics.csv`` beside an ``hparams.yaml`` that names no LR: the folder
    gives the LR and the hparams the setup, so two widths are two sweeps."""
    root = tmp_path / "sweep"
    for width in (32, 64):
        for lr in LRS:
            version = root / f"w{width}" / f"lr_{lr:g}" / "version_0"
            write_csv(version / "metrics.csv", lr, seed=width)
            (version / "hparams.yaml").write_text(f"hidden: {width}\nbatch_size: 64\n")
    document = sweep_json(capsys, str(root))
    assert len(document["sweeps"]) == 2 and document["left_out"] == []
    for sweep in document["sweeps"]:
        assert [run["lr"] for run in sweep["runs"]] == pytest.approx(LRS)
        widths = {run["run"].split("/")[1] for run in sweep["runs"]}
        assert len(widths) == 1  # never two widths in one sweep
        check_positions(sweep)
    # a PATH that is one LR's folder names the LR by its own name
    entries = analyze_json(capsys, *(str(root / "w32" / f"lr_{lr:g}") for lr in LRS))
    assert {e["sweep"]["runs"] for e in entries.values()} == {4}


def test_csv_files_named_by_lr_and_seed_are_one_sweep_with_repeats(tmp_path, capsys):
    """``run-lr1e-3-seed0.csv`` ...: each LR at two seeds is one sweep of eight runs (the seed
    repeats the sweep), not two sweeps."""
    folder = tmp_path / "csv"
    paths = []
    for seed in (0, 1):
        for lr in LRS:
            paths.append(folder / f"run-lr{lr:.0e}-seed{seed}.csv")
            write_csv(paths[-1], lr, seed)
    entries = analyze_json(capsys, *map(str, paths))
    assert {e["sweep"]["runs"] for e in entries.values()} == {8}
    assert entries["run-lr1e-04-seed1"]["sweep"]["position"] == "too_low"
    (sweep,) = sweep_json(capsys, *map(str, paths))["sweeps"]
    assert sorted(run["lr"] for run in sweep["runs"]) == pytest.approx(sorted(LRS * 2))
    check_positions(sweep)


def test_a_seed_per_run_is_still_one_sweep_but_a_bare_s_number_parts_runs(tmp_path, capsys):
    """``lr0.01_seed3.log``, each LR at its own seed: one sweep (a seed is no setup). ``s1`` /
    ``s2`` that never repeat an LR may name a stage or a size: kept apart."""
    seeded = tmp_path / "seeded"
    for seed, lr in enumerate(LRS):
        write_nanogpt_log(seeded / f"lr{lr:g}_seed{seed}.log", lr, seed)
    (sweep,) = sweep_json(capsys, str(seeded))["sweeps"]
    assert [run["lr"] for run in sweep["runs"]] == pytest.approx(LRS)

    staged = tmp_path / "staged"
    for stage in (1, 2):
        for lr in LRS[:2] if stage == 1 else LRS[2:]:
            write_nanogpt_log(staged / f"s{stage}_lr{lr:g}.log", lr)
    code, _, err = lrwatch(capsys, "sweep", str(staged))
    assert code == 1 and "no sweep in" in err


def test_a_folder_of_csv_files_named_by_lr_is_found_and_read_as_a_sweep(tmp_path, capsys):
    """``lr=1e-04.csv`` ... in one folder (once, only a ``metrics.csv`` was a run in a folder
    walk); a data CSV beside them that names no loss, and a results table (a loss, no step) are
    no runs."""
    folder = tmp_path / "csv_sweep"
    for lr in LRS:
        write_csv(folder / f"lr={lr:.0e}.csv", lr)
    (folder / "labels.csv").write_text("image,label\na.png,3\n")
    (folder / "results.csv").write_text("lr,final_loss,accuracy\n0.001,0.52,0.81\n")
    document = sweep_json(capsys, str(folder))
    (sweep,) = document["sweeps"]
    assert [run["run"] for run in sweep["runs"]] == [f"lr={lr:.0e}" for lr in LRS]
    check_positions(sweep)
    assert document["left_out"] == []


def test_json_line_logs_in_lr_folders_are_one_sweep(tmp_path, capsys):
    root = tmp_path / "jsonl"
    for lr in LRS:
        (root / f"lr_{lr:g}").mkdir(parents=True)
        (root / f"lr_{lr:g}" / "log.jsonl").write_text("".join(
            json.dumps({"step": step, "train_loss": float(loss)}) + "\n"
            for step, loss in enumerate(loss_curve(lr))))
    (sweep,) = sweep_json(capsys, str(root))["sweeps"]
    assert [run["lr"] for run in sweep["runs"]] == pytest.approx(LRS)
    check_positions(sweep)


def test_equal_names_in_two_folders_are_two_sweeps(tmp_path, capsys):
    """``a/lr0.1.log`` and ``b/lr0.1.log``: the folders may be two models; their runs are never
    pooled, whether the folders are given apart or their parent is."""
    for model in ("a", "b"):
        for lr in LRS:
            write_nanogpt_log(tmp_path / "two" / model / f"lr{lr:g}.log", lr)
    for paths in ([tmp_path / "two"], [tmp_path / "two" / "a", tmp_path / "two" / "b"]):
        sweeps = sweep_json(capsys, *map(str, paths))["sweeps"]
        assert len(sweeps) == 2
        assert all(len(sweep["runs"]) == 4 for sweep in sweeps)
    names = [run["run"] for run in sweep_json(capsys, str(tmp_path / "two"))["sweeps"][0]["runs"]]
    assert len({name.split("/")[1] for name in names}) == 1


def write_jsonl(path: Path, lr: float, seed: int = 0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"step": step, "train_loss": float(loss), "lr": lr}) + "\n"
                            for step, loss in enumerate(loss_curve(lr, seed))))


def test_runs_whose_own_settings_files_differ_only_in_lr_are_a_sweep(tmp_path, capsys):
    """A script that writes each run's log and its config.json to a folder of its own, the
    folder named in no way lrwatch reads an LR from (``lr_sweep_1e-3``): the configs, less the
    LR and where each run went, are the runs' setup."""
    for lr in LRS:
        folder = tmp_path / "experiments" / f"lr_sweep_{lr:.0e}"
        write_jsonl(folder / "metrics.jsonl", lr)
        (folder / "config.json").write_text(json.dumps({
            "d_model": 512, "batch_size": 32, "lr": lr, "min_lr": lr / 10, "seed": 0,
            "log_dir": str(folder), "checkpoint_dir": f"checkpoints/{folder.name}"}))
    (other := tmp_path / "experiments" / "wide").mkdir()  # another model: its own sweep or none
    write_jsonl(other / "metrics.jsonl", 1e-3)
    (other / "config.json").write_text(json.dumps({"d_model": 1024, "batch_size": 32,
                                                   "lr": 1e-3}))
    [sweep] = sweep_json(capsys, str(tmp_path / "experiments"))["sweeps"]
    assert sorted(r["lr"] for r in sweep["runs"]) == LRS
    assert {r["lr"]: r["position"] for r in sweep["runs"]}[BEST] == "near_best"


def test_a_settings_file_shared_by_a_folder_of_logs_is_no_runs_setup(tmp_path, capsys):
    """One config.json beside logs of two optimizers: it is no one run's, so the runs are
    grouped by their names (an Adam sweep and an SGD sweep), not as one."""
    for lr in LRS:
        write_nanogpt_log(tmp_path / f"adam_lr{lr:g}.log", lr)
        write_nanogpt_log(tmp_path / f"sgd_lr{lr:g}.log", lr, seed=1)
    (tmp_path / "config.json").write_text(json.dumps({"d_model": 512, "lr": 1e-3}))
    sweeps = sweep_json(capsys, str(tmp_path))["sweeps"]
    assert sorted(len(s["runs"]) for s in sweeps) == [4, 4]
    assert all(len({r["run"].split("_")[0] for r in s["runs"]}) == 1 for s in sweeps)


def test_runs_named_by_their_optimizer_and_lr_are_a_sweep_for_each_optimizer(tmp_path, capsys):
    """Keras histories saved as ``<optimizer>_<lr>_<epochs>_history.json``: no ``lr`` token,
    the LR beside the optimizer's name; a sweep for each optimizer."""
    for optimizer, seed in (("SGD", 0), ("Adam", 1)):
        for lr in LRS:
            loss = loss_curve(lr, seed)
            (tmp_path / f"{optimizer}_{lr:g}_200_history.json").write_text(json.dumps(
                {"loss": [float(v) for v in loss], "val_loss": [float(v) + 0.05 for v in loss]}))
    sweeps = sweep_json(capsys, str(tmp_path))["sweeps"]
    assert sorted(len(s["runs"]) for s in sweeps) == [4, 4]
    for sweep in sweeps:
        assert len({r["run"].split("_")[0] for r in sweep["runs"]}) == 1
        assert sorted(r["lr"] for r in sweep["runs"]) == LRS


def test_json_logs_whose_settings_beside_their_lists_differ_only_in_lr_are_a_sweep(tmp_path,
                                                                                   capsys):
    """DeepOBS writes each run's losses beside its settings (optimizer, test problem, batch
    size, LR, seed), in a folder named by a timestamp: the settings, less the LR and seed, are
    its setup. Numbers alone (an epoch count) name no model: such logs are not grouped by
    them."""
    for problem in ("cifar10_3c3d", "fmnist_2c2d"):
        for k, lr in enumerate(LRS):
            loss = loss_curve(lr, seed=k)
            run = tmp_path / problem / f"random_seed__{42 + k}__2019-02-13-15-{k:02d}-00.json"
            run.parent.mkdir(parents=True, exist_ok=True)
            run.write_text(json.dumps({
                "train_losses": [float(v) for v in loss], "optimizer": "AdamOptimizer",
                "testproblem": problem, "batch_size": 128, "num_epochs": STEPS,
                "learning_rate": lr, "random_seed": 42 + k, "hyperparams": {"beta1": 0.9}}))
    sweeps = sweep_json(capsys, str(tmp_path))["sweeps"]
    assert sorted(len(s["runs"]) for s in sweeps) == [4, 4]
    assert all(len({r["run"].split("/")[-2] for r in s["runs"]}) == 1 for s in sweeps)
    bare = tmp_path / "bare"
    for model in ("mlp", "cnn"):
        for lr in LRS:
            (bare / f"{model}_run{LRS.index(lr)}.json").parent.mkdir(exist_ok=True)
            (bare / f"{model}_run{LRS.index(lr)}.json").write_text(json.dumps({
                "loss": [float(v) for v in loss_curve(lr)], "epochs": STEPS, "lr": lr}))
    code, out, err = lrwatch(capsys, "sweep", str(bare), "--json")
    assert code == 1 and "no sweep" in err


def test_folders_named_by_a_number_alone_under_an_lr_sweep_folder_are_one_sweep(tmp_path,
                                                                                capsys):
    """``long_lr_sweep/1.0e-04/train.log`` ...: the folder of LRs names what its numbered
    folders are."""
    for lr in LRS:
        write_nanogpt_log(tmp_path / "long_lr_sweep" / f"{lr:.1e}" / "train.log", lr)
    [sweep] = sweep_json(capsys, str(tmp_path / "long_lr_sweep"))["sweeps"]
    assert sorted(r["lr"] for r in sweep["runs"]) == pytest.approx(LRS)
    check_positions(sweep)


def test_run_folders_named_with_a_commit_a_start_time_and_a_result_are_one_sweep(tmp_path,
                                                                                 capsys):
    """A sweep script names each run's folder by the commit it ran, the LR, the model's width,
    the time it started and the validation loss it reached: only the LR and the width are its
    setup, so the four runs (two commits) are one sweep, and another width is none of it."""
    for k, lr in enumerate(LRS):
        commit = ("220e953", "c709a00")[k % 2]
        stamp = f"_2026061{k}-14{k}139" if k else ""
        folder = tmp_path / "sweeps" / f"{commit}-adamw-lr{lr:g}-d512{stamp}_valloss1.{4 + k}18"
        write_nanogpt_log(folder / "train.log", lr)
    write_nanogpt_log(tmp_path / "sweeps" / "220e953-adamw-lr0.001-d1024_valloss1.31" /
                      "train.log", 1e-3, seed=3)
    [sweep] = sweep_json(capsys, str(tmp_path / "sweeps"))["sweeps"]
    assert sorted(r["lr"] for r in sweep["runs"]) == LRS
    assert not any("d1024" in r["run"] for r in sweep["runs"])
    check_positions(sweep)


def test_settings_files_with_results_trial_numbers_and_times_still_group_a_sweep(tmp_path,
                                                                                 capsys):
    """An Optuna-driven script writes each trial's settings with what the trial reached
    (``best_val_loss``, ``eval_ppl``), its trial number, start time, GPU and a name built from
    its LR and seed: none of that is how it trained, so the trials are one sweep. A different
    hidden size is another setup."""
    for k, lr in enumerate(LRS):
        folder = tmp_path / "results" / f"trial_{k}"
        write_jsonl(folder / "metrics.jsonl", lr)
        (folder / "config.json").write_text(json.dumps({
            "hid_size": 300, "optimizer": "SGD", "clip": 5.0, "lr": lr,
            "best_val_loss": 5.0 + k / 7, "eval_ppl": 140.0 + k, "trial_number": 19 + k,
            "TIMESTAMP": f"20250411_16{k}404", "DEVICE": f"cuda:{k % 2}",
            "experiment": {"name": f"grid_lr{lr:g}_s{42 + k}", "seed": 42 + k}}))
    other = tmp_path / "results" / "trial_9"
    write_jsonl(other / "metrics.jsonl", 1e-2, seed=2)
    (other / "config.json").write_text(json.dumps({"hid_size": 600, "optimizer": "SGD",
                                                   "clip": 5.0, "lr": 1e-2}))
    [sweep] = sweep_json(capsys, str(tmp_path / "results"))["sweeps"]
    assert sorted(r["run"].split("/")[-2] for r in sweep["runs"]) == [f"trial_{k}"
                                                                      for k in range(4)]
    check_positions(sweep)


def test_json_documents_whose_args_differ_only_in_lr_are_a_sweep_for_each_optimizer(tmp_path,
                                                                                    capsys):
    """A script saves each run as one JSON document: its command-line ``args`` (the optimizer,
    the LR, layer sizes as a list) beside its per-epoch ``metrics`` records, in
    ``<optimizer>-<lr>.json``: a sweep for each optimizer, the LRs read from the args."""
    for optimizer, seed in (("SGD", 0), ("Adam", 1)):
        for lr in LRS:
            (tmp_path / f"{optimizer.lower()}-{lr:g}.json").write_text(json.dumps({
                "argv": ["train.py", "--optimizer", optimizer, "--learning_rate", str(lr)],
                "args": {"seed": 79, "optimizer": optimizer, "learning_rate": lr,
                         "layer_sizes": [784, 100, 10], "run_name": f"{optimizer}_{lr}.json",
                         "output_path": str(tmp_path / f"{optimizer.lower()}-{lr:g}.json")},
                "metrics": [{"epoch": step + 1, "train_loss": float(loss)}
                            for step, loss in enumerate(loss_curve(lr, seed))]}))
    sweeps = sweep_json(capsys, str(tmp_path))["sweeps"]
    assert sorted(len(s["runs"]) for s in sweeps) == [4, 4]
    for sweep in sweeps:
        assert len({r["run"].split("-")[0] for r in sweep["runs"]}) == 1
        check_positions(sweep)


SEARCH_LRS = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]


def write_search(root: Path, lrs: list[float], dropouts: list[float]) -> None:
    """Lightning ``version_N`` folders of a study: each trial's LR, dropout and weight decay
    drawn together, its ``hparams.yaml`` holding them beside the model's fixed width."""
    decays = 10 ** np.random.default_rng(0).uniform(-4, -2, len(lrs))
    for k, (lr, dropout) in enumerate(zip(lrs, dropouts)):
        version = root / f"version_{k}"
        write_csv(version / "metrics.csv", lr, seed=k)
        (version / "hparams.yaml").write_text(
            f"lr: {lr}\ndropout: {dropout}\nweight_decay: {float(decays[k])!r}\n"
            "d_model: 492\nnum_layers: 12\n")


DRAWN = [float(v) for v in np.random.default_rng(1).uniform(0.1, 0.3, len(SEARCH_LRS))]


def test_the_trials_of_a_random_search_are_read_as_one_sweep_with_thin_evidence(tmp_path,
                                                                               capsys):
    """An Optuna study over LR, dropout and weight decay: no two trials share a setup, yet they
    are one model's runs at several LRs. ``lrwatch sweep`` reads them as one sweep and says
    which other settings varied; ``lrwatch analyze`` places each run by it but at no more than
    the confidence thin evidence earns, and says why."""
    root = tmp_path / "lightning_logs"
    write_search(root, SEARCH_LRS, DRAWN)
    [sweep] = sweep_json(capsys, str(root))["sweeps"]
    assert sorted(r["lr"] for r in sweep["runs"]) == SEARCH_LRS
    assert sweep["also_varied"] == ["dropout", "weight_decay"]
    assert BEST / 3 < sweep["best_lr"] < BEST * 3
    entries = analyze_json(capsys, str(root))
    low = entries["lightning_logs/version_0"]
    assert low["sweep"]["position"] == "too_low" and low["action"] == "increase"
    assert low["confidence"] <= 0.7
    assert any("dropout, weight_decay also differ across its runs" in line
               for line in low["evidence"])


@pytest.mark.parametrize("dropouts, why", [
    ([0.1, 0.2, 0.1, 0.2, 0.1, 0.2, 0.1], "a grid repeats its values"),
    ([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6], "values a person chose: runs of other setups"),
    (DRAWN[:4], "four trials are too few to read as a search"),
])
def test_runs_whose_other_settings_repeat_or_are_few_are_no_random_search(tmp_path, capsys,
                                                                          dropouts, why):
    root = tmp_path / "lightning_logs"
    write_search(root, SEARCH_LRS[:len(dropouts)], dropouts)
    code, out, err = lrwatch(capsys, "sweep", str(root), "--json")
    assert code == 1 and "no sweep" in err, why
