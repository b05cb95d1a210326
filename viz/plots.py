"""Training plots with matplotlib; every function returns its ``Figure``.

- ``plot_history``: loss and accuracy per epoch (training, and validation if recorded).
- ``plot_decision_boundary``: what a 2-D classifier predicts over the plane, with the data.
- ``plot_grad_flow``: mean and max |grad| per layer after a backward; dead layers flagged.
- ``plot_activations``: activation functions and their derivatives, computed by the engine
  itself, with the saturated regions (|f'(x)| small: little gradient gets through) shaded.

Colours are Okabe-Ito (colour-blind safe), and every colour has a second cue: a line style,
a marker, a hatch or a word.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from autograd import Value
from autograd.activations import ACTIVATIONS, get_activation
from viz import style

TRAIN, VALIDATION = style.BLUE, style.ORANGE
CLASS_COLORS = (style.BLUE, style.ORANGE, style.BLUISH_GREEN, style.REDDISH_PURPLE,
                style.SKY_BLUE, style.VERMILLION, style.YELLOW, style.BLACK)  # fmt: skip
CLASS_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


class Plot(Figure):
    """A matplotlib ``Figure`` that displays itself in Jupyter.

    A Figure made directly (not through pyplot) is not kept alive by pyplot's registry and
    works under any backend, Agg included; but without ``%matplotlib inline`` Jupyter only
    knows to print it as ``<Figure size ...>``. ``_repr_png_`` gives Jupyter the picture.
    """

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()


def _figure(nrows: int = 1, ncols: int = 1, size: tuple[float, float] = (6.0, 4.0)) -> Figure:
    fig = Plot(figsize=size, layout="constrained")
    fig.subplots(nrows, ncols, squeeze=False)
    return fig


# ---------------------------------------------------------------------------- history


def _series(history: Any, name: str) -> list[float]:
    values = history.get(name, []) if isinstance(history, dict) else getattr(history, name, [])
    return [float(v) for v in (values or [])]


def plot_history(history: Any) -> Figure:
    """Loss (and accuracy, if recorded) per epoch, for training and validation.

    ``history`` is an ``nn.History`` (or a dict) with the lists ``loss``, ``accuracy``,
    ``val_loss``, ``val_accuracy``; the validation and accuracy lists may be empty.
    """
    loss = _series(history, "loss")
    if not loss:
        raise ValueError("plot_history: the history has no epochs (its loss list is empty)")
    accuracy = _series(history, "accuracy")
    val_loss, val_accuracy = _series(history, "val_loss"), _series(history, "val_accuracy")
    has_accuracy = any(math.isfinite(a) for a in accuracy + val_accuracy)
    fig = _figure(1, 2 if has_accuracy else 1, (10.0 if has_accuracy else 6.0, 4.0))
    axes = fig.axes
    panels = [("loss", loss, val_loss)]
    if has_accuracy:
        panels.append(("accuracy", accuracy, val_accuracy))
    for ax, (name, train, val) in zip(axes, panels, strict=True):
        if train:
            epochs = range(1, len(train) + 1)
            ax.plot(epochs, train, color=TRAIN, linestyle="-", marker="o", markersize=3,
                    label=f"training {name}")  # fmt: skip
        if val:
            epochs = range(1, len(val) + 1)
            ax.plot(epochs, val, color=VALIDATION, linestyle="--", marker="s", markersize=3,
                    label=f"validation {name}")  # fmt: skip
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.set_title(f"{name} per epoch")
        ax.grid(True, alpha=0.3)
        ax.legend()
    if has_accuracy:
        axes[1].set_ylim(-0.02, 1.02)
    return fig


# ---------------------------------------------------------------------------- decision boundary


def _predict(model: Any, X: np.ndarray) -> np.ndarray:
    """Raw outputs for the rows of X: ``nn.predict`` for gradflow models, else ``model(X)``."""
    try:
        import nn

        return np.asarray(nn.predict(model, X), dtype=np.float64)
    except (ImportError, AttributeError, TypeError):
        if not callable(model):
            raise
    return np.asarray(model(X), dtype=np.float64)


def plot_decision_boundary(
    model: Any,
    X: Any,
    y: Any,
    *,
    resolution: int = 60,
    threshold: float | None = None,
    padding: float = 0.5,
) -> Figure:
    """The classes a model predicts over the plane of two features, with the data on top.

    ``model`` is anything ``nn.predict`` runs (or a function of an (N, 2) array). One output
    is a score: class 1 where it is above ``threshold`` (by default 0, or 0.5 if every
    output lies in [0, 1], as probabilities do); C outputs: the class of the largest.
    ``resolution`` points per axis (a scalar MLP evaluates resolution**2 samples).
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).reshape(-1)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary needs X of shape (N, 2), got {X.shape}")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]} labels")
    if not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be an int >= 2, not {resolution!r}")
    lo, hi = X.min(axis=0) - padding, X.max(axis=0) + padding
    xs, ys = np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    scores = _predict(model, np.column_stack([gx.ravel(), gy.ravel()]))
    fig = _figure(size=(6.0, 5.0))
    ax = fig.axes[0]
    labels = np.unique(y)
    if scores.ndim == 2 and scores.shape[1] > 1:
        regions = scores.argmax(axis=1).reshape(gx.shape)
        n_classes = max(scores.shape[1], len(labels))
        title = "predicted class (largest output)"
    else:
        scores = scores.reshape(-1)
        if threshold is None:
            probabilities = np.all((scores >= 0) & (scores <= 1)) and np.all(labels >= 0)
            threshold = 0.5 if probabilities else 0.0
        regions = (scores > threshold).astype(int).reshape(gx.shape)
        n_classes = 2
        title = f"predicted class (output > {threshold:g})"
        ax.contour(gx, gy, scores.reshape(gx.shape), levels=[threshold], colors=style.BLACK,
                   linewidths=1.5)  # fmt: skip
    cmap = ListedColormap(CLASS_COLORS[:n_classes])
    ax.contourf(gx, gy, regions, levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.25)
    for k, label in enumerate(labels):
        mask = y == label
        ax.scatter(X[mask, 0], X[mask, 1], s=18, color=CLASS_COLORS[k % len(CLASS_COLORS)],
                   marker=CLASS_MARKERS[k % len(CLASS_MARKERS)], edgecolors=style.BLACK,
                   linewidths=0.4, label=f"y = {label:g}")  # fmt: skip
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(title)
    ax.legend(loc="best", fontsize="small")
    return fig


# ---------------------------------------------------------------------------- gradient flow


def _layer_of(name: str) -> str:
    """``layers.3.neurons.0.w.1`` -> ``layers.3``; ``0.weight`` -> ``0``; ``w`` -> ``w``."""
    match = re.match(r"(layers\.\d+)(\.|$)", name)
    return match.group(1) if match else name.split(".", 1)[0]


def _named(model: Any) -> list[tuple[str, Any]]:
    if hasattr(model, "named_parameters"):
        return list(model.named_parameters())
    if isinstance(model, dict):
        return list(model.items())
    if isinstance(model, Iterable):
        return [(str(name), p) for name, p in model]
    raise TypeError(
        f"plot_grad_flow needs a model with named_parameters() (or (name, parameter) pairs), "
        f"not {type(model).__name__}"
    )


def grad_flow(model: Any) -> list[tuple[str, float, float]]:
    """Per layer, in order: (name, mean |grad|, max |grad|) over all its parameters' entries."""
    layers: dict[str, list[np.ndarray]] = {}
    missing = 0
    for name, param in _named(model):
        grad = param.grad
        if grad is None:
            missing += 1
            grad = np.zeros_like(np.asarray(param.data, dtype=np.float64))
        layers.setdefault(_layer_of(name), []).append(np.abs(np.ravel(np.asarray(grad, float))))
    if not layers:
        raise ValueError("plot_grad_flow: the model has no parameters")
    if missing == sum(len(v) for v in layers.values()):
        raise ValueError("plot_grad_flow: no parameter has a gradient yet; call backward() first")
    flow = []
    for name, grads in layers.items():
        values = np.concatenate(grads)
        flow.append((name, float(values.mean()), float(values.max())))
    return flow


def plot_grad_flow(model: Any, *, log: bool = True) -> Figure:
    """Mean and max |grad| of each layer's parameters, after a backward.

    Layers are the ``layers.{i}`` prefix of the parameter names (scalar ``nn.MLP``) or their
    first dotted component (``{i}.weight`` in a ``Sequential``). A layer whose every
    gradient is exactly 0 is flagged "dead": nothing reaches it (dead ReLUs upstream).
    Vanishing gradients show as bars shrinking towards the input (use ``log=True``).
    """
    flow = grad_flow(model)
    names = [name for name, _, _ in flow]
    means = np.array([mean for _, mean, _ in flow])
    maxes = np.array([biggest for _, _, biggest in flow])
    fig = _figure(size=(max(5.0, 1.1 * len(flow) + 2.5), 4.0))
    ax = fig.axes[0]
    at = np.arange(len(flow))
    width = 0.38
    ax.bar(at - width / 2, maxes, width, color=style.SKY_BLUE, edgecolor=style.BLACK,
           label="max |grad|")  # fmt: skip
    ax.bar(at + width / 2, means, width, color=style.BLUE, edgecolor=style.BLACK, hatch="//",
           label="mean |grad|")  # fmt: skip
    positive = maxes[maxes > 0]
    if log and positive.size:
        ax.set_yscale("log")
        floor = float(min(means[means > 0].min() if (means > 0).any() else positive.min(),
                          positive.min()))  # fmt: skip
        ax.set_ylim(bottom=floor / 10)
    for k, biggest in enumerate(maxes):
        if biggest == 0.0:
            ax.annotate("dead:\nno gradient", (at[k], 0), xycoords=("data", "axes fraction"),
                        xytext=(0, 8), textcoords="offset points", ha="center", va="bottom",
                        color=style.VERMILLION, fontweight="bold")  # fmt: skip
            ax.axvspan(at[k] - 0.5, at[k] + 0.5, color=style.VERMILLION, alpha=0.12)
    ax.set_xticks(at, names, rotation=30 if len(flow) > 6 else 0, ha="right" if len(flow) > 6
                  else "center")  # fmt: skip
    ax.set_xlabel("layer (input side on the left)")
    ax.set_ylabel("|grad|" + (" (log scale)" if ax.get_yscale() == "log" else ""))
    ax.set_title("gradient flow per layer")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend()
    return fig


# ---------------------------------------------------------------------------- activations


def activation_curve(name: str, x: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """f(x) and f'(x) at each x, computed by the engine: ``Value(x).<name>()`` and its local
    gradient, so the plot shows exactly what backprop uses."""
    f, d = [], []
    for xi in x:
        out = get_activation(name)(Value(float(xi)))
        f.append(out.data)
        d.append(out.local_grads()[0])
    return np.array(f), np.array(d)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end] index pairs of the runs of True in ``mask``."""
    runs, start = [], None
    for i, flag in enumerate(mask):
        if flag and start is None:
            start = i
        if not flag and start is not None:
            runs.append((start, i - 1))
            start = None
    if start is not None:
        runs.append((start, len(mask) - 1))
    return runs


def plot_activations(
    name_or_names: str | Sequence[str] = "all",
    *,
    x_range: tuple[float, float] = (-6.0, 6.0),
    saturation: float = 0.01,
) -> Figure:
    """Each activation f and its derivative f' over ``x_range``, one panel per function.

    Shaded: where |f'(x)| < ``saturation`` (saturated: a gradient passing through is
    multiplied by almost nothing), hatched and grey where f'(x) = 0 exactly (dead: nothing
    passes at all, as for ReLU at x < 0). ``"all"`` draws sigmoid, tanh, relu, leaky_relu,
    elu, selu and gelu.
    """
    if isinstance(name_or_names, str):
        plotted = [n for n, a in ACTIVATIONS.items() if a.plotted]
        names = plotted if name_or_names == "all" else [name_or_names]
    else:
        names = list(name_or_names)
    valid = [n for n in ACTIVATIONS if n != "linear"]
    for name in names:
        if name not in valid:
            raise ValueError(f"unknown activation {name!r}; choose from {', '.join(valid)}")
    if not names:
        raise ValueError("plot_activations needs at least one activation name")
    lo, hi = x_range
    if not lo < hi:
        raise ValueError(f"x_range must be (low, high) with low < high, not {x_range!r}")
    ncols = min(4, len(names))
    nrows = math.ceil(len(names) / ncols)
    fig = _figure(nrows, ncols, (3.4 * ncols, 2.9 * nrows))
    x = np.linspace(lo, hi, 601)
    for ax, name in zip(fig.axes, names, strict=False):
        f, d = activation_curve(name, x)
        dead = d == 0.0
        saturated = (np.abs(d) < saturation) & ~dead
        for a, b in _runs(saturated):
            ax.axvspan(x[a], x[b], color=style.REDDISH_PURPLE, alpha=0.18, linewidth=0)
        for a, b in _runs(dead):
            ax.axvspan(x[a], x[b], facecolor=style.LIGHT_GREY, edgecolor=style.GREY,
                       hatch="xx", alpha=0.6, linewidth=0)  # fmt: skip
        ax.plot(x, f, color=style.BLUE, linestyle="-", linewidth=2, label="f(x)")
        ax.plot(x, d, color=style.ORANGE, linestyle="--", linewidth=2, label="f'(x)")
        ax.axhline(0, color=style.GREY, linewidth=0.6)
        ax.set_title(name)
        ax.set_xlim(lo, hi)
        ax.grid(True, alpha=0.3)
    for ax in fig.axes[len(names) :]:
        ax.set_visible(False)
    handles, _ = fig.axes[0].get_legend_handles_labels()
    handles += [
        Patch(color=style.REDDISH_PURPLE, alpha=0.18, label=f"saturated: |f'| < {saturation:g}"),
        Patch(facecolor=style.LIGHT_GREY, edgecolor=style.GREY, hatch="xx", label="dead: f' = 0"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize="small")
    return fig
