"""What OpenVINO's CPU plugin needs of a QDQ program beyond what every int8 backend gets.

**A depthwise convolution with a signed int8 input keeps a float input.** The plugin has int8 depthwise kernels
for unsigned activations only (``brgconv_*_dw_I8`` on u8). Given a signed one (the range of a stem convolution
before its activation, say), it runs a float kernel on the dequantized input, and under bf16 inference, the
plugin's default on CPUs with bf16 units, it has no kernel at all: compiling with default settings fails ("No
suitable implementations"). Measured on X3D's stem (temporal 5×1×1 depthwise, input range ±6.4) on an AVX-512 bf16
CPU: the quantize/dequantize pair left in place fails to compile by default and runs ``brgconv_avx512_dw_f32`` with
the f32 hint; without it the convolution runs ``brgconv_avx512_dw_bf16`` (or f32 with the f32 hint), and every
other convolution still runs an ``*_I8`` kernel.
"""

from __future__ import annotations

import torch
from torch.export import ExportedProgram

from xport.quant.qdq import PerTensor, is_dequantize, is_quantize

_CONVOLUTION = torch.ops.aten.convolution.default
FLOAT_ISLAND = "depthwise conv with a signed input"  # its name in the manifest's float islands


def _signed_depthwise_input(node: torch.fx.Node) -> torch.fx.Node | None:
    """The dequantize node feeding depthwise convolution ``node`` a signed int8 input, else None."""
    if node.target is not _CONVOLUTION:
        return None
    dequantize, groups = node.args[0], node.args[8]
    channels = dequantize.meta["val"].shape[1] if isinstance(dequantize, torch.fx.Node) else None
    if groups == 1 or groups != channels or not is_dequantize(dequantize) or not is_quantize(dequantize.args[0]):
        return None
    q = PerTensor.of(dequantize.args[0])
    return dequantize if (q.qmin - q.zero_point) * q.scale < 0 else None


def float_input_for_signed_depthwise(program: ExportedProgram) -> int:
    """Bypass the quantize/dequantize pair of every depthwise convolution with a signed int8 input (in place);
    returns how many convolutions now take a float input."""
    graph = program.graph_module.graph
    count = 0
    for node in list(graph.nodes):
        dequantize = _signed_depthwise_input(node)
        if dequantize is None:
            continue
        quantize = dequantize.args[0]
        node.replace_input_with(dequantize, quantize.args[0])
        for pair_node in (dequantize, quantize):
            if not pair_node.users:
                graph.erase_node(pair_node)
        count += 1
    if count:
        program.graph_module.recompile()
    return count
