"""Backprop on the scalar engine: the lecture notes' worked examples, computed by hand and by
``backward()``; branch sums; the step-by-step backward; accumulation, ``zero_grad``,
``no_grad``; graphs deep enough to break any recursion; graphs freed without the garbage
collector.
"""

from __future__ import annotations

import gc
import inspect
import math
import sys
import weakref
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import (
    Edge,
    Step,
    Value,
    gc_paused,
    is_grad_enabled,
    log_softmax,
    logsumexp,
    no_grad,
    softmax,
    sum_of,
    topological_order,
)


# --------------------------------------------------------------------------- seed 000, Example 1
def test_seed_000_example_1_two_layer_relu_network_with_squared_error():
    # x = 1, w1 = 2, b1 = 0, w2 = 3, b2 = 1, ReLU hidden unit, linear output, target y = 10.
    x = Value(1.0, label="x")
    w1, b1 = Value(2.0, label="w1"), Value(0.0, label="b1")
    w2, b2 = Value(3.0, label="w2"), Value(1.0, label="b2")
    y = 10.0

    z1 = w1 * x + b1  # 2 * 1 + 0 = 2
    a1 = z1.relu()  # relu(2) = 2
    z2 = w2 * a1 + b2  # 3 * 2 + 1 = 7 = yhat
    L = (z2 - y) ** 2  # (7 - 10)**2 = 9
    assert (z1.data, a1.data, z2.data, L.data) == (2.0, 2.0, 7.0, 9.0)

    L.backward()
    # dL/dz2 = 2 (yhat - y) = 2 (7 - 10) = -6
    assert z2.grad == -6.0
    # dL/dw2 = dL/dz2 * a1 = -6 * 2 = -12;  dL/db2 = dL/dz2 = -6
    assert (w2.grad, b2.grad) == (-12.0, -6.0)
    # delta1 = dL/dz1 = dL/dz2 * w2 * relu'(z1) = -6 * 3 * 1 = -18
    assert z1.grad == -18.0
    # dL/dw1 = delta1 * x = -18 * 1 = -18;  dL/db1 = delta1 = -18
    assert (w1.grad, b1.grad) == (-18.0, -18.0)
    # and dL/dx = delta1 * w1 = -36 (x is an input, but the chain rule does not care)
    assert x.grad == -36.0


def test_seed_000_example_1_verification_a_step_against_the_gradient_lowers_the_loss():
    # "gradient descent will ADD to w1": w1 <- w1 - lr * (-18) = w1 + 18 lr, and L goes down.
    def loss(w1: float) -> float:
        return ((3.0 * max(w1 * 1.0 + 0.0, 0.0) + 1.0) - 10.0) ** 2

    w1 = Value(2.0)
    L = (3.0 * (w1 * 1.0 + 0.0).relu() + 1.0 - 10.0) ** 2
    L.backward()
    assert w1.grad == -18.0
    assert loss(w1.data) == L.data == 9.0
    # w1 = 2 + 0.18 = 2.18: yhat = 3 * 2.18 + 1 = 7.54, L = (7.54 - 10)**2 = 6.0516 < 9
    assert loss(w1.data - 0.01 * w1.grad) == pytest.approx(6.0516, rel=1e-12)


# --------------------------------------------------------------------------- seed 000, Example 2
def test_seed_000_example_2_sigmoid_and_binary_cross_entropy():
    # x = 2, w = 1, b = -1, target y = 0.
    x, w, b, y = Value(2.0), Value(1.0, label="w"), Value(-1.0, label="b"), 0.0
    z = w * x + b  # 1 * 2 - 1 = 1
    yhat = z.sigmoid()  # sigma(1) = 0.7311
    L = -(y * yhat.log() + (1 - y) * (1 - yhat).log())  # -log(1 - 0.7311) = -log(0.2689) = 1.313
    assert z.data == 1.0
    assert yhat.data == pytest.approx(0.7311, abs=5e-5)
    assert L.data == pytest.approx(1.313, abs=5e-4)

    L.backward()
    # dL/dz = yhat - y = 0.7311 (the sigmoid's slope cancels the log's: see the identity below)
    assert z.grad == pytest.approx(0.7311, abs=5e-5)
    # dL/dw = dL/dz * x = 0.7311 * 2 = 1.4622;  dL/db = dL/dz * 1 = 0.7311
    assert w.grad == pytest.approx(1.4622, abs=1e-4)
    assert b.grad == pytest.approx(0.7311, abs=5e-5)
    # Exactly: dL/dyhat = 1 / (1 - yhat) (as y = 0), times sigma' = yhat (1 - yhat), is yhat.
    assert z.grad == pytest.approx(yhat.data - y, rel=1e-12)
    assert w.grad == pytest.approx(2 * (yhat.data - y), rel=1e-12)


def test_seed_001_exercise_sigmoid_from_basic_ops_gives_the_same_gradient():
    # "Replace sigmoid with equivalent basic math operators and see if you get the same
    # answer": sigma(z) = 1 / (1 + e**-z).
    def dL_dw(sigmoid: Callable[[Value], Value]) -> float:
        w = Value(1.0)
        yhat = sigmoid(w * 2.0 - 1.0)
        (-(1 - yhat).log()).backward()
        return w.grad

    assert dL_dw(lambda z: 1 / (1 + (-z).exp())) == pytest.approx(dL_dw(Value.sigmoid), rel=1e-12)


# --------------------------------------------------------------------------- seed 000, Problem 4
def test_seed_000_practice_problem_4_delta_through_relu_with_relu_prime_of_zero_zero():
    # dL/dz3 = [0.5, -0.3], z2 = [1, -2, 0], W3 = [[1, 2, 3], [-1, 0, 1]]; z3 = W3 relu(z2).
    delta3 = [0.5, -0.3]
    W3 = [[1.0, 2.0, 3.0], [-1.0, 0.0, 1.0]]
    z2 = [Value(v, label=f"z2[{i}]") for i, v in enumerate([1.0, -2.0, 0.0])]
    a2 = [z.relu() for z in z2]
    z3 = [sum_of(W3[k][j] * a2[j] for j in range(3)) for k in range(2)]
    # A loss whose gradient with respect to z3 is delta3: L = delta3 . z3
    L = sum_of(d * z for d, z in zip(delta3, z3, strict=True))
    L.backward()
    assert [z.grad for z in z3] == delta3
    # W3^T delta3 = [1*0.5 + (-1)(-0.3), 2*0.5 + 0*(-0.3), 3*0.5 + 1*(-0.3)] = [0.8, 1.0, 1.2]
    assert [a.grad for a in a2] == pytest.approx([0.8, 1.0, 1.2], rel=1e-15)
    # times relu'(z2) = [relu'(1), relu'(-2), relu'(0)] = [1, 0, 0]  ->  delta2 = [0.8, 0, 0]
    assert [z.grad for z in z2] == pytest.approx([0.8, 0.0, 0.0], rel=1e-15)
    assert z2[2].grad == 0.0  # relu'(0) = 0 exactly, not 1 (which would give 1.2)


# --------------------------------------------------------------------------- seed 001, softmax
def test_seed_001_softmax_with_cross_entropy_has_gradient_yhat_minus_y():
    # dL/dz_i = yhat_i - y_i for L = -log(softmax(z)[target]).
    # z = [2, 1, 0.1], target 0:  e**z = [7.389056, 2.718282, 1.105171], sum 11.212509,
    # yhat = [0.659001, 0.242433, 0.098566], so dL/dz = [-0.340999, 0.242433, 0.098566].
    z = [Value(2.0), Value(1.0), Value(0.1)]
    yhat = softmax(z)
    L = -yhat[0].log()
    L.backward()
    assert [p.data for p in yhat] == pytest.approx([0.659001, 0.242433, 0.098566], abs=1e-6)
    assert [v.grad for v in z] == pytest.approx([-0.340999, 0.242433, 0.098566], abs=1e-6)
    onehot = [1.0, 0.0, 0.0]
    expected = [p.data - t for p, t in zip(yhat, onehot, strict=True)]
    assert [v.grad for v in z] == pytest.approx(expected, rel=1e-12, abs=1e-15)


# --------------------------------------------------------------------------- branches
def test_a_plus_a_has_two_edges_and_sums_both_branches():
    a = Value(3.0, label="a")
    out = a + a
    assert out.parents == (a, a)  # a tuple in call order, not a set
    assert out.local_grads() == (1.0, 1.0)
    out.backward()
    # d(a + a)/da = 1 + 1 = 2
    assert a.grad == 2.0


def test_a_times_a_sums_both_branches_to_two_a():
    a = Value(3.0, label="a")
    out = a * a
    assert out.parents == (a, a)
    # each edge's local gradient is the *other* operand: 3 and 3
    assert out.local_grads() == (3.0, 3.0)
    out.backward()
    # d(a * a)/da = 3 + 3 = 6 = 2a
    assert a.grad == 6.0


def test_a_value_used_by_several_nodes_gets_the_sum_of_their_gradients():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    f = a * b + a.tanh() + a / b
    f.backward()
    # df/da = b + (1 - tanh(a)**2) + 1/b = -3 + 0.0706508249 - 0.3333333333
    assert a.grad == pytest.approx(-3.0 + (1 - math.tanh(2.0) ** 2) - 1 / 3, rel=1e-14)
    # df/db = a - a / b**2 = 2 - 2/9
    assert b.grad == pytest.approx(2.0 - 2.0 / 9.0, rel=1e-14)


# --------------------------------------------------------------------------- backward_steps
def rich_graph() -> tuple[Value, list[Value]]:
    """A graph with branches, shared subexpressions, constants and most ops."""
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(0.5, label="c")
    e = a * b
    d = e + c
    shared = (d.tanh() + a).sigmoid()
    L = shared * shared + (a**c) / (1 + b**2) - e.relu() + (c - a).exp().log() + abs(b).sqrt()
    L = L + sum_of([a.gelu(), b.elu(), c.selu(), d.leaky_relu(), c.softplus(), -a])
    L.label = "L"
    return L, [a, b, c]


def test_backward_steps_leave_the_same_grads_as_backward():
    root1, _ = rich_graph()
    root1.backward()
    root2, _ = rich_graph()
    for _ in root2.backward_steps():
        pass
    grads1 = [n.grad for n in topological_order(root1)]
    grads2 = [n.grad for n in topological_order(root2)]
    assert grads2 == grads1
    assert any(g != 0.0 for g in grads1)


def test_backward_steps_records_each_node_once_root_first_with_upstream_times_local():
    root, leaves = rich_graph()
    order = topological_order(root)
    steps = list(root.backward_steps())

    assert all(type(s) is Step for s in steps)
    assert [s.node for s in steps] == order[::-1]  # every node, leaves too, root first
    assert steps[0].node is root and steps[0].upstream == 1.0

    received: dict[int, float] = {id(n): 0.0 for n in order}
    for s in steps:
        node = s.node
        # The node's gradient is final: everything flowing into it has arrived.
        assert s.upstream == (1.0 if node is root else received[id(node)])
        assert node.grad == s.upstream  # one backward on a fresh graph
        assert len(s.edges) == len(node.parents)
        for i, edge in enumerate(s.edges):
            assert type(edge) is Edge
            parent, local, downstream = edge  # a plain tuple too
            assert parent is node.parents[i]
            assert local == node.local_grads()[i]
            assert downstream == s.upstream * local
            received[id(parent)] += downstream
        if not node.parents:
            assert s.edges == ()
    assert all(leaf.grad != 0.0 for leaf in leaves)


def test_backward_steps_shows_the_branch_sum_of_a_plus_a():
    a = Value(3.0, label="a")
    out = a * a
    root_step, leaf_step = out.backward_steps()
    # two edges into a, each carrying upstream * local = 1 * 3 = 3; a's upstream is 3 + 3 = 6
    assert root_step.edges == (Edge(a, 3.0, 3.0), Edge(a, 3.0, 3.0))
    assert leaf_step == Step(a, 6.0, ())


# --------------------------------------------------------------------------- accumulation
def test_a_second_backward_accumulates_doubling_every_grad():
    root, _ = rich_graph()
    root.backward()
    first = [n.grad for n in topological_order(root)]
    root.backward()
    second = [n.grad for n in topological_order(root)]
    assert second == [2 * g for g in first]


def test_backward_with_a_seed_gradient_scales_every_grad():
    root1, _ = rich_graph()
    root1.backward()
    root2, _ = rich_graph()
    root2.backward(grad=2.5)
    for n1, n2 in zip(topological_order(root1), topological_order(root2), strict=True):
        assert n2.grad == pytest.approx(2.5 * n1.grad, rel=1e-14)


def test_backward_steps_accumulate_like_backward():
    a = Value(3.0)
    out = a * a
    out.backward()
    for _ in out.backward_steps():
        pass
    # 6 + 6: the second pass adds, and its steps report this pass's share
    assert a.grad == 12.0
    assert [s.upstream for s in out.backward_steps()] == [1.0, 6.0]
    assert a.grad == 18.0


def test_two_losses_sharing_a_parameter_accumulate_into_it():
    w = Value(3.0)
    (w * 2.0).backward()  # d(2w)/dw = 2
    (w**2).backward()  # d(w**2)/dw = 2w = 6
    assert w.grad == 8.0


def test_zero_grad_clears_every_node_of_the_graph_and_nothing_else():
    root, leaves = rich_graph()
    outsider = Value(1.0)
    outsider.grad = 7.0
    root.backward()
    first = [n.grad for n in topological_order(root)]
    root.zero_grad()
    assert all(n.grad == 0.0 for n in topological_order(root))
    assert outsider.grad == 7.0
    root.backward()
    assert [n.grad for n in topological_order(root)] == first


# --------------------------------------------------------------------------- no_grad
def test_values_made_inside_no_grad_record_no_parents():
    a, b = Value(2.0), Value(3.0)
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        c = (a * b).tanh() + 1
        assert (c.op, c.parents, c.local_grads()) == ("", (), ())
        assert c.data == pytest.approx(math.tanh(6.0) + 1)
        lse = logsumexp([a, b])
        assert lse.parents == () and lse.op == ""
    assert is_grad_enabled()
    # c is a leaf: backward through it stops there
    out = c * a
    out.backward()
    assert (a.grad, b.grad, c.grad) == (c.data, 0.0, 2.0)


def test_no_grad_nests_and_restores_even_after_an_exception():
    with no_grad():
        with no_grad():
            pass
        assert not is_grad_enabled()  # the inner block does not switch recording back on
    assert is_grad_enabled()
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError("boom")
    assert is_grad_enabled()
    assert (Value(1.0) + 1).parents != ()


def test_local_grads_of_a_leaf_is_empty_and_one_per_edge_otherwise():
    a = Value(2.0)
    assert a.local_grads() == ()
    assert len(sum_of([a, a, 3.0]).local_grads()) == 3


# --------------------------------------------------------------------------- sum_of
def test_sum_of_is_one_node_with_an_edge_per_operand():
    a, b = Value(1.5, label="a"), Value(-4.0, label="b")
    s = sum_of([a, b, a, 2])
    # 1.5 - 4 + 1.5 + 2 = 1;  d/dx_i = 1 on every edge
    assert (s.data, s.op, len(s.parents)) == (1.0, "sum", 4)
    assert s.parents[:3] == (a, b, a)
    assert s.parents[3].role == "const" and s.parents[3].data == 2.0
    assert s.local_grads() == (1.0, 1.0, 1.0, 1.0)
    s.backward()
    assert (a.grad, b.grad) == (2.0, 1.0)  # a appears twice: 1 + 1


@given(xs=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=30))
def test_sum_of_equals_builtin_sum(xs):
    vs = [Value(x) for x in xs]
    assert sum_of(vs).data == pytest.approx(sum(vs).data, rel=1e-12, abs=1e-6)


# --------------------------------------------------------------------------- no recursion
def test_a_chain_of_a_million_nodes_backpropagates_without_recursion():
    limit = sys.getrecursionlimit()
    x, c = Value(0.5, label="x"), Value(1e-6, label="c")
    out = x
    for _ in range(1_000_000):
        out = out + c  # x + c + c + ... : a chain one million "+" nodes deep
    out.backward()
    # d out/dx = 1 along the chain; c feeds every node: 1,000,000 branches of 1
    assert x.grad == 1.0
    assert c.grad == 1_000_000.0
    assert sys.getrecursionlimit() == limit


def test_builtin_sum_of_100_000_values_backpropagates_without_recursion():
    limit = sys.getrecursionlimit()
    vs = [Value(float(i)) for i in range(100_000)]
    total = sum(vs)  # 0 + v0 + v1 + ...: a chain of 100,000 "+" nodes
    total.backward()
    assert total.data == 99_999 * 100_000 / 2
    assert all(v.grad == 1.0 for v in vs)
    total.zero_grad()
    assert vs[0].grad == 0.0
    assert sys.getrecursionlimit() == limit


def test_backward_works_with_almost_no_recursion_headroom():
    # With the limit 40 frames above the current depth, any recursive walk of a
    # 10,000-node graph would raise RecursionError.
    out = x = Value(0.1)
    for _ in range(10_000):
        out = (out * 1.0001).tanh()
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + 40)
    try:
        out.backward()
        steps = sum(1 for _ in out.backward_steps())
        out.zero_grad()
        order = topological_order(out)
    finally:
        sys.setrecursionlimit(limit)
    assert steps == len(order) == 30_001  # x, and per layer a const 1.0001, "*" and tanh
    assert x.grad == 0.0  # after zero_grad


# --------------------------------------------------------------------------- freed by refcount
def softmax_graph() -> tuple[Value, list[Value]]:
    z = [Value(1.0), Value(1000.0), Value(-3.0)]
    return sum_of(softmax(z)) - log_softmax(z)[1] + logsumexp(z) * 2, z


GRAPHS = {"every op": rich_graph, "softmax, log_softmax, logsumexp": softmax_graph}


@pytest.mark.parametrize("build", GRAPHS.values(), ids=GRAPHS.keys())
@pytest.mark.parametrize("backward", ["backward", "backward_steps", "half of backward_steps"])
def test_graph_is_freed_by_reference_counting_when_the_root_is_dropped(build, backward):
    with gc_paused():
        root, leaves = build()
        if backward == "backward":
            root.backward()
        elif backward == "backward_steps":
            list(root.backward_steps())
        else:
            steps = root.backward_steps()
            next(steps)
            next(steps)
            del steps
        refs = [weakref.ref(n) for n in topological_order(root)]
        assert len(refs) > 10
        del root
        alive = [r() for r in refs if r() is not None]
        # Only the leaves this test still holds survive: no node is kept by a cycle.
        assert len(alive) == len(leaves)
        assert all(any(n is leaf for leaf in leaves) for n in alive)


def test_nodes_share_their_ops_rule_and_hold_only_their_operands():
    # The reason no cycle can form, and why a node is small: the derivative rule lives on the
    # op, one object shared by every node of that op, and a node refers only to its operands.
    root, _ = rich_graph()
    nodes = topological_order(root)
    by_name: dict[str, set[int]] = {}
    for node in nodes:
        if node.op:
            assert isinstance(node._op, autograd.Op)
            by_name.setdefault(node.op, set()).add(id(node._op))
            assert all(p is not node for p in node.parents)
    assert all(len(ids) == 1 for ids in by_name.values()), by_name
    # what a node holds: numbers, its label and role, its operands, its op, its class
    held = {type(r) for r in gc.get_referents(root)}
    assert held <= {Value, autograd.Op, float, int, str, type}, held


def test_micrograds_prev_points_to_parents():
    with pytest.raises(AttributeError, match=r"micrograd's _prev .* is gradflow's .parents"):
        Value(1.0)._prev  # noqa: B018
