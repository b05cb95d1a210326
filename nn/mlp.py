"""Scalar networks on ``Value``: ``Neuron``, ``Layer`` and ``MLP`` (micrograd's names).

A neuron computes  act(w_1 x_1 + ... + w_n x_n + b).  The weighted sum is ONE "sum" node over
the n products and the bias (``autograd.sum_of``), so backprop sees d(sum)/d(term) = 1 for
every term, and a diagram shows one node instead of a chain of n additions.

A layer is ``nout`` neurons reading the same inputs; an MLP is layers in a row. A layer with
one neuron returns one Value rather than a list of one, and a layer with one input accepts a
single Value, so ``MLP(2, [16, 1, 1])`` works (micrograd fails on a width-1 hidden layer).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd import Value, sum_of
from autograd.activations import ACTIVATIONS, get_activation  # noqa: F401 (nn.ACTIVATIONS)
from nn.checks import VALUE_BYTES, check_count, check_memory, shown
from nn.init import init_for, init_weights, make_rng
from nn.module import Module, StateSlot

Input = Value | float | int


# The activations by name live in one registry, read by nn and viz alike: a new one is one
# ``autograd.register_activation`` call (see autograd/activations.py).


def _check_activation(activation: object, name: str) -> Any:
    """The registered activation called ``activation``, or a ValueError naming the parameter."""
    try:
        return get_activation(activation)  # type: ignore[arg-type]
    except ValueError as e:
        raise ValueError(f"{name}: {e}") from None


def _check_label(label: object) -> str:
    if not isinstance(label, str):
        raise TypeError(f"label must be a str, got {shown(label)}")
    return label


def _check_scalar_size(n_params: int, what: str, name: str) -> None:
    """Refuse, before building anything, a scalar model too big for the memory."""
    check_memory(n_params * VALUE_BYTES, f"{what} ({n_params} Values)", name)


def _as_inputs(x: Any, nin: int, who: str) -> list[Input]:
    """The inputs of one sample as a list of ``nin`` numbers or Values.

    A single Value or number is a one-element list, so a width-1 layer can feed the next one.
    """
    if isinstance(x, (Value, numbers.Real)):
        xs: list[Input] = [x]
    elif isinstance(x, np.ndarray):
        if x.ndim != 1:
            raise ValueError(
                f"{who} takes one sample (a 1-D list of {nin} inputs), got an array of shape "
                f"{x.shape}; call it once per row, or use nn.predict(model, X) for a batch"
            )
        xs = x.tolist()
    elif isinstance(x, Sequence) and not isinstance(x, (str, bytes)):
        xs = list(x)
    else:
        raise TypeError(f"{who} takes a list of numbers or Values, not {type(x).__name__}")
    if len(xs) != nin:
        raise ValueError(f"{who} expects {nin} inputs, got {len(xs)}")
    # Each number is lifted to a Value once per call, with role "input": lifted anew at every
    # use, one input would be a separate constant in the graph per weight that reads it.
    return [
        Value(v, label=f"x{i}", role="input")  # as Value does: 10**400 is inf, never a crash
        if isinstance(v, numbers.Real) and not isinstance(v, Value)
        else v
        for i, v in enumerate(xs)
    ]


def _name_bad_input(xs: list[Any], who: str) -> None:
    """Raise a TypeError naming the first input that is neither a real number nor a Value.

    Called only after the forward pass failed with a TypeError, so that checking every input
    costs nothing when they are fine (the usual case: a row of floats).
    """
    for i, v in enumerate(xs):
        if not isinstance(v, (Value, numbers.Real)):
            raise TypeError(
                f"{who} input {i} is {type(v).__name__} {v!r}; inputs must be real numbers "
                "(int, float) or Values"
            ) from None


class _OnValues(Module):
    """A module on Values: the call checks the inputs' width, then runs ``_forward``.

    ``_forward`` takes a list that is already checked, so that a layer inside an MLP does not
    check again; a TypeError from it is turned into one naming the bad input.
    """

    nin: int

    def _forward(self, xs: list[Input]) -> Value | list[Value]:
        raise NotImplementedError

    def __call__(self, x: Any) -> Any:
        who = type(self).__name__
        xs = _as_inputs(x, self.nin, who)
        try:
            return self._forward(xs)
        except TypeError:
            _name_bad_input(xs, who)
            raise


class Neuron(_OnValues):
    """One unit:  act(sum_i w_i x_i + b).

    Args:
        nin: number of inputs.
        activation: a name from ``ACTIVATIONS``.
        init: "he", "xavier", "lecun" or "uniform"; default He for the ReLU family, Xavier
            for tanh, sigmoid and linear, LeCun for SELU (see ``nn.init``).
        seed: an int (reproducible weights) or a numpy Generator (shared with other neurons).
        fan_out: the number of neurons in the layer, used by the Xavier scheme.
        label: prefix of the parameters' labels: label "L0.n3" gives "L0.n3.w1", "L0.n3.b".
    """

    def __init__(
        self,
        nin: int,
        activation: str = "tanh",
        *,
        init: str | None = None,
        seed: int | np.random.Generator | None = None,
        fan_out: int = 1,
        label: str = "",
    ) -> None:
        nin = check_count(nin, "nin")
        fan_out = check_count(fan_out, "fan_out")
        self._act = _check_activation(activation, "activation")
        self.activation = activation
        label = _check_label(label)
        _check_scalar_size(nin + 1, f"a Neuron of {nin} inputs", "nin")
        scheme = init_for(activation, init)
        prefix = f"{label}." if label else ""
        weights = init_weights(scheme, nin, fan_out, make_rng(seed))
        # w before b: named_parameters() lists them in this order.
        self.w = [
            Value(float(wk), label=f"{prefix}w{k}", role="param") for k, wk in enumerate(weights)
        ]
        self.b = Value(0.0, label=f"{prefix}b", role="param")

    @property
    def nin(self) -> int:
        return len(self.w)

    def _forward(self, xs: list[Input]) -> Value:
        # One "sum" node over w_1*x_1, ..., w_n*x_n and b; then the activation.
        terms: list[Value] = [wi * xi for wi, xi in zip(self.w, xs)]  # noqa: B905 (hot loop)
        terms.append(self.b)
        return self._act(sum_of(terms))

    def state_slots(self) -> dict[str, StateSlot]:
        """weight of shape (1, nin) and bias of shape (1,): a Linear layer with one output."""
        return _grouped_slots([self])

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "activation": self.activation}

    def extra_repr(self) -> str:
        return f"{self.nin}, activation={self.activation!r}"


class Layer(_OnValues):
    """``nout`` neurons that all read the same ``nin`` inputs.

    Returns a list of ``nout`` Values, or one Value when ``nout == 1``. Keyword arguments as
    for ``Neuron``; with a ``seed`` the whole layer is reproducible.
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "tanh",
        *,
        init: str | None = None,
        seed: int | np.random.Generator | None = None,
        label: str = "",
    ) -> None:
        nin = check_count(nin, "nin")
        nout = check_count(nout, "nout")
        _check_activation(activation, "activation")  # fail before drawing any weight
        label = _check_label(label)
        _check_scalar_size((nin + 1) * nout, f"a Layer({nin}, {nout})", "nin, nout")
        rng = make_rng(seed)
        prefix = f"{label}." if label else ""
        self.activation = activation
        self.neurons = [
            Neuron(nin, activation, init=init, seed=rng, fan_out=nout, label=f"{prefix}n{j}")
            for j in range(nout)
        ]

    @property
    def nin(self) -> int:
        return self.neurons[0].nin

    @property
    def nout(self) -> int:
        return len(self.neurons)

    def _forward(self, xs: list[Input]) -> Value | list[Value]:
        out = [n._forward(xs) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def state_slots(self) -> dict[str, StateSlot]:
        """weight of shape (nout, nin) and bias of shape (nout,), PyTorch's Linear layout."""
        return _grouped_slots(self.neurons)

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "nout": self.nout, "activation": self.activation}

    def architecture(self) -> dict[str, Any]:
        # The config says it all: the neurons are alike (listing them would repeat it nout times).
        return {"module": type(self).__name__, **self.config()}

    def extra_repr(self) -> str:
        return f"{self.nin} -> {self.nout}, activation={self.activation!r}"

    def __repr__(self) -> str:
        # One line: listing nout identical neurons would say nothing more.
        return f"Layer({self.extra_repr()})"


class MLP(_OnValues):
    """A multi-layer perceptron: ``nin`` inputs, then one layer per entry of ``nouts``.

    Hidden layers use ``activation``, the last one ``output_activation`` (default "linear":
    raw scores, for a loss that takes logits). Parameter labels name the layer and neuron:
    "L1.n3.w0" is weight 0 of neuron 3 of layer 1.

        model = MLP(2, [16, 16, 1], activation="relu", seed=0)
        score = model([0.5, -1.0])        # one Value (the last layer has one neuron)

    A lesson in the seed: seed 004's XOR network, ``MLP(2, [2, 1], activation="relu")``
    trained with squared error (``nn.fit(..., loss="mse", lr=0.1, epochs=500)``), learns XOR
    from ``seed=4`` but not from every seed. From ``seed=3`` one hidden unit ends up with
    z <= 0 on all four inputs: relu'(z) = 0 there, so no gradient ever reaches its weights
    again (a dead ReLU), and one unit alone cannot separate XOR. Wider layers, a leaky ReLU or
    tanh make this unlikely; ``MLP(2, [4, 1], activation="tanh")`` learns XOR from any seed.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "tanh",
        output_activation: str = "linear",
        *,
        init: str | None = None,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        nin = check_count(nin, "nin")
        # bytes and str are sequences of numbers or characters, not of widths: b'1' is not [49]
        if isinstance(nouts, (str, bytes, bytearray)) or not isinstance(
            nouts, (Sequence, np.ndarray)
        ):
            raise TypeError(f"nouts must be a list of layer widths, got {shown(nouts)}")
        if isinstance(nouts, np.ndarray) and nouts.ndim != 1:
            raise TypeError(f"nouts must be a 1-D list of layer widths, got shape {nouts.shape}")
        if len(nouts) == 0:
            raise ValueError("nouts must be a non-empty list of layer widths, got []")
        widths = [nin]
        widths += [check_count(n, f"nouts[{i}] (a layer width)") for i, n in enumerate(nouts)]
        _check_activation(activation, "activation")
        _check_activation(output_activation, "output_activation")
        n_params = sum((a + 1) * b for a, b in zip(widths, widths[1:]))  # noqa: B905
        _check_scalar_size(n_params, f"an MLP of widths {shown(widths)}", "nin, nouts")
        rng = make_rng(seed)
        last = len(widths) - 2
        self.layers = [
            Layer(
                widths[i],
                widths[i + 1],
                output_activation if i == last else activation,
                init=init,
                seed=rng,
                label=f"L{i}",
            )
            for i in range(len(widths) - 1)
        ]

    @property
    def nin(self) -> int:
        return self.layers[0].nin

    @property
    def nout(self) -> int:
        return self.layers[-1].nout

    def _forward(self, xs: list[Input]) -> Value | list[Value]:
        out: Any = xs
        for layer in self.layers:
            # A one-neuron layer gives a Value; the next layer then has nin == 1.
            out = layer._forward(out if isinstance(out, list) else [out])
        return out

    def config(self) -> dict[str, Any]:
        return {
            "nin": self.nin,
            "nouts": [layer.nout for layer in self.layers],
            "activations": [layer.activation for layer in self.layers],
        }

    def architecture(self) -> dict[str, Any]:
        return {"module": type(self).__name__, **self.config()}

    def extra_repr(self) -> str:
        widths = [layer.nout for layer in self.layers]
        return f"{self.nin} -> {widths}, {self.num_parameters()} parameters"


def _grouped_slots(neurons: list[Neuron]) -> dict[str, StateSlot]:
    """The neurons' weights as one (nout, nin) array and their biases as one (nout,) array."""
    nout, nin = len(neurons), neurons[0].nin
    f64 = np.dtype(np.float64)

    def get_weight() -> np.ndarray:
        return np.array([[w.data for w in n.w] for n in neurons], dtype=np.float64)

    def set_weight(a: np.ndarray) -> None:
        for n, row in zip(neurons, a.tolist(), strict=True):
            for w, v in zip(n.w, row, strict=True):
                w.data = float(v)

    def get_bias() -> np.ndarray:
        return np.array([n.b.data for n in neurons], dtype=np.float64)

    def set_bias(a: np.ndarray) -> None:
        for n, v in zip(neurons, a.tolist(), strict=True):
            n.b.data = float(v)

    return {
        "weight": StateSlot((nout, nin), f64, get_weight, set_weight),
        "bias": StateSlot((nout,), f64, get_bias, set_bias),
    }
