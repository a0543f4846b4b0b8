"""Pure layout builders: badges, the diagnosis banner, the run table. No callbacks, no data
access. Every text from a store (run names, hparams, evidence) goes in as a Dash text child,
which React escapes; nothing is rendered as raw HTML or markdown.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from dash import dcc, html

from lrwatch import formatting, keys
from lrwatch.formatting import NO_VERDICT, status_style
from lrwatch.store import RUNNING

if TYPE_CHECKING:
    from lrwatch.store import RunInfo

    from .data import DiagnosisResult, RunRow


def data_attrs(**values: str) -> dict[str, Any]:
    """``data-*`` attributes for a component (tests and styles find elements by them)."""
    return {f"data-{k}": v for k, v in values.items()}


def badge(status: str, extra_class: str = "") -> html.Span:
    """A coloured pill with a status word."""
    style = status_style(status)
    return html.Span(style.label, className=f"badge {extra_class}".strip(),
                     style={"backgroundColor": style.colour},
                     **data_attrs(status=status))


def fmt_lr(x: float | None) -> str:
    return "–" if x is None else f"{x:.3g}"


def fmt_time(ts: float) -> str:
    return formatting.timestamp(ts, seconds=True)


fmt_duration = formatting.duration


def problem(message: str | None) -> list[Any]:
    """The page's store message (missing, empty, corrupt, locked store), or nothing."""
    if not message:
        return []
    return [html.Div([html.Strong("Store problem: "), message], className="problem",
                     id="problem-text")]


# the LR a run's suggestion is relative to (its peak, after the guard's last recovery), then
# the suggested LR
RUN_COLUMNS = ["", "run", "status", "steps", "peak LR → suggested", "started", "duration"]


def run_row(row: "RunRow", selected: bool) -> html.Tr:
    """One line of the run list; the name links to its run (or range-test) view."""
    href = f"/range/{row.id}" if row.kind == keys.RUN_RANGE_TEST else f"/run/{row.id}"
    status_cell = [badge(row.badge)]
    if row.status != "finished" and row.kind != keys.RUN_RANGE_TEST:
        status_cell.append(badge(row.status, "badge-small"))
    lr = fmt_lr(row.peak_lr)
    if row.suggested_lr is not None:
        lr = f"{lr} → {fmt_lr(row.suggested_lr)}"
    return html.Tr([
        html.Td(dcc.Checklist(id={"type": "select-run", "run": row.id},
                              options=[{"label": "", "value": row.id}],
                              value=[row.id] if selected else [], className="select")),
        html.Td(dcc.Link(row.name, href=href, className="run-link")),
        html.Td(status_cell),
        html.Td(f"{row.steps:,}", className="num"),
        html.Td(lr, className="num"),
        html.Td(fmt_time(row.started_at)),
        html.Td(fmt_duration(row.duration_s), className="num"),
    ], id={"type": "run-row", "run": row.id}, className="run-row", **data_attrs(run=row.name))


def row_signature(row: "RunRow", selected: bool) -> str:
    """What a row shows, to send only rows that changed."""
    return repr((row.name, row.badge, row.status, row.steps, fmt_lr(row.peak_lr),
                 fmt_lr(row.suggested_lr), fmt_duration(row.duration_s), selected))


def run_table_header() -> html.Thead:
    return html.Thead(html.Tr([html.Th(c) for c in RUN_COLUMNS]))


def diagnosis_banner(result: "DiagnosisResult | None", run: "RunInfo") -> list[Any]:
    """The verdict as a banner: status, since when, evidence and what to do with the LR."""
    if keys.is_range_test(run.meta):
        return []
    if result is None or (result.diagnosis is None and result.pending):
        return [html.Div([badge("analysing"), " analysing the curves…"],
                         className="banner banner-pending")]
    if result.diagnosis is None:
        running = run.status == RUNNING
        why = result.error or ("no loss recorded yet" if running else "no loss recorded")
        return [html.Div([badge("analysing" if running else NO_VERDICT), f" no diagnosis: {why}"],
                         className="banner banner-pending")]
    d = result.diagnosis
    status = d.status.value
    s = d.suggestion
    head = [badge(status, "badge-large"),
            html.Span(f" confidence {d.confidence:.0%}", className="muted")]
    if d.since_step is not None:
        head.append(html.Span(f" · since step {d.since_step:,}", className="muted"))
    head.append(html.Span(f" · {formatting.count(d.steps, 'step')} analysed", className="muted"))
    if d.needed_steps:
        head.append(html.Span(f" · needs about {d.needed_steps:,} steps", className="muted"))
    action = s.action.value.replace("_", " ")
    advice: list[Any] = [html.Strong(f"Recommendation: {action}")]
    if change := formatting.lr_change(s):
        advice.append(f" — {change}")
    if s.rationale:
        advice.append(html.Div(s.rationale, className="rationale"))
    return [html.Div([
        html.Div(head, className="banner-head"),
        html.Div(advice, className="banner-advice", id="recommendation"),
        html.Ul([html.Li(e.message) for e in d.evidence], className="evidence"),
    ], className=f"banner banner-{status}", id="diagnosis", style=_banner_colours(status),
        **data_attrs(status=status))]


def _banner_colours(status: str) -> dict[str, str]:
    style = status_style(status)
    return {"borderLeftColor": style.colour, "background": style.background}


def meta_table(meta: Mapping[str, Any]) -> html.Details:
    """The run's optimizer, batch size, hparams ... as a collapsible key/value table."""
    shown = {k: v for k, v in meta.items() if k not in ("hparams", "versions", "optimizers")}
    rows = [html.Tr([html.Th(str(k)), html.Td(_short(v))]) for k, v in sorted(shown.items())]
    hparams = meta.get("hparams")
    if isinstance(hparams, Mapping):
        rows += [html.Tr([html.Th(f"hparams.{k}"), html.Td(_short(v))])
                 for k, v in sorted(hparams.items(), key=lambda kv: str(kv[0]))]
    return html.Details([html.Summary("run details"), html.Table(rows, className="meta")],
                        className="meta-details")


def _short(value: Any, limit: int = 200) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def run_summary(run: "RunInfo") -> list[Any]:
    """The line under a run's name: status, steps, optimizer, start, duration."""
    end = run.ended_at if run.ended_at is not None else time.time()
    bits: list[Any] = [badge(run.status), f" {formatting.count(run.steps, 'step')}"]
    optimizer = formatting.optimizers_text(run.meta)
    if optimizer:
        bits.append(f" · {optimizer}")
    bits.append(f" · started {fmt_time(run.started_at)} · {fmt_duration(end - run.started_at)}")
    return bits


def graph(graph_id: str, height: int = 280, wide: bool = False) -> html.Div:
    """A graph slot with its live state."""
    return html.Div([
        dcc.Graph(id=graph_id, config={"displaylogo": False, "responsive": True},
                  style={"height": f"{height}px"}),
        dcc.Store(id=f"{graph_id}-state"),
        dcc.Store(id=f"{graph_id}-view"),
    ], className="graph wide" if wide else "graph")


def logged_options(available: Iterable[str]) -> list[dict[str, str]]:
    """Dropdown options of a run's logged metrics: ``val_acc`` for ``logged/val_acc``."""
    from lrwatch.figures import logged_keys, logged_panel

    return [{"label": logged_panel(k).y_title, "value": k} for k in logged_keys(available)]


def logged_graph(graph_id: str, dropdown_id: str, options: list[dict[str, str]],
                 height: int = 280) -> html.Div:
    """A graph slot for one logged metric at a time, with the dropdown that picks it."""
    return html.Div([
        html.Label(["logged metric ", dcc.Dropdown(
            id=dropdown_id, options=options, value=options[0]["value"] if options else None,
            clearable=False, placeholder="none logged yet", className="metric-picker")],
            className="control"),
        *graph(graph_id, height).children,
    ], className="graph wide logged")


def links(items: Iterable[tuple[str, str]]) -> html.Div:
    return html.Div([dcc.Link(text, href=href, className="nav-link") for text, href in items],
                    className="nav")
