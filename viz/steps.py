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
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from viz.diagram import Diagram, parse_layout, render_bytes
from viz.draw import MAX_NODES, Builder, FrameState, Options, check_options
from viz.format import NodeNames, fmt_value
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
) -> list[Diagram]:
    """One diagram per backward step, root first, every frame laid out identically.

    The layout is computed once, from the final graph (all gradients known), and every
    frame pins each node and edge where that layout put it. A graph with more than
    ``max_nodes`` nodes is refused (that many frames is no lesson); pass ``max_nodes=None``
    to make them anyway, or draw a part of the graph with ``viz.draw(root, focus=...)``.
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
    frames = []
    for step in view.steps or ():
        builder = Builder(
            view,
            options,
            view.nodes,
            frame=FrameState(step.index),
            layout=layout,
            legend_label=final.legend_label,
        )
        frames.append(
            Diagram(
                builder.build(),
                engine="nop2",
                caption=caption(view, step, digits),
                node_count=len(view.nodes),
            )
        )
    return frames


def caption(
    view: GraphView, step: StepInfo, digits: int = 4, names: NodeNames | None = None
) -> str:
    """What happens at ``step``, in one or two sentences, naming nodes as the diagram does."""
    names = names or NodeNames(view.nodes, view.index, digits)
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
nav {{ margin: 0.5em 0; }}
nav button {{ font-size: 1em; padding: 0.3em 0.9em; }}
.frame {{ display: none; }}
.frame.current {{ display: block; }}
.frame svg {{ max-width: 100%; height: auto; }}
.caption {{ font-size: 1.05em; min-height: 2.6em; }}
table.steps {{ border-collapse: collapse; margin-top: 1.5em; font-size: 0.9em; }}
table.steps td, table.steps th {{ border: 1px solid #bbb; padding: 0.2em 0.6em; }}
table.steps tbody.current {{ background: #cdeee3; }}
</style>
</head>
<body>
<h1>{title}</h1>
<nav>
<button type="button" id="prev">&larr; previous</button>
<span id="counter">step 1 of {count}</span>
<button type="button" id="next">next &rarr;</button>
<span>(or the left and right arrow keys)</span>
</nav>
{frames}
{table}
<script>
(function () {{
  var frames = document.querySelectorAll("div.frame");
  var rows = document.querySelectorAll("table.steps tbody");
  var current = 0;
  function show(k) {{
    if (k < 0 || k >= frames.length) return;
    frames[current].classList.remove("current");
    if (rows[current]) rows[current].classList.remove("current");
    current = k;
    frames[current].classList.add("current");
    if (rows[current]) rows[current].classList.add("current");
    document.getElementById("counter").textContent =
      "step " + (current + 1) + " of " + frames.length;
  }}
  document.getElementById("prev").addEventListener("click", function () {{ show(current - 1); }});
  document.getElementById("next").addEventListener("click", function () {{ show(current + 1); }});
  document.addEventListener("keydown", function (event) {{
    if (event.key === "ArrowLeft") show(current - 1);
    if (event.key === "ArrowRight") show(current + 1);
  }});
  show(0);
}})();
</script>
</body>
</html>
"""

_XML_PROLOGUE = re.compile(r"^\s*<\?xml[^>]*\?>\s*(<!DOCTYPE[^>]*>\s*)?", re.DOTALL)


def inline_svg(svg: str, prefix: str) -> str:
    """An SVG document as an element to put inside HTML: no XML prologue, unique ids."""
    svg = _XML_PROLOGUE.sub("", svg)
    return re.sub(r'\bid="', f'id="{prefix}', svg)


def save_steps(
    root: Any,
    path: str | Path,
    rankdir: str = "LR",
    *,
    digits: int = 4,
    title: str = "Backward pass, step by step",
    **options: Any,
) -> str:
    """Write the frames of ``draw_steps`` as one self-contained HTML flip-book.

    Every frame is inline SVG; previous/next buttons and the arrow keys flip through them;
    the backward table below highlights the current step. No network access is needed.
    """
    frames = draw_steps(root, rankdir, digits=digits, **options)
    table = backward_table(root, digits=digits)
    parts = []
    for k, frame in enumerate(frames, start=1):
        svg = inline_svg(frame.pipe("svg").decode("utf-8"), f"f{k}-")
        current = " current" if k == 1 else ""
        parts.append(
            f'<div class="frame{current}" id="frame-{k}" data-step="{k}">\n'
            f'<p class="caption">{escape(frame.caption)}</p>\n{svg}</div>'
        )
    page = _PAGE.format(
        title=escape(title), count=len(frames), frames="\n".join(parts), table=table._repr_html_()
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return str(path)


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

    def _cells(self) -> list[list[list[str]]]:
        """Per row, its lines of text cells (a step with k edges has k lines)."""
        f = self.fmt
        out = []
        for row in self.rows:
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
        return "\n".join(text)

    def __repr__(self) -> str:
        return f"<viz.BackwardTable: {len(self.rows)} steps>\n{self}"

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{escape(c)}</th>" for c in self.COLUMNS)
        bodies = []
        for row, lines in zip(self.rows, self._cells(), strict=True):
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
        return f'<table class="steps"><thead><tr>{head}</tr></thead>' + "".join(bodies) + "</table>"


def backward_table(root: Any, *, digits: int = 4) -> BackwardTable:
    """The backward steps of ``root`` as a table, without changing any gradient.

    Each row: the node whose gradient is final, its op, that gradient (upstream), and per
    operand edge the local gradient, the downstream gradient, and the parent's gradient
    accumulated so far (at a branch it grows row by row: 0.5, then 1.5).
    """
    check_options("LR", digits, None)
    view = _stepped_view(root, SATURATION, "backward_table")
    names = NodeNames(view.nodes, view.index, digits)
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
