"""demo.py (``make demo``): seed 000's example, then every file written and non-empty.

The trainings are shortened (a few epochs): this checks the plumbing, not the accuracy, which
tests/test_nn_train.py (moons) and tests/test_train_digits.py (digits) check at full length.
"""

from __future__ import annotations

import math

import demo  # at the repository root: pyproject's pytest settings put it on the path

NAMES = [
    "seed_example.svg",
    "seed_example_steps.html",
    "moons_decision_boundary.png",
    "digits_curves.png",
]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_seed_example_is_seed_000_example_1():
    loss, leaves = demo.seed_example()
    loss.backward()
    # z1 = 2*1 + 0 = 2, a1 = 2, z2 = 3*2 + 1 = 7, L = (7 - 10)**2 = 9.
    assert loss.data == 9.0
    # dL/dz2 = 2 (7 - 10) = -6;  dL/dw2 = -6 a1 = -12;  dL/db2 = -6;
    # dL/dz1 = -6 w2 relu'(2) = -18;  dL/dw1 = -18 x = -18;  dL/db1 = -18;  dL/dx = -18 w1 = -36.
    grads = {name: leaf.grad for name, leaf in leaves.items()}
    assert grads == {"x": -36.0, "w1": -18.0, "b1": -18.0, "w2": -12.0, "b2": -6.0}


def test_main_writes_every_file_non_empty_and_summarizes_them(tmp_path, capsys):
    out = tmp_path / "new" / "out"  # created, parents included
    written = demo.main(out, moons_epochs=2, digits_epochs=1, progress=True)

    assert [p.name for p in written] == NAMES
    for path in written:
        assert path.parent == out and path.stat().st_size > 0, path
    assert sorted(p.name for p in out.iterdir()) == sorted(NAMES)  # nothing else
    assert (out / "seed_example.svg").read_text().lstrip().startswith("<?xml")
    assert "<svg" in (out / "seed_example.svg").read_text()
    page = (out / "seed_example_steps.html").read_text()
    assert page.count('class="frame') == 13  # one frame per node of the seed example's graph
    for name in NAMES[2:]:
        assert (out / name).read_bytes().startswith(PNG_SIGNATURE)

    captured = capsys.readouterr()
    printed = captured.out
    assert "L = 9" in printed and "dL/dw1 = -18" in printed
    assert "test accuracy" in printed
    assert f"Wrote 4 files to {out}/" in printed
    for name in NAMES:
        assert name in printed
    # One progress bar per training, on stderr: moons 2/2 epochs, digits 1/1.
    assert "2/2" in captured.err and "1/1" in captured.err and "loss=" in captured.err


def test_train_moons_is_micrograds_2_16_16_1_relu_network():
    model, history, X, y = demo.train_moons(epochs=2, progress=False)
    assert history.epochs == 2 and X.shape == (100, 2) and y.shape == (100,)
    assert model.num_parameters() == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1  # 337
    assert all(math.isfinite(v) for v in history.loss)
