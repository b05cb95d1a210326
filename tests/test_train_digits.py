"""examples/train_digits.py: a 64-128-10 ReLU network on the Tensor engine learns the digits.

The issue's bar: at least 97% test accuracy after 30 epochs of Adam, on an 80/20 split with a
fixed seed. The run is deterministic for a given seed (split, initial weights, batch order);
``DEFAULT_SEED`` = 0 gives 98.3%, and seeds 0-19 give 97.2% to 98.6% (97.9% on average).
"""

from __future__ import annotations

import importlib.util
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

import nn
from autograd import Tensor

SCRIPT = Path(__file__).resolve().parent.parent / "examples" / "train_digits.py"


def load_script():
    spec = importlib.util.spec_from_file_location("train_digits", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("train_digits", module)  # dataclasses look the module up by name
    spec.loader.exec_module(module)
    return module


train_digits = load_script()


def test_digits_reach_97_percent_test_accuracy_in_30_epochs_of_adam():
    result = train_digits.train_digits(progress=False)  # DEFAULT_SEED, lr 1e-3, batch 32
    model = result.model
    assert isinstance(model, nn.Sequential)
    assert [(layer.nin, layer.nout) for layer in (model[0], model[2])] == [(64, 128), (128, 10)]
    assert all(isinstance(p, Tensor) for p in model.parameters())
    assert result.history.epochs == 30
    assert result.history.loss[-1] < result.history.loss[0] / 10  # it learned
    # 360 test images (20% of 1797, rounded up): 97% means at least 350 right.
    assert result.test_accuracy >= 0.97, f"test accuracy {result.test_accuracy:.2%}"


def test_standardize_uses_one_mean_and_std_from_the_training_pixels():
    X_train = np.array([[0.0, 2.0], [2.0, 4.0]])  # all pixels: mean 2, std sqrt((4+0+0+4)/4)
    X_test = np.array([[2.0 + 2**0.5, 2.0]])
    a, b = train_digits.standardize(X_train, X_test)
    s = 2**0.5
    np.testing.assert_allclose(a, [[-2 / s, 0.0], [0.0, 2 / s]])
    np.testing.assert_allclose(b, [[1.0, 0.0]])  # the test image uses the training numbers


def write_idx(path: Path, array: np.ndarray) -> None:
    """An IDX file: 0, 0, type 0x08 (uint8), ndim; one big-endian uint32 per dim; the bytes."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def fake_mnist(folder: Path, n_train: int = 200, n_test: int = 50) -> None:
    """Four IDX files of 28x28 images: digit k lights rows 2k and 2k+1, plus random ink."""
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, n)
        images = np.where(rng.random((n, 28, 28)) < 0.05, 255, 0)
        for i, k in enumerate(labels):
            images[i, 2 * k : 2 * k + 2, 4:24] = 255
        write_idx(folder / f"{prefix}-images-idx3-ubyte", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte", labels)


def test_the_same_script_trains_784_128_10_on_mnist_idx_files(tmp_path, capsys):
    fake_mnist(tmp_path)
    result = train_digits.train_mnist(tmp_path, epochs=3, progress=False)
    assert (result.model[0].nin, result.model[2].nout) == (784, 10)
    assert result.test_accuracy >= 0.9  # the row pattern is easy; random guessing gives 10%

    assert train_digits.main(["--mnist", str(tmp_path), "--epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert "Linear(784 -> 128)" in out and "MNIST: test accuracy" in out


def test_without_the_idx_files_the_script_says_what_is_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="no train-images-idx3-ubyte file"):
        train_digits.main(["--mnist", str(tmp_path)])
