"""nn.data: toy sets, digits, MNIST's IDX files, batches and the train/test split."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn import data

# ---------------------------------------------------------------------------- toy sets


def test_make_moons_without_noise_lies_on_the_two_half_circles():
    X, y = data.make_moons(n=101, noise=0.0, seed=0)
    assert X.shape == (101, 2) and X.dtype == np.float64 and y.dtype == np.int64
    assert np.sum(y == 0) == 50 and np.sum(y == 1) == 51
    # class 0: x**2 + y**2 = 1, upper half;  class 1: (x - 1)**2 + (y - 0.5)**2 = 1, lower half
    upper, lower = X[y == 0], X[y == 1]
    assert np.allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0) and np.all(upper[:, 1] >= 0)
    assert np.allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)
    assert np.all(lower[:, 1] <= 0.5)


def test_generators_are_reproducible_with_a_seed():
    for make in (data.make_moons, data.spiral, data.circles):
        X1, y1 = make(seed=3)
        X2, y2 = make(seed=3)
        X3, _ = make(seed=4)
        assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
        assert not np.array_equal(X1, X3)


def test_make_moons_noise_has_the_requested_spread():
    X0, y0 = data.make_moons(n=2000, noise=0.0, seed=1)
    X1, y1 = data.make_moons(n=2000, noise=0.1, seed=1)
    # Same seed, same shuffle: the difference is the noise alone, with std 0.1 per coordinate.
    assert np.array_equal(y0, y1)
    assert np.std(X1 - X0) == pytest.approx(0.1, rel=0.05)


def test_xor_is_the_truth_table():
    X, y = data.xor()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert y.tolist() == [0, 1, 1, 0]
    X, y = data.xor(n=40, noise=0.1, seed=0)
    assert X.shape == (40, 2) and np.sum(y) == 20
    assert np.all((np.round(X[:, 0]) != np.round(X[:, 1])) == (y == 1))  # noise 0.1 < 0.5


def test_spiral_and_circles_shapes_and_classes():
    X, y = data.spiral(n=301, classes=3, noise=0.0, seed=0)
    assert X.shape == (301, 2) and np.bincount(y).tolist() == [101, 100, 100]
    assert np.all(np.hypot(X[:, 0], X[:, 1]) <= 1.0 + 1e-12)  # radius runs from 0 to 1
    X, y = data.circles(n=100, noise=0.0, factor=0.3, seed=0)
    radii = np.hypot(X[:, 0], X[:, 1])
    assert np.allclose(radii[y == 0], 1.0) and np.allclose(radii[y == 1], 0.3)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: data.make_moons(n=1), "n must be an integer >= 2"),
        (lambda: data.make_moons(noise=-0.1), "noise must be a number >= 0"),
        (lambda: data.spiral(classes=1), "classes"),
        (lambda: data.circles(factor=1.5), "factor"),
        (lambda: data.xor(n=0), "n must be"),
    ],
)
def test_generator_arguments_are_checked(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_load_digits_uses_the_bundled_copy():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.min() == 0.0 and X.max() == 1.0  # 0..16 divided by 16
    assert set(np.unique(y).tolist()) == set(range(10))
    assert data.load_digits(scale=False)[0].max() == 16.0


# ---------------------------------------------------------------------------- IDX / MNIST


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    """An IDX file by the format's definition: 0, 0, type, ndim, big-endian dims, data."""
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    big = {0x08: ">u1", 0x0C: ">i4", 0x0D: ">f4"}[type_code]
    return header + array.astype(big).tobytes()


IMAGES = np.arange(3 * 2 * 2, dtype=np.uint8).reshape(3, 2, 2) * 20
LABELS = np.array([7, 0, 9], dtype=np.uint8)


def write_mnist(folder: Path, split: str = "train", gz: bool = False, **override: bytes) -> None:
    prefix = {"train": "train", "test": "t10k"}[split]
    files = {
        f"{prefix}-images-idx3-ubyte": override.get("images", idx_bytes(IMAGES)),
        f"{prefix}-labels-idx1-ubyte": override.get("labels", idx_bytes(LABELS)),
    }
    for name, raw in files.items():
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(raw))
        else:
            (folder / name).write_bytes(raw)


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_reads_plain_and_gzipped_idx_files(tmp_path, gz):
    write_mnist(tmp_path, gz=gz)
    X, y = data.load_mnist(tmp_path)
    assert X.shape == (3, 4) and X.dtype == np.float32
    assert X[1].tolist() == pytest.approx([80 / 255, 100 / 255, 120 / 255, 140 / 255])
    assert y.tolist() == [7, 0, 9] and y.dtype == np.int64
    raw, _ = data.load_mnist(tmp_path, flatten=False, normalize=False)
    assert raw.shape == (3, 2, 2) and np.array_equal(raw, IMAGES)


def test_load_mnist_test_split_and_dotted_names(tmp_path):
    (tmp_path / "t10k-images.idx3-ubyte").write_bytes(idx_bytes(IMAGES))
    (tmp_path / "t10k-labels.idx1-ubyte").write_bytes(idx_bytes(LABELS))
    _, y = data.load_mnist(tmp_path, split="test")
    assert y.tolist() == [7, 0, 9]
    with pytest.raises(FileNotFoundError, match="no train-images-idx3-ubyte file.*looked for"):
        data.load_mnist(tmp_path, split="train")
    with pytest.raises(ValueError, match="split must be"):
        data.load_mnist(tmp_path, split="val")


def test_read_idx_handles_other_element_types(tmp_path):
    ints = np.array([[-1, 2**30], [5, -7]], dtype=np.int32)
    (tmp_path / "a").write_bytes(idx_bytes(ints, 0x0C))
    assert np.array_equal(data.read_idx(tmp_path / "a"), ints)
    floats = np.array([1.5, -2.25], dtype=np.float32)
    (tmp_path / "b").write_bytes(idx_bytes(floats, 0x0D))
    assert data.read_idx(tmp_path / "b").tolist() == [1.5, -2.25]


def test_wrong_magic_number_is_a_clear_error(tmp_path):
    bad = b"\x00\x01" + idx_bytes(IMAGES)[2:]
    write_mnist(tmp_path, images=bad)
    with pytest.raises(ValueError, match="not an IDX file: bad magic number 0001"):
        data.load_mnist(tmp_path)
    write_mnist(tmp_path, images=b"\x00\x00\x42\x03" + idx_bytes(IMAGES)[4:])  # unknown type
    with pytest.raises(ValueError, match="bad magic number"):
        data.load_mnist(tmp_path)


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_file_is_a_clear_error(tmp_path, gz):
    write_mnist(tmp_path, gz=gz, images=idx_bytes(IMAGES)[:-1])
    with pytest.raises(ValueError, match=r"truncated IDX data: shape \(3, 2, 2\) needs 12 bytes"):
        data.load_mnist(tmp_path)
    write_mnist(tmp_path, gz=gz, images=idx_bytes(IMAGES)[:9])
    with pytest.raises(ValueError, match="truncated IDX header"):
        data.load_mnist(tmp_path)


def test_truncated_gzip_stream_is_a_clear_error(tmp_path):
    write_mnist(tmp_path, gz=True)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-6])
    with pytest.raises(ValueError, match="damaged or truncated gzip"):
        data.load_mnist(tmp_path)


def test_size_mismatches_are_clear_errors(tmp_path):
    write_mnist(tmp_path, labels=idx_bytes(LABELS[:2]))
    with pytest.raises(ValueError, match="size mismatch: .* 3 images but .* 2 labels"):
        data.load_mnist(tmp_path)
    write_mnist(tmp_path, images=idx_bytes(IMAGES) + b"\x00")
    with pytest.raises(ValueError, match="size mismatch: .* has 1 more"):
        data.load_mnist(tmp_path)
    write_mnist(tmp_path, images=idx_bytes(LABELS))
    with pytest.raises(ValueError, match="images need 3 dimensions"):
        data.load_mnist(tmp_path)


# ---------------------------------------------------------------------------- batches, split


def test_batches_cover_the_data_once_with_a_short_last_batch():
    X, y = np.arange(20).reshape(10, 2), np.arange(10)
    got = list(data.batches(X, y, batch_size=4, seed=0))
    assert [len(yb) for _, yb in got] == [4, 4, 2]
    assert sorted(np.concatenate([yb for _, yb in got]).tolist()) == list(range(10))
    for Xb, yb in got:  # rows stay paired with their labels
        assert np.array_equal(Xb[:, 0], 2 * yb)


def test_batches_order_options():
    X, y = np.arange(10).reshape(10, 1), np.arange(10)
    in_order = [yb.tolist() for _, yb in data.batches(X, y, 5, shuffle=False)]
    assert in_order == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    a = [yb.tolist() for _, yb in data.batches(X, y, 3, seed=1)]
    b = [yb.tolist() for _, yb in data.batches(X, y, 3, seed=1)]
    assert a == b and a != in_order
    assert [len(yb) for _, yb in data.batches(X, y, 3, drop_last=True)] == [3, 3, 3]
    assert [len(yb) for _, yb in data.batches(X, y, None)] == [10]


def test_batches_reject_bad_input():
    with pytest.raises(ValueError, match="X has 3 samples but y has 2"):
        list(data.batches(np.zeros((3, 2)), np.zeros(2), 2))
    with pytest.raises(ValueError, match="empty dataset"):
        list(data.batches(np.zeros((0, 2)), np.zeros(0), 2))
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        list(data.batches(np.zeros((3, 2)), np.zeros(3), 0))


@settings(max_examples=50)
@given(st.integers(1, 40), st.integers(1, 50), st.integers(0, 1000))
def test_batches_partition_the_indices(n, size, seed):
    y = np.arange(n)
    seen = np.concatenate([yb for _, yb in data.batches(np.zeros((n, 1)), y, size, seed=seed)])
    assert sorted(seen.tolist()) == list(range(n))


def test_train_test_split_is_seeded_disjoint_and_complete():
    X, y = np.arange(20).reshape(10, 2), np.arange(10)
    X_tr, X_te, y_tr, y_te = data.train_test_split(X, y, test_size=0.3, seed=0)
    assert len(y_te) == 3 and len(y_tr) == 7
    assert sorted(np.concatenate([y_tr, y_te]).tolist()) == list(range(10))
    assert np.array_equal(X_te[:, 0], 2 * y_te)
    again = data.train_test_split(X, y, test_size=0.3, seed=0)
    assert np.array_equal(again[3], y_te)
    assert len(data.train_test_split(X, y, test_size=4)[3]) == 4
    with pytest.raises(ValueError, match="leaves an empty part"):
        data.train_test_split(X, y, test_size=10)
    with pytest.raises(ValueError, match="test_size must be"):
        data.train_test_split(X, y, test_size=1.5)
