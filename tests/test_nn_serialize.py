"""nn.save / nn.load in the safetensors format, and every way a file can be damaged."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nn
from autograd import Value
from nn.module import Module
from nn.serialize import (
    MAX_HEADER,
    SafetensorsError,
    read_metadata,
    read_safetensors,
    write_safetensors,
)


def raw_file(header: dict | bytes, body: bytes = b"", length: int | None = None) -> bytes:
    """A safetensors file by the format's definition: u64 length, JSON header, data."""
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(text) if length is None else length) + text + body


def same_state(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


# ---------------------------------------------------------------------------- round trips


def test_save_then_load_restores_the_weights_and_outputs(tmp_path):
    trained = nn.MLP(2, [4, 1], seed=1)
    path = nn.save(trained, tmp_path / "model.safetensors")
    fresh = nn.MLP(2, [4, 1], seed=2)
    assert nn.load(fresh, path) is fresh
    assert same_state(fresh.state(), trained.state())
    assert fresh([0.3, -0.7]).data == trained([0.3, -0.7]).data


def test_the_file_is_plain_safetensors_with_pytorch_linear_names(tmp_path):
    model = nn.MLP(2, [3, 1], seed=0)
    raw = nn.save(model, tmp_path / "m.safetensors").read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    assert n % 8 == 0  # padded so that the data starts 8-byte aligned
    assert header["__metadata__"] == {"format": "gradflow", "model": "MLP"}
    assert header["layers.0.weight"] == {"dtype": "F64", "shape": [3, 2], "data_offsets": [0, 48]}
    assert header["layers.0.bias"]["data_offsets"] == [48, 72]
    assert header["layers.1.weight"]["shape"] == [1, 3]
    # The data: row-major little-endian float64, layer 0's weight first.
    w = np.frombuffer(raw[8 + n : 8 + n + 48], dtype="<f8").reshape(3, 2)
    assert np.array_equal(w, model.state()["layers.0.weight"])
    assert len(raw) == 8 + n + 8 * (6 + 3 + 3 + 1)


def test_a_hand_written_file_is_read(tmp_path):
    header = {
        "b": {"dtype": "I32", "shape": [], "data_offsets": [8, 12]},
        "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
    }
    path = tmp_path / "x.safetensors"
    path.write_bytes(raw_file(header, struct.pack("<2fi", 1.5, -2.0, 7)))
    arrays = read_safetensors(path)
    assert list(arrays) == ["b", "a"]  # the header's order
    assert arrays["a"].dtype == np.float32 and arrays["a"].tolist() == [1.5, -2.0]
    assert arrays["b"].shape == () and int(arrays["b"]) == 7
    assert read_metadata(path) == {}


@settings(max_examples=30)
@given(
    st.dictionaries(
        st.text("abcdefgh.", min_size=1, max_size=8),
        hnp.arrays(
            st.sampled_from([np.float64, np.float32, np.int64, np.uint8, np.bool_]),
            hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
        ),
        max_size=4,
    )
)
def test_write_then_read_returns_the_same_arrays(tmp_path_factory, arrays):
    path = tmp_path_factory.mktemp("st") / "a.safetensors"
    write_safetensors(path, arrays)
    back = read_safetensors(path)
    assert list(back) == list(arrays)
    for k, v in arrays.items():
        assert back[k].dtype == v.dtype and back[k].shape == v.shape
        assert np.array_equal(back[k], v, equal_nan=v.dtype.kind == "f")


class FakeTensor:
    def __init__(self, data: np.ndarray) -> None:
        self.data, self.grad, self.requires_grad = data, None, True


class TensorLinear(Module):
    """A module with array parameters, as the Tensor nn.Linear will have."""

    def __init__(self) -> None:
        self.weight = FakeTensor(np.arange(6, dtype=np.float32).reshape(3, 2))
        self.bias = FakeTensor(np.zeros(3, dtype=np.float32))


def test_modules_with_array_parameters_save_and_load_through_the_default_state(tmp_path):
    path = nn.save(TensorLinear(), tmp_path / "t.safetensors")
    raw = path.read_bytes()
    header = json.loads(raw[8 : 8 + struct.unpack("<Q", raw[:8])[0]])
    assert header["weight"]["dtype"] == "F32" and header["weight"]["shape"] == [3, 2]
    other = TensorLinear()
    weight = other.weight.data
    weight[...] = -1.0
    nn.load(other, path)
    assert other.weight.data is weight and weight.tolist() == [[0, 1], [2, 3], [4, 5]]


# ---------------------------------------------------------------------------- bad files


def write(tmp_path: Path, raw: bytes) -> Path:
    path = tmp_path / "bad.safetensors"
    path.write_bytes(raw)
    return path


def good_bytes() -> bytes:
    header = {
        "__metadata__": {"format": "gradflow"},
        "layers.0.weight": {"dtype": "F64", "shape": [1, 2], "data_offsets": [0, 16]},
        "layers.0.bias": {"dtype": "F64", "shape": [1], "data_offsets": [16, 24]},
    }
    return raw_file(header, struct.pack("<3d", 1.0, 2.0, 3.0))


def entry(dtype: str = "F64", shape: list | None = None, offsets: list | None = None) -> dict:
    return {"dtype": dtype, "shape": [1] if shape is None else shape, "data_offsets": offsets}


BAD_FILES = {
    "empty": (b"", "empty or too short"),
    "seven bytes": (b"\x01" * 7, "empty or too short"),
    "huge header length": (raw_file({}, length=2**63), "larger than the limit"),
    "header past the end": (raw_file(b"{}", length=1000), "runs past the end of the file"),
    "not json": (raw_file(b"{not json"), "not valid UTF-8 JSON"),
    "not utf-8": (raw_file(b'{"\xff": 1}'), "not valid UTF-8 JSON"),
    "not an object": (raw_file(b"[1, 2]"), "must be a JSON object"),
    "bad metadata": (raw_file({"__metadata__": {"a": 1}}), "__metadata__ must be"),
    "unknown dtype": (raw_file({"x": entry("Q8", offsets=[0, 8])}, b"\0" * 8), "unsupported dtype"),
    "negative dim": (raw_file({"x": entry(shape=[-1], offsets=[0, 8])}, b"\0" * 8), "shape must"),
    "missing field": (raw_file({"x": {"dtype": "F64", "shape": [1]}}, b"\0" * 8), "exactly dtype"),
    "offsets not a pair": (raw_file({"x": entry(offsets=[0])}, b"\0" * 8), "data_offsets must"),
    "offsets backwards": (raw_file({"x": entry(offsets=[8, 0])}, b"\0" * 8), "end before"),
    "offsets out of range": (
        raw_file({"x": entry(offsets=[0, 2**40])}, b"\0" * 8),
        "run past the end of the data",
    ),
    "size does not fit shape": (
        raw_file({"x": entry(shape=[2], offsets=[0, 8])}, b"\0" * 8),
        "needs 16 bytes, but data_offsets",
    ),
    "overlapping": (
        raw_file({"x": entry(offsets=[0, 8]), "y": entry(offsets=[4, 12])}, b"\0" * 12),
        "overlap",
    ),
    "same range twice": (
        raw_file({"x": entry(offsets=[0, 8]), "y": entry(offsets=[0, 8])}, b"\0" * 8),
        "overlap",
    ),
    "gap": (raw_file({"x": entry(offsets=[8, 16])}, b"\0" * 16), "gap of unused bytes"),
    "trailing bytes": (raw_file({"x": entry(offsets=[0, 8])}, b"\0" * 9), "1 bytes of data after"),
    "duplicate name": (
        raw_file(
            b'{"x": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}, "x": {}}', b"\0" * 8
        ),
        "names 'x' twice",
    ),
    "truncated body": (good_bytes()[:-3], "truncated"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_damaged_file_is_a_clear_error_and_leaves_the_model_unchanged(tmp_path, case):
    raw, match = BAD_FILES[case]
    model = nn.MLP(2, [1], seed=0)
    before = model.state()
    with pytest.raises(SafetensorsError, match=match):
        nn.load(model, write(tmp_path, raw))
    assert same_state(model.state(), before)


def test_the_good_reference_file_does_load(tmp_path):
    model = nn.MLP(2, [1], seed=0)
    nn.load(model, write(tmp_path, good_bytes()))
    assert model.state()["layers.0.weight"].tolist() == [[1.0, 2.0]]
    assert model.state()["layers.0.bias"].tolist() == [3.0]


def test_a_missing_key_names_it_and_leaves_the_model_unchanged(tmp_path):
    state = nn.MLP(2, [3, 1], seed=0).state()
    del state["layers.1.bias"]
    path = write_safetensors(tmp_path / "m.safetensors", state)
    model = nn.MLP(2, [3, 1], seed=5)
    before = model.state()
    with pytest.raises(ValueError, match=r"missing keys \['layers.1.bias'\]"):
        nn.load(model, path)
    assert same_state(model.state(), before)


def test_a_wrong_shape_names_the_parameter_and_leaves_the_model_unchanged(tmp_path):
    path = nn.save(nn.MLP(2, [4, 1], seed=0), tmp_path / "wide.safetensors")
    model = nn.MLP(2, [3, 1], seed=5)
    before = model.state()
    with pytest.raises(
        ValueError, match=r"shape mismatch for 'layers.0.weight'.*\(3, 2\).*\(4, 2\)"
    ):
        nn.load(model, path)
    assert same_state(model.state(), before)


def test_the_header_limit_is_the_reference_one():
    assert MAX_HEADER == 100 * 1024 * 1024


def test_writing_rejects_what_safetensors_cannot_hold(tmp_path):
    with pytest.raises(ValueError, match="no safetensors equivalent"):
        write_safetensors(tmp_path / "c.safetensors", {"z": np.zeros(2, dtype=np.complex128)})
    with pytest.raises(ValueError, match="reserved"):
        write_safetensors(tmp_path / "c.safetensors", {"__metadata__": np.zeros(1)})


def test_a_scalar_module_of_single_values_saves_zero_d_arrays(tmp_path):
    class Line(Module):
        def __init__(self) -> None:
            self.slope, self.intercept = Value(2.0), Value(-1.0)

    path = nn.save(Line(), tmp_path / "line.safetensors")
    assert {k: v.shape for k, v in read_safetensors(path).items()} == {
        "slope": (),
        "intercept": (),
    }
    other = Line()
    other.slope.data = 0.0
    nn.load(other, path)
    assert other.slope.data == 2.0
