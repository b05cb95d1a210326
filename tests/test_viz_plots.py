"""The matplotlib plots: each returns its Figure, and each renders to PNG under Agg."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

import nn
import viz
from autograd import Value

matplotlib.use("Agg")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_bytes(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


# ---------------------------------------------------------------------------- history


def test_plot_history_draws_loss_and_accuracy_for_training_and_validation():
    history = nn.History(loss=[1.0, 0.5, 0.25], accuracy=[0.5, 0.75, 1.0],
                         val_loss=[1.2, 0.7, 0.4], val_accuracy=[0.4, 0.6, 0.9])  # fmt: skip
    fig = viz.plot_history(history)
    assert isinstance(fig, Figure) and png_bytes(fig).startswith(PNG_MAGIC)
    loss_ax, acc_ax = fig.axes
    lines = {line.get_label(): list(line.get_ydata()) for line in loss_ax.get_lines()}
    assert lines == {"training loss": [1.0, 0.5, 0.25], "validation loss": [1.2, 0.7, 0.4]}
    assert [line.get_label() for line in acc_ax.get_lines()] == [
        "training accuracy",
        "validation accuracy",
    ]
    # Colour is not the only cue: training solid, validation dashed.
    assert [line.get_linestyle() for line in loss_ax.get_lines()] == ["-", "--"]


def test_plot_history_of_a_regression_has_only_the_loss_panel():
    history = {"loss": [3.0, 2.0], "accuracy": [math.nan, math.nan]}
    fig = viz.plot_history(history)
    assert len(fig.axes) == 1
    assert png_bytes(fig).startswith(PNG_MAGIC)
    with pytest.raises(ValueError, match="no epochs"):
        viz.plot_history(nn.History())


# ---------------------------------------------------------------------------- decision boundary


def test_plot_decision_boundary_of_a_score_function():
    X = np.array([[-1.0, -1.0], [1.0, 1.0], [-1.0, 0.5], [2.0, -0.5]])
    y = np.array([0, 1, 0, 1])

    def score(points):  # class 1 where x1 + x2 > 0
        return points[:, 0] + points[:, 1]

    fig = viz.plot_decision_boundary(score, X, y, resolution=20)
    assert png_bytes(fig).startswith(PNG_MAGIC)
    ax = fig.axes[0]
    assert "output > 0" in ax.get_title()  # scores are not all in [0, 1]: threshold 0
    assert len(ax.collections) >= 2  # the filled regions and the two classes of points


def test_plot_decision_boundary_takes_a_probability_threshold_of_one_half():
    X = np.array([[0.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1])
    fig = viz.plot_decision_boundary(lambda p: 1 / (1 + np.exp(-p.sum(axis=1))), X, y,
                                     resolution=10)  # fmt: skip
    assert "output > 0.5" in fig.axes[0].get_title()


def test_plot_decision_boundary_of_an_nn_model():
    X, y = nn.data.make_moons(n=40, noise=0.1, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    fig = viz.plot_decision_boundary(model, X, y, resolution=12)
    assert png_bytes(fig).startswith(PNG_MAGIC)
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        viz.plot_decision_boundary(model, X[:, :1], y)


def test_plot_decision_boundary_of_several_outputs_takes_the_largest():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    y = np.array([0, 1, 2])
    fig = viz.plot_decision_boundary(lambda p: np.column_stack([-p.sum(1), p[:, 0], p[:, 1]]),
                                     X, y, resolution=10)  # fmt: skip
    assert "largest output" in fig.axes[0].get_title()
    assert png_bytes(fig).startswith(PNG_MAGIC)


# ---------------------------------------------------------------------------- gradient flow


@dataclass
class Param:
    data: object
    grad: object


class StandIn:
    """The interface plot_grad_flow needs: named_parameters() -> [(dotted name, param)]."""

    def __init__(self, pairs):
        self.pairs = pairs

    def named_parameters(self):
        return self.pairs


def test_grad_flow_groups_by_layer_and_takes_mean_and_max_of_abs_grad():
    model = StandIn([
        ("layers.0.neurons.0.w.0", Param(1.0, 0.0)),
        ("layers.0.neurons.0.b", Param(0.0, 0.0)),
        ("layers.1.neurons.0.w.0", Param(1.0, -3.0)),
        ("layers.1.neurons.0.b", Param(0.0, 1.0)),
        ("0.weight", Param(np.ones((2, 2)), np.array([[1.0, -2.0], [3.0, -4.0]]))),
    ])  # fmt: skip
    flow = viz.plots.grad_flow(model)
    # layers.0: |0|, |0| -> mean 0, max 0 (dead); layers.1: |-3|, |1| -> mean 2, max 3;
    # "0" (Sequential naming): |1|, |-2|, |3|, |-4| -> mean 2.5, max 4.
    assert flow == [("layers.0", 0.0, 0.0), ("layers.1", 2.0, 3.0), ("0", 2.5, 4.0)]
    fig = viz.plot_grad_flow(model)
    assert png_bytes(fig).startswith(PNG_MAGIC)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["dead:\nno gradient"]  # one flag, for layers.0
    assert fig.axes[0].get_yscale() == "log"


def test_plot_grad_flow_of_a_real_model_after_backward():
    model = nn.MLP(2, [4, 4, 1], seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    fig = viz.plot_grad_flow(model)
    assert [label.get_text() for label in fig.axes[0].get_xticklabels()] == [
        "layers.0",
        "layers.1",
        "layers.2",
    ]
    assert png_bytes(fig).startswith(PNG_MAGIC)


def test_plot_grad_flow_before_any_backward_is_an_error():
    model = StandIn([("0.weight", Param(np.ones(2), None))])
    with pytest.raises(ValueError, match="backward"):
        viz.plot_grad_flow(model)
    with pytest.raises(TypeError, match="named_parameters"):
        viz.plot_grad_flow(42)


# ---------------------------------------------------------------------------- activations


def test_plot_activations_draws_each_function_and_its_derivative():
    fig = viz.plot_activations()
    names = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu"]
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == names
    assert png_bytes(fig).startswith(PNG_MAGIC)
    sigmoid = visible[0]
    f, d = sigmoid.get_lines()[:2]
    x = np.asarray(f.get_xdata())
    middle = int(np.argmin(np.abs(x)))
    # sigmoid(0) = 1/2 and sigmoid'(0) = s (1 - s) = 1/4
    assert f.get_ydata()[middle] == pytest.approx(0.5)
    assert d.get_ydata()[middle] == pytest.approx(0.25)


def shaded_spans(ax) -> list[tuple[float, float]]:
    """The x extent of each shaded band (axvspan rectangles), rounded to 2 decimals."""
    return sorted((round(p.get_x(), 2), round(p.get_x() + p.get_width(), 2)) for p in ax.patches)


def test_saturated_and_dead_regions_are_shaded():
    fig = viz.plot_activations(["sigmoid", "relu", "leaky_relu"])
    sigmoid, relu, leaky = fig.axes[:3]
    # sigmoid'(x) < 0.01 where s (1 - s) < 0.01, i.e. |x| > log(0.98990 / 0.01010) = 4.585
    spans = shaded_spans(sigmoid)
    assert len(spans) == 2
    assert spans[0][0] == -6.0 and spans[0][1] == pytest.approx(-4.6, abs=0.03)
    assert spans[1][0] == pytest.approx(4.6, abs=0.03) and spans[1][1] == 6.0
    # relu'(x) = 0 for x <= 0: dead from -6 to 0.
    assert shaded_spans(relu) == [(-6.0, 0.0)]
    # leaky_relu'(x) = 0.01 for x < 0: not below 0.01, so nothing is shaded.
    assert shaded_spans(leaky) == []


def test_the_curves_are_the_engines_own():
    f, d = viz.plots.activation_curve("tanh", [0.0, 1.0])
    t = math.tanh(1.0)
    assert list(f) == [0.0, t]
    assert list(d) == [1.0, 1.0 - t * t]  # d/dx tanh = 1 - tanh**2
    assert Value(1.0).tanh().data == t


def test_plot_activations_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        viz.plot_activations("swish")
    assert len([a for a in viz.plot_activations("gelu").axes if a.get_visible()]) == 1
