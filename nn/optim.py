"""Optimizers: turn gradients into parameter updates.

They work on any parameter with ``.data`` and ``.grad``: a scalar ``Value`` (floats; the new
value is assigned) or a Tensor (ndarrays; updated in place, so other references see it).
A parameter whose ``.grad`` is None has had no gradient yet and is skipped. Updates are plain
arithmetic on ``.data``: no graph is recorded.

    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for step in range(100):
        loss = ...
        opt.zero_grad()
        loss.backward()
        opt.step()
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from autograd import Tensor, Value, bump_version
from nn.checks import check_real
from nn.module import interrupts_deferred, zero_grads


def _check_number(value: object, name: str, low: float, high: float = math.inf) -> float:
    """A float in [low, high), or an error that names the argument and the range."""
    return check_real(value, name, low, high, include_high=high == math.inf)


class Optimizer:
    """Holds the parameters (in a list) and per-parameter state; subclasses define ``step``.

    A step is two phases, so that an interrupt (Ctrl-C, an error in the middle) never leaves
    a model half-updated: first every new value and new state is computed, changing nothing;
    then all are assigned at once (``_commit``), with Ctrl-C held back until the end. Every
    parameter is therefore either all old or all new.
    """

    def __init__(self, params: Iterable[Any], lr: float) -> None:
        self.params: list[Any] = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        for i, p in enumerate(self.params):
            if not (hasattr(p, "data") and hasattr(p, "grad")):
                raise TypeError(
                    f"parameter {i} ({type(p).__name__}) has no .data and .grad; pass "
                    "model.parameters()"
                )
        self.lr = _check_number(lr, "lr", 0.0)
        # State per parameter, by position in self.params (momentum buffers, Adam moments).
        self.state: list[dict[str, Any]] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        """Reset the gradients before the next ``backward()`` (they accumulate otherwise)."""
        zero_grads(self.params)

    def step(self) -> None:
        raise NotImplementedError

    def _gradients(self, weight_decay: float) -> Iterator[tuple[Any, dict[str, Any], Any]]:
        """(param, its state, its gradient plus weight_decay * param) for each param with a
        gradient: the L2 penalty weight_decay/2 * p**2, differentiated."""
        for p, state in zip(self.params, self.state, strict=True):
            if p.grad is None:
                continue
            g = p.grad + weight_decay * p.data if weight_decay else p.grad
            yield p, state, g

    def _commit(self, updates: list[tuple[Any, dict[str, Any], Any, dict[str, Any]]]) -> None:
        """Assign each (param, state, new data, new state), all or none, then bump versions.

        An array parameter is written in place (``p.data[...] = new``): other references to
        the array, and the optimizer's own, see the new values. A Value gets a new float.
        """
        with interrupts_deferred():
            for p, state, data, new_state in updates:
                if isinstance(p.data, np.ndarray):
                    p.data[...] = data
                else:
                    p.data = float(data)
                state.update(new_state)
            # A graph recorded before this step saved the old values: a backward through it
            # would now mix them with the new ones, and the engine refuses it.
            bump_version(*[p for p, *_ in updates if isinstance(p, (Value, Tensor))])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.params)} parameters, lr={self.lr:g})"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum and weight decay (PyTorch's rule).

    g = grad + weight_decay * p          (L2 penalty weight_decay/2 * p**2, differentiated)
    v = momentum * v + g                 (v = g on the first step)
    p = p - lr * v                       (momentum 0: plain  p = p - lr * g)
    """

    def __init__(
        self, params: Iterable[Any], lr: float, momentum: float = 0.0, weight_decay: float = 0.0
    ) -> None:
        super().__init__(params, lr)
        self.momentum = _check_number(momentum, "momentum", 0.0, 1.0)
        self.weight_decay = _check_number(weight_decay, "weight_decay", 0.0)

    def step(self) -> None:
        updates = []
        for p, state, g in self._gradients(self.weight_decay):
            new_state = {}
            if self.momentum:
                v = state.get("velocity")
                # A new object each step, never `v *= ...`: v must not alias p.grad.
                v = g * 1.0 if v is None else self.momentum * v + g
                new_state["velocity"] = g = v
            updates.append((p, state, p.data - self.lr * g, new_state))
        self._commit(updates)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015): a step per parameter scaled by its gradient's running size.

        m = b1 m + (1 - b1) g              running mean of g
        v = b2 v + (1 - b2) g**2           running mean of g**2
        m_hat = m / (1 - b1**t),  v_hat = v / (1 - b2**t)    (t = steps taken, from 1)
        p = p - lr * m_hat / (sqrt(v_hat) + eps)

    The first step therefore moves each parameter by about lr * sign(g).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (b1, b2), got {betas!r}")
        self.betas = (
            _check_number(betas[0], "betas[0]", 0.0, 1.0),
            _check_number(betas[1], "betas[1]", 0.0, 1.0),
        )
        self.eps = _check_number(eps, "eps", 0.0)
        self.weight_decay = _check_number(weight_decay, "weight_decay", 0.0)

    def step(self) -> None:
        b1, b2 = self.betas
        updates = []
        for p, state, g in self._gradients(self.weight_decay):
            # m and v start at 0 (a float 0.0 broadcasts against an array gradient).
            t = state.get("step", 0) + 1
            m = b1 * state.get("m", 0.0) + (1.0 - b1) * g
            v = b2 * state.get("v", 0.0) + (1.0 - b2) * g * g
            m_hat = m / (1.0 - b1**t)
            v_hat = v / (1.0 - b2**t)
            new = p.data - self.lr * m_hat / (v_hat**0.5 + self.eps)
            updates.append((p, state, new, {"step": t, "m": m, "v": v}))
        self._commit(updates)
