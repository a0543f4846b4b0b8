"""Round 42: two ways a run was told the wrong thing at its very start.

- A log that ends while the LR still warms up (a live run early in its schedule) was told
  "stalled, increase ~3x" from the place of the LR reached so far (76 of 374 prefixes ending in
  a warmup, every side through round 47): where the LR sits is known once it peaks, so the run
  reads healthy and keeps its schedule; a blow-up in warmup is still read.
- A log that ends on a NaN/inf gradient norm (a trainer that stops there logs that step last)
  read "insufficient data, keep" with two points (round 47's L2-SP fine-tune at SGD 1): it
  diverged there. A NaN/inf gradient norm the run went on from (fp16 AMP
  skipping a step) is not this."""

from __future__ import annotations

import numpy as np
from click.testing import CliRunner

from lrwatch.analysis import Action, RunCurves, Series, Status, analyze
from lrwatch.cli import cli
from tests.helpers.online import online_agrees
from tests.helpers.said import said

STEPS = np.arange(300)


def _warming(end: int = 300, warmup: int = 1000) -> RunCurves:
    """AdamW toward lr 1e-3 over ``warmup`` steps; the loss falls fast and still falls."""
    steps = np.arange(end)
    rng = np.random.default_rng(42)
    loss = (2.3 * np.exp(-steps / 100) + 0.2) * np.exp(rng.normal(0, 0.02, end))
    lr = 1e-3 * np.minimum(1.0, (steps + 1) / warmup)
    return RunCurves(loss=Series(steps, loss), lr=Series(steps, lr), optimizer="AdamW")


def test_a_log_that_ends_in_warmup_keeps_its_schedule():
    d = analyze(_warming())
    assert d.status is Status.HEALTHY and d.suggestion.action is Action.KEEP, said(d)
    assert "warms up" in d.suggestion.rationale and "keep the LR (" not in said(d), said(d)
    assert "too low is the likelier" not in said(d), said(d)


def test_the_same_curve_at_a_flat_low_lr_still_leans_too_low():
    """The rule is the warmup's: at that LR held flat, the lean to too low stays."""
    run = _warming(warmup=1)
    flat = RunCurves(loss=run.loss, lr=Series(STEPS, np.full(STEPS.size, 3e-4)),
                     optimizer="AdamW")
    d = analyze(flat)
    assert d.status is Status.STALLED and d.suggestion.action is Action.INCREASE, said(d)


def test_the_online_analyzer_agrees_in_warmup():
    assert online_agrees(_warming(), chunk=25).suggestion.action is Action.KEEP


def _died(loss: list[float], grad: list[float]) -> RunCurves:
    steps = np.arange(10, 10 + 5 * len(loss), 5)
    return RunCurves(loss=Series(steps, np.array(loss)), grad_norm=Series(steps, np.array(grad)),
                     lr=Series(steps, np.ones(len(loss))), optimizer="SGD", momentum=0.9)


def test_a_log_that_ends_on_a_nan_gradient_norm_diverged():
    d = analyze(_died([586.2, 373998.1], [50.6, np.nan]))
    assert d.status is Status.DIVERGING and d.suggestion.action is Action.REDUCE, said(d)
    assert "gradient norm is NaN/inf" in said(d), said(d)


def test_a_gradient_norm_never_measured_is_no_sign():
    """Some logs write NaN in every row of a gradient norm they did not measure."""
    d = analyze(_died([586.2, 373998.1], [np.nan, np.nan]))
    assert "gradient norm is NaN/inf" not in said(d), said(d)


def test_a_nan_gradient_norm_the_run_went_on_from_is_not_divergence():
    """fp16 AMP: a skipped step logs an inf gradient norm, and training goes on."""
    loss = list(2.3 * np.exp(-np.arange(60) / 30) + 0.3)
    grad = [1.0] * 60
    grad[30] = np.inf
    assert analyze(_died(loss, grad)).status is not Status.DIVERGING
    grad[-1] = np.nan  # ... and a last one after the loss fell: the rule wants a loss that rose
    assert "gradient norm is NaN/inf" not in said(analyze(_died(loss, grad)))


def test_analyze_reads_it_from_a_csv(tmp_path):
    path = tmp_path / "run.csv"
    path.write_text("step,loss,lr,grad_norm\n10,586.2,1.0,50.6\n15,373998.1,1.0,nan\n")
    result = CliRunner().invoke(cli, ["analyze", str(path)])
    assert result.exit_code == 0 and "diverging" in result.output, result.output
