"""What both engines share: walking a graph in topological order, and switching recording off.

A node is anything with a ``parents`` tuple: a scalar ``Value`` or a ``Tensor``. Backprop
visits nodes in *reverse* topological order, so that a node's gradient is complete (every
child has added its share) before the node passes gradient on to its own parents.

The walk is an explicit stack, never recursion, so a chain of a million nodes is fine.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol


class Node(Protocol):
    parents: tuple[Any, ...]


def topological_order(root: Node) -> list[Any]:
    """Every node reachable from ``root``, each after all of its parents (root last).

    Depth-first post-order with an explicit stack. Parents are visited in call order, so the
    order is the same on every run: diagrams and step-by-step tables are reproducible.
    """
    order: list[Any] = []
    visited = {root}  # nodes hash by identity: neither engine overrides == or hash
    # Each stack entry is (node, iterator over its parents); a node is emitted once all of
    # its parents have been emitted.
    stack: list[tuple[Any, Iterator[Any]]] = [(root, iter(root.parents))]
    # The stack's tuples would wake the cycle collector on a big graph (see gc_paused); its
    # plain calls here cost less than the context manager on the small graphs of a batch.
    collecting = gc.isenabled()
    gc.disable()
    try:
        while stack:
            node, parents = stack[-1]
            for parent in parents:
                if parent not in visited:
                    visited.add(parent)
                    stack.append((parent, iter(parent.parents)))
                    break
            else:
                stack.pop()
                order.append(node)
    finally:
        if collecting:
            gc.enable()
    return order


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the duration of the block.

    Graphs built by gradflow have no reference cycles (local-gradient closures capture numbers
    and parents, never their own node), so reference counting frees them and the cycle
    collector has nothing to find in them. But it still runs, every few hundred allocations,
    and walks every live object: building a 40,000-node graph triggers enough collections to
    take most of a training step (micrograd spends about 80% of its step there). ``nn.fit``
    pauses it for each batch and ``topological_order`` while it walks; wrap a hand-written
    training step in it for the same speed-up. It resumes, and catches up on any real
    cycles, when the block ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_clock = [0]  # the engine's clock: one tick per in-place change of a leaf (see bump_version)


def bump_version(*nodes: Any) -> None:
    """Record that these leaves' data was changed in place (an optimizer step, ``nn.load``).

    A graph recorded before the change saved the old values; a backward through it would mix
    old local gradients with new data, so it raises a RuntimeError naming the changed node
    instead (PyTorch's "modified by an inplace operation"). Accepts Values, Tensors, or
    iterables of them.
    """
    for node in nodes:
        if hasattr(node, "_version"):
            _clock[0] += 1
            node._version = _clock[0]
        else:
            bump_version(*node)


class _GradMode:
    """Module-level switch read by every op: record parents and local gradients or not."""

    enabled: bool = True


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()``."""
    return _GradMode.enabled


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block, new Values and Tensors record no parents: they are leaves.

    Use it for evaluation and for parameter updates, where a graph would only cost memory::

        with no_grad():
            accuracy = evaluate(model)
    """
    previous = _GradMode.enabled
    _GradMode.enabled = False
    try:
        yield
    finally:
        _GradMode.enabled = previous
