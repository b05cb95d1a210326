"""``viz.draw``: a computation graph as a gradient-flow diagram.

What a reader sees, for ``L = (w2 * relu(w1 * x + b1) + b2 - 10) ** 2``:

- one box per value: its label (and what a leaf is: param, input, const), ``data``, and
  ``grad``; a gradient fed by several branches is written as its sum, ``grad 1.5 = 0.5 + 1``;
- one small circle per operation, with the op symbol;
- one edge per operand (``a + a`` has two), carrying the chain rule of that edge,
  ``upstream × local = downstream``, for example ``-6 × 3 = -18``;
- marks, in colour and in words: a blocked edge (local gradient exactly 0: a dead ReLU),
  nodes that receive only 0 (greyed), saturated nodes, nan and inf; and a legend.

Before any backward the diagram shows the forward values only. Node names in the DOT text
come from each node's position in the topological order, so the same graph always gives the
same bytes.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import graphviz
import numpy as np

from viz import style
from viz.collapse import Group, assign_layers, find_neurons, fold_layers, path_nodes, resolve_focus
from viz.diagram import Diagram, Layout
from viz.format import all_finite, all_zero, fmt_number, fmt_sum, fmt_value, shape_of
from viz.graph_view import SATURATION, EdgeInfo, GraphView

MAX_NODES = 300  # above this many values, draw() folds neurons (and layers) into single nodes
# Above this many drawn values, edge labels are placed after the layout (as xlabels): laying
# out a thousand labelled edges as dot does (each label a node of its own) takes seconds.
XLABEL_ABOVE = 300

# A gradient summed from at most this many branches is written out as its sum.
MAX_TERMS = 6
# Between folded neurons, edges carry labels only while there are at most this many.
MAX_LABELLED_BUNDLES = 60

RANKDIRS = ("LR", "RL", "TB", "BT")
COLLAPSE = ("auto", "none", "neuron", "layer")

OP_SYMBOLS = {"*": "×", "/": "÷", "neg": "-x", "**": "^"}


class LargeGraphWarning(UserWarning):
    """``draw`` folded a large graph; the message says how to get the full one."""


@dataclass(frozen=True)
class Options:
    rankdir: str = "LR"
    digits: int = 4
    legend: bool = True


def op_symbol(op: str) -> str:
    """The symbol drawn in an op node: ``*`` as ``×``, ``**2`` as ``^2``."""
    if op.startswith("**") and op != "**":
        return "^" + op[2:]
    return OP_SYMBOLS.get(op, op)


def check_options(rankdir: str, digits: int, max_nodes: int | None) -> None:
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, not {rankdir!r}")
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"digits must be an int from 1 to 17, not {digits!r}")
    if max_nodes is not None and (
        isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1
    ):
        raise ValueError(f"max_nodes must be a positive int or None, not {max_nodes!r}")


# ---------------------------------------------------------------------------- public


def draw(
    root: Any,
    rankdir: str = "LR",
    *,
    digits: int = 4,
    grads: bool | None = None,
    legend: bool = True,
    focus: Any = None,
    collapse: str | bool = "auto",
    max_nodes: int | None = MAX_NODES,
    saturation: float = SATURATION,
) -> Diagram:
    """Draw the graph that computed ``root`` (a ``Value`` or a ``Tensor``).

    Args:
        rankdir: "LR" (inputs left, root right), "TB", "RL" or "BT".
        digits: significant digits of every number (4: ``0.7311``, ``-18``).
        grads: show gradients; by default, only once a backward has reached ``root``
            (before that the diagram shows forward values, not misleading zeros). ``True`` on
            a fresh graph shows what ``root.backward()`` would give, without running it.
        legend: add a legend of the colours and marks used.
        focus: a node, a label, or a list of them: draw only the paths from those to root.
        collapse: "auto" folds each neuron into one node when the graph has more than
            ``max_nodes`` values, and each layer if that is still too many (with a
            ``LargeGraphWarning``); "neuron" or "layer" fold always; "none" or False never.
        max_nodes: the threshold of "auto" (None: never fold).
        saturation: a one-operand op with 0 < |local gradient| < this, under a nonzero
            upstream, is marked saturated (sigmoid at |z| > 7 for the default 1e-3).
    """
    check_options(rankdir, digits, max_nodes)
    view = GraphView(root, grads=grads, saturation=saturation)
    nodes = view.nodes if focus is None else path_nodes(view, resolve_focus(view, focus))
    groups, level = plan_collapse(view, nodes, collapse, max_nodes)
    builder = Builder(view, Options(rankdir, digits, legend), nodes, groups)
    return Diagram(builder.build(), collapsed=level, node_count=len(nodes))


def plan_collapse(
    view: GraphView, nodes: list[Any], collapse: str | bool, max_nodes: int | None
) -> tuple[list[Group], str]:
    """Which groups to fold (if any) and at which level: "", "neuron" or "layer"."""
    if collapse is True:
        collapse = "neuron"
    if collapse is False or collapse is None:
        collapse = "none"
    if collapse not in COLLAPSE:
        raise ValueError(
            f"collapse must be one of {', '.join(COLLAPSE)} or a bool, not {collapse!r}"
        )
    too_many = max_nodes is not None and len(nodes) > max_nodes
    if collapse == "none" or (collapse == "auto" and not too_many):
        return [], ""
    groups = find_neurons(view, nodes)
    if not groups:
        if collapse == "auto":
            warnings.warn(
                f"viz.draw: the graph has {len(nodes)} nodes, more than max_nodes={max_nodes}, "
                "and no neurons to fold; drawing it in full. To draw less, follow one leaf "
                "with viz.draw(root, focus=<node or label>).",
                LargeGraphWarning,
                stacklevel=3,
            )
        return [], ""
    layered = assign_layers(view, nodes, groups)
    grouped = {m for g in groups for m in g.members}
    units = len(groups) + sum(1 for node in nodes if node not in grouped)
    level = "neuron"
    wants_layers = collapse == "layer" or (collapse == "auto" and units > max_nodes)
    if wants_layers and layered:
        groups = fold_layers(view, nodes, groups)
        units = len(groups) + sum(1 for node in nodes if node not in grouped)
        level = "layer"
    if collapse == "auto":
        warnings.warn(
            f"viz.draw: the graph has {len(nodes)} nodes, more than max_nodes={max_nodes}, so "
            f"each {level} is drawn as one node ({units} nodes). For the full graph use "
            "viz.draw(root, collapse=False); to follow one parameter or input to the root "
            "use viz.draw(root, focus=<node or label>).",
            LargeGraphWarning,
            stacklevel=3,
        )
    return groups, level


# ---------------------------------------------------------------------------- builder


@dataclass(frozen=True)
class FrameState:
    """What ``draw_steps`` frame ``step`` shows: steps 0..step done, ``step`` just now."""

    step: int


class Builder:
    """Builds the ``graphviz.Digraph`` of a view: value nodes, op nodes, edges, legend.

    With ``frame`` and ``layout`` it builds one frame of ``draw_steps``: the same statements
    in the same order, every node and edge pinned where ``layout`` put it.
    """

    def __init__(
        self,
        view: GraphView,
        options: Options,
        nodes: list[Any],
        groups: Sequence[Group] = (),
        *,
        frame: FrameState | None = None,
        layout: Layout | None = None,
        steps_legend: bool = False,
        legend_label: str | None = None,
    ) -> None:
        self.view = view
        self.opt = options
        self.nodes = nodes
        self.drawn = set(nodes)
        self.groups = list(groups)
        self.owner = {m: g for g in self.groups for m in g.members}
        self.group_names = {id(g): f"g{k}" for k, g in enumerate(self.groups)}
        self.frame = frame
        self.layout = layout
        self.steps_legend = steps_legend or frame is not None
        self.legend_label = legend_label  # frames reuse the legend of the final layout
        self.edge_count = 0
        self.roles: list[str] = []
        self.marks: set[str] = set()
        self.use_xlabels = len(nodes) > XLABEL_ABOVE and not self.groups
        self.dot = graphviz.Digraph("diagram")
        self.dot.attr(
            rankdir=options.rankdir,
            fontname=style.FONT,
            nodesep="0.25",
            ranksep="0.35",
            bgcolor="white",
        )
        self.dot.attr("node", fontname=style.FONT, fontsize="11")
        self.dot.attr("edge", fontname=style.FONT, fontsize="10", arrowsize="0.7")

    # ------------------------------------------------------------ helpers

    def fmt(self, x: Any) -> str:
        return fmt_value(x, self.opt.digits)

    def name(self, node: Any) -> str:
        return f"n{self.view.index[node]}"

    def step_index(self, node: Any) -> int | None:
        step = self.view.step_of.get(node)
        return None if step is None else step.index

    def is_final(self, node: Any) -> bool:
        """In a frame: has this node's step happened? Outside frames: always."""
        if self.frame is None:
            return True
        index = self.step_index(node)
        return index is not None and index <= self.frame.step

    def traversed(self, edge: EdgeInfo | None) -> bool:
        """In a frame: has gradient flowed along this edge yet? Outside frames: always."""
        return self.frame is None or edge is None or edge.step <= self.frame.step

    def add_role(self, role: str) -> None:
        if role not in self.roles:
            self.roles.append(role)

    def node(self, name: str, label: str, **attrs: str) -> None:
        if self.layout is not None and name in self.layout.nodes:
            x, y, _, _ = self.layout.nodes[name]
            attrs["pos"] = f"{x:g},{y:g}"
        self.dot.node(name, label, **attrs)

    def edge(self, tail: str, head: str, label: str = "", **attrs: str) -> None:
        if label:
            attrs["xlabel" if self.use_xlabels else "label"] = label
        # Edges are named by their order of creation, so that a frame of draw_steps can find
        # each edge's place in the final layout.
        edge_id = f"e{self.edge_count}"
        self.edge_count += 1
        if self.layout is not None and edge_id in self.layout.edges:
            pos, lp, xlp = self.layout.edges[edge_id]
            for key, value in (("pos", pos), ("lp", lp), ("xlp", xlp)):
                if value:
                    attrs[key] = value
        self.dot.edge(tail, head, id=edge_id, **attrs)

    # ------------------------------------------------------------ labels

    def table(
        self,
        rows: list[str],
        fill: str,
        border: str,
        *,
        thick: int = 1,
        dashed: bool = False,
        name: str = "",
    ) -> str:
        """An HTML-like label: a record of cells, one per row."""
        size = ""
        if self.layout is not None and name in self.layout.nodes:
            # A frame's box is at least as wide as in the final layout (a minimum width, so
            # that the pinned edges still meet it, while longer text still fits).
            width = math.floor(self.layout.nodes[name][2]) - 2 * thick
            size = f' width="{max(1, width)}"'
        dash = ' style="dashed"' if dashed else ""
        cells = "".join(f"<tr><td{size}>{row}</td></tr>" for row in rows)
        return (
            f'<<table border="{thick}" cellborder="1" cellspacing="0" cellpadding="3" '
            f'color="{border}" bgcolor="{fill}"{dash}>{cells}</table>>'
        )

    def grad_rows(self, node: Any) -> list[str]:
        """``grad -18``; ``grad 1.5 = 0.5 + 1`` at a branch; ``grad ?`` while pending."""
        view = self.view
        terms = [t for t in view.terms[node] if self.traversed(t)]
        downs = [t.downstream for t in terms]
        scalar = not view.is_tensor
        if not self.is_final(node) and len(terms) < len(view.terms[node]):
            if not terms:
                return ["grad ?"]
            if scalar:
                return [f"grad ? = {fmt_sum(downs, self.opt.digits)} + ..."]
            return [f"grad ? ({len(terms)} of {len(view.terms[node])} branches in)"]
        grad = view.grad(node)
        if grad is None:  # a tensor that needs no gradient
            return []
        summed = ""
        if len(terms) >= 2:
            self.marks.add("branches")
            if scalar and len(terms) <= MAX_TERMS:
                summed = f" = {fmt_sum(downs, self.opt.digits)}"
            else:
                summed = f" (sum of {len(terms)} branches)"
        if view.grad_mismatch(node):
            total = view.pass_total(node)
            return [f"grad {self.fmt(grad)}", f"this graph: {self.fmt(total)}{summed}"]
        return [f"grad {self.fmt(grad)}{summed}"]

    def value_label(self, node: Any, role: str, marks: list[str], highlight: bool) -> str:
        head = []
        if node.label:
            head.append(f"<b>{escape(str(node.label))}</b>")
        if role:
            head.append(f"<i>{role}</i>")
        shape = shape_of(node.data)
        if shape is not None:  # a tensor: its shape, as 2×3, (3,) or scalar
            head.append(
                "×".join(map(str, shape))
                if len(shape) > 1
                else (f"({shape[0]},)" if shape else "scalar")
            )
        rows = ["  ".join(head)] if head else []
        rows.append(f"data {escape(self.fmt(node.data))}")
        if self.view.grads_shown:
            rows.extend(escape(row) for row in self.grad_rows(node))
        cues = [style.MARK_CUES[m] for m in marks]
        if highlight:
            cues.insert(0, style.HIGHLIGHT_CUE)
        if cues:
            rows.append("<i>" + escape(", ".join(cues)) + "</i>")
        look = style.node_style(role, marks)
        border = style.HIGHLIGHT_BORDER if highlight else look.border
        thick = 4 if highlight else (3 if marks and "nograd" not in marks else 1)
        return self.table(
            rows, look.fill, border, thick=thick, dashed=look.dashed, name=self.name(node)
        )

    def edge_label(self, edge: EdgeInfo | None, marks: list[str]) -> str:
        """``upstream × local = downstream`` (scalars); the gradient sent (tensors)."""
        if edge is None:
            return ""
        scalar_local = edge.local is not None and not isinstance(edge.local, np.ndarray)
        if not self.traversed(edge):
            return f"? × {self.fmt(edge.local)} = ?" if scalar_local else "?"
        if scalar_local and not isinstance(edge.upstream, np.ndarray):
            text = (
                f"{self.fmt(edge.upstream)} × {self.fmt(edge.local)} = {self.fmt(edge.downstream)}"
            )
        else:
            text = f"sends {self.fmt(edge.downstream)}"
        cues = [style.EDGE_CUES[m] for m in marks if m in style.EDGE_CUES]
        return text + "".join(f"\\n{cue}" for cue in cues)

    # ------------------------------------------------------------ graph parts

    def value_node(self, node: Any) -> None:
        view = self.view
        role = view.role(node)
        self.add_role(role)
        final = self.is_final(node)
        if final:
            marks = view.node_marks(node)
        else:  # a pending gradient has no marks yet; a nan in the forward value does
            marks = [] if all_finite(node.data) else ["nonfinite"]
        self.marks.update(marks)
        highlight = self.frame is not None and self.step_index(node) == self.frame.step
        classes = " ".join(([role] if role else []) + marks + (["now"] if highlight else []))
        attrs = {"shape": "none", "margin": "0"}
        if classes:
            attrs["class"] = classes
        self.node(self.name(node), self.value_label(node, role, marks, highlight), **attrs)

    def op_node(self, node: Any) -> None:
        symbol = op_symbol(node.op)
        shape = "circle" if len(symbol) <= 3 else "ellipse"
        self.node(
            f"{self.name(node)}op",
            escape(symbol),
            shape=shape,
            style="filled",
            fillcolor="#F4F4F4",
            color="#555555",
            fontsize="12",
            margin="0.02",
            width="0.3",
            height="0.3",
        )

    def group_node(self, group: Group) -> None:
        view = self.view
        params = group.params
        ops = sum(1 for m in group.members if m.parents)
        if group.kind == "layer":
            count = (
                f"{group.neurons} neuron{'s' if group.neurons != 1 else ''}, {len(params)} params"
            )
        else:
            count = f"{len(params)} params, {ops} ops"
        rows = [f"<b>{escape(group.title)}</b>", escape(count)]
        if len(group.outputs) == 1:
            out = group.outputs[0]
            rows.append(f"out {escape(self.fmt(out.data))}")
            if view.grads_shown:
                rows.append(f"grad {escape(self.fmt(view.grad(out)))}")
        else:
            rows.append(f"{len(group.outputs)} outputs")
        marks: list[str] = []
        if view.grads_shown and params:
            grads = [view.grad(p) for p in params]
            biggest = max(float(np.max(np.abs(g))) if g is not None else 0.0 for g in grads)
            rows.append(f"max |param grad| {escape(fmt_number(biggest, self.opt.digits))}")
            if all(g is not None and all_zero(g) for g in grads):
                marks.append("nograd")
                rows.append(f"<i>{style.NO_GRAD.cue}</i>")
        self.marks.update(marks)
        self.add_role("group")
        look = style.node_style("group", marks)
        name = self.group_names[id(group)]
        label = self.table(rows, look.fill, look.border, dashed=look.dashed, name=name)
        self.node(
            name, label, shape="none", margin="0", **{"class": " ".join([group.kind] + marks)}
        )

    def build(self) -> graphviz.Digraph:
        view = self.view
        aggregated: dict[tuple[str, str], list[tuple[EdgeInfo | None, Any, int]]] = {}
        placed: set[int] = set()
        for node in self.nodes:
            group = self.owner.get(node)
            if group is None:
                self.value_node(node)
                if node.parents:
                    self.op_node(node)
            elif id(group) not in placed:
                placed.add(id(group))
                self.group_node(group)
        for node in self.nodes:
            if not node.parents:
                continue
            head_group = self.owner.get(node)
            head = self.group_names[id(head_group)] if head_group else f"{self.name(node)}op"
            for slot, parent in enumerate(node.parents):
                if parent not in self.drawn:
                    continue
                tail_group = self.owner.get(parent)
                if head_group is not None and tail_group is head_group:
                    continue  # inside one folded neuron
                tail = self.group_names[id(tail_group)] if tail_group else self.name(parent)
                edge = view.edge_info(node, slot)
                if head_group is not None or tail_group is not None:
                    aggregated.setdefault((tail, head), []).append((edge, node, slot))
                    continue
                self.operand_edge(tail, head, edge)
            if head_group is None:
                done = self.frame is None or self.is_final(node)
                attrs = {} if done else style.edge_attrs([], pending=True)
                self.edge(f"{self.name(node)}op", self.name(node), **attrs)
        # Between folded nodes, label the edges only while there are few of them.
        labelled = len(aggregated) <= MAX_LABELLED_BUNDLES
        for (tail, head), edges in aggregated.items():
            if len(edges) == 1:
                self.operand_edge(tail, head, edges[0][0], labelled=labelled)
            else:
                self.bundle_edge(tail, head, [e for e, _, _ in edges])
        if self.opt.legend:
            self.legend()
        if self.layout is not None:
            self.anchors()
        return self.dot

    def anchors(self) -> None:
        """Two invisible points just outside the final layout's corners.

        Graphviz shifts a drawing so that its bounding box starts at (0, 0); a frame whose
        boxes are a little larger than in the final layout (a thicker highlight border)
        would then shift as a whole. With these corners every frame shifts alike.
        """
        x0, y0, x1, y1 = (float(v) for v in self.layout.bb.split(","))
        pad = 24
        for name, (x, y) in (
            ("corner_ll", (x0 - pad, y0 - pad)),
            ("corner_ur", (x1 + pad, y1 + pad)),
        ):
            self.dot.node(name, "", shape="point", style="invis", width="0", pos=f"{x:g},{y:g}")

    def operand_edge(
        self, tail: str, head: str, edge: EdgeInfo | None, *, labelled: bool = True
    ) -> None:
        if edge is not None:
            marks = self.view.edge_marks(edge)
        else:  # no gradient flows to this operand (a tensor that needs none)
            marks = ["noflow"] if self.view.steps is not None else []
        if self.frame is not None and not self.traversed(edge):
            self.edge(tail, head, self.edge_label(edge, []), **style.edge_attrs([], pending=True))
            return
        self.marks.update(m for m in marks if m != "noflow")
        label = self.edge_label(edge, marks) if labelled else ""
        self.edge(tail, head, label, **style.edge_attrs(marks))

    def bundle_edge(self, tail: str, head: str, edges: list[EdgeInfo | None]) -> None:
        """Several original edges between folded nodes, drawn as one."""
        label = f"{len(edges)} edges"
        known = [e for e in edges if e is not None]
        marks: list[str] = []
        if known and len(known) == len(edges):
            if all(self.view.edge_blocked(e) for e in known):
                marks.append("blocked")
            if not self.view.is_tensor:
                total = sum(float(e.downstream) for e in known)
                label += f"\\nsum {fmt_number(total, self.opt.digits)}"
        self.marks.update(marks)
        self.edge(tail, head, label, penwidth="2", **style.edge_attrs(marks))

    def legend(self) -> None:
        order = ["param", "input", "const", "", "group"]
        roles = [r for r in order if r in self.roles]
        label = self.legend_label or style.legend_label(
            roles,
            sorted(self.marks),
            steps=self.steps_legend,
            tensor=self.view.is_tensor,
            grads=self.view.grads_shown,
        )
        self.legend_label = label
        with self.dot.subgraph(name="legend_rank") as sub:
            sub.attr(rank="sink")
            attrs = {"shape": "none", "margin": "0"}
            if self.layout is not None and "legend" in self.layout.nodes:
                x, y, _, _ = self.layout.nodes["legend"]
                attrs["pos"] = f"{x:g},{y:g}"
            sub.node("legend", label, **attrs)
