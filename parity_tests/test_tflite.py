"""TFLite-specific checks: the layout rules, what the written flatbuffer contains, and its errors.

Parity of every spec op and zoo model on TFLite runs in the shared backend-parametrized tests.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

import xport
from xport.preprocess import PreprocessSpec, fuse_preprocessing

from .helpers import export_verified, require_backend, seeded, x3d_int8_artifact

CLIP = (1, 3, 4, 16, 16)


@pytest.fixture(autouse=True)
def _needs_litert():
    require_backend("tflite")


def _ops(artifact: xport.Artifact, delegated: bool = False) -> list[str]:
    """The model's ops; ``delegated``: after XNNPACK took its partitions (each one a DELEGATE op)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(artifact.path))
    if delegated:
        interpreter.allocate_tensors()
    return [op["op_name"] for op in interpreter._get_ops_details()]


def test_reshape_layout_rules():
    from xport.backends.tflite.layout import after_permute, after_reshape, channels_last

    ntchw_stored_nthwc = after_permute(channels_last(5), [0, 2, 1, 3, 4])  # x.permute(0, 2, 1, 3, 4) of NTHWC
    assert ntchw_stored_nthwc == (0, 1, 3, 4, 2)
    # Taps fold frames into the batch: free on NTHWC, and lands as NHWC.
    assert after_reshape((2, 4, 8, 5, 5), ntchw_stored_nthwc, (8, 8, 5, 5)) == (0, 2, 3, 1)
    # A 1×1×1 conv's (N, C, T·H, W) view is free too.
    assert after_reshape((2, 8, 4, 5, 5), channels_last(5), (2, 8, 20, 5), [channels_last(4)]) == (0, 2, 3, 1)
    # The banded (N, C·T, H, W) view would need channels stored before time: not free.
    assert after_reshape((2, 8, 4, 5, 5), channels_last(5), (2, 32, 5, 5)) is None
    # Size-1 axes go where the preferred layout puts them.
    assert after_reshape((1, 8, 1, 1, 1), channels_last(5), (1, 8)) == (0, 1)


def test_video_model_stores_channels_last_with_one_transpose(tiny_model, tmp_path):
    artifact, _ = export_verified(tiny_model, (seeded(CLIP),), "tflite", tmp_path)
    ops = _ops(artifact)
    # Only the NCTHW input is transposed once; every conv3d lowering in between is a free view.
    assert ops.count("TRANSPOSE") == 1 == artifact.manifest.extra["tflite_transposes"]
    assert "DEPTHWISE_CONV_2D" in ops and "CONV_2D" in ops


def test_channels_last_input_needs_no_transpose(tiny_model, tmp_path):
    artifact, _ = export_verified(tiny_model, (seeded(CLIP),), "tflite", tmp_path, input_layout="NTHWC")
    spec = artifact.manifest.inputs[0]
    assert (spec.layout, spec.shape) == ("NTHWC", (1, 4, 16, 16, 3))
    assert "TRANSPOSE" not in _ops(artifact)
    with pytest.raises(xport.InputSpecError, match=r"\[1, 4, 16, 16, 3\] \(NTHWC\)"):
        artifact.run(seeded(CLIP))
    reloaded = xport.load(artifact.path)
    assert reloaded.manifest.inputs[0].layout == "NTHWC"
    with pytest.raises(xport.XportError, match="input_layout='NCHTW'"):
        xport.export(tiny_model, seeded(CLIP), "tflite", tmp_path / "bad", input_layout="NCHTW")


def test_channels_last_layout_refuses_inputs_of_another_rank(tiny_model, tmp_path):
    # Fused preprocessing takes frames (T, H, W, 3), channels last already: NTHWC once moved its H axis to the end.
    fused, frames = fuse_preprocessing(tiny_model, PreprocessSpec.from_card(tiny_model.default_cfg))
    with pytest.raises(xport.XportError, match=r"input_layout='NTHWC' is for 5-D inputs, but input '\w+' has "
                                               r"shape \[4, 64, 64, 3\]"):
        xport.export(fused, frames, "tflite", tmp_path / "out", input_layout="NTHWC")
    assert not (tmp_path / "out").exists()


def test_activation_fused_into_conv(tmp_path):
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU6(), nn.Conv2d(8, 8, 3, groups=8), nn.ReLU()).eval()
    artifact, _ = export_verified(model, (seeded((1, 3, 12, 12)),), "tflite", tmp_path)
    ops = _ops(artifact)
    assert ops.count("CONV_2D") == 1 and ops.count("DEPTHWISE_CONV_2D") == 1
    assert not {"RELU", "RELU6"} & set(ops), ops


class TwoConvsOfOneInput(nn.Module):
    """Two convs pad the same input alike (as the taps of a streamed temporal conv do)."""

    def __init__(self, padding):
        super().__init__()
        self.a, self.b = nn.Conv2d(3, 4, 3, padding=padding), nn.Conv2d(3, 4, 3, padding=padding)

    def forward(self, x):
        return self.a(x) + self.b(x)


@pytest.mark.parametrize("padding, expected_pad_ops", [(1, 0), ((2, 0), 1)], ids=["same", "explicit"])
def test_conv_padding_as_same_or_one_shared_pad(padding, expected_pad_ops, tmp_path):
    artifact, _ = export_verified(TwoConvsOfOneInput(padding).eval(), (seeded((1, 3, 9, 9)),), "tflite", tmp_path)
    assert _ops(artifact).count("PAD") == expected_pad_ops


def test_fp16_stores_half_weights(tiny_model, tmp_path):
    fp32 = xport.export(tiny_model, seeded(CLIP), "tflite", tmp_path / "fp32")
    fp16, report = export_verified(tiny_model, (seeded(CLIP),), "tflite", tmp_path / "fp16", precision="fp16")
    assert fp16.manifest.precision == "fp16" and "DEQUANTIZE" in _ops(fp16)
    # The weights halve; both files also carry the same manifest (with the node map, a few KB on this tiny model).
    def weights(artifact):
        return artifact.size_bytes - len(artifact.manifest.to_json().encode())

    assert weights(fp16) < 0.6 * weights(fp32)
    assert report.sqnr_db > 50


def test_grouped_conv2d(tmp_path):
    export_verified(nn.Conv2d(8, 12, 3, groups=4, padding=1).eval(), (seeded((1, 8, 10, 10)),), "tflite", tmp_path)


def test_signature_and_operator_list(tiny_model, tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    artifact = xport.export(tiny_model, seeded(CLIP), "tflite", tmp_path)
    signature = Interpreter(model_path=str(artifact.path)).get_signature_list()["serving_default"]
    assert signature["inputs"] == [artifact.manifest.inputs[0].name]
    assert signature["outputs"] == [artifact.manifest.outputs[0].name]
    listed = (tmp_path / "model.operators.txt").read_text().split("\n", 1)[1].split()
    assert sorted(set(_ops(artifact)) - {"DELEGATE"}) == listed


def test_transposed_conv_is_named_with_module_path(tmp_path):
    model = nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(3, 4, 3)).eval()
    with pytest.raises(xport.UnsupportedOpError) as info:
        xport.export(model, seeded((1, 3, 8, 8)), "tflite", tmp_path / "out")
    text = str(info.value)
    assert "conv" in text and "module '1'" in text and "Fix:" in text
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_writer_error_names_op_and_leaves_nothing(tmp_path):
    # Averaging only real elements with padding PyTorch's way has no TFLite form (SAME pads differently).
    model = nn.Sequential(nn.Identity(), nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)).eval()
    with pytest.raises(xport.UnsupportedOpError) as info:
        xport.export(model, seeded((1, 3, 8, 8)), "tflite", tmp_path / "out")
    text = str(info.value)
    assert "avg_pool" in text and "count_include_pad=True" in text
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_file_without_manifest_is_rejected(tmp_path):
    from xport.backends.tflite.flatbuffer import ModelWriter

    writer = ModelWriter()
    x = writer.tensor("x", (1, 4))
    y = writer.tensor("y", (1, 4))
    writer.op(xport.backends.tflite.flatbuffer.BuiltinOperator.RELU, [x], [y])
    path = tmp_path / "foreign.tflite"
    path.write_bytes(writer.finish([("x", x)], [("y", y)], "not from xport"))
    with pytest.raises(xport.ModelFormatError, match="no xport manifest"):
        xport.load(path)


def test_tail_truncation_is_caught(tiny_model, tmp_path):
    artifact = xport.export(tiny_model, seeded(CLIP), "tflite", tmp_path / "ok")
    cut = tmp_path / "cut.tflite"
    cut.write_bytes(artifact.path.read_bytes()[:-8])
    with pytest.raises(xport.ModelFormatError, match="corrupt or modified"):
        xport.load(cut)


def test_batch_of_two_and_broadcast_gate(tmp_path):
    class Gate(nn.Module):  # squeeze-excitation-style gate over a batch of two clips
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv3d(4, 4, (3, 3, 3), padding=1, groups=4)

        def forward(self, x):
            y = self.conv(x)
            return y * torch.sigmoid(y.mean(dim=(2, 3, 4), keepdim=True)) + x[:, :, :1]

    export_verified(Gate().eval(), (seeded((2, 4, 5, 6, 6)),), "tflite", tmp_path)


def _flatbuffer(artifact: xport.Artifact):
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT.InitFromPackedBuf(artifact.path.read_bytes(), 0)
    codes = [xport.backends.tflite.flatbuffer.op_name(model.operatorCodes[op.opcodeIndex].builtinCode)
             for op in model.subgraphs[0].operators]
    return model, schema, list(zip(codes, model.subgraphs[0].operators))


def test_int8_x3d_is_int8_tensors_in_one_xnnpack_graph(exports):
    """X3D-XS at int8 (initial weights; the ARM stage's file): int8 tensors with TFLite's quantization parameters,
    not fake quantization.

    Every conv reads and writes int8 with per-channel int8 filters (zero point 0) and int32 biases at scale input
    scale × filter scale, but those on pooled vectors (squeeze-excitation), which stay float by design; every relu
    is fused into its conv; the whole graph is one XNNPACK partition.
    """
    model, artifact = x3d_int8_artifact(exports, "tflite")
    xport.verify(model, artifact)  # raises ParityError with the report
    flatbuffer, schema, ops = _flatbuffer(artifact)
    tensors = flatbuffer.subgraphs[0].tensors
    all_convs = [op for code, op in ops if code in ("CONV_2D", "DEPTHWISE_CONV_2D")]
    convs = [op for op in all_convs if tensors[op.inputs[1]].type == schema.TensorType.INT8]
    islands = artifact.manifest.extra["int8"]["float_islands"]
    assert len(convs) == artifact.manifest.extra["int8"]["quantized_ops"]["conv"]
    assert len(all_convs) - len(convs) == islands["conv on a pooled vector"] > 0
    for op in convs:
        x, w, b, y = (tensors[i] for i in (*op.inputs, *op.outputs))
        assert (x.type, w.type, b.type, y.type) == (schema.TensorType.INT8,) * 2 + (schema.TensorType.INT32,
                                                                                  schema.TensorType.INT8)
        channels = w.shape[w.quantization.quantizedDimension]
        assert len(w.quantization.scale) == channels and not any(w.quantization.zeroPoint)
        torch.testing.assert_close(torch.tensor(b.quantization.scale),
                                   torch.tensor(x.quantization.scale[0] * w.quantization.scale), rtol=1e-6, atol=0)
    codes = [code for code, _ in ops]
    assert "RELU" not in codes and codes.count("QUANTIZE") == codes.count("DEQUANTIZE")
    # Float islands only: the SE gate (mean, its convs and relu on the pooled vector, sigmoid) and the head; swish
    # is int8 LOGISTIC + MUL. A split graph would show more than one DELEGATE node.
    assert _ops(artifact, delegated=True).count("DELEGATE") == 1
    assert set(islands) == {"mean", "sigmoid", "linear (model output)", "conv on a pooled vector",
                            "relu on a pooled vector"}
    int8_gates = [tensors[op.outputs[0]] for code, op in ops
                  if code == "LOGISTIC" and tensors[op.outputs[0]].type == schema.TensorType.INT8]
    assert len(int8_gates) == artifact.manifest.extra["int8"]["quantized_ops"]["silu"] > 0
    # LiteRT's int8 LOGISTIC writes [0, 1) at a fixed scale and zero point, and its kernels assume them.
    assert all((g.quantization.scale[0], g.quantization.zeroPoint[0]) == (1 / 256, -128) for g in int8_gates)


def test_int8_standalone_relu_and_zero_padding_keep_their_numbers(tmp_path):
    """A relu no conv can absorb, an int8 add with its relu, and a cat of zero frames (time padding) in int8."""

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(8, 8, 1)

        def forward(self, x):
            y = self.a(x)
            z = torch.relu(self.b(torch.relu(y)) + y)  # y feeds two ops: its relu stays standalone
            zeros = torch.zeros(1, 8, 2, 8)
            return torch.cat([zeros, z, zeros], dim=2).mean(dim=(2, 3))

    model = Block().eval()
    clips = [seeded((1, 3, 8, 8), seed) for seed in range(8)]
    artifact, _ = export_verified(model, (clips[0],), "tflite", tmp_path, precision="int8", calibration=clips)
    codes = [code for code, _ in _flatbuffer(artifact)[2]]
    assert codes.count("PAD") == 1 and codes.count("ADD") == 1
    assert artifact.manifest.extra["int8"]["quantized_ops"] == {"conv": 2, "relu": 1, "add": 1}
