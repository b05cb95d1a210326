"""Small datasets, real datasets read from disk, mini-batches and a train/test split.

Every generator returns ``(X, y)``: X a float64 array of shape (n, features), y an int64 array
of class labels of shape (n,). A ``seed`` makes the data the same on every run. Nothing here
downloads: ``load_digits`` uses the copy bundled with scikit-learn, and ``load_mnist`` reads
files you already have.
"""

from __future__ import annotations

import gzip
import math
import numbers
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from nn.checks import check_count, check_memory, check_real, real_array, shown
from nn.init import make_rng

Seed = int | np.random.Generator | None


def _check_count(n: object, name: str, minimum: int = 1) -> int:
    return check_count(n, name, minimum)


def _check_noise(noise: object) -> float:
    return check_real(noise, "noise", 0.0)


def _check_flag(value: object, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {shown(value)}")
    return bool(value)


def _check_points(n: int, features: int, name: str = "n") -> None:
    """Refuse a data set too big for the memory before making it: n rows of float64 features
    and an int64 label, about 4 copies of them at the peak (made, shuffled, noised, cast)."""
    check_memory(4 * n * 8 * (features + 1), f"{n} points of {features} features", name)


def _shuffled(
    X: np.ndarray, y: np.ndarray, noise: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle the samples and add Gaussian noise of standard deviation ``noise``."""
    order = rng.permutation(len(y))
    X, y = X[order], y[order]
    if noise > 0:
        X = X + rng.normal(0.0, noise, size=X.shape)
    return X.astype(np.float64), y.astype(np.int64)


# ---------------------------------------------------------------------------- toy sets


def make_moons(
    n: int = 100, noise: float = 0.1, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, the classic non-linear two-class set.

    Class 0: the upper half of the unit circle, (cos a, sin a) for a in [0, pi].
    Class 1: the lower half shifted right and up, (1 - cos a, 0.5 - sin a).
    n // 2 points in class 0 and the rest in class 1, evenly spaced in a, then shuffled and
    blurred with Gaussian noise.
    """
    n = _check_count(n, "n", 2)
    noise = _check_noise(noise)
    _check_points(n, 2)
    n0 = n // 2
    a0, a1 = np.linspace(0.0, math.pi, n0), np.linspace(0.0, math.pi, n - n0)
    upper = np.stack([np.cos(a0), np.sin(a0)], axis=1)
    lower = np.stack([1.0 - np.cos(a1), 0.5 - np.sin(a1)], axis=1)
    X = np.concatenate([upper, lower])
    y = np.concatenate([np.zeros(n0), np.ones(n - n0)])
    return _shuffled(X, y, noise, make_rng(seed))


def xor(n: int = 4, noise: float = 0.0, seed: Seed = None) -> tuple[np.ndarray, np.ndarray]:
    """XOR: label 1 when exactly one of the two inputs is 1.

    With the defaults, exactly the truth table, in order:
        (0, 0) -> 0,  (0, 1) -> 1,  (1, 0) -> 1,  (1, 1) -> 0
    With n > 4, the four corners repeated in turn (n points), blurred with Gaussian noise and
    shuffled. No straight line separates the classes, so a network needs a hidden layer.
    """
    n = _check_count(n, "n")
    noise = _check_noise(noise)
    _check_points(n, 2)
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    labels = np.array([0, 1, 1, 0])
    if n == 4 and noise == 0.0:
        return corners.copy(), labels.astype(np.int64)
    index = np.arange(n) % 4
    return _shuffled(corners[index], labels[index], noise, make_rng(seed))


def spiral(
    n: int = 300, classes: int = 3, noise: float = 0.2, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class (the CS231n set).

    Arm k: radius r from 0 to 1 and angle t = 4 (k + r) + noise, point (r sin t, r cos t).
    The noise here jitters the angle. n points in all, split as evenly as possible.
    """
    n = _check_count(n, "n")
    classes = _check_count(classes, "classes", 2)
    noise = _check_noise(noise)
    if classes > n:  # checked before the loop over classes: 10**9 of them would never end
        raise ValueError(
            f"classes must be at most n ({n}): each arm needs a point, got {shown(classes)}"
        )
    _check_points(n, 2)
    rng = make_rng(seed)
    sizes = [n // classes + (1 if k < n % classes else 0) for k in range(classes)]
    points, labels = [], []
    for k, size in enumerate(sizes):
        r = np.linspace(0.0, 1.0, size)
        t = 4.0 * (k + r) + rng.normal(0.0, noise, size) if noise else 4.0 * (k + r)
        points.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        labels.append(np.full(size, k))
    return _shuffled(np.concatenate(points), np.concatenate(labels), 0.0, rng)


def circles(
    n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles: class 0 of radius 1, class 1 of radius ``factor`` (< 1)."""
    n = _check_count(n, "n", 2)
    noise = _check_noise(noise)
    factor = check_real(factor, "factor")
    _check_points(n, 2)
    if not 0 < factor < 1:
        raise ValueError(f"factor (inner radius / outer radius) must be in (0, 1), got {factor!r}")
    n0 = n // 2
    a0 = np.linspace(0.0, 2 * math.pi, n0, endpoint=False)
    a1 = np.linspace(0.0, 2 * math.pi, n - n0, endpoint=False)
    X = np.concatenate(
        [np.stack([np.cos(a0), np.sin(a0)], 1), factor * np.stack([np.cos(a1), np.sin(a1)], 1)]
    )
    y = np.concatenate([np.zeros(n0), np.ones(n - n0)])
    return _shuffled(X, y, noise, make_rng(seed))


# ---------------------------------------------------------------------------- real sets


def load_digits(scale: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The 1797 8x8 handwritten digits bundled with scikit-learn (no download).

    X has shape (1797, 64): pixel intensities 0..16, divided by 16 when ``scale``. y: 0..9.
    """
    scale = _check_flag(scale, "scale")
    from sklearn.datasets import load_digits as sklearn_digits  # slow import: only when used

    bunch = sklearn_digits()
    X = np.asarray(bunch.data, dtype=np.float64)
    return (X / 16.0 if scale else X), np.asarray(bunch.target, dtype=np.int64)


#: IDX element types: the third byte of the magic number -> big-endian NumPy dtype.
IDX_DTYPES: dict[int, str] = {
    0x08: ">u1",
    0x09: ">i1",
    0x0B: ">i2",
    0x0C: ">i4",
    0x0D: ">f4",
    0x0E: ">f8",
}


#: The most dimensions an IDX array may have: NumPy's own limit (32 before NumPy 2, then 64).
IDX_MAX_NDIM = 64 if np.lib.NumpyVersion(np.__version__) >= "2.0.0" else 32
_CHUNK = 1 << 20  # read in pieces of 1 MiB: never allocate more than the file has delivered
_EXTRA = 1 << 20  # how far past the declared data a gzip stream is read to count what is left


def _read_up_to(f: BinaryIO, n: int) -> bytes:
    """At most n bytes of f, fewer at its end.

    Read piece by piece, so that a size declared by a damaged header costs no memory until the
    bytes really arrive (``f.read(n)`` sets aside n bytes before reading any).
    """
    parts, left = [], n
    while left > 0:
        part = f.read(min(left, _CHUNK))
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (the MNIST format), gzipped or plain.

    Layout: a 4-byte magic number (0, 0, element type, number of dimensions), one big-endian
    uint32 per dimension, then the elements, big-endian, in row-major order. Raises ValueError
    for a wrong magic number, a truncated file, or more bytes than the dimensions call for.

    The file is untrusted input: the dimensions are checked against what the file holds
    before any data is read, and a gzip stream is decompressed only as far as the dimensions
    call for (a small .gz file can inflate to gigabytes).
    """
    path = Path(path)
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"  # the gzip magic number, whatever the file is called
    if not gzipped:
        with open(path, "rb") as f:
            return _read_idx(path, f, path.stat().st_size)
    try:
        with gzip.open(path, "rb") as f:
            return _read_idx(path, f, None)
    except (EOFError, OSError, zlib.error) as e:  # gzip.BadGzipFile is an OSError
        raise ValueError(f"{path}: damaged or truncated gzip data ({e})") from None


def _read_idx(path: Path, f: BinaryIO, size: int | None) -> np.ndarray:
    """The array in the IDX stream f; ``size`` is the file's size (None: unknown, gzip)."""
    magic = f.read(4)
    if len(magic) < 4:
        raise ValueError(f"{path}: truncated IDX file ({len(magic)} bytes, the header needs 4)")
    zero0, zero1, code, ndim = magic
    if zero0 != 0 or zero1 != 0 or code not in IDX_DTYPES:
        raise ValueError(
            f"{path}: not an IDX file: bad magic number {magic.hex()} (expected 0000, a type "
            f"byte in {[f'{c:02x}' for c in IDX_DTYPES]} and the number of dimensions)"
        )
    header = 4 + 4 * ndim
    dims = f.read(4 * ndim)
    if len(dims) < 4 * ndim:
        raise ValueError(f"{path}: truncated IDX header ({4 + len(dims)} bytes, needs {header})")
    if ndim > IDX_MAX_NDIM:
        raise ValueError(
            f"{path}: {ndim} dimensions, more than NumPy's limit of {IDX_MAX_NDIM}: a damaged "
            "header"
        )
    shape = tuple(int(d) for d in np.frombuffer(dims, dtype=">u4"))
    dtype = np.dtype(IDX_DTYPES[code])
    expected = math.prod(shape) * dtype.itemsize

    def truncated(found: int) -> ValueError:
        return ValueError(
            f"{path}: truncated IDX data: shape {shape} needs {expected} bytes, found {found}"
        )

    def too_long(more: str) -> ValueError:
        return ValueError(
            f"{path}: size mismatch: shape {shape} needs {expected} bytes of data, but the file "
            f"has {more} more"
        )

    if size is not None:  # a plain file: its size says at once whether the data is all there
        body = size - header
        if body < expected:
            raise truncated(body)
        if body > expected:
            raise too_long(str(body - expected))
        data = f.read(expected)  # exactly what the file holds
    else:  # a gzip stream: inflate as far as the shape calls for, and a little beyond
        data = _read_up_to(f, expected)
        if len(data) < expected:
            raise truncated(len(data))
        extra = len(_read_up_to(f, _EXTRA + 1))  # reaching the end also checks the CRC
        if extra:
            raise too_long(f"more than {_EXTRA}" if extra > _EXTRA else str(extra))
    array = np.frombuffer(data, dtype=dtype, count=math.prod(shape))
    return array.reshape(shape).astype(dtype.newbyteorder("="))


_MNIST_PREFIX = {"train": "train", "test": "t10k"}


def _find_idx(folder: Path, stem: str) -> Path:
    """The file for ``stem`` (e.g. "train-images-idx3-ubyte"), with the usual name variants."""
    dotted = stem.replace("-idx", ".idx")  # some copies are named train-images.idx3-ubyte
    candidates = [folder / f"{s}{gz}" for s in (stem, dotted) for gz in ("", ".gz")]
    for c in candidates:
        if c.is_file():
            return c
    raise FileNotFoundError(
        f"no {stem} file in {folder}; looked for: {', '.join(c.name for c in candidates)}"
    )


def load_mnist(
    folder: str | Path, split: str = "train", flatten: bool = True, normalize: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Read MNIST (or Fashion-MNIST) from the four standard IDX files in ``folder``.

    ``split`` "train" reads train-images-idx3-ubyte and train-labels-idx1-ubyte, "test" the
    t10k-* pair; each gzipped (.gz) or not. Returns X of shape (n, 784), or (n, 28, 28)
    without ``flatten``, as float32 in [0, 1] (``normalize``) or the raw uint8 pixels; y int64.
    """
    if not isinstance(split, str) or split not in _MNIST_PREFIX:
        raise ValueError(f"split must be 'train' or 'test', got {shown(split)}")
    flatten, normalize = _check_flag(flatten, "flatten"), _check_flag(normalize, "normalize")
    if not isinstance(folder, (str, os.PathLike)) or isinstance(os.fspath(folder), bytes):
        raise TypeError(f"folder must be a folder path (str or pathlib.Path), got {shown(folder)}")
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"MNIST folder {folder} does not exist")
    prefix = _MNIST_PREFIX[split]
    images_path = _find_idx(folder, f"{prefix}-images-idx3-ubyte")
    labels_path = _find_idx(folder, f"{prefix}-labels-idx1-ubyte")
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3:
        raise ValueError(f"{images_path}: images need 3 dimensions, found shape {images.shape}")
    if labels.ndim != 1:
        raise ValueError(f"{labels_path}: labels need 1 dimension, found shape {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(
            f"size mismatch: {images_path.name} has {len(images)} images but "
            f"{labels_path.name} has {len(labels)} labels"
        )
    X = images.reshape(len(images), -1) if flatten else images
    if normalize:
        X = X.astype(np.float32) / np.float32(255.0)
    return X, labels.astype(np.int64)


# ---------------------------------------------------------------------------- batching


def check_xy(X: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    """X and y as arrays of numbers with the same, nonzero number of samples, or an error
    naming X or y."""
    X, y = real_array(X, "X"), real_array(y, "y")
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError("X and y must be arrays with one row per sample, not scalars")
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
    if len(X) == 0:
        raise ValueError("empty dataset: X and y have no samples")
    return X, y


def batches(
    X: np.ndarray,
    y: np.ndarray,
    batch_size: int | None,
    shuffle: bool = True,
    seed: Seed = None,
    drop_last: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (X_batch, y_batch) pairs that cover the data once (one epoch).

    ``batch_size`` None means the whole set in one batch. With ``shuffle`` the order is a
    random permutation (reproducible with ``seed``); the last batch is smaller when the size
    does not divide the data, unless ``drop_last``.
    """
    size = None if batch_size is None else _check_count(batch_size, "batch_size")
    shuffle, drop_last = _check_flag(shuffle, "shuffle"), _check_flag(drop_last, "drop_last")
    X, y = check_xy(X, y)
    n = len(X)
    size = n if size is None else size
    order = make_rng(seed).permutation(n) if shuffle else np.arange(n)
    stop = n - n % size if drop_last else n
    for start in range(0, stop, size):
        index = order[start : start + size]
        yield X[index], y[index]


def train_test_split(
    X: np.ndarray, y: np.ndarray, test_size: float | int = 0.25, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split into (X_train, X_test, y_train, y_test), scikit-learn's order.

    ``test_size``: a fraction in (0, 1) or a number of test samples; both parts are non-empty.
    """
    X, y = check_xy(X, y)
    n = len(X)
    if isinstance(test_size, (numbers.Integral, np.ndarray)) and not isinstance(
        test_size, (bool, np.bool_)
    ):
        n_test = check_count(test_size, "test_size (a count)")
    else:
        fraction = check_real(test_size, "test_size (a fraction)")
        if not 0.0 < fraction < 1.0:
            raise ValueError(
                f"test_size must be a fraction in (0, 1) or a count, got {shown(test_size)}"
            )
        n_test = math.ceil(fraction * n)
    if not 0 < n_test < n:
        raise ValueError(
            f"test_size {shown(test_size)} leaves an empty part: {n} samples, "
            f"{shown(n_test)} for test"
        )
    order = make_rng(seed).permutation(n)
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]
