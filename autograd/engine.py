"""The backward driver, one for both engines: the chain rule in reverse topological order.

    order = topological_order(root)            # every node after its parents, root last
    grads = {root: seed}                       # this pass's gradients, d(root)/d(node)
    for node in reversed(order):               # a node's gradient is complete at its turn
        g = grads.pop(node)
        node.grad += g                         # accumulate, as PyTorch does
        for parent, d in zip(parents, rule(g)):
            grads[parent] = grads.get(parent, 0) + d      # branches add up

``rule`` is the node's op: for a Value, ``d = g * local`` with ``local`` from the op's
``local(*inputs, out)``; for a Tensor, ``d`` from the op's ``vjp(g, *inputs, out)``, summed
back here, in one place, over the axes along which the parent was broadcast. The driver
knows nothing about particular ops.

The Tensor pass reaches the same order without sorting: each Tensor op node takes a tick of
the engine's clock when it is made, later than its operands' ticks, so popping the reached
nodes latest tick first (a heap, as PyTorch's engine does) gives every node after all the
nodes that use it. The walk was a fifth of the Python lines a small Tensor step ran. Values,
tens of thousands per graph, share ticks (an int each would cost memory) and keep the walk.

Three promises, each kept in one place below:
- The pass keeps its gradients in its own dict, never on the nodes: two threads may run
  backward through shared parameters at once, and each adds its full share to ``.grad``
  (under one lock, so no addition is lost; the GIL makes that lock cost nothing).
- A zero never multiplies an inf or nan on the way down: when the upstream gradient or the
  local derivative is 0, the edge passes 0 (PyTorch's select semantics for relu, max and
  where; ``log(relu(x))`` at x <= 0 gives d/dx = 0, not nan).
- An operand changed in place after the forward (an optimizer step, ``nn.load``: see
  ``autograd.bump_version``) makes the backward raise instead of mixing old and new numbers.

With ``create_graph=True`` the same rules are called with the nodes themselves instead of
their numbers, so each gradient is computed by ordinary ops and is a graph node: it can be
differentiated again (``autograd.grad``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from heapq import heappop, heappush
from operator import attrgetter
from typing import Any, NoReturn

import numpy as np

from autograd import anomaly, ieee
from autograd.graph import modes, topological_order
from autograd.value import _MANY, Edge, Step, Value, _as_float, _lift

_pass_lock = threading.RLock()  # held while a pass adds into .grad (see the module doc)
_numbers = attrgetter("_data")  # a Tensor's array (map(_numbers, parents): no Python call)


# ============================================================================ public entry


def backward(root: Any, grad: Any = None, *, create_graph: bool = False) -> None:
    """``root.backward(grad)``: add d(root)/d(node) * grad to ``node.grad`` for every node."""
    if modes.anomaly and not create_graph:  # inside detect_anomaly(): step by step, checked
        for _ in backward_steps(root, grad):
            pass
        return
    _run(root, _seed(root, grad, create_graph), create_graph, accumulate=True)


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    create_graph: bool = False,
    allow_unused: bool = True,
) -> tuple[Any, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, as ``torch.autograd.grad``.

    ``outputs``: a Value or Tensor, or a sequence of them (their gradients add up, each
    weighted by its entry of ``grad_outputs``; a one-element output defaults to 1).
    ``inputs``: a node or a sequence of nodes. Returns a tuple with one gradient per input
    (0.0 for a Value, or zeros for a Tensor, where an input does not affect the outputs).
    ``.grad`` is left alone. With ``create_graph=True`` the gradients are graph nodes, which
    can be differentiated again to any order.
    """
    outs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    ins = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if not outs or not ins:
        raise ValueError("grad() needs at least one output and one input")
    for i, x in enumerate(ins):
        if not isinstance(x, Value) and not hasattr(x, "requires_grad"):
            raise TypeError(f"grad(): inputs[{i}] is a {type(x).__name__}, not a Value or Tensor")
    if grad_outputs is None:
        seeds: list[Any] = [None] * len(outs)
    else:
        seeds = list(grad_outputs) if isinstance(grad_outputs, (list, tuple)) else [grad_outputs]
        if len(seeds) != len(outs):
            raise ValueError(
                f"grad(): {len(seeds)} grad_outputs for {len(outs)} outputs; give one each"
            )
    total = {x: None for x in ins}
    for out, seed in zip(outs, seeds, strict=True):
        found = _run(out, _seed(out, seed, create_graph), create_graph, accumulate=False,
                     wanted=total)  # fmt: skip
        for x, g in found.items():
            total[x] = g if total[x] is None else total[x] + g
    return tuple(_zero_like(x, create_graph) if total[x] is None else total[x] for x in ins)


def backward_steps(root: Any, grad: Any = None) -> Iterator[Step]:
    """The backward of ``root``, one ``Step`` per node, root first (both engines).

    At each step the node's gradient is final; its edges record, per parent, the local
    derivative (None for a Tensor, whose Jacobian is never built) and the downstream
    gradient the edge adds to the parent. Exhausting it leaves the same ``.grad`` as
    ``backward()``; inside ``detect_anomaly()`` every step is checked as it is made.
    """
    seed = _seed(root, grad, create_graph=False)
    return _steps(root, seed)


# ============================================================================ the passes


def _run(
    root: Any, seed: Any, create_graph: bool, accumulate: bool, wanted: Any = None
) -> dict[Any, Any]:
    if create_graph:
        return _graph_pass(topological_order(root), seed, accumulate, wanted)
    if isinstance(root, Value):
        return _scalar_pass(topological_order(root), seed, accumulate, wanted)
    with ieee.quiet():  # IEEE inf and nan, without NumPy's warnings
        return _tensor_pass(root, seed, accumulate, wanted)


def _scalar_pass(order: list[Value], seed: float, accumulate: bool, wanted: Any) -> dict:
    """The Value pass, on floats: d = upstream * local along every edge."""
    found: dict[Value, float] = {}
    grads: dict[Value, float] = {order[-1]: seed}
    pop, get = grads.pop, grads.get
    with _pass_lock:
        for node in reversed(order):
            g = pop(node, None)
            if g is None:  # nothing reached it (only zeros were on the way)
                continue
            if accumulate:
                node.grad += g
            elif node in wanted:
                found[node] = g
            op = node._op
            if op is None or not g:
                continue
            t, a, b = node._time, node._a, node._b
            if b is None:  # one operand
                if a._time > t:
                    raise _stale(node, a)
                local = op.local(a.data, node.data)[0]
                if local:
                    grads[a] = get(a, 0.0) + g * local
            elif b is _MANY:  # a sum or a logsumexp over many operands
                for p, local in zip(a, op.local(*[p.data for p in a], node.data)):  # noqa: B905
                    if p._time > t:
                        raise _stale(node, p)
                    if local:
                        grads[p] = get(p, 0.0) + g * local
            else:  # two operands
                if a._time > t or b._time > t:
                    raise _stale(node, a if a._time > t else b)
                la, lb = op.local(a.data, b.data, node.data)
                if la:
                    grads[a] = get(a, 0.0) + g * la
                if lb:
                    grads[b] = get(b, 0.0) + g * lb
    return found


def _tensor_pass(root: Any, seed: np.ndarray, accumulate: bool, wanted: Any) -> dict:
    """The Tensor pass: each op's VJP, then summed back to the operand's shape.

    The order needs no sort: every Tensor op node has its own tick of the engine's clock,
    later than its operands' (graph.py), so taking the reached nodes latest tick first (a
    heap) gives each node after every node that uses it, as a reversed topological order
    does. This is PyTorch's order too. Leaves have no rule to call, and take their gradient
    at the end.

    No two tensors ever share a ``.grad`` array. A VJP may hand back g itself or a view of
    it (``+`` passes g through, ``reshape`` gives a view): such a gradient is *borrowed*, and
    is copied before it becomes a ``.grad``; a fresh array, or a sum of two, is used as is.
    An ``exact`` op's gradients are fresh arrays of their operands' own shapes and dtypes
    (its promise, held by gradcheck): they need neither this check nor ``_fit``.
    """
    found: dict[Any, np.ndarray] = {}
    grads: dict[Any, np.ndarray] = {root: seed}
    borrowed: set[Any] = set()
    pop, ndarray = grads.pop, np.ndarray
    # (-tick, id, node): latest tick first; id breaks the tie of a node and its copy.copy
    heap = [(-root._time, id(root), root)] if root._op is not None else []
    parents = None
    with _pass_lock:
        try:
            while heap:
                node = heappop(heap)[2]
                parents, t = node.parents, node._time
                g = pop(node)
                if accumulate:
                    grad = node.grad
                    node.grad = (g.copy() if node in borrowed else g) if grad is None else grad + g
                elif node in wanted:
                    found[node] = g
                op = node._op
                downs = op.vjp(g, *map(_numbers, parents), node._data)
                exact = op.exact  # fresh gradients in their operands' own shapes and dtypes
                for p, d in zip(parents, downs):  # noqa: B905
                    if p._time > t:  # changed in place after node was made from it
                        raise _stale(node, p)
                    if d is None or not p.requires_grad:
                        continue
                    if exact:
                        if type(d) is not ndarray:  # deferred (a product it may not need)
                            d = d() if callable(d) else _neither_array_nor_function(node, d)
                    elif (
                        type(d) is not ndarray  # a deferred gradient, or a scalar
                        or d.shape != p._data.shape
                        or d.dtype is not p._data.dtype  # (dtypes are singletons)
                    ):
                        d = _fit(d() if callable(d) else d, p)  # broadcast back, or cast
                    if p not in grads:
                        grads[p] = d
                        if p._op is not None:
                            heappush(heap, (-p._time, id(p), p))  # reached: its turn is its tick
                        if not exact and (d is g or d.base is not None):
                            borrowed.add(p)
                    else:
                        grads[p] = grads[p] + d
                        borrowed.discard(p)
        except Exception:  # a rule that failed on an operand changed since: say that instead
            if parents is not None:
                _check_fresh(node, parents)
            raise
        # What is left are the leaves (and a leaf root)
        if not accumulate:
            found.update((leaf, g) for leaf, g in grads.items() if leaf in wanted)
        elif not borrowed:
            for leaf, g in grads.items():
                grad = leaf.grad
                leaf.grad = g if grad is None else grad + g
        else:
            for leaf, g in grads.items():
                grad = leaf.grad
                leaf.grad = (g.copy() if leaf in borrowed else g) if grad is None else grad + g
    return found


def _neither_array_nor_function(node: Any, d: Any) -> NoReturn:
    raise TypeError(
        f"the derivative rule of op {node._op.name!r} gave a {type(d).__name__} as a gradient: "
        "exact=True promises an ndarray of the operand's own shape and dtype, or a function "
        "of no arguments that makes one (gradcheck checks the promise)"
    )


def _graph_pass(order: list[Any], seed: Any, accumulate: bool, wanted: Any) -> dict:
    """The pass with ``create_graph``: the rules are called with nodes, not numbers, so
    every gradient is itself computed by ops and can be differentiated again."""
    found: dict[Any, Any] = {}
    grads: dict[Any, Any] = {order[-1]: seed}
    scalar = isinstance(order[-1], Value)
    with _pass_lock:
        for node in reversed(order):
            g = grads.pop(node, None)
            if g is None:
                continue
            if accumulate:
                node.grad = g if _is_zero(node.grad) else node.grad + g
            elif node in wanted:
                found[node] = g
            op = node._op
            if op is None:
                continue
            parents = node.parents
            _check_fresh(node, parents)
            modes.building_rule = op.name  # float(Value) in a rule now raises, naming the op
            try:
                if scalar:
                    downs = [_times(g, local) for local in op.local(*parents, node)]
                else:
                    downs = op.vjp(g, *parents, node)
            except TypeError as e:
                if str(e).startswith("the derivative rule"):
                    raise
                raise TypeError(
                    f"the derivative rule of op {op.name!r} cannot run on graph nodes, which "
                    f"create_graph=True needs ({e}). Write it with + - * / and "
                    "autograd.dmath (or the nodes' methods) instead of math or NumPy functions"
                ) from e
            finally:
                modes.building_rule = ""
            for p, d in zip(parents, downs):  # noqa: B905
                if d is None or (not scalar and not p.requires_grad):
                    continue
                if not scalar:
                    d = _fit_node(d() if callable(d) else d, p)
                prev = grads.get(p)
                grads[p] = d if prev is None else prev + d
    _mark_backward(order, found if not accumulate else {n: n.grad for n in order})
    return found


def _mark_backward(order: list[Any], results: dict[Any, Any]) -> None:
    """Tell the gradient's graph apart from the forward graph it was computed from: every
    node made by the backward pass gets the role "backward" (diagrams draw it so), and each
    gradient is labelled ``d<root>/d<input>`` unless it has a label already."""
    forward = set(order)
    root = order[-1].label or "out"
    for node, g in results.items():
        if not hasattr(g, "parents") or g in forward:
            continue
        if not g.label:
            g.label = f"d{root}/d{node.label or 'x'}"
        for n in topological_order(g):
            if n not in forward and n.parents and not n.role:
                n.role = "backward"


def _steps(root: Any, seed: Any) -> Iterator[Step]:
    """``backward_steps``: the pass of ``_scalar_pass``/``_tensor_pass``, recording each step.

    Unlike the fast passes it visits every node (a zero gradient is a step too, so that a
    flip-book shows the dead branches), and the arrays it records are never added into
    afterwards, so a later backward leaves the records as they were.
    """
    order = topological_order(root)
    scalar = isinstance(root, Value)
    checking = modes.anomaly  # inside detect_anomaly(): check each step
    grads: dict[Any, Any] = {root: seed}
    for node in reversed(order):
        g = grads.pop(node, None)
        if g is None:
            if scalar or not node.requires_grad:
                g = 0.0 if scalar else None
            if g is None:
                continue
        with _pass_lock:
            if scalar:
                node.grad += g
            else:
                _add_to_grad(node, g, copy=True)
        edges = []
        op = node._op
        if op is not None:
            parents = node.parents
            _check_fresh(node, parents)
            if scalar:
                locals_ = op.local(*[p.data for p in parents], node.data)
                for p, local in zip(parents, locals_):  # noqa: B905
                    down = g * local if (local and g) else 0.0
                    grads[p] = grads.get(p, 0.0) + down
                    edges.append(Edge(p, local, down))
            else:
                with ieee.quiet():
                    downs = op.vjp(g, *[p._data for p in parents], node._data)
                    for p, d in zip(parents, downs):  # noqa: B905
                        if d is None or not p.requires_grad:
                            continue
                        d = _fit(d() if callable(d) else d, p)
                        prev = grads.get(p)
                        grads[p] = d if prev is None else prev + d
                        edges.append(Edge(p, None, d))
        step = Step(node, g, tuple(edges))
        if checking:
            if scalar:
                anomaly.check_value_step(step, node is root)
            else:
                anomaly.check_tensor_step(step, node is root)
        yield step


# ============================================================================ helpers


def _seed(root: Any, grad: Any, create_graph: bool) -> Any:
    """The gradient a pass starts from: d(root)/d(root) = 1, or the caller's ``grad``."""
    if isinstance(root, Value):
        if grad is None:
            grad = 1.0
        if create_graph:
            return grad if isinstance(grad, Value) else _lift(_as_float(grad, "grad"), "grad")
        return _as_float(grad.data if isinstance(grad, Value) else grad, "backward grad")
    if not hasattr(root, "_seed"):
        raise TypeError(f"backward needs a Value or a Tensor, not {type(root).__name__}")
    seed = root._seed(grad)
    if create_graph:
        return grad if type(grad) is type(root) else type(root)(seed)
    return seed


def _times(g: Any, local: Any) -> Any:
    """g * local for a create_graph pass, without nodes for the constant factors 0 and 1."""
    if type(local) is float or type(local) is int:
        if local == 0.0:
            return None
        if local == 1.0:
            return g
    if g._op is None and g.role == "const" and g.data == 1.0:  # the seed d(root)/d(root) = 1
        return local if isinstance(local, Value) else _lift(float(local), "grad")
    return g * local


def _is_zero(grad: Any) -> bool:
    return grad is None or (type(grad) is float and grad == 0.0)


def _add_to_grad(node: Any, g: np.ndarray, copy: bool) -> None:
    """Accumulate a Tensor's gradient (``copy``: g is borrowed, see ``_tensor_pass``). Later
    additions make a new array, so no recorded step or other tensor changes under them."""
    if node.grad is None:
        node.grad = g.copy() if copy else g
    else:
        node.grad = node.grad + g


def _fit(d: Any, parent: Any) -> np.ndarray:
    """A downstream gradient as the parent's own: an ndarray of its dtype and shape (summed
    over the axes along which the parent was broadcast)."""
    if type(d) is not np.ndarray:  # NumPy turns 0-d results into scalars
        d = np.asarray(d)
    shape = parent._data.shape
    if d.shape != shape:
        d = unbroadcast(d, shape)
    if d.dtype != parent._data.dtype:  # e.g. a float64 constant met a float32 operand
        d = d.astype(parent._data.dtype)
    return d


def _fit_node(d: Any, parent: Any) -> Any:
    """``_fit`` for a create_graph pass, where d is a Tensor node."""
    if not hasattr(d, "_data"):
        d = type(parent)(np.asarray(d, dtype=parent._data.dtype))
    if d.shape != parent.shape:
        d = unbroadcast(d, parent.shape)
    return d


def unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum a broadcast operand's gradient back to the operand's own ``shape``.

    If ``a`` of shape (3,) was broadcast to (2, 3), each a[j] was used twice, once per row:
    d(root)/d(a[j]) = g[0, j] + g[1, j]. In general: sum over the leading axes that
    broadcasting added, and over the axes where the operand had size 1. Works on arrays and
    on Tensors (a create_graph pass) alike.
    """
    if g.shape == shape:
        return g
    lead = len(g.shape) - len(shape)
    if lead < 0:
        raise ValueError(f"a gradient of shape {g.shape} cannot flow into shape {shape}")
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
    )
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def _zero_like(x: Any, create_graph: bool) -> Any:
    if isinstance(x, Value):
        return _lift(0.0, "grad") if create_graph else 0.0
    zeros = np.zeros_like(x._data)
    return type(x)(zeros) if create_graph else zeros


def _check_fresh(node: Any, parents: tuple[Any, ...]) -> None:
    """Raise if an operand was changed in place after ``node`` was computed from it."""
    t = node._time
    for p in parents:
        if p._time > t:
            raise _stale(node, p)


def _stale(node: Any, parent: Any) -> RuntimeError:
    return RuntimeError(
        f"backward through a graph recorded before one of its operands changed: "
        f"{anomaly.describe(parent)} was modified in place (an optimizer step, nn.load or "
        f"t.data = ...) after {anomaly.describe(node)} was computed from it, so its saved "
        "numbers are stale. Compute the forward pass again after the update, or call "
        "backward() before optimizer.step()"
    )
