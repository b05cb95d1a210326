"""How Tensor backprop behaves: seeds and their errors, accumulation, shared operands, which
tensors get gradients, no aliasing between .grad arrays, no recursion, graphs freed by
reference counting, backward_steps, no_grad, dtypes, input checking and IEEE edge cases."""

import gc
import warnings
import weakref

import numpy as np
import pytest

from autograd import Edge, Step, Tensor, no_grad, topological_order
from autograd.tensor import linear


def leaf(values, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


# ----------------------------------------------------------------- the seed


def test_backward_of_a_one_element_tensor_seeds_one():
    x = leaf([[3.0]])
    (x * x).backward()
    assert x.grad.shape == (1, 1) and x.grad[0, 0] == 6.0  # d(x**2)/dx = 2x


def test_backward_of_a_non_scalar_without_grad_raises_saying_a_grad_is_needed():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"shape \(2,\) needs a grad argument"):
        (x * 2.0).backward()


def test_backward_with_a_grad_of_the_wrong_shape_names_both_shapes():
    x = leaf(np.ones((2, 3)))
    with pytest.raises(
        ValueError, match=r"grad has shape \(3,\) but the tensor has shape \(2, 3\)"
    ):
        (x * 2.0).backward(np.ones(3))


def test_backward_on_a_tensor_that_does_not_require_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Tensor([1.0]) * 2.0).backward()


def test_backward_takes_a_grad_tensor_or_list_and_never_aliases_it():
    x = leaf([1.0, 2.0])
    y = x * 1.0
    upstream = np.array([3.0, 4.0])
    y.backward(upstream)
    assert not np.shares_memory(y.grad, upstream)
    upstream[:] = 100.0  # the caller reuses its array: our gradients do not change
    np.testing.assert_array_equal(y.grad, [3.0, 4.0])
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])
    x.zero_grad()
    (x * 1.0).backward([1.0, 1.0])
    (x * 1.0).backward(Tensor([1.0, 1.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


# ----------------------------------------------------------------- accumulation and branches


def test_backward_accumulates_like_pytorch_and_zero_grad_clears():
    x = leaf([1.0, 2.0])
    y = (x * 3.0).sum()
    y.backward()
    y.backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])  # 3 + 3
    y.zero_grad()
    assert x.grad is None and y.grad is None


def test_a_tensor_used_twice_gets_both_contributions():
    x = leaf([1.0, -2.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, -4.0])  # d(x*x)/dx = x + x
    y = leaf([1.0, 2.0])
    out = y + y
    assert out.parents == (y, y)  # two edges, as for Value
    out.sum().backward()
    np.testing.assert_array_equal(y.grad, [2.0, 2.0])


def test_branches_that_meet_again_sum_their_gradients():
    x = leaf([2.0])
    a, b = x * 3.0, x.exp()
    (a * b).sum().backward()
    # d/dx (3x e**x) = 3 e**x + 3x e**x = 3 e**2 (1 + 2)
    np.testing.assert_allclose(x.grad, [9.0 * np.exp(2.0)])


# ----------------------------------------------------------------- who gets a gradient


def test_only_tensors_that_require_grad_get_a_gradient():
    w = leaf([[1.0, 2.0]])
    x = Tensor([[3.0, 4.0]])  # an input: requires_grad=False
    out = (x * w).sum()
    out.backward()
    assert x.grad is None
    np.testing.assert_array_equal(w.grad, [[3.0, 4.0]])


def test_an_op_on_constants_records_no_graph():
    a, b = Tensor([1.0]), Tensor([2.0])
    c = a * b + 1.0
    assert c.requires_grad is False and c.parents == () and c.op == ""


def test_a_node_requires_grad_if_one_parent_does():
    a, w = Tensor([1.0]), leaf([2.0])
    c = a * w
    assert c.requires_grad is True and c.parents == (a, w) and c.op == "*"


def test_no_grad_makes_leaves():
    w = leaf([1.0, 2.0])
    with no_grad():
        y = (w * 2.0).relu().sum()
    assert y.requires_grad is False and y.parents == () and y.item() == 6.0
    z = w * 2.0  # recording is back on after the block
    assert z.parents[0] is w


def test_intermediate_tensors_keep_their_gradient_for_inspection():
    x = leaf([1.0, -1.0])
    h = x * 2.0
    r = h.relu()
    r.sum().backward()
    np.testing.assert_array_equal(r.grad, [1.0, 1.0])
    np.testing.assert_array_equal(h.grad, [1.0, 0.0])
    np.testing.assert_array_equal(x.grad, [2.0, 0.0])


# ----------------------------------------------------------------- no shared .grad arrays


def _all_grads(root):
    return [(n, n.grad) for n in topological_order(root) if n.grad is not None]


@pytest.mark.parametrize("run", ["backward", "backward_steps"])
def test_no_two_tensors_share_a_grad_array(run):
    # "+" passes its upstream gradient through unchanged, reshape/transpose/sum give views
    a, b = leaf(np.ones((2, 3))), leaf(np.ones((2, 3)))
    c = a + b
    d = c.reshape(3, 2).T + 0.0
    e = (d.sum(axis=0) + c[0]).mean()
    if run == "backward":
        e.backward()
    else:
        list(e.backward_steps())
    grads = _all_grads(e)
    assert len(grads) == 10  # a b c reshape T +0 sum c[0] + mean
    for i, (n1, g1) in enumerate(grads):
        for n2, g2 in grads[i + 1 :]:
            assert not np.shares_memory(g1, g2), (n1.op, n2.op)


def test_mutating_one_grad_changes_no_other():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    c = a + b
    c.backward(np.ones(2))
    a.grad += 100.0
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])
    np.testing.assert_array_equal(c.grad, [1.0, 1.0])


def test_a_second_backward_accumulates_without_touching_other_grads():
    a = leaf([1.0, 2.0])
    b = a + 0.0
    c = b * 1.0
    c.backward(np.ones(2))
    before = c.grad.copy()
    c.backward(np.ones(2))  # b.grad += g and a.grad += g, in place, each its own array
    np.testing.assert_array_equal(a.grad, [2.0, 2.0])
    np.testing.assert_array_equal(c.grad, 2 * before)


# ----------------------------------------------------------------- no recursion, no cycles


def test_ten_thousand_chained_ops_backprop_without_recursion():
    x = leaf([1.0, 2.0])
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0001**10_000] * 2, rtol=1e-9)


def test_a_dropped_graph_is_freed_by_reference_counting_alone():
    gc.disable()
    try:
        w = leaf(np.ones((3, 2)))
        x = Tensor(np.ones((4, 2)))
        root = (linear(x, w).relu().log_softmax()[[0, 1], [0, 2]].mean() * 2.0) ** 2
        root.backward()
        inner = root.parents[0]
        ref_root, ref_inner = weakref.ref(root), weakref.ref(inner)
        del root, inner
        assert ref_root() is None and ref_inner() is None  # no cycle kept them alive
        assert w.grad is not None  # the leaves live on, with their gradients
    finally:
        gc.enable()


# ----------------------------------------------------------------- backward_steps


def test_backward_steps_yields_root_first_and_matches_backward():
    w = leaf([[1.0, -2.0], [0.5, 3.0]])
    x = Tensor([[1.0, 1.0]])
    out = linear(x, w).relu().sum()
    steps = list(out.backward_steps())
    assert all(isinstance(s, Step) for s in steps)
    assert steps[0].node is out and steps[0].upstream.item() == 1.0
    assert steps[-1].node is w and steps[-1].edges == ()
    stepped = w.grad.copy()
    w.zero_grad()
    out.backward()
    np.testing.assert_array_equal(stepped, w.grad)


def test_backward_steps_edges_carry_the_downstream_arrays():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    c = Tensor([10.0, 10.0])  # a constant operand: no edge is recorded to it
    out = (a * b + c).sum()
    steps = {s.node.op or s.node.label: s for s in out.backward_steps()}
    (add_to_product,) = steps["+"].edges
    assert isinstance(add_to_product, Edge) and add_to_product.local is None
    mul = steps["*"]
    assert [e.parent for e in mul.edges] == [a, b]
    np.testing.assert_array_equal(mul.edges[0].downstream, [3.0, 4.0])  # g * b
    np.testing.assert_array_equal(mul.edges[1].downstream, [1.0, 2.0])  # g * a
    assert all(s.node.requires_grad for s in steps.values())


# ----------------------------------------------------------------- dtypes


def test_float32_stays_float32_through_every_op_and_gradient():
    x = leaf([[0.5, -1.0, 2.0]], dtype=np.float32)
    w = leaf([[1.0, 2.0, 3.0], [0.1, 0.2, 0.3]], dtype=np.float32)
    b = leaf([0.5, 0.5], dtype=np.float32)
    h = linear(x, w, b)
    parts = [
        h + 1.0, h - 2, h * 0.5, h / 3.0, h**2, (h * h + 1.0) ** h.sigmoid(), 2.0 ** h,
        -h, h.exp(), (h * h + 1.0).log(), (h * h).sqrt(), h.tanh(), h.sigmoid(), h.relu(),
        h.leaky_relu(0.1), h.softmax(), h.log_softmax(), h @ w, h.T, h.reshape(2), h[0, [1, 1]],
        h.transpose(1, 0), h[h.data > 0], h.max(axis=1, keepdims=True), h.mean(axis=0),
    ]  # fmt: skip
    total = parts[0].sum()
    for p in parts[1:]:
        assert p.dtype == np.float32, p.op
        total = total + p.sum()
    assert total.dtype == np.float32
    total.backward()
    for t in (x, w, b, h):
        assert t.grad.dtype == np.float32


def test_a_float64_constant_does_not_turn_a_float32_gradient_into_float64():
    x = leaf([1.0, 2.0], dtype=np.float32)
    y = x * np.array([1.0, 2.0])  # float64 ndarray: the product is float64, as in NumPy
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_ints_and_lists_become_float64():
    assert Tensor(np.array([1, 2])).dtype == np.float64
    assert Tensor([[1, 2], [3, 4]]).dtype == np.float64
    assert Tensor(3).shape == () and Tensor(True).dtype == np.float64
    assert Tensor(np.float32(1.5)).dtype == np.float32


@pytest.mark.parametrize(
    "bad, name",
    [("abc", "str"), (None, "NoneType"), (np.array(["a"]), "<U1"), ([None, 1], "object")],
)
def test_non_numeric_data_is_a_type_error_naming_the_type(bad, name):
    with pytest.raises(TypeError, match=name):
        Tensor(bad)


def test_a_tensor_of_a_tensor_is_a_type_error():
    with pytest.raises(TypeError, match="got a Tensor"):
        Tensor(Tensor([1.0]))


def test_an_unsupported_operand_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match="'Tensor' and 'str'"):
        Tensor([1.0]) + "a"
    with pytest.raises(TypeError, match="'Tensor' and 'NoneType'"):
        Tensor([1.0]) * None


def test_incompatible_shapes_are_a_value_error_naming_both():
    for op in ("__add__", "__sub__", "__mul__", "__truediv__", "__pow__"):
        with pytest.raises(ValueError, match=r"\(2, 3\) and \(4,\)"):
            getattr(leaf(np.ones((2, 3))), op)(leaf(np.ones(4)))


# ----------------------------------------------------------------- IEEE edge cases


def test_domain_edges_give_inf_and_nan_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = leaf([0.0, -1.0, 1000.0, -1000.0, np.inf, np.nan])
        outs = [
            x.log(), x.sqrt(), x.exp(), 1.0 / x, x**-1, x**0.5, x**x, x * np.inf, x - x,
            x.sigmoid(), x.tanh(), x.relu(), x.leaky_relu(), x.softmax(), x.log_softmax(),
            x.max(), x.sum(), x.mean(), x @ x, (x * 1e300) * 1e300,
        ]  # fmt: skip
        total = outs[0].sum()
        for o in outs[1:]:
            total = total + o.sum()
        total.backward()
    assert x.log().data[0] == -np.inf and np.isnan(x.log().data[1])
    assert (1.0 / Tensor([0.0])).item() == np.inf


def test_relu_and_its_gradient_follow_the_scalar_engine_at_nan_and_zero():
    from autograd import Value

    for v in (-1.0, 0.0, 2.0, float("nan")):
        t, s = leaf([v]), Value(v)
        t.relu().backward(np.ones(1))
        s.relu().backward()
        np.testing.assert_array_equal(t.grad, [s.grad])


def test_repr_shows_data_and_flags():
    text = repr(Tensor(np.float32([1.0]), requires_grad=True, label="w"))
    assert text.startswith("Tensor([1.") and "float32" in text
    assert "requires_grad=True" in text and "label='w'" in text


def test_backward_steps_keeps_each_edge_downstream_apart_when_a_parent_sums_several():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 5.0])
    out = (
        (a * b) * (a * 2.0)
    ).sum()  # a gets g * b * (2a) from one side, g * ab * 2 from the other
    into_a = [e.downstream for s in out.backward_steps() for e in s.edges if e.parent is a]
    # d/da of (a b)(2 a): through a*b: (2a) * b = [6, 20]; through a*2: (a b) * 2 = [6, 20]
    assert len(into_a) == 2
    np.testing.assert_array_equal(into_a[0], [6.0, 20.0])
    np.testing.assert_array_equal(into_a[1], [6.0, 20.0])
    np.testing.assert_array_equal(a.grad, [12.0, 40.0])  # 4 a b
    out.backward()  # accumulates into every .grad in place: the records must not change
    np.testing.assert_array_equal(a.grad, [24.0, 80.0])
    np.testing.assert_array_equal(into_a[0], [6.0, 20.0])
    np.testing.assert_array_equal(into_a[1], [6.0, 20.0])
