"""Loss functions: how wrong a prediction is, as one number to minimise.

Each returns the MEAN over the batch, so the learning rate does not depend on the batch size:
one Value for the scalar engine, a one-element Tensor for the tensor engine. The scalar
engine's conventions:

- ``pred`` is one Value (one sample) or a list of Values (a batch, one output per sample);
  ``mse_loss`` also takes a list of lists (several outputs per sample).
- ``target`` is a number or a sequence of numbers, one per prediction.
- ``cross_entropy`` takes the logits of one sample (a list of Values) or of a batch (a list of
  lists) and integer class indices.

The tensor engine's conventions:

- ``pred`` is a Tensor: (N,) or (N, 1) for one output per sample, (N, C) for C outputs;
  ``target`` an array (or a constant Tensor) of the same shape ((N,) also fits (N, 1)).
- ``cross_entropy`` takes logits (N, C), or (C,) for one sample, and an int array of N class
  indices.

Each loss states its formula once, as a term per sample: ``_mean_of`` applies it to a whole
Tensor at once, or to the Values one by one. Targets are checked as arrays, for both engines.

Gradients, per sample, before the 1/N of the mean (z a logit, p a probability, t a target):

    mse:                 d/dp (p - t)**2                        = 2 (p - t)
    bce:                 d/dp -[t log p + (1 - t) log(1 - p)]   = (p - t) / (p (1 - p))
    sigmoid then bce:    d/dz                                   = sigmoid(z) - t
    bce with logits:     d/dz softplus(z) - t z                 = sigmoid(z) - t
    cross entropy:       d/dz_j logsumexp(z) - z_t              = softmax(z)_j - [j == t]
    hinge (t = +-1):     d/dz relu(1 - t z)                     = -t if t z < 1, else 0
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd import Tensor, Value, logsumexp, sum_of
from autograd.tensor import class_targets
from autograd.tensor import cross_entropy as tensor_cross_entropy
from nn.checks import real_array

#: log(p) is clamped to at least this, as PyTorch's BCELoss does: log(0) costs 100, not inf.
LOG_CLAMP = -100.0
_MIN_PROB = math.exp(LOG_CLAMP)  # below this, log(p) < LOG_CLAMP


# ---------------------------------------------------------------------------- helpers


def _is_tensor(pred: Any, who: str) -> bool:
    """True for a Tensor (the tensor branch), False for Values and lists (the scalar branch).

    Anything else holding an array in ``.data`` (another library's tensor) is neither, and a
    TypeError says so rather than letting the scalar code fail on it later.
    """
    if isinstance(pred, Tensor):
        return True
    if isinstance(getattr(pred, "data", None), np.ndarray):
        raise TypeError(
            f"{who} got a {type(pred).__name__} with array data, but the tensor losses take an "
            "autograd.Tensor; wrap the array: Tensor(x)"
        )
    return False


def _targets(target: Any, n: int, who: str) -> list[float]:
    """``target`` as a list of n floats: a number, or a sequence or array of n numbers."""
    if isinstance(target, Value):
        raise TypeError(f"{who}: the target must be numbers, not a Value (targets are constants)")
    ts = real_array(target, f"{who}: target").astype(np.float64).reshape(-1).tolist()
    if len(ts) != n:
        raise ValueError(f"{who}: {n} predictions but {len(ts)} targets")
    return ts


def _predictions(pred: Any, who: str, nested: bool = False) -> list[Value]:
    """``pred`` as a flat list of Values: one Value, a list, or (if nested) a list of lists."""
    if isinstance(pred, Value):
        return [pred]
    if not isinstance(pred, Sequence) or isinstance(pred, str):
        kind = type(pred).__name__
        raise TypeError(f"{who}: pred must be a Value or a list of Values, not {kind}")
    flat: list[Value] = []
    for p in pred:
        if isinstance(p, Value):
            flat.append(p)
        elif nested and isinstance(p, Sequence):
            flat.extend(_predictions(list(p), who))
        else:
            raise TypeError(f"{who}: pred must hold Values, found {type(p).__name__}: {p!r}")
    if not flat:
        raise ValueError(f"{who}: empty batch (no predictions)")
    return flat


def _mean(terms: list[Value]) -> Value:
    """(t_1 + ... + t_N) / N as one "sum" node and one division."""
    return sum_of(terms) / len(terms)


def _clamped_log(p: Any) -> Any:
    """log(p), but at least LOG_CLAMP; where clamped, a constant (its gradient is 0).

    p = 0 would give log(0) = -inf and an infinite loss; PyTorch clamps the log at -100.
    A Tensor is clamped elementwise: where p < e**-100 the log is fed a 1 instead of p
    (log 1 = 0, with a finite derivative) and -100 is added there, so the log node never sees
    a 0 and no gradient reaches p there.
    """
    if isinstance(p, Tensor):
        keep = p.data >= _MIN_PROB
        if keep.all():
            return p.log()
        kept = keep.astype(p.dtype)
        return (p * kept + (1.0 - kept)).log() + np.where(keep, 0.0, LOG_CLAMP).astype(p.dtype)
    if p.data < _MIN_PROB:
        return Value(LOG_CLAMP, label="clamp(log)", role="const")
    return p.log()


def _per_sample(shape: tuple[int, ...]) -> tuple[int, ...]:
    """(N, 1) as (N,), and () as (1,): the shapes that mean "one number per sample"."""
    if len(shape) == 0:
        return (1,)
    if len(shape) == 2 and shape[1] == 1:
        return (shape[0],)
    return shape


def _tensor_targets(pred: Tensor, target: Any, who: str) -> np.ndarray:
    """``target`` as a constant array of ``pred``'s shape and dtype, or a clear error.

    The shapes must agree, except that (N,) and (N, 1) fit each other (and a number fits a
    one-element prediction): a (2, 3) target is never silently read as a (3, 2) one.
    """
    if isinstance(target, Value):
        raise TypeError(f"{who}: the target must be numbers, not a Value (targets are constants)")
    if isinstance(target, Tensor):
        if target.requires_grad:
            raise TypeError(
                f"{who}: the target must be a constant, not a Tensor with requires_grad=True; "
                "pass target.detach()"
            )
        target = target.data
    t = real_array(target, f"{who}: target").astype(np.float64)
    if pred.size == 0:
        raise ValueError(f"{who}: empty batch (a prediction of shape {pred.shape})")
    if t.shape != pred.shape and _per_sample(t.shape) != _per_sample(pred.shape):
        raise ValueError(f"{who}: predictions of shape {pred.shape} but targets of shape {t.shape}")
    return t.reshape(pred.shape).astype(pred.dtype)


def _first_bad(bad: np.ndarray, values: np.ndarray) -> tuple[int, float]:
    """(flat index, value) of the first True in ``bad``: for error messages."""
    i = int(np.flatnonzero(bad)[0])
    return i, float(values.reshape(-1)[i])


def _batch(pred: Any, target: Any, who: str, nested: bool = False) -> tuple[Any, np.ndarray]:
    """(predictions, targets) in the form of pred's engine, targets as a float array.

    The tensor engine keeps ``pred`` as it is, with a target array of its shape; the scalar
    engine gets a flat list of Values and one target per Value.
    """
    if _is_tensor(pred, who):
        return pred, _tensor_targets(pred, target, who)
    ps = _predictions(pred, who, nested)
    return ps, np.array(_targets(target, len(ps), who))


def _numbers(preds: Any) -> np.ndarray:
    """The predictions' numbers as an array, to check them (a Tensor's data, or each Value's)."""
    return preds.data if isinstance(preds, Tensor) else np.array([p.data for p in preds])


def _mean_of(term: Callable[[Any, Any], Any], preds: Any, t: np.ndarray) -> Value | Tensor:
    """The mean over the batch of ``term(prediction, target)``, written once for both engines.

    A Tensor applies the term to every element at once; Values one sample at a time.
    """
    if isinstance(preds, Tensor):
        return term(preds, t).mean()
    return _mean([term(p, ti) for p, ti in zip(preds, t.tolist(), strict=True)])


def _check(values: np.ndarray, ok: np.ndarray, who: str, what: str, hint: str) -> None:
    """A ValueError naming the first value where ``ok`` is False (nan fails every test)."""
    if not ok.all():
        i, v = _first_bad(~ok, values)
        raise ValueError(f"{who}: {what} {i} is {v!r}{hint}")


# ---------------------------------------------------------------------------- losses


def mse_loss(pred: Any, target: Any) -> Value | Tensor:
    """Mean squared error:  L = (1/N) sum_i (p_i - t_i)**2;  dL/dp_i = 2 (p_i - t_i) / N.

    N counts every output: a batch of lists (or an (N, C) Tensor) is flattened, as in PyTorch.
    """
    ps, t = _batch(pred, target, "mse_loss", nested=True)
    return _mean_of(lambda p, t: (p - t) ** 2, ps, t)


def binary_cross_entropy(prob: Any, target: Any) -> Value | Tensor:
    """Binary cross-entropy on probabilities p in [0, 1], targets t in [0, 1]:

        L = -(1/N) sum_i [t_i log(p_i) + (1 - t_i) log(1 - p_i)]

    Each log is clamped at -100 (as PyTorch does), so p = 0 or p = 1 gives a finite loss; a
    clamped log passes no gradient, and a log weighted by 0 adds 0 (at worst 0 * -100).
    For logits, ``binary_cross_entropy_with_logits`` is both stabler and cheaper.
    """
    who = "binary_cross_entropy"
    ps, t = _batch(prob, target, who)
    p = _numbers(ps)
    _check(p, (p >= 0.0) & (p <= 1.0), who, "prediction", ", not a probability in [0, 1]; "
           "for raw scores use binary_cross_entropy_with_logits")  # fmt: skip
    _check(t, (t >= 0.0) & (t <= 1.0), who, "target", ", not in [0, 1]")
    return _mean_of(lambda p, t: -(_clamped_log(p) * t + _clamped_log(1.0 - p) * (1.0 - t)), ps, t)


def binary_cross_entropy_with_logits(logits: Any, target: Any) -> Value | Tensor:
    """Binary cross-entropy of sigmoid(z), computed from the logit z without the sigmoid:

        -[t log s(z) + (1 - t) log(1 - s(z))] = softplus(z) - t z

    since log s(z) = -softplus(-z) and softplus(z) - softplus(-z) = z. Finite for any z (no
    log of 0, thanks to the engines' stable softplus), and d/dz = sigmoid(z) - t exactly.
    """
    who = "binary_cross_entropy_with_logits"
    zs, t = _batch(logits, target, who)
    _check(t, (t >= 0.0) & (t <= 1.0), who, "target", ", not in [0, 1]")
    return _mean_of(lambda z, t: z.softplus() - z * t, zs, t)


def hinge_loss(scores: Any, target: Any) -> Value | Tensor:
    """The SVM max-margin loss of micrograd's moons demo:  L = (1/N) sum_i relu(1 - t_i z_i).

    Targets are +1 or -1 (0 is read as -1, so 0/1 labels work too). A sample classified with a
    margin t z >= 1 costs nothing and passes no gradient; otherwise d/dz = -t.
    """
    who = "hinge_loss"
    zs, t = _batch(scores, target, who)
    _check(t, (t == -1.0) | (t == 0.0) | (t == 1.0), who, "target",
           "; use +1 / -1 (or 1 / 0) labels")  # fmt: skip
    signs = np.where(t > 0.0, 1.0, -1.0).astype(t.dtype)
    return _mean_of(lambda z, s: (1.0 - z * s).relu(), zs, signs)


def cross_entropy(logits: Any, target: Any) -> Value | Tensor:
    """Softmax cross-entropy with integer class targets, through a stable log-softmax:

        L = -(1/N) sum_i log_softmax(z_i)[t_i] = (1/N) sum_i (logsumexp(z_i) - z_i[t_i])

    ``logits``: one sample (a list of C Values, or a (C,) Tensor) with one int target, or a
    batch (a list of lists, or an (N, C) Tensor) with a sequence or int array of N targets.
    d/dz_j = softmax(z)_j - [j == t]: finite for any logits.
    """
    if _is_tensor(logits, "cross_entropy"):
        shape = logits._data.shape
        if len(shape) not in (1, 2) or 0 in shape:
            raise ValueError(
                "cross_entropy: logits must have shape (C,) for one sample or (N, C) for a "
                f"batch, got {shape}"
            )
        rows = logits if len(shape) == 2 else logits.reshape(1, -1)
        # One node (autograd.tensor.cross_entropy, which checks the targets): its VJP is
        # (softmax(z) - onehot(t)) / N
        return tensor_cross_entropy(rows, target)
    if not isinstance(logits, Sequence) or not logits:
        raise TypeError("cross_entropy: logits must be a list of Values or a list of lists")
    one_sample = isinstance(logits[0], Value)
    rows = [_predictions(row, "cross_entropy") for row in ([logits] if one_sample else logits)]
    widths = sorted({len(row) for row in rows})
    if len(widths) != 1:
        raise ValueError(f"cross_entropy: rows of logits have different lengths {widths}")
    classes, _ = class_targets(target, len(rows), widths[0])
    # -log_softmax(z)[c] = logsumexp(z) - z[c]: the one entry of the log-softmax we need.
    return _mean([logsumexp(zs) - zs[c] for zs, c in zip(rows, classes.tolist(), strict=True)])


#: Losses by the names ``nn.fit`` accepts.
LOSSES: dict[str, Callable[[Any, Any], Value | Tensor]] = {
    "mse": mse_loss,
    "bce": binary_cross_entropy,
    "bce_with_logits": binary_cross_entropy_with_logits,
    "cross_entropy": cross_entropy,
    "hinge": hinge_loss,
}


def get_loss(loss: str | Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """A loss function from its name (see ``LOSSES``), or the given callable itself."""
    if callable(loss):
        return loss
    try:
        return LOSSES[loss]
    except (KeyError, TypeError):
        valid = ", ".join(repr(k) for k in LOSSES)
        raise ValueError(f"unknown loss {loss!r}; valid losses are: {valid}") from None
