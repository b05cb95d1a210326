"""Save and load weights in the safetensors format, with NumPy only (never pickle).

A safetensors file is three parts:

    8 bytes     N, the length of the header: an unsigned 64-bit little-endian integer
    N bytes     the header: a UTF-8 JSON object, one entry per array,
                    "layers.0.weight": {"dtype": "F64", "shape": [16, 2], "data_offsets": [0, 256]}
                plus an optional "__metadata__" object of string -> string
    the rest    the arrays' raw bytes, little-endian, row-major; data_offsets [begin, end) count
                from the first byte after the header

Loading a file is reading untrusted input. The reader checks every number before using it:
the header length against the file size, each dtype and shape, each byte range against the
data and against its shape, and that the ranges tile the data exactly (no overlap, no gap,
nothing after). Any problem is a ``SafetensorsError`` that names it. ``load`` then hands the
arrays to ``model.load_state``, which checks names and shapes before changing anything.

The reader and writer (``read_safetensors``, ``write_safetensors``) know nothing of models.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

#: safetensors dtype names -> little-endian NumPy dtypes (BF16 and the F8 types have none).
DTYPES: dict[str, str] = {
    "F64": "<f8",
    "F32": "<f4",
    "F16": "<f2",
    "I64": "<i8",
    "I32": "<i4",
    "I16": "<i2",
    "I8": "i1",
    "U64": "<u8",
    "U32": "<u4",
    "U16": "<u2",
    "U8": "u1",
    "BOOL": "?",
}
_NAMES = {np.dtype(v).newbyteorder("<"): k for k, v in DTYPES.items()}

#: The largest header accepted (100 MB, the reference implementation's limit).
MAX_HEADER = 100 * 1024 * 1024

#: The most dimensions an array may have: NumPy's own limit (32 before NumPy 2, then 64).
MAX_NDIM = 64 if np.lib.NumpyVersion(np.__version__) >= "2.0.0" else 32
_MAX_DIM = int(np.iinfo(np.intp).max)  # the largest length NumPy can give an axis


class SafetensorsError(ValueError):
    """A file that is not a valid safetensors file; the message says what is wrong."""


# ---------------------------------------------------------------------------- writing


def write_safetensors(
    path: str | Path, arrays: Mapping[str, np.ndarray], metadata: Mapping[str, str] | None = None
) -> Path:
    """Write ``arrays`` (name -> ndarray) to ``path`` as a safetensors file.

    Arrays are stored in the given order, back to back. The header is padded with spaces to
    a multiple of 8 bytes, so every array starts 8-byte aligned. The file is written under a
    temporary name and renamed, so a crash never leaves half a file at ``path``.
    """
    path = Path(path)
    header: dict[str, Any] = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    chunks: list[bytes] = []
    offset = 0
    for name, array in arrays.items():
        if name == "__metadata__":
            raise ValueError("'__metadata__' is reserved and cannot name an array")
        a = np.asarray(array)
        little = a.dtype.newbyteorder("<")
        if little not in _NAMES:
            raise ValueError(f"{name!r}: dtype {a.dtype} has no safetensors equivalent")
        data = np.ascontiguousarray(a, dtype=little).tobytes()
        header[name] = {
            "dtype": _NAMES[little],
            "shape": list(a.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for data in chunks:
            f.write(data)
    os.replace(tmp, path)
    return path


# ---------------------------------------------------------------------------- reading


def _fail(path: Path, problem: str) -> SafetensorsError:
    return SafetensorsError(f"{path}: {problem}")


def _is_count(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def read_safetensors(path: str | Path) -> dict[str, np.ndarray]:
    """Read a safetensors file into a dict of name -> ndarray, in the header's order.

    Raises ``SafetensorsError`` on any damage: file too short, header length too large,
    header not JSON, a duplicate name, an entry with a bad dtype, shape or offsets, offsets out
    of range, overlapping or leaving gaps, data missing at the end of the file (truncated) or
    left over after the last array.
    """
    return _read(Path(path))[0]


def read_metadata(path: str | Path) -> dict[str, str]:
    """The ``__metadata__`` strings of a safetensors file (checked like ``read_safetensors``)."""
    return _read(Path(path))[1]


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):  # a name repeated: find the first (linear, for huge headers)
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise SafetensorsError(f"the header names {k!r} twice")
            seen.add(k)
    return out


def _read(path: Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    size = path.stat().st_size
    with open(path, "rb") as f:
        if size < 8:
            raise _fail(path, f"empty or too short for a safetensors file ({size} bytes, needs 8)")
        n = int.from_bytes(f.read(8), "little")
        if n > MAX_HEADER:
            raise _fail(path, f"header length {n} is larger than the limit of {MAX_HEADER} bytes")
        if n > size - 8:
            raise _fail(path, f"header length {n} runs past the end of the file ({size} bytes)")
        raw_header = f.read(n)
        body = f.read()

    try:
        header = json.loads(raw_header.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except SafetensorsError as e:
        raise _fail(path, str(e)) from None
    except RecursionError:  # "[[[[...": the JSON parser recurses once per level
        raise _fail(path, "the header's JSON nests too deeply for a safetensors header") from None
    except ValueError as e:  # UnicodeDecodeError, JSONDecodeError, an integer of 5000 digits
        raise _fail(path, f"the header is not valid UTF-8 JSON ({e})") from None
    if not isinstance(header, dict):
        raise _fail(path, f"the header must be a JSON object, got {type(header).__name__}")

    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise _fail(path, "__metadata__ must be an object of string -> string")

    # (name, begin, end, dtype, shape) in header order, each entry checked on its own.
    entries = [(name, *_check_entry(path, name, e, len(body))) for name, e in header.items()]
    # Then together: the byte ranges, in order, must tile the data exactly.
    position, previous = 0, None
    for name, begin, end, _, _ in sorted(entries, key=lambda e: (e[1], e[2])):
        if begin < position:
            raise _fail(path, f"{name!r} bytes [{begin}, {end}) overlap those of {previous!r}")
        if begin > position:
            raise _fail(path, f"a gap of unused bytes [{position}, {begin}) before {name!r}")
        position, previous = end, name
    if position != len(body):
        raise _fail(
            path, f"{len(body) - position} bytes of data after the last array ({position} used)"
        )

    arrays = {
        name: np.frombuffer(body, dtype=dtype, count=math.prod(shape), offset=begin)
        .reshape(shape)
        .astype(dtype.newbyteorder("="))
        for name, begin, _, dtype, shape in entries
    }
    return arrays, metadata


def _check_entry(
    path: Path, name: str, entry: object, body_size: int
) -> tuple[int, int, np.dtype, tuple[int, ...]]:
    """(begin, end, dtype, shape) of one header entry, each checked; else SafetensorsError."""
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise _fail(path, f"{name!r}: an entry needs exactly dtype, shape and data_offsets")
    dtype_name, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if dtype_name not in DTYPES:
        raise _fail(path, f"{name!r}: unsupported dtype {dtype_name!r} (known: {list(DTYPES)})")
    if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
        raise _fail(path, f"{name!r}: shape must be a list of non-negative integers, got {shape!r}")
    if len(shape) > MAX_NDIM or any(d > _MAX_DIM for d in shape):
        shown = shape if len(shape) <= 8 else f"{shape[:8]} ... ({len(shape)} dimensions)"
        raise _fail(
            path,
            f"{name!r}: shape {shown} is beyond NumPy's limits (at most {MAX_NDIM} dimensions, "
            f"each at most {_MAX_DIM})",
        )
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_is_count, offsets))):
        raise _fail(path, f"{name!r}: data_offsets must be [begin, end], got {offsets!r}")
    begin, end = offsets
    if begin > end:
        raise _fail(path, f"{name!r}: data_offsets [{begin}, {end}] end before they begin")
    if end > body_size:
        raise _fail(
            path,
            f"{name!r}: data_offsets [{begin}, {end}] run past the end of the data "
            f"({body_size} bytes): the file is truncated or the offsets are wrong",
        )
    dtype = np.dtype(DTYPES[dtype_name])
    expected = math.prod(shape) * dtype.itemsize
    if end - begin != expected:
        raise _fail(
            path,
            f"{name!r}: shape {shape} of {dtype_name} needs {expected} bytes, but data_offsets "
            f"[{begin}, {end}] hold {end - begin}",
        )
    return begin, end, dtype, tuple(shape)


# ---------------------------------------------------------------------------- models


def save(model: Any, path: str | Path) -> Path:
    """Write the model's weights (``model.state()``) to ``path`` in safetensors format."""
    metadata = {"format": "gradflow", "model": type(model).__name__}
    return write_safetensors(path, model.state(), metadata)


def load(model: Any, path: str | Path) -> Any:
    """Read weights saved by ``save`` into ``model`` and return the model.

    A damaged file raises ``SafetensorsError``; a missing or unexpected name, or a shape that
    does not fit, raises ValueError naming it. Either way the model is left unchanged.
    """
    arrays = read_safetensors(path)
    try:
        model.load_state(arrays)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
    return model
