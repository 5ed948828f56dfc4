"""Where int8 rounds, and what it gives back: quantizer placement per backend and bias correction (xport.quant)."""

from __future__ import annotations

import json
import logging

import torch
from torch import nn

import xport.quant
from xport.quant.flow import int8_plan, plan_key


class _SqueezeBlock(nn.Module):
    """conv → relu → conv, a residual add, and a squeeze-excitation gate on the pooled vector."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Conv3d(3, 16, (1, 3, 3), padding=(0, 1, 1)), nn.Conv3d(16, 16, 1)
        self.se = nn.Sequential(nn.AdaptiveAvgPool3d(1), nn.Conv3d(16, 4, 1), nn.ReLU(), nn.Conv3d(4, 16, 1),
                                nn.Sigmoid())
        self.head = nn.Linear(16, 5)

    def forward(self, x):
        y = torch.relu(self.a(x))
        y = torch.relu(self.b(y) + y)
        y = y * self.se(y)
        return self.head(y.mean(dim=(2, 3, 4)))


def _clips(count: int) -> list[tuple[torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    return [(torch.randn(1, 3, 2, 8, 8, generator=g),) for _ in range(count)]


def _program(backend: str, calibration: xport.quant.Calibration):
    torch.manual_seed(0)
    model = _SqueezeBlock().eval()
    planned, caps = int8_plan(model, calibration.inputs[0], backend)
    return model, planned, caps, plan_key(planned, backend)


def _quantized_edges(program) -> list[tuple[str, str]]:
    """(producer, consumer) ops around every quantize → dequantize pair of activations."""
    edges = []
    for node in program.graph.nodes:
        if node.op == "call_function" and node.target.__name__.startswith("quantize_per_tensor"):
            producer = node.args[0]
            for dq in node.users:
                edges += [(str(producer.target), str(user.target)) for user in dq.users]
    return edges


def test_openvino_rounds_only_the_inputs_of_conv_and_add_and_xnnpack_rounds_outputs():
    calibration = xport.quant.Calibration.from_data(_clips(8), _clips(1)[0])
    for backend, inputs_only in (("openvino", True), ("tflite", False)):
        model, planned, caps, key = _program(backend, calibration)
        program, info = xport.quant.quantize(planned, caps, calibration, key)
        edges = _quantized_edges(program)
        consumers = {consumer for _, consumer in edges}
        assert "aten.convolution.default" in consumers, edges
        if inputs_only:  # NNCF's placement: conv and add inputs only; the gating mul reads float
            assert consumers == {"aten.convolution.default", "aten.add.Tensor"}, edges
        else:  # int8 flows from kernel to kernel: the gating mul is int8 too
            assert "aten.mul.Tensor" in consumers, edges
        # The squeeze-excitation convs and their relu work on one vector per clip: float on every backend.
        assert info.float_islands["conv on a pooled vector"] == 2 and info.quantized["conv"] == 2, info


def test_bias_correction_takes_back_the_mean_int8_rounding_adds():
    """Per output channel, the int8 conv's mean error on the calibration clips is (almost) gone once corrected."""
    calibration = xport.quant.Calibration.from_data(_clips(16), _clips(1)[0])
    model, planned, caps, key = _program("tflite", calibration)

    def first_conv_outputs(module: torch.fx.GraphModule) -> torch.Tensor:
        conv = next(n for n in module.graph.nodes if n.target == torch.ops.aten.convolution.default)
        outputs = []
        for clip in calibration.inputs:
            interpreter = torch.fx.Interpreter(module, garbage_collect_values=False)
            with torch.no_grad():
                interpreter.run(*clip)
            outputs.append(interpreter.env[conv])
        return torch.cat(outputs)

    reference = first_conv_outputs(planned.module())

    def mean_channel_error() -> tuple[float, int]:
        program, info = xport.quant.quantize(planned, caps, calibration, key)
        error = (reference - first_conv_outputs(program.module())).transpose(0, 1).flatten(1).mean(1)
        return float(error.abs().max()), info.bias_corrected

    corrected, count = mean_channel_error()
    assert count == 2  # the two convs on full tensors; the squeeze-excitation convs stay float
    shifts = calibration.bias_shifts.pop(key)
    assert any(abs(v) > 0 for layer in shifts.values() for v in layer)
    uncorrected, count = mean_channel_error()
    assert count == 0
    assert corrected < 0.25 * uncorrected, (corrected, uncorrected)


def test_a_calibration_saved_before_bias_correction_still_exports_uncorrected(tmp_path, caplog):
    calibration = xport.quant.Calibration.from_data(_clips(8), _clips(1)[0])
    model, planned, caps, key = _program("openvino", calibration)
    xport.quant.quantize(planned, caps, calibration, key)  # records ranges and shifts
    saved = json.loads(calibration.save(tmp_path / "new.json").read_text())
    assert saved["bias_shifts"][key]
    del saved["bias_shifts"]
    (tmp_path / "old.json").write_text(json.dumps(saved))
    old = xport.quant.Calibration.load(tmp_path / "old.json")
    with caplog.at_level(logging.INFO, logger="xport"):
        _, info = xport.quant.quantize(planned, caps, old, key)
    assert info.bias_corrected == 0 and "calibrate again for bias correction" in caplog.text
    _, info = xport.quant.quantize(planned, caps, xport.quant.Calibration.load(tmp_path / "new.json"), key)
    assert info.bias_corrected == 2
