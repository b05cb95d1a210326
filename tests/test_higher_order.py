"""Derivatives of derivatives, and forward mode, from the same per-op rules.

``autograd.grad(..., create_graph=True)`` calls every op's rule with graph nodes instead of
numbers, so the gradient is itself a graph and can be differentiated again. Checked here:
hand-derived higher derivatives, ``gradgradcheck`` (central differences of the first
derivative) on every op of both engines, closed-form Hessians, the identities that tie
jvp/vjp/hvp/jacobian/hessian together, and PyTorch's double backward where it is installed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Tensor, Value, gradgradcheck
from autograd.functional import hessian, hvp, jacobian, jvp, vjp

# away from 0, where log(a**2 + b**2) and friends curve so fast that central differences of
# the first derivative lose their accuracy (the analytic side stays exact)
finite = st.floats(-2.0, 2.0, allow_nan=False).filter(lambda v: abs(v) > 0.1)


# ---------------------------------------------------------------- hand-derived, scalar


def test_grad_returns_a_tuple_and_leaves_dot_grad_alone():
    x, y = Value(3.0), Value(-2.0)
    z = x * x * y  # dz/dx = 2xy = -12,  dz/dy = x**2 = 9
    gx, gy = autograd.grad(z, (x, y))
    assert (gx, gy) == (-12.0, 9.0)
    assert x.grad == 0.0 and y.grad == 0.0


def test_derivatives_of_x_to_the_4th_to_the_4th_order():
    # x**4 at x = 2: 4x**3 = 32, 12x**2 = 48, 24x = 48, 24
    x = Value(2.0, label="x")
    d = x**4
    found = []
    for _ in range(4):
        (d,) = autograd.grad(d, x, create_graph=True)
        found.append(d.data)
    assert found == [32.0, 48.0, 48.0, 24.0]


def test_backward_with_create_graph_leaves_a_differentiable_grad():
    x = Value(0.5)
    y = x.tanh()
    y.backward(create_graph=True)
    # tanh' = 1 - t**2;  tanh'' = -2 t (1 - t**2)
    t = math.tanh(0.5)
    assert isinstance(x.grad, Value) and x.grad.data == pytest.approx(1 - t * t)
    (second,) = autograd.grad(x.grad, x)
    assert second == pytest.approx(-2 * t * (1 - t * t), rel=1e-14)


def test_mixed_partials_are_symmetric():
    x, y = Value(0.7), Value(-0.4)
    f = (x * y).sin() if hasattr(Value, "sin") else (x * y).tanh() * x.exp()
    gx, gy = autograd.grad(f, (x, y), create_graph=True)
    (gxy,) = autograd.grad(gx, y)
    (gyx,) = autograd.grad(gy, x)
    assert gxy == pytest.approx(gyx, rel=1e-13)


def test_a_rule_written_with_math_on_floats_refuses_create_graph_with_a_clear_error():
    @autograd.op(local=lambda x, out: (math.cos(x),))  # fine for backward, not for create_graph
    def sin(x: float) -> float:
        return math.sin(x)

    x = Value(0.3)
    assert autograd.grad(sin(x), x)[0] == pytest.approx(math.cos(0.3))  # first order works
    with pytest.raises(TypeError, match=r"rule of op 'sin' turned a Value into a float"):
        autograd.grad(sin(x), x, create_graph=True)


def test_a_tensor_rule_that_reads_out_the_array_refuses_create_graph_with_a_clear_error():
    # np.asarray(x) turns a Tensor into its numbers: fine for backward, but under
    # create_graph the derivative would silently lose its dependence on x
    @autograd.op(vjp=lambda g, x, out: (g * np.cos(np.asarray(x)),))
    def tsin(x: np.ndarray) -> np.ndarray:
        return np.sin(x)

    x = Tensor(np.array([0.1, 0.2]), requires_grad=True)
    np.testing.assert_allclose(autograd.grad(tsin(x).sum(), x)[0], np.cos([0.1, 0.2]))
    with pytest.raises(TypeError, match=r"rule of op 'tsin'"):
        autograd.grad(tsin(x).sum(), x, create_graph=True)


def test_a_learners_rule_written_with_dmath_works_to_second_order():
    @autograd.op(local=lambda x, out: (autograd.dmath.exp(x) * 2.0,))  # d e**(x) 2 = 2 e**x
    def twice_exp(x: float) -> float:
        return 2.0 * math.exp(x)

    x = Value(0.25)
    (g,) = autograd.grad(twice_exp(x), x, create_graph=True)
    (h,) = autograd.grad(g, x)
    assert h == pytest.approx(2 * math.exp(0.25))


# ---------------------------------------------------------------- gradgradcheck, every op

SCALAR_OPS = {
    "+": lambda a, b: (a + b) * (a * b),
    "-": lambda a, b: (a - b) * (a - b),
    "*": lambda a, b: a * b * a,
    "/": lambda a, b: a / b,
    "**k": lambda a, b: a**3 * b,
    "**": lambda a, b: a.abs() ** b,
    "neg": lambda a, b: -(a * a * b),
    "exp": lambda a, b: (a * b).exp(),
    "log": lambda a, b: (a * a + b * b).log(),
    "sqrt": lambda a, b: (a * a + b * b).sqrt(),
    "tanh": lambda a, b: (a * b).tanh(),
    "sigmoid": lambda a, b: (a * b).sigmoid(),
    "relu": lambda a, b: (a * b).relu() * a,
    "leaky_relu": lambda a, b: (a * b).leaky_relu(0.1) * a,
    "elu": lambda a, b: (a * b).elu(),
    "selu": lambda a, b: (a * b).selu(),
    "gelu": lambda a, b: (a * b).gelu(),
    "softplus": lambda a, b: (a * b).softplus(),
    "abs": lambda a, b: (a * b).abs() * a,
    "max": lambda a, b: a.max(b) * a * b,
    "min": lambda a, b: a.min(b) * a * b,
    "sum_of": lambda a, b: autograd.sum_of([a * a, a * b, b]) * a,
    "logsumexp": lambda a, b: autograd.logsumexp([a, b, a * b]),
    "softmax": lambda a, b: autograd.softmax([a, b * 2])[0] * b,
}


@pytest.mark.parametrize("name", sorted(SCALAR_OPS))
@settings(max_examples=15, deadline=None)
@given(a=finite, b=finite)
def test_second_derivatives_of_every_scalar_op(name, a, b):
    if name in ("relu", "leaky_relu", "abs", "elu", "selu") and abs(a * b) < 1e-2:
        return  # a kink: the second derivative does not exist there
    if name in ("max", "min") and abs(a - b) < 1e-2:
        return
    result = gradgradcheck(SCALAR_OPS[name], [Value(a), Value(b)], tol=1e-5)
    assert result, str(result)


rng = np.random.default_rng(7)
X34 = rng.standard_normal((3, 4))
W43 = rng.standard_normal((4, 3))

TENSOR_OPS = {
    "+ broadcast": lambda x: ((x + x[0]) * x).sum(),
    "*": lambda x: (x * x * x).sum(),
    "/": lambda x: (x / (x * x + 1.0)).sum(),
    "**k": lambda x: (x**3).sum(),
    "**": lambda x: ((x * x + 1.0) ** (x * 0.5)).sum(),
    "@": lambda x: ((x @ Tensor(W43)) * (x @ Tensor(W43))).sum(),
    "@ self": lambda x: (x @ x.T).tanh().sum(),
    "linear": lambda x: (autograd.tensor.linear(x, Tensor(W43.T), Tensor(np.ones(3))) ** 2).sum(),
    "exp": lambda x: (x.exp() * x).sum(),
    "log": lambda x: ((x * x + 1.0).log() * x).sum(),
    "sqrt": lambda x: ((x * x + 1.0).sqrt() * x).sum(),
    "tanh": lambda x: (x.tanh() * x).sum(),
    "sigmoid": lambda x: (x.sigmoid() * x).sum(),
    "softplus": lambda x: (x.softplus() * x).sum(),
    "relu": lambda x: (x.relu() * x).sum(),
    "leaky_relu": lambda x: (x.leaky_relu(0.2) * x).sum(),
    "abs": lambda x: (x.abs() * x).sum(),
    "sum axis": lambda x: (x.sum(axis=0) ** 2).sum(),
    "mean axis": lambda x: (x.mean(axis=1, keepdims=True) * x).sum(),
    "max axis": lambda x: (x.max(axis=1) * x.sum(axis=1)).sum(),
    "min": lambda x: x.min() * x.sum(),
    "reshape transpose": lambda x: (x.reshape(4, 3).T * x).sum(),
    "index": lambda x: (x[[0, 0, 2], 1:] ** 2).sum(),
    "softmax": lambda x: (x.softmax(axis=1) * x).sum(),
    "log_softmax": lambda x: (x.log_softmax(axis=0) * x).sum(),
    "cross_entropy": lambda x: autograd.tensor.cross_entropy(x * x, np.array([0, 3, 1])),
}


@pytest.mark.parametrize("name", sorted(TENSOR_OPS))
def test_second_derivatives_of_every_tensor_op(name):
    x = Tensor(X34.copy(), requires_grad=True, label="x")
    result = gradgradcheck(TENSOR_OPS[name], [x], tol=1e-5)
    assert result, str(result)


def test_gradgradcheck_catches_a_wrong_second_derivative():
    # A rule that reads the number out of its input (dmath.value) gives the right first
    # derivative, but under create_graph it is a constant: its own derivative would be 0.
    @autograd.op(local=lambda x, out: (autograd.dmath.exp(autograd.dmath.value(x)),))
    def exp_frozen(x: float) -> float:
        return math.exp(x)

    x = Value(0.5, label="x")
    assert autograd.gradcheck(lambda v: exp_frozen(v), [x])  # the first derivative is right
    bad = gradgradcheck(lambda v: exp_frozen(v), [x])
    # the frozen rule's derivative is 0; e**0.5 = 1.6487... is the truth
    assert not bad and bad.worst.analytic == 0.0
    assert bad.worst.numeric == pytest.approx(math.exp(0.5), rel=1e-6)


# ---------------------------------------------------------------- closed forms, identities


def test_rosenbrock_hessian_matches_its_closed_form():
    # f = (1 - a)**2 + 100 (b - a**2)**2
    # d2f/da2 = 2 - 400 (b - a**2) + 800 a**2,  d2f/dadb = -400 a,  d2f/db2 = 200
    def rosenbrock(x: Tensor) -> Tensor:
        a, b = x[0], x[1]
        return (1 - a) ** 2 + 100 * (b - a * a) ** 2

    a, b = 1.2, 0.8
    H = hessian(rosenbrock, Tensor(np.array([a, b])))
    expected = [[2 - 400 * (b - a * a) + 800 * a * a, -400 * a], [-400 * a, 200]]
    np.testing.assert_allclose(H.data, expected, rtol=1e-12)


def test_quadratic_form_hessian_is_a_plus_a_transpose():
    A = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, 1.0], [4.0, 0.0, -2.0]])
    H = hessian(lambda x: (x * (Tensor(A) @ x)).sum(), Tensor(np.array([0.3, -0.1, 0.7])))
    np.testing.assert_allclose(H.data, A + A.T, rtol=1e-13)


def test_hessian_of_values_is_nested_tuples():
    H = hessian(lambda x, y: x * x * y + y.exp(), (Value(1.5), Value(0.2)))
    # d2/dx2 = 2y = 0.4, d2/dxdy = 2x = 3, d2/dy2 = e**y
    assert [h.data for row in H for h in row] == pytest.approx(
        [0.4, 3.0, 3.0, math.exp(0.2)], rel=1e-14
    )


@settings(max_examples=20, deadline=None)
@given(st.lists(st.floats(-1.5, 1.5), min_size=3, max_size=3),
       st.lists(st.floats(-1, 1), min_size=3, max_size=3))  # fmt: skip
def test_hvp_equals_hessian_times_v_and_jvp_equals_jacobian_times_v(xs, vs):
    x0, v = np.array(xs), np.array(vs)

    def f(x: Tensor) -> Tensor:
        return ((x * x[0]).tanh() * x.exp()).sum()

    H = hessian(f, Tensor(x0)).data
    _, hv = hvp(f, Tensor(x0), v)
    np.testing.assert_allclose(hv.data, H @ v, rtol=1e-10, atol=1e-12)

    def g(x: Tensor) -> Tensor:
        return (x * x[1]).sigmoid() + x

    J = jacobian(g, Tensor(x0)).data
    _, jv = jvp(g, Tensor(x0), v)
    np.testing.assert_allclose(jv.data, J @ v, rtol=1e-10, atol=1e-12)
    _, vj = vjp(g, Tensor(x0), v)
    np.testing.assert_allclose(vj.data, v @ J, rtol=1e-10, atol=1e-12)
    Jf = jacobian(g, Tensor(x0), strategy="forward-mode").data
    np.testing.assert_allclose(Jf, J, rtol=1e-12, atol=1e-14)


def test_jvp_on_values_is_forward_mode_and_runs_no_backward(monkeypatch):
    def no_backward(*args, **kwargs):
        raise AssertionError("jvp on Values must not run a backward pass")

    monkeypatch.setattr(autograd.engine, "_run", no_backward)
    out, t = jvp(lambda x, y: x * y.tanh() + x**3, (Value(0.5), Value(-1.0)), (1.0, 2.0))
    # d/dx = tanh(y) + 3x**2,  d/dy = x (1 - tanh(y)**2);  J v = d/dx * 1 + d/dy * 2
    ty = math.tanh(-1.0)
    assert t.data == pytest.approx((ty + 0.75) + 2 * 0.5 * (1 - ty * ty), rel=1e-14)
    assert out.data == pytest.approx(0.5 * ty + 0.125)


def test_functional_results_are_detached_and_inputs_untouched():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    out, g = vjp(lambda t: (t * t).sum(), x)
    assert x.grad is None and not g.requires_grad and not out.requires_grad
    np.testing.assert_array_equal(g.data, [2.0, 4.0])


def test_bad_arguments_name_what_is_wrong():
    with pytest.raises(ValueError, match="v can be omitted only"):
        vjp(lambda t: t * 2, Tensor(np.ones(3)))
    with pytest.raises(ValueError, match=r"v\[0\] has shape \(2,\)"):
        jvp(lambda t: t * 2, Tensor(np.ones(3)), np.ones(2))
    with pytest.raises(TypeError, match="func must return a Value or a Tensor"):
        jacobian(lambda t: 3.0, Tensor(np.ones(2)))
    with pytest.raises(ValueError, match="strategy"):
        jacobian(lambda t: t, Tensor(np.ones(2)), strategy="sideways")


# ---------------------------------------------------------------- PyTorch's double backward


torch_cases = [
    ("tanh", lambda t: t.tanh()),
    ("sigmoid", lambda t: t.sigmoid()),
    ("exp", lambda t: t.exp()),
    ("log", lambda t: (t * t + 1).log()),
    ("sqrt", lambda t: (t * t + 1).sqrt()),
    ("softplus", lambda t: t.softplus() if hasattr(t, "softplus") else None),
    ("pow", lambda t: t**3),
    ("div", lambda t: 1 / (t * t + 1)),
    ("softmax", lambda t: t.softmax(-1)),
    ("log_softmax", lambda t: t.log_softmax(-1)),
    ("relu*x", lambda t: t.relu() * t),
]


@pytest.mark.parametrize("name,f", torch_cases, ids=[c[0] for c in torch_cases])
def test_second_derivatives_match_pytorchs_double_backward(name, f):
    torch = pytest.importorskip("torch")
    x0 = np.array([[-1.3, 0.4, 2.1], [0.7, -0.2, 1.1]])
    x = Tensor(x0.copy(), requires_grad=True)
    (g,) = autograd.grad((f(x) * x).sum(), x, create_graph=True)
    (h,) = autograd.grad((g * g).sum(), x)

    tx = torch.tensor(x0, requires_grad=True, dtype=torch.float64)
    tf = {"softplus": lambda t: torch.nn.functional.softplus(t)}.get(name, f)
    (tg,) = torch.autograd.grad((tf(tx) * tx).sum(), tx, create_graph=True)
    (th,) = torch.autograd.grad((tg * tg).sum(), tx)
    np.testing.assert_allclose(h, th.numpy(), rtol=1e-12, atol=1e-14)
