"""Issue 14: the ops users expect on Tensor (and the elementary functions on Value), and the
seven wrong gradients of the issue, each pinned to PyTorch's number.

Sections: the issue's bugs (each with the value PyTorch 2.13 gives, float64, CPU); hand-derived
examples per op; random shapes (hypothesis) through ``gradcheck``, including 0-d tensors,
size-0 and size-1 axes and negative axes; second derivatives through ``create_graph``;
NumPy's functions on Tensors; and a live comparison with PyTorch (skipped without it).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd
from autograd import Tensor, Value, gradcheck
from autograd import tensor as T
from autograd.value import ELEMENTARY

INF, NAN = math.inf, math.nan


def leaf(values) -> Tensor:
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True)


# ============================================================================ the issue's bugs


@pytest.mark.parametrize("reduction", ["sum", "mean", "max", "min"])
@pytest.mark.parametrize("axis", [0, -1])
def test_1_a_reduction_with_an_axis_on_a_0d_tensor_has_gradient_one(reduction, axis):
    # torch.tensor(1.5).sum(0).backward() -> grad 1.0 (was a ZeroDivisionError)
    x = Tensor(np.array(1.5), requires_grad=True)
    out = getattr(x, reduction)(axis)
    out.backward()
    assert out.shape == () and out.item() == 1.5
    assert x.grad.shape == () and x.grad == 1.0


def test_2_transpose_with_negative_axes_gives_the_gradient_the_input_shape():
    x = Tensor(np.arange(360.0).reshape(3, 4, 5, 6), requires_grad=True)
    y = x.transpose((-2, -1, 1, 0))  # shape (5, 6, 4, 3)
    w = np.arange(360.0).reshape(y.shape)
    y.backward(w)
    assert y.shape == (5, 6, 4, 3)
    # each x[i, j, k, l] went to y[k, l, j, i], so its gradient is w[k, l, j, i]
    np.testing.assert_array_equal(x.grad, w.transpose(3, 2, 0, 1))


def test_3_a_tuple_index_that_picks_an_element_twice_adds_both_gradients():
    # torch: x[((0, 0),)].sum() -> grad [2, 0, 0]; on shape (2, 3), x[(0, 0),] -> row 0 twice
    x = leaf([1.0, 2.0, 3.0])
    x[((0, 0),)].sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 0.0]
    y = leaf(np.ones((2, 3)))
    y[(0, 0),].sum().backward()
    assert y.grad.tolist() == [[2.0, 2.0, 2.0], [0.0, 0.0, 0.0]]


def test_4_a_zero_local_gradient_passes_zero_under_an_inf_upstream_on_both_engines():
    # torch: x = -1; relu(x).log(): the log's gradient 1/0 = inf meets relu'(-1) = 0 -> 0
    v = Value(-1.0)
    v.relu().log().backward()
    assert v.grad == 0.0
    t = leaf([-1.0, 2.0])
    t.relu().log().sum().backward()
    assert t.grad.tolist() == [0.0, 0.5]  # 0 (select), and 1 / 2 for the live one


def test_4_the_losing_side_of_max_and_min_and_a_zero_exponent_pass_zero_under_inf():
    # torch.maximum(a, b) * inf with a = 2 > b = 1: b.grad = 0 (not 0 * inf = nan)
    a, b = Value(2.0), Value(1.0)
    (a.max(b) * INF).backward()
    assert (a.grad, b.grad) == (INF, 0.0)
    ta, tb = leaf([2.0]), leaf([1.0])
    (T.maximum(ta, tb) * INF).sum().backward()
    assert (ta.grad.tolist(), tb.grad.tolist()) == ([INF], [0.0])
    tc, td = leaf([2.0]), leaf([1.0])
    (T.minimum(tc, td) * INF).sum().backward()
    assert (tc.grad.tolist(), td.grad.tolist()) == ([0.0], [INF])
    # x ** 0 is the constant 1: d/dx = 0 even times inf (torch: 0)
    x, tx = Value(3.0), leaf([3.0])
    (x**0.0 * INF).backward()
    (tx**0.0 * INF).sum().backward()
    assert x.grad == 0.0 and tx.grad.tolist() == [0.0]
    # Tensor ** Tensor with a zero exponent: d/dbase = 0 (torch: 0)
    base, exponent = leaf([3.0]), leaf([0.0])
    (base**exponent * INF).sum().backward()
    assert base.grad.tolist() == [0.0]


def test_4_sign_has_gradient_zero_even_under_inf():
    # torch.sign(x) * inf: x.grad = [0, 0, 0]
    x = leaf([3.0, 0.0, -1.0])
    (x.sign() * INF).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    v = Value(3.0)
    (v.sign() * INF).backward()
    assert v.grad == 0.0


def test_5_division_gradient_of_the_divisor_does_not_overflow_early():
    # a = 1e20, b = 1e10, (a / b) * 1e300: d/db = -1e300 * (a / b) / b = -1e300 (torch: -1e300)
    a, b = leaf(1e20), leaf(1e10)
    ((a / b) * 1e300).backward()
    assert b.grad == -1e300 and a.grad == 1e290
    va, vb = Value(1e20), Value(1e10)
    ((va / vb) * 1e300).backward()
    assert vb.grad == -1e300


def test_6_abs_at_nan_has_gradient_zero():
    # torch.abs(nan).backward() -> 0, as Value.abs
    x = leaf([NAN, 0.0, -2.0])
    x.abs().sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, -1.0]
    v = Value(NAN)
    v.abs().backward()
    assert v.grad == 0.0


def test_7_elu_and_selu_at_nan_take_the_positive_branch_on_both_engines():
    # torch: elu'(nan) = 1, selu'(nan) = scale = 1.0507009873554805 (nan <= 0 is false)
    scale = 1.0507009873554805
    for make, want in ((lambda x: x.elu(), 1.0), (lambda x: x.selu(), scale)):
        v = Value(NAN)
        make(v).backward()
        t = leaf([NAN])
        make(t).sum().backward()
        assert v.grad == want and t.grad.tolist() == [want]


def test_extra_log_of_the_smallest_float_times_zero_has_gradient_zero():
    # 1 / 5e-324 overflows to inf; the upstream is 0, so the edge passes 0 (torch: 0)
    v = Value(5e-324)
    (v.log() * 0.0).backward()
    assert v.grad == 0.0
    t = leaf([5e-324])
    (t.log() * 0.0).sum().backward()
    assert t.grad.tolist() == [0.0]


def test_extra_minus_inf_to_the_power_1_5():
    # forward: (-inf) ** 1.5 = inf (C's pow) on both engines and in torch. The gradient
    # 1.5 * (-inf) ** 0.5: PyTorch 2.13 computes the power 0.5 as sqrt(-inf) = nan, so its
    # gradient is nan (the issue says inf; torch 2.13 says nan). Tensor follows torch (NumPy's
    # ** 0.5 is also a sqrt); Value uses C's pow(-inf, 0.5) = inf.
    t = leaf(-INF)
    y = t**1.5
    y.backward()
    assert y.item() == INF and math.isnan(t.grad)
    v = Value(-INF)
    (v**1.5).backward()
    assert v.grad == INF


# ============================================================================ the issue's list

ISSUE_TENSOR_METHODS = (
    "sin cos tan arcsin arccos arctan asin acos atan sinh cosh arcsinh arccosh arctanh asinh "
    "acosh atanh log2 log10 log1p expm1 exp2 sign hypot arctan2 atan2 logsigmoid "
    "squeeze unsqueeze flatten expand broadcast_to repeat tile roll flip triu tril diag "
    "diagonal trace prod cumsum var std logsumexp argmax argmin norm maximum minimum clip "
    "clamp elu selu gelu eq ne __lt__ __le__ __gt__ __ge__ __mod__ split"
).split()
ISSUE_FUNCTIONS = "stack concatenate split maximum minimum clip where einsum".split()


def test_every_op_the_issue_lists_exists():
    missing = [m for m in ISSUE_TENSOR_METHODS if not hasattr(Tensor, m)]
    missing += [f"tensor.{f}" for f in ISSUE_FUNCTIONS if not hasattr(T, f)]
    missing += [f"Value.{m}" for m in list(ELEMENTARY) + ["sign", "hypot", "arctan2", "__mod__"]
                if not hasattr(Value, m)]  # fmt: skip
    assert not missing, missing


# ============================================================================ by hand


def test_prod_gradient_is_the_product_of_the_others_even_with_zeros():
    # prod(2, 0, 3) = 0: d/dx0 = 0 * 3 = 0, d/dx1 = 2 * 3 = 6, d/dx2 = 2 * 0 = 0 (torch same)
    x = leaf([2.0, 0.0, 3.0])
    x.prod().backward()
    assert x.grad.tolist() == [0.0, 6.0, 0.0]
    # two zeros: every product of others holds a zero
    y = leaf([[0.0, 0.0, 3.0], [1.0, 2.0, 4.0]])
    y.prod(axis=-1).backward(np.array([1.0, 10.0]))
    # row 1: 10 * (2 * 4, 1 * 4, 1 * 2)
    assert y.grad.tolist() == [[0.0, 0.0, 0.0], [80.0, 40.0, 20.0]]


def test_cumsum_backward_is_a_reversed_running_sum():
    x = leaf([1.0, 2.0, 3.0])
    out = x.cumsum()
    assert out.data.tolist() == [1.0, 3.0, 6.0]
    out.backward(np.array([1.0, 10.0, 100.0]))
    # x0 is in all three totals, x1 in the last two, x2 in the last: 111, 110, 100
    assert x.grad.tolist() == [111.0, 110.0, 100.0]


def test_cumprod_gradient_with_a_zero():
    x = leaf([2.0, 0.0, 3.0, 4.0])
    out = x.cumprod()
    out.sum().backward()
    # sum = x0 + x0 x1 + x0 x1 x2 + x0 x1 x2 x3 at (2, 0, 3, 4):
    # d/dx0 = 1 + x1 + x1 x2 + x1 x2 x3 = 1;  d/dx1 = x0 + x0 x2 + x0 x2 x3 = 2 + 6 + 24 = 32;
    # d/dx2 = x0 x1 (1 + x3) = 0;  d/dx3 = x0 x1 x2 = 0  (PyTorch: the same)
    assert out.data.tolist() == [2.0, 0.0, 0.0, 0.0] and x.grad.tolist() == [1.0, 32.0, 0.0, 0.0]


def test_tile_and_repeat_sum_the_gradients_of_the_copies():
    x = leaf([1.0, 2.0])
    y = x.tile((3, 2))  # shape (3, 4): 6 copies of x
    assert y.shape == (3, 4) and y.data[2].tolist() == [1.0, 2.0, 1.0, 2.0]
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]
    z = leaf([[1.0], [2.0]])
    z.repeat(1, 3).backward(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    assert z.grad.tolist() == [[6.0], [15.0]]


def test_roll_and_flip_send_each_gradient_back_to_where_its_value_came_from():
    x = leaf([1.0, 2.0, 3.0])
    r = x.roll(1)
    assert r.data.tolist() == [3.0, 1.0, 2.0]
    r.backward(np.array([10.0, 20.0, 30.0]))
    # out[0] = x[2], out[1] = x[0], out[2] = x[1]
    assert x.grad.tolist() == [20.0, 30.0, 10.0]
    y = leaf([1.0, 2.0, 3.0])
    y.flip(0).backward(np.array([10.0, 20.0, 30.0]))
    assert y.grad.tolist() == [30.0, 20.0, 10.0]


def test_triangles_diagonal_diag_and_trace():
    x = leaf(np.arange(9.0).reshape(3, 3))
    x.triu().sum().backward()
    assert x.grad.tolist() == [[1, 1, 1], [0, 1, 1], [0, 0, 1]]
    x.grad = None
    x.tril(-1).sum().backward()
    assert x.grad.tolist() == [[0, 0, 0], [1, 0, 0], [1, 1, 0]]
    x.grad = None
    tr = x.trace()
    tr.backward()
    assert tr.item() == 0 + 4 + 8 and x.grad.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    x.grad = None
    d = x.diagonal(1)  # (x01, x12) = (1, 5)
    d.backward(np.array([2.0, 3.0]))
    assert d.data.tolist() == [1.0, 5.0] and x.grad.tolist() == [[0, 2, 0], [0, 0, 3], [0, 0, 0]]
    v = leaf([1.0, 2.0])
    m = v.diag()
    m.backward(np.array([[1.0, 7.0], [7.0, 5.0]]))
    assert m.data.tolist() == [[1.0, 0.0], [0.0, 2.0]] and v.grad.tolist() == [1.0, 5.0]


def test_concatenate_stack_and_split_pass_each_piece_its_slice():
    a, b = leaf([1.0, 2.0]), leaf([3.0])
    c = T.concatenate([a, b])
    c.backward(np.array([10.0, 20.0, 30.0]))
    assert c.data.tolist() == [1.0, 2.0, 3.0]
    assert (a.grad.tolist(), b.grad.tolist()) == ([10.0, 20.0], [30.0])
    p, q = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    s = T.stack([p, q], axis=-1)  # [[1, 3], [2, 4]]
    s.backward(np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert s.data.tolist() == [[1.0, 3.0], [2.0, 4.0]]
    assert (p.grad.tolist(), q.grad.tolist()) == ([1.0, 3.0], [2.0, 4.0])
    x = leaf(np.arange(6.0))
    first, second = x.split(4)  # PyTorch's split: pieces of 4, then the rest
    assert first.shape == (4,) and second.shape == (2,)
    (first.sum() + 2.0 * second.sum()).backward()
    assert x.grad.tolist() == [1, 1, 1, 1, 2, 2]
    assert [p.shape for p in T.split(leaf(np.arange(6.0)), 3)] == [(2,), (2,), (2,)]


def test_maximum_minimum_and_clip_gradients_follow_pytorch():
    # torch.maximum: the larger gets g, a tie splits 1/2 each, nan gives both g
    a, b = leaf([1.0, 2.0, NAN]), leaf([1.0, 3.0, 1.0])
    T.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 0.0, 1.0] and b.grad.tolist() == [0.5, 1.0, 1.0]
    # torch.clamp(x, 1, 2): g passes where 1 <= x <= 2, the bounds included
    x = leaf([0.5, 1.0, 1.5, 2.0, 3.0])
    out = x.clip(1.0, 2.0)
    out.sum().backward()
    assert out.data.tolist() == [1.0, 1.0, 1.5, 2.0, 2.0]
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]


def test_var_std_norm_logsumexp_by_hand():
    x = leaf([1.0, 3.0])
    v = x.var()  # mean 2, deviations -1, 1: var = (1 + 1) / 2 = 1
    v.backward()
    # d/dx_i var = 2 (x_i - mean) / n = (-1, 1)
    assert v.item() == 1.0 and x.grad.tolist() == [-1.0, 1.0]
    assert leaf([1.0, 3.0]).var(ddof=1).item() == 2.0  # PyTorch's default, (1 + 1) / 1
    y = leaf([3.0, 4.0])
    n = y.norm()
    n.backward()  # 5, and d/dy = y / 5
    assert n.item() == 5.0 and y.grad.tolist() == [0.6, 0.8]
    z = leaf([0.0, 0.0])
    z.norm().backward()  # a zero norm: gradient 0, as PyTorch (not 0 / 0)
    assert z.grad.tolist() == [0.0, 0.0]
    w = leaf([0.0, math.log(3.0)])
    lse = w.logsumexp()  # log(1 + 3) = log 4; gradient the softmax (1/4, 3/4)
    lse.backward()
    assert math.isclose(lse.item(), math.log(4.0)) and np.allclose(w.grad, [0.25, 0.75])
    big = leaf([1000.0, 1000.0])
    assert math.isclose(big.logsumexp().item(), 1000.0 + math.log(2.0))  # no overflow


def test_comparisons_and_argmax_give_plain_arrays():
    x = leaf([1.0, 5.0, 3.0])
    assert (x > 2.0).tolist() == [False, True, True] and (x <= 3.0).dtype == bool
    assert x.eq(leaf([1.0, 0.0, 3.0])).tolist() == [True, False, True]
    assert x.argmax() == 1 and x.argmin() == 0
    assert np.greater(x, 2.0).tolist() == [False, True, True]
    assert np.isfinite(x).all()
    assert (x == x) is True  # identity, as on every graph node


def test_shape_helpers():
    y = leaf(np.arange(24.0).reshape(2, 3, 4))
    for ours, theirs in ((y.swapaxes(0, -1), np.swapaxes(y.data, 0, -1)),
                         (y.moveaxis(0, -1), np.moveaxis(y.data, 0, -1)),
                         (np.moveaxis(y, -1, 0), np.moveaxis(y.data, -1, 0))):  # fmt: skip
        np.testing.assert_array_equal(ours.data, theirs)
    x = leaf(np.arange(6.0).reshape(2, 1, 3))
    assert x.squeeze().shape == (2, 3) and x.squeeze(1).shape == (2, 3)
    assert x.unsqueeze(-1).shape == (2, 1, 3, 1) and x.unsqueeze(0).shape == (1, 2, 1, 3)
    assert x.flatten().shape == (6,) and x.flatten(1).shape == (2, 3)
    assert x.expand(4, 2, 5, 3).shape == (4, 2, 5, 3) and x.expand(-1, 2, -1).shape == (2, 2, 3)
    x.expand(2, 4, 3).sum().backward()
    assert x.grad.tolist() == np.full((2, 1, 3), 4.0).tolist()


def test_pad_sort_outer_chunk_and_the_rounding_functions():
    x = leaf([3.0, 1.0, 2.0])
    p = x.pad((1, 2), value=9.0)
    assert p.data.tolist() == [9.0, 3.0, 1.0, 2.0, 9.0, 9.0]
    p.backward(np.arange(6.0))  # x sits at positions 1..3 of the padded vector
    assert x.grad.tolist() == [1.0, 2.0, 3.0]
    y = leaf([3.0, 1.0, 2.0])
    s = y.sort()
    s.backward(np.array([10.0, 20.0, 30.0]))
    # sorted: (1, 2, 3) = (y1, y2, y0), so y1 gets 10, y2 gets 20, y0 gets 30
    assert s.data.tolist() == [1.0, 2.0, 3.0] and y.grad.tolist() == [30.0, 10.0, 20.0]
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0, 5.0])
    o = a.outer(b)
    o.sum().backward()
    # d/da_i sum_ij a_i b_j = sum_j b_j = 12;  d/db_j = sum_i a_i = 3
    assert o.shape == (2, 3) and a.grad.tolist() == [12.0, 12.0] and b.grad.tolist() == [3.0] * 3
    assert [c.shape for c in leaf(np.arange(10.0)).chunk(3)] == [(4,), (4,), (2,)]
    r = leaf([-1.5, 0.5, 2.5, 2.7])
    assert r.floor().data.tolist() == [-2.0, 0.0, 2.0, 2.0]
    assert r.round().data.tolist() == [-2.0, 0.0, 2.0, 3.0]  # halves to even, as NumPy
    (r.floor() * INF + r.ceil() + r.trunc()).sum().backward()
    assert r.grad.tolist() == [0.0] * 4  # flat: 0, even under inf


def test_gather_and_tensordot():
    x = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    g = x.gather(1, [[2, 2], [0, 1]])  # row 0 picks x02 twice, row 1 picks x10, x11
    assert g.data.tolist() == [[3.0, 3.0], [4.0, 5.0]]
    g.sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0, 2.0], [1.0, 1.0, 0.0]]
    a, b = leaf(np.arange(6.0).reshape(2, 3)), leaf(np.arange(12.0).reshape(3, 4))
    t = a.tensordot(b, 1)  # one contracted axis: the matrix product
    np.testing.assert_array_equal(t.data, a.data @ b.data)
    t.sum().backward()
    # d/da sum(a @ b) = ones @ b.T: each a_ik gets sum_j b_kj
    np.testing.assert_array_equal(a.grad, np.ones((2, 4)) @ b.data.T)


def test_einsum_gradients_are_einsums_of_g_with_the_other_operands():
    a, b = leaf([[1.0, 2.0], [3.0, 4.0]]), leaf([5.0, 6.0])
    out = T.einsum("ij,j->i", a, b)  # a @ b = (17, 39)
    out.backward(np.array([1.0, 10.0]))
    # d/da_ij = g_i b_j;  d/db_j = sum_i g_i a_ij = (1 + 30, 2 + 40)
    assert out.data.tolist() == [17.0, 39.0]
    assert a.grad.tolist() == [[5.0, 6.0], [50.0, 60.0]] and b.grad.tolist() == [31.0, 42.0]
    c = leaf([[1.0, 2.0], [3.0, 4.0]])
    T.einsum("ij->", c).backward()  # every letter summed inside c alone: g copied everywhere
    assert c.grad.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    with pytest.raises(ValueError, match="repeated within one operand"):
        T.einsum("ii->i", c)


# ============================================================================ NumPy functions


def test_numpy_functions_on_a_tensor_record_the_graph():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    for out in (np.sum(x), np.exp(x).sum(), np.sum(np.concatenate([x, x]), axis=0).sum(),
                np.mean(np.stack([x, x * 2.0])), np.maximum(x, 2.5).sum()):  # fmt: skip
        assert isinstance(out, Tensor) and out.requires_grad
    x.grad = None
    np.sum(np.exp(x)).backward()
    np.testing.assert_allclose(x.grad, np.exp(x.data))
    # an array on the left of an operator goes through the ufunc protocol too
    y = leaf([1.0, 2.0])
    out = np.array([3.0, 4.0]) * y
    assert isinstance(out, Tensor) and out.op == "*"


def test_numpy_functions_without_a_rule_raise_naming_the_method():
    x = leaf([1.0, 2.0])
    with pytest.raises(TypeError, match=r"np\.cbrt on a Tensor has no gradient rule"):
        np.cbrt(x)
    with pytest.raises(TypeError, match=r"np\.median on a Tensor .* silently detached"):
        np.median(x)
    with pytest.raises(TypeError, match=r"np\.percentile on a Tensor .* silently detached"):
        np.percentile(x, 50)
    with pytest.raises(TypeError, match="out="):
        np.sum(x, out=np.zeros(()))
    target = np.zeros(2)
    with pytest.raises(TypeError, match="no gradient rule"):
        target += x  # would write a graph's numbers into a plain array


def test_numpy_readers_see_the_numbers():
    x = leaf([1.0, 2.0])
    assert np.allclose(x, [1.0, 2.0]) and np.shape(x) == (2,)


# ============================================================================ random shapes

finite = st.floats(-3.0, 3.0, allow_nan=False, width=64)
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)


def arrays(shape_strategy=shapes, elements=finite):
    return shape_strategy.flatmap(lambda s: hnp.arrays(np.float64, s, elements=elements))


def weighted(f, shape_seed=0):
    """sum(f(x) * w) for fixed random weights w: a scalar whose gradient checks every output."""

    def loss(*xs):
        out = f(*xs)
        w = np.random.default_rng(shape_seed).standard_normal(out.shape)
        return (out * w).sum()

    return loss


# Each elementwise function on the part of the line where it is smooth and its derivative
# moderate (central differences need both).
DOMAINS = {
    "arcsin": (-0.9, 0.9), "arccos": (-0.9, 0.9), "arctanh": (-0.9, 0.9),
    "arccosh": (1.1, 4.0), "log2": (0.1, 4.0), "log10": (0.1, 4.0), "log1p": (-0.9, 4.0),
    "tan": (-1.2, 1.2),
}  # fmt: skip


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(sorted(ELEMENTARY)), shapes, st.data())
def test_elementwise_functions_gradcheck_on_both_engines(name, shape, data):
    lo, hi = DOMAINS.get(name, (-3.0, 3.0))
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(lo, hi)))
    t = Tensor(x, requires_grad=True)
    assert gradcheck(weighted(lambda a: getattr(a, name)()), [t]), name
    out = getattr(t, name)()
    assert out.op == name and out.shape == x.shape
    for v, want in zip(x.reshape(-1)[:2], out.data.reshape(-1)[:2], strict=True):
        scalar = Value(float(v))
        assert gradcheck(lambda a: getattr(a, name)(), [scalar]), (name, v)
        got = getattr(scalar, name)().data  # the same row of ELEMENTARY: the same number
        assert got == want or (math.isnan(got) and math.isnan(want)), (name, v)


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_binary_functions_gradcheck_with_broadcasting(data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=3))
    other = data.draw(hnp.broadcastable_shapes(shape, max_dims=3, max_side=3))
    a = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(0.5, 3.0)))
    b = data.draw(hnp.arrays(np.float64, other, elements=st.floats(0.5, 3.0)))
    for f in (lambda p, q: p.hypot(q), lambda p, q: p.arctan2(q),
              lambda p, q: T.maximum(p, q * 1.37), lambda p, q: T.minimum(p * 0.71, q),
              lambda p, q: p.maximum(q) * p.minimum(q)):  # fmt: skip
        assert gradcheck(
            weighted(f), [Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)]
        )


@settings(max_examples=25, deadline=None)
@given(arrays(elements=st.floats(0.5, 2.0)), st.data(), st.booleans())
def test_reductions_gradcheck_over_any_axis(x, data, keepdims):
    axis = (
        data.draw(st.none() | st.integers(-max(x.ndim, 1), max(x.ndim, 1) - 1)) if x.ndim else None
    )
    t = Tensor(x, requires_grad=True)
    for name in ("prod", "logsumexp", "norm"):
        if x.size == 0 and name == "norm":
            continue  # the norm of nothing is 0, where its gradient is undefined

        def reduce(a, n=name):
            return getattr(a, n)(axis=axis, keepdims=keepdims)

        assert gradcheck(weighted(reduce), [t]), name
    if x.size > 1:
        assert gradcheck(weighted(lambda a: a.var(axis=axis, keepdims=keepdims)), [t])
    if x.ndim:
        assert gradcheck(weighted(lambda a: a.cumsum(axis=axis)), [t])


@settings(max_examples=25, deadline=None)
@given(arrays(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=3)), st.data())
def test_shape_ops_gradcheck(x, data):
    t = Tensor(x, requires_grad=True)
    nd = x.ndim
    axis = data.draw(st.integers(-nd, nd - 1))
    reps = tuple(data.draw(st.lists(st.integers(0, 2), min_size=0, max_size=nd + 1)))
    shift = data.draw(st.integers(-4, 4))
    cases = [
        lambda a: a.flip(axis),
        lambda a: a.roll(shift, axis),
        lambda a: a.roll(shift),
        lambda a: a.tile(reps),
        lambda a: a.unsqueeze(axis).squeeze(axis),
        lambda a: a.flatten(),
        lambda a: T.concatenate([a, a * 2.0], axis=axis),
        lambda a: T.stack([a, a.sin()], axis=axis),
        lambda a: a.cumsum(axis),
    ]
    if nd >= 2:
        k = data.draw(st.integers(-2, 2))
        cases += [lambda a: a.triu(k), lambda a: a.tril(k), lambda a: a.diagonal(k, -1, 0),
                  lambda a: a.transpose(tuple(range(-1, -nd - 1, -1)))]  # fmt: skip
    for f in cases:
        assert gradcheck(weighted(f), [t])


distinct = hnp.arrays(
    np.int64,
    hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
    elements=st.integers(-60, 60),
    unique=True,
).map(lambda a: a / 20.0 + 0.013)  # values 0.05 apart, off every kink of the cases below


@settings(max_examples=25, deadline=None)
@given(distinct, st.data())
def test_activations_clip_pad_sort_gradcheck(x, data):
    t = Tensor(x, requires_grad=True)
    width = data.draw(st.integers(0, 2))
    cases = [lambda a: a.elu(0.7), lambda a: a.selu(), lambda a: a.gelu(),
             lambda a: a.clip(-0.4567, 0.8765), lambda a: a.clip(None, 0.1234),
             lambda a: a.pad(width, value=1.5), lambda a: a.outer(a.exp())]  # fmt: skip
    if x.ndim:
        axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
        cases += [lambda a: a.sort(axis), lambda a: T.concatenate(a.chunk(2, axis), axis=axis)]
    for f in cases:
        assert gradcheck(weighted(f), [t])


@pytest.mark.parametrize(
    "f",
    [lambda a: a.sin(), lambda a: a.logsigmoid(), lambda a: a.prod(axis=0), lambda a: a.cumsum(0),
     lambda a: a.logsumexp(axis=-1), lambda a: a.norm(), lambda a: a.gelu(), lambda a: a.elu(),
     lambda a: a.clip(0.0, 0.5), lambda a: T.maximum(a, 0.2), lambda a: a.tile((2, 1)),
     lambda a: a.pad(1), lambda a: a.sort(), lambda a: a.var(), lambda a: a.hypot(a),
     lambda a: a.sign(), lambda a: a % 0.3, lambda a: T.stack([a, a])],
)  # fmt: skip
def test_float32_stays_float32_forward_and_backward(f):
    x = Tensor(np.array([[0.25, 0.5], [0.75, 1.0]], dtype=np.float32), requires_grad=True)
    out = f(x)
    (out * 1.0).sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32


def test_0d_tensors_through_the_new_ops():
    x = Tensor(np.array(0.7), requires_grad=True)
    for f in (lambda a: a.sin(), lambda a: a.prod(), lambda a: a.logsumexp(), lambda a: a.norm(),
              lambda a: a.clip(0.0, 1.0), lambda a: a.tile(3), lambda a: a.flatten(),
              lambda a: T.stack([a, a]), lambda a: a.gelu(), lambda a: a.elu()):  # fmt: skip
        assert gradcheck(weighted(f), [x])


# ============================================================================ higher order


def second_derivative_check(f, x: np.ndarray) -> None:
    """d/dx of (df/dx . w2), by create_graph, against central differences of df/dx."""
    rng = np.random.default_rng(1)
    w = rng.standard_normal(f(Tensor(x)).shape)
    w2 = rng.standard_normal(x.shape)

    def first_grad(a: Tensor, create_graph: bool) -> Tensor:
        (g,) = autograd.grad((f(a) * w).sum(), a, create_graph=create_graph)
        return g

    t = Tensor(x, requires_grad=True)
    (first_grad(t, True) * w2).sum().backward()
    eps, numeric = 1e-6, np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        gu = first_grad(Tensor(up, requires_grad=True), False)
        gd = first_grad(Tensor(down, requires_grad=True), False)
        numeric[i] = ((gu - gd) * w2).sum().item() / (2 * eps)
    np.testing.assert_allclose(t.grad, numeric, rtol=1e-4, atol=1e-6)


SECOND_ORDER = {
    "sin": lambda a: a.sin(), "arctan": lambda a: a.arctan(),
    "logsigmoid": lambda a: a.logsigmoid(),
    "sinh": lambda a: a.sinh(), "expm1": lambda a: a.expm1(), "gelu": lambda a: a.gelu(),
    "elu": lambda a: a.elu(), "hypot": lambda a: a.hypot(a * 0.5 + 2.0),
    "atan2": lambda a: a.arctan2(a * 0.3 + 1.0), "prod": lambda a: a.prod(axis=1),
    "logsumexp": lambda a: a.logsumexp(axis=0), "norm": lambda a: a.norm(axis=1),
    "cumsum": lambda a: (a * a).cumsum(1), "tile": lambda a: (a * a).tile((2, 1)),
    "roll": lambda a: (a * a).roll(1, 0), "flip": lambda a: (a * a).flip(1),
    "concatenate": lambda a: T.concatenate([a * a, a.exp()], axis=1),
    "diagonal": lambda a: (a * a).diagonal(), "maximum": lambda a: T.maximum(a * a, a[::-1]),
    "clip": lambda a: (a * a).clip(0.1, 1.0), "var": lambda a: a.var(axis=0),
    "einsum": lambda a: T.einsum("ij,kj->ik", a, a.sin()),
    "gather": lambda a: (a * a).gather(0, [[2, 0]]),
    "tensordot": lambda a: a.tensordot(a.exp(), ([0], [0])),
    "np.sin": lambda a: np.sin(a),
    "pad": lambda a: (a * a).pad(1, value=2.0),
    "sort": lambda a: (a * a).sort(0),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_second_derivatives_through_create_graph(name):
    x = np.random.default_rng(2).uniform(-1.5, 1.5, (3, 2))
    second_derivative_check(SECOND_ORDER[name], x)


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_second_derivatives_pass_gradgradcheck(name):
    # the same, through the project's own checker (Hessian-vector products along directions)
    x = Tensor(np.random.default_rng(5).uniform(-1.5, 1.5, (3, 2)), requires_grad=True)
    w = np.random.default_rng(6).standard_normal(SECOND_ORDER[name](x).shape)
    assert autograd.gradgradcheck(lambda a: (SECOND_ORDER[name](a) * w).sum(), [x], tol=1e-5)


@pytest.mark.parametrize("name", sorted(ELEMENTARY))
def test_value_elementary_second_derivatives(name):
    lo, hi = DOMAINS.get(name, (-2.0, 2.0))
    x0 = (lo + hi) / 2 + 0.137
    x = Value(x0)
    (g,) = autograd.grad(getattr(x, name)(), x, create_graph=True)
    (h,) = autograd.grad(g, x)

    def d1(v: float) -> float:
        y = Value(v)
        getattr(y, name)().backward()
        return y.grad

    numeric = (d1(x0 + 1e-6) - d1(x0 - 1e-6)) / 2e-6
    assert math.isclose(h, numeric, rel_tol=1e-4, abs_tol=1e-6), (name, h, numeric)
    assert autograd.gradgradcheck(lambda a: getattr(a, name)(), [Value(x0)], tol=1e-5)


def test_value_mod_hypot_arctan2_and_sign_by_hand():
    a, b = Value(7.0), Value(3.0)
    m = a % b  # 7 mod 3 = 1 = 7 - 2 * 3: d/da = 1, d/db = -floor(7/3) = -2
    assert m.data == 1.0 and m.local_grads() == (1.0, -2.0)
    assert (Value(5.0) % -3).data == -1.0 and (7 % Value(3.0)).data == 1.0  # Python's sign
    h = Value(3.0).hypot(Value(4.0))  # 5; d/da = 3/5, d/db = 4/5
    assert h.data == 5.0 and h.local_grads() == (0.6, 0.8)
    t = Value(1.0).arctan2(Value(1.0))  # pi/4; d/dy = x / 2 = 1/2, d/dx = -y / 2 = -1/2
    assert math.isclose(t.data, math.pi / 4) and t.local_grads() == (0.5, -0.5)
    assert Value(-2.0).sign().data == -1.0 and math.isnan(Value(NAN).sign().data)
    # IEEE edges, never an exception: sin(inf) = nan, arcsin(2) = nan, log2(0) = -inf
    assert math.isnan(Value(INF).sin().data) and math.isnan(Value(2.0).arcsin().data)
    assert Value(0.0).log2().data == -INF


# ============================================================================ PyTorch, live

# (ours on a Tensor, PyTorch's spelling, the interval the inputs are drawn from)
TORCH_CASES = {
    **{
        name: (
            lambda a, n=name: getattr(a, n)(),
            lambda a, tf, n=name: getattr(a, n)(),
            (-2.0, 2.0),
        )
        for name in (
            "sin",
            "cos",
            "tan",
            "sinh",
            "cosh",
            "log1p",
            "expm1",
            "exp2",
            "sign",
            "arcsin",
            "arccos",
            "arctan",
            "arcsinh",
            "arctanh",
            "log2",
            "log10",
        )
    },
    "arccosh": (lambda a: a.arccosh(), lambda a, tf: a.arccosh(), (1.2, 3.0)),
    "logsigmoid": (lambda a: a.logsigmoid(), lambda a, tf: tf.nn.functional.logsigmoid(a), (-5, 5)),
    "elu": (lambda a: a.elu(0.7), lambda a, tf: tf.nn.functional.elu(a, 0.7), (-2, 2)),
    "selu": (lambda a: a.selu(), lambda a, tf: tf.selu(a), (-2, 2)),
    "gelu": (lambda a: a.gelu(), lambda a, tf: tf.nn.functional.gelu(a), (-3, 3)),
    "mod": (lambda a: a % 0.7, lambda a, tf: tf.remainder(a, 0.7), (-2, 2)),
    "mod_other": (
        lambda a: 1.3 % (a + 3.0),
        lambda a, tf: tf.remainder(a * 0 + 1.3, a + 3.0),
        (-2, 2),
    ),
    "hypot": (lambda a: a.hypot(a * 2 + 1), lambda a, tf: tf.hypot(a, a * 2 + 1), (-2, 2)),
    "arctan2": (
        lambda a: a.arctan2(a.flip(0) + 0.5),
        lambda a, tf: tf.atan2(a, a.flip(0) + 0.5),
        (-2, 2),
    ),
    "maximum": (lambda a: T.maximum(a, a.flip(1)), lambda a, tf: tf.maximum(a, a.flip(1)), (-2, 2)),
    "minimum": (lambda a: T.minimum(a, 0.3), lambda a, tf: tf.clamp(a, max=0.3), (-2, 2)),
    "clip": (lambda a: a.clip(-0.5, 0.5), lambda a, tf: a.clamp(-0.5, 0.5), (-2, 2)),
    "prod": (lambda a: a.prod(axis=1), lambda a, tf: a.prod(1), (-2, 2)),
    "cumsum": (lambda a: a.cumsum(axis=0), lambda a, tf: a.cumsum(0), (-2, 2)),
    "var": (lambda a: a.var(axis=1, ddof=1), lambda a, tf: a.var(1), (-2, 2)),
    "std": (lambda a: a.std(), lambda a, tf: a.std(unbiased=False), (-2, 2)),
    "logsumexp": (lambda a: a.logsumexp(axis=-1), lambda a, tf: a.logsumexp(-1), (-2, 2)),
    "norm": (lambda a: a.norm(axis=0), lambda a, tf: a.norm(dim=0), (-2, 2)),
    "tile": (lambda a: a.repeat(2, 3), lambda a, tf: a.repeat(2, 3), (-2, 2)),
    "roll": (lambda a: a.roll(2, 1), lambda a, tf: a.roll(2, 1), (-2, 2)),
    "flip": (lambda a: a.flip(0), lambda a, tf: a.flip(0), (-2, 2)),
    "triu": (lambda a: a.triu(1), lambda a, tf: a.triu(1), (-2, 2)),
    "tril": (lambda a: a.tril(-1), lambda a, tf: a.tril(-1), (-2, 2)),
    "diagonal": (lambda a: a.diagonal(1), lambda a, tf: a.diagonal(1), (-2, 2)),
    "trace": (lambda a: a[:, :3].trace(), lambda a, tf: a[:, :3].trace(), (-2, 2)),
    "concatenate": (
        lambda a: T.concatenate([a, a * a], axis=1),
        lambda a, tf: tf.cat([a, a * a], 1),
        (-2, 2),
    ),
    "stack": (
        lambda a: T.stack([a, a * a], axis=1),
        lambda a, tf: tf.stack([a, a * a], 1),
        (-2, 2),
    ),
    "pad": (
        lambda a: a.pad(((1, 0), (2, 1))),
        lambda a, tf: tf.nn.functional.pad(a, (2, 1, 1, 0)),
        (-2, 2),
    ),
    "sort": (lambda a: a.sort(1), lambda a, tf: tf.sort(a, 1).values, (-2, 2)),
    "outer": (lambda a: a[0].outer(a[1]), lambda a, tf: tf.outer(a[0], a[1]), (-2, 2)),
    "floor": (lambda a: a.floor() + a.ceil() * a, lambda a, tf: a.floor() + a.ceil() * a, (-2, 2)),
    "gather": (
        lambda a: a.gather(1, [[0, 0], [3, 1], [2, 2]]),
        lambda a, tf: a.gather(1, tf.tensor([[0, 0], [3, 1], [2, 2]])),
        (-2, 2),
    ),
    "tensordot": (
        lambda a: a.tensordot(a.sin(), ([0], [0])),
        lambda a, tf: tf.tensordot(a, a.sin(), ([0], [0])),
        (-2, 2),
    ),
    "cumprod": (lambda a: a.cumprod(1), lambda a, tf: a.cumprod(1), (-2, 2)),
    "einsum": (
        lambda a: T.einsum("ij,kj->ik", a, a.cos()),
        lambda a, tf: tf.einsum("ij,kj->ik", a, a.cos()),
        (-2, 2),
    ),
    "expand": (
        lambda a: a.unsqueeze(0).expand(2, -1, -1),
        lambda a, tf: a.unsqueeze(0).expand(2, -1, -1),
        (-2, 2),
    ),
}


@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_forward_and_gradient_match_pytorch(name):
    torch = pytest.importorskip("torch")
    ours, theirs, (lo, hi) = TORCH_CASES[name]
    x = np.random.default_rng(3).uniform(lo, hi, (3, 4))
    t = Tensor(x, requires_grad=True)
    out = ours(t)
    w = np.random.default_rng(4).standard_normal(out.shape)
    (out * w).sum().backward()
    tx = torch.tensor(x, requires_grad=True)
    tout = theirs(tx, torch)
    (tout * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(t.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
