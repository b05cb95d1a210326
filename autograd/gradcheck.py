"""Check backprop against central differences.

For a scalar function f and an input x, the central difference

    (f(x + eps) - f(x - eps)) / (2 eps)

approximates df/dx with an error of order eps**2 (plus rounding of order 1e-16 / eps). If
backprop's gradient disagrees by more than that, an op's local gradient is wrong.

Values are checked one by one. A Tensor is checked element by element when it is small; for a
large one, the check runs along a few random directions v (HIPS autograd's trick): backprop
predicts the directional derivative  sum(grad * v),  and the central difference measures it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd.engine import unbroadcast
from autograd.graph import no_grad, topological_order
from autograd.value import Value

ELEMENTWISE_LIMIT = 64  # Tensors with more elements are checked along random directions
RANDOM_DIRECTIONS = 8


@dataclass(frozen=True)
class Check:
    """One comparison: where, backprop's number, the central difference, their error."""

    where: str
    analytic: float
    numeric: float
    error: float


@dataclass(frozen=True)
class GradcheckResult:
    """The outcome of ``gradcheck``: ``ok``, the worst error and where it happened.

    ``error`` is |analytic - numeric| / max(1, |analytic|, |numeric|): relative for large
    gradients, absolute for small ones (where a relative error would only measure rounding).
    """

    ok: bool
    max_error: float
    worst: Check | None
    tol: float
    checks: list[Check] = field(repr=False)
    op: str | None = None  # on failure: the op whose own derivative rule disagrees
    op_check: Check | None = None  # that rule's worst local comparison

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if self.worst is None:
            return "gradcheck: no inputs to check"
        w = self.worst
        verdict = "ok" if self.ok else "FAILED"
        if w is self.op_check:  # an exact op's broken promise: no numbers were compared
            return (
                f"gradcheck {verdict}: the derivative rule of op {self.op!r} is wrong: at {w.where}"
            )
        text = (
            f"gradcheck {verdict}: {len(self.checks)} checks, worst error {self.max_error:.3g} "
            f"(tol {self.tol:.3g}) at {w.where}: backprop {w.analytic!r} vs "
            f"central difference {w.numeric!r}"
        )
        if self.op is not None and self.op_check is not None:
            c = self.op_check
            text += (
                f"\n  the derivative rule of op {self.op!r} is wrong: at {c.where} it says "
                f"{c.analytic!r}, central differences of its forward give {c.numeric!r}"
            )
        return text


def _scalar_output(out: Any) -> float:
    if isinstance(out, Value):
        return out.data
    data = np.asarray(getattr(out, "data", out))
    if data.size != 1:
        raise ValueError(
            f"gradcheck needs f to return one Value or a one-element Tensor, got shape {data.shape}"
        )
    return float(data.reshape(-1)[0])


def _error(analytic: float, numeric: float) -> float:
    if not (np.isfinite(analytic) and np.isfinite(numeric)):
        same = analytic == numeric or (np.isnan(analytic) and np.isnan(numeric))
        return 0.0 if same else float("inf")
    return float(abs(analytic - numeric) / max(1.0, abs(analytic), abs(numeric)))


def _name(x: Any, i: int) -> str:
    label = getattr(x, "label", "")
    return f"input {i}" + (f" ({label!r})" if label else "")


def gradcheck(
    f: Callable[..., Any],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    tol: float = 1e-7,
    seed: int = 0,
) -> GradcheckResult:
    """Compare the backprop gradients of ``f(*inputs)`` with central differences.

    ``inputs`` are Values or Tensors (use float64 Tensors: float32 cannot resolve eps). The
    inputs' ``.grad`` is restored afterwards, so a check does not disturb training state.
    """
    inputs = list(inputs)
    for i, x in enumerate(inputs):
        _check_input(x, i)
    saved = [x.grad for x in inputs]
    rng = np.random.default_rng(seed)
    try:
        for x in inputs:
            x.grad = 0.0 if isinstance(x, Value) else None
        out = f(*inputs)
        _scalar_output(out)  # fail early on a non-scalar output
        # The backward trusts an exact op's gradients as they come; one that breaks its
        # promise can give .grad arrays of the wrong shape, or shared ones, or fail: ask first
        broken = find_broken_promise(out, rng)
        if broken is not None:
            return GradcheckResult(False, math.inf, broken[1], tol, [broken[1]], *broken)
        out.backward()
        analytic = [x.grad if isinstance(x, Value) else _tensor_grad(x) for x in inputs]
    finally:
        for x, g in zip(inputs, saved, strict=True):
            x.grad = g

    def f_at() -> float:
        with no_grad():
            return _scalar_output(f(*inputs))

    checks: list[Check] = []
    for i, (x, grad) in enumerate(zip(inputs, analytic, strict=True)):
        if isinstance(x, Value):
            numeric = _central_difference(f_at, _mover(x), eps)
            checks.append(Check(_name(x, i), grad, numeric, _error(grad, numeric)))
        elif x.data.size <= ELEMENTWISE_LIMIT:
            for index in np.ndindex(x.data.shape):
                numeric = _central_difference(f_at, _mover(x, index), eps)
                where = f"{_name(x, i)}[{', '.join(map(str, index))}]"
                checks.append(
                    Check(where, float(grad[index]), numeric, _error(grad[index], numeric))
                )
        else:
            for k in range(RANDOM_DIRECTIONS):
                v = rng.standard_normal(x.data.shape)
                v /= np.linalg.norm(v)
                predicted = float(np.sum(grad * v))
                numeric = _central_difference(f_at, _mover(x, direction=v), eps)
                where = f"{_name(x, i)} along random direction {k}"
                checks.append(Check(where, predicted, numeric, _error(predicted, numeric)))

    if not checks:
        return GradcheckResult(True, 0.0, None, tol, checks)
    worst = max(checks, key=lambda c: c.error)
    ok = bool(worst.error <= tol)
    culprit = None if ok else find_wrong_rule(out, eps, max(tol, 1e-6), rng)
    return GradcheckResult(ok, worst.error, worst, tol, checks, *(culprit or (None, None)))


def find_wrong_rule(
    root: Any, eps: float = 1e-6, tol: float = 1e-6, rng: Any = None
) -> tuple[str, Check] | None:
    """The first op in ``root``'s graph whose derivative rule disagrees with central
    differences of its own forward, checked node by node at the recorded inputs.

    One rule per op makes this possible: each node's rule is checked on its own, so a wrong
    rule is named even deep inside a large graph. Scalar ops compare ``local`` per input;
    tensor ops compare ``vjp`` along a random direction (u . J v both ways).
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    for node in topological_order(root):
        op = node._op
        if op is None:
            continue
        inputs = [p.data.copy() if isinstance(p.data, np.ndarray) else p.data for p in node.parents]
        try:
            found = _check_rule(op, inputs, node.data, eps, tol, rng)
        except (ValueError, TypeError, ArithmeticError):
            continue  # a forward that cannot be moved by eps (an integer index, a domain edge)
        if found is not None:
            return op.name, found
    return None


def find_broken_promise(root: Any, rng: Any = None) -> tuple[str, Check] | None:
    """The first ``exact`` op in ``root``'s graph whose vjp breaks its promise (a fresh
    gradient of each operand's shape and dtype), asked along a random upstream gradient.
    gradcheck asks before it compares any number."""
    rng = rng if rng is not None else np.random.default_rng(0)
    for node in topological_order(root):
        op = node._op
        if op is None or not op.exact or not isinstance(node.data, np.ndarray):
            continue
        inputs = [p.data for p in node.parents]
        u = rng.standard_normal(node.data.shape).astype(node.data.dtype)
        for i, (x, d) in enumerate(zip(inputs, op.vjp(u, *inputs, node.data), strict=True)):
            if d is not None and isinstance(x, np.ndarray):
                deferred = type(d) is not np.ndarray and callable(d)  # as the pass calls it
                broken = _broken_promise(i, x, d() if deferred else d, u)
                if broken is not None:
                    return op.name, broken
    return None


def _broken_promise(i: int, x: np.ndarray, d: Any, u: np.ndarray) -> Check | None:
    """How an exact op's gradient d for input i (x) breaks its promise, if it does."""
    if not (type(d) is np.ndarray and d.shape == x.shape and d.dtype == x.dtype):
        kind = "" if type(d) is np.ndarray else f"a {type(d).__name__} "  # not an ndarray
        got = f"{kind}{np.shape(d)} {getattr(d, 'dtype', type(d).__name__)}"
        where = (
            f"input {i}: its gradient is {got}, but the input is {x.shape} {x.dtype} "
            "(exact=True promises an ndarray of the input's own shape and dtype, or a "
            "function that makes one)"
        )
    elif np.shares_memory(d, u):
        where = (
            f"input {i}: its gradient is the upstream gradient itself or a view of it "
            "(exact=True promises a fresh array)"
        )
    else:
        return None
    return Check(where, math.nan, math.nan, math.inf)


def _check_rule(op: Any, inputs: list[Any], out: Any, eps: float, tol: float, rng: Any):
    if not isinstance(out, np.ndarray):  # scalar: each local derivative
        locals_ = op.local(*inputs, out)
        for i, local in enumerate(locals_):
            if not math.isfinite(local):
                continue

            def f(h: float, i: int = i) -> float:
                moved = list(inputs)
                moved[i] = inputs[i] + h
                return op.forward(*moved)

            numeric = (f(eps) - f(-eps)) / (2 * eps)
            err = _error(local, numeric)
            if err > tol:
                return Check(f"input {i} = {inputs[i]!r}", float(local), numeric, err)
        return None
    u = rng.standard_normal(out.shape)
    downs = op.vjp(u, *inputs, out)
    for i, x in enumerate(inputs):
        d = downs[i]
        if d is None or not isinstance(x, np.ndarray) or x.dtype.kind != "f":
            continue
        d = d() if callable(d) else d
        v = rng.standard_normal(x.shape)
        predicted = float(np.sum(np.broadcast_to(unbroadcast(np.asarray(d), x.shape), x.shape) * v))

        def g(h: float, i: int = i, v: Any = v) -> float:
            moved = list(inputs)
            moved[i] = inputs[i] + h * v
            with np.errstate(all="ignore"):
                return float(np.sum(op.forward(*moved) * u))

        numeric = (g(eps) - g(-eps)) / (2 * eps)
        if not (math.isfinite(predicted) and math.isfinite(numeric)):
            continue
        err = _error(predicted, numeric)
        if err > tol:
            return Check(f"input {i} along a random direction", predicted, numeric, err)
    return None


def _check_input(x: Any, i: int) -> None:
    """A clear error for an input that cannot be checked, instead of a misleading result."""
    if isinstance(x, Value):
        return
    data = getattr(x, "data", None)
    if not isinstance(data, np.ndarray):
        raise TypeError(
            f"gradcheck inputs are Values or Tensors; {_name(x, i)} is a {type(x).__name__}"
        )
    if not getattr(x, "requires_grad", True):
        raise ValueError(
            f"{_name(x, i)} has requires_grad=False, so backprop gives it no gradient to "
            "check; make it with requires_grad=True"
        )
    if data.dtype != np.float64:
        raise ValueError(
            f"{_name(x, i)} is {data.dtype}: gradcheck needs float64 (central differences in "
            f"{data.dtype} cannot resolve eps); check a float64 copy"
        )


def _tensor_grad(x: Any) -> np.ndarray:
    return np.zeros_like(x.data) if x.grad is None else np.array(x.grad, dtype=np.float64)


def _central_difference(
    f_at: Callable[[], float], move: Callable[[float], None], eps: float
) -> float:
    """(f(x + eps) - f(x - eps)) / (2 eps), where move(h) puts the input at x + h."""
    try:
        move(eps)
        plus = f_at()
        move(-eps)
        minus = f_at()
    finally:
        move(0.0)
    return (plus - minus) / (2.0 * eps)


def _mover(
    x: Any, index: tuple[int, ...] | None = None, direction: Any = None
) -> Callable[[float], None]:
    """move(h) for a Value, for one element of a Tensor, or for a Tensor along a direction."""
    if isinstance(x, Value):
        start = x.data

        def move(h: float) -> None:
            x.data = start + h
    elif index is not None:
        data, start = x.data, x.data[index].copy()

        def move(h: float) -> None:
            data[index] = start + h
    else:
        data, start = x.data, x.data.copy()

        def move(h: float) -> None:
            data[...] = start + h * direction

    return move


def gradgradcheck(
    f: Callable[..., Any],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    tol: float = 1e-6,
    seed: int = 0,
) -> GradcheckResult:
    """Check second derivatives: the gradient of the gradient (a ``create_graph`` backward,
    differentiated again) against central differences of the first derivative.

    Along a direction u over all inputs, both sides give the Hessian times u:
      analytic:  grad( sum_i <grad_i f(x), u_i> )          (reverse over reverse)
      numeric:   (grad f(x + eps u) - grad f(x - eps u)) / (2 eps)
    u runs over every input element when there are at most 16, else over a few random
    directions. ``f(*inputs)`` must be one Value or a one-element Tensor, as for gradcheck.
    """
    from autograd.engine import grad as engine_grad

    inputs = list(inputs)
    for i, x in enumerate(inputs):
        _check_input(x, i)
        if any(x is y for y in inputs[:i]):
            raise ValueError(
                f"gradgradcheck: {_name(x, i)} is passed twice; pass each input once (f may "
                "use it as often as it likes)"
            )
    sizes = [1 if isinstance(x, Value) else x.data.size for x in inputs]
    total = sum(sizes)
    rng = np.random.default_rng(seed)
    if total <= 16:
        directions = [np.eye(total)[k] for k in range(total)]
    else:
        directions = [rng.standard_normal(total) for _ in range(RANDOM_DIRECTIONS)]

    def split(u: np.ndarray) -> list[Any]:
        parts, start = [], 0
        for x, n in zip(inputs, sizes, strict=True):
            piece = u[start : start + n]
            parts.append(float(piece[0]) if isinstance(x, Value) else piece.reshape(x.data.shape))
            start += n
        return parts

    def first(xs: list[Any]) -> list[np.ndarray]:
        out = f(*xs)
        _scalar_output(out)
        return [np.asarray(getattr(g, "data", g), dtype=float) for g in engine_grad(out, xs)]

    checks: list[Check] = []
    for k, u in enumerate(directions):
        us = split(u)
        out = f(*inputs)
        _scalar_output(out)
        grads = engine_grad(out, inputs, create_graph=True)
        dot: Any = None
        for g, d in zip(grads, us, strict=True):
            if not isinstance(g, (Value,)) and not hasattr(g, "requires_grad"):
                continue  # a gradient that does not depend on the inputs
            term = g * d if isinstance(g, Value) else (g * d).sum()
            dot = term if dot is None else dot + term
        if dot is None or (hasattr(dot, "requires_grad") and not dot.requires_grad):
            analytic = [np.zeros(np.shape(getattr(x, "data", x))) for x in inputs]
        else:
            analytic = [np.asarray(getattr(h, "data", h), dtype=float)
                        for h in engine_grad(dot, inputs)]  # fmt: skip
        moved = [_mover(x, direction=d) if not isinstance(x, Value) else _mover(x)
                 for x, d in zip(inputs, us, strict=True)]  # fmt: skip

        def shift(h: float, moved: list[Any] = moved, us: list[Any] = us) -> None:
            for x, m, d in zip(inputs, moved, us, strict=True):
                m(h * d if isinstance(x, Value) else h)

        try:
            shift(eps)
            plus = first(inputs)
            shift(-eps)
            minus = first(inputs)
        finally:
            shift(0.0)
        where_u = f"direction {k}" if total > 16 else _element_name(inputs, sizes, k)
        for i, (a, p, m) in enumerate(zip(analytic, plus, minus, strict=True)):
            numeric = (p - m) / (2 * eps)
            for index in np.ndindex(np.shape(a)):
                an, nu = float(np.asarray(a)[index]), float(np.asarray(numeric)[index])
                where = f"d/d{_name(inputs[i], i)}{list(index) if index else ''} along {where_u}"
                checks.append(Check(where, an, nu, _error(an, nu)))
    if not checks:
        return GradcheckResult(True, 0.0, None, tol, checks)
    worst = max(checks, key=lambda c: c.error)
    return GradcheckResult(bool(worst.error <= tol), worst.error, worst, tol, checks)


def _element_name(inputs: list[Any], sizes: list[int], k: int) -> str:
    for i, n in enumerate(sizes):
        if k < n:
            x = inputs[i]
            if isinstance(x, Value):
                return _name(x, i)
            return f"{_name(x, i)}[{', '.join(map(str, np.unravel_index(k, x.data.shape)))}]"
        k -= n
    return "?"
