"""Float arithmetic that follows IEEE 754 (as NumPy and PyTorch do) instead of raising.

Python's ``math`` module and ``**`` raise on domain edges: ``math.log(0)`` is a ValueError,
``1 / 0`` a ZeroDivisionError, ``math.exp(1000)`` an OverflowError, and ``(-8) ** 0.5`` is a
complex number. A training run should see ``-inf``, ``inf`` and ``nan`` instead, the numbers
PyTorch gives, so that the problem shows up in the values and not as a crash half-way through
an optimizer step. The fast path is plain Python; only the edge cases pay for more.
"""

from __future__ import annotations

import math

INF = math.inf
NAN = math.nan


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
