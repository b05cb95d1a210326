"""What a diagram shows, computed once from the graph: the nodes in order, what each leaf is,
and the numbers of one backward pass, edge by edge.

Backprop on a graph, as the lecture slides teach it: at every node,

    downstream = upstream x local

where ``upstream`` is d(root)/d(node), ``local`` is d(node)/d(parent) for one operand, and
``downstream`` is what that edge adds to the parent's gradient. A parent reached by several
edges (a branch, or ``a + a``) sums them: its gradient is the sum of its incoming terms.

The numbers come from the engine's own ``backward_steps()``. That generator accumulates into
``.grad``, so it is run with every gradient saved first and restored after: drawing a graph
never changes it.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd import topological_order
from viz import marks
from viz.format import all_finite, all_zero

ROLES = ("param", "input", "const", "")

# A one-operand op whose local gradient is smaller than this (in magnitude, but not exactly 0)
# while gradient arrives from above is "saturated": sigmoid at |z| > 7 has s(1 - s) < 1e-3.
SATURATION = 1e-3


@dataclass(frozen=True, eq=False)
class EdgeInfo:
    """One operand edge of one node, with the numbers the backward pass sends along it."""

    child: Any  # the node computed by the op
    parent: Any  # the operand
    slot: int  # operand position: ``a + a`` has the edges (a, slot 0) and (a, slot 1)
    step: int  # index of the backward step that sends gradient along this edge
    upstream: Any  # d(root)/d(child) in this pass
    local: Any  # d(child)/d(parent); None where not materialized (tensor Jacobians)
    downstream: Any  # upstream x local: the term this edge adds to parent.grad


@dataclass(eq=False)
class StepInfo:
    """One backward step: ``node``'s gradient is final, and flows down ``edges``."""

    index: int
    node: Any
    upstream: Any
    edges: list[EdgeInfo] = field(default_factory=list)


def leaf_role(node: Any) -> str:
    """The role of a node: "param", "input", "const", or "" for a computed node.

    A leaf with role "" is an input (the user made it); a tensor leaf without a role is a
    parameter when it requires grad, else an input. A box standing for many nodes of a
    large graph (viz.select) is "" too: what it is, the "folded" mark says.
    """
    if node.parents:
        return ""
    role = getattr(node, "role", "")
    if role in ("param", "input", "const"):
        return role
    if role == "folded":
        return ""
    if getattr(node, "requires_grad", False):
        return "param"
    return "input"


def has_backward(root: Any) -> bool:
    """True once a backward pass has reached ``root`` (its grad is set and nonzero)."""
    grad = getattr(root, "grad", None)
    return grad is not None and not all_zero(grad)


def _copy_grad(grad: Any) -> Any:
    return grad.copy() if isinstance(grad, np.ndarray) else copy.copy(grad)


def record_backward(root: Any, nodes: list[Any], seed: Any) -> list[StepInfo]:
    """Run ``root.backward_steps(seed)`` and return its steps; every ``.grad`` is restored."""
    saved = [(node, _copy_grad(node.grad)) for node in nodes]
    try:
        raw = list(root.backward_steps() if seed is None else root.backward_steps(seed))
    finally:
        for node, grad in saved:
            node.grad = grad
    steps = []
    for index, step in enumerate(raw):
        info = StepInfo(index, step.node, step.upstream)
        # Edges come in operand order, but a tensor step leaves out operands that need no
        # gradient: match each edge to the next operand slot holding its parent.
        slot = 0
        for edge in step.edges:
            while slot < len(step.node.parents) and step.node.parents[slot] is not edge.parent:
                slot += 1
            info.edges.append(
                EdgeInfo(
                    step.node, edge.parent, slot, index, step.upstream, edge.local, edge.downstream
                )
            )
            slot += 1
        steps.append(info)
    return steps


def steps_from_grads(nodes: list[Any]) -> list[StepInfo]:
    """The backward steps of drawn nodes (root last) as the user's backward left them:
    upstream is each node's ``.grad``, local its ``local_grads()``, and the downstream
    along an edge their product."""
    steps = []
    for index, node in enumerate(reversed(nodes)):
        info = StepInfo(index, node, node.grad)
        if node.parents and node.grad is not None:
            for slot, (parent, local) in enumerate(
                zip(node.parents, node.local_grads(), strict=True)
            ):
                down = None if local is None else node.grad * local
                info.edges.append(EdgeInfo(node, parent, slot, index, node.grad, local, down))
        steps.append(info)
    return steps


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        try:
            return bool(np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True))
        except (TypeError, ValueError):
            return False
    a, b = float(a), float(b)
    if math.isnan(a) and math.isnan(b):
        return True
    return a == b or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


class GraphView:
    """A graph as a diagram sees it.

    Attributes:
        nodes: every node, each after its operands (root last), as ``topological_order``.
        index: node -> position in ``nodes``; DOT names are built from it (``n7``), never
            from ``id()``, so the same graph always gives the same DOT text.
        steps: the backward steps (root first), or None when gradients are not shown.
        grads_shown: False before any backward (the diagram then shows forward values only).
    """

    def __init__(
        self,
        root: Any,
        *,
        grads: bool | None = None,
        saturation: float = SATURATION,
        selection: Any = None,
    ) -> None:
        if not hasattr(root, "parents") or not hasattr(root, "data"):
            raise TypeError(
                f"viz needs a Value or a Tensor (an object with data and parents), "
                f"not {type(root).__name__}"
            )
        if not saturation >= 0:
            raise ValueError(f"saturation must be a number >= 0, not {saturation!r}")
        self.saturation = float(saturation)
        self.is_tensor = isinstance(root.data, np.ndarray)
        # Grads come from the user's backward when there was one; draw(grads=True) on a fresh
        # graph shows what a backward from 1 would give, without running it for real.
        self.from_user = has_backward(root)
        self.grads_shown = self.from_user if grads is None else bool(grads)
        # A selection (viz.select) is a large graph's drawn part, as Mirror nodes: its numbers
        # are read from the user's backward (.grad), not recorded by a pass over the graph.
        self.mirrored = selection is not None
        self.folded: list[str] = list(selection.folded) if selection is not None else []
        self.cut = selection is not None and selection.cut  # earlier nodes folded into a box
        if selection is not None:
            root = selection.root
            if self.grads_shown and not self.from_user:
                # A pass over a large graph just for a picture would take long: its numbers
                # come from the user's backward.
                self.folded.append("gradients not shown: run backward() first")
            self.grads_shown = self.grads_shown and self.from_user
        self.root = root
        self.nodes: list[Any] = topological_order(root) if selection is None else selection.nodes
        self.index: dict[Any, int] = {node: i for i, node in enumerate(self.nodes)}
        self._aliases: dict[Any, str] | None = None
        self.steps: list[StepInfo] | None = None
        if self.mirrored and self.grads_shown:
            self.steps = steps_from_grads(self.nodes)
        elif (
            self.grads_shown
            and hasattr(root, "backward_steps")
            and getattr(root, "requires_grad", True)
        ):
            seed = _copy_grad(root.grad) if self.from_user else (None if self.is_tensor else 1.0)
            self.steps = record_backward(root, self.nodes, seed)
        self.step_of: dict[Any, StepInfo] = {}
        self._edge_at: dict[tuple[int, int], EdgeInfo] = {}  # (id(child), slot) -> edge
        self.terms: dict[Any, list[EdgeInfo]] = {node: [] for node in self.nodes}
        for step in self.steps or ():
            self.step_of[step.node] = step
            for edge in step.edges:
                self.terms[edge.parent].append(edge)
                self._edge_at[(id(edge.child), edge.slot)] = edge

    @property
    def aliases(self) -> dict[Any, str]:
        """Names of neurons' nodes as the model names them ("L0.n1"; viz.collapse)."""
        if self._aliases is None:
            from viz.collapse import neuron_aliases  # viz.collapse imports this module

            self._aliases = neuron_aliases(self, self.nodes)
        return self._aliases

    # ------------------------------------------------------------------ per node

    def role(self, node: Any) -> str:
        return leaf_role(node)

    def grad(self, node: Any) -> Any:
        """The gradient the diagram writes for ``node``: its ``.grad`` after the user's
        backward, or this pass's value when ``draw(grads=True)`` is used before one."""
        if self.from_user or node not in self.step_of:
            return node.grad
        return self.step_of[node].upstream

    def pass_total(self, node: Any) -> Any:
        """d(root)/d(node) in the recorded pass (None without one)."""
        step = self.step_of.get(node)
        return None if step is None else step.upstream

    def grad_mismatch(self, node: Any) -> bool:
        """True when ``.grad`` holds more than this graph's pass (shared leaves, two roots)."""
        total = self.pass_total(node)
        grad = node.grad
        if total is None or grad is None or not self.from_user:
            return False
        return not _close(grad, total)

    def node_marks(self, node: Any) -> list[str]:
        """Which marks a node carries ("nonfinite", "saturated", "nograd": viz.marks)."""
        return marks.node_marks(self, node)

    # ------------------------------------------------------------------ per edge

    def edge_blocked(self, edge: EdgeInfo) -> bool:
        """The local gradient is exactly 0 (dead ReLU, the loser of a max): nothing passes."""
        if edge.local is not None:
            return all_zero(edge.local)
        # Tensor edges carry no local Jacobian: blocked when a nonzero upstream gives nothing.
        return all_zero(edge.downstream) and not all_zero(edge.upstream)

    def edge_saturated(self, edge: EdgeInfo) -> bool:
        """A one-operand op passes almost nothing: 0 < |local| < saturation, upstream != 0."""
        local = edge.local
        if local is None or isinstance(local, np.ndarray) or len(edge.child.parents) != 1:
            return False
        if isinstance(edge.upstream, np.ndarray) or not all_finite(edge.upstream):
            return False
        local = float(local)
        return 0.0 < abs(local) < self.saturation and float(edge.upstream) != 0.0

    def edge_marks(self, edge: EdgeInfo) -> list[str]:
        """The marks of an edge ("blocked", "saturated", "nonfinite", "noflow": viz.marks)."""
        return marks.edge_marks(self, edge)

    def edge_info(self, child: Any, slot: int) -> EdgeInfo | None:
        """The recorded edge into operand ``slot`` of ``child`` (None if none was sent)."""
        # A dict, not a search of the step's edges: a sum of 100,000 operands has as many.
        return self._edge_at.get((id(child), slot))
