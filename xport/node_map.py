"""Which ``nn.Module`` each node of an exported graph came from.

At export, :func:`record` writes the planned graph's nodes (name, op, module path), in execution order, into the
manifest (``extra["nodes"]``), so the map travels inside the artifact and survives what the runtime does later.
``xport profile`` then names each runtime node's module in one of two ways:

- **by name**, where the runtime keeps the graph's node names (OpenVINO, ONNX Runtime): :meth:`NodeMap.by_name`;
- **in order**, where it keeps only the op kinds (XNNPACK's operators in ExecuTorch, the lite interpreter's ATen
  calls): :meth:`NodeMap.in_order` pairs the k-th runtime op of a kind with the k-th graph node of that kind, for
  kinds whose counts agree.

A runtime node neither way names (a layout change the runtime inserted, an op it split or fused differently) is
placed by :func:`between`: in the module both its attributed neighbours belong to, else left unattributed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch.export import ExportedProgram

from xport.capture import module_path
from xport.quant.qdq import is_qdq

KEY = "nodes"

# Runtime and graph op names → one kind, so the two sequences can be paired. Convolutions and linear layers are one
# kind: XNNPACK runs a 1×1 convolution as "Fully Connected", the planner may write a linear layer as a convolution.
_KINDS = {
    "gemm": ("convolution", "conv1d", "conv2d", "conv3d", "linear", "addmm", "mm", "fully connected",
             "deconvolution", "conv", "fusedconv", "qlinearconv", "convinteger", "gemm", "matmul"),
    "mul": ("mul", "multiply"),
    "add": ("add",),
    "sigmoid": ("sigmoid",),
    "clamp": ("clamp", "relu", "relu6", "hardtanh", "relu_"),
    "mean": ("mean", "global average pooling", "reducemean"),
    "hardswish": ("hardswish",),
    "silu": ("silu", "swish"),
    "softmax": ("softmax", "_softmax"),
    "pool": ("max_pool2d", "avg_pool2d", "max pooling", "average pooling"),
}
_KIND_OF = {name: kind for kind, names in _KINDS.items() for name in names}


def kind(op: str) -> str | None:
    """The kind of an op as a runtime or the graph names it (``"aten::_convolution"``, ``"Convolution (NHWC, F32)
    IGEMM"``, ``"convolution"`` → ``"gemm"``); None for ops outside :data:`_KINDS` (layout, quantize, ...)."""
    name = op.split("::")[-1].split(" (")[0].strip().lower()
    name = re.sub(r"\.(default|tensor|dim|out|scalar)$", "", name)
    name = name.removesuffix("_relu")  # the lite interpreter's quantized::conv2d_relu is a convolution
    return _KIND_OF.get(name) or _KIND_OF.get(name.lstrip("_"))


def _short(target: object) -> str:
    if not isinstance(target, torch._ops.OpOverload):  # a Python callable (operator.getitem): its name, no spaces
        return getattr(target, "__name__", str(target)).replace(" ", "_")
    text = str(target)
    parts = text.split(".")
    return parts[-2] if len(parts) >= 3 else parts[-1]  # "aten.convolution.default" → "convolution"


def _module(node: torch.fx.Node) -> str:
    """``node``'s module. The quantizer's quantize/dequantize nodes have none of their own: each belongs to the
    nearest op it feeds, whose int8 kernel it serves, else to the nearest op that feeds it."""
    if not is_qdq(node):
        return module_path(node)
    for follow in (lambda n: n.users, lambda n: n.all_input_nodes):
        todo, seen = [node], set()
        while todo:
            current = todo.pop(0)
            if not is_qdq(current):
                return module_path(current)
            seen.add(current)
            todo += [n for n in follow(current) if n not in seen and n.op == "call_function"]
    return ""


def record(program: ExportedProgram) -> dict:
    """The manifest entry for ``program``: its module paths once, and its compute nodes as one string,
    ``"name op module-index;..."`` (a list per node would take five lines each in the indented manifest)."""
    modules: dict[str, int] = {}
    nodes = []
    for node in program.graph_module.graph.nodes:
        if node.op == "call_function":
            nodes.append(f"{node.name} {_short(node.target)} {modules.setdefault(_module(node), len(modules))}")
    return {"modules": list(modules), "nodes": ";".join(nodes)}


@dataclass(frozen=True)
class GraphNode:
    """One node of the exported graph: its name, its op, and the module it came from (``""``: the top forward)."""

    name: str
    op: str
    module: str


class NodeMap:
    """The exported graph's nodes in order, with lookups from a runtime's node names or op sequence."""

    def __init__(self, nodes: Sequence[GraphNode]):
        self.nodes = tuple(nodes)
        self._by_name = {n.name: n for n in self.nodes}
        self._longest_first = sorted(self._by_name, key=len, reverse=True)

    @classmethod
    def from_extra(cls, extra: dict) -> NodeMap | None:
        """The map saved in a manifest's ``extra``; None for an artifact exported without one."""
        entry = extra.get(KEY)
        if not entry:
            return None
        modules = entry["modules"]
        # "name op index"; files of xport before 2026-12-05 may have spaces in the op ("<built-in function getitem>")
        return cls([GraphNode(name, op, modules[int(index)]) for name, (op, index) in
                    ((n.split(" ", 1)[0], n.split(" ", 1)[1].rsplit(" ", 1)) for n in entry["nodes"].split(";"))])

    def __len__(self) -> int:
        return len(self.nodes)

    def by_name(self, runtime_name: str) -> GraphNode | None:
        """The graph node a runtime node is named after: the name itself, or the longest graph-node name the
        runtime name's head ends with (OpenVINO names a layout change it inserts ``<input>_abcde_acdeb_<node>``)."""
        if runtime_name in self._by_name:
            return self._by_name[runtime_name]
        head = runtime_name.split("/")[0]
        for name in self._longest_first:
            if head == name or (head.endswith(name) and not head[-len(name) - 1].isalnum()):
                return self._by_name[name]
        return None

    def in_order(self, runtime_ops: Sequence[str]) -> list[GraphNode | None]:
        """Pair the k-th runtime op of each kind with the k-th graph node of that kind, for the kinds whose counts
        agree (a kind the runtime split or fused is left unpaired rather than guessed)."""
        wanted: dict[str, list[int]] = defaultdict(list)
        for i, op in enumerate(runtime_ops):
            if (k := kind(op)) is not None:
                wanted[k].append(i)
        have: dict[str, list[GraphNode]] = defaultdict(list)
        for node in self.nodes:
            if (k := kind(node.op)) is not None:
                have[k].append(node)
        paired: list[GraphNode | None] = [None] * len(runtime_ops)
        for k, positions in wanted.items():
            if len(positions) == len(have[k]):
                for i, node in zip(positions, have[k]):
                    paired[i] = node
        return paired


def between(modules: Sequence[str | None]) -> list[str | None]:
    """Fill the gaps of a per-runtime-node module list (None: not named) with the module both nearest named
    neighbours share (their common dotted prefix), when they share one; runs of gaps stay None otherwise."""
    filled = list(modules)
    known = [i for i, m in enumerate(modules) if m is not None]
    for left, right in zip(known, known[1:]):
        common = _common_prefix(modules[left], modules[right])
        if common:
            for i in range(left + 1, right):
                filled[i] = common
    return filled


def _common_prefix(a: str, b: str) -> str:
    parts = []
    for x, y in zip(a.split("."), b.split(".")):
        if x != y:
            break
        parts.append(x)
    return ".".join(parts)
