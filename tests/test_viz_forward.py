"""Forward mode drawn: ``viz.draw_forward`` and ``viz.draw_forward_steps``.

Every edge reads ``tangent in x local = contribution``, every node its value and its tangent,
and the root's tangent is the directional derivative that ``autograd.functional.jvp``
computes. The frames share one layout.
"""

from __future__ import annotations

import math
import re

import pytest

import viz
from autograd import Value
from autograd.functional import jvp
from viz.diagram import can_render


def seed_graph() -> tuple[Value, Value, Value]:
    x, y = Value(2.0, label="x"), Value(-3.0, label="y")
    f = x * y + x.tanh()
    f.label = "f"
    return f, x, y


def test_every_edge_is_tangent_in_times_local_and_the_root_is_the_jvp():
    f, x, y = seed_graph()
    source = viz.draw_forward(f, {x: 1.0, y: 0.5}).source
    labels = re.findall(r'label="([^"]*×[^"]*)"', source)
    assert len(labels) == 5  # x -> x*y, y -> x*y, x -> tanh(x), x*y -> f, tanh(x) -> f
    for text in labels:
        t_in, local, part = (float(v) for v in re.findall(r"-?[\d.]+(?:e-?\d+)?", text))
        assert part == pytest.approx(t_in * local, rel=1e-3, abs=1e-4)
    # d f along (1, 0.5) = (y + 1 - tanh(x)**2) * 1 + x * 0.5
    expected = (-3.0 + 1 - math.tanh(2.0) ** 2) + 2.0 * 0.5
    _, t = jvp(lambda a, b: a * b + a.tanh(), (Value(2.0), Value(-3.0)), (1.0, 0.5))
    assert t.data == pytest.approx(expected, rel=1e-14)
    assert f"tangent of f = {expected:.4g}" in source


def test_frames_appear_one_node_at_a_time_in_forward_order():
    f, x, _ = seed_graph()
    frames = viz.draw_forward_steps(f, {x: 1.0})
    assert len(frames) == 5  # x, y, x * y, tanh(x), f
    assert [fr.step_id for fr in frames] == [f"forward-{k}" for k in range(1, 6)]
    assert frames[0].caption.endswith("tangent of x (given) = 1")
    assert "tangent of y (held still) = 0" in frames[1].caption
    assert "tangent of x * y = 1 × -3 + 0 × 2 = -3" in frames[2].caption
    unknown = [fr.source.count("tangent ?") for fr in frames]
    assert unknown == [4, 3, 2, 1, 0]


@pytest.mark.skipif(not can_render(), reason="needs pygraphviz or dot")
def test_frames_share_one_layout():
    f, x, _ = seed_graph()
    frames = viz.draw_forward_steps(f, {x: 1.0})
    positions = [fr.positions() for fr in frames]
    assert all(p == positions[0] for p in positions)
    assert frames[-1].pipe("svg").startswith(b"<?xml") or b"<svg" in frames[-1].pipe("svg")


def test_bad_arguments_say_what_is_expected():
    f, x, _ = seed_graph()
    with pytest.raises(TypeError, match=r"tangents must be a dict \{input Value: its tangent\}"):
        viz.draw_forward(f, [1.0])
    with pytest.raises(TypeError, match="must be a number"):
        viz.draw_forward(f, {x: "1"})
    with pytest.raises(TypeError, match="root must be a Value"):
        viz.draw_forward(3.0, {x: 1.0})


def test_a_gradients_graph_is_drawn_with_its_backward_part_marked():
    import autograd

    x = Value(0.5, label="x")
    y = (x * x).tanh()
    y.label = "y"
    (g,) = autograd.grad(y, x, create_graph=True)  # (1 - y**2) * x + (1 - y**2) * x
    assert g.label == "dy/dx"
    made = [n for n in autograd.topological_order(g) if n.role == "backward"]
    assert {n.op for n in made} == {"*", "-", "+"}  # y * y, 1 - y*y, two products, their sum
    assert x.role == "" and y.role == ""  # the forward part is left as it was
    source = viz.draw(g).source
    assert source.count("backward") >= len(made)
    assert "computed by the backward pass" in source  # the legend row
