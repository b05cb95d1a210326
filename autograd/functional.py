"""Functions of whole functions: softmax and friends on lists of Values, and the derivatives
of PyTorch's ``torch.autograd.functional`` (vjp, jvp, jacobian, hessian, hvp).

Softmax and friends are stable for logits far apart.

The trick is the identity  logsumexp(x) = m + log(sum_i e**(x_i - m))  for any constant m.
With m = max(x) every exponent is <= 0, so nothing overflows even for logits 1000 apart.

``logsumexp`` is one node with an edge to every input, and its local gradients are the
softmax:  d/dx_j logsumexp(x) = e**(x_j - lse) = softmax(x)_j.  The other two are built
from it with ordinary ops, so their diagrams show how they are made:

    log_softmax(x)_i = x_i - logsumexp(x)
    softmax(x)_i     = exp(log_softmax(x)_i)
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd import engine
from autograd.graph import topological_order
from autograd.tensor import Tensor
from autograd.value import Operand, Value, _lift, logsumexp_op, sum_of


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


# ============================================================================ derivatives
# torch.autograd.functional's five, for Values and for Tensors. ``inputs`` is one node or a
# tuple of them; results follow the same structure, as in PyTorch. Each call works on fresh
# leaf copies of the inputs, so nothing outside is changed (no .grad is touched).


def _as_tuple(x: Any) -> tuple[bool, tuple[Any, ...]]:
    if isinstance(x, tuple):
        return True, x
    if isinstance(x, list):
        return True, tuple(x)
    return False, (x,)


def _fresh(x: Any, i: int, who: str) -> Any:
    """A new leaf holding x's numbers: a Value for a Value or a number, a Tensor otherwise."""
    if isinstance(x, Value):
        return Value(x.data, label=x.label or f"x{i}")
    if isinstance(x, Tensor):
        return Tensor(x.data.copy(), requires_grad=True, label=x.label or f"x{i}")
    if isinstance(x, numbers.Real):
        return Value(float(x), label=f"x{i}")
    raise TypeError(f"{who}: inputs[{i}] must be a Value, a Tensor or a number, not {type(x)}")


def _call(func: Any, inputs: tuple[Any, ...], who: str) -> tuple[bool, tuple[Any, ...]]:
    out = func(*inputs)
    many, outs = _as_tuple(out)
    for j, o in enumerate(outs):
        if not isinstance(o, (Value, Tensor)):
            raise TypeError(
                f"{who}: func must return a Value or a Tensor (or a tuple of them); output "
                f"{j} is a {type(o).__name__}"
            )
    return many, outs


def _detached(x: Any) -> Any:
    if isinstance(x, Value):
        return Value(x.data, label=x.label)
    return Tensor(x.data, label=x.label)


def _result(x: Any, create_graph: bool) -> Any:
    """A gradient to hand back: the node itself under create_graph, else a plain leaf."""
    if create_graph:
        return x
    if isinstance(x, float):
        return Value(x)
    if isinstance(x, np.ndarray):
        return Tensor(x)
    return _detached(x)


def _directions(v: Any, like: tuple[Any, ...], who: str, what: str) -> tuple[Any, ...]:
    """v as one direction per node of ``like`` (numbers for Values, arrays for Tensors)."""
    if v is None:
        if all(_size(x) == 1 for x in like):
            return tuple(1.0 if isinstance(x, Value) else np.ones_like(x.data) for x in like)
        raise ValueError(f"{who}: v can be omitted only when every {what} has one element")
    _, vs = _as_tuple(v)
    if len(vs) != len(like):
        raise ValueError(f"{who}: v has {len(vs)} entries for {len(like)} {what}s")
    out = []
    for i, (d, x) in enumerate(zip(vs, like, strict=True)):
        d = d.data if isinstance(d, (Value, Tensor)) else d
        if isinstance(x, Value):
            out.append(float(d))
        else:
            d = np.asarray(d, dtype=x.data.dtype)
            if d.shape != x.data.shape:
                raise ValueError(
                    f"{who}: v[{i}] has shape {d.shape}, but the {what} has {x.data.shape}"
                )
            out.append(d)
    return tuple(out)


def _size(x: Any) -> int:
    return 1 if isinstance(x, Value) else int(x.data.size)


def vjp(func: Any, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False):
    """(func(*inputs), v^T J): the vector-Jacobian product, by one backward pass.

    As ``torch.autograd.functional.vjp``: ``v`` has the outputs' shapes (it may be omitted
    for a one-element output); the result has the inputs' structure.
    """
    many_in, xs = _as_tuple(inputs)
    xs = tuple(_fresh(x, i, "vjp") for i, x in enumerate(xs))
    many_out, outs = _call(func, xs, "vjp")
    vs = _directions(v, outs, "vjp", "output")
    grads = engine.grad(list(outs), list(xs), list(vs), create_graph=create_graph)
    out = tuple(o if create_graph else _detached(o) for o in outs)
    res = tuple(_result(g, create_graph) for g in grads)
    return (out if many_out else out[0]), (res if many_in else res[0])


def jvp(func: Any, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False):
    """(func(*inputs), J v): the Jacobian-vector product, by forward mode.

    Values: true forward mode. ``func`` runs once, recording its graph; then tangents flow
    from the inputs to the outputs in topological order, each node's tangent being
    sum_i local_i * tangent(parent_i), with the same local derivatives backward uses
    (d(out) = sum of d(out)/d(in) * d(in), the chain rule read forwards). No backward pass.

    Tensors: the ops declare VJPs only, so J v is computed as the derivative of a VJP: with
    u a dummy direction, v^T (J^T u) is linear in u and its gradient with respect to u is
    J v (two backward passes, the "double-VJP trick"; PyTorch's functional.jvp does the
    same). Both give torch's results and structure.
    """
    many_in, xs = _as_tuple(inputs)
    xs = tuple(_fresh(x, i, "jvp") for i, x in enumerate(xs))
    vs = _directions(v, xs, "jvp", "input")
    many_out, outs = _call(func, xs, "jvp")
    if all(isinstance(x, Value) for x in xs):
        tangents = forward_tangents(outs, dict(zip(xs, vs, strict=True)), create_graph)
    else:
        tangents = _jvp_by_double_vjp(outs, xs, vs, create_graph)
    out = tuple(o if create_graph else _detached(o) for o in outs)
    res = tuple(_result(t, create_graph) for t in tangents)
    return (out if many_out else out[0]), (res if many_out else res[0])


def forward_tangents(
    outputs: Sequence[Value], seeds: dict[Value, Any], create_graph: bool = False
) -> list[Any]:
    """Forward mode on a recorded Value graph: the tangent of each output, given the
    tangents ``seeds`` of some leaves (every other leaf has tangent 0).

    tangent(node) = sum over its parents of local(node, parent) * tangent(parent), in
    topological order: each node's tangent is complete before any child needs it.
    """
    tangent = forward_steps(outputs, seeds, create_graph)
    return [tangent.get(o, 0.0) for o in outputs]


def forward_steps(
    outputs: Sequence[Value], seeds: dict[Value, Any], create_graph: bool = False, record=None
) -> dict[Value, Any]:
    """The tangents of every node of the outputs' graphs (see ``forward_tangents``).

    ``record``, if given, is called once per node in forward order with
    ``(node, tangent, edges)``, edges a list of ``(parent, tangent_in, local, contribution)``:
    what a forward-mode diagram or flip-book shows.
    """
    root = outputs[0] if len(outputs) == 1 else sum_of(list(outputs))
    tangent: dict[Value, Any] = {}
    for node in topological_order(root):
        op = node._op
        if op is None:
            t = seeds.get(node, 0.0)
            tangent[node] = t
            if record is not None:
                record(node, t, [])
            continue
        parents = node.parents
        if create_graph:
            locals_ = op.local(*parents, node)
        else:
            locals_ = op.local(*[p.data for p in parents], node.data)
        total: Any = 0.0
        edges = []
        for p, local in zip(parents, locals_):  # noqa: B905
            t_in = tangent[p]
            part = 0.0 if (not create_graph and (not local or not t_in)) else local * t_in
            total = part if _is_zero(total) else (total if _is_zero(part) else total + part)
            edges.append((p, t_in, local, part))
        tangent[node] = total
        if record is not None:
            record(node, total, edges)
    return tangent


def _is_zero(x: Any) -> bool:
    return type(x) is float and x == 0.0


def _jvp_by_double_vjp(outs, xs, vs, create_graph):
    dummies = [Tensor(np.zeros_like(o.data), requires_grad=True) for o in outs]
    g = engine.grad(list(outs), list(xs), dummies, create_graph=True)
    dot = None
    for gi, vi in zip(g, vs, strict=True):
        term = (gi * vi).sum()
        dot = term if dot is None else dot + term
    return engine.grad(dot, dummies, create_graph=create_graph)


def jacobian(func: Any, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:  # fmt: skip
    """The Jacobian of ``func`` at ``inputs``: one backward pass per output element, or with
    ``strategy="forward-mode"`` one forward-mode pass per input element (cheaper when the
    inputs are fewer than the outputs: the cost argument of reverse vs forward mode).

    Structure as in PyTorch: for one input and one output, d out / d in with shape
    out.shape + in.shape (a Value when both are Values); for tuples, a tuple per output of a
    tuple per input.
    """
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(
            f"jacobian: strategy must be 'reverse-mode' or 'forward-mode', not {strategy!r}"
        )
    many_in, xs = _as_tuple(inputs)
    xs = tuple(_fresh(x, i, "jacobian") for i, x in enumerate(xs))
    many_out, outs = _call(func, xs, "jacobian")
    # cells[j][i] maps (out index, in index) -> d out_j[out index] / d x_i[in index]
    cells: list[list[dict[tuple[Any, Any], Any]]] = [[{} for _ in xs] for _ in outs]
    if strategy == "reverse-mode":
        for j, o in enumerate(outs):
            for oi in _indices(o):
                picked = o if oi == () and isinstance(o, Value) else o[oi]
                grads = engine.grad(picked, list(xs), create_graph=create_graph)
                for i, g in enumerate(grads):
                    cells[j][i][oi, None] = g
    else:
        for i, x in enumerate(xs):
            for xi in _indices(x):
                vs = tuple(_unit(xk, xi if k == i else None) for k, xk in enumerate(xs))
                _, tangents = jvp(func, xs, vs, create_graph=create_graph)
                for j, t in enumerate(_as_tuple(tangents)[1] if many_out else (tangents,)):
                    cells[j][i][None, xi] = t
    blocks = tuple(
        tuple(_assemble(cells[j][i], outs[j], x, create_graph) for i, x in enumerate(xs))
        for j in range(len(outs))
    )
    blocks = tuple(row if many_in else row[0] for row in blocks)
    return blocks if many_out else blocks[0]


def _indices(node: Any) -> list[tuple[int, ...]]:
    return [()] if isinstance(node, Value) else list(np.ndindex(node.data.shape))


def _unit(x: Any, index: tuple[int, ...] | None) -> Any:
    """The direction that moves x[index] alone (all zeros when index is None)."""
    if isinstance(x, Value):
        return 0.0 if index is None else 1.0
    e = np.zeros_like(x.data)
    if index is not None:
        e[index] = 1.0
    return e


def _assemble(cells: dict[tuple[Any, Any], Any], out: Any, x: Any, create_graph: bool) -> Any:
    """One Jacobian block from its rows (reverse mode) or columns (forward mode)."""
    out_shape = () if isinstance(out, Value) else out.data.shape
    x_shape = () if isinstance(x, Value) else x.data.shape
    if isinstance(out, Value) and isinstance(x, Value):  # a single derivative
        (g,) = cells.values()
        return g if (create_graph and isinstance(g, Value)) else Value(_number(g))
    if create_graph and any(isinstance(c, (Value, Tensor)) for c in cells.values()):
        return _stack_nodes(cells, out_shape, x_shape)
    full = np.zeros(out_shape + x_shape)
    for (oi, xi), c in cells.items():
        c = c.data if isinstance(c, (Value, Tensor)) else c
        if xi is None:  # a row: d out[oi] / d x, shaped like x
            full[oi] = c
        else:  # a column: d out / d x[xi], shaped like out
            full[(...,) + xi] = c
    return Tensor(full)


def _number(c: Any) -> float:
    return float(c.data) if isinstance(c, (Value, Tensor)) else float(c)


def _stack_nodes(cells: dict[tuple[Any, Any], Any], out_shape: tuple, x_shape: tuple) -> Any:
    """A create_graph Jacobian block as one Tensor node: sum_k e_k (x) row_k, each row keeping
    its graph (reverse mode only; forward-mode columns are stacked the same way, transposed)."""
    size = int(np.prod(out_shape + x_shape, dtype=np.int64))
    total: Any = None
    for (oi, xi), c in cells.items():
        if isinstance(c, Value):
            raise TypeError("jacobian: a create_graph block mixing Values and Tensors")
        if not isinstance(c, Tensor):
            c = Tensor(np.asarray(c, dtype=float))
        place = np.zeros(out_shape + x_shape)
        if xi is None:
            place[oi] = 1.0
            term = Tensor(place) * c.reshape((1,) * len(out_shape) + c.shape)
        else:
            place[(...,) + xi] = 1.0
            term = Tensor(place) * c.reshape(c.shape + (1,) * len(x_shape))
        total = term if total is None else total + term
    return total if total is not None else Tensor(np.zeros(size).reshape(out_shape + x_shape))


def hessian(
    func: Any,
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of a scalar ``func``: the Jacobian of its gradient (reverse over reverse).

    For one input of shape s, a result of shape s + s; for a tuple of inputs, a tuple of
    tuples (block i, j: d2 f / dx_i dx_j), as ``torch.autograd.functional.hessian``.
    """
    many_in, xs = _as_tuple(inputs)

    def gradient(*args: Any) -> Any:
        out = func(*args)
        if _size(out) != 1:
            raise ValueError(f"hessian: func must return one element, got {_size(out)}")
        grads = engine.grad(out, list(args), create_graph=True)
        return grads if many_in else grads[0]

    return jacobian(gradient, inputs, create_graph=create_graph, strategy=outer_jacobian_strategy)


def hvp(func: Any, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False):
    """(func(*inputs), H v): the Hessian of a scalar ``func`` times v, without building H.

    Reverse over reverse: g = grad f with create_graph, then grad of (g . v). About the cost
    of two or three gradients, whatever the size of H.
    """
    many_in, xs = _as_tuple(inputs)
    xs = tuple(_fresh(x, i, "hvp") for i, x in enumerate(xs))
    vs = _directions(v, xs, "hvp", "input")
    out = func(*xs)
    if not isinstance(out, (Value, Tensor)) or _size(out) != 1:
        raise ValueError("hvp: func must return one Value or a one-element Tensor")
    grads = engine.grad(out, list(xs), create_graph=True)
    dot = None
    for g, d in zip(grads, vs, strict=True):
        term = g * d if isinstance(g, Value) else (g * d).sum()
        dot = term if dot is None else dot + term
    if not isinstance(dot, (Value, Tensor)):  # the gradient does not depend on the inputs
        hv = tuple(0.0 if isinstance(x, Value) else np.zeros_like(x.data) for x in xs)
    else:
        hv = engine.grad(dot, list(xs), create_graph=create_graph)
    res = tuple(_result(h, create_graph) for h in hv)
    return (out if create_graph else _detached(out)), (res if many_in else res[0])
