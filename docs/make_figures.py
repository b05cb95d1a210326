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
from autograd import Value  # noqa: E402
from demo import seed_example  # noqa: E402

HERE = Path(__file__).parent


def dead_relu_example() -> Value:
    """Seed 000's network with w1 = -2: z1 = -2 * 1 + 0 = -2 < 0, so relu'(z1) = 0.

    L = (w2 * relu(z1) + b2 - 10)**2 = (0 + 1 - 10)**2 = 81;  dL/dz2 = 2 (1 - 10) = -18;
    dL/da1 = -18 * w2 = -54;  dL/dz1 = -54 * 0 = 0: nothing reaches w1, b1 or x.
    """
    x = Value(1.0, label="x", role="input")
    w1, b1 = Value(-2.0, label="w1", role="param"), Value(0.0, label="b1", role="param")
    w2, b2 = Value(3.0, label="w2", role="param"), Value(1.0, label="b2", role="param")
    z1 = w1 * x + b1
    z1.label = "z1"
    a1 = z1.relu()
    a1.label = "a1"
    z2 = w2 * a1 + b2
    z2.label = "z2"
    loss = (z2 - 10.0) ** 2
    loss.label = "L"
    loss.backward()
    return loss


def main() -> None:
    loss, _ = seed_example()
    loss.backward()
    written = [
        viz.draw(loss).render(HERE / "seed_example.svg"),
        viz.draw(dead_relu_example()).render(HERE / "dead_relu.svg"),
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
