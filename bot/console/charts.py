"""Charts for the console, drawn on the server by matplotlib as SVG images (text kept as text),
each served by its own route with the numbers also on the page as a table (for screen readers
and for anyone who wants the figures) and as CSV.

    svg = line_chart(Series.of("Sent", days, counts), title="Sends by day")
    return svg_response(svg)

An image may not run scripts and needs its own inline styles: `svg_response` gives it the
Content-Security-Policy an SVG document needs, which the console's pages never relax.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: files only

from matplotlib import pyplot as plt
from starlette.responses import Response

from bot.contacts.imports.spreadsheet import safe_cell

# Colours a colour-blind reader tells apart (Okabe and Ito), darkened for AA contrast on white.
PALETTE = ("#0b5ea8", "#b35900", "#00795c", "#a3195b", "#5b4aa8", "#7a6500", "#1d1d1d")
SVG_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
plt.rcParams.update(
    {
        "svg.fonttype": "none",  # text stays text: selectable, translatable, small
        "font.family": "sans-serif",
        "font.size": 11,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.color": "#d0d7de",
        "grid.linewidth": 0.6,
    }
)


@dataclass(frozen=True)
class Series:
    """One line or one set of bars: a name and its values, one per category or point."""

    name: str
    labels: tuple[str, ...]
    values: tuple[float, ...]
    low: tuple[float, ...] | None = None  # an interval around each value (bars only)
    high: tuple[float, ...] | None = None

    @classmethod
    def of(cls, name: str, labels: Iterable[Any], values: Iterable[float]) -> Series:
        """A series from any labels (dates, codes) and numbers."""
        return cls(name, tuple(str(x) for x in labels), tuple(float(v) for v in values))


def _svg(fig: Any) -> str:
    out = io.StringIO()
    with warnings.catch_warnings():
        # Text stays text in the SVG (svg.fonttype none): the browser draws an organization's
        # or a language's name in its own fonts, whatever the script. Matplotlib only
        # measures it, and warns when its font lacks a glyph (CJK, Khmer, Thai...).
        warnings.filterwarnings("ignore", message="Glyph .* missing from", category=UserWarning)
        fig.savefig(out, format="svg", bbox_inches="tight")
    plt.close(fig)
    return out.getvalue()


def _frame(title: str, width: float, height: float) -> tuple[Any, Any]:
    fig, ax = plt.subplots(figsize=(width, height), dpi=96)
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    return fig, ax


def line_chart(
    series: Sequence[Series], *, title: str, y_label: str = "", width: float = 7.5
) -> str:
    """Lines over shared categories (days, hours), as an SVG document."""
    fig, ax = _frame(title, width, 3.2)
    for n, s in enumerate(series):
        ax.plot(s.labels, s.values, marker="o", markersize=3, color=PALETTE[n % 7], label=s.name)
    if len(series) > 1:
        ax.legend(frameon=False, loc="upper left")
    ax.set_ylabel(y_label)
    ax.set_ylim(bottom=0)
    if series and len(series[0].labels) > 10:
        step = max(1, len(series[0].labels) // 8)
        ax.set_xticks(range(0, len(series[0].labels), step))
    fig.autofmt_xdate()
    return _svg(fig)


def bar_chart(
    series: Sequence[Series],
    *,
    title: str,
    y_label: str = "",
    horizontal: bool = False,
    width: float = 7.5,
    percent: bool = False,
) -> str:
    """Grouped bars (with interval whiskers when a series has them), as an SVG document."""
    labels = series[0].labels if series else ()
    height = 0.9 + 0.45 * max(1, len(labels)) if horizontal else 3.2
    fig, ax = _frame(title, width, min(height, 9.0))
    count = max(1, len(series))
    size = 0.8 / count
    for n, s in enumerate(series):
        spots = [i + (n - (count - 1) / 2) * size for i in range(len(s.labels))]
        errors = None
        if s.low is not None and s.high is not None:
            errors = [
                [max(0.0, v - lo) for v, lo in zip(s.values, s.low, strict=True)],
                [max(0.0, hi - v) for v, hi in zip(s.values, s.high, strict=True)],
            ]
        draw = ax.barh if horizontal else ax.bar
        kwargs = {"xerr" if horizontal else "yerr": errors, "capsize": 3} if errors else {}
        draw(spots, s.values, size, color=PALETTE[n % 7], label=s.name, **kwargs)
    ticks = list(range(len(labels)))
    if horizontal:
        ax.set_yticks(ticks, labels)
        ax.invert_yaxis()
        ax.set_xlabel(y_label)
    else:
        ax.set_xticks(ticks, labels)
        ax.set_ylabel(y_label)
        if len(labels) > 6:
            fig.autofmt_xdate()
    if percent:
        axis = ax.xaxis if horizontal else ax.yaxis
        axis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    if count > 1:
        ax.legend(frameon=False)
    return _svg(fig)


def svg_response(svg: str) -> Response:
    """An SVG chart as a response of its own."""
    return Response(svg, media_type="image/svg+xml", headers=SVG_HEADERS)


def csv_response(header: Sequence[str], rows: Iterable[Sequence[Any]], filename: str) -> Response:
    """A chart's numbers as CSV, for a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)  # formula-safe
    disposition = f'attachment; filename="{filename}"'
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )
