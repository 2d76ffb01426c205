"""autograd_lite: a small reverse-mode autodiff engine over numpy that shows its work.

>>> import autograd_lite as ag
>>> x = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> y = (x @ x.T).sigmoid().sum()
>>> y.backward()
>>> x.grad.shape
(2, 2)
"""

from numpy import float32, float64

# tensor first: it binds autograd and ops at its end, which both import Tensor.
from .tensor import Tensor, get_default_dtype, set_default_dtype, tensor  # isort: skip
from .autograd import (AnomalyError, detect_anomaly, enable_grad, is_grad_enabled, no_grad,
                       scope, set_grad_enabled)
from .creation import (arange, eye, full, manual_seed, ones, ones_like, rand, randn, zeros,
                       zeros_like)
from .function import Function, FunctionCtx
from .scalar import Value
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .functional import grad, hessian, jacobian, value_and_grad, vjp
from .ops import (abs, add, broadcast_to, clip, concatenate, div, exp, expand_dims, flatten,
                  leaky_relu, log, log_softmax, logsumexp, matmul, max, maximum, mean, min,
                  minimum, mul, neg, pow, relu, reshape, sigmoid, softmax, split, sqrt, squeeze,
                  stack, sub, sum, swapaxes, tanh, transpose, var, where)

__version__ = "0.1.0"

__all__ = [
    "Value", "Tensor", "tensor", "float32", "float64", "set_default_dtype", "get_default_dtype",
    "zeros", "ones", "full", "arange", "eye", "zeros_like", "ones_like", "randn", "rand",
    "manual_seed", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "scope",
    "detect_anomaly", "AnomalyError", "Function", "FunctionCtx", "grad", "value_and_grad",
    "vjp", "jacobian", "hessian", "gradcheck", "gradgradcheck", "GradcheckError",
    "abs", "add", "broadcast_to", "clip", "concatenate", "div", "exp", "expand_dims", "flatten",
    "leaky_relu", "log", "log_softmax", "logsumexp", "matmul", "max", "maximum", "mean", "min",
    "minimum", "mul", "neg", "pow", "relu", "reshape", "sigmoid", "softmax", "split", "sqrt",
    "squeeze", "stack", "sub", "sum", "swapaxes", "tanh", "transpose", "var", "where",
]
