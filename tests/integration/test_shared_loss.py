"""Several optimizers that step one loss together (a Muon + AdamW hybrid: Muon for the weight
matrices, AdamW for the rest) are not a GAN: with ``shared_loss=True`` the loss is judged, live
and by ``lrwatch analyze``, against the Muon's LR; without it they get no LR verdict, as a GAN."""

from __future__ import annotations

import json
from typing import Any

import lightning.pytorch as lpl
import pytest
import torch
from click.testing import CliRunner

from lrwatch import ConfigError, LRWatch, Store, Watch, figures, keys
from lrwatch.cli import cli
from lrwatch.engine import judged_optimizer
from lrwatch.readers import judged_lr
from tests.helpers.models import loader, spiky_loader, trainer

MUON_LR, ADAMW_LR = 0.02, 3e-3


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 32),
                               torch.nn.ReLU(), torch.nn.Linear(32, 1))


def _hybrid(model: torch.nn.Module) -> list[torch.optim.Optimizer]:
    """AdamW first (as modded-nanogpt lists them) for biases and the head, Muon for the
    hidden weight matrices."""
    matrices = [model[0].weight, model[2].weight]
    rest = [p for p in model.parameters() if all(p is not m for m in matrices)]
    return [torch.optim.AdamW(rest, lr=ADAMW_LR), torch.optim.Muon(matrices, lr=MUON_LR)]


def _train(watch: Watch, model: torch.nn.Module, optimizers: list[torch.optim.Optimizer],
           epochs: int = 1) -> None:
    """A hybrid's plain loop: one backward, every optimizer steps, then ``watch.step``."""
    with watch:
        for _ in range(epochs):
            for x, y in loader():
                loss = torch.nn.functional.mse_loss(model(x), y)
                for optimizer in optimizers:
                    optimizer.zero_grad()
                loss.backward()
                for optimizer in optimizers:
                    optimizer.step()
                watch.step(loss)


def _analyze_json(path: Any) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["analyze", str(path), "--json"])
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.output)["runs"]
    return entry


def _final_status(path: Any) -> str:
    store = Store(path, readonly=True)
    (run,) = store.runs()
    (final,) = [e for e in store.events(run, kind=keys.EVENT_DIAGNOSIS) if e.payload.get("final")]
    return final.payload["status"]


@pytest.mark.parametrize("shared_loss", [True, False])
def test_a_muon_adamw_loop_is_judged_against_muons_lr_when_its_loss_is_shared(tmp_path,
                                                                            shared_loss):
    model = _model()
    optimizers = _hybrid(model)
    _train(Watch(model, optimizers, store=tmp_path / "s", shared_loss=shared_loss,
                 check_every_n_steps=40), model, optimizers, epochs=20)
    entry = _analyze_json(tmp_path / "s")
    if shared_loss:
        (run,) = Store(tmp_path / "s", readonly=True).runs()
        assert (run.meta["judged_optimizer"], run.meta["optimizer"]) == (1, "Muon")
        assert entry["status"] != "no_lr_verdict" and entry["current_lr"] == MUON_LR, entry
        assert entry["columns"]["lr"] == "lr@Muon" and entry["columns"]["optimizer"] == "Muon"
        assert _final_status(tmp_path / "s") == entry["status"]  # live, the same verdict
    else:
        assert entry["status"] == "no_lr_verdict" and "2 optimizers" in entry["rationale"]
        assert "shared_loss=True" in entry["rationale"]
        assert _final_status(tmp_path / "s") == "no_lr_verdict"


class HybridModule(lpl.LightningModule):
    """Manual optimization: one backward, both optimizers step, the loss returned."""

    def __init__(self) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.net = _model()

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        optimizers = self.optimizers()
        for optimizer in optimizers:
            optimizer.zero_grad()
        self.manual_backward(loss)
        for optimizer in optimizers:
            optimizer.step()
        return loss

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        return _hybrid(self.net)


def test_lrwatch_judges_a_lightning_hybrid_with_shared_loss(tmp_path):
    t = trainer(lpl, [LRWatch(store=tmp_path / "s", shared_loss=True)], tmp_path, max_epochs=20)
    t.fit(HybridModule(), loader())
    entry = _analyze_json(tmp_path / "s")
    assert entry["status"] != "no_lr_verdict" and entry["current_lr"] == MUON_LR, entry
    assert _final_status(tmp_path / "s") == entry["status"]


def test_judged_optimizer():
    model = _model()
    adamw, muon = _hybrid(model)
    sgd = torch.optim.SGD(model.parameters(), lr=0.1)
    assert judged_optimizer([sgd], shared_loss=False) == 0
    assert judged_optimizer([adamw, muon], shared_loss=False) is None  # a GAN's pair
    assert judged_optimizer([adamw, muon], shared_loss=True) == 1  # Muon steps the matrices
    assert judged_optimizer([sgd, adamw], shared_loss=True) == 0  # no Muon: the first


def test_shared_loss_must_be_a_bool():
    with pytest.raises(ConfigError, match="shared_loss"):
        LRWatch(shared_loss="yes")  # type: ignore[arg-type]


def _diverging_hybrid_loop(path: Any, on_diverge: str) -> list[torch.optim.Optimizer]:
    """A [AdamW, Muon] loop whose Muon's LR is far too high, clipped between backward and step
    (``before_step`` / ``after_step``); its optimizers."""
    model = _model()
    adamw, muon = optimizers = _hybrid(model)
    muon.param_groups[0]["lr"] = 5.0
    with Watch(model, optimizers, store=path, shared_loss=True, on_diverge=on_diverge,
               check_every_n_steps=8, snapshot_every_n_steps=16) as watch:
        for _ in range(4):
            for x, y in loader():
                loss = torch.nn.functional.mse_loss(model(x), y)
                for optimizer in optimizers:
                    optimizer.zero_grad()
                loss.backward()
                watch.before_step()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                for optimizer in optimizers:
                    optimizer.step()
                watch.after_step(loss)
                if watch.should_stop:
                    return optimizers
    return optimizers


def test_a_recovery_of_a_hybrid_scales_both_lrs_and_reports_the_muons(tmp_path):
    adamw, muon = _diverging_hybrid_loop(tmp_path / "s", "recover")
    assert muon.param_groups[0]["lr"] < 5.0 and adamw.param_groups[0]["lr"] < ADAMW_LR
    factor = muon.param_groups[0]["lr"] / 5.0
    assert adamw.param_groups[0]["lr"] == pytest.approx(ADAMW_LR * factor)
    store = Store(tmp_path / "s", readonly=True)
    (run,) = store.runs()
    (action,) = store.events(run, kind=keys.EVENT_ACTION)
    assert (action.payload["lr_before"], action.payload["lr_after"]) == (
        5.0, muon.param_groups[0]["lr"])  # the Muon's, which the loss is judged against
    assert f"(5 -> {muon.param_groups[0]['lr']:.3g})" in action.payload["message"]
    entry = _analyze_json(tmp_path / "s")
    assert entry["current_lr"] == muon.param_groups[0]["lr"]
    assert f"LR 5 -> {muon.param_groups[0]['lr']:.3g}" in entry["evidence"][0]
    ((_, summary),) = store.run_list()  # lrwatch runs: the Muon's LR since the recovery
    assert summary.peak_lr == muon.param_groups[0]["lr"]


def test_the_run_list_shows_a_lightning_hybrids_muon_lr(tmp_path):
    """``lrwatch runs`` (the stored summary the dashboard's run list reads too) gives the LR
    the verdict is relative to: the Muon's, though AdamW comes first."""
    t = trainer(lpl, [LRWatch(store=tmp_path / "s", shared_loss=True)], tmp_path, max_epochs=2)
    t.fit(HybridModule(), loader())
    store = Store(tmp_path / "s", readonly=True)
    ((run, summary),) = store.run_list()
    assert summary.peak_lr == MUON_LR and judged_lr(store, run) == MUON_LR
    result = CliRunner().invoke(cli, ["runs", str(tmp_path / "s")])
    assert result.exit_code == 0 and "0.02 " in result.output.splitlines()[1], result.output


@pytest.mark.parametrize("shared_loss", [True, False])
def test_a_hybrids_figures_name_each_optimizers_lines(tmp_path, shared_loss):
    """The LR panel of an [AdamW, Muon] run draws AdamW's plain ``lr`` as ``lr@AdamW`` (not a
    bare ``lr`` the reader takes for the LR judged), the Muon's marked as judged; a GAN's
    (no shared loss) marks none. ``lrwatch export`` puts the judged LR next to the loss."""
    model = _model()
    optimizers = _hybrid(model)
    _train(Watch(model, optimizers, store=tmp_path / "s", shared_loss=shared_loss), model,
           optimizers)
    store = Store(tmp_path / "s", readonly=True)
    (run,) = store.runs()
    muon = "lr@Muon (judged)" if shared_loss else "lr@Muon"
    assert [t.name for t in figures.run_figure(store, run, "lr").data][:2] == ["lr@AdamW", muon]
    overview = [t.name for t in figures.run_figure(store, run, "overview").data]
    assert "grad_norm@AdamW" in overview and "lr" not in overview
    exported = CliRunner().invoke(cli, ["export", str(tmp_path / "s"), "--run", run.name,
                                        "-o", "-"])
    assert exported.exit_code == 0, exported.output
    header = exported.output.splitlines()[0].split(",")[:4]  # the judged LR leads
    assert header == (["step", "loss", "lr@Muon", "lr"] if shared_loss else
                      ["step", "loss", "lr", "beta2"])


def test_the_report_of_a_lightning_hybrid_names_both_optimizers_and_the_judged_one(tmp_path):
    """The report's header (and the dashboard's run line) said only 'Muon' of an [AdamW, Muon]
    run; it names both, and whose LR the verdict reads."""
    t = trainer(lpl, [LRWatch(store=tmp_path / "s", shared_loss=True)], tmp_path, max_epochs=2)
    t.fit(HybridModule(), loader())
    result = CliRunner().invoke(cli, ["report", str(tmp_path / "s"), "-o",
                                      str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "r.html").read_text()
    assert "AdamW + Muon (LR judged: Muon&#x27;s)" in page


def test_comparing_hybrids_overlays_each_ones_muon_lr(tmp_path):
    """The compare view (``lrwatch report`` of several runs, the dashboard's compare page) of
    two [AdamW, Muon] runs at two Muon LRs drew each one's AdamW LR (the same 3e-3 twice)."""
    for muon_lr in (0.01, 0.04):
        model = _model()
        optimizers = _hybrid(model)
        optimizers[1].param_groups[0]["lr"] = muon_lr
        _train(Watch(model, optimizers, store=tmp_path / "s", name=f"muon-{muon_lr}",
                     shared_loss=True), model, optimizers)
    store = Store(tmp_path / "s", readonly=True)
    figure = figures.compare_figure(store, store.runs(), "lr")
    assert [(t.name, float(max(t.y))) for t in figure.data] == [
        ("muon-0.01 lr@Muon", 0.01), ("muon-0.04 lr@Muon", 0.04)]


def test_on_spike_skip_drops_every_optimizers_update_of_a_hybrids_outlier_step(tmp_path):
    """The step's loss was judged at the first optimizer's step and used up there: the AdamW's
    update of an outlier step was dropped, the Muon's (the weight matrices) made."""
    model = _model()
    optimizers = _hybrid(model)
    unchanged = []
    with Watch(model, optimizers, store=tmp_path / "s", shared_loss=True,
               on_spike="skip") as watch:
        for _ in range(3):
            for x, y in spiky_loader():
                loss = torch.nn.functional.mse_loss(model(x), y)
                for optimizer in optimizers:
                    optimizer.zero_grad()
                loss.backward()
                watch.before_step(loss)
                before = [p.detach().clone() for p in model.parameters()]
                for optimizer in optimizers:
                    optimizer.step()
                if any(torch.equal(b, p) for b, p in zip(before, model.parameters())):
                    unchanged.append((watch.step_index, [torch.equal(b, p) for b, p in
                                                         zip(before, model.parameters())]))
                watch.after_step()
    store = Store(tmp_path / "s", readonly=True)
    (run,) = store.runs()
    skipped = [e.step for e in store.events(run, kind=keys.EVENT_ACTION)
               if e.payload.get("action") == "skip"]
    assert skipped and [step for step, _ in unchanged] == skipped
    assert all(all(same) for _, same in unchanged), unchanged  # no parameter moved
