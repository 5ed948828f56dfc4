"""Planned FX graph → one TFLite subgraph: walk the nodes, track each value's layout, lower each spec op.

Values are either runtime tensors (:class:`Value`: index, logical shape, layout) or constants (NumPy
arrays), which never become ops: a node whose inputs are all constants (a weight reshape, a ``full``) is
evaluated here with torch, and a constant is written as a buffer in whatever layout its consumer needs.
The per-op lowerings live in ``lowerings``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import torch.fx

from xport.capture import NodeInfo, describe
from xport.errors import UnsupportedNode, UnsupportedOpError, XportError
from xport.passes.graph import get_attr_value
from xport.quant.qdq import is_dequantize, is_quantize, is_weight_dequantize
from xport.spec import shape_of
from xport.spec.fusion import activation_kind, fused_activation
from xport.tensor_spec import TensorSpec

from . import NAME, quantized
from .flatbuffer import Activation, BuiltinOperator, BuiltinOptions, ModelWriter, schema
from .layout import Perm, channels_last, identity, physical_shape, transpose_perm
from .values import Lowering, LoweringError, Value

# The fused activations (xport.spec.fusion kinds) TFLite ops apply.
_FUSED = {"relu": Activation.RELU, "relu6": Activation.RELU6, "relu_n1_to_1": Activation.RELU_N1_TO_1}


class Converter:
    """Converts an unlifted, planned GraphModule into a :class:`ModelWriter`'s subgraph."""

    def __init__(self, gm: torch.fx.GraphModule, lowerings: dict[str, Lowering], half_weights: bool = False):
        self.gm, self.lowerings = gm, lowerings
        self.half_weights = half_weights
        self.writer = ModelWriter()
        self.values: dict[torch.fx.Node, Any] = {}
        self._derived: dict[tuple, Any] = {}  # tensors made from one tensor (a TRANSPOSE, a PAD), shared by readers
        # Activation nodes a producer absorbed as its fused activation (skipped when the walk reaches them).
        self.absorbed: set[torch.fx.Node] = set()
        self._ends: set[int] = set()  # tensors that are graph inputs or outputs
        self._fused_into: dict[torch.fx.Node, torch.fx.Node] = {}  # producer → the activation it absorbed
        # int8 (see .quantized): dequantize nodes → the int8 tensor they read, and int8 weights by their node.
        self.dequantized: dict[torch.fx.Node, Value] = {}
        self.int8_weights: dict[torch.fx.Node, quantized.Int8Weight] = {}

    # --- values -------------------------------------------------------------------------------------------
    def value(self, arg: Any) -> Any:
        """The converted value of a node argument (Values, arrays, and plain Python scalars/lists)."""
        if isinstance(arg, torch.fx.Node):
            if arg not in self.values and arg in self.dequantized:  # a float consumer of an int8 tensor
                self.values[arg] = quantized.dequantize(self, arg, self.dequantized[arg])
            return self.values[arg]
        if isinstance(arg, (list, tuple)):
            return type(arg)(self.value(a) for a in arg)
        return arg

    def quantized(self, arg: Any) -> Value | None:
        """The int8 tensor behind ``arg`` if it is a dequantize of one (an int8 kernel takes it as is)."""
        return self.dequantized.get(arg) if isinstance(arg, torch.fx.Node) else None

    def new(self, node: torch.fx.Node, shape: Sequence[int], perm: Perm, suffix: str = "",
            dtype: Any = np.float32) -> Value:
        """A fresh tensor (float unless ``dtype`` says otherwise) for (part of) ``node``'s result, stored in
        layout ``perm``."""
        shape = tuple(int(d) for d in shape)
        index = self.writer.tensor(node.name + suffix, physical_shape(shape, perm), dtype)
        return Value(index, shape, perm)

    def output_of(self, node: torch.fx.Node, perm: Perm, dtype: Any = np.float32) -> Value:
        return self.new(node, shape_of(node), perm, dtype=dtype)

    def constant_arg(self, arg: Any, what: str, dtype: Any = np.float32) -> np.ndarray:
        """The constant behind node argument ``arg`` (a weight, gather indices); a computed one cannot be lowered."""
        value = self.value(arg)
        if isinstance(value, Value):
            raise LoweringError(f"the {what} is computed in the graph; TFLite needs it constant",
                                f"make the {what} a parameter or buffer of the module")
        return np.asarray(value, dtype=dtype)

    def in_layout(self, value: Any, perm: Perm, name: str = "const", dtype: Any = np.float32) -> int:
        """Tensor index of ``value`` stored in layout ``perm`` (a TRANSPOSE or a transposed constant; a constant
        is written as ``dtype``)."""
        if not isinstance(value, Value):
            array = np.asarray(value, dtype=dtype)
            return self.writer.constant(name, np.transpose(array, perm) if array.ndim else array)
        if value.perm == tuple(perm):
            return value.index

        def transposed() -> int:
            out = self.writer.tensor_like(f"{self.writer.tensors[value.index].name}_t",
                                          physical_shape(value.shape, perm), value.index)
            self.op(BuiltinOperator.TRANSPOSE, [value.index, self.ints(transpose_perm(value.perm, perm))], [out],
                    BuiltinOptions.TransposeOptions, schema.TransposeOptionsT())
            return out

        return self.derived((value.index, "transpose", tuple(perm)), transposed)

    def derived(self, key: tuple, make: Callable[[], Any]) -> Any:
        """``make()``, once per ``key``: a tensor derived from another (a TRANSPOSE, a PAD) is written once and shared
        by all its readers (the taps of a temporal conv all pad the same input)."""
        if key not in self._derived:
            self._derived[key] = make()
        return self._derived[key]

    def weight(self, name: str, array: np.ndarray) -> int:
        """A conv/linear weight or bias; fp16 artifacts store it as float16 behind a DEQUANTIZE op.

        That is TFLite's float16 format: half the file size, and runtimes dequantize once at load (XNNPACK
        computes in fp32 on CPUs without fp16 arithmetic, in fp16 on those with it).
        """
        if not self.half_weights:
            return self.writer.constant(name, array)
        half = self.writer.tensor(f"{name}_fp16", array.shape, np.float16, array.astype(np.float16))
        out = self.writer.tensor(name, array.shape)
        self.op(BuiltinOperator.DEQUANTIZE, [half], [out])
        return out

    def ints(self, values: Sequence[int]) -> int:
        """A constant int32 vector (axes, shapes, paddings)."""
        return self.writer.constant("ints", np.asarray(list(values), dtype=np.int32))

    def op(self, code: int, inputs: Sequence[int], outputs: Sequence[int], options_type: int = 0,
           options: Any = None) -> None:
        self.writer.op(code, inputs, outputs, options_type, options)

    def fused_activation(self, node: torch.fx.Node) -> int:
        """Absorb ``node``'s only user if it is an activation TFLite can fuse into the op; return its code."""
        user = fused_activation(node, kinds=_FUSED)
        if user is None:
            return Activation.NONE
        self.absorbed.add(user)
        self._fused_into[node] = user
        return _FUSED[activation_kind(user)]

    def fused_into(self, node: torch.fx.Node) -> torch.fx.Node:
        """The node whose value ``node``'s op computes: the activation it absorbed, or itself."""
        return self._fused_into.get(node, node)

    # --- the walk -----------------------------------------------------------------------------------------
    def convert(self, input_specs: Sequence[TensorSpec], output_specs: Sequence[TensorSpec]) -> tuple[list, list]:
        """Lower every node; returns the (name, tensor index) pairs of the graph inputs and outputs.

        An input spec with a channels-last layout makes that graph input channels-last: the first conv then
        needs no TRANSPOSE; an output spec with one, that output (a stream's state, fed back as it came out).
        """
        infos = {info.node: info for info in describe(self.gm.graph)}
        inputs, outputs = [], []
        for node in self.gm.graph.nodes:
            if node.op == "placeholder":
                spec = input_specs[len(inputs)]
                name, shape = spec.name, tuple(shape_of(node))
                perm = channels_last(len(shape)) if spec.layout else identity(len(shape))
                value = Value(self.writer.tensor(name, physical_shape(shape, perm), spec.dtype), shape, perm)
                self.values[node] = value
                inputs.append((name, value.index))
                self._ends.add(value.index)
            elif node.op == "get_attr":
                self.values[node] = get_attr_value(self.gm, node).detach().numpy()
            elif node.op == "call_function" and node not in self.absorbed:
                if is_dequantize(node) and isinstance(self.values.get(node.args[0]), Value):
                    self.dequantized[node] = self.values[node.args[0]]  # written only if a float op reads it
                    continue
                self.values[node] = self._lower(node, infos.get(node))
                if node in self._fused_into:
                    self.values[self._fused_into[node]] = self.values[node]
            elif node.op == "output":
                results = node.args[0] if isinstance(node.args[0], (list, tuple)) else [node.args[0]]
                for spec, result in zip(output_specs, results):
                    outputs.append((spec.name, self._graph_output(spec, self.value(result))))
        return inputs, outputs

    def _lower(self, node: torch.fx.Node, info: NodeInfo | None) -> Any:
        if _all_constant(node.args, self.values) and _all_constant(node.kwargs, self.values):
            if is_weight_dequantize(node):
                self.int8_weights[node] = quantized.weight_of(node, self.values)
            return _evaluate(node, self.values)
        if is_quantize(node):
            return quantized.quantize(self, node)
        if info is None or info.spec is None:
            raise self._unsupported(info, node, f"ATen op '{node.target}' is outside the op spec",
                                    "run `xport check` to see the op spec")
        lowering = self.lowerings.get(info.op)
        if lowering is None:
            raise self._unsupported(info, node, f"the TFLite writer has no lowering for '{info.op}'",
                                    "export to another backend, or open an issue with the model")
        try:
            return lowering(self, info)
        except LoweringError as exc:
            raise self._unsupported(info, node, exc.reason, exc.hint) from None

    def _unsupported(self, info: NodeInfo | None, node: torch.fx.Node, reason: str, hint: str) -> UnsupportedOpError:
        op = info.op if info is not None else str(node.target)
        path = info.module_path if info is not None else ""
        return UnsupportedOpError(NAME, [UnsupportedNode(node.name, op, path, NAME, reason, hint)])

    def _graph_output(self, spec: TensorSpec, value: Any) -> int:
        """The output tensor, in its spec's layout (PyTorch's unless channels-last), named as the manifest says."""
        name = spec.name
        if not isinstance(value, Value):
            raise XportError(f"output '{name}' is a constant: a TFLite graph output must be computed")
        perm = channels_last(len(value.shape)) if spec.layout else identity(len(value.shape))
        index = self.in_layout(value, perm)
        if index in self._ends:
            # The same tensor cannot be two graph ends with two names: give the output its own copy.
            shape = physical_shape(value.shape, perm)
            copy = self.writer.tensor(name, shape)
            self.op(BuiltinOperator.RESHAPE, [index, self.ints(shape)], [copy])
            return copy
        self.writer.tensors[index].name = name
        self._ends.add(index)
        return index


def _all_constant(args: Any, values: dict) -> bool:
    if isinstance(args, torch.fx.Node):
        return isinstance(values.get(args), np.ndarray)
    if isinstance(args, (list, tuple)):
        return all(_all_constant(a, values) for a in args)
    if isinstance(args, dict):
        return all(_all_constant(a, values) for a in args.values())
    return True


def _as_torch(value: Any, values: dict) -> Any:
    if isinstance(value, torch.fx.Node):
        return torch.from_numpy(np.ascontiguousarray(values[value]))
    if isinstance(value, (list, tuple)):
        return type(value)(_as_torch(v, values) for v in value)
    return value


def _evaluate(node: torch.fx.Node, values: dict) -> np.ndarray:
    """Fold a node whose inputs are all constants (weight views, ``full``) into a constant."""
    args = _as_torch(node.args, values)
    kwargs = {k: _as_torch(v, values) for k, v in node.kwargs.items()}
    kwargs.pop("device", None)
    kwargs.pop("pin_memory", None)
    with torch.no_grad():
        return node.target(*args, **kwargs).detach().numpy()
