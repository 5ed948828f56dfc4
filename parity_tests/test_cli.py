"""The ``xport`` command line: every verb, exit codes, and errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys

import pytest

from xport import backends
from xport.cli import main

from .helpers import require_backend


def xport_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xport.cli", *args], capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("verb", ["demo", "export", "check", "verify", "migrate", "bench", "package", "verify-bundle",
                                  "make-data", "finetune", "validate",
                                  "transmute", "zoo", "backends", "spec"])
def test_help_on_every_verb(verb, capsys):
    with pytest.raises(SystemExit) as done:
        main([verb, "--help"])
    assert done.value.code == 0
    assert "usage: xport" in capsys.readouterr().out


def test_backends_and_spec(capsys):
    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    assert "torchscript" in out and "onnx" in out and "option decompose" in out
    assert main(["spec"]) == 0
    assert "conv" in capsys.readouterr().out


def test_check(capsys):
    assert main(["-q", "check", "tiny_video_cnn"]) == 0
    out = capsys.readouterr().out
    assert "torchscript @ fp32" in out and "onnx @ fp32" in out and "conv2d tap" in out
    # every report counts the nodes a runtime would run on a fallback (slow, generic) kernel
    assert "executorch @ fp32:" in out and " on fallback kernels, " in out


def test_check_fails_for_unsupported_model(capsys):
    code = main(["-q", "check", "parity_tests.test_bad_input:WithOutOfSpecOps", "--input-shape", "1,3,8,8",
                 "--backend", "onnx"])
    assert code == 1
    assert "unsupported" in capsys.readouterr().out


def test_export_then_verify(tmp_path, backend, capsys):
    out = tmp_path / "art"
    assert main(["-q", "export", "tiny_video_cnn", "--backend", backend, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "parity PASSED" in printed
    artifact = next(p for p in out.iterdir() if p.suffix == backends.get(backend).suffixes[0])
    assert main(["-q", "verify", "tiny_video_cnn", str(artifact)]) == 0


def test_export_with_option_and_name(tmp_path, capsys):
    require_backend("onnx")
    code = main(["-q", "export", "tiny_video_cnn", "--backend", "onnx", "--out", str(tmp_path), "--name", "clip",
                 "--option", "ort_format=False", "--no-verify"])
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.onnx"]


def test_errors_are_messages_not_tracebacks(tmp_path):
    done = xport_cli("export", "efficient_x3d_sx", "--backend", "onnx", "--out", str(tmp_path))
    assert done.returncode == 2
    assert "error: unknown model 'efficient_x3d_sx'. Did you mean" in done.stderr and "Traceback" not in done.stderr
    (tmp_path / "x.onnx").write_bytes(b"not a model")
    done = xport_cli("verify", "tiny_video_cnn", str(tmp_path / "x.onnx"))
    assert done.returncode == 2 and "not a valid ONNX model" in done.stderr


def test_demo_prints_the_table(tmp_path):
    # The demo's path on the tiny model (X3D-XS on every backend is test_zoo's; the README's first command runs the
    # X3D-XS demo itself).
    done = xport_cli("demo", "--model", "tiny_video_cnn", "--out", str(tmp_path), "--runs", "3")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:4] == ["backend", "artifact", "size", "max"]
    assert any(line.startswith("eager") for line in lines)
    for name in ("torchscript", "onnx"):
        assert any(line.startswith(name) for line in lines) or f"skipped {name}" in done.stdout
    assert "xport: [1/" in done.stderr  # progress went to stderr
    if "coreml" in backends.available() and sys.platform != "darwin":  # parity yes; the evaluator's speed, no
        assert any(line.startswith("coreml") and "not timed" in line for line in lines)
        assert "not timed coreml: " in done.stdout


def test_zoo_lists_cards(capsys):
    assert main(["zoo", "-v"]) == 0
    out = capsys.readouterr().out
    assert "efficient_x3d_xs" in out and "3,794,322" in out and "1.21" in out
    assert "efficient_x3d_xs_original_form.pyth" in out


def test_transmute_verb(capsys):
    code = main(["-q", "transmute", "xport.efficient_ops.vanilla_x3d:vanilla_x3d_xs", "--input-shape",
                 "1,3,4,160,160"])
    assert code == 0
    out = capsys.readouterr().out
    assert "transmute: 143 swap(s)" in out and "max |transmuted − original|" in out


def test_pretrained_checkpoint_on_the_command_line(tmp_path, capsys):
    import torch

    from xport.efficient_ops import create_model

    require_backend("onnx")
    ckpt = tmp_path / "xs.pyth"
    torch.save(create_model("efficient_x3d_xs", seed=7).state_dict(), ckpt)
    out = tmp_path / "art"
    assert main(["-q", "export", "efficient_x3d_xs", "--pretrained", str(ckpt), "--backend", "onnx", "--out",
                 str(out), "--option", "ort_format=False", "--no-verify"]) == 0
    assert main(["-q", "verify", "efficient_x3d_xs", "--pretrained", str(ckpt), str(out / "model.onnx")]) == 0
    assert main(["-q", "verify", "efficient_x3d_xs", str(out / "model.onnx")]) == 1  # other weights: fails
    assert "parity FAILED" in capsys.readouterr().out
