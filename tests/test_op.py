"""``autograd.op``: a learner's own op, declared once, works everywhere a built-in op does.

The built-in ops are made the same way, so these tests also pin the mechanism itself: a rule
shared by every node of its op, its first answer checked, a wrong rule caught and named by
gradcheck, and one activation registry read by nn and viz.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
import nn
import viz
from autograd import AnomalyError, Tensor, Value, detect_anomaly, gradcheck


@autograd.op(local=lambda x, out: (math.cos(x),))  # d sin(x)/dx = cos(x)
def sin(x: float) -> float:
    return math.sin(x)


# d hypot(a, b)/da = a / hypot,  d/db = b / hypot
@autograd.op(local=lambda a, b, out: (a / out, b / out))
def hypot(a: float, b: float) -> float:
    return math.hypot(a, b)


@autograd.op(vjp=lambda g, x, out: (g * np.cos(x),))  # the Tensor version: a VJP
def tsin(x: np.ndarray) -> np.ndarray:
    return np.sin(x)


def test_a_learners_sin_is_a_node_with_its_name_and_the_chain_rule():
    x = Value(0.5, label="x")
    y = sin(x) * 3.0
    y.backward()
    # d(3 sin x)/dx = 3 cos(0.5) = 2.6327476...
    assert y.parents[0].op == "sin" and y.parents[0].parents == (x,)
    assert x.grad == pytest.approx(3 * math.cos(0.5), rel=1e-15)
    assert y.parents[0].local_grads() == (math.cos(0.5),)


def test_two_operand_op_hypot_and_numbers_are_lifted():
    a = Value(3.0, label="a")
    h = hypot(a, 4.0)  # hypot(3, 4) = 5;  d/da = 3/5, the 4.0 becomes a constant leaf
    h.backward()
    assert h.data == 5.0 and a.grad == pytest.approx(0.6)
    assert h.parents[1].role == "const" and h.parents[1].grad == pytest.approx(0.8)


def test_backward_steps_record_the_learners_local_gradient():
    x = Value(1.0)
    steps = list(sin(sin(x)).backward_steps())
    # root sin(sin 1): local cos(sin 1) = 0.6663667...; then cos(1) = 0.5403023...
    assert [s.node.op for s in steps] == ["sin", "sin", ""]
    assert steps[0].edges[0].local == pytest.approx(math.cos(math.sin(1.0)))
    assert steps[1].edges[0].local == pytest.approx(math.cos(1.0))
    assert x.grad == pytest.approx(math.cos(math.sin(1.0)) * math.cos(1.0))


@given(st.floats(-10, 10), st.floats(0.1, 10))
def test_gradcheck_passes_on_the_learners_ops(a, b):
    assert gradcheck(lambda u, v: sin(u) * hypot(u, v), [Value(a), Value(b)])


def test_detect_anomaly_names_the_learners_op():
    @autograd.op(local=lambda x, out: (1.0 / (2.0 * out) if out else math.inf,))
    def my_sqrt(x: float) -> float:
        return math.sqrt(x)

    with detect_anomaly(), pytest.raises(AnomalyError, match="'my_sqrt'"):
        my_sqrt(Value(0.0)).backward()


def test_viz_draws_the_learners_op_by_name():
    x = Value(0.5, label="x")
    y = sin(x)
    y.label = "y"
    y.backward()
    assert "sin" in viz.draw(y).source


def test_a_tensor_op_is_declared_with_a_vjp_and_gradchecked():
    x = Tensor(np.linspace(-2, 2, 6).reshape(2, 3), requires_grad=True, label="x")
    y = tsin(x)
    assert y.op == "tsin" and isinstance(y, Tensor)
    y.sum().backward()
    assert np.allclose(x.grad, np.cos(x.data))
    assert gradcheck(lambda t: (tsin(t) * t).sum(), [x])


def test_a_deliberately_wrong_derivative_is_caught_and_the_op_is_named():
    @autograd.op(local=lambda x, out: (-math.cos(x),))  # wrong sign: d sin/dx is +cos
    def bad_sin(x: float) -> float:
        return math.sin(x)

    x = Value(0.3, label="x")
    result = gradcheck(lambda v: (bad_sin(v) * v).tanh(), [x])
    assert not result
    assert result.op == "bad_sin"
    # the rule says -cos(0.3) = -0.955..., central differences of sin give +cos(0.3)
    assert result.op_check.analytic == pytest.approx(-math.cos(0.3))
    assert result.op_check.numeric == pytest.approx(math.cos(0.3), rel=1e-8)
    assert "op 'bad_sin' is wrong" in str(result)


def test_a_wrong_vjp_is_named_too():
    @autograd.op(vjp=lambda g, x, out: (g * x,))  # d x**2/dx is 2x, not x
    def bad_square(x: np.ndarray) -> np.ndarray:
        return x * x

    x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    result = gradcheck(lambda t: bad_square(t).exp().sum(), [x])
    assert not result and result.op == "bad_square"


def test_an_exact_op_is_trusted_by_backward_and_held_to_its_promise_by_gradcheck():
    # exact=True: the vjp gives each gradient in its operand's own shape and dtype, and the
    # backward uses it without summing it back or casting it
    @autograd.op(vjp=lambda g, x, b, out: (2 * g * x, g.sum(axis=0)), exact=True)
    def square_plus(x: np.ndarray, b: np.ndarray) -> np.ndarray:
        return x * x + b

    x = Tensor(np.array([[0.5, -1.0], [2.0, 3.0]]), requires_grad=True)
    b = Tensor(np.array([1.0, -1.0]), requires_grad=True)
    square_plus(x, b).sum().backward()
    np.testing.assert_array_equal(x.grad, 2 * x.data)  # d/dx sum(x^2 + b) = 2x
    np.testing.assert_array_equal(b.grad, [2.0, 2.0])  # each b_j is added to both rows
    assert gradcheck(lambda x, b: square_plus(x, b).sum(), [x, b])

    # the same rule without the sum over rows breaks the promise: gradcheck says so
    @autograd.op(vjp=lambda g, x, b, out: (2 * g * x, g), exact=True)
    def broken(x: np.ndarray, b: np.ndarray) -> np.ndarray:
        return x * x + b

    result = gradcheck(lambda x, b: broken(x, b).sum(), [x, b])
    assert not result and result.op == "broken"
    assert "its gradient is (2, 2) float64, but the input is (2,) float64" in str(result)

    # ... and so does one that hands back g itself, which the backward would share
    @autograd.op(vjp=lambda g, x, b, out: (2 * g * x, g.sum(axis=0)), exact=True)
    def plus(x: np.ndarray, b: np.ndarray) -> np.ndarray:
        return x * x + b

    @autograd.op(vjp=lambda g, y, out: (g,), exact=True)
    def same(y: np.ndarray) -> np.ndarray:
        return y.copy()

    result = gradcheck(lambda x, b: same(plus(x, b)).sum(), [x, b])
    assert not result and result.op == "same"
    assert "the upstream gradient itself or a view of it" in str(result)

    # a gradient may be deferred, a function of no arguments that the backward calls
    @autograd.op(vjp=lambda g, x, b, out: (lambda: 2 * g * x, lambda: g.sum(0)), exact=True)
    def deferred(x: np.ndarray, b: np.ndarray) -> np.ndarray:
        return x * x + b

    x.grad = b.grad = None
    deferred(x, b).sum().backward()
    np.testing.assert_array_equal(x.grad, 2 * x.data)
    np.testing.assert_array_equal(b.grad, [2.0, 2.0])
    assert gradcheck(lambda x, b: deferred(x, b).sum(), [x, b])

    # an ndarray subclass (or a number) is neither an ndarray nor a function: named
    @autograd.op(vjp=lambda g, x, b, out: (2 * g * x, np.ma.array(g.sum(0))), exact=True)
    def masked(x: np.ndarray, b: np.ndarray) -> np.ndarray:
        return x * x + b

    result = gradcheck(lambda x, b: masked(x, b).sum(), [x, b])
    assert not result and result.op == "masked"
    assert "its gradient is a MaskedArray (2,) float64, but the input is (2,)" in str(result)
    with pytest.raises(TypeError, match="op 'masked' gave a MaskedArray as a gradient"):
        masked(x, b).sum().backward()


def test_a_rule_that_forgets_the_tuple_gets_a_clear_error():
    @autograd.op(local=lambda x, out: math.cos(x))  # no comma: a float, not a tuple
    def sin_oops(x: float) -> float:
        return math.sin(x)

    with pytest.raises(
        TypeError, match=r"op 'sin_oops': local must return a tuple .*\(cos\(x\),\)"
    ):
        sin_oops(Value(1.0)).backward()


def test_an_op_without_a_rule_or_with_the_wrong_engine_is_refused():
    with pytest.raises(TypeError, match="needs its derivative"):
        autograd.op(lambda x: x)
    with pytest.raises(TypeError, match="only a tensor rule"):
        tsin(Value(1.0))
    with pytest.raises(TypeError, match="only a scalar rule"):
        sin(Tensor([1.0], requires_grad=True))


def test_a_forward_that_returns_a_complex_number_is_refused():
    @autograd.op(local=lambda x, out: (0.5 / out,))
    def csqrt(x: float) -> float:
        return x**0.5  # complex for x < 0

    with pytest.raises(TypeError, match="complex"):
        csqrt(Value(-4.0))


def test_every_node_of_an_op_shares_one_rule_and_parameters_bind_once():
    a, b = Value(1.0), Value(2.0)
    assert (a * b)._op is (b * a)._op is autograd.value.mul
    assert (a**2)._op is (b**2)._op and (a**2).op == "**2" and (a**3).op == "**3"
    assert a.leaky_relu(0.1)._op is b.leaky_relu(0.1)._op


def test_fresh_binds_parameters_into_an_op_of_its_own_every_time():
    scale = autograd.op(lambda x, *, k: k * x, local=lambda x, out, k: (k,), name="times{k:g}")
    one, two = scale.fresh(k=3.0), scale.fresh(k=3.0)
    assert one is not two and one is not scale.bind(k=3.0)  # never cached
    assert scale.bind(k=3.0) is scale.bind(k=3.0)  # bind is
    y = one(Value(2.0))
    assert (y.op, y.data) == ("times3", 6.0)
    y.backward()
    assert y.parents[0].grad == 3.0
    # an unhashable parameter (an array) through bind takes the same path
    weights = np.array([1.0, 2.0])
    dot = autograd.op(lambda x, *, w: x * w, vjp=lambda g, x, out, w: (g * w,), name="times_w")
    assert dot.bind(w=weights) is not dot.bind(w=weights)


def test_one_registry_a_new_activation_is_one_entry_for_nn_and_viz():
    autograd.register_activation("sin", sin, init="xavier")
    try:
        model = nn.MLP(2, [3, 1], activation="sin", seed=0)
        out = model([0.5, -0.5])
        # the output neuron is linear: one "sum" over w_j * sin(...) and its bias
        assert out.op == "sum"
        products = [p for p in out.parents if p.op == "*"]
        operands = sorted(q.op for p in products for q in p.parents)
        assert operands == ["", "", "", "sin", "sin", "sin"]  # three weights, three sin(...)
        hidden = model.layers[0]([0.5, -0.5])
        assert [h.op for h in hidden] == ["sin", "sin", "sin"]
        out.backward()
        assert all(p.grad != 0.0 for p in model.layers[0].neurons[0].w)
        assert "sin" in autograd.activations.activation_ops()  # viz folds it into neurons
    finally:
        del autograd.ACTIVATIONS["sin"]
