"""The training loop: ``fit`` a model to data, and ``predict`` with it.

One epoch is one pass over the data in mini-batches. For each batch:

    outputs = model(X_batch)           forward: build the graph
    loss = loss_fn(outputs, y_batch)   one number: the mean loss over the batch
    optimizer.zero_grad()              gradients accumulate, so clear the last batch's
    loss.backward()                    backward: d(loss)/d(parameter) for every parameter
    optimizer.step()                   move each parameter against its gradient

The only engine-specific part is how a batch of NumPy rows becomes model outputs: a scalar
model is called once per row; a tensor model is called once on the whole batch, a Tensor of
shape (batch, features). That part is a small ``Backend``; ``fit`` and ``predict`` use the
first one in ``BACKENDS`` that claims the model (``ScalarBackend``, ``TensorBackend``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from autograd import Tensor, Value, no_grad
from autograd.graph import gc_paused
from nn import losses
from nn.checks import check_count, check_memory, check_real, real_array, shown
from nn.data import batches, check_xy
from nn.init import make_rng
from nn.optim import SGD, Optimizer

#: Memory per epoch of a History: 4 lists of Python floats (32 bytes each with the pointer).
HISTORY_BYTES = 4 * 32

LossFn = Callable[[Any, Any], Any]
AccuracyFn = Callable[[np.ndarray, np.ndarray], float]


# ---------------------------------------------------------------------------- backends


class Backend(Protocol):
    """How one engine runs a model on a batch of NumPy rows."""

    def claims(self, model: Any) -> bool:
        """True if this backend knows how to run ``model``."""
        ...

    def forward(self, model: Any, X: np.ndarray) -> Any:
        """The model's outputs for the rows of X, as the loss functions take them."""
        ...

    def targets(self, y: np.ndarray) -> Any:
        """The targets of a batch, as the loss functions take them."""
        ...

    def to_numpy(self, outputs: Any) -> np.ndarray:
        """Outputs as an array: shape (N,) for one output per sample, (N, C) for C outputs."""
        ...


class ScalarBackend:
    """Models whose parameters are ``Value``s: one call per row, one Value graph per batch."""

    def claims(self, model: Any) -> bool:
        params = model.parameters() if hasattr(model, "parameters") else []
        return bool(params) and all(isinstance(p, Value) for p in params)

    def forward(self, model: Any, X: np.ndarray) -> list[Any]:
        # Plain Python floats: the engine's fastest operand type.
        return [model(row) for row in X.tolist()]

    def targets(self, y: np.ndarray) -> list[Any]:
        return y.tolist()

    def to_numpy(self, outputs: list[Any]) -> np.ndarray:
        if all(isinstance(o, Value) for o in outputs):
            return np.array([o.data for o in outputs], dtype=np.float64)
        out = np.array([[v.data for v in o] for o in outputs], dtype=np.float64)
        return out[:, 0] if out.shape[1] == 1 else out


class TensorBackend:
    """Models whose parameters are ``Tensor``s (``nn.Sequential``, ``nn.Linear``): one call on
    the whole batch, a Tensor (batch, features).

    The batch is float64, or float32 when the model's parameters are float32 (so a float32
    model computes in float32). A one-output model's (batch, 1) result goes to the loss as
    (batch,), one number per sample like the targets y: a loss written as ``out - t`` would
    otherwise broadcast (batch, 1) against (batch,) into a (batch, batch) table, silently.
    Targets go to the loss as the array they are: float values for mse and the binary
    losses, int class indices for cross_entropy.
    """

    def claims(self, model: Any) -> bool:
        params = model.parameters() if hasattr(model, "parameters") else []
        return bool(params) and all(isinstance(p, Tensor) for p in params)

    def forward(self, model: Any, X: np.ndarray) -> Tensor:
        params = model.parameters()
        dtype = np.float32 if all(p.dtype == np.float32 for p in params) else np.float64
        out = model(Tensor(np.asarray(X, dtype=dtype), role="input"))
        return out.reshape(-1) if out.ndim == 2 and out.shape[1] == 1 else out

    def targets(self, y: np.ndarray) -> np.ndarray:
        return np.asarray(y)

    def to_numpy(self, outputs: Tensor) -> np.ndarray:
        out = np.asarray(outputs.data, dtype=np.float64)
        return out[:, 0] if out.ndim == 2 and out.shape[1] == 1 else out


#: The engines ``fit`` and ``predict`` know, tried in order.
BACKENDS: list[Backend] = [ScalarBackend(), TensorBackend()]


def backend_for(model: Any) -> Backend:
    """The first backend that claims ``model``, or a TypeError that says what was expected."""
    for backend in BACKENDS:
        if backend.claims(model):
            return backend
    raise TypeError(
        f"don't know how to run {type(model).__name__}: expected a model whose parameters() "
        "are all Values (nn.MLP, nn.Layer, nn.Neuron) or all Tensors (nn.Sequential, "
        "nn.Linear), or your own nn.Module of either kind"
    )


def _loss_number(loss: Any) -> float:
    """The float inside a loss: a Value's data, or a one-element Tensor's."""
    return float(np.asarray(loss.data, dtype=np.float64).reshape(-1)[0])


# ---------------------------------------------------------------------------- history


@dataclass
class History:
    """Per-epoch training record: the mean loss and the accuracy of each epoch.

    ``val_loss`` and ``val_accuracy`` stay empty without validation data. An accuracy is nan
    when the targets are not class labels (regression).
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        """How many epochs were recorded."""
        return len(self.loss)

    def __repr__(self) -> str:
        if not self.loss:
            return "History(epochs=0)"
        parts = [
            f"epochs={self.epochs}",
            f"loss {self.loss[0]:.4g} -> {self.loss[-1]:.4g}",
            f"accuracy {self.accuracy[0]:.3f} -> {self.accuracy[-1]:.3f}",
        ]
        if self.val_loss:
            parts.append(f"val_loss {self.val_loss[-1]:.4g}")
            parts.append(f"val_accuracy {self.val_accuracy[-1]:.3f}")
        return f"History({', '.join(parts)})"


# ---------------------------------------------------------------------------- accuracy


def _thresholds(loss_fn: LossFn, y: np.ndarray) -> tuple[float, float] | None:
    """(output threshold, target threshold) that turn one output into a class, or None.

    Scores (hinge, logits) are positive for class 1; probabilities are above 0.5. For other
    losses the targets decide: 0/1 labels split at 0.5, -1/+1 labels at 0.
    """
    if loss_fn is losses.hinge_loss:
        return 0.0, 0.0
    if loss_fn is losses.binary_cross_entropy_with_logits:
        return 0.0, 0.5
    if loss_fn is losses.binary_cross_entropy:
        return 0.5, 0.5
    labels = set(np.unique(y).tolist()) if y.ndim == 1 else set()
    if labels and labels <= {0, 1}:
        return 0.5, 0.5
    if labels and labels <= {-1, 1}:
        return 0.0, 0.0
    return None


def _accuracy_rule(loss_fn: LossFn, y: np.ndarray) -> AccuracyFn:
    """The fraction of correct predictions, as suits this loss and these targets.

    C outputs: the class is the argmax (the target's argmax too, for one-hot targets).
    One output: the class is the output above a threshold (``_thresholds``).
    """
    thresholds = _thresholds(loss_fn, y)

    def accuracy(outputs: np.ndarray, targets: np.ndarray) -> float:
        if outputs.ndim == 2:
            truth = targets.argmax(axis=1) if targets.ndim == 2 else targets
            return float(np.mean(outputs.argmax(axis=1) == truth))
        if thresholds is None:
            return math.nan
        cut_out, cut_target = thresholds
        return float(np.mean((outputs > cut_out) == (targets > cut_target)))

    return accuracy


# ---------------------------------------------------------------------------- fit, predict


def _features(X: Any, name: str = "X") -> np.ndarray:
    """X as a 2-D float64 array (samples, features), or an error that names X and the problem."""
    array = real_array(X, name)
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (samples, features), got shape {array.shape}; for one feature "
            "use X.reshape(-1, 1)"
        )
    return array.astype(np.float64, copy=False)


def _check_settings(
    optimizer: Any,
    batch_size: Any,
    progress: Any,
    shuffle: Any,
    validation_data: Any,
    lr_schedule: Any,
    accuracy: Any,
) -> int | None:
    """Check fit's settings before any work; return the batch size (None: the whole set)."""
    methods = [getattr(optimizer, m, None) for m in ("step", "zero_grad")]
    if optimizer is not None and not all(map(callable, methods)):
        raise TypeError(
            f"optimizer must be an optimizer (with step() and zero_grad()), such as "
            f"nn.optim.SGD(model.parameters(), lr=0.1); got {shown(optimizer)}"
        )
    size = None if batch_size is None else check_count(batch_size, "batch_size")
    for name, flag in (("progress", progress), ("shuffle", shuffle)):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False, got {shown(flag)}")
    if validation_data is not None and not (
        isinstance(validation_data, (tuple, list)) and len(validation_data) == 2
    ):
        raise TypeError(
            f"validation_data must be a pair (X_val, y_val), got {shown(validation_data)}"
        )
    for name, fn in (("lr_schedule", lr_schedule), ("accuracy", accuracy)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{name} must be a function or None, got {shown(fn)}")
    return size


def _check_classes(model: Any, backend: Backend, X: np.ndarray, y: np.ndarray) -> None:
    """For cross_entropy: the model has one output per class and every label is a class.

    Checked once, before training, so that an error names the row of y (a batch would only
    know its position in a shuffled batch) and no update has happened.
    """
    with no_grad(), gc_paused():
        outputs = backend.to_numpy(backend.forward(model, X[:1]))
    if outputs.ndim != 2:
        raise ValueError(
            "cross_entropy needs one output per class, but this model has one output; give "
            "its last layer as many outputs as there are classes (or use loss='bce_with_logits'"
            " for two classes)"
        )
    n_classes = outputs.shape[1]
    if y.dtype.kind in "iu":
        bad = np.flatnonzero((y < 0) | (y >= n_classes))
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"y[{i}] is class {int(y[i])}, but there are {n_classes} classes "
                f"(0 to {n_classes - 1}); {bad.size} label(s) out of range"
            )


def _check_finite(Xb: np.ndarray, yb: np.ndarray, epoch: str, batch: str) -> None:
    """Stop before a batch with nan or inf in it: training on it would spread nan everywhere."""
    for name, values in (("X", Xb), ("y", yb)):
        if values.dtype.kind == "f" and not np.isfinite(values).all():
            what = "nan" if np.isnan(values).any() else "inf"
            raise FloatingPointError(
                f"{what} at epoch {epoch}, batch {batch}: this batch's {name} holds {what}; "
                f"the parameters were not updated with it. Clean the data (np.isfinite(...)) "
                "before training."
            )


def predict(model: Any, X: np.ndarray) -> np.ndarray:
    """The model's raw outputs for each row of X, without recording a graph.

    Shape (N,) for a one-output model, (N, C) for C outputs.
    """
    X = _features(X)
    backend = backend_for(model)
    with no_grad(), gc_paused():
        return backend.to_numpy(backend.forward(model, X))


def _evaluate(
    model: Any,
    backend: Backend,
    loss_fn: LossFn,
    accuracy: AccuracyFn,
    X: np.ndarray,
    y: np.ndarray,
) -> tuple[float, float]:
    """(mean loss, accuracy) on (X, y), without a graph."""
    with no_grad(), gc_paused():
        outputs = backend.forward(model, X)
        loss = _loss_number(loss_fn(outputs, backend.targets(y)))
    return loss, accuracy(backend.to_numpy(outputs), y)


def fit(
    model: Any,
    X: np.ndarray,
    y: np.ndarray,
    loss: str | LossFn = "mse",
    optimizer: Optimizer | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    progress: bool = True,
    *,
    validation_data: tuple[np.ndarray, np.ndarray] | None = None,
    shuffle: bool = True,
    seed: int | np.random.Generator | None = None,
    lr: float = 0.1,
    lr_schedule: Callable[[int], float] | None = None,
    accuracy: AccuracyFn | None = None,
) -> History:
    """Train ``model`` on (X, y) and return the per-epoch ``History``.

    Args:
        loss: a loss function, or its name: "mse", "bce", "bce_with_logits",
            "cross_entropy", "hinge".
        optimizer: an optimizer over ``model.parameters()``; default ``SGD(..., lr=lr)``.
        epochs: passes over the data.
        batch_size: samples per update; None for the whole set (full-batch gradient descent).
        progress: a progress bar showing loss and accuracy (``nn.progress``: a widget in
            Jupyter, one line in logs and saved notebooks); False for silence.
        validation_data: (X_val, y_val), evaluated after every epoch.
        shuffle, seed: the batch order (a new permutation per epoch, reproducible with seed).
        lr: the learning rate of the default optimizer.
        lr_schedule: ``f(epoch) -> lr``, set on the optimizer before each epoch (from 0);
            micrograd's demo decays it as ``lambda k: 1.0 - 0.9 * k / 100``.
        accuracy: ``f(outputs, y) -> float`` to replace the default rule (argmax for several
            outputs; for one, a threshold suiting the loss: > 0 for scores and logits, > 0.5
            for probabilities).

    Raises FloatingPointError, naming the epoch and batch, at a batch holding nan or inf or
    when the loss stops being finite (the parameters are not updated with that batch). With
    cross_entropy, labels are checked against the model's outputs before any update.
    """
    batch_size = _check_settings(
        optimizer, batch_size, progress, shuffle, validation_data, lr_schedule, accuracy
    )
    epochs = check_count(epochs, "epochs")
    # The History keeps 2 to 4 floats per epoch: 10**9 epochs could never be recorded.
    check_memory(epochs * HISTORY_BYTES, f"a History of {epochs} epochs", "epochs")
    X, y = check_xy(_features(X), y)
    loss_fn = losses.get_loss(loss)
    backend = backend_for(model)
    if optimizer is None:
        optimizer = SGD(model.parameters(), lr=lr)
    score = accuracy or _accuracy_rule(loss_fn, y)
    if validation_data is not None:
        X_val, y_val = check_xy(_features(validation_data[0], "X_val"), validation_data[1])
    if loss_fn is losses.cross_entropy:
        _check_classes(model, backend, X, y)
        if validation_data is not None:
            _check_classes(model, backend, X_val, y_val)
    rng = make_rng(seed)
    n_batches = math.ceil(len(X) / (batch_size or len(X)))

    history = History()
    bar = _progress_bar(epochs) if progress else None
    try:
        for epoch in range(epochs):
            if lr_schedule is not None:
                optimizer.lr = check_real(lr_schedule(epoch), "lr_schedule(epoch)", 0.0)
            total_loss, outputs_seen, targets_seen = 0.0, [], []
            for b, (Xb, yb) in enumerate(batches(X, y, batch_size, shuffle=shuffle, seed=rng)):
                _check_finite(Xb, yb, f"{epoch + 1}/{epochs}", f"{b + 1}/{n_batches}")
                with gc_paused():
                    outputs = backend.forward(model, Xb)
                    batch_loss = loss_fn(outputs, backend.targets(yb))
                    value = _loss_number(batch_loss)
                    if not math.isfinite(value):
                        raise FloatingPointError(
                            f"the loss became {value} at epoch {epoch + 1}/{epochs}, batch "
                            f"{b + 1}/{n_batches}; the parameters were not updated with it. "
                            "Try a smaller learning rate, or a loss that takes logits."
                        )
                    optimizer.zero_grad()
                    batch_loss.backward()
                    optimizer.step()
                total_loss += value * len(yb)
                outputs_seen.append(backend.to_numpy(outputs))
                targets_seen.append(yb)
            history.loss.append(total_loss / len(y))
            history.accuracy.append(
                score(np.concatenate(outputs_seen), np.concatenate(targets_seen))
            )
            if validation_data is not None:
                val_loss, val_acc = _evaluate(model, backend, loss_fn, score, X_val, y_val)
                history.val_loss.append(val_loss)
                history.val_accuracy.append(val_acc)
            if bar is not None:
                bar.set_postfix(_postfix(history), refresh=False)
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return history


def _progress_bar(epochs: int) -> Any:
    from nn.progress import ProgressBar  # imported on demand: progress=False needs no tqdm

    return ProgressBar(epochs, desc="fit", unit="epoch")


def _postfix(history: History) -> dict[str, str]:
    shown = {"loss": f"{history.loss[-1]:.4f}", "acc": f"{history.accuracy[-1]:.3f}"}
    if history.val_loss:
        shown["val_loss"] = f"{history.val_loss[-1]:.4f}"
        shown["val_acc"] = f"{history.val_accuracy[-1]:.3f}"
    return shown
