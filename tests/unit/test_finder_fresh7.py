"""The seventh finder round's fresh families: what they are (the checks every round shares are in
``test_finder_fresh_rounds.py``), and ``finder_general --sweep`` runs a family's sweep alone and
says whether it is a sound reference."""

from __future__ import annotations

import pytest
import torch

from benchmarks import finder_general, finder_runs
from benchmarks import finder_fresh7 as fresh7
from benchmarks.finder_families import SCRATCH_GRID


def test_waveforms_are_what_they_are_called() -> None:
    cycles, phase = torch.tensor([2.0, 3.5]), torch.tensor([0.0, 0.25])
    signals = [fresh7.waveform(k, 64, cycles, phase) for k in range(len(fresh7.WAVEFORMS))]
    for s in signals:
        assert s.shape == (2, 64) and s.abs().max() <= 1 + 1e-6
    sine, square = signals[0], signals[1]
    assert set(square.unique().tolist()) <= {-1.0, 0.0, 1.0}
    assert torch.equal(torch.sign(sine), square)
    chirp = signals[4][0]
    crossings = (torch.sign(chirp[1:]) != torch.sign(chirp[:-1])).nonzero().flatten()
    gaps = crossings[1:] - crossings[:-1]
    assert len(gaps) >= 3 and gaps[-1] < gaps[0]  # its periods shorten


def test_standardised_tables_and_a_shifted_region() -> None:
    (x, y), _ = fresh7._diabetes()
    assert torch.allclose(x.mean(0), torch.zeros(65), atol=1e-4)
    assert torch.allclose(x.std(0), torch.ones(65), atol=1e-4)
    assert abs(float(y.mean())) < 1e-4 and abs(float(y.std()) - 1) < 1e-4
    (x0, y0), (x1, y1), (xv, yv) = fresh7._housing_shift()
    assert (len(x0), len(x1), len(xv)) == (3000, 300, 500)
    assert torch.allclose(x0.mean(0), torch.zeros(8), atol=1e-3)
    assert (x1.mean(0) - x0.mean(0)).abs().max() > 1  # the new region's features sit elsewhere


def test_noisy_digits_target_the_clean_ones() -> None:
    from benchmarks.finder_tasks import digits

    (noisy, clean), _ = fresh7._noisy_digits()
    assert clean.min() >= 0 and clean.max() <= 1
    assert (noisy == 0).float().mean() > 0.25  # masked pixels, plus the digits' own zeros
    everything = digits()[0].reshape(-1, 1, 8, 8)
    assert all(any(torch.equal(c, d) for d in everything) for c in clean[:5])


def test_sweep_alone_runs_a_family_sweep_and_judges_it(
        monkeypatch: pytest.MonkeyPatch, tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(finder_runs, "CACHE", tmp_path)
    torch.set_num_threads(1)
    [row] = finder_general.sweep_only("fresh7-held-out", ("linreg-poly-diabetes",))
    assert len(list((tmp_path / "sweep").glob("*.json"))) == len(SCRATCH_GRID) + 2 * 3
    assert row["inside"] and SCRATCH_GRID[0] < row["best"] < SCRATCH_GRID[-1]
    best = row["losses"][f"{row['best']:.3g}"]
    assert best < 0.7 * row["nothing_learned"]["constant"]  # a linear fit beats the mean
    assert 0.9 < row["nothing_learned"]["constant"] < 1.2  # standardised target
    assert len(row["neighbours"]) == 3 and all(len(v) == 3 for v in row["neighbours"].values())
    printed = capsys.readouterr().out
    assert "linreg-poly-diabetes SGD: best" in printed and "inside the grid" in printed
    assert not list(tmp_path.glob("lrwatch/*"))  # no range test ran


def test_sweep_alone_refuses_an_unknown_family() -> None:
    with pytest.raises(SystemExit, match="no task of split 'fresh7-held-out' named nope"):
        finder_general.sweep_only("fresh7-held-out", ("nope",))
