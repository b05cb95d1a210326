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

Writing is atomic (``write_atomically``): a unique temporary file in the target's folder,
flushed, then renamed over the target; readers and crashes never see half a file. ``save``
records the model's architecture in ``__metadata__``, and ``load`` refuses weights from a
different one (``check_architecture``).

The reader and writer (``read_safetensors``, ``write_safetensors``) know nothing of models.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import math
import os
import stat
import tempfile
import warnings
from collections.abc import Iterable, Mapping
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
    path: str | os.PathLike[str],
    arrays: Mapping[str, np.ndarray],
    metadata: Mapping[str, str] | None = None,
) -> Path:
    """Write ``arrays`` (name -> ndarray) to ``path`` as a safetensors file.

    Arrays are stored in the given order, back to back. The header is padded with spaces to
    a multiple of 8 bytes, so every array starts 8-byte aligned. The whole file is built in
    memory first, then written safely (``write_atomically``): a reader of ``path`` sees the
    old file or the new one, never a part of either.
    """
    path = _as_path(path, "path")
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
    return write_atomically(path, [len(text).to_bytes(8, "little"), text, *chunks])


def _as_path(path: object, name: str) -> Path:
    """``path`` as a Path: a str or an os.PathLike of str, else a TypeError naming it."""
    if isinstance(path, str) or (
        isinstance(path, os.PathLike) and isinstance(os.fspath(path), str)
    ):
        if not os.fspath(path):
            raise ValueError(f"{name} must be a file path, got an empty string")
        return Path(path)
    raise TypeError(f"{name} must be a file path (str or pathlib.Path), not {type(path).__name__}")


_UMASK = os.umask(0o022)  # read once at import (umask can only be read by setting it) ...
os.umask(_UMASK)  # ... and put back at once


def write_atomically(path: str | os.PathLike[str], chunks: Iterable[bytes]) -> Path:
    """Write ``chunks`` to ``path`` so that no reader or crash ever sees a partial file.

    1. A new temporary file, with a name no other writer uses, is created exclusively
       (O_EXCL, O_NOFOLLOW: a file or a symbolic link planted at that name is never
       followed or overwritten) in the target's folder, so that step 3 is a rename within one
       file system.
    2. The data is written and flushed to the disk (fsync), so the rename cannot land before
       the data does.
    3. ``os.replace`` renames it over ``path`` in one atomic step: readers see the old file or
       the new one. Then the folder is flushed too, so that the rename itself survives a crash.

    On any failure (a full disk, an interrupt) the temporary file is removed and ``path`` is
    untouched. Two processes writing one path each rename a complete file; the last one wins.
    A file that already exists keeps its permissions; a new one gets the usual 0o666 - umask.
    """
    path = _as_path(path, "path")
    folder = path.parent
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = 0o666 & ~_UMASK
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:64]}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            if hasattr(os, "fchmod"):
                os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:  # an interrupt too: never leave the temporary file behind
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)
    return path


def _fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (the rename) to the disk; POSIX only (Windows cannot)."""
    if os.name != "posix":  # pragma: no cover - Windows
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------- reading


def _fail(path: Path, problem: str) -> SafetensorsError:
    return SafetensorsError(f"{path}: {problem}")


def _shown(shape: list[int]) -> str:
    """A shape for a message, cut short (a hostile header may give thousands of dimensions)."""
    return str(shape) if len(shape) <= 8 else f"{shape[:8]} ... ({len(shape)} dimensions)"


def _is_count(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def read_safetensors(path: str | Path) -> dict[str, np.ndarray]:
    """Read a safetensors file into a dict of name -> ndarray, in the header's order.

    Raises ``SafetensorsError`` on any damage: file too short, header length too large,
    header not JSON, a duplicate name, an entry with a bad dtype, shape or offsets, offsets out
    of range, overlapping or leaving gaps, data missing at the end of the file (truncated) or
    left over after the last array.
    """
    return _read(_as_path(path, "path"))[0]


def read_metadata(path: str | Path) -> dict[str, str]:
    """The ``__metadata__`` strings of a safetensors file (checked like ``read_safetensors``)."""
    return _read(_as_path(path, "path"))[1]


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
        raise _fail(
            path,
            f"{name!r}: shape {_shown(shape)} is beyond NumPy's limits (at most {MAX_NDIM} "
            f"dimensions, each at most {_MAX_DIM})",
        )
    dtype = np.dtype(DTYPES[dtype_name])
    # NumPy refuses an array whose dimensions multiply (zeros aside) past what it can address,
    # even an empty one: [0, 2**40, 2**40] holds no byte but is still "too big".
    if math.prod(d for d in shape if d) * dtype.itemsize > _MAX_DIM:
        raise _fail(
            path,
            f"{name!r}: shape {_shown(shape)} of {dtype_name} is too big for NumPy (its "
            f"dimensions multiply to more than {_MAX_DIM} bytes)",
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
    expected = math.prod(shape) * dtype.itemsize
    if end - begin != expected:
        raise _fail(
            path,
            f"{name!r}: shape {shape} of {dtype_name} needs {expected} bytes, but data_offsets "
            f"[{begin}, {end}] hold {end - begin}",
        )
    return begin, end, dtype, tuple(shape)


# ---------------------------------------------------------------------------- models


def gradflow_version() -> str:
    """The installed gradflow's version, as recorded in saved files ("unknown" from a bare
    source tree)."""
    try:
        return importlib.metadata.version("gradflow")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - not installed
        return "unknown"


def _dtypes(model: Any) -> str:
    """The parameters' dtypes, as recorded in the metadata: "float64", or "float32, float64"."""
    names = {str(np.asarray(p.data).dtype) for p in model.parameters()}
    return ", ".join(sorted(names))


def save(model: Any, path: str | os.PathLike[str]) -> Path:
    """Write the model's weights (``model.state()``) to ``path`` in safetensors format.

    The header's ``__metadata__`` records what the weights mean, so that ``load`` can refuse a
    model they do not fit: "format" (gradflow), "model" (the class), "architecture" (JSON of
    ``model.architecture()``: each module's kind, sizes and activations), "dtype" and
    "gradflow_version". The file is written atomically (see ``write_atomically``).
    """
    path = _as_path(path, "path")
    if not callable(getattr(model, "state", None)):
        raise TypeError(f"save takes an nn.Module (with .state()), not {type(model).__name__}")
    metadata = {"format": "gradflow", "model": type(model).__name__}
    if callable(getattr(model, "architecture", None)):
        metadata["architecture"] = json.dumps(model.architecture(), separators=(",", ":"))
        metadata["dtype"] = _dtypes(model)
    metadata["gradflow_version"] = gradflow_version()
    return write_safetensors(path, model.state(), metadata)


class ArchitectureError(ValueError):
    """A file's weights were saved from a model of another architecture than the target."""


def _differences(saved: Any, current: Any, where: str = "") -> list[str]:
    """Where two architecture descriptions (JSON values) differ, as "where: saved vs current"."""
    if isinstance(saved, dict) and isinstance(current, dict):
        out: list[str] = []
        for key in list(saved) + [k for k in current if k not in saved]:
            inner = f"{where}.{key}" if where else str(key)
            if key not in current:
                out.append(f"{inner}: the file has {saved[key]!r}, the model has nothing")
            elif key not in saved:
                out.append(f"{inner}: the model has {current[key]!r}, the file has nothing")
            else:
                out.extend(_differences(saved[key], current[key], inner))
        return out
    if saved != current:
        return [f"{where or 'the model'}: the file has {saved!r}, the model has {current!r}"]
    return []


def check_architecture(model: Any, metadata: Mapping[str, str], path: Path, strict: bool) -> None:
    """Compare the architecture recorded in a file with ``model``'s; raise or warn on a mismatch.

    A file without a recorded architecture (written by another tool) is checked by its names
    and shapes only. ``strict=False`` turns the error into a warning.
    """
    recorded = metadata.get("architecture")
    if recorded is None or not callable(getattr(model, "architecture", None)):
        return
    try:
        saved = json.loads(recorded)
    except (ValueError, RecursionError):
        raise _fail(path, "the metadata's 'architecture' is not valid JSON") from None
    current = json.loads(json.dumps(model.architecture()))
    different = _differences(saved, current)
    if not different:
        return
    shown = "; ".join(different[:5])
    if len(different) > 5:
        shown += f"; and {len(different) - 5} more"
    message = (
        f"{path}: these weights were saved from a different architecture ({shown}); "
        "the same names and shapes would load, but the model would compute something else"
    )
    if strict:
        raise ArchitectureError(message + ". Pass strict=False to load them anyway.")
    warnings.warn(message + " (loaded anyway: strict=False)", UserWarning, stacklevel=3)


def load(model: Any, path: str | os.PathLike[str], *, strict: bool = True) -> Any:
    """Read weights saved by ``save`` into ``model`` and return the model.

    Checked in this order, before anything is written, so that on any error the model is left
    exactly as it was:

    - the file (``SafetensorsError`` for any damage);
    - the names, shapes and dtypes against the model's (``model.check_state``): a missing or
      unexpected name, a shape that does not fit, or a value the parameter's dtype cannot
      hold (1e300 into float32) is a ValueError naming the parameter;
    - the recorded architecture against the model's (``ArchitectureError``: tanh weights into
      a ReLU model of the same widths). ``strict=False`` loads them anyway, with a warning.

    The changed parameters get a new version (``autograd.bump_version``), so that a graph
    recorded before the load cannot be backpropagated through by mistake.
    """
    path = _as_path(path, "path")
    if not isinstance(strict, bool):
        raise TypeError(f"strict must be True or False, not {strict!r}")
    if not path.is_file():
        raise FileNotFoundError(f"path {str(path)!r}: no such file to load weights from")
    arrays, metadata = _read(path)
    try:
        checked = model.check_state(arrays)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
    check_architecture(model, metadata, path, strict)
    model.load_state(checked)
    return model
