"""The server-drawn SVG charts: valid XML, escaped text, one shape per value, tooltips."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from gogaek.reports.svg import Reference, Series, bar_chart, format_number, line_chart, nice_ticks

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 - our own output, parsed to check it is well formed


def test_nice_ticks_cover_the_top_with_round_steps() -> None:
    assert nice_ticks(0) == [0.0, 1.0]
    assert nice_ticks(9) == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    assert nice_ticks(97)[-1] >= 97
    assert nice_ticks(0.8) == [0.0, 0.2, 0.4, 0.6, 0.8]


def test_format_number_uses_thousands_separators() -> None:
    assert format_number(12345, "건") == "12,345건"
    assert format_number(2.4, "h") == "2.4h"
    assert format_number(9.0) == "9"


def test_stacked_bars_have_one_rect_per_positive_value_with_a_title() -> None:
    svg = bar_chart(
        ["12/1", "12/2", "12/3"],
        [Series("웹", [3, 0, 5]), Series("채팅", [1, 2, 0])],
        title="채널별 문의",
        unit="건",
    )
    root = parse(svg)
    assert root.get("role") == "img" and root.get("aria-label") == "채널별 문의"
    bars = root.findall(".//svg:rect[@class='chart-bar']", NS)
    assert len(bars) == 4
    titles = [bar.find("svg:title", NS).text for bar in bars]  # type: ignore[union-attr]
    assert "12/1 · 웹: 3건" in titles and "12/2 · 채팅: 2건" in titles
    texts = [element.text for element in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "12/1" in texts and "웹" in texts and "채팅" in texts


def test_stacked_bar_heights_add_up() -> None:
    root = parse(bar_chart(["a"], [Series("x", [2]), Series("y", [6])], title="t"))
    heights = [float(bar.get("height", "0")) for bar in root.findall(".//svg:rect[@class='chart-bar']", NS)]
    assert heights[1] == 3 * heights[0]


def test_text_is_escaped() -> None:
    svg = bar_chart(["<script>"], [Series('a&b"', [1])], title="<b>제목</b>")
    assert "<script>" not in svg and "<b>" not in svg
    root = parse(svg)
    assert root.get("aria-label") == "<b>제목</b>"


def test_lines_break_at_missing_values_and_show_the_target() -> None:
    svg = line_chart(
        ["1주", "2주", "3주", "4주"],
        [Series("중앙값", [1.5, None, 2.0, 3.0])],
        title="첫 답변",
        unit="h",
        reference=Reference("SLA 목표 9시간", 9.0),
    )
    root = parse(svg)
    assert len(root.findall(".//svg:circle", NS)) == 3
    assert len(root.findall(".//svg:polyline", NS)) == 1  # the lone first point draws no line
    reference = root.find(".//svg:line[@class='chart-reference']", NS)
    assert reference is not None
    assert reference.find("svg:title", NS).text == "SLA 목표 9시간: 9h"  # type: ignore[union-attr]


def test_no_data_says_so() -> None:
    for svg in (bar_chart(["a"], [Series("x", [0])], title="t"), line_chart(["a"], [Series("x", [None])], title="t")):
        assert "데이터가 없습니다" in svg
        parse(svg)


def test_many_labels_are_thinned() -> None:
    labels = [f"d{n}" for n in range(90)]
    root = parse(bar_chart(labels, [Series("x", [1] * 90)], title="t"))
    shown = [
        element for element in root.iter("{http://www.w3.org/2000/svg}text") if element.get("class") == "chart-label"
    ]
    assert 8 <= len(shown) <= 12
