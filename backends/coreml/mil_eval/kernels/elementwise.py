"""Element-wise MIL ops (activations, arithmetic and comparisons with NumPy broadcasting, select, cast) and
reductions."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .args import Args
from .registry import kernel

_BINARY = {
    "add": torch.add, "sub": torch.sub, "mul": torch.mul, "real_div": torch.div, "maximum": torch.maximum,
    "minimum": torch.minimum, "pow": torch.pow, "floor_div": torch.floor_divide,
    # Comparisons take two tensors of one type (fp16/fp32/int32) and yield bool; the logical ops take bool.
    "equal": torch.eq, "not_equal": torch.ne, "greater": torch.gt, "greater_equal": torch.ge, "less": torch.lt,
    "less_equal": torch.le, "logical_and": torch.logical_and, "logical_or": torch.logical_or,
    "logical_xor": torch.logical_xor,
}
_UNARY = {
    "relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "silu": F.silu, "exp": torch.exp,
    "sqrt": torch.sqrt, "abs": torch.abs, "erf": torch.erf, "floor": torch.floor,
    "ceil": torch.ceil, "sign": torch.sign, "square": torch.square, "logical_not": torch.logical_not,
}


def _binary(fn):
    return lambda a: fn(a.tensor("x"), a.tensor("y"))


def _unary(fn):
    return lambda a: fn(a.tensor("x").float())


for _name, _fn in _BINARY.items():
    kernel(_name)(_binary(_fn))
for _name, _fn in _UNARY.items():
    kernel(_name)(_unary(_fn))


# MIL's rsqrt, inverse and log add ``epsilon`` to x first (defaults 1e-12, 1e-4, 1e-45; coremltools writes them).
@kernel("rsqrt")
def rsqrt(a: Args) -> torch.Tensor:
    return torch.rsqrt(a.tensor("x") + a.value("epsilon", 1e-12))


@kernel("inverse")
def inverse(a: Args) -> torch.Tensor:
    return torch.reciprocal(a.tensor("x") + a.value("epsilon", 1e-4))


@kernel("log")
def log(a: Args) -> torch.Tensor:
    return torch.log(a.tensor("x") + a.value("epsilon", 1e-45))


@kernel("select")
def select(a: Args) -> torch.Tensor:
    """``a`` where ``cond`` is true, else ``b``; the three broadcast together."""
    return torch.where(a.tensor("cond").bool(), a.tensor("a"), a.tensor("b"))


@kernel("gelu")
def gelu(a: Args) -> torch.Tensor:
    """MIL's three modes: EXACT 0.5·x·(1 + erf(x/√2)) (the default), TANH_APPROXIMATION
    0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) and SIGMOID_APPROXIMATION x·sigmoid(1.702·x)."""
    x, mode = a.tensor("x").float(), a.value("mode", "EXACT")
    if mode == "EXACT":
        return F.gelu(x)
    if mode == "TANH_APPROXIMATION":
        return F.gelu(x, approximate="tanh")
    if mode == "SIGMOID_APPROXIMATION":
        return x * torch.sigmoid(1.702 * x)
    raise a.fail(f"gelu mode '{mode}' is not one MIL defines")


@kernel("relu6")
def relu6(a: Args) -> torch.Tensor:
    return torch.clamp(a.tensor("x"), 0.0, 6.0)


@kernel("clip")
def clip(a: Args) -> torch.Tensor:
    return torch.clamp(a.tensor("x"), a.value("alpha"), a.value("beta"))


@kernel("sigmoid_hard")
def sigmoid_hard(a: Args) -> torch.Tensor:
    """min(max(alpha·x + beta, 0), 1)."""
    return torch.clamp(a.value("alpha", 0.2) * a.tensor("x") + a.value("beta", 0.5), 0.0, 1.0)


@kernel("thresholded_relu")
def thresholded_relu(a: Args) -> torch.Tensor:
    """x where x >= alpha, else 0 (coremltools writes hardswish as thresholded_relu(x, -3) · sigmoid_hard(x))."""
    x = a.tensor("x")
    return torch.where(x >= a.value("alpha", 1.0), x, torch.zeros_like(x))


@kernel("leaky_relu")
def leaky_relu(a: Args) -> torch.Tensor:
    return F.leaky_relu(a.tensor("x"), a.value("alpha", 0.01))


@kernel("linear_activation")
def linear_activation(a: Args) -> torch.Tensor:
    return a.value("alpha") * a.tensor("x") + a.value("beta", 0.0)


@kernel("softmax")
def softmax(a: Args) -> torch.Tensor:
    return torch.softmax(a.tensor("x").float(), dim=a.value("axis", -1))


_CAST = {"fp16": torch.float32, "fp32": torch.float32, "fp64": torch.float32, "int32": torch.int32,
         "int64": torch.int64, "int16": torch.int32, "int8": torch.int32, "uint8": torch.int32, "bool": torch.bool}


@kernel("cast")
def cast(a: Args) -> torch.Tensor:
    """Element type change; the interpreter rounds to fp16 when the op's output type says fp16."""
    dtype = a.value("dtype")
    if dtype not in _CAST:
        raise a.fail(f"cast to '{dtype}' is not supported")
    x = a.tensor("x")
    if _CAST[dtype] != torch.float32 and x.is_floating_point() and dtype != "bool":
        x = torch.trunc(x)  # float → int conversion truncates toward zero
    return x.to(_CAST[dtype])


def _reduce(fn):
    def run(a: Args) -> torch.Tensor:
        x = a.tensor("x")
        axes = a.ints("axes", None)
        axes = list(range(x.dim())) if axes is None else axes
        keep = bool(a.value("keep_dims", False))
        return fn(x.float(), dim=axes, keepdim=keep)

    return run


for _name, _fn in {"reduce_mean": torch.mean, "reduce_sum": torch.sum, "reduce_max": torch.amax,
                   "reduce_min": torch.amin}.items():
    kernel(_name)(_reduce(_fn))
