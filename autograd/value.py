"""The scalar engine: a ``Value`` is one number in a computation graph.

Every operation follows one pattern, in one short block: compute the output, then state the
local derivative with respect to each operand right beside it, as a closure. For example::

    def __mul__(self, other):
        a, b = self.data, other.data
        # d(a*b)/da = b,  d(a*b)/db = a
        return _result(a * b, "*", (self, other), (lambda: b, lambda: a))

``backward()`` then applies the chain rule in reverse topological order: every node passes
``upstream * local`` down each edge, and a node reached by several edges sums them.

Two things micrograd does differently, on purpose:
- the closures capture plain floats (the forward values) and never the node they belong to,
  so a graph has no reference cycles and is freed by reference counting the moment its root
  is dropped, with no work for the cyclic garbage collector;
- ``parents`` is a tuple in call order, not a set, so ``a + a`` has two edges.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple, Union

from autograd import anomaly, ieee
from autograd.anomaly import _AnomalyMode
from autograd.graph import _GradMode, topological_order

_new_value = object.__new__

Number = int | float
Operand = Union["Value", int, float]  # noqa: UP007 (Value is not defined yet at run time)
LocalGrad = Callable[[], float]

# SELU's constants, from Klambauer et al. (2017), as PyTorch uses them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)


def _one() -> float:
    return 1.0


def _minus_one() -> float:
    return -1.0


def _zero() -> float:
    return 0.0


def _half() -> float:
    return 0.5


class Edge(NamedTuple):
    """One edge of a backward step: how much gradient flows from a node into one parent."""

    parent: Value
    local: float  # d(node)/d(parent), the local gradient
    downstream: float  # upstream * local: what this edge adds to parent.grad


class Step(NamedTuple):
    """One step of backprop: ``node``'s gradient is final and is passed to its parents."""

    node: Value
    upstream: float  # d(root)/d(node), summed over every path (this backward's share)
    edges: tuple[Edge, ...]


def _as_float(data: object) -> float:
    """The float a Value stores, or a TypeError that names what was given instead."""
    if type(data) is float:
        return data  # type: ignore[return-value]
    if isinstance(data, numbers.Real):
        try:
            return float(data)
        except OverflowError:  # an int beyond float range, such as 10**400: IEEE says +-inf
            return math.inf if data > 0 else -math.inf
    if isinstance(data, Value):
        raise TypeError("Value(...) got a Value; use it directly, or Value(v.data) for a copy")
    raise TypeError(
        f"Value data must be a real number (int or float), not {type(data).__name__}: {data!r}"
    )


def _result(
    data: float, op: str, parents: tuple[Value, ...], local: tuple[LocalGrad, ...]
) -> Value:
    """Make the output node of an op, recording its parents unless inside ``no_grad()``."""
    # Every op goes through here, so it skips __init__'s type check: data is already a float.
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.role = ""
    out._g = 0.0
    out._version = 0
    if _GradMode.enabled:
        out.op = op
        out.parents = parents
        out._local = local
    else:
        out.op = ""
        out.parents = ()
        out._local = ()
    return out


def _lift(other: object, op: str, reflected: bool = False) -> Value:
    """Wrap a plain number as a constant Value; anything else is a TypeError naming it.

    ``op`` is an operator ("+", "**", ...) or a function name ("sum", "logsumexp", ...);
    ``reflected`` says the bad operand was on the left, as in ``"x" + Value(1)``.
    """
    if isinstance(other, Value):
        return other
    if isinstance(other, numbers.Real):
        const = Value(float(other))
        const.role = "const"
        return const
    bad = type(other).__name__
    if op.isidentifier():
        raise TypeError(f"{op}() takes Values or real numbers (int, float), not {bad}")
    left, right = (bad, "Value") if reflected else ("Value", bad)
    raise TypeError(f"unsupported operand type(s) for {op}: '{left}' and '{right}'")


class Value:
    """A float that remembers how it was computed, so that gradients can flow back to it.

    Attributes:
        data: the number (a Python float).
        grad: d(root)/d(self), accumulated by ``backward()``; 0.0 until one reaches it.
        label: a name for diagrams and tables ("" if none).
        op: the operation that produced it ("+", "*", "tanh", ...); "" for a leaf.
        parents: the operands, in call order (``a + a`` has parents ``(a, a)``).
        role: what a leaf is, for diagrams: "param", "input", "const" or "".
    """

    __slots__ = (
        "data",
        "grad",
        "label",
        "op",
        "parents",
        "role",
        "_local",
        "_g",
        "_version",
        "__weakref__",
    )
    __array_ufunc__ = None  # make NumPy scalars defer to our reflected operators

    def __init__(self, data: float, label: str = "", role: str = "") -> None:
        self.data: float = _as_float(data)
        self.grad: float = 0.0
        self.label: str = label
        self.op: str = ""
        self.parents: tuple[Value, ...] = ()
        self.role: str = role
        self._local: tuple[LocalGrad, ...] = ()
        self._version: int = 0
        self._g: float = 0.0  # this backward pass's gradient, before it is added to .grad

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{label})"

    def __float__(self) -> float:
        return self.data

    def local_grads(self) -> tuple[float, ...]:
        """d(self)/d(parent) for each parent, in the order of ``parents``."""
        return tuple(f() for f in self._local)

    # ----------------------------------------------------------------- arithmetic

    def __add__(self, other: Operand) -> Value:
        if type(other) is not Value:
            other = _lift(other, "+")
        # d(a + b)/da = 1,  d(a + b)/db = 1
        return _result(self.data + other.data, "+", (self, other), (_one, _one))

    def __sub__(self, other: Operand) -> Value:
        if type(other) is not Value:
            other = _lift(other, "-")
        # d(a - b)/da = 1,  d(a - b)/db = -1
        return _result(self.data - other.data, "-", (self, other), (_one, _minus_one))

    def __mul__(self, other: Operand) -> Value:
        if type(other) is not Value:
            other = _lift(other, "*")
        a, b = self.data, other.data
        # d(a * b)/da = b,  d(a * b)/db = a
        return _result(a * b, "*", (self, other), (lambda: b, lambda: a))

    def __truediv__(self, other: Operand) -> Value:
        """a / b;  d(a / b)/da = 1 / b,  d(a / b)/db = -a / b**2 = -(a / b) / b.

        Division by zero follows IEEE: 1 / 0 = inf, -1 / 0 = -inf, 1 / -0.0 = -inf, 0 / 0 = nan.
        (-(a / b) / b, as in PyTorch, rather than -a / (b * b): b * b would overflow or
        underflow for |b| beyond 1e154 or below 1e-154 even where a / b**2 is an ordinary float.)
        """
        if type(other) is not Value:
            other = _lift(other, "/")
        a, b = self.data, other.data
        q = ieee.div(a, b)
        # d(a / b)/da = 1 / b,  d(a / b)/db = -a / b**2
        return _result(
            q, "/", (self, other), (lambda: ieee.div(1.0, b), lambda: -ieee.div(q, b))
        )  # fmt: skip

    def __pow__(self, other: Operand) -> Value:
        """x ** k for a number k (one operand, op "**k"), or x ** y for a Value y (two).

        d/dx x**y = y * x**(y - 1)   (0 when y = 0, as in PyTorch: no 0 * inf at x = 0)
        d/dy x**y = x**y * log(x)    (0 when x = 0 and y >= 0, as in PyTorch)
        Domain edges follow IEEE: 0 ** -1 = inf, (-8) ** 0.5 = nan, never a complex number.
        """
        exponent_is_value = isinstance(other, Value)
        other = _lift(other, "**")
        x, y = self.data, other.data
        out = ieee.power(x, y)

        def d_base() -> float:
            return 0.0 if y == 0.0 else y * ieee.power(x, y - 1.0)

        def d_exponent() -> float:
            return 0.0 if (x == 0.0 and y >= 0.0) else out * ieee.log(x)

        if not exponent_is_value:  # x ** k: the exponent is part of the op, not an operand
            return _result(out, f"**{y:g}", (self,), (d_base,))
        return _result(out, "**", (self, other), (d_base, d_exponent))

    def __neg__(self) -> Value:
        # d(-a)/da = -1
        return _result(-self.data, "neg", (self,), (_minus_one,))

    def __radd__(self, other: Number) -> Value:
        return _lift(other, "+", reflected=True) + self

    def __rsub__(self, other: Number) -> Value:
        return _lift(other, "-", reflected=True) - self

    def __rmul__(self, other: Number) -> Value:
        return _lift(other, "*", reflected=True) * self

    def __rtruediv__(self, other: Number) -> Value:
        return _lift(other, "/", reflected=True) / self

    def __rpow__(self, other: Number) -> Value:
        return _lift(other, "**", reflected=True) ** self

    # ----------------------------------------------------------------- functions

    def exp(self) -> Value:
        """e ** x;  d/dx e**x = e**x.  exp(1000) = inf."""
        e = ieee.exp(self.data)
        return _result(e, "exp", (self,), (lambda: e,))

    def log(self) -> Value:
        """Natural log;  d/dx log(x) = 1 / x.  log(0) = -inf, log(-1) = nan."""
        x = self.data
        return _result(ieee.log(x), "log", (self,), (lambda: ieee.div(1.0, x),))

    def sqrt(self) -> Value:
        """Square root;  d/dx sqrt(x) = 1 / (2 sqrt(x)).  sqrt(0)' = inf, sqrt(-1) = nan."""
        s = ieee.sqrt(self.data)
        return _result(s, "sqrt", (self,), (lambda: ieee.div(0.5, s),))

    def tanh(self) -> Value:
        """Hyperbolic tangent;  d/dx tanh(x) = 1 - tanh(x)**2.  Saturates for |x| > ~5."""
        t = math.tanh(self.data)
        return _result(t, "tanh", (self,), (lambda: 1.0 - t * t,))

    def sigmoid(self) -> Value:
        """1 / (1 + e**-x);  d/dx sigmoid(x) = s * (1 - s).  Stable for any x; at most 0.25."""
        s = ieee.sigmoid(self.data)
        return _result(s, "sigmoid", (self,), (lambda: s * (1.0 - s),))

    def relu(self) -> Value:
        """max(0, x);  d/dx = 1 for x > 0, else 0 (relu'(0) = 0, as in PyTorch)."""
        x = self.data
        return _result(0.0 if x <= 0.0 else x, "relu", (self,), (_zero if x <= 0.0 else _one,))

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x for x > 0, else slope * x;  d/dx = 1 for x > 0, else slope."""
        x = self.data
        if x > 0.0:
            return _result(x, "leaky_relu", (self,), (_one,))
        return _result(slope * x, "leaky_relu", (self,), (lambda: slope,))

    def elu(self, alpha: float = 1.0) -> Value:
        """x for x > 0, else alpha * (e**x - 1);  d/dx = 1 for x > 0, else alpha * e**x."""
        x = self.data
        if x > 0.0:
            return _result(x, "elu", (self,), (_one,))
        return _result(alpha * ieee.expm1(x), "elu", (self,), (lambda: alpha * ieee.exp(x),))

    def selu(self) -> Value:
        """scale * elu(x, alpha) with the self-normalising constants of Klambauer et al.

        d/dx = scale for x > 0, else scale * alpha * e**x.
        """
        x = self.data
        if x > 0.0:
            return _result(SELU_SCALE * x, "selu", (self,), (lambda: SELU_SCALE,))
        out = SELU_SCALE * SELU_ALPHA * ieee.expm1(x)
        return _result(out, "selu", (self,), (lambda: SELU_SCALE * SELU_ALPHA * ieee.exp(x),))

    def gelu(self) -> Value:
        """x * Phi(x), Phi the standard normal CDF (the exact form, not the tanh approximation).

        d/dx = Phi(x) + x * phi(x), phi(x) = e**(-x**2 / 2) / sqrt(2 pi) the normal density.
        """
        x = self.data
        cdf = 0.5 * (1.0 + math.erf(x / _SQRT_2))
        return _result(
            x * cdf, "gelu", (self,), (lambda: cdf + x * math.exp(-0.5 * x * x) / _SQRT_2PI,)
        )

    def softplus(self) -> Value:
        """log(1 + e**x);  d/dx softplus(x) = sigmoid(x).  Stable for any x."""
        x = self.data
        return _result(ieee.softplus(x), "softplus", (self,), (lambda: ieee.sigmoid(x),))

    def abs(self) -> Value:
        """|x|;  d/dx |x| = sign(x), with abs'(0) = 0 as in PyTorch."""
        x = self.data
        sign = 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)
        return _result(abs(x), "abs", (self,), (lambda: sign,))

    def __abs__(self) -> Value:
        return self.abs()

    def max(self, other: Operand) -> Value:
        """The larger of the two (``torch.maximum``): a if a > b, b if b > a.

        d/da max(a, b) = 1 if a > b, 0 if a < b;  d/db the other way round. At a tie a == b
        the derivative does not exist; the gradient is split, 1/2 to each, as in PyTorch (and
        it is what a central difference measures there). nan in either gives nan, and then
        both get the full gradient, as in PyTorch.
        """
        if type(other) is not Value:
            other = _lift(other, "max")
        a, b = self.data, other.data
        if a > b:
            return _result(a, "max", (self, other), (_one, _zero))
        if b > a:
            return _result(b, "max", (self, other), (_zero, _one))
        if a == b:
            return _result(a, "max", (self, other), (_half, _half))
        return _result(ieee.NAN, "max", (self, other), (_one, _one))

    def min(self, other: Operand) -> Value:
        """The smaller of the two (``torch.minimum``): a if a < b, b if b < a.

        d/da min(a, b) = 1 if a < b, 0 if a > b;  d/db the other way round. At a tie a == b
        the gradient is split, 1/2 to each, as in PyTorch. nan in either gives nan, and then
        both get the full gradient, as in PyTorch.
        """
        if type(other) is not Value:
            other = _lift(other, "min")
        a, b = self.data, other.data
        if a < b:
            return _result(a, "min", (self, other), (_one, _zero))
        if b < a:
            return _result(b, "min", (self, other), (_zero, _one))
        if a == b:
            return _result(a, "min", (self, other), (_half, _half))
        return _result(ieee.NAN, "min", (self, other), (_one, _one))

    # ----------------------------------------------------------------- backprop

    def backward(self, grad: float = 1.0) -> None:
        """Add d(self)/d(node) * grad to ``node.grad`` for every node of this graph.

        Gradients accumulate: a second call without ``zero_grad()`` doubles them, as in
        PyTorch. The chain rule runs in reverse topological order, without recursion: each
        node's gradient is complete when its turn comes, and it passes upstream * local down
        every edge. (``backward_steps`` is the same loop, recording each step.)
        """
        if _AnomalyMode.enabled:  # inside detect_anomaly(): step by step, checking each step
            for _ in self.backward_steps(grad):
                pass
            return
        order = topological_order(self)
        for node in order:
            node._g = 0.0  # this pass's gradients, kept apart so that .grad can accumulate
        self._g = _as_float(grad)
        for node in reversed(order):
            upstream = node._g
            node.grad += upstream
            for parent, local_grad in zip(node.parents, node._local):  # noqa: B905 (strict= slows the loop)
                parent._g += upstream * local_grad()

    def backward_steps(self, grad: float = 1.0) -> Iterator[Step]:
        """The same backward as ``backward()``, yielding one ``Step`` per node, root first.

        At each step the node's gradient is final (every path into it has been summed); the
        step records, per edge, the local gradient and the downstream amount
        ``upstream * local`` that the edge adds to the parent's gradient.
        """
        order = topological_order(self)
        for node in order:
            node._g = 0.0
        self._g = _as_float(grad)
        checking = _AnomalyMode.enabled  # inside detect_anomaly(): check each step
        for node in reversed(order):
            upstream = node._g
            node.grad += upstream
            edges = []
            for parent, local_grad in zip(node.parents, node._local):  # noqa: B905 (strict= slows the loop)
                local = local_grad()
                downstream = upstream * local
                parent._g += downstream
                edges.append(Edge(parent, local, downstream))
            step = Step(node, upstream, tuple(edges))
            if checking:
                anomaly.check_value_step(step, node is self)
            yield step

    def zero_grad(self) -> None:
        """Set ``.grad = 0.0`` on every node of this Value's graph."""
        for node in topological_order(self):
            node.grad = 0.0


def sum_of(values: Iterable[Operand]) -> Value:
    """One "sum" node over many operands: d(x1 + ... + xn)/dxi = 1 for every i.

    Python's built-in ``sum`` also works, but builds a chain of n "+" nodes; this builds one
    node with n edges, which is faster and draws as a single node.
    """
    parents = tuple(values)
    if not all(type(p) is Value for p in parents):  # lift numbers only when there are any
        parents = tuple(_lift(v, "sum") for v in parents)
    if not parents:
        raise ValueError("sum_of() needs at least one value")
    return _result(sum(p.data for p in parents), "sum", parents, (_one,) * len(parents))
