"""``xport profile``: each runtime's own profiler, read back and mapped to the model's blocks.

The profiles are real (the runtime's profiler on an exported file); no assertion is about speed: the checks are
that every runtime node lands in a block of the model, that the kernels and precisions are the runtime's own, and
that the profiled sum is of the order of the whole-model time (a mapping that dropped or doubled nodes would not be).
"""

from __future__ import annotations

import json

import onnx
import pytest
import torch

import xport
from xport.artifact import MANIFEST_KEY
from xport.errors import InputSpecError
from xport.node_map import GraphNode, NodeMap, between, kind
from xport.profiling import profile
from xport.profiling.records import UNATTRIBUTED

from .helpers import require_backend, tiny_artifact, x3d_int8_artifact, zoo_artifact

PROFILED = ("onnx", "openvino", "executorch", "torchscript")


@pytest.mark.parametrize("backend", PROFILED)
def test_profile_names_the_block_of_every_runtime_node(backend, exports):
    require_backend(backend)
    _, artifact = zoo_artifact(exports, "efficient_x3d_xs", backend)
    report = profile(artifact, runs=5)  # in a child process, as by default; 5 runs: medians a slow phase moves less
    blocks = {b.block: b for b in report.blocks()}
    assert {"s1.pathway0_stem_conv", "s2.pathway0_res0", "s5.pathway0_res6", "head.lin_5"} <= set(blocks)
    assert sum(b.share for b in blocks.values()) == pytest.approx(1.0)
    unattributed = blocks.get(UNATTRIBUTED)
    assert unattributed is None or unattributed.share < 0.1, report.table()
    assert 0.3 < report.coverage < 3, report.table()  # not a timing gate: a lost or doubled mapping is off by far more
    convs = [n for n in report.nodes if kind(n.op) == "gemm"]
    assert len(convs) >= 40 and all(n.precision == "fp32" and n.module for n in convs), report.table()
    if backend == "executorch":
        assert all(b.delegated == "all" for b in blocks.values()), report.table()
    assert "s2.pathway0_res0" in report.table()


def test_openvino_int8_profile_shows_the_int8_kernels_that_ran(exports):
    require_backend("openvino")
    _, artifact = x3d_int8_artifact(exports, "openvino")
    report = profile(artifact, runs=3, isolate=False)  # in this process
    block = next(b for b in report.blocks() if b.block == "s3.pathway0_res1")
    assert "int8" in block.precisions and any(k.endswith("_I8") for k in block.kernels), report.table()


def test_a_runtime_without_a_profiler_gives_the_whole_model_time_and_says_why(exports):
    require_backend("tflite")
    report = profile(tiny_artifact(exports, "tflite"), runs=3, isolate=False)
    assert not report.nodes and report.whole_ms > 0
    assert "benchmark_model" in report.table() and "no per-node profile" in report.table()


def test_an_artifact_without_its_node_map_is_profiled_per_runtime_node(tiny_model, tmp_path):
    require_backend("onnx")
    artifact = xport.export(tiny_model, tiny_model.default_cfg.example_input(), "onnx", tmp_path / "out",
                            ort_format=False)
    model = onnx.load(str(artifact.path))
    entry = next(p for p in model.metadata_props if p.key == MANIFEST_KEY)
    manifest = json.loads(entry.value)
    del manifest["extra"]["nodes"]  # as written by xport before it kept the map
    entry.value = json.dumps(manifest)
    onnx.save(model, str(tmp_path / "old.onnx"))
    report = profile(tmp_path / "old.onnx", runs=2, isolate=False)
    assert report.nodes and not report.attributed
    assert "runtime node" in report.table() and "export it again" in report.table()


def test_onnx_profile_names_the_module_of_convs_ort_moved_to_its_blocked_layout(tmp_path):
    """2-D convs: ORT's NCHWc pass renames each after the output of the node it replaces (``hardtanh_nchwc``)."""
    require_backend("onnx")
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.ReLU6(), torch.nn.Conv2d(16, 32, 1),
                                torch.nn.ReLU6(), torch.nn.Conv2d(32, 32, 3, padding=1, groups=32)).eval()
    artifact = xport.export(model, (torch.randn(1, 3, 32, 32),), "onnx", tmp_path / "out", ort_format=False)
    report = profile(artifact, runs=2, isolate=False)
    convs = [n for n in report.nodes if n.op == "Conv"]
    assert len(convs) == 3 and [n.module for n in convs] == ["1", "3", "4"], report.table()  # conv + its ReLU6


def test_a_wrong_input_shape_is_refused_before_profiling(exports):
    require_backend("onnx")
    with pytest.raises(InputSpecError, match="expected"):
        profile(tiny_artifact(exports, "onnx"), torch.zeros(1, 3, 2, 8, 8))


def test_node_map_pairs_runtime_ops_in_order_only_where_the_counts_agree():
    nodes = NodeMap([GraphNode("convolution", "convolution", "a.conv"), GraphNode("relu", "relu", "a.act"),
                     GraphNode("convolution_1", "convolution", "b.conv"), GraphNode("add", "add", "b")])
    paired = nodes.in_order(["Transpose (ND, X32)", "Convolution (NHWC, F32) IGEMM", "Fully Connected (NC, F32) GEMM",
                             "Add (ND)", "Add (ND)"])
    assert [p.module if p else None for p in paired] == [None, "a.conv", "b.conv", None, None]  # 2 adds vs 1: unpaired
    assert between(["a.x.conv", None, "a.x.act", None, "b.conv"]) == ["a.x.conv", "a.x", "a.x.act", None, "b.conv"]
    assert nodes.by_name("x_abcde_acdeb_convolution_1/aten.convolution.default/Convolution").module == "b.conv"
    assert nodes.by_name("convolution/aten.convolution.default/Convolution").module == "a.conv"
    assert nodes.by_name("Reorder_123") is None


def test_cli_profile_compares_runtimes_and_precisions_in_one_table_and_chart(tmp_path):
    for name in ("onnx", "openvino"):
        require_backend(name)
    from xport.cli import main

    out = tmp_path / "report"
    assert main(["profile", "tiny_video_cnn", "--backend", "onnx,openvino", "--compare", "fp32,int8", "--runs", "2",
                 "--out", str(out), "-q"]) == 0
    saved = json.loads((out / "profile.json").read_text())
    assert [r["label"] for r in saved] == ["onnx fp32", "onnx int8", "openvino fp32", "openvino int8"]
    assert all(r["blocks"] for r in saved)
    text = (out / "profile.md").read_text()
    assert "openvino int8" in text and "whole model" in text and "quantize/dequantize" in text
    assert (out / "profile.png").stat().st_size > 10_000
