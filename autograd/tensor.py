"""The tensor engine: a ``Tensor`` is a NumPy array in a computation graph.

It is the scalar ``Value`` engine with arrays in place of floats, and its ops are declared the
same way (``autograd.op``): the forward on arrays and, right beside it, how the gradient flows
back to each operand. For a scalar that was a local derivative; for an array the Jacobian
would be huge (n x n for an elementwise op), so the rule is a vector-Jacobian product (VJP):
``vjp(g, *inputs, out)`` maps the upstream gradient ``g = d(root)/d(out)`` (shaped like the
output) to the downstream gradient ``d(root)/d(input)`` for each input. For example::

    @op(name="*", vjp=lambda g, a, b, out: (g * b, g * a))   # elementwise
    def mul(a, b):
        return a * b

Broadcasting: NumPy stretches a size-1 (or missing) axis of an operand to match the other
operand. The stretched operand was used once per copy, so its gradient is the *sum* of the
copies' gradients. A rule may return g's shape for such an operand: the backward driver
(``autograd.engine``) sums it back to the operand's shape, in one place for every op.

Like ``Value``:
- ``parents`` is a tuple in call order, so ``x * x`` has two edges and both add to ``x.grad``;
- a node holds its operands, never itself, so a graph has no reference cycles and is freed by
  reference counting the moment its root is dropped;
- ``backward()`` is the shared driver: no recursion, gradients kept by the pass.

Unlike ``Value``, only tensors that require a gradient take part: a node requires grad when one
of its parents does, an op on constants records no graph, and backward never passes a
gradient to an operand that does not need one (an input batch, a target, a constant). A rule
may return a function of no arguments for an expensive gradient (``g @ b.T``): it is called
only when that operand needs one.

Floating-point edge cases follow IEEE 754 as in the scalar engine (log(0) = -inf, 1/0 = inf,
(-8) ** 0.5 = nan), without NumPy's RuntimeWarnings; a zero local derivative passes 0 even
under an inf upstream (``np.where``, PyTorch's select semantics).

The elementary functions (sin, arctanh, log1p, ...) are the rows of ``value.ELEMENTARY``, one
forward and one derivative each, shared with ``Value``. Many ops are compositions of others
(``var`` of mean, minus, times and sum; ``diagonal`` and ``sort`` of indexing; ``tensordot`` of
transpose, reshape and ``@``) and get their gradients, and higher orders, from those. NumPy's
own functions on a Tensor (``np.exp(t)``, ``np.sum(t, axis=0)``, ``np.concatenate([a, b])``)
call these ops through ``__array_ufunc__`` and ``__array_function__``; a NumPy function
without a rule raises a TypeError naming the method to use, never returning a detached array.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Sequence
from functools import partial
from operator import attrgetter
from typing import Any, Union

import numpy as np

from autograd import dmath as dm
from autograd import engine, ieee
from autograd.graph import _ticks, modes, no_grad_blocks
from autograd.op import ENGINES, Op, op
from autograd.value import ELEMENTARY, SELU_ALPHA, SELU_SCALE, Step, install_elementary

Operand = Union["Tensor", np.ndarray, float, int, Sequence[Any]]

# NumPy warns (RuntimeWarning) where IEEE 754 just gives inf or nan: the scalar engine does
# not warn, so neither do we. Only ops whose arithmetic can overflow, divide by zero or hit
# inf - inf are wrapped (ieee.quietly); max/relu/indexing/reshape and the like cannot raise
# a floating-point flag.
_quiet = ieee.quiet
_ieee = ieee.quietly


# ============================================================================ the ops
# Each op: the forward on arrays, and its VJP as a function of g, the inputs and the output.


@op(name="+", vjp=lambda g, a, b, out: (g, g))  # d(a + b)/da = 1,  d(a + b)/db = 1
@_ieee
def add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a + b


@op(name="-", vjp=lambda g, a, b, out: (g, -g))  # d(a - b)/da = 1,  d(a - b)/db = -1
@_ieee
def sub(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a - b


@op(name="*", vjp=lambda g, a, b, out: (g * b, g * a))  # d(a * b)/da = b,  d/db = a
@_ieee
def mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a * b


# d(a / b)/da = 1 / b,  d(a / b)/db = -a / b**2, computed as -(a / b) / b so that b**2 cannot
# overflow (b = 1e200) or underflow (b = 1e-200) where the quotient is fine
@op(name="/", vjp=lambda g, a, b, out: (g / b, -g * (out / b)))
@_ieee
def div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a / b


@op(name="neg", vjp=lambda g, a, out: (-g,))  # d(-a)/da = -1
def neg(a: np.ndarray) -> np.ndarray:
    return -a


def _power_const_vjp(g: Any, x: Any, out: Any, k: float) -> tuple[Any]:
    # d(x**k)/dx = k x**(k - 1);  x**0 is constant, so its gradient is 0 even under inf
    if k == 0.0:
        return (g * 0.0 if not isinstance(g, np.ndarray) else np.zeros_like(g),)
    with _quiet():
        return (g * (x ** (k - 1.0) * k),)


@op(name="**{k:g}", vjp=_power_const_vjp)
@_ieee
def power_const(x: np.ndarray, *, k: float) -> np.ndarray:
    """x ** k for a number k: the exponent is part of the op ("**2"), not an operand."""
    return x**k


def _power_vjp(g: np.ndarray, x: np.ndarray, y: np.ndarray, out: np.ndarray) -> tuple:
    # d/dx x**y = y * x**(y - 1)   (0 where y = 0, as in PyTorch: no 0 * inf at x = 0)
    # d/dy x**y = x**y * log(x)    (0 where x = 0 and y >= 0, as in PyTorch)
    xv, yv = dm.value(x), dm.value(y)
    with _quiet():
        d_base = dm.where(yv == 0.0, 0.0, g * (y * x ** (y - 1.0)))
        d_exponent = dm.where((xv == 0.0) & (yv >= 0.0), 0.0, g * (out * dm.log(x)))
    return d_base, d_exponent


@op(name="**", vjp=_power_vjp)
@_ieee
def power(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.power(x, y)


def _matmul_vjp(g: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> tuple:
    """For C = A @ B:  dC/dA: g @ B.T,  dC/dB: A.T @ g  (B.T swaps the last two axes).

    A 1-D ``a`` (m,) is the matrix (1, m); a 1-D ``b`` (m,) is (m, 1): g gets the matching
    axes back, the 2-D rule applies (batched over leading axes), and the driver sums any
    broadcast stack axes back. Each is computed only if that operand needs a gradient.
    """
    if a.ndim == 2 and b.ndim == 2:  # the common case, spelled out
        return (lambda: g @ b.T), (lambda: a.T @ g)
    a2 = a.reshape((1, a.shape[0])) if a.ndim == 1 else a
    b2 = b.reshape((b.shape[0], 1)) if b.ndim == 1 else b
    g2 = g.reshape(np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2]) + (a2.shape[-2], b2.shape[-1]))

    def d_a() -> np.ndarray:
        ga = engine.unbroadcast(g2 @ dm.swap_last(b2), a2.shape)
        return ga.reshape(a.shape)

    def d_b() -> np.ndarray:
        gb = engine.unbroadcast(dm.swap_last(a2) @ g2, b2.shape)
        return gb.reshape(b.shape)

    return d_a, d_b


@op(name="@", vjp=_matmul_vjp)
@_ieee
def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a @ b


def _kept_shape(shape: tuple[int, ...], axis: Any) -> tuple[int, ...]:
    """The shape of a reduction over ``axis`` with keepdims=True: reduced axes become 1."""
    if axis is None or not shape:
        return (1,) * len(shape)
    axes = {a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,))}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _spread(g: np.ndarray, shape: tuple[int, ...], axis: Any) -> np.ndarray:
    """g copied to every position of ``shape`` that was reduced into it."""
    return dm.broadcast_to(g.reshape(_kept_shape(shape, axis)), shape)


@op(name="sum", vjp=lambda g, x, out, axis, keepdims: (_spread(g, x.shape, axis),))
@_ieee
def sum_(x: np.ndarray, *, axis: Any, keepdims: bool) -> np.ndarray:
    """d/dx_i sum(x) = 1 for every i summed: backward copies g to every position."""
    return x.sum(axis=axis, keepdims=keepdims)


def _mean_vjp(g: np.ndarray, x: np.ndarray, out: np.ndarray, axis: Any, keepdims: bool) -> tuple:
    n = x.size // max(out.size, 1) if x.size else 0
    return (_spread(g / x.dtype.type(n), x.shape, axis),)  # d/dx_i mean(x) = 1 / n


@op(name="mean", vjp=_mean_vjp)
@_ieee
def mean(x: np.ndarray, *, axis: Any, keepdims: bool) -> np.ndarray:
    total = x.sum(axis=axis, keepdims=keepdims)
    n = x.size // total.size if total.size else 0
    return total / x.dtype.type(n)  # n in x's dtype: float32 stays float32 on every NumPy


def _winners_vjp(g: np.ndarray, x: np.ndarray, out: np.ndarray, axis: Any, keepdims: bool):
    """g goes to the elements equal to the result; a tie between k splits it, 1/k to each
    (PyTorch's rule for amax/amin)."""
    kept = _kept_shape(x.shape, axis)
    xv = dm.value(x)
    winners = xv == np.reshape(dm.value(out), kept)
    count = winners.sum(axis=axis, keepdims=True, dtype=xv.dtype)
    return (dm.where(winners, g.reshape(kept) / count, 0.0),)


@op(name="max", vjp=_winners_vjp)
def max_(x: np.ndarray, *, axis: Any, keepdims: bool) -> np.ndarray:
    return x.max(axis=axis, keepdims=keepdims)


@op(name="min", vjp=_winners_vjp)
def min_(x: np.ndarray, *, axis: Any, keepdims: bool) -> np.ndarray:
    return x.min(axis=axis, keepdims=keepdims)


@op(vjp=lambda g, x, out, shape: (g.reshape(x.shape),))  # each value keeps its gradient
def reshape(x: np.ndarray, *, shape: tuple[int, ...]) -> np.ndarray:
    return x.reshape(shape)


def _transpose_vjp(g: np.ndarray, x: np.ndarray, out: np.ndarray, axes: Any) -> tuple:
    if axes is None:
        return (g.transpose(),)
    inverse = tuple(np.argsort([a % x.ndim for a in axes]))  # the inverse permutation
    return (g.transpose(inverse),)


@op(vjp=_transpose_vjp)
def transpose(x: np.ndarray, *, axes: Any) -> np.ndarray:
    return x.transpose() if axes is None else x.transpose(axes)


def _is_basic(index: Any) -> bool:
    """True for an index of ints, slices, None and ``...`` (and boolean masks): these never
    pick an element twice, so backward may assign instead of add."""
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if part is None or part is Ellipsis or isinstance(part, (slice, numbers.Integral)):
            continue
        if isinstance(part, np.ndarray) and part.dtype == bool:
            continue
        return False
    return True


def _index_vjp(g: np.ndarray, x: np.ndarray, out: np.ndarray, index: Any) -> tuple:
    # g goes back where the elements came from, zeros elsewhere; an element picked several
    # times (x[[0, 0]]) adds its gradients, by np.add.at (a plain += would keep only one)
    return (scatter(g, x.shape, index),)


@op(name="index", vjp=_index_vjp)
def index_op(x: np.ndarray, *, index: Any) -> np.ndarray:
    return x[index]


# where(c, a, b): a where c holds, else b; the gradient goes the same way (select)
@op(
    name="where",
    vjp=lambda g, a, b, out, condition: (dm.where(condition, g, 0.0), dm.where(condition, 0.0, g)),
)
def where_op(a: np.ndarray, b: np.ndarray, *, condition: np.ndarray) -> np.ndarray:
    return np.where(condition, a, b)


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """a where ``condition`` (a boolean array, or a Tensor's truth) holds, else b: as
    ``np.where``, with the gradient going to a or b by the same condition."""
    cond = np.asarray(condition.data if isinstance(condition, Tensor) else condition, dtype=bool)
    like = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else None
    operands = (_lift(a, like, "where"), _lift(b, like, "where"))
    op = where_op.bind(condition=cond)
    return _node(_forward(op, operands), op, operands)


# broadcast_to: each copy of x passes its gradient back, and the driver sums the copies
@op(name="broadcast_to", vjp=lambda g, x, out, shape: (g,))
def broadcast_to_op(x: np.ndarray, *, shape: tuple[int, ...]) -> np.ndarray:
    return np.broadcast_to(x, shape)


# scatter(g, shape, index): zeros of ``shape`` with g added at ``index`` (the VJP of
# indexing); linear in g, so its own VJP is indexing again
@op(name="scatter", vjp=lambda g, x, out, shape, index: (g[index],))
def scatter_op(x: np.ndarray, *, shape: tuple[int, ...], index: Any) -> np.ndarray:
    full = np.zeros(shape, dtype=x.dtype)
    if _is_basic(index):
        full[index] = x
    else:
        np.add.at(full, index, x)  # an element picked twice adds both (a plain += keeps one)
    return full


def scatter(g: Any, shape: tuple[int, ...], index: Any) -> Any:
    """zeros(shape) with g added at ``index``: an array for an array, a node for a Tensor."""
    if not isinstance(g, Tensor):  # an array, or a NumPy scalar from a 0-d result
        return scatter_op.bind(shape=shape, index=index).forward(np.asarray(g))
    return _unary(scatter_op.bind(shape=shape, index=index), g)


@op(vjp=lambda g, x, out: (g * out,))  # d/dx e**x = e**x
@_ieee
def exp(x: np.ndarray) -> np.ndarray:
    return np.exp(x)


@op(vjp=lambda g, x, out: (g / x,))  # d/dx log(x) = 1 / x
@_ieee
def log(x: np.ndarray) -> np.ndarray:
    return np.log(x)


@op(vjp=lambda g, x, out: (g / (2.0 * out),))  # d/dx sqrt(x) = 1 / (2 sqrt(x))
@_ieee
def sqrt(x: np.ndarray) -> np.ndarray:
    return np.sqrt(x)


@op(vjp=lambda g, x, out: (g * (1.0 - out * out),))  # d/dx tanh(x) = 1 - tanh(x)**2
def tanh(x: np.ndarray) -> np.ndarray:
    return np.tanh(x)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """e**min(x, 0) / (1 + e**-|x|): for x >= 0 that is 1 / (1 + e**-x), for x < 0 the equal
    e**x / (1 + e**x). No exponent is positive, so nothing overflows, and tiny values like
    sigmoid(-40) = 4.2e-18 stay exact (no 1 - 0.99999... cancellation)."""
    return np.exp(np.minimum(x, 0.0)) / (1.0 + np.exp(-np.abs(x)))


@op(vjp=lambda g, x, out: (g * (out * (1.0 - out)),))  # d/dx sigmoid(x) = s * (1 - s)
def sigmoid(x: np.ndarray) -> np.ndarray:
    return _sigmoid(x)


@op(vjp=lambda g, x, out: (g * dm.sigmoid(x),))  # d/dx log(1 + e**x) = sigmoid(x)
def softplus(x: np.ndarray) -> np.ndarray:
    """max(x, 0) + log(1 + e**-|x|): the exponent is never positive, and log1p keeps
    e**-|x| below 1e-16 instead of rounding 1 + e**-|x| to 1."""
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


# d/dx |x| = sign(x), with abs'(0) = 0 and abs'(nan) = 0 as in PyTorch
@op(
    name="abs",
    vjp=lambda g, x, out: (dm.where(dm.value(x) > 0, g, dm.where(dm.value(x) < 0, -g, 0.0)),),
)
def absolute(x: np.ndarray) -> np.ndarray:
    return np.abs(x)


# d/dx max(0, x) = 1 for x > 0, else 0 (relu'(0) = 0); nan passes its gradient, as PyTorch.
# Read from the output (out > 0 exactly where x > 0, and out is nan where x is), so that a
# Linear layer can apply relu inside its own node (see _linear_then).
@op(vjp=lambda g, x, out: (dm.where(out <= 0.0, 0.0, g),))  # a Tensor's <= gives an array
def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


@op(vjp=lambda g, x, out, slope: (dm.where(dm.value(x) > 0.0, g, g * slope),))  # 1, or slope
def leaky_relu(x: np.ndarray, *, slope: float) -> np.ndarray:
    return np.where(x > 0.0, x, slope * x)


def _shift(x: np.ndarray, axis: int) -> np.ndarray:
    """max(x) along axis, or 0 where that is inf (shifting by it would give inf - inf)."""
    m = x.max(axis=axis, keepdims=True)
    return m if np.isfinite(m).all() else np.where(np.isfinite(m), m, 0.0)


# d/dx_j log_softmax(x)_i = [i = j] - softmax(x)_j, so the VJP is g - softmax(x) * sum_i g_i
@op(vjp=lambda g, x, out, axis: (g - dm.exp(out) * g.sum(axis=axis, keepdims=True),))
@_ieee
def log_softmax(x: np.ndarray, *, axis: int) -> np.ndarray:
    """x_i - logsumexp(x) along ``axis``, with logsumexp(x) = m + log(sum_j e**(x_j - m)),
    m = max(x): every exponent is <= 0, nothing overflows, and the log never sees 0."""
    shifted = x - _shift(x, axis)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - _shift(x, axis))
    return e / e.sum(axis=axis, keepdims=True)


# d/dx_j softmax(x)_i = s_i ([i = j] - s_j), so the VJP is s * (g - sum_i g_i s_i)
@op(vjp=lambda g, x, out, axis: (out * (g - (g * out).sum(axis=axis, keepdims=True)),))
@_ieee
def softmax(x: np.ndarray, *, axis: int) -> np.ndarray:
    return _softmax(x, axis)


_add_reduce, _matmul = np.add.reduce, np.matmul


def class_targets(target: Any, n: int, c: int) -> tuple[np.ndarray, np.ndarray]:
    """n class indices in 0 .. c-1, checked, and where each sits in an (n, c) array of logits.

    Returns ``(classes, flat)``: the indices as an int array of shape (n,), and their flat
    positions i*c + t_i, which ``take`` and ``put`` use to pick each row's target (one index
    array instead of two: half the cost of ``z[rows, t]``). A wrong target raises an error
    that says what is wrong: not ints, not n of them, or a class outside 0 .. c-1 (NumPy
    would read -1 as the last class).
    """
    if isinstance(target, Tensor):
        target = target._data
    classes = target if type(target) is np.ndarray else np.asarray(target)
    if classes.dtype.kind not in "iu":  # bool and float labels are mistakes, not classes
        raise TypeError(
            f"cross_entropy: targets must be class indices (ints), got {classes.dtype} "
            f"values {classes.reshape(-1)[:5]}"
        )
    if classes.ndim != 1:
        classes = classes.reshape(-1)
    if len(classes) != n:
        raise ValueError(f"cross_entropy: {n} samples but {len(classes)} targets")
    try:  # checks 0 <= t_i < c on the way (no separate min and max)
        flat = np.ravel_multi_index((_row_numbers(n), classes), (n, c))
    except ValueError:
        bad = (classes < 0) | (classes >= c)
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"cross_entropy: target {i} is class {int(classes[i])}, but there are {c} classes "
            f"(0 to {c - 1})"
        ) from None
    return classes, flat


_ROWS: dict[int, np.ndarray] = {}  # 0 .. n-1 for the batch sizes seen, read-only


def _row_numbers(n: int) -> np.ndarray:
    rows = _ROWS.get(n)
    if rows is None:
        if len(_ROWS) >= 64:
            _ROWS.clear()
        rows = _ROWS[n] = np.arange(n)
        rows.flags.writeable = False
    return rows


class _Targets:
    """The class indices of one ``cross_entropy`` call, and what its forward saved for the
    backward: the softmax's numerators e = exp(z - max z) and their row sums s, so that the
    VJP (softmax - onehot) / N is two products instead of a second softmax. The saved arrays
    belong to the logits array ``z`` they were computed from; a VJP asked about any other
    array (gradcheck perturbs the logits) computes the softmax afresh."""

    __slots__ = ("indices", "flat", "saved")
    __hash__ = None  # type: ignore[assignment]  # so that Op.bind never caches one either

    def __init__(self, indices: np.ndarray, flat: np.ndarray) -> None:
        self.indices = indices
        self.flat = flat  # the targets' positions in the flattened (N, C) logits
        self.saved: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def __repr__(self) -> str:
        return f"targets{self.indices.tolist()!r:.40}"


def _cross_entropy_vjp(g: Any, z: Any, out: Any, target: _Targets) -> tuple[Any]:
    # d/dz_ij mean_i (logsumexp(z_i) - z_i[t_i]) = (softmax(z_i)_j - [j == t_i]) / N
    n = z.shape[0]
    if isinstance(z, np.ndarray):  # numbers: softmax * g/N, then g/N off each picked entry
        scale = float(g) / n  # (g is the 0-d gradient of the loss: a float is cheaper)
        saved = target.saved
        if saved is not None and saved[0] is z:
            _, e, s = saved
            p = e * (scale / s)
        else:
            p = _softmax(z, -1)
            p *= scale
        flat = target.flat
        p.put(flat, p.take(flat) - scale)  # (put and take read p in C order, any layout)
        return (p,)
    onehot = np.zeros(z.shape, dtype=z.dtype)  # nodes (create_graph): the same, as ops
    onehot.put(target.flat, 1.0)
    return ((z.softmax(axis=-1) - onehot) * (g / n),)


@op(name="cross_entropy", vjp=_cross_entropy_vjp, exact=True)
@_ieee
def cross_entropy_op(z: np.ndarray, *, target: _Targets) -> np.ndarray:
    """mean_i (logsumexp(z_i) - z_i[t_i]) over the rows of z (N, C): one node, where
    ``-z.log_softmax(axis=1)[rows, t].mean()`` makes four (log-softmax, pick, mean, minus)."""
    loss = _cross_entropy(z, target, np.maximum.reduce(z, -1, keepdims=True))
    if not math.isfinite(loss):  # an inf logit: shifting by inf gives inf - inf
        loss = _cross_entropy(z, target, _shift(z, -1))
    return loss


def _cross_entropy(z: np.ndarray, target: _Targets, m: np.ndarray) -> Any:
    shifted = z - m  # shifted by the row's max, every exponent <= 0: nothing overflows
    e = np.exp(shifted)
    s = _add_reduce(e, -1, keepdims=True)
    target.saved = (z, e, s)  # for the VJP: softmax(z) = e / s
    # only the picked entries of the log-softmax are needed: log s_i - shifted_i[t_i]
    picked = np.log(s).reshape(-1) - shifted.take(target.flat)
    return _add_reduce(picked) / len(picked)  # the mean (ndarray.mean: ten lines of Python)


def cross_entropy(logits: Tensor, target: Any) -> Tensor:
    """Softmax cross-entropy of logits (N, C) against N class indices, as one node whose VJP
    is (softmax(z) - onehot(t)) / N. The targets are checked (``class_targets``)."""
    n, c = logits._data.shape
    # an op of its own per call (Op.fresh, never cached): its targets and saved arrays
    # belong to this node
    targets = _Targets(*class_targets(target, n, c))
    return _unary(cross_entropy_op.fresh(target=targets), logits)


def _sum_rows(g: Any) -> Any:
    """g summed over its first axis (np.add.reduce for arrays: no Python wrapper)."""
    return _add_reduce(g, 0) if type(g) is np.ndarray else g.sum(axis=0)


def _linear_vjp(g: np.ndarray, x: np.ndarray, w: np.ndarray, *bias_out: np.ndarray) -> tuple:
    """dy/dx: g @ weight;  dy/dweight: g.T @ x (summed over every leading axis of x);
    dy/dbias: the sum of g over every leading axis.

    The two products are deferred: functions the backward calls only if that operand needs
    a gradient (the first layer's input never does, a frozen weight neither). On arrays
    they are ``partial(np.matmul, ...)``, which runs no Python code of ours, and every
    gradient has its operand's shape and dtype (the op is ``exact``)."""
    if type(g) is not np.ndarray:  # nodes (create_graph): the same products, as ops
        return _linear_vjp_nodes(g, x, w, len(bias_out) == 2)
    dtype = g.dtype  # the output's; bias_out[0] is the bias, or the output if there is none
    if g.ndim == 2 and x.dtype is dtype and w.dtype is dtype and bias_out[0].dtype is dtype:
        # the common case, a batch of rows in one dtype: the products as they come
        d_x, d_w = partial(_matmul, g, w), partial(_matmul, g.T, x)
        return (d_x, d_w, _add_reduce(g, 0)) if len(bias_out) == 2 else (d_x, d_w)
    if g.ndim == 2:
        g2, x2 = g, x
    else:  # one sample, or more leading axes: rows of (nout,) and (nin,)
        g2, x2 = g.reshape(-1, w.shape[0]), x.reshape(-1, w.shape[1])
    # each in its operand's dtype (a float32 input into float64 weights: cast back)
    d_x = lambda: (g @ w).astype(x.dtype, copy=False)  # noqa: E731
    d_w = lambda: (g2.T @ x2).astype(w.dtype, copy=False)  # noqa: E731
    if len(bias_out) == 2:
        return d_x, d_w, _add_reduce(g2, 0).astype(bias_out[0].dtype, copy=False)
    return d_x, d_w


def _linear_vjp_nodes(g: Any, x: Any, w: Any, bias: bool) -> tuple:
    if g.ndim == 2:
        g2, x2 = g, x
    else:
        nout, nin = w.shape
        g2, x2 = g.reshape(-1, nout), x.reshape(-1, nin)
    d_bias = (lambda: _sum_rows(g2),) if bias else ()
    return (lambda: g @ w, lambda: g2.T @ x2) + d_bias


@op(name="linear", vjp=_linear_vjp, exact=True)
@_ieee
def linear_op(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    return _affine(x, w, b)


def _affine(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """x @ w.T + b, as a fresh array (the fused ops below overwrite it in place)."""
    out = x @ w.T
    if b is not None:
        out += b
    return out


# An activation whose rule reads only the output (relu, tanh, sigmoid) can run inside the
# Linear layer's node: it overwrites the affine output in place, and the pre-activation
# array is never kept. nn.Sequential does this for Linear followed by ReLU, Tanh or Sigmoid:
# one node and one array fewer per layer, the same numbers and gradients.


def _linear_then(act: Op, in_place: Any) -> Op:
    """The op act(x @ w.T + b), one node named "linear+relu" (and so on). ``in_place(z)``
    overwrites z with act(z); without it, act's forward makes a new array."""

    def vjp(g: Any, x: Any, w: Any, *bias_out: Any) -> tuple:
        (g_affine,) = act.vjp(g, None, bias_out[-1])  # the activation's own rule, from out
        return _linear_vjp(g_affine, x, w, *bias_out)

    @op(name=f"linear+{act.name}", vjp=vjp, exact=True)
    @_ieee
    def linear_then(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> Any:
        out = _affine(x, w, b)  # a fresh array: ours to overwrite
        return in_place(out) if in_place is not None else act.forward(out)

    return linear_then


#: The activations a Linear layer can apply in its own node, by name.
FUSABLE: dict[str, Op] = {"relu": relu, "tanh": tanh, "sigmoid": sigmoid}
_IN_PLACE = {relu: lambda z: np.maximum(z, 0.0, out=z), tanh: lambda z: np.tanh(z, out=z)}
# One op per activation, made once (not Op.bind: a bound parameter costs a keyword call)
_LINEAR_THEN = {name: _linear_then(act, _IN_PLACE.get(act)) for name, act in FUSABLE.items()}


# ---------------------------------------------------------------------------- elementary
# The rows of value.ELEMENTARY (forward and derivative, shared with the scalar engine) as
# Tensor ops: the VJP of an elementwise function is g times its derivative.


def _elementary_op(name: str) -> Op:
    f, derivative = ELEMENTARY[name]
    forward = _ieee(lambda x: f(x))
    forward.__name__ = name
    return Op(forward, vjp=lambda g, x, out: (g * derivative(x, out),), name=name)


ELEMENTARY_OPS: dict[str, Op] = {name: _elementary_op(name) for name in ELEMENTARY}


@op(vjp=lambda g, x, out: (dm.zeros_like(g),))  # piecewise constant: d/dx sign(x) = 0
def sign(x: np.ndarray) -> np.ndarray:
    return np.sign(x)


def _flat(f: Any) -> Op:
    """A piecewise-constant elementwise op: its gradient is 0 everywhere (PyTorch's choice at
    the jumps too), even under an inf upstream."""
    return Op(f, vjp=lambda g, x, out: (dm.zeros_like(g),), name=f.__name__)


floor, ceil, round_, trunc = _flat(np.floor), _flat(np.ceil), _flat(np.round), _flat(np.trunc)


def _mod_vjp(g: Any, a: Any, b: Any, out: Any) -> tuple[Any, Any]:
    # a mod b = a - floor(a / b) * b:  d/da = 1,  d/db = -floor(a / b) (a constant between
    # the jumps, so computed from the numbers even in a create_graph pass)
    with _quiet():
        return g, g * -np.floor(dm.value(a) / dm.value(b))


@op(name="mod", vjp=_mod_vjp)
@_ieee
def mod(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a mod b with the sign of b (NumPy's %, torch.remainder)."""
    return np.remainder(a, b)


@op(vjp=lambda g, a, b, out: (g * (a / out), g * (b / out)))  # d/da sqrt(a² + b²) = a / out
@_ieee
def hypot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.hypot(a, b)


def _arctan2_vjp(g: Any, y: Any, x: Any, out: Any) -> tuple[Any, Any]:
    # d/dy = x / (x**2 + y**2),  d/dx = -y / (x**2 + y**2);  0 at the origin, as PyTorch
    r2 = x * x + y * y
    origin = dm.value(r2) == 0.0
    return dm.where(origin, 0.0, g * (x / r2)), dm.where(origin, 0.0, g * (-y / r2))


@op(vjp=_arctan2_vjp)
@_ieee
def arctan2(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.arctan2(y, x)


def _elu_vjp(g: Any, x: Any, out: Any, alpha: float, scale: float = 1.0) -> tuple[Any]:
    # d/dx = scale for x > 0 (and at nan, as PyTorch), else scale * alpha * e**x, which is
    # out + scale * alpha there: no e**x to overflow on the side that is not taken
    return (dm.where(dm.value(x) <= 0.0, g * (out + scale * alpha), g * scale),)


@op(vjp=_elu_vjp)
@_ieee
def elu(x: np.ndarray, *, alpha: float) -> np.ndarray:
    """x for x > 0, else alpha * (e**x - 1)."""
    return np.where(x <= 0.0, alpha * np.expm1(np.minimum(x, 0.0)), x)


@op(vjp=lambda g, x, out: _elu_vjp(g, x, out, SELU_ALPHA, SELU_SCALE))
@_ieee
def selu(x: np.ndarray) -> np.ndarray:
    return SELU_SCALE * np.where(x <= 0.0, SELU_ALPHA * np.expm1(np.minimum(x, 0.0)), x)


def _normal_cdf(x: Any) -> Any:  # (dm.normal_cdf takes floats and nodes, not arrays)
    return normal_cdf.forward(x) if type(x) is np.ndarray else x.normal_cdf()


def _normal_pdf(x: Any) -> Any:
    if type(x) is np.ndarray:  # (dm.normal_pdf of a 0-d array would meet a NumPy scalar)
        return np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    return dm.normal_pdf(x)


_erf = np.frompyfunc(math.erf, 1, 1)  # exact to the last bit, one element at a time


@op(vjp=lambda g, x, out: (g * _normal_pdf(x),))  # d/dx Phi(x) = phi(x)
@_ieee
def normal_cdf(x: np.ndarray) -> np.ndarray:
    """Phi(x), the standard normal CDF, (1 + erf(x / sqrt 2)) / 2."""
    return np.asarray(0.5 * (1.0 + _erf(x / math.sqrt(2.0))), dtype=x.dtype)


# d/dx x Phi(x) = Phi(x) + x phi(x)
@op(vjp=lambda g, x, out: (g * (_normal_cdf(x) + x * _normal_pdf(x)),))
@_ieee
def gelu(x: np.ndarray) -> np.ndarray:
    """x * Phi(x), the exact form (not the tanh approximation)."""
    return x * normal_cdf.forward(x)


def _winner_vjp(g: Any, a: Any, b: Any, out: Any, larger: bool) -> tuple[Any, Any]:
    # g to the operand that wins, 0 to the other; a tie splits it 1/2 each, and nan in either
    # gives both the full gradient (torch.maximum's rule, as Value.max)
    av, bv = dm.value(a), dm.value(b)
    a_wins = (av > bv) if larger else (av < bv)
    tie, nan = av == bv, np.isnan(av) | np.isnan(bv)
    share_a = np.where(tie, 0.5, np.where(a_wins | nan, 1.0, 0.0))
    share_b = np.where(tie, 0.5, np.where(a_wins & ~nan, 0.0, 1.0))
    return (dm.where(share_a > 0.0, g * share_a, 0.0), dm.where(share_b > 0.0, g * share_b, 0.0))


@op(name="maximum", vjp=lambda g, a, b, out: _winner_vjp(g, a, b, out, larger=True))
def maximum_op(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.maximum(a, b)


@op(name="minimum", vjp=lambda g, a, b, out: _winner_vjp(g, a, b, out, larger=False))
def minimum_op(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.minimum(a, b)


def _clip_vjp(g: Any, x: Any, out: Any, low: Any, high: Any) -> tuple[Any]:
    # 1 where low <= x <= high (the bounds included, as torch.clamp), 0 where clipped
    xv = dm.value(x)
    inside = np.ones(xv.shape, dtype=bool)
    if low is not None:
        inside &= xv >= low
    if high is not None:
        inside &= xv <= high
    return (dm.where(inside, g, 0.0),)


@op(name="clip", vjp=_clip_vjp)
def clip_op(x: np.ndarray, *, low: Any, high: Any) -> np.ndarray:
    if low is None and high is None:
        return x.copy()
    return np.clip(x, low, high)


# ---------------------------------------------------------------------------- reductions


def _others_product(x: Any, axis: Any) -> Any:
    """For each element, the product of the other elements of its reduction: the local
    derivative of prod. No division, so a zero among them is fine (0 / 0 never happens)."""
    nd = x.ndim
    axes = tuple(range(nd)) if axis is None else tuple(sorted(set(_kept_axes(nd, axis))))
    keep = [i for i in range(nd) if i not in axes]
    perm = tuple(keep) + axes
    moved = x.transpose(perm)  # the reduced axes last, flattened into one of length n
    lead = moved.shape[: len(keep)]
    n = math.prod(x.shape[a] for a in axes)
    v = moved.reshape(lead + (n,))
    if n == 0:
        return x
    if type(v) is np.ndarray:  # products of everything left and right of each element
        ones = np.ones(lead + (1,), dtype=v.dtype)
        left = np.cumprod(np.concatenate([ones, v[..., :-1]], axis=-1), axis=-1)
        rev = np.flip(v, axis=-1)[..., :-1]
        right = np.flip(np.cumprod(np.concatenate([ones, rev], axis=-1), axis=-1), axis=-1)
        others = left * right
    else:  # a node (create_graph): an n x n grid with 1 on the diagonal, multiplied along
        grid = dm.broadcast_to(v.reshape(lead + (1, n)), lead + (n, n))
        others = where(np.eye(n, dtype=bool), 1.0, grid).prod(axis=-1)
    return others.reshape(moved.shape).transpose(tuple(int(i) for i in np.argsort(perm)))


def _kept_axes(nd: int, axis: Any) -> tuple[int, ...]:
    return tuple(a % nd for a in (axis if isinstance(axis, tuple) else (axis,))) if nd else ()


# d/dx_i prod(x) = the product of the other elements
@op(vjp=lambda g, x, out, axis, keepdims: (_spread(g, x.shape, axis) * _others_product(x, axis),))
@_ieee
def prod(x: np.ndarray, *, axis: Any, keepdims: bool) -> np.ndarray:
    return x.prod(axis=axis, keepdims=keepdims)


def _reverse_cumsum(g: Any, axis: int) -> Any:
    """sum_{j >= i} g_j along axis: the VJP of cumsum (each x_i is in every later total)."""
    if type(g) is np.ndarray:
        return np.flip(np.cumsum(np.flip(g, axis), axis), axis)
    return g.flip(axis).cumsum(axis).flip(axis)


def _cumsum_vjp(g: Any, x: Any, out: Any, axis: Any) -> tuple[Any]:
    if axis is None:  # over the flattened array
        return (_reverse_cumsum(g, 0).reshape(x.shape),)
    return (_reverse_cumsum(g, axis),)


@op(vjp=_cumsum_vjp)
@_ieee
def cumsum(x: np.ndarray, *, axis: Any) -> np.ndarray:
    return np.cumsum(x, axis=axis)


def _logsumexp_vjp(g: Any, x: Any, out: Any, axis: Any, keepdims: bool) -> tuple[Any]:
    # d/dx_j log(sum_i e**x_i) = e**(x_j - logsumexp(x)), the softmax
    kept = _kept_shape(x.shape, axis)
    return (g.reshape(kept) * dm.exp(_array(x - out.reshape(kept))),)


def _array(v: Any) -> Any:
    """v, with a NumPy scalar (what arithmetic on 0-d arrays gives) made a 0-d array again:
    dmath's exp, log and sigmoid take floats, arrays and nodes, not NumPy scalars."""
    return np.asarray(v) if isinstance(v, np.generic) else v


@op(vjp=_logsumexp_vjp)
@_ieee
def logsumexp(x: np.ndarray, *, axis: Any, keepdims: bool) -> np.ndarray:
    """m + log(sum e**(x - m)), m = max(x) along axis (0 where that is inf): no overflow."""
    if x.size == 0:
        return np.log(np.exp(x).sum(axis=axis, keepdims=keepdims))
    m = x.max(axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    total = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return total if keepdims else total.reshape(x.sum(axis=axis).shape)


def _norm_vjp(g: Any, x: Any, out: Any, axis: Any, keepdims: bool) -> tuple[Any]:
    # d/dx_i sqrt(sum x**2) = x_i / norm; 0 at a zero norm (PyTorch's subgradient)
    kept = _kept_shape(x.shape, axis)
    n = out.reshape(kept)
    zero = dm.value(n) == 0.0
    return (dm.where(zero, 0.0, g.reshape(kept) * (x / n)),)


@op(name="norm", vjp=_norm_vjp)
@_ieee
def norm2(x: np.ndarray, *, axis: Any, keepdims: bool) -> np.ndarray:
    """The Euclidean norm sqrt(sum x**2) over axis."""
    return np.sqrt((x * x).sum(axis=axis, keepdims=keepdims))


# ---------------------------------------------------------------------------- shape


def _tile_vjp(g: Any, x: Any, out: Any, reps: tuple[int, ...]) -> tuple[Any]:
    # each copy passes its gradient back: view g as (reps_0, n_0, reps_1, n_1, ...) and sum
    # over the copies
    n = max(len(reps), x.ndim)
    shape = (1,) * (n - x.ndim) + tuple(x.shape)
    reps = (1,) * (n - len(reps)) + reps
    pairs = tuple(v for r, s in zip(reps, shape, strict=True) for v in (r, s))
    return (g.reshape(pairs).sum(axis=tuple(range(0, 2 * n, 2))).reshape(x.shape),)


@op(name="tile", vjp=_tile_vjp)
def tile(x: np.ndarray, *, reps: tuple[int, ...]) -> np.ndarray:
    return np.tile(x, reps)


def _roll(g: Any, shift: Any, axis: Any) -> Any:
    return np.roll(g, shift, axis) if type(g) is np.ndarray else g.roll(shift, axis)


def _negated(shift: Any) -> Any:
    return tuple(-s for s in shift) if isinstance(shift, tuple) else -shift


# rolling back by the same shift puts each gradient where its element came from
@op(vjp=lambda g, x, out, shift, axis: (_roll(g, _negated(shift), axis),))
def roll(x: np.ndarray, *, shift: Any, axis: Any) -> np.ndarray:
    return np.roll(x, shift, axis)


def _flip(g: Any, axis: Any) -> Any:
    return np.flip(g, axis) if type(g) is np.ndarray else g.flip(axis)


@op(vjp=lambda g, x, out, axis: (_flip(g, axis),))  # flipping is its own inverse
def flip(x: np.ndarray, *, axis: Any) -> np.ndarray:
    return np.flip(x, axis)


# concatenate: each operand gets back its own slice of g
def _concatenate_vjp(g: Any, *xs_out: Any, axis: int) -> tuple[Any, ...]:
    xs = xs_out[:-1]
    ax = axis % g.ndim
    grads, start = [], 0
    for x in xs:
        stop = start + x.shape[ax]
        grads.append(g[(slice(None),) * ax + (slice(start, stop),)])
        start = stop
    return tuple(grads)


@op(name="concatenate", vjp=_concatenate_vjp)
def concatenate_op(*xs: np.ndarray, axis: int) -> np.ndarray:
    return np.concatenate(xs, axis=axis)


def _einsum_vjp(g: Any, *xs_out: Any, inputs: tuple[str, ...], output: str) -> tuple[Any, ...]:
    # out = einsum("ij,jk->ik", a, b) is linear in each operand: d/da is the einsum of g with
    # the others, back to a's letters ("ik,jk->ij"). A letter of a that is nowhere else was
    # summed over inside a alone: its gradient is g copied along it (broadcast).
    xs = xs_out[:-1]
    grads = []
    for k, (x, letters) in enumerate(zip(xs, inputs, strict=True)):
        others = [(xs[i], inputs[i]) for i in range(len(xs)) if i != k]
        seen = output + "".join(s for _, s in others)
        kept = "".join(c for c in letters if c in seen)
        spec = ",".join([output] + [s for _, s in others]) + "->" + kept
        d = _einsum(spec, g, *[o for o, _ in others])
        if kept != letters:
            ones = tuple(n if c in seen else 1 for c, n in zip(letters, x.shape, strict=True))
            d = dm.broadcast_to(d.reshape(ones), x.shape)
        grads.append(d)
    return tuple(grads)


@op(name="einsum", vjp=_einsum_vjp)
@_ieee
def einsum_op(*xs: np.ndarray, inputs: tuple[str, ...], output: str) -> np.ndarray:
    return np.einsum(",".join(inputs) + "->" + output, *xs)


def _einsum(spec: str, *xs: Any) -> Any:
    """np.einsum for arrays, the op for nodes (a create_graph pass)."""
    if all(type(x) is np.ndarray for x in xs):
        return np.einsum(spec, *xs)
    return einsum(spec, *xs)


_FLOATS = (np.dtype(np.float64), np.dtype(np.float32))


def _as_array(data: object) -> np.ndarray:
    """The float ndarray a Tensor stores (float32 stays float32, anything else is float64).

    An ndarray of float64 or float32 is used as is (no copy, like ``torch.from_numpy``);
    numbers, nested lists and integer or boolean arrays become float64.
    """
    if type(data) is np.ndarray and data.dtype in _FLOATS:  # "in": identity first, then ==
        return data
    if isinstance(data, Tensor):
        raise TypeError("Tensor(...) got a Tensor; use it directly, or t.detach() for a leaf")
    if data is None or isinstance(data, (str, bytes)):
        raise TypeError(
            f"Tensor data must be numbers or an array of numbers, not {type(data).__name__}"
        )
    try:
        array = np.asarray(data)
    except ValueError as e:  # ragged nested lists
        raise ValueError(f"Tensor data must be a rectangular array of numbers: {e}") from None
    kind = array.dtype.kind
    if array.dtype == np.float32:
        return array
    if kind in "biuf":
        return array.astype(np.float64)
    raise TypeError(
        f"Tensor data must be real numbers, not {type(data).__name__} of dtype {array.dtype}"
    )


# ============================================================================ nodes


def _node(data: Any, op: Op, parents: tuple[Tensor, ...]) -> Tensor:
    """The output node of an op: it records its op and parents only if one parent requires
    grad and this thread is not inside ``no_grad()``; otherwise it is a leaf."""
    out = _new_tensor(Tensor)
    out._data = data if type(data) is np.ndarray else np.asarray(data)
    out.grad = None
    out.label = ""
    out.role = ""
    if not no_grad_blocks[0] or modes.grad_enabled:  # (graph.no_grad_blocks)
        for p in parents:
            if p.requires_grad:
                out.requires_grad = True
                out._op = op
                out.parents = parents
                out._time = next(_ticks)  # when it was made, to catch operands changed since
                return out
    out.requires_grad = False
    out._op = None
    out.parents = ()
    out._time = 0
    return out


_new_tensor = object.__new__


def _lift(other: object, like: Tensor | None, op: str) -> Tensor:
    """``other`` as a Tensor operand: a constant leaf (role "const") unless it is one already.

    A plain number takes the dtype of the Tensor it meets, so that float32 stays float32.
    """
    if isinstance(other, Tensor):
        return other
    if isinstance(other, numbers.Real) and not isinstance(other, np.ndarray):
        if isinstance(other, numbers.Integral) and not -(2**1023) < other < 2**1023:
            other = float("inf") if other > 0 else float("-inf")  # 10**400: IEEE's inf
        dtype = np.float64 if like is None else like._data.dtype
        data = np.asarray(other, dtype=dtype)
    elif isinstance(other, (np.ndarray, list, tuple, np.generic)):
        data = _as_array(other)
    else:
        raise TypeError(
            f"unsupported operand type(s) for {op}: 'Tensor' and '{type(other).__name__}'"
        )
    const = Tensor(data)
    const.role = "const"
    return const


def _apply(op: Op, inputs: tuple[Any, ...]) -> Tensor:
    """Apply any op (a learner's too) to Tensors (and numbers or arrays): the tensor entry."""
    if op.vjp is None:
        raise TypeError(f"op {op.name!r} has only a scalar rule (local=); give it Values")
    like = next(x for x in inputs if isinstance(x, Tensor)) if inputs else None
    xs = tuple(_lift(x, like, op.name) for x in inputs)
    return _node(_forward(op, xs), op, xs)


def _forward(op: Op, xs: tuple[Tensor, ...]) -> Any:
    """op's forward on the operands' arrays; shapes that do not fit name them."""
    try:
        return op.forward(*[x._data for x in xs])
    except ValueError as e:
        shapes = " and ".join(str(x._data.shape) for x in xs)
        raise ValueError(f"{op.name}: operands of shapes {shapes} do not fit ({e})") from None


def _binary(op: Op, a: Tensor, b: Any, symbol: str) -> Tensor:
    if type(b) is not Tensor:
        b = _lift(b, a, symbol)
    try:
        out = op.forward(a._data, b._data)
    except ValueError:
        _forward(op, (a, b))  # raises the error that names both shapes
        raise
    return _node(out, op, (a, b))


def _unary(op: Op, x: Tensor) -> Tensor:
    return _node(op.forward(x._data), op, (x,))


class Tensor:
    """An array that remembers how it was computed, so that gradients can flow back to it.

    Attributes:
        data: the values, an ndarray of float64 (or float32 if given float32).
        grad: d(root)/d(self), same shape and dtype as data; None until a backward reaches it.
        requires_grad: whether backward computes a gradient for this tensor.
        label: a name for diagrams and tables ("" if none).
        op: the operation that produced it ("+", "@", "relu", ...); "" for a leaf.
        parents: the operands, in call order (``x * x`` has parents ``(x, x)``).
        role: what a leaf is, for diagrams: "param", "input", "const" or "".
    """

    # _data: the array behind ``data``; _op: the Op that made it (None for a leaf); _time:
    # the engine's clock when it was made or last changed in place, to catch stale graphs.
    __slots__ = (
        "_data",
        "grad",
        "requires_grad",
        "label",
        "parents",
        "role",
        "_op",
        "_time",
        "__weakref__",
    )

    def __init__(
        self, data: Any, requires_grad: bool = False, label: str = "", role: str = ""
    ) -> None:
        if not isinstance(label, str):
            raise TypeError(f"Tensor label must be a string, not {type(label).__name__}")
        if not isinstance(role, str):
            raise TypeError(f"Tensor role must be a string, not {type(role).__name__}")
        self._data: np.ndarray = _as_array(data)
        self.grad: np.ndarray | None = None
        self.requires_grad: bool = bool(requires_grad)
        self.label: str = label
        self.parents: tuple[Tensor, ...] = ()
        self.role: str = role
        self._op: Op | None = None
        self._time: int = 0

    def _set_data(self, value: Any) -> None:
        # every optimizer step comes here: ``t.data -= step`` gives back the same array, with
        # new values; anything else is checked (a float array is used as it is)
        if value is not self._data:
            if type(value) is not np.ndarray or value.dtype not in _FLOATS:
                value = _as_array(value)
            self._data = value
        self._time = next(_ticks)  # bump_version(self), inline

    data = property(
        attrgetter("_data"),  # a read runs no Python code
        _set_data,
        doc="""The values (an ndarray). Assigning to it, ``t.data = ...`` or ``t.data -= ...``,
        counts as an in-place change: a graph recorded before it can no longer backward.""",
    )

    @property
    def op(self) -> str:
        """The operation that produced this tensor ("" for a leaf)."""
        return "" if self._op is None else self._op.name

    @property
    def _version(self) -> int:
        return self._time

    @_version.setter
    def _version(self, t: int) -> None:
        self._time = t

    # ----------------------------------------------------------------- array facts

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> int:
        return self._data.size

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def T(self) -> Tensor:
        """The transpose (all axes reversed), as ``transpose()``."""
        return self.transpose()

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d Tensor")
        return len(self._data)

    def __repr__(self) -> str:
        body = np.array2string(self._data, precision=4, separator=", ", prefix="Tensor(")
        extras = ""
        if self._data.dtype != np.float64:
            extras += f", dtype={self._data.dtype}"
        if self.requires_grad:
            extras += ", requires_grad=True"
        if self.op:
            extras += f", op={self.op!r}"
        if self.label:
            extras += f", label={self.label!r}"
        return f"Tensor({body}{extras})"

    def __iter__(self) -> Iterator[Tensor]:
        """The rows, each a graph node ``self[i]`` (a 0-d tensor is not iterable)."""
        return (self[i] for i in range(len(self)))

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """``np.asarray(t)`` gives the data (plotting, printing); it is not part of the graph.

        Inside a derivative rule under create_graph it would silently drop the graph that
        the second derivative needs, so there it raises, naming the op.
        """
        if modes.building_rule:
            raise TypeError(
                f"the derivative rule of op {modes.building_rule!r} turned a Tensor into a "
                "NumPy array (np.asarray or a NumPy function): under create_graph=True its rule "
                "is called with Tensors so that the derivative can be differentiated again. "
                "Write it with Tensor operations and autograd.dmath"
            )
        if copy is None:  # NumPy 1.x's np.array refuses copy=None: "copy if needed" is asarray
            return np.asarray(self._data, dtype=dtype)
        return np.array(self._data, dtype=dtype, copy=copy)

    def numpy(self) -> np.ndarray:
        """The data array itself (shared, not copied, as in PyTorch)."""
        return self._data

    def item(self) -> float:
        """The one number of a one-element tensor, as a Python float."""
        if self._data.size != 1:
            raise ValueError(f"item() needs a one-element tensor, got shape {self._data.shape}")
        return float(self._data.reshape(-1)[0])

    def __float__(self) -> float:
        return self.item()

    def detach(self) -> Tensor:
        """A leaf with the same data (shared) and no graph: gradients stop here."""
        return Tensor(self._data, label=self.label)

    # ----------------------------------------------------------------- arithmetic

    def __add__(self, other: Operand) -> Tensor:
        return _binary(add, self, other, "+")

    def __sub__(self, other: Operand) -> Tensor:
        return _binary(sub, self, other, "-")

    def __mul__(self, other: Operand) -> Tensor:
        return _binary(mul, self, other, "*")

    def __truediv__(self, other: Operand) -> Tensor:
        return _binary(div, self, other, "/")

    def __pow__(self, other: Operand) -> Tensor:
        """x ** k for a number k (one operand, op "**k"), or x ** y for a Tensor y (two).

        d/dx x**y = y * x**(y - 1);  d/dy x**y = x**y * log(x).  Never complex: nan instead.
        """
        if isinstance(other, numbers.Real) and not isinstance(other, np.ndarray):
            k = float(_lift(other, self, "**")._data)
            return _unary(power_const.bind(k=k), self)
        return _binary(power, self, other, "**")

    def __matmul__(self, other: Operand) -> Tensor:
        """Matrix product with NumPy's rules: 1-D, 2-D, and stacks of matrices (..., n, m)."""
        return _binary(matmul, self, other, "@")

    def __neg__(self) -> Tensor:
        return _unary(neg, self)

    def __radd__(self, other: Operand) -> Tensor:
        return _binary(add, _lift(other, self, "+"), self, "+")

    def __rsub__(self, other: Operand) -> Tensor:
        return _binary(sub, _lift(other, self, "-"), self, "-")

    def __rmul__(self, other: Operand) -> Tensor:
        return _binary(mul, _lift(other, self, "*"), self, "*")

    def __rtruediv__(self, other: Operand) -> Tensor:
        return _binary(div, _lift(other, self, "/"), self, "/")

    def __rpow__(self, other: Operand) -> Tensor:
        return _binary(power, _lift(other, self, "**"), self, "**")

    def __rmatmul__(self, other: Operand) -> Tensor:
        return _binary(matmul, _lift(other, self, "@"), self, "@")

    # ----------------------------------------------------------------- reductions

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (all axes if None);  d/dx_i sum(x) = 1 for every i summed."""
        return _unary(sum_.bind(axis=_axis(axis), keepdims=bool(keepdims)), self)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis`` (all axes if None);  d/dx_i mean(x) = 1 / n, n the count averaged."""
        return _unary(mean.bind(axis=_axis(axis), keepdims=bool(keepdims)), self)

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Largest element over ``axis`` (all axes if None).

        d/dx_i max(x) = 1 where x_i is the maximum, 0 elsewhere. At a tie between k elements
        the gradient is split evenly, 1/k to each, as PyTorch does for ``amax`` and for a
        full ``max()`` (for two tied elements this is also what central differences measure).
        """
        return _unary(max_.bind(axis=_axis(axis), keepdims=bool(keepdims)), self)

    def min(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Smallest element over ``axis`` (all axes if None); ties split as for ``max``."""
        return _unary(min_.bind(axis=_axis(axis), keepdims=bool(keepdims)), self)

    # ----------------------------------------------------------------- shape

    def reshape(self, *shape: int | tuple[int, ...]) -> Tensor:
        """The same values in a new shape (``reshape(2, 3)`` or ``reshape((2, 3))``)."""
        new = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        new = tuple(int(n) for n in new)
        try:
            self._data.reshape(new)
        except ValueError:
            raise ValueError(
                f"cannot reshape a tensor of shape {self._data.shape} into shape {new}"
            ) from None
        return _unary(reshape.bind(shape=new), self)

    def broadcast_to(self, shape: tuple[int, ...]) -> Tensor:
        """The values repeated to ``shape`` (NumPy's broadcasting rules); backward sums the
        copies' gradients."""
        shape = tuple(int(n) for n in shape)
        try:
            np.broadcast_shapes(self._data.shape, shape)
        except ValueError:
            raise ValueError(f"cannot broadcast shape {self._data.shape} to {shape}") from None
        return _unary(broadcast_to_op.bind(shape=shape), self)

    def transpose(self, *axes: int) -> Tensor:
        """Permute the axes (reverse them if none are given); backward applies the inverse."""
        perm = tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        return _unary(transpose.bind(axes=tuple(perm) if perm else None), self)

    def __getitem__(self, index: Any) -> Tensor:
        """NumPy indexing: ints, slices, ``None``, ``...``, boolean masks, integer arrays.

        Backward puts g back where the elements came from, zeros elsewhere; an element picked
        several times (``x[[0, 0]]``) adds up its gradients.
        """
        if isinstance(index, Tensor):
            raise TypeError("index with ints, slices, masks or integer arrays, not a Tensor")
        return _unary(index_op.bind(index=index), self)

    # ----------------------------------------------------------------- functions

    def exp(self) -> Tensor:
        """e ** x;  d/dx e**x = e**x.  exp(1000) = inf."""
        return _unary(exp, self)

    def log(self) -> Tensor:
        """Natural log;  d/dx log(x) = 1 / x.  log(0) = -inf, log(-1) = nan."""
        return _unary(log, self)

    def sqrt(self) -> Tensor:
        """Square root;  d/dx sqrt(x) = 1 / (2 sqrt(x)).  sqrt(0)' = inf, sqrt(-1) = nan."""
        return _unary(sqrt, self)

    def tanh(self) -> Tensor:
        """Hyperbolic tangent;  d/dx tanh(x) = 1 - tanh(x)**2.  Saturates for |x| > ~5."""
        return _unary(tanh, self)

    def sigmoid(self) -> Tensor:
        """1 / (1 + e**-x);  d/dx sigmoid(x) = s * (1 - s).  Stable for any x; at most 0.25."""
        return _unary(sigmoid, self)

    def softplus(self) -> Tensor:
        """log(1 + e**x);  d/dx softplus(x) = sigmoid(x).  Stable for any x."""
        return _unary(softplus, self)

    def abs(self) -> Tensor:
        """|x|;  d/dx |x| = sign(x), with abs'(0) = 0 as in PyTorch."""
        return _unary(absolute, self)

    def __abs__(self) -> Tensor:
        return self.abs()

    def relu(self) -> Tensor:
        """max(0, x);  d/dx = 1 for x > 0, else 0 (relu'(0) = 0, as in PyTorch)."""
        return _unary(relu, self)

    def leaky_relu(self, slope: float = 0.01) -> Tensor:
        """x for x > 0, else slope * x;  d/dx = 1 for x > 0, else slope."""
        return _unary(leaky_relu.bind(slope=float(slope)), self)

    def log_softmax(self, axis: int = -1) -> Tensor:
        """x_i - logsumexp(x) along ``axis``: log-probabilities, finite for any finite logits."""
        return _unary(log_softmax.bind(axis=int(axis)), self)

    def softmax(self, axis: int = -1) -> Tensor:
        """e**x_i / sum_j e**x_j along ``axis`` (shifted by max(x): no overflow)."""
        return _unary(softmax.bind(axis=int(axis)), self)

    # ----------------------------------------------------------------- comparisons
    # Comparisons give plain boolean arrays: they have no gradient (a step function's slope is
    # 0), so they are never graph nodes. ``==`` stays identity, as on every graph node (a
    # Tensor is a dict key in backward); use ``eq``/``ne`` for elementwise equality.

    def __lt__(self, other: Operand) -> np.ndarray:
        return self._data < _numbers_of(other)

    def __le__(self, other: Operand) -> np.ndarray:
        return self._data <= _numbers_of(other)

    def __gt__(self, other: Operand) -> np.ndarray:
        return self._data > _numbers_of(other)

    def __ge__(self, other: Operand) -> np.ndarray:
        return self._data >= _numbers_of(other)

    def eq(self, other: Operand) -> np.ndarray:
        """Elementwise ``==`` as a boolean array (not differentiable)."""
        return self._data == _numbers_of(other)

    def ne(self, other: Operand) -> np.ndarray:
        """Elementwise ``!=`` as a boolean array (not differentiable)."""
        return self._data != _numbers_of(other)

    # ----------------------------------------------------------------- more functions
    # The elementary functions (sin, ..., logsigmoid) are installed from value.ELEMENTARY,
    # shared with Value (see install_elementary at the end of the class).

    def sign(self) -> Tensor:
        """-1, 0 or 1 elementwise (nan at nan);  d/dx = 0 everywhere, as in PyTorch."""
        return _unary(sign, self)

    def floor(self) -> Tensor:
        """The largest integer <= x, elementwise;  d/dx = 0 (a step function)."""
        return _unary(floor, self)

    def ceil(self) -> Tensor:
        """The smallest integer >= x, elementwise;  d/dx = 0."""
        return _unary(ceil, self)

    def round(self) -> Tensor:
        """x rounded to the nearest integer (halves to even, as NumPy);  d/dx = 0."""
        return _unary(round_, self)

    def trunc(self) -> Tensor:
        """x rounded towards 0;  d/dx = 0."""
        return _unary(trunc, self)

    def __mod__(self, other: Operand) -> Tensor:
        """a mod b with the sign of b (NumPy's %);  d/da = 1,  d/db = -floor(a / b)."""
        return _binary(mod, self, other, "%")

    def __rmod__(self, other: Operand) -> Tensor:
        return _binary(mod, _lift(other, self, "%"), self, "%")

    remainder = __mod__

    def hypot(self, other: Operand) -> Tensor:
        """sqrt(a**2 + b**2) without overflow;  d/da = a / out,  d/db = b / out."""
        return _binary(hypot, self, other, "hypot")

    def arctan2(self, other: Operand) -> Tensor:
        """The angle of the points (x=other, y=self), elementwise;
        d/dy = x / (x**2 + y**2),  d/dx = -y / (x**2 + y**2)."""
        return _binary(arctan2, self, other, "arctan2")

    atan2 = arctan2

    def elu(self, alpha: float = 1.0) -> Tensor:
        """x for x > 0, else alpha * (e**x - 1);  d/dx = 1 for x > 0, else alpha * e**x."""
        return _unary(elu.bind(alpha=float(alpha)), self)

    def selu(self) -> Tensor:
        """scale * elu(x, alpha), Klambauer et al.'s constants;  d/dx = scale for x > 0, else
        scale * alpha * e**x."""
        return _unary(selu, self)

    def gelu(self) -> Tensor:
        """x * Phi(x), Phi the standard normal CDF (exact form);  d/dx = Phi(x) + x phi(x)."""
        return _unary(gelu, self)

    def normal_cdf(self) -> Tensor:
        """Phi(x), the standard normal CDF;  d/dx = phi(x), the normal density."""
        return _unary(normal_cdf, self)

    def maximum(self, other: Operand) -> Tensor:
        """Elementwise larger of the two (``np.maximum``); the gradient goes to the larger,
        split 1/2 each at a tie, and to both at nan (as ``torch.maximum``)."""
        return maximum(self, other)

    def minimum(self, other: Operand) -> Tensor:
        """Elementwise smaller of the two (``np.minimum``), with maximum's conventions."""
        return minimum(self, other)

    def clip(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 (NumPy's names)
        """The values limited to [min, max]; d/dx = 1 inside (bounds included), 0 where a
        bound replaced the value (``torch.clamp``). Tensor bounds get gradients too."""
        return clip(self, min, max)

    clamp = clip

    # ----------------------------------------------------------------- more reductions

    def prod(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Product over ``axis``;  d/dx_i prod(x) = the product of the others (zeros allowed)."""
        return _unary(prod.bind(axis=_axis(axis), keepdims=bool(keepdims)), self)

    def cumsum(self, axis: int | None = None) -> Tensor:
        """Running sums along ``axis`` (over the flattened values if None);
        d/dx_i = the number of totals x_i is in: backward is a reversed running sum of g."""
        return _unary(cumsum.bind(axis=_axis(axis)), self)

    def cumprod(self, axis: int | None = None) -> Tensor:
        """Running products along ``axis`` (over the flattened values if None). Built as
        ``prod`` over an n x n grid holding x_k where k <= j and 1 elsewhere: exact with zeros
        (no division), gradients and higher orders from ``prod``, at O(n**2) memory per lane."""
        x = self.reshape(-1) if axis is None else self
        ax = 0 if axis is None else int(axis) % max(x.ndim, 1)
        perm = tuple(i for i in range(x.ndim) if i != ax) + (ax,)
        v = x.transpose(perm)
        lead, n = v.shape[:-1], v.shape[-1]
        grid = v.reshape(lead + (1, n)).broadcast_to(lead + (n, n))
        running = where(np.tril(np.ones((n, n), dtype=bool)), grid, 1.0).prod(axis=-1)
        return running.transpose(tuple(int(i) for i in np.argsort(perm)))

    def var(
        self, axis: int | tuple[int, ...] | None = None, ddof: int = 0, keepdims: bool = False
    ) -> Tensor:
        """Variance sum((x - mean)**2) / (n - ddof), NumPy's default ddof=0 (PyTorch's
        default is ddof=1). Built from mean, -, * and sum, which give its gradient."""
        d = self - self.mean(axis=axis, keepdims=True)
        n = self.size // max(math.prod(_kept_shape(self.shape, _axis(axis))), 1)
        return (d * d).sum(axis=axis, keepdims=keepdims) / float(n - ddof)

    def std(
        self, axis: int | tuple[int, ...] | None = None, ddof: int = 0, keepdims: bool = False
    ) -> Tensor:
        """Standard deviation sqrt(var); the gradient is nan where it is 0, as in PyTorch."""
        return self.var(axis=axis, ddof=ddof, keepdims=keepdims).sqrt()

    def logsumexp(
        self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
    ) -> Tensor:
        """log(sum e**x) over ``axis``, stable for any logits;  d/dx_j = softmax(x)_j."""
        return _unary(logsumexp.bind(axis=_axis(axis), keepdims=bool(keepdims)), self)

    def norm(
        self, ord: Any = 2, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
    ) -> Tensor:
        """The vector p-norm (sum |x|**p)**(1/p) over ``axis`` (all values if None): ord 2
        (d/dx = x / norm, 0 at a zero norm as in PyTorch), 1, inf, or any p > 0."""
        axis = _axis(axis)
        if ord == 2:
            return _unary(norm2.bind(axis=axis, keepdims=bool(keepdims)), self)
        if ord == 1:
            return self.abs().sum(axis=axis, keepdims=keepdims)
        if ord == math.inf:
            return self.abs().max(axis=axis, keepdims=keepdims)
        p = float(ord)
        return (self.abs() ** p).sum(axis=axis, keepdims=keepdims) ** (1.0 / p)

    def argmax(self, axis: int | None = None, keepdims: bool = False) -> np.ndarray:
        """Where the largest value is: integer indices, not differentiable."""
        return np.argmax(self._data, axis=axis, keepdims=keepdims)

    def argmin(self, axis: int | None = None, keepdims: bool = False) -> np.ndarray:
        """Where the smallest value is: integer indices, not differentiable."""
        return np.argmin(self._data, axis=axis, keepdims=keepdims)

    # ----------------------------------------------------------------- more shape

    def squeeze(self, axis: int | tuple[int, ...] | None = None) -> Tensor:
        """Drop size-1 axes (all, or those in ``axis``): a reshape."""
        return self.reshape(np.squeeze(np.empty(self.shape, dtype=bool), _axis(axis)).shape)

    def unsqueeze(self, axis: int) -> Tensor:
        """A new size-1 axis at ``axis`` (``np.expand_dims``): a reshape."""
        return self.reshape(np.expand_dims(np.empty(self.shape, dtype=bool), int(axis)).shape)

    expand_dims = unsqueeze

    def flatten(self, start: int = 0, end: int = -1) -> Tensor:
        """Axes ``start`` to ``end`` merged into one (all of them by default: 1-D)."""
        if self.ndim == 0:
            return self.reshape(1)
        start, end = start % self.ndim, end % self.ndim
        shape = self.shape
        return self.reshape(shape[:start] + (-1 if self.size else 0,) + shape[end + 1 :])

    def ravel(self) -> Tensor:
        return self.reshape(-1)

    def expand(self, *sizes: int) -> Tensor:
        """``broadcast_to`` under PyTorch's name; -1 keeps that axis's size."""
        new = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        lead = len(new) - self.ndim
        shape = tuple(
            self.shape[i - lead] if n == -1 and i >= lead else int(n) for i, n in enumerate(new)
        )
        return self.broadcast_to(shape)

    def tile(self, reps: int | Sequence[int]) -> Tensor:
        """The values repeated ``reps`` times along each axis (``np.tile``); backward sums
        the copies' gradients."""
        reps = (int(reps),) if isinstance(reps, numbers.Integral) else tuple(int(r) for r in reps)
        return _unary(tile.bind(reps=reps), self)

    def repeat(self, *sizes: int) -> Tensor:
        """PyTorch's ``repeat``: ``np.tile`` with the repetitions per axis."""
        reps = sizes[0] if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        return self.tile(tuple(reps))

    def roll(
        self, shift: int | tuple[int, ...], axis: int | tuple[int, ...] | None = None
    ) -> Tensor:
        """Values shifted cyclically along ``axis`` (``np.roll``); backward rolls back."""
        return _unary(roll.bind(shift=_axis(shift), axis=_axis(axis)), self)

    def flip(self, axis: int | tuple[int, ...] | None = None) -> Tensor:
        """The order of the values reversed along ``axis`` (all axes if None)."""
        return _unary(flip.bind(axis=_axis(axis)), self)

    def triu(self, k: int = 0) -> Tensor:
        """The upper triangle of the last two axes (diagonal k and above), zeros elsewhere."""
        mask = np.triu(np.ones(self.shape[-2:], dtype=bool), k)
        return where(mask, self, 0.0)

    def tril(self, k: int = 0) -> Tensor:
        """The lower triangle of the last two axes (diagonal k and below), zeros elsewhere."""
        mask = np.tril(np.ones(self.shape[-2:], dtype=bool), k)
        return where(mask, self, 0.0)

    def diagonal(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
        """The diagonal over ``axis1``, ``axis2``, as the last axis (``np.diagonal``): picked
        by indexing, so backward puts g back on the diagonal."""
        a1, a2 = axis1 % self.ndim, axis2 % self.ndim
        rest = [i for i in range(self.ndim) if i not in (a1, a2)]
        moved = self.transpose(tuple(rest) + (a1, a2))
        n1, n2 = moved.shape[-2:]
        k = max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))
        i = np.arange(k) + max(-offset, 0)
        return moved[..., i, i + offset]

    def diag(self, k: int = 0) -> Tensor:
        """``np.diag``: a 1-D tensor becomes the square matrix with it on diagonal k; a 2-D
        one gives its diagonal k."""
        if self.ndim == 2:
            return self.diagonal(k)
        if self.ndim != 1:
            raise ValueError(f"diag takes a 1-D or 2-D tensor, not shape {self.shape}")
        n = self.shape[0] + abs(k)
        i = np.arange(self.shape[0])
        return scatter(self, (n, n), (i + max(-k, 0), i + max(k, 0)))

    def trace(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
        """The sum of the diagonal (``np.trace``)."""
        return self.diagonal(offset, axis1, axis2).sum(axis=-1)

    permute = transpose  # PyTorch's name for a permutation of all the axes

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        """Two axes exchanged (``np.swapaxes``, ``torch.transpose(x, a, b)``)."""
        perm = list(range(self.ndim))
        a, b = axis1 % self.ndim, axis2 % self.ndim
        perm[a], perm[b] = perm[b], perm[a]
        return self.transpose(tuple(perm))

    def moveaxis(self, source: int, destination: int) -> Tensor:
        """One axis moved to a new place, the others in order (``np.moveaxis``)."""
        perm = [i for i in range(self.ndim) if i != source % self.ndim]
        perm.insert(destination % self.ndim, source % self.ndim)
        return self.transpose(tuple(perm))

    def pad(self, pad_width: Any, value: float = 0.0) -> Tensor:
        """``np.pad(x, pad_width, constant_values=value)``: x inside a border of ``value``
        (pad_width as NumPy's: n, (before, after), or one pair per axis). x is scattered
        into place, so backward takes g's inner part."""
        widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (self.ndim, 2))
        if (widths < 0).any():
            raise ValueError(f"pad widths must be >= 0, got {pad_width}")
        shape = tuple(int(n + b + a) for n, (b, a) in zip(self.shape, widths, strict=True))
        inner = tuple(
            slice(int(b), int(b) + n) for n, (b, _) in zip(self.shape, widths, strict=True)
        )
        out = scatter(self, shape, inner)
        if value == 0.0:
            return out
        border = np.full(shape, float(value), dtype=self.dtype)
        border[inner] = 0.0
        return out + border

    def sort(self, axis: int = -1) -> Tensor:
        """The values sorted along ``axis`` (``np.sort``): a pick by ``argsort``, so backward
        sends each gradient to the element that landed there."""
        order = np.argsort(self._data, axis=axis, kind="stable")
        grid = list(np.indices(self.shape, sparse=True))
        grid[axis] = order
        return self[tuple(grid)]

    def outer(self, other: Operand) -> Tensor:
        """``np.outer``: out[i, j] = x[i] * y[j] over the flattened operands."""
        (y,) = _operands((other,), "outer")
        return self.reshape(-1, 1) * y.reshape(1, -1)

    def gather(self, axis: int, index: Any) -> Tensor:
        """PyTorch's ``gather`` (``np.take_along_axis``): out[i][j] = x[i][index[i][j]] for
        axis 1. A pick by integer arrays, so backward adds the gradients of repeated picks."""
        index = np.asarray(index)
        if index.ndim != self.ndim:
            raise ValueError(f"gather: index has {index.ndim} axes, the tensor {self.ndim}")
        grid = list(np.indices(index.shape, sparse=True))
        grid[axis] = index
        return self[tuple(grid)]

    def tensordot(self, other: Operand, axes: Any = 2) -> Tensor:
        """``np.tensordot``: the sum over ``axes`` (n: the last n of x with the first n of y;
        or a pair of axis lists), as one matrix product of the reshaped operands."""
        (y,) = _operands((other,), "tensordot")
        if isinstance(axes, numbers.Integral):
            ax_x = list(range(self.ndim - int(axes), self.ndim))
            ax_y = list(range(int(axes)))
        else:
            ax_x, ax_y = ([a] if isinstance(a, numbers.Integral) else list(a) for a in axes)
        ax_x = [a % self.ndim for a in ax_x]
        ax_y = [a % y.ndim for a in ax_y]
        if [self.shape[a] for a in ax_x] != [y.shape[a] for a in ax_y]:
            raise ValueError(
                f"tensordot: axes {ax_x} of shape {self.shape} do not match axes {ax_y} of "
                f"shape {y.shape}"
            )
        free_x = [i for i in range(self.ndim) if i not in ax_x]
        free_y = [i for i in range(y.ndim) if i not in ax_y]
        k = math.prod(self.shape[a] for a in ax_x)
        a = self.transpose(tuple(free_x + ax_x)).reshape(-1, k) if self.size else None
        b = y.transpose(tuple(ax_y + free_y)).reshape(k, -1) if y.size else None
        shape = tuple(self.shape[i] for i in free_x) + tuple(y.shape[i] for i in free_y)
        if a is None or b is None:  # an empty operand: a product of nothing
            return (self.sum() * 0.0 + y.sum() * 0.0) + Tensor(np.zeros(shape, self.dtype))
        return (a @ b).reshape(shape)

    def chunk(self, chunks: int, axis: int = 0) -> list[Tensor]:
        """PyTorch's ``chunk``: ``chunks`` pieces of ceil(n / chunks) along ``axis`` (fewer
        if that covers it)."""
        n = self.shape[axis]
        return self.split(max(-(-n // int(chunks)), 1), axis)

    def split(self, size: int | Sequence[int], axis: int = 0) -> list[Tensor]:
        """PyTorch's ``split``: pieces of ``size`` along ``axis`` (the last may be smaller), or
        of the listed sizes. (``autograd.tensor.split`` takes NumPy's sections instead.)"""
        n = self.shape[axis]
        if isinstance(size, numbers.Integral):
            sizes = [min(int(size), n - s) for s in range(0, n, int(size))] or [0]
        else:
            sizes = [int(s) for s in size]
            if sum(sizes) != n:
                raise ValueError(f"split sizes {sizes} do not add up to {n} along axis {axis}")
        return split(self, list(np.cumsum(sizes)[:-1]), axis=axis)

    # ----------------------------------------------------------------- NumPy's functions
    # np.exp(t), np.sum(t), np.concatenate([a, b]) on Tensors record the graph, as the Tensor
    # methods do; what has no rule here raises a TypeError naming the method, never returns a
    # silently detached array. Comparisons and tests (np.isnan, np.greater) give booleans.

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return _numpy_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return _numpy_function(func, args, kwargs)

    # ----------------------------------------------------------------- backprop

    def _seed(self, grad: Any) -> np.ndarray:
        """The gradient backward starts from: d(self)/d(self) = 1, or the caller's ``grad``."""
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: no tensor in its graph "
                "was made with requires_grad=True (or it was computed inside no_grad())"
            )
        shape, dtype = self._data.shape, self._data.dtype
        if grad is None:
            if self._data.size != 1:
                raise RuntimeError(
                    f"backward() on a tensor of shape {shape} needs a grad argument of that "
                    "shape (d(root)/d(this tensor)); only a one-element tensor defaults to 1"
                )
            one = np.array(1.0, dtype=dtype)
            return one.reshape(shape) if shape else one  # a loss is 0-d: no reshape
        seed = np.array(grad.data if isinstance(grad, Tensor) else grad, dtype=dtype)  # a copy
        if seed.shape != shape:
            if seed.size == 1 and self._data.size == 1:
                return seed.reshape(shape)
            raise ValueError(
                f"backward(): grad has shape {seed.shape} but the tensor has shape {shape}"
            )
        return seed

    def backward(self, grad: Any = None, create_graph: bool = False) -> None:
        """Add d(self)/d(t) * grad to ``t.grad`` for every tensor t of this graph needing one.

        ``grad`` defaults to 1 for a one-element tensor; any other shape needs one of its own
        shape (a RuntimeError says so). Gradients accumulate: a second call without
        ``zero_grad()`` doubles them, as in PyTorch. The loop is ``autograd.engine``'s, shared
        with the scalar engine: reverse topological order, no recursion, each node's VJP
        sending gradient to every parent that requires one. No two leaves share a ``.grad``.
        """
        engine.backward(self, grad, create_graph=create_graph)

    def backward_steps(self, grad: Any = None) -> Iterator[Step]:
        """The same backward as ``backward()``, yielding one ``Step`` per node, root first.

        Only tensors that require grad are visited. Each ``Edge`` is
        ``(parent, None, downstream)``: the Jacobian of a tensor op is never built, so
        ``local`` is None, and ``downstream`` is the array this edge adds to ``parent.grad``.
        """
        return engine.backward_steps(self, grad)

    def zero_grad(self) -> None:
        """Clear ``.grad`` (back to None) on every tensor of this graph."""
        from autograd.graph import topological_order

        for node in topological_order(self):
            node.grad = None


install_elementary(Tensor, ELEMENTARY_OPS, _unary)
ENGINES[Tensor] = _apply
ENGINES[np.ndarray] = _apply


def _axis(axis: Any) -> Any:
    """An axis argument in a hashable form: None, an int, or a tuple of ints."""
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)):
        return tuple(int(a) for a in axis)
    return int(axis)


def linear(
    x: Tensor | np.ndarray,
    weight: Tensor,
    bias: Tensor | None = None,
    activation: str | None = None,
) -> Tensor:
    """The affine map of a dense layer, one node:  y = x @ weight.T + bias.

    ``x`` is (..., nin), ``weight`` (nout, nin) as in PyTorch, ``bias`` (nout,); y is
    (..., nout). The same as ``x @ weight.T + bias`` (three nodes), fused for speed.
    ``activation`` ("relu", "tanh" or "sigmoid") is applied inside the same node, whose op
    is then "linear+relu" and so on: ``linear(x, w, b, "relu")`` equals
    ``linear(x, w, b).relu()`` with one node and one array fewer.
    """
    op = linear_op
    if activation is not None:
        op = _LINEAR_THEN.get(activation) if isinstance(activation, str) else None
        if op is None:
            raise ValueError(
                f"linear: activation must be one of {sorted(FUSABLE)} or None, got {activation!r}"
            )
    if not isinstance(x, Tensor):
        x = Tensor(x, role="input")
    if not isinstance(weight, Tensor) or not (bias is None or isinstance(bias, Tensor)):
        raise TypeError("linear() takes its weight and bias as Tensors")
    if weight._data.ndim != 2:
        raise ValueError(f"linear: weight must be (nout, nin), got shape {weight._data.shape}")
    operands = (x, weight) if bias is None else (x, weight, bias)
    try:
        out = (
            op.forward(x._data, weight._data)
            if bias is None
            else op.forward(x._data, weight._data, bias._data)
        )
    except ValueError as e:
        raise ValueError(
            f"linear: input of shape {x._data.shape} does not fit weight {weight._data.shape}"
            + ("" if bias is None else f" and bias {bias._data.shape}")
            + f" ({e})"
        ) from None
    return _node(out, op, operands)


# ============================================================================ functions


def _numbers_of(x: Any) -> Any:
    """The numbers behind an operand, for results that are not differentiated."""
    return x._data if isinstance(x, Tensor) else x


def _operands(xs: Sequence[Any], what: str) -> tuple[Tensor, ...]:
    like = next((x for x in xs if isinstance(x, Tensor)), None)
    return tuple(_lift(x, like, what) for x in xs)


def maximum(a: Operand, b: Operand) -> Tensor:
    """Elementwise larger of a and b (``np.maximum``, ``torch.maximum``): the gradient goes to
    the larger, split 1/2 each at a tie, and to both where either is nan."""
    pair = _operands((a, b), "maximum")
    return _node(_forward(maximum_op, pair), maximum_op, pair)


def minimum(a: Operand, b: Operand) -> Tensor:
    """Elementwise smaller of a and b, with ``maximum``'s conventions."""
    pair = _operands((a, b), "minimum")
    return _node(_forward(minimum_op, pair), minimum_op, pair)


def clip(x: Operand, low: Any = None, high: Any = None) -> Tensor:
    """x limited to [low, high] (``np.clip``, ``torch.clamp``): d/dx = 1 inside, the bounds
    included, and 0 where a bound replaced the value. Tensor bounds are ``maximum`` and
    ``minimum``, and get their share of the gradient."""
    (t,) = _operands((x,), "clip")
    if isinstance(low, Tensor) or isinstance(high, Tensor) or np.ndim(low) or np.ndim(high):
        if low is not None:
            t = maximum(t, low)
        return t if high is None else minimum(t, high)
    bounds = {
        "low": None if low is None else float(low),
        "high": None if high is None else float(high),
    }
    return _unary(clip_op.bind(**bounds), t)


def concatenate(tensors: Sequence[Operand], axis: int | None = 0) -> Tensor:
    """The tensors joined along an existing ``axis`` (``np.concatenate``; None flattens them
    first); backward gives each its own slice of g."""
    xs = _operands(list(tensors), "concatenate")
    if not xs:
        raise ValueError("concatenate needs at least one tensor")
    if axis is None:
        xs, axis = tuple(x.reshape(-1) for x in xs), 0
    op = concatenate_op.bind(axis=int(axis))
    return _node(_forward(op, xs), op, xs)


def stack(tensors: Sequence[Operand], axis: int = 0) -> Tensor:
    """The tensors (all of one shape) joined along a new ``axis`` (``np.stack``)."""
    xs = _operands(list(tensors), "stack")
    if not xs:
        raise ValueError("stack needs at least one tensor")
    if len({x.shape for x in xs}) != 1:
        raise ValueError(f"stack needs tensors of one shape, got {[x.shape for x in xs]}")
    ax = int(axis) % (xs[0].ndim + 1)
    return concatenate([x.unsqueeze(ax) for x in xs], axis=ax)


def einsum(subscripts: str, *operands: Operand) -> Tensor:
    """``np.einsum`` with explicit or implicit output letters ("ij,jk->ik", "ij,jk"): sums of
    products named by letters. Each letter appears at most once per operand (no "ii" traces:
    use ``trace``/``diagonal``) and no ``...``."""
    spec = subscripts.replace(" ", "")
    if "..." in spec:
        raise ValueError("einsum: '...' is not supported; name every axis with a letter")
    inputs, _, output = spec.partition("->")
    parts = tuple(inputs.split(","))
    if not _:
        letters = "".join(parts)
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    if any(len(set(p)) != len(p) for p in parts):
        raise ValueError(f"einsum: a letter repeated within one operand ({subscripts!r}) is "
                         "not supported; use diagonal() or trace()")  # fmt: skip
    xs = _operands(list(operands), "einsum")
    if len(xs) != len(parts):
        raise ValueError(f"einsum: {len(parts)} operands in {subscripts!r}, {len(xs)} given")
    op = einsum_op.bind(inputs=parts, output=output)
    return _node(_forward(op, xs), op, xs)


def split(x: Tensor, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    """``np.split``: ``sections`` equal pieces, or pieces cut at the given indices, along
    ``axis``; each is a slice of x (a node), so backward puts g back in its place."""
    n = x.shape[axis]
    pieces = np.split(np.arange(n), indices_or_sections)  # NumPy's own checks and errors
    lead = (slice(None),) * (axis % x.ndim)
    return [
        x[lead + (slice(int(p[0]), int(p[-1]) + 1) if p.size else slice(0, 0),)] for p in pieces
    ]


def where_numpy(condition: Any, a: Any = None, b: Any = None) -> Any:
    if a is None and b is None:  # np.where(c): the indices where c holds
        return np.where(_numbers_of(condition))
    return where(condition, a, b)


# ---------------------------------------------------------------------------- NumPy protocol

# ufuncs with a Tensor rule: the method (or operator) that records the graph
_UFUNC_METHODS: dict[Any, str] = {
    np.add: "__add__", np.subtract: "__sub__", np.multiply: "__mul__",
    np.divide: "__truediv__", np.power: "__pow__", np.float_power: "__pow__",
    np.matmul: "__matmul__", np.remainder: "__mod__",
    np.floor: "floor", np.ceil: "ceil", np.rint: "round", np.trunc: "trunc",
    np.negative: "__neg__", np.absolute: "abs", np.exp: "exp", np.log: "log", np.sqrt: "sqrt",
    np.tanh: "tanh", np.sign: "sign", np.hypot: "hypot", np.arctan2: "arctan2",
    np.maximum: "maximum", np.minimum: "minimum", np.square: "square",
    **{getattr(np, name): name for name in ELEMENTARY if hasattr(np, name)},
}  # fmt: skip
# ufuncs that give booleans (no gradient): applied to the numbers
_UFUNC_NUMBERS = {
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.isnan, np.isinf, np.isfinite, np.signbit, np.logical_and, np.logical_or,
    np.logical_not, np.logical_xor,
}  # fmt: skip


def _numpy_ufunc(ufunc: Any, method: str, inputs: tuple[Any, ...], kwargs: dict) -> Any:
    if method == "__call__" and ufunc in _UFUNC_NUMBERS:
        return ufunc(*[_numbers_of(x) for x in inputs], **kwargs)
    name = _UFUNC_METHODS.get(ufunc)
    if name is None or method != "__call__" or kwargs:
        call = f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
        hint = "the Tensor methods"
        if ufunc is np.add and method == "reduce":
            hint = "t.sum()"
        elif name and method == "__call__":
            hint = "the operator" if name.startswith("__") else f"t.{name}()"
        extra = f" with {', '.join(kwargs)}=" if kwargs else ""
        raise TypeError(
            f"{call} on a Tensor{extra} has no gradient rule in gradflow: use {hint} to record the "
            f"graph, or {call}(t.data) for numbers without a gradient"
        )
    if ufunc is np.square:
        return inputs[0] ** 2
    if len(inputs) == 1:
        return getattr(inputs[0], name)()
    a, b = inputs
    if name in ("maximum", "minimum", "hypot", "arctan2"):
        first = a if isinstance(a, Tensor) else _lift(a, b, name)
        return getattr(first, name)(b)
    if isinstance(a, Tensor):
        return getattr(a, name)(b)
    return getattr(b, "__r" + name[2:])(a)  # a NumPy array or number on the left


def _no_out(kwargs: dict, what: str) -> None:
    if kwargs.get("out") is not None:
        raise TypeError(f"np.{what}(..., out=...) cannot write a Tensor's graph into an array")


def _reduction(method: str) -> Any:
    def call(a: Any, axis: Any = None, *rest: Any, keepdims: bool = False, **kw: Any) -> Any:
        _no_out(kw, method)
        (t,) = _operands((a,), method)
        return getattr(t, method)(axis=axis, keepdims=keepdims)

    return call


def _method(method: str) -> Any:
    def call(a: Any, *args: Any, **kw: Any) -> Any:
        (t,) = _operands((a,), method)
        return getattr(t, method)(*args, **kw)

    return call


def _np_var(method: str) -> Any:
    def call(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: int = 0,
             keepdims: bool = False, **kw: Any) -> Any:  # fmt: skip
        _no_out({"out": out}, method)
        (t,) = _operands((a,), method)
        return getattr(t, method)(axis=axis, ddof=ddof, keepdims=keepdims)

    return call


def _np_transpose(a: Any, axes: Any = None) -> Tensor:
    (t,) = _operands((a,), "transpose")
    return t.transpose() if axes is None else t.transpose(tuple(axes))


def _np_dot(a: Any, b: Any, out: Any = None) -> Tensor:
    _no_out({"out": out}, "dot")
    x, y = _operands((a, b), "dot")
    return x * y if x.ndim == 0 or y.ndim == 0 else x @ y


def _np_pad(a: Any, pad_width: Any, mode: str, value: Any, kw: dict) -> Tensor:
    if mode != "constant" or kw:
        raise TypeError(
            f"np.pad on a Tensor: only mode='constant' has a gradient rule, not {mode!r}"
        )
    return _operands((a,), "pad")[0].pad(pad_width, float(value))


def _np_round(a: Any, decimals: int, kw: dict) -> Tensor:
    if decimals != 0 or kw:
        raise TypeError("np.round on a Tensor: only decimals=0 has a rule (t.round())")
    return _operands((a,), "round")[0].round()


def _np_norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:
    (t,) = _operands((x,), "norm")
    if ord == "fro" and (axis is None or np.ndim(axis) == 1):  # Frobenius: the 2-norm of all
        ord = None
    return t.norm(2 if ord is None else ord, axis=axis, keepdims=keepdims)


# NumPy functions with a Tensor implementation (the graph is recorded)
_FUNCTIONS: dict[Any, Any] = {
    np.sum: _reduction("sum"), np.mean: _reduction("mean"), np.max: _reduction("max"),
    np.amax: _reduction("max"), np.min: _reduction("min"), np.amin: _reduction("min"),
    np.prod: _reduction("prod"), np.var: _np_var("var"), np.std: _np_var("std"),
    np.cumprod: lambda a, axis=None, **kw: _operands((a,), "cumprod")[0].cumprod(axis),
    np.cumsum: lambda a, axis=None, **kw: _operands((a,), "cumsum")[0].cumsum(axis),
    np.reshape: lambda a, shape, **kw: _operands((a,), "reshape")[0].reshape(shape),
    np.transpose: _np_transpose, np.squeeze: _method("squeeze"),
    np.expand_dims: _method("unsqueeze"), np.ravel: lambda a, **kw: _method("ravel")(a),
    np.broadcast_to: _method("broadcast_to"), np.tile: _method("tile"),
    np.roll: _method("roll"), np.flip: _method("flip"), np.triu: _method("triu"),
    np.tril: _method("tril"), np.diag: _method("diag"), np.diagonal: _method("diagonal"),
    np.trace: _method("trace"), np.clip: lambda a, lo=None, hi=None, **kw: clip(a, lo, hi),
    np.concatenate: concatenate, np.stack: stack, np.split: split, np.where: where_numpy,
    np.dot: _np_dot, np.linalg.norm: _np_norm, np.outer: lambda a, b, **kw: _method("outer")(a, b),
    np.pad: lambda a, pad_width, mode="constant", constant_values=0.0, **kw: _np_pad(
        a, pad_width, mode, constant_values, kw),
    np.sort: lambda a, axis=-1, **kw: _method("sort")(a, axis),
    np.einsum: lambda subscripts, *operands, **kw: einsum(subscripts, *operands),
    np.swapaxes: _method("swapaxes"), np.moveaxis: _method("moveaxis"),
    np.take_along_axis: lambda a, indices, axis, **kw: _method("gather")(a, axis, indices),
    np.tensordot: lambda a, b, axes=2, **kw: _method("tensordot")(a, b, axes),
    np.round: lambda a, decimals=0, **kw: _np_round(a, decimals, kw),
    np.argmax: lambda a, axis=None, **kw: np.argmax(_numbers_of(a), axis=axis, **kw),
    np.argmin: lambda a, axis=None, **kw: np.argmin(_numbers_of(a), axis=axis, **kw),
}  # fmt: skip
# NumPy functions that read the numbers and give no differentiable result
_READERS = {
    np.shape, np.ndim, np.size, np.allclose, np.isclose, np.array_equal, np.array_equiv,
    np.argsort, np.nonzero, np.count_nonzero, np.array2string, np.array_repr, np.array_str,
    np.result_type, np.iscomplexobj, np.isrealobj, np.may_share_memory, np.shares_memory,
    np.all, np.any, np.searchsorted,
    np.testing.assert_allclose, np.testing.assert_array_equal,
}  # fmt: skip


def _unwrap(x: Any) -> Any:
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v) for v in x)
    return x


def _numpy_function(func: Any, args: tuple[Any, ...], kwargs: dict) -> Any:
    impl = _FUNCTIONS.get(func)
    if impl is not None:
        return impl(*args, **kwargs)
    if func in _READERS:
        return func(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()})
    name = getattr(func, "__name__", str(func))
    method = f"t.{name}(...)" if hasattr(Tensor, name) else "the Tensor methods"
    raise TypeError(
        f"np.{name} on a Tensor has no gradient rule in gradflow, and its result would be "
        f"silently detached from the graph: use {method}, or np.{name}(t.data) for numbers "
        "without a gradient"
    )
