"""The edge-case table: both engines at the extremes, against PyTorch's numbers.

Each row is one op at one edge (relu at 0, log below 0, exp at 1000, ...), with PyTorch's
forward values and gradient written in as the reference (PyTorch 2.13.0, CPU, float64, from
the spelling in the row's ``torch`` field). The same row drives the scalar engine (inputs as a
list of Values) and the tensor engine (inputs as one 1-D Tensor): most ops are spelled the same
on both (``x[0].log()``), so one lambda serves the two engines and PyTorch.

For an op with several outputs the gradient is that of  sum_i w_i out_i  with the row's
weights w (softmax's outputs sum to 1, so unit weights would give a zero gradient whatever
the Jacobian). Where gradflow gives other numbers on purpose, the row's ``ours`` holds them
and says why. When PyTorch is installed, ``test_pytorch_still_gives_the_recorded_numbers``
recomputes every reference live.

The end of the file pins down the ops the table needed: ``Value.max``/``Value.min`` (binary,
as ``torch.maximum``) and ``Tensor.min`` (a reduction, as ``Tensor.max``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nn
from autograd import Tensor, Value, gradcheck, log_softmax, logsumexp, softmax

INF, NAN = math.inf, math.nan
Fn = Callable[[Any], Any]
SAME: Any = object()  # "spelled like the shared lambda"


@dataclass(frozen=True)
class Ours:
    """gradflow's own numbers for a row where it differs from PyTorch on purpose, and why."""

    out: tuple[float, ...]
    grad: tuple[float, ...]
    why: str


@dataclass(frozen=True)
class Row:
    op: str
    where: str
    inputs: tuple[float, ...]
    out: tuple[float, ...]  # PyTorch's forward values (flattened)
    grad: tuple[float, ...]  # PyTorch's d(sum_i w_i out_i)/d(inputs)
    value: Fn | None  # on a list of Values; None: the scalar engine has no such op
    tensor: Fn | None  # on a 1-D Tensor; None: the tensor engine has no such op
    torch: tuple[Fn, ...]  # PyTorch spellings: each must give out and grad
    weights: tuple[float, ...] | None = None  # None: 1 for every output
    ours: Ours | None = None

    @property
    def id(self) -> str:
        return f"{self.op} at {self.where}"

    def expected(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        return (self.ours.out, self.ours.grad) if self.ours else (self.out, self.grad)


def row(
    op: str,
    where: str,
    inputs: tuple[float, ...],
    f: Fn | None,
    out: tuple[float, ...],
    grad: tuple[float, ...],
    *,
    value: Any = SAME,
    tensor: Any = SAME,
    torch: Any = SAME,
    weights: tuple[float, ...] | None = None,
    ours: Ours | None = None,
) -> Row:
    def pick(spelling: Any) -> Fn | None:
        return f if spelling is SAME else spelling

    torch_spellings = (f,) if torch is SAME else (torch if isinstance(torch, tuple) else (torch,))
    return Row(op, where, inputs, out, grad, pick(value), pick(tensor), torch_spellings,
               weights, ours)  # fmt: skip


# PyTorch spellings that differ from ours, imported only when the live test runs.
def t_maximum(x: Any) -> Any:
    import torch

    return torch.maximum(x[0], x[1])


def t_minimum(x: Any) -> Any:
    import torch

    return torch.minimum(x[0], x[1])


def t_function(name: str, *, nn_functional: bool = False) -> Fn:
    """PyTorch's ``torch.name`` (or ``torch.nn.functional.name``) on the row's inputs."""

    def f(x: Any) -> Any:
        import torch

        fn = getattr(torch.nn.functional if nn_functional else torch, name)
        return fn(*x) if len(x) > 1 else fn(x[0])

    return f


def t_cross_entropy(target: int) -> Fn:
    def f(x: Any) -> Any:
        import torch

        return torch.nn.functional.cross_entropy(x.reshape(1, -1), torch.tensor([target]))

    return f


def t_bce(target: float) -> Fn:
    def f(x: Any) -> Any:
        import torch

        t = torch.tensor([target], dtype=torch.float64)
        return torch.nn.functional.binary_cross_entropy(x, t)

    return f


BCE_CLAMP_WHY = (
    "the log is clamped at -100 (as in PyTorch), so near this p the loss is the constant 100 "
    "and its slope is 0; PyTorch's backward formula (p - t) / max(p (1 - p), 1e-12) ignores "
    "its own clamp and returns about 1e12, a step that throws a parameter far away"
)
BCE_SMOOTH_WHY = (
    "here the loss is -log(1 - p) (t = 0) or -log(p) (t = 1), smooth at this p with slope "
    "{slope}; PyTorch's formula (p - t) / max(p (1 - p), 1e-12) gives 0 / 1e-12 = 0 instead"
)

# fmt: off
TABLE: list[Row] = [
    # relu'(0) = 0 and abs'(0) = 0: the subgradient 0, as PyTorch chooses
    row("relu", "x = 0", (0.0,), lambda x: x[0].relu(), (0.0,), (0.0,)),
    row("relu", "x = -0.0", (-0.0,), lambda x: x[0].relu(), (0.0,), (0.0,)),
    row("abs", "x = 0", (0.0,), lambda x: x[0].abs(), (0.0,), (0.0,)),
    # ties: the derivative does not exist; PyTorch splits the gradient evenly, 1/2 each
    # (Value.max is torch.maximum; Tensor.max is a reduction, as torch's max() and amax())
    row("max", "a tie a = b = 1", (1.0, 1.0), None, (1.0,), (0.5, 0.5),
        value=lambda x: x[0].max(x[1]), tensor=lambda x: x.max(),
        torch=(t_maximum, lambda x: x.max(), lambda x: x.amax())),
    row("min", "a tie a = b = 1", (1.0, 1.0), None, (1.0,), (0.5, 0.5),
        value=lambda x: x[0].min(x[1]), tensor=lambda x: x.min(),
        torch=(t_minimum, lambda x: x.min(), lambda x: x.amin())),
    row("max", "a tie a = b = 0, -0.0", (0.0, -0.0), None, (0.0,), (0.5, 0.5),
        value=lambda x: x[0].max(x[1]), tensor=lambda x: x.max(),
        torch=(t_maximum, lambda x: x.amax())),
    # a three-way tie: 1/3 each (Value.max is binary: no row for the scalar engine)
    row("max", "a three-way tie", (2.0, 2.0, 2.0), lambda x: x.max(), (2.0,),
        (1 / 3, 1 / 3, 1 / 3), value=None),
    row("min", "a three-way tie", (2.0, 2.0, 2.0), lambda x: x.min(), (2.0,),
        (1 / 3, 1 / 3, 1 / 3), value=None),
    # sqrt(0) = 0 with slope 1 / (2 sqrt 0) = inf; sqrt(-1) = nan, slope nan
    row("sqrt", "x = 0", (0.0,), lambda x: x[0].sqrt(), (0.0,), (INF,)),
    row("sqrt", "x = -1", (-1.0,), lambda x: x[0].sqrt(), (NAN,), (NAN,)),
    # log(0) = -inf with slope 1/0 = inf; log(-1) = nan, and the formula 1/x still gives -1
    row("log", "x = 0", (0.0,), lambda x: x[0].log(), (-INF,), (INF,)),
    row("log", "x = -1", (-1.0,), lambda x: x[0].log(), (NAN,), (-1.0,)),
    # a / b at b = 0: d/da = 1/b, d/db = -(a/b)/b
    row("/", "1 / 0", (1.0, 0.0), lambda x: x[0] / x[1], (INF,), (INF, -INF)),
    row("/", "-1 / 0", (-1.0, 0.0), lambda x: x[0] / x[1], (-INF,), (INF, INF)),
    row("/", "1 / -0.0", (1.0, -0.0), lambda x: x[0] / x[1], (-INF,), (-INF, -INF)),
    row("/", "0 / 0", (0.0, 0.0), lambda x: x[0] / x[1], (NAN,), (INF, NAN)),
    # exp overflows to inf (slope inf) and underflows to 0 (slope 0)
    row("exp", "x = 1000", (1000.0,), lambda x: x[0].exp(), (INF,), (INF,)),
    row("exp", "x = -1000", (-1000.0,), lambda x: x[0].exp(), (0.0,), (0.0,)),
    # saturation: exactly 1 or 0 (or -1), slope exactly 0, and no overflow on the way
    row("sigmoid", "x = 800", (800.0,), lambda x: x[0].sigmoid(), (1.0,), (0.0,)),
    row("sigmoid", "x = -800", (-800.0,), lambda x: x[0].sigmoid(), (0.0,), (0.0,)),
    row("tanh", "x = 800", (800.0,), lambda x: x[0].tanh(), (1.0,), (0.0,)),
    row("tanh", "x = -800", (-800.0,), lambda x: x[0].tanh(), (-1.0,), (0.0,)),
    # logits 1000 apart, weights w = (1, 2, 3): softmax (0, 1, 0);
    # d/dx_j sum_i w_i s_i = s_j (w_j - sum_i w_i s_i) = s_j (w_j - 2) = (0, 0, 0);
    # d/dx_j sum_i w_i log_softmax_i = w_j - s_j sum_i w_i = (1, 2 - 6, 3) = (1, -4, 3)
    row("softmax", "logits (0, 1000, -1000)", (0.0, 1000.0, -1000.0), None,
        (0.0, 1.0, 0.0), (0.0, 0.0, 0.0), weights=(1.0, 2.0, 3.0),
        value=softmax, tensor=lambda x: x.softmax(), torch=lambda x: x.softmax(0)),
    row("log_softmax", "logits (0, 1000, -1000)", (0.0, 1000.0, -1000.0), None,
        (-1000.0, 0.0, -2000.0), (1.0, -4.0, 3.0), weights=(1.0, 2.0, 3.0),
        value=log_softmax, tensor=lambda x: x.log_softmax(),
        torch=lambda x: x.log_softmax(0)),
    # logsumexp = 1000 + log(1 + 2 e**-1000) = 1000; its gradient is the softmax
    row("logsumexp", "logits (0, 1000, -1000)", (0.0, 1000.0, -1000.0), None,
        (1000.0,), (0.0, 1.0, 0.0),
        value=logsumexp, tensor=lambda x: x.logsumexp(), torch=lambda x: x.logsumexp(0)),
    # cross-entropy = logsumexp(z) - z_t; d/dz = softmax(z) - onehot(t)
    row("cross_entropy", "logits (1e4, 0, -1e4), target 1", (1e4, 0.0, -1e4),
        lambda x: nn.cross_entropy(x, 1), (1e4,), (1.0, -1.0, 0.0), torch=t_cross_entropy(1)),
    row("cross_entropy", "logits (1e4, 0, -1e4), target 0", (1e4, 0.0, -1e4),
        lambda x: nn.cross_entropy(x, 0), (0.0,), (0.0, 0.0, 0.0), torch=t_cross_entropy(0)),
    # binary cross-entropy at p = 0 and p = 1: each log clamped at -100, so at most 100
    row("binary_cross_entropy", "p = 0, t = 1", (0.0,),
        lambda x: nn.binary_cross_entropy(x, [1.0]), (100.0,), (-1000000003995.8029,),
        torch=t_bce(1.0), ours=Ours((100.0,), (0.0,), BCE_CLAMP_WHY)),
    row("binary_cross_entropy", "p = 1, t = 0", (1.0,),
        lambda x: nn.binary_cross_entropy(x, [0.0]), (100.0,), (1000000003995.8029,),
        torch=t_bce(0.0), ours=Ours((100.0,), (0.0,), BCE_CLAMP_WHY)),
    row("binary_cross_entropy", "p = 0, t = 0", (0.0,),
        lambda x: nn.binary_cross_entropy(x, [0.0]), (0.0,), (0.0,),
        torch=t_bce(0.0), ours=Ours((0.0,), (1.0,), BCE_SMOOTH_WHY.format(slope=1))),
    row("binary_cross_entropy", "p = 1, t = 1", (1.0,),
        lambda x: nn.binary_cross_entropy(x, [1.0]), (0.0,), (0.0,),
        torch=t_bce(1.0), ours=Ours((0.0,), (-1.0,), BCE_SMOOTH_WHY.format(slope=-1))),
    # a negative base to a fractional power has no real value: nan, never complex
    row("**k", "(-8) ** 0.5", (-8.0,), lambda x: x[0] ** 0.5, (NAN,), (NAN,)),
    row("**", "(-8) ** y, y = 1/3", (-8.0, 1 / 3), lambda x: x[0] ** x[1], (NAN,), (NAN, NAN)),
    # 0 ** 0 = 1; d/dx is 0 (the y = 0 case, not 0 * 0**-1), d/dy is 0 (x = 0, y >= 0)
    row("**k", "0 ** 0", (0.0,), lambda x: x[0] ** 0.0, (1.0,), (0.0,)),
    row("**", "0 ** y, y = 0", (0.0, 0.0), lambda x: x[0] ** x[1], (1.0,), (0.0, 0.0)),
    # 0 ** -1 = inf (a pole); d/dx = -1 * 0**-2 = -inf, d/dy = inf * log(0) = -inf
    row("**k", "0 ** -1", (0.0,), lambda x: x[0] ** -1.0, (INF,), (-INF,)),
    row("**", "0 ** y, y = -1", (0.0, -1.0), lambda x: x[0] ** x[1], (INF,), (-INF, -INF)),
    row("**k", "(-0.0) ** -1", (-0.0,), lambda x: x[0] ** -1.0, (-INF,), (-INF,)),
    row("**k", "0 ** 0.5", (0.0,), lambda x: x[0] ** 0.5, (0.0,), (INF,)),
    # ---- issue 14: the elementary functions at their domain edges (IEEE, as PyTorch)
    row("sin", "x = inf", (INF,), lambda x: x[0].sin(), (NAN,), (NAN,)),
    row("cos", "x = -inf", (-INF,), lambda x: x[0].cos(), (NAN,), (NAN,)),
    # arcsin'(x) = 1 / sqrt(1 - x**2): inf at the end of the domain, nan past it
    row("arcsin", "x = 1", (1.0,), lambda x: x[0].arcsin(), (math.pi / 2,), (INF,)),
    row("arcsin", "x = 2", (2.0,), lambda x: x[0].arcsin(), (NAN,), (NAN,)),
    row("arccos", "x = -1", (-1.0,), lambda x: x[0].arccos(), (math.pi,), (-INF,)),
    row("arccosh", "x = 1", (1.0,), lambda x: x[0].arccosh(), (0.0,), (INF,)),
    row("arctanh", "x = 1", (1.0,), lambda x: x[0].arctanh(), (INF,), (INF,)),
    # 1 / sqrt(x**2 + 1) with x**2 = inf: 0, where the true slope is 1e-200 (PyTorch's too)
    row("arcsinh", "x = 1e200", (1e200,), lambda x: x[0].arcsinh(), (461.2101657793691,),
        (0.0,)),
    row("cosh", "x = 1000", (1000.0,), lambda x: x[0].cosh(), (INF,), (INF,)),
    row("log2", "x = 0", (0.0,), lambda x: x[0].log2(), (-INF,), (INF,)),
    # log10(-1) = nan, and the formula 1 / (x ln 10) still gives -1 / ln 10
    row("log10", "x = -1", (-1.0,), lambda x: x[0].log10(), (NAN,), (-0.43429448190325187,)),
    row("log1p", "x = -1", (-1.0,), lambda x: x[0].log1p(), (-INF,), (INF,)),
    row("expm1", "x = 1000", (1000.0,), lambda x: x[0].expm1(), (INF,), (INF,)),
    row("exp2", "x = -2000", (-2000.0,), lambda x: x[0].exp2(), (0.0,), (0.0,)),
    # logsigmoid(x) = -softplus(-x): -1000 with slope 1, and 0 with slope 0, no overflow
    row("logsigmoid", "x = -1000", (-1000.0,), lambda x: x[0].logsigmoid(), (-1000.0,), (1.0,),
        torch=t_function("logsigmoid", nn_functional=True)),
    row("logsigmoid", "x = 1000", (1000.0,), lambda x: x[0].logsigmoid(), (0.0,), (0.0,),
        torch=t_function("logsigmoid", nn_functional=True)),
    row("gelu", "x = -40", (-40.0,), lambda x: x[0].gelu(), (-0.0,), (0.0,),
        torch=t_function("gelu", nn_functional=True)),
    # sign is piecewise constant: slope 0, even at 0 and even under an inf upstream
    row("sign", "x = 0", (0.0,), lambda x: x[0].sign(), (0.0,), (0.0,)),
    row("sign", "x = 2, times inf", (2.0,), lambda x: x[0].sign() * INF, (INF,), (0.0,)),
    # hypot'(a) = a / hypot: 0 / 0 at the origin; no overflow at 1e300
    row("hypot", "(0, 0)", (0.0, 0.0), lambda x: x[0].hypot(x[1]), (0.0,), (NAN, NAN),
        torch=t_function("hypot")),
    row("hypot", "(1e300, 1e300)", (1e300, 1e300), lambda x: x[0].hypot(x[1]),
        (1.4142135623730952e300,), (0.7071067811865475, 0.7071067811865475),
        torch=t_function("hypot")),
    # arctan2 at the origin: PyTorch gives slope 0 (not 0 / 0)
    row("arctan2", "(0, 0)", (0.0, 0.0), lambda x: x[0].arctan2(x[1]), (0.0,), (0.0, 0.0),
        torch=t_function("atan2")),
    # a mod b = a - floor(a / b) b, the sign of b: d/da = 1, d/db = -floor(a / b)
    row("mod", "5 mod -3", (5.0, -3.0), lambda x: x[0] % x[1], (-1.0,), (1.0, 2.0),
        torch=t_function("remainder")),
    row("mod", "5 mod 0", (5.0, 0.0), lambda x: x[0] % x[1], (NAN,), (1.0, -INF),
        torch=t_function("remainder")),
    # ---- issue 14's bugs: zero local derivatives and nan branches, as PyTorch
    row("log(relu)", "x = -1", (-1.0,), lambda x: x[0].relu().log(), (-INF,), (0.0,)),
    row("abs", "x = nan", (NAN,), lambda x: x[0].abs(), (NAN,), (0.0,)),
    row("elu", "x = nan", (NAN,), lambda x: x[0].elu(), (NAN,), (1.0,),
        torch=t_function("elu", nn_functional=True)),
    row("selu", "x = nan", (NAN,), lambda x: x[0].selu(), (NAN,), (1.0507009873554805,),
        torch=t_function("selu")),
    # d/db (a / b) = -(a / b) / b: -1e300 here, where -a / b**2 * 1e300 overflows first
    row("/", "(a / b) * 1e300, a = 1e20, b = 1e10", (1e20, 1e10),
        lambda x: (x[0] / x[1]) * 1e300, (INF,), (1e290, -1e300)),
    # 1 / 5e-324 = inf meets the upstream 0: the edge passes 0
    row("log", "log(5e-324) * 0", (5e-324,), lambda x: x[0].log() * 0.0, (-0.0,), (0.0,)),
    row("maximum", "nan and 1", (NAN, 1.0), None, (NAN,), (1.0, 1.0),
        value=lambda x: x[0].max(x[1]), tensor=lambda x: x[0].maximum(x[1]), torch=t_maximum),
    row("maximum", "the loser under inf", (2.0, 1.0), None, (INF,), (INF, 0.0),
        value=lambda x: x[0].max(x[1]) * INF, tensor=lambda x: x[0].maximum(x[1]) * INF,
        torch=lambda x: t_maximum(x) * INF),
    # clamp passes the gradient at the bound itself, and 0 (not 0 * inf) above it
    row("clip", "x at the upper bound", (1.0,), lambda x: x[0].clip(0.0, 1.0), (1.0,), (1.0,),
        value=None, torch=lambda x: x[0].clamp(0.0, 1.0)),
    row("clip", "x above the bound, times inf", (3.0,), lambda x: x[0].clip(0.0, 1.0) * INF,
        (INF,), (0.0,), value=None, torch=lambda x: x[0].clamp(0.0, 1.0) * INF),
    # prod'(x_i) = the product of the others: no division by the zero
    row("prod", "a zero among them", (2.0, 0.0, 3.0), lambda x: x.prod(), (0.0,),
        (0.0, 6.0, 0.0), value=None),
    row("prod", "two zeros", (0.0, 0.0, 3.0), lambda x: x.prod(), (0.0,), (0.0, 0.0, 0.0),
        value=None),
    row("norm", "a zero vector", (0.0, 0.0), lambda x: x.norm(), (0.0,), (0.0, 0.0),
        value=None),
]
# fmt: on

VALUE_ROWS = [r for r in TABLE if r.value is not None]
TENSOR_ROWS = [r for r in TABLE if r.tensor is not None]


def same(a: float, b: float) -> bool:
    """Equal as IEEE results: nan matches nan, inf matches inf of the same sign, a finite
    number matches to 1e-12 relative (the sign of a zero is not compared)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300)


def all_same(got: tuple[float, ...], want: tuple[float, ...]) -> bool:
    return len(got) == len(want) and all(same(g, w) for g, w in zip(got, want, strict=True))


def run_value(r: Row) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Forward values and the weighted gradient on the scalar engine."""
    assert r.value is not None
    xs = [Value(v) for v in r.inputs]
    result = r.value(xs)
    outs = result if isinstance(result, list) else [result]
    weights = r.weights or (1.0,) * len(outs)
    # Seeding each output with its weight adds up sum_i w_i d(out_i)/dx, with no extra nodes.
    for o, w in zip(outs, weights, strict=True):
        o.backward(w)
    assert all(type(o.data) is float for o in outs) and all(type(x.grad) is float for x in xs)
    return tuple(o.data for o in outs), tuple(x.grad for x in xs)


def run_tensor(r: Row) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Forward values and the weighted gradient on the tensor engine."""
    assert r.tensor is not None
    x = Tensor(np.array(r.inputs), requires_grad=True)
    out = r.tensor(x)
    weights = np.array(r.weights or (1.0,) * out.size).reshape(out.shape)
    out.backward(weights)
    assert out.dtype == np.float64 and x.grad is not None and x.grad.shape == x.shape
    return tuple(out.data.reshape(-1).tolist()), tuple(x.grad.tolist())


@pytest.mark.parametrize("r", VALUE_ROWS, ids=[r.id for r in VALUE_ROWS])
def test_the_scalar_engine_gives_the_table_numbers(r):
    out, grad = r.expected()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an edge is an IEEE number, never a warning
        got_out, got_grad = run_value(r)
    assert all_same(got_out, out), f"{r.id}: forward {got_out}, expected {out}"
    assert all_same(got_grad, grad), f"{r.id}: gradient {got_grad}, expected {grad}"


@pytest.mark.parametrize("r", TENSOR_ROWS, ids=[r.id for r in TENSOR_ROWS])
def test_the_tensor_engine_gives_the_table_numbers(r):
    out, grad = r.expected()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got_out, got_grad = run_tensor(r)
    assert all_same(got_out, out), f"{r.id}: forward {got_out}, expected {out}"
    assert all_same(got_grad, grad), f"{r.id}: gradient {got_grad}, expected {grad}"


def test_the_table_covers_the_issue_and_each_difference_says_why():
    ops = {r.op for r in TABLE}
    wanted = {"relu", "abs", "max", "min", "sqrt", "log", "/", "exp", "sigmoid", "tanh",
              "softmax", "log_softmax", "logsumexp", "cross_entropy", "binary_cross_entropy",
              "**", "**k"}  # fmt: skip
    assert wanted <= ops
    for r in TABLE:
        assert r.value is not None or r.tensor is not None, r.id
        assert len(r.grad) == len(r.inputs), r.id
        if r.ours is not None:
            assert len(r.ours.why) > 40 and not all_same(r.ours.grad + r.ours.out, r.grad + r.out)
    # Differences are the exception: only the clamped binary cross-entropy.
    assert {r.op for r in TABLE if r.ours} == {"binary_cross_entropy"}


@pytest.mark.parametrize("r", TABLE, ids=[r.id for r in TABLE])
def test_pytorch_still_gives_the_recorded_numbers(r):
    torch = pytest.importorskip("torch")
    for spelling in r.torch:
        x = torch.tensor(r.inputs, dtype=torch.float64, requires_grad=True)
        out = spelling(x).reshape(-1)
        w = torch.tensor(r.weights or (1.0,) * out.numel(), dtype=torch.float64)
        (out * w).sum().backward()
        got_out, got_grad = tuple(out.tolist()), tuple(x.grad.tolist())
        assert all_same(got_out, r.out), f"{r.id}: PyTorch forward {got_out}, table {r.out}"
        assert all_same(got_grad, r.grad), f"{r.id}: PyTorch gradient {got_grad}, table {r.grad}"


# ----------------------------------------------------------------------------- Value.max/min


def test_value_max_and_min_pick_one_operand_and_pass_it_the_whole_gradient():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    m, n = a.max(b), a.min(b)
    assert (m.op, m.parents, m.data, m.local_grads()) == ("max", (a, b), 2.0, (1.0, 0.0))
    assert (n.op, n.parents, n.data, n.local_grads()) == ("min", (a, b), -3.0, (0.0, 1.0))
    # relu written as max(x, 0): a number becomes a constant operand
    r = b.max(0)
    assert r.data == 0.0 and r.parents[1].role == "const" and r.local_grads() == (0.0, 1.0)


def test_value_max_and_min_propagate_nan_and_pass_the_gradient_to_both_as_pytorch():
    # torch.maximum(nan, 1) = nan; its backward sends the full gradient to both operands
    for out in (Value(NAN).max(1.0), Value(1.0).min(Value(NAN))):
        assert math.isnan(out.data) and out.local_grads() == (1.0, 1.0)


def test_value_max_rejects_what_is_not_a_number():
    with pytest.raises(TypeError, match=r"max\(\) takes Values or real numbers .* not str"):
        Value(1.0).max("2")
    with pytest.raises(TypeError, match=r"min\(\) takes Values or real numbers .* not NoneType"):
        Value(1.0).min(None)


def test_the_tie_split_is_what_central_differences_measure():
    # At a = b: (max(a + eps, b) - max(a - eps, b)) / (2 eps) = (eps - 0) / (2 eps) = 1/2.
    for op in (Value.max, Value.min):
        assert gradcheck(op, [Value(1.5), Value(1.5)])


# (a, b) at least 1e-3 apart, either way round: central differences never straddle a tie
apart = st.tuples(st.floats(-5, 5), st.floats(1e-3, 5), st.sampled_from([1.0, -1.0])).map(
    lambda t: (t[0], t[0] + t[2] * t[1])
)


@settings(max_examples=50)
@given(apart)
def test_value_max_and_min_gradients_match_central_differences(pair):
    a, b = pair

    def f(x: Value, y: Value) -> Value:
        return (x.max(y) * x.min(y)).tanh() + x.max(y) / (1.0 + y.min(x) ** 2)

    assert gradcheck(f, [Value(a), Value(b)])


# ----------------------------------------------------------------------------- Tensor.min


def test_tensor_min_sends_the_gradient_to_the_smallest_and_splits_ties():
    x = Tensor([[3.0, -1.0, -1.0], [0.5, 2.0, 4.0]], requires_grad=True)
    m = x.min(axis=1)
    assert m.op == "min" and m.data.tolist() == [-1.0, 0.5]
    m.backward(np.array([6.0, 1.0]))
    # row 0: two tied minima share 6, 3 each; row 1: the one minimum gets 1
    assert x.grad.tolist() == [[0.0, 3.0, 3.0], [1.0, 0.0, 0.0]]
    k = x.min(axis=0, keepdims=True)
    assert k.shape == (1, 3) and k.data.tolist() == [[0.5, -1.0, -1.0]]


# values at least 0.1 apart: one minimum, far from a tie
distinct = hnp.arrays(
    np.int64, hnp.array_shapes(max_dims=3, max_side=4), elements=st.integers(-60, 60), unique=True
).map(lambda a: a / 10.0)


@settings(max_examples=40)
@given(distinct, st.data(), st.booleans())
def test_tensor_min_gradients_match_central_differences(x, data, keepdims):
    axis = data.draw(st.none() | st.integers(-x.ndim, x.ndim - 1))
    t = Tensor(x, requires_grad=True)
    w = np.random.default_rng(0).standard_normal(t.min(axis=axis, keepdims=keepdims).shape)
    assert gradcheck(lambda a: (a.min(axis=axis, keepdims=keepdims) * w).sum(), [t])
