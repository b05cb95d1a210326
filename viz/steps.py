"""The backward pass one step at a time: frames, a flip-book, and a table.

Backprop visits the nodes in reverse topological order. At each step one node's gradient
becomes final (every path into it has been summed), and the node sends
``upstream × local = downstream`` down each of its operand edges. ``draw_steps`` draws one
frame per step, all with the same layout (so nothing jumps as you flip through them):
the node whose gradient just became final is highlighted, edges not traversed yet are
dotted, and gradients not final yet read ``grad ?``. ``save_steps`` writes the frames into
one HTML file; ``backward_table`` lists the same steps as a table.

None of these changes the graph: the steps are recorded with every ``.grad`` restored after.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from viz.diagram import Diagram, parse_layout, render_bytes
from viz.draw import MAX_NODES, Builder, Options, check_options
from viz.format import NodeNames, escape, fmt_value
from viz.frames import Backward, Done, Forward
from viz.graph_view import SATURATION, GraphView, StepInfo


def _stepped_view(root: Any, saturation: float, what: str) -> GraphView:
    view = GraphView(root, grads=True, saturation=saturation)
    if view.steps is None:
        raise TypeError(
            f"{what} needs a root with backward_steps() (a Value); {type(root).__name__} has none"
        )
    return view


def draw_steps(
    root: Any,
    rankdir: str = "LR",
    *,
    digits: int = 4,
    legend: bool = True,
    max_nodes: int | None = MAX_NODES,
    saturation: float = SATURATION,
    forward: bool = False,
    start: bool = False,
) -> list[Diagram]:
    """One diagram per backward step, root first, every frame laid out identically.

    The layout is computed once, from the final graph (all gradients known), and every
    frame pins each node and edge where that layout put it. A graph with more than
    ``max_nodes`` nodes is refused (that many frames is no lesson); pass ``max_nodes=None``
    to make them anyway, or draw a part of the graph with ``viz.draw(root, focus=...)``.

    ``forward=True`` puts the forward pass first, one frame per node in topological order
    (its value appears); ``start=True`` adds step 0, every value and no gradient yet. Each
    frame's ``step_id`` says which it is: "forward-3", "step-0", "step-5".
    """
    check_options(rankdir, digits, max_nodes)
    view = _stepped_view(root, saturation, "draw_steps")
    if max_nodes is not None and len(view.nodes) > max_nodes:
        raise ValueError(
            f"draw_steps: the graph has {len(view.nodes)} nodes, more than max_nodes="
            f"{max_nodes}, and would make as many frames; pass max_nodes=None to make them "
            "anyway, or use viz.draw(root, focus=...) to look at one path"
        )
    options = Options(rankdir, digits, legend)
    final = Builder(view, options, view.nodes, steps_legend=True)
    layout = parse_layout(render_bytes(final.build().source, "json", "dot"))
    names = NodeNames(view.nodes, view.index, digits, view.aliases)
    plan: list[tuple[Done, str, str]] = []
    if forward:
        for k, node in enumerate(view.nodes):
            text = forward_caption(view, node, k, names, digits)
            plan.append((Forward(k), f"forward-{k + 1}", text))
    if start:
        plan.append((Backward(-1), "step-0", start_caption(view, names, digits)))
    for step in view.steps or ():
        plan.append(
            (Backward(step.index), f"step-{step.index + 1}", caption(view, step, digits, names))
        )
    frames = []
    for frame, step_id, text in plan:
        builder = Builder(
            view,
            options,
            view.nodes,
            frame=frame,
            layout=layout,
            legend_label=final.legend_label,
        )
        diagram = Diagram(builder.build(), engine="nop2", caption=text, node_count=len(view.nodes))
        diagram.step_id = step_id
        frames.append(diagram)
    return frames


def forward_caption(view: GraphView, node: Any, k: int, names: NodeNames, digits: int) -> str:
    """What frame ``k`` of the forward pass computes, in one sentence."""
    head = f"Forward {k + 1} of {len(view.nodes)}: "
    value = fmt_value(node.data, digits)
    if not node.parents:
        role = {"param": "a parameter", "input": "an input", "const": "a constant"}
        return head + f"{names(node)} is {role.get(view.role(node), 'a leaf')}, {value}."
    operands = " and ".join(f"{names(p)} = {fmt_value(p.data, digits)}" for p in node.parents)
    return head + f"{names(node)} = {value}, by {node.op} from {operands}."


def start_caption(view: GraphView, names: NodeNames, digits: int) -> str:
    """Step 0: the forward pass is done, the backward has not started."""
    value = fmt_value(view.root.data, digits)
    return (
        f"Step 0: the forward pass is done, {names(view.root)} = {value}; no gradient is "
        f"known yet. The backward starts at {names(view.root)}, whose gradient is 1."
    )


def caption(
    view: GraphView, step: StepInfo, digits: int = 4, names: NodeNames | None = None
) -> str:
    """What happens at ``step``, in one or two sentences, naming nodes as the diagram does."""
    names = names or NodeNames(view.nodes, view.index, digits, view.aliases)
    total = len(view.steps or ())
    name = names(step.node)
    text = (
        f"Step {step.index + 1} of {total}: the gradient of {name} is final, "
        f"{fmt_value(step.upstream, digits)}."
    )
    if not step.edges:
        return text + " It is a leaf: the gradient stops here."
    sends = []
    for edge in step.edges:
        parent = names(edge.parent)
        if edge.local is None:
            sends.append(f"{fmt_value(edge.downstream, digits)} to {parent}")
        else:
            sends.append(
                f"{fmt_value(step.upstream, digits)} × {fmt_value(edge.local, digits)} = "
                f"{fmt_value(edge.downstream, digits)} to {parent}"
            )
    return text + " It sends " + "; ".join(sends) + "."


# ---------------------------------------------------------------------------- flip-book

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 1em 2em; color: #222; }}
</style>
</head>
<body>
<h1>{title}</h1>
{stepper}
</body>
</html>
"""

# The stepper: frames, buttons, the table; the same HTML in a page and in a notebook cell.
# Without JavaScript (a notebook exported to static HTML, a viewer that strips scripts) every
# frame is shown one below the other; the script turns that into one frame at a time.
_STEPPER = """<div class="gf-stepper" id="{uid}stepper">
<style>
.gf-stepper nav {{ margin: 0.5em 0; }}
.gf-stepper nav button {{ font-size: 1em; padding: 0.3em 0.9em; }}
.gf-stepper.live .frame {{ display: none; }}
.gf-stepper.live .frame.current {{ display: block; }}
.gf-stepper .frame svg {{ max-width: 100%; height: auto; }}
.gf-stepper .caption {{ font-size: 1.05em; min-height: 2.6em; }}
.gf-stepper table.steps {{ border-collapse: collapse; margin-top: 1.5em; font-size: 0.9em; }}
.gf-stepper table.steps td, .gf-stepper table.steps th {{
  border: 1px solid #bbb; padding: 0.2em 0.6em; }}
.gf-stepper table.steps tbody.current {{ background: #cdeee3; }}
</style>
<nav>
<button type="button" id="{uid}prev">&larr; previous</button>
<button type="button" id="{uid}play">play</button>
<button type="button" id="{uid}next">next &rarr;</button>
<span class="counter">{count} frames</span>
<span>(or the left and right arrow keys; a step has its own address, #step=6)</span>
</nav>
{frames}
{table}
<script>
(function () {{
  var root = document.getElementById("{uid}stepper");
  var frames = root.querySelectorAll("div.frame");
  var rows = root.querySelectorAll("table.steps tbody");
  var counter = root.querySelector(".counter");
  var play = document.getElementById("{uid}play");
  var standalone = {standalone};
  var current = 0, timer = null;
  root.classList.add("live");
  function show(k) {{
    if (k < 0 || k >= frames.length) return false;
    frames[current].classList.remove("current");
    current = k;
    frames[current].classList.add("current");
    var key = frames[current].getAttribute("data-key");
    var step = key.indexOf("step=") === 0 ? Number(key.slice(5)) : 0;
    for (var r = 0; r < rows.length; r++) {{
      rows[r].classList.toggle("current", Number(rows[r].getAttribute("data-step")) === step);
    }}
    counter.textContent = frames[current].getAttribute("data-title") +
      " (" + (current + 1) + " of " + frames.length + ")";
    if (standalone && window.history.replaceState) {{
      window.history.replaceState(null, "", "#" + key);
    }}
    return true;
  }}
  function stop() {{
    if (timer) {{ clearInterval(timer); timer = null; }}
    play.textContent = "play";
  }}
  function fromHash() {{
    var key = window.location.hash.slice(1);
    for (var k = 0; k < frames.length; k++) {{
      if (frames[k].getAttribute("data-key") === key) return k;
    }}
    return -1;
  }}
  document.getElementById("{uid}prev").addEventListener("click", function () {{
    stop(); show(current - 1); }});
  document.getElementById("{uid}next").addEventListener("click", function () {{
    stop(); show(current + 1); }});
  play.addEventListener("click", function () {{
    if (timer) {{ stop(); return; }}
    if (current === frames.length - 1) show(0);
    play.textContent = "pause";
    timer = setInterval(function () {{ if (!show(current + 1)) stop(); }}, 1200);
  }});
  root.setAttribute("tabindex", "0");
  (standalone ? document : root).addEventListener("keydown", function (event) {{
    if (event.key === "ArrowLeft") {{ stop(); show(current - 1); }}
    if (event.key === "ArrowRight") {{ stop(); show(current + 1); }}
  }});
  if (standalone) window.addEventListener("hashchange", function () {{
    var k = fromHash(); if (k >= 0) show(k); }});
  var first = standalone ? fromHash() : -1;
  frames[0].classList.add("current");
  show(first >= 0 ? first : 0);
}})();
</script>
</div>"""

_XML_PROLOGUE = re.compile(r"^\s*<\?xml[^>]*\?>\s*(<!DOCTYPE[^>]*>\s*)?", re.DOTALL)


def inline_svg(svg: str, prefix: str) -> str:
    """An SVG document as an element to put inside HTML: no XML prologue, unique ids."""
    svg = _XML_PROLOGUE.sub("", svg)
    return re.sub(r'\bid="', f'id="{prefix}', svg)


def _frame_title(step_id: str) -> str:
    kind, _, k = step_id.partition("-")
    return f"forward {k}" if kind == "forward" else f"step {k}"


class Stepper:
    """The forward and backward passes as frames to step through, with the backward table.

    In Jupyter (JupyterLab and the classic notebook) it shows inline: previous, play/pause,
    next, the arrow keys; exported to static HTML without scripts, every frame is shown in
    order. ``save(path)`` writes the same as a self-contained page where each frame has its
    own address (``#forward=3``, ``#step=0`` for the forward values only, ``#step=6``).
    """

    def __init__(self, frames: list[Diagram], table: BackwardTable) -> None:
        self.frames = frames
        self.table = table

    def __len__(self) -> int:
        return len(self.frames)

    def html(self, *, standalone: bool = False) -> str:
        # Ids unique per stepper, so that several can live in one notebook.
        uid = "" if standalone else f"gf{uuid.uuid4().hex[:8]}-"
        parts = []
        for k, frame in enumerate(self.frames, start=1):
            step_id = getattr(frame, "step_id", f"step-{k}")
            key = step_id.replace("-", "=")
            svg = inline_svg(frame.pipe("svg").decode("utf-8"), f"{uid}f{k}-")
            parts.append(
                f'<div class="frame" id="{uid}frame-{k}" data-key="{key}" '
                f'data-title="{_frame_title(step_id)}">\n'
                f'<p class="caption">{escape(frame.caption)}</p>\n{svg}</div>'
            )
        return _STEPPER.format(
            uid=uid,
            count=len(self.frames),
            frames="\n".join(parts),
            table=self.table._repr_html_(),
            standalone="true" if standalone else "false",
        )

    def _repr_html_(self) -> str:
        return self.html()

    def save(self, path: str | Path, title: str = "Backward pass, step by step") -> str:
        page = _PAGE.format(title=escape(title), stepper=self.html(standalone=True))
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page, encoding="utf-8")
        return str(path)

    def __repr__(self) -> str:
        return f"<viz.Stepper: {len(self.frames)} frames; in Jupyter it shows inline>"


def stepper(
    root: Any,
    rankdir: str = "LR",
    *,
    digits: int = 4,
    forward: bool = True,
    start: bool = True,
    **options: Any,
) -> Stepper:
    """The forward pass (values appearing in topological order, if ``forward``), step 0
    (every value, no gradient yet, if ``start``), then every backward step, as a
    ``Stepper``: inline in Jupyter, or ``.save(path)`` as a page."""
    frames = draw_steps(root, rankdir, digits=digits, forward=forward, start=start, **options)
    return Stepper(frames, backward_table(root, digits=digits))


def save_steps(
    root: Any,
    path: str | Path,
    rankdir: str = "LR",
    *,
    digits: int = 4,
    title: str = "Backward pass, step by step",
    forward: bool = False,
    start: bool = False,
    **options: Any,
) -> str:
    """Write every backward step as one self-contained HTML flip-book (inline SVG, no network
    access; see ``Stepper``); ``forward=True`` and ``start=True`` add the forward pass and
    step 0 before them, as ``viz.stepper`` does."""
    flip_book = stepper(root, rankdir, digits=digits, forward=forward, start=start, **options)
    return flip_book.save(path, title)


# ---------------------------------------------------------------------------- table


@dataclass(frozen=True)
class TableEdge:
    """What one edge of a step sends: ``downstream = upstream × local`` to ``parent``."""

    parent: str
    local: Any  # None for tensor edges (the local Jacobian is not materialized)
    downstream: Any
    accumulated: Any  # the parent's gradient so far in this pass, this edge included


@dataclass(frozen=True)
class TableRow:
    """One backward step: ``node``'s gradient ``upstream`` is final; it flows down ``edges``."""

    step: int  # 1-based
    node: str
    op: str  # "" for a leaf
    role: str  # for leaves: "param", "input", "const"
    upstream: Any
    edges: tuple[TableEdge, ...]


class BackwardTable:
    """The backward pass as a table: one row per step (``len(table)`` steps).

    ``str(table)`` is plain text, and Jupyter shows it as HTML.
    """

    COLUMNS = (
        "step",
        "node",
        "op",
        "upstream",
        "to parent",
        "local",
        "downstream",
        "parent grad so far",
    )

    def __init__(self, rows: list[TableRow], digits: int = 4) -> None:
        self.rows = rows
        self.digits = digits

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Any:
        return iter(self.rows)

    def __getitem__(self, i: int) -> TableRow:
        return self.rows[i]

    # Shown as text or HTML: at most this many steps (all of them stay in ``rows``).
    SHOWN = 200

    def _more(self) -> str:
        """The last line of a long table: how many steps are not shown."""
        hidden = len(self.rows) - self.SHOWN
        return f"... and {hidden:,} more steps (table.rows has them all)" if hidden > 0 else ""

    def _cells(self) -> list[list[list[str]]]:
        """Per shown row, its lines of text cells (a step with k edges has k lines)."""
        f = self.fmt
        out = []
        for row in self.rows[: self.SHOWN]:
            op = row.op or f"({row.role})"
            head = [str(row.step), row.node, op, f(row.upstream)]
            if not row.edges:
                out.append([head + ["-", "", "", ""]])
                continue
            lines = []
            for k, e in enumerate(row.edges):
                first = head if k == 0 else ["", "", "", ""]
                local = "" if e.local is None else f(e.local)
                lines.append(first + [e.parent, local, f(e.downstream), f(e.accumulated)])
            out.append(lines)
        return out

    def fmt(self, x: Any) -> str:
        return fmt_value(x, self.digits)

    def __str__(self) -> str:
        cells = self._cells()
        widths = [len(c) for c in self.COLUMNS]
        for lines in cells:
            for line in lines:
                widths = [max(w, len(c)) for w, c in zip(widths, line, strict=True)]

        def render(line: list[str] | tuple[str, ...]) -> str:
            return "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()

        text = [render(self.COLUMNS), render(["-" * w for w in widths])]
        for lines in cells:
            text.extend(render(line) for line in lines)
        if self._more():
            text.append(self._more())
        return "\n".join(text)

    def __repr__(self) -> str:
        return f"<viz.BackwardTable: {len(self.rows)} steps>\n{self}"

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{escape(c)}</th>" for c in self.COLUMNS)
        bodies = []
        for row, lines in zip(self.rows[: self.SHOWN], self._cells(), strict=True):
            span = len(lines)
            trs = []
            for k, line in enumerate(lines):
                tds = []
                for col, cell in enumerate(line):
                    if col < 4:
                        if k == 0:
                            tds.append(f'<td rowspan="{span}">{escape(cell)}</td>')
                    else:
                        tds.append(f"<td>{escape(cell)}</td>")
                trs.append("<tr>" + "".join(tds) + "</tr>")
            bodies.append(f'<tbody data-step="{row.step}">' + "".join(trs) + "</tbody>")
        if self._more():
            columns = len(self.COLUMNS)
            bodies.append(
                f'<tbody><tr><td colspan="{columns}">{escape(self._more())}</td></tr></tbody>'
            )
        return f'<table class="steps"><thead><tr>{head}</tr></thead>' + "".join(bodies) + "</table>"


def backward_table(root: Any, *, digits: int = 4) -> BackwardTable:
    """The backward steps of ``root`` as a table, without changing any gradient.

    Each row: the node whose gradient is final, its op, that gradient (upstream), and per
    operand edge the local gradient, the downstream gradient, and the parent's gradient
    accumulated so far (at a branch it grows row by row: 0.5, then 1.5).
    """
    check_options("LR", digits, None)
    view = _stepped_view(root, SATURATION, "backward_table")
    names = NodeNames(view.nodes, view.index, digits, view.aliases)
    so_far: dict[Any, Any] = {}
    rows = []
    for step in view.steps or ():
        edges = []
        for edge in step.edges:
            previous = so_far.get(edge.parent)
            so_far[edge.parent] = (
                edge.downstream if previous is None else previous + edge.downstream
            )
            edges.append(
                TableEdge(
                    names(edge.parent),
                    edge.local,
                    edge.downstream,
                    so_far[edge.parent],
                )
            )
        rows.append(
            TableRow(
                step.index + 1,
                names(step.node),
                step.node.op,
                view.role(step.node),
                step.upstream,
                tuple(edges),
            )
        )
    return BackwardTable(rows, digits)
