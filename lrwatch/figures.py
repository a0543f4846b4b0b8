"""Plotly figures of lrwatch runs, shared by the dashboard, HTML reports and notebooks.

Two layers, one way each:

- *what to draw*: :data:`PANELS` names the series of each plot (loss, LR, gradient norm,
  update ratio, step time); :func:`panel_lines` reads them from a store, smooths with the one
  smoothing function (:func:`lrwatch.analysis.smoothing.ema`, on the full-resolution series)
  and downsamples with :func:`downsample` (MinMaxLTTB, so spikes survive);
- *how to draw it*: :func:`time_figure`, :func:`heatmap_figure`, :func:`range_test_figure`
  build plotly figures from plain lists. Figures are never built from numpy arrays: plotly 6+
  would send those as base64 typed arrays, which ``Patch().extend`` and ``extendData`` cannot
  append to, so a live view could not grow them.

:func:`plot` ties both together for notebooks (``lrwatch.plot(store, run)``). No Dash, no torch.
"""

from __future__ import annotations

import html
import math
import numbers
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence, Union, cast

import numpy as np
import plotly.graph_objects as go

from lrwatch import formatting, keys
from lrwatch.analysis.detectors import UPDATE_RATIO_HIGH, UPDATE_RATIO_LOW
from lrwatch.analysis.smoothing import ema
from lrwatch.errors import ConfigError
from lrwatch.formatting import status_style

if TYPE_CHECKING:
    from lrwatch.analysis.sweep import SweepReading
    from lrwatch.analysis.types import Diagnosis
    from lrwatch.store import Event, RunInfo, Store

#: points per trace a figure shows at most; zooming re-aggregates the visible window
MAX_POINTS = 2000
#: columns of the per-layer gradient-norm heatmap at most
MAX_HEATMAP_COLUMNS = 300
#: rows (layers) of the heatmap at most; the layers with the largest norms are kept
MAX_HEATMAP_LAYERS = 48
#: the update/weight ratio band most healthy runs sit in (about 1e-3 per step): the band outside
#: which the diagnosis notes the ratio
TYPICAL_UPDATE_RATIO = (UPDATE_RATIO_LOW, UPDATE_RATIO_HIGH)
#: a constant ``uirevision``: plotly keeps the user's zoom and legend clicks across updates
UIREVISION = "lrwatch"

EVENT_STYLE = {  # kind -> (marker symbol, colour, legend label)
    keys.EVENT_NONFINITE: ("x", "#d62728", "NaN/inf"),
    keys.EVENT_DIAGNOSIS: ("diamond", "#9467bd", "diagnosis change"),
    keys.EVENT_ACTION: ("star", "#e377c2", "guard action"),
    keys.EVENT_RANGE_TEST: ("circle", "#17becf", "range test"),
}
#: how an event of a kind lrwatch does not know is drawn
OTHER_EVENT_STYLE = ("triangle-up", "#555", "event")

#: the ordinary values of a plot lie between these quantiles of its finite values: up to 1 % of
#: the points at either end may be spikes (the issue's runs: one 1.4e17 step in a few hundred)
ORDINARY_QUANTILES = (0.01, 0.99)
#: a value is an outlier when it lies beyond those quantiles by more than this many times their
#: spread, and by more than the quantile's own size (one decade on a log axis): a diverging run
#: climbing from 2.3 to 700, or a loss starting at 10 and settling at 0.1, stays whole; a
#: 1e17 spike, or a val loss of 930 over a training loss of 2, is clipped (unit tests)
OUTLIER_SPREADS = 3.0
#: space left above and below the ordinary values, as a fraction of their range
RANGE_MARGIN = 0.05
#: a log axis over at most this many decades is ticked at 1, 2 and 5 of each decade
LOG_D2_DECADES = 3
#: clipped values labelled with their value on the plot (the largest); the others on hover
MAX_CLIP_LABELS = 3

# A small template instead of plotly's default one, which adds ~6 kB to every figure sent.
_TEMPLATE: dict[str, Any] = {"layout": {
    "font": {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12},
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
    "colorway": ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                 "#7f7f7f", "#bcbd22", "#17becf"],
    # automargin: the margins grow to fit the tick labels, and the axis title stands off them
    # (a fixed margin drew "LR" over "0.0090" and clipped "0.0000010")
    "xaxis": {"gridcolor": "#eee", "zeroline": False, "linecolor": "#bbb", "automargin": True,
              "title": {"standoff": 8}},
    "yaxis": {"gridcolor": "#eee", "zeroline": False, "linecolor": "#bbb", "automargin": True,
              "title": {"standoff": 8}},
}}


# -- data preparation -----------------------------------------------------------------------

def downsample(steps: np.ndarray | Sequence[int], values: np.ndarray | Sequence[float],
               n_out: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most ``n_out`` points of a curve that keep its shape, its spikes and its NaN gaps.

    MinMaxLTTB (tsdownsample): a min-max preselection then largest-triangle buckets, ~5 ms for
    1 M points. Infinite values become NaN (a gap, as plotly draws it). ``steps`` must be sorted.
    """
    s = np.asarray(steps, dtype=np.int64).reshape(-1)
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    v = np.where(np.isinf(v), np.nan, v)
    if s.size <= n_out:
        return s, v
    n_out = max(4, int(n_out))
    from tsdownsample import NaNMinMaxLTTBDownsampler

    index = NaNMinMaxLTTBDownsampler().downsample(s, v, n_out=n_out)
    return s[index], v[index]


def compact(values: np.ndarray | Iterable[float], digits: int = 6) -> list[float | None]:
    """A JSON-ready list of ``digits`` significant digits (a third of the bytes of full
    precision, and more than a plot can show), with None where a value is NaN or inf (a gap)."""
    out: list[float | None] = []
    for x in np.asarray(values, dtype=np.float64).reshape(-1).tolist():
        out.append(float(f"{x:.{digits}g}") if math.isfinite(x) else None)
    return out


def int_list(steps: np.ndarray | Iterable[int]) -> list[int]:
    return [int(s) for s in np.asarray(steps, dtype=np.int64).tolist()]


def layer_bins(steps: np.ndarray, values: np.ndarray, start: int, width: int, count: int
               ) -> list[float | None]:
    """``count`` heatmap cells: log10 of the geometric mean of a layer's norm per step bin.

    Bin ``i`` holds steps ``start + i*width`` to ``start + (i+1)*width - 1``; a bin without a
    finite positive value is None (drawn empty, or as zero: see :func:`zero_bins`).
    """
    s = np.asarray(steps, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    keep = (s >= start) & (s < start + width * count) & np.isfinite(v) & (v > 0)
    if not keep.any():
        return [None] * count
    index = (s[keep] - start) // width
    sums = np.bincount(index, weights=np.log10(v[keep]), minlength=count)
    counts = np.bincount(index, minlength=count)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    return [round(float(m), 3) if c else None for m, c in zip(means.tolist(), counts.tolist())]


def zero_bins(steps: np.ndarray, values: np.ndarray, start: int, width: int, count: int
              ) -> list[int | None]:
    """The bins of :func:`layer_bins` whose finite norms are all exactly zero (1; else None):
    a layer that got no gradient, drawn in its own colour, not as a gap like missing data."""
    s = np.asarray(steps, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    inside = (s >= start) & (s < start + width * count) & np.isfinite(v)
    index = (s[inside] - start) // width
    finite = np.bincount(index, minlength=count)
    nonzero = np.bincount(index, weights=(v[inside] != 0).astype(np.float64), minlength=count)
    return [1 if f and not n else None for f, n in zip(finite.tolist(), nonzero.tolist())]


def bin_edges(start: int, width: int, first: int, count: int, last_step: int) -> list[float]:
    """The x edges of bins ``first`` to ``first + count - 1`` (``count + 1`` values, between
    steps); the last edge stops at ``last_step``, so a 110-step run is not drawn to 150."""
    edges = [start - 0.5 + width * j for j in range(first, first + count)]
    return edges + [min(start - 0.5 + width * (first + count), last_step + 0.5)]


@dataclass(frozen=True)
class LayerGrid:
    """Per-layer gradient norms binned over steps, as the heatmap draws them: ``z[i][j]`` is
    the log10 mean norm of layer ``i`` in bin ``j`` (None: no positive norm), ``zeros[i][j]``
    is 1 where every norm of that bin is exactly zero; ``edges`` bound the bins (bin ``j``
    holds steps ``start + j*width`` onwards)."""

    layers: list[str]
    edges: list[float]
    z: list[list[float | None]]
    zeros: list[list[int | None]]
    start: int
    width: int


@dataclass(frozen=True)
class Line:
    """One curve to draw.

    ``style`` is ``"line"``, ``"raw"`` (faint: the unsmoothed loss under its smoothed line),
    ``"smooth"`` or ``"points"`` (markers: validation loss).
    """

    name: str
    steps: Any
    values: Any
    style: str = "line"
    color: str | None = None


@dataclass(frozen=True)
class TraceSpec:
    """Which store series feeds a trace, and how it is shown."""

    key: str
    style: str = "line"
    name: str | None = None

    @property
    def label(self) -> str:
        return self.name or self.key


@dataclass(frozen=True)
class Panel:
    """One time plot of a run: its title, its axis and which series it draws."""

    name: str
    title: str
    y_title: str
    log_y: bool = False
    band: tuple[float, float] | None = None

    def traces(self, available: Sequence[str]) -> list[TraceSpec]:
        """The traces this panel draws for a run that has the series ``available``."""
        have = set(available)
        if self.name == "loss":
            specs = [TraceSpec(keys.LOSS, "raw", "loss"),
                     TraceSpec(keys.LOSS, "smooth", "loss (smoothed)")]
            if keys.VAL_LOSS in have:
                specs.append(TraceSpec(keys.VAL_LOSS, "points", "val loss"))
            return specs if keys.LOSS in have else []
        if self.name == "lr":
            return [TraceSpec(k) for k in sorted(have) if _base(k) == keys.LR]
        if self.name == "grad_norm":  # before and after clipping, of every optimizer
            return [TraceSpec(k) for k in _per_optimizer(have, keys.GRAD_NORM,
                                                         keys.GRAD_NORM_CLIPPED)]
        if self.name.startswith(LOGGED_PREFIX):  # logged once an epoch, say: points show them
            return [TraceSpec(self.name, "points", self.y_title)] if self.name in have else []
        if self.name == keys.UPDATE_RATIO:
            return [TraceSpec(k) for k in _per_optimizer(have, keys.UPDATE_RATIO)]
        return [TraceSpec(self.name)] if self.name in have else []


def _per_optimizer(have: set[str], *bases: str) -> list[str]:
    """The global series ``bases`` of the first optimizer, then those of each later one
    (``grad_norm@Adam``: a GAN's discriminator), never a per-layer ``grad_norm/<layer>``."""
    first = [b for b in bases if b in have]
    later = sorted((k for k in have if "/" not in k and "@" in k and _base(k) in bases),
                   key=lambda k: (k.split("@", 1)[1], bases.index(_base(k))))
    return first + later


def _base(key: str) -> str:
    """``lr`` for ``lr``, ``lr/pg2``, ``lr@Adam-1``."""
    return key.split("/", 1)[0].split("@", 1)[0]


PANELS: dict[str, Panel] = {p.name: p for p in (
    Panel("loss", "Training loss", "loss"),
    Panel("lr", "Learning rate", "LR", log_y=True),
    Panel("grad_norm", "Gradient norm (global)", "L2 norm", log_y=True),
    Panel("update_ratio", "Update / weight ratio", "‖Δw‖ / ‖w‖", log_y=True,
          band=TYPICAL_UPDATE_RATIO),
    Panel("step_time", "Step time", "seconds"),
)}


def layer_keys(available: Sequence[str]) -> list[str]:
    """The per-layer gradient-norm series of a run (``grad_norm/<layer>``)."""
    prefix = keys.GRAD_NORM + "/"
    return sorted(k for k in available if k.startswith(prefix))


def load_series(store: "Store", run: "RunInfo | int | str", spec: TraceSpec, *,
                smoothing: float = 0.6,
                raw: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One series of a run at full resolution, smoothed when the trace asks for it.

    Smoothing runs before anything is dropped, so the smoothed line does not depend on the
    zoom or on how many points are shown. ``raw`` is the series when already read.
    """
    steps, values = raw if raw is not None else store.scalars(run, spec.key)
    if spec.style == "smooth":
        values = ema(values, smoothing)
    return steps, values


def to_line(steps: np.ndarray, values: np.ndarray, spec: TraceSpec, *,
            window: tuple[float, float] | None = None, n_out: int = MAX_POINTS,
            name: str | None = None, color: str | None = None) -> Line:
    """A series clipped to ``window`` (a step range) and downsampled to ``n_out`` points."""
    if window is not None:
        keep = (steps >= window[0]) & (steps <= window[1])
        steps, values = steps[keep], values[keep]
    steps, values = downsample(steps, values, n_out)
    return Line(name or spec.label, steps, values, spec.style, color)


def read_line(store: "Store", run: "RunInfo | int | str", spec: TraceSpec, *,
              smoothing: float = 0.6, window: tuple[float, float] | None = None,
              n_out: int = MAX_POINTS, name: str | None = None,
              color: str | None = None) -> Line:
    """One trace of a run, read from the store, smoothed if asked, clipped and downsampled."""
    steps, values = load_series(store, run, spec, smoothing=smoothing)
    return to_line(steps, values, spec, window=window, n_out=n_out, name=name, color=color)


def panel_lines(store: "Store", run: "RunInfo | int | str", panel: str, *, smoothing: float = 0.6,
                window: tuple[float, float] | None = None, n_out: int = MAX_POINTS) -> list[Line]:
    """Every line of one panel (see :data:`PANELS`) for a run."""
    info = run if hasattr(run, "meta") else store.run(run)
    return [read_line(store, info, t, smoothing=smoothing, window=window, n_out=n_out)
            for t in run_traces(panel_named(panel), store.keys(info), info.meta)]


# the panels that draw one line per optimizer (the first's keys plain, the others' ``key@Class``)
PER_OPTIMIZER_PANELS = ("lr", "grad_norm", keys.UPDATE_RATIO)


def run_traces(panel: Panel, available: Sequence[str], meta: Mapping[str, Any]) -> list[TraceSpec]:
    """``panel.traces`` of a run, named for its optimizers where it has several: the first's
    plain ``lr`` is drawn as ``lr@AdamW``, and the one the loss is judged against (a Muon +
    AdamW hybrid's Muon, ``keys.judged_label``) says so: ``lr@Muon (judged)``."""
    specs = panel.traces(available)
    optimizers = meta.get("optimizers")
    if panel.name not in PER_OPTIMIZER_PANELS or not isinstance(optimizers, list) \
            or len(optimizers) < 2:
        return specs
    first = optimizers[0].get("class") if isinstance(optimizers[0], dict) else None
    judged = keys.judged_label(meta) if keys.judged_index(meta) is not None else ""
    out = []
    for spec in specs:
        label = spec.key.split("@", 1)[1] if "@" in spec.key else None
        name = spec.key if label is not None or not first else f"{spec.key}@{first}"
        out.append(TraceSpec(spec.key, spec.style,
                             f"{name} (judged)" if label == judged else name))
    return out


def layer_heatmap(store: "Store", run: "RunInfo | int | str", *,
                  window: tuple[float, float] | None = None,
                  columns: int = MAX_HEATMAP_COLUMNS) -> LayerGrid:
    """Per-layer gradient norms binned over steps, up to the run's last recorded step.

    When a run has more than :data:`MAX_HEATMAP_LAYERS` layers, those with the largest median
    norm are kept.
    """
    names = layer_keys(store.keys(run))
    series = {k: store.scalars(run, k) for k in names}
    present = [(s, v) for s, v in series.values() if s.size]
    if not present:
        return LayerGrid([], [], [], [], 0, 1)
    last = max([int(s[-1]) for s, _ in present] + [int(store.run(run).last_step or 0)])
    lo = min(int(s[0]) for s, _ in present) if window is None else int(window[0])
    hi = last if window is None else min(int(window[1]), last)
    # a bin is never narrower than the recording interval (every k steps), so no column is empty
    stride = int(np.median([np.median(np.diff(s)) if s.size > 1 else 1 for s, _ in present]))
    width = max(1, stride, math.ceil((hi - lo + 1) / columns))
    count = max(1, math.ceil((hi - lo + 1) / width))
    if len(names) > MAX_HEATMAP_LAYERS:
        def size(k: str) -> float:
            v = series[k][1]
            v = v[np.isfinite(v)]
            return float(np.median(v)) if v.size else -math.inf
        names = sorted(sorted(names, key=size, reverse=True)[:MAX_HEATMAP_LAYERS])
    return LayerGrid([k.split("/", 1)[1] for k in names], bin_edges(lo, width, 0, count, hi),
                     [layer_bins(*series[k], lo, width, count) for k in names],
                     [zero_bins(*series[k], lo, width, count) for k in names], lo, width)


def panel_named(name: str) -> Panel:
    """The panel called ``name``: one of :data:`PANELS`, or a metric the user logged
    (``logged/val_acc``, see :func:`logged_panel`)."""
    if name.startswith(LOGGED_PREFIX):
        return logged_panel(name)
    try:
        return PANELS[name]
    except KeyError:
        raise ConfigError(
            f"unknown plot '{name}': choose one of {', '.join(PANELS)}, "
            f"or a logged metric ({LOGGED_PREFIX}<name>)") from None


LOGGED_PREFIX = keys.LOGGED + "/"


def logged_keys(available: Iterable[str]) -> list[str]:
    """The metrics the user logged (``logged/<name>``), validation metrics first."""
    names = sorted(k for k in available if k.startswith(LOGGED_PREFIX))
    return sorted(names, key=lambda k: not k[len(LOGGED_PREFIX):].startswith("val"))


def logged_panel(key: str) -> Panel:
    """The panel of one logged metric: ``logged/val_acc`` is drawn as ``val_acc``."""
    name = key[len(LOGGED_PREFIX):] if key.startswith(LOGGED_PREFIX) else key
    return Panel(LOGGED_PREFIX + name, f"Logged: {name}", name)


# -- figures --------------------------------------------------------------------------------
#
# Each builder makes a plain figure dict (``{"data": [...], "layout": {...}}``): the dashboard
# sends it as is, since plotly's per-element validation costs ~30 ms per 2,000-point trace, and
# the public wrappers (``time_figure`` ...) turn it into a validated ``go.Figure``.

@dataclass(frozen=True)
class Shade:
    """The span a diagnosis holds over (from its ``since_step``), tinted by its status."""

    start: int
    end: int
    status: str


Figure = dict[str, Any]
#: a curve's values: a list or a numpy array
Values = Union[Sequence[float], np.ndarray]


def time_figure_dict(lines: Sequence[Line], *, title: str, y_title: str, log_y: bool = False,
                     band: tuple[float, float] | None = None, shade: Shade | None = None,
                     events: Sequence["Event"] | None = None, height: int = 280,
                     y_range: YRange | None = None) -> Figure:
    """A curve-over-steps figure, as a dict.

    Trace ``i`` is ``lines[i]`` (live views extend traces by index); then, when ``events`` is
    given, one trace per kind of event on a strip at the foot of the plot (in the order of
    :func:`event_kinds`); then the marks of values off a clipped axis, and the legend entry of
    the typical band. The y axis opens on ``y_range`` (by default the lines' own
    :func:`robust_y_range`), so one spike does not flatten the curve.
    """
    if y_range is None:
        y_range = robust_y_range([line.values for line in ordinary_lines(lines)], log_y)
    layout = _layout(title, height)
    layout["xaxis"] = {**layout["xaxis"], "title": {"text": "step"},
                       "autorangeoptions": x_bounds(lines)}
    layout["yaxis"] = {**layout["yaxis"], "title": {"text": html.escape(y_title)},
                       **y_scale(log_y, y_range)}
    layout["shapes"] = panel_shapes(band, shade)
    data = [_scatter(line) for line in lines]
    if events:
        layout["yaxis9"] = {"overlaying": "y", "range": [0, 1], "visible": False,
                            "fixedrange": True}
        data += [_event_trace(kind, group) for kind, group in events_by_kind(events)]
    clipped = clip_trace(lines, y_range)
    if clipped is not None:
        layout["yaxis8"] = {"overlaying": "y", "range": [0, 1], "visible": False,
                            "fixedrange": True}
        data.append(clipped)
    if band is not None:  # in the legend, where it cannot collide with it
        data.append(_legend_only(f"typical {band[0]:g}–{band[1]:g}", "#2ca02c", "square"))
    return {"data": data, "layout": layout}


def time_figure(lines: Sequence[Line], **kwargs: Any) -> go.Figure:
    """:func:`time_figure_dict` as a ``go.Figure``."""
    return go.Figure(time_figure_dict(lines, **kwargs))


def x_bounds(lines: Sequence[Line]) -> dict[str, int]:
    """Autorange limits of a step axis: the curves' first and last steps, so event marks and
    the labels of clipped values do not pad the axis past the end of the run."""
    steps = [np.asarray(line.steps) for line in lines if np.asarray(line.steps).size]
    if not steps:
        return {}
    return {"minallowed": int(min(s[0] for s in steps)),
            "maxallowed": int(max(s[-1] for s in steps))}


def y_scale(log_y: bool, y_range: "YRange | None" = None) -> dict[str, Any]:
    """A log or linear y axis opening on ``y_range``'s ordinary values (autorange without one).

    Tick labels are plotly's own (a log axis labels 2 and 5 between decades as small digits,
    where a fixed format piled up ``0.010 0.0090 0.0080 ...``), with exponents as ``1e-6``.
    """
    axis: dict[str, Any] = {"type": "log" if log_y else "linear", "tickformat": "",
                            "exponentformat": "e"}
    if log_y and y_range is not None and y_range.extent is not None \
            and y_range.extent[1] <= y_range.extent[0] * 10 ** LOG_D2_DECADES:
        axis["dtick"] = "D2"  # plotly's own choice in a short plot is every digit: a pile-up
    shown = y_range.shown if y_range is not None else None
    if shown is None:  # no null range: plotly.js then fails to set range[0] ("container is
        axis.update(autorange=True)  # not an object")
    else:
        lo, hi = (math.log10(shown[0]), math.log10(shown[1])) if log_y else shown
        axis.update(autorange=False, range=[lo, hi])
    return axis


@dataclass(frozen=True)
class YRange:
    """Where a plot's values lie: beyond ``fences`` a value is an outlier; ``shown`` is the
    range the axis opens on when some value is (its ordinary values and a margin), else None
    (autorange). Both in data units."""

    fences: tuple[float, float]
    shown: tuple[float, float] | None
    extent: tuple[float, float] | None = None  # the lowest and highest ordinary value

    def outside(self, values: Values) -> bool:
        """Whether a new value would be drawn off the axis: beyond ``shown`` when the axis is
        fixed, beyond the fences when it autoranges."""
        v = np.asarray(values, dtype=np.float64)
        v = v[np.isfinite(v)]
        lo, hi = self.shown if self.shown is not None else self.fences
        return bool(((v < lo) | (v > hi)).any())

    def beyond_fences(self, values: Values) -> bool:
        """Whether a new value is an outlier (a spike a live view must build again to clip)."""
        v = np.asarray(values, dtype=np.float64)
        v = v[np.isfinite(v)]
        return bool(((v < self.fences[0]) | (v > self.fences[1])).any())

    def widened(self, values: Values, log_y: bool) -> "YRange":
        """The range grown to take ordinary new values (a loss still falling past the bottom of
        a clipped axis), with the usual margin; the fences stay."""
        v = np.asarray(values, dtype=np.float64)
        v = v[np.isfinite(v) & (v > 0)] if log_y else v[np.isfinite(v)]
        if self.shown is None or v.size == 0:
            return self
        f = np.log10 if log_y else (lambda x: x)
        back = (lambda x: 10 ** x) if log_y else (lambda x: x)
        lo, hi = float(f(self.shown[0])), float(f(self.shown[1]))
        new_lo, new_hi = float(np.min(f(v))), float(np.max(f(v)))
        pad = RANGE_MARGIN * (max(hi, new_hi) - min(lo, new_lo))
        shown = (back(min(lo, new_lo - pad)), back(max(hi, new_hi + pad)))
        return YRange(self.fences, shown, self.extent)


def robust_y_range(series: Iterable[Values], log_y: bool) -> YRange | None:
    """The ordinary range of the values of every curve of a plot (see
    :data:`ORDINARY_QUANTILES`), so one outlier does not flatten the plot; None without a
    value that can be drawn. On a log axis it is worked out in decades, over positive values."""
    parts = [np.asarray(v, dtype=np.float64).reshape(-1) for v in series]
    v = np.concatenate(parts) if parts else np.zeros(0)
    v = v[np.isfinite(v) & (v > 0)] if log_y else v[np.isfinite(v)]
    if v.size == 0:
        return None
    if log_y:
        v = np.log10(v)
    q_lo, q_hi = (float(q) for q in np.quantile(v, ORDINARY_QUANTILES))
    spread = OUTLIER_SPREADS * (q_hi - q_lo)
    lo_fence = q_lo - max(spread, 1.0 if log_y else abs(q_lo))
    hi_fence = q_hi + max(spread, 1.0 if log_y else abs(q_hi))
    inside = v[(v >= lo_fence) & (v <= hi_fence)]
    lo, hi = float(inside.min()), float(inside.max())
    shown = None
    if inside.size < v.size:
        pad = RANGE_MARGIN * (hi - lo) or (0.1 if log_y else 0.1 * abs(hi) or 0.1)
        shown = (lo - pad, hi + pad)
    if log_y:
        return YRange((10 ** lo_fence, 10 ** hi_fence),
                      None if shown is None else (10 ** shown[0], 10 ** shown[1]),
                      (10 ** lo, 10 ** hi))
    return YRange((lo_fence, hi_fence), shown, (lo, hi))


def clip_trace(lines: Sequence[Line], y_range: YRange | None) -> dict[str, Any] | None:
    """Marks at the top (or bottom) edge where a curve leaves a clipped axis, one per stretch
    off the scale (at its peak), each saying its value on hover, the largest few on the plot;
    None when nothing is clipped. A smoothed line drawn over its raw one gets no marks of its
    own. On an overlaid 0..1 axis, so the marks sit on the edge whatever the scale."""
    if y_range is None or y_range.shown is None:
        return None
    lo, hi = y_range.shown
    marks: list[tuple[float, int, str, float]] = []  # (how far off, step, curve, value)
    for line in ordinary_lines(lines):
        steps = np.asarray(line.steps, dtype=np.int64)
        values = np.asarray(line.values, dtype=np.float64)
        off = np.flatnonzero(np.isfinite(values) & ((values > hi) | (values < lo)))
        for stretch in np.split(off, np.flatnonzero(np.diff(off) > 1) + 1):
            if stretch.size:
                peak = int(stretch[np.argmax(np.abs(values[stretch]))])
                marks.append((abs(float(values[peak])), int(steps[peak]), line.name,
                              float(values[peak])))
    if not marks:
        return None
    labelled = sorted(marks, reverse=True)[:MAX_CLIP_LABELS]
    marks.sort(key=lambda m: m[1])
    top = [m[3] > hi for m in marks]
    return {
        "type": "scatter", "x": [m[1] for m in marks],
        "y": [CLIP_Y[1] if t else CLIP_Y[0] for t in top], "yaxis": "y8",
        "mode": "markers+text", "name": "off the scale",
        "text": [f"{m[3]:.3g}" if m in labelled else "" for m in marks],
        "textposition": ["bottom right" if t else "top right" for t in top],
        "textfont": {"size": 10, "color": "#d62728"},
        "hovertext": [html.escape(f"{m[2]} at step {m[1]}: {m[3]:.4g} (off the scale; "
                                  "double-click the plot to see all)") for m in marks],
        "hoverinfo": "text",
        "marker": {"symbol": ["triangle-up" if t else "triangle-down" for t in top],
                   "color": "#d62728", "size": 10},
    }


def ordinary_lines(lines: Sequence[Line]) -> list[Line]:
    """The lines a y range is read from: a smoothed line drawn over its raw one is left out
    (it lies within the raw values, but its EMA spreads a spike over dozens of steps, which a
    quantile would take for ordinary values)."""
    has_raw = any(line.style == "raw" for line in lines)
    return [line for line in lines if not (has_raw and line.style == "smooth")]


#: where clip marks sit on their overlaid 0..1 axis: above the event strip, and at the top
CLIP_Y = (0.09, 0.97)


def panel_shapes(band: tuple[float, float] | None, shade: Shade | None) -> list[dict[str, Any]]:
    """The layout shapes of a time figure: the typical band, then the diagnosis span."""
    shapes = []
    if band is not None:
        shapes.append({"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "yref": "y",
                       "y0": band[0], "y1": band[1], "fillcolor": "#2ca02c", "opacity": 0.08,
                       "line": {"width": 0}, "layer": "below", "name": "typical band"})
    if shade is not None:
        shapes.append(shade_shape(shade))
    return shapes


def shade_shape(shade: Shade) -> dict[str, Any]:
    """The layout shape that tints ``[start, end]`` with the diagnosis colour."""
    return {"type": "rect", "xref": "x", "yref": "paper", "x0": shade.start, "x1": shade.end,
            "y0": 0, "y1": 1, "fillcolor": status_style(shade.status).colour,
            "opacity": 0.1, "line": {"width": 0}, "layer": "below", "name": "diagnosis"}


#: where event marks sit on their strip (0 = foot of the plot, 1 = top)
EVENT_Y = 0.03


def events_by_kind(events: Sequence["Event"]) -> list[tuple[str, list["Event"]]]:
    """Events grouped by kind, in :func:`event_kinds` order (one trace, one legend entry each)."""
    groups: dict[str, list[Event]] = {}
    for e in events:
        groups.setdefault(e.kind, []).append(e)
    return [(kind, groups[kind]) for kind in event_kinds(groups)]


def event_kinds(kinds: Iterable[str]) -> list[str]:
    """The kinds of event present, in a fixed order: lrwatch's own, then others by name."""
    present = set(kinds)
    return [k for k in EVENT_STYLE if k in present] + sorted(present - set(EVENT_STYLE))


def _event_trace(kind: str, events: Sequence["Event"]) -> dict[str, Any]:
    """Events of one kind as marks on a strip at the foot of the plot (an overlaid 0..1 axis,
    so a log-scale or diverging loss does not move them), with a legend entry."""
    x, text, symbol, color = event_marks(events)
    label = EVENT_STYLE.get(kind, OTHER_EVENT_STYLE)[2]
    return {"type": "scatter", "x": x, "y": [EVENT_Y] * len(x), "yaxis": "y9", "mode": "markers",
            "name": html.escape(label if kind in EVENT_STYLE else f"{label}: {kind}"),
            "hovertext": text, "hoverinfo": "text",
            "marker": {"symbol": symbol, "color": color, "size": 9, "line": {"width": 0}}}


def event_marks(events: Sequence["Event"]) -> tuple[list[int], list[str], list[str], list[str]]:
    """Positions, hover texts, symbols and colours of events; a run of consecutive NaN steps
    collapses to one mark."""
    x: list[int] = []
    text: list[str] = []
    symbol: list[str] = []
    color: list[str] = []
    i = 0
    while i < len(events):
        e = events[i]
        j = i
        if e.kind == keys.EVENT_NONFINITE:
            while (j + 1 < len(events) and events[j + 1].kind == keys.EVENT_NONFINITE
                   and events[j + 1].step <= events[j].step + 1):
                j += 1
        sym, col, _ = EVENT_STYLE.get(e.kind, OTHER_EVENT_STYLE)
        x.append(int(e.step))
        text.append(describe_event(e, last_step=events[j].step if j > i else None))
        symbol.append(sym)
        color.append(col)
        i = j + 1
    return x, text, symbol, color


def describe_event(event: "Event", last_step: int | None = None) -> str:
    """One escaped line for an event's hover text (the guard's own message when it left one)."""
    p = event.payload
    if event.kind == keys.EVENT_NONFINITE:
        where = f"steps {event.step}–{last_step}" if last_step is not None else f"step {event.step}"
        what = ", ".join(f"{k}={v}" for k, v in sorted(p.items()) if k != "optimizer_skipped")
        skipped = " — the optimizer skipped the step" if p.get("optimizer_skipped") else ""
        return html.escape(f"NaN/inf at {where}" + (f" ({what})" if what else "") + skipped)
    if p.get("message"):
        return html.escape(str(p["message"]))
    if event.kind == keys.EVENT_DIAGNOSIS:
        parts = [str(p.get("status", "diagnosis changed"))]
        if positive_float(p.get("suggested_lr")) is not None:
            parts.append(f"suggested LR {_num(p['suggested_lr'])}")
        return html.escape(f"step {event.step}: " + ", ".join(parts))
    if event.kind == keys.EVENT_RANGE_TEST:
        lr = positive_float(p.get("suggested_lr"))
        return html.escape("LR range test" + (f": suggested {_num(lr)}" if lr else ""))
    summary = p.get("action") or ""
    return html.escape(f"step {event.step}: {event.kind}" + (f": {summary}" if summary else ""))


#: the colour of a cell whose gradient is exactly zero (missing data stays blank)
ZERO_COLOUR = "#d62728"


def heatmap_figure_dict(grid: LayerGrid, *, title: str = "Gradient norm per layer (log10)",
                        height: int | None = None) -> Figure:
    """Per-layer gradient norms over steps: one row per layer, colour = log10 norm; cells of
    exactly-zero gradient in :data:`ZERO_COLOUR` (with a legend entry), missing ones blank.
    The x axis ends at the last binned step."""
    layout = _layout(title, height or max(220, 80 + 18 * len(grid.layers)))
    layout["xaxis"] = {**layout["xaxis"], "title": {"text": "step"}}
    layout["yaxis"] = {**layout["yaxis"], "automargin": True}
    rows = [html.escape(n) for n in grid.layers]
    data: list[dict[str, Any]] = [{
        "type": "heatmap", "x": list(grid.edges), "y": rows, "z": [list(r) for r in grid.z],
        "colorscale": "Viridis", "name": "layers",
        "colorbar": {"title": {"text": "log10"}, "thickness": 12},
        "hovertemplate": "step %{x}<br>%{y}<br>log10 norm %{z}<extra></extra>"}, {
        "type": "heatmap", "x": list(grid.edges), "y": rows, "z": [list(r) for r in grid.zeros],
        "colorscale": [[0, ZERO_COLOUR], [1, ZERO_COLOUR]], "showscale": False,
        "name": "zero gradient", "hovertemplate": "step %{x}<br>%{y}<br>gradient exactly 0"
                                                  "<extra></extra>"}]
    if any(c for row in grid.zeros for c in row):
        data.append(_legend_only("gradient exactly 0", ZERO_COLOUR, "square"))
        layout["showlegend"] = True
    return {"data": data, "layout": layout}


def heatmap_figure(grid: LayerGrid, **kwargs: Any) -> go.Figure:
    """:func:`heatmap_figure_dict` as a ``go.Figure``."""
    return go.Figure(heatmap_figure_dict(grid, **kwargs))


def range_test_figure_dict(lr: Values, loss: Values, *, smoothed: Values | None = None,
                           suggested_lr: float | None = None, lower_lr: float | None = None,
                           upper_lr: float | None = None, lightning_lr: float | None = None,
                           height: int = 360) -> Figure:
    """Loss against LR (log axis) of a range test, with lrwatch's suggestion, its safe range
    and the LR Lightning's steepest-descent rule would pick."""
    layout = _layout("LR range test", height)
    layout["xaxis"] = {**layout["xaxis"], "title": {"text": "learning rate"}, "type": "log",
                       "tickformat": ".0e"}
    layout["yaxis"] = {**layout["yaxis"], "title": {"text": "loss"}}
    layout["hovermode"] = "closest"
    lr_list = compact(lr)
    data = [{"type": "scatter", "x": lr_list, "y": compact(loss), "mode": "lines", "name": "loss",
             "line": {"color": "#1f77b4", "width": 1}, "opacity": 0.35}]
    if smoothed is not None:
        data.append({"type": "scatter", "x": lr_list, "y": compact(smoothed), "mode": "lines",
                     "name": "loss (smoothed)", "line": {"color": "#1f77b4", "width": 2}})
    shapes = []
    if lower_lr and upper_lr:
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": lower_lr,
                       "x1": upper_lr, "y0": 0, "y1": 1, "fillcolor": "#2ca02c", "opacity": 0.12,
                       "line": {"width": 0}, "layer": "below", "name": "safe range"})
        data.append(_legend_only(f"safe range {_num(lower_lr)}–{_num(upper_lr)}", "#2ca02c",
                                 "square"))
    for value, label, color, dash in ((suggested_lr, "lrwatch suggestion", "#2ca02c", "solid"),
                                      (lightning_lr, "Lightning's pick", "#7f7f7f", "dash")):
        if value:
            shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": value, "x1": value,
                           "y0": 0, "y1": 1, "line": {"color": color, "width": 2, "dash": dash},
                           "name": label})
            data.append(_legend_only(f"{label} {_num(value)}", color, "line-ns-open"))
    layout["shapes"] = shapes
    if smoothed is not None:  # from the bottom to a bit above the start: the blow-up runs off
        curve = np.asarray(smoothed, dtype=np.float64)
        curve = curve[np.isfinite(curve)]
        if curve.size:
            layout["yaxis"]["range"] = _range_test_y_range(
                float(curve.min()), float(max(curve[0], curve.min())))
    return {"data": data, "layout": layout}


def range_test_figure(lr: Values, loss: Values, **kwargs: Any) -> go.Figure:
    """:func:`range_test_figure_dict` as a ``go.Figure``."""
    return go.Figure(range_test_figure_dict(lr, loss, **kwargs))


POSITION_COLORS = {"too_low": "#b8a000", "near_best": "#2ca02c", "too_high": "#ff7f0e",
                   "diverged": "#d62728"}  # one row per analysis.sweep.POSITIONS


#: what a sweep figure's y values are, by what ranked its runs (``SweepReading.ranked_by``):
#: the name and where on the steps it was read
_SWEEP_LEVELS = {
    "loss": ("final training loss", "median of the tail, at"),
    "val_loss": ("validation loss", "its last point by"),
    "best_val_loss": ("lowest validation loss", "up to"),
    "val_metric": ("validation metric as an error", "its last point by"),
    "best_val_metric": ("validation metric as an error, its best", "up to"),
}


def sweep_figure_dict(reading: "SweepReading", *, links: Mapping[str, str] | None = None,
                      title: str = "LR sweep", height: int = 380) -> Figure:
    """Final loss against LR (log axis) of a sweep's runs, coloured by position, with the fitted
    curve, the best-LR estimate and its band. ``links`` maps a run name to the page it opens
    (kept in each point's ``customdata``, for a click handler). Diverged runs sit on the top
    edge, marked x."""
    layout = _layout(title, height)
    layout["xaxis"] = {**layout["xaxis"], "title": {"text": "learning rate (peak)"},
                       "type": "log", "tickformat": ".0e"}
    level = _SWEEP_LEVELS.get(reading.ranked_by, _SWEEP_LEVELS["loss"])
    layout["yaxis"] = {**layout["yaxis"], "title": {
        "text": f"{level[0]} ({level[1]} step {reading.budget_step})"}}
    layout["hovermode"] = "closest"
    finite = [r.final_loss for r in reading.runs
              if r.final_loss is not None and r.position != "diverged"]
    top = max(finite) if finite else 1.0
    span = (top - min(finite)) if finite else 1.0
    ceiling = top + 0.15 * (span or abs(top) or 1.0)
    data: list[dict[str, Any]] = []
    for position, color in POSITION_COLORS.items():
        runs = [r for r in reading.runs if r.position == position]
        if not runs:
            continue
        diverged = position == "diverged"
        data.append({
            "type": "scatter", "mode": "markers", "name": position.replace("_", " "),
            "x": [r.lr for r in runs],
            "y": [ceiling if diverged or r.final_loss is None else min(r.final_loss, ceiling)
                  for r in runs],
            "text": [html.escape(r.name) for r in runs],
            "customdata": [(links or {}).get(r.name) for r in runs],
            # the value itself; a diverged run's point sits on the top edge, and its level
            # (what the run reached before it blew up) is not the loss the axis names
            "hovertext": [_sweep_value(None if diverged else r.final_loss) for r in runs],
            "hovertemplate": "%{text}<br>LR %{x:.3g}<br>" + level[0] + " %{hovertext}<extra>"
                             + position.replace("_", " ") + "</extra>",
            "marker": {"color": color, "size": 11, "symbol": "x" if diverged else "circle",
                       "line": {"width": 1, "color": "#333"}},
        })
    if reading.fit is not None and not reading.flat:
        lrs, levels = reading.fit
        data.append({"type": "scatter", "mode": "lines", "name": "fit", "x": list(lrs),
                     "y": compact(levels), "hoverinfo": "skip",
                     "line": {"color": "#555", "width": 1.5, "dash": "dot"}})
    shapes = []
    if reading.best_lr is not None and not reading.flat:
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": reading.best_lr_low,
                       "x1": reading.best_lr_high, "y0": 0, "y1": 1, "fillcolor": "#2ca02c",
                       "opacity": 0.12, "line": {"width": 0}, "layer": "below"})
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": reading.best_lr,
                       "x1": reading.best_lr, "y0": 0, "y1": 1,
                       "line": {"color": "#2ca02c", "width": 2}})
        data.append(_legend_only(
            f"best LR {_num(reading.best_lr)} ({_num(reading.best_lr_low)}–"
            f"{_num(reading.best_lr_high)})", "#2ca02c", "line-ns-open"))
    layout["shapes"] = shapes
    if reading.flat:
        layout["annotations"] = [{"text": "flat: the loss does not depend on the LR here",
                                  "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.95,
                                  "showarrow": False}]
    return {"data": data, "layout": layout}


def colorway() -> list[str]:
    """The colours runs get, in order."""
    return list(_TEMPLATE["layout"]["colorway"])


def _legend_only(name: str, color: str, symbol: str) -> dict[str, Any]:
    return {"type": "scatter", "x": [None], "y": [None], "mode": "markers",
            "name": html.escape(name), "marker": {"color": color, "symbol": symbol, "size": 10}}


def _scatter(line: Line) -> dict[str, Any]:
    trace: dict[str, Any] = {"type": "scatter", "x": int_list(line.steps),
                             "y": compact(line.values), "name": html.escape(line.name)}
    if line.style == "points":
        trace.update(mode="lines+markers", marker={"size": 6, "color": line.color},
                     line={"width": 1, "dash": "dot", "color": line.color})
    else:
        trace.update(mode="lines", opacity=0.3 if line.style == "raw" else 1.0,
                     line={"width": {"raw": 1, "smooth": 2}.get(line.style, 1.5),
                           "color": line.color})
    if line.color is None:
        del trace["line"]["color"]
        trace.get("marker", {}).pop("color", None)
    return trace


def _layout(title: str, height: int) -> dict[str, Any]:
    return {
        "template": _TEMPLATE,
        "title": {"text": html.escape(title), "x": 0.01, "font": {"size": 14}},
        "height": height, "margin": {"l": 60, "r": 20, "t": 40, "b": 40},
        "uirevision": UIREVISION, "hovermode": "x",
        "legend": {"orientation": "h", "x": 1, "xanchor": "right", "y": 1.02,
                   "yanchor": "bottom", "bgcolor": "rgba(255,255,255,0)"},
        "xaxis": {}, "yaxis": {},
    }


def _sweep_value(value: float | None) -> str:
    """A sweep point's level as its hover says it (None: the run diverged)."""
    return "none: the run diverged" if value is None else formatting.number(value)


def _num(x: Any) -> str:
    return f"{float(x):.3g}"


# -- notebooks ------------------------------------------------------------------------------

#: what :func:`plot` can draw: the time panels, plus these
PLOT_KINDS = ("overview", *PANELS, "layers", "range_test")


def check_smoothing(smoothing: object) -> None:
    """Refuse a smoothing weight that is not a number in [0, 1), naming the argument."""
    if isinstance(smoothing, bool) or not isinstance(smoothing, numbers.Real) \
            or not 0.0 <= smoothing < 1.0:
        raise ConfigError(f"smoothing must be a number in [0, 1), got {smoothing!r}")


def plot(store: "Store | str | os.PathLike[str]",
         run: "RunInfo | int | str | Sequence[RunInfo | int | str] | None" = None,
         kind: str = "overview", *, smoothing: float = 0.6, max_points: int = MAX_POINTS,
         diagnosis: bool = True) -> go.Figure:
    """A plotly figure of one run, or of several runs overlaid, read from a store.

    Args:
        store: a :class:`~lrwatch.Store` or the path of one (opened read-only).
        run: a run name, id or ``RunInfo``; a list of runs to compare them on one plot;
            the latest run when None.
        kind: ``"overview"`` (loss, LR, gradient norm and update ratio stacked), one panel
            (``"loss"``, ``"lr"``, ``"grad_norm"``, ``"update_ratio"``, ``"step_time"``),
            ``"layers"`` (per-layer gradient-norm heatmap) or ``"range_test"``.
        smoothing: EMA weight in ``[0, 1)`` of the smoothed loss.
        max_points: points per trace at most (long runs are downsampled, spikes kept).
        diagnosis: shade the span the run's diagnosis holds over (needs the analysis).

    Returns:
        A ``plotly.graph_objects.Figure``: ``.show()`` it, or ``.write_html(...)``.

    Raises:
        ConfigError: an unknown ``kind``, or a run without what ``kind`` needs.
        StoreError: the store cannot be read (``RunNotFound`` for an unknown run).

    Example::

        fig = lrwatch.plot("lrwatch_logs", "my-run", kind="loss")
        fig.show()
    """
    from lrwatch.store import Store as _Store

    if not isinstance(kind, str) or (kind not in PLOT_KINDS
                                     and not kind.startswith(LOGGED_PREFIX)):
        raise ConfigError(f"unknown plot kind {kind!r}: choose one of {', '.join(PLOT_KINDS)}, "
                          f"or a logged metric ({LOGGED_PREFIX}<name>)")
    check_smoothing(smoothing)
    own = not isinstance(store, _Store)
    st: Store = store if isinstance(store, _Store) else _Store(store, readonly=True)
    try:
        if isinstance(run, (list, tuple)):
            if not run:
                raise ConfigError("plot: the list of runs to compare is empty; name the runs (a "
                                  "name, id or RunInfo each), or pass one run")
            if kind in ("overview", "layers", "range_test"):
                raise ConfigError(
                    f"kind '{kind}' shows one run; to compare runs pick one of {', '.join(PANELS)}")
            return compare_figure(st, [st.run(r) for r in run], kind, smoothing=smoothing,
                                  n_out=max_points)
        info = st.run(cast("RunInfo | int | str | None", run))
        return run_figure(st, info, kind, smoothing=smoothing, n_out=max_points,
                          diagnosis=run_diagnosis(st, info) if diagnosis else None)
    finally:
        if own:
            st.close()


def run_diagnosis(store: "Store", run: "RunInfo") -> "Diagnosis | None":
    """The analysis' verdict on a stored run (None for a range-test run, or one with neither a
    loss nor several optimizers: a GAN's verdict comes from its gradients)."""
    if keys.is_range_test(run.meta):
        return None
    from lrwatch.analysis import analyze
    from lrwatch.readers import curves_from_store  # readers import figures' peers, not figures

    curves = curves_from_store(store, run)
    if not len(curves.loss) and not curves.other_optimizers:
        return None
    return analyze(curves)


def diagnosis_shade(diagnosis: "Diagnosis | None", run: "RunInfo") -> Shade | None:
    """The shaded span of a diagnosis that points at a problem or at health since a step."""
    if diagnosis is None or diagnosis.since_step is None:
        return None
    status = diagnosis.status.value
    if status == "insufficient_data":
        return None
    return Shade(int(diagnosis.since_step), max(int(diagnosis.since_step), run.last_step or 0),
                 status)


def run_figure(store: "Store", run: "RunInfo", kind: str, *, smoothing: float = 0.6,
               n_out: int = MAX_POINTS, diagnosis: "Diagnosis | None" = None,
               log_y: bool | None = None) -> go.Figure:
    """One figure of a run: a panel, the overview, the layer heatmap or its range test."""
    shade = diagnosis_shade(diagnosis, run)
    if kind == "range_test":
        test = linked_range_test(store, run)
        if test is None:
            raise ConfigError(f"run '{run.name}' has no LR range test")
        return go.Figure(range_test_from_store(store, test))
    if kind == "layers":
        grid = layer_heatmap(store, run)
        if not grid.layers:
            raise ConfigError(
                f"run '{run.name}' has no per-layer gradient norms (grad_norm/<layer>)")
        return heatmap_figure(grid)
    if kind == "overview":
        return overview_figure(store, run, smoothing=smoothing, n_out=n_out, shade=shade)
    panel = panel_named(kind)
    lines = panel_lines(store, run, kind, smoothing=smoothing, n_out=n_out)
    if not lines:
        raise ConfigError(f"run '{run.name}' has no '{kind}' series; it has: "
                          f"{', '.join(store.keys(run)) or 'none'}")
    return time_figure(lines, title=f"{panel.title} · {run.name}", y_title=panel.y_title,
                       log_y=panel.log_y if log_y is None else log_y, band=panel.band,
                       shade=shade, events=store.events(run))


def overview_figure(store: "Store", run: "RunInfo", *, smoothing: float = 0.6,
                    n_out: int = MAX_POINTS, shade: Shade | None = None) -> go.Figure:
    """Loss, LR, gradient norm and update ratio of a run, stacked on one step axis."""
    from plotly.subplots import make_subplots

    available = store.keys(run)
    panels = [p for p in ("loss", "lr", "grad_norm", "update_ratio")
              if PANELS[p].traces(available)]
    if not panels:
        raise ConfigError(f"run '{run.name}' has no series to plot yet")
    fig = make_subplots(rows=len(panels), cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=[PANELS[p].title for p in panels])
    drawn: list[Line] = []
    for row, name in enumerate(panels, start=1):
        panel = PANELS[name]
        lines = panel_lines(store, run, name, smoothing=smoothing, n_out=n_out)
        drawn += lines
        for line in lines:
            fig.add_trace(go.Scatter(_scatter(line)), row=row, col=1)
        y_range = robust_y_range([line.values for line in ordinary_lines(lines)], panel.log_y)
        fig.update_yaxes(title_text=panel.y_title, row=row, col=1,
                         **y_scale(panel.log_y, y_range))
        clipped = clip_trace(lines, y_range)
        if clipped is not None:  # subplots share one overlay axis badly: say it in words
            values = [float(t) for t in clipped["text"] if t]
            fig.add_annotation(
                xref="x domain", yref="y domain", x=1, y=1, xanchor="right", yanchor="top",
                showarrow=False, font={"size": 10, "color": "#d62728"}, row=row, col=1,
                text=f"{len(clipped['x'])} off the scale (up to {max(values, key=abs):.3g})")
        if panel.band is not None:
            fig.add_hrect(y0=panel.band[0], y1=panel.band[1], fillcolor="#2ca02c", opacity=0.08,
                          line_width=0, layer="below", row=row, col=1)
    fig.update_xaxes(title_text="step", row=len(panels), col=1)
    fig.update_xaxes(autorangeoptions=x_bounds(drawn))
    if shade is not None:
        fig.add_shape(**shade_shape(shade))
    fig.update_layout(template=_TEMPLATE, height=220 * len(panels) + 60, hovermode="x",
                      title={"text": html.escape(run.name), "x": 0.01},
                      margin={"l": 60, "r": 20, "t": 60, "b": 40}, uirevision=UIREVISION)
    return fig


def compare_figure(store: "Store", runs: Sequence["RunInfo"], kind: str = "loss", *,
                   smoothing: float = 0.6, n_out: int = MAX_POINTS) -> go.Figure:
    """Several runs overlaid on one step axis (the smoothed loss for ``kind="loss"``)."""
    panel = panel_named(kind)
    lines = []
    raw_values = []  # the y range comes from the unsmoothed values (see ordinary_lines)
    for i, run in enumerate(runs):
        color = colorway()[i % len(colorway())]
        for spec in compare_traces(panel, store.keys(run), run.meta):
            name = run.name if spec.key == panel_key(panel) else f"{run.name} {spec.key}"
            raw = store.scalars(run, spec.key)
            raw_values.append(raw[1])
            steps, values = load_series(store, run, spec, smoothing=smoothing, raw=raw)
            lines.append(to_line(steps, values, spec, n_out=n_out, name=name, color=color))
    return time_figure(lines, title=f"{panel.title}: {formatting.count(len(runs), 'run')}",
                       y_title=panel.y_title,
                       log_y=panel.log_y, band=panel.band,
                       y_range=robust_y_range(raw_values, panel.log_y))


def compare_traces(panel: Panel, available: Sequence[str],
                   meta: Mapping[str, Any] | None = None) -> list[TraceSpec]:
    """The one series per run a compare view overlays: the smoothed loss, or the panel's
    main key; of a run with several optimizers (its ``meta``), the one its loss is judged
    against (``lr@Muon`` of a Muon + AdamW hybrid, ``keys.judged_label``)."""
    if panel.name == "loss":
        return [TraceSpec(keys.LOSS, "smooth")] if keys.LOSS in available else []
    if panel.name.startswith(LOGGED_PREFIX):
        return panel.traces(available)
    key = panel_key(panel)
    if meta is not None and panel.name in PER_OPTIMIZER_PANELS:
        key = keys.optimizer_key(key, keys.judged_label(meta))
    return [TraceSpec(key)] if key in available else []


def panel_key(panel: Panel) -> str:
    return keys.LOSS if panel.name == "loss" else panel.name


def linked_range_test(store: "Store", run: "RunInfo") -> "RunInfo | None":
    """The range-test run itself, or the one ``run.meta["range_test"]["run"]`` names."""
    if keys.is_range_test(run.meta):
        return run
    link = run.meta.get("range_test")
    if isinstance(link, Mapping) and link.get("run"):
        try:
            return store.run(str(link["run"]))
        except LookupError:
            return None
    return None


def range_test_summary(store: "Store", test: "RunInfo") -> dict[str, Any]:
    """The suggestion payload of a range test (its last ``range_test`` event), or ``{}``."""
    events = store.events(test, kind=keys.EVENT_RANGE_TEST)
    return dict(events[-1].payload) if events else {}


def range_test_from_store(store: "Store", test: "RunInfo") -> Figure:
    """Loss vs LR of a stored range test (as ``find_lr`` stores it: series ``lr``, ``loss``
    and ``loss_smoothed``, and a ``range_test`` event with the picks) as a figure dict."""
    lr_steps, lr = store.scalars(test, keys.LR)
    loss_steps, loss = store.scalars(test, keys.LOSS)
    _, i_lr, i_loss = np.intersect1d(lr_steps, loss_steps, return_indices=True)
    steps, lr, loss = lr_steps[i_lr], lr[i_lr], loss[i_loss]
    smooth_steps, smoothed = store.scalars(test, keys.LOSS_SMOOTHED)
    if smooth_steps.size:
        smoothed = np.interp(steps, smooth_steps, smoothed) if steps.size else smoothed[:0]
    info = range_test_summary(store, test)
    return range_test_figure_dict(
        lr, loss, smoothed=smoothed if smooth_steps.size else None,
        suggested_lr=positive_float(info.get("suggested_lr")),
        lower_lr=positive_float(info.get("lower_lr")),
        upper_lr=positive_float(info.get("upper_lr")),
        lightning_lr=positive_float(info.get("lightning_suggestion")))


def range_test_curve(store: "Store", test: "RunInfo") -> tuple[np.ndarray, np.ndarray]:
    """A stored range test's (LR, loss) at the steps that have both: the smoothed loss when
    ``find_lr`` stored one, else the raw loss."""
    lr_steps, lr = store.scalars(test, keys.LR)
    loss_key = keys.LOSS_SMOOTHED if keys.LOSS_SMOOTHED in store.keys(test) else keys.LOSS
    loss_steps, loss = store.scalars(test, loss_key)
    _, i_lr, i_loss = np.intersect1d(lr_steps, loss_steps, return_indices=True)
    return lr[i_lr], loss[i_loss]


def range_tests_figure_dict(store: "Store", tests: Sequence["RunInfo"], *,
                            height: int = 300) -> Figure:
    """Several range tests overlaid as loss against LR (log axis): a compare page keeps them
    here, out of its by-step panels, whose LR axis they would stretch over decades. The y axis
    runs from the lowest loss to a bit above the highest start: the blow-ups run off the top."""
    layout = _layout(f"LR range tests: loss vs LR ({len(tests)})", height)
    layout["xaxis"] = {**layout["xaxis"], "title": {"text": "learning rate"}, "type": "log",
                       "exponentformat": "e"}
    layout["yaxis"] = {**layout["yaxis"], "title": {"text": "loss (smoothed)"}}
    layout["hovermode"] = "closest"
    layout["showlegend"] = True  # the legend names each test and its suggestion
    data = []
    lows, highs = [], []
    for i, test in enumerate(tests):
        lr, loss = range_test_curve(store, test)
        finite = loss[np.isfinite(loss)]
        if finite.size:
            lows.append(float(finite.min()))
            highs.append(float(max(finite[0], finite.min())))
        suggested = positive_float(range_test_summary(store, test).get("suggested_lr"))
        name = test.name + (f" (suggested {_num(suggested)})" if suggested else "")
        data.append({"type": "scatter", "mode": "lines", "x": compact(lr), "y": compact(loss),
                     "name": html.escape(name),
                     "line": {"width": 2, "color": colorway()[i % len(colorway())]}})
    if lows:
        layout["yaxis"]["range"] = _range_test_y_range(min(lows), max(highs))
    return {"data": data, "layout": layout}


def _range_test_y_range(low: float, high: float) -> list[float]:
    """A range test's y axis: from its lowest loss to a bit above where it started (the
    blow-up runs off the top instead of squashing the dip)."""
    pad = 0.1 * (high - low) or 0.1 * abs(high) or 0.1
    return [low - pad, high + 2 * pad]


def positive_float(x: Any) -> float | None:
    """``x`` as a finite positive float (an LR read from stored metadata), else None."""
    try:
        value = float(x)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) and value > 0 else None
