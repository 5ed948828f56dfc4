"""Per-block error of an int8 graph: SQNR of each block's output against the fp32 graph, to find what hurts.

A block is a module path cut at ``depth`` components (``s2.pathway0_res0`` in X3D). Both graphs are run on the
same inputs with every node's output kept; a block's output is its last node in graph order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.fx

from xport.capture import module_path
from xport.parity import sqnr_db


@dataclass(frozen=True)
class BlockError:
    block: str
    sqnr_db: float  # of the block's output, int8 graph vs fp32 graph (errors accumulate from the input)
    added_db: float  # SQNR lost inside this block (previous block's SQNR minus this one's)

    def __str__(self) -> str:
        return f"{self.block:<40} SQNR {self.sqnr_db:6.1f} dB   lost here {self.added_db:5.1f} dB"


def block_of(node: torch.fx.Node, depth: int = 2) -> str:
    path = module_path(node)
    return ".".join(path.split(".")[:depth]) if path else ""


def _outputs(gm: torch.fx.GraphModule, inputs: Sequence[tuple[torch.Tensor, ...]], names: set[str]) -> dict:
    """Each named node's outputs over all inputs, concatenated (float64)."""
    kept: dict[str, list[torch.Tensor]] = {n: [] for n in names}

    class Keep(torch.fx.Interpreter):
        def run_node(self, node):
            result = super().run_node(node)
            if node.name in kept and isinstance(result, torch.Tensor):
                kept[node.name].append(result.detach().double().flatten())
            return result

    with torch.no_grad():
        for sample in inputs:
            Keep(gm).run(*sample)
    return {n: torch.cat(v) for n, v in kept.items() if v}


def block_errors(fp32: torch.fx.GraphModule, int8: torch.fx.GraphModule, inputs: Sequence[tuple[torch.Tensor, ...]],
                 depth: int = 2) -> list[BlockError]:
    """SQNR at every block's output, in graph order (the fp32 and int8 graphs share node names)."""
    last: dict[str, str] = {}
    int8_names = {n.name for n in int8.graph.nodes}
    for node in fp32.graph.nodes:
        block = block_of(node, depth)
        if node.op == "call_function" and block and node.name in int8_names:
            last[block] = node.name
    ref, out = _outputs(fp32, inputs, set(last.values())), _outputs(int8, inputs, set(last.values()))
    errors, previous = [], math.inf
    for block, name in last.items():
        if name in ref and name in out and ref[name].shape == out[name].shape:
            sqnr = sqnr_db(ref[name], out[name])
            added = (previous - sqnr) if math.isfinite(previous) else (0.0 if math.isinf(sqnr) else 100.0 - sqnr)
            errors.append(BlockError(block, sqnr, max(added, 0.0)))
            previous = sqnr
    return errors
