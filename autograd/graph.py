"""What both engines share: walking a graph in topological order, and switching recording off.

A node is anything with a ``parents`` tuple: a scalar ``Value`` or a ``Tensor``. Backprop
visits nodes in *reverse* topological order, so that a node's gradient is complete (every
child has added its share) before the node passes gradient on to its own parents.

The walk is an explicit stack, never recursion, so a chain of a million nodes is fine.
"""

from __future__ import annotations

import gc
import itertools
import threading
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
    # The stack's tuples would wake the cycle collector on a big graph (see gc_paused).
    with gc_paused():
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
    return order


class _Modes(threading.local):
    """This thread's switches (PyTorch keeps its grad mode per thread too): a thread that
    predicts inside ``no_grad()`` never turns recording off for a thread that trains."""

    grad_enabled: bool = True  # record parents and derivative rules (off inside no_grad)
    anomaly: bool = False  # check every backward step (on inside detect_anomaly)
    gc_pauses: int = 0  # how deep this thread is in gc_paused() blocks
    building_rule: str = ""  # the op whose rule a create_graph backward is calling, if any


modes = _Modes()
_gc_lock = threading.Lock()
_gc_pausing_threads = 0  # threads inside a gc_paused() block; the collector runs when 0
_gc_was_enabled = True  # the collector's state when the first of them entered


class gc_paused:  # noqa: N801 (used as a function: ``with gc_paused():``)
    """Pause Python's cyclic garbage collector while this thread is inside the block.

    Graphs built by gradflow have no reference cycles (a node holds its operands and its op,
    never itself), so reference counting frees them and the cycle collector has nothing to
    find in them. But it still runs, every few hundred allocations, and walks every live
    object: building a 40,000-node graph triggers collections that take a good part of a
    training step. ``nn.fit`` pauses it for each batch; wrap a hand-written training step in
    it for the same speed-up. It resumes, and catches up on any real cycles, when the last
    thread inside a ``gc_paused()`` block leaves it (the collector is one per process, so the
    pause is counted across threads rather than switched by each). A class rather than a
    generator: the backward driver enters it once per pass, and this is cheaper.
    """

    def __enter__(self) -> None:
        global _gc_pausing_threads, _gc_was_enabled
        with _gc_lock:
            if modes.gc_pauses == 0:
                if _gc_pausing_threads == 0:
                    _gc_was_enabled = gc.isenabled()
                _gc_pausing_threads += 1
            modes.gc_pauses += 1
            gc.disable()

    def __exit__(self, *exc: object) -> None:
        global _gc_pausing_threads
        with _gc_lock:
            modes.gc_pauses -= 1
            if modes.gc_pauses == 0:
                _gc_pausing_threads -= 1
                if _gc_pausing_threads == 0 and _gc_was_enabled:
                    gc.enable()


# The engine's clock. ``_ticks`` gives one tick per Tensor node made and per in-place change
# of a leaf (``next`` on it is atomic under the GIL, so no two get the same tick); a node
# records the tick it was made at, and an operand with a later tick was changed since.
# Along every edge of a Tensor graph the ticks increase, so the backward pass can take the
# nodes in decreasing tick order instead of sorting the graph (see engine._tensor_pass).
# Values, made by the tens of thousands, share a tick rather than take one each: ``_clock``
# holds the tick of the latest in-place change, which a new Value records.
_ticks = itertools.count(1)
_clock = [0]
_clock_lock = threading.Lock()


def bump_version(*nodes: Any) -> None:
    """Record that these leaves' data was changed in place (an optimizer step, ``nn.load``).

    A graph recorded before the change saved the old values; a backward through it would mix
    old local gradients with new data, so it raises a RuntimeError naming the changed node
    instead (PyTorch's "modified by an inplace operation"). Accepts Values, Tensors, or
    iterables of them.
    """
    for node in nodes:
        if hasattr(node, "_version"):
            with _clock_lock:  # two threads' steps: the clock never goes back
                tick = next(_ticks)
                _clock[0] = tick
            node._version = tick
        else:
            bump_version(*node)


def is_grad_enabled() -> bool:
    """True unless this thread is inside ``no_grad()``."""
    return modes.grad_enabled


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block, new Values and Tensors record no parents: they are leaves.

    Use it for evaluation and for parameter updates, where a graph would only cost memory::

        with no_grad():
            accuracy = evaluate(model)

    The switch is this thread's own: another thread keeps recording.
    """
    previous = modes.grad_enabled
    with _blocks_lock:
        no_grad_blocks[0] += 1
    modes.grad_enabled = False
    try:
        yield
    finally:
        modes.grad_enabled = previous
        with _blocks_lock:
            no_grad_blocks[0] -= 1


# How many no_grad() blocks are open, in all threads together. While none is, every thread
# records, and making a node needs no look at this thread's own switch: a node is made with
# ``if not no_grad_blocks[0] or modes.grad_enabled`` (a thread-local read is the slowest
# attribute read on that path, and most programs never call no_grad during training).
no_grad_blocks = [0]
_blocks_lock = threading.Lock()
