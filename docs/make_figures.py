"""Regenerate the figures under docs/: ``make docs`` (or ``python -m docs.make_figures``).

- ``seed_example.svg``: seed 000's Example 1 after backward, every edge showing
  upstream × local = downstream (the README shows it);
- ``dead_relu.svg``: the same network with a dead ReLU: the blocked edge, the greyed nodes;
- ``activations.svg``: the activation functions, their derivatives, saturated regions.

The output is deterministic: running it twice gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import viz  # noqa: E402
from demo import seed_example  # noqa: E402

HERE = Path(__file__).parent


def main() -> None:
    loss, _ = seed_example()
    loss.backward()
    dead, _ = seed_example(w1=-2.0)  # z1 = -2 < 0: relu'(z1) = 0 blocks the path to w1
    dead.backward()
    written = [
        viz.draw(loss).render(HERE / "seed_example.svg"),
        viz.draw(dead).render(HERE / "dead_relu.svg"),
    ]
    matplotlib.rcParams["svg.hashsalt"] = "gradflow"  # stable element ids
    figure = viz.plot_activations()
    path = HERE / "activations.svg"
    figure.savefig(path, format="svg", metadata={"Date": None})
    written.append(str(path))
    for name in written:
        print(f"wrote {name}")


if __name__ == "__main__":
    main()
