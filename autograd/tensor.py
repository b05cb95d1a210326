"""The tensor engine: a ``Tensor`` is a NumPy array in a computation graph.

It is the scalar ``Value`` engine with arrays in place of floats. Every operation follows the
same pattern, in one short block: compute the output, then state, right beside it and per
operand, how the gradient flows back. For a scalar that was a local derivative; for an array
the Jacobian would be huge (n x n for an elementwise op), so instead each operand gets a
vector-Jacobian product (VJP): a closure ``lambda g: ...`` that maps the upstream gradient
``g = d(root)/d(out)`` (shaped like the output) to the downstream gradient
``d(root)/d(operand)`` (shaped like the operand). For example::

    def __mul__(self, other):
        a, b = self.data, other.data
        # d(a * b)/da = b,  d(a * b)/db = a   (elementwise)
        return _result(a * b, "*", (self, other),
                       (lambda g: _unbroadcast(g * b, a.shape),
                        lambda g: _unbroadcast(g * a, b.shape)))

Broadcasting: NumPy stretches a size-1 (or missing) axis of an operand to match the other
operand. The stretched operand was used once per copy, so its gradient is the *sum* of the
copies' gradients: ``_unbroadcast`` sums g over the stretched axes, back to the operand's shape.

Like ``Value``:
- ``parents`` is a tuple in call order, so ``x * x`` has two edges and both add to ``x.grad``;
- the closures capture arrays and shapes, never the output Tensor, so a graph has no reference
  cycles and is freed by reference counting the moment its root is dropped;
- ``backward()`` walks the graph with ``autograd.graph.topological_order``: no recursion.

Unlike ``Value``, only tensors that require a gradient take part: a node requires grad when one
of its parents does, an op on constants records no graph, and backward never computes a
gradient for an operand that does not need one (an input batch, a target, a constant).

Floating-point edge cases follow IEEE 754 as in the scalar engine (log(0) = -inf, 1/0 = inf,
(-8) ** 0.5 = nan), without NumPy's RuntimeWarnings.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Union

import numpy as np

from autograd import anomaly
from autograd.anomaly import _AnomalyMode
from autograd.graph import _GradMode, topological_order
from autograd.value import Edge, Step

VJP = Callable[[np.ndarray], np.ndarray]
Operand = Union["Tensor", np.ndarray, float, int, Sequence[Any]]

# NumPy warns (RuntimeWarning) where IEEE 754 just gives inf or nan: the scalar engine does
# not warn, so neither do we. Entering np.errstate costs about a microsecond, so only ops whose
# arithmetic can overflow, divide by zero or hit inf - inf use it; max/relu/indexing/reshape
# and the like cannot raise a floating-point flag.
_quiet = np.errstate


def _unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum the gradient of a broadcast operand back to the operand's own ``shape``.

    If ``a`` of shape (3,) was broadcast to (2, 3), each a[j] was used twice, once per row:
    d(root)/d(a[j]) = g[0, j] + g[1, j]. In general: sum over the leading axes that broadcasting
    added, and over the axes where the operand had size 1. Every op uses this one helper.
    """
    if g.shape == shape:
        return g  # the common case: no broadcasting happened
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
    )
    return g.sum(axis=axes, keepdims=True).reshape(shape)


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


def _lift(other: object, like: Tensor, op: str) -> Tensor:
    """``other`` as a Tensor operand: a constant leaf (role "const") unless it is one already.

    A plain number takes the dtype of the Tensor it meets, so that float32 stays float32.
    """
    if isinstance(other, Tensor):
        return other
    if isinstance(other, numbers.Real) and not isinstance(other, np.ndarray):
        data = np.asarray(other, dtype=like.data.dtype)
    elif isinstance(other, (np.ndarray, list, tuple)):
        data = _as_array(other)
    else:
        raise TypeError(
            f"unsupported operand type(s) for {op}: 'Tensor' and '{type(other).__name__}'"
        )
    const = Tensor(data)
    const.role = "const"
    return const


def _result(data: Any, op: str, parents: tuple[Tensor, ...], vjps: tuple[VJP, ...]) -> Tensor:
    """Make the output node of an op.

    It records its parents and VJPs only if one parent requires grad and we are not inside
    ``no_grad()``; otherwise it is a leaf that needs no gradient.
    """
    out = Tensor.__new__(Tensor)
    out.data = data if type(data) is np.ndarray else np.asarray(data)
    out.grad = None
    out.label = ""
    out.role = ""
    out._g = None
    out._g_owned = False
    out._version = 0
    if _GradMode.enabled:
        for p in parents:
            if p.requires_grad:
                out.requires_grad = True
                out.op = op
                out.parents = parents
                out._vjps = vjps
                return out
    out.requires_grad = False
    out.op = ""
    out.parents = ()
    out._vjps = ()
    return out


def _apply(op: str, f: Callable[[Any, Any], Any], a: np.ndarray, b: np.ndarray) -> Any:
    """f(a, b) under IEEE rules (no warnings); shapes that do not fit name both shapes."""
    try:
        with _quiet(all="ignore"):
            return f(a, b)
    except ValueError as e:
        raise ValueError(
            f"{op}: operands of shapes {a.shape} and {b.shape} do not fit ({e})"
        ) from None


def _kept_shape(shape: tuple[int, ...], axis: int | tuple[int, ...] | None) -> tuple[int, ...]:
    """The shape of a reduction over ``axis`` with keepdims=True: reduced axes become 1."""
    if axis is None:
        return (1,) * len(shape)
    axes = {a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,))}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _spread(
    g: np.ndarray, shape: tuple[int, ...], axis: int | tuple[int, ...] | None
) -> np.ndarray:
    """A fresh array of ``shape`` holding g at every position that was reduced into it."""
    full = np.empty(shape, dtype=g.dtype)
    full[...] = g.reshape(_kept_shape(shape, axis))
    return full


def _to_the_winners(x: np.ndarray, out: np.ndarray, axis: Any) -> VJP:
    """The VJP of max or min over ``axis``: g goes to the elements equal to the result.

    A tie between k elements splits it evenly, 1/k to each (PyTorch's rule for amax/amin).
    """

    def vjp(g: np.ndarray) -> np.ndarray:
        kept = _kept_shape(x.shape, axis)
        winners = x == np.reshape(out, kept)
        count = winners.sum(axis=axis, keepdims=True, dtype=x.dtype)
        return winners * (g.reshape(kept) / count)

    return vjp


def _has_int_array(index: Any) -> bool:
    """True if an index contains an integer array or list (which may repeat positions)."""
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if isinstance(part, (list, np.ndarray)) and np.asarray(part).dtype.kind in "iu":
            return True
    return False


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

    __slots__ = (
        "data",
        "grad",
        "requires_grad",
        "label",
        "op",
        "parents",
        "role",
        "_vjps",
        "_g",
        "_g_owned",
        "_version",
        "__weakref__",
    )
    __array_ufunc__ = None  # make NumPy arrays and scalars defer to our reflected operators

    def __init__(
        self, data: Any, requires_grad: bool = False, label: str = "", role: str = ""
    ) -> None:
        self.data: np.ndarray = _as_array(data)
        self.grad: np.ndarray | None = None
        self.requires_grad: bool = bool(requires_grad)
        self.label: str = label
        self.op: str = ""
        self.parents: tuple[Tensor, ...] = ()
        self.role: str = role
        self._vjps: tuple[VJP, ...] = ()
        self._g: np.ndarray | None = None  # this backward pass's gradient, before it joins .grad
        self._version: int = 0
        self._g_owned: bool = False  # whether _g is an array no other tensor refers to

    # ----------------------------------------------------------------- array facts

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def T(self) -> Tensor:
        """The transpose (all axes reversed), as ``transpose()``."""
        return self.transpose()

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d Tensor")
        return len(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", prefix="Tensor(")
        extras = ""
        if self.data.dtype != np.float64:
            extras += f", dtype={self.data.dtype}"
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
        return np.array(self.data, dtype=dtype, copy=copy)

    def numpy(self) -> np.ndarray:
        """The data array itself (shared, not copied, as in PyTorch)."""
        return self.data

    def item(self) -> float:
        """The one number of a one-element tensor, as a Python float."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a one-element tensor, got shape {self.data.shape}")
        return float(self.data.reshape(-1)[0])

    def __float__(self) -> float:
        return self.item()

    def detach(self) -> Tensor:
        """A leaf with the same data (shared) and no graph: gradients stop here."""
        return Tensor(self.data, label=self.label)

    # ----------------------------------------------------------------- arithmetic

    def __add__(self, other: Operand) -> Tensor:
        other = _lift(other, self, "+")
        a, b = self.data, other.data
        out = _apply("+", np.add, a, b)
        # d(a + b)/da = 1,  d(a + b)/db = 1
        return _result(out, "+", (self, other), (
            lambda g: _unbroadcast(g, a.shape),
            lambda g: _unbroadcast(g, b.shape),
        ))  # fmt: skip

    def __sub__(self, other: Operand) -> Tensor:
        other = _lift(other, self, "-")
        a, b = self.data, other.data
        out = _apply("-", np.subtract, a, b)
        # d(a - b)/da = 1,  d(a - b)/db = -1
        return _result(out, "-", (self, other), (
            lambda g: _unbroadcast(g, a.shape),
            lambda g: _unbroadcast(-g, b.shape),
        ))  # fmt: skip

    def __mul__(self, other: Operand) -> Tensor:
        other = _lift(other, self, "*")
        a, b = self.data, other.data
        out = _apply("*", np.multiply, a, b)
        # d(a * b)/da = b,  d(a * b)/db = a   (elementwise)
        return _result(out, "*", (self, other), (
            lambda g: _unbroadcast(g * b, a.shape),
            lambda g: _unbroadcast(g * a, b.shape),
        ))  # fmt: skip

    def __truediv__(self, other: Operand) -> Tensor:
        other = _lift(other, self, "/")
        a, b = self.data, other.data
        out = _apply("/", np.divide, a, b)
        # d(a / b)/da = 1 / b,  d(a / b)/db = -a / b**2, computed as -(a / b) / b so that b**2
        # cannot overflow (b = 1e200) or underflow (b = 1e-200) where the quotient is fine
        return _result(out, "/", (self, other), (
            lambda g: _unbroadcast(g / b, a.shape),
            lambda g: _unbroadcast(-g * out / b, b.shape),
        ))  # fmt: skip

    def __pow__(self, other: Operand) -> Tensor:
        """x ** k for a number k (one operand, op "**k"), or x ** y for a Tensor y (two).

        d/dx x**y = y * x**(y - 1)   (0 where y = 0, as in PyTorch: no 0 * inf at x = 0)
        d/dy x**y = x**y * log(x)    (0 where x = 0 and y >= 0, as in PyTorch)
        Domain edges follow IEEE: 0 ** -1 = inf, (-8) ** 0.5 = nan.
        """
        x = self.data
        if isinstance(other, numbers.Real) and not isinstance(other, np.ndarray):
            k = float(other)
            with _quiet(all="ignore"):
                out = x**k

            def d_power(g: np.ndarray) -> np.ndarray:  # d(x**k)/dx = k x**(k - 1)
                return np.zeros_like(g) if k == 0.0 else g * (k * x ** (k - 1.0))

            return _result(out, f"**{k:g}", (self,), (d_power,))

        other = _lift(other, self, "**")
        y = other.data
        out = _apply("**", np.power, x, y)

        def d_base(g: np.ndarray) -> np.ndarray:
            local = np.where(y == 0.0, 0.0, y * np.power(x, y - 1.0))
            return _unbroadcast(g * local, x.shape)

        def d_exponent(g: np.ndarray) -> np.ndarray:
            local = np.where((x == 0.0) & (y >= 0.0), 0.0, out * np.log(x))
            return _unbroadcast(g * local, y.shape)

        return _result(out, "**", (self, other), (d_base, d_exponent))

    def __matmul__(self, other: Operand) -> Tensor:
        """Matrix product with NumPy's rules: 1-D, 2-D, and stacks of matrices (..., n, m).

        For C = A @ B:  dC/dA: g @ B.T,  dC/dB: A.T @ g  (B.T swaps the last two axes). A 1-D
        operand is a row (on the left) or a column (on the right) that is dropped again; a
        stack axis that was broadcast is summed back.
        """
        other = _lift(other, self, "@")
        a, b = self.data, other.data
        out = _apply("@", np.matmul, a, b)
        if a.ndim == 2 and b.ndim == 2:  # the common case, spelled out
            return _result(out, "@", (self, other), (lambda g: g @ b.T, lambda g: a.T @ g))
        return _result(out, "@", (self, other), _matmul_vjps(a, b))

    def __neg__(self) -> Tensor:
        # d(-a)/da = -1
        return _result(-self.data, "neg", (self,), (np.negative,))

    def __radd__(self, other: Operand) -> Tensor:
        return _lift(other, self, "+") + self

    def __rsub__(self, other: Operand) -> Tensor:
        return _lift(other, self, "-") - self

    def __rmul__(self, other: Operand) -> Tensor:
        return _lift(other, self, "*") * self

    def __rtruediv__(self, other: Operand) -> Tensor:
        return _lift(other, self, "/") / self

    def __rpow__(self, other: Operand) -> Tensor:
        return _lift(other, self, "**") ** self

    def __rmatmul__(self, other: Operand) -> Tensor:
        return _lift(other, self, "@") @ self

    # ----------------------------------------------------------------- reductions

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (all axes if None);  d/dx_i sum(x) = 1 for every i summed.

        Backward copies g to every position that was summed into it.
        """
        x = self.data
        with _quiet(all="ignore"):
            out = x.sum(axis=axis, keepdims=keepdims)
        return _result(out, "sum", (self,), (lambda g: _spread(g, x.shape, axis),))

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis`` (all axes if None);  d/dx_i mean(x) = 1 / n, n the count averaged."""
        x = self.data
        with _quiet(all="ignore"):
            total = x.sum(axis=axis, keepdims=keepdims)
            n = x.size // total.size if total.size else 0
            out = total / n
        return _result(out, "mean", (self,), (lambda g: _spread(g / n, x.shape, axis),))

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Largest element over ``axis`` (all axes if None).

        d/dx_i max(x) = 1 where x_i is the maximum, 0 elsewhere. At a tie between k elements
        the gradient is split evenly, 1/k to each, as PyTorch does for ``amax`` and for a
        full ``max()`` (for two tied elements this is also what central differences measure).
        """
        out = self.data.max(axis=axis, keepdims=keepdims)
        return _result(out, "max", (self,), (_to_the_winners(self.data, out, axis),))

    def min(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Smallest element over ``axis`` (all axes if None).

        d/dx_i min(x) = 1 where x_i is the minimum, 0 elsewhere; a tie between k elements
        splits the gradient evenly, 1/k to each, as PyTorch does for ``amin`` and ``min()``.
        """
        out = self.data.min(axis=axis, keepdims=keepdims)
        return _result(out, "min", (self,), (_to_the_winners(self.data, out, axis),))

    # ----------------------------------------------------------------- shape

    def reshape(self, *shape: int | tuple[int, ...]) -> Tensor:
        """The same values in a new shape (``reshape(2, 3)`` or ``reshape((2, 3))``).

        Backward reshapes g back: each value keeps its gradient.
        """
        new = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        x = self.data
        try:
            out = x.reshape(new)
        except ValueError:
            raise ValueError(
                f"cannot reshape a tensor of shape {x.shape} into shape {tuple(new)}"
            ) from None
        return _result(out, "reshape", (self,), (lambda g: g.reshape(x.shape),))

    def transpose(self, *axes: int) -> Tensor:
        """Permute the axes (reverse them if none are given); backward applies the inverse."""
        perm = tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        x = self.data
        if not perm:
            return _result(x.transpose(), "transpose", (self,), (lambda g: g.transpose(),))
        out = x.transpose(perm)
        inverse = tuple(np.argsort(perm))
        return _result(out, "transpose", (self,), (lambda g: g.transpose(inverse),))

    def __getitem__(self, index: Any) -> Tensor:
        """NumPy indexing: ints, slices, ``None``, ``...``, boolean masks, integer arrays.

        Backward puts g back where the elements came from, zeros elsewhere. An integer array
        may pick one element several times (``x[[0, 0]]``): its gradients add, by
        ``np.add.at``; a plain ``+=`` would keep only one of them.
        """
        if isinstance(index, Tensor):
            raise TypeError("index with ints, slices, masks or integer arrays, not a Tensor")
        x = self.data
        out = x[index]
        if _has_int_array(index):

            def d_index(g: np.ndarray) -> np.ndarray:
                full = np.zeros(x.shape, dtype=g.dtype)
                np.add.at(full, index, g)
                return full
        else:  # ints, slices and masks never pick an element twice: plain assignment

            def d_index(g: np.ndarray) -> np.ndarray:
                full = np.zeros(x.shape, dtype=g.dtype)
                full[index] = g
                return full

        return _result(out, "index", (self,), (d_index,))

    # ----------------------------------------------------------------- functions

    def exp(self) -> Tensor:
        """e ** x;  d/dx e**x = e**x.  exp(1000) = inf."""
        with _quiet(all="ignore"):
            e = np.exp(self.data)
        return _result(e, "exp", (self,), (lambda g: g * e,))

    def log(self) -> Tensor:
        """Natural log;  d/dx log(x) = 1 / x.  log(0) = -inf, log(-1) = nan."""
        x = self.data
        with _quiet(all="ignore"):
            out = np.log(x)
        return _result(out, "log", (self,), (lambda g: g / x,))

    def sqrt(self) -> Tensor:
        """Square root;  d/dx sqrt(x) = 1 / (2 sqrt(x)).  sqrt(0)' = inf, sqrt(-1) = nan."""
        with _quiet(all="ignore"):
            s = np.sqrt(self.data)
        return _result(s, "sqrt", (self,), (lambda g: g / (2.0 * s),))

    def tanh(self) -> Tensor:
        """Hyperbolic tangent;  d/dx tanh(x) = 1 - tanh(x)**2.  Saturates for |x| > ~5."""
        t = np.tanh(self.data)
        return _result(t, "tanh", (self,), (lambda g: g * (1.0 - t * t),))

    def sigmoid(self) -> Tensor:
        """1 / (1 + e**-x);  d/dx sigmoid(x) = s * (1 - s).  Stable for any x; at most 0.25.

        Written as  e**min(x, 0) / (1 + e**-|x|):  for x >= 0 that is 1 / (1 + e**-x), for
        x < 0 the equal e**x / (1 + e**x). No exponent is positive, so nothing overflows, and
        tiny values like sigmoid(-40) = 4.2e-18 stay exact (no 1 - 0.99999... cancellation).
        """
        x = self.data
        s = np.exp(np.minimum(x, 0.0)) / (1.0 + np.exp(-np.abs(x)))
        return _result(s, "sigmoid", (self,), (lambda g: g * (s * (1.0 - s)),))

    def softplus(self) -> Tensor:
        """log(1 + e**x);  d/dx softplus(x) = sigmoid(x).  Stable for any x.

        Written as  max(x, 0) + log(1 + e**-|x|):  the exponent is never positive, and log1p
        keeps e**-|x| below 1e-16 instead of rounding 1 + e**-|x| to 1.
        """
        x = self.data
        out = np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))
        s = np.exp(np.minimum(x, 0.0)) / (1.0 + np.exp(-np.abs(x)))  # sigmoid(x), as above
        return _result(out, "softplus", (self,), (lambda g: g * s,))

    def abs(self) -> Tensor:
        """|x|;  d/dx |x| = sign(x), with abs'(0) = 0 as in PyTorch."""
        x = self.data
        sign = np.sign(x)
        return _result(np.abs(x), "abs", (self,), (lambda g: g * sign,))

    def __abs__(self) -> Tensor:
        return self.abs()

    def relu(self) -> Tensor:
        """max(0, x);  d/dx = 1 for x > 0, else 0 (relu'(0) = 0, as in PyTorch)."""
        x = self.data
        # The local derivative, 1 or 0 per element, as a mask. "not x <= 0" rather than
        # "x > 0": nan passes its gradient, as in Value and PyTorch.
        local = ~(x <= 0.0)
        return _result(np.maximum(x, 0.0), "relu", (self,), (lambda g: g * local,))

    def leaky_relu(self, slope: float = 0.01) -> Tensor:
        """x for x > 0, else slope * x;  d/dx = 1 for x > 0, else slope.

        Both as one array, local = 1 or slope per element (arithmetic, not np.where, which is
        several times slower on a random sign pattern): out = local * x, VJP = g * local.
        """
        x = self.data
        local = (x > 0.0).astype(x.dtype) * (1.0 - slope) + slope
        return _result(local * x, "leaky_relu", (self,), (lambda g: g * local,))

    def log_softmax(self, axis: int = -1) -> Tensor:
        """x_i - logsumexp(x) along ``axis``: log-probabilities, finite for any finite logits.

        logsumexp(x) = m + log(sum_j e**(x_j - m)) with m = max(x): every exponent is <= 0, so
        nothing overflows, and the largest term is e**0 = 1, so the log never sees 0.
        d/dx_j log_softmax(x)_i = [i = j] - softmax(x)_j, so the VJP is
        g - softmax(x) * sum_i g_i,  with softmax(x) = e**log_softmax(x).
        """
        x = self.data
        m = x.max(axis=axis, keepdims=True)
        if not np.isfinite(m).all():  # an inf logit: shifting by it would give inf - inf
            m = np.where(np.isfinite(m), m, 0.0)
        with _quiet(all="ignore"):
            shifted = x - m
            out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        return _result(out, "log_softmax", (self,), (
            lambda g: g - np.exp(out) * g.sum(axis=axis, keepdims=True),
        ))  # fmt: skip

    def softmax(self, axis: int = -1) -> Tensor:
        """e**x_i / sum_j e**x_j along ``axis`` (shifted by max(x): no overflow).

        d/dx_j softmax(x)_i = s_i ([i = j] - s_j), so the VJP is  s * (g - sum_i g_i s_i).
        """
        x = self.data
        m = x.max(axis=axis, keepdims=True)
        if not np.isfinite(m).all():
            m = np.where(np.isfinite(m), m, 0.0)
        with _quiet(all="ignore"):
            e = np.exp(x - m)
            s = e / e.sum(axis=axis, keepdims=True)
        return _result(s, "softmax", (self,), (
            lambda g: s * (g - (g * s).sum(axis=axis, keepdims=True)),
        ))  # fmt: skip

    # ----------------------------------------------------------------- backprop

    def _seed(self, grad: Any) -> np.ndarray:
        """The gradient backward starts from: d(self)/d(self) = 1, or the caller's ``grad``."""
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: no tensor in its graph "
                "was made with requires_grad=True (or it was computed inside no_grad())"
            )
        shape, dtype = self.data.shape, self.data.dtype
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() on a tensor of shape {shape} needs a grad argument of that "
                    "shape (d(root)/d(this tensor)); only a one-element tensor defaults to 1"
                )
            return np.ones(shape, dtype=dtype)
        seed = np.array(grad.data if isinstance(grad, Tensor) else grad, dtype=dtype)  # a copy
        if seed.shape != shape:
            if seed.size == 1 and self.data.size == 1:
                return seed.reshape(shape)
            raise ValueError(
                f"backward(): grad has shape {seed.shape} but the tensor has shape {shape}"
            )
        return seed

    def backward(self, grad: Any = None) -> None:
        """Add d(self)/d(t) * grad to ``t.grad`` for every tensor t of this graph needing one.

        ``grad`` defaults to 1 for a one-element tensor; any other shape needs one of its own
        shape (a RuntimeError says so). Gradients accumulate: a second call without
        ``zero_grad()`` doubles them, as in PyTorch. Reverse topological order, no recursion:
        each node's gradient is complete when its turn comes, and it sends VJP(g) down every
        edge to a parent that requires grad. (``backward_steps`` is the same loop, recording.)

        No two tensors ever share a ``.grad`` array. A VJP may hand back g itself or a view of
        it (``+`` passes g through unchanged, ``reshape`` gives a view), so a received array
        counts as the parent's own only when it is fresh (not g, not a view); one that is not
        is copied before it becomes a ``.grad``, and a sum of two contributions is fresh.
        """
        if _AnomalyMode.enabled:  # inside detect_anomaly(): step by step, checking each step
            for _ in self.backward_steps(grad):
                pass
            return
        order = self._start(grad)
        with _quiet(all="ignore"):
            for node in reversed(order):
                g = node._g
                if g is None:  # needs no gradient
                    continue
                node._g = None
                if node.grad is None:
                    node.grad = g if node._g_owned else g.copy()
                else:
                    node.grad += g
                for parent, vjp in zip(node.parents, node._vjps):  # noqa: B905 (strict= slows the loop)
                    if parent.requires_grad:
                        _receive(parent, vjp(g), g)

    def backward_steps(self, grad: Any = None) -> Iterator[Step]:
        """The same backward as ``backward()``, yielding one ``Step`` per node, root first.

        Only tensors that require grad are visited. At each step the node's gradient is final;
        each ``Edge`` is ``(parent, None, downstream)``: the Jacobian of a tensor op is never
        built, so ``local`` is None, and ``downstream`` is the array this edge adds to
        ``parent.grad``. Edges to operands that need no gradient are left out.

        The recorded arrays are never a ``.grad`` array nor added into afterwards, so a later
        backward (which accumulates into ``.grad`` in place) leaves the records as they were.
        """
        order = self._start(grad)
        checking = _AnomalyMode.enabled  # inside detect_anomaly(): check each step
        for node in reversed(order):
            g = node._g
            if g is None:
                continue
            node._g = None
            if node.grad is None:
                node.grad = g.copy()  # always a copy: g stays in this step's record
            else:
                node.grad += g
            edges = []
            for parent, vjp in zip(node.parents, node._vjps):  # noqa: B905 (strict= slows the loop)
                if parent.requires_grad:
                    with _quiet(all="ignore"):
                        downstream = _receive(parent, vjp(g), g, in_place=False)
                    edges.append(Edge(parent, None, downstream))  # type: ignore[arg-type]
            step = Step(node, g, tuple(edges))  # type: ignore[arg-type]
            if checking:
                anomaly.check_tensor_step(step, node is self)
            yield step

    def _start(self, grad: Any) -> list[Tensor]:
        """Seed this tensor's gradient; the graph's nodes in topological order (self last)."""
        seed = self._seed(grad)
        order = topological_order(self)
        for node in order:
            node._g = None
        self._g, self._g_owned = seed, True
        return order

    def zero_grad(self) -> None:
        """Clear ``.grad`` (back to None) on every tensor of this graph."""
        for node in topological_order(self):
            node.grad = None


def _receive(parent: Tensor, d: Any, g: np.ndarray, in_place: bool = True) -> np.ndarray:
    """Add one edge's downstream gradient d (computed from upstream g) to ``parent``'s pass.

    Returns d as an ndarray of the parent's dtype. ``parent._g_owned`` records whether the
    parent's pass gradient is its own array (see ``Tensor.backward``). ``in_place=False``
    never adds into an array already received, so that a recorded d keeps its value.
    """
    if type(d) is not np.ndarray:  # NumPy turns 0-d results into scalars
        d = np.asarray(d)
    if d.dtype is not parent.data.dtype:  # e.g. a float64 constant met a float32 operand
        d = d.astype(parent.data.dtype)
    if parent._g is None:
        parent._g = d
        parent._g_owned = d is not g and d.base is None  # fresh, not g or a view of g
    elif parent._g_owned and in_place:
        parent._g += d
    else:
        parent._g = parent._g + d
        parent._g_owned = True
    return d


def _matmul_vjps(a: np.ndarray, b: np.ndarray) -> tuple[VJP, VJP]:
    """The VJPs of ``a @ b`` for 1-D operands and stacks of matrices.

    A 1-D ``a`` (m,) is the matrix (1, m); a 1-D ``b`` (m,) is (m, 1). With those, g gets
    the matching axes back, the 2-D rule applies (batched over the leading axes), and the
    result is summed over broadcast stack axes and reshaped to the operand's shape.
    """
    a2 = a[np.newaxis, :] if a.ndim == 1 else a
    b2 = b[:, np.newaxis] if b.ndim == 1 else b

    # the shape of a2 @ b2: g with the dropped row / column axis put back
    out2 = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2]) + (a2.shape[-2], b2.shape[-1])

    def as_matrix_grad(g: np.ndarray) -> np.ndarray:
        return g.reshape(out2)

    def d_a(g: np.ndarray) -> np.ndarray:
        ga = as_matrix_grad(g) @ np.swapaxes(b2, -1, -2)
        return _unbroadcast(ga, a2.shape).reshape(a.shape)

    def d_b(g: np.ndarray) -> np.ndarray:
        gb = np.swapaxes(a2, -1, -2) @ as_matrix_grad(g)
        return _unbroadcast(gb, b2.shape).reshape(b.shape)

    return d_a, d_b


def linear(x: Tensor | np.ndarray, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """The affine map of a dense layer, one node:  y = x @ weight.T + bias.

    ``x`` is (..., nin), ``weight`` (nout, nin) as in PyTorch, ``bias`` (nout,); y is
    (..., nout). The same as ``x @ weight.T + bias`` (three nodes), fused for speed:

        dy/dx:      g @ weight
        dy/dweight: g.T @ x       (summed over every leading axis of x)
        dy/dbias:   sum of g over every leading axis
    """
    if not isinstance(x, Tensor):
        x = Tensor(x, role="input")
    if not isinstance(weight, Tensor) or not (bias is None or isinstance(bias, Tensor)):
        raise TypeError("linear() takes its weight and bias as Tensors")
    xd, w = x.data, weight.data
    if w.ndim != 2:
        raise ValueError(f"linear: weight must be (nout, nin), got shape {w.shape}")
    try:
        with _quiet(all="ignore"):
            out = xd @ w.T
            if bias is not None:
                out += bias.data
    except ValueError as e:
        raise ValueError(
            f"linear: input of shape {xd.shape} does not fit weight {w.shape}"
            + ("" if bias is None else f" and bias {bias.data.shape}")
            + f" ({e})"
        ) from None
    nout = w.shape[0]

    def d_x(g: np.ndarray) -> np.ndarray:
        return g @ w

    def d_weight(g: np.ndarray) -> np.ndarray:
        if g.ndim == 2:
            return g.T @ xd
        return g.reshape(-1, nout).T @ xd.reshape(-1, w.shape[1])

    def d_bias(g: np.ndarray) -> np.ndarray:
        return g.sum(axis=0) if g.ndim == 2 else g.reshape(-1, nout).sum(axis=0)

    if bias is None:
        return _result(out, "linear", (x, weight), (d_x, d_weight))
    return _result(out, "linear", (x, weight, bias), (d_x, d_weight, d_bias))
