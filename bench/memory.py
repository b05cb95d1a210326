"""Memory per graph node: how much a Value or Tensor graph costs while it is alive.

Each row builds one graph, runs one backward, and measures with ``tracemalloc`` (Python's own
allocation tracer, so the numbers are the same on every run and machine, give or take the
interpreter version):

- built: the memory the graph holds once built (traced memory after building, minus before);
- peak: the highest traced memory during building and backward, minus before;
- left: what is still traced after the graph is dropped: about 0.1-0.2 MB whatever the size,
  the interpreter's free lists (freed tuples and floats kept for reuse, about 2000 of each
  size); anything that grew with the graph would mean a node was not freed;
- per node: peak / nodes, nodes counted by ``autograd.topological_order`` (constants
  included: ``x + 1e-6`` makes two nodes, the "+" and the constant 1e-6).

The gc is off during each row, as in ``nn.fit`` and ``backward()``: "freed" then shows that no
graph needs the cycle collector. Tensor rows include the arrays; a Tensor node costs a few
hundred bytes on top of its data.

Run: ``python -m bench memory`` (also part of ``make bench``).
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd import Tensor, Value, sum_of, topological_order


@dataclass
class Row:
    name: str
    nodes: int
    built: int  # bytes
    peak: int
    freed_left: int

    @property
    def per_node(self) -> float:
        return self.peak / self.nodes


def value_chain(n: int) -> Callable[[], Any]:
    def build() -> Any:
        x, out = Value(0.5), Value(0.5)
        for _ in range(n):
            out = out + 1e-6  # a new constant per step, as a user writes it
        return out, x

    return build


def value_chain_shared_constant(n: int) -> Callable[[], Any]:
    def build() -> Any:
        c = Value(1e-6)
        out = x = Value(0.5)
        for _ in range(n):
            out = out + c
        return out, (x, c)

    return build


def value_tanh_chain(n: int) -> Callable[[], Any]:
    def build() -> Any:
        out = x = Value(0.1)
        for _ in range(n):
            out = (out * 1.0001).tanh()
        return out, x

    return build


def wide_sum(n: int) -> Callable[[], Any]:
    def build() -> Any:
        xs = [Value(float(i)) for i in range(n)]
        return sum_of(x * x for x in xs), xs

    return build


def builtin_sum(n: int) -> Callable[[], Any]:
    def build() -> Any:
        xs = [Value(float(i)) for i in range(n)]
        return sum(xs), xs

    return build


def tensor_chain(n: int, size: int) -> Callable[[], Any]:
    def build() -> Any:
        x = Tensor(np.ones(size), requires_grad=True)
        y = x
        for _ in range(n):
            y = (y * 1.0001).tanh()
        return y.sum(), x

    return build


def measure(name: str, build: Callable[[], Any]) -> Row:
    """Build a graph, backward, drop it: the traced memory at each stage (gc off)."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        root, leaves = build()
        built = tracemalloc.get_traced_memory()[0] - start
        root.backward()
        nodes = len(topological_order(root))
        peak = tracemalloc.get_traced_memory()[1] - start
        del root, leaves
        left = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
        if was_enabled:
            gc.enable()
    # topological_order's own list and set count in the peak: measured after backward,
    # they are part of what a backward (which builds the same order) needs anyway.
    return Row(name, nodes, built, peak, left)


def rows(scale: int = 1) -> list[Row]:
    """The table's rows; ``scale`` divides every size (the tests use a small one)."""
    n = 100_000 // scale
    t = 10_000 // scale
    return [
        measure(f"Value chain x + 1e-6, {n:,} steps", value_chain(n)),
        measure(f"Value chain x + c (one c), {n:,}", value_chain_shared_constant(n)),
        measure(f"Value chain tanh(x * 1.0001), {n:,}", value_tanh_chain(n)),
        measure(f"sum_of {n:,} squares (one wide node)", wide_sum(n)),
        measure(f"builtin sum of {n:,} Values (a chain)", builtin_sum(n)),
        measure(f"Tensor chain tanh(y * 1.0001), {t:,}, (1,)", tensor_chain(t, 1)),
        measure(f"Tensor chain tanh(y * 1.0001), {t:,}, (100,)", tensor_chain(t, 100)),
    ]


def main() -> None:
    print("traced with tracemalloc, gc off; per node = peak / nodes (constants included)")
    print()
    print(f"{'graph':<44} {'nodes':>9} {'built MB':>9} {'peak MB':>8} {'B/node':>7} {'left':>6}")
    for r in rows():
        print(
            f"{r.name:<44} {r.nodes:>9,} {r.built / 1e6:>9.1f} {r.peak / 1e6:>8.1f} "
            f"{r.per_node:>7.0f} {r.freed_left:>6}"
        )


if __name__ == "__main__":
    main()
