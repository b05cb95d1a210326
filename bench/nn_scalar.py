"""micrograd's moons demo, timed against the same training on gradflow's scalar engine.

micrograd's demo (demo.ipynb, micrograd 0.1.0): MLP(2, [16, 16, 1]) with ReLU hidden layers,
100 points of make_moons(noise=0.1) with labels -1/+1, the SVM max-margin loss
mean(relu(1 - y * score)) plus the L2 penalty 1e-4 * sum(p**2), full-batch gradient descent
for 100 steps with the learning rate 1.0 - 0.9 * k / 100.

Four runs on the same data, interleaved over a few rounds (each engine's garbage collected
before the next run), each timed as a whole and divided by its number of steps; the table
gives the median per step with its spread:

- micrograd: the demo's loop as written (inputs wrapped with Value, built-in sum);
- gradflow, same loop: the same loop line for line on nn.MLP, as in micrograd's lecture
  (built-in ``sum``, ``zero_grad()``, ``backward()``, the update by hand), collector on;
- gradflow, same loop, gc_paused: each step inside ``autograd.gc_paused()`` (our graphs
  have no cycles, so the cycle collector has nothing to find in them; micrograd's do);
- gradflow, nn.fit: loss="hinge", SGD(weight_decay=2e-4) (the gradient of 1e-4 * p**2) and
  the same learning-rate schedule.

Run it with ``python -m bench nn_scalar`` (part of ``make bench``). NN_SCALAR_STEPS=20 in the
environment sets the steps per run (default 10), NN_SCALAR_ROUNDS the rounds (default 3).
The last line gives the graph's cost per node: collector-tracked objects and traced bytes.
"""

from __future__ import annotations

import gc
import os
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable
from contextlib import nullcontext
from functools import partial

import numpy as np

import nn
from autograd import gc_paused, topological_order

SEED = 1337  # micrograd's demo seeds numpy and random with 1337
ALPHA = 1e-4  # L2 strength of the demo


def learning_rate(k: int) -> float:
    """The demo's schedule: 1.0 at step 0, decaying linearly towards 0.1."""
    return 1.0 - 0.9 * k / 100


def run_micrograd(X: np.ndarray, y: np.ndarray, steps: int) -> tuple[float, float]:
    """micrograd's demo loop, as in its notebook. Returns (seconds, final accuracy)."""
    from micrograd.engine import Value
    from micrograd.nn import MLP

    random.seed(SEED)
    np.random.seed(SEED)
    model = MLP(2, [16, 16, 1])

    def loss() -> tuple[Value, float]:
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (s.data > 0) for yi, s in zip(y, scores, strict=True)]
        return total_loss, sum(accuracy) / len(accuracy)

    start = time.perf_counter()
    for k in range(steps):
        total_loss, acc = loss()
        model.zero_grad()
        total_loss.backward()
        for p in model.parameters():
            p.data -= learning_rate(k) * p.grad
    seconds = time.perf_counter() - start
    final = np.mean([(s.data > 0) == (t > 0) for s, t in zip(map(model, X), y, strict=True)])
    return seconds, float(final)


def run_gradflow_loop(
    X: np.ndarray, y: np.ndarray, steps: int, pause_gc: bool = False
) -> tuple[float, float]:
    """The demo's loop line for line on gradflow, as in micrograd's lecture: built-in ``sum``
    for the losses and the L2 term, ``zero_grad()``, ``backward()``, the update by hand.

    With ``pause_gc``, each step runs inside ``autograd.gc_paused()``, as nn.fit's do.
    """
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=SEED)
    params = model.parameters()
    rows, targets = X.tolist(), y.tolist()
    start = time.perf_counter()
    for k in range(steps):
        with gc_paused() if pause_gc else nullcontext():
            _loop_step(model, params, rows, targets, learning_rate(k))
    seconds = time.perf_counter() - start
    return seconds, _accuracy(model, X, y)


def _loop_step(model: nn.MLP, params: list, rows: list, targets: list, lr: float) -> None:
    """One step of the demo: scores, hinge loss + L2, backward, gradient descent."""
    scores = [model(row) for row in rows]
    losses = [(1 + -yi * si).relu() for yi, si in zip(targets, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in params)
    total_loss = data_loss + reg_loss
    model.zero_grad()
    total_loss.backward()
    for p in params:
        p.data -= lr * p.grad


def run_gradflow_fit(X: np.ndarray, y: np.ndarray, steps: int) -> tuple[float, float]:
    """The same training through nn.fit: weight decay 2 * ALPHA is the L2 term's gradient."""
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=SEED)
    opt = nn.optim.SGD(model.parameters(), lr=1.0, weight_decay=2 * ALPHA)
    start = time.perf_counter()
    nn.fit(model, X, y, loss="hinge", optimizer=opt, epochs=steps, progress=False,
           lr_schedule=learning_rate)  # fmt: skip
    seconds = time.perf_counter() - start
    return seconds, _accuracy(model, X, y)


def _accuracy(model: nn.MLP, X: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((nn.predict(model, X) > 0) == (y > 0)))


def graph_cost(X: np.ndarray, y: np.ndarray, samples: int = 32) -> tuple[int, float, float]:
    """Nodes, collector-tracked objects per node and traced bytes per node of one forward of
    the lecture loss over ``samples`` points (the graph alive, before its backward)."""
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=SEED)
    rows, targets = X[:samples].tolist(), y[:samples].tolist()
    gc.collect()
    with gc_paused():
        tracked = len(gc.get_objects())
        tracemalloc.start()
        scores = [model(row) for row in rows]
        losses = [(1 + -yi * si).relu() for yi, si in zip(targets, scores, strict=True)]
        loss = sum(losses) * (1.0 / len(losses))
        del scores, losses
        traced, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        tracked = len(gc.get_objects()) - tracked
        nodes = len(topological_order(loss))
    return nodes, tracked / nodes, traced / nodes


def main() -> None:
    steps = int(os.environ.get("NN_SCALAR_STEPS", "10"))
    rounds = int(os.environ.get("NN_SCALAR_ROUNDS", "3"))
    X, y01 = nn.data.make_moons(n=100, noise=0.1, seed=SEED)
    y = y01 * 2 - 1  # the demo's -1/+1 labels
    print(
        f"moons: 100 points, noise 0.1; MLP(2, [16, 16, 1]) ReLU; {rounds} rounds of {steps} "
        "full-batch steps per run, runs interleaved, garbage collected before each"
    )
    runs: list[tuple[str, Callable[..., tuple[float, float]]]] = [
        ("micrograd 0.1.0, demo loop", run_micrograd),
        ("gradflow, same loop", run_gradflow_loop),
        ("gradflow, same loop, gc_paused", partial(run_gradflow_loop, pause_gc=True)),
        ("gradflow, nn.fit", run_gradflow_fit),
    ]
    per_step: dict[str, list[float]] = {name: [] for name, _ in runs}
    accuracy: dict[str, float] = {}
    for r in range(rounds):
        for name, run in runs:
            gc.collect()  # start each run clean: micrograd leaves cyclic garbage behind
            seconds, acc = run(X, y, steps)
            per_step[name].append(seconds / steps)
            accuracy[name] = acc
        print(f"  round {r + 1}/{rounds} done", flush=True)
    base = statistics.median(per_step[runs[0][0]])
    print()
    print(f"{'run':<32} {'ms/step (median, min-max)':>28} {'speed-up':>9} {'acc':>5}")
    for name, _ in runs:
        times = per_step[name]
        med = statistics.median(times)
        spread = f"{1000 * min(times):.0f}-{1000 * max(times):.0f}"
        print(
            f"{name:<32} {1000 * med:>14.1f} ({spread:>11}) {base / med:>8.1f}x "
            f"{100 * accuracy[name]:>4.0f}%"
        )
    nodes, tracked, traced = graph_cost(X, y)
    print(
        f"\nlecture loss over 32 samples: {nodes} nodes, {tracked:.2f} collector-tracked "
        f"objects and {traced:.0f} bytes per node (goal: <= 1.5 and <= 200)"
    )


if __name__ == "__main__":
    main()
