"""A ``Diagram``: DOT text plus the means to lay it out and render it, in-process.

Rendering needs no system Graphviz. The ``pygraphviz`` wheels bundle the Graphviz library, and
``pygraphviz.AGraph(string=dot).draw(...)`` lays out and renders inside this process. Only
where pygraphviz is missing is a ``dot`` program on PATH used (through the ``graphviz``
package); with neither, rendering raises an error that says what to install, while
``Diagram.source`` (the DOT text) still works.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import graphviz

FORMATS = ("svg", "png", "pdf", "json", "dot", "plain")

INSTALL_HINT = (
    "Rendering a diagram needs Graphviz. Install it with `pip install pygraphviz` (its wheels "
    "bundle the Graphviz library, so no system package is needed), or install Graphviz so "
    "that `dot` is on PATH (for example `apt install graphviz` or `brew install graphviz`). "
    "Diagram.source, the DOT text, works without it."
)


SLIDE = (1920.0, 1080.0)  # a full-HD slide, in pixels


def text_px(bb: str, font_pt: float, slide: tuple[float, float] = SLIDE) -> float:
    """How tall text of ``font_pt`` points is, in pixels, when a drawing of bounding box
    ``bb`` ("x0,y0,x1,y1" in points) is scaled to fit ``slide``."""
    x0, y0, x1, y1 = (float(v) for v in bb.split(","))
    width, height = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    return font_pt * min(slide[0] / width, slide[1] / height)


class GraphvizNotFoundError(RuntimeError):
    """Neither pygraphviz nor a ``dot`` program is available to lay out a diagram."""


def render_bytes(source: str, format: str = "svg", engine: str = "dot") -> bytes:
    """Lay out and render DOT ``source``: pygraphviz in-process, else ``dot`` on PATH.

    ``engine`` is "dot" (compute a layout) or "nop2" (keep the ``pos`` of every node and
    edge as given: the fixed layout of ``draw_steps`` frames).
    """
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
    try:
        import pygraphviz
    except ImportError:
        pygraphviz = None
    if pygraphviz is not None:
        return pygraphviz.AGraph(string=source).draw(format=format, prog=engine)
    if shutil.which("dot") is not None:
        if engine == "nop2":  # the command-line spelling of the same layout: neato -n2
            return graphviz.pipe("neato", format, source.encode(), neato_no_op=2, quiet=True)
        return graphviz.pipe(engine, format, source.encode(), quiet=True)
    raise GraphvizNotFoundError(INSTALL_HINT)


def can_render() -> bool:
    """True when a layout can be computed here (pygraphviz, or ``dot`` on PATH)."""
    try:
        import pygraphviz  # noqa: F401
    except ImportError:
        return shutil.which("dot") is not None
    return True


@dataclass(frozen=True)
class Layout:
    """Where Graphviz put everything, in points (1/72 inch), y upwards.

    ``nodes`` maps a DOT node name to (x, y, width, height); ``edges`` maps an edge's ``id``
    attribute to its spline ``pos`` and label position (``lp``, or ``xlp`` for an external
    label; "" when the edge has no label).
    """

    nodes: dict[str, tuple[float, float, float, float]]
    edges: dict[str, tuple[str, str, str]]
    bb: str


def parse_layout(json_bytes: bytes) -> Layout:
    data = json.loads(json_bytes)
    nodes = {}
    for obj in data.get("objects", []):
        if "pos" not in obj:  # clusters have a bounding box instead
            continue
        x, y = (float(v) for v in obj["pos"].split(","))
        nodes[obj["name"]] = (x, y, float(obj["width"]) * 72, float(obj["height"]) * 72)
    edges = {
        edge["id"]: (edge.get("pos", ""), edge.get("lp", ""), edge.get("xlp", ""))
        for edge in data.get("edges", [])
        if "id" in edge
    }
    return Layout(nodes, edges, data.get("bb", ""))


_SVG_SIZE = re.compile(r'<svg width="([0-9.]+)pt" height="([0-9.]+)pt"')


def fit_width(svg: str) -> str:
    """An SVG drawn at its natural size, but never wider than its container.

    Graphviz writes fixed ``width``/``height`` in points; a wide diagram would overflow a
    notebook cell. With ``width="100%"`` and a ``max-width`` of its natural size, the SVG
    shrinks to the cell (its ``viewBox`` keeps the proportions) and never grows past 1:1.
    """
    match = _SVG_SIZE.search(svg)
    if match is None:
        return svg
    width_pt = float(match.group(1))
    width_px = width_pt * 4 / 3  # 1 pt = 4/3 px at the CSS 96 dpi
    return (
        svg[: match.start()]
        + f'<svg width="100%" style="max-width: {width_px:.0f}px; height: auto"'
        + svg[match.end() :]
    )


class Diagram:
    """A gradient-flow diagram: DOT text that renders to SVG, PNG or PDF.

    Attributes:
        digraph: the ``graphviz.Digraph`` the DOT text is built with.
        engine: "dot", or "nop2" for a frame of ``draw_steps`` (positions fixed in advance).
        collapsed: "" for the full graph, "neuron" or "layer" if folded.
        caption: a sentence about what the diagram shows (the step, for a frame).
    """

    def __init__(
        self,
        digraph: graphviz.Digraph,
        *,
        engine: str = "dot",
        collapsed: str = "",
        caption: str = "",
        node_count: int = 0,
        folded: list[str] | None = None,
        dpi: float | None = None,
    ) -> None:
        self.digraph = digraph
        self.engine = engine
        self.collapsed = collapsed
        self.caption = caption
        self.node_count = node_count
        self.folded = list(folded or [])  # what was folded to stay readable, in words
        self.dpi = dpi
        self.box_count = 0  # nodes handed to Graphviz (the legend aside)
        self.smallest_font = 10.0  # points: the edge labels' size

    @property
    def source(self) -> str:
        """The DOT text; the same graph gives byte-identical text on every run."""
        return self.digraph.source

    def pipe(self, format: str = "svg") -> bytes:
        """The rendered diagram as bytes ("svg", "png", "pdf"; also "json", "dot", "plain")."""
        return render_bytes(self.source, format, self.engine)

    def render(self, path: str | Path, format: str | None = None) -> str:
        """Write the diagram to ``path``; the format comes from the suffix unless given."""
        path = Path(path)
        if format is None:
            format = path.suffix.lstrip(".").lower()
            if format not in ("svg", "png", "pdf"):
                raise ValueError(
                    f"cannot tell the format from {path.name!r}: use a .svg, .png or .pdf "
                    f"suffix, or pass format="
                )
        data = self.pipe(format)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return str(path)

    def layout(self) -> Layout:
        """Node and edge positions as laid out by Graphviz."""
        return parse_layout(self.pipe("json"))

    def slide_text_px(self, slide: tuple[float, float] = SLIDE) -> float:
        """The height in pixels of the diagram's smallest text when the whole diagram is
        fitted to a slide of ``slide`` pixels (1920 x 1080): smallest font size (points)
        times the fitting scale, min(slide width / diagram width, slide height / height)."""
        return text_px(self.layout().bb, self.smallest_font, slide)

    def positions(self) -> dict[str, tuple[float, float]]:
        """Node name -> (x, y) centre, in points."""
        return {name: (x, y) for name, (x, y, _, _) in self.layout().nodes.items()}

    def _repr_svg_(self) -> str:
        """Inline display in Jupyter: an SVG that scales down to the cell's width."""
        return fit_width(self.pipe("svg").decode("utf-8"))

    def __repr__(self) -> str:
        folded = f", collapsed={self.collapsed!r}" if self.collapsed else ""
        return f"<viz.Diagram: {self.node_count} nodes{folded}; .source for DOT, .pipe() to render>"

    def __str__(self) -> str:
        return self.source
