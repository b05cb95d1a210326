"""How an op is declared: its forward and its derivative rule, side by side, once.

Every operation of both engines is an ``Op``: the built-in ones (``+``, ``tanh``, ``@``, ...)
and a learner's own. For the scalar engine the rule is ``local``: given the op's inputs and
its output, the local derivative d(out)/d(input) for each input::

    @autograd.op(local=lambda x, out: (math.cos(x),))   # d sin(x)/dx = cos(x)
    def sin(x):
        return math.sin(x)

    y = sin(Value(0.5))        # a node with op "sin"; backward multiplies upstream * cos(0.5)

For the tensor engine the Jacobian would be huge, so the rule is ``vjp``: given the upstream
gradient g (shaped like the output), the inputs and the output, the downstream gradient for
each input (shaped like that input; a broadcast input may get g's shape, and the backward
driver sums it back to the input's shape)::

    @autograd.op(vjp=lambda g, x, out: (g * np.cos(x),))
    def sin(x):
        return np.sin(x)

The rule is a plain function shared by every node of the op: a node keeps only its operands,
its value and a reference to its op. The same rule serves ``backward``, ``backward_steps``,
``local_grads``, ``gradcheck``, ``detect_anomaly`` and the diagrams, and, written with
operations that work on nodes too (``+ - * /`` and ``autograd.dmath``), ``create_graph``
backward and so second derivatives.

An op may take keyword parameters (``leaky_relu(x, slope=0.1)``, ``sum(x, axis=0)``). Each
distinct set of parameters gets its own op object, made once and cached, with the parameters
bound into its forward and rule: ``local(x, out, slope=0.1)``. ``name`` may be a format
string of them (``"**{k:g}"`` makes the op "**2").
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

#: How each engine applies an op to its nodes: {node type: apply(op, inputs) -> node}.
#: value.py and tensor.py register themselves; numbers alone go to the scalar engine.
ENGINES: dict[type, Callable[[Op, tuple[Any, ...]], Any]] = {}
_FAMILY_LIMIT = 4096  # distinct parameter sets kept per op before the cache starts afresh


class Op:
    """One operation: a name (the ``op`` of its nodes), a forward and its derivative rule.

    Attributes:
        name: shown as the node's ``op`` ("+", "tanh", "sin").
        forward: computes the output from the inputs' numbers (floats or arrays).
        local: scalar rule, ``local(*inputs, out) -> tuple``: d(out)/d(input_i) per input.
        vjp: tensor rule, ``vjp(g, *inputs, out) -> tuple``: the gradient per input.
        params: the keyword parameters bound into this op ({} for most).
        exact: the vjp's promise that each gradient it gives is a fresh ndarray (not g
            itself, nor a view of it, nor a subclass) of its operand's own shape and dtype,
            or a function of no arguments that makes one (a deferred gradient), so that
            the backward uses it as it comes; without it, the backward sums a gradient back
            over broadcast axes, casts it where it must, and copies one it only borrowed.
            ``gradcheck`` checks the promise.
    """

    # Slots: a bound op (one per cross_entropy call, see ``fresh``) then needs no dict of
    # its own. ``__dict__`` stays for what ``functools.update_wrapper`` copies from forward.
    __slots__ = ("params", "name", "_template", "_raw", "forward", "local", "vjp", "exact",
                 "_family", "__dict__", "__weakref__")  # fmt: skip

    def __init__(
        self,
        forward: Callable[..., Any],
        *,
        local: Callable[..., tuple[Any, ...]] | None = None,
        vjp: Callable[..., tuple[Any, ...]] | None = None,
        name: str | None = None,
        params: dict[str, Any] | None = None,
        exact: bool = False,
    ) -> None:
        if not callable(forward):
            raise TypeError(f"op: the forward must be a function, got {type(forward).__name__}")
        for what, rule in (("local", local), ("vjp", vjp)):
            if rule is not None and not callable(rule):
                raise TypeError(f"op: {what}= must be a function, got {type(rule).__name__}")
        if local is None and vjp is None:
            raise TypeError(
                f"op {name or getattr(forward, '__name__', '?')!r} needs its derivative: give "
                "local=lambda *inputs, out: (d out/d input, ...) for Values, or "
                "vjp=lambda g, *inputs, out: (gradient per input, ...) for Tensors"
            )
        if name is not None and not isinstance(name, str):
            raise TypeError(f"op: name must be a string, got {type(name).__name__}")
        self.params = params or {}
        template = name or getattr(forward, "__name__", "op")
        self.name: str = template.format(**self.params) if self.params else template
        self._template = template
        self._raw = (forward, local, vjp)
        self.forward = forward
        # A rule's first answer is checked (a tuple with one entry per input), then the rule
        # is called directly: a learner's mistake is named once, at no cost afterwards.
        self.local = _checked_first(self, local, "local") if local else None
        self.vjp = _checked_first(self, vjp, "vjp") if vjp else None
        self.exact = bool(exact)
        self._family: dict[Any, Op] | None = None  # the bound ops, made on the first bind
        functools.update_wrapper(self, forward, updated=())

    def __repr__(self) -> str:
        rules = "+".join(r for r, f in (("local", self.local), ("vjp", self.vjp)) if f)
        return f"<op {self.name!r} ({rules})>"

    def bind(self, **params: Any) -> Op:
        """This op with keyword parameters bound (cached: one op object per parameter set)."""
        key = tuple(params.items())  # call sites pass their parameters in a fixed order
        family = self._family
        if family is None:
            family = self._family = {}
        try:
            op = family.get(key)
        except TypeError:  # an unhashable parameter (an index array): an op of its own
            return self._bound(params)
        if op is None:
            if len(family) >= _FAMILY_LIMIT:
                family.clear()
            op = family[key] = self._bound(params)
        return op

    def fresh(self, **params: Any) -> Op:
        """This op with ``params`` bound, as an op of its own that is not cached: for
        parameters that belong to one node (its targets, what its forward saved for the
        backward). ``bind`` comes here too for a parameter that cannot be hashed."""
        return self._bound(params)

    def _bound(self, params: dict[str, Any]) -> Op:
        """A copy of this op with ``params`` bound into its forward and rules (no checks:
        this op's were made when it was declared). Binding a bound op adds to its
        parameters."""
        if self.params:
            params = {**self.params, **params}
        forward, local, vjp = raw = self._raw  # the declared forward and rules, unbound
        template = self._template
        op = object.__new__(Op)
        op.params = params
        op.name = template.format(**params) if "{" in template else template
        op._template = template
        op._raw = raw
        op.forward = functools.partial(forward, **params)
        op.local = functools.partial(local, **params) if local else None
        op.vjp = functools.partial(vjp, **params) if vjp else None
        op.exact = self.exact
        op._family = None
        return op

    def __call__(self, *inputs: Any, **params: Any) -> Any:
        """Apply the op: Tensors in give a Tensor, Values or numbers give a Value."""
        op = self.bind(**params) if params else self
        for x in inputs:
            apply = ENGINES.get(type(x))
            if apply is not None:
                return apply(op, inputs)
        for kind, apply in ENGINES.items():  # subclasses, and arrays for the tensor engine
            if any(isinstance(x, kind) for x in inputs):
                return apply(op, inputs)
        return ENGINES[_scalar_engine()](op, inputs)

    def local_grads(self, *inputs: Any) -> tuple[Any, ...]:
        """The local derivatives at these input numbers (the forward is computed for out)."""
        if self.local is None:
            raise TypeError(f"op {self.name!r} has no scalar rule (local=); it is a tensor op")
        return tuple(self.local(*inputs, self.forward(*inputs)))


def _scalar_engine() -> type:
    from autograd.value import Value

    return Value


def _checked_first(op: Op, rule: Callable[..., Any], what: str) -> Callable[..., Any]:
    """``rule``, checking its first answer: one entry per input, in a tuple or list."""

    def first_call(*args: Any) -> Any:
        result = rule(*args)
        n_inputs = len(args) - (2 if what == "vjp" else 1)  # minus g and out, or out
        if not isinstance(result, (tuple, list)):
            raise TypeError(
                f"op {op.name!r}: {what} must return a tuple with one entry per input "
                f"({n_inputs}), e.g. (cos(x),) with the comma; it returned "
                f"{type(result).__name__} {result!r:.60}"
            )
        if len(result) != n_inputs:
            raise TypeError(
                f"op {op.name!r}: {what} returned {len(result)} entries for {n_inputs} "
                "input(s); give one per input, in the forward's order"
            )
        if what == "local":
            op.local = rule
        else:
            op.vjp = rule
        return tuple(result)

    return first_call


def op(
    fn: Callable[..., Any] | None = None,
    *,
    local: Callable[..., tuple[Any, ...]] | None = None,
    vjp: Callable[..., tuple[Any, ...]] | None = None,
    name: str | None = None,
    exact: bool = False,
) -> Any:
    """Make an op from a forward function and its derivative rule (a decorator).

    ``local(*inputs, out) -> tuple``: one local derivative per input, for Values.
    ``vjp(g, *inputs, out) -> tuple``: one downstream gradient per input, for Tensors.
    ``name`` defaults to the function's name and becomes the node's ``op``. The result takes
    Values (or numbers) or Tensors and returns a node; it works in ``backward``,
    ``backward_steps``, ``local_grads``, ``gradcheck``, ``detect_anomaly`` and ``viz.draw``.
    Write the rule with ``+ - * /`` and ``autograd.dmath`` rather than ``math`` and it works
    under ``create_graph=True`` too; a rule that uses ``math`` on floats raises there.
    ``exact=True`` is a vjp's promise that every gradient is a fresh array of its operand's
    shape and dtype (see ``Op``); leave it off unless the rule makes sure of it.
    """

    def make(forward: Callable[..., Any]) -> Op:
        return Op(forward, local=local, vjp=vjp, name=name, exact=exact)

    return make(fn) if fn is not None else make
