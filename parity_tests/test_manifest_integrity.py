"""What every manifest records so verify tells apart what went wrong: the exported weights' fingerprint (other
weights vs a bad conversion), and the file's checksum (a flipped byte fails to load instead of changing outputs)."""

from __future__ import annotations

import json
import warnings

import pytest
import torch

import xport
from xport.artifact import MANIFEST_KEY, Manifest
from xport.cli import main
from xport.efficient_ops import create_model
from xport.fingerprint import weight_fingerprint

from .helpers import require_backend, tiny_artifact


def test_every_manifest_records_the_weights_fingerprint(exports, backend):
    model = create_model("tiny_video_cnn")
    loaded = tiny_artifact(exports, backend)  # opened from disk: the fingerprint travels inside the file
    assert loaded.manifest.weights_fingerprint == weight_fingerprint(model)
    assert loaded.manifest.weights_fingerprint.startswith("sha256:")


def test_fingerprint_ignores_key_names_but_not_values():
    model = create_model("tiny_video_cnn")
    assert weight_fingerprint(torch.nn.Sequential(model)) == weight_fingerprint(model)
    with torch.no_grad():
        model.fc.bias[0] += 1e-3
    assert weight_fingerprint(model) != weight_fingerprint(create_model("tiny_video_cnn"))


def _other_weights() -> torch.nn.Module:
    model = create_model("tiny_video_cnn")
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(1.5)
    return model


def test_verify_says_different_weights_not_bad_conversion(exports):
    require_backend("onnx")
    artifact = tiny_artifact(exports, "onnx")
    report = xport.verify(_other_weights(), artifact, strict=False)
    assert not report.passed
    assert report.failures[0].startswith("the artifact was exported from different weights than this model")
    assert "is not a conversion error" in report.failures[0] and "DIFFERENT" in report.weights
    same = xport.verify(create_model("tiny_video_cnn"), artifact, strict=False)
    assert same.passed and "the ones exported" in str(same)


def test_cli_verify_against_other_weights_exits_1_and_says_so(exports, tmp_path, monkeypatch, capsys):
    require_backend("onnx")
    artifact = tiny_artifact(exports, "onnx")
    torch.save(_other_weights(), tmp_path / "other.pt")  # a pickled module: MODEL may be a model file
    monkeypatch.chdir(tmp_path)
    assert main(["-q", "verify", "other.pt", str(artifact.path)]) == 1
    assert "exported from different weights than this model" in capsys.readouterr().out


def _flip_weight(data: bytes, model: torch.nn.Module) -> bytes:
    """``data`` with one byte of the head's bias flipped (stored as is by every backend here)."""
    bias = model.fc.bias.detach().numpy().tobytes()
    at = data.find(bias)
    assert at >= 0, "the head's bias is not stored as is in the file"
    return data[:at + 1] + bytes([data[at + 1] ^ 0x01]) + data[at + 2:]


@pytest.mark.parametrize("name", ["tflite", "torchscript"])
def test_flipped_weight_byte_fails_load(exports, tmp_path, name):
    require_backend(name)
    artifact = tiny_artifact(exports, name)
    assert len(artifact.manifest.extra[f"{artifact.path.suffix[1:]}_sha256"]) == 64
    damaged = tmp_path / artifact.path.name
    damaged.write_bytes(_flip_weight(artifact.path.read_bytes(), create_model("tiny_video_cnn")))
    with pytest.raises(xport.ModelFormatError, match="corrupt or modified") as err:
        xport.load(damaged)
    assert damaged.name in str(err.value) and "export it again" in str(err.value)
    renamed = tmp_path / f"renamed{artifact.path.suffix}"  # the checksum is of the contents, not the file name
    renamed.write_bytes(artifact.path.read_bytes())
    assert xport.load(renamed).manifest.weights_fingerprint == artifact.manifest.weights_fingerprint


def test_old_manifest_without_new_fields_still_loads(tmp_path):
    """A .ptl from before fingerprints and checksums: the manifest lacks both, and it loads and verifies."""
    require_backend("torchscript")
    model = create_model("tiny_video_cnn")
    clip = model.default_cfg.example_input()
    old = json.loads(Manifest("torchscript", "fp32", (xport.artifact.TensorSpec.of("x", clip),), ()).to_json())
    del old["weights_fingerprint"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the lite interpreter's deprecation notice
        torch.jit.trace(model, clip)._save_for_lite_interpreter(str(tmp_path / "old.ptl"),
                                                               _extra_files={MANIFEST_KEY: json.dumps(old)})
    loaded = xport.load(tmp_path / "old.ptl")
    assert loaded.manifest.weights_fingerprint == "" and not loaded.manifest.foreign
    report = xport.verify(model, loaded)
    assert report.passed and "weights:" not in str(report)
