"""App bundles: package → verify-bundle round trips in the real runtimes, model.json contents, and bad bundles."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pytest

from xport.cli import main
from xport.efficient_ops import create_model
from xport.errors import ModelFormatError, XportError
from xport.packaging import MODEL_JSON, ModelJson, kinetics_400, package, verify_bundle
from xport.preprocess import PreprocessSpec

from .helpers import require_backend
from .videos import moving_square

ROUND_TRIPS = [("android", "tflite"), ("android", "torchscript"), ("android", "executorch"), ("android", "onnx"),
               ("ios", "coreml"), ("ios", "torchscript"), ("ios", "executorch")]


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return moving_square(tmp_path_factory.mktemp("video") / "square.mp4")


@pytest.fixture(scope="module")
def prep(tiny_model):
    return PreprocessSpec.from_card(tiny_model.default_cfg, resize_short_side=72)


LABELS = [f"motion {i}" for i in range(10)]


@pytest.mark.parametrize("platform,backend_name", ROUND_TRIPS)
@pytest.mark.parametrize("fused", [False, True], ids=["float-input", "fused"])
def test_bundle_round_trip(platform, backend_name, fused, tiny_model, prep, video, tmp_path):
    require_backend(backend_name)
    bundle = package(tiny_model, platform, tmp_path / "bundle", backend_name, labels=LABELS, preprocessing=prep,
                     fuse_preprocessing=fused)
    assert bundle.model_dir == tmp_path / "bundle" / ("assets" if platform == "android" else "Resources")
    (check,) = verify_bundle(tmp_path / "bundle", video, tiny_model)
    assert check.passed, str(check)
    assert [label for label, _ in check.top5] == [label for label, _ in check.eager_top5]
    assert all(label.startswith("motion ") for label, _ in check.top5)
    spec = bundle.model_json.models[0].inputs[0]
    assert spec.layout == ("THWC" if fused else "NCTHW")
    assert spec.dtype == ("float32" if not fused or backend_name == "coreml" else "uint8")
    # the app's folder is copied as is: it holds the one file the app loads (ORT Mobile's .ort, not the .onnx too)
    suffixes = {p.suffix for p in bundle.model_dir.iterdir() if p.suffix in {".onnx", ".ort"}}
    assert suffixes == ({".ort"} if backend_name == "onnx" and platform == "android" else set())


def test_zoo_android_default_bundle_matches_the_torchvideo_demo_layout(video, tmp_path):
    """X3D-XS with the defaults: tflite + ptl in assets/, Kinetics-400 classes, as the PyTorch demo app expects."""
    for name in ("tflite", "torchscript"):
        require_backend(name)
    model = create_model("efficient_x3d_xs")
    bundle = package(model, "android", tmp_path / "b")
    assets = tmp_path / "b" / "assets"
    names = {p.name for p in assets.iterdir()}
    assert {"video_classification.ptl", "video_classification.tflite", "classes.txt", MODEL_JSON,
            "video_classification.operators.yaml", "video_classification.operators.txt"} <= names
    classes = (assets / "classes.txt").read_text().splitlines()
    assert classes == kinetics_400() and len(classes) == 400 and classes[0] == "abseiling"
    d = json.loads((assets / MODEL_JSON).read_text())
    expected = {"frames": 4, "crop": [160, 160], "resize_short_side": 160, "mean": [0.45] * 3, "std": [0.225] * 3,
                "color": "RGB", "clip_seconds": 1.0, "sampling": "uniform", "fused": False}
    assert {k: d["preprocessing"][k] for k in expected} == expected
    assert d["outputs"] == {"kind": "logits", "num_classes": 400, "labels": "classes.txt",
                            "labels_source": "Kinetics-400"}
    assert set(d["files"]) == {p.name for p in assets.iterdir()} - {MODEL_JSON}
    ptl = next(m for m in d["models"] if m["backend"] == "torchscript")
    assert ptl["operators"] == "video_classification.operators.yaml" and ptl["notes"]["bytecode_version"] >= 8
    readme = (tmp_path / "b" / "README.md").read_text()
    assert "LiteModuleLoader.load" in readme and "longArrayOf(1, 3, 4, 160, 160)" in readme
    assert "Interpreter(FileUtil.loadMappedFile" in readme
    # the zoo's seeded weights under Kinetics labels: said loudly, in model.json and the README
    assert "predictions are meaningless" in d["model"]["untrained"] and "--pretrained X3D_XS.pyth" in readme
    assert "**Untrained weights.**" in readme
    checks = verify_bundle(tmp_path / "b", video)  # eager reference rebuilt from model.json
    assert [c.model.backend for c in checks] == ["tflite", "torchscript"] and all(c.passed for c in checks)
    assert bundle.parity["tflite"].passed


def test_channels_last_tflite_input_is_described_and_fed_as_nthwc(tiny_model, prep, video, tmp_path):
    require_backend("tflite")
    bundle = package(tiny_model, "android", tmp_path / "b", "tflite", preprocessing=prep,
                     options={"tflite": {"input_layout": "NTHWC"}})
    spec = bundle.model_json.models[0].inputs[0]
    assert (spec.layout, spec.shape) == ("NTHWC", (1, 4, 64, 64, 3))
    (check,) = verify_bundle(bundle.path, video, tiny_model)
    assert check.passed


@pytest.fixture(scope="module")
def ptl_bundle(tiny_model, prep, tmp_path_factory):
    require_backend("torchscript")
    path = tmp_path_factory.mktemp("bundle") / "b"
    package(tiny_model, "android", path, "torchscript", preprocessing=prep)
    return path


def _copy(bundle, tmp_path):
    shutil.copytree(bundle, tmp_path / "b")
    return tmp_path / "b" / "assets"


def test_tampered_file_fails_the_checksum(ptl_bundle, tiny_model, video, tmp_path):
    assets = _copy(ptl_bundle, tmp_path)
    with open(assets / "video_classification.ptl", "r+b") as f:
        f.seek(200)
        f.write(b"\x00\x01\x02\x03")
    with pytest.raises(ModelFormatError, match="video_classification.ptl: SHA-256 mismatch"):
        verify_bundle(assets, video, tiny_model)


def test_missing_file_is_named(ptl_bundle, tiny_model, video, tmp_path):
    assets = _copy(ptl_bundle, tmp_path)
    (assets / "classes.txt").unlink()
    with pytest.raises(ModelFormatError, match="classes.txt: is listed in model.json but missing"):
        verify_bundle(assets, video, tiny_model)


def _edit_input(assets, **changes):
    d = json.loads((assets / MODEL_JSON).read_text())
    d["models"][0]["inputs"][0].update(changes)
    (assets / MODEL_JSON).write_text(json.dumps(d))


def test_wrong_layout_in_model_json_is_caught(ptl_bundle, tiny_model, video, tmp_path):
    assets = _copy(ptl_bundle, tmp_path)
    _edit_input(assets, layout="NTHWC")  # shape still NCTHW: inconsistent
    with pytest.raises(XportError, match=r"layout NTHWC.*shape \[1, 4, 64, 64, 3\].*but its shape is \[1, 3, 4, 64"):
        verify_bundle(assets, video, tiny_model)
    _edit_input(assets, layout="NTHWC", shape=[1, 4, 64, 64, 3])  # consistent, but not what the file takes
    with pytest.raises(XportError, match="but the file itself takes float32 \\[1, 3, 4, 64, 64\\] NCTHW"):
        verify_bundle(assets, video, tiny_model)
    _edit_input(assets, layout="CTHW")
    with pytest.raises(XportError, match="layout 'CTHW'; expected one of NCTHW, NTHWC, THWC"):
        ModelJson.read(assets)


def test_not_a_bundle_and_broken_json(tmp_path, video, tiny_model):
    with pytest.raises(ModelFormatError, match="holds no model.json"):
        verify_bundle(tmp_path, video, tiny_model)
    (tmp_path / MODEL_JSON).write_text("{not json")
    with pytest.raises(ModelFormatError, match="is not valid JSON"):
        verify_bundle(tmp_path, video, tiny_model)


def test_other_weights_are_not_taken_as_the_reference(ptl_bundle, video):
    with pytest.raises(XportError, match="weights differ"):
        verify_bundle(ptl_bundle, video, create_model("tiny_video_cnn", seed=1))


def test_bad_package_requests_write_nothing(tiny_model, prep, tmp_path):
    out = tmp_path / "b"
    with pytest.raises(XportError, match="android bundles take backends .*; got coreml"):
        package(tiny_model, "android", out, "coreml", preprocessing=prep)
    with pytest.raises(XportError, match="unknown platform 'windows'"):
        package(tiny_model, "windows", out, preprocessing=prep)
    with pytest.raises(XportError, match="3 labels for a model with 10 classes"):
        package(tiny_model, "android", out, "torchscript", labels=["a", "b", "c"], preprocessing=prep)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_cli_package_then_verify_bundle(tmp_path, video, capsys):
    require_backend("torchscript")
    labels = tmp_path / "labels.txt"
    labels.write_text("\n".join(LABELS) + "\n")
    out = tmp_path / "bundle"
    assert main(["-q", "package", "--model", "tiny_video_cnn", "--platform", "ios", "--backend", "torchscript",
                 "--labels", str(labels), "--fuse-preprocessing", "--out", str(out)]) == 0
    assert "torchscript: parity PASSED" in capsys.readouterr().out
    assert (out / "Resources" / "video_classification.ptl").is_file() and (out / "README.md").is_file()
    assert main(["-q", "verify-bundle", str(out), "--video", str(video)]) == 0
    printed = capsys.readouterr().out
    assert "PASSED" in printed and "motion " in printed
    assert main(["-q", "verify-bundle", str(out), "--video", str(tmp_path / "none.mp4")]) == 2
    assert "no such video file" in capsys.readouterr().err


def test_readme_fused_nthwc_snippet_bundle_passes_verify_bundle(tiny_model, prep, video, tmp_path):
    """The README's snippet: fused preprocessing with input_layout=NTHWC. The fused input is raw frames
    (T, H, W, 3), channels last already; NTHWC used to permute them again into [T, H, 3, W]."""
    for name in ("tflite", "executorch"):
        require_backend(name)
    labels = tmp_path / "labels.txt"
    labels.write_text("\n".join(LABELS) + "\n")
    bundle = package(tiny_model, "android", tmp_path / "bundle", ["tflite", "executorch"], labels=labels,
                     preprocessing=prep, fuse_preprocessing=True, options={"tflite": {"input_layout": "NTHWC"}})
    (tflite,) = [m for m in bundle.model_json.models if m.backend == "tflite"]
    h, w = prep.crop
    assert (tflite.inputs[0].dtype, list(tflite.inputs[0].shape)) == ("uint8", [prep.frames, h, w, 3])
    checks = verify_bundle(tmp_path / "bundle", video, tiny_model)
    assert [c.model.backend for c in checks] == ["tflite", "executorch"] and all(c.passed for c in checks)


def test_a_bundle_failing_its_own_check_is_not_written(tiny_model, prep, tmp_path, monkeypatch):
    """package loads the written bundle back as verify-bundle does before moving it into place."""
    from xport.packaging import bundle as bundle_module

    require_backend("tflite")
    # A bundle whose model.json describes the input wrongly (a layout the fused model's frames do not have).
    monkeypatch.setattr(bundle_module, "_with_layout", lambda spec, fused, streamed: replace(spec, layout="NCTHW"))
    out = tmp_path / "bundle"
    with pytest.raises(XportError, match="fails its own check"):
        package(tiny_model, "android", out, "tflite", labels=LABELS, preprocessing=prep, fuse_preprocessing=True)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_cli_package_takes_option_and_calibration_and_verify_bundle_prints_once(tmp_path, video, capsys):
    require_backend("torchscript")
    out = tmp_path / "bundle"
    assert main(["package", "--model", "tiny_video_cnn", "--platform", "android", "--backend", "torchscript",
                 "--option", "nosuch=1", "--out", str(out)]) == 2
    assert "--option nosuch: none of the backends here (torchscript)" in capsys.readouterr().err
    assert main(["package", "--model", "tiny_video_cnn", "--platform", "android", "--backend", "torchscript",
                 "--precision", "int8", "--out", str(out)]) == 2
    assert "--precision int8 needs --calibration" in capsys.readouterr().err and not out.exists()
    assert main(["-q", "package", "--model", "tiny_video_cnn", "--platform", "android", "--backend", "torchscript",
                 "--precision", "int8", "--calibration", "synthetic", "--out", str(out)]) == 0
    assert "torchscript: parity PASSED" in capsys.readouterr().out
    assert json.loads((out / "assets" / MODEL_JSON).read_text())["models"][0]["precision"] == "int8"
    assert main(["verify-bundle", str(out), "--video", str(video)]) in (0, 1)
    printed = capsys.readouterr()
    assert (printed.out + printed.err).count("video_classification.ptl (torchscript int8") == 1
