"""``lrwatch report``: one self-contained HTML file per run."""

from __future__ import annotations

import re

import numpy as np

from lrwatch import keys
from lrwatch.cli import main
from lrwatch.report import write_report

from .conftest import fill_run


def test_the_report_is_one_offline_file_with_the_diagnosis_and_every_figure(two_runs, store_path,
                                                                             tmp_path):
    path = write_report(store_path, "nan-run", tmp_path / "report.html")
    text = path.read_text()
    assert not re.search(r"<script[^>]+src=", text)  # nothing fetched: plotly.js is inlined
    assert text.count("Plotly.newPlot") == 5  # loss, LR, grad norm, update ratio, step time
    assert "class='badge'" in text and "Recommendation" in text
    assert "nan-run" in text


def test_a_run_with_no_training_loss_draws_the_losses_it_logged(store, store_path, tmp_path):
    """A GAN under manual optimization logs ``g_loss`` and ``d_loss`` and returns no loss: the
    report draws those (it drew no loss at all), first, and leaves its other metrics out."""
    run = store.create_run("gan", {"kind": "train"}).id
    s = np.arange(200)
    store.backend.append(run, {keys.LR: (s, np.full(s.size, 2e-4)),
                               "logged/g_loss": (s, 0.7 + 0.1 * np.sin(s / 9)),
                               "logged/d_loss": (s, 0.69 + 0.05 * np.cos(s / 7)),
                               "logged/fid": (s, 100 - s / 4)}, [])
    text = write_report(store_path, "gan", tmp_path / "gan.html").read_text()
    assert text.count("Plotly.newPlot") == 3  # g_loss, d_loss, LR
    assert "Logged: d_loss" in text and "Logged: g_loss" in text and "Logged: fid" not in text
    assert text.index("Logged: d_loss") < text.index("Learning rate")


def test_names_and_hparams_are_escaped(store, store_path, tmp_path):
    evil = "<script>alert('x')</script>"
    fill_run(store, evil, 200, meta={"kind": "train", "hparams": {"note": evil, evil: 1}})
    text = write_report(store_path, None, tmp_path / "r.html").read_text()
    assert evil not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text


def test_the_command_writes_the_file_and_says_where(two_runs, store_path, tmp_path, capsys):
    out = tmp_path / "steady.html"
    main(["report", str(store_path), "--run", "steady", "-o", str(out)])
    assert out.exists()
    assert f"wrote {out}" in capsys.readouterr().out


def test_the_command_names_what_is_wrong_in_one_line(two_runs, store_path, tmp_path, capsys):
    for argv, message in (
        (["report", str(store_path), "--run", "nope", "-o", str(tmp_path / "r.html")],
         "RunNotFound: no run 'nope'"),
        (["report", str(tmp_path / "missing.db"), "-o", str(tmp_path / "r.html")],
         "StoreError: no lrwatch store at"),
        (["report", str(store_path), "-o", str(tmp_path / "no" / "dir" / "r.html")],
         "ConfigError: cannot write the report to"),
    ):
        try:
            main(argv)
        except SystemExit as exc:
            assert exc.code == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith(message) and "\n" not in err


def test_write_report_from_python_never_overwrites_the_store(two_runs, store_path):
    import pytest

    from lrwatch.errors import ConfigError

    before = store_path.read_bytes()
    for target in (store_path, store_path.parent / (store_path.name + "-wal")):
        with pytest.raises(ConfigError, match="it is the store's file"):
            write_report(store_path, "steady", target)
    assert store_path.read_bytes() == before


def _no_lr_runs(store) -> None:
    """Runs that recorded no LR (a custom loop's loss only): one blowing up, one falling."""
    import numpy as np

    steps = np.arange(200)
    for name, loss in (("rising", 2.3 * np.exp(steps / 40)),
                       ("falling", 2.3 * np.exp(-steps / 60) + 0.1)):
        run = store.create_run(name, {"kind": "train"})
        store.append(run, {"loss": (steps, loss)})
        store.set_status(run, "finished")
    one = store.create_run("one-step", {"kind": "train"})
    store.append(one, {"loss": (np.arange(1), np.array([2.3])), "lr": (np.arange(1), [0.1])})
    store.set_status(one, "finished")


def test_a_run_with_no_lr_gets_the_factor_to_apply_and_counts_read_right(store, store_path,
                                                                         tmp_path):
    _no_lr_runs(store)
    rising = write_report(store_path, "rising", tmp_path / "r.html").read_text()
    assert "Recommendation: reduce</strong> — multiply the LR by 0.1" in rising  # was dropped
    falling = write_report(store_path, "falling", tmp_path / "f.html").read_text()
    assert "Recommendation: keep</strong><div>" in falling
    assert "multiply the LR by 1" not in falling
    one = write_report(store_path, "one-step", tmp_path / "o.html").read_text()
    assert "1 step ·" in one and "1 steps" not in one


def test_a_report_smoothing_out_of_range_names_the_argument(two_runs, store_path, tmp_path):
    import pytest

    from lrwatch.errors import ConfigError

    for smoothing in (float("nan"), 1.0, "0.5"):  # nan said "ema weight must be in [0, 1)"
        with pytest.raises(ConfigError, match=r"smoothing must be a number in \[0, 1\)"):
            write_report(store_path, "steady", tmp_path / "r.html", smoothing=smoothing)
    assert not (tmp_path / "r.html").exists()


def test_the_report_badge_reads_as_the_dashboards(store, store_path, tmp_path):
    _no_lr_runs(store)  # one-step: too short to judge
    text = write_report(store_path, "one-step", tmp_path / "o.html").read_text()
    assert "'>too short</span>" in text  # it showed the status's code name, insufficient_data
    assert "insufficient_data</span>" not in text
