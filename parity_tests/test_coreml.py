"""Core ML specifics: precisions, deployment targets and conv3d, metadata and manifest, damaged packages.

Parity of every spec op and zoo model on Core ML runs in the shared backend-parametrized tests (through the MIL
evaluator on Linux, Core ML on macOS); the evaluator itself is tested op by op in ``test_coreml_mil_*.py``.
"""

from __future__ import annotations

import json
import shutil
import sys

import pytest
import torch
from torch import nn

import xport
from xport import backends

from .helpers import export_verified, seeded

_OK, _REASON = backends.get("coreml").is_available()
if not _OK:  # the imports below need coremltools
    pytest.skip(f"backend coreml unavailable: {_REASON}", allow_module_level=True)

from xport.backends.coreml import BACKEND as COREML  # noqa: E402
from xport.backends.coreml.package import spec_path, write_manifest  # noqa: E402
from xport.backends.coreml.runtime import core_ml_available, load  # noqa: E402

with COREML.quiet():
    from coremltools.proto import Model_pb2

CLIP = (1, 3, 4, 16, 16)


def read_spec(artifact: xport.Artifact):
    spec = Model_pb2.Model()
    spec.ParseFromString(spec_path(artifact.path).read_bytes())
    return spec


def mil_ops(artifact: xport.Artifact) -> dict[str, int]:
    return artifact.manifest.extra["coreml"]["mil_ops"]


class Wide(nn.Module):
    """Enough weight (~150k parameters) for compression to show in the file size."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.body = nn.Sequential(nn.Conv2d(8, 128, 3, padding=1), nn.ReLU(), nn.Conv2d(128, 128, 3, padding=1),
                                  nn.Hardswish(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))

    def forward(self, x):
        return self.body(x)


@pytest.fixture(scope="module")
def tiny_fp32(tiny_model, tmp_path_factory):
    return xport.export(tiny_model, seeded(CLIP), "coreml", tmp_path_factory.mktemp("fp32"))


def test_default_is_fp32_and_says_which_runtime_ran(tiny_fp32):
    coreml = tiny_fp32.manifest.extra["coreml"]
    assert tiny_fp32.precision == "fp32" and coreml["compute_precision"] == "fp32"
    assert "cast" not in mil_ops(tiny_fp32)  # no fp16 section anywhere
    expected = "Core ML" if core_ml_available() else "xport MIL evaluator (coremltools 9.0 program"
    assert tiny_fp32.runtime.startswith(expected)
    assert tiny_fp32.size_bytes > 50_000  # the package folder's files, weights included


def test_fp16_is_an_explicit_precision(tiny_model, tmp_path):
    artifact, report = export_verified(tiny_model, (seeded(CLIP),), "coreml", tmp_path, precision="fp16")
    assert artifact.manifest.extra["coreml"]["compute_precision"] == "fp16"
    assert mil_ops(artifact)["cast"] == 2  # fp32 input → fp16 program → fp32 output
    assert artifact.run(seeded(CLIP)).dtype == torch.float32
    assert 1e-7 < report.max_rel < 1e-2  # fp16 rounding is really emulated, and small
    with pytest.raises(xport.XportError, match="compute_precision applies to the compressed precisions"):
        xport.export(tiny_model, seeded(CLIP), "coreml", tmp_path / "x", precision="fp16", compute_precision="fp32")


@pytest.mark.parametrize("precision, constexpr_op", [("int8w", "constexpr_affine_dequantize"),
                                                     ("pal6", "constexpr_lut_to_dense")])
def test_compressed_weights_shrink_the_package(precision, constexpr_op, tmp_path):
    model = Wide().eval()
    x = seeded((1, 8, 12, 12))
    fp32 = xport.export(model, x, "coreml", tmp_path / "fp32")
    artifact, _ = export_verified(model, (x,), "coreml", tmp_path / precision, precision=precision)
    assert mil_ops(artifact)[constexpr_op] >= 2
    assert artifact.manifest.extra["coreml"]["weights"].startswith(("int8", "weights as 6-bit"))
    ratio = 0.3 if precision == "int8w" else 0.22  # int8: 1/4 of fp32, 6-bit: 3/16, plus tables and small weights
    assert artifact.size_bytes < ratio * fp32.size_bytes


@pytest.mark.parametrize("precision, constexpr_op", [("int8w", "constexpr_blockwise_shift_scale"),
                                                     ("pal4", "constexpr_lut_to_dense")])
def test_ios18_compression_forms(precision, constexpr_op, tmp_path):
    model = Wide().eval()
    artifact, _ = export_verified(model, (seeded((1, 8, 12, 12)),), "coreml", tmp_path, precision=precision,
                                  minimum_deployment_target="iOS18")
    assert mil_ops(artifact)[constexpr_op] >= 2


def test_compressed_weights_in_fp32_arithmetic(tmp_path):
    artifact, report = export_verified(Wide().eval(), (seeded((1, 8, 12, 12)),), "coreml", tmp_path,
                                       precision="int8w", compute_precision="fp32")
    assert artifact.manifest.extra["coreml"]["compute_precision"] == "fp32" and "cast" not in mil_ops(artifact)


def test_conv3d_decomposed_before_ios17_native_after(tiny_model, tmp_path):
    default = xport.export(tiny_model, seeded(CLIP), "coreml", tmp_path / "ios16")
    assert default.manifest.extra["coreml"]["conv_ranks"] == [2]
    native, _ = export_verified(tiny_model, (seeded(CLIP),), "coreml", tmp_path / "ios17",
                                minimum_deployment_target="iOS17")  # the target's capabilities decide
    assert 3 in native.manifest.extra["coreml"]["conv_ranks"]
    forced, _ = export_verified(tiny_model, (seeded(CLIP),), "coreml", tmp_path / "ios17_taps",
                                minimum_deployment_target="iOS17", decompose=("conv3d",))
    assert forced.manifest.extra["coreml"]["conv_ranks"] == [2]
    assert "conv3d_to_conv2d" in str(xport.check(tiny_model, seeded(CLIP), "coreml")["coreml"])
    with pytest.raises(xport.XportError, match="minimum_deployment_target='iOS9' is not one of"):
        xport.export(tiny_model, seeded(CLIP), "coreml", tmp_path / "bad", minimum_deployment_target="iOS9")
    assert not (tmp_path / "bad").exists()


def test_metadata_descriptions_and_labels(tmp_path):
    labels = [f"class {i}" for i in range(10)]
    artifact = xport.export(Wide().eval(), seeded((1, 8, 12, 12)), "coreml", tmp_path, author="xport tests",
                            license="Apache-2.0", version="1.2", preprocessing="RGB in [0, 1], mean 0.45, std 0.225",
                            class_labels=labels)
    meta = read_spec(artifact).description
    assert (meta.metadata.author, meta.metadata.license, meta.metadata.versionString) == \
        ("xport tests", "Apache-2.0", "1.2")
    assert "Wide" in meta.metadata.shortDescription and "fp32 arithmetic" in meta.metadata.shortDescription
    user = meta.metadata.userDefined
    assert json.loads(user["class_labels"]) == labels
    assert user["xport.version"] == xport.__version__ and user["xport.source_model"].endswith("Wide")
    assert [i.name for i in meta.input] == ["x"] and [o.name for o in meta.output] == ["output"]
    assert "mean 0.45" in meta.input[0].shortDescription and "10 classes" in meta.output[0].shortDescription
    assert json.loads(user["xport.json"])["precision"] == "fp32"  # the manifest, readable by apps
    with pytest.raises(xport.XportError, match="class_labels has 3 names"):
        xport.export(Wide().eval(), seeded((1, 8, 12, 12)), "coreml", tmp_path / "bad", class_labels=["a", "b", "c"])


@pytest.mark.parametrize("option, value, message", [
    ("minimum_deployment_target", "iOS14", "not one of iOS15"),
    ("compute_units", "GPU", "not one of ALL"),
    ("compute_precision", "bf16", "use 'fp32' or 'fp16'"),
])
def test_bad_options(tiny_model, tmp_path, option, value, message):
    with pytest.raises(xport.XportError, match=message):
        xport.export(tiny_model, seeded(CLIP), "coreml", tmp_path, precision="pal8", **{option: value})


def test_reload_from_disk(tiny_fp32, tiny_model):
    loaded = xport.load(tiny_fp32.path)
    assert loaded.manifest == tiny_fp32.manifest and loaded.backend == "coreml"
    x = seeded(CLIP, seed=3)
    torch.testing.assert_close(loaded.run(x), tiny_model(x), rtol=1e-4, atol=1e-6)
    with pytest.raises(xport.InputSpecError, match=r"expected float32 tensor of shape \[1, 3, 4, 16, 16\]"):
        loaded.run(seeded((1, 3, 4, 16, 8)))


def _copy(artifact: xport.Artifact, tmp_path):
    copy = tmp_path / artifact.path.name
    shutil.copytree(artifact.path, copy)
    return copy


def test_flipped_weight_byte_is_caught(tiny_fp32, tmp_path):
    package = _copy(tiny_fp32, tmp_path)
    weights = next(package.rglob("weight.bin"))
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    with pytest.raises(xport.ModelFormatError, match="weights/weight.bin does not match the checksum"):
        xport.load(package)


@pytest.mark.parametrize("damage, message", [
    ("truncate_program", "model.mlmodel"),
    ("drop_weights", "weights/weight.bin is missing"),
    ("drop_index", "no Manifest.json"),
    ("flatten", "is a file"),
])
def test_damaged_packages(tiny_fp32, tmp_path, damage, message):
    package = _copy(tiny_fp32, tmp_path)
    if damage == "truncate_program":
        program = spec_path(package)
        program.write_bytes(program.read_bytes()[:-100])
    elif damage == "drop_weights":
        next(package.rglob("weight.bin")).unlink()
    elif damage == "drop_index":
        (package / "Manifest.json").unlink()
    else:
        shutil.rmtree(package)
        package.write_bytes(b"PK\x03\x04 a zipped package, say")
    with pytest.raises(xport.ModelFormatError, match=message):
        xport.load(package)


def _copied_program(artifact, tmp_path):
    """A copy of the package, its program file, and the parsed program (to damage, then write back)."""
    package = _copy(artifact, tmp_path)
    program = spec_path(package)
    spec = Model_pb2.Model()
    spec.ParseFromString(program.read_bytes())
    return package, program, spec


def test_package_without_xport_manifest(tiny_fp32, tmp_path):
    package, program, spec = _copied_program(tiny_fp32, tmp_path)
    del spec.description.metadata.userDefined["xport.json"]
    program.write_bytes(spec.SerializeToString())
    with pytest.raises(xport.ModelFormatError, match="no xport manifest"):
        xport.load(package)


def test_unknown_program_op_is_named(tiny_fp32, tmp_path):
    package, program, spec = _copied_program(tiny_fp32, tmp_path)
    block = spec.mlProgram.functions["main"].block_specializations["CoreML6"]
    relu = next(op for op in block.operations if op.type == "relu")
    relu.type = "sin"  # a valid MIL op the evaluator has no kernel for
    program.write_bytes(spec.SerializeToString())
    write_manifest(package, tiny_fp32.manifest)  # re-seal, so only the op is wrong
    with pytest.raises(xport.UnsupportedOpError, match=r"MIL sin .*no kernel for 'sin'"):
        load(package, evaluator=True)


@pytest.mark.skipif(sys.platform != "darwin", reason="Core ML's predict() exists on macOS only; on Linux the MIL "
                                                     "evaluator runs the package (the other tests)")
def test_core_ml_and_evaluator_agree(tiny_fp32):
    x = seeded(CLIP, seed=4).numpy()
    core_ml, evaluator = load(tiny_fp32.path), load(tiny_fp32.path, evaluator=True)
    assert core_ml.runtime.startswith("Core ML")
    torch.testing.assert_close(torch.from_numpy(core_ml.run(x)[0]), torch.from_numpy(evaluator.run(x)[0]),
                               rtol=1e-3, atol=1e-4)


def test_x3d_xs_fp16_within_its_tolerance(tmp_path):
    """fp16 on a zoo model (compressed precisions are checked on ``Wide`` above: k-means on X3D takes 10-40 s)."""
    from xport.efficient_ops import create_model

    from .helpers import randomise_batch_norm

    model = randomise_batch_norm(create_model("efficient_x3d_xs"))
    artifact, report = export_verified(model, (model.default_cfg.example_input(),), "coreml", tmp_path,
                                       precision="fp16")
    assert report.top1_agreement == 1.0 and report.sqnr_db > 55  # measured 65 dB
    assert artifact.size_bytes < 10e6  # fp16 weights: half of the 18.3 MB fp32 package


def test_evaluator_is_marked_as_a_stand_in(tiny_fp32):
    from xport.backends import coreml

    runner = tiny_fp32.runner
    if core_ml_available():
        assert runner.stand_in == "" == coreml.runtime_stand_in()
    else:
        assert "macOS only" in runner.stand_in and runner.stand_in == coreml.runtime_stand_in()
