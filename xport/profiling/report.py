"""A profile of one artifact: per runtime node, per block, and how its sum compares with the whole-model time."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xport.text_table import aligned

from .records import UNATTRIBUTED, BlockTime, NodeTime, block_of

DEFAULT_DEPTH = 2  # X3D: "s2.pathway0_res0" is one residual block; "head.pool" the head's pooling


@dataclass(frozen=True)
class ProfileReport:
    """Per-node times from the runtime's own profiler, mapped to the model's modules.

    ``whole_ms`` is the whole-model median measured with the benchmark protocol, profiling off; ``coverage`` the
    profiled sum over it (the rest is the runtime's own overhead between nodes, or profiler cost when above 1).
    """

    label: str
    backend: str
    precision: str
    artifact: str
    profiler: str
    runs: int
    threads: int
    nodes: tuple[NodeTime, ...]
    whole_ms: float
    notes: tuple[str, ...] = field(default=())

    @property
    def total_ms(self) -> float:
        return sum(n.ms for n in self.nodes)

    @property
    def coverage(self) -> float:
        return self.total_ms / self.whole_ms if self.whole_ms else float("nan")

    @property
    def attributed(self) -> bool:
        """Whether the nodes carry module paths (the artifact had its node map)."""
        return any(n.module is not None for n in self.nodes)

    def blocks(self, depth: int = DEFAULT_DEPTH) -> list[BlockTime]:
        """The nodes grouped by block, in the order blocks first ran; unattributed time last, as its own row."""
        grouped: dict[str, list[NodeTime]] = defaultdict(list)
        for n in self.nodes:
            grouped[block_of(n.module, depth)].append(n)
        total = self.total_ms or 1.0
        order = [b for b in grouped if b != UNATTRIBUTED] + ([UNATTRIBUTED] if UNATTRIBUTED in grouped else [])
        return [_block(name, grouped[name], total) for name in order]

    def slowest(self, count: int = 3, depth: int = DEFAULT_DEPTH) -> list[BlockTime]:
        return sorted((b for b in self.blocks(depth) if b.block != UNATTRIBUTED), key=lambda b: -b.ms)[:count]

    def table(self, depth: int = DEFAULT_DEPTH) -> str:
        head = (f"{self.label}: {self.profiler}, median of {self.runs} runs, {self.threads} threads; profiled sum "
                f"{self.total_ms:.2f} ms = {self.coverage:.0%} of the whole-model {self.whole_ms:.2f} ms")
        if not self.nodes:
            return "\n".join([f"{self.label}: whole-model {self.whole_ms:.2f} ms (median of {self.runs} runs, "
                              f"{self.threads} threads); no per-node profile", *self.notes])
        if not self.attributed:
            rows = [(n.node, f"{n.ms:.3f}", f"{n.ms / (self.total_ms or 1):.1%}", n.kernel, n.precision,
                     _delegated(n.delegated)) for n in sorted(self.nodes, key=lambda n: -n.ms)]
            return "\n".join([head, aligned(("runtime node", "ms", "share", "kernel", "precision", "delegated"),
                                            rows), *self.notes])
        rows = [(b.block, f"{b.ms:.3f}", f"{b.share:.1%}", b.nodes, ", ".join(b.kernels[:3]),
                 "/".join(b.precisions), b.delegated) for b in self.blocks(depth)]
        return "\n".join([head, aligned(("block", "ms", "share", "nodes", "kernels (most time first)",
                                         "precision", "delegated"), rows), *self.notes])

    def to_dict(self, depth: int = DEFAULT_DEPTH) -> dict[str, Any]:
        return {"label": self.label, "backend": self.backend, "precision": self.precision,
                "artifact": self.artifact, "profiler": self.profiler, "runs": self.runs, "threads": self.threads,
                "whole_ms": self.whole_ms, "total_ms": self.total_ms, "coverage": self.coverage,
                "notes": list(self.notes), "blocks": [b.to_dict() for b in self.blocks(depth)],
                "nodes": [n.to_dict() for n in self.nodes]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ProfileReport:
        return cls(d["label"], d["backend"], d["precision"], d["artifact"], d["profiler"], d["runs"], d["threads"],
                   tuple(NodeTime(**n) for n in d["nodes"]), d["whole_ms"], tuple(d.get("notes", ())))

    def save(self, path: Path | str) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=2))
        return path


def _delegated(flag: bool | None) -> str:
    return "" if flag is None else "yes" if flag else "no (fallback kernel)"


def _block(name: str, nodes: list[NodeTime], total: float) -> BlockTime:
    ms = sum(n.ms for n in nodes)
    by_kernel: dict[str, float] = defaultdict(float)
    for n in nodes:
        by_kernel[n.kernel] += n.ms
    kernels = tuple(k for k, _ in sorted(by_kernel.items(), key=lambda kv: -kv[1]) if k)
    precisions = tuple(dict.fromkeys(n.precision for n in sorted(nodes, key=lambda n: -n.ms) if n.precision))
    flags = {n.delegated for n in nodes if n.delegated is not None}
    delegated = "" if not flags else "all" if flags == {True} else "none" if flags == {False} else "partly"
    return BlockTime(name, ms, ms / total, len(nodes), kernels, precisions, delegated)
