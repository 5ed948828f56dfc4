"""What a PT2E observer is in a prepared graph: the one place that recognises them (calibration, bias correction)."""

from __future__ import annotations

from typing import Any

import torch
import torch.fx


def observer_of(graph_module: torch.fx.GraphModule, node: object) -> Any | None:
    """The observer module ``node`` is the output of, if it is one."""
    if isinstance(node, torch.fx.Node) and node.op == "call_module" and "activation_post_process" in str(node.target):
        return graph_module.get_submodule(node.target)
    return None


def observers(prepared: torch.fx.GraphModule) -> dict[str, Any]:
    """Observer modules of a PT2E-prepared graph holding a range, keyed by the name of the node each observes."""
    found = {}
    for node in prepared.graph.nodes:
        module = observer_of(prepared, node)
        if module is not None and hasattr(module, "min_val"):  # derived (bias) observers hold no state
            found[node.args[0].name] = module
    return found
