"""A backward through a graph whose operands changed in place since the forward is an error.

Each node remembers the engine's clock when it was made; an optimizer step, ``nn.load`` or an
assignment to a Tensor's ``.data`` gives the changed leaf a newer time
(``autograd.bump_version``). A backward that meets an operand newer than the node that used
it would multiply old local gradients with new data, so it raises, naming both, as PyTorch's
"modified by an inplace operation" does.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor, Value


def test_the_issue_example_tensor_data_changed_between_forward_and_backward():
    w = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True, label="w")
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True, label="x")
    y = (w * x).sum()
    w.data += 10  # silently gave x.grad = [11, 12, 13] before
    with pytest.raises(RuntimeError, match=r"the leaf 'w' .* was modified in place") as info:
        y.backward()
    assert "Compute the forward pass again" in str(info.value)
    assert x.grad is None  # nothing was accumulated


def test_an_optimizer_step_between_forward_and_backward_is_caught_on_both_engines():
    model = nn.MLP(2, [3, 1], seed=0)
    out = model([1.0, -1.0])
    nn.optim.SGD(model.parameters(), lr=0.1).step()  # bumps every parameter
    with pytest.raises(RuntimeError, match="modified in place"):
        out.backward()

    lin = nn.Linear(2, 1, seed=0)
    out = lin(Tensor(np.ones((4, 2)))).sum()
    for p in lin.parameters():
        p.grad = np.zeros_like(p.data)
    nn.optim.SGD(lin.parameters(), lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified in place"):
        out.backward()


def test_a_fresh_forward_after_the_update_is_fine():
    w = Value(3.0, label="w")
    (w * w).backward()
    autograd.bump_version(w)  # as an optimizer step does
    w.grad = 0.0
    y = w * w
    y.backward()
    assert w.grad == 6.0  # d(w**2)/dw = 2w = 6


def test_nn_load_between_forward_and_backward_is_caught(tmp_path):
    model = nn.MLP(2, [2, 1], seed=0)
    path = tmp_path / "m.safetensors"
    nn.save(model, path)
    out = model([0.5, 0.5])
    nn.load(model, path)
    with pytest.raises(RuntimeError, match="modified in place"):
        out.backward()


def test_backward_steps_and_create_graph_check_too():
    w = Value(1.0, label="w")
    y = w * 2.0
    autograd.bump_version(w)
    with pytest.raises(RuntimeError, match="modified in place"):
        list(y.backward_steps())
    with pytest.raises(RuntimeError, match="modified in place"):
        autograd.grad(y, w, create_graph=True)


# A change to an intermediate result is caught as a leaf's is; a change elsewhere is not
# mistaken for one, nor is a change made before the forward.


def test_a_changed_intermediate_result_is_caught_and_an_unrelated_change_is_not():
    x = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True, label="x")
    h = (x * 2.0).tanh()
    h.label = "h"
    y = (h * h).sum()
    h.data = h.data + 1.0  # the saved input of the last two nodes
    with pytest.raises(RuntimeError, match=r"'h' .*was modified in place"):
        y.backward()

    y = (x * x).sum()
    other = Tensor(np.zeros(3), requires_grad=True)
    other.data -= 1.0  # a change after y's nodes were made, to a tensor not in y's graph
    y.backward()
    np.testing.assert_array_equal(x.grad, 2 * x.data)


def test_a_change_made_before_the_forward_needs_no_check():
    w = Tensor(np.array([2.0, 3.0]), requires_grad=True, label="w")
    w.data -= 1.0
    autograd.bump_version(w)
    y = (w * w).sum()  # made after both changes: nothing is stale
    y.backward()
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])  # d/dw sum(w^2) = 2w, w = [1, 2]


def test_a_replaced_operand_of_another_shape_is_named_stale_not_a_shape_error():
    # The VJP runs on the new array and fails on its shape; the error says why
    layer = nn.Linear(3, 2, seed=0)
    loss = layer(Tensor(np.ones((4, 3)), requires_grad=True)).sum()
    layer.weight.data = np.ones((5, 7))
    with pytest.raises(RuntimeError, match=r"'0?\.?weight' .*was modified in place"):
        loss.backward()
