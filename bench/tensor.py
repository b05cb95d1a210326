"""One training step of a 64-128-128-10 ReLU MLP: the Tensor engine against hand-written NumPy.

A step is: forward pass, cross-entropy loss (mean over the batch), backward pass, plain SGD
update. Implementations of the same net with the same initial weights and the same batch run
side by side:

- "numpy": the textbook equations written out by hand, no autodiff (forward z = a W.T + b,
  a = relu(z); softmax - one-hot for the output delta; then BP2-BP4 layer by layer);
- "tensor": gradflow's Tensor engine with nn.Sequential(nn.Linear, nn.ReLU, ...) (which
  runs each Linear and its ReLU as one node) and the cross-entropy as ``nn.cross_entropy``
  (one node, which keeps its softmax for the backward); autodiff does the backward pass;
- "tape": the least an autodiff engine in Python can do: the forward records one closure per
  layer on a list, the backward calls them in reverse. The same NumPy calls as the engine,
  without nodes, ops, checks or a graph. It is a floor for the engine's overhead, not a
  competitor: the gap between "tensor" and "tape" is the engine's own Python;
- "nodes": the least a node engine can do (``BareNodes``): a node per layer and one for the
  loss, each with a shared rule, and a pass over them from a heap, with the engine's NumPy
  calls and none of its modes, checks, op objects or modules. Between "tape" and "nodes" is
  the cost of nodes and a pass; between "nodes" and "tensor", the cost of the rest;
- "torch": PyTorch CPU nn + F.cross_entropy + optim.SGD (skipped when PyTorch is absent).

Each step takes the next of 8 batches of inputs (the labels stay), as training goes through
an epoch: with one batch over and over, the CPU learns the ReLU masks, and code that branches
on them (np.where) runs faster than it would in training.

Before timing, they must all agree on the loss and every gradient. Each timing round runs the
implementations back to back; a time is the fastest round (the machine is shared and noisy), a
ratio the median over rounds of the ratio within a round; the tensor/numpy ratio is shown
with its middle half (its quartiles over the rounds). Targets (issue 5): tensor/numpy <= 1.3
at batch 32 and <= 1.1 at batch 1797; tensor faster than torch at batch 32; tensor backward
<= 1.5 x tensor forward. A row with a tensor/numpy target is timed in SETS sets of rounds,
each by new implementations: one set's ratio can land on either side of a target it is close
to, so the row's ratio (and the verdict) is the median of the sets' ratios, printed with
every set's ratio. The table says which targets are met.

Run: ``python -m bench tensor`` (also part of ``make bench``).
"""

from __future__ import annotations

import itertools
import time
from functools import partial
from heapq import heappop, heappush
from typing import Any

import numpy as np

from autograd import dmath
from autograd.tensor import Tensor
from nn.linear import Linear, ReLU, Sequential
from nn.losses import cross_entropy

SIZES = (64, 128, 128, 10)
BATCHES = (32, 256, 1797)
DTYPES = (np.float64, np.float32)
LR = 0.05
ROUND_SECONDS = 0.03  # each timing round runs about this long
ROUNDS = 15
INPUTS = 8  # batches of inputs, taken in turn: a new one each step
RATIO_TARGETS = {32: 1.3, 1797: 1.1}  # tensor / numpy, by batch, for both dtypes (issue 5)
SETS = 4  # a row with a ratio target is timed this many times over, by new implementations

# PyTorch is optional: main() imports it when installed, and the row is skipped otherwise.
# (Not at import time: the tests use this module's implementations without paying for it.)
torch: Any = None


def load_torch() -> None:
    global torch
    try:
        import torch as installed
    except ImportError:  # pragma: no cover - depends on the environment
        return
    torch = installed


try:  # one thread for BLAS and OpenMP (see main)
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - depends on the environment
    threadpool_limits = None  # type: ignore[assignment]


def make_problem(
    batch: int, dtype: Any, seed: int = 0
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """He-initialised [W1, b1, W2, b2, W3, b3] (W is (nout, nin)), a batch X and labels y."""
    rng = np.random.default_rng(seed)
    params = []
    for nin, nout in zip(SIZES[:-1], SIZES[1:], strict=True):
        params.append((rng.standard_normal((nout, nin)) * np.sqrt(2.0 / nin)).astype(dtype))
        params.append(np.zeros(nout, dtype=dtype))
    X = rng.standard_normal((batch, SIZES[0])).astype(dtype)
    y = rng.integers(0, SIZES[-1], size=batch)
    return params, X, y


def more_inputs(X: np.ndarray, count: int, seed: int = 1) -> list[np.ndarray]:
    """X and count - 1 other batches of inputs like it, for a new batch each step."""
    rng = np.random.default_rng(seed)
    return [X] + [rng.standard_normal(X.shape).astype(X.dtype) for _ in range(count - 1)]


class HandNumpy:
    """The textbook backprop equations in NumPy, rows = examples."""

    name = "numpy"

    def __init__(self, params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> None:
        self.params = [p.copy() for p in params]
        self.X, self.y, self.rows = X, y, np.arange(len(y))

    def as_input(self, X: np.ndarray) -> Any:
        return X

    def forward(self) -> None:
        W1, b1, W2, b2, W3, b3 = self.params
        self.z1 = self.X @ W1.T + b1
        self.a1 = np.maximum(self.z1, 0.0)
        self.z2 = self.a1 @ W2.T + b2
        self.a2 = np.maximum(self.z2, 0.0)
        z3 = self.a2 @ W3.T + b3
        shifted = z3 - z3.max(axis=1, keepdims=True)  # log-softmax, shifted by the max
        self.logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.loss = -self.logp[self.rows, self.y].mean()

    def backward(self) -> None:
        W1, b1, W2, b2, W3, b3 = self.params
        n = len(self.y)
        d3 = np.exp(self.logp)  # dL/dz3 = (softmax - one_hot) / n
        d3[self.rows, self.y] -= 1.0
        d3 /= n
        d2 = (d3 @ W3) * (self.z2 > 0)  # BP2: delta = (W.T delta_next) * relu'(z)
        d1 = (d2 @ W2) * (self.z1 > 0)
        # BP3, BP4: dL/db = delta summed over the batch, dL/dW = delta.T @ a_prev
        self.grads = [
            d1.T @ self.X,
            d1.sum(0),
            d2.T @ self.a1,
            d2.sum(0),
            d3.T @ self.a2,
            d3.sum(0),
        ]

    def update(self) -> None:
        for p, g in zip(self.params, self.grads, strict=True):
            p -= LR * g
        self.z1 = self.a1 = self.z2 = self.a2 = self.logp = self.grads = None  # the step's arrays

    def gradients(self) -> list[np.ndarray]:
        return self.grads


class GradflowTensor:
    """The same step on gradflow Tensors: the engine builds the backward pass."""

    name = "tensor"

    def __init__(self, params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> None:
        self.model = Sequential(
            Linear(SIZES[0], SIZES[1]), ReLU(), Linear(SIZES[1], SIZES[2]), ReLU(),
            Linear(SIZES[2], SIZES[3]),
        )  # fmt: skip
        self.params = self.model.parameters()  # 0.weight, 0.bias, 2.weight, ...
        for p, value in zip(self.params, params, strict=True):
            p.data = value.copy()
        self.X = self.as_input(X)
        self.y, self.rows = y, np.arange(len(y))

    def as_input(self, X: np.ndarray) -> Any:
        return Tensor(X, role="input")

    def forward(self) -> None:
        logits = self.model(self.X)
        self.loss = cross_entropy(logits, self.y)

    def backward(self) -> None:
        self.loss.backward()

    def update(self) -> None:
        for p in self.params:  # on .data: the update itself is not part of any graph
            p.data -= LR * p.grad
            p.grad = None
        self.loss = None  # the step's graph is freed here, as when a step function returns

    def gradients(self) -> list[np.ndarray]:
        return [p.grad for p in self.params]


# The NumPy of one step, as the engine computes it: the tape and the bare node engine below
# both call these, so the three run the same array operations.


def flat_targets(y: np.ndarray) -> np.ndarray:
    """Each row's target as a position in the flattened (N, C) logits."""
    return np.arange(len(y)) * SIZES[-1] + y


def dense(x: np.ndarray, W: np.ndarray, b: np.ndarray, relu: bool) -> np.ndarray:
    """One layer's forward, x @ W.T + b, and relu in place (as the engine's linear+relu)."""
    out = x @ W.T
    out += b
    if relu:
        np.maximum(out, 0.0, out=out)
    return out


def softmax_cross_entropy(z: np.ndarray, flat: np.ndarray) -> tuple[Any, np.ndarray, np.ndarray]:
    """The mean cross-entropy of logits z (N, C) at the targets ``flat``, and what its
    gradient needs: e = exp(z - max z) and its row sums s (softmax = e / s)."""
    shifted = z - np.maximum.reduce(z, -1, keepdims=True)
    e = np.exp(shifted)
    s = np.add.reduce(e, -1, keepdims=True)
    return np.add.reduce(np.log(s).reshape(-1) - shifted.take(flat)) / len(z), e, s


def softmax_cross_entropy_grad(g: Any, e: np.ndarray, s: np.ndarray, flat: np.ndarray) -> Any:
    """dL/dz = g (softmax(z) - onehot) / N, from what the forward saved."""
    scale = float(g) / len(e)
    d = e * (scale / s)
    d.put(flat, d.take(flat) - scale)
    return d


class Tape:
    """A tape of closures: the Tensor engine's NumPy calls with none of its machinery."""

    name = "tape"

    def __init__(self, params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> None:
        self.params = [p.copy() for p in params]
        self.X, self.y = X, y
        self.flat = flat_targets(y)

    def as_input(self, X: np.ndarray) -> Any:
        return X

    def forward(self) -> None:
        W1, b1, W2, b2, W3, b3 = self.params
        tape: list[Any] = []
        grads: list[Any] = [None] * 6

        def linear(x: np.ndarray, W: np.ndarray, b: np.ndarray, i: int, relu: bool) -> Any:
            out = dense(x, W, b, relu)

            def back(g: np.ndarray) -> np.ndarray:
                if relu:
                    g = dmath.where(out <= 0.0, 0.0, g)  # the engine's select
                grads[i], grads[i + 1] = g.T @ x, np.add.reduce(g, 0)
                return g @ W if i else g  # the input needs no gradient

            tape.append(back)
            return out

        z3 = linear(linear(linear(self.X, W1, b1, 0, True), W2, b2, 2, True), W3, b3, 4, False)
        self.loss, e, s = softmax_cross_entropy(z3, self.flat)
        tape.append(lambda g: softmax_cross_entropy_grad(g, e, s, self.flat))
        self.tape, self.grads = tape, grads

    def backward(self) -> None:
        g = np.ones((), dtype=self.X.dtype)
        for back in reversed(self.tape):
            g = back(g)

    def update(self) -> None:
        for p, g in zip(self.params, self.grads, strict=True):
            p -= LR * g
        self.tape = self.grads = None

    def gradients(self) -> list[np.ndarray]:
        return self.grads


class _Node:
    """A bare graph node: its array, its gradient, its rule and parents, and its tick."""

    __slots__ = ("data", "grad", "requires_grad", "rule", "parents", "tick")

    def item(self) -> float:
        return self.data.item()


def _bare_node(
    data: Any, rule: Any, parents: tuple, tick: int, requires_grad: bool = True
) -> _Node:
    node = _Node()
    node.data, node.grad, node.requires_grad = data, None, requires_grad
    node.rule, node.parents, node.tick = rule, parents, tick
    return node


# The bare engine's rules, shared by its nodes: vjp(g, *operand arrays, out), as the engine's.


def _linear_rule(g: np.ndarray, x: np.ndarray, w: Any, b: Any, out: Any) -> tuple:
    return partial(np.matmul, g, w), partial(np.matmul, g.T, x), np.add.reduce(g, 0)


def _linear_relu_rule(g: np.ndarray, x: np.ndarray, w: Any, b: Any, out: Any) -> tuple:
    return _linear_rule(dmath.where(out <= 0.0, 0.0, g), x, w, b, out)


class _CrossEntropyRule:
    """The rule of one cross-entropy node, with what its forward saved and its targets."""

    __slots__ = ("e", "s", "flat")

    def __init__(self, e: np.ndarray, s: np.ndarray, flat: np.ndarray) -> None:
        self.e, self.s, self.flat = e, s, flat

    def __call__(self, g: np.ndarray, z: np.ndarray, out: np.ndarray) -> tuple:
        return (softmax_cross_entropy_grad(g, self.e, self.s, self.flat),)


class BareNodes:
    """The least a node engine can do: nodes with a shared rule per op (the engine's deferred
    products, ReLU select and saved softmax), taken latest tick first from a heap, a gradient
    on every node. None of gradflow's grad modes, checks (stale data, inputs, targets), op
    objects, quiet sections, modules or ``data`` property: the gap between it and gradflow is
    what those cost, and the gap between it and the tape is what nodes and a pass cost."""

    name = "nodes"

    def __init__(self, params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> None:
        self.ticks = itertools.count(1)
        self.params = [_bare_node(p.copy(), None, (), 0) for p in params]
        self.X = self.as_input(X)
        self.flat = flat_targets(y)

    def as_input(self, X: np.ndarray) -> Any:
        return _bare_node(X, None, (), 0, requires_grad=False)

    def linear(self, x: _Node, w: _Node, b: _Node, relu: bool) -> _Node:
        rule = _linear_relu_rule if relu else _linear_rule
        return _bare_node(dense(x.data, w.data, b.data, relu), rule, (x, w, b), next(self.ticks))

    def forward(self) -> None:
        W1, b1, W2, b2, W3, b3 = self.params
        z = self.linear(self.linear(self.linear(self.X, W1, b1, True), W2, b2, True), W3, b3, False)
        loss, e, s = softmax_cross_entropy(z.data, self.flat)
        self.loss = _bare_node(
            np.asarray(loss), _CrossEntropyRule(e, s, self.flat), (z,), next(self.ticks)
        )

    def backward(self) -> None:
        root = self.loss
        grads = {root: np.ones((), dtype=root.data.dtype)}
        heap = [(-root.tick, root)]  # latest tick first (ticks are unique: no tie to break)
        while heap:
            node = heappop(heap)[1]
            g = node.grad = grads.pop(node)
            downs = node.rule(g, *[p.data for p in node.parents], node.data)
            for p, d in zip(node.parents, downs):  # noqa: B905
                if not p.requires_grad:
                    continue
                if type(d) is not np.ndarray:
                    d = d()
                if p in grads:
                    grads[p] = grads[p] + d
                else:
                    grads[p] = d
                    if p.rule is not None:
                        heappush(heap, (-p.tick, p))
        for leaf, g in grads.items():  # the parameters (each gets one gradient per step here)
            leaf.grad = g

    def update(self) -> None:
        for p in self.params:
            p.data -= LR * p.grad
            p.grad = None
        self.loss = None

    def gradients(self) -> list[np.ndarray]:
        return [p.grad for p in self.params]


class TorchCPU:
    """PyTorch nn.Sequential + F.cross_entropy + optim.SGD on the CPU."""

    name = "torch"

    def __init__(self, params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> None:
        nn = torch.nn
        self.model = nn.Sequential(
            nn.Linear(SIZES[0], SIZES[1]), nn.ReLU(), nn.Linear(SIZES[1], SIZES[2]), nn.ReLU(),
            nn.Linear(SIZES[2], SIZES[3]),
        )  # fmt: skip
        with torch.no_grad():
            for p, value in zip(self.model.parameters(), params, strict=True):
                p.data = torch.from_numpy(value.copy())
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LR)
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y)

    def as_input(self, X: np.ndarray) -> Any:
        return torch.from_numpy(X)

    def forward(self) -> None:
        self.loss = torch.nn.functional.cross_entropy(self.model(self.X), self.y)

    def backward(self) -> None:
        self.loss.backward()

    def update(self) -> None:
        self.optimizer.step()
        self.optimizer.zero_grad()
        self.loss = None

    def gradients(self) -> list[np.ndarray]:
        return [p.grad.numpy() for p in self.model.parameters()]


def check_agreement(batch: int, dtype: Any) -> None:
    """Before timing: every implementation computes the same loss and gradients."""
    params, X, y = make_problem(batch, dtype)
    impls = [cls(params, X, y) for cls in implementations()]
    for impl in impls:
        impl.forward()
        impl.backward()
    rtol = 1e-9 if dtype == np.float64 else 1e-3
    reference = impls[0]
    for impl in impls[1:]:
        loss, expected = impl.loss.item(), reference.loss.item()
        if not np.isclose(loss, expected, rtol=rtol):
            raise AssertionError(f"{impl.name}: loss {loss} != numpy's {expected}")
        for i, (g, ref) in enumerate(zip(impl.gradients(), reference.gradients(), strict=True)):
            if g.dtype != ref.dtype or not np.allclose(g, ref, rtol=rtol, atol=rtol * 1e-2):
                raise AssertionError(f"{impl.name}: gradient {i} differs from numpy's")


def implementations() -> list[type]:
    found: list[type] = [HandNumpy, GradflowTensor, Tape, BareNodes]
    if torch is not None:
        found.append(TorchCPU)
    return found


Rounds = dict[str, list[dict[str, float]]]


def run_steps(impl: Any, batches: list[Any], n: int) -> tuple[float, float]:
    """n steps of impl, step i on batches[i % len(batches)]: the seconds its forwards and its
    backwards took (the update is the rest of the step)."""
    clock = time.perf_counter
    forward = backward = 0.0
    for i in range(n):
        impl.X = batches[i % len(batches)]
        t0 = clock()
        impl.forward()
        t1 = clock()
        impl.backward()
        t2 = clock()
        impl.update()
        forward += t1 - t0
        backward += t2 - t1
    return forward, backward


def time_steps(impls: list[Any], inputs: list[np.ndarray]) -> Rounds:
    """Per implementation, per round: seconds per step and per forward / backward phase.

    A round runs each implementation in turn for about ROUND_SECONDS; a step's time is the
    round's time over its step count. The implementations of one round run back to back, so
    their ratio compares them under the same machine load. Each round goes through the
    inputs in turn (``run_steps``).
    """
    own = {impl.name: [impl.as_input(X) for X in inputs] for impl in impls}
    counts = {}
    for impl in impls:  # warm up, and size the rounds
        start, n = time.perf_counter(), 0
        while time.perf_counter() - start < ROUND_SECONDS / 4:
            run_steps(impl, own[impl.name], len(inputs))
            n += len(inputs)
        counts[impl.name] = max(3, int(4 * n))
    rounds: Rounds = {impl.name: [] for impl in impls}
    for _ in range(ROUNDS):
        for impl in impls:
            n = counts[impl.name]
            start = time.perf_counter()
            forward, backward = run_steps(impl, own[impl.name], n)
            step = (time.perf_counter() - start) / n
            rounds[impl.name].append(
                {"step": step, "forward": forward / n, "backward": backward / n}
            )
    return rounds


def fastest(rounds: Rounds, name: str, phase: str) -> float:
    """Microseconds: the fastest round (the least disturbed by other processes)."""
    return 1e6 * min(r[phase] for r in rounds[name])


def ratios(rounds: Rounds, a: str, b: str, phase_a: str = "step", phase_b: str = "step") -> list:
    """Per round, a's time / b's time, each pair measured in the same round."""
    pairs = zip(rounds[a], rounds[b], strict=True)
    return [ra[phase_a] / rb[phase_b] for ra, rb in pairs]


def ratio(rounds: Rounds, a: str, b: str, phase_a: str = "step", phase_b: str = "step") -> float:
    """The median over rounds of a's time / b's time, each pair measured in the same round."""
    return float(np.median(ratios(rounds, a, b, phase_a, phase_b)))


def pooled(sets: list[Rounds]) -> Rounds:
    """The rounds of several sets, as one set (the same implementations in each)."""
    return {name: [r for rounds in sets for r in rounds[name]] for name in sets[0]}


def set_ratios(sets: list[Rounds]) -> tuple[float, list[float]]:
    """A row's tensor/numpy ratio, the median of its sets' ratios (one set: its own), and
    the sets' ratios."""
    each = [ratio(one, "tensor", "numpy") for one in sets]
    return float(np.median(each)), each


def time_sets(batch: int, dtype: Any, count: int) -> list[Rounds]:
    """``count`` sets of rounds (``time_steps``), each by new implementations of the step."""
    params, X, y = make_problem(batch, dtype)
    inputs = more_inputs(X, INPUTS)
    return [
        time_steps([cls(params, X, y) for cls in implementations()], inputs) for _ in range(count)
    ]


def main() -> None:
    """Print the table, single-threaded.

    On a small shared machine, OpenBLAS's and PyTorch's OpenMP worker threads spin while they
    wait for work, and the two pools steal each other's cores when the implementations are
    interleaved: timings then swing by 10x. One thread each gives stable, comparable figures
    (at these sizes the matrices are too small for threads to pay off much anyway).
    """
    load_torch()
    threads = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(1)
    try:
        if threadpool_limits is not None:
            with threadpool_limits(limits=1):
                _run()
        else:
            _run()
    finally:
        if torch is not None:
            torch.set_num_threads(threads)


def _run() -> None:
    print(
        f"MLP {'-'.join(map(str, SIZES))} (ReLU), one SGD step = forward + cross-entropy + "
        f"backward + update, a new batch each step ({INPUTS} in turn).\nTimes: microseconds per "
        f"step, fastest of {ROUNDS} rounds; ratios: median over the rounds of the ratio within a "
        "round (same machine load)."
    )
    print(
        "tensor: nn.Sequential(nn.Linear, nn.ReLU, ...)"
        + ("; PyTorch " + torch.__version__ if torch is not None else "; PyTorch not installed")
        + ("; 1 thread" if threadpool_limits is not None else "")
    )
    header = (
        f"{'batch':>5} {'dtype':>7} | {'numpy':>8} {'tensor':>8} {'ratio':>6} "
        f"{'middle half':>11} | {'fwd':>7} {'bwd':>7} {'bwd/fwd':>7} {'numpy b/f':>9} | "
        f"{'tape/np':>7} {'nodes/np':>8}"
    )
    if torch is not None:
        header += f" | {'torch':>8} {'torch/np':>8} {'tensor/torch':>12}"
    print(header)
    print("-" * len(header))
    verdicts = []
    for batch in BATCHES:
        for dtype in DTYPES:
            check_agreement(batch, dtype)
            sets = time_sets(batch, dtype, SETS if batch in RATIO_TARGETS else 1)
            rounds = pooled(sets)
            middle, each = set_ratios(sets)
            found = {
                "ratio": middle,
                "sets": each,
                "bwd/fwd": ratio(rounds, "tensor", "tensor", "backward", "forward"),
            }
            low, high = np.percentile(ratios(rounds, "tensor", "numpy"), [25, 75])
            row = (
                f"{batch:>5} {np.dtype(dtype).name:>7} | {fastest(rounds, 'numpy', 'step'):>8.1f} "
                f"{fastest(rounds, 'tensor', 'step'):>8.1f} {found['ratio']:>6.2f} "
                f"{f'{low:.2f}-{high:.2f}':>11} | "
                f"{fastest(rounds, 'tensor', 'forward'):>7.1f} "
                f"{fastest(rounds, 'tensor', 'backward'):>7.1f} {found['bwd/fwd']:>7.2f} "
                f"{ratio(rounds, 'numpy', 'numpy', 'backward', 'forward'):>9.2f} | "
                f"{ratio(rounds, 'tape', 'numpy'):>7.2f} {ratio(rounds, 'nodes', 'numpy'):>8.2f}"
            )
            if "torch" in rounds:
                found["tensor/torch"] = ratio(rounds, "tensor", "torch")
                row += (
                    f" | {fastest(rounds, 'torch', 'step'):>8.1f} "
                    f"{ratio(rounds, 'torch', 'numpy'):>8.2f} {found['tensor/torch']:>12.2f}"
                )
            print(row, flush=True)
            verdicts.extend(targets(batch, np.dtype(dtype).name, found))
    print("\ntargets (issue 5):")
    for line in verdicts:
        print("  " + line)


def targets(batch: int, dtype: str, found: dict[str, Any]) -> list[str]:
    """The issue's targets that apply to this row, each marked met or MISSED."""

    def line(ok: bool, text: str) -> str:
        return f"{'met   ' if ok else 'MISSED'} batch {batch:>4} {dtype}: {text}"

    lines = []
    if batch in RATIO_TARGETS:
        goal, sets = RATIO_TARGETS[batch], found["sets"]
        each = " ".join(f"{r:.2f}" for r in sets)
        met = sum(r <= goal for r in sets)
        lines.append(
            line(
                found["ratio"] <= goal,
                f"tensor/numpy {found['ratio']:.2f} <= {goal} (the median of {len(sets)} sets: "
                f"{each}; {met} of {len(sets)} met)",
            )
        )
    if batch == 32:
        if "tensor/torch" in found:
            vs = found["tensor/torch"]
            lines.append(line(vs < 1.0, f"tensor/torch {vs:.2f} < 1"))
        else:
            lines.append(f"skip   batch {batch:>4} {dtype}: tensor/torch (PyTorch not installed)")
    b_f = found["bwd/fwd"]
    lines.append(line(b_f <= 1.5, f"tensor backward/forward {b_f:.2f} <= 1.5"))
    return lines


if __name__ == "__main__":
    main()
