"""Fine-tuning on real decoded clips (xport.finetune), resuming, torchrun DDP, and every backend against eager
on those clips (xport.validate): a small fast version of examples/finetune_synthetic.py."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import torch

from xport.cli import main
from xport.data import ClipDataset, DatasetError, make_dataset, read_classes
from xport.efficient_ops import create_model
from xport.errors import XportError
from xport.preprocess import PreprocessSpec
from xport.training import CheckpointModelError, finetune, weights_digest
from xport.validation import validate

MODEL = "tiny_video_cnn"  # 64x64, 4 frames: trains in seconds
FAST = {"epochs": 10, "batch_size": 8, "lr": 1e-2, "progress": False}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("speed")  # still vs fast: easy, and invisible in any single frame
    make_dataset(root, task="speed", classes=2, train_clips=48, val_clips=24, size=64, seed=1, progress=False)
    return root


@pytest.fixture(scope="module")
def trained(data, tmp_path_factory):
    return finetune(MODEL, data, 2, out=tmp_path_factory.mktemp("run"), **FAST)


def test_learning_happens_and_the_checkpoint_reloads(trained, data):
    assert trained.finished and trained.val_accuracy >= 0.8  # chance is 0.5
    assert trained.history[-1]["loss"] < 0.5 * trained.history[0]["loss"]
    model = create_model(MODEL, pretrained=str(trained.checkpoint))  # class count read from the checkpoint
    assert model.default_cfg.num_classes == 2 and weights_digest(model) == trained.digest
    val = ClipDataset(data, "val", PreprocessSpec.from_card(model.default_cfg))
    with torch.no_grad():
        preds = model(torch.stack([val[i][0] for i in range(len(val))])).argmax(1)
    assert (preds == torch.tensor(val.labels)).float().mean().item() == pytest.approx(trained.val_accuracy)


def test_resume_after_interruption_ends_with_identical_weights(data, tmp_path):
    settings = dict(FAST, epochs=2, freeze="block2")  # frozen prefix: cheap steps
    whole = finetune(MODEL, data, 2, out=tmp_path / "whole", **settings)
    stopped = finetune(MODEL, data, 2, out=tmp_path / "cut", max_steps=8, **settings)  # mid epoch 2
    assert not stopped.finished and stopped.checkpoint.exists() and stopped.steps == 8
    with pytest.raises(XportError, match="already holds a fine-tuning run"):
        finetune(MODEL, data, 2, out=tmp_path / "cut", **settings)
    with pytest.raises(XportError, match="lr was 0.01, now 0.5"):
        finetune(MODEL, data, 2, out=tmp_path / "cut", resume=True, **dict(settings, lr=0.5))
    resumed = finetune(MODEL, data, 2, out=tmp_path / "cut", resume=True, **settings)
    assert resumed.finished and resumed.steps == whole.steps == 12
    assert resumed.digest == whole.digest


def test_ddp_with_two_processes_through_torchrun(data, tmp_path):
    out = tmp_path / "ddp"
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                           "-m", "xport.training.ddp", "--model", MODEL, "--data", str(data), "--classes", "2",
                           "--out", str(out), "--epochs", "2", "--batch-size", "8", "--freeze", "block2", "-q"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    digests = dict(re.findall(r"rank (\d)/2: weights sha256 (\w+)", done.stdout))
    assert set(digests) == {"0", "1"} and digests["0"] == digests["1"]
    assert weights_digest(create_model(MODEL, pretrained=str(out / "model.pt"))) == digests["0"]
    state = torch.load(out / "last.pt", weights_only=True)
    assert state["config"]["world_size"] == 2 and state["epoch"] == 2


def test_clear_errors(data, trained, tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        finetune(MODEL, tmp_path / "missing", 2, out=tmp_path / "a", **FAST)
    with pytest.raises(DatasetError, match="--classes 5 but .* has 2 classes"):
        finetune(MODEL, data, 5, out=tmp_path / "b", **FAST)
    with pytest.raises(CheckpointModelError, match="fine-tuned from 'tiny_video_cnn', not 'efficient_x3d_xs'"):
        create_model("efficient_x3d_xs", pretrained=str(trained.checkpoint))
    with pytest.raises(XportError, match="cannot train from 'nope'"):
        finetune(MODEL, data, 2, out=tmp_path / "c", freeze="nope", **FAST)


def test_every_backend_agrees_with_eager_on_decoded_clips(trained, data, tmp_path):
    # The runtimes that run quickly here (ExecuTorch lowering and the Core ML evaluator take minutes: the example
    # script validates them).
    backends = ("torchscript", "onnx", "tflite", "openvino")
    report = validate(trained.checkpoint, data, backends, ("fp32", "int8"), out_dir=tmp_path, progress=False)
    assert report.eager.accuracy == pytest.approx(trained.val_accuracy)
    ran = {(r.backend, r.precision): r for r in report.rows if r.status == "ok"}
    assert ("onnx", "fp32") in ran and ("onnx", "int8") in ran, report.table()
    for (_backend, precision), row in ran.items():
        assert row.agreement >= (1.0 if precision == "fp32" else 0.9), report.table()
        assert abs(row.accuracy - report.eager.accuracy) <= 1 - row.agreement + 1e-9
    assert len(ran) == 8, report.table()
    table = report.table()
    assert "eager" in table and "reference" in table and all(f"{b:<12} {p:<9}" in table for b, p in ran)


def test_validate_cli_prints_the_table(trained, data, capsys):
    code = main(["-q", "validate", "--model", str(trained.checkpoint), "--data", str(data), "--backend", "onnx,nope",
                 "--precision", "fp32", "--per-clip"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert re.search(r"onnx\s+fp32\s+\d+\.\d%\s+100\.0% \(24/24\)", out), out
    assert "nope" in out and "skipped: unknown backend" in out
    assert out.count(".mp4") == 24


def test_package_of_a_finetuned_checkpoint_keeps_its_class_names(trained, data, tmp_path, monkeypatch):
    """`xport package --pretrained run/model.pt` ships the run's class names, and records the checkpoint so that
    verify-bundle finds it from another folder."""
    monkeypatch.chdir(trained.checkpoint.parent)
    bundle = tmp_path / "bundle"
    assert main(["-q", "package", "--model", MODEL, "--platform", "android", "--backend", "onnx", "--pretrained",
                 "model.pt", "--out", str(bundle)]) == 0
    classes = next(bundle.rglob("classes.txt")).read_text().split()
    assert classes == read_classes(data)
    recorded = json.loads(next(bundle.rglob("model.json")).read_text())["model"]["checkpoint"]
    assert recorded == str(trained.checkpoint.resolve())


def test_a_forward_that_is_not_its_modules_in_order_is_refused_clearly():
    """A model that pools between its top-level modules cannot have a frozen prefix: an XportError, not a crash."""
    from torch import nn

    from xport.training.split import ModelSplit

    class PoolsInForward(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv3d(3, 4, 1)
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            return self.fc(self.conv(x).mean((2, 3, 4)))

    with pytest.raises(XportError, match="not its top-level modules in order"):
        ModelSplit(PoolsInForward(), "fc", torch.randn(1, 3, 2, 4, 4))
