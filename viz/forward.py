"""Forward mode, drawn: tangents flowing from the inputs to the output.

Reverse mode (``viz.draw``) sends one number, d(root)/d(node), from the root back to every
input. Forward mode sends one number the other way: the tangent of each node, how fast it
moves when the inputs move in a chosen direction (dx/dt = 1 for the input x, say). Each node
adds up what its edges bring:

    tangent(node) = sum over its parents of  tangent(parent) x local(node, parent)

with the same local derivatives as backprop. A forward-mode diagram shows on every edge
``tangent in x local = contribution`` and in every node its value and its tangent; the frames
of ``draw_forward_steps`` show the tangents appearing one node at a time, in the order the
forward pass computes them, on one fixed layout.

For example::

    x, y = Value(2.0, label="x"), Value(-3.0, label="y")
    f = x * y + x.tanh()
    viz.draw_forward(f, {x: 1.0})    # df/dx, carried forward: y + (1 - tanh(x)**2)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import graphviz

from autograd import Value
from autograd.functional import forward_steps
from viz import style
from viz.diagram import Diagram, parse_layout, render_bytes
from viz.format import NodeNames, fmt_number

TANGENT = style.BLUISH_GREEN  # the colour of tangents (backward diagrams use orange/blue)


class _Record:
    """What the forward sweep computed: per node, its tangent and its incoming edges."""

    def __init__(self) -> None:
        self.order: list[Value] = []
        self.tangent: dict[Value, float] = {}
        self.edges: dict[Value, list[tuple[Value, float, float, float]]] = {}

    def __call__(self, node: Value, tangent: float, edges: list[Any]) -> None:
        self.order.append(node)
        self.tangent[node] = tangent
        self.edges[node] = edges


def _sweep(root: Value, seeds: Mapping[Value, float]) -> _Record:
    if not isinstance(root, Value):
        raise TypeError(
            f"draw_forward draws the scalar engine's forward mode: root must be a Value, not "
            f"{type(root).__name__} (for Tensors, autograd.functional.jvp gives J v)"
        )
    if not isinstance(seeds, Mapping) or not seeds:
        raise TypeError(
            "draw_forward: tangents must be a dict {input Value: its tangent}, e.g. {x: 1.0} "
            "for d/dx"
        )
    clean = {}
    for node, t in seeds.items():
        if not isinstance(node, Value):
            raise TypeError(f"draw_forward: tangents' keys must be Values, not {type(node)}")
        if isinstance(t, bool) or not isinstance(t, (int, float)):
            raise TypeError(f"draw_forward: the tangent of {node!r} must be a number, not {t!r}")
        clean[node] = float(t)
    record = _Record()
    forward_steps([root], clean, record=record)
    return record


def _names(record: _Record, digits: int) -> dict[Value, str]:
    """The name each node is drawn and captioned by: viz's one naming scheme (its label, a
    constant's value, or the expression that made it, as in ``viz.draw`` and the tables)."""
    index = {node: k for k, node in enumerate(record.order)}
    names = NodeNames(record.order, index, digits)
    return {node: names(node) for node in record.order}


def _build(
    record: _Record,
    names: dict[Value, str],
    rankdir: str,
    digits: int,
    known: int | None = None,
    positions: dict[str, tuple[float, float]] | None = None,
    title: str = "",
) -> graphviz.Digraph:
    """The DOT graph; with ``known`` only the first ``known`` nodes show their tangent."""
    dot = graphviz.Digraph(graph_attr={"rankdir": rankdir, "fontname": style.FONT, "label": title,
                                       "labelloc": "t", "nodesep": "0.3", "ranksep": "0.5"},
                           node_attr={"fontname": style.FONT, "fontsize": "11"},
                           edge_attr={"fontname": style.FONT, "fontsize": "10"})  # fmt: skip
    done = set(record.order if known is None else record.order[:known])
    current = None if known is None or known == 0 else record.order[known - 1]
    ids = {node: f"n{k}" for k, node in enumerate(record.order)}

    def fmt(x: float) -> str:
        return fmt_number(x, digits)

    for node in record.order:
        nid = ids[node]
        tangent = f"tangent {fmt(record.tangent[node])}" if node in done else "tangent ?"
        label = f"{names[node]}\\ndata {fmt(node.data)}\\n{tangent}"
        attrs = {"shape": "box", "style": "rounded,filled", "fillcolor": "#FFFFFF"}
        if node in done and record.tangent[node] != 0.0:
            attrs["fillcolor"] = "#D5F0E6"
            attrs["color"] = TANGENT
        if node is current:
            attrs["penwidth"] = "3"
            attrs["color"] = TANGENT
        if positions is not None and nid in positions:
            x, y = positions[nid]
            attrs["pos"] = f"{x:g},{y:g}!"
        dot.node(nid, label, **attrs)
    for node in record.order:
        for parent, t_in, local, part in record.edges[node]:
            shown = node in done
            text = f"{fmt(t_in)} × {fmt(local)} = {fmt(part)}" if shown else "? × ? = ?"
            color = TANGENT if shown and part != 0.0 else style.GREY
            dot.edge(ids[parent], ids[node], label=text, color=color, fontcolor=color)
    return dot


def draw_forward(
    root: Value, tangents: Mapping[Value, float], rankdir: str = "LR", *, digits: int = 4
) -> Diagram:
    """Forward mode drawn: every node shows its value and its tangent, every edge
    ``tangent in x local = contribution`` (contributions into a node add up).

    ``tangents`` gives the direction: ``{x: 1.0}`` computes d/dx of every node, ``{x: 1.0,
    y: 2.0}`` the derivative along (1, 2). The root's tangent is the directional derivative,
    the same number ``autograd.functional.jvp`` returns.
    """
    record = _sweep(root, tangents)
    names = _names(record, digits)
    title = f"forward mode: tangent of {names[root]} = {fmt_number(record.tangent[root], digits)}"
    return Diagram(_build(record, names, rankdir, digits, title=title),
                   caption=title, node_count=len(record.order))  # fmt: skip


def draw_forward_steps(
    root: Value, tangents: Mapping[Value, float], rankdir: str = "LR", *, digits: int = 4
) -> list[Diagram]:
    """One frame per node in forward (topological) order: the tangents computed so far, the
    current node outlined, on one layout pinned across frames so that nothing jumps."""
    record = _sweep(root, tangents)
    names = _names(record, digits)
    final = _build(record, names, rankdir, digits)
    layout = parse_layout(render_bytes(final.source, "json", "dot"))
    positions = {name: (x, y) for name, (x, y, _w, _h) in layout.nodes.items()}
    frames = []
    for k, node in enumerate(record.order, start=1):
        parts = " + ".join(
            f"{fmt_number(t_in, digits)} × {fmt_number(local, digits)}"
            for _p, t_in, local, _part in record.edges[node]
        )
        how = f" = {parts}" if parts else (" (given)" if node in tangents else " (held still)")
        text = (
            f"forward step {k} of {len(record.order)}: tangent of {names[node]}{how} = "
            f"{fmt_number(record.tangent[node], digits)}"
        )
        dot = _build(record, names, rankdir, digits, known=k, positions=positions, title=text)
        diagram = Diagram(dot, engine="nop2", caption=text, node_count=len(record.order))
        diagram.step_id = f"forward-{k}"
        frames.append(diagram)
    return frames
