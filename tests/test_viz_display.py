"""Everything viz returns displays itself in a fresh Jupyter notebook (no magics).

IPython's ``DisplayFormatter`` is what a notebook kernel runs on the value of a cell: it
asks the object for its rich representations. Without ``%matplotlib inline`` it has no
printer registered for matplotlib Figures, so a plot must bring its own ``_repr_png_``.
"""

from __future__ import annotations

import matplotlib
import pytest
from IPython.core.formatters import DisplayFormatter

import nn
import viz
from demo import seed_example

matplotlib.use("Agg")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def shown(obj) -> dict:
    """The MIME bundle a notebook gets for ``obj`` as a cell's value."""
    data, _ = DisplayFormatter().format(obj)
    return data


def plots():
    history = nn.History(loss=[1.0, 0.5], accuracy=[0.5, 1.0])
    X, y = nn.data.xor()
    model = nn.MLP(2, [3, 1], seed=0)
    loss = sum((model(list(x)) - float(t)) ** 2 for x, t in zip(X, y, strict=True))
    loss.backward()
    return [
        viz.plot_history(history),
        viz.plot_decision_boundary(model, X, y),
        viz.plot_grad_flow(model),
        viz.plot_activations(["relu", "tanh"]),
    ]


@pytest.mark.parametrize("index", range(4))
def test_every_plot_shows_as_a_png(index):
    data = shown(plots()[index])
    assert data["image/png"].startswith(PNG_MAGIC)


def test_a_diagram_shows_as_svg_and_its_source_as_text():
    loss, _ = seed_example()
    data = shown(viz.draw(loss))
    assert data["image/svg+xml"].lstrip().startswith(("<?xml", "<!--", "<svg"))
    assert "viz.Diagram" in data["text/plain"]


def test_draw_dot_is_draw():
    # micrograd's name for the same function, not a copy that could drift.
    assert viz.draw_dot is viz.draw
    loss, _ = seed_example()
    assert viz.draw_dot(loss).source == viz.draw(loss).source


def test_the_backward_table_shows_as_html():
    loss, _ = seed_example()
    assert shown(viz.backward_table(loss))["text/html"].startswith('<table class="steps">')


def test_the_stepper_shows_as_html_with_its_frames_inline():
    loss, _ = seed_example()
    loss.backward()
    html = shown(viz.stepper(loss))["text/html"]
    # 13 forward frames, step 0 and 13 backward steps, each an inline SVG.
    assert html.count('class="frame"') == 27 and html.count("<svg") == 27
