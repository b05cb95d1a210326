"""Diagrams at every size: ``viz.draw`` + render time and output size against graph size.

Each row builds one graph (not timed), runs its backward (not timed), then times
``viz.draw(root)`` followed by rendering to SVG, the whole of what a user waits for (inline
display in Jupyter is the same SVG). The graphs:

- the seed example (13 nodes), one sample through ``nn.MLP(3, [4, 4, 1])`` and through
  ``nn.MLP(8, [32, 32, 32, 1])`` (about 5,000 nodes);
- a chain of tanh, 10^3 to 10^6 nodes (nothing to fold but "earlier nodes"), and a chain of
  ``y = y + 1e-6`` of 10^6 nodes (a sum of constants: walked once, not folded);
- micrograd's moons loss as users write it, ``sum(relu(1 - y_i * model(x_i))) / N`` over
  MLP(2, [16, 16, 1]), for N = 100 (about 38k nodes) and N = 2500 (about 10^6 nodes), and
  with micrograd's L2 penalty added (1e-4 * sum(p * p) over the 337 parameters).

Each variant is timed ``REPEATS`` times with the garbage collected before each; the table
gives the median and the spread (min-max), the nodes of the graph, the nodes handed to
Graphviz (the node budget is ``viz.draw``'s ``max_nodes``, 150) and the SVG size.

Run: ``python -m bench viz`` (also part of ``make bench``).
"""

from __future__ import annotations

import gc
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import nn
import viz
from autograd import Value, topological_order
from demo import seed_example

REPEATS = 3
GOAL_SECONDS = 3.0


def tanh_chain(n: int) -> Callable[[], Any]:
    def build() -> Any:
        y = Value(0.1, label="x", role="input")
        for _ in range(n - 1):
            y = y.tanh()
        return y

    return build


def add_chain(n: int) -> Callable[[], Any]:
    def build() -> Any:
        y = Value(0.5, label="x", role="input")
        for _ in range(n // 2):  # y + 1e-6: a "+" and a constant per step
            y = y + 1e-6
        return y

    return build


def small_mlp() -> Any:
    model = nn.MLP(3, [4, 4, 1], seed=0)
    return (model([2.0, 3.0, -1.0]) - 1.0) ** 2


def big_mlp() -> Any:
    model = nn.MLP(8, [32, 32, 32, 1], seed=0)
    return (model([0.5] * 8) - 1.0) ** 2


def seed() -> Any:
    return seed_example()[0]


def moons_loss(samples: int, penalty: bool = False) -> Callable[[], Any]:
    def build() -> Any:
        X, y = nn.data.make_moons(samples, noise=0.1, seed=0)
        y = y * 2 - 1
        model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
        terms = ((1 - yi * model(list(xi))).relu() for xi, yi in zip(X, y, strict=True))
        loss = sum(terms) / samples
        if penalty:  # micrograd's demo adds 1e-4 * sum(p * p)
            loss = loss + 1e-4 * sum(p * p for p in model.parameters())
        return loss

    return build


GRAPHS: list[tuple[str, Callable[[], Any]]] = [
    ("seed example", seed),
    ("MLP(3, [4, 4, 1]), one sample", small_mlp),
    ("MLP(8, [32, 32, 32, 1]), one sample", big_mlp),
    ("tanh chain 10^3", tanh_chain(1_000)),
    ("tanh chain 10^4", tanh_chain(10_000)),
    ("tanh chain 10^5", tanh_chain(100_000)),
    ("tanh chain 10^6", tanh_chain(1_000_000)),
    ("y + 1e-6 chain 10^6", add_chain(1_000_000)),
    ("moons loss, 100 samples", moons_loss(100)),
    ("moons loss + L2 penalty", moons_loss(100, penalty=True)),
    ("moons loss, 2500 samples", moons_loss(2_500)),
]


def measure(root: Any) -> tuple[list[float], viz.Diagram, int]:
    times = []
    diagram = None
    size = 0
    for _ in range(REPEATS):
        gc.collect()
        start = time.perf_counter()
        diagram = viz.draw(root)
        svg = diagram.pipe("svg")
        times.append(time.perf_counter() - start)
        size = len(svg)
    assert diagram is not None
    return times, diagram, size


def main() -> None:
    warnings.simplefilter("ignore", viz.LargeGraphWarning)
    header = (
        f"{'graph':32} {'nodes':>10} {'to Graphviz':>11} {'level':>7} "
        f"{'draw+render s':>14} {'spread s':>12} {'SVG kB':>7}"
    )
    print(header)
    print("-" * len(header))
    worst = 0.0
    for name, build in GRAPHS:
        root = build()
        root.backward()
        nodes = len(topological_order(root))
        times, diagram, size = measure(root)
        median = statistics.median(times)
        worst = max(worst, max(times))
        level = diagram.collapsed or ("folded" if diagram.folded else "ops")
        print(
            f"{name:32} {nodes:>10,} {diagram.box_count:>11} {level:>7} {median:>14.2f} "
            f"{min(times):>5.2f}-{max(times):<6.2f} {size / 1000:>7.0f}",
            flush=True,
        )
        del root, diagram
        gc.collect()
    verdict = "met" if worst <= GOAL_SECONDS else "NOT met"
    print(f"\nslowest run {worst:.2f} s; goal <= {GOAL_SECONDS:g} s for every graph: {verdict}")


if __name__ == "__main__":
    main()
