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
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Sequence
from typing import Any, Union

import numpy as np

from autograd import dmath as dm
from autograd import engine
from autograd.graph import _clock, bump_version, modes
from autograd.op import ENGINES, Op, op
from autograd.value import Step

Operand = Union["Tensor", np.ndarray, float, int, Sequence[Any]]

# NumPy warns (RuntimeWarning) where IEEE 754 just gives inf or nan: the scalar engine does
# not warn, so neither do we. Entering np.errstate costs about a microsecond, so only ops whose
# arithmetic can overflow, divide by zero or hit inf - inf use it; max/relu/indexing/reshape
# and the like cannot raise a floating-point flag.
_quiet = np.errstate


def _ieee(f: Any) -> Any:
    """Run a forward under IEEE rules: inf and nan, no RuntimeWarning."""

    def forward(*args: Any, **params: Any) -> Any:
        with _quiet(all="ignore"):
            return f(*args, **params)

    forward.__name__ = f.__name__
    forward.__doc__ = f.__doc__
    return forward


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
    with _quiet(all="ignore"):
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
    with _quiet(all="ignore"):
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


# d/dx max(0, x) = 1 for x > 0, else 0 (relu'(0) = 0); nan passes its gradient, as PyTorch
@op(vjp=lambda g, x, out: (dm.where(dm.value(x) <= 0.0, 0.0, g),))
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


def _cross_entropy_vjp(g: Any, z: Any, out: Any, target: np.ndarray) -> tuple[Any]:
    # d/dz_ij mean_i (logsumexp(z_i) - z_i[t_i]) = (softmax(z_i)_j - [j == t_i]) / N
    n = z.shape[0]
    onehot = np.zeros(z.shape, dtype=z.dtype)
    onehot[np.arange(n), target] = 1.0
    p = _softmax(z, -1) if isinstance(z, np.ndarray) else z.softmax(axis=-1)
    return ((p - onehot) * (g / n),)


@op(name="cross_entropy", vjp=_cross_entropy_vjp)
@_ieee
def cross_entropy_op(z: np.ndarray, *, target: np.ndarray) -> np.ndarray:
    """mean_i (logsumexp(z_i) - z_i[t_i]) over the rows of z (N, C): one node, where
    ``-z.log_softmax(axis=1)[rows, t].mean()`` makes four (log-softmax, pick, mean, minus)."""
    logp = log_softmax.forward(z, axis=-1)
    return -logp[np.arange(z.shape[0]), target].mean()


def cross_entropy(logits: Tensor, target: np.ndarray) -> Tensor:
    """Softmax cross-entropy of logits (N, C) against N class indices, as one node whose VJP
    is (softmax(z) - onehot(t)) / N. ``nn.cross_entropy`` checks its arguments and calls it."""
    return _unary(cross_entropy_op.bind(target=target), logits)


def _linear_vjp(g: np.ndarray, x: np.ndarray, w: np.ndarray, *bias_out: np.ndarray) -> tuple:
    """dy/dx: g @ weight;  dy/dweight: g.T @ x (summed over every leading axis of x);
    dy/dbias: the sum of g over every leading axis."""
    nout, nin = w.shape
    g2 = g if g.ndim == 2 else g.reshape(-1, nout)
    grads = [lambda: g @ w, lambda: g2.T @ (x if x.ndim == 2 else x.reshape(-1, nin))]
    if len(bias_out) == 2:
        grads.append(lambda: g2.sum(axis=0))
    return tuple(grads)


@op(name="linear", vjp=_linear_vjp)
@_ieee
def linear_op(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    out = x @ w.T
    if b is not None:
        out += b
    return out


def _as_array(data: object) -> np.ndarray:
    """The float ndarray a Tensor stores (float32 stays float32, anything else is float64).

    An ndarray of float64 or float32 is used as is (no copy, like ``torch.from_numpy``);
    numbers, nested lists and integer or boolean arrays become float64.
    """
    if type(data) is np.ndarray and (data.dtype == np.float64 or data.dtype == np.float32):
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
    if modes.grad_enabled:
        for p in parents:
            if p.requires_grad:
                out.requires_grad = True
                out._op = op
                out.parents = parents
                out._time = _clock[0]  # when it was made, to catch operands changed since
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
    pair = (a, b)
    return _node(_forward(op, pair), op, pair)


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
    __array_ufunc__ = None  # make NumPy arrays and scalars defer to our reflected operators

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

    @property
    def data(self) -> np.ndarray:
        """The values (an ndarray). Assigning to it, ``t.data = ...`` or ``t.data -= ...``,
        counts as an in-place change: a graph recorded before it can no longer backward."""
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        self._data = _as_array(value)
        bump_version(self)

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
        """``np.asarray(t)`` gives the data (plotting, printing); it is not part of the graph."""
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
            return np.ones(shape, dtype=dtype)
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


ENGINES[Tensor] = _apply
ENGINES[np.ndarray] = _apply


def _axis(axis: Any) -> Any:
    """An axis argument in a hashable form: None, an int, or a tuple of ints."""
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)):
        return tuple(int(a) for a in axis)
    return int(axis)


def linear(x: Tensor | np.ndarray, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """The affine map of a dense layer, one node:  y = x @ weight.T + bias.

    ``x`` is (..., nin), ``weight`` (nout, nin) as in PyTorch, ``bias`` (nout,); y is
    (..., nout). The same as ``x @ weight.T + bias`` (three nodes), fused for speed.
    """
    if not isinstance(x, Tensor):
        x = Tensor(x, role="input")
    if not isinstance(weight, Tensor) or not (bias is None or isinstance(bias, Tensor)):
        raise TypeError("linear() takes its weight and bias as Tensors")
    if weight._data.ndim != 2:
        raise ValueError(f"linear: weight must be (nout, nin), got shape {weight._data.shape}")
    operands = (x, weight) if bias is None else (x, weight, bias)
    try:
        out = linear_op.forward(*[t._data for t in operands])
    except ValueError as e:
        raise ValueError(
            f"linear: input of shape {x._data.shape} does not fit weight {weight._data.shape}"
            + ("" if bias is None else f" and bias {bias._data.shape}")
            + f" ({e})"
        ) from None
    return _node(out, linear_op, operands)
