"""Find the op whose backward produced a nan or an inf: ``detect_anomaly()``.

A nan in a gradient spreads: once one edge carries it, every gradient below it is nan too,
and after an optimizer step every parameter is. By then nothing says where it came from.
Inside ``detect_anomaly()`` every backward checks each edge as it goes, and the first
non-finite downstream gradient raises ``AnomalyError`` naming the op, the node's label, the
edge (which parent), and the numbers that made it: upstream, local and downstream.

    x = Value(0.0, label="x")
    p = x.log(); p.label = "p"
    with detect_anomaly():
        (p * 2).backward()
    # AnomalyError: backward produced inf on edge 0 of the 'log' node 'p' (data -inf):
    #   upstream 2 * local inf = inf, into parent 0: the leaf 'x' (data 0)

PyTorch's ``torch.autograd.detect_anomaly`` is the model, with three differences:
- inf is an anomaly too, not only nan: an infinite gradient either becomes nan one step later
  (inf - inf, 0 * inf) or sends a parameter to inf, so the earlier report is the useful one;
- a number in an expression (the 2 of ``x * 2``) becomes a constant leaf (role "const"),
  which PyTorch would not differentiate at all: its gradient may be inf, and is not checked;
- only the backward pass is checked, as in PyTorch. A nan in the forward pass (log(-1), 0/0)
  is a legal IEEE value; when it matters, it reaches a gradient and is reported there, at the
  first edge it makes non-finite.

Cost: outside the block nothing changes. The engines read one flag per ``backward()`` call and
run their usual loop when it is off; when it is on, ``backward()`` runs ``backward_steps()``,
which checks each step as it is made (several times slower). The mode in force when a
backward starts applies to that whole backward.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from autograd.graph import modes


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()`` (this thread's switch)."""
    return modes.anomaly


@contextmanager
def detect_anomaly(enabled: bool = True) -> Iterator[None]:
    """Inside this block, a backward that produces a nan or inf gradient raises AnomalyError.

    ``detect_anomaly(False)`` switches checking off inside an outer block. Nests and restores
    the previous mode on exit, also after an exception. Works as a decorator too. The mode
    is this thread's own, as ``no_grad``.
    """
    previous = modes.anomaly
    modes.anomaly = bool(enabled)
    try:
        yield
    finally:
        modes.anomaly = previous


class AnomalyError(RuntimeError):
    """A backward step produced a nan or inf gradient.

    Attributes:
        node: the Value or Tensor whose backward step produced it.
        op: ``node.op``; "" for the root's seed gradient.
        edge: the index of the parent in ``node.parents`` (None: the node's own gradient).
        parent: ``node.parents[edge]`` (None when edge is None).
        upstream: d(root)/d(node) (a float, or for a Tensor the upstream at ``index`` when
            the shapes allow it, else None).
        local: d(node)/d(parent) (a float; None for a Tensor, whose Jacobian is never built).
        downstream: the non-finite number: upstream * local (for a Tensor, at ``index``).
        index: for a Tensor, the position of the first non-finite element (None for a Value).
    """

    def __init__(
        self,
        message: str,
        node: Any,
        edge: int | None,
        upstream: Any,
        local: Any,
        downstream: Any,
        index: tuple[int, ...] | None = None,
    ) -> None:
        super().__init__(message)
        self.node = node
        self.op: str = node.op
        self.edge = edge
        self.parent = None if edge is None else node.parents[edge]
        self.upstream = upstream
        self.local = local
        self.downstream = downstream
        self.index = index


# ---------------------------------------------------------------------------- descriptions


def _what(x: float) -> str:
    return "nan" if x != x else f"{x:.6g}"


def describe(node: Any) -> str:
    """A short name for a node in a message: its op and label, or what it is and holds.

    "the 'log' node 'p' (data -inf)", "an unlabeled '*' node (data 0)", "the leaf 'x' (data 0)";
    a Tensor shows its shape instead of its data.
    """
    if isinstance(node.data, np.ndarray):
        held = f"shape {node.data.shape}"
        kind = "tensor"
    else:
        held = f"data {_what(node.data)}"
        kind = "node"
    if node.op:
        who = f"the {node.op!r} {kind} {node.label!r}" if node.label else (
            f"an unlabeled {node.op!r} {kind}"
        )  # fmt: skip
    else:
        who = f"the leaf {node.label!r}" if node.label else "an unlabeled leaf"
    return f"{who} ({held})"


def _parent_name(node: Any, edge: int) -> str:
    parent = node.parents[edge]
    return f"parent {edge}: {describe(parent)}"


# ---------------------------------------------------------------------------- Value


def _value_seed_or_sum(node: Any, upstream: float, is_root: bool) -> AnomalyError:
    if is_root:
        message = f"backward was seeded with grad={_what(upstream)} at {describe(node)}"
    else:
        # every edge into this node was checked and finite: their sum overflowed
        message = (
            f"the gradient of {describe(node)} became {_what(upstream)} while summing the "
            "finite gradients from the nodes that use it (overflow)"
        )
    return AnomalyError(f"backward produced {_what(upstream)}: {message}", node, None,
                        upstream, None, upstream)  # fmt: skip


def _value_edge(node: Any, edge: int, upstream: float, local: float) -> AnomalyError:
    downstream = upstream * local
    message = (
        f"backward produced {_what(downstream)} on edge {edge} of {describe(node)}: "
        f"upstream {_what(upstream)} * local {_what(local)} = {_what(downstream)}, into "
        f"{_parent_name(node, edge)}"
    )
    return AnomalyError(message, node, edge, upstream, local, downstream)


def check_value_step(step: Any, is_root: bool) -> None:
    """Check one ``backward_steps`` record of the scalar engine (its upstream and edges)."""
    if not math.isfinite(step.upstream) and step.node.role != "const":
        raise _value_seed_or_sum(step.node, step.upstream, is_root)
    for edge, e in enumerate(step.edges):
        if not math.isfinite(e.downstream) and e.parent.role != "const":
            raise _value_edge(step.node, edge, step.upstream, e.local)


# ---------------------------------------------------------------------------- Tensor


def _first_bad(a: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])


def _tensor_seed_or_sum(node: Any, g: np.ndarray, is_root: bool) -> AnomalyError:
    index = _first_bad(g)
    bad = float(g[index])
    if is_root:
        message = f"backward was seeded with a grad holding {_what(bad)} at {index}"
    else:
        message = (
            f"the gradient of {describe(node)} became {_what(bad)} at {index} while summing "
            "the finite gradients from the tensors that use it (overflow)"
        )
    return AnomalyError(f"backward produced {_what(bad)}: {message}", node, None, bad, None,
                        bad, index)  # fmt: skip


def _tensor_edge(node: Any, edge: int, g: np.ndarray, d: np.ndarray) -> AnomalyError:
    index = _first_bad(d)
    bad = float(d[index])
    parent = node.parents[edge].data
    # Elementwise ops keep shapes: then the upstream and the parent's value at the same
    # position are the numbers that made it (the local derivative is not stored).
    upstream = float(g[index]) if g.shape == d.shape else None
    facts = []
    if upstream is not None:
        facts.append(f"the upstream there is {_what(upstream)}")
    elif np.isfinite(g).all():
        facts.append(f"the upstream (shape {g.shape}) is finite")
    if parent.shape == d.shape:
        facts.append(f"the parent's data there is {_what(float(parent[index]))}")
    message = (
        f"backward produced {_what(bad)} on edge {edge} of {describe(node)}: element "
        f"{index} of the gradient into {_parent_name(node, edge)}"
        + (f"; {', '.join(facts)}" if facts else "")
    )
    return AnomalyError(message, node, edge, upstream, None, bad, index)


def check_tensor_step(step: Any, is_root: bool) -> None:
    """Check one ``backward_steps`` record of the tensor engine (its upstream and edges)."""
    g = step.upstream
    if not np.isfinite(g).all():
        raise _tensor_seed_or_sum(step.node, g, is_root)
    # A step leaves out the edges to parents that need no gradient: number the rest.
    edges = [i for i, p in enumerate(step.node.parents) if p.requires_grad]
    for edge, e in zip(edges, step.edges):  # noqa: B905
        if not np.isfinite(e.downstream).all():
            raise _tensor_edge(step.node, edge, g, e.downstream)
