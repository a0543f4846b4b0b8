"""``LRWatch(mirror=True)`` in a real diverging run: what each real logger holds afterwards.

One fit (SGD at LR 0.4 on the small regressor, ``on_diverge="stop"``: it blows up within ten
steps) logs to CSV, TensorBoard, MLflow (a local file store) and W&B (offline) at once; each test
reads its logger's files back with that logger's own reader.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Iterator

import lightning.pytorch as lpl
import pytest
import torch

from lrwatch import LRWatch, Store, keys
from tests.helpers.models import loader, make_module, trainer
from tests.helpers.wandb_offline import of_type

pytest.importorskip("mlflow")
pytest.importorskip("wandb")


@pytest.fixture(scope="module")
def diverged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from lightning.pytorch.loggers import CSVLogger, MLFlowLogger, TensorBoardLogger, WandbLogger

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("mirror")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("WANDB_MODE", "offline")
        env.setenv("WANDB_SILENT", "true")
        env.setenv("WANDB_DIR", str(root))
        # mlflow-skinny has no SQL store; its file store is in maintenance mode, allowed on request
        env.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
        loggers = [CSVLogger(root), TensorBoardLogger(root),
                   MLFlowLogger(experiment_name="mirror", tracking_uri=f"file:{root / 'mlruns'}"),
                   WandbLogger(project="mirror", save_dir=str(root), offline=True)]
        t = trainer(lpl, [LRWatch(store=root / "s", mirror=True, on_diverge="stop")], root,
                    max_epochs=1, limit_val_batches=0, logger=loggers)
        t.fit(make_module(lpl, lr=0.4), loader(n=2048, batch_size=32))
        wandb_run_dir = Path(loggers[3].experiment.dir).parent
        loggers[3].experiment.finish()
        with Store(root / "s", readonly=True) as store:
            (run,) = store.runs()
            events = store.events(run)
        yield {"root": root, "loggers": loggers, "run": run, "events": events,
               "wandb_run_dir": wandb_run_dir}


def _stored(diverged: dict[str, Any], kind: str) -> list[Any]:
    return [e for e in diverged["events"] if e.kind == kind]


def test_the_store_still_records_every_change_and_the_stop(diverged):
    (stop,) = _stored(diverged, keys.EVENT_ACTION)
    assert stop.payload["action"] == "stop"
    assert any(e.payload["status"] == "alarm" for e in _stored(diverged, keys.EVENT_DIAGNOSIS))


def test_csv_logger_gets_the_status_and_the_stop_at_their_steps(diverged):
    (stop,) = _stored(diverged, keys.EVENT_ACTION)
    path = Path(diverged["loggers"][0].log_dir) / "metrics.csv"
    rows = list(csv.DictReader(path.open()))
    status = [(int(r["step"]), float(r["lrwatch/status"])) for r in rows if r["lrwatch/status"]]
    action = [(int(r["step"]), float(r["lrwatch/guard_action"])) for r in rows
              if r["lrwatch/guard_action"]]
    assert (stop.step, 3.0) in status  # the blow-up alarm: diverging
    assert action == [(stop.step, 1.0)]  # stopped


def test_tensorboard_gets_a_text_entry_per_note_and_the_status_scalar(diverged):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    (stop,) = _stored(diverged, keys.EVENT_ACTION)
    events = EventAccumulator(diverged["loggers"][1].log_dir, size_guidance={"tensors": 0})
    events.Reload()
    scalars = [(e.step, e.value) for e in events.Scalars("lrwatch/status")]
    assert (stop.step, 3.0) in scalars
    texts = [(e.step, e.tensor_proto.string_val[0].decode())
             for e in events.Tensors("lrwatch/text_summary")]
    stopping = [t for s, t in texts if t.startswith("lrwatch: stopping run")]
    assert len(stopping) == 1 and stop.payload["reason"] in stopping[0]
    assert any("blowing up" in t for _, t in texts)
    assert any("final verdict" in t for _, t in texts)  # the verdict at the end too


def test_mlflow_gets_tags_the_status_metric_and_a_notes_artifact(diverged):
    from mlflow import MlflowClient

    logger = diverged["loggers"][2]
    client = MlflowClient(tracking_uri=f"file:{diverged['root'] / 'mlruns'}")
    run = client.get_run(logger.run_id)
    # the last note is the final verdict: 6 steps are too short to judge
    assert run.data.tags["lrwatch.status"] == "insufficient_data"
    assert run.data.tags["lrwatch.message"].startswith("lrwatch: final verdict on run")
    history = client.get_metric_history(logger.run_id, "lrwatch/guard_action")
    (stop,) = _stored(diverged, keys.EVENT_ACTION)
    assert [(m.step, m.value) for m in history] == [(stop.step, 1.0)]
    notes = Path(client.download_artifacts(logger.run_id, "lrwatch/notes.md",
                                           str(diverged["root"]))).read_text()
    assert f"## step {stop.step}: stopped" in notes and "blowing up" in notes


def test_wandb_offline_gets_an_alert_per_note_and_the_run_summary(diverged):
    (path,) = diverged["wandb_run_dir"].glob("run-*.wandb")
    alerts = of_type(path, "alert")
    run_name = diverged["run"].name
    assert [a.title for a in alerts] == [
        f"lrwatch: run '{run_name}' now: blowing up",
        f"lrwatch: run '{run_name}' stopped at step {_stored(diverged, keys.EVENT_ACTION)[0].step}",
        f"lrwatch: run '{run_name}' final verdict: insufficient data"]
    assert [a.level for a in alerts[:2]] == ["ERROR", "ERROR"]
    summary = {u.key: u.value_json for s in of_type(path, "summary") for u in s.update}
    assert summary["lrwatch/status"] == '"insufficient_data"'


def test_without_mirror_the_loggers_get_nothing_from_lrwatch(tmp_path):
    from lightning.pytorch.loggers import CSVLogger

    torch.set_num_threads(1)
    logger = CSVLogger(tmp_path)
    t = trainer(lpl, [LRWatch(store=tmp_path / "s", on_diverge="stop")], tmp_path, max_epochs=1,
                limit_val_batches=0, logger=logger)
    t.fit(make_module(lpl, lr=0.4), loader(n=2048, batch_size=32))
    # the module logs nothing itself: with mirror=True this same run writes lrwatch's rows
    assert not (Path(logger.log_dir) / "metrics.csv").exists()
