"""What one frame of a step-by-step diagram shows, as one object per kind of frame.

A diagram is drawn by one ``Builder``; a frame differs from the finished diagram only in what
is known yet. Each kind of frame answers the same questions, so the builder asks them
without knowing which frame it draws:

- ``Done``: the finished diagram: every value and gradient known.
- ``Forward(k)``: the forward pass after k + 1 nodes are computed (topological order): their
  values are shown, the others read ``data ?``; no gradients yet.
- ``Backward(k)``: the backward pass after step k: gradients final up to that step, edges
  not traversed yet dotted, pending gradients ``grad ?``. ``Backward(-1)`` is step 0: every
  forward value, no gradient yet.

A new kind of frame is one more class here, not a new ``if`` in the builder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class Done:
    """The finished diagram."""

    cue = ""  # the words beside the highlight of the node the frame is about

    def computed(self, view: Any, node: Any) -> bool:
        """Is the node's forward value known?"""
        return True

    def final(self, view: Any, node: Any) -> bool:
        """Is the node's gradient final?"""
        return True

    def traversed(self, view: Any, edge: Any) -> bool:
        """Has gradient flowed along this edge?"""
        return True

    def now(self, view: Any, node: Any) -> bool:
        """Is this the node the frame is about (highlighted)?"""
        return False

    def made(self, view: Any, node: Any) -> bool:
        """Is the edge from a node's op to the node drawn as done?"""
        return True

    def pending_label(self, local: str) -> str:
        """The label of an edge no gradient has flowed along yet, given its local gradient."""
        return f"? × {local} = ?" if local else "?"


@dataclass(frozen=True)
class Forward(Done):
    """The forward pass: nodes 0..step (topological positions) computed, ``step`` now."""

    step: int
    cue = "computed now"

    def computed(self, view: Any, node: Any) -> bool:
        return view.index[node] <= self.step

    def final(self, view: Any, node: Any) -> bool:
        return False

    def traversed(self, view: Any, edge: Any) -> bool:
        return False

    def now(self, view: Any, node: Any) -> bool:
        return view.index[node] == self.step

    def made(self, view: Any, node: Any) -> bool:
        return self.computed(view, node)

    def pending_label(self, local: str) -> str:
        return " "  # no gradient talk before the backward pass (a blank keeps the layout)


@dataclass(frozen=True)
class Backward(Done):
    """The backward pass: steps 0..step done, ``step`` just now (-1: none yet)."""

    step: int
    cue = "final now"

    def final(self, view: Any, node: Any) -> bool:
        step = view.step_of.get(node)
        return step is not None and step.index <= self.step

    def traversed(self, view: Any, edge: Any) -> bool:
        return edge is None or edge.step <= self.step

    def now(self, view: Any, node: Any) -> bool:
        step = view.step_of.get(node)
        return step is not None and step.index == self.step

    def made(self, view: Any, node: Any) -> bool:
        return self.final(view, node)
