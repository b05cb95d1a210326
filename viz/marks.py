"""The marks a diagram puts on nodes and edges, one row each: its test, its look, its legend.

A mark says something about the gradient at a node or along an edge (nothing passes, almost
nothing passes, nan) in colour and in words. Each mark is one ``Mark`` in ``MARKS``, which
holds everything about it; a new annotation is one more row here, nothing else to edit:

- ``on_node(view, node)`` / ``on_edge(view, edge)``: does it apply (None: never there);
- ``look``: the colours and the word of a marked node; ``edge_look``: a marked edge's
  Graphviz attributes; ``edge_cue``: the word under a marked edge's label;
- ``legend``: its row in the legend, as a swatch (nodes) or a line sample (edges).

The rows are in order of strength: a node with several marks takes the colours of the first,
an edge the attributes of all, stronger ones over weaker ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from viz import style
from viz.format import all_finite, all_zero


@dataclass(frozen=True)
class Mark:
    name: str
    on_node: Callable[[Any, Any], bool] | None = None
    on_edge: Callable[[Any, Any], bool] | None = None
    look: style.NodeStyle | None = None
    edge_look: dict[str, str] = field(default_factory=dict)
    edge_cue: str = ""
    legend: str = ""  # what the legend says it means
    legend_sample: str = ""  # for an edge mark: the line sample drawn in the legend
    border: int = 1  # the border width of a marked node (3: a warning that must be seen)


def _nonfinite_node(view: Any, node: Any) -> bool:
    grad = view.grad(node) if view.grads_shown else None
    return not all_finite(node.data) or not all_finite(grad)


def _saturated_node(view: Any, node: Any) -> bool:
    step = view.step_of.get(node)
    return step is not None and len(step.edges) == 1 and view.edge_saturated(step.edges[0])


def _nograd_node(view: Any, node: Any) -> bool:
    terms = view.terms.get(node, [])
    return node is not view.root and bool(terms) and all(all_zero(t.downstream) for t in terms)


MARKS: tuple[Mark, ...] = (
    Mark(
        "nonfinite",
        on_node=_nonfinite_node,
        on_edge=lambda view, e: not all_finite(e.local) or not all_finite(e.downstream),
        look=style.NodeStyle(fill=style.YELLOW, border=style.BLACK, cue="nan/inf!"),
        edge_look={
            "color": style.BLACK,
            "fontcolor": style.BLACK,
            "penwidth": "3",
            "style": "bold",
        },  # fmt: skip
        edge_cue="[nan/inf]",
        legend="nan or inf",
        border=3,
    ),
    Mark(
        "saturated",
        on_node=_saturated_node,
        on_edge=lambda view, e: not view.edge_blocked(e) and view.edge_saturated(e),
        look=style.NodeStyle(fill="#F6DCEA", border=style.REDDISH_PURPLE, cue="saturated"),
        edge_look={"color": style.REDDISH_PURPLE, "fontcolor": "#7A3B5E", "penwidth": "2"},
        edge_cue="[saturated]",
        legend="|local| < 1e-3 under a nonzero upstream",
        border=3,
    ),
    Mark(
        "blocked",
        on_edge=lambda view, e: view.edge_blocked(e),
        edge_look={
            "color": style.VERMILLION,
            "fontcolor": style.VERMILLION,
            "style": "dashed",
            "penwidth": "2",
            "arrowhead": "tee",
        },  # fmt: skip
        edge_cue="[blocked]",
        legend="local gradient 0: nothing passes",
        legend_sample="- - -| [blocked]",
    ),
    Mark(
        "nograd",
        on_node=_nograd_node,
        look=style.NodeStyle(
            fill=style.LIGHT_GREY, border=style.GREY, cue="no gradient", dashed=True
        ),  # fmt: skip
        legend="receives only 0",
    ),
    Mark(
        # No gradient arrives from above (upstream 0): the edge is drawn grey, without a word.
        "noflow",
        on_edge=lambda view, e: not view.edge_blocked(e) and all_zero(e.upstream),
        edge_look={"color": style.GREY, "fontcolor": style.GREY},
    ),
    Mark(
        # A box that stands for many nodes of a large graph (viz.select): samples 2 to N,
        # the earlier nodes. Its gradient says "each": every term of a sum gets the same.
        "folded",
        on_node=lambda view, node: getattr(node, "role", "") == "folded",
        look=style.NodeStyle(fill="#F2F2F2", border=style.GREY, cue="folded", dashed=True),
        legend="many nodes drawn as one box",
    ),
    Mark(
        # A node of a gradient's own graph, made by a create_graph backward (autograd.grad):
        # it tells the backward part of the picture from the forward part it was computed from.
        "backward",
        on_node=lambda view, node: getattr(node, "role", "") == "backward",
        look=style.NodeStyle(fill="#E6F4EE", border=style.BLUISH_GREEN, cue="backward"),
        legend="computed by the backward pass (create_graph)",
    ),
    Mark(
        # Set by the builder, not tested: off the paths of draw(highlight=...).
        "dimmed",
        look=style.NodeStyle(fill="#F7F7F7", border="#CCCCCC", cue=""),
        edge_look={"color": "#CCCCCC", "fontcolor": "#AAAAAA"},
        legend="off the highlighted path",
    ),
)

BY_NAME = {mark.name: mark for mark in MARKS}


def node_marks(view: Any, node: Any) -> list[str]:
    """The names of the marks on ``node``, strongest first."""
    return [m.name for m in MARKS if m.on_node is not None and m.on_node(view, node)]


def edge_marks(view: Any, edge: Any) -> list[str]:
    """The names of the marks on ``edge``, strongest first."""
    return [m.name for m in MARKS if m.on_edge is not None and m.on_edge(view, edge)]


def node_look(role: str, marks: list[str]) -> style.NodeStyle:
    """A node's colours: those of its strongest mark, else of its role."""
    for mark in MARKS:
        if mark.name in marks and mark.look is not None:
            return mark.look
    return style.ROLE_STYLES[role]


def node_border(marks: list[str]) -> int:
    """The border width of a node with these marks."""
    return max((BY_NAME[m].border for m in marks), default=1)


def node_cues(marks: list[str]) -> list[str]:
    """The words a marked node carries, strongest first."""
    return [
        BY_NAME[m].look.cue for m in marks if BY_NAME[m].look is not None and BY_NAME[m].look.cue
    ]


def edge_look(marks: list[str], *, pending: bool = False) -> dict[str, str]:
    """Graphviz attributes of an edge with these marks (stronger marks win)."""
    if pending:  # a step-by-step frame: not traversed yet
        return {"color": style.DIM, "fontcolor": style.GREY, "style": "dotted", "class": "pending"}
    attrs: dict[str, str] = {}
    for mark in reversed(MARKS):
        if mark.name in marks:
            attrs.update(mark.edge_look)
    if marks:
        attrs["class"] = " ".join(marks)
    return attrs


def edge_cues(marks: list[str]) -> list[str]:
    return [BY_NAME[m].edge_cue for m in marks if BY_NAME[m].edge_cue]


def legend_rows(marks: set[str] | list[str]) -> list[tuple[str, Any, str]]:
    """Legend rows of the marks used: ("swatch", NodeStyle, text) or ("line", mark, text)."""
    rows = []
    for mark in MARKS:
        if mark.name not in marks or not mark.legend:
            continue
        if mark.look is not None:
            rows.append(("swatch", mark.look, mark.legend))
        else:
            rows.append(("line", mark, mark.legend))
    return rows
