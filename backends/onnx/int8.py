"""What ONNX Runtime's CPU provider needs of a QDQ program beyond what every int8 backend gets.

**Activations are unsigned.** ORT fuses ``DequantizeLinear → Conv → QuantizeLinear`` into ``QLinearConv`` (and Add,
Mul, MatMul likewise) only for the activation types its kernels take on this CPU: uint8 everywhere, int8 on ARM
only. xport's shared program quantizes activations to int8 (the form XNNPACK and LiteRT take), so on x86 ORT left
every conv whose output is not a ReLU in float between dequantize and quantize nodes: measured on X3D-XS
(ORT 1.32, AVX-512 VNNI), 28 of 116 convs ran ``QLinearConv`` and the int8 file was no faster than fp32 (35.5 vs
35.4 ms). With uint8 activations 85 convs run ``QLinearConv`` (the 30 float ones are the squeeze-excitation's, kept
float by the shared placement) and the same file runs in 24.0 ms.

The shift is exact: ``q_u8 = q_s8 + 128`` with the zero point moved by 128 and the same scale, so the artifact
computes the numbers it computed with int8. Weights stay signed (per channel, symmetric): ORT's u8×s8 kernels.

**A swish between int8 tensors runs int8.** ORT has no silu kernel: the file holds ``x · Sigmoid(x)``, which ran in
float between a dequantize and a quantize (26 times on X3D-XS, a fifth of the int8 file's time). Quantizing the
sigmoid's output on the fixed [0, 1) grid (:data:`~xport.quant.qdq.SIGMOID_OUTPUT`, as LiteRT does) lets ORT fuse
``QLinearSigmoid`` and ``QLinearMul``: X3D-XS int8 went from 1.44× to 1.57× its fp32 file (same process, interleaved,
60 rounds), with 16 instead of 68 dequantize nodes left.
"""

from __future__ import annotations

import torch
from torch.export import ExportedProgram

from xport.quant.qdq import SIGMOID_OUTPUT, PerTensor, dtype_of, is_dequantize, is_quantize

_SHIFT = 128  # int8 → uint8: the same grid, moved up
_SILU = torch.ops.aten.silu.default
_QDQ = torch.ops.quantized_decomposed


def _to_unsigned(node: torch.fx.Node) -> None:
    """Rewrite an int8 per-tensor quantize/dequantize node's (zero_point, qmin, qmax, dtype) to uint8's."""
    q = PerTensor.of(node)  # raises QDQFormError for a form this does not take
    node.args = (node.args[0], q.scale, q.zero_point + _SHIFT, q.qmin + _SHIFT, q.qmax + _SHIFT, torch.uint8)


def unsigned_activations(program: ExportedProgram) -> int:
    """Turn every int8 activation quantize node, and the dequantize nodes reading it, into uint8 (in place).
    Returns how many quantize nodes changed. Weights (per-channel dequantize of constants) are left signed."""
    changed = 0
    for node in program.graph_module.graph.nodes:
        if not is_quantize(node) or dtype_of(node) is not torch.int8:
            continue
        _to_unsigned(node)
        node.meta["val"] = node.meta["val"].to(torch.uint8)
        for user in list(node.users):
            if is_dequantize(user):
                _to_unsigned(user)
        changed += 1
    if changed:
        program.graph_module.recompile()
    return changed


def _between_int8(node: torch.fx.Node) -> bool:
    """Whether ``node`` reads a dequantized int8 tensor and every use of its output is quantized."""
    source = node.args[0]
    return (isinstance(source, torch.fx.Node) and is_dequantize(source) and bool(node.users)
            and all(is_quantize(user) for user in node.users))


def int8_sigmoid_in_silu(program: ExportedProgram) -> int:
    """Rewrite each silu between int8 tensors into ``x · dequantize(quantize(sigmoid(x)))`` on the sigmoid grid
    (in place); returns how many. Run before :func:`unsigned_activations`, which shifts the new pair too."""
    graph = program.graph_module.graph
    scale, zero_point = SIGMOID_OUTPUT
    grid = (scale, zero_point, -128, 127, torch.int8)
    count = 0
    for node in list(graph.nodes):
        if node.target is not _SILU or not _between_int8(node):
            continue
        x = node.args[0]
        with graph.inserting_before(node):
            gate = graph.call_function(torch.ops.aten.sigmoid.default, (x,))
            quantized = graph.call_function(_QDQ.quantize_per_tensor.default, (gate, *grid))
            dequantized = graph.call_function(_QDQ.dequantize_per_tensor.default, (quantized, *grid))
            product = graph.call_function(torch.ops.aten.mul.Tensor, (x, dequantized))
        for new in (gate, quantized, dequantized, product):
            new.meta = {**node.meta, "val": new.target(*[a.meta["val"] if isinstance(a, torch.fx.Node) else a
                                                           for a in new.args])}
        node.replace_all_uses_with(product)
        graph.erase_node(node)
        count += 1
    if count:
        program.graph_module.recompile()
    return count
