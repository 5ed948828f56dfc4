"""QDQ program → a module of PyTorch's quantized kernels (quint8 tensors, prepacked int8 weights), for tracing.

Patterns, matched at each ``quantize_per_tensor`` (Q) of the QDQ graph:

    DQ(x) → conv/linear(DQ(w), bias) [→ relu/relu6] → Q     quantized::conv{1,2}d[_relu] / linear[_relu]
    DQ(a), DQ(b) → add/mul [→ relu/relu6] → Q               quantized::add[_relu] / mul[_relu]
    DQ(x) → view/permute/slice/pad/max_pool/... → Q(same)   the same ATen op on the quantized tensor
    float → Q                                               quantize_per_tensor

Every other node is a float island: it runs in float on dequantized inputs, exactly as in the QDQ graph. A
conv/linear whose weight is quantized must match a pattern; otherwise :class:`UnsupportedOpError` names it
(never a silent float fallback). Build under the quantized engine the artifact will run with (``engine.py``).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.fx

from xport.capture import module_path
from xport.errors import UnsupportedNode, UnsupportedOpError
from xport.quant.qdq import QDQFormError, is_any_dequantize, is_dequantize, is_qdq, is_quantize
from xport.spec import SPEC
from xport.spec.fusion import COMMON_KINDS, activation_kind
from xport.spec.traits import SHARES_QUANTIZATION

from . import NAME
from .fused import COMPUTE
from .layout import channels_last_reshape
from .qdq import QParams, folded_value, is_call, quantized_weight
from .qmodules import QuantizedConv, QuantizedLinear

_aten = torch.ops.aten
_CONV = (_aten.convolution.default, _aten.conv1d.default, _aten.conv2d.default)
_BINARY = {_aten.add.Tensor: ("add", "add_relu"), _aten.mul.Tensor: ("mul", "mul_relu")}
# Ops that run on quantized tensors unchanged: the ATen forms of the spec ops that share their input's quantization
# (layout ops, constant padding, which pads with the quantized value, and max pooling, which is monotone), verified
# in the lite interpreter on every form the planner leaves.
# qnnpack has no quantized 3-D max pooling: that one runs in float between dequantize and quantize (same numbers).
_NO_QNNPACK_KERNEL = ("aten.max_pool3d.default",)
QUANTIZED_AS_IS = tuple(getattr(getattr(_aten, name.split(".")[1]), name.split(".")[2])
                        for op in SPEC.with_trait(SHARES_QUANTIZATION) for name in SPEC.get(op).aten
                        if name not in _NO_QNNPACK_KERNEL)
# Quantized conv kernels return channels-last tensors, where a view of another shape may be impossible: views
# become reshapes (a view where the strides allow one, a copy where not).
_AS_RESHAPE = (_aten.view.default, _aten._unsafe_view.default)


def _target(node: torch.fx.Node) -> Any:
    return _aten.reshape.default if node.target in _AS_RESHAPE else node.target


class _Unsupported(Exception):
    def __init__(self, node: torch.fx.Node, reason: str, hint: str = "export at fp32, or to another int8 backend"):
        super().__init__(reason)
        self.node, self.reason, self.hint = node, reason, hint


def _spec_name(node: torch.fx.Node) -> str:
    return str(node.target).split(".")[1] if str(node.target).startswith("aten.") else str(node.target)


def _conv_args(node: torch.fx.Node) -> tuple[list[int], list[int], list[int], int]:
    """stride, padding, dilation, groups of an ATen conv node (non-transposed, numeric padding)."""
    if node.target is _aten.convolution.default:
        _, _, _, stride, padding, dilation, transposed, _, groups = node.args
        if transposed:
            raise _Unsupported(node, "transposed convolution has no quantized qnnpack kernel here")
    else:  # aten.conv{1,2}d(x, w, bias, stride=1, padding=0, dilation=1, groups=1)
        rank = 1 if node.target is _aten.conv1d.default else 2
        stride, padding, dilation, groups = (*node.args[3:], *([1] * rank, [0] * rank, [1] * rank, 1)[
            len(node.args[3:]):])
        if isinstance(padding, str):
            raise _Unsupported(node, f"padding='{padding}' (the quantized conv takes explicit padding)")
    return list(stride), list(padding), list(dilation), int(groups)


class _Lowering:
    """One pass over the QDQ graph: plan the fused patterns, then emit the quantized graph in order."""

    def __init__(self, src: torch.fx.GraphModule):
        self.src = src
        self.root = torch.nn.Module()
        self.graph = torch.fx.Graph()
        self.float: dict[torch.fx.Node, torch.fx.Node] = {}
        self.quant: dict[torch.fx.Node, torch.fx.Node] = {}
        self.patterns: dict[torch.fx.Node, tuple] = {}  # Q node → pattern it closes
        self.absorbed: set[torch.fx.Node] = set()  # nodes emitted as part of a pattern
        self.lowered: dict[str, int] = {}

    # ---- planning -------------------------------------------------------------------------------------------

    def plan(self) -> None:
        for node in self.src.graph.nodes:
            if is_quantize(node):
                self._plan_quantize(node)
        for node in self.src.graph.nodes:  # a quantized weight outside any pattern would silently run in float
            if is_call(node, *_CONV, _aten.linear.default) and node not in self.absorbed \
                    and is_any_dequantize(node.args[1]):
                raise _Unsupported(node, "int8 weights, but not in a DQ → op → Q pattern the quantized kernels take")

    def _plan_quantize(self, q: torch.fx.Node) -> None:
        x = q.args[0]
        act = None
        if activation_kind(x) in COMMON_KINDS and len(x.users) == 1:
            act, x = x, x.args[0]
        if is_call(x, *COMPUTE) and len(x.users) == 1 and self._compute_inputs_quantized(x):
            self.patterns[q] = ("compute", x, act)
            self.absorbed.update(n for n in (x, act) if n is not None)
        elif act is None and is_call(x, *QUANTIZED_AS_IS) and len(x.users) == 1 and is_dequantize(x.args[0]) \
                and QParams.of(x.args[0]) == QParams.of(q):
            self.patterns[q] = ("as_is", x)
            self.absorbed.add(x)

    def _compute_inputs_quantized(self, node: torch.fx.Node) -> bool:
        if node.target in _BINARY:
            if node.kwargs.get("alpha", 1) != 1:
                return False
            return all(is_dequantize(a) for a in node.args[:2])
        return is_dequantize(node.args[0]) and is_any_dequantize(node.args[1])

    # ---- values ---------------------------------------------------------------------------------------------

    def _attr(self, hint: str, value: Any) -> torch.fx.Node:
        name = f"c{len(self.float) + len(self.quant)}_{hint}".replace(".", "_")
        while hasattr(self.root, name):
            name += "_"
        self.root.register_buffer(name, value.detach().clone())
        return self.graph.get_attr(name)

    def float_of(self, node: torch.fx.Node) -> torch.fx.Node:
        """The float value of a source node (dequantizing a quantized one once, where a float op needs it)."""
        if node not in self.float:
            if is_dequantize(node) and is_quantize(node.args[0]):
                self.float[node] = self.graph.call_method("dequantize", (self.quant_of(node),))
            elif node.op == "get_attr" or is_any_dequantize(node):
                self.float[node] = self._attr(node.name, folded_value(self.src, node))
            else:
                raise _Unsupported(node, "used before it is computed (unexpected graph order)")
        return self.float[node]

    def quant_of(self, dq: torch.fx.Node) -> torch.fx.Node:
        """The quint8 tensor a dequantize node reads: its Q's output, or a stored int8 constant."""
        source = dq.args[0]
        if is_quantize(source):
            if QParams.of(source) != QParams.of(dq):
                raise _Unsupported(dq, "dequantizes with other parameters than its quantize node")
            return self.quant[source]
        if dq not in self.quant:
            params = QParams.of(dq)
            self.quant[dq] = self._attr(dq.name, torch.quantize_per_tensor(
                folded_value(self.src, dq), params.scale, params.zero_point, torch.quint8))
        return self.quant[dq]

    # ---- emission -------------------------------------------------------------------------------------------

    def run(self) -> torch.fx.GraphModule:
        self.plan()
        for node in self.src.graph.nodes:
            if node.op == "placeholder":
                self.float[node] = self.graph.placeholder(node.name)
            elif node.op == "output":
                returned: list[torch.fx.Node] = []
                torch.fx.map_arg(node.args[0], returned.append)
                if any(is_quantize(o) for o in returned):
                    raise _Unsupported(node, "the model returns an int8 tensor (outputs stay float)")
                self.graph.output(torch.fx.map_arg(node.args[0], self.float_of))
            elif node.op == "get_attr" or is_any_dequantize(node) or node in self.absorbed:
                continue  # constants and dequantized values are made where used; patterns at their Q
            elif is_quantize(node):
                self.quant[node] = self._emit_quantize(node)
            elif is_qdq(node):
                raise _Unsupported(node, f"{node.target} is not a quantize/dequantize form this lowering takes")
            else:
                self.float[node] = self.graph.call_function(
                    _target(node), torch.fx.map_arg(node.args, self.float_of), torch.fx.map_arg(node.kwargs,
                                                                                              self.float_of))
        return torch.fx.GraphModule(self.root, self.graph)

    def _count(self, kind: str) -> None:
        self.lowered[kind] = self.lowered.get(kind, 0) + 1

    def _emit_quantize(self, q: torch.fx.Node) -> torch.fx.Node:
        params = QParams.of(q)
        pattern = self.patterns.get(q)
        if pattern is None:
            self._count("quantize_per_tensor")
            return self.graph.call_function(torch.quantize_per_tensor, (
                self.float_of(q.args[0]), params.scale, params.zero_point, torch.quint8))
        if pattern[0] == "as_is":
            x = pattern[1]
            self._count(_spec_name(x))
            if _target(x) is _aten.reshape.default:
                nhwc = channels_last_reshape(self.graph, self.quant_of(x.args[0]), x.args[0].meta["val"].shape,
                                             x.meta["val"].shape)
                if nhwc is not None:
                    return nhwc
            args = (self.quant_of(x.args[0]), *torch.fx.map_arg(x.args[1:], self.float_of))
            return self.graph.call_function(_target(x), args, dict(x.kwargs))
        _, compute, act = pattern
        out = self._emit_compute(compute, params, act is not None)
        if act is not None and act.target is not _aten.relu.default and params.quantized(6.0) < 255:
            # relu6 whose range reaches past 6: the fused kernel applied relu, clamp the top here. Quantized clamp
            # misreads channels-last tensors (what the conv kernels return; torch 2.13), hence the contiguous copy.
            dense = self.graph.call_method("contiguous", (out,))
            out = self.graph.call_function(_aten.clamp.default, (dense, 0.0, 6.0))
        return out

    def _emit_compute(self, node: torch.fx.Node, params: QParams, relu: bool) -> torch.fx.Node:
        if node.target in _BINARY:
            kind = _BINARY[node.target][relu]
            op = getattr(torch.ops.quantized, kind)
            self._count(kind)
            a, b = (self.quant_of(arg) for arg in node.args[:2])
            return self.graph.call_function(op, (a, b, params.scale, params.zero_point))
        x, weight = node.args[0], node.args[1]
        bias = node.args[2] if len(node.args) > 2 else None
        qweight = quantized_weight(self.src, weight)
        bias_value = folded_value(self.src, bias).float() if isinstance(bias, torch.fx.Node) else None
        if node.target is _aten.linear.default:
            module: torch.nn.Module = QuantizedLinear(qweight, bias_value, params.scale, params.zero_point, relu)
            kind = "linear"
        else:
            rank = qweight.dim() - 2
            if rank not in (1, 2):
                raise _Unsupported(node, f"quantized conv{rank}d cannot be saved for the lite interpreter with "
                                         "qnnpack (torch has no qnnpack conv3d_unpack)",
                                   "keep the backend's default decompose=('conv3d',), which lowers conv3d to conv2d")
            module = QuantizedConv(rank, qweight, bias_value, *_conv_args(node), params.scale, params.zero_point,
                                   relu)
            kind = f"conv{rank}d"
        self._count(kind + ("_relu" if relu else ""))
        name = f"{kind}_{sum(self.lowered.values())}"
        self.root.add_module(name, module)
        return self.graph.call_module(name, (self.quant_of(x),))


def lower_to_quantized(gm: torch.fx.GraphModule) -> tuple[torch.fx.GraphModule, dict[str, int]]:
    """The quantized-kernel module of the QDQ module ``gm`` (edited in place first), and its kernel counts.

    Raises :class:`UnsupportedOpError` naming the node for int8 forms the quantized kernels cannot run.
    """
    lowering = _Lowering(gm)
    try:
        return lowering.run(), lowering.lowered
    except _Unsupported as exc:
        node = exc.node
        raise UnsupportedOpError(NAME, [UnsupportedNode(node.name, _spec_name(node), module_path(node), NAME,
                                                        f"int8: {exc.reason}", exc.hint)]) from None
    except QDQFormError as exc:
        raise UnsupportedOpError(NAME, [UnsupportedNode("?", "quantize/dequantize", "", NAME, f"int8: {exc}",
                                                        "export at fp32, or to another int8 backend")]) from None
