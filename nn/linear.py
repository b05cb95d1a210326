"""Tensor networks (PyTorch's names): ``Linear``, ``Sequential`` and activation modules.

Where the scalar ``Layer`` builds one neuron at a time out of Values, ``Linear`` handles a
whole batch at once: the rows of X are the examples, and

    Y = X @ W.T + b        X: (batch, nin)   W: (nout, nin)   b: (nout,)   Y: (batch, nout)

Row i of W holds neuron i's weights, so W has PyTorch's layout (nout, nin). The affine map is
one graph node (``autograd.tensor.linear``), whose backward is the textbook

    dL/dX = G @ W,    dL/dW = G.T @ X,    dL/db = sum of G over the batch     (G = dL/dY)

    model = nn.Sequential(nn.Linear(64, 128, seed=0), nn.ReLU(), nn.Linear(128, 10, seed=1))
    logits = model(Tensor(X))
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from autograd.tensor import Tensor, linear
from nn.checks import TENSOR_COPIES, check_count, check_memory, check_real, shown
from nn.init import init_bound, make_rng
from nn.module import Module


def _check_dtype(dtype: object) -> np.dtype:
    """float64 or float32 (as a NumPy dtype, a type or a name), else an error naming dtype."""
    try:
        # a dtype, a type or a name: not any object with a .dtype (np.float32(0.5) is a number)
        if not isinstance(dtype, (np.dtype, type, str)):
            raise TypeError
        dt = np.dtype(dtype)
    except (TypeError, ValueError):
        raise TypeError(f"Linear's dtype must be float64 or float32, got {shown(dtype)}") from None
    if dtype is None or dt not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise ValueError(f"Linear's dtype must be float64 or float32, not {shown(dtype)}")
    return dt


def _as_tensor(x: Any, who: str) -> Tensor:
    if isinstance(x, Tensor):
        return x
    try:
        return Tensor(x, role="input")
    except TypeError as e:
        raise TypeError(f"{who} takes a Tensor or an array of numbers: {e}") from None


class Linear(Module):
    """A dense layer:  y = x @ weight.T + bias, for x of shape (..., nin).

    Args:
        nin, nout: input and output widths.
        bias: whether to add a bias (default True).
        init: "he" (default, for the ReLU family: U(-a, a) with a = sqrt(6 / nin)) or
            "xavier" (for tanh and sigmoid: a = sqrt(6 / (nin + nout))); also "lecun",
            "uniform" (see ``nn.init``). Biases start at 0.
        seed: an int (reproducible weights) or a numpy Generator (shared between layers).
        dtype: np.float64 (default) or np.float32.
        label: prefix of the parameters' labels: "enc" gives "enc.weight", "enc.bias";
            inside a Sequential the default is the position: "0.weight".

    Attributes:
        weight: Tensor (nout, nin), requires_grad, role "param".
        bias: Tensor (nout,), requires_grad, role "param" (None when bias=False).
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        bias: bool = True,
        *,
        init: str = "he",
        seed: int | np.random.Generator | None = None,
        dtype: Any = np.float64,
        label: str = "",
    ) -> None:
        nin = check_count(nin, "nin")
        nout = check_count(nout, "nout")
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"bias must be True or False, got {shown(bias)}")
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, got {shown(label)}")
        dtype = _check_dtype(dtype)
        # The weight, its gradient and an optimizer's state: checked before any is allocated.
        check_memory(
            TENSOR_COPIES * (nin + 1) * nout * dtype.itemsize,
            f"a Linear({nin}, {nout}) layer of {dtype} weights",
            "nin, nout",
        )
        bound = init_bound(init, nin, nout)  # a ValueError lists the schemes for a bad name
        rng = make_rng(seed)
        prefix = f"{label}." if label else ""
        self.init = init
        # weight before bias: named_parameters() lists them in this order
        self.weight = Tensor(
            rng.uniform(-bound, bound, size=(nout, nin)).astype(dtype),
            requires_grad=True,
            label=f"{prefix}weight",
            role="param",
        )
        self.bias = (
            Tensor(
                np.zeros(nout, dtype=dtype), requires_grad=True, label=f"{prefix}bias", role="param"
            )
            if bias
            else None
        )

    @property
    def nin(self) -> int:
        return self.weight.shape[1]

    @property
    def nout(self) -> int:
        return self.weight.shape[0]

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "nout": self.nout, "bias": self.bias is not None}

    def __call__(self, x: Any, activation: str | None = None) -> Tensor:
        """``x @ weight.T + bias``; with ``activation`` ("relu", "tanh", "sigmoid") that
        activation applied inside the same node (see ``autograd.tensor.linear``)."""
        if type(x) is not Tensor:
            x = _as_tensor(x, "Linear")
        return linear(x, self.weight, self.bias, activation)

    def extra_repr(self) -> str:
        extras = "" if self.bias is not None else ", bias=False"
        if self.weight.dtype != np.float64:
            extras += f", dtype={self.weight.dtype}"
        return f"{self.nin} -> {self.nout}{extras}"


class Sequential(Module):
    """Modules applied in a row: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    The children are named by position, as in PyTorch: parameters are "0.weight", "0.bias",
    "2.weight", ..., and so are their labels (unless a layer was given a label of its own).

    A ``Linear`` followed by ``ReLU``, ``Tanh`` or ``Sigmoid`` runs as one graph node
    ("linear+relu"): the same numbers and gradients, with one node and one array fewer per
    layer, which makes a training step faster. ``fuse=False`` keeps every op its own node
    (a diagram then shows the pre-activations and their gradients).
    """

    def __init__(self, *modules: Any, fuse: bool = True) -> None:
        if not isinstance(fuse, (bool, np.bool_)):
            raise TypeError(f"Sequential: fuse must be True or False, got {shown(fuse)}")
        for i, module in enumerate(modules):
            if not callable(module):
                raise TypeError(f"Sequential takes modules, got {type(module).__name__} at {i}")
            setattr(self, str(i), module)  # named "0", "1", ...: the dotted paths use them
            if isinstance(module, Module):
                for name, p in module.named_parameters():
                    if p.label == name:  # the module's own default label: prefix the position
                        p.label = f"{i}.{name}"
        self._layers = modules
        self.fuse = bool(fuse)
        self._plan = _plan(modules) if fuse else tuple((m, None) for m in modules)

    def __call__(self, x: Any) -> Any:
        for layer, activation in self._plan:  # (a Linear, "relu"): the two as one node
            x = layer(x) if activation is None else layer(x, activation)
        return x

    def __len__(self) -> int:
        return len(self._layers)

    def __getitem__(self, i: int) -> Any:
        return self._layers[i]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._layers)


def _plan(modules: tuple[Any, ...]) -> tuple[tuple[Any, str | None], ...]:
    """The calls a Sequential makes: (layer, None), or (a Linear, "relu") where a Linear is
    followed by an activation it can apply in its own node (the activation then has no
    call of its own)."""
    plan: list[tuple[Any, str | None]] = []
    i = 0
    while i < len(modules):
        layer = modules[i]
        after = type(modules[i + 1]) if i + 1 < len(modules) else None
        if type(layer) is Linear and after in _FUSED:
            plan.append((layer, _FUSED[after]))
            i += 2
        else:
            plan.append((layer, None))
            i += 1
    return tuple(plan)


class ReLU(Module):
    """max(0, x) elementwise;  d/dx = 1 for x > 0, else 0."""

    def __call__(self, x: Tensor) -> Tensor:
        return x.relu()


class Tanh(Module):
    """tanh(x) elementwise;  d/dx = 1 - tanh(x)**2."""

    def __call__(self, x: Tensor) -> Tensor:
        return x.tanh()


class Sigmoid(Module):
    """1 / (1 + e**-x) elementwise;  d/dx = s (1 - s)."""

    def __call__(self, x: Tensor) -> Tensor:
        return x.sigmoid()


class LeakyReLU(Module):
    """x for x > 0, else negative_slope * x;  d/dx = 1 or negative_slope."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = check_real(negative_slope, "negative_slope")

    def config(self) -> dict[str, Any]:
        return {"negative_slope": self.negative_slope}

    def __call__(self, x: Tensor) -> Tensor:
        return x.leaky_relu(self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


#: The activation modules a preceding Linear applies in its own node (see Sequential).
_FUSED: dict[type, str] = {ReLU: "relu", Tanh: "tanh", Sigmoid: "sigmoid"}
