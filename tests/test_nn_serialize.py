"""nn.save / nn.load in the safetensors format, and every way a file can be damaged."""

from __future__ import annotations

import json
import os
import stat
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from interrupting import SignallingParam

import nn
import nn.module as module_mod
from autograd import Value
from nn.module import Module
from nn.serialize import (
    MAX_HEADER,
    ArchitectureError,
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
    metadata = header["__metadata__"]
    assert metadata["format"] == "gradflow" and metadata["model"] == "MLP"
    assert json.loads(metadata["architecture"]) == {
        "module": "MLP",
        "nin": 2,
        "nouts": [3, 1],
        "activations": ["tanh", "linear"],
    }
    assert metadata["dtype"] == "float64" and metadata["gradflow_version"]
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


# ---------------------------------------------------------------------------- safe writes


def leftovers(folder: Path, keep: str) -> list[str]:
    """Files in ``folder`` other than ``keep``: a temporary file left behind would show here."""
    return sorted(p.name for p in folder.iterdir() if p.name != keep)


def test_save_never_follows_a_link_planted_at_a_temporary_name(tmp_path):
    # The old writer used the fixed name <path>.tmp: a link planted there had its target
    # overwritten. Now the temporary name is new for each write and created exclusively.
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    path = tmp_path / "m.safetensors"
    (tmp_path / "m.safetensors.tmp").symlink_to(victim)
    nn.save(nn.MLP(2, [1], seed=0), path)
    assert victim.read_text() == "precious"
    assert not path.is_symlink() and nn.load(nn.MLP(2, [1], seed=1), path)


def test_a_link_at_the_target_is_replaced_by_the_file_and_its_target_is_untouched(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    path = tmp_path / "m.safetensors"
    path.symlink_to(victim)
    nn.save(nn.MLP(2, [1], seed=0), path)
    assert victim.read_text() == "precious"
    assert not path.is_symlink() and read_safetensors(path)


def test_each_write_goes_through_its_own_temporary_file_in_the_target_folder(tmp_path, monkeypatch):
    renamed: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src: str, dst: str) -> None:
        renamed.append((str(src), str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    path = tmp_path / "m.safetensors"
    for seed in range(3):
        nn.save(nn.MLP(2, [1], seed=seed), path)
    sources = [Path(src) for src, _ in renamed]
    assert [dst for _, dst in renamed] == [str(path)] * 3
    assert all(src.parent == tmp_path for src in sources)  # a rename within one file system
    assert len({src.name for src in sources}) == 3  # never a fixed name
    assert leftovers(tmp_path, path.name) == []


def test_the_file_then_the_folder_are_flushed_to_disk(tmp_path, monkeypatch):
    flushed: list[str] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        kind = "folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"
        flushed.append(kind)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    nn.save(nn.MLP(2, [1], seed=0), tmp_path / "m.safetensors")
    assert flushed == ["file", "folder"]  # the data before the rename, the rename after it


@pytest.mark.parametrize("failure", [OSError("No space left on device"), KeyboardInterrupt()])
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(
    tmp_path, monkeypatch, failure
):
    path = nn.save(nn.MLP(2, [3, 1], seed=0), tmp_path / "m.safetensors")
    before = path.read_bytes()

    def fail(fd: int) -> None:
        raise failure

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(type(failure)):
        nn.save(nn.MLP(2, [3, 1], seed=1), path)
    assert path.read_bytes() == before
    assert leftovers(tmp_path, path.name) == []


def test_a_new_file_gets_the_usual_permissions_and_an_old_one_keeps_its_own(tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    path = nn.save(nn.MLP(2, [1], seed=0), tmp_path / "new.safetensors")
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # as open() would make it
    path.chmod(0o600)
    nn.save(nn.MLP(2, [1], seed=1), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


WRITER = """
import sys
import nn
path, seed, times = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
model = nn.MLP(2, [8, 8, 1], seed=seed)
for _ in range(times):
    nn.save(model, path)
"""


def test_concurrent_writers_and_readers_never_see_a_partial_file(tmp_path):
    # Three processes save three different models to one path, over and over, while this one
    # reads it: every read must be one whole file of one of the three (never an error, never
    # a 0-byte or half-written file), and no temporary file may remain.
    path = tmp_path / "shared.safetensors"
    states = {seed: nn.MLP(2, [8, 8, 1], seed=seed).state() for seed in range(3)}
    nn.save(nn.MLP(2, [8, 8, 1], seed=0), path)
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(seed), "60"], env=env)
        for seed in states
    ]
    reads, seen = 0, set()
    try:
        while any(w.poll() is None for w in writers) or reads < 20:
            arrays = read_safetensors(path)  # raises on a partial file
            matches = [seed for seed, state in states.items() if same_state(arrays, state)]
            assert len(matches) == 1, "a read saw a file that no writer wrote"
            seen.add(matches[0])
            reads += 1
    finally:
        codes = [w.wait() for w in writers]
    assert codes == [0, 0, 0]  # no writer failed either
    assert reads >= 20 and seen
    assert leftovers(tmp_path, path.name) == []


# ---------------------------------------------------------------------------- honest loads


def test_weights_of_a_tanh_model_do_not_load_into_a_relu_model_of_the_same_widths(tmp_path):
    path = nn.save(nn.MLP(2, [4, 1], activation="tanh", seed=0), tmp_path / "tanh.safetensors")
    relu = nn.MLP(2, [4, 1], activation="relu", seed=1)
    before = relu.state()
    with pytest.raises(ArchitectureError, match=r"activations: the file has \['tanh', 'linear'\]"
                       r", the model has \['relu', 'linear'\].*strict=False"):  # fmt: skip
        nn.load(relu, path)
    assert same_state(relu.state(), before)


def test_strict_false_loads_another_architecture_with_a_warning(tmp_path):
    tanh = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    path = nn.save(tanh, tmp_path / "tanh.safetensors")
    relu = nn.MLP(2, [4, 1], activation="relu", seed=1)
    with pytest.warns(UserWarning, match="different architecture.*loaded anyway"):
        nn.load(relu, path, strict=False)
    assert same_state(relu.state(), tanh.state())


def test_a_sequential_records_each_module_and_refuses_another_activation(tmp_path):
    saved = nn.Sequential(nn.Linear(2, 3, seed=0), nn.Tanh(), nn.Linear(3, 1, seed=1))
    path = nn.save(saved, tmp_path / "seq.safetensors")
    arch = json.loads(read_metadata(path)["architecture"])
    assert arch["children"]["0"] == {"module": "Linear", "nin": 2, "nout": 3, "bias": True}
    assert arch["children"]["1"] == {"module": "Tanh"}
    other = nn.Sequential(nn.Linear(2, 3, seed=2), nn.ReLU(), nn.Linear(3, 1, seed=3))
    with pytest.raises(ArchitectureError, match="children.1.module: the file has 'Tanh'"):
        nn.load(other, path)
    leaky = nn.Sequential(nn.Linear(2, 3), nn.LeakyReLU(0.2), nn.Linear(3, 1))
    path = nn.save(leaky, tmp_path / "leaky.safetensors")
    with pytest.raises(ArchitectureError, match="negative_slope: the file has 0.2"):
        nn.load(nn.Sequential(nn.Linear(2, 3), nn.LeakyReLU(0.1), nn.Linear(3, 1)), path)


def test_a_file_without_a_recorded_architecture_is_checked_by_names_and_shapes(tmp_path):
    state = nn.MLP(2, [3, 1], seed=0).state()
    path = write_safetensors(tmp_path / "plain.safetensors", state)  # no metadata at all
    model = nn.MLP(2, [3, 1], activation="relu", seed=1)
    nn.load(model, path)
    assert same_state(model.state(), state)


def test_a_recorded_architecture_that_is_not_json_is_a_safetensors_error(tmp_path):
    state = nn.MLP(2, [1], seed=0).state()
    path = write_safetensors(tmp_path / "m.safetensors", state, {"architecture": "{oops"})
    with pytest.raises(SafetensorsError, match="'architecture' is not valid JSON"):
        nn.load(nn.MLP(2, [1], seed=0), path)


def test_a_value_beyond_float32_is_an_error_not_inf(tmp_path):
    wide = nn.Sequential(nn.Linear(2, 2, seed=0))
    wide[0].weight.data[1, 0] = 1e300
    path = nn.save(wide, tmp_path / "f64.safetensors")
    small = nn.Sequential(nn.Linear(2, 2, seed=1, dtype=np.float32))
    before = small.state()
    with pytest.raises(ValueError, match=r"out of range for '0.weight': element 2 is 1e\+300"):
        nn.load(small, path)
    assert same_state(small.state(), before)
    # in range, float64 weights load into float32 (rounded), as PyTorch's load_state_dict does
    wide[0].weight.data[1, 0] = 0.5
    nn.load(small, nn.save(wide, path))
    assert small[0].weight.data.dtype == np.float32 and small[0].weight.data[1, 0] == 0.5


def test_a_shape_too_big_for_numpy_is_a_safetensors_error_even_when_empty(tmp_path):
    # No byte is needed for shape [0, 2**40, 2**40], but NumPy cannot make it: "array is too big".
    header = {"x": {"dtype": "F64", "shape": [0, 2**40, 2**40], "data_offsets": [0, 0]}}
    path = write(tmp_path, raw_file(header))
    with pytest.raises(SafetensorsError, match=r"'x': shape \[0, 1099511627776, .*too big"):
        read_safetensors(path)


def test_loading_gives_the_changed_parameters_a_new_version(tmp_path, monkeypatch):
    bumped: list[object] = []
    monkeypatch.setattr(module_mod, "bump_version", lambda *ps: bumped.extend(ps))
    model = nn.Sequential(nn.Linear(2, 3, seed=0), nn.ReLU(), nn.Linear(3, 1, seed=1))
    path = nn.save(model, tmp_path / "m.safetensors")
    nn.load(model, path)
    assert [id(p) for p in bumped] == [id(p) for p in model.parameters()]
    bumped.clear()
    with pytest.raises(SafetensorsError):
        nn.load(model, write(tmp_path, b""))
    assert bumped == []  # a failed load changes nothing, so nothing is bumped


@pytest.mark.parametrize("path", [None, b"m.safetensors", 3, ""])
def test_a_path_that_is_not_a_file_path_is_named(path):
    with pytest.raises((TypeError, ValueError), match="path must be a file path"):
        nn.save(nn.MLP(2, [1], seed=0), path)
    with pytest.raises((TypeError, ValueError), match="path must be a file path"):
        nn.load(nn.MLP(2, [1], seed=0), path)


class ThreeNumbers(Module):
    def __init__(self, values: tuple[float, float, float]) -> None:
        self.a = SignallingParam(values[0])
        self.b, self.c = Value(values[1]), Value(values[2])


def test_ctrl_c_while_loading_is_raised_after_every_weight_is_written(tmp_path):
    path = write_safetensors(tmp_path / "three.safetensors", ThreeNumbers((1.0, 2.0, 3.0)).state())
    model = ThreeNumbers((0.0, 0.0, 0.0))
    with pytest.raises(KeyboardInterrupt):
        nn.load(model, path)  # the first assignment signals: the other two must still happen
    assert (model.a.data, model.b.data, model.c.data) == (1.0, 2.0, 3.0)
