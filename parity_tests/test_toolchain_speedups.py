"""The toolchain speedups (xport.toolchain_speedups) change how fast an export is, never what it writes."""

from __future__ import annotations

import copy

import pytest
import torch
from torch._export import utils as export_utils
from torch.fx.traceback import NodeSource

import xport
from xport import toolchain_speedups
from xport.efficient_ops import create_model

from .helpers import require_backend, seeded


def test_the_speedups_hold_inside_the_block_only():
    materialize = export_utils._materialize_cpp_cia_ops
    link = NodeSource(None, "a pass")
    assert copy.deepcopy(link) is not link
    with toolchain_speedups.toolchain_speedups():
        with toolchain_speedups.toolchain_speedups():  # re-entrant: the inner block restores nothing
            pass
        assert copy.deepcopy(link) is link
        assert export_utils._materialize_cpp_cia_ops is not materialize
        with_speedup = export_utils._collect_all_valid_cia_ops()
    assert "__deepcopy__" not in vars(NodeSource) and copy.deepcopy(link) is not link
    assert export_utils._materialize_cpp_cia_ops is materialize
    assert with_speedup == export_utils._collect_all_valid_cia_ops()


@pytest.mark.parametrize("backend", ["onnx", "executorch"])
def test_an_export_writes_the_same_file_with_and_without_the_speedups(backend, tmp_path, monkeypatch):
    require_backend(backend)
    model, x = create_model("tiny_video_cnn"), seeded((1, 3, 4, 32, 32))
    options = {"ort_format": False} if backend == "onnx" else {}
    fast = xport.export(model, (x,), backend, tmp_path / "fast", **options)
    monkeypatch.setattr(toolchain_speedups, "_patches", lambda: [])
    plain = xport.export(model, (x,), backend, tmp_path / "plain", **options)
    if backend == "onnx":
        import onnx

        assert onnx.load(str(fast.path)).graph == onnx.load(str(plain.path)).graph
    else:
        assert fast.path.read_bytes() == plain.path.read_bytes()
    torch.testing.assert_close(fast.run(x), plain.run(x), rtol=0, atol=0)
