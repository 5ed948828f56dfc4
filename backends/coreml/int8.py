"""int8 for Core ML: the QDQ program of ``xport.quant`` → ML Program ``quantize``/``dequantize`` ops (iOS 17+).

coremltools' torch frontend converts PT2E's ``quantized_decomposed`` ops itself: ``quantize_per_tensor`` becomes
MIL ``quantize``, ``dequantize_*`` of an activation becomes ``dequantize``, and ``dequantize_per_channel`` of a
constant int8 weight becomes a constexpr weight (``constexpr_affine_dequantize``, iOS 18:
``constexpr_blockwise_shift_scale``), stored as int8 in the package. This module checks the forms it converts
before conversion (anything else would fail deep inside coremltools, or worse, be folded into float weights) and
that the converted program really quantizes, so an int8 package never silently computes in float.
"""

from __future__ import annotations

from collections import Counter

import torch
from torch.export import ExportedProgram

from xport._warnings import quiet_export
from xport.errors import XportError
from xport.quant.qdq import DEQUANTIZE, DEQUANTIZE_PER_CHANNEL, NAMESPACE, QUANTIZE, dtype_of, qdq_op

# The QDQ ops coremltools converts, with the integer types MIL quantize/dequantize take.
_CONVERTED = {QUANTIZE, DEQUANTIZE, DEQUANTIZE_PER_CHANNEL}
_DTYPES = (torch.int8, torch.uint8)
_WEIGHT_OPS = ("constexpr_affine_dequantize", "constexpr_blockwise_shift_scale")


def qdq_program(program: ExportedProgram) -> ExportedProgram:
    """The QDQ program in the ATen dialect coremltools converts, every QDQ node checked to be one it converts.

    Raises :class:`XportError` naming the node otherwise (e.g. an int32 bias, dynamic quantization, 4-bit).
    """
    with quiet_export():
        program = program.run_decompositions({})  # xport.quant gives the training dialect; keeps QDQ ops as they are
    for node in program.graph.nodes:
        name = qdq_op(node)
        if name is None:
            continue
        if name not in _CONVERTED:
            raise XportError(f"node '{node.name}' ({NAMESPACE}.{name}) has no Core ML form: xport's Core ML int8 takes "
                             "static per-tensor activations and per-channel weights (quantize_per_tensor, "
                             "dequantize_per_tensor, dequantize_per_channel)")
        dtype = dtype_of(node)
        if dtype not in _DTYPES:
            hint = (" (a quantized bias: the Core ML caps need Int8Scheme(bias='float'))"
                    if dtype == torch.int32 else "")
            raise XportError(f"node '{node.name}' ({NAMESPACE}.{name}) quantizes to {dtype}{hint}; Core ML's "
                             "quantize/dequantize take int8 and uint8 only")
        # MIL quantize clips to the whole range of its type: a narrower range (e.g. [-127, 127]) would round
        # differently at its ends. dequantize does not clip, so weights may use any range.
        info = torch.iinfo(dtype)
        qmin, qmax = node.args[3], node.args[4]
        if name.startswith("quantize") and (qmin, qmax) != (info.min, info.max):
            raise XportError(f"node '{node.name}' ({NAMESPACE}.{name}) clips {dtype} to [{qmin}, {qmax}]; Core ML's "
                             f"quantize clips to the whole range [{info.min}, {info.max}] only")
    return program


def qdq_counts(program: ExportedProgram) -> Counter[str]:
    """How many QDQ nodes of each kind the program has (``quantize_per_tensor`` → count)."""
    return Counter(name.split(".")[0] for name in map(qdq_op, program.graph.nodes) if name is not None)


def check_converted(qdq: Counter[str], mil_ops: dict[str, int]) -> dict[str, int]:
    """The int8 summary of the converted program; raises if quantization was lost in conversion."""
    summary = {"quantize": mil_ops.get("quantize", 0), "dequantize": mil_ops.get("dequantize", 0),
               "int8_weights": sum(mil_ops.get(op, 0) for op in _WEIGHT_OPS)}
    if qdq["quantize_per_tensor"] and not summary["quantize"]:
        raise XportError(f"coremltools dropped the int8 activations: {qdq['quantize_per_tensor']} quantize nodes "
                         "became no MIL quantize op")
    if qdq["dequantize_per_channel"] and not summary["int8_weights"]:
        raise XportError(f"coremltools dropped the int8 weights: {qdq['dequantize_per_channel']} per-channel weights "
                         "became no constexpr weight")
    return summary
