"""Every script in examples/ runs to completion and prints what it promises."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import xport

from .helpers import require_backend

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_every_example_is_tested():
    assert {p.name for p in EXAMPLES.glob("*.py")} == {"export_and_verify.py", "vanilla_x3d_to_phone.py",
                                                       "bench_openvino.py", "bench_zoo.py",
                                                       "finetune_synthetic.py", "coverage.py",
                                                       "bench_families.py", "bench_peers.py", "bench_stream.py"}


# The two export examples run on one backend here: X3D-XS on every backend is the demo's run (test_cli) and the zoo
# tests', and the transmuted vanilla X3D-XS on every backend is test_transmute's.
def test_export_and_verify(tmp_path):
    require_backend("onnx")
    out = run_example("export_and_verify.py", str(tmp_path), "onnx")
    assert "onnx @ fp32" in out and "parity PASSED" in out and "parity FAILED" not in out


def test_vanilla_x3d_to_phone(tmp_path):
    require_backend("tflite")
    out = run_example("vanilla_x3d_to_phone.py", "", str(tmp_path), "tflite")
    assert "transmute: 143 swap(s)" in out and "parity PASSED: tflite" in out and "parity FAILED" not in out


def test_bench_openvino():
    require_backend("openvino")
    out = run_example("bench_openvino.py", "tiny_video_cnn")  # the script on any zoo model; X3D's numbers: README
    assert "| tiny_video_cnn | xport fp32 |" in out and "| tiny_video_cnn | OpenVINO own bf16 |" in out


def test_bench_zoo(tmp_path):
    backends = [b for b in ("onnx",) if b in xport.backends.available()]  # the script is the same for every backend
    out = run_example("bench_zoo.py", "--runs", "2", "--backends", ",".join(backends), "--out", str(tmp_path),
                      "tiny_video_cnn")
    rows = [line for line in out.splitlines() if line.startswith("| ") and " ms" not in line]
    labels = {row.split(" | ")[0].lstrip("| ") for row in rows}
    expected = {f"{b} {p}" for b in backends for p in xport.backends.get(b).caps.precisions}
    assert expected | {"eager (PyTorch fp32)"} <= labels
    assert {p.name for p in (tmp_path / "tiny_video_cnn").iterdir()} == {"bench.json", "bench.md", "bench.png"}


def test_finetune_synthetic_tiny_settings(tmp_path):
    out = run_example("finetune_synthetic.py", "--out", str(tmp_path), "--model", "tiny_video_cnn", "--size", "64",
                      "--classes", "2", "--train-clips", "16", "--val-clips", "8", "--epochs", "1",
                      "--freeze", "block2", "--backends", "onnx", "--precisions", "fp32", "--quiet")
    assert "dataset: 16 + 8 H.264 clips of 64x64, classes still, fast" in out
    assert re.search(r"tiny_video_cnn: val accuracy \d+\.\d% \(2 classes, chance 50%\)", out), out
    assert re.search(r"onnx\s+fp32\s+\d+\.\d%\s+100\.0% \(8/8\)", out), out


def test_coverage_table():
    out = run_example("coverage.py", "--family", "video_swin")  # every family's export: test_video_families
    rows = [line for line in out.splitlines() if line.startswith("| video_swin")]
    assert len(rows) == 1 and all(row.count("✓ (check)") == len(xport.backends.names()) for row in rows), out


def test_bench_families_runs_and_checks_both_converters():
    require_backend("onnx")
    require_backend("openvino")
    out = run_example("bench_families.py", "tsm_roll_shift")
    (row,) = [line for line in out.splitlines() if line.startswith("| tsm_roll_shift")]
    assert row.count("×") == 4, out


def test_bench_peers_rows_are_timed_or_say_why_skipped(tmp_path):
    # OpenVINO alone keeps it quick and still has both kinds of peer row: ov.convert_model builds here, nncf (not a
    # dependency of xport) is usually absent and must be a "skipped: <why>" row, not a failure.
    require_backend("openvino")
    out = run_example("bench_peers.py", "--model", "tiny_video_cnn", "--runs", "2", "--calibration-clips", "4",
                      "--runtimes", "openvino", "--out", str(tmp_path))
    rows = [line.strip("| ").split(" | ") for line in out.splitlines() if line.startswith("| OpenVINO |")]
    ours = [r for r in rows if r[2] == "xport"]
    assert [r[1] for r in ours] == ["fp32", "int8"] and all(re.fullmatch(r"\d+\.\d+", r[4]) for r in ours), out
    peers = [r for r in rows if r[2].startswith("OpenVINO's own (")]
    assert [r[1] for r in peers] == ["fp32", "int8"], out
    for row in peers:
        assert re.fullmatch(r"\d+\.\d+", row[4]) or re.fullmatch(r"skipped: \S.*", row[3]), row


def test_bench_stream_times_the_step_against_the_window(tmp_path):
    """Both artifacts of each backend verified, timed in one child process, a row per backend in the JSON."""
    out = run_example("bench_stream.py", "--model", "tiny_causal_cnn", "--backends", "onnx,tflite", "--rounds", "2",
                      "--out", str(tmp_path))
    assert "| onnx |" in out and "| tflite |" in out, out
    rows = json.loads((tmp_path / "bench_stream.json").read_text())["rows"]
    assert {r["backend"] for r in rows} == {"onnx", "tflite"}
    assert all(r["window_ms"] > 0 and r["step_ms"] > 0 and not r["parity"] for r in rows), rows
