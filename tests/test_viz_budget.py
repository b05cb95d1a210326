"""Bounded work: a diagram never hands Graphviz more than ``max_nodes`` nodes, at any size.

Nothing here times anything (timings are in bench/viz.py); the tests bound what the time
depends on: how many nodes Graphviz lays out, and that a large graph is folded, with the
fold said in words, and its numbers still right.
"""

from __future__ import annotations

import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
import nn
import viz
from autograd import Value
from viz.select import VISIT_CAP, find_samples, select


def tanh_chain(n: int) -> Value:
    """x, tanh(x), tanh(tanh(x)), ...: n nodes in one line."""
    y = Value(0.1, label="x", role="input")
    for _ in range(n - 1):
        y = y.tanh()
    return y


def hinge_loss(samples: int, model: nn.MLP | None = None) -> tuple[Value, list[Value]]:
    """sum(relu(1 - y_i * model(x_i))) / samples over xor-like points; also the terms."""
    model = model or nn.MLP(2, [3, 1], activation="relu", seed=1)
    terms = []
    for i in range(samples):
        x = [(-1) ** i * 0.5, 0.25 * (i % 3)]
        y = 1.0 if i % 2 else -1.0
        terms.append((1 - y * model(x)).relu())
    return sum(terms) / samples, terms


def draw_quietly(root, **options) -> viz.Diagram:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", viz.LargeGraphWarning)
        return viz.draw(root, **options)


@pytest.mark.parametrize("n", [10, 1_000, 50_000])
@pytest.mark.parametrize("max_nodes", [20, 150])
def test_a_chain_of_any_length_stays_within_the_node_budget(n, max_nodes):
    root = tanh_chain(n)
    root.backward()
    diagram = draw_quietly(root, max_nodes=max_nodes, collapse="none")
    assert diagram.box_count <= max_nodes
    svg = diagram.pipe("svg")
    assert b"earlier nodes" in svg or n * 3 <= max_nodes


def test_a_long_chain_says_how_many_nodes_it_folded():
    root = tanh_chain(1_000)
    root.backward()
    with pytest.warns(viz.LargeGraphWarning, match="nodes computed earlier"):
        diagram = viz.draw(root)
    # The kept nodes are the ones nearest the root; the rest, 1000 - kept, are one box.
    kept = diagram.node_count - 1  # every drawn node but the folded box
    assert any(f"{1_000 - kept:,} nodes computed earlier" in n for n in diagram.folded)


def test_the_walk_stops_at_the_visit_cap():
    root = tanh_chain(VISIT_CAP + 500)
    root.backward()
    chosen = select(root, keep=10, grads=True, force=True)
    # 9 nodes kept + 1 box for the rest; the rest was not counted to its end.
    assert len(chosen.nodes) == 10
    assert chosen.folded[0].startswith(f"more than {VISIT_CAP - 9:,} nodes")


def test_a_loss_over_samples_draws_one_sample_and_folds_the_others():
    loss, terms = hinge_loss(12)
    loss.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one sample of a batch is the default view: no warning
        diagram = viz.draw(loss, collapse="none")
    source = diagram.source
    assert any("11 more samples" in note for note in diagram.folded)
    assert "× 11 more samples" in source
    # Sums still right: the box holds the sum of samples 2..12, so that sample 1 plus the
    # box is the drawn sum, and the loss is that sum / 12.
    chosen = select(loss, keep=4_000, grads=True)
    box = next(n for n in chosen.nodes if n.role == "folded")
    head = next(n for n in chosen.nodes if box in n.parents)
    assert box.data == pytest.approx(sum(t.data for t in terms[1:]))
    assert head.data == pytest.approx(terms[0].data + box.data)
    assert chosen.root.data == pytest.approx(head.data / 12)
    # Each term of a sum gets the sum's gradient: d(loss)/d(term) = 1/12.
    assert box.grad == pytest.approx(1 / 12)


def test_a_parameter_gradient_shows_the_folded_samples_share():
    loss, terms = hinge_loss(6)
    loss.backward()
    diagram = draw_quietly(loss, collapse="none", max_nodes=None)
    # The bias of the output neuron gets 1/6 from each sample whose relu is active; the
    # drawn sample sends one share, the folded five send the rest: "grad G = a + R folded".
    assert "folded</td>" in diagram.source


def test_a_neurons_weighted_sum_is_not_taken_for_samples():
    model = nn.MLP(4, [4, 1], seed=0)
    out = model([1.0, 2.0, 3.0, 4.0])  # the output neuron sums 4 weighted terms
    assert find_samples(out) is None
    loss, _ = hinge_loss(5)
    assert find_samples(loss) is not None


def test_a_small_graph_is_drawn_from_the_engine_s_own_steps():
    loss, _ = hinge_loss(1)
    assert select(loss, keep=4_000, grads=False) is None


def test_a_tiny_batch_is_drawn_in_full():
    # relu(w * x_i) over 3 samples sharing the parameter w: w, then per sample the constant
    # x_i, the product and the relu (3 x 3), then Python's sum: 0 and three "+": 14 nodes,
    # not more than TINY_BATCH = 20. It is a sum over samples, and drawn in full all the same.
    w = Value(0.5, label="w", role="param")
    loss = sum((w * float(i + 1)).relu() for i in range(3))
    assert find_samples(loss) is not None
    assert select(loss, keep=4_000, grads=False) is None


def test_a_focus_over_budget_keeps_its_nodes_nearest_the_root():
    model = nn.MLP(2, [16, 16, 1], seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    diagram = draw_quietly(loss, focus=model.parameters()[0], max_nodes=30)
    assert diagram.box_count <= 30
    assert any("of the focused paths" in note for note in diagram.folded)


def test_a_large_tensor_graph_stays_within_the_budget():
    import numpy as np

    from autograd import Tensor

    W = Tensor(np.full((2, 2), 0.5), requires_grad=True, label="W")
    y = Tensor(np.ones((3, 2)))
    for _ in range(2_000):  # 5 nodes a round: @, .T, tanh, * and its constant
        y = (y @ W.T).tanh() * 0.5
    loss = y.sum()
    loss.backward()
    diagram = draw_quietly(loss)
    assert diagram.box_count <= 150
    assert b"earlier nodes" in diagram.pipe("svg")


def test_a_large_graph_before_backward_says_its_gradients_need_one():
    root = tanh_chain(5_000)
    diagram = draw_quietly(root, grads=True)
    assert "gradients not shown: run backward() first" in diagram.folded
    assert "grad " not in diagram.source.split("legend")[0]


def test_a_penalty_over_the_parameters_is_folded_beside_the_samples():
    model = nn.MLP(2, [3, 1], activation="relu", seed=1)
    data_loss, _ = hinge_loss(8, model)
    penalty = sum(p * p for p in model.parameters())  # micrograd's L2 term: 13 squares
    loss = data_loss + 1e-4 * penalty
    loss.backward()
    folds = {f.kind: f for f in viz.select.find_folds(loss)}
    assert len(folds["samples"].terms) == 8 and len(folds["terms"].terms) == 13
    diagram = draw_quietly(loss, collapse="none", max_nodes=None)
    assert "× 7 more samples" in diagram.source and "× 12 more terms" in diagram.source
    # The penalty's box holds squares 2 to 13: with the first one, the drawn sum is right.
    chosen = select(loss, keep=4_000, grads=True)
    box = next(n for n in chosen.nodes if n.label == "× 12 more terms")
    first = model.parameters()[0]
    assert box.data == pytest.approx(penalty.data - first.data**2)


def test_a_neurons_weighted_sum_of_inputs_is_not_folded():
    neuron = nn.Neuron(4, seed=0)
    out = neuron([1.0, 2.0, 3.0, 4.0])  # w_i * x_i: each term reads an input, not folded
    assert viz.select.find_folds(out) == []


def test_focus_and_highlight_take_a_node_of_a_large_graph():
    model = nn.MLP(2, [3, 1], activation="relu", seed=1)
    loss, _ = hinge_loss(30, model)
    loss.backward()
    bias = model.parameters()[-1]  # the output neuron's bias, in every sample
    diagram = draw_quietly(loss, highlight=bias, collapse="none")
    assert "dimmed" in diagram.source and bias.label in diagram.source
    assert bias.label in draw_quietly(loss, focus=bias, collapse="none").source


def test_a_network_of_thousands_of_nodes_is_drawn_by_layers_not_cut():
    model = nn.MLP(8, [32, 32, 32, 1], seed=0)  # about 5,000 nodes on one sample
    loss = (model([0.5] * 8) - 1.0) ** 2
    loss.backward()
    diagram = draw_quietly(loss)
    # Every node is looked at (up to DETAIL_KEEP = 20,000) before folding, so the whole
    # network folds into its 4 layers; nothing is dropped as "earlier nodes".
    assert diagram.collapsed == "layer"
    assert not any("earlier" in note for note in diagram.folded)
    assert diagram.box_count <= 150


@pytest.mark.parametrize("max_nodes", [12, 40, 80])
def test_a_network_at_any_level_stays_within_the_node_budget(max_nodes):
    model = nn.MLP(2, [16, 16, 1], seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    for collapse in ("auto", "neuron", "layer", "none"):
        diagram = draw_quietly(loss, collapse=collapse, max_nodes=max_nodes)
        assert diagram.box_count <= max_nodes, (collapse, diagram.box_count)


@settings(max_examples=25, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["+", "*", "tanh", "relu"]),
            st.integers(0, 10**6),
            st.integers(0, 10**6),
        ),  # fmt: skip
        min_size=1,
        max_size=120,
    ),
    max_nodes=st.integers(4, 60),
    collapse=st.sampled_from(["none", "neuron", "layer", "auto"]),
)
def test_any_graph_stays_within_any_budget(steps, max_nodes, collapse):
    # A random graph: each step applies an op to earlier values (chosen by the integers).
    values = [Value(0.5, label="a", role="param"), Value(-1.5, label="b", role="input")]
    for op, i, j in steps:
        x, y = values[i % len(values)], values[j % len(values)]
        values.append({"+": x + y, "*": x * y, "tanh": x.tanh(), "relu": x.relu()}[op])
    root = values[-1]
    root.backward()
    diagram = draw_quietly(root, collapse=collapse, max_nodes=max_nodes)
    assert diagram.box_count <= max_nodes


def test_a_long_chain_of_additions_is_walked_once(monkeypatch):
    y = Value(0.5, label="x", role="input")
    for _ in range(30_000):  # y + 1e-6, as users write it: 60,001 nodes
        y = y + 1e-6
    walked = []
    real = viz.select._sum_operands

    def counting(node):
        chain, operands = real(node)
        walked.append(len(chain))
        return chain, operands

    monkeypatch.setattr(viz.select, "_sum_operands", counting)
    assert viz.select.find_folds(y) == []  # a sum of constants: nothing to fold
    # The 30,000 links are followed once from the root, never again from inside the chain.
    assert sum(walked) == 30_000


def test_a_wide_sum_draws_one_edge_from_its_folded_operands():
    xs = [Value(0.01 * (i % 10)) for i in range(30_000)]
    y = autograd.sum_of(x * x for x in xs)  # one node with 30,000 operands
    y.backward()
    chosen = select(y, keep=5, grads=True, force=True)
    # The root, 3 squares nearest it, and one box: the other operands are one edge from it.
    assert chosen.nodes[-1] is chosen.root and len(chosen.root.parents) == 3 + 1
    assert draw_quietly(y).box_count <= 150
