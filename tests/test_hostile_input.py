"""Every public call site against hostile values: a correct result or a clear error, nothing else.

The table crosses call sites (one argument of one public function, the others valid) with
the values a careless or hostile caller may pass: None, a string, bytes, a bool, a complex
number, a Fraction, a Decimal, NumPy scalars, 0-d and object arrays, nan, inf, 10**400,
negative, zero and huge sizes. For each pair, either

- the call succeeds, and ``site.correct(value, result)`` confirms the result is what the
  value means (a NumPy 3 builds what a Python 3 builds; a Fraction 1/2 is the number 0.5); or
- it raises a TypeError or ValueError whose message names the parameter and the kind of
  value expected (``site.expects``).

Never a bare Python or NumPy error from inside, never a silent wrong number (``b'1'`` read as
a width of 49, ``'0.5'`` parsed, None read as nan), never a hang or a huge allocation: sizes
are checked against the memory before anything is built (here the available memory is fixed
at 4 GiB, so that the table gives the same answers on every machine). Three rules hold at
every site: strings, bytes and complex numbers are never accepted as numbers, and a NumPy
scalar is accepted wherever the Python number it equals is, with the same result.

Rows that fail because of a part of the project not in nn/ are strict xfails whose reason
names the change they need (``PENDING``).
"""

from __future__ import annotations

import math
import operator
import re
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

import nn
import nn.checks
from autograd import Tensor, Value
from nn import data

HOSTILE: dict[str, Any] = {
    "None": None,
    "str": "3",
    "bytes": b"3",
    "bool": True,
    "complex": 1j,
    "Fraction": Fraction(1, 2),
    "Decimal": Decimal("3"),
    "np.int64": np.int64(3),
    "np.float32": np.float32(0.5),
    "0-d array": np.array(3),
    "object array": np.array([3, "a"], dtype=object),
    "nan": math.nan,
    "inf": math.inf,
    "10**400": 10**400,
    "negative": -1,
    "zero": 0,
    "huge": 10**9,
}

#: NumPy scalars and the Python numbers they equal: accepted alike, with equal results.
TWINS = {"np.int64": 3, "np.float32": 0.5}
#: Never a number, whatever the site.
NEVER_NUMBERS = ("str", "bytes", "complex")

GIB = 2**30


@pytest.fixture(autouse=True)
def four_gib_of_memory(monkeypatch):
    """The same available memory on every machine, so that the size checks answer alike."""
    monkeypatch.setattr(nn.checks, "available_memory", lambda: 4 * GIB)


# ---------------------------------------------------------------------------- helpers


def X4() -> np.ndarray:
    return np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


Y4 = np.array([0, 1, 1, 0])


def as_int(v: Any) -> int:
    return operator.index(v)


def as_float(v: Any) -> float:
    """The float a number means; an int beyond the largest float rounds to inf (IEEE)."""
    v = v.item() if isinstance(v, np.ndarray) else v
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def numbers_close(a: float, b: float) -> bool:
    return same(a, b) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def tiny_mlp() -> nn.MLP:
    return nn.MLP(2, [2, 1], seed=0)


def fit(**settings: Any) -> nn.History:
    base: dict[str, Any] = {"epochs": 1, "progress": False, "seed": 0}
    return nn.fit(tiny_mlp(), X4(), Y4, **{**base, **settings})


def loss_of(result: Any) -> float:
    return float(np.asarray(result.data).reshape(-1)[0])


@dataclass
class Site:
    """One argument of one public call: how to call with a value, and what a result means."""

    name: str
    param: str  # the name an error must give
    expects: str  # a regex: an error must also say what kind of value was expected
    call: Callable[[Any], Any]
    correct: Callable[[Any, Any], bool]
    errors: tuple[type[BaseException], ...] = (TypeError, ValueError)
    none_ok: bool = False  # None is a documented value of this parameter
    skip: dict[str, str] = field(default_factory=dict)


COUNT = r"integer|memory"
REAL = r"real number|finite number|number (in|>=)|too large"
FLAG = r"True or False"

SITES: list[Site] = [
    # ------------------------------------------------------------------ sizes
    Site("Neuron(nin)", "nin", COUNT, lambda v: nn.Neuron(v), lambda v, r: r.nin == as_int(v)),
    Site("Layer(nout)", "nout", COUNT, lambda v: nn.Layer(2, v), lambda v, r: r.nout == as_int(v)),
    Site("MLP(nin)", "nin", COUNT, lambda v: nn.MLP(v, [1]), lambda v, r: r.nin == as_int(v)),
    Site(
        "MLP(nouts=[v])",
        "nouts",
        COUNT,
        lambda v: nn.MLP(2, [v]),
        lambda v, r: r.nout == as_int(v),
    ),
    Site(
        "MLP(nouts=v)",
        "nouts",
        r"list of layer widths|integer",
        lambda v: nn.MLP(2, v),
        lambda v, r: [layer.nout for layer in r.layers] == [as_int(n) for n in v],
    ),
    Site("Linear(nin)", "nin", COUNT, lambda v: nn.Linear(v, 2), lambda v, r: r.nin == as_int(v)),
    Site(
        "Linear(nout)", "nout", COUNT, lambda v: nn.Linear(2, v), lambda v, r: r.nout == as_int(v)
    ),
    Site(
        "make_moons(n)",
        "n",
        COUNT,
        lambda v: data.make_moons(n=v, seed=0),
        lambda v, r: len(r[0]) == as_int(v),
    ),
    Site("xor(n)", "n", COUNT, lambda v: data.xor(n=v), lambda v, r: len(r[0]) == as_int(v)),
    Site(
        "spiral(n)",
        "n",
        COUNT,
        lambda v: data.spiral(n=v, classes=2, seed=0),
        lambda v, r: len(r[0]) == as_int(v),
    ),
    Site(
        "spiral(classes)",
        "classes",
        COUNT + "|at most n",
        lambda v: data.spiral(n=30, classes=v, seed=0),
        lambda v, r: len(set(r[1].tolist())) == as_int(v),
    ),
    Site(
        "circles(n)",
        "n",
        COUNT,
        lambda v: data.circles(n=v, seed=0),
        lambda v, r: len(r[0]) == as_int(v),
    ),
    Site(
        "batches(batch_size)",
        "batch_size",
        COUNT,
        lambda v: [len(yb) for _, yb in data.batches(X4(), Y4, v, shuffle=False)],
        lambda v, r: sum(r) == 4 and max(r) == min(4, as_int(v)),
        none_ok=True,
    ),
    Site(
        "train_test_split(test_size)",
        "test_size",
        r"integer|fraction|number|empty part",
        lambda v: data.train_test_split(X4(), Y4, test_size=v, seed=0),
        lambda v, r: (
            len(r[3])
            == (
                as_int(v)
                if isinstance(v, (int, np.integer, np.ndarray))
                else math.ceil(as_float(v) * 4)
            )
        ),  # fmt: skip
    ),
    Site("fit(epochs)", "epochs", COUNT, lambda v: fit(epochs=v), lambda v, r: r.epochs == v),
    Site(
        "fit(batch_size)",
        "batch_size",
        COUNT,
        lambda v: fit(batch_size=v),
        lambda v, r: r.epochs == 1,
        none_ok=True,
    ),
    # ------------------------------------------------------------------ real numbers
    Site(
        "SGD(lr)",
        "lr",
        REAL,
        lambda v: nn.optim.SGD(tiny_mlp().parameters(), lr=v),
        lambda v, r: r.lr == as_float(v),
    ),
    Site(
        "SGD(momentum)",
        "momentum",
        REAL,
        lambda v: nn.optim.SGD(tiny_mlp().parameters(), lr=0.1, momentum=v),
        lambda v, r: r.momentum == as_float(v),
    ),
    Site(
        "SGD(weight_decay)",
        "weight_decay",
        REAL,
        lambda v: nn.optim.SGD(tiny_mlp().parameters(), lr=0.1, weight_decay=v),
        lambda v, r: r.weight_decay == as_float(v),
    ),
    Site(
        "Adam(lr)",
        "lr",
        REAL,
        lambda v: nn.optim.Adam(tiny_mlp().parameters(), lr=v),
        lambda v, r: r.lr == as_float(v),
    ),
    Site(
        "Adam(betas[0])",
        "betas[0]",
        REAL,
        lambda v: nn.optim.Adam(tiny_mlp().parameters(), betas=(v, 0.999)),
        lambda v, r: r.betas[0] == as_float(v),
    ),
    Site(
        "Adam(eps)",
        "eps",
        REAL,
        lambda v: nn.optim.Adam(tiny_mlp().parameters(), eps=v),
        lambda v, r: r.eps == as_float(v),
    ),
    Site(
        "make_moons(noise)",
        "noise",
        REAL,
        lambda v: data.make_moons(n=10, noise=v, seed=0),
        lambda v, r: r[0].shape == (10, 2) and np.isfinite(r[0]).all(),
    ),
    Site(
        "circles(factor)",
        "factor",
        REAL + r"|\(0, 1\)",
        lambda v: data.circles(n=10, noise=0.0, factor=v, seed=0),
        lambda v, r: np.allclose(np.hypot(*r[0][r[1] == 1].T), as_float(v)),
    ),
    Site(
        "LeakyReLU(negative_slope)",
        "negative_slope",
        REAL,
        lambda v: nn.LeakyReLU(v),
        lambda v, r: r.negative_slope == as_float(v),
    ),
    Site("fit(lr)", "lr", REAL, lambda v: fit(lr=v), lambda v, r: r.epochs == 1),
    Site(
        "fit(lr_schedule result)",
        "lr_schedule",
        REAL,
        lambda v: fit(lr_schedule=lambda epoch: v),
        lambda v, r: r.epochs == 1,
    ),
    # ------------------------------------------------------------------ seeds
    Site(
        "MLP(seed)",
        "seed",
        r"int|Generator",
        lambda v: nn.MLP(2, [1], seed=v),
        lambda v, r: v is None or same_state(r, nn.MLP(2, [1], seed=as_int(v))),
        none_ok=True,
    ),
    # ------------------------------------------------------------------ targets
    Site(
        "mse_loss(Value, target)",
        "target",
        r"real number|numbers|too large",
        lambda v: nn.mse_loss(Value(1.0), v),
        lambda v, r: same(r.data, (1.0 - as_float(v)) ** 2),
    ),
    Site(
        "mse_loss(Tensor, target)",
        "target",
        r"real number|numbers|too large",
        lambda v: nn.mse_loss(Tensor([1.0]), v),
        lambda v, r: same(loss_of(r), (1.0 - as_float(v)) ** 2),
    ),
    Site(
        "binary_cross_entropy(Value, target)",
        "target",
        r"real number|numbers|too large|in \[0, 1\]",
        lambda v: nn.binary_cross_entropy(Value(0.5), v),
        lambda v, r: numbers_close(r.data, math.log(2.0)),  # any t: -(t + 1 - t) log 0.5
    ),
    Site(
        "bce_with_logits(Tensor, target)",
        "target",
        r"real number|numbers|too large|in \[0, 1\]",
        lambda v: nn.binary_cross_entropy_with_logits(Tensor([0.0]), v),
        lambda v, r: numbers_close(loss_of(r), math.log(2.0)),  # softplus(0) - t 0
    ),
    Site(
        "hinge_loss(Value, target)",
        "target",
        r"real number|numbers|too large|\+1 / -1",
        lambda v: nn.hinge_loss(Value(0.5), v),
        lambda v, r: numbers_close(r.data, 0.5 if as_float(v) > 0 else 1.5),
    ),
    Site(
        "cross_entropy(Values, target)",
        "target",
        r"class indices|classes",
        lambda v: nn.cross_entropy([Value(0.0), Value(0.0)], v),
        lambda v, r: numbers_close(r.data, math.log(2.0)),
    ),
    Site(
        "cross_entropy(Tensor, target)",
        "target",
        r"class indices|classes",
        lambda v: nn.cross_entropy(Tensor(np.zeros((1, 2))), v),
        lambda v, r: numbers_close(loss_of(r), math.log(2.0)),
    ),
    Site(
        "mse_loss(pred)",
        "pred",
        r"Value|Tensor",
        lambda v: nn.mse_loss(v, 0.5),
        lambda v, r: False,  # no hostile value is a prediction
    ),
    # ------------------------------------------------------------------ data arrays
    Site(
        "fit(X)",
        "X",
        r"real numbers|2-D|samples",
        lambda v: nn.fit(tiny_mlp(), v, Y4, epochs=1, progress=False),
        lambda v, r: False,  # a scalar is never a data set
    ),
    Site(
        "fit(y)",
        "y",
        r"real numbers|samples|scalars",
        lambda v: nn.fit(tiny_mlp(), X4(), v, epochs=1, progress=False),
        lambda v, r: False,
    ),
    Site(
        "predict(X)",
        "X",
        r"real numbers|2-D",
        lambda v: nn.predict(tiny_mlp(), v),
        lambda v, r: False,
    ),
    # ------------------------------------------------------------------ flags, names, paths
    Site(
        "batches(shuffle)",
        "shuffle",
        FLAG,
        lambda v: list(data.batches(X4(), Y4, 2, shuffle=v)),
        lambda v, r: len(r) == 2,
    ),
    Site(
        "Linear(bias)",
        "bias",
        FLAG,
        lambda v: nn.Linear(2, 2, v),
        lambda v, r: (r.bias is not None) == bool(v),
    ),
    Site("fit(progress)", "progress", FLAG, lambda v: fit(progress=v), lambda v, r: r.epochs == 1),
    Site(
        "load(strict)",
        "strict",
        FLAG,
        lambda v: nn.load(tiny_mlp(), SAVED, strict=v),
        lambda v, r: isinstance(r, nn.MLP),
    ),
    Site(
        "Linear(label)",
        "label",
        r"str",
        lambda v: nn.Linear(2, 2, label=v),
        lambda v, r: r.weight.label == f"{v}.weight",
    ),
    Site(
        "MLP(activation)",
        "activation",
        r"valid activations",
        lambda v: nn.MLP(2, [1], activation=v),
        lambda v, r: False,
    ),
    Site(
        "MLP(output_activation)",
        "output_activation",
        r"valid activations",
        lambda v: nn.MLP(2, [1], output_activation=v),
        lambda v, r: False,
    ),
    Site(
        "Linear(init)",
        "init",
        r"valid inits",
        lambda v: nn.Linear(2, 2, init=v),
        lambda v, r: False,
    ),
    Site(
        "Linear(dtype)",
        "dtype",
        r"float64 or float32",
        lambda v: nn.Linear(2, 2, dtype=v),
        lambda v, r: False,
    ),
    Site("fit(loss)", "loss", r"valid losses", lambda v: fit(loss=v), lambda v, r: False),
    Site(
        "save(path)",
        "path",
        r"file path",
        lambda v: nn.save(tiny_mlp(), v),
        lambda v, r: r.is_file() and str(r) == str(v),
    ),
    Site(
        "load(path)",
        "path",
        r"file path|no such file",
        lambda v: nn.load(tiny_mlp(), v),
        lambda v, r: False,
        errors=(TypeError, ValueError, FileNotFoundError),
    ),
    Site(
        "load_mnist(folder)",
        "folder",
        r"folder",
        lambda v: data.load_mnist(v),
        lambda v, r: False,
        errors=(TypeError, ValueError, FileNotFoundError),
    ),
    # ------------------------------------------------------------------ calling a model
    Site(
        "MLP(...)(x)",
        "MLP",  # a call's argument is named by the module it is passed to
        r"list of numbers|inputs",
        lambda v: ONE_BY_ONE(v),
        lambda v, r: numbers_close(r.data, ONE_BY_ONE.layers[0].neurons[0].w[0].data * as_float(v)),
    ),
    Site(
        "Linear(...)(x)",
        "Linear",
        r"array of numbers|real numbers|shape",
        lambda v: LINEAR(v),
        lambda v, r: False,  # a number is not a batch of rows
    ),
    # ------------------------------------------------------------------ the engines (autograd)
    Site(
        "Value(data)",
        "data",
        r"real number",
        lambda v: Value(v),
        lambda v, r: isinstance(r.data, float) and same(r.data, as_float(v)),
    ),
    Site(
        "Value + other",
        "operand",
        r"real number|unsupported operand",
        lambda v: Value(1.0) + v,
        lambda v, r: isinstance(r.data, float) and same(r.data, 1.0 + as_float(v)),
    ),
    Site(
        "Value.leaky_relu(slope)",
        "slope",
        r"real number",
        lambda v: Value(-2.0).leaky_relu(v),
        lambda v, r: isinstance(r.data, float) and same(r.data, -2.0 * as_float(v)),
    ),
    Site(
        "Tensor(data)",
        "data",
        r"real numbers|numbers",
        lambda v: Tensor(v),
        lambda v, r: r.data.dtype.kind == "f" and same(float(r.data), as_float(v)),
    ),
]

SAVED: Any = None  # the path of a saved tiny_mlp, set by the fixture below
ONE_BY_ONE = nn.MLP(1, [1], seed=0)  # one input, one linear output, bias 0: w * x
LINEAR = nn.Linear(1, 1, seed=0)


def same_state(a: nn.Module, b: nn.Module) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a.state().values(), b.state().values()))  # noqa: B905


#: Rows that fail because of code outside nn/: (site, value) -> the change they need.
PENDING: dict[tuple[str, str], str] = {}


def rows() -> list[Any]:
    out = []
    for site in SITES:
        for value_name in HOSTILE:
            marks = []
            reason = PENDING.get((site.name, value_name))
            if reason:
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
            out.append(pytest.param(site, value_name, id=f"{site.name}-{value_name}", marks=marks))
    return out


@pytest.fixture(autouse=True)
def saved_model(tmp_path, monkeypatch):
    """A saved tiny_mlp for the load sites; the working folder is a fresh one (save("3"))."""
    global SAVED
    monkeypatch.chdir(tmp_path)
    SAVED = nn.save(tiny_mlp(), tmp_path / "tiny.safetensors")


def outcome(site: Site, value: Any) -> tuple[Any, BaseException | None]:
    try:
        return site.call(value), None
    except Exception as e:  # judged by the test: a clear error, or a failure naming it
        return None, e


@pytest.mark.parametrize("site, value_name", rows())
def test_a_correct_result_or_a_clear_error(site, value_name):
    value = HOSTILE[value_name]
    result, error = outcome(site, value)
    if error is None:
        assert value_name not in NEVER_NUMBERS or site.name in ("save(path)", "Linear(label)"), (
            f"{site.name} accepted {value!r} as a number"
        )
        if value is None and site.none_ok:
            return
        assert site.correct(value, result), f"{site.name} with {value!r} gave {result!r}"
    else:
        kind = f"{type(error).__name__}: {error}"
        assert isinstance(error, site.errors), f"not a gradflow error: {kind}"
        named = site.param.lower() in str(error).lower()  # "Linear takes", "linear: input"
        assert named, f"the error does not name {site.param!r}: {kind}"
        assert re.search(site.expects, str(error)), (
            f"the error does not say what is expected: {kind}"
        )
    if value_name in TWINS:  # a NumPy value behaves as the Python number it equals
        twin_result, twin_error = outcome(site, TWINS[value_name])
        assert (error is None) == (twin_error is None), (
            f"{site.name}: {value!r} and {TWINS[value_name]!r} are treated differently: "
            f"{error or twin_error!r}"
        )


# ---------------------------------------------------------------------------- sizes


HUGE_REQUESTS = {
    "MLP(2, [10**9])": lambda: nn.MLP(2, [10**9]),
    "Layer(10**9, 10**9)": lambda: nn.Layer(10**9, 10**9),
    "Linear(2, 10**9)": lambda: nn.Linear(2, 10**9),
    "Linear(10**400, 2)": lambda: nn.Linear(10**400, 2),
    "spiral(classes=10**9)": lambda: data.spiral(classes=10**9),
    "spiral(n=10**12)": lambda: data.spiral(n=10**12),
    "make_moons(n=10**12)": lambda: data.make_moons(n=10**12),
    "fit(epochs=10**9)": lambda: fit(epochs=10**9),
}


@pytest.mark.parametrize("request_name", list(HUGE_REQUESTS))
def test_a_size_too_big_for_the_memory_is_refused_before_anything_is_allocated(request_name):
    # Each used to loop for minutes growing memory, or to ask the system for 15 GiB and more.
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"memory|at most n") as info:
            HUGE_REQUESTS[request_name]()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * 2**20, f"{request_name} allocated {peak} bytes before refusing"
    if "memory" in str(info.value):
        assert isinstance(info.value, nn.checks.SizeError) and isinstance(info.value, MemoryError)


def test_the_memory_estimate_is_against_the_memory_available(monkeypatch):
    # 2 x 1000 float64 weights, with gradient and two moments: 4 x 8 x 3000 bytes = 96 kB.
    monkeypatch.setattr(nn.checks, "available_memory", lambda: 100_000)
    assert nn.Linear(2, 1000).weight.shape == (1000, 2)
    monkeypatch.setattr(nn.checks, "available_memory", lambda: 90_000)
    with pytest.raises(nn.checks.SizeError, match=r"nin, nout: a Linear\(2, 1000\) .* 96 kB"):
        nn.Linear(2, 1000)


# ---------------------------------------------------------------------------- labels


RAW_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_LABELS = ["nul\x00x", "esc\x1bx", "bell\x07x", "del\x7fx", "line\nbreak", 'quote"x\\']


def labelled_graph(label: str) -> Value:
    a = Value(2.0, label=label)
    b = Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    return c


@pytest.mark.parametrize("label", CONTROL_LABELS, ids=repr)
def test_a_label_with_control_characters_is_escaped_in_the_diagram(label):
    import xml.etree.ElementTree as ET

    import viz

    diagram = viz.draw(labelled_graph(label))
    assert not RAW_CONTROL.search(diagram.source), "a raw control character in the DOT text"
    svg = diagram.pipe("svg").decode("utf-8")
    ET.fromstring(svg)  # well-formed: Graphviz did not choke on the label
    visible = label.split("\x00")[0].split("\x1b")[0].split("\x07")[0].split("\x7f")[0]
    assert visible.split("\n")[0].split('"')[0] in svg


@pytest.mark.parametrize("label", CONTROL_LABELS, ids=repr)
def test_a_label_with_control_characters_is_escaped_in_the_flip_book(label, tmp_path):
    import viz

    path = tmp_path / "steps.html"
    viz.save_steps(labelled_graph(label), path)
    html = path.read_text(encoding="utf-8")
    assert not RAW_CONTROL.search(html), "a raw control character in the HTML"
