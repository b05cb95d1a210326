"""gradflow's engines: the scalar ``Value`` and the NumPy ``Tensor``, with one vocabulary.

For example::

    from autograd import Value
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b + a.tanh()
    c.backward()          # a.grad, b.grad now hold dc/da, dc/db
"""

from autograd import dmath, engine
from autograd import functional as functional
from autograd.activations import ACTIVATIONS, Activation, get_activation, register_activation
from autograd.anomaly import AnomalyError, detect_anomaly
from autograd.engine import grad
from autograd.functional import log_softmax, logsumexp, softmax
from autograd.gradcheck import GradcheckResult, gradcheck, gradgradcheck
from autograd.graph import bump_version, gc_paused, is_grad_enabled, no_grad, topological_order
from autograd.op import Op, op
from autograd.tensor import Tensor
from autograd.value import Edge, Step, Value, sum_of

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "get_activation",
    "register_activation",
    "AnomalyError",
    "Edge",
    "GradcheckResult",
    "Step",
    "Tensor",
    "Op",
    "Value",
    "dmath",
    "engine",
    "grad",
    "op",
    "bump_version",
    "detect_anomaly",
    "gc_paused",
    "gradcheck",
    "gradgradcheck",
    "is_grad_enabled",
    "log_softmax",
    "logsumexp",
    "no_grad",
    "softmax",
    "sum_of",
    "topological_order",
]
