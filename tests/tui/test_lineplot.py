"""The native line chart: geometry, rules, ticks and scatter dots as cells."""

import numpy as np

from gradtui.tui.widgets.canvas import AXIS, Canvas
from gradtui.tui.widgets.lineplot import Chart, Series, draw_chart, linear_ticks, log_ticks, tick_label


def text_rows(strips) -> list[str]:
    return ["".join(segment.text for segment in strip) for strip in strips]


def colours_in_row(strip) -> set[str]:
    """Colours of the drawn cells (the axis left out)."""
    return {segment.style.color.name for segment in strip
            if segment.style and segment.style.color and segment.text.strip()} - {AXIS.color.name}


def test_a_chart_fills_its_size_with_labels_left_and_below():
    chart = Chart((0.0, 10.0), (0.0, 10.0), xticks=[(0.0, "0"), (10.0, "10")],
                  yticks=[(0.0, "0"), (10.0, "10")])
    strips = draw_chart(chart, 30, 10)
    rows = text_rows(strips)
    assert len(strips) == 10 and all(strip.cell_length == 30 for strip in strips)
    assert rows[0].startswith("10┤") and rows[8].startswith(" 0┤")
    assert rows[9].startswith("  └0") and rows[9].rstrip().endswith("10")


def test_a_rule_and_a_series_land_in_the_rows_of_their_values():
    chart = Chart((0.0, 10.0), (0.0, 8.0), hlines=[(7.5, "#ff0000")],
                  series=[Series(np.array([0.0, 10.0]), np.array([1.5, 1.5]), "#00ff00")])
    strips = draw_chart(chart, 23, 9)  # 22 x 8 plotting cells: one row per unit of y
    assert colours_in_row(strips[0]) == {"#ff0000"}  # y = 7.5 is in the top row (7..8)
    assert colours_in_row(strips[6]) == {"#00ff00"}  # y = 1.5 in row 6 (1..2)
    assert all(not colours_in_row(strips[r]) for r in (1, 2, 3, 4, 5, 7))
    assert set(text_rows(strips)[6][1:]) <= {chr(c) for c in range(0x2801, 0x2900)}


def test_scatter_draws_one_dot_per_point_and_skips_points_outside():
    chart = Chart((0.0, 1.0), (0.0, 1.0),
                  scatter=[Series(np.array([0.1, 0.9, 5.0, np.nan]), np.array([0.1, 0.9, 0.5, 0.5]), "#ffffff")])
    cells = "".join(text_rows(draw_chart(chart, 11, 6))[:5])
    dots = [c for c in cells if 0x2800 < ord(c) < 0x2900]
    assert len(dots) == 2 and all(bin(ord(c) - 0x2800).count("1") == 1 for c in dots)


def test_of_two_ticks_in_one_row_the_one_nearer_its_middle_is_labelled():
    # Five rows over log10 values -0.3..3.3: 100 (2.0) and 1000 (3.0) share the top row,
    # whose middle is at 2.94; the label there must say 1000, where the line is.
    chart = Chart((0.0, 1.0), (-0.3, 3.3), hlines=[(3.0, "#ff0000")],
                  yticks=[(2.0, "100"), (3.0, "1000")])
    assert text_rows(draw_chart(chart, 20, 6))[0].startswith("1000┤")


def test_tick_helpers():
    assert [label for _, label in linear_ticks(-0.2, 2.2, most=4)] == ["0", "1", "2"]
    assert [label for _, label in log_ticks(-3.2, 3.1)] == ["0.001", "0.01", "0.1", "1", "10", "100", "1000"]
    assert tick_label(1e7) == "1e7" and tick_label(0.05) == "0.05"


def test_huge_values_neither_overflow_the_axis_labels_nor_the_rasteriser():
    # a diverged regression fit (lr-too-high at the NaN pause): y near +-3.5e153 and a loss near 1e308
    ticks = log_ticks(0.0, 320.0)
    assert ticks[-1][1] == "1e306" and all(position <= 308.26 for position, _ in ticks)  # none past float max
    assert [label for _, label in log_ticks(305.0, 316.0)] == ["1e305", "1e306", "1e307", "1e308"]
    canvas = Canvas(43, 9, (-3.1, 3.1), (-1.5, 1.5))
    xs = np.linspace(-3.1, 3.1, 120)
    canvas.polylines([(np.column_stack([xs, np.linspace(-3.5e153, 3.0e153, 120)]), "#50aaff")])
    rows = canvas.rows()
    assert len(rows) == 9 and all(sum(len(seg.text) for seg in row) == 43 for row in rows)
