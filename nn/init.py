"""Initial weights, scaled by fan-in so that signals neither explode nor vanish with depth.

A neuron sums ``fan_in`` products w_i * x_i. If the w_i are independent with variance s**2
and the inputs have variance v, the sum has variance ``fan_in * s**2 * v``. To keep it near v,
layer after layer, pick s**2 proportional to 1 / fan_in:

- He (Kaiming), for the ReLU family:  Var(w) = 2 / fan_in.  ReLU zeroes half of its inputs, so
  it halves the variance; the factor 2 gives it back.
- Xavier (Glorot), for tanh and sigmoid:  Var(w) = 2 / (fan_in + fan_out), a compromise between
  keeping the forward signal (1 / fan_in) and the backward gradient (1 / fan_out) steady.
- LeCun:  Var(w) = 1 / fan_in, which SELU's self-normalising argument assumes.
- "uniform": micrograd's U(-1, 1), whatever the fan-in (for comparisons only).

Every scheme draws from a uniform distribution U(-a, a), whose variance is a**2 / 3; so
a = sqrt(3 * Var). Biases start at 0.
"""

from __future__ import annotations

import math

import numpy as np

from autograd.activations import ACTIVATIONS
from autograd.activations import INITS as _INITS
from nn.checks import check_count, shown

#: The valid names for ``init``; each activation names its default in ``autograd.ACTIVATIONS``.
INITS: tuple[str, ...] = _INITS


def make_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A NumPy random generator: a given one as is, else a new one from ``seed``.

    The same integer seed gives the same weights on every run; None gives fresh ones.
    """
    if isinstance(seed, np.random.Generator) or seed is None:
        return np.random.default_rng(seed)
    try:
        seed = check_count(seed, "seed", 0)
    except TypeError:
        raise TypeError(
            f"seed must be an int >= 0, a numpy Generator or None, got {shown(seed)}"
        ) from None
    return np.random.default_rng(seed)


def init_bound(scheme: str, fan_in: int, fan_out: int = 1) -> float:
    """The half-width a of U(-a, a) for a weight of a neuron with ``fan_in`` inputs.

    he: sqrt(6 / fan_in);  xavier: sqrt(6 / (fan_in + fan_out));  lecun: sqrt(3 / fan_in);
    uniform: 1.
    """
    if not isinstance(scheme, str):
        raise TypeError(f"init must be a name; valid inits are: {', '.join(INITS)}")
    if scheme == "he":
        return math.sqrt(6.0 / fan_in)
    if scheme == "xavier":
        return math.sqrt(6.0 / (fan_in + fan_out))
    if scheme == "lecun":
        return math.sqrt(3.0 / fan_in)
    if scheme == "uniform":
        return 1.0
    raise ValueError(f"unknown init {scheme!r}; valid inits are: {', '.join(INITS)}")


def init_for(activation: str, init: str | None) -> str:
    """The scheme to use: ``init`` when given (and valid), else the activation's default."""
    if init is None:
        act = ACTIVATIONS.get(activation)
        return act.init if act is not None else "xavier"
    if not isinstance(init, str) or init not in INITS:
        raise ValueError(f"unknown init {init!r}; valid inits are: {', '.join(INITS)}")
    return init


def init_weights(
    scheme: str, fan_in: int, fan_out: int, rng: np.random.Generator, size: int | None = None
) -> np.ndarray:
    """``size`` weights (default ``fan_in``) drawn from U(-a, a), a = ``init_bound(...)``."""
    bound = init_bound(scheme, fan_in, fan_out)
    return rng.uniform(-bound, bound, size=fan_in if size is None else size)
