"""The fast paths of the Tensor training step, held to the slower code they stand in for.

- Linear + ReLU/Tanh/Sigmoid as one node (``autograd.tensor.linear(..., activation)``, and
  ``nn.Sequential``, which fuses by default): the same numbers and gradients as the two
  nodes, bit for bit, including relu's conventions at 0, at nan and under an inf upstream.
- ``dmath.where`` from ``_SELECT_BITWISE`` elements on, a select by the bits
  (``dmath._select``): np.where's answer bit for bit (inf and nan kept or dropped, +0.0
  where dropped, a kept -0.0 still -0.0), for every float width.
- Cross-entropy's saved softmax: (softmax - onehot) / N, used only for the logits it was
  computed from; non-finite and huge logits as before; the target checks.
- The Tensor backward in tick order (a heap instead of a topological sort): the gradients
  of ``backward_steps`` (still sorted) and of PyTorch on random DAGs, each node after all its
  consumers, leaf roots, ``autograd.grad``, and stale graphs still refused.
- ``ieee.quiet`` / ``quietly``: no RuntimeWarnings inside, NumPy's error state restored
  after (also on an exception), nesting, and one thread's block never silences another.
- ``topological_order`` pausing the cycle collector on big graphs: the collector's state is
  restored, and a 100,000-node chain needs no recursion.
"""

from __future__ import annotations

import copy
import gc
import re
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd
import nn
from autograd import Tensor, Value, dmath, gradcheck, gradgradcheck, ieee, topological_order
from autograd.tensor import cross_entropy, linear, where

ACTIVATIONS = ["relu", "tanh", "sigmoid"]
MODULES = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
EXAMPLES = 30


def leaf(values, dtype=np.float64, label=""):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True, label=label)


def ops_of(root):
    """The ops of root's graph, every node after its operands (leaves left out)."""
    return [n.op for n in topological_order(root) if n.op]


def assert_same_array(received, expected):
    """Equal values (nan equal to nan), shapes and dtypes."""
    assert received.dtype == expected.dtype, (received.dtype, expected.dtype)
    np.testing.assert_array_equal(received, expected, strict=True)


# ============================================================================ fused linear


def linear_and_grads(arrays, upstream, activation, fused, bias=True, x_grad=True):
    """y = activation(x @ w.T + b), fused or as two nodes, and the gradients of x, w, b."""
    x, w, b = (Tensor(a.copy(), requires_grad=True) for a in arrays)
    x.requires_grad = x_grad
    b = b if bias else None
    if fused:
        y = linear(x, w, b, activation)
    else:
        y = getattr(linear(x, w, b), activation)()
    y.backward(upstream)
    return y, [x.grad, w.grad, None if b is None else b.grad]


@settings(max_examples=60)
@given(
    activation=st.sampled_from(ACTIVATIONS),
    lead=hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=4),  # 1-D to 3-D x
    nin=st.integers(1, 5),
    nout=st.integers(1, 5),
    bias=st.booleans(),
    x_grad=st.booleans(),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**32 - 1),
)
def test_fused_linear_equals_linear_then_the_activation_bit_for_bit(
    activation, lead, nin, nout, bias, x_grad, dtype, seed
):
    rng = np.random.default_rng(seed)
    shapes = (lead + (nin,), (nout, nin), (nout,))
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    upstream = rng.standard_normal(lead + (nout,)).astype(dtype)
    fused, fused_grads = linear_and_grads(arrays, upstream, activation, True, bias, x_grad)
    apart, apart_grads = linear_and_grads(arrays, upstream, activation, False, bias, x_grad)

    assert fused.op == f"linear+{activation}"
    assert (apart.op, apart.parents[0].op) == (activation, "linear")
    assert len(topological_order(fused)) == len(topological_order(apart)) - 1  # one node fewer
    assert_same_array(fused.data, apart.data)
    assert fused.data.shape == lead + (nout,) and fused.data.dtype == dtype
    for received, expected in zip(fused_grads, apart_grads, strict=True):
        if expected is None:
            assert received is None  # no bias, or an x that needs no gradient
        else:
            assert_same_array(received, expected)


@pytest.mark.parametrize("activation", [None, "relu"])
@pytest.mark.parametrize("mixed", ["x", "w", "b"])
def test_linear_with_mixed_dtypes_gives_each_operand_a_gradient_of_its_own_dtype(activation, mixed):
    # linear is an exact op: its VJP, not the backward, must give each gradient in its
    # operand's dtype. One float32 operand among float64 ones gets a float32 gradient (cast
    # back), the others float64; the values are the textbook G @ W, G.T @ X, sum of G.
    rng = np.random.default_rng(0)
    arrays = {"x": rng.standard_normal((5, 3)), "w": rng.standard_normal((2, 3)),
              "b": rng.standard_normal(2)}  # fmt: skip
    arrays[mixed] = arrays[mixed].astype(np.float32)
    x, w, b = (Tensor(arrays[k], requires_grad=True) for k in "xwb")
    linear(x, w, b, activation).sum().backward()
    for k, t in zip("xwb", (x, w, b), strict=True):
        assert t.grad.dtype == arrays[k].dtype and t.grad.shape == arrays[k].shape, k
    z = arrays["x"].astype(np.float64) @ arrays["w"].T + arrays["b"]
    g = np.ones_like(z) if activation is None else (z > 0).astype(float)
    np.testing.assert_allclose(x.grad, g @ arrays["w"], rtol=1e-6)
    np.testing.assert_allclose(w.grad, g.T @ arrays["x"], rtol=1e-6)
    np.testing.assert_allclose(b.grad, g.sum(0), rtol=1e-6)


@pytest.mark.parametrize("which", ["weight", "bias"])
@pytest.mark.parametrize("bad", [np.ones((2, 2)), [[1.0, 2.0], [3.0, 4.0]], Value(1.0)])
def test_linear_refuses_a_weight_or_bias_that_is_not_a_tensor(which, bad):
    x, w, b = leaf([[1.0, 2.0]]), leaf([[3.0, 4.0], [-1.0, 0.5]]), leaf([0.5, -3.0])
    args = {"weight": w, "bias": b, which: bad}
    with pytest.raises(TypeError, match=r"linear\(\) takes its weight and bias as Tensors"):
        linear(x, args["weight"], args["bias"], "relu")


def test_linear_without_an_activation_is_the_plain_linear_node():
    x, w, b = leaf([[1.0, 2.0]]), leaf([[3.0, 4.0], [-1.0, 0.5]]), leaf([0.5, -3.0])
    y = linear(x, w, b, None)
    assert y.op == "linear"
    # [1*3 + 2*4 + 0.5, 1*(-1) + 2*0.5 - 3] = [11.5, -3]: no relu was applied
    np.testing.assert_array_equal(y.data, [[11.5, -3.0]])


def test_a_linear_layer_applies_its_activation_in_its_own_node():
    layer = nn.Linear(3, 2, seed=0)
    x = np.random.default_rng(0).standard_normal((4, 3))
    y = layer(x, activation="tanh")
    assert y.op == "linear+tanh" and y.parents[1] is layer.weight
    np.testing.assert_array_equal(y.data, layer(x).tanh().data)


@pytest.mark.parametrize("bad", ["gelu", "ReLU", "", "leaky_relu", nn.ReLU(), 1])
def test_a_bad_activation_name_raises_a_value_error_naming_the_valid_ones(bad):
    x, w = leaf([[1.0, 2.0]]), leaf([[3.0, 4.0]])
    valid = re.escape("['relu', 'sigmoid', 'tanh']")
    with pytest.raises(ValueError, match=rf"activation must be one of {valid} or None, got"):
        linear(x, w, None, bad)


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradcheck_and_gradgradcheck_pass_on_the_fused_op(activation, bias):
    rng = np.random.default_rng(3)
    x = leaf(rng.standard_normal((3, 4)), label="x")
    w = leaf(rng.standard_normal((2, 4)), label="w")
    b = leaf(rng.standard_normal(2), label="b")
    inputs = [x, w, b] if bias else [x, w]
    # every pre-activation is far from relu's kink at 0, where no derivative exists
    assert np.abs(x.data @ w.data.T + (b.data if bias else 0.0)).min() > 1e-2
    weights = Tensor(rng.standard_normal((3, 2)))  # each output weighs differently

    def f(*xs):
        return (linear(*xs, activation=activation) * weights).sum()

    def g(*xs):
        return (linear(*xs, activation=activation) ** 2 * weights).sum()

    assert ops_of(f(*inputs))[0] == f"linear+{activation}"
    result = gradcheck(f, inputs)
    assert result, str(result)
    result = gradgradcheck(g, inputs)
    assert result, str(result)


def test_fused_relu_at_zero_at_nan_and_under_an_inf_upstream_follows_the_unfused_relu():
    # w rows [1, 1], [2, 1], [1, 3]; no bias.
    # row 0: x = [1, -1]  -> pre-activation [0, 1, -2]: exactly 0, positive, negative
    # row 1: x = [nan, 1] -> pre-activation [nan, nan, nan]
    arrays = [
        np.array([[1.0, -1.0], [np.nan, 1.0]]),
        np.array([[1.0, 1.0], [2.0, 1.0], [1.0, 3.0]]),
        np.zeros(3),
    ]
    upstream = np.array([[np.inf, np.inf, np.inf], [1.0, 2.0, 3.0]])
    fused, (dx, dw, db) = linear_and_grads(arrays, upstream, "relu", fused=True)
    apart, apart_grads = linear_and_grads(arrays, upstream, "relu", fused=False)

    # relu passes g where the output is > 0 or nan, else 0 (relu'(0) = 0), never 0 * inf:
    #   g_pre = [[0, inf, 0], [1, 2, 3]]
    # db = column sums of g_pre = [0 + 1, inf + 2, 0 + 3]
    np.testing.assert_array_equal(db, [1.0, np.inf, 3.0])
    # dx = g_pre @ w: row 0 = [2 inf, inf] (no nan from 0 * anything), row 1 = [8, 12]:
    # the nan row got the upstream gradient through, as PyTorch's relu passes it at nan
    np.testing.assert_array_equal(dx, [[np.inf, np.inf], [8.0, 12.0]])
    np.testing.assert_array_equal(fused.data, [[0.0, 1.0, 0.0], [np.nan] * 3])
    assert_same_array(fused.data, apart.data)
    for received, expected in zip([dx, dw, db], apart_grads, strict=True):
        assert_same_array(received, expected)


# ============================================================================ nn.Sequential


def mixed_model(fuse, dtype=np.float64):
    return nn.Sequential(
        nn.Linear(4, 8, seed=0, dtype=dtype),
        nn.ReLU(),
        nn.Linear(8, 8, seed=1, dtype=dtype),
        nn.Tanh(),
        nn.Linear(8, 6, seed=2, dtype=dtype),
        nn.Sigmoid(),
        nn.Linear(6, 6, seed=3, dtype=dtype),
        nn.LeakyReLU(0.1),
        nn.Linear(6, 3, seed=4, dtype=dtype),
        fuse=fuse,
    )


def test_sequential_fuses_a_linear_with_the_relu_tanh_or_sigmoid_after_it():
    x = np.random.default_rng(0).standard_normal((5, 4))
    # a LeakyReLU is not fusable, and the last Linear has no activation after it
    assert ops_of(mixed_model(fuse=True)(x)) == [
        "linear+relu",
        "linear+tanh",
        "linear+sigmoid",
        "linear",
        "leaky_relu",
        "linear",
    ]
    assert ops_of(mixed_model(fuse=False)(x)) == [
        "linear",
        "relu",
        "linear",
        "tanh",
        "linear",
        "sigmoid",
        "linear",
        "leaky_relu",
        "linear",
    ]


def test_an_activation_before_a_linear_or_two_linears_in_a_row_are_not_fused():
    x = leaf(np.random.default_rng(0).standard_normal((5, 2)))
    model = nn.Sequential(nn.ReLU(), nn.Linear(2, 3, seed=0), nn.Linear(3, 2, seed=1), nn.Tanh())
    assert ops_of(model(x)) == ["relu", "linear", "linear+tanh"]


@pytest.mark.parametrize("fuse", ["yes", 1, None, "False"])
def test_fuse_must_be_true_or_false(fuse):
    with pytest.raises(TypeError, match="Sequential: fuse must be True or False"):
        nn.Sequential(nn.Linear(2, 2), nn.ReLU(), fuse=fuse)


def test_a_numpy_bool_is_a_valid_fuse():
    x = np.ones((1, 2))
    assert ops_of(nn.Sequential(nn.Linear(2, 2), nn.ReLU(), fuse=np.bool_(False))(x)) == [
        "linear",
        "relu",
    ]


@settings(max_examples=EXAMPLES)
@given(
    widths=st.lists(st.integers(1, 6), min_size=1, max_size=3),
    activations=st.lists(st.sampled_from(["relu", "tanh", "sigmoid", "leaky"]), min_size=3),
    nin=st.integers(1, 5),
    classes=st.integers(2, 5),
    n=st.integers(1, 8),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**32 - 1),
)
def test_fused_and_unfused_sequentials_agree_on_outputs_losses_and_gradients(
    widths, activations, nin, classes, n, dtype, seed
):
    def build(fuse):
        modules, sizes = [], [nin, *widths]
        for i, (a, b) in enumerate(zip(sizes, sizes[1:], strict=False)):
            modules.append(nn.Linear(a, b, seed=seed + i, dtype=dtype))
            act = activations[i]
            modules.append(nn.LeakyReLU(0.2) if act == "leaky" else MODULES[act]())
        modules.append(nn.Linear(sizes[-1], classes, seed=seed + 99, dtype=dtype))
        return nn.Sequential(*modules, fuse=fuse)

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, nin)).astype(dtype)
    y = rng.integers(0, classes, n)
    results = []
    for fuse in (True, False):
        model = build(fuse)
        out = model(Tensor(X))
        loss = nn.cross_entropy(out, y)
        loss.backward()
        named = [(name, p.label, p.data, p.grad) for name, p in model.named_parameters()]
        results.append((out, loss, named))
    (fused, fused_loss, fused_params), (apart, apart_loss, apart_params) = results

    assert len(topological_order(fused)) < len(topological_order(apart)) or all(
        a == "leaky" for a in activations[: len(widths)]
    )
    assert_same_array(fused.data, apart.data)
    assert_same_array(fused_loss.data, apart_loss.data)
    for (name, label, data, grad), (name2, label2, data2, grad2) in zip(
        fused_params, apart_params, strict=True
    ):
        assert name == name2 == label == label2  # "0.weight", "0.bias", "2.weight", ...
        assert_same_array(data, data2)
        assert_same_array(grad, grad2)


def test_parameter_names_and_labels_are_unchanged_by_fusing():
    for fuse in (True, False):
        model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), fuse=fuse)
        names = [name for name, _ in model.named_parameters()]
        assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
        assert [p.label for p in model.parameters()] == names


def test_a_fused_sequential_round_trips_through_save_and_load(tmp_path):
    X = np.random.default_rng(1).standard_normal((7, 4))
    saved = mixed_model(fuse=True)
    path = nn.save(saved, tmp_path / "fused.safetensors")
    for fuse in (True, False):  # fusing is how a model runs, not what its weights mean
        model = nn.Sequential(
            *[nn.Linear(m.nin, m.nout, seed=50) if isinstance(m, nn.Linear) else m for m in saved],
            fuse=fuse,
        )
        before = model(X)  # recorded with the old weights
        assert not np.array_equal(before.data, saved(X).data)
        nn.load(model, path)
        assert_same_array(model(X).data, saved(X).data)
        with pytest.raises(RuntimeError, match="modified in place"):
            before.sum().backward()  # a fused node's weights changed under it, too


# ============================================================================ dmath.where

BIG = dmath._SELECT_BITWISE  # the smallest size that takes the bitwise path


@contextmanager
def counting_selects() -> Iterator[list[tuple[int, ...]]]:
    """dmath._select, recording the shape of each mask it is called with."""
    calls: list[tuple[int, ...]] = []
    real = dmath._select

    def spy(mask, a, keep):
        calls.append(mask.shape)
        return real(mask, a, keep)

    dmath._select = spy
    try:
        yield calls
    finally:
        dmath._select = real


def test_where_takes_the_bitwise_path_only_from_the_threshold_on():
    rng = np.random.default_rng(0)
    for size, products in ((BIG - 1, 0), (BIG, 2)):
        mask, a = rng.random(size) < 0.5, rng.standard_normal(size)
        with counting_selects() as calls:
            assert_same_array(dmath.where(mask, a, 0.0), np.where(mask, a, 0.0))
            assert_same_array(dmath.where(mask, 0.0, a), np.where(mask, 0.0, a))
        assert len(calls) == products


@settings(max_examples=EXAMPLES)
@given(
    size=st.integers(BIG, BIG + 3000),
    density=st.floats(0.0, 1.0),
    dtype=st.sampled_from([np.float16, np.float32, np.float64]),
    zero_first=st.booleans(),
    # inf and nan, -0.0 (kept as -0.0, dropped as +0.0), and a large finite value
    specials=st.lists(st.sampled_from([np.inf, -np.inf, np.nan, -0.0, 6e4]), max_size=6),
    seed=st.integers(0, 2**32 - 1),
)
def test_the_bitwise_path_gives_np_where_exactly(size, density, dtype, zero_first, specials, seed):
    rng = np.random.default_rng(seed)
    mask = rng.random(size) < density
    a = rng.standard_normal(size).astype(dtype)
    a[rng.integers(0, size, len(specials))] = np.array(specials, dtype=dtype)  # in or out
    with counting_selects() as calls:
        if zero_first:
            received, expected = dmath.where(mask, 0.0, a), np.where(mask, 0.0, a)
        else:
            received, expected = dmath.where(mask, a, 0.0), np.where(mask, a, 0.0)
    assert calls == [(size,)]
    assert_same_array(received, expected)  # float32 stays float32
    assert np.array_equal(np.signbit(received), np.signbit(expected))  # -0.0 and +0.0 too


def test_the_bitwise_path_reads_views_and_leaves_what_it_cannot_do_to_np_where():
    rng = np.random.default_rng(1)
    base = rng.standard_normal((BIG, 3))
    a, mask = base[:, 1], rng.random(BIG) < 0.5  # a strided view: read in place, not copied
    with counting_selects() as calls:
        assert_same_array(dmath.where(mask, a, 0.0), np.where(mask, a, 0.0))
        # -0.0 for the dropped entries, an int array, long double (no int as wide), a
        # byte-swapped array, a mask to broadcast: each np.where's own, exactly
        np.testing.assert_array_equal(np.signbit(dmath.where(mask, a, -0.0)), ~mask | (a < 0))
        for other in (np.arange(BIG), a.astype(np.longdouble), a.astype(">f8")):
            assert_same_array(dmath.where(mask, other, 0.0), np.where(mask, other, 0.0))
        wide = rng.standard_normal((2, BIG))
        assert_same_array(dmath.where(mask, wide, 0.0), np.where(mask, wide, 0.0))
    assert len(calls) == 5  # all but -0.0 reach _select, which hands four on to np.where


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inf_and_nan_outside_the_mask_give_0_and_inside_pass_through(dtype):
    mask = np.ones(BIG, dtype=bool)
    mask[[0, 1, 4]] = False
    a = np.ones(BIG, dtype=dtype)
    a[:5] = [np.inf, np.nan, np.inf, np.nan, -np.inf]  # out, out, in, in, out
    with counting_selects() as calls:
        picked = dmath.where(mask, a, 0.0)  # select: 0 where the mask is off, 0 * inf is not
        dropped = dmath.where(~mask, 0.0, a)  # the same, the other way round
    assert len(calls) == 2
    for result in (picked, dropped):
        assert result.dtype == dtype
        np.testing.assert_array_equal(result[:5], [0.0, 0.0, np.inf, np.nan, 0.0])
        np.testing.assert_array_equal(result[5:], 1.0)


def test_a_mask_that_broadcasts_still_gives_np_where():
    rng = np.random.default_rng(1)
    wide = rng.random((1, BIG)) < 0.5  # broadcast over a's two rows
    a = rng.standard_normal((2, BIG))
    a[0, :3] = np.inf
    assert_same_array(dmath.where(wide, a, 0.0), np.where(wide, a, 0.0))
    assert_same_array(dmath.where(wide, 0.0, a), np.where(wide, 0.0, a))
    tall = rng.random((BIG, 2)) < 0.5  # a (2,) broadcast over the mask's rows
    b = np.array([np.nan, -2.5], dtype=np.float32)
    assert_same_array(dmath.where(tall, b, 0.0), np.where(tall, b, 0.0))
    assert_same_array(dmath.where(tall, 0.0, b), np.where(tall, 0.0, b))


def test_relu_backward_on_200_by_200_under_an_inf_upstream_gives_0_where_x_le_0():
    rng = np.random.default_rng(2)
    data = rng.standard_normal((200, 200))
    data[0, :50] = 0.0  # relu'(0) = 0
    x = leaf(data)
    upstream = np.full((200, 200), np.inf)
    upstream[1, :50] = np.nan  # nan too passes only where x > 0
    with counting_selects() as calls:
        x.relu().backward(upstream)
    assert calls == [(200, 200)]
    assert_same_array(x.grad, np.where(data > 0.0, upstream, 0.0))
    assert not np.isnan(x.grad[data <= 0.0]).any()


def test_a_big_tensor_where_sends_an_inf_gradient_only_its_own_way():
    rng = np.random.default_rng(3)
    cond = rng.random((150, 150)) < 0.3
    a, b = leaf(rng.standard_normal((150, 150))), leaf(rng.standard_normal((150, 150)))
    where(cond, a, b).backward(np.full((150, 150), -np.inf))
    np.testing.assert_array_equal(a.grad, np.where(cond, -np.inf, 0.0))
    np.testing.assert_array_equal(b.grad, np.where(cond, 0.0, -np.inf))


def test_the_bitwise_path_warns_no_more_than_np_where():
    mask = np.zeros(BIG, dtype=bool)
    mask[::2] = True
    a = np.full(BIG, np.inf)
    a[1::4] = -np.nan  # no arithmetic on the values: nothing to warn about
    with warnings.catch_warnings(), np.errstate(all="warn"):
        warnings.simplefilter("error")
        with counting_selects() as calls:
            assert_same_array(dmath.where(mask, a, 0.0), np.where(mask, a, 0.0))
            assert_same_array(dmath.where(mask, 0.0, a), np.where(mask, 0.0, a))
    assert len(calls) == 2


@pytest.mark.parametrize("dtype", [np.int64, np.uint8, np.float64])
def test_a_non_boolean_mask_gives_np_where(dtype):
    rng = np.random.default_rng(4)
    mask = rng.integers(0, 3, BIG).astype(dtype)  # 0, 1 or 2: nonzero counts as True
    a = rng.standard_normal(BIG)
    assert_same_array(dmath.where(mask, a, 0.0), np.where(mask, a, 0.0))
    assert_same_array(dmath.where(mask, 0.0, a), np.where(mask, 0.0, a))


# ============================================================================ cross-entropy


def by_hand(z, t):
    """The loss and its gradient (softmax(z) - onehot(t)) / N, written out in NumPy."""
    n, c = z.shape
    m = z.max(axis=1, keepdims=True)
    e = np.exp(z - m)
    lse = np.log(e.sum(axis=1)) + m[:, 0]
    loss = np.mean(lse - z[np.arange(n), t])
    return loss, (e / e.sum(axis=1, keepdims=True) - np.eye(c)[t]) / n


def composed(z, t):
    """The four-node cross-entropy the fused op replaced: -mean(log_softmax(z)[rows, t])."""
    return -(z.log_softmax(axis=1)[np.arange(len(t)), np.asarray(t)]).mean()


@settings(max_examples=EXAMPLES)
@given(
    n=st.integers(1, 8),
    c=st.integers(1, 7),
    scale=st.sampled_from([1.0, 10.0, 300.0]),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**32 - 1),
)
def test_the_gradient_is_softmax_minus_onehot_over_n(n, c, scale, dtype, seed):
    rng = np.random.default_rng(seed)
    z0 = (rng.standard_normal((n, c)) * scale).astype(dtype)
    t = rng.integers(0, c, n)
    z = Tensor(z0, requires_grad=True)
    loss = nn.cross_entropy(z, t)
    loss.backward()
    assert loss.op == "cross_entropy" and loss.data.dtype == z.grad.dtype == dtype
    expected_loss, expected_grad = by_hand(z0.astype(np.float64), t)
    if dtype == np.float64:
        tol = {"rtol": 1e-12, "atol": 1e-13 * scale}
    else:  # float32 rounds the shifted logits to about 6e-8 of their size
        tol = {"rtol": 1e-5, "atol": 2e-6 * scale}
    np.testing.assert_allclose(loss.data, expected_loss, **tol)
    np.testing.assert_allclose(z.grad, expected_grad, **tol)


def test_one_sample_of_c_logits_takes_a_gradient_of_shape_c():
    z = leaf([1.0, 2.0, 3.0])
    nn.cross_entropy(z, 2).backward()
    _, expected = by_hand(z.data.reshape(1, 3), np.array([2]))
    np.testing.assert_allclose(z.grad, expected[0], rtol=1e-14)


def test_backward_twice_doubles_the_gradient_exactly():
    rng = np.random.default_rng(5)
    layer = nn.Linear(4, 5, seed=0)
    x, t = rng.standard_normal((6, 4)), rng.integers(0, 5, 6)
    logits = leaf(rng.standard_normal((6, 5)))
    on_a_leaf = (nn.cross_entropy(logits, t), logits)
    after_a_layer = (nn.cross_entropy(layer(x), t), layer.weight)
    for loss, param in (on_a_leaf, after_a_layer):
        loss.backward()
        once = param.grad.copy()
        loss.backward()  # the saved softmax is read again, never overwritten
        np.testing.assert_array_equal(param.grad, 2.0 * once)


@pytest.mark.parametrize("shape", [(3, 4), (10, 8)], ids=["elementwise", "directions"])
def test_gradcheck_and_gradgradcheck_pass_on_cross_entropy(shape):
    rng = np.random.default_rng(6)
    z = leaf(rng.standard_normal(shape) * 2.0, label="z")
    t = rng.integers(0, shape[1], shape[0])
    result = gradcheck(lambda z: nn.cross_entropy(z, t), [z])
    assert result, str(result)
    result = gradgradcheck(lambda z: nn.cross_entropy(z, t), [z])
    assert result, str(result)


def test_the_vjp_asked_about_other_logits_uses_their_softmax_not_the_saved_one():
    rng = np.random.default_rng(7)
    z = leaf(rng.standard_normal((4, 3)))
    t = np.array([0, 2, 1, 2])
    loss = cross_entropy(z, t)
    target = loss._op.params["target"]
    assert target.saved is not None and target.saved[0] is z.data  # saved for these logits
    one = np.array(1.0)
    other = rng.standard_normal((4, 3)) * 3.0  # another array, as gradcheck's rule checks pass
    (d_other,) = loss._op.vjp(one, other, loss.data)
    np.testing.assert_allclose(d_other, by_hand(other, t)[1], rtol=1e-13, atol=1e-16)
    assert not np.allclose(d_other, by_hand(z.data, t)[1])
    # an equal copy is another array: computed afresh, the same numbers as the saved path
    (d_copy,) = loss._op.vjp(one, z.data.copy(), loss.data)
    (d_saved,) = loss._op.vjp(one, z.data, loss.data)
    np.testing.assert_allclose(d_copy, d_saved, rtol=1e-14, atol=1e-17)
    np.testing.assert_allclose(d_saved, by_hand(z.data, t)[1], rtol=1e-13, atol=1e-16)


INF = np.inf
EDGE_LOGITS = {
    "+inf at the target": ([[INF, 1.0, 2.0], [0.0, 1.0, 2.0]], [0, 1]),
    "+inf elsewhere": ([[INF, 1.0, 2.0], [0.0, 1.0, 2.0]], [1, 1]),
    "two +inf": ([[INF, INF, 2.0], [0.0, 1.0, 2.0]], [0, 2]),
    "-inf elsewhere": ([[-INF, 1.0, 2.0], [0.0, 1.0, 2.0]], [1, 2]),
    "-inf at the target": ([[-INF, 1.0, 2.0], [0.0, 1.0, 2.0]], [0, 2]),
    "all -inf": ([[-INF, -INF, -INF], [0.0, 1.0, 2.0]], [0, 2]),
    "nan": ([[np.nan, 1.0, 2.0], [0.0, 1.0, 2.0]], [1, 2]),
    "1e300": ([[1e300, -1e300, 0.0], [1e300, 1e300, 1e300]], [1, 0]),
    "1e308": ([[1e308, -1e308, 0.0], [-1e308, -1e308, 5.0]], [0, 2]),
}


@pytest.mark.parametrize("case", list(EDGE_LOGITS))
def test_non_finite_and_huge_logits_give_the_composed_loss_and_gradient(case):
    values, t = EDGE_LOGITS[case]
    fused_z, composed_z = leaf(values), leaf(values)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # IEEE inf and nan, never a RuntimeWarning
        fused = nn.cross_entropy(fused_z, np.array(t))
        fused.backward()
        reference = composed(composed_z, t)
        reference.backward()
    assert fused.op == "cross_entropy" and reference.op == "neg"
    np.testing.assert_allclose(fused.data, reference.data, rtol=1e-14, equal_nan=True)
    np.testing.assert_allclose(fused_z.grad, composed_z.grad, rtol=1e-14, equal_nan=True)
    # the second row is finite: the first row's infinities leave its gradient alone
    _, row = by_hand(np.array([values[1]]), np.array(t[1:]))
    np.testing.assert_allclose(fused_z.grad[1], row[0] / 2, rtol=1e-14)


@pytest.mark.parametrize("case", [k for k in EDGE_LOGITS if "+inf" not in k and k != "nan"])
def test_minus_inf_and_huge_logits_agree_with_pytorch(case):
    torch = pytest.importorskip("torch")
    values, t = EDGE_LOGITS[case]
    z = leaf(values)
    loss = nn.cross_entropy(z, np.array(t))
    loss.backward()
    tz = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    tloss = torch.nn.functional.cross_entropy(tz, torch.tensor(t))
    tloss.backward()
    np.testing.assert_allclose(loss.data, tloss.item(), rtol=1e-14, equal_nan=True)
    np.testing.assert_allclose(z.grad, tz.grad.numpy(), rtol=1e-14, atol=1e-17, equal_nan=True)


def test_inf_logits_give_what_the_rules_say_by_hand():
    # row [inf, 1, 2], target 1: logsumexp = inf, minus z_1 = 1: the loss is inf;
    # softmax = [inf, e, e**2] / inf = [nan, 0, 0], so the gradient is [nan, 0 - 1, 0] / 2
    z = leaf([[INF, 1.0, 2.0]] * 2)
    loss = nn.cross_entropy(z, np.array([1, 1]))
    loss.backward()
    assert loss.data == np.inf
    np.testing.assert_array_equal(z.grad, [[np.nan, -0.5, 0.0]] * 2)
    # row [-inf, 1, 2], target 0: -log_softmax = inf; softmax = [0, ...]: gradient [-1, ...] / 1
    z = leaf([[-INF, 1.0, 2.0]])
    loss = nn.cross_entropy(z, np.array([0]))
    loss.backward()
    assert loss.data == np.inf and z.grad[0, 0] == -1.0 and np.isfinite(z.grad).all()


SIGNED = [np.int8, np.int16, np.int32, np.int64]
TARGET_DTYPES = [*SIGNED, np.uint8]


@pytest.mark.parametrize("dtype", TARGET_DTYPES, ids=lambda d: np.dtype(d).name)
def test_nn_cross_entropy_accepts_every_class_and_refuses_bad_targets(dtype):
    z = leaf(np.random.default_rng(8).standard_normal((3, 4)))  # 3 samples, 4 classes
    good = np.array([0, 3, 1], dtype=dtype)  # both ends of 0 .. 3
    loss = nn.cross_entropy(z, good)
    np.testing.assert_allclose(loss.data, by_hand(z.data, good.astype(np.int64))[0], rtol=1e-14)

    too_big = np.array([0, 4, 1], dtype=dtype)
    with pytest.raises(ValueError, match=r"target 1 is class 4, but there are 4 classes \(0 to 3"):
        nn.cross_entropy(z, too_big)
    if dtype in SIGNED:
        negative = np.array([0, 1, -1], dtype=dtype)  # NumPy would read -1 as class 3
        with pytest.raises(ValueError, match="target 2 is class -1, but there are 4 classes"):
            nn.cross_entropy(z, negative)
    else:
        with pytest.raises(ValueError, match="target 2 is class 255, but there are 4 classes"):
            nn.cross_entropy(z, np.array([0, 1, 255], dtype=dtype))
    with pytest.raises(ValueError, match="3 samples but 2 targets"):
        nn.cross_entropy(z, np.array([0, 1], dtype=dtype))
    with pytest.raises(ValueError, match="3 samples but 4 targets"):
        nn.cross_entropy(z, np.array([0, 1, 2, 3], dtype=dtype))


@pytest.mark.parametrize("bad", [np.array([0.0, 1.0, 2.0]), np.array([True, False, True])])
def test_nn_cross_entropy_refuses_float_and_bool_targets(bad):
    z = leaf(np.zeros((3, 4)))
    expected = rf"targets must be class indices \(ints\), got {bad.dtype}"
    with pytest.raises(TypeError, match=expected):
        nn.cross_entropy(z, bad)


@pytest.mark.parametrize("order", ["C", "F", "transposed", "strided"])
def test_cross_entropy_picks_the_targets_whatever_the_logits_layout(order):
    # The targets are picked by their flat position (take and put, which read in C order
    # whatever the memory layout): a Fortran-ordered or strided logits array, as a
    # transposed product gives, must get the same loss and gradient as a C-ordered one.
    rng = np.random.default_rng(9)
    values = rng.standard_normal((5, 4))
    t = np.array([3, 0, 2, 2, 1])
    layouts = {
        "C": lambda v: v,
        "F": np.asfortranarray,
        "transposed": lambda v: np.ascontiguousarray(v.T).T,
        "strided": lambda v: np.repeat(v, 2, axis=1)[:, ::2],
    }
    laid_out = layouts[order](values.copy())
    assert np.array_equal(laid_out, values)
    z = Tensor(laid_out, requires_grad=True)
    loss = cross_entropy(z, t)
    loss.backward()
    expected_loss, expected_grad = by_hand(values, t)
    np.testing.assert_allclose(loss.data, expected_loss, rtol=1e-14)
    np.testing.assert_allclose(z.grad, expected_grad, rtol=1e-13, atol=1e-17)


def test_the_autograd_level_cross_entropy_checks_its_targets_too():
    # autograd.tensor.cross_entropy checks what nn.cross_entropy used to check for it:
    # NumPy would read -1 as the last class, and a class past C would be an IndexError.
    z = leaf(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"target 2 is class -1, but there are 4 classes"):
        cross_entropy(z, np.array([0, 1, -1]))
    with pytest.raises(ValueError, match=r"target 0 is class 9, but there are 4 classes"):
        cross_entropy(z, [9, 1, 2])
    with pytest.raises(ValueError, match="3 samples but 2 targets"):
        cross_entropy(z, np.array([0, 1]))
    with pytest.raises(TypeError, match="class indices"):
        cross_entropy(z, np.array([0.0, 1.0, 2.0]))
    # uint64 (which NumPy will not cast to intp safely) and a (3, 1) column are fine
    for target in (np.array([0, 3, 1], dtype=np.uint64), np.array([[0], [3], [1]])):
        loss = cross_entropy(z, target)
        assert loss.data == pytest.approx(np.log(4.0))
        assert loss._op.params["target"].indices.tolist() == [0, 3, 1]


@pytest.mark.parametrize("n", [5, 300])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint64", "uint8", ">i8"])
def test_targets_of_a_small_or_a_large_batch_are_checked_and_picked_alike(n, dtype):
    rng = np.random.default_rng(n)
    values = rng.standard_normal((n, 7))
    t = rng.integers(0, 7, size=n)
    t[0], t[-1] = 0, 6  # both ends of 0 .. 6
    z = Tensor(values, requires_grad=True)
    loss = cross_entropy(z, t.astype(dtype))
    loss.backward()
    expected_loss, expected_grad = by_hand(values, t)
    np.testing.assert_allclose(loss.data, expected_loss, rtol=1e-13)
    np.testing.assert_allclose(z.grad, expected_grad, rtol=1e-13, atol=1e-17)
    signed = np.dtype(dtype).kind == "i"
    for bad_class in (7, 200, -1) if signed else (7, 200):
        bad = t.astype(dtype)
        bad[-1] = bad_class
        expected = rf"target {n - 1} is class {bad_class}, but there are 7"
        with pytest.raises(ValueError, match=expected):
            cross_entropy(z, bad)


@pytest.mark.parametrize("dtype", [">i4", ">i8"])
def test_big_endian_class_indices_are_classes_too(dtype):
    z = leaf(np.zeros((3, 4)))
    loss = nn.cross_entropy(z, np.array([0, 1, 3], dtype=dtype))
    assert loss.data == pytest.approx(np.log(4.0))  # uniform logits: log C


# ============================================================================ tick order


def mean_of_row(a):
    if isinstance(a, Tensor):
        return a.mean(axis=1, keepdims=True)
    return a.mean(dim=1, keepdim=True)  # a torch tensor


# Ops that keep every value within [-1, 1] (so no DAG overflows), written once for both
# gradflow and PyTorch. "mean" makes a (2, 1) node that later ops broadcast against (2, 3).
DAG_OPS = {
    "add": (2, lambda a, b: (a + b) * 0.5),
    "sub": (2, lambda a, b: (a - b) * 0.5),
    "mul": (2, lambda a, b: a * b),
    "tanh": (1, lambda a: a.tanh()),
    "sin": (1, lambda a: a.sin()),
    "mean": (1, mean_of_row),
}


@st.composite
def dags(draw, ops=tuple(DAG_OPS)):
    """(leaves, steps, seed): each step an op and the indices of its operands among every
    node made so far, so a node may feed many consumers, made at any later time."""
    leaves = draw(st.integers(1, 3))
    steps = []
    for made in range(leaves, leaves + draw(st.integers(1, 12))):
        name = draw(st.sampled_from(ops))
        arity = DAG_OPS[name][0] if name in DAG_OPS else RECORDED_OPS[name][0]
        steps.append((name, tuple(draw(st.integers(0, made - 1)) for _ in range(arity))))
    return leaves, steps, draw(st.integers(0, 2**32 - 1))


def build(dag, make_leaf, ops=DAG_OPS):
    """Every node of the DAG and its root: the sum of each sink (a node nobody uses) times
    its own weight, so that every node reaches the root."""
    leaves, steps, seed = dag
    rng = np.random.default_rng(seed)
    nodes = [make_leaf(rng.uniform(-1.0, 1.0, (2, 3))) for _ in range(leaves)]
    for name, args in steps:
        nodes.append(ops[name][1](*[nodes[i] for i in args]))
    used = {i for _, args in steps for i in args}
    sinks = [node for i, node in enumerate(nodes) if i not in used]
    root = None
    for k, node in enumerate(sinks):
        term = (node * (0.5 + k)).sum()
        root = term if root is None else root + term
    return nodes, root


def gradflow_leaf(data):
    return Tensor(data, requires_grad=True)


@settings(max_examples=40)
@given(dags())
def test_backward_in_tick_order_equals_backward_steps_in_topological_order(dag):
    nodes, root = build(dag, gradflow_leaf)
    graph = topological_order(root)
    root.backward()
    by_ticks = {node: node.grad for node in graph}
    for node in graph:
        node.grad = None
    for _ in root.backward_steps():  # the old order: a topological sort, reversed
        pass
    for node in graph:
        if not node.requires_grad:  # the weights of the sum, constants
            assert by_ticks[node] is None and node.grad is None
            continue
        assert by_ticks[node] is not None and by_ticks[node].shape == node.shape
        np.testing.assert_allclose(by_ticks[node], node.grad, rtol=1e-13, atol=1e-15)
    # autograd.grad gives every node its gradient too, and leaves .grad alone
    by_steps = {node: node.grad for node in graph}
    found = autograd.grad(root, nodes)
    for node, g in zip(nodes, found, strict=True):
        np.testing.assert_allclose(g, by_ticks[node], rtol=1e-13, atol=1e-15)
    assert all(node.grad is by_steps[node] for node in graph)
    # each op node's tick is later than its operands' ticks
    for node in graph:
        for parent in node.parents:
            assert node._time > parent._time, (node.op, parent.op)


@settings(max_examples=30)
@given(dags())
def test_backward_in_tick_order_agrees_with_pytorch_on_random_dags(dag):
    torch = pytest.importorskip("torch")
    nodes, root = build(dag, gradflow_leaf)
    torch_nodes, torch_root = build(
        dag, lambda data: torch.tensor(data, dtype=torch.float64, requires_grad=True)
    )
    # NumPy's and PyTorch's tanh may differ in the last bit (1.1e-16 for a value near 1), and
    # the root adds up to a dozen such terms that may cancel: an absolute tolerance of 1e-13
    np.testing.assert_allclose(root.data, torch_root.detach().numpy(), rtol=1e-13, atol=1e-13)
    ours = autograd.grad(root, nodes)
    theirs = torch.autograd.grad(torch_root, torch_nodes, retain_graph=True)
    for g, tg in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(g, tg.numpy(), rtol=1e-12, atol=1e-14)
    leaves = [n for n in nodes if not n.op]
    root.backward()
    torch_root.backward()
    for x, tx in zip(leaves, [t for t in torch_nodes if t.is_leaf], strict=True):
        np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-14)


# Two ops that record, in each VJP call, which node they are the rule of (by its output).
vjp_calls: list[int] = []


def _record(out):
    vjp_calls.append(id(out))


@autograd.op(name="half", vjp=lambda g, a, out: (_record(out), g * 0.5)[1:])
def half(a):
    return a * 0.5


@autograd.op(name="times", vjp=lambda g, a, b, out: (_record(out), g * b, g * a)[1:])
def times(a, b):
    return a * b


RECORDED_OPS = {"half": (1, half), "times": (2, times)}


@settings(max_examples=40)
@given(dags(ops=tuple(RECORDED_OPS)))
def test_each_node_passes_its_gradient_on_once_and_after_all_its_consumers(dag):
    nodes, root = build(dag, gradflow_leaf, ops=RECORDED_OPS)
    vjp_calls.clear()
    root.backward()
    recorded = [n for n in nodes if n.op in RECORDED_OPS]
    turn = {id(n.data): i for i, n in enumerate(recorded)}
    order = [turn[i] for i in vjp_calls]
    assert sorted(order) == list(range(len(recorded)))  # each rule called once
    position = {node_index: k for k, node_index in enumerate(order)}
    for consumer in recorded:
        for operand in consumer.parents:
            if operand.op in RECORDED_OPS:  # the consumer's rule ran first
                assert position[turn[id(consumer.data)]] < position[turn[id(operand.data)]]


@pytest.mark.parametrize("branch_first", ["a", "b"])
def test_a_diamond_gets_both_branches_whichever_was_made_first(branch_first):
    x = leaf([3.0])
    if branch_first == "a":
        a = x * x
        b = x * 2.0
    else:
        b = x * 2.0
        a = x * x
    c = a * b  # c = 2 x**3, dc/dx = 6 x**2 = 54
    c.backward()
    np.testing.assert_array_equal(x.grad, [54.0])
    np.testing.assert_array_equal(a.grad, [6.0])  # dc/da = b = 6
    np.testing.assert_array_equal(b.grad, [9.0])  # dc/db = a = 9


def test_a_node_with_many_consumers_made_between_other_nodes():
    x = leaf([0.5, -1.0])
    y = x.exp()
    c1 = y * 2.0
    s = x.sin()  # made after y's first consumer, before its others
    c2 = s * y
    c3 = (y * y).tanh()
    out = (c1 + c2 + c3).sum()
    out.backward()
    ex, sx = np.exp(x.data), np.sin(x.data)
    # d/dx [2 e**x + sin(x) e**x + tanh(e**2x)]
    expected = 2 * ex + np.cos(x.data) * ex + sx * ex + (1 - np.tanh(ex**2) ** 2) * 2 * ex**2
    np.testing.assert_allclose(x.grad, expected, rtol=1e-14)
    np.testing.assert_allclose(y.grad, 2.0 + sx + (1 - np.tanh(ex**2) ** 2) * 2 * ex, rtol=1e-14)


def test_a_leaf_root_takes_the_seed_as_its_gradient():
    x = leaf([1.0, 2.0])
    seed = np.array([3.0, 4.0])
    x.backward(seed)
    seed[:] = 0.0  # the caller reuses its array: x.grad is a copy
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])
    x.backward(np.array([1.0, 1.0]))
    np.testing.assert_array_equal(x.grad, [4.0, 5.0])  # accumulated
    (g,) = autograd.grad(x, x, np.array([5.0, 6.0]))
    np.testing.assert_array_equal(g, [5.0, 6.0])
    scalar = leaf(2.0)
    scalar.backward()
    assert scalar.grad.shape == () and scalar.grad == 1.0
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).backward()


def test_autograd_grad_gives_leaf_and_intermediate_gradients_and_leaves_grad_alone():
    x = leaf([0.5, 2.0])
    y = x * x
    z = y.sin().sum()
    gx, gy, gz = autograd.grad(z, [x, y, z])
    np.testing.assert_allclose(gy, np.cos(y.data), rtol=1e-15)  # dz/dy = cos(y)
    np.testing.assert_allclose(gx, np.cos(y.data) * 2 * x.data, rtol=1e-15)  # times dy/dx = 2x
    assert gz == 1.0
    assert x.grad is None and y.grad is None and z.grad is None


def test_autograd_grad_agrees_with_pytorch_through_a_fused_layer():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    x0, w0, b0 = rng.standard_normal((5, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4)
    x, w, b = leaf(x0), leaf(w0), leaf(b0)
    h = linear(x, w, b, "tanh")
    loss = nn.cross_entropy(h * h + h, np.array([0, 3, 1, 2, 3]))
    ours = autograd.grad(loss, [x, w, b, h])
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x0, w0, b0))
    th = torch.tanh(tx @ tw.T + tb)
    tloss = torch.nn.functional.cross_entropy(th * th + th, torch.tensor([0, 3, 1, 2, 3]))
    theirs = torch.autograd.grad(tloss, [tx, tw, tb, th])
    for g, tg in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(g, tg.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("change", ["data", "bump_version"])
def test_a_leaf_changed_after_the_forward_still_makes_backward_raise(change):
    x, w = leaf([1.0, 2.0], label="x"), leaf([3.0, 4.0], label="w")
    hidden = (x * w).tanh()
    out = (hidden * x).sum()  # x is used early and late
    if change == "data":
        w.data = w.data + 1.0
    else:
        autograd.bump_version(w)
    with pytest.raises(RuntimeError, match=r"the leaf 'w' .* was modified in place"):
        out.backward()
    assert x.grad is None and w.grad is None  # no leaf got a partial gradient
    with pytest.raises(RuntimeError, match="modified in place"):
        autograd.grad(out, [x])
    fresh = ((x * w).tanh() * x).sum()  # a forward after the change is fine
    fresh.backward()
    assert x.grad is not None


def test_an_intermediate_changed_after_its_consumer_was_made_makes_backward_raise():
    x = leaf([1.0, 2.0])
    y = x * 2.0
    y.label = "y"
    z = (y * y).sum()
    y.data = np.array([0.0, 0.0])
    with pytest.raises(RuntimeError, match=r"'y' .* was modified in place"):
        z.backward()


def test_a_fused_layer_stepped_before_backward_raises():
    model = nn.Sequential(nn.Linear(2, 3, seed=0), nn.ReLU())  # one node: "linear+relu"
    loss = nn.cross_entropy(model(np.ones((4, 2))), np.array([0, 1, 2, 0]))
    assert ops_of(loss) == ["linear+relu", "cross_entropy"]
    for p in model.parameters():
        p.grad = np.ones_like(p.data)
    nn.optim.SGD(model.parameters(), lr=0.1).step()
    with pytest.raises(RuntimeError, match=r"'0.weight' .* was modified in place"):
        loss.backward()


def test_a_leaf_changed_before_the_forward_gets_a_tick_earlier_than_its_consumers():
    x = leaf([1.0])
    x.data = np.array([2.0])  # a tick of its own, later than the nodes made so far
    earlier = leaf([5.0]) * 3.0
    y = x * x
    assert y._time > x._time > 0 and y._time > earlier._time
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0])  # d(x**2)/dx = 2x at the new x = 2


@pytest.mark.parametrize("copier", [copy.copy, copy.deepcopy])
def test_a_node_and_its_copy_share_a_tick_and_both_backpropagate(copier):
    x = leaf([1.0, 2.0, 3.0])
    y = x * 2.0
    twin = copier(y)  # a copy shares x; a deep copy has a copy of x of its own
    assert twin._time == y._time and twin is not y
    # both wait on the heap with one tick: the tie must not compare the Tensors themselves
    # (Tensor < Tensor is an array, and heapq cannot order by it)
    (y + twin).sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0] * 3 if copier is copy.copy else [2.0] * 3)
    np.testing.assert_array_equal(y.grad, [1.0] * 3)
    np.testing.assert_array_equal(twin.grad, [1.0] * 3)


# ============================================================================ ieee.quiet


def overflow_and_nans():
    """Overflow (1e308 * 10), inf - inf, 0 / 0 and 1 / 0: each warns outside quiet()."""
    big, inf, zero = np.array([1e308]), np.array([np.inf]), np.array([0.0])
    return [big * 10.0, inf - inf, zero / zero, np.array([1.0]) / zero]


IGNORE_ALL = {"divide": "ignore", "over": "ignore", "under": "ignore", "invalid": "ignore"}


def test_quiet_gives_inf_and_nan_without_warnings_which_still_come_outside():
    with warnings.catch_warnings(), np.errstate(all="warn"):
        warnings.simplefilter("error")
        with ieee.quiet():
            results = overflow_and_nans()
        assert [r[0] for r in results[:1] + results[3:]] == [np.inf, np.inf]
        assert np.isnan(results[1]).all() and np.isnan(results[2]).all()
        for op in (lambda: np.array([1e308]) * 10.0, lambda: np.array([0.0]) / 0.0):
            with pytest.raises(RuntimeWarning):  # the filter still turns warnings into errors
                op()


def test_quietly_wraps_a_function_and_keeps_its_name_result_and_arguments():
    def ratio(a, b, *, scale=1.0):
        """a / b times scale."""
        return a / b * scale

    quiet_ratio = ieee.quietly(ratio)
    assert quiet_ratio.__name__ == "ratio" and quiet_ratio.__doc__ == "a / b times scale."
    with warnings.catch_warnings(), np.errstate(all="warn"):
        warnings.simplefilter("error")
        assert quiet_ratio(np.array([1.0]), np.array([0.0]), scale=2.0)[0] == np.inf
        assert quiet_ratio(np.array([6.0]), np.array([3.0]))[0] == 2.0
        with pytest.raises(RuntimeWarning):
            ratio(np.array([1.0]), np.array([0.0]))


def test_the_previous_error_state_is_restored_even_when_the_block_raises():
    custom = {"divide": "raise", "over": "warn", "under": "ignore", "invalid": "print"}

    def fails():
        assert np.geterr() == IGNORE_ALL
        raise KeyError("inside")

    with np.errstate(**custom):
        with pytest.raises(KeyError), ieee.quiet():
            fails()
        assert np.geterr() == custom
        with pytest.raises(KeyError):
            ieee.quietly(fails)()
        assert np.geterr() == custom
        with pytest.raises(FloatingPointError):  # divide="raise" is back in force
            np.array([1.0]) / np.array([0.0])


def test_quiet_blocks_nest():
    with np.errstate(all="raise"):
        with ieee.quiet():
            with ieee.quiet():
                assert np.geterr() == IGNORE_ALL
            assert np.geterr() == IGNORE_ALL  # the inner exit keeps the outer block quiet
            with np.errstate(over="raise"):  # a stricter block inside a quiet one
                with pytest.raises(FloatingPointError):
                    np.array([1e308]) * 10.0
                ieee.quietly(lambda: np.array([1e308]) * 10.0)()  # and quiet inside that
            np.array([1e308]) * 10.0
        assert np.geterr() == {k: "raise" for k in IGNORE_ALL}


def test_a_threads_quiet_block_does_not_silence_another_thread():
    inside, warned, states = threading.Event(), threading.Event(), {}

    def quiet_thread():
        with ieee.quiet():
            inside.set()
            warned.wait(timeout=30)
            states["quiet"] = np.geterr()
            np.array([1.0]) / np.array([0.0])  # silent here

    def loud_thread():
        inside.wait(timeout=30)
        try:
            states["loud"] = np.geterr()
            np.array([1.0]) / np.array([0.0])  # warns: the other thread's block is not ours
        finally:
            warned.set()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        threads = [threading.Thread(target=quiet_thread), threading.Thread(target=loud_thread)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert states["quiet"] == IGNORE_ALL and states["loud"]["divide"] == "warn"
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 1 and "divide by zero" in messages[0]


# ============================================================================ topological_order


def value_chain(n):
    """x + c, (x + c) + c, ...: n + 1 "+" nodes over the two leaves x and c."""
    x, c = Value(0.5, label="x"), Value(1e-3, label="c")
    out = x + c
    for _ in range(n):
        out = out + c
    return out, x, c


def assert_topological(order, root):
    position = {id(node): i for i, node in enumerate(order)}
    assert len(position) == len(order)  # no node twice
    assert order[-1] is root
    for i, node in enumerate(order):
        for parent in node.parents:
            assert position[id(parent)] < i


@pytest.mark.parametrize("collector", ["enabled", "disabled"])
def test_topological_order_of_a_5000_node_chain_restores_the_collector(collector):
    root, _, _ = value_chain(5000)
    was_enabled = gc.isenabled()
    try:
        if collector == "disabled":
            gc.disable()
        before = gc.isenabled()
        order = topological_order(root)
        assert gc.isenabled() == before
    finally:
        if was_enabled:
            gc.enable()
    assert len(order) == 5001 + 2  # the "+" nodes and the leaves x and c
    assert_topological(order, root)


class Broken:
    """A node whose operands cannot be listed: the walk raises when it gets there."""

    @property
    def parents(self):
        raise LookupError("no parents here")


class FakeNode:
    """Just what topological_order reads: ``parents``."""

    def __init__(self, *parents):
        self.parents = parents


def test_the_collector_is_restored_when_the_walk_raises_past_the_pause():
    chain = FakeNode()
    for _ in range(3000):  # a walk long enough to trigger the collector if it were on
        chain = FakeNode(chain)
    root = FakeNode(chain, Broken())
    was_enabled = gc.isenabled()
    gc.enable()
    try:
        with pytest.raises(LookupError, match="no parents here"):
            topological_order(root)
        assert gc.isenabled()
    finally:
        if not was_enabled:
            gc.disable()


def test_topological_order_of_a_100_000_node_chain_needs_no_recursion():
    root, x, c = value_chain(100_000)
    order = topological_order(root)
    assert len(order) == 100_001 + 2
    assert_topological(order, root)
    root.backward()
    assert (x.grad, c.grad) == (1.0, 100_001.0)  # c is added in every one of the nodes
