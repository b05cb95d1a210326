"""Large graphs: folding neurons and layers, following one leaf with focus=, full renders.

The forward graph of MLP(2, [16, 16, 1]) on one sample, built micrograd-style (a chain of
"+" per neuron): per hidden neuron of layer 1, 2 weights + 1 bias + 2 products + 2 sums
+ tanh = 8 nodes... about 1,000 nodes in all, far too many to read.
"""

from __future__ import annotations

import random
import re
import warnings

import pytest

import nn
import viz
from autograd import Value, topological_order
from demo import seed_example


def mlp_graph(seed: int = 0) -> tuple[Value, list[Value], list[Value]]:
    """MLP(2, [16, 16, 1]) with tanh hidden layers, on one sample, plus a squared error.

    Returns the loss, the inputs and the parameters (in layer order).
    """
    rng = random.Random(seed)
    x = [Value(0.5, label="x1", role="input"), Value(-1.0, label="x2", role="input")]
    params: list[Value] = []
    h = x
    for layer, (width, act) in enumerate([(16, True), (16, True), (1, False)], start=1):
        out = []
        for j in range(width):
            ws = [Value(rng.uniform(-1, 1), label=f"w{layer}.{j}.{i}", role="param")
                  for i in range(len(h))]  # fmt: skip
            b = Value(0.0, label=f"b{layer}.{j}", role="param")
            params += ws + [b]
            z = sum((w * xi for w, xi in zip(ws, h, strict=True)), b)  # a chain of "+"
            out.append(z.tanh() if act else z)
        h = out
    loss = (h[0] - 1.0) ** 2
    loss.label = "L"
    return loss, x, params


def test_a_large_graph_is_drawn_by_layers_with_a_warning():
    loss, x, params = mlp_graph()
    assert len(topological_order(loss)) > 900
    with pytest.warns(viz.LargeGraphWarning, match=r"collapse=False") as record:
        diagram = viz.draw(loss)
    assert "focus=" in str(record[0].message)
    # A column of 16 neurons is taller than a slide (TALLEST_COLUMN = 8): one box per layer.
    assert diagram.collapsed == "layer"
    assert any("each layer is drawn as one box" in note for note in diagram.folded)


def test_neurons_can_be_asked_for_and_are_numbered_by_layer():
    loss, x, params = mlp_graph()
    diagram = viz.draw(loss, collapse="neuron")
    assert diagram.collapsed == "neuron"
    source = diagram.source
    # 16 + 16 + 1 neurons, each one node; inputs and the loss stay as they are.
    assert len(re.findall(r"class=neuron", source)) == 33
    assert "<b>x1</b>" in source and "<b>L</b>" in source
    assert "w1.0.0" not in source  # the weights are inside their neuron
    # Neurons are numbered by layer: 16 in layer 1, 16 in layer 2, 1 in layer 3.
    titles = re.findall(r"<b>neuron (\d+)\.(\d+)</b>", source)
    assert sorted({layer for layer, _ in titles}) == ["1", "2", "3"]
    assert sum(1 for layer, _ in titles if layer == "1") == 16
    # The neurons of a layer share one rank: an aligned column.
    assert len(re.findall(r"subgraph layer_\d", source)) == 3
    svg = diagram.pipe("svg")
    assert b"neuron 2.16" in svg


def test_folding_keeps_the_gradients_of_the_neurons():
    loss, x, params = mlp_graph()
    loss.backward()
    source = viz.draw(loss, collapse="neuron").source
    assert "max |param grad|" in source
    # The output neuron's output is the linear z of layer 3: its grad is dL/dz = 2 (z - 1).
    out = loss.parents[0].parents[0]
    assert f"grad {viz.format.fmt_number(out.grad)}" in source


def test_still_too_many_neurons_folds_layers():
    loss, x, params = mlp_graph()
    with pytest.warns(viz.LargeGraphWarning, match="each layer is drawn as one node"):
        diagram = viz.draw(loss, max_nodes=20)
    source = diagram.source
    assert diagram.collapsed == "layer"
    assert sorted(re.findall(r"<b>(layer \d)</b>", source)) == ["layer 1", "layer 2", "layer 3"]
    assert "16 neurons, 48 params" in source  # layer 1: 16 x (2 weights + 1 bias)
    assert "1 neuron, 17 params" in source  # layer 3: 16 weights + 1 bias
    assert "256 edges" in source  # 16 x 16 connections from layer 1 to layer 2


def test_collapse_can_be_forced_or_refused():
    loss, _ = seed_example()  # 13 nodes: drawn in full by default
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert viz.draw(loss).collapsed == ""
    assert viz.draw(loss, collapse="neuron").collapsed == "neuron"
    big, _, _ = mlp_graph()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning when the user asks for the full graph
        full = viz.draw(big, collapse=False, max_nodes=None)
    assert full.collapsed == "" and "class=neuron" not in full.source


def test_the_real_nn_mlp_folds_into_its_neurons():
    model = nn.MLP(2, [16, 16, 1], seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    source = viz.draw(loss, collapse="neuron").source
    assert len(re.findall(r"class=neuron", source)) == 33
    # nn labels its parameters "L0.n3.w1": the neurons keep those names.
    assert "<b>neuron L0.n0</b>" in source and "<b>neuron L2.n0</b>" in source


def test_a_small_network_is_drawn_by_neurons_with_each_input_once():
    model = nn.MLP(3, [4, 4, 1], seed=0)
    loss = (model([2.0, 3.0, -1.0]) - 1.0) ** 2
    loss.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the network shape is the default, not a warning
        diagram = viz.draw(loss)
    assert diagram.collapsed == "neuron"
    source = diagram.source
    assert len(re.findall(r"class=neuron", source)) == 4 + 4 + 1
    # nn lifts each number input once per call, as a Value with role "input": 3 boxes, not
    # one "const" box per weight that reads it (3 inputs x 4 neurons = 12).
    assert len(re.findall(r"class=input", source)) == 3
    assert "<b>x0</b>" in source and "<b>x2</b>" in source
    # The loss node is named after the neuron whose output it reads: L2.n0, as in the model.
    assert "(L2.n0 - 1)**2" in source


def test_a_full_render_of_about_a_thousand_nodes_works():
    loss, _, _ = mlp_graph()
    loss.backward()
    # No budget, no edge labels: the full graph, laid out as fast as Graphviz can.
    svg = viz.draw(loss, collapse=False, max_nodes=None, edge_labels=False).pipe("svg")
    values = len(topological_order(loss))
    # One SVG group per value node and per op node (and the legend).
    assert svg.count(b'class="node') >= values


# ---------------------------------------------------------------------------- focus


def test_focus_draws_only_the_paths_from_a_leaf_to_the_root():
    loss, leaves = seed_example()
    loss.backward()
    source = viz.draw(loss, focus=leaves["x"]).source
    # x -> w1*x -> z1 -> a1 -> w2*a1 -> z2 -> z2 - 10 -> L: 8 values, 7 ops.
    values = re.findall(r"^\tn\d+ \[label=<", source, re.M)
    assert len(values) == 8
    assert "<b>w1</b>" not in source and "<b>b2</b>" not in source
    assert 'label="-18 × 2 = -36"' in source  # the edge from x still carries its numbers
    assert viz.draw(loss, focus="x").source == source  # a label works as well as the node


def test_focus_on_one_weight_of_a_large_graph_needs_no_folding():
    model = nn.MLP(2, [16, 16, 1], seed=0)  # one "sum" node per neuron
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    first_weight = model.parameters()[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        diagram = viz.draw(loss, focus=first_weight, collapse="none", max_nodes=None)
    # The weight, its product, its neuron's sum and tanh (4); every layer-2 neuron reads
    # that tanh: 16 x (product, sum, tanh) = 48; the output neuron: 16 products and its sum
    # (17, linear); the loss: "-" and "**2" (2). 4 + 48 + 17 + 2 = 71 values.
    assert diagram.node_count == 71
    assert first_weight.label in diagram.source
    assert model.parameters()[1].label not in diagram.source


def test_focus_on_something_else_is_a_clear_error():
    loss, _ = seed_example()
    with pytest.raises(ValueError, match="not a node of this graph"):
        viz.draw(loss, focus=Value(1.0))
