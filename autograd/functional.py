"""Softmax and friends on lists of Values, stable for logits far apart.

The trick is the identity  logsumexp(x) = m + log(sum_i e**(x_i - m))  for any constant m.
With m = max(x) every exponent is <= 0, so nothing overflows even for logits 1000 apart.

``logsumexp`` is one node with an edge to every input, and its local gradients are the
softmax:  d/dx_j logsumexp(x) = e**(x_j - lse) = softmax(x)_j.  The other two are built
from it with ordinary ops, so their diagrams show how they are made:

    log_softmax(x)_i = x_i - logsumexp(x)
    softmax(x)_i     = exp(log_softmax(x)_i)
"""

from __future__ import annotations

from collections.abc import Sequence

from autograd.value import Operand, Value, _lift, logsumexp_op


def logsumexp(values: Sequence[Operand]) -> Value:
    """log(sum_i e**x_i), with d/dx_j = softmax(x)_j.  Finite for any finite logits.

    One node with an edge to every input (the op ``logsumexp`` in autograd/value.py).
    """
    xs = tuple(_lift(v, "logsumexp") for v in values)
    if not xs:
        raise ValueError("logsumexp() needs at least one value")
    return logsumexp_op(*xs)


def log_softmax(values: Sequence[Operand]) -> list[Value]:
    """x_i - logsumexp(x): log-probabilities, never -inf from underflow."""
    xs = [_lift(v, "log_softmax") for v in values]
    lse = logsumexp(xs)
    return [x - lse for x in xs]


def softmax(values: Sequence[Operand]) -> list[Value]:
    """e**x_i / sum_j e**x_j, as exp(log_softmax(x)_i): probabilities that sum to 1."""
    xs = [_lift(v, "softmax") for v in values]
    return [lp.exp() for lp in log_softmax(xs)]
