"""``autograd.gradcheck`` on Values: it passes on correct ops and catches a wrong one.

A checker that never fails proves nothing, so most of these tests build an op with a
deliberately wrong local gradient (through ``autograd.op``, the one way every op is made)
and check that gradcheck names the input whose gradient is wrong and both numbers.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import GradcheckResult, Value, gradcheck


@autograd.op(local=lambda x, out: (x,))
def wrong_square(x: float) -> float:
    """x**2, but declaring the local gradient x instead of 2x."""
    return x * x


@autograd.op(local=lambda x, out: (2 * x * (1 + 1e-4),))
def slightly_wrong_square(x: float) -> float:
    """x**2 with the local gradient 2x (1 + 1e-4): a 0.01% error."""
    return x * x


def test_passes_on_correct_ops():
    a, b = Value(0.3, label="a"), Value(-1.7, label="b")
    result = gradcheck(lambda a, b: (a * b).tanh() + a / b - (a**2).exp() + b.sigmoid(), [a, b])
    assert isinstance(result, GradcheckResult)
    assert result and result.ok
    assert result.max_error <= result.tol == 1e-7
    assert len(result.checks) == 2
    assert str(result).startswith("gradcheck ok: 2 checks")


def test_catches_a_wrong_local_gradient_and_names_the_input_and_both_numbers():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    # f = a * b**2: df/da = b**2 = 9 (right); df/db = 2ab = 12, but backprop says a * b = 6
    result = gradcheck(lambda a, b: a * wrong_square(b), [a, b])
    assert not result and not result.ok
    assert result.worst is not None
    assert "input 1" in result.worst.where and "'b'" in result.worst.where
    assert result.worst.analytic == 6.0
    assert result.worst.numeric == pytest.approx(12.0, rel=1e-8)
    # the error is |6 - 12| / max(1, 6, 12) = 0.5
    assert result.max_error == pytest.approx(0.5, rel=1e-8)

    text = str(result)
    assert text.startswith("gradcheck FAILED")
    assert "input 1 ('b')" in text
    analytic, numeric = map(
        float, re.search(r"backprop (\S+) vs central difference (\S+)", text).groups()
    )
    assert analytic == 6.0
    assert numeric == pytest.approx(12.0, rel=1e-8)


def test_the_correct_input_is_not_blamed():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    result = gradcheck(lambda a, b: a * wrong_square(b), [a, b])
    check_a, check_b = result.checks
    # df/da = b**2 = 9, by backprop and by central differences
    assert check_a.analytic == 9.0 and check_a.error < 1e-9
    assert check_b.error == result.max_error


def test_catches_a_wrong_op_deep_inside_a_graph():
    x = Value(0.4, label="x")
    result = gradcheck(lambda x: (wrong_square(x.tanh()) * 3.0).exp().log() + x, [x])
    assert not result
    assert "input 0 ('x')" in str(result)


def test_catches_a_small_error_and_respects_tol():
    x = Value(1.5, label="x")
    # backprop 2 * 1.5 * 1.0001 = 3.0003 vs 3: relative error 1e-4
    strict = gradcheck(slightly_wrong_square, [x])
    assert not strict
    assert strict.max_error == pytest.approx(1e-4, rel=1e-3)
    assert gradcheck(slightly_wrong_square, [x], tol=1e-3)


@given(x=st.floats(-10, 10).filter(lambda x: abs(x) > 1e-2))
def test_a_wrong_local_gradient_is_caught_wherever_it_differs(x):
    # backprop says x, central differences 2x: the error is |x| / max(1, 2|x|) >= 0.01
    assert not gradcheck(wrong_square, [Value(x)])


@given(x=st.floats(-3, 3), y=st.floats(0.2, 3))
def test_passes_on_correct_composite_functions_on_random_inputs(x, y):
    result = gradcheck(
        lambda x, y: (x * y + y.log()).tanh() * (x / y).sigmoid(), [Value(x), Value(y)]
    )
    assert result, str(result)


def test_leaves_the_inputs_data_and_grad_as_they_were():
    a, b = Value(2.0), Value(3.0)
    a.grad, b.grad = 5.0, -1.0
    gradcheck(lambda a, b: a * b, [a, b])
    gradcheck(lambda a, b: a * wrong_square(b), [a, b])
    assert (a.data, b.data) == (2.0, 3.0)
    assert (a.grad, b.grad) == (5.0, -1.0)


def test_a_non_scalar_output_is_an_error_that_says_what_f_must_return():
    a, b = Value(1.0), Value(2.0)
    with pytest.raises(ValueError, match="one Value"):
        gradcheck(lambda a, b: [a * b, a + b], [a, b])


def test_no_inputs_is_trivially_ok():
    result = gradcheck(lambda: Value(1.0), [])
    assert result
    assert "no inputs" in str(result)
