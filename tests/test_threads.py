"""Modes are per thread and concurrent backward passes add up, as in PyTorch.

Before, ``no_grad()`` was one switch for the process: a thread looping ``nn.predict`` turned
recording off under a thread that was training (291 of 300 steps got all-zero gradients). The
switches now live in a ``threading.local``, and each backward keeps its gradients in its own
pass, adding into ``.grad`` under one lock. The tests force frequent thread switches
(``sys.setswitchinterval``) and bound the work by counts, never by time.
"""

from __future__ import annotations

import gc
import math
import sys
import threading
from collections.abc import Callable, Iterator

import numpy as np
import pytest

import nn
from autograd import Tensor, Value, detect_anomaly, gc_paused, is_grad_enabled, no_grad


@pytest.fixture(autouse=True)
def frequent_switches() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # let the threads interleave every few bytecodes
    yield
    sys.setswitchinterval(before)


def run_together(*jobs: Callable[[], None]) -> None:
    """Start the jobs at once (a barrier), wait for all, re-raise the first error."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def wrap(job: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                barrier.wait()
                job()
            except BaseException as e:  # noqa: BLE001 (re-raised in the main thread)
                errors.append(e)

        return run

    threads = [threading.Thread(target=wrap(job)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def test_a_thread_predicting_never_turns_off_recording_in_a_thread_training():
    model = nn.MLP(2, [8, 1], seed=0)
    X = np.random.default_rng(0).standard_normal((16, 2))
    zero_grad_steps = []
    stop = threading.Event()

    def predict() -> None:
        while not stop.is_set():
            nn.predict(model, X)  # inside no_grad(), in its own thread

    def train() -> None:
        try:
            for step in range(60):
                assert is_grad_enabled()
                loss = sum((model(x) - 1.0) ** 2 for x in X[:4])
                model.zero_grad()
                loss.backward()
                if all(p.grad == 0.0 for p in model.parameters()):
                    zero_grad_steps.append(step)
        finally:
            stop.set()

    run_together(predict, train)
    assert zero_grad_steps == []


def test_the_same_for_a_tensor_model():
    model = nn.Sequential(nn.Linear(3, 4, seed=0), nn.Tanh(), nn.Linear(4, 1, seed=1))
    X = Tensor(np.random.default_rng(1).standard_normal((32, 3)))
    stop = threading.Event()

    def predict() -> None:
        while not stop.is_set():
            with no_grad():
                model(X)

    def train() -> None:
        try:
            for _ in range(100):
                loss = (model(X) ** 2).mean()
                model.zero_grad()
                loss.backward()  # raised "does not require grad" when predict's no_grad leaked
                assert all(np.any(p.grad != 0) for p in model.parameters())
        finally:
            stop.set()

    run_together(predict, train)


def test_two_threads_backpropagating_through_a_shared_parameter_both_accumulate():
    w = Value(2.0, label="w")
    rounds = 300

    def job(c: float) -> Callable[[], None]:
        def run() -> None:
            for _ in range(rounds):
                (w * c + w * w).backward()  # d/dw (c w + w**2) = c + 2w = c + 4

        return run

    run_together(job(1.0), job(10.0))
    # each pass adds its own c + 4: 300 * (1 + 4) + 300 * (10 + 4) = 5700, nothing lost
    assert w.grad == 300 * 5.0 + 300 * 14.0


def test_two_threads_on_a_shared_tensor_parameter():
    w = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True, label="w")
    rounds = 200

    def job(scale: float) -> Callable[[], None]:
        def run() -> None:
            for _ in range(rounds):
                (w * scale).sum().backward()  # d/dw sum(scale w) = scale

        return run

    run_together(job(1.0), job(3.0))
    assert np.array_equal(w.grad, np.full(3, rounds * 1.0 + rounds * 3.0))


def test_detect_anomaly_in_one_thread_leaves_the_other_unchecked():
    seen: list[str] = []
    inside = threading.Event()
    done = threading.Event()

    def checking() -> None:
        with detect_anomaly():
            inside.set()
            done.wait()
            x = Value(0.0)
            try:
                x.log().backward()  # d/dx log(x) = 1/0 = inf: an anomaly here
            except Exception as e:  # noqa: BLE001
                seen.append(type(e).__name__)

    def plain() -> None:
        inside.wait()
        x = Value(0.0)
        x.log().backward()  # not checked in this thread: the gradient is simply inf
        seen.append("inf" if math.isinf(x.grad) else "?")
        done.set()

    run_together(checking, plain)
    assert sorted(seen) == ["AnomalyError", "inf"]


def test_the_collector_stays_paused_until_the_last_thread_leaves_gc_paused():
    assert gc.isenabled()
    first_in = threading.Event()
    second_out = threading.Event()
    states: list[bool] = []

    def long_pause() -> None:
        with gc_paused():
            first_in.set()
            second_out.wait()
            states.append(gc.isenabled())  # the other thread has left: still paused for us

    def short_pause() -> None:
        first_in.wait()
        with gc_paused():
            pass
        second_out.set()

    run_together(long_pause, short_pause)
    assert states == [False]
    assert gc.isenabled()


def test_open_no_grad_blocks_are_counted_back_to_zero_even_after_an_error():
    # Nodes skip the thread-local switch while no thread is inside no_grad(): the count of
    # open blocks must come back to zero, or every later node would pay for the look.
    from autograd.graph import no_grad_blocks

    before = no_grad_blocks[0]
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(ZeroDivisionError), no_grad():
        with no_grad():
            assert no_grad_blocks[0] == before + 2
            assert not (x * 2.0).requires_grad
        raise ZeroDivisionError("a step that fails inside the block")
    assert no_grad_blocks[0] == before
    assert (x * 2.0).requires_grad and (Value(1.0) * 2.0)._op is not None
