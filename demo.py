"""gradflow's demo: ``make demo`` (or ``python -m demo [OUT_DIR]``) writes four files to ``out/``.

1. ``seed_example.svg``: seed 000's Example 1 after backward, a two-layer ReLU network,

       x = 1, w1 = 2, b1 = 0, w2 = 3, b2 = 1, ReLU hidden unit, linear output, target y = 10
       forward:  z1 = 2, a1 = 2, z2 = 7, L = (7 - 10)**2 = 9
       backward: dL/dz2 = -6, dL/dw2 = -12, dL/db2 = -6, dL/dw1 = dL/db1 = -18

   every edge labelled upstream x local = downstream;
2. ``seed_example_steps.html``: the same backward pass as a flip-book, one frame per step;
3. ``moons_decision_boundary.png``: a scalar ``nn.MLP(2, [16, 16, 1])`` on the scalar engine,
   trained on 100 moons with micrograd's recipe (hinge loss, SGD with a decaying learning rate
   and weight decay), and the classes it predicts over the plane;
4. ``digits_curves.png``: a Tensor ``Sequential`` 64-128-10 trained on scikit-learn's 8x8
   digits (``examples/train_digits.py``), loss and accuracy per epoch; the test accuracy is
   printed.

It ends with a summary of what it wrote. Both trainings show a progress bar.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import nn
import viz
from autograd import Value
from examples.train_digits import train_digits


def seed_example(w1: float = 2.0) -> tuple[Value, dict[str, Value]]:
    """Build seed 000's Example 1 and return its loss and its named leaves.

    x = 1, w1 = 2, b1 = 0, w2 = 3, b2 = 1, ReLU hidden unit, linear output, squared error to
    y = 10:  L = (w2 relu(w1 x + b1) + b2 - 10)**2.
        forward:  z1 = 2, a1 = 2, z2 = 7, L = (7 - 10)**2 = 9
        backward: dL/dz2 = 2 (7 - 10) = -6;  dL/dw2 = -6 a1 = -12;  dL/db2 = -6;
                  dL/dz1 = -6 w2 relu'(2) = -18;  dL/dw1 = -18 x = -18;  dL/db1 = -18
    With ``w1=-2`` the hidden unit is dead: z1 = -2, relu'(-2) = 0, and L = (1 - 10)**2 = 81;
    nothing reaches w1, b1 or x.
    """
    x = Value(1.0, label="x", role="input")
    w1_, b1 = Value(w1, label="w1", role="param"), Value(0.0, label="b1", role="param")
    w2, b2 = Value(3.0, label="w2", role="param"), Value(1.0, label="b2", role="param")
    z1 = w1_ * x + b1
    z1.label = "z1"
    a1 = z1.relu()
    a1.label = "a1"
    z2 = w2 * a1 + b2
    z2.label = "z2"
    loss = (z2 - 10.0) ** 2
    loss.label = "L"
    return loss, {"x": x, "w1": w1_, "b1": b1, "w2": w2, "b2": b2}


def train_moons(
    epochs: int = 100, progress: bool = True
) -> tuple[nn.MLP, nn.History, np.ndarray, np.ndarray]:
    """micrograd's moons demo on the scalar engine: 2-16-16-1 ReLU MLP, hinge loss, full batch.

    SGD with learning rate 1 - 0.9 k / epochs at epoch k, and weight decay 2e-4 (the gradient
    of micrograd's L2 penalty 1e-4 * sum(p**2)). Returns the model, its history and the data.
    """
    X, y = nn.data.make_moons(n=100, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=3)
    optimizer = nn.optim.SGD(model.parameters(), lr=1.0, weight_decay=2e-4)
    history = nn.fit(
        model, X, y, loss="hinge", optimizer=optimizer, epochs=epochs, progress=progress,
        lr_schedule=lambda k: 1.0 - 0.9 * k / epochs,
    )  # fmt: skip
    return model, history, X, y


def _size(path: Path) -> str:
    n = path.stat().st_size
    return f"{n / 1024:.0f} KiB" if n >= 1024 else f"{n} B"


def main(
    out_dir: str | Path = "out",
    *,
    moons_epochs: int = 100,
    digits_epochs: int = 30,
    progress: bool = True,
) -> list[Path]:
    """Write the demo's four files into ``out_dir`` (created if missing) and return their paths.

    ``moons_epochs`` and ``digits_epochs`` shorten the trainings (the tests use a few).
    """
    start = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    print("1. Seed 000, Example 1: a two-layer ReLU network, squared error, target 10")
    loss, leaves = seed_example()
    loss.backward()
    grads = ", ".join(f"dL/d{name} = {leaves[name].grad:g}" for name in ("w1", "b1", "w2", "b2"))
    print(f"   L = {loss.data:g}; {grads}")
    written.append(Path(viz.draw(loss).render(out / "seed_example.svg")))
    loss, _ = seed_example()  # a fresh graph: the flip-book runs its own backward
    title = "Seed 000, Example 1: the backward pass, step by step"
    written.append(Path(viz.save_steps(loss, out / "seed_example_steps.html", title=title)))

    print("2. Scalar engine: MLP 2-16-16-1 on 100 moons (micrograd's recipe)")
    model, history, X, y = train_moons(moons_epochs, progress)
    print(f"   training accuracy {history.accuracy[-1]:.0%}, {model.num_parameters()} parameters")
    figure = viz.plot_decision_boundary(model, X, y)
    figure.suptitle(f"scalar MLP on moons: {history.accuracy[-1]:.0%} of the points right")
    path = out / "moons_decision_boundary.png"
    figure.savefig(path, dpi=100)
    written.append(path)

    print("3. Tensor engine: Sequential 64-128-10 on the 8x8 digits (Adam, mini-batches of 32)")
    result = train_digits(epochs=digits_epochs, progress=progress)
    print(f"   test accuracy {result.test_accuracy:.1%} ({result.seconds:.1f} s of training)")
    figure = viz.plot_history(result.history)
    figure.suptitle(f"tensor MLP on digits: test accuracy {result.test_accuracy:.1%}")
    path = out / "digits_curves.png"
    figure.savefig(path, dpi=100)
    written.append(path)

    print(f"\nWrote {len(written)} files to {out}/ in {time.perf_counter() - start:.1f} s:")
    descriptions = {
        "seed_example.svg": "the seed example's gradient-flow diagram",
        "seed_example_steps.html": "its backward pass as a flip-book (open in a browser)",
        "moons_decision_boundary.png": "the scalar MLP's decision boundary on moons",
        "digits_curves.png": "loss and accuracy per epoch of the tensor MLP on digits",
    }
    for p in written:
        print(f"  {p.name:28} {_size(p):>8}  {descriptions[p.name]}")
    return written


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", nargs="?", default="out", help="where to write (default out)")
    parser.add_argument("--moons-epochs", type=int, default=100)
    parser.add_argument("--digits-epochs", type=int, default=30)
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = _parse(None)
    main(
        args.out_dir,
        moons_epochs=args.moons_epochs,
        digits_epochs=args.digits_epochs,
        progress=not args.no_progress,
    )
