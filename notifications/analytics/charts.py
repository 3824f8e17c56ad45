"""Small SVG charts drawn on the server: no script, no CDN, no style attribute (the pages'
Content-Security-Policy refuses inline styles, and presentation attributes such as `fill` are not
styles). Pure functions from values to markup; the page embeds the markup and puts the same
figures in a table beside it.

Drawn in a viewBox 360 units wide, scaled to the width of its box: on a 375 px phone one unit is
about one pixel, so 11-unit text stays readable; on a desktop the CSS caps the width.
"""
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 360
LEFT, RIGHT, TOP = 44, 16, 8
PLOT_HEIGHT = 150
FONT = 11
PALETTE = ("#1f5fbf", "#b42318", "#9a5b00", "#1e7a3c")
INK, MUTED, GRID = "#1d2329", "#5f6b76", "#dde1e6"
LABEL_WIDTH = 38  # what one x-axis label needs, in units


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


def _text(x: float, y: float, text: str, *, anchor: str = "start", fill: str = INK, size: int = FONT) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}">'
            f"{escape(text)}</text>")


def _frame(chart_id: str, title: str, description: str, height: float, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
            f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="system-ui, sans-serif">'
            f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>'
            + "".join(body) + "</svg>")


def _legend(series: Sequence[Series], y: float) -> list[str]:
    parts, x = [], LEFT
    for index, one in enumerate(series):
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{PALETTE[index % len(PALETTE)]}"/>')
        parts.append(_text(x + 14, y, one.name))
        x += 14 + 6.5 * len(one.name) + 14
    return parts


DURATION_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
                  86400, 172800, 604800]


def nice_step(largest: float, *, durations: bool, ticks: int = 4) -> float:
    """A round step that covers `largest` in at most `ticks` steps (seconds, minutes, hours or
    days for durations; 1, 2 or 5 times a power of ten for counts)."""
    if largest <= 0:
        return 1
    if durations:
        return next((s for s in DURATION_STEPS if s * ticks >= largest), math.ceil(largest / ticks / 86400) * 86400)
    magnitude = 10 ** math.floor(math.log10(largest / ticks))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude * ticks >= largest)


def _y_axis(step: float, steps: int, value_text: Callable[[float], str]) -> list[str]:
    parts = []
    for k in range(steps + 1):
        y = TOP + PLOT_HEIGHT - PLOT_HEIGHT * k / steps
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(_text(LEFT - 4, y + 4, value_text(step * k), anchor="end", fill=MUTED))
    return parts


def _x_labels(labels: Sequence[str], x_of: Callable[[int], float]) -> list[str]:
    every = max(1, math.ceil(len(labels) * LABEL_WIDTH / (WIDTH - LEFT - RIGHT)))
    return [_text(x_of(i), TOP + PLOT_HEIGHT + 14, label, anchor="middle", fill=MUTED)
            for i, label in enumerate(labels) if i % every == 0]


def _scale(series: Sequence[Series], durations: bool) -> tuple[float, int]:
    largest = max((v for s in series for v in s.values if v is not None), default=0)
    step = nice_step(largest, durations=durations)
    return step, max(1, math.ceil(largest / step))


def column_chart(*, chart_id: str, title: str, labels: Sequence[str], series: Sequence[Series],
                 value_text: Callable[[float], str] = lambda v: f"{v:g}", durations: bool = False) -> str:
    """Columns per label; a later series is drawn over the earlier one, narrower (a part of it:
    incidents, and those that escalated)."""
    step, steps = _scale(series, durations)
    top_value = step * steps
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    body = _y_axis(step, steps, value_text)
    for index, one in enumerate(series):
        width = slot * (0.7 - 0.3 * index)
        for i, value in enumerate(one.values):
            if not value:
                continue
            height = PLOT_HEIGHT * value / top_value
            x = LEFT + slot * i + (slot - width) / 2
            body.append(f'<rect x="{x:.1f}" y="{TOP + PLOT_HEIGHT - height:.1f}" width="{width:.1f}" '
                        f'height="{height:.1f}" fill="{PALETTE[index % len(PALETTE)]}">'
                        f"<title>{escape(f'{labels[i]}: {value_text(value)} {one.name.lower()}')}</title></rect>")
    body += _x_labels(labels, lambda i: LEFT + slot * (i + 0.5))
    body += _legend(series, TOP + PLOT_HEIGHT + 36)
    return _frame(chart_id, title, _describe(labels, series, value_text), TOP + PLOT_HEIGHT + 44, body)


def line_chart(*, chart_id: str, title: str, labels: Sequence[str], series: Sequence[Series],
               value_text: Callable[[float], str] = lambda v: f"{v:g}", durations: bool = False) -> str:
    """A line per series over the labels; a missing value (no incident that week) breaks the line."""
    step, steps = _scale(series, durations)
    top_value = step * steps
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    body = _y_axis(step, steps, value_text)
    for index, one in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        runs, run = [], []
        for i, v in enumerate(one.values):
            if v is None:
                runs.append(run)
                run = []
            else:
                run.append((LEFT + slot * (i + 0.5), TOP + PLOT_HEIGHT - PLOT_HEIGHT * v / top_value, labels[i], v))
        runs.append(run)
        for part in runs:
            if len(part) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in part)
                body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y, label, v in (point for part in runs for point in part):
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                        f"<title>{escape(f'{label}: {one.name.lower()} {value_text(v)}')}</title></circle>")
    body += _x_labels(labels, lambda i: LEFT + slot * (i + 0.5))
    body += _legend(series, TOP + PLOT_HEIGHT + 36)
    return _frame(chart_id, title, _describe(labels, series, value_text), TOP + PLOT_HEIGHT + 44, body)


def bar_chart(*, chart_id: str, title: str, labels: Sequence[str], series: Sequence[Series],
              value_text: Callable[[float], str] = lambda v: f"{v:g}") -> str:
    """Horizontal bars, one row per label with the label above its bar, so that long names fit a
    phone; a later series is drawn over the earlier one (a part of it: pages, and those at night)."""
    row = 32
    step, steps = _scale(series, durations=False)
    top_value = step * steps
    plot = WIDTH - 8 - RIGHT - 40
    body = []
    for i, label in enumerate(labels):
        y = TOP + row * i
        body.append(_text(8, y + 11, label if len(label) <= 48 else label[:47] + "…"))
        for index, one in enumerate(series):
            value = one.values[i] or 0
            width = plot * value / top_value
            height = 12 - 4 * index
            body.append(f'<rect x="8" y="{y + 15 + 2 * index:.1f}" width="{width:.1f}" height="{height}" '
                        f'fill="{PALETTE[index % len(PALETTE)]}">'
                        f"<title>{escape(f'{label}: {value_text(value)} {one.name.lower()}')}</title></rect>")
        first = series[0].values[i] or 0
        body.append(_text(8 + plot * first / top_value + 4, y + 26, " / ".join(
            value_text(s.values[i] or 0) for s in series), fill=MUTED))
    height = TOP + row * len(labels) + 8
    body += _legend(series, height + 10)
    return _frame(chart_id, title, _describe(labels, series, value_text), height + 18, body)


def _describe(labels: Sequence[str], series: Sequence[Series], value_text: Callable[[float], str]) -> str:
    """The figures as one sentence, for screen readers (the table beside the chart has them too)."""
    parts = []
    for one in series:
        shown = [f"{label} {value_text(v)}" for label, v in zip(labels, one.values) if v is not None]
        parts.append(f"{one.name}: {', '.join(shown) or 'none'}.")
    return " ".join(parts)
