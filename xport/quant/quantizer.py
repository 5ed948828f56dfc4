"""The xport quantizer: annotates spec-op patterns of a planned graph for PT2E, as the backend's caps allow.

    conv/linear [+ relu/relu6]   int8 input, per-channel weight, (int32 bias), int8 output after the activation
    add/mul/matmul [+ relu]      int8 inputs and output (matmul where the backend has an int8 matmul)
    silu, hardswish, ...         int8 input and output where the backend declares an int8 kernel (LiteRT)
    reshape/permute/slice/pad    share their input's quantization (no requantization)
    identity, cat                share it too (cat: all parts share one int8 part's; zero frames stay exact)
    anything else (sigmoid, mean, and silu/hardswish without an int8 kernel): a float island between
                                 dequantize and quantize
    layer norm, softmax, GELU, erf (FLOAT_AT_INT8): float, and so is every op of a backend's decomposition of them
    the op that produces the model's output: float too (logits keep their full range)

A spec op is quantized only where ``caps`` declares it at int8, and not inside ``float_modules`` (module paths
the accuracy budget keeps in float). Every float island is recorded, so the export report names them.

A backend whose ``Int8Scheme.placement`` is ``"inputs"`` (OpenVINO, as NNCF places for it) gets only the inputs
of conv/linear/matmul/add quantized and every output left float: fewer rounding points, less error.
Every placement leaves ops on pooled vectors (the squeeze-excitation convs, the head) in float: one vector per
clip costs nothing in float, and int8 there rounds what the logits are made of.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import torch
import torch.fx

from xport._warnings import quiet_torchao
from xport.caps import Capabilities
from xport.capture import NodeInfo, decomposed_from, describe
from xport.spec import SPEC
from xport.spec.fusion import fused_activation
from xport.spec.traits import (
    ACTIVATION,
    CONVERTS_TYPE,
    FLOAT_AT_INT8,
    JOINS_QUANTIZATION,
    MAKES_CONSTANT,
    SHARES_QUANTIZATION,
    TWO_OPERANDS,
    WEIGHTED,
)

from .specs import WEIGHT, activation_spec, bias_spec

with quiet_torchao():
    from torchao.quantization.pt2e.quantizer import QuantizationAnnotation, Quantizer, SharedQuantizationSpec

_KEY = "quantization_annotation"
_WITH_WEIGHT = SPEC.with_trait(WEIGHTED)
_BINARY = SPEC.with_trait(TWO_OPERANDS)  # add, mul, matmul
_ACTIVATIONS = SPEC.with_trait(ACTIVATION)
_SHARED = SPEC.with_trait(SHARES_QUANTIZATION)
_JOINED = SPEC.with_trait(JOINS_QUANTIZATION)
_SENSITIVE = SPEC.with_trait(FLOAT_AT_INT8)
# Not counted as float islands when left float: they compute nothing a quantized neighbour would.
_NO_COMPUTE = _SHARED + SPEC.with_trait(MAKES_CONSTANT, CONVERTS_TYPE)
# The ops whose inputs the "inputs" placement quantizes.
_INPUT_QUANTIZED = _WITH_WEIGHT + ("add", "matmul")


def _annotate(node: torch.fx.Node, inputs: dict | None = None, output=None) -> None:
    node.meta[_KEY] = QuantizationAnnotation(input_qspec_map=inputs or {}, output_qspec=output, _annotated=True)


def _on_pooled_vectors(node: torch.fx.Node, op: str) -> bool:
    """Whether every activation ``node`` reads is one vector per sample as a global pooling leaves it: (N, C, 1, ...).

    Only that form counts: a (L, N, E) sequence or a 2-D feature matrix may hold many vectors per sample.
    """
    reads = node.args[:1] if op in _WITH_WEIGHT else node.args  # a weight is not an activation
    values = [a.meta.get("val") for a in reads if isinstance(a, torch.fx.Node)]
    tensors = [v for v in values if isinstance(v, torch.Tensor)]
    return bool(tensors) and all(v.dim() > 2 and all(d == 1 for d in v.shape[2:]) for v in tensors)


def _quantized_output(node: torch.fx.Node) -> bool:
    annotation = node.meta.get(_KEY)
    return annotation is not None and annotation.output_qspec is not None


class XportQuantizer(Quantizer):
    """PT2E quantizer over xport's spec ops (see the module docstring)."""

    def __init__(self, caps: Capabilities, quantize_bias: bool | None = None, float_modules: Iterable[str] = ()):
        super().__init__()
        self.caps = caps
        self.quantize_bias = caps.int8.bias == "int32" if quantize_bias is None else quantize_bias
        self.activation = activation_spec(caps.int8)
        self.inputs_only = caps.int8.placement == "inputs"
        self.float_modules = tuple(float_modules)
        self.float_islands: Counter[str] = Counter()
        self.quantized: Counter[str] = Counter()

    def _int8(self, op: str | None, module_path: str) -> bool:
        support = self.caps.ops.get(op or "")
        if support is None or "int8" not in support.precisions or op in _SENSITIVE:
            return False
        return not any(module_path == m or module_path.startswith(m + ".") for m in self.float_modules)

    def annotate(self, model: torch.fx.GraphModule) -> torch.fx.GraphModule:
        infos = {info.node: info for info in describe(model.graph)}
        decomposed: set[str] = set()  # the sensitive ops whose decomposition was counted as one island
        for node in model.graph.nodes:
            info = infos.get(node)
            if info is None or info.spec is None or _KEY in node.meta:
                continue
            op = info.spec.name
            origin = self._sensitive_origin(info)
            if origin is not None:
                if origin[1] not in decomposed:
                    decomposed.add(origin[1])
                    self.float_islands[f"{origin[0]} (decomposed)"] += 1
                continue
            if not self._int8(op, info.module_path):
                if op not in _NO_COMPUTE:
                    self.float_islands[op] += 1
                continue
            if op in _WITH_WEIGHT + _BINARY and self._feeds_output(node, infos):
                # The op that makes the model's output stays float: int8 logits, clipped to the calibrated range,
                # lose their ranking, and XNNPACK takes a quantized linear only with a quantized output.
                self.float_islands[f"{op} (model output)"] += 1
                continue
            if _on_pooled_vectors(node, op):
                # One vector per clip (squeeze-excitation, the head): float costs nothing there, and int8 would round
                # the features the logits (or the sigmoid gate) are made from: 7 dB of X3D's SQNR in its head alone.
                if op not in _NO_COMPUTE:
                    self.float_islands[f"{op} on a pooled vector"] += 1
                continue
            if self.inputs_only:
                if self._quantize_inputs(node, op):
                    self.quantized[op] += 1
                continue
            if op in _WITH_WEIGHT:
                self._weighted(node, infos)
            elif op in _BINARY and all(isinstance(a, torch.fx.Node) for a in node.args[:2]):
                self._binary(node, infos)
            elif op in _SHARED and isinstance(node.args[0], torch.fx.Node) and _quantized_output(node.args[0]):
                x = node.args[0]
                _annotate(node, {x: SharedQuantizationSpec(x)}, SharedQuantizationSpec((x, node)))
                continue
            elif op in _JOINED and self._concatenated(node):
                continue
            elif op in _ACTIVATIONS:  # a relu no producer absorbed, or an activation with its own int8 kernel
                _annotate(node, {node.args[0]: self.activation}, self.activation)
            else:
                if op not in _NO_COMPUTE:
                    self.float_islands[op] += 1
                continue
            self.quantized[op] += 1
        return model

    @staticmethod
    def _sensitive_origin(info: NodeInfo) -> tuple[str, str] | None:
        """(op, node) of the FLOAT_AT_INT8 op a backend's plan decomposed into this node, if any."""
        origin = decomposed_from(info.node)
        return origin if origin is not None and origin[0] in _SENSITIVE else None

    def _fused_activation(self, node: torch.fx.Node, infos) -> torch.fx.Node | None:
        """The relu/relu6 that alone consumes ``node`` (quantized once, after the activation)."""
        user = fused_activation(node)
        if user is None:
            return None
        info = infos[user]
        return user if self._int8(info.spec.name, info.module_path) else None

    def _feeds_output(self, node: torch.fx.Node, infos) -> bool:
        last = self._fused_activation(node, infos) or node
        return any(user.op == "output" for user in last.users)

    def _close(self, node: torch.fx.Node, infos) -> None:
        activation = self._fused_activation(node, infos)
        if activation is None:
            node.meta[_KEY].output_qspec = self.activation
        else:
            _annotate(activation, output=self.activation)

    def _weighted(self, node: torch.fx.Node, infos) -> None:
        self._weighted_inputs(node)
        self._close(node, infos)

    def _weighted_inputs(self, node: torch.fx.Node) -> None:
        x, weight = node.args[0], node.args[1]
        inputs = {x: self.activation, weight: WEIGHT}
        bias = node.args[2] if len(node.args) > 2 else None
        if self.quantize_bias and isinstance(bias, torch.fx.Node):
            inputs[bias] = bias_spec(x, weight, node)
        _annotate(node, inputs)

    def _quantize_inputs(self, node: torch.fx.Node, op: str) -> bool:
        """The "inputs" placement: annotate the activation inputs (and weight) of ``node``; False if it stays float."""
        if op in _WITH_WEIGHT:
            self._weighted_inputs(node)
            return True
        if op in _INPUT_QUANTIZED and all(isinstance(a, torch.fx.Node) for a in node.args[:2]):
            _annotate(node, {node.args[0]: self.activation, node.args[1]: self.activation})
            return True
        return False

    def _binary(self, node: torch.fx.Node, infos) -> None:
        _annotate(node, {node.args[0]: self.activation, node.args[1]: self.activation})
        self._close(node, infos)

    def _concatenated(self, node: torch.fx.Node) -> bool:
        """Annotate a cat whose parts include an int8 tensor: every part and the result share its parameters."""
        parts = [p for p in node.args[0] if isinstance(p, torch.fx.Node)]
        anchor = next((p for p in parts if _quantized_output(p)), None)
        if anchor is None:
            return False
        # Every edge and the output point at the anchor's output itself: edges pointing at the (anchor, cat) edge
        # make torchao's sharing groups cycle when the parts already share one source (roll's slices of one tensor).
        shared = SharedQuantizationSpec(anchor)
        _annotate(node, dict.fromkeys(parts, shared), shared)
        return True

    def validate(self, model: torch.fx.GraphModule) -> None:
        pass
