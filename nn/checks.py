"""Checks on the arguments of nn's public functions: one rule per kind of argument.

Each check either returns the argument in its plain Python form or raises an error that
names the parameter and says what was expected:

- a *count* (a width, a number of samples, a batch size) is an integer: a Python int, a NumPy
  integer or a 0-d integer array (anything ``operator.index`` takes), never a bool, a float,
  a string or bytes (``b'1'`` is not 49), and never so large that what it sizes cannot fit in
  memory (``check_memory``);
- a *real number* (a learning rate, a noise level) is an int, a float, a Fraction, a NumPy
  real scalar or a 0-d real array; never a bool, a string (never parsed: ``'0.5'`` is text),
  a complex number or a Decimal; it must be finite unless said otherwise, and ints too large
  for a float (``10**400``) are refused by name rather than with an OverflowError.

Wrong kind: TypeError. Right kind, wrong value: ValueError. A size too big for the memory:
``SizeError`` (a ValueError and a MemoryError), raised before anything is allocated.
"""

from __future__ import annotations

import math
import numbers
import operator
import os

import numpy as np


class SizeError(ValueError, MemoryError):
    """A requested size whose memory estimate exceeds the memory available; nothing was
    allocated."""


def shown(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for messages (10**400 has 401 digits)."""
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-2:]}"


def _kind(value: object) -> str:
    return f"{type(value).__name__} {shown(value)}"


def check_count(value: object, name: str, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum``: TypeError for a non-integer, ValueError if smaller."""
    expected = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    if isinstance(value, (bool, np.bool_)) or (
        isinstance(value, np.ndarray) and value.dtype.kind == "b"
    ):
        raise TypeError(f"{name} must be {expected}, not a bool ({shown(value)})")
    try:
        n = operator.index(value)  # int, NumPy integers, 0-d integer arrays; not 2.0 nor "2"
    except TypeError:
        raise TypeError(f"{name} must be {expected}, got {_kind(value)}") from None
    if n < minimum:
        raise ValueError(f"{name} must be {expected}, got {shown(n)}")
    return n


def check_real(
    value: object,
    name: str,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    include_high: bool = True,
    finite: bool = True,
) -> float:
    """``value`` as a float in [low, high] (or [low, high) without ``include_high``).

    TypeError for anything that is not a real number; ValueError for nan, inf (when
    ``finite``), an int too large for a float, or a value out of the interval.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_kind(value)}")
    try:
        x = float(value)
    except OverflowError:
        raise ValueError(f"{name} is too large for a float: {shown(value)}") from None
    if math.isnan(x) or (finite and math.isinf(x)):
        raise ValueError(f"{name} must be a finite number, got {shown(value)}")
    above = x > high if include_high else x >= high
    if x < low or above:
        right = "]" if include_high else ")"
        interval = f"in [{low:g}, {high:g}{right}" if high != math.inf else f">= {low:g}"
        raise ValueError(f"{name} must be a number {interval}, got {shown(value)}")
    return x


def is_real(value: object) -> bool:
    """A real number: int, float, Fraction, a NumPy real scalar; not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def real_array(values: object, name: str) -> np.ndarray:
    """``values`` as an array of real numbers (bool, int or float dtype), or an error naming
    ``name``.

    Strings are never parsed as numbers (``"0.5"`` is text) and None is not nan, though
    ``np.asarray(..., dtype=float)`` would do both; complex numbers are refused. An object
    array (Fractions, mixed) is accepted when each element is a real number.
    """
    try:
        array = np.asarray(values)
    except ValueError:  # NumPy refuses ragged nested lists
        raise ValueError(f"{name} has rows of different lengths; every sample needs the same "
                         "number of values") from None  # fmt: skip
    if array.dtype.kind == "c":
        raise TypeError(f"{name} holds complex numbers; gradflow computes with real numbers only")
    if array.dtype.kind == "O":
        for v in array.flat:
            if not is_real(v):
                raise TypeError(f"{name} must hold real numbers, found {_kind(v)}")
        try:
            array = array.astype(np.float64)
        except OverflowError:  # 10**400
            raise ValueError(
                f"{name} must hold real numbers that fit a float; one is too large for a float"
            ) from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got an array of dtype {array.dtype}")
    return array


def available_memory() -> int:
    """Bytes of memory available to a new allocation (Linux: MemAvailable; else the physical
    memory; 2**63 when the system does not say)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # pragma: no cover - Windows
        return 2**63


def check_memory(nbytes: int, what: str, name: str) -> None:
    """Refuse, before anything is built, a request whose estimate ``nbytes`` exceeds the
    available memory: a ``SizeError`` naming the parameter ``name`` and the estimate."""
    available = available_memory()
    if nbytes > available:
        raise SizeError(
            f"{name}: {what} would need about {_bytes(nbytes)}, more than the "
            f"{_bytes(available)} of memory available; use smaller sizes"
        )


def _bytes(n: int) -> str:
    if n >= 10**18:
        return "more than 1,000,000 TB"
    for unit, size in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"


#: Memory per scalar parameter: a Value (with its label and float) plus its share of the lists
#: holding it, measured with tracemalloc on an MLP, rounded up. A Tensor parameter costs its
#: array, its gradient and an optimizer's two moments: 4 arrays (``TENSOR_COPIES``).
VALUE_BYTES = 400
TENSOR_COPIES = 4
