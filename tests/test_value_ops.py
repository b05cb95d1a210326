"""Every op of the scalar engine: its forward value and its local derivative.

Each op is specified twice:
- at a few points where the value and the derivative can be worked out by hand (the
  derivation is in the comment next to the numbers);
- on random inputs from the op's domain (hypothesis), where backprop must agree with central
  differences (``autograd.gradcheck``). Inputs stay a little away from kinks (relu, abs, ...
  at 0), where a central difference straddles two slopes.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, gradcheck, topological_order

E = math.e
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def finite(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Floats in [lo, hi] at least 1e-3 from 0: no central difference straddles a kink."""
    return finite(lo, hi).filter(lambda x: abs(x) >= 1e-3)


def assert_gradcheck(f: Callable[..., Value], *xs: float) -> None:
    result = gradcheck(f, [Value(x, label=f"x{i}") for i, x in enumerate(xs)])
    assert result, str(result)


# --------------------------------------------------------------------------- unary ops
# (name, how to apply it, x, forward value, local derivative d out/dx), all by hand.
HAND_UNARY = [
    # exp(0) = 1;  d/dx e**x = e**x = 1
    ("exp", lambda v: v.exp(), 0.0, 1.0, 1.0),
    # exp(1) = e;  derivative e
    ("exp", lambda v: v.exp(), 1.0, E, E),
    # log(e) = 1;  d/dx log(x) = 1/x = 1/e
    ("log", lambda v: v.log(), E, 1.0, 1 / E),
    # log(4) = 2 log 2 = 1.3862943611;  1/4
    ("log", lambda v: v.log(), 4.0, 1.3862943611198906, 0.25),
    # sqrt(4) = 2;  d/dx sqrt(x) = 1 / (2 sqrt(x)) = 1/4
    ("sqrt", lambda v: v.sqrt(), 4.0, 2.0, 0.25),
    # sqrt(0.25) = 0.5;  1 / (2 * 0.5) = 1
    ("sqrt", lambda v: v.sqrt(), 0.25, 0.5, 1.0),
    # tanh(0) = 0;  1 - tanh(0)**2 = 1
    ("tanh", lambda v: v.tanh(), 0.0, 0.0, 1.0),
    # tanh(1) = (e - 1/e) / (e + 1/e) = 0.7615941560;  1 - 0.7615941560**2 = 0.4199743416
    ("tanh", lambda v: v.tanh(), 1.0, 0.7615941559557649, 0.41997434161402614),
    # sigmoid(0) = 1 / (1 + 1) = 0.5;  s (1 - s) = 0.25 (its largest slope)
    ("sigmoid", lambda v: v.sigmoid(), 0.0, 0.5, 0.25),
    # sigmoid(1) = 1 / (1 + 1/e) = 0.7310585786;  s (1 - s) = 0.7310585786 * 0.2689414214
    ("sigmoid", lambda v: v.sigmoid(), 1.0, 0.7310585786300049, 0.19661193324148185),
    # sigmoid(-1) = 1 - sigmoid(1) = 0.2689414214;  same slope as at +1 (symmetry)
    ("sigmoid", lambda v: v.sigmoid(), -1.0, 0.2689414213699951, 0.19661193324148185),
    # relu(3) = 3, slope 1;  relu(-2) = 0, slope 0
    ("relu", lambda v: v.relu(), 3.0, 3.0, 1.0),
    ("relu", lambda v: v.relu(), -2.0, 0.0, 0.0),
    # leaky_relu: 2 -> 2 (slope 1);  -2 -> 0.01 * -2 = -0.02 (slope 0.01);  slope 0.2: -0.4
    ("leaky_relu", lambda v: v.leaky_relu(), 2.0, 2.0, 1.0),
    ("leaky_relu", lambda v: v.leaky_relu(), -2.0, -0.02, 0.01),
    ("leaky_relu", lambda v: v.leaky_relu(slope=0.2), -2.0, -0.4, 0.2),
    # elu(2) = 2, slope 1;  elu(-1) = e**-1 - 1 = -0.6321205588, slope e**-1 = 0.3678794412
    ("elu", lambda v: v.elu(), 2.0, 2.0, 1.0),
    ("elu", lambda v: v.elu(), -1.0, 1 / E - 1, 1 / E),
    # elu with alpha = 2 at -1: 2 (e**-1 - 1) = -1.2642411177, slope 2 e**-1 = 0.7357588823
    ("elu", lambda v: v.elu(alpha=2.0), -1.0, 2 * (1 / E - 1), 2 / E),
    # selu(1) = scale * 1 = 1.0507009874, slope scale
    ("selu", lambda v: v.selu(), 1.0, SELU_SCALE, SELU_SCALE),
    # selu(-1) = scale * alpha * (e**-1 - 1) = -1.1113307378, slope scale*alpha*e**-1 = 0.6467686
    (
        "selu",
        lambda v: v.selu(),
        -1.0,
        SELU_SCALE * SELU_ALPHA * (1 / E - 1),
        SELU_SCALE * SELU_ALPHA / E,
    ),
    # gelu(0) = 0 * Phi(0) = 0;  Phi(0) + 0 * phi(0) = 0.5
    ("gelu", lambda v: v.gelu(), 0.0, 0.0, 0.5),
    # gelu(1) = Phi(1) = 0.8413447461;  Phi(1) + 1 * phi(1) = 0.8413447461 + 0.2419707245
    ("gelu", lambda v: v.gelu(), 1.0, 0.8413447460685429, 1.0833154705876864),
    # gelu(-1) = -Phi(-1) = -0.1586552539;  Phi(-1) - phi(-1) = 0.1586552539 - 0.2419707245
    ("gelu", lambda v: v.gelu(), -1.0, -0.15865525393145707, -0.08331547058768646),
    # softplus(0) = log(1 + 1) = log 2;  d/dx = sigmoid(0) = 0.5
    ("softplus", lambda v: v.softplus(), 0.0, math.log(2.0), 0.5),
    # softplus(1) = log(1 + e) = 1.3132616875;  sigmoid(1) = 0.7310585786
    ("softplus", lambda v: v.softplus(), 1.0, 1.3132616875182228, 0.7310585786300049),
    # |-3| = 3, slope sign(-3) = -1;  |2.5| = 2.5, slope 1
    ("abs", lambda v: v.abs(), -3.0, 3.0, -1.0),
    ("abs", lambda v: abs(v), 2.5, 2.5, 1.0),
    # -(2) = -2, slope -1
    ("neg", lambda v: -v, 2.0, -2.0, -1.0),
]


@pytest.mark.parametrize(("op", "f", "x", "value", "local"), HAND_UNARY)
def test_unary_op_value_and_local_gradient_by_hand(op, f, x, value, local):
    a = Value(x, label="a")
    out = f(a)
    assert out.op == op
    assert out.parents == (a,)
    assert out.data == pytest.approx(value, rel=1e-12, abs=1e-15)
    assert out.local_grads() == pytest.approx((local,), rel=1e-12, abs=1e-15)
    out.backward()
    assert a.grad == pytest.approx(local, rel=1e-12, abs=1e-15)


def test_gelu_is_the_exact_erf_form_not_the_tanh_approximation():
    # gelu(x) = x Phi(x); at x = 2: Phi(2) = 0.9772498681, so gelu(2) = 1.9544997361.
    # The tanh approximation gives 1.9545976960 there, off by about 1e-4.
    assert Value(2.0).gelu().data == pytest.approx(1.9544997361036416, rel=1e-12)


# Random inputs from each op's domain: backprop agrees with central differences.
UNARY_DOMAINS = [
    ("exp", lambda v: v.exp(), finite(-20, 20)),
    ("log", lambda v: v.log(), finite(0.05, 20)),
    ("sqrt", lambda v: v.sqrt(), finite(0.05, 20)),
    ("tanh", lambda v: v.tanh(), finite(-6, 6)),
    ("sigmoid", lambda v: v.sigmoid(), finite(-20, 20)),
    ("relu", lambda v: v.relu(), away_from_zero(-10, 10)),
    ("leaky_relu", lambda v: v.leaky_relu(), away_from_zero(-10, 10)),
    ("leaky_relu(0.3)", lambda v: v.leaky_relu(0.3), away_from_zero(-10, 10)),
    ("elu", lambda v: v.elu(), away_from_zero(-10, 10)),
    ("elu(0.5)", lambda v: v.elu(alpha=0.5), away_from_zero(-10, 10)),
    ("selu", lambda v: v.selu(), away_from_zero(-10, 10)),
    ("gelu", lambda v: v.gelu(), finite(-8, 8)),
    ("softplus", lambda v: v.softplus(), finite(-20, 20)),
    ("abs", lambda v: v.abs(), away_from_zero(-10, 10)),
    ("neg", lambda v: -v, finite(-10, 10)),
]


@pytest.mark.parametrize(
    ("f", "domain"), [(f, d) for _, f, d in UNARY_DOMAINS], ids=[n for n, _, _ in UNARY_DOMAINS]
)
def test_unary_op_gradient_matches_central_differences(f, domain):
    @given(x=domain)
    def check(x):
        assert_gradcheck(f, x)

    check()


# --------------------------------------------------------------------------- binary ops
def test_add_value_and_local_gradients():
    a, b = Value(2.0), Value(-3.0)
    out = a + b
    # 2 + (-3) = -1;  d(a + b)/da = 1,  d(a + b)/db = 1
    assert (out.data, out.op, out.parents) == (-1.0, "+", (a, b))
    assert out.local_grads() == (1.0, 1.0)


def test_sub_is_its_own_op_not_plus_times_minus_one():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = a - b
    # 2 - (-3) = 5;  d(a - b)/da = 1,  d(a - b)/db = -1
    assert (out.data, out.op, out.parents) == (5.0, "-", (a, b))
    assert out.local_grads() == (1.0, -1.0)
    # The whole graph is a, b and one "-" node: no hidden "*" by -1 or "neg" node.
    assert [n.op for n in topological_order(out)] == ["", "", "-"]


def test_mul_value_and_local_gradients():
    a, b = Value(2.0), Value(-3.0)
    out = a * b
    # 2 * (-3) = -6;  d(a * b)/da = b = -3,  d(a * b)/db = a = 2
    assert (out.data, out.op, out.parents) == (-6.0, "*", (a, b))
    assert out.local_grads() == (-3.0, 2.0)


def test_div_is_its_own_op_not_times_reciprocal():
    a, b = Value(3.0, label="a"), Value(-2.0, label="b")
    out = a / b
    # 3 / (-2) = -1.5;  d(a / b)/da = 1/b = -0.5,  d(a / b)/db = -a / b**2 = -3/4 = -0.75
    assert (out.data, out.op, out.parents) == (-1.5, "/", (a, b))
    assert out.local_grads() == (-0.5, -0.75)
    # No "**-1" node and no "*" node: a diagram of a / b shows one "/" node.
    assert [n.op for n in topological_order(out)] == ["", "", "/"]


def test_power_by_a_number_is_one_operand_op_named_with_the_exponent():
    x = Value(3.0)
    out = x**2
    # 3**2 = 9;  d/dx x**2 = 2 x = 6
    assert (out.data, out.op, out.parents) == (9.0, "**2", (x,))
    assert out.local_grads() == (6.0,)
    out = x**0.5
    # sqrt(3) = 1.7320508076;  0.5 * 3**-0.5 = 0.2886751346
    assert out.op == "**0.5"
    assert out.data == pytest.approx(math.sqrt(3.0), rel=1e-15)
    assert out.local_grads() == pytest.approx((0.5 / math.sqrt(3.0),), rel=1e-15)
    out = x**-1
    # 1/3;  -1 * 3**-2 = -1/9
    assert out.op == "**-1"
    assert out.local_grads() == pytest.approx((-1 / 9,), rel=1e-15)


def test_power_by_zero_has_zero_gradient_even_at_zero():
    # x**0 = 1 everywhere, so its slope is 0; at x = 0 the formula 0 * 0**-1 would be
    # 0 * inf = nan, and PyTorch (like gradflow) gives 0.
    out = Value(0.0) ** 0
    assert out.data == 1.0
    assert out.local_grads() == (0.0,)


def test_value_to_the_power_of_a_value():
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    out = x**y
    # 2**3 = 8;  d/dx = y x**(y-1) = 3 * 4 = 12;  d/dy = x**y log x = 8 log 2 = 5.5451774445
    assert (out.data, out.op, out.parents) == (8.0, "**", (x, y))
    assert out.local_grads() == pytest.approx((12.0, 8 * math.log(2.0)), rel=1e-15)
    out.backward()
    assert (x.grad, y.grad) == pytest.approx((12.0, 5.545177444479562), rel=1e-12)


def test_value_power_gradient_to_exponent_is_zero_at_base_zero():
    # 0**y = 0 for y > 0, flat in y; log(0) = -inf would make it 0 * -inf = nan (PyTorch: 0).
    x, y = Value(0.0), Value(2.0)
    out = x**y
    assert out.data == 0.0
    assert out.local_grads() == (0.0, 0.0)  # d/dx = 2 * 0**1 = 0, d/dy = 0


BINARY = [
    ("+", lambda a, b: a + b, finite(-10, 10), finite(-10, 10)),
    ("-", lambda a, b: a - b, finite(-10, 10), finite(-10, 10)),
    ("*", lambda a, b: a * b, finite(-10, 10), finite(-10, 10)),
    (
        "/",
        lambda a, b: a / b,
        finite(-10, 10),
        away_from_zero(-10, 10).filter(lambda b: abs(b) > 0.1),
    ),
    ("**", lambda a, b: a**b, finite(0.1, 5), finite(-3, 3)),
]


@pytest.mark.parametrize(("f", "sa", "sb"), [r[1:] for r in BINARY], ids=[r[0] for r in BINARY])
def test_binary_op_gradients_match_central_differences(f, sa, sb):
    @given(a=sa, b=sb)
    def check(a, b):
        assert_gradcheck(f, a, b)

    check()


@given(x=finite(0.1, 10), k=finite(-3, 3))
def test_power_by_number_gradient_matches_central_differences(x, k):
    assert_gradcheck(lambda v: v**k, x)


@given(x=finite(-10, 10).filter(lambda x: abs(x) > 0.1), k=st.integers(-3, 4))
def test_integer_power_of_negative_base_is_real_with_a_real_gradient(x, k):
    # (-2)**3 = -8 is real: only fractional powers of negative numbers are nan.
    out = Value(x) ** k
    assert out.data == pytest.approx(x**k, rel=1e-12)
    assert_gradcheck(lambda v: v**k, x)


# --------------------------------------------------------------------------- reflected operators
REFLECTED = [
    # number on the left: (expression, op, value, local gradients (d/dconst, d/dv))
    # 2 + v at v = 4: 6; slopes 1, 1
    (lambda v: 2 + v, "+", 6.0, (1.0, 1.0)),
    # 2.5 - v: -1.5; slopes 1, -1
    (lambda v: 2.5 - v, "-", -1.5, (1.0, -1.0)),
    # 3 * v: 12; slopes v = 4 and 3
    (lambda v: 3 * v, "*", 12.0, (4.0, 3.0)),
    # 2 / v: 0.5; slopes 1/v = 0.25 and -2/v**2 = -0.125
    (lambda v: 2 / v, "/", 0.5, (0.25, -0.125)),
    # 2 ** v: 16; slopes v 2**(v-1) = 32 and 2**v log 2 = 16 log 2
    (lambda v: 2**v, "**", 16.0, (32.0, 16 * math.log(2.0))),
    # 0.5 ** v: 1/16; slope to v: 0.0625 * log(0.5)
    (lambda v: 0.5**v, "**", 0.0625, (4 * 0.5**3, 0.0625 * math.log(0.5))),
]


@pytest.mark.parametrize(("f", "op", "value", "local"), REFLECTED)
def test_reflected_operators_with_a_number_on_the_left(f, op, value, local):
    v = Value(4.0, label="v")
    out = f(v)
    assert out.op == op
    assert out.data == pytest.approx(value, rel=1e-15)
    # The number becomes a constant leaf, first parent (call order); v is second.
    const, other = out.parents
    assert other is v
    assert const.role == "const" and const.op == "" and type(const.data) is float
    assert out.local_grads() == pytest.approx(local, rel=1e-15)
    out.backward()
    assert v.grad == pytest.approx(local[1], rel=1e-15)


@pytest.mark.parametrize(
    ("f", "value"),
    [
        (lambda v: v + 2, 6.0),
        (lambda v: v - 2, 2.0),
        (lambda v: v * 2.5, 10.0),
        (lambda v: v / 8, 0.5),
    ],
)
def test_numbers_on_the_right_become_constant_leaves(f, value):
    v = Value(4.0)
    out = f(v)
    assert out.data == value
    assert out.parents[0] is v
    assert out.parents[1].role == "const"


@given(a=finite(-5, 5), c=finite(-5, 5).filter(lambda c: abs(c) > 0.1))
def test_reflected_operators_gradients_match_central_differences(a, c):
    assert_gradcheck(lambda v: c + v, a)
    assert_gradcheck(lambda v: c - v, a)
    assert_gradcheck(lambda v: c * v, a)
    if abs(a) > 0.1:
        assert_gradcheck(lambda v: c / v, a)
    assert_gradcheck(lambda v: abs(c) ** v, a)


def test_data_is_always_a_python_float():
    assert type(Value(3).data) is float
    assert type((Value(3) + 2).data) is float
    assert type((2 * Value(3)).data) is float
    assert type((Value(2) ** 3).data) is float


# --------------------------------------------------------------------------- stability
@pytest.mark.parametrize("x", [1e4, -1e4, 750.0, -750.0, 1e300, -1e300])
def test_sigmoid_and_softplus_are_stable_for_large_inputs(x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = Value(x).sigmoid()
        p = Value(x).softplus()
    # sigmoid saturates to exactly 1 (x > 0) or 0 (x < 0), slope s (1 - s) = 0, never nan.
    assert s.data == (1.0 if x > 0 else 0.0)
    assert s.local_grads() == (0.0,)
    # softplus(x) = max(x, 0) + log(1 + e**-|x|): x for large x, 0 for very negative x;
    # its slope sigmoid(x) is 1 or 0.
    assert p.data == (x if x > 0 else 0.0)
    assert p.local_grads() == (1.0 if x > 0 else 0.0,)


@given(x=finite(-1e4, 1e4))
def test_sigmoid_and_softplus_are_finite_without_warnings_on_the_whole_range(x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s, p = Value(x).sigmoid(), Value(x).softplus()
        t = Value(x).tanh()
    assert 0.0 <= s.data <= 1.0
    assert 0.0 <= s.local_grads()[0] <= 0.25
    assert p.data >= max(x, 0.0) and math.isfinite(p.data)
    assert 0.0 <= p.local_grads()[0] <= 1.0
    assert -1.0 <= t.data <= 1.0
    # softplus(x) - softplus(-x) = x (log(1 + e**x) - log(1 + e**-x) = log e**x)
    assert p.data - Value(-x).softplus().data == pytest.approx(x, rel=1e-12, abs=1e-12)
