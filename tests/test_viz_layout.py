"""Properties of laid-out diagrams, read from Graphviz's coordinates (``Diagram.layout()``).

Graphviz reports every node as a centre (x, y) and a size (width, height) in points. Edge
labels are nodes of their own, so "no two labels overlap, and no label covers a box" is the
statement that no two of these rectangles intersect. "Readable on a slide" is the height of
the smallest text once the whole drawing is scaled to fit 1920 x 1080 pixels.
"""

from __future__ import annotations

import itertools
import re
import warnings

import pytest

import nn
import viz
from demo import seed_example
from viz.diagram import text_px


def boxes(diagram: viz.Diagram) -> dict[str, tuple[float, float, float, float]]:
    """Node name -> (left, bottom, right, top), in points; the legend and anchors left out."""
    out = {}
    for name, (x, y, w, h) in diagram.layout().nodes.items():
        if name == "legend" or name.startswith("corner_"):
            continue
        out[name] = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
    return out


def overlapping(rects: dict[str, tuple[float, float, float, float]]) -> list[tuple[str, str]]:
    """Pairs of rectangles that share more than a hairline (0.5 pt) of area."""
    pairs = []
    for (a, ra), (b, rb) in itertools.combinations(rects.items(), 2):
        dx = min(ra[2], rb[2]) - max(ra[0], rb[0])
        dy = min(ra[3], rb[3]) - max(ra[1], rb[1])
        if dx > 0.5 and dy > 0.5:
            pairs.append((a, b))
    return pairs


def small_mlp_loss():
    model = nn.MLP(2, [2, 1], seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    return loss


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_no_label_overlaps_another_label_or_a_box_in_the_seed_example(rankdir):
    loss, _ = seed_example()
    loss.backward()
    diagram = viz.draw(loss, rankdir)
    rects = boxes(diagram)
    # 12 operand edges, each with its label node "l<k>" (the "-18 x 1 = -18-18 x 2"
    # was two labels drawn over each other in TB).
    assert sum(1 for name in rects if name.startswith("l")) == 12
    assert overlapping(rects) == []


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_no_label_overlaps_in_every_op_of_a_small_network(rankdir):
    diagram = viz.draw(small_mlp_loss(), rankdir, collapse="none")
    rects = boxes(diagram)
    assert sum(1 for name in rects if name.startswith("l")) > 20
    assert overlapping(rects) == []


def test_text_px_is_font_size_times_the_fitting_scale():
    # A drawing of 3840 x 1000 pt is halved to fit 1920 px wide (the height would allow
    # 1.08): 10 pt text becomes 10 x 0.5 = 5 px, the MLP on a slide.
    assert text_px("0,0,3840,1000", 10) == 5.0
    # 960 x 1080 pt: the height limits, 1080 / 1080 = 1: 10 pt stays 10 px.
    assert text_px("0,0,960,1080", 10) == 10.0


def test_the_seed_example_and_a_network_are_readable_on_a_slide():
    loss, _ = seed_example()
    loss.backward()
    assert viz.draw(loss).slide_text_px() >= 10
    # Top to bottom too: ranks packed closer, the legend one row under the drawing.
    assert viz.draw(loss, "TB").slide_text_px() >= 10
    model = nn.MLP(3, [4, 4, 1], seed=0)
    net_loss = (model([2.0, 3.0, -1.0]) - 1.0) ** 2
    net_loss.backward()
    diagram = viz.draw(net_loss)
    # Every op of it was 116 labelled edges on 3794 x 2021 pt (text ~5 px on a slide); by
    # neurons it fits, with 10 pt labels at >= 10 px.
    assert diagram.collapsed == "neuron"
    assert diagram.slide_text_px() >= 10
    assert overlapping(boxes(diagram)) == []


def test_the_moons_loss_fits_the_node_budget_and_says_what_it_folded():
    loss = moons_loss(samples=30)
    loss.backward()
    with pytest.warns(viz.LargeGraphWarning, match="29 more samples"):
        diagram = viz.draw(loss)
    assert diagram.box_count <= viz.draw.__kwdefaults__["max_nodes"]
    assert any("29 more samples" in note for note in diagram.folded)
    assert overlapping(boxes(diagram)) == []


def moons_loss(samples: int):
    """micrograd's moons loss as users write it: a hinge loss summed with Python's sum."""
    X, y = nn.data.make_moons(samples, noise=0.1, seed=0)
    y = y * 2 - 1
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sum((1 - yi * model(list(xi))).relu() for xi, yi in zip(X, y, strict=True)) / samples


def test_the_neurons_of_a_layer_stand_in_one_column_in_the_model_s_order():
    model = nn.MLP(3, [4, 4, 1], seed=0)
    loss = (model([2.0, 3.0, -1.0]) - 1.0) ** 2
    loss.backward()
    diagram = viz.draw(loss)
    titles = dict(
        re.findall(r"^\t(g\d+) \[label=<.*?<b>neuron (L\d\.n\d)</b>", diagram.source, re.M)
    )
    where = diagram.layout().nodes
    for layer in ("L0", "L1"):
        column = sorted((t, where[g][0], where[g][1]) for g, t in titles.items() if t[:2] == layer)
        assert len(column) == 4
        # One column: the same x (left to right, a layer is one rank)...
        assert max(x for _, x, _ in column) - min(x for _, x, _ in column) < 1
        # ...and n0 on top (Graphviz's y grows upwards), then n1, n2, n3.
        ys = [y for _, _, y in column]
        assert ys == sorted(ys, reverse=True)
