"""Deep and wide graphs are backpropagated and then freed by reference counting alone.

test_value_backprop.py already runs a 1,000,000-node Value chain and a 100,000-term builtin
sum without recursion, and frees small graphs of every op; test_tensor_backward.py runs
10,000 chained Tensor multiplications. What is left, here:

- those sizes are also *freed* once dropped, with the cyclic gc off (a cycle per node, as
  micrograd's closures make, would keep a million nodes alive), including a backward_steps
  generator dropped half way;
- wide graphs: one "sum" node with 100,000 edges, and one Value feeding 100,000 nodes;
- a 10,000-op Tensor chain of mixed ops (shape changes, indexing, reductions);
- memory per node stays within a bound (bench/memory.py prints the full table).

A note on checking "freed": in a chain every node holds all nodes before it, so once the node
right after the leaves is gone, no node of the chain can be alive.
"""

from __future__ import annotations

import gc
import weakref
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice

import numpy as np

from autograd import Tensor, Value, gc_paused, sum_of, topological_order
from bench import memory


@contextmanager
def gc_off() -> Iterator[None]:
    """Start from a clean heap, then keep the cycle collector out: only refcounting frees."""
    gc.collect()
    with gc_paused():
        yield


def test_a_million_node_chain_is_freed_by_reference_counting_after_backward():
    with gc_off():
        x, c = Value(0.5, label="x"), Value(1e-6, label="c")
        out = x + c
        first = weakref.ref(out)  # the node right after the leaves: every other node holds it
        for _ in range(999_999):
            out = out + c
        samples = [weakref.ref(n) for n in (out, out.parents[0], out.parents[0].parents[0])]
        out.backward()
        assert (x.grad, c.grad) == (1.0, 1_000_000.0)
        del out
        assert first() is None and all(r() is None for r in samples)
        assert x.parents == () and c.grad == 1_000_000.0  # the leaves live on, untouched


def test_a_backward_steps_generator_dropped_half_way_frees_a_deep_chain():
    with gc_off():
        x = Value(0.1, label="x")
        out = first = (x * 1.0001).tanh()
        ref = weakref.ref(first)
        del first
        for _ in range(99_999):
            out = (out * 1.0001).tanh()
        steps = out.backward_steps()
        deque(islice(steps, 1000), maxlen=0)  # the first 1000 of 300,001 steps, none kept
        del out
        assert ref() is not None  # the generator still holds the graph
        del steps
        assert ref() is None


def test_one_sum_node_with_100_000_edges():
    n = 100_000
    with gc_off():
        xs = [Value(float(i % 7) - 3.0) for i in range(n)]
        ws = [float(i % 5) for i in range(n)]
        total = sum_of(w * x for w, x in zip(ws, xs, strict=True))
        assert total.op == "sum" and len(total.parents) == n
        total.backward()
        # d/dx_i sum_j w_j x_j = w_i
        assert [x.grad for x in xs] == ws
        products = [weakref.ref(p) for p in total.parents[::1000]]
        root = weakref.ref(total)
        del total
        assert root() is None and all(r() is None for r in products)


def test_one_value_feeding_100_000_nodes_sums_every_branch():
    n = 100_000
    with gc_off():
        x = Value(2.0, label="x")
        total = sum_of(x * float(i) for i in range(n))
        total.backward()
        # d/dx sum_i i x = sum_i i = n (n - 1) / 2, exact in floats (below 2**53)
        assert x.grad == n * (n - 1) / 2
        branch = weakref.ref(total.parents[-1])
        del total
        assert branch() is None


def mixed_tensor_chain(x: Tensor, n: int) -> Tensor:
    """n ops of ten kinds, keeping a (2, 3) shape every ten ops."""
    y = x
    for _ in range(n // 10):
        y = y * 1.0001  # 1
        y = y + 0.001  # 2
        y = y.tanh()  # 3
        y = y.reshape(3, 2)  # 4
        y = y.T  # 5: (2, 3)
        y = y[:, [0, 1, 2]]  # 6: an integer-array index (the np.add.at backward)
        y = y - y.mean(axis=1, keepdims=True) * 0.01  # 7, 8, 9: mean, *, -
        y = y.sigmoid() * 2.0 - 1.0  # counted as 10 with the sigmoid
    return y.sum()


def test_a_10_000_op_tensor_chain_of_mixed_ops_backprops_and_is_freed():
    with gc_off():
        x = Tensor(np.linspace(-1.0, 1.0, 6).reshape(2, 3), requires_grad=True, label="x")
        root = mixed_tensor_chain(x, 10_000)
        refs = [weakref.ref(t) for t in topological_order(root) if t is not x]
        assert len(refs) > 10_000
        steps = root.backward_steps()
        deque(islice(steps, 100), maxlen=0)
        del steps  # a stepper dropped half way keeps nothing alive
        root.backward()
        assert x.grad is not None and x.grad.shape == (2, 3) and np.isfinite(x.grad).all()
        del root
        alive = [r for r in refs if r() is not None]
        assert alive == []
        assert x.grad is not None  # the leaf keeps its gradient


def test_the_10_000_op_chain_gradient_matches_a_short_central_difference():
    # The same chain on a perturbed input: backprop's directional derivative agrees.
    x0 = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
    x = Tensor(x0.copy(), requires_grad=True)
    mixed_tensor_chain(x, 10_000).backward()
    v = np.array([[1.0, -2.0, 0.5], [0.0, 1.5, -1.0]]) / 3.0
    eps = 1e-6
    plus = mixed_tensor_chain(Tensor(x0 + eps * v), 10_000).item()
    minus = mixed_tensor_chain(Tensor(x0 - eps * v), 10_000).item()
    numeric = (plus - minus) / (2 * eps)
    assert abs(float(np.sum(x.grad * v)) - numeric) <= 1e-6 * max(1.0, abs(numeric))


def test_memory_per_node_stays_within_bounds():
    # bench/memory.py at 1/100 of its size. Measured (Python 3.11): a Value "+" node with its
    # constant about 310 bytes a node at peak (backward included), a Tensor node of shape (1,)
    # about 800. The bounds are twice that: a regression guard, not a tight fit.
    chain, _, _, wide, _, tensors, _ = memory.rows(scale=100)
    assert chain.nodes == 2001 and chain.per_node < 650
    assert wide.nodes == 2001 and wide.per_node < 1200
    assert tensors.nodes == 302 and tensors.per_node < 1700
    for r in (chain, wide, tensors):
        assert r.freed_left < 300_000  # the interpreter's free lists, not the graph
