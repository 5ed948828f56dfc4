"""int8 on every backend with an int8 path: a trained model, one calibration, accuracy gates, bad input.

The model is tiny_video_cnn trained to tell the direction a bright square moves in (shipped weights, made by
fixtures/train_direction_model.py), so int8 is judged on real, peaked logits and not on random weights.
"""

from __future__ import annotations

import pytest
import torch

import xport
import xport.quant
from xport.cli import main
from xport.efficient_ops import create_model
from xport.errors import InputSpecError, XportError
from xport.parity import sqnr_db

from .fixtures.train_direction_model import (
    DIRECTIONS,
    load_direction_model,
    load_direction_transformer,
    moving_squares,
)
from .helpers import require_backend, saturating_int8_x86

INT8_BACKENDS = [b.name for b in xport.backends.all_backends() if "int8" in b.caps.precisions]
# Export options a backend's int8 needs (Core ML's quantize/dequantize ops arrive with iOS 17).
INT8_OPTIONS = {"coreml": {"minimum_deployment_target": "iOS17"}}


@pytest.fixture(scope="module")
def trained():
    """The shipped direction model (see fixtures/train_direction_model.py): (model, calibration, test clips, labels).

    Calibration clips come from the training split, the judged clips from a held-out split.
    """
    model = load_direction_model()
    train_x, _ = moving_squares(512, seed=1)
    test_x, test_y = moving_squares(96, seed=2)
    with torch.no_grad():
        accuracy = float((model(test_x).argmax(1) == test_y).float().mean())
    assert accuracy > 0.9, f"the shipped model no longer solves its task ({accuracy:.2f}); retrain it"
    return model, [train_x[i:i + 1] for i in range(16)], test_x, test_y


@pytest.fixture(scope="module")
def calibration(trained):
    model, clips, _, _ = trained
    available = [b for b in INT8_BACKENDS if xport.backends.get(b).is_available()[0]]
    return xport.quant.calibrate(model, clips, backends=available, options=INT8_OPTIONS)


@pytest.mark.parametrize("backend_name", INT8_BACKENDS)
def test_int8_holds_accuracy_on_held_out_clips(backend_name, trained, calibration, tmp_path):
    require_backend(backend_name)
    if backend_name in ("onnx", "openvino") and saturating_int8_x86():
        pytest.skip(saturating_int8_x86())
    model, _, test_x, test_y = trained
    artifact = xport.export(model, test_x[:1], backend_name, tmp_path, "int8", calibration=calibration,
                            **INT8_OPTIONS.get(backend_name, {}))
    assert artifact.manifest.precision == "int8"
    with torch.no_grad():
        fp32 = model(test_x)
    int8 = torch.cat([artifact.run(test_x[i:i + 1]) for i in range(len(test_x))])
    gate = xport.backends.get(backend_name).spec.int8_gate
    agreement = float((int8.argmax(1) == fp32.argmax(1)).float().mean())
    assert sqnr_db(fp32, int8) >= gate.min_sqnr_db and agreement >= gate.min_top1, (sqnr_db(fp32, int8), agreement)
    accuracy_fp32 = float((fp32.argmax(1) == test_y).float().mean())
    accuracy_int8 = float((int8.argmax(1) == test_y).float().mean())
    assert accuracy_int8 >= accuracy_fp32 - 0.03
    # Never a silent precision change: the ops left in float are named, and travel inside the artifact.
    report = xport.load(artifact.path).manifest.extra["int8"]
    caps = xport.backends.get(backend_name).caps
    activations = {"silu", "sigmoid", "hardswish"}
    int8_kernels = {op for op in activations if "int8" in caps.ops[op].precisions}  # LiteRT's swish forms
    assert activations - int8_kernels <= set(report["float_islands"]) and int8_kernels <= set(report["quantized_ops"])
    assert sum(artifact.manifest.extra["int8"]["quantized_ops"].values()) > 10


# The gate for video transformers, on every int8 backend (its linears and, where the runtime has an int8
# matmul, its attention products in int8; layer norm, softmax and GELU stay float, decomposed or not).
TRANSFORMER_GATE = {"min_sqnr_db": 20.0, "min_top1": 0.98}


@pytest.fixture(scope="module")
def transformer():
    """The shipped direction transformer, its calibration on 16 training clips, and 96 held-out clips."""
    model = load_direction_transformer()
    train_x, _ = moving_squares(512, seed=1)
    test_x, test_y = moving_squares(96, seed=2)
    with torch.no_grad():
        accuracy = float((model(test_x).argmax(1) == test_y).float().mean())
    assert accuracy > 0.9, f"the shipped transformer no longer solves its task ({accuracy:.2f}); retrain it"
    available = [b for b in INT8_BACKENDS if xport.backends.get(b).is_available()[0]]
    calibration = xport.quant.calibrate(model, [train_x[i:i + 1] for i in range(16)], backends=available,
                                        options=INT8_OPTIONS)
    return model, calibration, test_x


@pytest.mark.parametrize("backend_name", INT8_BACKENDS)
def test_int8_transformer_holds_accuracy(backend_name, transformer, tmp_path):
    require_backend(backend_name)
    model, calibration, test_x = transformer
    artifact = xport.export(model, test_x[:1], backend_name, tmp_path, "int8", calibration=calibration,
                            **INT8_OPTIONS.get(backend_name, {}))
    with torch.no_grad():
        fp32 = model(test_x)
    int8 = torch.cat([artifact.run(test_x[i:i + 1]) for i in range(len(test_x))])
    sqnr, agreement = sqnr_db(fp32, int8), float((int8.argmax(1) == fp32.argmax(1)).float().mean())
    assert sqnr >= TRANSFORMER_GATE["min_sqnr_db"] and agreement >= TRANSFORMER_GATE["min_top1"], (sqnr, agreement)
    report = xport.load(artifact.path).manifest.extra["int8"]
    assert report["quantized_ops"]["linear"] == 8  # every linear of the two encoder layers (the head stays float)
    islands = set(report["float_islands"])
    assert {"layer_norm", "layer_norm (decomposed)"} & islands and "gelu" in islands, islands
    if backend_name == "openvino":
        assert report["quantized_ops"]["matmul"] == 4  # q·kᵀ and p·v of both layers


def test_saved_calibration_gives_the_same_artifact_numbers(trained, calibration, tmp_path):
    require_backend("onnx")
    model, _, test_x, _ = trained
    path = calibration.save(tmp_path / "calibration.json")
    loaded = xport.quant.Calibration.load(path)
    assert not loaded.inputs and loaded.ranges == calibration.ranges
    a = xport.export(model, test_x[:1], "onnx", tmp_path / "a", "int8", calibration=calibration, ort_format=False)
    b = xport.export(model, test_x[:1], "onnx", tmp_path / "b", "int8", calibration=str(path), ort_format=False)
    assert torch.equal(a.run(test_x[:1]), b.run(test_x[:1]))


def test_loaded_calibration_without_the_backend_says_how_to_fix(trained, tmp_path):
    require_backend("onnx")
    model, clips, test_x, _ = trained
    only_onnx = xport.quant.calibrate(model, clips[:4], backends=["onnx"])
    loaded = xport.quant.Calibration.load(only_onnx.save(tmp_path / "c.json"))
    require_backend("openvino")
    with pytest.raises(XportError, match=r"no ranges for openvino.*backends=\['openvino'\]"):
        xport.export(model, test_x[:1], "openvino", tmp_path / "ov", "int8", calibration=loaded)


def test_block_report_finds_where_int8_hurts(trained, calibration):
    model, clips, _, _ = trained
    errors = xport.quant.block_report(model, clips[0], "onnx", calibration)
    assert len(errors) >= 4 and all(e.block for e in errors)
    assert all(e.sqnr_db > 10 for e in errors), [str(e) for e in errors]
    assert errors[0].block.startswith("stem") and errors[0].sqnr_db > errors[-1].sqnr_db  # error accumulates


def test_max_drop_keeps_the_worst_blocks_in_float_or_says_it_cannot(tmp_path):
    require_backend("onnx")
    model = torch.nn.Sequential(torch.nn.Conv3d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv3d(8, 8, 1),
                                torch.nn.ReLU(), torch.nn.Conv3d(8, 4, 1), torch.nn.Flatten(1), torch.nn.Linear(256, 4))
    torch.manual_seed(0)
    clips = [torch.randn(1, 3, 4, 4, 4) for _ in range(4)]
    calibration = xport.quant.calibrate(model.eval(), clips, backends=["onnx"])
    with pytest.raises(XportError, match="even with every block in float"):
        xport.export(model, clips[0], "onnx", tmp_path / "a", "int8", calibration=calibration, max_drop=-1.0)
    planned, caps = xport.quant.flow.int8_plan(model, (clips[0],), "onnx")
    program, info, errors = xport.quant.quantize_within_budget(planned, caps, calibration, max_drop=1.0)
    assert info.float_modules == [] and {"0", "2", "4"} <= {e.block for e in errors}


def _deep_model() -> torch.nn.Module:
    """Six conv blocks (block names "0" … "5") and the head: more than a two-step max_drop search can keep float."""
    torch.manual_seed(0)
    layers = [torch.nn.Conv3d(3, 8, 1)] + [torch.nn.Conv3d(8, 8, 1) for _ in range(5)]
    return torch.nn.Sequential(*layers, torch.nn.Flatten(1), torch.nn.Linear(8 * 64, 4)).eval()


def test_max_drop_search_is_bounded_reports_its_path_and_saves_the_calibration_first(tmp_path, monkeypatch):
    require_backend("onnx")
    model = _deep_model()
    clips = [torch.randn(1, 3, 4, 4, 4) for _ in range(8)]
    calibration = xport.quant.Calibration.from_data(clips, (clips[0],))
    saved = calibration.save_as_recorded(tmp_path / "calib.json")
    monkeypatch.setattr(xport.quant.flow, "MAX_SEARCH_STEPS", 2)
    with pytest.raises(XportError, match=r"after 2 search steps \(0 in float: drop .*; 1 in float: drop .*; "
                                         r"2 in float: drop"):
        xport.export(model, clips[0], "onnx", tmp_path / "a", "int8", calibration=calibration, max_drop=-1.0)
    assert not (tmp_path / "a").exists()
    assert xport.quant.Calibration.load(saved).ranges  # measured before the search began, kept after it failed
    planned, caps = xport.quant.flow.int8_plan(model, (clips[0],), "onnx")
    _, info, _ = xport.quant.quantize_within_budget(planned, caps, calibration, max_drop=1.0)
    assert info.summary()["max_drop_search"] == info.search and [s["float_blocks"] for s in info.search] == [[]]


def test_calibration_warns_about_too_few_or_constant_clips(caplog):
    clip = torch.randn(1, 3, 4, 8, 8)
    with caplog.at_level("WARNING", logger="xport"):
        xport.quant.Calibration.from_data([clip] * 3, (clip,))
        xport.quant.Calibration.from_data([torch.zeros_like(clip)] + [torch.randn_like(clip) for _ in range(8)],
                                          (clip,))
        xport.quant.Calibration.from_data([torch.randn_like(clip) for _ in range(8)], (clip,))
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 3, messages
    assert "3 clip(s)" in messages[0] and "fewer than 8" in messages[0]
    assert "all 3 calibration clips are the same clip" in messages[1]
    assert "clip(s) 0 are constant" in messages[2]


def test_bad_int8_requests(trained, tmp_path):
    model, clips, test_x, _ = trained
    with pytest.raises(XportError, match="needs calibration data"):
        xport.export(model, test_x[:1], "onnx", tmp_path / "a", "int8")
    with pytest.raises(InputSpecError, match=r"expected shape \[1, 3, 4, 64, 64\], got \[1, 3, 4, 32, 32\]"):
        xport.export(model, test_x[:1], "onnx", tmp_path / "b", "int8", calibration=[torch.zeros(1, 3, 4, 32, 32)])
    with pytest.raises(XportError, match="needs calibration data"):
        xport.export(model, test_x[:1], "onnx", tmp_path / "d", "int8", calibration=[])
    assert not any(tmp_path.iterdir())


def test_cli_int8_needs_calibration(capsys, tmp_path):
    assert main(["-q", "export", "tiny_video_cnn", "--backend", "onnx", "--precision", "int8",
                 "--out", str(tmp_path)]) == 2
    assert "--calibration" in capsys.readouterr().err


def _fake_quantizers(graph: torch.fx.GraphModule) -> int:
    """Quantization points PT2E put in the graph (its observer / fake-quantize modules)."""
    return sum("activation_post_process" in name for name, _ in graph.named_modules())


def test_qat_follows_the_export_options():
    """QAT fake-quantizes where the int8 export would: Core ML has int8 ops only from iOS 17 (its settings decide)."""
    x = torch.randn(2, 3, 4, 64, 64)
    model = create_model("tiny_video_cnn", num_classes=DIRECTIONS)
    assert _fake_quantizers(xport.quant.prepare_qat(model, x, "coreml")) == 0  # iOS 16: no int8 op at all
    ios17 = xport.quant.prepare_qat(model, x, "coreml", {"minimum_deployment_target": "iOS17"})
    assert _fake_quantizers(ios17) >= _fake_quantizers(xport.quant.prepare_qat(model, x, "onnx")) > 10


def test_qat_graph_trains_and_converts(trained):
    model, clips, test_x, test_y = trained
    x, y = test_x[:16], test_y[:16]
    qat = xport.quant.prepare_qat(create_model("tiny_video_cnn", num_classes=DIRECTIONS), x)  # shapes of x
    optimizer = torch.optim.SGD(qat.parameters(), lr=1e-2)
    losses = []
    for _ in range(5):
        loss = torch.nn.functional.cross_entropy(qat(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    int8 = xport.quant.convert_qat(qat)
    targets = {str(n.target) for n in int8.graph.nodes}
    assert any("quantize_per_tensor" in t for t in targets)
