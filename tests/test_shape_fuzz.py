"""Shape fuzzing of the tensor engine: every binary op on random shape pairs.

test_tensor_gradcheck.py checks each op's gradient on small broadcastable shapes (every side
at least 1). Here hypothesis draws the shapes that break things: 0-d tensors, size-1 axes,
size-0 axes (an empty batch), up to 4 axes, pairs where only one side needs a gradient, and an
ndarray on the left (NumPy defers to the Tensor's reflected operator). For each pair:

- the forward equals NumPy's, shape and values;
- every gradient has its operand's shape and dtype (an empty one is all zeros: a size-0 axis
  broadcast against size 1 contributes nothing), and matches central differences;
- a pair that does not broadcast is a ValueError that names both shapes, as NumPy would
  refuse it, whichever side the Tensor is on.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd import Tensor, gradcheck

EXAMPLES = 100

OPS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}
NUMPY = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "**": np.power}

pairs = hnp.mutually_broadcastable_shapes(
    num_shapes=2, min_dims=0, max_dims=4, min_side=0, max_side=3
)


def operands(op: str, sa: tuple[int, ...], sb: tuple[int, ...]) -> st.SearchStrategy:
    """Values for (a, b) that keep op smooth: b away from 0 for "/", a > 0 for "**"."""
    if op == "**":  # a positive base: a negative one to a fractional power is nan
        a = hnp.arrays(np.float64, sa, elements=st.floats(0.5, 2.0))
        b = hnp.arrays(np.float64, sb, elements=st.floats(-2.0, 2.0))
    else:
        a = hnp.arrays(np.float64, sa, elements=st.floats(-2.0, 2.0))
        b = hnp.arrays(np.float64, sb, elements=st.floats(-2.0, 2.0))
        if op == "/":
            b = b.map(lambda x: np.sign(x + 1e-12) * (np.abs(x) + 0.5))
    return st.tuples(a, b)


def check_gradients(f, a: Tensor, b: Tensor, out_shape: tuple[int, ...]) -> None:
    """Gradients of sum(f(a, b) * w): shapes, dtypes, and central differences."""
    w = np.asarray(np.random.default_rng(1).standard_normal(out_shape))
    f(a, b).backward(w)  # seeds d(loss)/d(out) = w, whatever the output's shape
    for t in (a, b):
        if not t.requires_grad:
            assert t.grad is None
            continue
        assert t.grad is not None and t.grad.shape == t.shape and t.grad.dtype == np.float64
        if t.size and not int(np.prod(out_shape)):
            assert not t.grad.any()  # broadcast into an empty result: nothing flows back
    wanted = [t for t in (a, b) if t.requires_grad]
    if not all(t.size for t in wanted):
        event("an empty operand: gradient shapes only")
        return
    event("gradcheck, a 0-d operand" if min(a.ndim, b.ndim) == 0 else "gradcheck")

    def loss(*xs: Tensor) -> Tensor:
        it = iter(xs)
        x = next(it) if a.requires_grad else a
        y = next(it) if b.requires_grad else b
        return (f(x, y) * w).sum()

    result = gradcheck(loss, wanted, tol=1e-6)
    assert result, str(result)


@settings(max_examples=EXAMPLES)
@given(st.data(), st.sampled_from(list(OPS)), pairs, st.sampled_from(["both", "a", "b"]))
def test_broadcasting_binary_ops_match_numpy_and_central_differences(data, op, shapes, grads):
    (sa, sb), out_shape = shapes
    xa, xb = data.draw(operands(op, sa, sb))
    a = Tensor(xa.copy(), requires_grad=grads in ("both", "a"), label="a")
    b = Tensor(xb.copy(), requires_grad=grads in ("both", "b"), label="b")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = OPS[op](a, b)
    expected = NUMPY[op](xa, xb)
    assert out.shape == out_shape == np.shape(expected)
    np.testing.assert_array_equal(out.data, expected)
    assert out.requires_grad == (a.requires_grad or b.requires_grad)
    check_gradients(OPS[op], a, b, out_shape)


@settings(max_examples=EXAMPLES)
@given(st.data(), st.sampled_from(list(OPS)), pairs)
def test_an_ndarray_on_the_left_gives_the_same_result_and_gradient(data, op, shapes):
    (sa, sb), out_shape = shapes
    xa, xb = data.draw(operands(op, sa, sb))
    b = Tensor(xb.copy(), requires_grad=True)
    out = OPS[op](xa, b)  # ndarray (op) Tensor: NumPy defers to Tensor's reflected operator
    assert isinstance(out, Tensor) and out.shape == out_shape
    np.testing.assert_array_equal(out.data, NUMPY[op](xa, xb))
    check_gradients(OPS[op], Tensor(xa), b, out_shape)


# ----------------------------------------------------------------------------- matmul


@st.composite
def matmul_shapes(draw) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Shapes that NumPy's matmul accepts: (..., n, k) @ (..., k, m), or a 1-D side (k,)."""
    (stack_a, stack_b), _ = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, min_side=0, max_side=2)
    )
    n, k, m = (draw(st.integers(0, 3)) for _ in range(3))
    a_vector, b_vector = draw(st.booleans()), draw(st.booleans())
    sa = (k,) if a_vector else stack_a + (n, k)
    sb = (k,) if b_vector else stack_b + (k, m)
    return sa, sb


@settings(max_examples=EXAMPLES)
@given(st.data(), matmul_shapes())
def test_matmul_on_any_shapes_matches_numpy_and_central_differences(data, shapes):
    sa, sb = shapes
    xa = data.draw(hnp.arrays(np.float64, sa, elements=st.floats(-2.0, 2.0)))
    xb = data.draw(hnp.arrays(np.float64, sb, elements=st.floats(-2.0, 2.0)))
    a, b = Tensor(xa.copy(), requires_grad=True), Tensor(xb.copy(), requires_grad=True)
    out = a @ b
    expected = xa @ xb
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    check_gradients(lambda x, y: x @ y, a, b, out.shape)


# ----------------------------------------------------------------------------- no fit


@st.composite
def clashing_shapes(draw) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Two shapes that do not broadcast: on one shared axis, sizes p != q, neither 1."""
    ndim = draw(st.integers(1, 4))
    base = draw(st.lists(st.integers(0, 3), min_size=ndim, max_size=ndim))
    axis = draw(st.integers(0, ndim - 1))
    p, q = draw(st.lists(st.sampled_from([0, 2, 3, 4]), min_size=2, max_size=2, unique=True))
    sa, sb = list(base), list(base)
    sa[axis], sb[axis] = p, q
    drop = draw(st.integers(0, axis))  # b may have fewer (leading) axes
    sa_t, sb_t = tuple(sa), tuple(sb[drop:])
    return (sa_t, sb_t) if draw(st.booleans()) else (sb_t, sa_t)


def names_both(sa: tuple[int, ...], sb: tuple[int, ...]) -> str:
    return re.escape(str(sa)) + ".*" + re.escape(str(sb))


@settings(max_examples=EXAMPLES)
@given(clashing_shapes(), st.sampled_from(list(OPS)), st.booleans())
def test_shapes_that_do_not_broadcast_are_a_value_error_naming_both(shapes, op, ndarray_left):
    sa, sb = shapes
    with pytest.raises(ValueError):
        np.broadcast_shapes(sa, sb)  # NumPy refuses the pair too
    left = np.ones(sa) if ndarray_left else Tensor(np.ones(sa), requires_grad=True)
    right = Tensor(np.ones(sb), requires_grad=True)
    with pytest.raises(ValueError, match=f"{re.escape(op)}: .*{names_both(sa, sb)}"):
        OPS[op](left, right)


@settings(max_examples=EXAMPLES)
@given(
    hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
    hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
)
def test_matmul_of_shapes_that_do_not_fit_is_a_value_error_naming_both(sa, sb):
    try:
        np.ones(sa) @ np.ones(sb)
    except ValueError:
        pass
    else:
        assume(False)  # the pair fits: covered above
    with pytest.raises(ValueError, match=f"@: .*{names_both(sa, sb)}"):
        Tensor(np.ones(sa), requires_grad=True) @ Tensor(np.ones(sb))
