"""gradflow's demo: seed 000's Example 1, a two-layer ReLU network, forward and backward.

    x = 1, w1 = 2, b1 = 0, w2 = 3, b2 = 1, ReLU hidden unit, linear output, target y = 10
    forward:  z1 = 2, a1 = 2, z2 = 7, L = (7 - 10)**2 = 9
    backward: dL/dz2 = -6, dL/dw2 = -12, dL/db2 = -6, dL/dw1 = dL/db1 = -18
"""

from __future__ import annotations

from autograd import Value


def seed_example() -> tuple[Value, dict[str, Value]]:
    """Build seed 000's Example 1 and return its loss and its named leaves."""
    x = Value(1.0, label="x", role="input")
    w1, b1 = Value(2.0, label="w1", role="param"), Value(0.0, label="b1", role="param")
    w2, b2 = Value(3.0, label="w2", role="param"), Value(1.0, label="b2", role="param")
    z1 = w1 * x + b1
    z1.label = "z1"
    a1 = z1.relu()
    a1.label = "a1"
    z2 = w2 * a1 + b2
    z2.label = "z2"
    loss = (z2 - 10.0) ** 2
    loss.label = "L"
    return loss, {"x": x, "w1": w1, "b1": b1, "w2": w2, "b2": b2}


def main() -> None:
    loss, leaves = seed_example()
    loss.backward()
    print("gradflow demo: seed 000, Example 1 (two-layer ReLU network, squared error)")
    print(f"  forward:  L = {loss.data:g}")
    for name in ("w2", "b2", "w1", "b1"):
        print(f"  backward: dL/d{name} = {leaves[name].grad:g}")


if __name__ == "__main__":
    main()
