"""What a Hessian-vector product costs, next to a gradient: gradflow and PyTorch, same run.

The network is 64-128-10 with tanh (a smooth activation, so the Hessian is not mostly zeros),
the loss the cross-entropy over a batch of 64 digits. Three timed quantities per engine:

- grad: forward + backward (the gradient of the loss with respect to every parameter);
- hvp: forward + a create_graph backward (the gradient as a graph) + one more backward of
  (gradient . v): reverse over reverse, H v without building H;
- the ratio hvp / grad, which the theory puts at about 2-4 (the second backward runs over a
  graph about twice the forward's size); the goal is at most ~5.

Each round times every variant back to back (BLAS pinned to one thread, garbage collected
before each); the table gives medians with the spread over rounds. PyTorch's row is
skipped when it is not installed. Run: ``python -m bench higher_order`` (part of ``make bench``).
"""

from __future__ import annotations

import contextlib
import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd
import nn
from autograd import Tensor

ROUNDS = 9
REPEATS = 5  # calls per timing, to get above the clock's resolution


def problem(seed: int = 0) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, list[np.ndarray]]:
    X, y = nn.data.load_digits()
    X, y = X[:64] / 16.0, y[:64]
    rng = np.random.default_rng(seed)
    params = [
        rng.normal(0, 0.1, (128, 64)), np.zeros(128), rng.normal(0, 0.1, (10, 128)), np.zeros(10)
    ]  # fmt: skip
    v = [rng.standard_normal(p.shape) for p in params]
    return params, X, y, v


def gradflow_fns(params, X, y, v) -> tuple[Callable[[], Any], Callable[[], Any]]:
    ps = [Tensor(p.copy(), requires_grad=True) for p in params]
    x = Tensor(X)

    def loss() -> Tensor:
        h = autograd.tensor.linear(x, ps[0], ps[1]).tanh()
        return nn.cross_entropy(autograd.tensor.linear(h, ps[2], ps[3]), y)

    def grad() -> Any:
        return autograd.grad(loss(), ps)

    def hvp() -> Any:
        g = autograd.grad(loss(), ps, create_graph=True)
        dot = (g[0] * v[0]).sum() + (g[1] * v[1]).sum() + (g[2] * v[2]).sum() + (g[3] * v[3]).sum()
        return autograd.grad(dot, ps)

    return grad, hvp


def torch_fns(torch: Any, params, X, y, v) -> tuple[Callable[[], Any], Callable[[], Any]]:
    F = torch.nn.functional
    ps = [torch.tensor(p, requires_grad=True) for p in params]
    x, t = torch.tensor(X), torch.tensor(y)
    tv = [torch.tensor(a) for a in v]

    def loss() -> Any:
        h = F.linear(x, ps[0], ps[1]).tanh()
        return F.cross_entropy(F.linear(h, ps[2], ps[3]), t)

    def grad() -> Any:
        return torch.autograd.grad(loss(), ps)

    def hvp() -> Any:
        g = torch.autograd.grad(loss(), ps, create_graph=True)
        dot = sum((gi * vi).sum() for gi, vi in zip(g, tv, strict=True))
        return torch.autograd.grad(dot, ps)

    return grad, hvp


def check(params, X, y, v, torch: Any) -> None:
    """Before timing: gradflow's H v equals PyTorch's (or, without torch, central
    differences of the gradient along v)."""
    g_grad, g_hvp = gradflow_fns(params, X, y, v)
    ours = [h for h in g_hvp()]
    if torch is not None:
        _, t_hvp = torch_fns(torch, params, X, y, v)
        for a, b in zip(ours, t_hvp(), strict=True):
            np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-9, atol=1e-12)
        return
    eps = 1e-6
    plus = gradflow_fns([p + eps * d for p, d in zip(params, v, strict=True)], X, y, v)[0]()
    minus = gradflow_fns([p - eps * d for p, d in zip(params, v, strict=True)], X, y, v)[0]()
    for a, p, m in zip(ours, plus, minus, strict=True):
        np.testing.assert_allclose(a, (p - m) / (2 * eps), rtol=1e-5, atol=1e-7)


def main() -> None:
    try:
        import torch
    except ImportError:  # pragma: no cover - depends on the environment
        torch = None
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        threadpool_limits = None
    params, X, y, v = problem()
    check(params, X, y, v, torch)
    variants: dict[str, Callable[[], Any]] = {}
    variants["gradflow grad"], variants["gradflow hvp"] = gradflow_fns(params, X, y, v)
    if torch is not None:
        torch.set_num_threads(1)
        variants["torch grad"], variants["torch hvp"] = torch_fns(torch, params, X, y, v)
    times: dict[str, list[float]] = {k: [] for k in variants}
    ratios: dict[str, list[float]] = {"gradflow": [], "torch": []}
    with threadpool_limits(1) if threadpool_limits else contextlib.nullcontext():
        for _ in range(ROUNDS):
            for name, fn in variants.items():
                gc.collect()
                start = time.perf_counter()
                for _ in range(REPEATS):
                    fn()
                times[name].append((time.perf_counter() - start) / REPEATS)
            for engine in ratios:
                if f"{engine} grad" in times:
                    ratios[engine].append(times[f"{engine} hvp"][-1] / times[f"{engine} grad"][-1])
    print("64-128-10 tanh, cross-entropy on 64 digits; H v = grad(grad(loss) . v); 1 thread")
    print(f"{'variant':<16} {'ms (median, min-max)':>24}")
    for name, ts in times.items():
        med = 1000 * statistics.median(ts)
        print(f"{name:<16} {med:>10.3f} ({1000 * min(ts):.3f}-{1000 * max(ts):.3f})")
    for engine, rs in ratios.items():
        if rs:
            print(f"{engine}: hvp / grad = {statistics.median(rs):.2f} "
                  f"(rounds {min(rs):.2f}-{max(rs):.2f}); goal <= ~5")  # fmt: skip


if __name__ == "__main__":
    main()
