"""``detect_anomaly()``: a nan or inf made by a backward step names the op that made it.

Outside the block a backward follows IEEE and carries inf and nan along silently (see
test_value_edges.py). Inside it, the first edge whose downstream gradient (upstream * local)
is not finite raises ``AnomalyError``, naming the op, the node's label, the edge, and the
upstream, local and downstream numbers, as PyTorch's ``detect_anomaly`` does (which checks
for nan only; inf is reported here too).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import AnomalyError, Tensor, Value, detect_anomaly, gradcheck
from autograd.anomaly import is_anomaly_enabled

INF, NAN = math.inf, math.nan


def log_of_zero() -> tuple[Value, Value]:
    """loss = 2 log(x) at x = 0: the log's local gradient 1/x is inf there."""
    x = Value(0.0, label="x")
    p = x.log()
    p.label = "p"
    return p * 2, x


# ----------------------------------------------------------------------------- the switch


def test_it_is_exported_from_autograd_and_is_a_runtime_error():
    assert autograd.detect_anomaly is detect_anomaly
    assert issubclass(autograd.AnomalyError, RuntimeError)


def test_the_mode_is_off_by_default_nests_and_is_restored_after_an_exception():
    assert not is_anomaly_enabled()
    with detect_anomaly():
        assert is_anomaly_enabled()
        with detect_anomaly(False):
            assert not is_anomaly_enabled()
        assert is_anomaly_enabled()
        with pytest.raises(KeyError), detect_anomaly(False):
            raise KeyError("x")
        assert is_anomaly_enabled()
    assert not is_anomaly_enabled()


def test_it_works_as_a_decorator():
    @detect_anomaly()
    def train_step() -> None:
        log_of_zero()[0].backward()

    with pytest.raises(AnomalyError):
        train_step()
    assert not is_anomaly_enabled()


def test_outside_the_block_backward_gives_ieee_numbers_without_an_error():
    loss, x = log_of_zero()
    loss.backward()
    # d/dx 2 log(x) = 2 / x = inf at 0, as in PyTorch without anomaly mode
    assert x.grad == INF


def test_the_normal_backward_never_enters_the_checking_loops(monkeypatch):
    # The cost when off is one flag read per backward: the checking loops are not run.
    def refuse(*args: object) -> None:
        raise AssertionError("checking loop called outside detect_anomaly()")

    for name in ("check_value_step", "check_tensor_step"):
        monkeypatch.setattr(autograd.anomaly, name, refuse)
    loss, _ = log_of_zero()
    loss.backward()
    list(loss.backward_steps())
    t = Tensor([0.0], requires_grad=True)
    t.log().sum().backward()
    list(t.log().sum().backward_steps())


# ----------------------------------------------------------------------------- Value


def test_log_at_zero_names_the_op_the_label_the_edge_and_the_numbers():
    loss, x = log_of_zero()
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        loss.backward()
    e = info.value
    # The "*" node passes upstream 1 * local 2 = 2 to p; p = log(x) passes 2 * (1/0) = inf.
    assert (e.op, e.node.label, e.edge, e.parent) == ("log", "p", 0, x)
    assert (e.upstream, e.local, e.downstream, e.index) == (2.0, INF, INF, None)
    assert str(e) == (
        "backward produced inf on edge 0 of the 'log' node 'p' (data -inf): "
        "upstream 2 * local inf = inf, into parent 0: the leaf 'x' (data 0)"
    )
    assert x.grad == 0.0  # the bad gradient never reached x


def test_an_unlabeled_node_is_described_by_its_op_and_data():
    x = Value(0.0)
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        x.sqrt().backward()
    # d/dx sqrt(x) = 1 / (2 sqrt(0)) = inf
    assert "edge 0 of an unlabeled 'sqrt' node (data 0)" in str(info.value)
    assert "into parent 0: an unlabeled leaf (data 0)" in str(info.value)


def test_a_zero_upstream_passes_zero_even_through_an_infinite_local_gradient():
    # d/dx (0 * sqrt(x)) = 0 for every x >= 0. The sqrt edge has local 1 / (2 sqrt(0)) = inf
    # under an upstream of 0: the engine passes 0 (select semantics), so there is no anomaly.
    x = Value(0.0, label="x")
    with detect_anomaly():
        (x.sqrt() * 0.0).backward()
    assert x.grad == 0.0


def test_a_nan_local_gradient_is_reported_with_its_numbers():
    x = Value(-1.0, label="x")
    y = x.sqrt()  # sqrt(-1) = nan, and its local gradient 1 / (2 nan) = nan
    y.label = "y"
    with detect_anomaly(), pytest.raises(AnomalyError, match="produced nan") as info:
        (y * 2.0).backward()
    e = info.value
    assert (e.op, e.upstream) == ("sqrt", 2.0) and math.isnan(e.local)
    assert math.isnan(e.downstream)
    assert "upstream 2 * local nan = nan" in str(e)


def test_the_edge_index_names_which_parent():
    b = Value(0.0, label="b")
    q = 1.0 / b  # parents (constant 1.0, b); d/db (1/b) = -(1/b)/b = -inf
    q.label = "q"
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        q.backward()
    e = info.value
    assert (e.op, e.edge, e.parent, e.local) == ("/", 1, b, -INF)
    assert "on edge 1 of the '/' node 'q'" in str(e) and "into parent 1: the leaf 'b'" in str(e)


def test_a_constant_operand_gets_no_check_as_pytorch_computes_no_gradient_for_it():
    y = Value(INF, label="y")
    z = y * 2  # d z / d(the constant 2) = y = inf: nobody asked for that gradient
    with detect_anomaly():
        z.backward()
    assert y.grad == 2.0


def test_a_sum_of_finite_branches_that_overflows_is_reported_at_the_node():
    x = Value(1.0, label="x")
    # two branches, each d/dx = 1e308; their sum 2e308 overflows to inf at x
    y = x * 1e308 + x * 1e308
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        y.backward()
    e = info.value
    assert e.node is x and e.edge is None and e.downstream == INF
    assert "the gradient of the leaf 'x' (data 1) became inf while summing" in str(e)


def test_a_non_finite_seed_is_reported_as_the_seed():
    y = Value(1.0, label="y").exp()
    with detect_anomaly(), pytest.raises(AnomalyError, match="seeded with grad=nan"):
        y.backward(NAN)


def test_a_saturated_sigmoid_then_log_is_caught_at_the_log():
    # log(sigmoid(-800)): the sigmoid underflows to 0 and the log's slope 1/0 is inf. The
    # forward gives -inf silently; the backward names the log, whose input was 0.
    z = Value(800.0, label="z")
    s = (-z).sigmoid()
    s.label = "s"
    loss = -s.log()
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        loss.backward()
    assert info.value.op == "log" and info.value.parent is s
    assert "into parent 0: the 'sigmoid' node 's' (data 0)" in str(info.value)


def test_backward_steps_raises_at_the_step_that_makes_it():
    loss, _ = log_of_zero()
    seen = []
    with detect_anomaly(), pytest.raises(AnomalyError, match="'log' node 'p'"):
        for step in loss.backward_steps():
            seen.append(step.node.op)
    # The root and the constant 2 (a leaf) were fine and were yielded; p's step was not.
    assert seen == ["*", ""]


# ----------------------------------------------------------------------------- Tensor


def test_tensor_sqrt_at_zero_names_the_element_and_the_numbers_there():
    t = Tensor([4.0, 0.0, 1.0], requires_grad=True, label="t")
    y = t.sqrt()
    y.label = "y"
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        (y * 3.0).sum().backward()
    e = info.value
    # element 1: upstream 3, local 1 / (2 sqrt(0)) = inf
    assert (e.op, e.edge, e.parent, e.index, e.upstream, e.downstream) == (
        "sqrt", 0, t, (1,), 3.0, INF,
    )  # fmt: skip
    assert e.local is None  # a tensor op never builds its Jacobian
    assert str(e) == (
        "backward produced inf on edge 0 of the 'sqrt' tensor 'y' (shape (3,)): element (1,) "
        "of the gradient into parent 0: the leaf 't' (shape (3,)); the upstream there is 3, "
        "the parent's data there is 0"
    )
    assert t.grad is None


def test_tensor_edge_index_counts_the_constant_operands_too():
    t = Tensor([2.0, 0.0], requires_grad=True, label="t")
    for run in ("backward", "backward_steps"):
        q = 1.0 / t  # parents (constant, t): t is edge 1
        with detect_anomaly(), pytest.raises(AnomalyError) as info:
            root = q.sum()
            root.backward() if run == "backward" else list(root.backward_steps())
        assert (info.value.op, info.value.edge, info.value.index) == ("/", 1, (1,))


def test_a_broadcast_edge_whose_sum_overflows_reports_the_upstream_as_finite():
    a = Tensor([1e308, 1e308], label="a")
    b = Tensor([1.0], requires_grad=True, label="b")
    y = a * b  # b is stretched to (2,): d/db = sum of g * a over the copies = 2e308 = inf
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        y.sum().backward()
    e = info.value
    assert (e.op, e.edge, e.index, e.upstream, e.downstream) == ("*", 1, (0,), None, INF)
    assert "the upstream (shape (2,)) is finite, the parent's data there is 1" in str(e)


def test_tensor_seed_with_nan_is_reported_as_the_seed():
    y = Tensor([1.0, 2.0], requires_grad=True).exp()
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"seeded with a grad holding nan"):
        y.backward(np.array([1.0, NAN]))


def test_tensor_overflowing_sum_of_branches_is_reported_at_the_tensor():
    x = Tensor([1.0], requires_grad=True, label="x")
    with detect_anomaly(), pytest.raises(AnomalyError, match="'x'.*became inf .* while summing"):
        (x * 1e308 + x * 1e308).sum().backward()


def test_tensor_backward_steps_raise_at_the_step():
    t = Tensor([0.0], requires_grad=True, label="t")
    seen = []
    with detect_anomaly(), pytest.raises(AnomalyError, match="'log' tensor"):
        for step in (t.log() * 2.0).sum().backward_steps():
            seen.append(step.node.op)
    assert seen == ["sum", "*"]


# ----------------------------------------------------------------------------- same gradients


finite = st.floats(-3.0, 3.0)


def value_graph(a: Value, b: Value) -> Value:
    h = (a * b + a.tanh()).sigmoid() * (b - 1.5) / (a * a + 1.0)
    return h.max(a.min(b)) + (b * b + 0.5).log() + a.exp().sqrt()


@settings(max_examples=30)
@given(finite, finite)
def test_checked_and_plain_backward_give_the_same_gradients(x, y):
    plain = [Value(x), Value(y)]
    value_graph(*plain).backward()
    checked = [Value(x), Value(y)]
    with detect_anomaly():
        value_graph(*checked).backward()
        stepped = [Value(x), Value(y)]
        list(value_graph(*stepped).backward_steps())
        assert gradcheck(value_graph, [Value(x + 0.01), Value(y - 0.02)], tol=1e-5)
    assert [v.grad for v in checked] == [v.grad for v in plain] == [v.grad for v in stepped]


@settings(max_examples=30)
@given(st.lists(finite, min_size=3, max_size=3), st.lists(finite, min_size=3, max_size=3))
def test_checked_and_plain_tensor_backward_give_the_same_gradients(xs, ys):
    def f(a: Tensor, b: Tensor) -> Tensor:
        return ((a * b).tanh() + (b * b + 1.0).log() * a.sigmoid()).softmax().max() + a.min()

    def fresh() -> list[Tensor]:
        return [Tensor(np.array(xs), requires_grad=True), Tensor(np.array(ys), requires_grad=True)]

    plain, checked = fresh(), fresh()
    f(*plain).backward()
    with detect_anomaly():
        f(*checked).backward()
    for p, c in zip(plain, checked, strict=True):
        np.testing.assert_array_equal(p.grad, c.grad)
