"""Regenerate the figures under docs/: ``make docs`` (or ``python -m docs.make_figures``).

- ``seed_example.svg``: seed 000's Example 1 after backward, every edge showing
  upstream × local = downstream (the README shows it);
- ``dead_relu.svg``: the same network with a dead ReLU: the blocked edge, the greyed nodes;
- ``mlp_neurons.svg``: one sample through ``nn.MLP(3, [4, 4, 1])``, drawn by neurons (the
  default for a network: each neuron one box, each input once);
- ``moons_loss.svg``: micrograd's moons loss over 100 samples (38,040 nodes), the first
  sample drawn and the other 99 folded into one box, layers as boxes;
- ``activations.svg``: the activation functions, their derivatives, saturated regions.

The output is deterministic: running it twice gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import warnings  # noqa: E402

import nn  # noqa: E402
import viz  # noqa: E402
from demo import seed_example  # noqa: E402

HERE = Path(__file__).parent


def main() -> None:
    loss, _ = seed_example()
    loss.backward()
    dead, _ = seed_example(w1=-2.0)  # z1 = -2 < 0: relu'(z1) = 0 blocks the path to w1
    dead.backward()
    model = nn.MLP(3, [4, 4, 1], seed=0)
    net = (model([2.0, 3.0, -1.0]) - 1.0) ** 2
    net.backward()
    X, y = nn.data.make_moons(100, noise=0.1, seed=0)
    moons = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
    hinge = sum((1 - yi * moons(list(xi))).relu() for xi, yi in zip(X, y * 2 - 1, strict=True))
    hinge = hinge / 100
    hinge.backward()
    written = [
        viz.draw(loss).render(HERE / "seed_example.svg"),
        viz.draw(dead).render(HERE / "dead_relu.svg"),
        viz.draw(net).render(HERE / "mlp_neurons.svg"),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", viz.LargeGraphWarning)  # the fold is the point here
        written.append(viz.draw(hinge).render(HERE / "moons_loss.svg"))
    matplotlib.rcParams["svg.hashsalt"] = "gradflow"  # stable element ids
    figure = viz.plot_activations()
    path = HERE / "activations.svg"
    figure.savefig(path, format="svg", metadata={"Date": None})
    written.append(str(path))
    for name in written:
        print(f"wrote {name}")


if __name__ == "__main__":
    main()
