"""How numbers, arrays and node names are written in diagrams and tables.

One rule everywhere: ``digits`` significant digits (4 by default), no trailing zeros, and
``-0`` written as ``0``, so that ``-6 × 0 = 0`` reads like the hand computation on a slide.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

import numpy as np

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def visible(text: object) -> str:
    """``text`` with each control character written out (ESC as ``\\x1b``): Graphviz refuses
    NUL, and neither SVG (XML) nor a page can hold the others. Tab and newline stay."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def escape(text: object) -> str:
    """Text for an HTML-like Graphviz label or a page: control characters written out,
    then ``& < > "`` escaped."""
    return html.escape(visible(text))


# Arrays with at most this many elements are written out in full; larger ones as a summary.
SMALL_ARRAY = 6


def fmt_number(x: float, digits: int = 4, spec: str | None = None) -> str:
    """``x`` with ``digits`` significant digits: 1.5, -18, 0.000911, 1.235e+04, nan, inf.

    ``spec``, a format spec such as ".2f", replaces the digits rule (a slide of fixed
    decimals); a value that rounds to zero is still written without a sign.
    """
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0.0:
        return "0" if spec is None else format(0.0, spec)  # -0.0 too: never "-0"
    if spec is not None:
        text = format(x, spec)
        return text[1:] if text.startswith("-") and float(text) == 0 else text
    return f"{x:.{digits}g}"


def fmt_array(a: np.ndarray, digits: int = 4, spec: str | None = None) -> str:
    """A tiny array in full (``[1, -2.5]``), a larger one as ``norm 3.2, min -1, max 2``."""
    a = np.asarray(a)
    if a.size <= SMALL_ARRAY:
        return _nested(a.tolist(), digits, spec)
    finite = a[np.isfinite(a)]
    parts = [f"norm {fmt_number(float(np.linalg.norm(finite)), digits)}"] if finite.size else []
    if finite.size:
        parts.append(f"min {fmt_number(float(finite.min()), digits)}")
        parts.append(f"max {fmt_number(float(finite.max()), digits)}")
    bad = a.size - finite.size
    if bad:
        parts.append(f"{bad} non-finite")
    return ", ".join(parts)


def _nested(x: Any, digits: int, spec: str | None = None) -> str:
    if isinstance(x, list):
        return "[" + ", ".join(_nested(item, digits, spec) for item in x) + "]"
    return fmt_number(x, digits, spec)


def fmt_value(x: Any, digits: int = 4, spec: str | None = None) -> str:
    """A float with ``fmt_number``, an ndarray with ``fmt_array``."""
    if isinstance(x, np.ndarray):
        return fmt_array(x, digits, spec) if x.ndim else fmt_number(float(x), digits, spec)
    return fmt_number(x, digits, spec)


def fmt_sum(terms: list[float], digits: int = 4, spec: str | None = None) -> str:
    """Scalar terms as a sum a reader can check: ``0.5 + 1``, ``-12 - 6``."""
    text = fmt_number(terms[0], digits, spec)
    for term in terms[1:]:
        if term < 0:
            text += f" - {fmt_number(-term, digits, spec)}"
        else:
            text += f" + {fmt_number(term, digits, spec)}"
    return text


def shape_of(x: Any) -> tuple[int, ...] | None:
    """The shape of an ndarray, ``None`` for a plain number."""
    return tuple(x.shape) if isinstance(x, np.ndarray) else None


def all_finite(x: Any) -> bool:
    """True if ``x`` (a number or an array; ``None`` counts as finite) has no nan or inf."""
    if type(x) is float:  # the scalar engine's numbers: no NumPy call (thousands per diagram)
        return math.isfinite(x)
    return x is None or bool(np.all(np.isfinite(x)))


def has_nan(x: Any) -> bool:
    """True if ``x`` (a number or an array) holds a nan; ``None`` holds none."""
    return x is not None and bool(np.any(np.isnan(x)))


def all_zero(x: Any) -> bool:
    """True if ``x`` is exactly zero everywhere (``None`` is not zero: nothing was computed)."""
    if type(x) is float:
        return x == 0.0
    return x is not None and bool(np.all(np.equal(x, 0)))


# An expression longer than this is not used as a name: the node is called #k instead.
NAME_LENGTH = 24
_BINARY = ("+", "-", "*", "/", "**", "@")


class NodeNames:
    """One name per node, shared by the diagram, the backward table and the captions.

    A node is called by its label; a constant by its value; an unlabelled computed node by
    the expression that made it from its operands' names (``w1 * x``, ``relu(w1 * x + b1)``)
    while that is at most ``NAME_LENGTH`` characters, else ``#k`` (k its position in the
    topological order). The diagram writes every name that is not a label at the top of the
    node's box, so a name in the table is always a name in the picture.
    """

    def __init__(
        self,
        nodes: list[Any],
        index: dict[Any, int],
        digits: int = 4,
        aliases: dict[Any, str] | None = None,
    ) -> None:
        self.digits = digits
        self.index = index
        # Nodes named by the part of the model they belong to (a neuron's output: "L0.n1").
        self._names: dict[Any, str] = dict(aliases or {})
        self._exprs: dict[Any, bool] = {}  # name is a binary expression (needs brackets)
        for node in nodes:
            self._name(node)

    def _name(self, node: Any) -> str:
        known = self._names.get(node)
        if known is not None:
            return known
        if node.label:
            name = str(node.label)
        elif not node.parents and getattr(node, "role", "") == "const":
            name = fmt_value(node.data, self.digits)
        elif not node.parents:
            name = f"#{self.index.get(node, 0)}"
        else:
            # An operand outside the drawn part is "..."; a binary expression is bracketed
            # where it is an operand of another operator: (w1 * x) + b1, but relu(w1 * x).
            plain = [self._names.get(p, "...") for p in node.parents]
            wrapped = [
                f"({t})" if self._exprs.get(p) else t
                for t, p in zip(plain, node.parents, strict=True)
            ]
            op = node.op
            if op in _BINARY and len(plain) == 2:
                name = f"{wrapped[0]} {op} {wrapped[1]}"
                self._exprs[node] = True
            elif op.startswith("**") and len(plain) == 1:
                name = f"{wrapped[0]}{op}"
            elif op == "neg" and len(plain) == 1:
                name = f"-{wrapped[0]}"
            else:
                name = f"{op}({', '.join(plain)})"
            if len(name) > NAME_LENGTH:
                name = f"#{self.index.get(node, 0)}"
                self._exprs[node] = False
        self._names[node] = name
        return name

    def __call__(self, node: Any) -> str:
        return self._name(node)

    def shown(self, node: Any) -> str:
        """The name the diagram writes at the top of the node's box ("" for a label, which
        is written in bold there anyway)."""
        return "" if node.label else self._name(node)
