"""Per-node times from ONNX Runtime's own profiler (``SessionOptions.enable_profiling``, a JSON trace).

ORT names each kernel event after the node of its optimized graph; a fused node keeps the name of the node it
grew from (``node_Conv_63`` runs as ``FusedConv``), and a node ORT made itself names its origin before a ``/``
(``node_silu/QuickGeluFusion/``), and its channels-last layout pass renames the int8 nodes it moves
``<node>_token_<n>`` (``node_convolution_3_token_10`` runs as ``QLinearConv``), and its NCHWc pass (2-D convs)
names the node it makes after the output of the one it replaces, ``<output>_nchwc`` (``hardtanh_nchwc``: the conv
that absorbed the ReLU6 whose output is ``hardtanh``). Those names are read back in the ``.onnx``, whose nodes and
values torch.onnx named after the graph xport exported (a node's ``name_scopes`` metadata ends with that node's name).
"""

from __future__ import annotations

import json
import re
import statistics
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from xport.node_map import NodeMap
from xport.profiling.records import NodeTime

from .runtime import choose_providers

_PRECISIONS = {"float": "fp32", "float16": "fp16", "uint8": "int8", "int8": "int8", "bfloat16": "bf16"}
_KERNEL_SUFFIX = "_kernel_time"
# ORT's layout passes: NHWC (node_convolution_3 → node_convolution_3_token_10), NCHWc (hardtanh → hardtanh_nchwc).
_LAYOUT_SUFFIX = re.compile(r"(_token_\d+|_nchwc)+$")


def _graph_names(path: Path) -> dict[str, str]:
    """ONNX node name, and each name of its outputs, → the exported graph's node name (from torch.onnx's
    ``name_scopes`` metadata)."""
    if path.suffix != ".onnx":
        return {}
    names, outputs = {}, {}
    for node in onnx.load(str(path), load_external_data=False).graph.node:
        meta = {p.key: p.value for p in node.metadata_props}
        if "pkg.torch.onnx.name_scopes" in meta:
            names[node.name] = json.loads(meta["pkg.torch.onnx.name_scopes"].replace("'", '"'))[-1]
            outputs.update(dict.fromkeys(node.output, names[node.name]))
    return outputs | names


def _trace(path: Path, arrays: Sequence[np.ndarray], runs: int, threads: int, warmup: int) -> list[list[dict]]:
    """The kernel events of each recorded run, in execution order."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.enable_profiling = True
    with tempfile.TemporaryDirectory(prefix="xport-ort-profile-") as scratch:
        options.profile_file_prefix = str(Path(scratch) / "ort")
        session = ort.InferenceSession(str(path), options, providers=choose_providers()[0])
        feed = dict(zip((i.name for i in session.get_inputs()), arrays))
        for _ in range(warmup + runs):
            session.run(None, feed)
        events = json.loads(Path(session.end_profiling()).read_text())
    spans = [(e["ts"], e["ts"] + e["dur"]) for e in events if e.get("cat") == "Session" and e["name"] == "model_run"]
    per_run: list[list[dict]] = [[] for _ in spans]
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith(_KERNEL_SUFFIX):
            for i, (start, end) in enumerate(spans):
                if start <= e["ts"] <= end:
                    per_run[i].append(e)
                    break
    return per_run[warmup:]


def _precision(event: dict) -> str:
    types = event["args"].get("input_type_shape") or [{}]
    return _PRECISIONS.get(next(iter(types[0]), ""), "")


def profile(path: Path, arrays: Sequence[np.ndarray], runs: int, threads: int, nodes: NodeMap | None,
            warmup: int = 2) -> list[NodeTime]:
    """Median time per ORT node over ``runs`` runs, in execution order, with the module each node came from."""
    recorded = _trace(path, arrays, runs, threads, warmup)
    durations: dict[str, list[float]] = defaultdict(list)
    for run in recorded:
        for e in run:
            durations[e["name"]].append(e["dur"] / 1e3)
    graph_names = _graph_names(path) if nodes is not None else {}
    result = []
    for e in recorded[0]:
        name = e["name"][: -len(_KERNEL_SUFFIX)]
        origin = name if name in graph_names else _LAYOUT_SUFFIX.sub("", name.split("/")[0])
        found = nodes.by_name(graph_names[origin]) if origin in graph_names else None
        provider = e["args"].get("provider", "").replace("ExecutionProvider", " EP")
        result.append(NodeTime(name, e["args"].get("op_name", ""), f"{e['args'].get('op_name', '')} ({provider})",
                               _precision(e), statistics.median(durations[e["name"]]),
                               module=found.module if found else None))
    return result
