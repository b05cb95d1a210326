"""Each Tensor op: its forward value and its gradient, derived by hand on small arrays.

The pattern: build the op, call backward (with an explicit upstream gradient g where the
output is not a scalar), and compare with the derivative written out in the comment.
Random shapes and numerical checks are in test_tensor_gradcheck.py.
"""

import math

import numpy as np
import pytest

from autograd import Tensor
from autograd.tensor import linear


def leaf(values, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


# ----------------------------------------------------------------- arithmetic


def test_add_broadcast_sums_the_gradient_over_the_stretched_rows():
    a = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    b = leaf([10.0, 20.0, 30.0])  # broadcast to both rows
    w = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    (a + b).backward(w)
    # d(a + b)/da = 1: a.grad = w.  b[j] was added to both rows: b.grad[j] = w[0, j] + w[1, j]
    np.testing.assert_array_equal(a.grad, w)
    np.testing.assert_array_equal(b.grad, [5.0, 7.0, 9.0])


def test_sub_gives_minus_the_upstream_to_the_right_operand():
    a = leaf([[1.0], [2.0]])  # (2, 1) broadcast against (3,)
    b = leaf([1.0, 2.0, 3.0])
    out = a - b
    assert out.shape == (2, 3)
    out.backward(np.ones((2, 3)))
    # a[i] appears in 3 columns: +3 each;  b[j] appears in 2 rows, with sign -1: -2 each
    np.testing.assert_array_equal(a.grad, [[3.0], [3.0]])
    np.testing.assert_array_equal(b.grad, [-2.0, -2.0, -2.0])


def test_mul_gradient_of_each_operand_is_the_other():
    a, b = leaf([1.0, 2.0, 3.0]), leaf([4.0, 5.0, 6.0])
    (a * b).sum().backward()
    # d(sum a*b)/da = b,  d/db = a
    np.testing.assert_array_equal(a.grad, [4.0, 5.0, 6.0])
    np.testing.assert_array_equal(b.grad, [1.0, 2.0, 3.0])


def test_div_gradients_are_one_over_b_and_minus_a_over_b_squared():
    a, b = leaf([1.0, 2.0]), leaf([4.0, 8.0])
    (a / b).sum().backward()
    # d(a/b)/da = 1/b = [1/4, 1/8];  d(a/b)/db = -a/b**2 = [-1/16, -2/64]
    np.testing.assert_array_equal(a.grad, [0.25, 0.125])
    np.testing.assert_array_equal(b.grad, [-0.0625, -0.03125])


def test_pow_with_a_number_exponent_is_one_operand():
    x = leaf([1.0, 2.0, 3.0])
    y = x**3
    assert y.op == "**3" and y.parents == (x,)
    y.sum().backward()
    # d(x**3)/dx = 3 x**2 = [3, 12, 27]
    np.testing.assert_array_equal(x.grad, [3.0, 12.0, 27.0])


def test_pow_with_exponent_zero_has_zero_gradient_even_at_zero():
    x = leaf([0.0, 5.0])
    (x**0).sum().backward()
    # x**0 = 1 is constant: gradient 0 (not 0 * 0**-1 = nan)
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


def test_pow_with_a_tensor_exponent_differentiates_both():
    x, y = leaf([2.0, 0.0]), leaf([3.0, 2.0])
    out = x**y
    assert out.op == "**" and out.parents == (x, y)
    out.sum().backward()
    # d/dx x**y = y x**(y-1) = [3 * 2**2, 2 * 0**1] = [12, 0]
    # d/dy x**y = x**y log x = [8 log 2, 0]   (0 at x = 0, y >= 0, as in PyTorch)
    np.testing.assert_allclose(x.grad, [12.0, 0.0])
    np.testing.assert_allclose(y.grad, [8.0 * math.log(2.0), 0.0])


def test_reflected_operators_with_numbers():
    x = leaf([1.0, 2.0])
    out = (2.0 - x) + (6.0 / x) + (3 * x) + (1 + x) + 2.0**x
    out.sum().backward()
    # d/dx [2 - x + 6/x + 3x + 1 + x + 2**x] = -1 - 6/x**2 + 3 + 1 + 2**x log 2
    expected = -1.0 - 6.0 / np.array([1.0, 4.0]) + 3.0 + 1.0 + np.array([2.0, 4.0]) * math.log(2.0)
    np.testing.assert_allclose(x.grad, expected)


def test_ndarray_on_the_left_defers_to_the_tensor():
    x = leaf([1.0, 2.0])
    out = np.array([3.0, 4.0]) * x  # ndarray.__mul__ defers: Tensor.__rmul__ runs
    assert isinstance(out, Tensor)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


def test_a_number_operand_becomes_a_constant_parent():
    x = leaf([1.0])
    out = x * 2.0
    assert out.op == "*" and out.parents[0] is x
    const = out.parents[1]
    assert const.role == "const" and not const.requires_grad and const.item() == 2.0
    out.backward(np.ones(1))
    assert const.grad is None  # constants get no gradient


def test_neg():
    x = leaf([1.0, -2.0])
    (-x).backward(np.array([3.0, 4.0]))
    # d(-x)/dx = -1
    np.testing.assert_array_equal(x.grad, [-3.0, -4.0])


# ----------------------------------------------------------------- matmul


def test_matmul_2d_gradients_are_g_times_b_transposed_and_a_transposed_times_g():
    A = leaf([[1.0, 2.0], [3.0, 4.0]])
    B = leaf([[5.0, 6.0], [7.0, 8.0]])
    (A @ B).sum().backward()
    # g = ones(2, 2).  dA = g @ B.T: every row is B's row sums [11, 15];
    # dB = A.T @ g: every column is A's column sums [4, 6]
    np.testing.assert_array_equal(A.grad, [[11.0, 15.0], [11.0, 15.0]])
    np.testing.assert_array_equal(B.grad, [[4.0, 4.0], [6.0, 6.0]])


def test_backprop_through_a_relu_layer_lecture_problem_4():
    # Lecture notes (000), practice problem 4: delta2 = (W3.T delta3) * relu'(z2) with
    # W3 = [[1, 2, 3], [-1, 0, 1]], delta3 = [0.5, -0.3], z2 = [1, -2, 0]:
    # W3.T delta3 = [0.5 + 0.3, 1 + 0, 1.5 - 0.3] = [0.8, 1.0, 1.2];
    # relu'(z2) = [1, 0, 0] (relu'(0) = 0)
    W3 = leaf([[1.0, 2.0, 3.0], [-1.0, 0.0, 1.0]])
    z2 = leaf([1.0, -2.0, 0.0])
    z3 = W3 @ z2.relu()  # (2, 3) @ (3,): a matrix times a vector
    z3.backward(np.array([0.5, -0.3]))
    np.testing.assert_allclose(z2.grad, [0.8, 0.0, 0.0])
    # and dL/dW3 = delta3 outer relu(z2) = [[0.5], [-0.3]] * [1, 0, 0]
    np.testing.assert_allclose(W3.grad, [[0.5, 0.0, 0.0], [-0.3, 0.0, 0.0]])


def test_matmul_of_two_vectors_is_their_dot_product():
    a, b = leaf([1.0, 2.0, 3.0]), leaf([4.0, 5.0, 6.0])
    out = a @ b
    assert out.shape == () and out.item() == 32.0
    out.backward()
    np.testing.assert_array_equal(a.grad, [4.0, 5.0, 6.0])
    np.testing.assert_array_equal(b.grad, [1.0, 2.0, 3.0])


def test_batched_matmul_sums_the_gradient_of_a_broadcast_matrix():
    A = leaf(np.arange(12.0).reshape(3, 2, 2))  # a stack of three 2x2 matrices
    B = leaf([[1.0, 0.0], [0.0, 1.0]])  # one matrix, broadcast over the stack
    (A @ B).sum().backward()
    # dB = sum over the stack of A_k.T @ ones: entry (i, j) = sum over k and rows of A_k[:, i]
    np.testing.assert_array_equal(B.grad, [[30.0, 30.0], [36.0, 36.0]])
    np.testing.assert_array_equal(A.grad, np.ones((3, 2, 2)))  # ones @ I.T


def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 3\)"):
        leaf(np.ones((2, 3))) @ leaf(np.ones((2, 3)))


# ----------------------------------------------------------------- the lecture's networks


def test_two_layer_network_by_hand_lecture_example_1():
    # Lecture notes (000), example 1: x = 1, w1 = 2, b1 = 0, w2 = 3, b2 = 1, ReLU hidden,
    # linear output, L = (yhat - 10)**2. Forward: z1 = 2, a1 = 2, yhat = 7, L = 9.
    # Backward: dL/dz2 = 2 (7 - 10) = -6; dL/dw2 = -6 * a1 = -12; dL/db2 = -6;
    # delta1 = -6 * w2 * relu'(2) = -18; dL/dw1 = -18 * x = -18; dL/db1 = -18.
    x = Tensor([[1.0]])
    w1, b1, w2, b2 = leaf([[2.0]]), leaf([0.0]), leaf([[3.0]]), leaf([1.0])
    yhat = linear(linear(x, w1, b1).relu(), w2, b2)
    loss = ((yhat - 10.0) ** 2).sum()
    assert loss.item() == 9.0
    loss.backward()
    assert (w2.grad.item(), b2.grad.item()) == (-12.0, -6.0)
    assert (w1.grad.item(), b1.grad.item()) == (-18.0, -18.0)


def test_sigmoid_and_binary_cross_entropy_lecture_example_2():
    # Lecture notes (000), example 2: x = 2, w = 1, b = -1, target 0.
    # z = 1, yhat = sigmoid(1) = 0.7311, L = -log(1 - yhat) = 1.313;
    # dL/dz = yhat - y = 0.7311, dL/dw = 0.7311 * 2 = 1.4622, dL/db = 0.7311
    w, b = leaf([1.0]), leaf([-1.0])
    yhat = (w * 2.0 + b).sigmoid()
    loss = -(1.0 - yhat).log()
    loss.backward()
    assert loss.item() == pytest.approx(1.3133, abs=1e-4)
    assert w.grad.item() == pytest.approx(1.4622, abs=1e-4)
    assert b.grad.item() == pytest.approx(0.7311, abs=1e-4)


def test_linear_is_x_times_weight_transposed_plus_bias():
    x = leaf([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])  # batch of 3, nin = 2
    W = leaf([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # (nout, nin) = (3, 2)
    b = leaf([0.5, -0.5, 0.0])
    y = linear(x, W, b)
    np.testing.assert_array_equal(y.data, x.data @ W.data.T + b.data)
    assert y.op == "linear" and y.parents == (x, W, b)
    y.backward(np.ones((3, 3)))
    # dy/dW = g.T @ x: every row is the column sums of x = [9, 12]
    # dy/db = column sums of g = [3, 3, 3];  dy/dx = g @ W: every row [2, 2]
    np.testing.assert_array_equal(W.grad, [[9.0, 12.0]] * 3)
    np.testing.assert_array_equal(b.grad, [3.0, 3.0, 3.0])
    np.testing.assert_array_equal(x.grad, [[2.0, 2.0]] * 3)


def test_linear_takes_an_array_input_and_checks_its_weight():
    W = leaf([[1.0, 2.0]])
    y = linear(np.array([[3.0, 4.0]]), W)  # an ndarray input becomes a constant input
    assert y.item() == 11.0 and y.parents[0].role == "input"
    with pytest.raises(ValueError, match=r"weight must be \(nout, nin\), got shape \(2,\)"):
        linear(Tensor([1.0, 2.0]), leaf([1.0, 2.0]))
    with pytest.raises(TypeError, match="as Tensors"):
        linear(Tensor([1.0, 2.0]), np.ones((1, 2)))
    with pytest.raises(ValueError, match=r"input of shape \(3,\) does not fit weight \(1, 2\)"):
        linear(Tensor([1.0, 2.0, 3.0]), W)


# ----------------------------------------------------------------- reductions


def test_sum_over_an_axis_copies_the_upstream_to_every_summed_element():
    x = leaf(np.zeros((2, 3)))
    x.sum(axis=0).backward(np.array([1.0, 2.0, 3.0]))
    # out[j] = x[0, j] + x[1, j]: both rows get g[j]
    np.testing.assert_array_equal(x.grad, [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])


def test_sum_with_keepdims_and_a_negative_axis():
    x = leaf(np.arange(6.0).reshape(2, 3))
    out = x.sum(axis=-1, keepdims=True)
    assert out.shape == (2, 1)
    np.testing.assert_array_equal(out.data, [[3.0], [12.0]])
    out.backward(np.array([[1.0], [2.0]]))
    np.testing.assert_array_equal(x.grad, [[1.0] * 3, [2.0] * 3])


def test_mean_gives_one_over_n_to_every_element():
    x = leaf(np.arange(6.0).reshape(2, 3))
    m = x.mean()
    assert m.item() == 2.5
    m.backward()
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 1.0 / 6.0))


def test_mean_over_a_tuple_of_axes():
    x = leaf(np.ones((2, 3, 4)))
    x.mean(axis=(0, 2)).backward(np.array([8.0, 16.0, 24.0]))
    # each output averages 2 * 4 = 8 elements: each gets g / 8
    np.testing.assert_array_equal(x.grad[:, 0, :], np.full((2, 4), 1.0))
    np.testing.assert_array_equal(x.grad[:, 2, :], np.full((2, 4), 3.0))


def test_max_sends_the_gradient_to_the_largest_element():
    x = leaf([1.0, 3.0, 2.0])
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0])


def test_max_splits_the_gradient_evenly_between_ties():
    # The documented rule (PyTorch's for amax and for a full max()): k tied maxima get 1/k each
    x = leaf([3.0, 1.0, 3.0])
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [0.5, 0.0, 0.5])
    y = leaf([[1.0, 5.0], [7.0, 7.0], [2.0, 2.0]])
    y.max(axis=1).backward(np.array([1.0, 1.0, 4.0]))
    np.testing.assert_array_equal(y.grad, [[0.0, 1.0], [0.5, 0.5], [2.0, 2.0]])


def test_max_with_keepdims():
    x = leaf([[1.0, 5.0], [7.0, 2.0]])
    out = x.max(axis=0, keepdims=True)
    assert out.shape == (1, 2)
    out.backward(np.array([[10.0, 20.0]]))
    np.testing.assert_array_equal(x.grad, [[0.0, 20.0], [10.0, 0.0]])


# ----------------------------------------------------------------- shape


def test_reshape_returns_each_gradient_to_its_element():
    x = leaf(np.arange(6.0))
    y = x.reshape(2, 3)
    assert y.shape == (2, 3) and x.reshape((3, 2)).shape == (3, 2)
    y.backward(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    np.testing.assert_array_equal(x.grad, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])


def test_reshape_to_a_wrong_size_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(6,\).*\(4,\)"):
        leaf(np.arange(6.0)).reshape(4)


def test_transpose_gradient_is_transposed_back():
    x = leaf(np.zeros((2, 3)))
    w = np.arange(6.0).reshape(3, 2)
    x.T.backward(w)
    np.testing.assert_array_equal(x.grad, w.T)


def test_transpose_with_a_permutation_applies_the_inverse_permutation():
    x = leaf(np.zeros((2, 3, 4)))
    y = x.transpose(2, 0, 1)
    assert y.shape == (4, 2, 3)
    g = np.arange(24.0).reshape(4, 2, 3)
    y.backward(g)
    np.testing.assert_array_equal(x.grad, g.transpose(1, 2, 0))


def test_getitem_with_repeated_integer_indices_adds_the_gradients():
    x = leaf([10.0, 20.0, 30.0, 40.0])
    picked = x[[0, 0, 2, 0]]
    np.testing.assert_array_equal(picked.data, [10.0, 10.0, 30.0, 10.0])
    picked.backward(np.array([1.0, 2.0, 3.0, 4.0]))
    # x[0] was picked three times: 1 + 2 + 4;  x[2] once: 3
    np.testing.assert_array_equal(x.grad, [7.0, 0.0, 3.0, 0.0])


def test_getitem_with_row_and_column_index_arrays_picks_the_targets():
    # The cross-entropy pattern: logp[rows, targets]
    x = leaf(np.zeros((3, 4)))
    x[np.array([0, 1, 1]), np.array([2, 0, 0])].sum().backward()
    expected = np.zeros((3, 4))
    expected[0, 2], expected[1, 0] = 1.0, 2.0  # (1, 0) picked twice
    np.testing.assert_array_equal(x.grad, expected)


def test_getitem_with_ints_slices_and_masks():
    x = leaf(np.arange(12.0).reshape(3, 4))
    x[1].backward(np.ones(4))
    np.testing.assert_array_equal(x.grad, [[0.0] * 4, [1.0] * 4, [0.0] * 4])
    x.zero_grad()
    x[:, 1:3].backward(np.ones((3, 2)))
    np.testing.assert_array_equal(x.grad.sum(axis=0), [0.0, 3.0, 3.0, 0.0])
    x.zero_grad()
    mask = x.data > 8.0  # the elements 9, 10, 11
    x[mask].backward(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x.grad[2], [0.0, 1.0, 2.0, 3.0])
    assert x.grad[:2].sum() == 0.0


# ----------------------------------------------------------------- functions


def test_exp_log_sqrt():
    x = leaf([0.0, 1.0])
    x.exp().sum().backward()
    np.testing.assert_allclose(x.grad, [1.0, math.e])  # d/dx e**x = e**x
    y = leaf([1.0, 4.0])
    y.log().sum().backward()
    np.testing.assert_array_equal(y.grad, [1.0, 0.25])  # d/dx log x = 1/x
    z = leaf([4.0, 9.0])
    z.sqrt().sum().backward()
    np.testing.assert_allclose(z.grad, [0.25, 1.0 / 6.0])  # 1 / (2 sqrt x)


def test_tanh_derivative_is_one_minus_tanh_squared():
    x = leaf([0.0, 1.0])
    x.tanh().sum().backward()
    np.testing.assert_allclose(x.grad, [1.0, 1.0 - math.tanh(1.0) ** 2])


def test_sigmoid_value_and_derivative_and_stability():
    x = leaf([0.0, -40.0, 1000.0, -1000.0])
    s = x.sigmoid()
    # sigmoid(0) = 0.5, s' = s (1 - s) = 0.25;
    # sigmoid(-40) = e**-40 / (1 + e**-40): tiny but not rounded to 0
    np.testing.assert_allclose(s.data, [0.5, math.exp(-40.0) / (1 + math.exp(-40.0)), 1.0, 0.0])
    s.sum().backward()
    assert x.grad[0] == 0.25 and np.all(np.isfinite(x.grad))


def test_division_gradient_does_not_square_a_huge_denominator():
    # d(a/b)/db = -a / b**2. With a = b = 1e200 that is -1 / 1e200 = -1e-200, but b**2 = inf
    # would give -0; the engine computes -(a / b) / b instead, as the scalar engine does.
    a, b = leaf([1e200]), leaf([1e200])
    (a / b).sum().backward()
    np.testing.assert_allclose(b.grad, [-1e-200], rtol=1e-12)
    np.testing.assert_allclose(a.grad, [1e-200], rtol=1e-12)  # d/da = 1 / b


def test_softplus_value_derivative_and_stability():
    x = leaf([0.0, -800.0, 800.0, -40.0])
    y = x.softplus()
    # softplus(0) = log 2, softplus'(0) = sigmoid(0) = 1/2; softplus(-800) = log(1 + e**-800),
    # which is e**-800 = 0 in float64; softplus(800) = 800 + log(1 + e**-800) = 800;
    # softplus(-40) = log1p(e**-40) = 4.2e-18, kept (1 + 4.2e-18 would round to 1).
    np.testing.assert_allclose(y.data, [math.log(2.0), 0.0, 800.0, math.exp(-40.0)])
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [0.5, 0.0, 1.0, math.exp(-40.0)], atol=0.0, rtol=1e-12)


def test_abs_derivative_is_the_sign_and_zero_at_zero():
    x = leaf([-2.0, 0.0, 3.0])
    y = abs(x)
    np.testing.assert_array_equal(y.data, [2.0, 0.0, 3.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [-1.0, 0.0, 1.0])  # abs'(0) = 0, as in PyTorch


def test_relu_derivative_is_zero_at_zero():
    x = leaf([-1.0, 0.0, 2.0])
    y = x.relu()
    np.testing.assert_array_equal(y.data, [0.0, 0.0, 2.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])  # relu'(0) = 0, as in PyTorch


def test_leaky_relu_slope_below_zero():
    x = leaf([-1.0, 0.0, 2.0])
    y = x.leaky_relu(0.1)
    np.testing.assert_allclose(y.data, [-0.1, 0.0, 2.0])
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [0.1, 0.1, 1.0])


def test_softmax_of_equal_logits_and_its_gradient():
    x = leaf([0.0, 0.0])
    s = x.softmax()
    np.testing.assert_array_equal(s.data, [0.5, 0.5])
    s.backward(np.array([1.0, 0.0]))
    # VJP s * (g - sum(g * s)) = [0.5 (1 - 0.5), 0.5 (0 - 0.5)] = [0.25, -0.25]
    np.testing.assert_array_equal(x.grad, [0.25, -0.25])


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    # Slides (001): for L = -log softmax(z)[target], dL/dz = yhat - y
    z = leaf([1.0, 2.0, 3.0])
    loss = -z.log_softmax()[2]
    loss.backward()
    e = np.exp([1.0, 2.0, 3.0])
    softmax = e / e.sum()  # [0.0900, 0.2447, 0.6652]
    np.testing.assert_allclose(z.grad, softmax - [0.0, 0.0, 1.0])
    assert loss.item() == pytest.approx(-math.log(softmax[2]))


def test_log_softmax_is_finite_for_logits_far_apart():
    z = leaf([[1000.0, 0.0], [-1000.0, -1000.0]])
    out = z.log_softmax(axis=1)
    np.testing.assert_allclose(out.data, [[0.0, -1000.0], [-math.log(2.0), -math.log(2.0)]])
    out.sum().backward()
    assert np.all(np.isfinite(z.grad))
    s = z.softmax(axis=1)
    np.testing.assert_allclose(s.data, [[1.0, 0.0], [0.5, 0.5]])


def test_log_softmax_with_infinite_logits_follows_the_scalar_engine():
    # Value: lse = inf for [inf, 0], so log_softmax = [inf - inf, 0 - inf] = [nan, -inf]
    out = Tensor([np.inf, 0.0]).log_softmax()
    assert np.isnan(out.data[0]) and out.data[1] == -np.inf


def test_softmax_over_axis_zero():
    x = leaf([[0.0, 1.0], [0.0, 1.0]])
    s = x.softmax(axis=0)
    np.testing.assert_array_equal(s.data, np.full((2, 2), 0.5))


# ----------------------------------------------------------------- small conveniences


def test_detach_numpy_item():
    x = leaf([[2.5]])
    y = (x * 2.0).detach()
    assert y.requires_grad is False and y.parents == () and y.op == ""
    assert x.item() == 2.5 and float(x) == 2.5
    assert x.numpy() is x.data
    with pytest.raises(ValueError, match=r"\(2,\)"):
        leaf([1.0, 2.0]).item()


def test_shape_ndim_dtype_and_T():
    x = Tensor(np.zeros((2, 3)))
    assert (x.shape, x.ndim, x.dtype, x.T.shape, len(x)) == ((2, 3), 2, np.float64, (3, 2), 2)
