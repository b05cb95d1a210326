"""Every Tensor op against central differences, on hypothesis-random shapes and values.

Shapes include 0-d tensors, size-1 axes and pairs that broadcast against each other. Each
check differentiates  sum(op(inputs) * w)  with a fixed random w, so that every element of
the output carries a different weight (a sum of ones would hide a transposed gradient).
Inputs stay away from kinks (relu at 0, ties of max) where the derivative does not exist.

The last tests make sure the checker itself can fail: an op with a deliberately wrong VJP.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd
from autograd import Tensor, gradcheck
from autograd.tensor import linear

EXAMPLES = 40

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)


def values(shape, low=-2.0, high=2.0):
    return hnp.arrays(np.float64, shape, elements=st.floats(low, high))


def away_from_zero(shape):
    """|x| in [0.2, 2.2]: no kink of relu/leaky_relu and no pole of 1/x within eps."""
    return values(shape).map(lambda a: np.sign(a + 1e-12) * (np.abs(a) + 0.2))


def distinct(shape):
    """Values at least 0.1 apart (at most 64 of them): max has one winner, far from a tie."""
    integers = hnp.arrays(np.int64, shape, elements=st.integers(-60, 60), unique=True)
    return integers.map(lambda a: a / 10.0)


def check(f, *arrays, seed=0):
    """gradcheck of sum(f(*tensors) * w), and gradients shaped like their tensors."""
    inputs = [
        Tensor(np.array(a, dtype=np.float64), requires_grad=True, label=f"x{i}")
        for i, a in enumerate(arrays)
    ]
    out_shape = f(*inputs).shape
    w = Tensor(np.random.default_rng(seed).standard_normal(out_shape))
    result = gradcheck(lambda *xs: (f(*xs) * w).sum(), inputs)
    assert result, str(result)
    for x in inputs:
        x.grad = None
    (f(*inputs) * w).sum().backward()
    for x in inputs:
        assert x.grad is not None and x.grad.shape == x.shape and x.grad.dtype == np.float64


def axes_of(ndim):
    """None, one axis (maybe negative) or a tuple of distinct axes of an ndim-d array."""
    if ndim == 0:
        return st.none()
    one = st.integers(-ndim, ndim - 1)
    several = st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple)
    return st.none() | one | several


# ----------------------------------------------------------------- binary ops, broadcast


@settings(max_examples=EXAMPLES)
@given(st.data(), pairs)
def test_add_sub_mul_with_broadcasting(data, shapes_):
    (sa, sb), _ = shapes_
    a, b = data.draw(values(sa)), data.draw(values(sb))
    check(lambda x, y: x + y, a, b)
    check(lambda x, y: x - y, a, b)
    check(lambda x, y: x * y, a, b)


@settings(max_examples=EXAMPLES)
@given(st.data(), pairs)
def test_div_with_broadcasting(data, shapes_):
    (sa, sb), _ = shapes_
    check(lambda x, y: x / y, data.draw(values(sa)), data.draw(away_from_zero(sb)))


@settings(max_examples=EXAMPLES)
@given(st.data(), pairs)
def test_pow_with_a_tensor_exponent_and_broadcasting(data, shapes_):
    (sa, sb), _ = shapes_
    base, exponent = data.draw(values(sa, 0.5, 2.0)), data.draw(values(sb))
    check(lambda x, y: x**y, base, exponent)


@settings(max_examples=EXAMPLES)
@given(st.data(), shapes, st.sampled_from([-2.0, -1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 1.7]))
def test_pow_with_a_number_exponent(data, shape, k):
    check(lambda x: x**k, data.draw(values(shape, 0.5, 2.0)))
    if k in (1.0, 2.0, 3.0):  # integer powers are defined for negative bases too
        check(lambda x: x**k, data.draw(values(shape)))


@settings(max_examples=EXAMPLES)
@given(st.data(), shapes, st.floats(-3.0, 3.0))
def test_reflected_ops_with_a_number_on_the_left(data, shape, c):
    x = data.draw(away_from_zero(shape))
    check(lambda t: c - t, x)
    check(lambda t: c / t, x)
    check(lambda t: 1.5**t, x)
    check(lambda t: np.full(shape, c) * t, x)  # an ndarray on the left defers to Tensor


# ----------------------------------------------------------------- unary functions


@settings(max_examples=EXAMPLES)
@given(st.data(), shapes)
def test_smooth_elementwise_functions(data, shape):
    x = data.draw(values(shape))
    check(lambda t: -t, x)
    check(lambda t: t.exp(), x)
    check(lambda t: t.tanh(), x)
    check(lambda t: t.sigmoid(), x * 3.0)
    check(lambda t: t.softplus(), x * 3.0)
    positive = data.draw(values(shape, 0.3, 3.0))
    check(lambda t: t.log(), positive)
    check(lambda t: t.sqrt(), positive)


@settings(max_examples=EXAMPLES)
@given(st.data(), shapes, st.floats(0.0, 0.5))
def test_relu_and_leaky_relu_away_from_the_kink(data, shape, slope):
    x = data.draw(away_from_zero(shape))
    check(lambda t: t.relu(), x)
    check(lambda t: t.leaky_relu(slope), x)
    check(lambda t: t.abs(), x)


@settings(max_examples=EXAMPLES)
@given(st.data(), shapes)
def test_softmax_and_log_softmax_over_any_axis(data, shape):
    x = data.draw(values(shape, -5.0, 5.0))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1)) if shape else None
    if axis is None:  # a 0-d tensor has no axis to normalise over: use a 1-element vector
        x, axis = np.reshape(x, (1,)), 0
    check(lambda t: t.softmax(axis=axis), x)
    check(lambda t: t.log_softmax(axis=axis), x)


# ----------------------------------------------------------------- reductions


@settings(max_examples=EXAMPLES)
@given(st.data(), shapes, st.booleans())
def test_sum_and_mean_over_any_axes(data, shape, keepdims):
    x = data.draw(values(shape))
    axis = data.draw(axes_of(len(shape)))
    check(lambda t: t.sum(axis=axis, keepdims=keepdims), x)
    check(lambda t: t.mean(axis=axis, keepdims=keepdims), x)


@settings(max_examples=EXAMPLES)
@given(st.data(), shapes, st.booleans())
def test_max_over_any_axes_with_a_unique_winner(data, shape, keepdims):
    x = data.draw(distinct(shape))
    axis = data.draw(axes_of(len(shape)))
    check(lambda t: t.max(axis=axis, keepdims=keepdims), x)


# ----------------------------------------------------------------- shapes and indexing


@settings(max_examples=EXAMPLES)
@given(st.data(), shapes)
def test_reshape_and_transpose(data, shape):
    x = data.draw(values(shape))
    check(lambda t: t.reshape(-1), x)
    check(lambda t: t.reshape(tuple(reversed(shape))), x)
    check(lambda t: t.T, x)
    perm = data.draw(st.permutations(range(len(shape))))
    check(lambda t: t.transpose(*perm), x)


@settings(max_examples=EXAMPLES)
@given(st.data(), hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
def test_getitem_with_basic_and_advanced_indices(data, shape):
    x = data.draw(values(shape))
    basic = data.draw(hnp.basic_indices(shape, allow_newaxis=True))
    check(lambda t: t[basic], x)
    advanced = data.draw(
        hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(max_dims=2))
    )
    check(lambda t: t[advanced], x)  # may repeat positions: gradients must add
    mask = data.draw(hnp.arrays(np.bool_, shape))
    check(lambda t: t[mask], x)


# ----------------------------------------------------------------- matmul and linear


matmul_shapes = hnp.mutually_broadcastable_shapes(
    signature=np.matmul.signature, max_dims=2, max_side=3
)


@settings(max_examples=EXAMPLES)
@given(st.data(), matmul_shapes)
def test_matmul_vectors_matrices_and_broadcast_stacks(data, shapes_):
    (sa, sb), _ = shapes_
    check(lambda x, y: x @ y, data.draw(values(sa)), data.draw(values(sb)))


@settings(max_examples=EXAMPLES)
@given(
    st.data(),
    st.integers(1, 4),
    st.integers(1, 4),
    st.lists(st.integers(1, 3), max_size=2).map(tuple),
    st.booleans(),
)
def test_linear_on_any_leading_shape(data, nin, nout, lead, with_bias):
    x = data.draw(values((*lead, nin)))
    w = data.draw(values((nout, nin)))
    if with_bias:
        check(lambda a, b, c: linear(a, b, c), x, w, data.draw(values((nout,))))
    else:
        check(lambda a, b: linear(a, b), x, w)


# ----------------------------------------------------------------- a composite


@settings(max_examples=10)
@given(st.data(), st.integers(1, 4), st.integers(2, 4))
def test_cross_entropy_of_a_small_mlp(data, batch, classes):
    x = data.draw(values((batch, 3)))
    targets = np.array(
        data.draw(st.lists(st.integers(0, classes - 1), min_size=batch, max_size=batch))
    )
    rows = np.arange(batch)

    def loss(w1, w2):
        logits = linear(linear(Tensor(x), w1).tanh(), w2)
        return -logits.log_softmax(axis=1)[rows, targets].mean()

    inputs = [Tensor(data.draw(values(s)), requires_grad=True) for s in ((4, 3), (classes, 4))]
    result = gradcheck(loss, inputs)
    assert result, str(result)


# ----------------------------------------------------------------- the checker can fail


@autograd.op(vjp=lambda g, x, out: (g * x,))
def wrong_square(x: np.ndarray) -> np.ndarray:
    """x**2 elementwise, but with the VJP g * x instead of g * 2x."""
    return x * x


def test_gradcheck_catches_a_wrong_vjp_and_names_the_element():
    x = Tensor(np.array([[0.1, 0.2], [0.3, 0.4]]), requires_grad=True, label="x")
    result = gradcheck(lambda t: wrong_square(t).sum(), [x])
    assert not result
    # d(sum x**2)/dx = 2x, but the wrong VJP says x. The error |x - 2x| / max(1, 2x) = x is
    # largest at x = 0.4, element [1, 1]: backprop 0.4 vs central difference 0.8
    assert result.worst.where == "input 0 ('x')[1, 1]"
    assert result.worst.analytic == 0.4 and result.worst.numeric == pytest.approx(0.8)
    assert "FAILED" in str(result)


def test_gradcheck_catches_a_wrong_vjp_along_random_directions_on_a_large_tensor():
    x = Tensor(np.random.default_rng(1).standard_normal((10, 10)), requires_grad=True)
    good = gradcheck(lambda t: (t * t).sum(), [x])
    assert good and len(good.checks) == 8  # 100 elements: checked along 8 random directions
    bad = gradcheck(lambda t: wrong_square(t).sum(), [x])
    assert not bad and "random direction" in bad.worst.where


def test_gradcheck_refuses_inputs_it_cannot_check():
    with pytest.raises(ValueError, match="requires_grad=False"):
        gradcheck(lambda t: t.sum(), [Tensor([1.0])])
    with pytest.raises(ValueError, match="float32"):
        gradcheck(lambda t: t.sum(), [Tensor(np.float32([1.0]), requires_grad=True)])
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        gradcheck(lambda t: t * 2.0, [Tensor([1.0, 2.0], requires_grad=True)])
