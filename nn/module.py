"""``Module``: the base class of every model, scalar or tensor.

A module owns parameters (the numbers training changes) and child modules. Both are found the
same way PyTorch finds them: by looking at the module's attributes, in the order they were set.

- an attribute holding a parameter is named after the attribute:        ``b``
- a list (or tuple) of parameters is named with the index:              ``w.0``, ``w.1``
- a child module, or a list of them, adds its own names after a dot:    ``layers.0.neurons.3.b``

A *parameter* is anything with ``.data`` and ``.grad`` that is not a module: a scalar ``Value``
(``data`` a float) or a ``Tensor`` (``data`` an ndarray; only those with ``requires_grad``).
Attributes whose name starts with "_" are private and never searched.

Weights leave and enter a module as a plain dict of NumPy arrays (``state()`` and
``load_state()``), so that saving a model needs nothing from the engine. Each entry of that dict
is a ``StateSlot``: its shape plus how to read it and how to write it. ``load_state`` checks every
slot before it writes any, so a bad dict never leaves a model half-updated.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd import Tensor, Value, bump_version


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold back Ctrl-C (SIGINT) for the block, and raise it as soon as the block ends.

    Python raises KeyboardInterrupt between any two bytecodes. For the block, the SIGINT
    handler only records the signal; the previous handler is then put back and called with
    it (the default one raises KeyboardInterrupt). Handlers can only be set from the main
    thread: elsewhere the block is simply run.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[tuple[int, Any]] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append((signum, frame)))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            if callable(previous):
                previous(*received[0])
            elif previous == signal.SIG_DFL:
                signal.raise_signal(signal.SIGINT)


def is_parameter(obj: object) -> bool:
    """True for a scalar ``Value`` and for a tensor with ``requires_grad``: things to train."""
    if isinstance(obj, Value):
        return True
    if isinstance(obj, Module) or not (hasattr(obj, "data") and hasattr(obj, "grad")):
        return False
    return bool(getattr(obj, "requires_grad", True))


def zero_grads(params: list[Any]) -> None:
    """Reset the gradient of each parameter: 0.0 for a Value, None for an array parameter.

    None (as PyTorch does by default) means "no gradient yet", and optimizers skip it.
    """
    for p in params:
        if isinstance(p.data, np.ndarray):
            p.grad = None
        else:
            p.grad = 0.0


@dataclass(frozen=True)
class StateSlot:
    """One named array of a module's state: its shape and dtype, and how to read or write it."""

    shape: tuple[int, ...]
    dtype: np.dtype
    get: Callable[[], np.ndarray]
    set: Callable[[np.ndarray], None]


def _parameter_slot(p: Any) -> StateSlot:
    """The slot of a single parameter: a 0-d array for a Value, the array itself for a Tensor."""
    if isinstance(p.data, np.ndarray):

        def set_array(a: np.ndarray) -> None:
            p.data[...] = a  # in place: optimizers keep a reference to this very array

        return StateSlot(p.data.shape, p.data.dtype, lambda: np.array(p.data), set_array)

    def set_float(a: np.ndarray) -> None:
        p.data = float(a)

    return StateSlot((), np.dtype(np.float64), lambda: np.array(float(p.data)), set_float)


class Module:
    """Base class of models: parameters, gradients, state, and a readable ``repr``.

    Subclasses set their parameters and children as attributes in ``__init__`` and define
    ``__call__``. Everything else comes from here.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __call__")

    # ------------------------------------------------------------------ structure

    def _members(self) -> Iterator[tuple[str, Any]]:
        """(name, member) for each parameter and child module held in a public attribute."""
        for attr, value in vars(self).items():
            if attr.startswith("_"):
                continue
            if isinstance(value, Module) or is_parameter(value):
                yield attr, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module) or is_parameter(item):
                        yield f"{attr}.{i}", item

    def children(self) -> list[tuple[str, Module]]:
        """The direct sub-modules, with the names used in dotted paths."""
        return [(name, m) for name, m in self._members() if isinstance(m, Module)]

    def named_parameters(self) -> list[tuple[str, Any]]:
        """Every parameter with its dotted path, in the order the attributes were set.

        A module's own parameters come first, then each child's, depth first (PyTorch's
        order). A parameter shared by two places is listed once, under the first name found.
        """
        out: list[tuple[str, Any]] = []
        seen: set[int] = set()
        stack: list[tuple[str, Any]] = [("", self)]
        # Depth first, children in attribute order, without recursion.
        while stack:
            prefix, module = stack.pop()
            pending: list[tuple[str, Any]] = []
            for name, member in module._members():
                if isinstance(member, Module):
                    pending.append((f"{prefix}{name}.", member))
                    continue
                if id(member) not in seen:
                    seen.add(id(member))
                    out.append((prefix + name, member))
            stack.extend(reversed(pending))
        return out

    def parameters(self) -> list[Any]:
        """Every parameter, in the order of ``named_parameters()``."""
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        """How many numbers training can change (a Tensor counts as its number of elements)."""
        return sum(int(np.size(p.data)) for p in self.parameters())

    def zero_grad(self) -> None:
        """Reset every parameter's gradient before the next ``backward()``."""
        zero_grads(self.parameters())

    # ------------------------------------------------------------------ state

    def state_slots(self) -> dict[str, StateSlot]:
        """The named arrays ``state()`` returns and ``load_state()`` accepts.

        By default: each direct parameter under its name, and each child's slots under the
        child's name plus a dot. Override it to group parameters into arrays, as ``Layer``
        does with its neurons' weights.
        """
        slots: dict[str, StateSlot] = {}
        for name, member in self._members():
            if isinstance(member, Module):
                for key, slot in member.state_slots().items():
                    slots[f"{name}.{key}"] = slot
            else:
                slots[name] = _parameter_slot(member)
        return slots

    def state(self) -> dict[str, np.ndarray]:
        """A copy of the weights as NumPy arrays, keyed by dotted names."""
        return {key: slot.get() for key, slot in self.state_slots().items()}

    def check_state(self, state: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """The arrays ``load_state`` would write, each checked and cast; nothing is changed.

        A ValueError names the first problem: a missing or unexpected key, a shape that does
        not fit, a dtype that cannot be cast (complex, or a string, into a float parameter),
        or a finite value the parameter's dtype cannot hold (1e300 is inf in float32).
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"state must be a dict of name -> array, not {type(state).__name__}")
        slots = self.state_slots()
        missing = [k for k in slots if k not in state]
        unexpected = [k for k in state if k not in slots]
        if missing or unexpected:
            parts = []
            if missing:
                parts.append(f"missing keys {_some(missing)}")
            if unexpected:
                parts.append(f"unexpected keys {_some(unexpected)}")
            raise ValueError(
                f"state does not match {type(self).__name__}: {'; '.join(parts)} "
                f"(expected exactly {_some(list(slots))})"
            )
        arrays: dict[str, np.ndarray] = {}
        for key, slot in slots.items():
            value = np.asarray(state[key])
            if value.shape != slot.shape:
                raise ValueError(
                    f"shape mismatch for {key!r}: the model has {slot.shape}, "
                    f"the state has {value.shape}"
                )
            if value.dtype.kind not in "biuf" or not np.can_cast(
                value.dtype, slot.dtype, "same_kind"
            ):
                raise ValueError(
                    f"dtype mismatch for {key!r}: cannot store {value.dtype} in a "
                    f"{slot.dtype} parameter"
                )
            with np.errstate(over="ignore"):  # an overflow is reported below, by name
                cast = value.astype(slot.dtype, copy=True)
            overflow = np.isfinite(value) & ~np.isfinite(cast)
            if overflow.any():
                i = int(np.flatnonzero(overflow)[0])
                biggest = np.finfo(slot.dtype).max
                raise ValueError(
                    f"value out of range for {key!r}: element {i} is "
                    f"{value.reshape(-1)[i].item()!r}, beyond the largest {slot.dtype} "
                    f"({biggest:.4g}); it would become inf"
                )
            arrays[key] = cast
        return arrays

    def load_state(self, state: Mapping[str, Any]) -> None:
        """Set the weights from a dict like the one ``state()`` returns.

        Every key, shape, dtype and value is checked first (``check_state``); on any problem a
        ValueError names it and the module is left exactly as it was. Only then are the values
        written, and the parameters get a new version (``autograd.bump_version``): a graph
        recorded before the load refuses a backward that would mix old and new weights.
        """
        arrays = self.check_state(state)
        with interrupts_deferred():  # Ctrl-C waits until every slot is written
            for key, slot in self.state_slots().items():
                slot.set(arrays[key])
            bump_version(*[p for p in self.parameters() if isinstance(p, (Value, Tensor))])

    # ------------------------------------------------------------------ architecture

    def config(self) -> dict[str, Any]:
        """This module's own settings (sizes, activation), as JSON values; see
        ``architecture``. The default has none: override it in a module that has some."""
        return {}

    def architecture(self) -> dict[str, Any]:
        """What the weights mean, as JSON values: the module's kind, its ``config()``, and
        its children's architectures by name. ``nn.save`` records it; ``nn.load`` compares.

        Two models of one architecture compute the same function from the same weights.
        """
        arch: dict[str, Any] = {"module": type(self).__name__, **self.config()}
        children = self.children()
        if children:
            arch["children"] = {name: child.architecture() for name, child in children}
        return arch

    # ------------------------------------------------------------------ repr

    def extra_repr(self) -> str:
        """What goes between the parentheses of this module's ``repr``."""
        return ""

    def __repr__(self) -> str:
        children = self.children()
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not children:
            return head + ")"
        lines = [head]
        for name, child in children:
            child_repr = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child_repr}")
        return "\n".join(lines) + "\n)"


def _some(keys: list[str], limit: int = 10) -> str:
    """A list of keys for an error message, cut short (a hostile file may hold thousands)."""
    if len(keys) <= limit:
        return str(keys)
    return f"{keys[:limit]} and {len(keys) - limit} more"
