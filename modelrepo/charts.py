"""Server-rendered metric charts: one line chart per numeric metric across a record's
versions (oldest first), plus the same values for a fallback table.

This module computes geometry and text only; ``templates/modelrepo/_metrics_chart.html``
draws the SVG, so every user-supplied string (metric names, version labels) goes through the
template's escaping. The only strings built here are coordinates made of numbers."""

import math

from catalog.models import Product
from modelrepo.compare import is_number
from modelrepo.models import ModelVersion

WIDTH = 640
HEIGHT = 240
MARGIN_LEFT = 72
MARGIN_RIGHT = 24
MARGIN_TOP = 16
MARGIN_BOTTOM = 44
# Inner padding, so the extreme points sit off the axes.
PAD_X = 16
PAD_Y = 10
MAX_X_LABELS = 8
MAX_X_LABEL_CHARS = 14


def format_value(value) -> str:
    """A metric value as the table and tooltips show it: the shortest exact form."""
    return repr(value) if isinstance(value, float) else str(value)


def format_tick(value) -> str:
    return f"{value:.4g}"


def metric_series(versions) -> dict:
    """``{metric name: [(version label, value), ...]}`` over ``versions`` (dicts with
    ``label`` and ``metrics``, in creation order), numeric values only."""
    series = {}
    for version in versions:
        metrics = version["metrics"] if isinstance(version["metrics"], dict) else {}
        for name, value in metrics.items():
            if is_number(value):
                series.setdefault(str(name), []).append((version["label"], value))
    return series


def _truncate(label: str) -> str:
    return label if len(label) <= MAX_X_LABEL_CHARS else label[: MAX_X_LABEL_CHARS - 1] + "…"


def _chart(index: int, name: str, values: list, id_prefix: str) -> dict:
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    numbers = [value for _, value in values]
    low, high = min(numbers), max(numbers)
    # Scale into [-1, 1] first so extreme values (1e308) cannot overflow the range.
    scale = max(abs(low), abs(high)) or 1.0
    lo, hi = low / scale, high / scale
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5  # a flat line sits in the middle

    def y_of(value) -> float:
        return MARGIN_TOP + PAD_Y + (hi - value / scale) / (hi - lo) * (plot_height - 2 * PAD_Y)

    count = len(values)
    step = (plot_width - 2 * PAD_X) / (count - 1) if count > 1 else 0
    label_every = math.ceil(count / MAX_X_LABELS)
    points, x_labels = [], []
    for i, (label, value) in enumerate(values):
        x = MARGIN_LEFT + (PAD_X + i * step if count > 1 else plot_width / 2)
        y = y_of(value)
        points.append({"x": f"{x:.1f}", "y": f"{y:.1f}", "label": label, "value": value,
                       "display": format_value(value)})
        if i % label_every == 0:
            x_labels.append({"x": f"{x:.1f}", "label": _truncate(label), "full": label})
    ticks = [{"y": f"{y_of(high):.1f}", "label": format_tick(high), "kind": "maximum"}]
    if low != high:
        ticks.append({"y": f"{y_of(low):.1f}", "label": format_tick(low), "kind": "minimum"})
    first, last = values[0], values[-1]
    description = (
        f"{count} version{'s' if count != 1 else ''}, oldest first: from {format_value(first[1])} at {first[0]}"
        f" to {format_value(last[1])} at {last[0]}; minimum {format_value(low)}, maximum {format_value(high)}."
        if count > 1 else f"One version: {format_value(first[1])} at {first[0]}."
    )
    chart_id = f"{id_prefix}-{index}"
    return {
        "id": chart_id,
        "title_id": f"{chart_id}-title",
        "desc_id": f"{chart_id}-desc",
        "name": name,
        "title": f"{name} across versions",
        "description": description,
        "width": WIDTH,
        "height": HEIGHT,
        "plot_left": MARGIN_LEFT,
        "plot_right": WIDTH - MARGIN_RIGHT,
        "plot_top": MARGIN_TOP,
        "plot_bottom": HEIGHT - MARGIN_BOTTOM,
        "tick_label_x": MARGIN_LEFT - 8,
        "x_label_y": HEIGHT - MARGIN_BOTTOM + 20,
        "points": points,
        "line": " ".join(f"{p['x']},{p['y']}" for p in points) if count > 1 else "",
        "y_ticks": ticks,
        "x_labels": x_labels,
        "minimum": low,
        "maximum": high,
    }


def build_metric_charts(versions, *, id_prefix: str = "metric-chart") -> list[dict]:
    """One chart per numeric metric of ``versions`` (dicts with ``label`` and ``metrics``, in
    creation order), sorted by metric name."""
    series = metric_series(versions)
    names = sorted(series, key=lambda n: (n.lower(), n))
    return [_chart(i, name, series[name], id_prefix) for i, name in enumerate(names)]


def metric_charts_for(product: Product, *, id_prefix: str = "metric-chart") -> list[dict]:
    """The charts of ``product``'s versions for ``templates/modelrepo/_metrics_chart.html``
    (context variable ``metric_charts``). One query. Pass another ``id_prefix`` when a page
    includes the charts twice, so the element ids stay unique."""
    versions = ModelVersion.objects.filter(product=product).order_by("created_at", "id").values("label", "metrics")
    return build_metric_charts(versions, id_prefix=id_prefix)
