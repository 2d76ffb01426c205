"""A short tour of the engine (``python -m autograd_lite.tour``).

An expression on Tensors, its backward pass, the gradients next to the
hand-derived ones, a numerical gradient check, and the same on the scalar
``Value`` engine.

>>> main()  # doctest: +ELLIPSIS
autograd_lite ...
"""

from __future__ import annotations

import numpy as np

import autograd_lite as ag


def _tensor_tour() -> None:
    print("1. A two-layer sigmoid network on one input, in float64")
    x = ag.tensor([[0.5, -1.0]], dtype="float64", name="x")
    w1 = ag.tensor([[0.1, 0.4], [-0.3, 0.2]], dtype="float64", requires_grad=True, name="w1")
    w2 = ag.tensor([[0.7], [-0.5]], dtype="float64", requires_grad=True, name="w2")
    h = (x @ w1).sigmoid()
    y_hat = (h @ w2).sigmoid()
    loss = ((y_hat - 1.0) ** 2).sum()
    print(f"   loss = (σ(σ(x·w1)·w2) − 1)² = {loss.item():.6f}")
    loss.backward()
    g1, g2 = np.asarray(w1.grad), np.asarray(w2.grad)
    for name, g in (("w1", g1), ("w2", g2)):
        print(f"   ∂loss/∂{name} = " + np.array2string(g, prefix="   ∂loss/∂w1 = "))

    # The chain rule by hand, with numpy only: dL/dŷ · σ'(u) · ...
    u2 = x.numpy() @ w1.numpy()
    hv = 1 / (1 + np.exp(-u2))
    yv = 1 / (1 + np.exp(-(hv @ w2.numpy())))
    d_out = 2 * (yv - 1) * yv * (1 - yv)
    by_hand_w2 = hv.T @ d_out
    by_hand_w1 = x.numpy().T @ ((d_out @ w2.numpy().T) * hv * (1 - hv))
    same = np.allclose(by_hand_w2, g2) and np.allclose(by_hand_w1, g1)
    print(f"   matches the hand derivation: {same}")

    print("2. Numerical check (central differences in float64)")

    def net(w1: ag.Tensor, w2: ag.Tensor) -> ag.Tensor:
        return ((((x @ w1).sigmoid() @ w2).sigmoid() - 1.0) ** 2).sum()

    ok = ag.gradcheck(net, w1.detach().requires_grad_(), w2.detach().requires_grad_())
    print(f"   ag.gradcheck(net, w1, w2) -> {ok}")

    print("3. Higher order: d²/dx² of x·tanh(x) at x = 0.5")
    second = ag.grad(ag.grad(lambda t: t * t.tanh()))(ag.tensor(0.5, dtype="float64"))
    t = np.tanh(0.5)
    print(f"   autograd {second.item():.6f}, closed form {2 * (1 - t * t) * (1 - 0.5 * t):.6f}")


def _value_tour() -> None:
    from autograd_lite.scalar import Value

    print("4. The scalar engine: micrograd's README example, unchanged")
    a, b = Value(-4.0), Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    print(f"   g = {g.data:.4f}; ∂g/∂a = {a.grad:.4f}; ∂g/∂b = {b.grad:.4f} "
          "(micrograd: 24.7041, 138.8338, 645.5773)")


def main() -> None:
    """Run the tour, printing each step."""
    print(f"autograd_lite {ag.__version__} — a tour")
    _tensor_tour()
    _value_tour()


if __name__ == "__main__":
    main()
