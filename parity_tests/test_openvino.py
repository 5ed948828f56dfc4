"""OpenVINO specifics: reduced precisions, the .xml/.bin pair, and devices."""

from __future__ import annotations

import shutil

import pytest

import xport
from xport.efficient_ops import create_model

from .helpers import randomise_batch_norm, require_backend, seeded, zoo_artifact


@pytest.fixture(autouse=True)
def _needs_openvino():
    require_backend("openvino")


@pytest.fixture(scope="module")
def x3d_xs():
    return randomise_batch_norm(create_model("efficient_x3d_xs"))


@pytest.mark.parametrize("precision", ["fp32", "bf16", "fp16"])
def test_precisions_on_x3d_xs(precision, exports):
    x3d_xs, artifact = zoo_artifact(exports, "efficient_x3d_xs", "openvino", precision)  # fp32: test_zoo's file
    report = xport.verify(x3d_xs, artifact, strict=False)
    assert report.passed, str(report)
    assert artifact.precision == precision
    ran = artifact.runtime.rsplit(", ", 1)[1].rstrip(")")
    assert ran in {"fp32", "bf16", "fp16"}  # what the plugin actually ran is reported
    if precision == "fp32":
        assert ran == "fp32"
    if precision == "bf16":  # CPUs without bf16 arithmetic (AVX2-only x86) run it in fp32, and say so
        import openvino as ov  # only once the backend is known to be installed

        native = "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
        assert ran == ("bf16" if native else "fp32")
    if precision == "fp32":
        assert report.max_rel < 1e-5


def test_fp16_artifact_stores_half_size_weights(exports):
    _, fp32 = zoo_artifact(exports, "efficient_x3d_xs", "openvino")
    _, fp16 = zoo_artifact(exports, "efficient_x3d_xs", "openvino", "fp16")
    assert fp16.size_bytes < 0.6 * fp32.size_bytes
    assert fp32.size_bytes > 15e6  # the .bin is counted, not only the .xml


@pytest.fixture(scope="module")
def ir(tmp_path_factory):
    model = create_model("tiny_video_cnn")
    return xport.export(model, model.default_cfg.example_input(), "openvino", tmp_path_factory.mktemp("ir"))


def test_missing_bin(ir, tmp_path):
    shutil.copy(ir.path, tmp_path / "model.xml")
    with pytest.raises(xport.ModelFormatError, match=r"weights file model.bin is missing"):
        xport.load(tmp_path / "model.xml")


def test_corrupt_bin(ir, tmp_path):
    shutil.copy(ir.path, tmp_path / "model.xml")
    data = ir.path.with_suffix(".bin").read_bytes()
    (tmp_path / "model.bin").write_bytes(data[: len(data) // 3])
    with pytest.raises(xport.ModelFormatError, match="model.xml"):
        xport.load(tmp_path / "model.xml")


def test_absent_device_is_reported(tmp_path):
    model = create_model("tiny_video_cnn")
    artifact = xport.export(model, model.default_cfg.example_input(), "openvino", tmp_path, device="NPU")
    with pytest.raises(xport.BackendUnavailableError, match=r"device 'NPU' is not present here \(present: CPU"):
        artifact.run(seeded((1, 3, 4, 64, 64)))


def test_loaded_artifact_knows_its_files(ir):
    loaded = xport.load(ir.path)
    assert loaded.companions == (ir.path.with_suffix(".bin"),)
    assert loaded.size_bytes == ir.size_bytes
    assert xport.verify(create_model("tiny_video_cnn"), loaded).passed


def test_everything_is_native_on_openvino(x3d_xs):
    report = xport.check(x3d_xs, x3d_xs.default_cfg.example_input(), "openvino")["openvino"]
    assert report.ok and all(v.detail.startswith(("fold_batch_norm", "global_pool", "remove_noops"))
                             for v in report.of("decomposed"))


def test_int8_ir_runs_int8_kernels_and_compiles_with_default_settings(tmp_path):
    """Numbers that match are not proof of int8: the compiled model must name int8 kernels for its convolutions.
    And an app that compiles the IR with OpenVINO's defaults (no precision hint) must get the same model."""
    import openvino as ov

    from .fixtures.train_direction_model import load_direction_model, moving_squares

    model = load_direction_model()
    clips, _ = moving_squares(8, seed=1)
    calibration = [clips[i:i + 1] for i in range(8)]
    artifact = xport.export(model, clips[:1], "openvino", tmp_path, "int8", calibration=calibration)
    kernels = artifact.runner.kernels()
    convs = {kernel: n for (layer, kernel), n in kernels.items() if layer.endswith("Convolution")}
    int8 = sum(n for kernel, n in convs.items() if kernel.endswith("_I8"))
    # The plugin has int8 depthwise kernels for unsigned inputs only: the stem's temporal (5, 1, 1) depthwise conv,
    # whose input is signed, takes a float input (backends/openvino/int8.py); convs on pooled vectors (the
    # squeeze-excitation and the head) stay float by placement, as NNCF leaves them. The manifest counts both.
    islands = artifact.manifest.extra["int8"]["float_islands"]
    assert islands["depthwise conv with a signed input"] == 1
    assert int8 == sum(convs.values()) - 1 - islands["conv on a pooled vector"] > 0, kernels
    assert all(k.endswith("_I8") or "_f32" in k for k in convs), kernels
    core = ov.Core()
    for config in ({}, {"INFERENCE_PRECISION_HINT": "bf16"}):  # bf16: the default on CPUs that have it
        compiled = core.compile_model(str(artifact.path), "CPU", config)
        assert compiled.create_infer_request().infer([clips[:1].numpy()])[0].shape == (1, 4)
