"""``LRWatch`` and ``LRFinder`` from configuration files: the examples' LightningCLI YAML and
Hydra config, run for real (a short fit on the digits)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from lrwatch import LRFinder, LRWatch, Store

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(autouse=True)
def examples_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    """The configs name ``digits.DigitsClassifier``, as when an example runs from its folder."""
    torch.set_num_threads(1)
    monkeypatch.syspath_prepend(str(EXAMPLES))
    monkeypatch.delenv("LRWATCH_STORE", raising=False)
    monkeypatch.delenv("LRWATCH_ALERT", raising=False)


def _runs(root: Path) -> dict[str, object]:
    with Store(root / "lrwatch_logs", readonly=True) as store:
        return {run.name: run for run in store.runs()}


def test_lightning_cli_yaml_configures_finder_and_watch(tmp_path):
    pytest.importorskip("jsonargparse")
    from digits import DigitsClassifier, DigitsData
    from lightning.pytorch.cli import LightningCLI

    config = EXAMPLES / "configs" / "lightning_cli.yaml"
    cli = LightningCLI(DigitsClassifier, DigitsData, args=[
        "fit", "--config", str(config), "--trainer.default_root_dir", str(tmp_path),
        "--trainer.max_steps", "30"])
    (finder,) = [c for c in cli.trainer.callbacks if isinstance(c, LRFinder)]
    (watch,) = [c for c in cli.trainer.callbacks if isinstance(c, LRWatch)]
    wanted = yaml.safe_load(config.read_text())["trainer"]["callbacks"]
    told = wanted[1]["init_args"]
    assert (watch.name, watch.guard_config.on_diverge, watch.mirror, watch.alert,
            watch.classes) == (told["name"], told["on_diverge"], False, None, told["classes"])
    assert finder.num_training == wanted[0]["init_args"]["num_training_steps"]
    runs = _runs(tmp_path)
    assert runs["digits-cli"].steps == 30 and runs["digits-cli"].meta["classes"] == 10
    assert "digits-cli-range-test" in runs  # named after the run it precedes
    suggested = finder.result.reading.suggested_lr
    assert suggested is not None and cli.model.hparams.lr == pytest.approx(suggested)


@pytest.mark.parametrize("key, value", [("on_diverge", "explode"), ("classes", "ten")])
def test_lightning_cli_refuses_a_wrong_value_before_training(tmp_path, capsys, key, value):
    """A value the argument's type refuses (a choice, an int) stops LightningCLI before any
    training, with the key named."""
    pytest.importorskip("jsonargparse")
    from digits import DigitsClassifier, DigitsData
    from lightning.pytorch.cli import LightningCLI

    config = yaml.safe_load((EXAMPLES / "configs" / "lightning_cli.yaml").read_text())
    config["trainer"]["callbacks"][1]["init_args"][key] = value
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(SystemExit) as exit_:
        LightningCLI(DigitsClassifier, DigitsData, args=["fit", "--config", str(path)])
    assert exit_.value.code != 0
    err = capsys.readouterr().err
    assert f'Parser key "{key}"' in err and value in err
    assert not (tmp_path / "lrwatch_logs").exists()


def test_hydra_instantiates_the_trainer_with_lrwatch(tmp_path, monkeypatch):
    pytest.importorskip("hydra")
    from digits import DigitsClassifier, digits_loaders
    from hydra import compose, initialize_config_dir
    from hydra.utils import instantiate

    monkeypatch.setenv("LRWATCH_ALERT", "https://hooks.example.com/services/x")
    with initialize_config_dir(config_dir=str(EXAMPLES / "configs" / "hydra"), version_base=None):
        cfg = compose("train", overrides=[f"+trainer.default_root_dir={tmp_path}",
                                          "trainer.max_steps=20",
                                          "trainer.callbacks.0.on_diverge=recover"])
    trainer = instantiate(cfg.trainer)
    (watch,) = [c for c in trainer.callbacks if isinstance(c, LRWatch)]
    assert watch.guard_config.on_diverge == "recover" and watch.classes == 10
    assert watch.alert == "https://hooks.example.com/services/x"  # from the environment
    watch.alert = None  # nothing listens there: this test is about the configuration
    trainer.fit(DigitsClassifier(**cfg.model), *digits_loaders())
    run = _runs(tmp_path)["digits-hydra"]
    assert run.steps == 20 and run.meta["classes"] == 10
