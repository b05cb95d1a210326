"""One naming scheme: a node the backward table or a caption names is a node the diagram
shows by that name (its label, its value for a constant, the expression that made it, or
#k when that is too long), and a folded neuron is named as the model names it (L0.n1)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import nn
import viz
from autograd import Value
from demo import seed_example


def svg_text(svg: bytes) -> str:
    root = ET.fromstring(svg)
    return "\n".join(t for el in root.iter() if el.tag.endswith("text") for t in el.itertext())


def table_names(table: viz.BackwardTable) -> set[str]:
    names = {row.node for row in table}
    names |= {edge.parent for row in table for edge in row.edges}
    return names


def unlabelled_example() -> Value:
    """tanh(a * b + a) * 2 with no labels at all: every name is made up by viz."""
    a, b = Value(2.0), Value(3.0)
    out = (a * b + a).tanh() * 2
    out.backward()
    return out


def test_every_name_in_the_table_is_written_in_the_diagram():
    for root in (seed_example()[0], unlabelled_example()):
        root.backward()
        # Each text element of the SVG, without the spaces that separate it from the next.
        drawn = {line.strip(" \xa0") for line in svg_text(viz.draw(root).pipe("svg")).split("\n")}
        for name in table_names(viz.backward_table(root)):
            assert name in drawn, name


def test_expressions_name_unlabelled_nodes_with_brackets_only_where_needed():
    table = viz.backward_table(unlabelled_example())
    names = table_names(table)
    # a and b have no label: #0 and #1 (their places in the topological order).
    assert "#0 * #1" in names
    assert "(#0 * #1) + #0" in names  # a product inside a sum is bracketed...
    assert "tanh((#0 * #1) + #0)" in names  # ...but not as the argument of a function
    # "tanh((#0 * #1) + #0) * 2" is 24 characters, as long as a name may be (NAME_LENGTH);
    # one op more is too long, and that node is called #k (k its topological position).
    assert table[0].node == "tanh((#0 * #1) + #0) * 2"
    longer = unlabelled_example().exp()
    assert re.fullmatch(r"#\d+", viz.backward_table(longer)[0].node)
    assert viz.backward_table(longer)[0].node in svg_text(viz.draw(longer).pipe("svg"))


def test_captions_use_the_table_s_names():
    root = unlabelled_example()
    names = table_names(viz.backward_table(root))
    frames = viz.draw_steps(root)
    caption = frames[3].caption  # step 4: the sum sends to the product and to a
    assert "(#0 * #1) + #0" in caption and "#0 * #1" in caption
    assert all(
        part in names for part in re.findall(r"to ([^;.]+)", " ".join(f.caption for f in frames))
    )


def test_a_folded_neuron_is_named_as_the_model_names_it():
    model = nn.MLP(3, [4, 4, 1], seed=0)
    loss = (model([2.0, 3.0, -1.0]) - 1.0) ** 2
    loss.backward()
    source = viz.draw(loss, collapse="neuron").source
    assert "<b>neuron L0.n0</b>" in source
    # The loss is computed from the output neuron's value, and named after it.
    assert "(L2.n0 - 1)**2" in source


def test_the_table_names_a_networks_nodes_as_the_model_does():
    model = nn.MLP(2, [2, 1], seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    names = table_names(viz.backward_table(loss))
    # Neuron L0.n0: tanh of its weighted sum; the output neuron L1.n0 is linear (no .z).
    assert {"L0.n0", "L0.n0.z", "L1.n0", "L1.n0 - 1", "L0.n0.w0 * x0"} <= names
    assert "L1.n0.z" not in names
    # ...and the diagram of every op writes the same names on its boxes.
    drawn = svg_text(viz.draw(loss, collapse="none", max_nodes=None).pipe("svg"))
    drawn_lines = {line.strip(" \xa0") for line in drawn.split("\n")}
    assert names <= drawn_lines
