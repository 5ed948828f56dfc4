"""The memory plan of a stream step: its inputs keep their memory to the end of every run, apart from its outputs.

An app feeds a step's new state back as the next step's inputs as it came out: ExecuTorch's Module API, in Swift
and in Kotlin alike, hands out outputs as views of the program's planned memory, and ``set_input`` copies each into
its planned input. ExecuTorch's planner lets a tensor take an input's memory once the input was last read, so an
output placed there is overwritten by the copy of another input before that output is fed back. Any portable op
before the delegate frees an input early: causal X3D-XS's channels-last step converts its frame there, and the
frame's memory was a state output's (every logit of an app's stream off); the tests' tiny causal CNN had 4 of its 9
inputs overlapping outputs. Keeping every input alive to the end of the run rules this out, for the price of the
inputs' bytes (X3D's frame: 307 KB).
"""

from __future__ import annotations

from typing import Any

import torch

from . import BACKEND

with BACKEND.quiet():  # these imports print deprecation notices
    from executorch.exir import ExecutorchBackendConfig
    from executorch.exir.memory_planning import MemoryPlanningAlgorithmSuite
    from executorch.exir.passes import MemoryPlanningPass


class _InputsKeptToTheEnd:
    """ExecuTorch's own planning algorithms, run after every graph input's lifetime is stretched to the last node."""

    def __init__(self) -> None:
        self._suite = MemoryPlanningAlgorithmSuite()

    def __call__(self, alignment: int, specs: Any, graph_module: torch.fx.GraphModule, graph_signature: Any,
                 extra_padding: int) -> list[int]:
        nodes = graph_module.graph.nodes
        user_inputs = set(graph_signature.user_inputs) if graph_signature is not None else None
        for node in nodes:
            spec = node.meta.get("spec")
            if node.op == "placeholder" and hasattr(spec, "lifetime") and (
                    user_inputs is None or node.name in user_inputs):
                spec.lifetime = [0, len(nodes) - 1]
        return self._suite(alignment, specs, graph_module, graph_signature, extra_padding)


def stream_config() -> ExecutorchBackendConfig:
    """``to_executorch``'s config for a stream step: its forward planned with inputs kept (other methods as usual)."""
    return ExecutorchBackendConfig(memory_planning_pass={"forward": MemoryPlanningPass(
        memory_planning_algo=_InputsKeptToTheEnd())})
