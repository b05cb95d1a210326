"""Bad input and domain edges of the scalar engine.

- Anything that is not a real number is a TypeError that names its type.
- Domain edges give the IEEE 754 numbers that PyTorch gives (inf, -inf, nan), never a Python
  exception (ValueError, ZeroDivisionError, OverflowError) and never a complex number, in the
  forward value and in the local gradients alike.
- At the kinks, the PyTorch conventions: relu'(0) = 0 and abs'(0) = 0.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, log_softmax, logsumexp, softmax, sum_of

INF, NAN = math.inf, math.nan


def same(x: float, expected: float) -> bool:
    """Equal, with nan equal to nan and the sign of inf (and of 0.0) checked."""
    if math.isnan(expected):
        return math.isnan(x)
    return x == expected and math.copysign(1.0, x) == math.copysign(1.0, expected)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("data", "type_name"),
    [("abc", "str"), (None, "NoneType"), ([1.0], "list"), (1 + 2j, "complex"), ({}, "dict")],
)
def test_value_of_a_non_number_is_a_type_error_naming_the_type(data, type_name):
    with pytest.raises(TypeError, match=type_name):
        Value(data)


def test_value_of_a_value_is_a_type_error_that_says_what_to_do():
    with pytest.raises(TypeError, match=r"Value\(v\.data\)"):
        Value(Value(1.0))


@pytest.mark.parametrize(
    ("data", "stored"),
    [(3, 3.0), (True, 1.0), (np.float64(2.5), 2.5), (np.int32(-4), -4.0), (Fraction(1, 4), 0.25)],
)
def test_any_real_number_is_stored_as_a_python_float(data, stored):
    v = Value(data)
    assert type(v.data) is float
    assert v.data == stored


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        (lambda: Value(1) + "x", "for +: 'Value' and 'str'"),
        (lambda: "x" + Value(1), "for +: 'str' and 'Value'"),
        (lambda: Value(1) - None, "for -: 'Value' and 'NoneType'"),
        (lambda: None - Value(1), "for -: 'NoneType' and 'Value'"),
        (lambda: Value(1) * [2], "for *: 'Value' and 'list'"),
        (lambda: [2] * Value(1), "for *: 'list' and 'Value'"),
        (lambda: Value(1) / "2", "for /: 'Value' and 'str'"),
        (lambda: "2" / Value(1), "for /: 'str' and 'Value'"),
        (lambda: Value(1) ** "2", "for **: 'Value' and 'str'"),
        (lambda: "2" ** Value(1), "for **: 'str' and 'Value'"),
        (lambda: Value(1) + 1j, "for +: 'Value' and 'complex'"),
        (lambda: np.ones(2) + Value(1), "for +: 'ndarray' and 'Value'"),
    ],
)
def test_an_operand_that_is_not_a_number_is_a_type_error_naming_both_types(expression, message):
    with pytest.raises(TypeError, match=re.escape(message)):
        expression()


@pytest.mark.parametrize(
    ("function", "name"),
    [(sum_of, "sum"), (logsumexp, "logsumexp"), (softmax, "softmax"), (log_softmax, "log_softmax")],
)
def test_functions_over_lists_name_the_bad_element_type(function, name):
    with pytest.raises(TypeError, match=rf"^{name}\(\) takes .*, not str$"):
        function([Value(1.0), "2"])


@pytest.mark.parametrize("function", [sum_of, logsumexp, softmax, log_softmax])
def test_functions_over_lists_reject_an_empty_list(function):
    with pytest.raises(ValueError, match="at least one"):
        function([])


def test_backward_seed_must_be_a_number():
    with pytest.raises(TypeError, match="str"):
        Value(1.0).exp().backward("1")


# --------------------------------------------------------------------------- IEEE domain edges
# (expression, forward value, local gradients), as PyTorch computes them.
EDGES = [
    # log(0) = -inf, and its slope 1/0 = inf
    ("log(0)", lambda: Value(0.0).log(), -INF, (INF,)),
    # log(-1) = nan (no real log); the formula 1/x still gives -1, as in PyTorch
    ("log(-1)", lambda: Value(-1.0).log(), NAN, (-1.0,)),
    ("log(inf)", lambda: Value(INF).log(), INF, (0.0,)),
    # exp(1000) overflows to inf, slope e**1000 = inf; exp(-1000) underflows to 0
    ("exp(1000)", lambda: Value(1000.0).exp(), INF, (INF,)),
    ("exp(-1000)", lambda: Value(-1000.0).exp(), 0.0, (0.0,)),
    # sqrt(-1) = nan; sqrt(0) = 0 with slope 1 / (2 * 0) = inf
    ("sqrt(-1)", lambda: Value(-1.0).sqrt(), NAN, (NAN,)),
    ("sqrt(0)", lambda: Value(0.0).sqrt(), 0.0, (INF,)),
    # (-8) ** 0.5 = nan, not the complex 1.7e-16+2.83j; slope 0.5 (-8)**-0.5 = nan
    ("(-8)**0.5", lambda: Value(-8.0) ** 0.5, NAN, (NAN,)),
    # 0 ** -1 = inf (a pole), slope -1 * 0**-2 = -inf
    ("0**-1", lambda: Value(0.0) ** -1, INF, (-INF,)),
    # -0.0 ** -1 = -inf, like C's pow and PyTorch
    ("(-0.0)**-1", lambda: Value(-0.0) ** -1, -INF, (-INF,)),
    # 0 ** 0.5 = 0, slope 0.5 * 0**-0.5 = inf
    ("0**0.5", lambda: Value(0.0) ** 0.5, 0.0, (INF,)),
    # 10 ** 400 overflows to inf; (-10) ** 401 to -inf
    ("10**400", lambda: Value(10.0) ** 400, INF, (INF,)),
    ("(-10)**401", lambda: Value(-10.0) ** 401, -INF, (INF,)),
    # (-10) ** 400.5 would overflow if it were real, but a fractional power of a negative
    # number is nan however large: not inf
    ("(-10)**400.5", lambda: Value(-10.0) ** 400.5, NAN, (NAN,)),
    ("(-1e300)**1.5", lambda: Value(-1e300) ** 1.5, NAN, (NAN,)),
    # Value ** Value: (-8) ** 0.5 = nan in both slopes
    ("(-8)**y", lambda: Value(-8.0) ** Value(0.5), NAN, (NAN, NAN)),
    # 0 ** y for y = -1: inf; d/dx = -inf, d/dy = inf * log(0) = inf * -inf = -inf
    ("0**y", lambda: Value(0.0) ** Value(-1.0), INF, (-INF, -INF)),
    # a number ** Value: (-8) ** v with v = 1/3 is nan, not a complex cube root
    ("(-8)**v", lambda: (-8) ** Value(1 / 3), NAN, (NAN, NAN)),
    # 1 / 0 = inf: d/da = 1/0 = inf, d/db = -(1/0)/0 = -inf
    ("1/0", lambda: Value(1.0) / Value(0.0), INF, (INF, -INF)),
    # -1 / 0 = -inf: d/da = inf, d/db = -(-inf/0) = inf
    ("-1/0", lambda: Value(-1.0) / 0, -INF, (INF, INF)),
    # 1 / -0.0 = -inf: d/da = 1/-0.0 = -inf, d/db = -(-inf / -0.0) = -inf
    ("1/-0.0", lambda: Value(1.0) / Value(-0.0), -INF, (-INF, -INF)),
    # 0 / 0 = nan: d/da = 1/0 = inf, d/db = -(nan)/0 = nan
    ("0/0", lambda: Value(0.0) / Value(0.0), NAN, (INF, NAN)),
    # a number over a zero Value: 1 / v
    ("1/v", lambda: 1 / Value(0.0), INF, (INF, -INF)),
    # tanh saturates without overflow; sigmoid and softplus too
    ("tanh(1000)", lambda: Value(1000.0).tanh(), 1.0, (0.0,)),
    ("sigmoid(-1000)", lambda: Value(-1000.0).sigmoid(), 0.0, (0.0,)),
    ("softplus(1000)", lambda: Value(1000.0).softplus(), 1000.0, (1.0,)),
    ("elu(-1000)", lambda: Value(-1000.0).elu(), -1.0, (0.0,)),
]


@pytest.mark.parametrize(
    ("expression", "value", "local"), [e[1:] for e in EDGES], ids=[e[0] for e in EDGES]
)
def test_domain_edges_follow_ieee_like_pytorch(expression, value, local):
    out = expression()
    assert type(out.data) is float
    assert same(out.data, value), out.data
    grads = out.local_grads()
    assert all(type(g) is float for g in grads)
    assert len(grads) == len(local)
    assert all(same(g, e) for g, e in zip(grads, local, strict=True)), grads


@pytest.mark.parametrize("x", [0.0, -1.0, -INF, NAN])
def test_backward_through_a_domain_edge_gives_ieee_numbers_not_exceptions(x):
    a = Value(x)
    out = (a.log() + a.sqrt() + (a**-1) + 1 / a).exp()
    out.backward()
    assert type(a.grad) is float


@pytest.mark.parametrize(
    ("method", "edge"),
    [
        ("log", "log(0) = -inf"),
        ("log", "log(-1) = nan"),
        ("exp", "exp(1000) = inf"),
        ("__pow__", "(-8) ** 0.5 = nan"),
        ("__pow__", "0 ** -1 = inf"),
        ("__truediv__", "1 / 0 = inf"),
        ("__truediv__", "0 / 0 = nan"),
        ("sqrt", "sqrt(-1) = nan"),
        ("relu", "relu'(0) = 0"),
        ("abs", "abs'(0) = 0"),
    ],
)
def test_each_domain_edge_is_documented_in_the_op_docstring(method, edge):
    assert edge in getattr(Value, method).__doc__


# --------------------------------------------------------------------------- kinks
def test_relu_slope_at_zero_is_zero():
    # relu(x) = max(0, x) has slopes 0 (left) and 1 (right) at 0; PyTorch picks 0.
    x = Value(0.0)
    out = x.relu()
    assert out.data == 0.0
    assert out.local_grads() == (0.0,)
    out.backward()
    assert x.grad == 0.0


def test_abs_slope_at_zero_is_zero():
    # |x| has slopes -1 and 1 at 0; PyTorch picks sign(0) = 0.
    x = Value(0.0)
    out = x.abs()
    assert out.data == 0.0
    assert out.local_grads() == (0.0,)
    out.backward()
    assert x.grad == 0.0


def test_kinks_at_negative_zero_match_positive_zero():
    assert Value(-0.0).relu().local_grads() == (0.0,)
    assert Value(-0.0).abs().local_grads() == (0.0,)
    assert same(Value(-0.0).abs().data, 0.0)


def test_leaky_relu_elu_selu_at_zero_take_the_left_slope_as_pytorch_does():
    # PyTorch's backward uses "x > 0 ? 1 : left slope", so at exactly 0 the left slope.
    assert Value(0.0).leaky_relu(0.1).local_grads() == (0.1,)
    # elu: alpha * e**0 = alpha
    assert Value(0.0).elu(alpha=0.5).local_grads() == (0.5,)
    # selu: scale * alpha * e**0 = 1.0507009874 * 1.6732632423 = 1.7580993408
    assert Value(0.0).selu().local_grads() == pytest.approx((1.7580993408473766,), rel=1e-12)


def test_nan_propagates_through_every_unary_op():
    for name in ("exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "elu", "selu"):
        assert math.isnan(getattr(Value(NAN), name)().data), name
    for name in ("gelu", "softplus", "abs"):
        assert math.isnan(getattr(Value(NAN), name)().data), name


# --------------------------------------------------------------------------- never complex
any_float = st.floats(allow_nan=True, allow_infinity=True)


@given(x=any_float, y=any_float)
def test_power_is_never_complex_and_never_raises(x, y):
    for out in (Value(x) ** y, Value(x) ** Value(y), x ** Value(y)):
        assert type(out.data) is float
        assert all(type(g) is float for g in out.local_grads())


@given(x=any_float, y=any_float)
def test_arithmetic_is_never_complex_and_never_raises(x, y):
    a, b = Value(x), Value(y)
    for out in (a + b, a - b, a * b, a / b, x / b, -a):
        assert type(out.data) is float
        assert all(type(g) is float for g in out.local_grads())


@given(x=any_float)
def test_functions_are_never_complex_and_never_raise(x):
    v = Value(x)
    for out in (
        v.exp(),
        v.log(),
        v.sqrt(),
        v.tanh(),
        v.sigmoid(),
        v.relu(),
        v.leaky_relu(),
        v.elu(),
        v.selu(),
        v.gelu(),
        v.softplus(),
        v.abs(),
    ):
        assert type(out.data) is float, out.op
        assert all(type(g) is float for g in out.local_grads()), out.op


@given(x=st.floats(-100, -1e-3), y=st.floats(-4, 4))
def test_power_of_a_negative_base_is_nan_unless_the_exponent_is_an_integer(x, y):
    out = Value(x) ** y
    if y == int(y):
        # an integer power of a negative number is real: (-2) ** 3 = -8
        assert out.data == pytest.approx(x ** int(y), rel=1e-12)
    else:
        # a fractional one has no real value: nan, not Python's complex number
        assert math.isnan(out.data)


@given(
    x=st.floats(max_value=-1e-300, allow_infinity=False),
    y=st.floats(allow_nan=False, allow_infinity=False).filter(lambda y: y != int(y)),
)
def test_a_negative_base_to_a_fractional_power_is_nan_even_when_it_would_overflow(x, y):
    assert math.isnan((Value(x) ** y).data)
    assert math.isnan((Value(x) ** Value(y)).data)
