"""A parameter that presses Ctrl-C when it is assigned, shared by the tests that check an
interrupted optimizer step or load leaves every parameter all old or all new."""

from __future__ import annotations

import os
import signal


class SignallingParam:
    """A scalar parameter whose assignment sends this process a real SIGINT (Ctrl-C)."""

    requires_grad = True

    def __init__(self, data: float, grad: float = 0.0) -> None:
        self._data, self.grad = data, grad

    @property
    def data(self) -> float:
        return self._data

    @data.setter
    def data(self, value: float) -> None:
        self._data = value
        os.kill(os.getpid(), signal.SIGINT)
