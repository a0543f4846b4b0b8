"""``lrwatch sweep`` and the sweep advice of ``lrwatch analyze`` on real logs: one Lightning model
trained at six learning rates, logged by CSVLogger (``lightning_logs/version_N`` with
``hparams.yaml``) and recorded by LRWatch into a store."""

from __future__ import annotations

import importlib
import json
import math
from pathlib import Path

import pytest

from lrwatch import LRWatch
from lrwatch.sweep_advice import SWEEP_CONFIDENCE
from tests.helpers.cli import lrwatch
from tests.unit.readers.training import train_tiny

LRS = [3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]  # SGD, momentum 0.9: 0.1 blows up (tried here)
POSITIONS = {"too_low", "near_best", "too_high", "diverged"}


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The six trainings, each into ``lightning_logs/version_N`` and the store ``lrwatch_logs``;
    then one run of another setup (Adam) into both."""
    pl = importlib.import_module("lightning.pytorch")
    root = tmp_path_factory.mktemp("sweep")
    for lr in LRS:
        train_tiny(pl, root, lr=lr, epochs=4, batches=12, tensorboard=False,
                   callbacks=(LRWatch(store=root / "lrwatch_logs", name=f"lr{lr:g}"),))
    train_tiny(pl, root, lr=1e-2, optimizer="Adam", epochs=4, batches=12, tensorboard=False,
               callbacks=(LRWatch(store=root / "lrwatch_logs", name="adam"),))
    return root



def sweep_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    code, out, err = lrwatch(capsys, "sweep", *args, "--json")
    assert code == 0, err
    return json.loads(out, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))


def check_sweep(sweep: dict) -> None:
    """What a user checks: the six LRs, the best inside the grid, a too-low run told so."""
    runs = sweep["runs"]
    assert [r["lr"] for r in runs] == pytest.approx(LRS)
    assert {r["position"] for r in runs} <= POSITIONS
    assert LRS[0] < sweep["best_lr"] < LRS[-1]
    assert sweep["best_lr_low"] <= sweep["best_lr"] <= sweep["best_lr_high"]
    assert sweep["edge"] is None and sweep["flat"] is False
    slowest = runs[0]
    assert slowest["position"] == "too_low"
    assert slowest["suggested_lr"] == pytest.approx(sweep["best_lr"])
    finite = [r for r in runs if r["position"] != "diverged"]
    best_run = min(finite, key=lambda r: r["final_loss"])
    assert best_run["position"] == "near_best"
    assert abs(math.log10(best_run["lr"] / sweep["best_lr"])) <= 0.5
    for r in runs:  # positions agree with the factor to the estimate
        if r["position"] == "too_low":
            assert r["lr"] < sweep["best_lr"]
        if r["position"] == "too_high":
            assert r["lr"] > sweep["best_lr"]


def test_a_lightning_logs_folder_of_versions_is_read_as_one_sweep(sweep_dir, capsys):
    document = sweep_json(capsys, str(sweep_dir / "lightning_logs"))
    assert len(document["sweeps"]) == 1
    sweep = document["sweeps"][0]
    check_sweep(sweep)
    # the Adam run's hparams.yaml names another optimizer: another setup, left out with why
    assert [e["run"] for e in document["left_out"]] == ["lightning_logs/version_6"]
    assert "setup" in document["left_out"][0]["reason"]


def test_a_store_finds_the_same_sweep_from_its_run_metadata(sweep_dir, capsys):
    from_store = sweep_json(capsys, str(sweep_dir / "lrwatch_logs"))["sweeps"]
    from_csv = sweep_json(capsys, str(sweep_dir / "lightning_logs"))["sweeps"]
    assert len(from_store) == 1
    check_sweep(from_store[0])
    assert [r["run"] for r in from_store[0]["runs"]] == [f"lr{lr:g}" for lr in LRS]
    assert from_store[0]["best_lr"] == pytest.approx(from_csv[0]["best_lr"], rel=0.5)
    assert [r["position"] for r in from_store[0]["runs"]] == [
        r["position"] for r in from_csv[0]["runs"]]


def test_runs_named_one_by_one_are_taken_as_one_sweep(sweep_dir, capsys):
    versions = [str(sweep_dir / "lightning_logs" / f"version_{i}") for i in (0, 2, 4)]
    sweeps = sweep_json(capsys, *versions)["sweeps"]
    assert len(sweeps) == 1
    assert [r["lr"] for r in sweeps[0]["runs"]] == pytest.approx([LRS[0], LRS[2], LRS[4]])


def test_the_table_shows_each_run_and_the_estimate(sweep_dir, capsys):
    code, out, err = lrwatch(capsys, "sweep", str(sweep_dir / "lrwatch_logs"))
    assert code == 0, err
    assert "best LR about" in out
    for lr in LRS:
        assert f"lr{lr:g}" in out
    assert "too_low" in out and "left out" in out and "adam" in out


def test_analyze_gives_a_run_of_a_sweep_the_sweeps_advice(sweep_dir, capsys):
    code, out, err = lrwatch(capsys, "analyze", str(sweep_dir / "lightning_logs"), "--json")
    assert code == 0, err
    entries = {e["run"]: e for e in json.loads(out)["runs"]}
    slowest = entries["lightning_logs/version_0"]
    assert slowest["sweep"]["position"] == "too_low"
    assert slowest["action"] == "increase"
    assert slowest["evidence"][0].startswith("too low in a sweep of 6 runs")
    assert slowest["suggested_lr"] == pytest.approx(slowest["sweep"]["best_lr"])
    # the status says what the sweep says: too low is "stalled", whatever its own curve read
    # at the confidence full evidence earns (0.85; 0.7 where thin: round 26)
    assert slowest["status"] == "stalled"
    assert slowest["confidence"] == pytest.approx(SWEEP_CONFIDENCE)
    assert slowest["sweep"]["run_status"] in {"healthy", "stalled", "insufficient_data"}
    for entry in entries.values():
        if entry["sweep"] and not entry["sweep"]["flat"]:
            assert entry["status"] == {"too_low": "stalled", "near_best": "healthy",
                                       "diverged": "diverging"}.get(
                entry["sweep"]["position"], entry["status"])
    adam = entries["lightning_logs/version_6"]
    assert adam["sweep"] is None  # the Adam run: no sweep, its own reading


def test_no_sweep_among_the_runs_is_one_line_error(sweep_dir, capsys):
    code, out, err = lrwatch(capsys, "sweep", str(sweep_dir / "lightning_logs" / "version_0"))
    assert code == 1
    assert err.count("\n") == 1 and "no sweep in" in err and "a sweep needs 3 runs" in err
    assert "--as-one" not in err  # one run: no way of taking it makes a sweep


def test_the_dashboard_shows_the_sweep_and_a_click_on_a_point_opens_its_run(sweep_dir):
    from lrwatch.dashboard.app import create_app, page_for
    from lrwatch.dashboard.data import DataSource

    store_path = sweep_dir / "lrwatch_logs"
    page = page_for(DataSource(store_path), "/sweeps", "")
    graphs = [c for c in _walk(page) if type(c).__name__ == "Graph"]
    assert len(graphs) == 1
    figure = graphs[0].figure
    points = [(x, href) for trace in figure["data"] if trace.get("mode") == "markers"
              and trace.get("customdata") for x, href in zip(trace["x"], trace["customdata"])]
    assert sorted(x for x, _ in points) == pytest.approx(LRS)  # every run, the Adam one not
    assert all(href.startswith("/run/") for _, href in points)
    assert any(s["type"] == "rect" for s in figure["layout"]["shapes"])  # the band
    links = [c.href for c in _walk(page) if type(c).__name__ == "Link"]
    assert sorted(links) == sorted(href for _, href in points)

    client = create_app(store_path).server.test_client()
    client.get("/")
    graph_id = {"index": 0, "type": "sweep-graph"}
    click = {"points": [{"x": points[0][0], "customdata": points[0][1]}]}
    response = client.post("/_dash-update-component", json={
        "output": "sweep-nav.href", "outputs": {"id": "sweep-nav", "property": "href"},
        "inputs": [[{"id": graph_id, "property": "clickData", "value": click}]],
        "state": [], "changedPropIds": [json.dumps(graph_id, separators=(",", ":"))
                                        + ".clickData"]})
    assert response.status_code == 200, response.data
    assert response.json["response"]["sweep-nav"]["href"] == points[0][1]


def _walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, str):
            yield from _walk(child)


def test_a_run_named_twice_counts_once(sweep_dir, capsys):
    logs = sweep_dir / "lightning_logs"
    sweeps = sweep_json(capsys, str(logs / "version_0"), str(logs))["sweeps"]
    assert len(sweeps) == 1 and len(sweeps[0]["runs"]) == len(LRS)
    code, out, err = lrwatch(capsys, "analyze", str(logs / "version_0"), str(logs), "--json")
    entries = json.loads(out)["runs"]
    assert {e["sweep"]["runs"] for e in entries if e["sweep"]} == {len(LRS)}
    assert entries[0]["sweep"]["position"] == entries[1]["sweep"]["position"] == "too_low"


def write_version(folder: Path, lr: float, final: float, seed: int) -> None:
    """A CSVLogger-shaped version folder (metrics.csv, hparams.yaml) with a made-up curve
    falling to ``final``: for the shapes a short real training does not give on demand."""
    import numpy as np

    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    steps = np.arange(400)
    loss = (final + (2.5 - final) * np.exp(-steps / 60)) * (1 + 0.02 * rng.standard_normal(400))
    folder.joinpath("metrics.csv").write_text("step,train_loss,lr-AdamW\n" + "".join(
        f"{s},{v:.6f},{lr}\n" for s, v in zip(steps, loss)))
    folder.joinpath("hparams.yaml").write_text(f"lr: {lr}\nhidden: 64\noptimizer: AdamW\n")


@pytest.mark.parametrize("finals, flat, edge", [
    ([0.80, 0.80, 0.80, 0.80, 0.80], True, None),  # the LR is not what limits this model
    ([1.60, 1.20, 0.95, 0.85, 0.80], False, "high"),  # still improving at the top LR
    ([0.80, 0.90, 1.10, 1.40, 1.90], False, "low"),
])
def test_flat_and_edge_sweeps_in_log_folders(tmp_path, capsys, finals, flat, edge):
    lrs = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2]
    for i, (lr, final) in enumerate(zip(lrs, finals)):
        write_version(tmp_path / "lightning_logs" / f"version_{i}", lr, final, seed=i)
    sweep = sweep_json(capsys, str(tmp_path / "lightning_logs"))["sweeps"][0]
    assert sweep["flat"] is flat and sweep["edge"] == edge
    code, out, err = lrwatch(capsys, "analyze", str(tmp_path / "lightning_logs"), "--json")
    entries = json.loads(out)["runs"]
    if flat:
        assert {r["position"] for r in sweep["runs"]} == {"near_best"}
        assert [r["suggested_lr"] for r in sweep["runs"]] == pytest.approx(lrs)
        assert all(e["action"] == "keep" and "flat sweep" in e["evidence"][0] for e in entries)
        assert {e["status"] for e in entries} == {"healthy"}  # the LR is not what limits it
    else:
        best = lrs[-1] if edge == "high" else lrs[0]
        assert sweep["best_lr"] == pytest.approx(best)
        far = entries[0] if edge == "high" else entries[-1]
        assert far["action"] == ("increase" if edge == "high" else "reduce")
        assert f"the best is at the {edge} end of the grid" in far["evidence"][0]


def test_analyze_of_one_run_still_reads_its_sweep(sweep_dir, capsys):
    code, out, err = lrwatch(capsys, "analyze", str(sweep_dir / "lrwatch_logs"), "--run",
                             f"lr{LRS[0]:g}", "--json")
    assert code == 0, err
    (entry,) = json.loads(out)["runs"]
    assert entry["sweep"]["position"] == "too_low" and entry["sweep"]["runs"] == len(LRS)
    assert entry["action"] == "increase"


def test_a_one_decade_grid_puts_the_best_between_its_points_and_its_band_around_it(tmp_path,
                                                                                  capsys):
    """Final losses on a bowl that rises twice as fast above the best LR as below it (the
    benchmark's sweeps rise faster above), the best at 10^-2.6, LRs a decade apart: the
    estimate lies within 2x of it and its band holds it (the symmetric parabola's band, 0.1
    decade each side of an estimate 0.14 decade low, did not)."""
    lrs = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1]
    for i, lr in enumerate(lrs):
        u = math.log10(lr) + 2.6
        final = 0.8 * math.exp(0.3 * u * u * (2.0 if u > 0 else 1.0))
        write_version(tmp_path / "lightning_logs" / f"version_{i}", lr, final, seed=i)
    sweep = sweep_json(capsys, str(tmp_path / "lightning_logs"))["sweeps"][0]
    assert abs(math.log10(sweep["best_lr"]) + 2.6) <= math.log10(2)
    assert sweep["best_lr_low"] <= 10 ** -2.6 <= sweep["best_lr_high"]
    assert [r["position"] for r in sweep["runs"]][:2] == ["too_low", "too_low"]


def write_bowl(root: Path, lrs: list[float], finals: list[float], same_setup: bool) -> list[str]:
    """Smooth runs falling to a bowl of final losses; each with a setup of its own unless
    ``same_setup`` (a dropout of its own in its hparams.yaml; a seed would not part them)."""
    folders = []
    for i, (lr, final) in enumerate(zip(lrs, finals)):
        folder = root / f"run_{i}" / "lightning_logs" / "version_0"
        write_version(folder, lr, final, seed=i)
        if not same_setup:
            with folder.joinpath("hparams.yaml").open("a") as f:
                f.write(f"dropout: 0.{i}\n")
        folders.append(str(folder))
    return folders


def test_analyze_as_one_reads_runs_of_different_setups_as_one_sweep(tmp_path, capsys):
    """Five smooth runs whose final losses make a bowl: alone, each run's curve looks alike;
    read as one sweep, the runs below the best are stalled and those above it oscillating,
    and each says what its own curve read."""
    lrs = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2]
    folders = write_bowl(tmp_path, lrs, [1.40, 1.00, 0.80, 1.00, 1.40], same_setup=False)
    code, out, err = lrwatch(capsys, "analyze", *folders, "--json")
    assert code == 0, err
    assert all(e["sweep"] is None for e in json.loads(out)["runs"])  # no setup in common
    code, out, err = lrwatch(capsys, "analyze", *folders, "--as-one", "--json")
    assert code == 0, err
    entries = json.loads(out)["runs"]
    assert [e["sweep"]["position"] for e in entries] == [
        "too_low", "too_low", "near_best", "too_high", "too_high"]
    assert [e["status"] for e in entries] == [
        "stalled", "stalled", "healthy", "oscillating", "oscillating"]
    assert [e["action"] for e in entries] == ["increase", "increase", "keep", "reduce", "reduce"]
    for e in entries:
        own = e["sweep"]["run_status"]
        assert own != "oscillating"  # smooth curves: no run alone reads too high
        if e["status"] != own:
            assert e["evidence"][1].startswith(f"its own curve alone reads {own}")
            assert e["since_step"] is None


def test_analyze_as_one_with_too_few_lrs_is_a_one_line_error(tmp_path, capsys):
    folders = write_bowl(tmp_path, [1e-3, 1e-3, 3e-3], [1.0, 1.0, 0.9], same_setup=False)
    code, out, err = lrwatch(capsys, "analyze", *folders, "--as-one")
    assert code == 1
    assert err.count("\n") == 1 and "--as-one" in err and "2 different LRs" in err


def test_a_run_level_with_the_best_is_not_told_to_move_on_its_lr_alone(tmp_path, capsys):
    """Six runs over two decades, the four middle ones ending level (within their noise): the
    sweep cannot rank the level runs against the best, so none of them is told to move its LR
    (a public sweep level over 0.02-4.8 told its run at 0.02 "increase 100x") nor to keep it;
    each keeps its own curve's status; the best run keeps its LR, and the runs the sweep does
    rank are moved."""
    lrs = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2]
    folders = write_bowl(tmp_path, lrs, [1.60, 0.801, 0.800, 0.800, 0.802, 1.60],
                         same_setup=True)
    code, out, err = lrwatch(capsys, "analyze", *folders, "--json")
    assert code == 0, err
    entries = json.loads(out)["runs"]
    level = [e for e in entries if e["sweep"]["position"] != "near_best"
             and 3e-4 <= e["peak_lr"] <= 1e-2]
    assert level  # at least one level run sits more than half a decade from the estimate
    actions = [e["action"] for e in entries[1:5]]
    assert sorted(actions) == ["keep", "range_test", "range_test", "range_test"]  # keep: the best
    for e in entries[1:5]:
        if e["action"] == "range_test":
            assert e["suggested_lr"] is None and "cannot rank it" in e["evidence"][0]
            assert e["status"] == e["sweep"]["run_status"]
    assert entries[0]["action"] == "increase" and entries[0]["status"] == "stalled"
    assert entries[-1]["action"] == "reduce"


def test_a_training_ends_with_where_it_stands_among_the_stores_runs_of_its_setup(sweep_dir):
    """LRWatch's last word on each run, beside its final verdict: once the store holds runs of
    the run's setup at three LRs or more, a second final event says where this run stands among
    them, as ``lrwatch analyze`` reads a run beside its sweep. The first two runs (no sweep yet)
    and the Adam run (another setup) have none."""
    from lrwatch import keys
    from lrwatch.store import Store

    with Store(sweep_dir / "lrwatch_logs", readonly=True) as store:
        said = {info.name: [e.payload for e in store.events(info, kind=keys.EVENT_DIAGNOSIS)
                            if e.payload.get("final") and e.payload.get("sweep")]
                for info in store.runs()}
    names = [f"lr{lr:g}" for lr in LRS]
    assert said[names[0]] == said[names[1]] == said["adam"] == []
    for k, name in enumerate(names[2:], start=3):  # the k-th run sees a sweep of k runs
        (last,) = said[name]
        assert last["sweep"]["runs"] == k
        assert last["message"].startswith(
            f"lrwatch: run '{name}' beside the {k - 1} other runs of its setup in the store: ")
    final = said[names[-1]][0]  # the sixth: the whole sweep, as analyze reads it
    code_entry = final["sweep"]
    assert code_entry["position"] in POSITIONS
    assert final["status"] == {"too_low": "stalled", "near_best": "healthy",
                               "diverged": "diverging"}.get(code_entry["position"],
                                                            final["status"])


def test_analyze_reads_the_other_runs_of_a_sweep_as_it_reads_the_one_chosen(tmp_path, capsys):
    """With --run picking one log, the other logs complete its sweep: they are read with the
    same --pattern (a layout no preset knows), or the sweep would have one run."""
    lrs, ends = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2], [1.40, 1.00, 0.80, 1.00, 1.40]
    for lr, end in zip(lrs, ends):
        lines = [f"it={s} obj={end + (2.3 - end) * math.exp(-s / 60):.5f} rate={lr}"
                 for s in range(0, 600, 5)]
        (tmp_path / f"lr{lr}.log").write_text("\n".join(lines) + "\n")
    pattern = r"it=(?P<step>\d+) obj=(?P<loss>\S+) rate=(?P<lr>\S+)"
    code, out, err = lrwatch(capsys, "analyze", str(tmp_path), "--pattern", pattern,
                             "--run", "lr0.01", "--as-one", "--json")
    assert code == 0, err
    (entry,) = json.loads(out)["runs"]
    assert entry["sweep"]["position"] == "too_high"
    assert entry["action"] == "reduce"


def test_a_sweep_whose_every_run_diverged_leaves_each_run_its_own_reading(tmp_path, capsys):
    """Every LR of the grid blew up to NaN: the sweep names no best LR, so ``analyze`` keeps
    each run's own diagnosis (diverging, reduce) and says what the sweep could not tell;
    ``lrwatch sweep`` says the same in its summary."""
    import numpy as np

    for k, lr in enumerate([0.3, 1.0, 3.0]):
        folder = tmp_path / "lightning_logs" / f"version_{k}"
        folder.mkdir(parents=True)
        steps = np.arange(200)
        loss = np.where(steps < 60 - 15 * k, 2.5 * np.exp(steps / 40), np.nan)
        folder.joinpath("metrics.csv").write_text("step,train_loss,lr-SGD\n" + "".join(
            f"{s},{v:.6f},{lr}\n" for s, v in zip(steps, loss)))
        folder.joinpath("hparams.yaml").write_text(f"lr: {lr}\nhidden: 64\noptimizer: SGD\n")
    code, out, err = lrwatch(capsys, "analyze", str(tmp_path / "lightning_logs"), "--json")
    assert code == 0, err
    for entry in json.loads(out)["runs"]:
        assert entry["status"] == "diverging" and entry["action"] == "reduce"
        assert any("no run reached step" in line and "no best LR" in line
                   for line in entry["evidence"])
    [sweep] = sweep_json(capsys, str(tmp_path / "lightning_logs"))["sweeps"]
    assert sweep["best_lr"] is None and "no best LR" in sweep["summary"]
    assert {r["position"] for r in sweep["runs"]} == {"diverged"}
