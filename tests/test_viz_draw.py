"""viz.draw: what a gradient-flow diagram shows, as DOT text and as rendered SVG.

The worked example is seed 000's Example 1 (a two-layer ReLU net, squared error):

    forward:  z1 = w1*x + b1 = 2*1 + 0 = 2,  a1 = relu(2) = 2,  z2 = w2*a1 + b2 = 3*2 + 1 = 7,
              L = (z2 - 10)**2 = 9
    backward: dL/dz2 = 2*(7 - 10) = -6;  dL/dw2 = -6 * a1 = -12;  dL/db2 = -6;
              dL/da1 = -6 * w2 = -18;  dL/dz1 = -18 * relu'(2) = -18;
              dL/dw1 = -18 * x = -18;  dL/db1 = -18;  dL/dx = -18 * w1 = -36
"""

from __future__ import annotations

import math
import os
import re
import stat
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import viz
from autograd import Tensor, Value, topological_order
from demo import seed_example

GOLDEN = Path(__file__).parent / "golden" / "seed_example.dot"


def svg_text(svg: bytes) -> str:
    """All the text of an SVG, entities resolved (Graphviz writes '-' as '&#45;')."""
    root = ET.fromstring(svg)
    return "\n".join(t for el in root.iter() if el.tag.endswith("text") for t in el.itertext())


def svg_classes(svg: bytes) -> list[str]:
    root = ET.fromstring(svg)
    return [el.get("class", "") for el in root.iter() if el.get("class")]


def edge_labels(source: str) -> list[str]:
    """The texts of the edge labels of a diagram's DOT source.

    Each label is a node of its own (``l7 [label="-6 × 3 = -18" ...]``) between the edge's
    two halves, so that Graphviz never lays a label over another one or over a box.
    """
    return re.findall(r'^\t(?:l\d+) \[label="([^"]*)"', source, flags=re.M)


def grads_of(root) -> list[float]:
    return [node.grad for node in topological_order(root)]


# ---------------------------------------------------------------------------- golden DOT


def test_seed_example_dot_matches_the_golden_file():
    loss, _ = seed_example()
    loss.backward()
    source = viz.draw(loss).source
    if os.environ.get("GRADFLOW_UPDATE_GOLDEN"):
        GOLDEN.write_text(source, encoding="utf-8")
    assert source == GOLDEN.read_text(encoding="utf-8")


def test_seed_example_edges_carry_upstream_times_local_equals_downstream():
    loss, _ = seed_example()
    loss.backward()
    source = viz.draw(loss).source
    expected = [
        "1 × -6 = -6",  # into L = u**2: upstream 1, local 2u = 2*(7 - 10) = -6
        "-6 × 1 = -6",  # z2 into z2 - 10, and b2 into w2*a1 + b2
        "-6 × -1 = 6",  # the constant 10 into z2 - 10: local -1
        "-6 × 2 = -12",  # w2 into w2*a1: local a1 = 2
        "-6 × 3 = -18",  # a1 into w2*a1: local w2 = 3
        "-18 × 1 = -18",  # z1 into relu (relu'(2) = 1), w1 into w1*x (local x = 1)
        "-18 × 2 = -36",  # x into w1*x: local w1 = 2
    ]
    labels = edge_labels(source)
    for label in expected:
        assert label in labels, label
    # One edge per operand: 2 per binary op (5 of them) + relu + **2 = 12 operand edges,
    # each with its label (a node, so each is drawn as two halves: operand -> label -> op);
    # plus one unlabelled edge from each of the 7 op nodes to its value.
    assert len(labels) == 12
    assert len(re.findall(r"->", source)) == 2 * 12 + 7


def test_seed_example_nodes_show_label_data_and_grad():
    loss, _ = seed_example()
    loss.backward()
    source = viz.draw(loss).source
    for label, data, grad in [("w1", 2, -18), ("b1", 0, -18), ("w2", 3, -12), ("b2", 1, -6),
                              ("x", 1, -36), ("z1", 2, -18), ("a1", 2, -18), ("z2", 7, -6),
                              ("L", 9, 1)]:  # fmt: skip
        row = rf"<b>{label}</b>[^>]*?.*?data {data}</td></tr><tr><td>grad {grad}</td>"
        assert re.search(row, source), label


def test_the_svg_renders_in_process_with_no_dot_on_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no `dot` anywhere
    loss, _ = seed_example()
    loss.backward()
    svg = viz.draw(loss).pipe("svg")
    text = svg_text(svg)
    for numbers in ["1 × -6 = -6", "-6 × 2 = -12", "-6 × 3 = -18", "-18 × 2 = -36"]:
        assert numbers in text
    for row in ["data 9", "grad -18", "grad -36", "grad -12"]:
        assert row in text


@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG"),
                                           (".pdf", b"%PDF")])  # fmt: skip
def test_render_writes_the_format_of_the_suffix(tmp_path, suffix, magic):
    loss, _ = seed_example()
    loss.backward()
    path = viz.draw(loss).render(tmp_path / f"seed{suffix}")
    assert Path(path).read_bytes().startswith(magic)


def test_render_refuses_an_unknown_suffix(tmp_path):
    loss, _ = seed_example()
    with pytest.raises(ValueError, match=r"\.svg, \.png or \.pdf"):
        viz.draw(loss).render(tmp_path / "seed.gif")


def test_jupyter_displays_the_diagram_as_inline_svg():
    loss, _ = seed_example()
    loss.backward()
    svg = viz.draw(loss)._repr_svg_()
    assert isinstance(svg, str) and svg.lstrip().startswith("<?xml")
    assert "-6 × 3 = -18" in svg_text(svg.encode())


# ---------------------------------------------------------------------------- determinism


def test_the_same_graph_gives_byte_identical_dot():
    first, _ = seed_example()
    second, _ = seed_example()  # other objects, other id()s
    first.backward()
    second.backward()
    assert viz.draw(first).source == viz.draw(second).source
    # Node names come from the topological position, never from id().
    names = set(re.findall(r"^\t(\w+) \[", viz.draw(first).source, flags=re.M))
    assert all(re.fullmatch(r"n\d+(op)?|l\d+|legend|node|edge", name) for name in names)


def test_drawing_never_changes_a_gradient():
    loss, _ = seed_example()
    assert all(g == 0.0 for g in grads_of(loss))
    viz.draw(loss, grads=True)
    viz.draw_steps(loss)
    viz.backward_table(loss)
    assert all(g == 0.0 for g in grads_of(loss))  # still no gradient anywhere
    loss.backward()
    before = grads_of(loss)
    viz.draw(loss)
    viz.draw_steps(loss)
    viz.backward_table(loss)
    assert grads_of(loss) == before  # not doubled


# ---------------------------------------------------------------------------- forward only


def test_before_backward_the_diagram_shows_forward_values_only():
    loss, _ = seed_example()
    source = viz.draw(loss).source
    assert "data 9" in source and "data 7" in source
    assert "grad" not in source.replace("gradient", "")  # no misleading "grad 0"
    assert ' label="' not in source  # no edge labels either
    loss.backward()
    assert "grad -18" in viz.draw(loss).source


def test_grads_true_shows_what_a_backward_would_give_without_running_it():
    loss, leaves = seed_example()
    source = viz.draw(loss, grads=True).source
    assert "grad -18" in source and 'label="-6 × 3 = -18"' in source
    assert leaves["w1"].grad == 0.0


# ---------------------------------------------------------------------------- branches


def test_a_plus_a_draws_two_edges_and_sums_the_gradient():
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    b.backward()
    source = viz.draw(b).source
    # d(a + a)/da = 1 + 1 = 2: two edges, each 1 × 1 = 1, summed at a.
    assert edge_labels(source) == ["1 × 1 = 1", "1 × 1 = 1"]
    assert len(re.findall(r"n0 -> l\d+ ", source)) == 2
    assert len(re.findall(r"l\d+ -> n1op ", source)) == 2
    assert "grad 2 = 1 + 1" in source


def test_a_branch_gradient_is_written_as_the_sum_of_its_terms():
    a = Value(2.0, label="a")
    half = a * 0.5
    out = half + a
    out.label = "out"
    out.backward()
    # out = 0.5 a + a: the edge from out sends 1 × 1 = 1 first, then 0.5*a sends 1 × 0.5.
    assert a.grad == 1.5
    assert "grad 1.5 = 1 + 0.5" in viz.draw(out).source


def test_negative_terms_are_written_as_a_subtraction():
    a = Value(1.0, label="a")
    out = a * 3.0 - a  # d/da = 3 - 1 = 2
    out.backward()
    assert "grad 2 = -1 + 3" in viz.draw(out).source or "grad 2 = 3 - 1" in viz.draw(out).source


# ---------------------------------------------------------------------------- marks


def dead_relu_example() -> tuple[Value, Value, Value, Value]:
    """L = (relu(w x + b) - 1)**2 with w x + b = -2*1 + 0.5 = -1.5 < 0: a dead ReLU.

    dL/da = 2 (a - 1) = 2 (0 - 1) = -2;  relu'(-1.5) = 0, so -2 × 0 = 0 reaches z, w, b.
    """
    x = Value(1.0, label="x", role="input")
    w, b = Value(-2.0, label="w", role="param"), Value(0.5, label="b", role="param")
    z = w * x + b
    z.label = "z"
    a = z.relu()
    a.label = "a"
    loss = (a - 1.0) ** 2
    loss.label = "L"
    loss.backward()
    return loss, z, w, b


def test_a_dead_relu_edge_is_drawn_blocked():
    loss, z, w, b = dead_relu_example()
    diagram = viz.draw(loss)
    source = diagram.source
    # The edge z -> relu: upstream -2, local relu'(-1.5) = 0, downstream 0.
    assert re.search(r'label="-2 × 0 = 0\\n\[blocked\]"[^\]]*class="edgelabel blocked"', source)
    # The edge's two halves (operand -> label -> op) are both drawn blocked.
    assert source.count("class=blocked") == 2
    svg = diagram.pipe("svg")
    assert "edge blocked" in svg_classes(svg)
    assert "[blocked]" in svg_text(svg)


def test_nodes_that_receive_only_zero_are_greyed():
    loss, z, w, b = dead_relu_example()
    assert (z.grad, w.grad, b.grad) == (0.0, 0.0, 0.0)
    source = viz.draw(loss).source
    # z, w*x, w, b and x all receive only 0 (5 nodes); a and L do not.
    assert len(re.findall(r"class=\"?[\w ]*nograd", source)) == 5
    assert "no gradient" in source
    assert "receives only 0" in source  # the legend says what grey means


def test_a_saturated_sigmoid_is_flagged():
    z = Value(8.0, label="z")
    s = z.sigmoid()
    s.label = "s"
    s.backward()
    # sigmoid'(8) = s (1 - s) = 0.9996646 * 0.0003354 = 3.352e-4 < 1e-3, under upstream 1.
    assert z.grad == pytest.approx(3.3524e-4, rel=1e-4)
    source = viz.draw(s).source
    assert "saturated" in re.search(r"n1 \[label=.*", source).group(0)
    assert 'label="1 × 0.0003352 = 0.0003352\\n[saturated]"' in source
    # Not saturated at z = 2: sigmoid'(2) = 0.105.
    z2 = Value(2.0)
    s2 = z2.sigmoid()
    s2.backward()
    assert "saturated" not in viz.draw(s2, legend=False).source


def test_saturation_needs_a_nonzero_upstream():
    z = Value(8.0)
    s = z.sigmoid()
    out = s * 0.0  # nothing comes from above
    out.backward()
    assert "[saturated]" not in viz.draw(out).source


def test_nan_and_inf_are_flagged():
    x = Value(-1.0, label="x")
    y = x.log()  # log(-1) = nan
    y.label = "y"
    z = Value(0.0, label="z").log()  # log(0) = -inf
    out = y + z
    out.backward()
    source = viz.draw(out).source
    assert "data nan" in source and "data -inf" in source
    assert source.count("nan/inf!") >= 3  # y, z and out, and the legend
    assert "class=nonfinite" in source


def test_roles_are_styled_apart_with_a_text_cue_and_a_legend():
    loss, _ = seed_example()
    source = viz.draw(loss).source
    assert "<i>param</i>" in source and "<i>input</i>" in source and "<i>const</i>" in source
    assert "class=param" in source and "class=input" in source and "class=const" in source
    assert "legend" in source
    assert "legend" not in viz.draw(loss, legend=False).source


def test_a_leaf_without_role_but_with_a_label_is_an_input():
    a = Value(1.0, label="a")
    out = a * 2.0
    assert "<b>a</b>  <i>input</i>" in viz.draw(out).source


def test_digits_sets_the_significant_digits():
    x = Value(2.0 / 3.0, label="x")
    assert "data 0.6667" in viz.draw(x).source
    assert "data 0.67" in viz.draw(x, digits=2).source
    with pytest.raises(ValueError, match="digits"):
        viz.draw(x, digits=0)


def test_bad_arguments_are_clear_errors():
    loss, _ = seed_example()
    with pytest.raises(ValueError, match="rankdir"):
        viz.draw(loss, "sideways")
    with pytest.raises(TypeError, match="Value or a Tensor"):
        viz.draw(3.0)
    with pytest.raises(ValueError, match="collapse"):
        viz.draw(loss, collapse="sometimes")
    with pytest.raises(ValueError, match="no node of this graph has that label"):
        viz.draw(loss, focus="nope")


@given(st.floats(-50, 50), st.floats(-50, 50))
def test_every_edge_label_is_upstream_times_local(a_data, b_data):
    a, b = Value(a_data, label="a"), Value(b_data, label="b")
    out = (a * b + a).tanh()
    out.backward()
    source = viz.draw(out, digits=17).source
    for up, local, down in re.findall(r'label="(\S+) × (\S+) = (\S+?)(?:\\n[^"]*)?"', source):
        assert float(down) == float(up) * float(local) or math.isclose(
            float(down), float(up) * float(local), rel_tol=1e-12, abs_tol=1e-300
        )


# ---------------------------------------------------------------------------- rendering


def test_without_pygraphviz_or_dot_rendering_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pygraphviz", None)  # import pygraphviz -> ImportError
    monkeypatch.setenv("PATH", str(tmp_path))
    loss, _ = seed_example()
    diagram = viz.draw(loss)
    assert diagram.source.startswith("digraph")  # the DOT text still works
    with pytest.raises(viz.GraphvizNotFoundError, match="pip install pygraphviz"):
        diagram.pipe("svg")
    assert issubclass(viz.GraphvizNotFoundError, RuntimeError)


def test_without_pygraphviz_a_dot_on_path_is_used(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pygraphviz", None)
    script = tmp_path / "dot"  # a stand-in that answers with its own arguments
    script.write_text('#!/bin/sh\ncat > /dev/null\necho "<svg>dot $*</svg>"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(tmp_path))
    loss, _ = seed_example()
    out = viz.draw(loss).pipe("svg")
    assert out.startswith(b"<svg>dot ") and b"-Tsvg" in out
    # draw_steps frames use fixed positions: neato -n2 on the command line.
    frame = viz.Diagram(viz.draw(loss).digraph, engine="nop2")
    out = frame.pipe("svg")
    assert b"-Kneato" in out and b"-n2" in out and b"-Tsvg" in out


# ---------------------------------------------------------------------------- tensors


def test_a_tensor_graph_shows_shapes_values_and_gradient_summaries():
    W = Tensor(np.array([[1.0, -2.0], [0.5, 3.0]]), requires_grad=True, label="W")
    x = Tensor(np.array([1.0, 2.0]), label="x")
    h = (W @ x).relu()  # W @ x = [1 - 4, 0.5 + 6] = [-3, 6.5]; relu -> [0, 6.5]
    h.label = "h"
    B = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True, label="B")
    loss = h.sum() + (B * 2.0).sum()
    loss.label = "loss"
    before = viz.draw(loss).source
    assert "grad" not in before.replace("gradient", "")  # Tensor.grad is None: forward only
    loss.backward()
    source = viz.draw(loss).source
    assert "<b>W</b>  <i>param</i>  2×2" in source
    assert "data [[1, -2], [0.5, 3]]" in source and "data [-3, 6.5]" in source
    # dloss/dh = [1, 1]; relu' = [0, 1]; dloss/dW = outer([0, 1], x) = [[0, 0], [1, 2]].
    assert "grad [[0, 0], [1, 2]]" in source
    # Edge labels (the array each edge sends) are left out when the diagram would not fit a
    # slide with them, and drawn when asked for.
    assert 'label="sends [0, 1]"' in viz.draw(loss, edge_labels=True).source
    # 12 elements: a summary. B = 0..11: norm sqrt(506) = 22.49, min 0, max 11; grad all 2.
    assert "data norm 22.49, min 0, max 11" in source
    assert "grad norm 6.928, min 2, max 2" in source  # sqrt(12 * 4) = 6.928
    assert "x" in source and "<i>input</i>  (2,)" in source
    assert np.array_equal(W.grad, [[0.0, 0.0], [1.0, 2.0]])  # untouched by drawing
    svg = viz.draw(loss).pipe("svg")
    assert "grad [[0, 0], [1, 2]]" in svg_text(svg)


def test_a_fully_dead_tensor_relu_is_blocked():
    W = Tensor(np.array([[-1.0, -1.0]]), requires_grad=True, label="W")
    x = Tensor(np.array([1.0, 2.0]), label="x")
    loss = (W @ x).relu().sum()  # W @ x = [-3] < 0: nothing passes
    loss.backward()
    source = viz.draw(loss).source
    assert "[blocked]" in source and "class=blocked" in source


def test_labels_are_escaped_and_a_lone_leaf_draws():
    a = Value(1.0, label="a<b & c>")
    out = a * 2.0
    out.backward()
    svg = viz.draw(out).pipe("svg")
    assert "a<b & c>" in svg_text(svg)  # shown as typed, not read as markup
    leaf = Value(3.0, label="k")
    assert "data 3" in viz.draw(leaf).source
    leaf.backward()
    assert "grad 1" in viz.draw(leaf).source
    assert len(viz.draw_steps(leaf)) == 1
