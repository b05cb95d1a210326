"""Ported from micrograd: test/test_engine.py (https://github.com/karpathy/micrograd, MIT
licence), onto gradflow's Value, plus the same two graphs on the Tensor engine.

Upstream builds each graph twice, with micrograd's Value and with PyTorch, and compares the
forward value and the gradients. The PyTorch numbers are written in (PyTorch 2.13, float64;
``test_more_ops``'s are the ones micrograd's README prints: g = 24.7041, dg/da = 138.8338,
dg/db = 645.5773) and recomputed live when PyTorch is installed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Tensor, Value


def sanity_check(x):
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    return y


def more_ops(a, b):
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g


# y = -20 at x = -4: z = -10, q = 40, h = 100, y = 100 + 40 - 160; dy/dx = 46
SANITY = {"y": -20.0, "dx": 46.0}
MORE = {"g": 24.70408163265306, "da": 138.83381924198252, "db": 645.5772594752186}


def test_sanity_check():
    x = Value(-4.0)
    y = sanity_check(x)
    y.backward()
    assert y.data == SANITY["y"] and x.grad == SANITY["dx"]


def test_more_ops():
    a, b = Value(-4.0), Value(2.0)
    g = more_ops(a, b)
    g.backward()
    tol = 1e-6
    assert abs(g.data - MORE["g"]) < tol
    assert abs(a.grad - MORE["da"]) < tol and abs(b.grad - MORE["db"]) < tol


def test_the_same_graphs_on_the_tensor_engine():
    x = Tensor(np.array(-4.0), requires_grad=True)
    y = sanity_check(x)
    y.backward()
    assert y.item() == SANITY["y"] and x.grad == SANITY["dx"]
    a = Tensor(np.array(-4.0), requires_grad=True)
    b = Tensor(np.array(2.0), requires_grad=True)
    g = more_ops(a, b)
    g.backward()
    assert math.isclose(g.item(), MORE["g"], rel_tol=1e-12)
    assert math.isclose(a.grad, MORE["da"], rel_tol=1e-12)
    assert math.isclose(b.grad, MORE["db"], rel_tol=1e-12)


def test_pytorch_still_gives_the_written_numbers():
    torch = pytest.importorskip("torch")
    x = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
    y = sanity_check(x)
    y.backward()
    assert y.item() == SANITY["y"] and x.grad.item() == SANITY["dx"]
    a = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
    g = more_ops(a, b)
    g.backward()
    assert math.isclose(g.item(), MORE["g"], rel_tol=1e-12)
    assert math.isclose(a.grad.item(), MORE["da"], rel_tol=1e-12)
    assert math.isclose(b.grad.item(), MORE["db"], rel_tol=1e-12)
