"""Optimizers: one step equals the hand-computed update, for Values and for arrays."""

from __future__ import annotations

import math
import signal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from interrupting import SignallingParam

import nn
import nn.optim as optim_mod
from autograd import Tensor, Value


class ArrayParam:
    """A Tensor-like parameter: ndarray .data and .grad."""

    def __init__(self, data: list[float], grad: list[float] | None) -> None:
        self.data = np.array(data, dtype=np.float64)
        self.grad = None if grad is None else np.array(grad, dtype=np.float64)


def param(data: float, grad: float) -> Value:
    p = Value(data, role="param")
    p.grad = grad
    return p


def test_sgd_step_is_p_minus_lr_times_grad():
    p = param(1.0, 0.5)
    nn.optim.SGD([p], lr=0.1).step()
    # 1 - 0.1 * 0.5 = 0.95
    assert p.data == pytest.approx(0.95)
    assert isinstance(p.data, float)


def test_sgd_weight_decay_adds_decay_times_p_to_the_gradient():
    p = param(1.0, 0.5)
    nn.optim.SGD([p], lr=0.1, weight_decay=0.1).step()
    # g = 0.5 + 0.1 * 1.0 = 0.6;  p = 1 - 0.1 * 0.6 = 0.94
    assert p.data == pytest.approx(0.94)


def test_sgd_momentum_accumulates_a_velocity():
    p = param(1.0, 0.5)
    opt = nn.optim.SGD([p], lr=0.1, momentum=0.9)
    opt.step()
    # step 1: v = g = 0.5;              p = 1 - 0.1 * 0.5 = 0.95
    assert p.data == pytest.approx(0.95)
    p.grad = 0.5
    opt.step()
    # step 2: v = 0.9 * 0.5 + 0.5 = 0.95;  p = 0.95 - 0.1 * 0.95 = 0.855
    assert p.data == pytest.approx(0.855)


def test_adam_first_two_steps_match_the_hand_computation():
    p = param(1.0, 0.5)
    opt = nn.optim.Adam([p], lr=0.1)
    opt.step()
    # t = 1: m = 0.1 * 0.5 = 0.05, v = 0.001 * 0.25 = 0.00025
    #        m_hat = 0.05 / 0.1 = 0.5, v_hat = 0.00025 / 0.001 = 0.25
    #        p = 1 - 0.1 * 0.5 / (0.5 + 1e-8) = 0.900000002
    assert p.data == pytest.approx(0.900000002, abs=1e-12)
    p.grad = -0.25
    opt.step()
    # t = 2: m = 0.9 * 0.05 + 0.1 * -0.25 = 0.02,  v = 0.999 * 0.00025 + 0.001 * 0.0625 = 0.00031225
    #        m_hat = 0.02 / (1 - 0.81) = 0.1052632,  v_hat = 0.00031225 / (1 - 0.998001) = 0.1562031
    #        p = 0.900000002 - 0.1 * 0.1052632 / (sqrt(0.1562031) + 1e-8) = 0.8733663
    assert p.data == pytest.approx(0.8733662987, abs=1e-9)


def test_array_parameters_are_updated_in_place():
    p = ArrayParam([1.0, -2.0], [0.5, -1.0])
    array = p.data
    nn.optim.SGD([p], lr=0.1, momentum=0.9).step()
    assert p.data is array
    assert array.tolist() == pytest.approx([0.95, -1.9])
    q = ArrayParam([1.0, 1.0], [0.5, -0.5])
    nn.optim.Adam([q], lr=0.1).step()
    # Adam's first step moves each entry by lr * sign(g) (up to eps)
    assert q.data.tolist() == pytest.approx([0.9, 1.1])


def test_momentum_buffer_does_not_alias_the_gradient():
    p = ArrayParam([0.0], [1.0])
    opt = nn.optim.SGD([p], lr=1.0, momentum=0.5)
    opt.step()  # v = g = [1]
    p.grad[...] = 0.0  # an engine that zeroes grads in place must not wipe the velocity
    opt.step()  # v = 0.5 * 1 + 0 = 0.5;  p = -1 - 0.5
    assert p.data.tolist() == [-1.5]


def test_parameters_without_a_gradient_are_skipped():
    p = ArrayParam([1.0], None)
    for opt in (nn.optim.SGD([p], lr=0.1, weight_decay=0.5), nn.optim.Adam([p])):
        opt.step()
    assert p.data.tolist() == [1.0]


def test_state_is_kept_per_parameter():
    a, b = param(0.0, 1.0), param(0.0, -1.0)
    opt = nn.optim.Adam([a, b], lr=0.1)
    opt.step()
    assert a.data == pytest.approx(-0.1) and b.data == pytest.approx(0.1)
    assert opt.state[0]["step"] == opt.state[1]["step"] == 1
    assert opt.state[0]["m"] == pytest.approx(0.1) and opt.state[1]["m"] == pytest.approx(-0.1)


def test_zero_grad_clears_values_and_arrays():
    v, a = param(1.0, 3.0), ArrayParam([1.0], [2.0])
    nn.optim.SGD([v, a], lr=0.1).zero_grad()
    assert v.grad == 0.0 and a.grad is None


def test_a_step_records_no_graph():
    model = nn.MLP(2, [2, 1], seed=0)
    model([1.0, 2.0]).backward()
    nn.optim.Adam(model.parameters()).step()
    assert all(p.parents == () and p.op == "" for p in model.parameters())


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: nn.optim.SGD([], lr=0.1), "empty parameter list"),
        (lambda p: nn.optim.SGD(p, lr=-1.0), "lr must be a number >= 0"),
        (lambda p: nn.optim.SGD(p, lr=math.nan), "lr must be a finite number"),
        (lambda p: nn.optim.SGD(p, lr=0.1, momentum=1.0), r"momentum must be a number in \[0, 1\)"),
        (lambda p: nn.optim.Adam(p, betas=(0.9,)), "betas must be a pair"),
        (lambda p: nn.optim.Adam(p, betas=(0.9, 1.5)), r"betas\[1\] must be a number in"),
        (lambda p: nn.optim.Adam(p, eps=-1.0), "eps"),
        (lambda p: nn.optim.SGD([1.0], lr=0.1), "no .data and .grad"),
    ],
)
def test_bad_settings_are_clear_errors(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make([param(1.0, 1.0)])


@settings(max_examples=50)
@given(
    st.floats(-10, 10),
    st.floats(-10, 10),
    st.floats(0.0, 1.0),
    st.floats(0.0, 0.99),
    st.floats(0.0, 0.1),
)
def test_values_and_arrays_get_the_same_updates(data, grad, lr, momentum, decay):
    v = param(data, grad)
    a = ArrayParam([data], [grad])
    for kind in ("sgd", "adam"):
        if kind == "sgd":
            opts = [nn.optim.SGD([x], lr, momentum=momentum, weight_decay=decay) for x in (v, a)]
        else:
            opts = [nn.optim.Adam([x], lr, weight_decay=decay) for x in (v, a)]
        for _ in range(3):
            for opt in opts:
                opt.step()
        assert v.data == pytest.approx(a.data[0], rel=1e-12, abs=1e-12)


# ---------------------------------------------------------------------------- interrupted steps


class Interrupting:
    """A gradient whose arithmetic raises KeyboardInterrupt: Ctrl-C in the middle of a step."""

    def _interrupt(self, other: object) -> None:
        raise KeyboardInterrupt

    __mul__ = __rmul__ = __add__ = __radd__ = __sub__ = __rsub__ = _interrupt


OPTIMIZERS = {
    "SGD": lambda ps: nn.optim.SGD(ps, lr=0.1),
    "SGD momentum": lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    "Adam": lambda ps: nn.optim.Adam(ps, lr=0.1),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_an_interrupt_while_computing_a_step_leaves_every_parameter_old(name):
    # The third of five parameters interrupts the computation: the first two must not have
    # moved (they did, when each parameter was updated as soon as it was computed).
    params = [param(float(i), 1.0) for i in range(5)] + [ArrayParam([1.0, 2.0], [0.5, 0.5])]
    params[2].grad = Interrupting()
    opt = OPTIMIZERS[name](params)
    with pytest.raises(KeyboardInterrupt):
        opt.step()
    assert [p.data for p in params[:5]] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert params[5].data.tolist() == [1.0, 2.0]
    assert opt.state == [{} for _ in params]  # no momentum or moment half-recorded either


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX signal masks")
def test_ctrl_c_while_assigning_a_step_is_raised_after_every_parameter_is_new():
    params = [SignallingParam(1.0, grad=1.0)] + [param(float(i), 1.0) for i in range(4)]
    with pytest.raises(KeyboardInterrupt):
        nn.optim.SGD(params, lr=0.5).step()
    assert [p.data for p in params] == [0.5, -0.5, 0.5, 1.5, 2.5]  # p - 0.5 * 1, all of them


def test_a_step_gives_the_changed_parameters_a_new_version(monkeypatch):
    bumped: list[object] = []
    monkeypatch.setattr(optim_mod, "bump_version", lambda *ps: bumped.extend(ps))
    model = nn.Sequential(nn.Linear(2, 2, seed=0))
    unused = Tensor(np.zeros(2), requires_grad=True)  # grad None: skipped, unchanged, not bumped
    params = [*model.parameters(), unused]
    for p in model.parameters():
        p.grad = np.ones_like(p.data)
    nn.optim.Adam(params, lr=0.1).step()
    assert [id(p) for p in bumped] == [id(p) for p in model.parameters()]


def test_an_array_parameter_is_updated_in_place():
    # Other references to the array (a model's layer, a Tensor's view) must see the step.
    p = ArrayParam([1.0, 2.0], [1.0, 1.0])
    array = p.data
    nn.optim.SGD([p], lr=0.5).step()
    assert p.data is array and array.tolist() == [0.5, 1.5]
