"""Each runtime's own documented converter, as bench_peers.py builds it (in a child process: some crash).

One function per runtime and precision; ``out`` is the file to write, and ``PEERS`` names them for the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

Clips = list[torch.Tensor]


def onnx_fp32(model: torch.nn.Module, clip: torch.Tensor, calibration: Clips, out: Path) -> Path:
    torch.onnx.export(model, (clip,), str(out), external_data=False)
    return out


def onnx_int8(model: torch.nn.Module, clip: torch.Tensor, calibration: Clips, out: Path) -> Path:
    import onnx
    from onnxruntime import quantization as ortq

    fp32 = onnx_fp32(model, clip, calibration, out.with_name(f"{out.stem}_fp32.onnx"))
    # ONNX Runtime's docs run this pre-processing (shape inference, graph optimization) before static quantization.
    prepared = out.with_name(f"{out.stem}_preprocessed.onnx")
    ortq.quant_pre_process(str(fp32), str(prepared))
    name = onnx.load(str(prepared), load_external_data=False).graph.input[0].name

    class CalibrationClips(ortq.CalibrationDataReader):
        def __init__(self) -> None:
            self._feeds = iter([{name: c.numpy()} for c in calibration])

        def get_next(self) -> dict | None:
            return next(self._feeds, None)

    ortq.quantize_static(str(prepared), str(out), CalibrationClips(), quant_format=ortq.QuantFormat.QDQ,
                         per_channel=True, activation_type=ortq.QuantType.QInt8, weight_type=ortq.QuantType.QInt8)
    return out


def _openvino_model(model: torch.nn.Module, clip: torch.Tensor):
    import openvino as ov

    converted = ov.convert_model(model, example_input=clip)
    converted.reshape({converted.inputs[0]: list(clip.shape)})  # static, like xport's IR: same shapes compiled
    return converted


def _save_openvino(converted, out: Path) -> Path:
    import openvino as ov

    # Full-precision weights: save_model's default (fp16 weights) would make the file read, and run, as fp16.
    ov.save_model(converted, str(out), compress_to_fp16=False)
    return out


def openvino_fp32(model: torch.nn.Module, clip: torch.Tensor, calibration: Clips, out: Path) -> Path:
    return _save_openvino(_openvino_model(model, clip), out)


def openvino_int8(model: torch.nn.Module, clip: torch.Tensor, calibration: Clips, out: Path) -> Path:
    import nncf

    dataset = nncf.Dataset([c.numpy() for c in calibration])
    return _save_openvino(nncf.quantize(_openvino_model(model, clip), dataset), out)


def litert_fp32(model: torch.nn.Module, clip: torch.Tensor, calibration: Clips, out: Path) -> Path:
    import litert_torch

    litert_torch.convert(model, (clip,)).export(str(out))
    return out


def litert_int8(model: torch.nn.Module, clip: torch.Tensor, calibration: Clips, out: Path) -> Path:
    import litert_torch
    from litert_torch.quantize.pt2e_quantizer import PT2EQuantizer, get_symmetric_quantization_config
    from litert_torch.quantize.quant_config import QuantConfig
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    quantizer = PT2EQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=True,
                                                                             is_dynamic=False))
    prepared = prepare_pt2e(torch.export.export(model, (clip,)).module(), quantizer)
    for c in calibration:
        prepared(c)
    quantized = convert_pt2e(prepared, fold_quantize=False)  # litert-torch's docs: it folds them itself
    litert_torch.convert(quantized, (clip,), quant_config=QuantConfig(pt2e_quantizer=quantizer)).export(str(out))
    return out


def _write_pte(module: torch.nn.Module, clip: torch.Tensor, out: Path) -> Path:
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.exir import to_edge_transform_and_lower

    program = to_edge_transform_and_lower(torch.export.export(module, (clip,)),
                                          partitioner=[XnnpackPartitioner()]).to_executorch()
    out.write_bytes(program.buffer)
    return out


def executorch_fp32(model: torch.nn.Module, clip: torch.Tensor, calibration: Clips, out: Path) -> Path:
    return _write_pte(model, clip, out)


def executorch_int8(model: torch.nn.Module, clip: torch.Tensor, calibration: Clips, out: Path) -> Path:
    from executorch.backends.xnnpack.quantizer import xnnpack_quantizer as xnnpack
    from executorch.kernels import quantized  # noqa: F401
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    # The import above registers ExecuTorch's quantized kernels (its examples do it): q/dq ops that XNNPACK does not
    # take (around a 3-D convolution) need them, else to_executorch fails with "Missing out variants".
    quantizer = xnnpack.XNNPACKQuantizer().set_global(xnnpack.get_symmetric_quantization_config(is_per_channel=True))
    prepared = prepare_pt2e(torch.export.export(model, (clip,)).module(), quantizer)
    for c in calibration:
        prepared(c)
    return _write_pte(convert_pt2e(prepared), clip, out)


@dataclass(frozen=True)
class Peer:
    """A runtime's own converter at one precision."""

    runtime: str  # the xport backend it is compared with
    precision: str
    tool: str  # as the table names it
    modules: tuple[str, ...]  # importable packages it needs
    build: Callable[[torch.nn.Module, torch.Tensor, Clips, Path], Path]
    suffix: str

    @property
    def key(self) -> str:
        return f"{self.runtime}:{self.precision}"


PEERS = {p.key: p for p in (
    Peer("onnx", "fp32", "torch.onnx.export", ("onnx", "onnxruntime"), onnx_fp32, ".onnx"),
    Peer("onnx", "int8", "quantize_static QDQ", ("onnx", "onnxruntime"), onnx_int8, ".onnx"),
    Peer("openvino", "fp32", "ov.convert_model", ("openvino",), openvino_fp32, ".xml"),
    Peer("openvino", "int8", "nncf.quantize", ("openvino", "nncf"), openvino_int8, ".xml"),
    Peer("tflite", "fp32", "litert_torch.convert", ("litert_torch",), litert_fp32, ".tflite"),
    Peer("tflite", "int8", "litert_torch PT2E", ("litert_torch", "torchao"), litert_int8, ".tflite"),
    Peer("executorch", "fp32", "XnnpackPartitioner", ("executorch",), executorch_fp32, ".pte"),
    Peer("executorch", "int8", "XNNPACKQuantizer", ("executorch", "torchao"), executorch_int8, ".pte"),
)}
