"""``xport.bench`` and ``xport bench``: the report's logic and files, on real artifacts, without asserting on times."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

import xport
from xport import BenchReport, bench
from xport.benchmark.credibility import CREDIBLE, NOISY, THRESHOLDS, WITHHELD
from xport.benchmark.flops import count_flops
from xport.benchmark.machine import describe
from xport.benchmark.memory import MemoryUse, measure
from xport.cli import main
from xport.efficient_ops import create_model

from .helpers import require_backend, seeded

FAST = ("onnx", "torchscript")  # quick to export; the report logic is the same for every backend


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> BenchReport:
    for name in FAST:
        require_backend(name)
    model = create_model("tiny_video_cnn")
    vanilla = create_model("tiny_video_cnn")  # stands in for the pre-transmute form: any second baseline
    return bench(model, vanilla=vanilla, backends=FAST, runs=4, warmup=1, block=2,
                 work_dir=tmp_path_factory.mktemp("bench"), progress=False)


def test_rows_protocol_and_ratios(report):
    assert [r.label for r in report.rows] == ["eager (PyTorch fp32)", "vanilla (PyTorch fp32)", "onnx fp32",
                                              "torchscript fp32"]
    eager = report.row("eager (PyTorch fp32)")
    assert eager.speedup == 1.0 and eager.kind == "eager"
    assert report.protocol["runs"] == 4 and report.protocol["threads"] == 2
    for r in report.rows:
        assert len(r.samples_ms) == 4 and r.p90_ms >= r.median_ms > 0
        assert r.speedup == pytest.approx(eager.median_ms / r.median_ms)
        assert r.gflops_per_s == pytest.approx(report.flops / (r.median_ms / 1e3) / 1e9)
        assert r.peak_fraction == pytest.approx(r.gflops_per_s / report.matmul_peak_gflops)
        assert r.ms_per_clip_second == pytest.approx(r.median_ms / report.clip_seconds)
    for label in ("onnx fp32", "torchscript fp32"):
        r = report.row(label)
        assert r.parity_passed and r.sqnr_db > 70 and r.size_mb > 0 and r.runtime.split()[0] in ("onnxruntime",
                                                                                                 "torch")


def test_every_ratio_has_a_credibility_verdict_with_its_evidence(report):
    """Whether the ratios can be quoted on this (possibly busy) machine is not asserted: that they are judged is."""
    assert report.credibility["thresholds"] == THRESHOLDS
    load = report.credibility["load"]
    assert load["threads"] == 2 and load["cores"] == os.cpu_count() and load["window_s"] > 0 and load["source"]
    assert len(report.credibility["matmul_peaks_gflops"]) == 2
    eager = report.row("eager (PyTorch fp32)")
    assert eager.speedup_verdict == "" and eager.round_speedups == ()
    for r in report.rows:
        assert r.spread == pytest.approx(r.p90_ms / r.median_ms)
        if r.is_eager:
            continue
        assert r.speedup_verdict in (CREDIBLE, NOISY, WITHHELD)
        assert bool(r.speedup_reasons) == (r.speedup_verdict != CREDIBLE)
        # runs=4, block=2: two rounds, each ratio taken inside one round
        assert r.round_speedups == pytest.approx([statistics.median(eager.samples_ms[i:i + 2])
                                                  / statistics.median(r.samples_ms[i:i + 2]) for i in (0, 2)])
        if report.credibility["machine_reasons"]:
            assert r.speedup_verdict != CREDIBLE
    doubtful = [r for r in report.rows if r.speedup_verdict in (NOISY, WITHHELD)]
    assert bool(doubtful) == any(note.startswith("ratios ") for note in report.notes)


def test_flops_and_machine_facts(report):
    model = create_model("tiny_video_cnn")
    assert report.flops == count_flops(model, (model.default_cfg.example_input(),)) > 0
    assert report.matmul_peak_gflops > 0 and report.machine["cpu"] and report.machine["threads"] == 2
    assert {"python", "torch", "xport", "os"} <= set(describe(2))


def test_zoo_flops_match_the_card():
    model = create_model("efficient_x3d_xs")
    flops = count_flops(model, (model.default_cfg.example_input(),))
    assert flops / 1e9 == pytest.approx(model.default_cfg.gflops, rel=0.005)  # the card counts 2 × MACs


def test_peak_memory_is_measured_per_candidate(report):
    for r in report.rows:
        assert r.peak_mb is not None and r.peak_mb > r.model_mb, r.memory_note
    assert not [note for note in report.notes if "memory" in note]  # (a busy machine may add a note on the peak)


def test_memory_probe_sees_the_weights(tmp_path):
    """A model with 67 MB of weights must cost at least that much in its own process."""
    path = tmp_path / "big.pt"
    torch.save(nn.Linear(4096, 4096), path)
    use = measure("eager", path, [(1, 4096)], runs=1)
    assert isinstance(use, MemoryUse), use
    assert use.model_mb > 60


def test_report_files_round_trip(report, tmp_path):
    json_path, md_path, png_path = report.save(tmp_path)
    assert BenchReport.from_json(json_path.read_text()) == report
    data = json.loads(json_path.read_text())
    assert data["machine"]["cpu"] and data["protocol"]["block"] == 2 and len(data["rows"]) == 4
    markdown = md_path.read_text()
    assert "| candidate | runtime |" in markdown and all(f"| {r.label} |" in markdown for r in report.rows)
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = report.table().splitlines()
    assert table[0].startswith("candidate") and len(table) == 2 + len(report.rows)


def test_bench_of_saved_artifacts(tmp_path, tiny_model):
    require_backend("onnx")
    clip = tiny_model.default_cfg.example_input()
    artifact = xport.export(tiny_model, clip, "onnx", tmp_path / "onnx")
    result = bench([artifact.path], clip, model=tiny_model, runs=2, warmup=0, measure_memory=False,
                   progress=False)
    assert [r.label for r in result.rows] == ["eager (PyTorch fp32)", "onnx fp32"]
    assert result.row("onnx fp32").parity_passed and result.row("onnx fp32").peak_mb is None
    alone = bench([artifact.path], runs=1, warmup=0, measure_memory=False, progress=False)  # no model, no inputs
    assert [r.label for r in alone.rows] == ["onnx fp32"] and alone.rows[0].speedup is None
    assert alone.input_shapes == (tuple(clip.shape),) and alone.flops is None


def test_isolated_timing_pairs_each_candidate_with_eager_in_its_own_process(report, tmp_path):
    """isolate=True: every candidate timed in a child process beside eager; the ratio is the child's own."""
    model, vanilla = create_model("tiny_video_cnn"), create_model("tiny_video_cnn")
    artifacts = [xport.load(report.row(f"{b} fp32").path) for b in FAST]
    isolated = bench(artifacts, model=model, vanilla=vanilla, runs=4, warmup=1, block=2, measure_memory=False,
                     work_dir=tmp_path, progress=False, isolate=True)
    assert [r.label for r in isolated.rows] == [r.label for r in report.rows]
    eager = isolated.row("eager (PyTorch fp32)")
    assert eager.speedup == 1.0 and len(eager.samples_ms) == 4 * 3  # beside each of the three others
    for r in isolated.rows[1:]:
        assert len(r.samples_ms) == 4 and r.speedup > 0 and r.speedup_verdict
    assert isolated.row("onnx fp32").runtime.startswith("onnxruntime")  # as the child's runtime stated it
    assert "child process" in isolated.protocol["order"]
    with pytest.raises(xport.XportError, match="needs the eager model"):
        bench(artifacts, runs=1, warmup=0, measure_memory=False, work_dir=tmp_path, progress=False, isolate=True)
    # A child that fails (here: the file was truncated after the parent opened it) leaves that candidate out, says
    # why, and the others are still timed.
    broken_dir = tmp_path / "broken"
    shutil.copytree(Path(artifacts[0].path).parent, broken_dir)
    broken = xport.load(broken_dir / Path(artifacts[0].path).name)
    assert broken.runner is not None  # opened in this process before the damage; the child opens the file itself
    broken.path.write_bytes(broken.path.read_bytes()[:200])
    partial = bench([broken, artifacts[1]], model=model, runs=2, warmup=0, block=1, measure_memory=False,
                    work_dir=tmp_path / "partial", progress=False, isolate=True)
    assert [r.label for r in partial.rows] == ["eager (PyTorch fp32)", f"{FAST[1]} fp32"]
    failed = f"{FAST[0]} fp32: not timed: the timing child failed"
    assert any(n.startswith(failed) for n in partial.notes), partial.notes


def test_wrong_input_shape_is_named_before_timing(tmp_path, tiny_model):
    require_backend("onnx")
    artifact = xport.export(tiny_model, tiny_model.default_cfg.example_input(), "onnx", tmp_path / "onnx")
    with pytest.raises(xport.InputSpecError, match="expected"):
        bench([artifact], seeded((1, 3, 4, 32, 32)), runs=1, measure_memory=False, progress=False)


def test_precisions_a_backend_lacks_are_noted_or_refused(tiny_model, tmp_path):
    require_backend("onnx")
    with pytest.raises(xport.XportError, match="nothing to benchmark"):
        bench(tiny_model, backends=["onnx"], precisions=["bf16"], work_dir=tmp_path, progress=False)
    require_backend("openvino")
    result = bench(tiny_model, backends=["onnx", "openvino"], precisions=["bf16"], runs=1, warmup=0,
                   measure_memory=False, work_dir=tmp_path, progress=False)
    assert [r.label for r in result.rows] == ["eager (PyTorch fp32)", "openvino bf16"]
    assert any(note.startswith("onnx has no bf16") for note in result.notes)


def test_cli_bench_writes_the_report(tmp_path, capsys):
    require_backend("onnx")
    code = main(["-q", "bench", "tiny_video_cnn", "--backend", "onnx", "--runs", "2", "--warmup", "0",
                 "--no-memory", "--out", str(tmp_path / "report")])
    out = capsys.readouterr().out
    assert code == 0 and "onnx fp32" in out and "eager (PyTorch fp32)" in out
    assert {p.name for p in (tmp_path / "report").iterdir()} == {"bench.json", "bench.md", "bench.png"}


def test_channels_last_artifacts_get_the_clip_in_their_layout(tmp_path, tiny_model):
    require_backend("tflite")
    clip = tiny_model.default_cfg.example_input()
    artifact = xport.export(tiny_model, clip, "tflite", tmp_path, input_layout="NTHWC")
    result = bench([artifact], clip, model=tiny_model, runs=1, warmup=0, measure_memory=False, progress=False)
    assert result.row("tflite fp32").parity_passed


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="other processes' CPU time is read from /proc/stat (Linux)")
def test_cli_bench_on_a_busy_machine_marks_the_ratios_in_every_report(tmp_path, capsys, tiny_model):
    """A real busy machine: a spinning process takes a core from a bench that uses all of them, twice."""
    require_backend("onnx")
    # A larger clip than the card's and 12 runs keep the timed window above machine_load.MIN_WINDOW_S on fast machines
    # (5 runs timed 0.41 s in a fast phase of an AVX-512 host); the artifact is exported before the spinner starts,
    # and shared by both benches.
    shape = (1, 3, 8, 128, 128)
    artifact = xport.export(tiny_model, seeded(shape), "onnx", tmp_path / "onnx")
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        outputs = []
        for i in range(2):  # the note comes with each report, not once per process
            main(["-q", "bench", "tiny_video_cnn", "--artifact", str(artifact.path), "--input-shape",
                  ",".join(map(str, shape)), "--runs", "12", "--warmup", "0", "--threads", str(os.cpu_count()),
                  "--no-memory", "--out", str(tmp_path / f"run{i}")])
            outputs.append(capsys.readouterr().out)
    finally:
        hog.kill()
        hog.wait()
    for i, out in enumerate(outputs):
        data = json.loads((tmp_path / f"run{i}" / "bench.json").read_text())
        assert data["credibility"]["load"]["source"] == "/proc/stat"
        assert any(r.startswith("other processes kept") for r in data["credibility"]["machine_reasons"]), data
        onnx = next(r for r in data["rows"] if r["label"] == "onnx fp32")
        assert onnx["speedup_verdict"] in (NOISY, WITHHELD) and onnx["speedup_reasons"]
        shown = "(noisy)" if onnx["speedup_verdict"] == NOISY else "withheld"
        markdown = (tmp_path / f"run{i}" / "bench.md").read_text()
        assert shown in out and shown in markdown
        assert "note: ratios " in out and "other processes kept" in out and "other processes kept" in markdown
