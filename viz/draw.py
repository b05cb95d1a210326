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

At every size: the level of detail (every op, one box per neuron, one per layer) is the
finest whose smallest text stays >= 10 px on a 1920 x 1080 slide, judged from Graphviz's own
layout; Graphviz never gets more than ``max_nodes`` nodes (viz.select folds samples of a
batch and earlier nodes, in bounded time); edge labels are nodes of their own, so that no
label ever covers another or a box. What was folded is written under the diagram.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import graphviz
import numpy as np

from autograd.activations import activation_ops
from viz import style
from viz.collapse import Group, assign_layers, find_neurons, fold_layers, path_nodes, resolve_focus
from viz.diagram import Diagram, Layout, can_render
from viz.format import NodeNames, all_finite, all_zero, escape, fmt_sum, fmt_value, shape_of
from viz.frames import Done
from viz.graph_view import SATURATION, EdgeInfo, GraphView, has_backward
from viz.marks import BY_NAME, edge_cues, edge_look, node_border, node_cues, node_look
from viz.select import Mirror, find_folds, select

# The node budget: draw() never hands Graphviz more value and op boxes than this. Past it,
# the graph is folded further (samples, neurons, layers, earlier nodes) and the diagram
# says what was folded. Laying out this many boxes takes Graphviz well under a second.
MAX_NODES = 150
# The level of detail is the finest one with at most this many boxes: at that size a
# diagram fitted to a 1920 x 1080 slide keeps its text >= 10 px (tests/test_viz_layout.py).
READABLE = 60
# A column of more neurons than this does not fit a slide's height: layers are drawn instead.
TALLEST_COLUMN = 8
# The smallest text of an automatic diagram, fitted to a 1920 x 1080 slide, is at least this
# many pixels tall (when some level of detail achieves it).
SLIDE_TEXT_PX = 10.0
# Before folding into neurons and layers, at most this many nodes are looked at.
DETAIL_KEEP = 20_000

# A gradient summed from at most this many branches is written out as its sum.
MAX_TERMS = 6
# Between folded neurons, edges carry labels only while there are at most this many.
MAX_LABELLED_BUNDLES = 24

RANKDIRS = ("LR", "RL", "TB", "BT")
COLLAPSE = ("auto", "none", "neuron", "layer")
ROWS = ("data", "grad")

OP_SYMBOLS = {"*": "×", "/": "÷", "neg": "-x", "**": "^"}


class LargeGraphWarning(UserWarning):
    """``draw`` folded a large graph; the message says how to get the full one."""


@dataclass(frozen=True)
class Options:
    """How a diagram is drawn (see ``draw``'s arguments of the same names)."""

    rankdir: str = "LR"
    digits: int = 4
    legend: bool = True
    fontsize: float = 11.0
    theme: str = "light"
    transparent: bool = False
    number_format: str | None = None
    edge_labels: bool = True
    rows: tuple[str, ...] = ROWS
    dpi: float | None = None


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
        isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 4
    ):
        raise ValueError(f"max_nodes must be an int >= 4 or None, not {max_nodes!r}")


def check_root(root: Any) -> None:
    if not hasattr(root, "parents") or not hasattr(root, "data"):
        raise TypeError(
            f"viz needs a Value or a Tensor (an object with data and parents), "
            f"not {type(root).__name__}"
        )


def make_options(
    rankdir: str,
    digits: int,
    legend: bool,
    *,
    fontsize: float = 11.0,
    theme: str = "light",
    transparent: bool = False,
    number_format: str | None = None,
    edge_labels: bool = True,
    rows: Sequence[str] = ROWS,
    dpi: float | None = None,
) -> Options:
    """Checked ``Options``: a bad value is a ValueError naming the argument."""
    if (
        isinstance(fontsize, bool)
        or not isinstance(fontsize, (int, float))
        or not (4 <= fontsize <= 72)
    ):
        raise ValueError(f"fontsize must be a number of points from 4 to 72, not {fontsize!r}")
    if theme not in style.THEMES:
        raise ValueError(f"theme must be one of {', '.join(style.THEMES)}, not {theme!r}")
    if number_format is not None:
        try:
            format(1.5, number_format)
        except (TypeError, ValueError):
            raise ValueError(
                f"number_format must be a format spec for a float such as '.2f' or '.3g', "
                f"not {number_format!r}"
            ) from None
    if isinstance(rows, str):
        rows = (rows,)
    rows = tuple(rows)
    if any(r not in ROWS for r in rows):
        raise ValueError(f"rows must be a subset of {ROWS}, not {rows!r}")
    if dpi is not None and (
        isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not 10 <= dpi <= 1200
    ):
        raise ValueError(f"dpi must be a number from 10 to 1200 or None, not {dpi!r}")
    return Options(
        rankdir,
        digits,
        bool(legend),
        float(fontsize),
        theme,
        bool(transparent),
        number_format,
        bool(edge_labels),
        rows,
        None if dpi is None else float(dpi),
    )


# ---------------------------------------------------------------------------- public


def draw(
    root: Any,
    rankdir: str = "LR",
    *,
    digits: int = 4,
    grads: bool | None = None,
    legend: bool = True,
    focus: Any = None,
    highlight: Any = None,
    collapse: str | bool = "auto",
    max_nodes: int | None = MAX_NODES,
    saturation: float = SATURATION,
    fontsize: float = 11.0,
    theme: str = "light",
    transparent: bool = False,
    number_format: str | None = None,
    edge_labels: bool | None = None,
    rows: Sequence[str] = ROWS,
    dpi: float | None = None,
) -> Diagram:
    """Draw the graph that computed ``root`` (a ``Value`` or a ``Tensor``).

    The level of detail is chosen to stay readable on a slide: every op for a small graph,
    one box per neuron (w.x + b, activation) for a network, one per layer for a large one.
    A loss summed over samples draws the first sample and folds the others into one box.
    However large the graph, Graphviz gets at most ``max_nodes`` boxes, so drawing and
    rendering take seconds; what was folded is written under the diagram (``.folded``).

    Args:
        rankdir: "LR" (inputs left, root right), "TB", "RL" or "BT".
        digits: significant digits of every number (4: ``0.7311``, ``-18``).
        grads: show gradients; by default, only once a backward has reached ``root``
            (before that the diagram shows forward values, not misleading zeros). ``True`` on
            a fresh graph shows what ``root.backward()`` would give, without running it.
        legend: add a legend of the colours and marks used.
        focus: a node, a label, or a list of them: draw only the paths from those to root.
        highlight: the same, but keep the rest of the graph, greyed.
        collapse: the level of detail: "auto" (the finest readable one), "none" (every op:
            the op level), "neuron" or "layer"; True means "neuron", False "none".
        max_nodes: the node budget (None: no budget; a huge graph then takes long).
        saturation: a one-operand op with 0 < |local gradient| < this, under a nonzero
            upstream, is marked saturated (sigmoid at |z| > 7 for the default 1e-3).
        fontsize: text size in points (edge labels one point smaller).
        theme: "light", "dark" (light text on a dark background) or "print" (no fills).
        transparent: no background colour (for slides with their own background).
        number_format: a format spec for every number instead of ``digits``, e.g. ".2f".
        edge_labels: write ``upstream × local = downstream`` on the edges; by default, where
            the diagram still fits a slide with them (else they are left out, and it says so).
        rows: which rows value boxes show, from ("data", "grad").
        dpi: the scale: dots per inch of a PNG (Graphviz's default is 96, so 192 doubles
            it); an SVG is scaled by dpi / 72.
    """
    check_options(rankdir, digits, max_nodes)
    check_root(root)
    options = make_options(
        rankdir,
        digits,
        legend,
        fontsize=fontsize,
        theme=theme,
        transparent=transparent,
        number_format=number_format,
        edge_labels=True if edge_labels is None else edge_labels,
        rows=rows,
        dpi=dpi,
    )
    level = _check_collapse(collapse)
    budget = max_nodes
    wants_grads = has_backward(root) if grads is None else bool(grads)
    folds = find_folds(root)
    view = _view(root, grads, saturation, select(root, DETAIL_KEEP, wants_grads, folds=folds))
    nodes = view.nodes if focus is None else path_nodes(view, resolve_focus(view, focus))
    marked = None if highlight is None else set(path_nodes(view, resolve_focus(view, highlight)))
    plans = plan_levels(view, nodes, level, budget)
    if not plans and focus is not None:
        nodes, plans = _focus_nearest_root(view, nodes, _keep(level, budget), budget)
    if not plans:
        # Even folded into layers the graph is over budget: keep the nodes nearest the root.
        view = _nearest_root(root, grads, saturation, wants_grads, options, level, budget, folds)
        nodes, plans = view.nodes, [([], "", count_boxes(view.nodes, []))]
        marked = None if marked is None else {n for n in nodes if _source(n) in marked}
    choices = []
    for plan in plans:
        choices.append((plan, options))
        # Labels where the slide has room; a folded diagram may leave them out to fit (its
        # boxes show the gradients) before it folds more, and a tensor diagram (its labels
        # repeat the arrays of the boxes); a scalar diagram of every op keeps them:
        # upstream x local = downstream on every edge is its lesson.
        if edge_labels is None and (plan[0] or view.folded or view.is_tensor):
            choices.append((plan, replace(options, edge_labels=False)))
    candidates = choices if level == "auto" else choices[:1]
    diagram = _most_readable(view, nodes, candidates, marked, labels_asked=edge_labels)
    # Neurons and one sample of a batch are the readable default, said on the diagram only;
    # dropping earlier nodes, or folding whole layers, is said in a warning too.
    if view.cut or (level == "auto" and diagram.collapsed == "layer"):
        _warn_folded(view, diagram.collapsed, diagram.box_count, budget)
    return diagram


Plan = tuple[list[Group], str, int]  # the groups to fold, the level's name, the boxes


def _keep(level: str, budget: int) -> int:
    """How many values to keep when nothing else fits: a value box, its op circle and its
    edge's label are three nodes; "auto" aims at a readable diagram, not the whole budget."""
    return (min(READABLE, budget) if level == "auto" else budget) // 3


def _focus_nearest_root(
    view: GraphView, nodes: list[Any], keep: int, budget: int
) -> tuple[list, list]:
    """The focused paths over budget: their nodes nearest the root, ``keep`` or fewer."""
    while keep > 1 and count_boxes(nodes[-keep:], []) > budget:
        keep = keep * 2 // 3
    view.folded.append(
        f"{len(nodes) - keep:,} nodes of the focused paths, computed earlier, are not drawn"
    )
    view.cut = True
    nodes = nodes[-keep:]
    return nodes, [([], "", count_boxes(nodes, []))]


def _nearest_root(
    root: Any,
    grads: bool | None,
    saturation: float,
    wants_grads: bool,
    options: Options,
    level: str,
    budget: int,
    folds: list[Any],
) -> GraphView:
    """The view of the nodes nearest the root, the rest one box; for "auto", fewer nodes
    until the diagram fits a slide (a long chain cannot be drawn readably in one row)."""
    keep = _keep(level, budget)
    while True:
        chosen = select(root, keep, wants_grads, force=True, folds=folds)
        view = _view(root, grads, saturation, chosen)
        boxes = count_boxes(view.nodes, [])
        if keep <= 1:
            return view
        if boxes <= budget:
            if level != "auto" or not can_render():
                return view
            plan = ([], "", boxes)
            if _build(view, view.nodes, plan, options, None).slide_text_px() >= SLIDE_TEXT_PX:
                return view
        keep = keep * 2 // 3


def _most_readable(
    view: GraphView,
    nodes: list[Any],
    candidates: list[tuple[Plan, Options]],
    marked: set[Any] | None,
    *,
    labels_asked: bool | None,
) -> Diagram:
    """The first candidate (finest first) whose text is >= 10 px on a slide; if none is,
    the one with the largest text. Each candidate tried is laid out once."""
    best: tuple[float, Plan, Options] | None = None
    for plan, opts in candidates:
        diagram = _build(view, nodes, plan, opts, marked, _dropped(opts, labels_asked))
        if len(candidates) == 1 or not can_render():
            return diagram
        px = diagram.slide_text_px()
        if px >= SLIDE_TEXT_PX:
            return diagram
        if best is None or px > best[0]:
            best = (px, plan, opts)
    assert best is not None
    _, plan, opts = best
    return _build(view, nodes, plan, opts, marked, _dropped(opts, labels_asked))


def _dropped(options: Options, labels_asked: bool | None) -> bool:
    """Were the edge labels left out to fit (not at the user's request)?"""
    return not options.edge_labels and labels_asked is None


def _build(
    view: GraphView,
    nodes: list[Any],
    plan: Plan,
    options: Options,
    marked: set[Any] | None,
    dropped_labels: bool = False,
) -> Diagram:
    groups, chosen, _ = plan
    notes = view.folded + _level_note(chosen, groups)
    if dropped_labels:
        notes = notes + ["edge labels left out to fit a slide: viz.draw(root, edge_labels=True)"]
    builder = Builder(view, options, nodes, groups, highlight=marked, notes=notes)
    diagram = Diagram(
        builder.build(),
        collapsed=chosen,
        node_count=len(nodes),
        folded=notes,
        dpi=options.dpi,
    )
    diagram.box_count = builder.box_count
    diagram.smallest_font = options.fontsize - 1 if options.edge_labels else options.fontsize
    return diagram


def _source(node: Any) -> Any:
    return getattr(node, "source", None) if isinstance(node, Mirror) else node


def _view(root: Any, grads: bool | None, saturation: float, selection: Any) -> GraphView:
    return GraphView(root, grads=grads, saturation=saturation, selection=selection)


def _check_collapse(collapse: str | bool) -> str:
    if collapse is True:
        return "neuron"
    if collapse is False or collapse is None:
        return "none"
    if collapse not in COLLAPSE:
        raise ValueError(
            f"collapse must be one of {', '.join(COLLAPSE)} or a bool, not {collapse!r}"
        )
    return collapse


def _level_note(level: str, groups: list[Group]) -> list[str]:
    if not level:
        return []
    return [
        f"each {level} is drawn as one box ({len(groups)} {level}s); "
        "for every op use viz.draw(root, collapse='none')"
    ]


def _warn_folded(view: GraphView, level: str, boxes: int, budget: int | None) -> None:
    parts = list(view.folded)
    if level:
        parts.append(f"each {level} is drawn as one node ({boxes} nodes)")
    warnings.warn(
        f"viz.draw: the graph is larger than the node budget (max_nodes={budget}): "
        + "; ".join(parts)
        + ". For the full graph use viz.draw(root, collapse=False, max_nodes=None); to follow "
        "one parameter or input to the root use viz.draw(root, focus=<node or label>).",
        LargeGraphWarning,
        stacklevel=3,
    )


def _is_folded(node: Any) -> bool:
    """A box standing for many nodes (viz.select): samples 2 to N, the earlier nodes."""
    return getattr(node, "role", "") == "folded"


def count_boxes(nodes: list[Any], groups: Sequence[Group]) -> int:
    """How many nodes Graphviz gets: a value box per node outside groups, an op circle per
    computed one, a box per group, and a label node per labelled edge between them."""
    owner = {m: id(g) for g in groups for m in g.members}
    drawn = set(nodes)
    boxes = len(groups)
    into: set[tuple[Any, Any]] = set()  # into a group: labelled only while few
    out: set[tuple[Any, Any]] = set()  # out of a group into a single op: labelled
    for node in nodes:
        head = owner.get(node)
        if head is None:
            boxes += 2 if node.parents else 1
        for parent in node.parents:
            if parent not in drawn:
                continue
            tail = owner.get(parent)
            if head is None and tail is None and _is_folded(parent):
                out.add((id(parent), id(node)))  # edges from a folded box: one per pair
            elif head is None and tail is None:
                boxes += 1  # the edge's label
            elif head is None:
                out.add((tail, id(node)))
            elif tail != head:
                into.add((tail or id(parent), head))
    few = len(into) <= MAX_LABELLED_BUNDLES
    return boxes + len(out) + (len(into) if few else 0)


def plan_levels(view: GraphView, nodes: list[Any], level: str, budget: int | None) -> list[Plan]:
    """The levels of detail to try, finest first, each as (groups, level, boxes): within
    ``budget``, and for "auto" only those that may be readable (at most ``READABLE`` boxes,
    no column taller than ``TALLEST_COLUMN``) unless none is. Empty: nothing fits."""
    ops = count_boxes(nodes, [])
    plain: Plan = ([], "", ops)
    within = [] if budget is not None and ops > budget else [plain]
    if level == "none" or (level == "auto" and ops <= READABLE):
        return within
    neurons = find_neurons(view, nodes)
    if not neurons:
        return within
    layered = assign_layers(view, nodes, neurons)
    candidates = [plain, (neurons, "neuron", count_boxes(nodes, neurons))]
    if layered:
        layers = fold_layers(view, nodes, neurons)
        candidates.append((layers, "layer", count_boxes(nodes, layers)))
    fitting = [c for c in candidates if budget is None or c[2] <= budget]
    if level in ("neuron", "layer"):
        # The level asked for, or past the budget a coarser one (layers), or nothing.
        asked = candidates[1:] if level == "neuron" else candidates[-1:]
        return [c for c in asked if c in fitting][:1]
    readable = [c for c in fitting if c[2] <= READABLE and _column(c[0]) <= TALLEST_COLUMN]
    return readable + [c for c in fitting if c not in readable]


def _column(groups: list[Group]) -> int:
    """The most neurons drawn in one layer's column (0 at the op and layer levels)."""
    per_layer: dict[Any, int] = {}
    for g in groups:
        if g.kind == "neuron":
            per_layer[g.layer] = per_layer.get(g.layer, 0) + 1
    return max(per_layer.values(), default=0)


# ---------------------------------------------------------------------------- builder


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
        frame: Done | None = None,
        layout: Layout | None = None,
        steps_legend: bool = False,
        legend_label: str | None = None,
        highlight: set[Any] | None = None,
        notes: list[str] | None = None,
    ) -> None:
        self.view = view
        self.notes = view.folded if notes is None else notes
        self.opt = options
        self.theme = style.THEMES[options.theme]
        self.nodes = nodes
        self.drawn = set(nodes)
        self.groups = list(groups)
        self.owner = {m: g for g in self.groups for m in g.members}
        self.group_names = {id(g): f"g{k}" for k, g in enumerate(self.groups)}
        self.frame = frame or Done()  # what is known yet (viz.frames)
        self.layout = layout
        self.steps_legend = steps_legend or frame is not None
        self.legend_label = legend_label  # frames reuse the legend of the final layout
        self.highlight = highlight  # None, or the nodes drawn normally (the rest greyed)
        self.names = NodeNames(view.nodes, view.index, options.digits, view.aliases)
        self.edge_count = 0
        self.box_count = 0  # nodes handed to Graphviz, the legend aside
        self.roles: list[str] = []
        self.marks: set[str] = set()
        self.dot = graphviz.Digraph("diagram")
        size = options.fontsize
        graph = {
            "rankdir": options.rankdir,
            "fontname": style.FONT,
            "fontsize": f"{size:g}",
            "fontcolor": self.theme.fg,
            "nodesep": "0.25",
            # Top to bottom, the ranks are boxes and labels stacked: closer, to fit a slide.
            "ranksep": "0.3" if options.rankdir in ("LR", "RL") else "0.12",
            "bgcolor": "transparent" if options.transparent else self.theme.bg,
        }
        if options.dpi is not None:
            graph["dpi"] = f"{options.dpi:g}"
        self.dot.attr(**graph)
        self.dot.attr("node", fontname=style.FONT, fontsize=f"{size:g}", fontcolor=style.BLACK)
        self.dot.attr(
            "edge",
            fontname=style.FONT,
            fontsize=f"{size - 1:g}",
            arrowsize="0.7",
            color=self.theme.edge,
            fontcolor=self.theme.fg,
        )

    # ------------------------------------------------------------ helpers

    def fmt(self, x: Any) -> str:
        return fmt_value(x, self.opt.digits, self.opt.number_format)

    def name(self, node: Any) -> str:
        return f"n{self.view.index[node]}"

    def dimmed(self, node: Any) -> bool:
        """With ``highlight``: is this node off the highlighted paths (drawn greyed)?"""
        return self.highlight is not None and node not in self.highlight

    def is_final(self, node: Any) -> bool:
        """Is this node's gradient final (in a frame: yet)?"""
        return self.frame.final(self.view, node)

    def traversed(self, edge: EdgeInfo | None) -> bool:
        """Has gradient flowed along this edge (in a frame: yet)?"""
        return self.frame.traversed(self.view, edge)

    def add_role(self, role: str) -> None:
        if role not in self.roles:
            self.roles.append(role)

    def node(self, name: str, label: str, **attrs: str) -> None:
        if self.layout is not None and name in self.layout.nodes:
            x, y, _, _ = self.layout.nodes[name]
            attrs["pos"] = f"{x:g},{y:g}"
        self.box_count += 1
        self.dot.node(name, label, **attrs)

    def edge(self, tail: str, head: str, label: str = "", **attrs: str) -> None:
        """An edge; its label, if any, is a node of its own on the edge's way.

        Graphviz places a label node like any other node, never on top of one, so labels
        cannot overlap each other or a box, in any rankdir (dot's own edge labels can).
        """
        if label and self.opt.edge_labels:
            name = f"l{self.edge_count}"
            look = {k: attrs[k] for k in ("fontcolor", "class") if k in attrs}
            self.node(
                name,
                label,
                shape="plaintext",
                margin="0.03,0.01",
                width="0",
                height="0",
                fontsize=f"{self.opt.fontsize - 1:g}",
                fontcolor=attrs.get("fontcolor", self.theme.fg),
                **({"class": "edgelabel " + look["class"]} if "class" in look else {}),
            )
            first = {k: v for k, v in attrs.items() if k not in ("arrowhead",)}
            self._segment(tail, name, arrowhead="none", **first)
            self._segment(name, head, **attrs)
            return
        self._segment(tail, head, **attrs)

    def _segment(self, tail: str, head: str, **attrs: str) -> None:
        # Edges are named by their order of creation, so that a frame of draw_steps can find
        # each edge's place in the final layout.
        edge_id = f"e{self.edge_count}"
        self.edge_count += 1
        if self.layout is not None and edge_id in self.layout.edges:
            pos, _, _ = self.layout.edges[edge_id]
            if pos:
                attrs["pos"] = pos
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
        if not self.theme.fills:
            fill = "white"
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
        spec = self.opt.number_format
        if not self.is_final(node) and (not terms or len(terms) < len(view.terms[node])):
            if not terms:
                return ["grad ?"]
            if scalar:
                return [f"grad ? = {fmt_sum(downs, self.opt.digits, spec)} + ..."]
            return [f"grad ? ({len(terms)} of {len(view.terms[node])} branches in)"]
        grad = view.grad(node)
        if grad is None:  # a tensor that needs no gradient, or a folded box
            return []
        if getattr(node, "role", "") == "folded":
            return [f"grad {self.fmt(grad)} each"]
        summed = ""
        if view.mirrored and scalar and downs and None not in downs:
            # Part of the graph is folded: the drawn terms may be only part of the sum.
            rest = float(grad) - sum(float(d) for d in downs)
            if not math.isclose(rest, 0.0, rel_tol=1e-9, abs_tol=1e-12 * (1 + abs(grad))):
                self.marks.add("branches")
                shown = fmt_sum(downs[:MAX_TERMS], self.opt.digits, spec)
                return [f"grad {self.fmt(grad)} = {shown} + {self.fmt(rest)} folded"]
        if len(terms) >= 2:
            self.marks.add("branches")
            if scalar and len(terms) <= MAX_TERMS:
                summed = f" = {fmt_sum(downs, self.opt.digits, spec)}"
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
        else:
            shown = self.names.shown(node)
            if shown:
                head.append(escape(shown))
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
        if "data" in self.opt.rows and node.data is not None:
            known = self.frame.computed(self.view, node)
            rows.append(f"data {escape(self.fmt(node.data)) if known else '?'}")
        if "grad" in self.opt.rows and self.view.grads_shown:
            rows.extend(escape(row) for row in self.grad_rows(node))
        if getattr(node, "note", ""):
            rows.append(f"<i>{escape(node.note)}</i>")
        cues = node_cues(marks)
        if highlight:
            cues.insert(0, self.frame.cue)
        if cues:
            rows.append("<i>" + escape(", ".join(cues)) + "</i>")
        if not rows:
            rows = ["&nbsp;"]
        look = node_look(role, marks)
        if self.dimmed(node):
            look = node_look(role, ["dimmed"])
            rows = [f'<font color="{style.DIM_TEXT}">{row}</font>' for row in rows]
        border = style.HIGHLIGHT_BORDER if highlight else look.border
        thick = 4 if highlight else node_border(marks)
        return self.table(
            rows, look.fill, border, thick=thick, dashed=look.dashed, name=self.name(node)
        )

    def edge_label(self, edge: EdgeInfo | None, marks: list[str]) -> str:
        """``upstream × local = downstream`` (scalars); the gradient sent (tensors)."""
        if edge is None:
            return ""
        scalar_local = edge.local is not None and not isinstance(edge.local, np.ndarray)
        if not self.traversed(edge):
            return self.frame.pending_label(self.fmt(edge.local) if scalar_local else "")
        if scalar_local and not isinstance(edge.upstream, np.ndarray):
            text = (
                f"{self.fmt(edge.upstream)} × {self.fmt(edge.local)} = {self.fmt(edge.downstream)}"
            )
        elif edge.downstream is None:
            return ""
        else:
            text = f"sends {self.fmt(edge.downstream)}"
        cues = edge_cues(marks)
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
        highlight = self.frame.now(self.view, node)
        classes = " ".join(([role] if role else []) + marks + (["now"] if highlight else []))
        if self.dimmed(node):
            classes = (classes + " dimmed").strip()
            self.marks.add("dimmed")
        attrs = {"shape": "none", "margin": "0"}
        if classes:
            attrs["class"] = classes
        self.node(self.name(node), self.value_label(node, role, marks, highlight), **attrs)

    def op_node(self, node: Any) -> None:
        symbol = op_symbol(node.op)
        shape = "circle" if len(symbol) <= 3 else "ellipse"
        dim = self.dimmed(node)
        self.node(
            f"{self.name(node)}op",
            escape(symbol),
            shape=shape,
            style="filled",
            fillcolor=BY_NAME["dimmed"].look.fill if dim else self.theme.op_fill,
            color=BY_NAME["dimmed"].look.border if dim else "#555555",
            fontcolor=style.DIM_TEXT if dim else style.BLACK,
            fontsize=f"{self.opt.fontsize + 1:g}",
            margin="0.02",
            width="0.3",
            height="0.3",
        )

    def group_node(self, group: Group) -> None:
        """A neuron as one unit: its name, what it computes, its output and gradients."""
        view = self.view
        params = group.params
        rows = [f"<b>{escape(group.title)}</b>"]
        if group.kind == "layer":
            rows.append(
                escape(
                    f"{group.neurons} neuron{'s' if group.neurons != 1 else ''}, "
                    f"{len(params)} params"
                )
            )
        else:
            act = next((m.op for m in reversed(group.members) if m.op in activation_ops()), "")
            weights = sum(1 for p in params) - 1
            formula = f"w·x + b, {weights} inputs" if weights > 0 else "w·x + b"
            rows.append(escape(f"{act}({formula.split(',')[0]})" if act else formula))
        if len(group.outputs) == 1:
            out = group.outputs[0]
            if "data" in self.opt.rows:
                # A layer's one output is named as the neuron that computes it (L2.n0).
                alias = view.aliases.get(out, "") if group.kind == "layer" else ""
                named = f"{alias} = " if alias else ""
                rows.append(f"out {escape(named)}{escape(self.fmt(out.data))}")
            if view.grads_shown and "grad" in self.opt.rows:
                rows.append(f"grad {escape(self.fmt(view.grad(out)))}")
        else:
            rows.append(f"{len(group.outputs)} outputs")
        marks: list[str] = []
        if view.grads_shown and params and "grad" in self.opt.rows:
            grads = [view.grad(p) for p in params]
            biggest = max(float(np.max(np.abs(g))) if g is not None else 0.0 for g in grads)
            rows.append(f"max |param grad| {escape(self.fmt(biggest))}")
            if all(g is not None and all_zero(g) for g in grads):
                marks.append("nograd")
                rows.append(f"<i>{node_cues(['nograd'])[0]}</i>")
        self.marks.update(marks)
        self.add_role("group")
        look = node_look("group", marks)
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
        self.columns()
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
                # Edges from a group, into one, or from a box of folded nodes: one per pair.
                if head_group is not None or tail_group is not None or _is_folded(parent):
                    aggregated.setdefault((tail, head), []).append((edge, node, slot))
                    continue
                dim = self.dimmed(node) or self.dimmed(parent)
                self.operand_edge(tail, head, edge, dim=dim)
            if head_group is None:
                done = self.frame.made(self.view, node)
                attrs = {} if done else edge_look([], pending=True)
                if self.dimmed(node):
                    attrs["color"] = BY_NAME["dimmed"].edge_look["color"]
                self.edge(f"{self.name(node)}op", self.name(node), **attrs)
        # Between folded nodes, label the edges only while there are few of them.
        # Into a group, edges carry labels only while there are few of them (the groups'
        # boxes show the gradients); out of a group into a single op, an edge always does:
        # there the chain rule goes on, op by op.
        groups = set(self.group_names.values())
        into = [pair for pair in aggregated if pair[1] in groups]
        few = len(into) <= MAX_LABELLED_BUNDLES
        for (tail, head), edges in aggregated.items():
            labelled = few or head not in groups
            if len(edges) == 1:
                self.operand_edge(tail, head, edges[0][0], labelled=labelled)
            else:
                self.bundle_edge(tail, head, [e for e, _, _ in edges], labelled=labelled)
        if self.notes:
            self.dot.attr(
                label=escape("Folded: " + "; ".join(self.notes) + "."),
                labelloc="b",
                labeljust="l",
            )
        if self.opt.legend:
            self.legend()
        if self.layout is not None:
            self.anchors()
        return self.dot

    def columns(self) -> None:
        """Neurons of one layer in one aligned column (a row, top to bottom)."""
        by_layer: dict[int, list[str]] = {}
        for g in self.groups:
            if g.kind == "neuron" and g.layer is not None:
                by_layer.setdefault(g.layer, []).append(self.group_names[id(g)])
        for layer, names in sorted(by_layer.items()):
            with self.dot.subgraph(name=f"layer_{layer}") as sub:
                sub.attr(rank="same")
                for name in names:
                    sub.node(name)
                # Invisible edges within the column keep the neurons in the model's order
                # (n0 above n1 above n2), as a slide of the network would draw them.
                for upper, lower in zip(names[:-1], names[1:], strict=True):
                    sub.edge(upper, lower, style="invis")

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
        self,
        tail: str,
        head: str,
        edge: EdgeInfo | None,
        *,
        labelled: bool = True,
        dim: bool = False,
    ) -> None:
        if edge is not None:
            marks = self.view.edge_marks(edge)
        else:  # no gradient flows to this operand (a tensor that needs none)
            marks = ["noflow"] if self.view.steps is not None else []
        if not self.traversed(edge):
            self.edge(tail, head, self.edge_label(edge, []), **edge_look([], pending=True))
            return
        self.marks.update(m for m in marks if m != "noflow")
        label = self.edge_label(edge, marks) if labelled else ""
        attrs = edge_look(marks)
        if dim:
            attrs.update(BY_NAME["dimmed"].edge_look)
        self.edge(tail, head, label, **attrs)

    def bundle_edge(
        self, tail: str, head: str, edges: list[EdgeInfo | None], *, labelled: bool = True
    ) -> None:
        """Several original edges between folded nodes, drawn as one."""
        label = f"{len(edges)} edges"
        known = [e for e in edges if e is not None]
        marks: list[str] = []
        if known and len(known) == len(edges):
            if all(self.view.edge_blocked(e) for e in known):
                marks.append("blocked")
            if not self.view.is_tensor:
                total = sum(float(e.downstream) for e in known)
                label += f"\\nsum {self.fmt(total)}"
        self.marks.update(marks)
        attrs = {"penwidth": "2", **edge_look(marks)}  # a mark's own width wins
        self.edge(tail, head, label if labelled else "", **attrs)

    def legend(self) -> None:
        order = ["param", "input", "const", "", "group"]
        roles = [r for r in order if r in self.roles]
        label = self.legend_label or style.legend_label(
            roles,
            sorted(self.marks),
            steps=self.steps_legend,
            tensor=self.view.is_tensor,
            grads=self.view.grads_shown and "grad" in self.opt.rows and self.opt.edge_labels,
            horizontal=self.opt.rankdir in ("TB", "BT"),
        )
        self.legend_label = label
        with self.dot.subgraph(name="legend_rank") as sub:
            sub.attr(rank="sink")  # after the drawing: right of it (LR), or under it (TB)
            attrs = {"shape": "none", "margin": "0"}
            if self.layout is not None and "legend" in self.layout.nodes:
                x, y, _, _ = self.layout.nodes["legend"]
                attrs["pos"] = f"{x:g},{y:g}"
            sub.node("legend", label, **attrs)
