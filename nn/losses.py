"""Loss functions: how wrong a prediction is, as one number to minimise.

Each returns the MEAN over the batch as one Value, so the learning rate does not depend on the
batch size. The scalar engine's conventions:

- ``pred`` is one Value (one sample) or a list of Values (a batch, one output per sample);
  ``mse_loss`` also takes a list of lists (several outputs per sample).
- ``target`` is a number or a sequence of numbers, one per prediction.
- ``cross_entropy`` takes the logits of one sample (a list of Values) or of a batch (a list of
  lists) and integer class indices.

Each public loss dispatches once on the kind of ``pred``: the scalar version is written here,
and a Tensor version can sit beside it (``_tensor_version``) without changing callers.

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
import numbers
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import numpy as np

from autograd import Value, logsumexp, sum_of

#: log(p) is clamped to at least this, as PyTorch's BCELoss does: log(0) costs 100, not inf.
LOG_CLAMP = -100.0
_MIN_PROB = math.exp(LOG_CLAMP)  # below this, log(p) < LOG_CLAMP


# ---------------------------------------------------------------------------- helpers


def _is_tensor(pred: Any) -> bool:
    """True for a Tensor-like prediction (an ndarray ``.data``), False for Values."""
    return isinstance(getattr(pred, "data", None), np.ndarray)


def _tensor_version(name: str) -> NoReturn:
    raise TypeError(
        f"{name} got a Tensor, but the Tensor losses are not written yet; "
        "pass a Value or a list of Values"
    )


def _targets(target: Any, n: int, who: str) -> list[float]:
    """``target`` as a list of n floats: a number, or a sequence or array of n numbers."""
    if isinstance(target, numbers.Real):
        ts = [float(target)]
    elif isinstance(target, Value):
        raise TypeError(f"{who}: the target must be numbers, not a Value (targets are constants)")
    else:
        try:
            ts = [float(t) for t in np.asarray(target, dtype=np.float64).reshape(-1)]
        except (TypeError, ValueError):
            raise TypeError(f"{who}: target must be numbers, got {target!r}") from None
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


def _clamped_log(p: Value) -> Value:
    """log(p), but at least LOG_CLAMP; where clamped, a constant (its gradient is 0).

    p = 0 would give log(0) = -inf and an infinite loss; PyTorch clamps the log at -100.
    """
    if p.data < _MIN_PROB:
        return Value(LOG_CLAMP, label="clamp(log)", role="const")
    return p.log()


# ---------------------------------------------------------------------------- losses


def mse_loss(pred: Any, target: Any) -> Value:
    """Mean squared error:  L = (1/N) sum_i (p_i - t_i)**2;  dL/dp_i = 2 (p_i - t_i) / N.

    N counts every output: a batch of lists is flattened, as in PyTorch.
    """
    if _is_tensor(pred):
        return _tensor_version("mse_loss")
    ps = _predictions(pred, "mse_loss", nested=True)
    ts = _targets(target, len(ps), "mse_loss")
    return _mean([(p - t) ** 2 for p, t in zip(ps, ts, strict=True)])


def binary_cross_entropy(prob: Any, target: Any) -> Value:
    """Binary cross-entropy on probabilities p in [0, 1], targets t in [0, 1]:

        L = -(1/N) sum_i [t_i log(p_i) + (1 - t_i) log(1 - p_i)]

    Each log is clamped at -100 (as PyTorch does), so p = 0 or p = 1 gives a finite loss; a
    clamped log passes no gradient. A term whose weight (t or 1 - t) is 0 is left out.
    For logits, ``binary_cross_entropy_with_logits`` is both stabler and cheaper.
    """
    if _is_tensor(prob):
        return _tensor_version("binary_cross_entropy")
    ps = _predictions(prob, "binary_cross_entropy")
    ts = _targets(target, len(ps), "binary_cross_entropy")
    terms = []
    for i, (p, t) in enumerate(zip(ps, ts, strict=True)):
        if not 0.0 <= p.data <= 1.0:
            raise ValueError(
                f"binary_cross_entropy: prediction {i} is {p.data!r}, not a probability in "
                "[0, 1]; for raw scores use binary_cross_entropy_with_logits"
            )
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"binary_cross_entropy: target {i} is {t!r}, not in [0, 1]")
        if t == 1.0:
            terms.append(-_clamped_log(p))
        elif t == 0.0:
            terms.append(-_clamped_log(1.0 - p))
        else:
            terms.append(-(t * _clamped_log(p) + (1.0 - t) * _clamped_log(1.0 - p)))
    return _mean(terms)


def binary_cross_entropy_with_logits(logits: Any, target: Any) -> Value:
    """Binary cross-entropy of sigmoid(z), computed from the logit z without the sigmoid:

        -[t log s(z) + (1 - t) log(1 - s(z))] = softplus(z) - t z

    since log s(z) = -softplus(-z) and softplus(z) - softplus(-z) = z. Finite for any z (no
    log of 0), and d/dz = sigmoid(z) - t exactly.
    """
    if _is_tensor(logits):
        return _tensor_version("binary_cross_entropy_with_logits")
    zs = _predictions(logits, "binary_cross_entropy_with_logits")
    ts = _targets(target, len(zs), "binary_cross_entropy_with_logits")
    for i, t in enumerate(ts):
        if not 0.0 <= t <= 1.0:
            raise ValueError(
                f"binary_cross_entropy_with_logits: target {i} is {t!r}, not in [0, 1]"
            )
    return _mean([z.softplus() - t * z for z, t in zip(zs, ts, strict=True)])


def cross_entropy(logits: Any, target: Any) -> Value:
    """Softmax cross-entropy with integer class targets, through a stable log-softmax:

        L = -(1/N) sum_i log_softmax(z_i)[t_i] = (1/N) sum_i (logsumexp(z_i) - z_i[t_i])

    ``logits``: one sample (a list of C Values) with one int target, or a batch (a list of
    lists) with a sequence of ints. d/dz_j = softmax(z)_j - [j == t]: finite for any logits.
    """
    if _is_tensor(logits):
        return _tensor_version("cross_entropy")
    if not isinstance(logits, Sequence) or not logits:
        raise TypeError("cross_entropy: logits must be a list of Values or a list of lists")
    rows = [logits] if isinstance(logits[0], Value) else list(logits)
    if isinstance(target, (numbers.Integral, np.integer)) and not isinstance(target, bool):
        classes = [target]
    else:
        classes = list(np.asarray(target).reshape(-1))
    if len(classes) != len(rows):
        raise ValueError(f"cross_entropy: {len(rows)} samples but {len(classes)} targets")
    terms = []
    for i, (row, c) in enumerate(zip(rows, classes, strict=True)):
        zs = _predictions(list(row) if isinstance(row, Sequence) else row, "cross_entropy")
        if isinstance(c, (bool, np.bool_)) or not isinstance(c, (numbers.Integral, np.integer)):
            raise TypeError(f"cross_entropy: target {i} must be a class index (int), not {c!r}")
        if not 0 <= c < len(zs):
            raise ValueError(
                f"cross_entropy: target {i} is class {int(c)}, but there are {len(zs)} classes "
                f"(0 to {len(zs) - 1})"
            )
        # -log_softmax(z)[c] = logsumexp(z) - z[c]: the one entry of the log-softmax we need.
        terms.append(logsumexp(zs) - zs[int(c)])
    return _mean(terms)


def hinge_loss(scores: Any, target: Any) -> Value:
    """The SVM max-margin loss of micrograd's moons demo:  L = (1/N) sum_i relu(1 - t_i z_i).

    Targets are +1 or -1 (0 is read as -1, so 0/1 labels work too). A sample classified with a
    margin t z >= 1 costs nothing and passes no gradient; otherwise d/dz = -t.
    """
    if _is_tensor(scores):
        return _tensor_version("hinge_loss")
    zs = _predictions(scores, "hinge_loss")
    ts = _targets(target, len(zs), "hinge_loss")
    signs = []
    for i, t in enumerate(ts):
        if t not in (-1.0, 0.0, 1.0):
            raise ValueError(f"hinge_loss: target {i} is {t!r}; use +1 / -1 (or 1 / 0) labels")
        signs.append(1.0 if t > 0 else -1.0)
    return _mean([(1.0 - s * z).relu() for z, s in zip(zs, signs, strict=True)])


#: Losses by the names ``nn.fit`` accepts.
LOSSES: dict[str, Callable[[Any, Any], Value]] = {
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
