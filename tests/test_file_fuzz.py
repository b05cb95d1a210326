"""Damaged files, on purpose and at random: ``nn.load`` and ``nn.data.load_mnist``.

test_nn_serialize.py and test_nn_data.py check one file per kind of damage, with the exact
message. This file throws many files at the readers, each under three guards:

- a clear exception: a ValueError (``SafetensorsError`` is one) and nothing else: no
  KeyError, RecursionError, OverflowError, MemoryError or struct.error from inside;
- no hang: the work a read does grows linearly with the header, counted in Python steps and
  in string comparisons, never timed (a quadratic check on a header of 50,000 names used to
  take 40 s); see ``test_a_header_of_n_names_is_checked_in_linear_steps``;
- no huge allocation: the peak traced memory of a read stays under 16 MB plus 20 times the
  size of the files read (parsing a JSON header costs about 15 times its size), whatever
  size the file declares (a 200 kB gzip file used to inflate to 450 MB);
- a model whose load fails is left exactly as it was.

A damaged file may still be a valid one (a flipped bit in the data is just another weight):
then the load succeeds, and the model must hold exactly what the file says. Every random case
is seeded, so a failure is reproduced by running the test again; the counts are fixed.
"""

from __future__ import annotations

import gzip
import json
import re
import struct
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nn
from nn.serialize import SafetensorsError, _no_duplicates, read_safetensors

MAX_PEAK = 16 * 1024 * 1024  # bytes a read may allocate at its peak, plus 20 x the file size


def guarded(read: Callable[[], Any], *files: Path) -> tuple[Any, Exception | None]:
    """(result, None) or (None, the ValueError raised) of one read of ``files``.

    Any exception other than a ValueError propagates and fails the test, naming its type.
    """
    size = sum(f.stat().st_size for f in files)
    tracemalloc.start()
    try:
        try:
            return read(), None
        except ValueError as e:
            return None, e
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        limit = MAX_PEAK + 20 * size
        assert peak < limit, f"reading {size} bytes allocated {peak / 1e6:.0f} MB at its peak"


# ----------------------------------------------------------------------------- safetensors


def scalar_model() -> nn.MLP:
    return nn.MLP(2, [3, 1], seed=0)


def tensor_model() -> nn.Sequential:
    return nn.Sequential(nn.Linear(2, 3, seed=0), nn.ReLU(), nn.Linear(3, 1, seed=1))


MODELS = {"MLP": scalar_model, "Sequential": tensor_model}


def header_length(raw: bytes) -> int:
    return int.from_bytes(raw[:8], "little")


def with_header(header: bytes | dict, body: bytes = b"", length: int | None = None) -> bytes:
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(text) if length is None else length) + text + body


def same_state(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)


def load_checked(make: Callable[[], Any], path: Path) -> Exception | None:
    """nn.load into a fresh model under the guards; the ValueError, or None if it loaded.

    On an error the model must be unchanged; after a load it must hold what the file holds.
    """
    model = make()
    before = model.state()
    _, error = guarded(lambda: nn.load(model, path), path)
    after = model.state()
    if error is not None:
        assert str(path) in str(error), f"the message does not name the file: {error}"
        assert same_state(after, before), "a failed load changed the model"
    else:
        stored = read_safetensors(path)
        assert same_state(after, {k: v.astype(np.float64) for k, v in stored.items()})
        assert {k: v.shape for k, v in after.items()} == {k: v.shape for k, v in before.items()}
    return error


def one_name(make: Callable[[], Any]) -> list[str]:
    return list(make().state())


def targeted(make: Callable[[], Any]) -> dict[str, bytes]:
    """Hand-made damage: each kind the issue names, and the ones that used to get through."""
    names = one_name(make)
    valid_entry = {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}
    return {
        "empty": b"",
        "wrong magic (an IDX file)": bytes([0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3]),
        "header length 2**64 - 1": with_header({}, length=2**64 - 1),
        "header length one past the end": with_header(b"{}", length=3),
        "huge declared shape": with_header(
            {names[0]: {"dtype": "F64", "shape": [2**31, 2**31], "data_offsets": [0, 8]}},
            b"\0" * 8,
        ),
        "huge declared offsets": with_header(
            {names[0]: {"dtype": "F64", "shape": [2**60], "data_offsets": [0, 2**63]}}, b"\0" * 8
        ),
        "overlapping offsets": with_header(
            {n: {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]} for n in names}, b"\0" * 8
        ),
        "JSON nested 100,000 deep (array)": with_header(b"[" * 100_000 + b"]" * 100_000),
        "JSON nested 50,000 deep (object)": with_header(b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
        "an integer of 5,000 digits": with_header(
            b'{"x": {"dtype": "F64", "shape": [1], "data_offsets": [0, 1' + b"0" * 5000 + b"]}}"
        ),
        "70 dimensions": with_header(
            {"x": {"dtype": "F64", "shape": [1] * 70, "data_offsets": [0, 8]}}, b"\0" * 8
        ),
        "a dimension past 2**63 beside a 0": with_header(
            {"x": {"dtype": "F64", "shape": [0, 2**70], "data_offsets": [0, 0]}}
        ),
        "NaN and Infinity in the header": with_header(
            b'{"x": {"dtype": "F64", "shape": [NaN], "data_offsets": [0, Infinity]}}'
        ),
        "a valid file that is not this model's": with_header({"x": valid_entry}, b"\0" * 8),
    }


@pytest.mark.parametrize("kind", list(MODELS))
def test_targeted_damage_is_a_clear_error_without_a_hang_or_a_huge_allocation(tmp_path, kind):
    make = MODELS[kind]
    for case, raw in targeted(make).items():
        path = tmp_path / "damaged.safetensors"
        path.write_bytes(raw)
        error = load_checked(make, path)
        assert error is not None, f"{case}: loaded"
        assert isinstance(error, SafetensorsError) or "state does not match" in str(error), case


def python_steps(work: Callable[[], Any]) -> int:
    """How many lines of Python ``work`` runs: a measure of work that, unlike a duration,
    is the same on a fast machine and on a loaded one."""
    steps = 0

    def trace(frame: Any, event: str, arg: Any) -> Any:
        nonlocal steps
        steps += event == "line"
        return trace

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        work()
    finally:
        sys.settrace(previous)
    return steps


def many_names(n: int) -> dict[str, dict]:
    return {f"k{i}": {"dtype": "F64", "shape": [0], "data_offsets": [0, 0]} for i in range(n)}


def test_a_header_of_n_names_is_checked_in_linear_steps(tmp_path):
    # Reading a header of 4n names and refusing it must cost about 4 times what n names cost,
    # not 16 times: the duplicate-name check used to compare every name with every other.
    def steps(n: int) -> int:
        path = tmp_path / f"many{n}.safetensors"
        path.write_bytes(with_header(many_names(n)))
        model = scalar_model()

        def load() -> None:
            with pytest.raises(ValueError, match=r"unexpected keys \['k0', 'k1'"):
                nn.load(model, path)

        return python_steps(load)

    small, large = steps(2_000), steps(8_000)
    assert small > 2_000  # the count sees the per-name work
    assert large <= 4.2 * small, f"{small} steps for 2,000 names but {large} for 8,000"


class CountedName(str):
    """A name that counts how often it is hashed or compared: the work of a duplicate check."""

    operations = 0

    def __hash__(self) -> int:
        CountedName.operations += 1
        return str.__hash__(self)

    def __eq__(self, other: object) -> bool:
        CountedName.operations += 1
        return str.__eq__(self, other)


@pytest.mark.parametrize("duplicate", [False, True])
def test_the_duplicate_name_check_compares_each_name_a_bounded_number_of_times(duplicate):
    # The JSON parser hands the checker (name, entry) pairs; comparing every name with every
    # other (even inside C, as `name in a_list` does) would count n**2 operations here.
    n = 3_000  # a quadratic check would count 9,000,000 here (and fail within seconds)
    pairs = [(CountedName(f"k{i}"), {}) for i in range(n)]
    if duplicate:
        pairs.append((CountedName("k0"), {}))
    CountedName.operations = 0
    if duplicate:
        with pytest.raises(SafetensorsError, match="names 'k0' twice"):
            _no_duplicates(pairs)
    else:
        assert len(_no_duplicates(pairs)) == n
    assert CountedName.operations <= 4 * (n + 1)


def test_a_header_of_50_000_names_is_refused_by_name(tmp_path):
    path = tmp_path / "many.safetensors"
    path.write_bytes(with_header(many_names(50_000)))
    error = load_checked(scalar_model, path)
    assert error is not None and "unexpected keys ['k0', 'k1'" in str(error)


@pytest.mark.parametrize("kind", list(MODELS))
def test_every_truncation_of_a_valid_file_is_a_clear_error(tmp_path, kind):
    make = MODELS[kind]
    good = tmp_path / "good.safetensors"
    nn.save(make(), good)
    raw = good.read_bytes()
    path = tmp_path / "cut.safetensors"
    for n in range(len(raw)):  # every prefix: the empty file, inside the header, in the data
        path.write_bytes(raw[:n])
        assert isinstance(load_checked(make, path), SafetensorsError), f"cut at {n}"
    path.write_bytes(raw)
    assert load_checked(make, path) is None  # the whole file loads


def mutate(raw: bytes, rng: np.random.Generator) -> bytes:
    """One random change: flip bytes, splice a number into the header, insert, delete, or
    rewrite the length prefix. Most land in the header, where the checks are."""
    b = bytearray(raw)
    end = min(len(b), 8 + header_length(raw))
    kind = rng.integers(6)
    if kind == 0:  # flip 1 to 8 bytes anywhere
        for i in rng.integers(0, len(b), size=rng.integers(1, 9)):
            b[i] = int(rng.integers(256))
    elif kind == 1:  # a printable character in the header
        b[int(rng.integers(8, end))] = int(rng.choice(list(b'{}[]",:0123456789-eE. aFx')))
    elif kind == 2:  # a number of the header replaced, the length prefix kept right or not
        text = bytes(b[8:end])
        numbers = list(re.finditer(rb"\d+", text))
        m = numbers[int(rng.integers(len(numbers)))]
        new = str(rng.choice([0, 1, 7, 2**31, 2**32 + 8, 2**63, 2**64, -8, 10**30])).encode()
        text = text[: m.start()] + new + text[m.end() :]
        length = len(text) if rng.random() < 0.7 else header_length(raw)
        b = bytearray(struct.pack("<Q", length) + text + bytes(b[end:]))
    elif kind == 3:  # insert 1 to 16 random bytes
        i = int(rng.integers(len(b) + 1))
        b[i:i] = rng.integers(0, 256, size=rng.integers(1, 17), dtype=np.uint8).tobytes()
    elif kind == 4:  # delete a range
        i = int(rng.integers(len(b)))
        del b[i : i + int(rng.integers(1, 17))]
    else:  # a random length prefix
        b[:8] = struct.pack("<Q", int(rng.integers(0, 2**63)) >> int(rng.integers(0, 63)))
    return bytes(b)


MUTATIONS = 400


@pytest.mark.parametrize("kind", list(MODELS))
def test_random_mutations_of_a_valid_file_load_exactly_or_fail_clearly(tmp_path, kind):
    make = MODELS[kind]
    good = tmp_path / "good.safetensors"
    nn.save(make(), good)
    raw = good.read_bytes()
    rng = np.random.default_rng(7)
    path = tmp_path / "mutated.safetensors"
    outcomes = {"error": 0, "loaded": 0}
    for _ in range(MUTATIONS):
        path.write_bytes(mutate(raw, rng))
        outcomes["error" if load_checked(make, path) else "loaded"] += 1
    assert sum(outcomes.values()) == MUTATIONS
    assert outcomes["error"] > MUTATIONS // 2  # most damage is detected, not silently loaded


RANDOM_FILES = 200


def test_random_bytes_are_never_loaded(tmp_path):
    rng = np.random.default_rng(11)
    path = tmp_path / "noise.safetensors"
    for i in range(RANDOM_FILES):
        body = rng.integers(0, 256, size=rng.integers(0, 4096), dtype=np.uint8).tobytes()
        if i % 2:  # half of them with a length prefix that fits, so the noise reaches the parser
            body = struct.pack("<Q", len(body)) + body
        path.write_bytes(body)
        assert isinstance(load_checked(scalar_model, path), SafetensorsError)


# ----------------------------------------------------------------------------- IDX / MNIST


IMAGES = (np.arange(5 * 4 * 4) * 3 % 256).astype(np.uint8).reshape(5, 4, 4)
LABELS = np.array([3, 1, 4, 1, 5], dtype=np.uint8)


def idx(array: np.ndarray, code: int = 0x08, dims: tuple[int, ...] | None = None) -> bytes:
    dims = array.shape if dims is None else dims
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + array.tobytes()


def write_mnist(folder: Path, images: bytes, labels: bytes, gz: bool) -> None:
    for stem, raw in (("train-images-idx3-ubyte", images), ("train-labels-idx1-ubyte", labels)):
        for old in folder.glob(f"{stem}*"):
            old.unlink()
        if gz:
            (folder / f"{stem}.gz").write_bytes(gzip.compress(raw, mtime=0))
        else:
            (folder / stem).write_bytes(raw)


def mnist_checked(folder: Path) -> Exception | None:
    """load_mnist under the guards: the ValueError, or None after checking what it read."""
    result, error = guarded(lambda: nn.data.load_mnist(folder), *folder.iterdir())
    if error is not None:
        assert "-ubyte" in str(error), f"the message does not name the file: {error}"
    else:
        X, y = result
        assert X.ndim == 2 and len(X) == len(y) and X.dtype == np.float32
        assert ((X >= 0) & (X <= 1)).all() and y.dtype == np.int64
    return error


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_targeted_idx_damage_is_a_clear_error(tmp_path, gz):
    good_images, good_labels = idx(IMAGES), idx(LABELS)
    cases = {
        "empty": b"",
        "wrong magic": b"\x01\x02" + good_images[2:],
        "unknown type byte": b"\x00\x00\x42\x03" + good_images[4:],
        "huge declared size": idx(IMAGES, dims=(2**32 - 1,) * 3),
        "255 dimensions": bytes([0, 0, 8, 255]) + b"\0\0\0\0" * 255,
        "100 dimensions, one of them 0": bytes([0, 0, 8, 100]) + b"\0\0\0\0" * 100,
        "dims past the end": bytes([0, 0, 8, 3, 0, 0]),
        "labels for a different count": None,
    }
    for case, raw in cases.items():
        if raw is None:
            write_mnist(tmp_path, good_images, idx(LABELS[:4]), gz)
        else:
            write_mnist(tmp_path, raw, good_labels, gz)
        assert mnist_checked(tmp_path) is not None, case
    write_mnist(tmp_path, good_images, good_labels, gz)
    assert mnist_checked(tmp_path) is None


def test_a_gzip_bomb_is_refused_without_inflating_it(tmp_path):
    # 8 declared bytes, then 200 MB of zeros: about 200 kB compressed.
    bomb = bytes([0, 0, 8, 1, 0, 0, 0, 8]) + b"\0" * 200_000_000
    write_mnist(tmp_path, idx(IMAGES), bomb, gz=True)
    error = mnist_checked(tmp_path)  # the guard: a peak under 16 MB, not 200 MB
    assert error is not None and "has more than 1048576 more" in str(error)


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_every_truncation_of_an_idx_file_is_a_clear_error(tmp_path, gz):
    images, labels = idx(IMAGES), idx(LABELS)
    for n in range(len(images)):
        write_mnist(tmp_path, images[:n], labels, gz)
        assert mnist_checked(tmp_path) is not None, f"images cut at {n}"
    for n in range(len(labels)):
        write_mnist(tmp_path, images, labels[:n], gz)
        assert mnist_checked(tmp_path) is not None, f"labels cut at {n}"


IDX_MUTATIONS = 300


@pytest.mark.parametrize("layer", ["plain", "gzip of the mutation", "mutation of the gzip"])
def test_random_mutations_of_idx_files_load_or_fail_clearly(tmp_path, layer):
    rng = np.random.default_rng(5)
    images, labels = idx(IMAGES), idx(LABELS)
    outcomes = {"error": 0, "loaded": 0}
    for _ in range(IDX_MUTATIONS):
        which = rng.integers(2)
        raw = bytearray(images if which == 0 else labels)
        if layer == "mutation of the gzip":
            raw = bytearray(gzip.compress(bytes(raw), mtime=0))
        for i in rng.integers(0, min(len(raw), 24), size=rng.integers(1, 4)):  # the header
            raw[i] = int(rng.integers(256))
        if rng.random() < 0.3:  # and sometimes a cut or an extra byte at the end
            raw = raw[: int(rng.integers(len(raw)))] if rng.random() < 0.5 else raw + b"\x07"
        pair = (bytes(raw), labels) if which == 0 else (images, bytes(raw))
        if layer == "mutation of the gzip":
            for stem, content in zip(("images", "labels"), pair, strict=True):
                other = gzip.compress(content, mtime=0) if content in (images, labels) else content
                name = f"train-{stem}-idx{3 if stem == 'images' else 1}-ubyte.gz"
                (tmp_path / name).write_bytes(other)
        else:
            write_mnist(tmp_path, *pair, gz=layer != "plain")
        outcomes["error" if mnist_checked(tmp_path) else "loaded"] += 1
    assert sum(outcomes.values()) == IDX_MUTATIONS and outcomes["error"] > IDX_MUTATIONS // 2


def test_random_bytes_are_never_read_as_mnist(tmp_path):
    rng = np.random.default_rng(13)
    labels = idx(LABELS)
    for i in range(RANDOM_FILES):
        noise = rng.integers(0, 256, size=rng.integers(0, 2048), dtype=np.uint8).tobytes()
        if i % 2:  # half with a valid magic number, so the noise reaches the dimensions
            noise = bytes([0, 0, 8, 3]) + noise
        write_mnist(tmp_path, noise, labels, gz=bool(i % 4 == 1))
        assert mnist_checked(tmp_path) is not None
