"""micrograd's moons demo, timed against the same training on gradflow's scalar engine.

micrograd's demo (demo.ipynb, micrograd 0.1.0): MLP(2, [16, 16, 1]) with ReLU hidden layers,
100 points of make_moons(noise=0.1) with labels -1/+1, the SVM max-margin loss
mean(relu(1 - y * score)) plus the L2 penalty 1e-4 * sum(p**2), full-batch gradient descent
for 100 steps with the learning rate 1.0 - 0.9 * k / 100.

Three runs on the same data, each timed as a whole and divided by the number of steps:

- micrograd: the demo's loop as written (inputs wrapped with Value, built-in sum);
- gradflow, same loop: the same loop line for line on nn.MLP (hinge loss + the same L2 term
  in the graph, the same update rule);
- gradflow, same loop, gc_paused: each step inside ``autograd.gc_paused()`` (our graphs
  have no cycles, so the cycle collector has nothing to find in them; micrograd's do);
- gradflow, nn.fit: loss="hinge", SGD(weight_decay=2e-4) (the gradient of 1e-4 * p**2) and
  the same learning-rate schedule.

Run it with ``python -m bench nn_scalar`` (part of ``make bench``). NN_SCALAR_STEPS=20 in the
environment shortens every run.
"""

from __future__ import annotations

import gc
import os
import random
import time
from collections.abc import Callable
from contextlib import nullcontext
from functools import partial

import numpy as np

import nn
from autograd import gc_paused, sum_of

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
    """The demo's loop line for line on gradflow: same graph, same update.

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
    data_loss = nn.hinge_loss(scores, targets)
    reg_loss = ALPHA * sum_of([p * p for p in params])
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


def main() -> None:
    steps = int(os.environ.get("NN_SCALAR_STEPS", "100"))
    X, y01 = nn.data.make_moons(n=100, noise=0.1, seed=SEED)
    y = y01 * 2 - 1  # the demo's -1/+1 labels
    print(f"moons: 100 points, noise 0.1; MLP(2, [16, 16, 1]) ReLU; {steps} full-batch steps")
    runs: list[tuple[str, Callable[..., tuple[float, float]]]] = [
        ("micrograd 0.1.0, demo loop", run_micrograd),
        ("gradflow, same loop", run_gradflow_loop),
        ("gradflow, same loop, gc_paused", partial(run_gradflow_loop, pause_gc=True)),
        ("gradflow, nn.fit", run_gradflow_fit),
    ]
    results = []
    for name, run in runs:
        gc.collect()  # start each run clean: micrograd leaves cyclic garbage behind
        seconds, acc = run(X, y, steps)
        results.append((name, seconds, acc))
        print(f"  done: {name} ({seconds:.1f} s)", flush=True)
    base = results[0][1] / steps
    print()
    print(f"{'run':<30} {'ms/step':>9} {'speed-up':>9} {'final acc':>10}")
    for name, seconds, acc in results:
        per_step = seconds / steps
        print(f"{name:<30} {1000 * per_step:>9.1f} {base / per_step:>8.1f}x {100 * acc:>9.0f}%")


if __name__ == "__main__":
    main()
