"""Colours, text cues and the legend of gradflow's diagrams.

The colours are the Okabe-Ito palette, which stays distinguishable under the common forms of
colour blindness; every colour also comes with a text cue ("param", "blocked", "saturated"),
so that a diagram printed in grey still says everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from viz.format import escape

# Okabe & Ito (2008), "Color Universal Design".
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
BLACK = "#000000"

GREY = "#8C8C8C"
LIGHT_GREY = "#EEEEEE"
DIM = "#BBBBBB"
FONT = "Helvetica"


@dataclass(frozen=True)
class NodeStyle:
    fill: str
    border: str
    cue: str  # the word that says the same as the colour
    dashed: bool = False


ROLE_STYLES = {
    "param": NodeStyle(fill="#D4E9F7", border=BLUE, cue="param"),
    "input": NodeStyle(fill="#FCE9C2", border=ORANGE, cue="input"),
    "const": NodeStyle(fill="#FFFFFF", border=GREY, cue="const", dashed=True),
    "": NodeStyle(fill="#FFFFFF", border="#333333", cue=""),
    "group": NodeStyle(fill="#E3ECF3", border=BLUE, cue=""),
}
DIM_TEXT = "#AAAAAA"  # text off the highlighted path (draw(highlight=...))


@dataclass(frozen=True)
class Theme:
    """The colours around the boxes: background, text and edges (boxes keep their fills,
    light enough for black text on any background; "print" draws them white)."""

    bg: str
    fg: str
    edge: str
    op_fill: str
    fills: bool = True


THEMES = {
    "light": Theme(bg="white", fg=BLACK, edge=BLACK, op_fill="#F4F4F4"),
    "dark": Theme(bg="#1E1E1E", fg="#E8E8E8", edge="#D0D0D0", op_fill="#F4F4F4"),
    "print": Theme(bg="white", fg=BLACK, edge=BLACK, op_fill="white", fills=False),
}

# The highlight of the node a step-by-step frame is about. The marks (blocked, saturated,
# nan/inf, no gradient, dimmed) have their colours in viz/marks.py, one row each.
HIGHLIGHT_BORDER = BLUISH_GREEN
HIGHLIGHT_CUE = "final now"


def legend_label(
    roles: list[str],
    marks: list[str],
    *,
    steps: bool = False,
    tensor: bool = False,
    grads: bool = True,
    horizontal: bool = False,
) -> str:
    """An HTML-like Graphviz label: one row per style that this diagram uses (all in one row
    when ``horizontal``, for a diagram drawn top to bottom, where height is short)."""
    rows = []

    def swatch(style: NodeStyle, text: str) -> None:
        # (no style="dashed" on a cell: Graphviz 14's JSON renderer crashes on it)
        rows.append(
            f'<tr><td bgcolor="{style.fill}" color="{style.border}" border="2">'
            f'{escape(style.cue) or "&nbsp;"}</td><td align="left">{escape(text)}</td></tr>'
        )

    def line(color: str, sample: str, text: str) -> None:
        rows.append(
            f'<tr><td><font color="{color}">{escape(sample)}</font></td>'
            f'<td align="left">{escape(text)}</td></tr>'
        )

    descriptions = {
        "param": "parameter (trained)",
        "input": "input",
        "const": "constant",
        "": "computed value",
        "group": "neuron or layer, drawn as one box",
    }
    for role in roles:
        swatch(ROLE_STYLES[role], descriptions[role])
    if grads:
        if tensor:
            line(BLACK, "edge label", "gradient sent down the edge (downstream)")
        else:
            line(BLACK, "u × l = d", "upstream × local = downstream")
            if "branches" in marks:
                line(BLACK, "grad = a + b", "a gradient summed over its branches")
    from viz.marks import legend_rows  # the marks' own rows (viz.marks imports this module)

    for kind, look, text in legend_rows(marks):
        if kind == "swatch":
            swatch(look, text)
        else:
            line(look.edge_look.get("color", BLACK), look.legend_sample, text)
    if steps:
        rows.append(
            f'<tr><td color="{HIGHLIGHT_BORDER}" border="3">{HIGHLIGHT_CUE}</td>'
            '<td align="left">gradient just became final</td></tr>'
        )
        line(GREY, "· · · >", "edge not traversed yet")
        line(BLACK, "grad ?", "gradient not final yet")
    head = '<tr><td colspan="2"><b>legend</b></td></tr>'
    if horizontal:
        cells = "".join(row.removeprefix("<tr>").removesuffix("</tr>") for row in rows)
        head, rows = "", ["<tr><td><b>legend</b></td>" + cells + "</tr>"]
    return (
        '<<table border="1" cellborder="0" cellspacing="2" cellpadding="3" color="#999999" '
        'bgcolor="white">' + head + "".join(rows) + "</table>>"
    )
