"""The ``xport`` command line: every verb, exit codes, and errors without tracebacks."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import xport
from xport import backends
from xport.cli import main
from xport.efficient_ops import create_model

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


def test_transmute_verb_then_export_of_the_saved_module(tmp_path, capsys):
    vanilla = "xport.efficient_ops.vanilla_x3d:vanilla_x3d_xs"
    assert main(["-q", "transmute", vanilla]) == 2  # no card and no --input-shape: refused before the work
    assert "swap" not in capsys.readouterr().out
    saved = tmp_path / "transmuted.pt"
    assert main(["-q", "transmute", vanilla, "--input-shape", "1,3,4,160,160", "--save", str(saved)]) == 0
    out = capsys.readouterr().out
    assert "transmute: 143 swap(s)" in out and "max |transmuted − original|" in out
    assert main(["-q", "export", str(saved), "--backend", "onnx", "--input-shape", "1,3,4,160,160",
                 "--out", str(tmp_path / "onnx")]) == 0
    assert "parity PASSED" in capsys.readouterr().out


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


def test_python_m_xport_and_version():
    done = subprocess.run([sys.executable, "-m", "xport", "--version"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == f"xport {importlib.metadata.version('xport')}"
    done = subprocess.run([sys.executable, "-m", "xport", "zoo"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "efficient_x3d_xs" in done.stdout


def test_model_factory_imports_from_the_current_folder(tmp_path):
    """`xport check mymodels:build` in the folder holding mymodels.py, with the installed `xport` script (whose
    sys.path does not start at the current folder)."""
    (tmp_path / "mymodels.py").write_text("from xport.efficient_ops import create_model\n\n\n"
                                          "def build():\n    return create_model('tiny_video_cnn')\n")
    script = Path(sys.executable).with_name("xport")
    done = subprocess.run([str(script), "-q", "check", "mymodels:build"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "cannot import" not in done.stderr


def test_calibration_folder_reads_class_subfolders(tmp_path):
    """`--calibration data/train` on `xport make-data`'s layout (<split>/<class>/*.mp4)."""
    from xport.data import make_dataset
    from xport.efficient_ops import create_model
    from xport.quant.sources import calibration_from

    make_dataset(tmp_path / "data", task="motion", classes=2, train_clips=4, val_clips=2, size=64, seed=3,
                 progress=False)
    model = create_model("tiny_video_cnn")
    videos = sorted((tmp_path / "data" / "train").rglob("*.mp4"))
    assert videos and all(v.parent.parent == tmp_path / "data" / "train" for v in videos)
    calibration = calibration_from(tmp_path / "data" / "train", model, (model.default_cfg.example_input(),))
    assert len(calibration.inputs) == len(videos)


def test_default_out_and_verify_against_another_models_artifact_is_a_parity_failure(tmp_path):
    """`export` without --out; then `verify` of a 4-class model against that 10-class export exits 1 (parity failed,
    as the README says), not 2 (usage error)."""
    require_backend("onnx")
    exported = subprocess.run([sys.executable, "-m", "xport", "-q", "export", "tiny_video_cnn", "--backend", "onnx"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert exported.returncode == 0, exported.stderr  # into the default --out, xport-out/MODEL/BACKEND
    (tmp_path / "other.py").write_text("from xport.efficient_ops import create_model\n\n\n"
                                       "def build():\n    return create_model('tiny_video_cnn', num_classes=4)\n")
    artifact = next((tmp_path / "xport-out" / "tiny_video_cnn" / "onnx").glob("*.onnx"))
    done = subprocess.run([sys.executable, "-m", "xport", "verify", "other:build", str(artifact)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 1 and "output shape differs" in done.stderr, (done.returncode, done.stderr)


def test_check_summarises_by_default_and_lists_every_node_with_v(capsys):
    assert main(["-q", "check", "efficient_x3d_xs"]) == 0
    summary = capsys.readouterr().out.splitlines()
    heads = [line for line in summary if " @ fp32: " in line]
    assert len(heads) == len(backends.available()) and len(summary) < 20 * len(heads), len(summary)
    assert any("decomposed  conv" in line and "node(s): conv3d_to_conv2d" in line for line in summary)
    assert main(["-q", "check", "efficient_x3d_xs", "--backend", "tflite", "-v"]) == 0
    assert "s2.pathway0_res0.layers.conv_1.kernel.conv" in capsys.readouterr().out
    # int8: what has no int8 kernel is a float island (as export makes it), not unsupported
    assert main(["-q", "check", "efficient_x3d_xs", "--backend", "tflite", "--precision", "int8"]) == 0
    int8 = capsys.readouterr().out
    assert "0 unsupported" in int8 and "float at int8" in int8
    assert any(line.split()[:2] == ["float", "sigmoid"] for line in int8.splitlines()), int8


@pytest.mark.parametrize(("shape", "message"), [("1,3,4,160", "has 4 dims; this model takes 5"),
                                                ("1,1,4,160,160", "has 1 channel.*takes 3, e.g. 1,3,4,160,160")])
def test_input_shape_is_checked_against_the_model_card(shape, message, tmp_path):
    done = xport_cli("export", "efficient_x3d_xs", "--backend", "onnx", "--input-shape", shape, "--out", str(tmp_path))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert re.search(message, done.stderr) and "traceable" not in done.stderr, done.stderr


def test_quiet_after_the_verb_silences_progress_and_litert_info(tmp_path):
    require_backend("tflite")
    done = subprocess.run([sys.executable, "-m", "xport", "export", "tiny_video_cnn", "--backend", "tflite",
                           "--out", str(tmp_path / "art"), "-q"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "parity PASSED" in done.stdout
    # no xport progress, and not LiteRT's "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." either
    assert "xport:" not in done.stderr and "INFO:" not in done.stderr + done.stdout


def test_fixes_are_given_in_the_form_of_the_caller(tmp_path, capsys):
    out = tmp_path / "full"
    out.mkdir()
    (out / "model.onnx").write_text("mine")
    assert main(["-q", "export", "tiny_video_cnn", "--backend", "onnx", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "pass --overwrite to replace" in err and "overwrite=True" not in err
    with pytest.raises(xport.OutputDirError) as raised:
        xport.export(create_model("tiny_video_cnn"), torch.zeros(1, 3, 4, 64, 64), "onnx", out)
    assert "pass overwrite=True (CLI: --overwrite) to replace" in str(raised.value)
    assert (out / "model.onnx").read_text() == "mine"


def test_make_data_help_lists_classes_in_their_index_order():
    from xport.cli import build_parser
    from xport.data import TASKS

    verbs = next(a for a in build_parser()._actions if a.dest == "verb")
    task = next(a for a in verbs.choices["make-data"]._actions if a.dest == "task")
    for name, classes in TASKS.items():  # --classes N takes the first N classes in this order
        assert f"{name}: {'/'.join(classes)}" in task.help
