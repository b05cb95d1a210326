"""The one list of activation functions, read by ``nn`` (layers, init) and ``viz`` (folding,
plots).

An activation is a one-input op applied after a neuron's weighted sum. Each entry says how to
apply it to a ``Value`` or a ``Tensor`` and which weight initialisation suits it; the op's
forward and derivative live with the op itself (``Value.tanh``, or an op made with
``autograd.op``). A new activation is one ``register_activation`` call::

    import math, autograd

    @autograd.op(local=lambda x, out: (math.cos(x),))
    def sin(x):
        return math.sin(x)

    autograd.register_activation("sin", sin, init="xavier")
    nn.MLP(2, [8, 1], activation="sin")      # and viz folds "sin" nodes into their neurons
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: The weight initialisations an activation may ask for (see ``nn.init``).
INITS = ("he", "xavier", "lecun", "uniform")


@dataclass(frozen=True)
class Activation:
    """One activation: its name (also the ``op`` of the node it makes), how to apply it,
    the weight init it suits, and whether ``viz.plot_activations("all")`` shows it."""

    name: str
    fn: Callable[[Any], Any]
    init: str = "xavier"
    plotted: bool = True

    def __call__(self, x: Any) -> Any:
        return self.fn(x)


def _method(name: str) -> Callable[[Any], Any]:
    """Apply the node's own method ``name`` (``Value.tanh`` or ``Tensor.tanh`` alike)."""

    def apply(x: Any) -> Any:
        return getattr(x, name)()

    apply.__name__ = name
    return apply


def _identity(x: Any) -> Any:
    return x


#: Every activation by name, in the order plots and error messages list them.
ACTIVATIONS: dict[str, Activation] = {}


def register_activation(
    name: str, fn: Callable[[Any], Any] | None = None, *, init: str = "xavier", plotted: bool = True
) -> Activation:
    """Add (or replace) the activation ``name``: nn layers accept it by name, viz folds its
    nodes into their neuron and plots it. ``fn`` defaults to the node's method ``name``."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"register_activation: name must be an identifier string, got {name!r}")
    if init not in INITS:
        raise ValueError(f"register_activation: init must be one of {INITS}, got {init!r}")
    if fn is not None and not callable(fn):
        raise TypeError(f"register_activation: fn must be callable, got {type(fn).__name__}")
    act = Activation(name, fn if fn is not None else _method(name), init, plotted)
    ACTIVATIONS[name] = act
    return act


def get_activation(name: str) -> Activation:
    """The activation called ``name``, or a ValueError that lists the valid names."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        valid = ", ".join(repr(k) for k in ACTIVATIONS)
        raise ValueError(f"unknown activation {name!r}; valid activations are: {valid}") from None


def activation_ops() -> frozenset[str]:
    """The ``op`` names that activation nodes carry ("linear" makes no node)."""
    return frozenset(n for n in ACTIVATIONS if n != "linear")


ACTIVATIONS["linear"] = Activation("linear", _identity, "xavier", plotted=False)
for _name, _init in (
    ("sigmoid", "xavier"),
    ("tanh", "xavier"),
    ("relu", "he"),
    ("leaky_relu", "he"),
    ("elu", "he"),
    ("selu", "lecun"),
    ("gelu", "he"),
):
    register_activation(_name, init=_init)
register_activation("softplus", init="he", plotted=False)
