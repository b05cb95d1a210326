"""What a diagram of a large graph draws, found in bounded time.

A diagram is read on a slide, so it never hands Graphviz more than a node budget, and the
work done before Graphviz is bounded too: nothing here walks the whole graph of a loss over
a million nodes. Two folds make a large graph small, each said in words on the diagram:

- samples: a loss summed over N samples (``sum(loss_i for ...)`` or ``sum_of``, maybe divided
  by N) draws the first sample in full and the other N - 1 as one box, "x 99 more samples",
  whose value is their sum, so the sum at the top is still right; a penalty summed over the
  parameters (``sum(p * p for p in params)``) likewise, "x 336 more terms";
- earlier nodes: if what is left is still larger than the budget, only the nodes nearest the
  root are drawn, and one box stands for everything computed before them.

The drawn graph is made of ``Mirror`` nodes: copies of the drawn nodes that hold the numbers
a diagram needs (data, grad, local gradients), with their parents restricted to what is drawn.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from viz.graph_view import leaf_role

# A loss is folded by samples when its top sum has at least this many terms of one shape.
MIN_SAMPLES = 3
# At most this many nodes of the graph are visited (breadth first from the root).
VISIT_CAP = 20_000
# A graph with at most this many nodes and no samples is drawn from the engine's own steps.
SMALL_GRAPH = 3_000
# A loss over samples with at most this many nodes in all is drawn in full.
TINY_BATCH = 20
# Two terms are samples of one kind when their expressions agree this many ops deep.
_SIGNATURE_DEPTH = 3


class Mirror:
    """A drawn node: the numbers of one node of the graph (or of a folded group of them).

    It has the attributes the diagram reads from a ``Value`` (``data grad label op parents
    role``, ``local_grads()``), with ``parents`` restricted to drawn nodes, and ``source``,
    the node it mirrors (None for a folded box).
    """

    __slots__ = ("data", "grad", "label", "op", "parents", "role", "local", "source", "note")

    def __init__(
        self,
        data: Any,
        grad: Any,
        label: str = "",
        op: str = "",
        parents: tuple[Any, ...] = (),
        role: str = "",
        local: tuple[Any, ...] = (),
        source: Any = None,
        note: str = "",
    ) -> None:
        self.data = data
        self.grad = grad
        self.label = label
        self.op = op
        self.parents = parents
        self.role = role
        self.local = local
        self.source = source
        self.note = note  # for a folded box: what it stands for, in words

    def local_grads(self) -> tuple[Any, ...]:
        return self.local

    def __repr__(self) -> str:
        return f"Mirror({self.label or self.op or 'leaf'}, data={self.data!r})"


@dataclass
class Selection:
    """The drawn graph: its nodes in topological order (root last), and what was folded."""

    nodes: list[Any]
    root: Any
    folded: list[str] = field(default_factory=list)  # one sentence per fold
    mirrored: bool = False  # nodes are Mirrors (numbers from .grad, not from a recorded pass)
    cut: bool = False  # the nodes nearest the root only: the rest is one "earlier nodes" box


# ---------------------------------------------------------------------------- samples


def _signature(node: Any, depth: int = _SIGNATURE_DEPTH) -> tuple:
    """The shape of the expression that made ``node``, ``depth`` ops deep."""
    if depth == 0 or not node.parents:
        return (leaf_role(node) or "leaf",)
    return (node.op, tuple(_signature(p, depth - 1) for p in node.parents))


def _is_number_leaf(node: Any) -> bool:
    return not node.parents and leaf_role(node) in ("const", "input")


@dataclass
class Samples:
    """A sum over samples: ``head`` = sum of ``terms`` (and of constant ``extras``)."""

    head: Any  # the node whose value is the whole sum
    chain: list[Any]  # the "+" nodes of a built-in sum, head first ([head] for sum_of)
    terms: list[Any]  # one per sample, in call order
    extras: list[Any]  # number leaves summed in too (the 0 that starts Python's sum)
    kind: str = "samples"  # or "terms": small expressions of parameters (a penalty)


def find_folds(root: Any, max_visits: int = 40) -> list[Samples]:
    """The sums near the root whose many terms can be drawn as one term and one box.

    Walk breadth first from the root, at most ``max_visits`` nodes, not into a sum found.
    A sum (a ``sum`` node, or a chain of "+" as Python's ``sum`` builds) qualifies with at
    least ``MIN_SAMPLES`` terms of one expression shape that are either samples (they share
    their parameters: a loss over a batch) or small expressions of parameters and constants
    alone (a penalty such as ``sum(p * p for p in params)``). The terms of a neuron's
    weighted sum do neither: each has its own weight and reads an input or a neuron.

    A chain of "+" is walked once: if it is no fold, the walk goes on from its terms, never
    down the chain again (a chain of a million additions costs one pass, not forty).
    """
    found: list[Samples] = []
    seen = {id(root)}
    queue = deque([root])
    visits = 0
    while queue and visits < max_visits:
        node = queue.popleft()
        visits += 1
        chain, operands = _sum_operands(node)
        fold = _fold_of(node, chain, operands) if chain else None
        if fold is not None:
            found.append(fold)
            continue
        seen.update(id(link) for link in chain)
        for p in operands if chain else node.parents:
            if id(p) not in seen and p.parents:
                seen.add(id(p))
                queue.append(p)
    return found


def find_samples(root: Any) -> Samples | None:
    """The sum over samples nearest the root, if the loss is one (see ``find_folds``)."""
    return next((f for f in find_folds(root) if f.kind == "samples"), None)


def _sum_operands(node: Any) -> tuple[list[Any], list[Any]]:
    """A sum's links (the ``sum`` node, or the "+" nodes of a chain, head first) and its
    operands in call order; ([], []) for any other node."""
    if node.op == "sum":
        return [node], list(node.parents)
    if node.op != "+":
        return [], []
    chain, operands = [], []
    link = node
    while link.op == "+" and len(link.parents) == 2 and len(chain) < MAX_CHAIN:
        left, right = link.parents
        chain.append(link)
        operands.append(right)
        link = left
    operands.append(link)
    operands.reverse()
    return chain, operands


# A chain of "+" is followed this many links at most (a sum of 100,000 samples).
MAX_CHAIN = 100_000
# Terms compared for one expression shape: at most this many, spread over the sum.
_SHAPE_CHECKS = 64


def _fold_of(node: Any, chain: list[Any], operands: list[Any]) -> Samples | None:
    # A quick look at operands spread over the sum first: a long sum of constants (x + c,
    # a million times) is no fold, and is seen not to be without sorting all its operands.
    spread = operands[:: max(1, len(operands) // _SHAPE_CHECKS)]
    if sum(1 for p in spread if not _is_number_leaf(p)) < min(2, len(spread)):
        return None
    terms = [p for p in operands if not _is_number_leaf(p)]
    extras = [p for p in operands if _is_number_leaf(p)]
    if len(terms) < MIN_SAMPLES or not terms[0].parents or not terms[1].parents:
        return None
    step = max(1, len(terms) // _SHAPE_CHECKS)
    shape = _signature(terms[0])
    if any(not t.parents or _signature(t) != shape for t in terms[1::step]):
        return None
    params = _params_near(terms[0])
    if params and params == _params_near(terms[1]):
        return Samples(node, chain, terms, extras, "samples")
    if _of_parameters(terms[0]) and _of_parameters(terms[1]):
        return Samples(node, chain, terms, extras, "terms")
    return None


def _of_parameters(node: Any, cap: int = 8) -> bool:
    """Is ``node`` a small expression (at most ``cap`` nodes) of parameters and constants?"""
    seen = {id(node)}
    queue = deque([node])
    while queue:
        for p in queue.popleft().parents:
            if id(p) in seen:
                continue
            seen.add(id(p))
            if len(seen) > cap:
                return False
            if not p.parents and leaf_role(p) not in ("param", "const"):
                return False
            queue.append(p)
    return True


def _params_near(node: Any, cap: int = 2_000) -> frozenset[int]:
    """The ids of the parameters among the first ``cap`` ancestors of ``node``."""
    seen = {id(node)}
    queue = deque([node])
    params = set()
    while queue and len(seen) < cap:
        for p in queue.popleft().parents:
            if id(p) not in seen:
                seen.add(id(p))
                if not p.parents and leaf_role(p) == "param":
                    params.add(id(p))
                queue.append(p)
    return frozenset(params)


# ---------------------------------------------------------------------------- the walk


def topological(nodes: list[Any], parents_of: Any) -> list[Any]:
    """``nodes`` (a set closed toward the root, root first) each after its drawn parents.

    Depth-first post-order from the root with an explicit stack, parents in call order (as
    ``autograd.topological_order``), restricted to ``nodes``; ``parents_of(node)`` gives the
    operands to follow.
    """
    members = {id(n) for n in nodes}
    root = nodes[0]
    order: list[Any] = []
    done = {id(root)}
    stack = [(root, iter(parents_of(root)))]
    while stack:
        node, parents = stack[-1]
        for p in parents:
            if id(p) in members and id(p) not in done:
                done.add(id(p))
                stack.append((p, iter(parents_of(p))))
                break
        else:
            stack.pop()
            order.append(node)
    return order


# ---------------------------------------------------------------------------- selection


def select(
    root: Any, keep: int, grads: bool, *, force: bool = False, folds: list[Samples] | None = None
) -> Selection | None:
    """The drawn graph of ``root``: at most ``keep`` of its nodes, nearest the root first.

    Returns None when the graph is small (at most ``SMALL_GRAPH`` nodes, no samples to fold)
    and ``force`` is False: it is then drawn as it is, from the engine's own backward steps.
    ``grads``: show the numbers of the user's backward (read from ``.grad``); ``folds``:
    those of ``find_folds(root)``, when already found.
    """
    folds = find_folds(root) if folds is None else folds
    if folds and not force and not _nearest(root, TINY_BATCH, _parents)[1]:
        folds = []  # a graph this small is readable in full: nothing to fold
    heads = {id(f.head): f for f in folds}

    def parents_of(node: Any) -> tuple[Any, ...]:
        fold = heads.get(id(node))
        return (fold.terms[0],) if fold is not None else node.parents

    reached, cut = _nearest(root, VISIT_CAP, parents_of)
    if not folds and not cut and len(reached) <= SMALL_GRAPH and not force:
        return None
    # ``keep`` counts the box of earlier nodes too; the root is always drawn (keep=1: the
    # root and one box for everything else).
    keep = max(keep, 1)
    folded: list[str] = []
    if len(reached) > keep or (keep == 1 and len(reached) > 1):
        kept_nodes = reached[: max(keep - 1, 1)]
        missing = f"{len(reached) - len(kept_nodes):,}"
        if cut:
            missing = f"more than {missing}"
        earlier: Mirror | None = Mirror(None, None, label=f"{missing} earlier nodes", role="folded")
        earlier.note = "computed before the nodes drawn here"
        folded.append(
            f"{missing} nodes computed earlier are drawn as one box "
            f"(the diagram keeps the {len(kept_nodes)} nodes nearest the root)"
        )
    else:
        kept_nodes = reached
        earlier = None
    kept = {id(n) for n in kept_nodes}
    order = topological(kept_nodes, parents_of)
    mirror: dict[int, Mirror] = {}
    out: list[Any] = []
    for node in order:
        fold = heads.get(id(node))
        if fold is not None:
            # The first term as drawn (or, past the budget, the box of earlier nodes).
            first = mirror.get(id(fold.terms[0]), earlier)
            box, mirror[id(node)] = _fold_samples(fold, first, grads)
            out += [box, mirror[id(node)]]
            what = "samples" if fold.kind == "samples" else "terms of the same form"
            folded.insert(0, f"{len(fold.terms) - 1} more {what} are drawn as one box")
            continue
        parents = []
        local: list[Any] = []
        # Local gradients of a scalar node; a tensor's Jacobian is not materialized (None).
        local_grads = getattr(node, "local_grads", None)
        scalar = not hasattr(node.data, "shape")
        grads_of = local_grads() if grads and node.parents and scalar and local_grads else ()
        from_earlier = 0
        for slot, p in enumerate(node.parents):
            if id(p) in mirror:
                parents.append(mirror[id(p)])
            elif earlier is not None and id(p) not in kept:
                # All the operands folded into the earlier box are one edge from it (a sum
                # of 100,000 operands draws one edge, not 100,000).
                from_earlier += 1
                if from_earlier > 1:
                    continue
                parents.append(earlier)
            else:
                continue
            local.append(grads_of[slot] if grads_of else None)
        if from_earlier > 1:  # one edge for many: no single local gradient to write
            local[parents.index(earlier)] = None
        mirror[id(node)] = Mirror(
            node.data,
            node.grad if grads else None,
            node.label,
            node.op,
            tuple(parents),
            leaf_role(node),
            tuple(local),
            node,
        )
        out.append(mirror[id(node)])
    if earlier is not None and any(earlier in m.parents for m in out):
        out.insert(0, earlier)
    return Selection(out, mirror[id(root)], folded, mirrored=True, cut=earlier is not None)


def _parents(node: Any) -> tuple[Any, ...]:
    return node.parents


def _nearest(root: Any, cap: int, parents_of: Any) -> tuple[list[Any], bool]:
    """Up to ``cap`` ancestors of ``root`` (root first), breadth first; and whether more
    exist (the walk was cut short)."""
    seen = {id(root)}
    order = [root]
    queue = deque([root])
    while queue:
        for p in parents_of(queue.popleft()):
            if id(p) not in seen:
                if len(order) >= cap:
                    return order, True
                seen.add(id(p))
                order.append(p)
                queue.append(p)
    return order, False


def _fold_samples(samples: Samples, first: Mirror | None, grads: bool) -> tuple[Mirror, Mirror]:
    """The sum over samples as drawn: the first sample plus one box for all the others."""
    rest = samples.terms[1:]
    total = sum(t.data for t in rest) + sum(e.data for e in samples.extras)
    # Every term of a sum receives the sum's gradient (d(sum)/d(term) = 1).
    each = rest[0].grad if grads else None
    what = "samples" if samples.kind == "samples" else "terms"
    box = Mirror(
        total,
        each,
        label=f"× {len(rest)} more {what}",
        role="folded",
        note=f"the sum of {what} 2 to {len(samples.terms)}",
    )
    head = samples.head
    parents = (box,) if first is None else (first, box)
    return box, Mirror(
        head.data,
        head.grad if grads else None,
        head.label or f"sum of {len(samples.terms)} {what}",
        "sum",
        parents,
        "",
        (1.0,) * len(parents),
        head,
    )
