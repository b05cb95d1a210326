"""Slide controls of viz.draw: resolution, font size, theme, transparent background, number
format, hiding edge labels or rows, highlighting a path, and SVG that fits a notebook cell."""

from __future__ import annotations

import re
import struct

import pytest

import viz
from demo import seed_example


def seed_diagram(**options) -> viz.Diagram:
    loss, _ = seed_example()
    loss.backward()
    return viz.draw(loss, **options)


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (bytes 16-24)."""
    return struct.unpack(">II", png[16:24])


def test_dpi_scales_the_png():
    small = png_size(seed_diagram(dpi=48).pipe("png"))
    large = png_size(seed_diagram(dpi=144).pipe("png"))
    # Three times the dots per inch: three times the pixels each way (to a pixel's rounding).
    assert abs(large[0] - 3 * small[0]) <= 3 and abs(large[1] - 3 * small[1]) <= 3


def test_fontsize_sets_the_text_and_edge_labels_are_a_point_smaller():
    source = seed_diagram(fontsize=16).source
    assert 'node [fontcolor="#000000" fontname=Helvetica fontsize=16]' in source
    assert re.search(r"^\tl\d+ \[label=\"[^\"]+\"[^\]]*fontsize=15", source, re.M)


@pytest.mark.parametrize(
    ("theme", "background"), [("light", "white"), ("dark", '"#1E1E1E"'), ("print", "white")]
)
def test_themes_set_the_background(theme, background):
    source = seed_diagram(theme=theme).source
    assert f"bgcolor={background}" in source


def test_the_print_theme_draws_boxes_without_fills():
    source = seed_diagram(theme="print", legend=False).source
    fills = set(re.findall(r'table border="\d" [^>]*bgcolor="([^"]+)"', source))
    assert fills == {"white"}


def test_transparent_background():
    assert "bgcolor=transparent" in seed_diagram(transparent=True).source


def test_number_format_gives_fixed_decimals():
    source = seed_diagram(number_format=".2f").source
    # dL/dw1 = -18 and the edge x -> w1*x: -18 x 2 = -36, now with two decimals.
    assert "grad -18.00" in source
    assert "-18.00 × 2.00 = -36.00" in source


def test_edge_labels_and_rows_can_be_hidden():
    bare = seed_diagram(edge_labels=False, rows=("data",)).source
    assert "×  " not in bare and " = -36" not in bare
    assert "grad" not in bare.split("legend")[0]
    assert "data 9" in bare


def test_highlight_greys_the_rest_and_keeps_it():
    loss, leaves = seed_example()
    loss.backward()
    source = viz.draw(loss, highlight="x").source
    # x -> w1*x -> z1 -> a1 -> w2*a1 -> z2 -> z2 - 10 -> L: 8 values on the path, and
    # w1, b1, w2, b2 and the constant 10 are still drawn, greyed.
    assert len(re.findall(r"class=\"?[a-z ]*dimmed", source)) == 5
    assert "<b>w1</b>" in source and "<b>b2</b>" in source
    assert "off the highlighted path" in source


def test_bad_slide_options_are_clear_errors():
    for options, name in [
        ({"fontsize": 0}, "fontsize"),
        ({"theme": "neon"}, "theme"),
        ({"number_format": "%d"}, "number_format"),
        ({"rows": ("data", "labels")}, "rows"),
        ({"dpi": -1}, "dpi"),
    ]:
        with pytest.raises(ValueError, match=name):
            seed_diagram(**options)


def test_inline_svg_scales_down_to_the_cell_width():
    svg = seed_diagram()._repr_svg_()
    # width 100% of the cell, never more than its natural size (points x 4/3 pixels).
    natural = re.search(r'viewBox="[-0-9.]+ [-0-9.]+ ([0-9.]+)', svg).group(1)
    assert '<svg width="100%"' in svg
    assert f"max-width: {float(natural) * 4 / 3:.0f}px" in svg
