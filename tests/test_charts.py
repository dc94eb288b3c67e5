"""The console's charts: SVG with text kept as text, in any script, and their CSV."""

from __future__ import annotations

import warnings

from bot.console.charts import Series, bar_chart, line_chart


def test_names_in_any_script_draw_without_a_warning() -> None:
    names = ["中文", "ខ្មែរ", "ไทย", "한국어", "Tiếng Việt"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the suite's setting: a missing glyph would raise
        svg = bar_chart([Series.of("Texts", names, [5, 4, 3, 2, 1])], title="By language")
    for name in names:  # kept as text: the browser draws it in its own fonts
        assert name in svg
    assert svg.lstrip().startswith("<?xml") and "<script" not in svg


def test_a_line_chart_keeps_its_title_and_labels_as_text() -> None:
    svg = line_chart([Series.of("Sent", ["12-01", "12-02"], [10, 20])], title="Sends by day")
    assert "Sends by day" in svg and "12-02" in svg
