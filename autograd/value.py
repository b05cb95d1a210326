"""The scalar engine: a ``Value`` is one number in a computation graph.

Every operation is declared once, as an ``Op``: its forward on floats and, right beside it, its
local derivative with respect to each operand, as a function of the operands and the output::

    @op(name="*", local=lambda a, b, out: (b, a))      # d(a*b)/da = b,  d(a*b)/db = a
    def mul(a, b):
        return a * b

A node keeps its value, its operands and a reference to its op; the derivative function is
shared by every node of the op (nothing is allocated per node for it). ``backward()`` applies
the chain rule in reverse topological order: each node passes ``upstream * local`` down every
edge, and a node reached by several edges sums them (``autograd.engine``).

Two things micrograd does differently, on purpose:
- a node refers only to its operands, never to itself, so a graph has no reference cycles and
  is freed by reference counting the moment its root is dropped;
- ``parents`` is a tuple in call order, not a set, so ``a + a`` has two edges.

A learner defines a new op the same way, with ``autograd.op`` (see ``autograd/op.py``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple, Union

import numpy as np

from autograd import dmath, ieee
from autograd.graph import _clock, modes, no_grad_blocks
from autograd.op import ENGINES, Op, op

_new_value = object.__new__

Number = int | float
Operand = Union["Value", int, float]  # noqa: UP007 (Value is not defined yet at run time)

# SELU's constants, from Klambauer et al. (2017), as PyTorch uses them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_MANY = object()  # in ``_b``: the node has more than two operands, all kept in ``_a``


class Edge(NamedTuple):
    """One edge of a backward step: how much gradient flows from a node into one parent."""

    parent: Any
    local: Any  # d(node)/d(parent), the local gradient (None for a Tensor: no Jacobian)
    downstream: Any  # upstream * local: what this edge adds to parent.grad


class Step(NamedTuple):
    """One step of backprop: ``node``'s gradient is final and is passed to its parents."""

    node: Any
    upstream: Any  # d(root)/d(node), summed over every path (this backward's share)
    edges: tuple[Edge, ...]


# ============================================================================ the ops
# Each op: the forward on floats, and its local derivatives as a function of the inputs and
# the output. Rules use + - * / and autograd.dmath, so that called with Values instead of
# floats (a create_graph backward) they build the derivative's own graph.


@op(name="+", local=lambda a, b, out: (1.0, 1.0))  # d(a + b)/da = 1,  d(a + b)/db = 1
def add(a: float, b: float) -> float:
    return a + b


@op(name="-", local=lambda a, b, out: (1.0, -1.0))  # d(a - b)/da = 1,  d(a - b)/db = -1
def sub(a: float, b: float) -> float:
    return a - b


@op(name="*", local=lambda a, b, out: (b, a))  # d(a * b)/da = b,  d(a * b)/db = a
def mul(a: float, b: float) -> float:
    return a * b


# d(a / b)/da = 1 / b,  d(a / b)/db = -a / b**2, written -(a / b) / b as in PyTorch: b * b
# would overflow or underflow for |b| beyond 1e154 or below 1e-154 where a / b**2 is fine.
# Division by zero follows IEEE: 1 / 0 = inf, -1 / 0 = -inf, 0 / 0 = nan.
@op(name="/", local=lambda a, b, out: (dmath.div(1.0, b), -dmath.div(out, b)))
def div(a: float, b: float) -> float:
    return ieee.div(a, b)


@op(name="neg", local=lambda a, out: (-1.0,))  # d(-a)/da = -1
def neg(a: float) -> float:
    return -a


def _power_local(x: Any, k: float, out: Any) -> tuple[Any]:
    # d/dx x**k = k * x**(k - 1); 0 when k = 0, as in PyTorch (no 0 * inf at x = 0)
    return (0.0 if k == 0.0 else k * dmath.power(x, k - 1.0),)


@op(name="**{k:g}", local=lambda x, out, k: _power_local(x, k, out))
def power_const(x: float, *, k: float) -> float:
    """x ** k for a number k: the exponent is part of the op ("**2"), not an operand."""
    return ieee.power(x, k)


def _pow_local(x: Any, y: Any, out: Any) -> tuple[Any, Any]:
    # d/dx x**y = y * x**(y - 1)   (0 when y = 0, as in PyTorch: no 0 * inf at x = 0)
    # d/dy x**y = x**y * log(x)    (0 when x = 0 and y >= 0, as in PyTorch)
    xv, yv = dmath.value(x), dmath.value(y)
    d_base = 0.0 if yv == 0.0 else y * dmath.power(x, y - 1.0)
    d_exponent = 0.0 if (xv == 0.0 and yv >= 0.0) else out * dmath.log(x)
    return d_base, d_exponent


@op(name="**", local=_pow_local)
def power(x: float, y: float) -> float:
    """x ** y for a Value y. Never complex: (-8) ** 0.5 = nan, 0 ** -1 = inf."""
    return ieee.power(x, y)


@op(local=lambda x, out: (out,))  # d/dx e**x = e**x, the output itself
def exp(x: float) -> float:
    return ieee.exp(x)


@op(local=lambda x, out: (dmath.div(1.0, x),))  # d/dx log(x) = 1 / x
def log(x: float) -> float:
    return ieee.log(x)


@op(local=lambda x, out: (dmath.div(0.5, out),))  # d/dx sqrt(x) = 1 / (2 sqrt(x))
def sqrt(x: float) -> float:
    return ieee.sqrt(x)


@op(local=lambda x, out: (1.0 - out * out,))  # d/dx tanh(x) = 1 - tanh(x)**2
def tanh(x: float) -> float:
    return math.tanh(x)


@op(local=lambda x, out: (out * (1.0 - out),))  # d/dx sigmoid(x) = s * (1 - s)
def sigmoid(x: float) -> float:
    return ieee.sigmoid(x)


# 1 for x > 0, else 0 (relu'(0) = 0); nan passes through with its gradient, as in PyTorch
@op(local=lambda x, out: (0.0 if dmath.value(x) <= 0.0 else 1.0,))
def relu(x: float) -> float:
    return 0.0 if x <= 0.0 else x


@op(local=lambda x, out, slope: (1.0 if dmath.value(x) > 0.0 else slope,))
def leaky_relu(x: float, *, slope: float) -> float:
    """x for x > 0, else slope * x;  d/dx = 1 for x > 0, else slope."""
    return x if x > 0.0 else slope * x


def _elu_local(x: Any, out: Any, alpha: float, scale: float = 1.0) -> tuple[Any]:
    # d/dx = scale for x > 0 (and at nan, as PyTorch), else scale * alpha * e**x
    return (scale * alpha * dmath.exp(x) if dmath.value(x) <= 0.0 else scale,)


@op(local=_elu_local)
def elu(x: float, *, alpha: float) -> float:
    """x for x > 0, else alpha * (e**x - 1)."""
    return x if not x <= 0.0 else alpha * ieee.expm1(x)


@op(local=lambda x, out: _elu_local(x, out, SELU_ALPHA, SELU_SCALE))
def selu(x: float) -> float:
    """scale * elu(x, alpha) with the self-normalising constants of Klambauer et al."""
    return SELU_SCALE * (x if not x <= 0.0 else SELU_ALPHA * ieee.expm1(x))


@op(local=lambda x, out: (dmath.normal_pdf(x),))  # d/dx Phi(x) = phi(x), the normal density
def normal_cdf(x: float) -> float:
    """Phi(x), the standard normal CDF, (1 + erf(x / sqrt 2)) / 2."""
    return dmath.normal_cdf(x)


# d/dx x Phi(x) = Phi(x) + x phi(x)
@op(local=lambda x, out: (dmath.normal_cdf(x) + x * dmath.normal_pdf(x),))
def gelu(x: float) -> float:
    """x * Phi(x), the exact form (not the tanh approximation)."""
    return x * dmath.normal_cdf(x)


@op(local=lambda x, out: (dmath.sigmoid(x),))  # d/dx log(1 + e**x) = sigmoid(x)
def softplus(x: float) -> float:
    return ieee.softplus(x)


@op(name="abs", local=lambda x, out: (_sign(dmath.value(x)),))  # d/dx |x| = sign(x); 0 at 0
def absolute(x: float) -> float:
    return abs(x)


def _sign(x: float) -> float:
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)  # abs'(0) = 0 and abs'(nan) = 0


def _winner_local(a: Any, b: Any, out: Any, larger: bool) -> tuple[float, float]:
    # 1 to the operand that wins, 0 to the other; a tie splits it 1/2 each, and nan in
    # either gives both the full gradient, as PyTorch's maximum/minimum do.
    av, bv = dmath.value(a), dmath.value(b)
    if av == bv:
        return 0.5, 0.5
    if av != av or bv != bv:
        return 1.0, 1.0
    return (1.0, 0.0) if (av > bv) == larger else (0.0, 1.0)


@op(name="max", local=lambda a, b, out: _winner_local(a, b, out, larger=True))
def maximum(a: float, b: float) -> float:
    return a if a > b else b if b > a else a if a == b else ieee.NAN


@op(name="min", local=lambda a, b, out: _winner_local(a, b, out, larger=False))
def minimum(a: float, b: float) -> float:
    return a if a < b else b if b < a else a if a == b else ieee.NAN


@op(name="sum", local=lambda *xs_out: (1.0,) * (len(xs_out) - 1))  # d/dx_i sum = 1
def sum_op(*xs: float) -> float:
    return sum(xs)


def _logsumexp_local(*xs_out: Any) -> tuple[Any, ...]:
    # d/dx_j logsumexp(x) = e**(x_j - lse) = softmax(x)_j
    *xs, lse = xs_out
    return tuple(dmath.exp(x - lse) for x in xs)


@op(name="logsumexp", local=_logsumexp_local)
def logsumexp_op(*xs: float) -> float:
    """log(sum_i e**x_i) = m + log(sum_i e**(x_i - m)), m = max(x): nothing overflows."""
    m = max(xs)
    if m in (ieee.INF, -ieee.INF):  # all -inf, or some +inf: the shift would give inf - inf
        return m
    return m + ieee.log(sum(ieee.exp(x - m) for x in xs))


# ============================================================================ elementary functions
# One row per function: its forward (NumPy's, which follows IEEE: sin(inf) = nan, arcsin(2) = nan,
# log2(0) = -inf, never an exception) and its derivative d/dx as a function of x and the output,
# written with + - * / and dmath, so that it works on floats, arrays, Values and Tensors alike.
# Both engines read this one table: here it makes Value ops, in tensor.py Tensor ops.

_LN2, _LN10 = math.log(2.0), math.log(10.0)


def _logsigmoid(x: Any) -> Any:
    """log(sigmoid(x)) = -softplus(-x) = min(x, 0) - log(1 + e**-|x|): nothing overflows."""
    return np.minimum(x, 0.0) - np.log1p(np.exp(-np.abs(x)))


def _sigmoid_of_minus(x: Any) -> Any:
    # -x of a 0-d array is a NumPy scalar, which dmath.sigmoid does not take: keep an array
    return dmath.sigmoid(np.asarray(-x) if type(x) is np.ndarray else -x)


ELEMENTARY: dict[str, tuple[Callable[[Any], Any], Callable[[Any, Any], Any]]] = {
    "sin": (np.sin, lambda x, out: dmath.cos(x)),  # d/dx sin x = cos x
    "cos": (np.cos, lambda x, out: -dmath.sin(x)),  # d/dx cos x = -sin x
    "tan": (np.tan, lambda x, out: 1.0 + out * out),  # d/dx tan x = 1 + tan(x)**2
    "arcsin": (np.arcsin, lambda x, out: dmath.div(1.0, dmath.sqrt(1.0 - x * x))),
    "arccos": (np.arccos, lambda x, out: dmath.div(-1.0, dmath.sqrt(1.0 - x * x))),
    "arctan": (np.arctan, lambda x, out: dmath.div(1.0, 1.0 + x * x)),
    "sinh": (np.sinh, lambda x, out: dmath.cosh(x)),  # d/dx sinh x = cosh x
    "cosh": (np.cosh, lambda x, out: dmath.sinh(x)),  # d/dx cosh x = sinh x
    "arcsinh": (np.arcsinh, lambda x, out: dmath.div(1.0, dmath.sqrt(x * x + 1.0))),
    "arccosh": (np.arccosh, lambda x, out: dmath.div(1.0, dmath.sqrt(x * x - 1.0))),
    "arctanh": (np.arctanh, lambda x, out: dmath.div(1.0, 1.0 - x * x)),
    "log2": (np.log2, lambda x, out: dmath.div(1.0, x * _LN2)),  # d/dx log2 x = 1 / (x ln 2)
    "log10": (np.log10, lambda x, out: dmath.div(1.0, x * _LN10)),
    "log1p": (np.log1p, lambda x, out: dmath.div(1.0, 1.0 + x)),  # d/dx log(1 + x)
    "expm1": (np.expm1, lambda x, out: out + 1.0),  # d/dx (e**x - 1) = e**x = out + 1
    "exp2": (np.exp2, lambda x, out: out * _LN2),  # d/dx 2**x = 2**x ln 2
    "logsigmoid": (_logsigmoid, lambda x, out: _sigmoid_of_minus(x)),  # sigmoid(-x)
}


#: What each elementary function's method says about itself (shown by help() and the docs).
ELEMENTARY_DOCS: dict[str, str] = {
    "sin": "sin(x);  d/dx = cos(x).",
    "cos": "cos(x);  d/dx = -sin(x).",
    "tan": "tan(x);  d/dx = 1 + tan(x)**2.",
    "arcsin": "The inverse of sin, on [-1, 1] (nan outside);  d/dx = 1 / sqrt(1 - x**2).",
    "arccos": "The inverse of cos, on [-1, 1] (nan outside);  d/dx = -1 / sqrt(1 - x**2).",
    "arctan": "The inverse of tan;  d/dx = 1 / (1 + x**2).",
    "sinh": "(e**x - e**-x) / 2;  d/dx = cosh(x).",
    "cosh": "(e**x + e**-x) / 2;  d/dx = sinh(x).",
    "arcsinh": "The inverse of sinh;  d/dx = 1 / sqrt(x**2 + 1).",
    "arccosh": "The inverse of cosh, for x >= 1 (nan below);  d/dx = 1 / sqrt(x**2 - 1).",
    "arctanh": "The inverse of tanh, on (-1, 1);  d/dx = 1 / (1 - x**2).",
    "log2": "Base-2 log;  d/dx = 1 / (x ln 2).  log2(0) = -inf.",
    "log10": "Base-10 log;  d/dx = 1 / (x ln 10).  log10(0) = -inf.",
    "log1p": "log(1 + x), accurate near 0;  d/dx = 1 / (1 + x).",
    "expm1": "e**x - 1, accurate near 0;  d/dx = e**x.",
    "exp2": "2**x;  d/dx = 2**x ln 2.",
    "logsigmoid": "log(sigmoid(x)) = -softplus(-x), stable for any x;  d/dx = sigmoid(-x).",
}


def _elementary_op(name: str) -> Op:
    f, derivative = ELEMENTARY[name]

    def forward(x: float) -> float:
        with np.errstate(all="ignore"):
            return float(f(x))

    forward.__name__ = name
    return Op(forward, local=lambda x, out: (derivative(x, out),), name=name)


ELEMENTARY_OPS: dict[str, Op] = {name: _elementary_op(name) for name in ELEMENTARY}


# sign(x) is piecewise constant: d/dx = 0 everywhere (PyTorch's choice at 0 too)
@op(local=lambda x, out: (0.0,))
def sign(x: float) -> float:
    return _sign(x) if x == x else ieee.NAN


def _mod_local(a: Any, b: Any, out: Any) -> tuple[float, float]:
    # a mod b = a - floor(a / b) * b, so d/da = 1 and d/db = -floor(a / b): floor is constant
    # between its jumps, so this is a number even in a create_graph pass
    return 1.0, -float(np.floor(ieee.div(float(dmath.value(a)), float(dmath.value(b)))))


@op(name="mod", local=_mod_local)
def mod(a: float, b: float) -> float:
    """a mod b with the sign of b, as Python's % and torch.remainder: 5 mod -3 = -1."""
    with np.errstate(all="ignore"):
        return float(np.remainder(a, b))


# hypot(a, b) = sqrt(a**2 + b**2), without overflow:  d/da = a / out,  d/db = b / out
@op(local=lambda a, b, out: (dmath.div(a, out), dmath.div(b, out)))
def hypot(a: float, b: float) -> float:
    return math.hypot(a, b)


def _arctan2_local(y: Any, x: Any, out: Any) -> tuple[Any, Any]:
    # the angle of the point (x, y):  d/dy = x / (x**2 + y**2),  d/dx = -y / (x**2 + y**2);
    # 0 at the origin, as PyTorch
    r2 = x * x + y * y
    if dmath.value(r2) == 0.0:
        return 0.0, 0.0
    return dmath.div(x, r2), dmath.div(-y, r2)


@op(local=_arctan2_local)
def arctan2(y: float, x: float) -> float:
    return math.atan2(y, x)


# ============================================================================ nodes


def _as_float(data: object, what: str = "Value data") -> float:
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
    if isinstance(data, complex | numbers.Complex):
        raise TypeError(f"{what} must be a real number; complex numbers are not stored: {data!r}")
    raise TypeError(f"{what} must be a real number (int or float), not {type(data).__name__}")


def _node(data: float, op: Op, a: Value, b: Any = None) -> Value:
    """The output node of an op on one or two operands (``b`` None for one operand)."""
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.role = ""
    if not no_grad_blocks[0] or modes.grad_enabled:  # (graph.no_grad_blocks)
        out._op = op
        out._a = a
        out._b = b
        out._time = _clock[0]  # when it was made, to catch operands changed since
    else:
        out._op = out._a = out._b = None
        out._time = 0
    return out


def _lift(other: object, op: str, reflected: bool = False) -> Value:
    """Wrap a plain number as a constant Value; anything else is a TypeError naming it.

    ``op`` is an operator ("+", "**", ...) or a function name ("sum", "logsumexp", ...);
    ``reflected`` says the bad operand was on the left, as in ``"x" + Value(1)``.
    """
    if isinstance(other, Value):
        return other
    if isinstance(other, numbers.Real):
        const = _new_value(Value)
        const.data = _as_float(other)
        const.grad = 0.0
        const.label = ""
        const.role = "const"
        const._op = const._a = const._b = None
        const._time = 0
        return const
    bad = type(other).__name__
    if op.isidentifier():
        raise TypeError(f"{op}() takes Values or real numbers (int, float), not {bad}")
    left, right = (bad, "Value") if reflected else ("Value", bad)
    raise TypeError(f"unsupported operand type(s) for {op}: '{left}' and '{right}'")


def _apply(op: Op, inputs: tuple[Any, ...]) -> Value:
    """Apply any op (a learner's too) to Values or numbers: the scalar engine's entry."""
    if op.local is None:
        raise TypeError(f"op {op.name!r} has only a tensor rule (vjp=); give it Tensors")
    if not inputs:
        raise TypeError(f"op {op.name!r} needs at least one input")
    xs = tuple(x if type(x) is Value else _lift(x, op.name) for x in inputs)
    data = op.forward(*[x.data for x in xs])
    if type(data) is not float:
        data = _as_float(data, f"the forward of op {op.name!r} returned {data!r}: it")
    if len(xs) == 1:
        return _node(data, op, xs[0])
    if len(xs) == 2:
        return _node(data, op, xs[0], xs[1])
    return _node(data, op, xs, _MANY)


def _unary(op: Op, x: Value) -> Value:
    return _node(op.forward(x.data), op, x)


def _binary(op: Op, a: Value, b: Any, symbol: str) -> Value:
    if type(b) is not Value:
        b = _lift(b, symbol)
    return _node(op.forward(a.data, b.data), op, a, b)


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

    # _op: the Op that made it (None for a leaf); _a, _b: its operands (_b is None for one
    # operand, _MANY when _a holds a tuple of them); _time: the engine's clock when it was
    # made (for a leaf: when an optimizer last changed it), to catch stale graphs.
    __slots__ = ("data", "grad", "label", "role", "_op", "_a", "_b", "_time", "__weakref__")
    __array_ufunc__ = None  # make NumPy scalars defer to our reflected operators

    def __init__(self, data: float, label: str = "", role: str = "", *rest: Any) -> None:
        if rest or not isinstance(label, str):
            raise TypeError(_micrograd_hint(data, label, role, rest))
        if not isinstance(role, str):
            raise TypeError(f"Value role must be a string, not {type(role).__name__}")
        self.data: float = _as_float(data)
        self.grad: Any = 0.0
        self.label: str = label
        self.role: str = role
        self._op: Op | None = None
        self._a: Any = None
        self._b: Any = None
        self._time: int = 0

    @property
    def op(self) -> str:
        """The operation that produced this node ("" for a leaf)."""
        return "" if self._op is None else self._op.name

    @property
    def parents(self) -> tuple[Value, ...]:
        """The operands in call order (``a + a`` has two)."""
        b = self._b
        if b is None:
            return () if self._a is None else (self._a,)
        if b is _MANY:
            return self._a
        return (self._a, b)

    @property
    def _prev(self) -> Any:
        raise AttributeError(
            "Value has no _prev: micrograd's _prev (a set of operands) is gradflow's .parents, "
            "a tuple in call order (a + a has two); the op's name is .op"
        )

    @property
    def _version(self) -> int:
        return self._time

    @_version.setter
    def _version(self, t: int) -> None:
        self._time = t

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        grad = self.grad if type(self.grad) is float else float(self.grad.data)
        return f"Value(data={self.data:.6g}, grad={grad:.6g}{label})"

    def __float__(self) -> float:
        if modes.building_rule:
            raise TypeError(_float_in_rule(modes.building_rule))
        return self.data

    def local_grads(self) -> tuple[float, ...]:
        """d(self)/d(parent) for each parent, in the order of ``parents``, from its op's rule."""
        if self._op is None:
            return ()
        parents = self.parents
        return tuple(self._op.local(*[p.data for p in parents], self.data))

    # ----------------------------------------------------------------- arithmetic

    def __add__(self, other: Operand) -> Value:
        return _binary(add, self, other, "+")

    def __sub__(self, other: Operand) -> Value:
        return _binary(sub, self, other, "-")

    def __mul__(self, other: Operand) -> Value:
        return _binary(mul, self, other, "*")

    def __truediv__(self, other: Operand) -> Value:
        """a / b;  d/da = 1 / b,  d/db = -(a / b) / b.  IEEE: 1 / 0 = inf, 0 / 0 = nan."""
        return _binary(div, self, other, "/")

    def __pow__(self, other: Operand) -> Value:
        """x ** k for a number k (one operand, op "**k"), or x ** y for a Value y (two).

        d/dx x**y = y * x**(y - 1)   (0 when y = 0, as in PyTorch: no 0 * inf at x = 0)
        d/dy x**y = x**y * log(x)    (0 when x = 0 and y >= 0, as in PyTorch)
        Domain edges follow IEEE: 0 ** -1 = inf, (-8) ** 0.5 = nan, never a complex number.
        """
        if type(other) is Value:
            return _node(power.forward(self.data, other.data), power, self, other)
        k = _lift(other, "**").data
        return _unary(power_const.bind(k=k), self)

    def __neg__(self) -> Value:
        return _unary(neg, self)

    def __radd__(self, other: Number) -> Value:
        return _binary(add, _lift(other, "+", reflected=True), self, "+")

    def __rsub__(self, other: Number) -> Value:
        return _binary(sub, _lift(other, "-", reflected=True), self, "-")

    def __rmul__(self, other: Number) -> Value:
        return _binary(mul, _lift(other, "*", reflected=True), self, "*")

    def __rtruediv__(self, other: Number) -> Value:
        return _binary(div, _lift(other, "/", reflected=True), self, "/")

    def __rpow__(self, other: Number) -> Value:
        base = _lift(other, "**", reflected=True)
        return _node(power.forward(base.data, self.data), power, base, self)

    # ----------------------------------------------------------------- functions

    def exp(self) -> Value:
        """e ** x;  d/dx e**x = e**x.  exp(1000) = inf."""
        return _unary(exp, self)

    def log(self) -> Value:
        """Natural log;  d/dx log(x) = 1 / x.  log(0) = -inf, log(-1) = nan."""
        return _unary(log, self)

    def sqrt(self) -> Value:
        """Square root;  d/dx sqrt(x) = 1 / (2 sqrt(x)).  sqrt(0)' = inf, sqrt(-1) = nan."""
        return _unary(sqrt, self)

    def tanh(self) -> Value:
        """Hyperbolic tangent;  d/dx tanh(x) = 1 - tanh(x)**2.  Saturates for |x| > ~5."""
        return _unary(tanh, self)

    def sigmoid(self) -> Value:
        """1 / (1 + e**-x);  d/dx sigmoid(x) = s * (1 - s).  Stable for any x; at most 0.25."""
        return _unary(sigmoid, self)

    def relu(self) -> Value:
        """max(0, x);  d/dx = 1 for x > 0, else 0 (relu'(0) = 0, as in PyTorch)."""
        return _unary(relu, self)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x for x > 0, else slope * x;  d/dx = 1 for x > 0, else slope."""
        return _unary(leaky_relu.bind(slope=_as_float(slope, "leaky_relu slope")), self)

    def elu(self, alpha: float = 1.0) -> Value:
        """x for x > 0, else alpha * (e**x - 1);  d/dx = 1 for x > 0, else alpha * e**x."""
        return _unary(elu.bind(alpha=_as_float(alpha, "elu alpha")), self)

    def selu(self) -> Value:
        """scale * elu(x, alpha), the self-normalising constants of Klambauer et al. (2017).

        d/dx = scale for x > 0, else scale * alpha * e**x.
        """
        return _unary(selu, self)

    def gelu(self) -> Value:
        """x * Phi(x), Phi the standard normal CDF (the exact form, not the tanh approximation).

        d/dx = Phi(x) + x * phi(x), phi(x) = e**(-x**2 / 2) / sqrt(2 pi) the normal density.
        """
        return _unary(gelu, self)

    def normal_cdf(self) -> Value:
        """Phi(x), the standard normal CDF;  d/dx Phi(x) = phi(x), the normal density."""
        return _unary(normal_cdf, self)

    def softplus(self) -> Value:
        """log(1 + e**x);  d/dx softplus(x) = sigmoid(x).  Stable for any x."""
        return _unary(softplus, self)

    def abs(self) -> Value:
        """|x|;  d/dx |x| = sign(x), with abs'(0) = 0 as in PyTorch."""
        return _unary(absolute, self)

    def __abs__(self) -> Value:
        return self.abs()

    def max(self, other: Operand) -> Value:
        """The larger of the two (``torch.maximum``): a if a > b, b if b > a.

        d/da max(a, b) = 1 if a > b, 0 if a < b;  d/db the other way round. At a tie a == b
        the derivative does not exist; the gradient is split, 1/2 to each, as in PyTorch (and
        it is what a central difference measures there). nan in either gives nan, and then
        both get the full gradient, as in PyTorch.
        """
        return _binary(maximum, self, other, "max")

    def min(self, other: Operand) -> Value:
        """The smaller of the two (``torch.minimum``), with max's conventions mirrored."""
        return _binary(minimum, self, other, "min")

    # The elementary functions (sin, ..., logsigmoid) are methods too, made from the rows of
    # ELEMENTARY by install_elementary below: one table for both engines.

    def sign(self) -> Value:
        """-1, 0 or 1 (nan at nan);  d/dx = 0 everywhere, as in PyTorch."""
        return _unary(sign, self)

    def __mod__(self, other: Operand) -> Value:
        """a mod b, the sign of b (Python's %);  d/da = 1,  d/db = -floor(a / b)."""
        return _binary(mod, self, other, "%")

    def __rmod__(self, other: Number) -> Value:
        return _binary(mod, _lift(other, "%", reflected=True), self, "%")

    def hypot(self, other: Operand) -> Value:
        """sqrt(a**2 + b**2) without overflow;  d/da = a / out,  d/db = b / out."""
        return _binary(hypot, self, other, "hypot")

    def arctan2(self, other: Operand) -> Value:
        """The angle of the point (x=other, y=self) in (-pi, pi];
        d/dy = x / (x**2 + y**2),  d/dx = -y / (x**2 + y**2)."""
        return _binary(arctan2, self, other, "arctan2")

    atan2 = arctan2

    # ----------------------------------------------------------------- backprop

    def backward(self, grad: Any = 1.0, create_graph: bool = False) -> None:
        """Add d(self)/d(node) * grad to ``node.grad`` for every node of this graph.

        Gradients accumulate: a second call without ``zero_grad()`` doubles them, as in
        PyTorch. The chain rule runs in reverse topological order, without recursion: each
        node's gradient is complete when its turn comes, and it passes upstream * local down
        every edge. With ``create_graph=True`` the gradients are Values with a graph of their
        own, which can be differentiated again. (``autograd.engine`` holds the loop, shared
        with the tensor engine; ``backward_steps`` is the same loop, recording each step.)
        """
        from autograd import engine

        engine.backward(self, grad, create_graph=create_graph)

    def backward_steps(self, grad: Any = 1.0) -> Iterator[Step]:
        """The same backward as ``backward()``, yielding one ``Step`` per node, root first.

        At each step the node's gradient is final (every path into it has been summed); the
        step records, per edge, the local gradient and the downstream amount
        ``upstream * local`` that the edge adds to the parent's gradient.
        """
        from autograd import engine

        return engine.backward_steps(self, grad)

    def zero_grad(self) -> None:
        """Set ``.grad = 0.0`` on every node of this Value's graph."""
        from autograd.graph import topological_order

        for node in topological_order(self):
            node.grad = 0.0


def install_elementary(cls: type, ops: dict[str, Op], unary: Callable[[Op, Any], Any]) -> None:
    """Give ``cls`` (Value or Tensor) one method per row of ELEMENTARY, and PyTorch's names
    for the inverse functions (``asin`` for ``arcsin``, ...)."""

    def method(name: str) -> Callable[[Any], Any]:
        def apply(self: Any) -> Any:
            return unary(ops[name], self)

        apply.__name__, apply.__qualname__ = name, f"{cls.__name__}.{name}"
        apply.__doc__ = ELEMENTARY_DOCS.get(name, name)
        return apply

    for name in ELEMENTARY:
        setattr(cls, name, method(name))
    aliases = {"asin": "arcsin", "acos": "arccos", "atan": "arctan"}
    aliases.update(asinh="arcsinh", acosh="arccosh", atanh="arctanh")
    for alias, name in aliases.items():
        setattr(cls, alias, getattr(cls, name))


install_elementary(Value, ELEMENTARY_OPS, _unary)
ENGINES[Value] = _apply


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
    if len(parents) == 1:
        return _node(parents[0].data, sum_op, parents[0])
    if len(parents) == 2:
        return _node(parents[0].data + parents[1].data, sum_op, parents[0], parents[1])
    return _node(sum_op.forward(*[p.data for p in parents]), sum_op, parents, _MANY)


def _micrograd_hint(data: Any, label: Any, role: Any, rest: tuple[Any, ...]) -> str:
    if isinstance(label, (tuple, set, list)):
        return (
            "Value(data, label='', role='') takes a label string second, not "
            f"{type(label).__name__}: this looks like micrograd's Value(data, _children, _op). "
            "In gradflow an op records its parents itself: write a + b, a * b, a.tanh(); "
            "to make a new op, use autograd.op(local=...) (see autograd/op.py)"
        )
    return (
        f"Value label must be a string, not {type(label).__name__}: "
        f"Value({data!r}, label='x') names a Value for diagrams and tables"
    )


def _float_in_rule(op_name: str) -> str:
    return (
        f"the derivative rule of op {op_name!r} turned a Value into a float (math.cos(x) or "
        "float(x)): under create_graph=True its rule is called with Values so that the "
        "derivative can be differentiated again. Write it with + - * / and autograd.dmath "
        "(or Value methods such as x.exp()), not with math"
    )
