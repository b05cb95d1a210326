"""Making large graphs readable: follow one leaf to the root, or fold neurons and layers.

The forward graph of ``MLP(2, [16, 16, 1])`` on one sample has about 1,000 nodes: drawn in
full it is a wall of boxes. Two ways down to a picture that teaches something:

- ``focus``: keep only the nodes on the paths from chosen leaves (a parameter, an input) to
  the root, that is the nodes through which that leaf influences the loss.
- collapsing: fold every neuron (its weights, products, sum, bias and activation) into one
  node, and, if that is still too many, every layer of neurons into one node.

Neurons are found from the graph alone, without the model: a parameter joins the op that
consumes it; a ``*`` with a parameter is a weight applied to the neuron's input (the other
operand belongs to the previous layer); a ``+`` or ``sum`` over weighted terms, biases and
constants continues the neuron; an activation applied to it closes the neuron. Everything
else (inputs, the loss) stays as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from autograd.activations import activation_ops
from viz.graph_view import GraphView, leaf_role


@dataclass(eq=False)
class Group:
    """Nodes drawn as one box: a neuron, or a layer of neurons."""

    kind: str  # "neuron" or "layer"
    title: str  # "neuron 1.3", "layer 2"
    members: list[Any]  # in topological order
    layer: int | None = None
    neurons: int = 1
    outputs: list[Any] = field(default_factory=list)  # members used outside (or the root)

    @property
    def params(self) -> list[Any]:
        return [m for m in self.members if leaf_role(m) == "param"]


# ---------------------------------------------------------------------------- focus


def resolve_focus(view: GraphView, focus: Any) -> list[Any]:
    """The nodes named by ``focus``: a node of the graph, a label, or a list of them."""
    items = list(focus) if isinstance(focus, (list, tuple, set, frozenset)) else [focus]
    if not items:
        raise ValueError("focus= needs at least one node or label")
    chosen: list[Any] = []
    sources = {n.source: n for n in view.nodes if getattr(n, "source", None) is not None}
    for item in items:
        if isinstance(item, str):
            matches = [node for node in view.nodes if node.label == item]
            if not matches:
                labels = sorted({str(n.label) for n in view.nodes if n.label})
                shown = ", ".join(labels[:20]) + (", ..." if len(labels) > 20 else "")
                raise ValueError(
                    f"focus={item!r}: no node of this graph has that label "
                    f"(labels: {shown or 'none'})"
                )
            chosen.extend(matches)
        elif item in view.index:
            chosen.append(item)
        elif item in sources:  # a node of a large graph, drawn as its Mirror (viz.select)
            chosen.append(sources[item])
        else:
            raise ValueError(
                f"focus: {item!r} is not a node of this graph (pass one of its nodes or a label)"
            )
    return chosen


def path_nodes(view: GraphView, sources: Iterable[Any]) -> list[Any]:
    """The nodes on a path from any of ``sources`` to the root, in topological order.

    Every node of the graph is an ancestor of the root, so these are exactly the sources and
    the nodes computed from them.
    """
    on_path = set(sources)
    for node in view.nodes:
        if node not in on_path and any(parent in on_path for parent in node.parents):
            on_path.add(node)
    return [node for node in view.nodes if node in on_path]


# ---------------------------------------------------------------------------- neurons


class _Clusters:
    """Union-find over nodes, remembering whether a cluster holds a parameter."""

    def __init__(self) -> None:
        self.up: dict[Any, Any] = {}
        self.has_param: dict[Any, bool] = {}

    def add(self, node: Any, is_param: bool) -> None:
        self.up[node] = node
        self.has_param[node] = is_param

    def find(self, node: Any) -> Any:
        root = node
        while self.up[root] is not root:
            root = self.up[root]
        while self.up[node] is not root:  # path compression
            self.up[node], node = root, self.up[node]
        return root

    def union(self, a: Any, b: Any) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra is not rb:
            self.up[rb] = ra
            self.has_param[ra] = self.has_param[ra] or self.has_param[rb]

    def param_cluster(self, node: Any) -> bool:
        return self.has_param[self.find(node)]


def find_neurons(view: GraphView, nodes: list[Any]) -> list[Group]:
    """The neurons among ``nodes`` (a topologically ordered part of ``view``'s graph)."""
    drawn = set(nodes)
    uses: dict[Any, int] = {node: 0 for node in nodes}
    for node in nodes:
        for parent in node.parents:
            if parent in drawn:
                uses[parent] += 1

    def role(node: Any) -> str:
        return view.role(node)

    activations = activation_ops()  # the op names of activation nodes, from the one registry
    clusters = _Clusters()
    for node in nodes:
        clusters.add(node, role(node) == "param")
    for node in nodes:
        parents = [p for p in node.parents if p in drawn]
        if not parents:
            continue
        params = [p for p in parents if role(p) == "param"]
        for p in params:
            clusters.union(node, p)
        if node.op == "*" and params:
            # A weight times the neuron's input: only private constants join the neuron.
            for p in parents:
                if role(p) == "const" and uses[p] == 1:
                    clusters.union(node, p)
            continue
        if node.op in ("+", "sum"):
            weighted = [p for p in parents if p.parents and clusters.param_cluster(p)]
            rest_ok = all(
                role(p) in ("param", "const") or (p.parents and clusters.param_cluster(p))
                for p in parents
            )
            if rest_ok and (weighted or params):
                for p in parents:
                    private = uses[p] == 1 and p.op not in activations
                    if role(p) != "param" and private:
                        clusters.union(node, p)
            continue
        if node.op in activations and len(parents) == 1:
            p = parents[0]
            if p.parents and clusters.param_cluster(p) and uses[p] == 1:
                if p.op not in activations:
                    clusters.union(node, p)

    members: dict[Any, list[Any]] = {}
    for node in nodes:
        members.setdefault(clusters.find(node), []).append(node)
    groups = []
    for root_node, group_nodes in members.items():
        if len(group_nodes) > 1 and clusters.has_param[root_node]:
            groups.append(Group("neuron", "", group_nodes))
    _find_outputs(view, nodes, groups)
    return groups


def _find_outputs(view: GraphView, nodes: list[Any], groups: list[Group]) -> None:
    owner = {m: g for g in groups for m in g.members}
    for node in nodes:
        for parent in node.parents:
            g = owner.get(parent)
            if g is not None and owner.get(node) is not g and parent not in g.outputs:
                g.outputs.append(parent)
    root_group = owner.get(view.root)
    if root_group is not None and view.root not in root_group.outputs:
        root_group.outputs.append(view.root)
    for g in groups:
        g.outputs.sort(key=view.index.__getitem__)


# ---------------------------------------------------------------------------- layers


def assign_layers(view: GraphView, nodes: list[Any], groups: list[Group]) -> bool:
    """Number the neurons by layer (1 = fed by inputs only) and title them ``neuron L.k``.

    Works on the graph of units (groups and single nodes). Returns False, leaving plain
    numbers, if folding made that graph cyclic (a weight shared between layers).
    """
    owner = {m: g for g in groups for m in g.members}
    units: list[Any] = []
    seen: set[int] = set()
    for node in nodes:  # units in order of first appearance: deterministic
        unit = owner.get(node, node)
        if id(unit) not in seen:
            seen.add(id(unit))
            units.append(unit)
    preds: dict[int, list[Any]] = {id(u): [] for u in units}
    succs: dict[int, list[Any]] = {id(u): [] for u in units}
    drawn = set(nodes)
    for node in nodes:
        head = owner.get(node, node)
        for parent in node.parents:
            if parent not in drawn:
                continue
            tail = owner.get(parent, parent)
            if tail is not head and tail not in preds[id(head)]:
                preds[id(head)].append(tail)
                succs[id(tail)].append(head)
    # Kahn's algorithm; units become ready in first-appearance order.
    waiting = {id(u): len(preds[id(u)]) for u in units}
    position = {id(u): i for i, u in enumerate(units)}
    ready = [u for u in units if waiting[id(u)] == 0]
    ordered: list[Any] = []
    while ready:
        ready.sort(key=lambda u: position[id(u)])
        unit = ready.pop(0)
        ordered.append(unit)
        for nxt in succs[id(unit)]:
            waiting[id(nxt)] -= 1
            if waiting[id(nxt)] == 0:
                ready.append(nxt)
    if len(ordered) != len(units):
        for k, g in enumerate(groups, start=1):
            g.title = _named_title(g) or f"neuron {k}"
        return False
    level: dict[int, int] = {}
    for unit in ordered:
        below = max((level[id(p)] for p in preds[id(unit)]), default=0)
        if isinstance(unit, Group):
            unit.layer = below + 1
        level[id(unit)] = unit.layer if isinstance(unit, Group) else below
    counters: dict[int, int] = {}
    for g in sorted(groups, key=lambda g: view.index[g.members[0]]):
        counters[g.layer] = counters.get(g.layer, 0) + 1
        g.title = _named_title(g) or f"neuron {g.layer}.{counters[g.layer]}"
    return True


def _named_title(group: Group) -> str:
    """``neuron L0.n3`` when all the neuron's parameters are labelled ``L0.n3.<name>``."""
    prefixes = {str(p.label).rpartition(".")[0] for p in group.params}
    if len(prefixes) == 1:
        prefix = prefixes.pop()
        if prefix:
            return f"neuron {prefix}"
    return ""


def fold_layers(view: GraphView, nodes: list[Any], groups: list[Group]) -> list[Group]:
    """One group per layer number, members in topological order."""
    by_layer: dict[int, list[Group]] = {}
    for g in groups:
        by_layer.setdefault(g.layer or 0, []).append(g)
    layers = []
    for layer in sorted(by_layer):
        members = sorted((m for g in by_layer[layer] for m in g.members), key=view.index.get)
        layers.append(Group("layer", f"layer {layer}", members, layer, len(by_layer[layer])))
    _find_outputs(view, nodes, layers)
    return layers


# ---------------------------------------------------------------------------- names


def neuron_aliases(view: GraphView, nodes: list[Any]) -> dict[Any, str]:
    """Names for the nodes of neurons, as the model names its parts.

    A neuron whose parameters are labelled ``L0.n1.w0``, ``L0.n1.b`` (as ``nn.MLP`` labels
    them) is ``L0.n1``: its output is called ``L0.n1`` and, when an activation makes that
    output, the weighted sum under it ``L0.n1.z``. The diagram, the table and the captions
    all name these nodes so.
    """
    groups = find_neurons(view, nodes)
    activations = activation_ops()
    names: dict[Any, str] = {}
    for g in groups:
        title = _named_title(g)
        if not title or not g.outputs:
            continue
        name = title.removeprefix("neuron ")
        out = g.outputs[0]
        if out.label:
            continue
        names[out] = name
        below = out.parents[0] if out.parents else None
        if out.op in activations and below in g.members and not below.label:
            names[below] = f"{name}.z"
    return names
