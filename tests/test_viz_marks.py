"""Marks are rows of one table (viz.marks.MARKS): a new annotation is one row, nothing else."""

from __future__ import annotations

import re

import viz
from demo import seed_example
from viz import marks, style


def test_a_new_mark_is_one_row(monkeypatch):
    big = marks.Mark(
        "big",
        on_node=lambda view, node: abs(node.data) > 5,
        look=style.NodeStyle(fill="#FFEEDD", border="#AA5500", cue="big value"),
        legend="|data| > 5",
    )
    table = marks.MARKS + (big,)
    monkeypatch.setattr(marks, "MARKS", table)
    monkeypatch.setattr(marks, "BY_NAME", {m.name: m for m in table})
    loss, _ = seed_example()
    loss.backward()
    source = viz.draw(loss).source
    # Values above 5 in the seed example: z2 = 7, w2 * a1 = 6, L = 9, and the constant 10.
    assert len(re.findall(r'class="?[a-z ]*big', source)) == 4
    # The word on each of the 4 marked boxes, and on its legend swatch with what it means.
    assert source.count("big value") == 4 + 1
    assert 'big value</td><td align="left">|data| &gt; 5' in source
    assert 'bgcolor="#FFEEDD"' in source


def test_every_mark_with_a_legend_has_a_look_or_a_line_sample():
    for mark in marks.MARKS:
        if mark.legend:
            assert mark.look is not None or mark.legend_sample, mark.name


def test_stronger_marks_win_on_a_node_and_on_an_edge():
    # nan/inf is the strongest: a node both saturated and non-finite is drawn as non-finite.
    assert marks.node_look("", ["nonfinite", "saturated"]).cue == "nan/inf!"
    # On an edge, nan/inf's bold black is drawn over blocked's dashed vermillion.
    look = marks.edge_look(["blocked", "nonfinite"])
    assert look["color"] == style.BLACK and look["style"] == "bold"
    assert look["arrowhead"] == "tee"  # what the stronger mark does not set is kept
