"""`xport validate` as a user runs it: progress while it works, --limit across classes, --option and
--calibration reaching the exports, and nothing left in the temporary folder after Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from xport.cli import main
from xport.data import make_dataset, read_classes
from xport.training import finetune
from xport.validation import spread_over_classes

from .helpers import require_backend

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("speed")
    make_dataset(root, task="speed", classes=3, train_clips=12, val_clips=12, size=64, seed=1, progress=False)
    return root


@pytest.fixture(scope="module")
def checkpoint(data, tmp_path_factory):
    run = finetune("tiny_video_cnn", data, 3, out=tmp_path_factory.mktemp("run"), epochs=1, batch_size=6,
                   progress=False)
    return run.checkpoint


def test_spread_over_classes_is_round_robin_and_deterministic():
    labels = [0] * 4 + [1] * 4 + [2] * 4
    assert spread_over_classes(labels, 3) == [0, 4, 8]
    assert spread_over_classes(labels, 5) == [0, 1, 4, 5, 8]
    assert spread_over_classes(labels, None) == list(range(12))


def test_limit_keeps_every_class_and_progress_is_logged(checkpoint, data, capsys):
    require_backend("torchscript")
    code = main(["validate", "--model", str(checkpoint), "--data", str(data), "--backend", "torchscript",
                 "--limit", "3", "--per-clip", "--min-agreement", "0"])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    rows = [line.split() for line in captured.out.splitlines() if line.endswith(tuple(read_classes(data)))
            and ".mp4" in line]
    assert sorted(row[1] for row in rows) == sorted(read_classes(data)), captured.out  # one clip per class
    assert "xport: validating on 3 val clips (3 classes)" in captured.err
    assert "xport: torchscript fp32: exporting" in captured.err
    assert "xport: torchscript fp32: running 3 clips in" in captured.err


def test_option_reaches_the_export_and_unknown_keys_fail_fast(checkpoint, data, tmp_path, capsys):
    require_backend("onnx")
    import onnx

    out = tmp_path / "artifacts"
    assert main(["-q", "validate", "--model", str(checkpoint), "--data", str(data), "--backend", "onnx",
                 "--limit", "3", "--option", "opset=19", "--out", str(out), "--min-agreement", "0"]) == 0
    model = onnx.load(out / "onnx-fp32" / "model.onnx")
    assert {o.domain: o.version for o in model.opset_import}[""] == 19
    capsys.readouterr()
    assert main(["-q", "validate", "--model", str(checkpoint), "--data", str(data), "--backend", "onnx",
                 "--option", "minimum_deployment_target=iOS17"]) == 2
    err = capsys.readouterr().err
    assert "--option minimum_deployment_target: none of the backends here (onnx)" in err and "coreml" in err


def test_int8_with_calibration_flag(checkpoint, data, capsys):
    require_backend("torchscript")
    code = main(["-q", "validate", "--model", str(checkpoint), "--data", str(data), "--backend", "torchscript",
                 "--precision", "int8", "--calibration", str(data / "train"), "--limit", "3", "--min-agreement", "0"])
    out = capsys.readouterr().out
    assert code == 0 and re.search(r"torchscript\s+int8\s+\d+\.\d%", out), out


def test_ctrl_c_leaves_nothing_in_the_temporary_folder(checkpoint, data, tmp_path):
    require_backend("torchscript")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    path = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": path}
    proc = subprocess.Popen([sys.executable, "-m", "xport", "validate", "--model", str(checkpoint), "--data",
                             str(data), "--backend", "torchscript,onnx,tflite"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    for line in proc.stderr:
        if "running" in line:  # the first artifact is written and loaded in its runtime
            proc.send_signal(signal.SIGINT)
            break
    proc.communicate(timeout=300)
    assert proc.returncode != 0
    leftovers = [p.name for p in tmp.iterdir() if p.name.startswith("xport-") or p.name.startswith("tmp")]
    assert leftovers == []
