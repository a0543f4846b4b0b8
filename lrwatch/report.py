"""One self-contained HTML file about a run: its diagnosis and the dashboard's figures.

plotly.js is inlined once, so the file opens offline and can be attached to an issue or a pull
request. Every text taken from the store (run name, hyperparameters, evidence) is escaped.
"""

from __future__ import annotations

import html
import os
import time
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from lrwatch import figures, formatting
from lrwatch._version import __version__
from lrwatch.errors import ConfigError
from lrwatch.store import RunInfo, Store, store_file_at

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       max-width: 1100px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 2px; } .muted { color: #777; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 10px; color: #fff;
         font-weight: 600; }
.banner { margin: 14px 0; padding: 10px 14px; border-left: 6px solid #aaa; background: #f7f7f7; }
table.meta th { text-align: left; padding-right: 14px; color: #555; font-weight: 500; }
table.meta td { font-family: ui-monospace, monospace; font-size: 12px; }
.figure { margin: 12px 0; }
"""


def report_html(store: Store, run: RunInfo | str | int | None = None, *,
                smoothing: float = 0.6) -> str:
    """The report of ``run`` (the latest run when None) as one HTML document."""
    info = store.run(run)
    diagnosis = figures.run_diagnosis(store, info)
    sections = [_header(info), _diagnosis_html(diagnosis)]
    figs: list[go.Figure] = []
    available = store.keys(info)
    for name, panel in figures.PANELS.items():
        if panel.traces(available):
            figs.append(figures.run_figure(store, info, name, smoothing=smoothing,
                                           diagnosis=diagnosis))
    if not figures.PANELS["loss"].traces(available):  # a GAN logs g_loss and d_loss instead
        figs[:0] = [figures.run_figure(store, info, key, smoothing=smoothing)
                    for key in figures.logged_keys(available) if "loss" in key]
    if figures.layer_keys(available):
        figs.append(figures.run_figure(store, info, "layers"))
    if figures.linked_range_test(store, info) is not None:
        figs.append(figures.run_figure(store, info, "range_test"))
    if not figs:
        sections.append("<p class='muted'>This run has recorded no series yet.</p>")
    for i, fig in enumerate(figs):
        sections.append("<div class='figure'>" + pio.to_html(
            fig, include_plotlyjs=(i == 0), full_html=False,
            config={"displaylogo": False, "responsive": True}) + "</div>")
    sections.append(_meta_html(info))
    title = html.escape(f"lrwatch report: {info.name}")
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
            f"<style>{_STYLE}</style></head><body>{''.join(sections)}"
            f"<p class='muted'>lrwatch {html.escape(__version__)} · generated "
            f"{time.strftime('%Y-%m-%d %H:%M')}</p></body></html>\n")


def write_report(store: Store | str | os.PathLike[str], run: RunInfo | str | int | None,
                 output: str | os.PathLike[str], *, smoothing: float = 0.6) -> Path:
    """Write the HTML report of ``run`` to ``output``; returns the path written.

    Raises:
        ConfigError: ``output`` cannot be written, or the store has no runs.
        StoreError: the store cannot be read (``RunNotFound`` for an unknown run).
    """
    figures.check_smoothing(smoothing)
    own = not isinstance(store, Store)
    st = store if isinstance(store, Store) else Store(store, readonly=True)
    try:
        text = report_html(st, run, smoothing=smoothing)
    finally:
        if own:
            st.close()
    path = Path(output)
    overwritten = store_file_at(path, st.path)
    if overwritten is not None:
        raise ConfigError(f"cannot write the report to {path}: it is the store's file "
                          f"{overwritten}; pass another output path")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write the report to {path}: {exc.strerror}; "
                          "pass another -o") from None
    return path


def _header(info: RunInfo) -> str:
    end = info.ended_at if info.ended_at is not None else time.time()
    bits = [formatting.count(info.steps, "step"), html.escape(info.status)]
    if optimizer := formatting.optimizers_text(info.meta):
        bits.append(html.escape(optimizer))
    bits.append("started " + time.strftime("%Y-%m-%d %H:%M", time.localtime(info.started_at)))
    bits.append(formatting.duration(end - info.started_at))
    return (f"<h1>{html.escape(info.name)}</h1>"
            f"<div class='muted'>{' · '.join(bits)}</div>")


def _diagnosis_html(diagnosis: Any) -> str:
    if diagnosis is None:
        return "<div class='banner'>No diagnosis: this run has no training loss.</div>"
    status = diagnosis.status.value
    style = formatting.status_style(status)
    color = style.colour
    s = diagnosis.suggestion
    head = (f"<span class='badge' style='background:{color}'>{html.escape(style.label)}</span> "
            f"<span class='muted'>confidence {diagnosis.confidence:.0%}")
    if diagnosis.since_step is not None:
        head += f" · since step {diagnosis.since_step:,}"
    head += "</span>"
    advice = f"<strong>Recommendation: {html.escape(s.action.value.replace('_', ' '))}</strong>"
    if change := formatting.lr_change(s):
        advice += f" — {html.escape(change)}"
    if s.rationale:
        advice += f"<div>{html.escape(s.rationale)}</div>"
    evidence = "".join(f"<li>{html.escape(e.message)}</li>" for e in diagnosis.evidence)
    return (f"<div class='banner' style='border-left-color:{color}'>{head}<div>{advice}</div>"
            f"<ul>{evidence}</ul></div>")


def _meta_html(info: RunInfo) -> str:
    rows = []
    for key, value in sorted(info.meta.items()):
        if key == "hparams" and isinstance(value, dict):
            rows += [(f"hparams.{k}", v)
                     for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))]
        elif key not in ("versions", "optimizers"):
            rows.append((key, value))
    body = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_text(v))}</td></tr>"
                   for k, v in rows)
    return f"<h2>Run details</h2><table class='meta'>{body}</table>"


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 300 else text[:300] + "…"
