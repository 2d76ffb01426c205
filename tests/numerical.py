"""Numerical derivatives by central differences, in float64, for the tests."""

import numpy as np

F64 = np.float64


def num_grad(f, x, h=1e-6):
    """Central-difference gradient of scalar ``f`` (numpy in, float out) at ``x``."""
    x = np.array(x, dtype=F64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def num_jacobian(f, x, h=1e-6):
    """Central-difference Jacobian with shape ``f(x).shape + x.shape``."""
    x = np.array(x, dtype=F64)
    out_shape = np.shape(f(x))
    J = np.zeros(out_shape + x.shape)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        J[(...,) + i] = (np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * h)
    return J


def num_hessian(f, x, h=1e-4):
    """Central-difference Hessian of scalar ``f`` at ``x`` (any shape), shape x.shape * 2."""
    x = np.array(x, dtype=F64)
    H = np.zeros(x.shape + x.shape)
    for i in np.ndindex(x.shape):
        for j in np.ndindex(x.shape):
            ei = np.zeros_like(x)
            ej = np.zeros_like(x)
            ei[i] = h
            ej[j] = h
            H[i + j] = (f(x + ei + ej) - f(x + ei - ej)
                        - f(x - ei + ej) + f(x - ei - ej)) / (4 * h * h)
    return H
