"""Compatibility: what must hold on every NumPy and Python we claim (``make test-matrix``).

NumPy 2 changed how a float32 array combines with a Python or NumPy scalar (NEP 50): before
it, ``np.float32(2) / 4`` was a float64. A float32 model must compute, and learn, in float32
on both, so these tests run in each venv of the matrix; the last two keep the claim honest:
the oldest NumPy the matrix runs is the floor pyproject.toml declares, and every Python the
project claims is tried.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import nn
from autograd import Tensor

ROOT = Path(__file__).resolve().parents[1]

F32 = np.float32
LOGITS = np.array([[0.5, -1.0, 2.0], [0.0, 0.3, -0.2]], dtype=F32)


def one_output() -> Tensor:
    return Tensor(np.array([0.2, -0.4], dtype=F32), requires_grad=True)


LOSSES = {
    "mse": lambda: (one_output(), nn.mse_loss, np.array([1.0, 0.0])),
    "bce": lambda: (
        Tensor(np.array([0.2, 0.9], dtype=F32), requires_grad=True),
        nn.binary_cross_entropy,
        np.array([0.0, 1.0]),
    ),
    "bce_with_logits": lambda: (
        one_output(),
        nn.binary_cross_entropy_with_logits,
        np.array([0.0, 1.0]),
    ),
    "hinge": lambda: (one_output(), nn.hinge_loss, np.array([1, -1])),
    "cross_entropy": lambda: (
        Tensor(LOGITS, requires_grad=True),
        nn.cross_entropy,
        np.array([2, 0]),
    ),
}


@pytest.mark.parametrize("name", list(LOSSES))
def test_a_float32_loss_and_its_gradient_stay_float32(name):
    # Targets arrive as float64 or int64 arrays: they must not promote the loss to float64.
    pred, loss_fn, target = LOSSES[name]()
    loss = loss_fn(pred, target)
    assert loss.dtype == F32, f"{name} loss is {loss.dtype} on NumPy {np.__version__}"
    loss.backward()
    assert pred.grad.dtype == F32


def test_a_float32_model_trains_in_float32():
    model = nn.Sequential(
        nn.Linear(2, 4, seed=0, dtype=F32), nn.Tanh(), nn.Linear(4, 1, seed=1, dtype=F32)
    )
    X, y = nn.data.xor()
    opt = nn.optim.Adam(model.parameters(), lr=0.05)
    history = nn.fit(model, X, y, loss="bce_with_logits", optimizer=opt, epochs=3, progress=False)
    assert all(p.data.dtype == F32 for p in model.parameters())
    assert all(np.isfinite(history.loss))


def declared_numpy_floor() -> str:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    return re.search(r'"numpy>=([0-9.]+)"', text).group(1)


def makefile_setting(name: str) -> str:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return re.search(rf"^{name} \?= (.+)$", text, re.MULTILINE).group(1).strip()


def test_the_matrix_runs_the_oldest_numpy_that_pyproject_accepts():
    assert makefile_setting("MATRIX_OLDEST_NUMPY") == declared_numpy_floor()


def test_the_matrix_tries_every_python_that_pyproject_claims():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    oldest = re.search(r'requires-python = ">=3\.(\d+)"', text).group(1)
    tried = makefile_setting("MATRIX_PYTHONS").split()
    assert tried[0] == f"3.{oldest}"
    assert tried == [f"3.{m}" for m in range(int(oldest), int(oldest) + len(tried))]
    classifiers = re.findall(r"Programming Language :: Python :: 3\.(\d+)", text)
    assert all(f"3.{m}" in tried for m in classifiers)


def test_the_running_numpy_is_one_we_accept():
    floor = tuple(int(p) for p in declared_numpy_floor().split("."))
    assert tuple(int(p) for p in np.__version__.split(".")[:2]) >= floor[:2]


NUMPY_1 = np.lib.NumpyVersion(np.__version__) < "2.0.0"


def test_a_tensor_converts_to_an_array_on_every_numpy():
    # np.asarray(t) is how plots, np.where and printing read a Tensor.
    t = Tensor(np.array([1.0, -2.0]))
    assert np.asarray(t).tolist() == [1.0, -2.0]
    assert np.where(np.asarray(t) > 0, 1, 0).tolist() == [1, 0]
