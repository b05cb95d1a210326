"""Graphs from the seeds' worked examples, built once for every test that draws or steps them.

Seed 000, Example 1: x = 1, w1 = 2, b1 = 0, w2 = 3, b2 = 1, ReLU hidden unit, linear output,
squared error to y = 10:  L = (w2 relu(w1 x + b1) + b2 - 10)**2.
    forward:  z1 = 2, a1 = 2, z2 = 7, L = (7 - 10)**2 = 9
    backward: dL/dz2 = 2 (7 - 10) = -6;  dL/dw2 = -6 a1 = -12;  dL/db2 = -6;
              dL/dz1 = -6 w2 relu'(2) = -18;  dL/dw1 = -18 x = -18;  dL/db1 = -18
With w1 = -2 the hidden unit is dead: z1 = -2, relu'(-2) = 0, and nothing reaches w1, b1, x.
"""

from __future__ import annotations

from autograd import Value


def seed_example(w1: float = 2.0) -> tuple[Value, dict[str, Value]]:
    """Seed 000, Example 1 (labels as on the slides); returns the loss and its named leaves."""
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
