"""Float arithmetic that follows IEEE 754 (as NumPy and PyTorch do) instead of raising.

Python's ``math`` module and ``**`` raise on domain edges: ``math.log(0)`` is a ValueError,
``1 / 0`` a ZeroDivisionError, ``math.exp(1000)`` an OverflowError, and ``(-8) ** 0.5`` is a
complex number. A training run should see ``-inf``, ``inf`` and ``nan`` instead, the numbers
PyTorch gives, so that the problem shows up in the values and not as a crash half-way through
an optimizer step. The fast path is plain Python; only the edge cases pay for more.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

INF = math.inf
NAN = math.nan

# ----------------------------------------------------------------------------- arrays
# NumPy does give IEEE's inf and nan, but warns (RuntimeWarning) on the way: the scalar engine
# does not warn, so neither does the tensor engine. ``np.errstate(all="ignore")`` turns the
# warnings off; entering it costs about 1.5 us, several times per training step. NumPy 2
# keeps that state in a context variable, and setting it to a ready-made "ignore all" state
# is ten times cheaper, with the same effect (thread- and task-local, undone on exit).
try:
    from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj

    _IGNORE_ALL = _make_extobj(all="ignore")
    _set, _reset = _extobj_contextvar.set, _extobj_contextvar.reset
except (ImportError, AttributeError, TypeError):  # NumPy 1.x: np.errstate it is
    _set = None


class quiet:  # noqa: N801 (a context manager, used like np.errstate)
    """``with quiet():`` NumPy arithmetic gives inf and nan without RuntimeWarnings
    (``np.errstate(all="ignore")``, made cheap)."""

    __slots__ = ("_token",)

    def __enter__(self) -> None:
        self._token = _set(_IGNORE_ALL)

    def __exit__(self, *exc: object) -> None:
        _reset(self._token)


def quietly(f: Callable[..., Any]) -> Callable[..., Any]:
    """``f`` run inside ``quiet()``: a forward or rule that may overflow or make nan."""

    if _set is None:
        return functools.wraps(f)(np.errstate(all="ignore")(f))

    @functools.wraps(f)
    def run(*args: Any, **params: Any) -> Any:
        token = _set(_IGNORE_ALL)
        try:
            return f(*args, **params) if params else f(*args)  # (no empty dict to unpack)
        finally:
            _reset(token)

    return run


if _set is None:  # pragma: no cover - NumPy 1.x

    def quiet() -> Any:  # type: ignore[no-redef]
        return np.errstate(all="ignore")


# ----------------------------------------------------------------------------- floats


def div(x: float, y: float) -> float:
    """x / y, with x / 0 = +-inf (sign of x times the sign of the zero) and 0 / 0 = nan."""
    try:
        return x / y
    except ZeroDivisionError:
        if x == 0.0 or x != x:
            return NAN
        return math.copysign(INF, x) * math.copysign(1.0, y)


def power(x: float, y: float) -> float:
    """x ** y, with 0 ** -1 = inf, (-8) ** 0.5 = nan (never complex), overflow = +-inf."""
    try:
        result = x**y
    except ZeroDivisionError:  # 0 ** negative: a pole, signed like C's pow(-0.0, -1) = -inf
        odd_integer = y == int(y) and int(y) % 2 == 1
        return -INF if (odd_integer and math.copysign(1.0, x) < 0) else INF
    except OverflowError:  # |x| ** y too large: the sign is negative only for an odd power
        if x < 0.0 and y != int(y):  # (-10) ** 400.5: no real value, however large
            return NAN
        odd_integer = y == int(y) and int(y) % 2 == 1
        return -INF if (x < 0 and odd_integer) else INF
    if isinstance(result, complex):  # negative base, fractional exponent
        return NAN
    return result


def exp(x: float) -> float:
    """e ** x, with exp(large) = inf instead of OverflowError."""
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def expm1(x: float) -> float:
    """e ** x - 1, accurate near 0, with expm1(large) = inf."""
    try:
        return math.expm1(x)
    except OverflowError:
        return INF


def log(x: float) -> float:
    """Natural log, with log(0) = -inf and log(negative) = nan."""
    if x > 0.0:
        return math.log(x)
    if x == 0.0:
        return -INF
    return NAN  # negative or nan


def log1p(x: float) -> float:
    """log(1 + x), accurate near 0, with log1p(-1) = -inf and log1p(< -1) = nan."""
    if x > -1.0:
        return math.log1p(x)
    if x == -1.0:
        return -INF
    return NAN


def sqrt(x: float) -> float:
    """Square root, with sqrt(negative) = nan."""
    return math.sqrt(x) if x >= 0.0 else NAN


def sigmoid(x: float) -> float:
    """1 / (1 + e ** -x), computed without overflow for any x.

    For x < 0, e ** -x overflows, so use the equal form e ** x / (1 + e ** x) there.
    """
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    if x != x:
        return NAN
    e = math.exp(x)
    return e / (1.0 + e)


def softplus(x: float) -> float:
    """log(1 + e ** x) = max(x, 0) + log(1 + e ** -|x|): no overflow for any x."""
    if x != x:
        return NAN
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))
