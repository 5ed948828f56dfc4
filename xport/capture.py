"""Capture: ``torch.export`` of an eval-mode model, decomposed to ATen with the spec ops kept whole.

The result is a plain :class:`torch.export.ExportedProgram`. :func:`describe` maps each compute node to
its spec op (or ``None`` when the op is outside the spec); nothing fails here, so ``check`` and ``export``
can report every problem at once.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.fx
from torch.export import ExportedProgram
from torch.fx.experimental.symbolic_shapes import free_unbacked_symbols

from ._warnings import quiet_export
from .errors import CaptureError, InputSpecError
from .spec import SPEC, OpSpec


def decomposition_table() -> dict:
    """torch.export's core-ATen decompositions minus every overload the spec keeps as one op."""
    table = torch.export.default_decompositions()
    keep = set(SPEC.overloads())
    for overload in list(table):
        if str(overload) in keep:
            del table[overload]
    return table


def as_input_tuple(example_inputs: Any) -> tuple[torch.Tensor, ...]:
    """Accept one tensor or a sequence of tensors; always return a tuple of tensors."""
    inputs = (example_inputs,) if isinstance(example_inputs, torch.Tensor) else tuple(example_inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, torch.Tensor):
            raise InputSpecError(f"arg{i}", i, "a torch.Tensor", type(x).__name__)
    return inputs


MAX_BATCH = 1024


def batch_dims(inputs: Sequence[torch.Tensor], dynamic_batch: bool) -> tuple | None:
    """``dynamic_shapes`` for torch.export: one shared batch dimension on axis 0 of every input, or None."""
    if not dynamic_batch:
        return None
    batch = torch.export.Dim("batch", min=1, max=MAX_BATCH)
    return tuple({0: batch} for _ in inputs)


def traced_batch(inputs: Sequence[torch.Tensor], dynamic_batch: bool) -> tuple[torch.Tensor, ...]:
    """The inputs torch.export traces with: a batch-1 example twice over when the batch is dynamic.

    torch.export specialises an axis of size 1 to the constant 1 (its 0/1 rule), so a batch-1 example would make
    the symbolic batch fail with "Constraints violated (batch)".
    """
    inputs = tuple(inputs)
    if dynamic_batch and any(x.dim() and x.shape[0] == 1 for x in inputs):
        return tuple(x.expand(2, *x.shape[1:]).clone() if x.dim() and x.shape[0] == 1 else x for x in inputs)
    return inputs


def capture(model: torch.nn.Module, example_inputs: Any, dynamic_batch: bool = False) -> ExportedProgram:
    """Export ``model`` in eval mode with the shapes of ``example_inputs`` (axis 0 symbolic if ``dynamic_batch``).

    The model itself is left untouched (a copy is put in eval mode).
    """
    inputs = as_input_tuple(example_inputs)
    model = copy.deepcopy(model).eval()
    try:
        with torch.no_grad(), quiet_export():
            program = torch.export.export(model, traced_batch(inputs, dynamic_batch),
                                          dynamic_shapes=batch_dims(inputs, dynamic_batch))
            return _drop_tracing_asserts(program.run_decompositions(decomposition_table()))
    except Exception as exc:  # torch.export raises many unrelated types; keep the cause chained
        raise CaptureError(
            f"torch.export could not capture {type(model).__name__}: {_essence(exc)}\n"
            "Fix: make forward() traceable with static shapes (no data-dependent Python control flow, "
            "no calls into numpy), or export the traceable sub-module."
        ) from exc


def _drop_tracing_asserts(program: ExportedProgram) -> ExportedProgram:
    """Remove the dtype/device assertions torch.export records for ``tensor.to(dtype)``.

    They compute nothing, check what the artifact's input validation checks anyway, and no runtime has them.
    """
    graph = program.graph_module.graph
    for node in list(graph.nodes):
        if node.op == "call_function" and str(node.target) == "aten._assert_tensor_metadata.default" \
                and not node.users:
            graph.erase_node(node)
    program.graph_module.recompile()
    return program


def _essence(exc: Exception) -> str:
    """First line of a torch.export error plus the user code it points at (the rest is debug advice)."""
    text = str(exc)
    lines = [f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"]
    marker = "The following call raised this error:"
    if marker in text:
        after = text.split(marker, 1)[1].strip().split("\n\n")[0]
        lines.append(f"at {after.strip()}")
    return "\n".join(lines)


@dataclass(frozen=True)
class NodeInfo:
    """One compute node of a captured graph, seen through the spec."""

    node: torch.fx.Node
    spec: OpSpec | None
    attrs: Any
    module_path: str
    # Its input or output shape depends on the input values (nonzero, boolean-mask indexing): no attributes can be read,
    # and no mobile runtime plans memory for it.
    data_dependent: bool = False

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def target(self) -> str:
        return str(self.node.target)

    @property
    def op(self) -> str:
        """The spec op's name, or the ATen target for nodes outside the spec."""
        return self.spec.name if self.spec else self.target


def module_path(node: torch.fx.Node) -> str:
    """Dotted path of the innermost module that produced ``node`` (``""`` for the top-level forward)."""
    stack = node.meta.get("nn_module_stack") or {}
    if not stack:
        return ""
    path, _type = list(stack.values())[-1]
    return str(path)


# Where a node a plan pass created came from: meta["custom"] survives torch.export's re-tracing, so the quantizer
# still sees, after every pass, which ops make up a decomposed layer norm or GELU.
_DECOMPOSED = "xport_decomposed"


def decomposed_from(node: torch.fx.Node) -> tuple[str, str] | None:
    """(spec op, node name) of the captured node a plan pass decomposed into ``node``; ``None`` if captured."""
    origin = (node.meta.get("custom") or {}).get(_DECOMPOSED)
    return (origin["op"], origin["node"]) if origin else None


def mark_decomposed(new: torch.fx.Node, anchor: torch.fx.Node) -> None:
    """Record ``new`` as part of ``anchor``'s decomposition (of the outermost op, if ``anchor`` is itself a part)."""
    op, name = decomposed_from(anchor) or (SPEC.op_of(anchor), anchor.name)
    if op is not None:
        new.meta["custom"] = {**(anchor.meta.get("custom") or {}), _DECOMPOSED: {"op": op, "node": name}}


def _is_structural(node: torch.fx.Node) -> bool:
    # Tuple unpacking of multi-output ops (batch norm returns (out, mean, invstd)) computes nothing, and in a
    # dynamic-batch program sym_size reads the batch size and Python arithmetic on it (`n * t` in
    # `x.reshape(n * t, ...)`) computes the shapes of later reshapes: sizes, not tensors, which every converter
    # writes as shape arithmetic.
    return (node.op != "call_function" or node.target.__name__ == "getitem" or str(node.target) == "aten.sym_size.int"
            or isinstance(node.meta.get("val"), torch.SymInt))


def is_dynamic_program(program: ExportedProgram) -> bool:
    """Whether any user input of ``program`` has a symbolic dimension."""
    placeholders = [n for n in program.graph.nodes if n.op == "placeholder" and n.name in input_names(program)]
    return any(not isinstance(d, int) for n in placeholders for d in n.meta["val"].shape)


def describe(graph: torch.fx.Graph) -> list[NodeInfo]:
    """Every compute node of ``graph`` with its spec op and normalised attributes."""
    infos = []
    for node in graph.nodes:
        if _is_structural(node):
            continue
        spec = SPEC.match(node)
        if any(free_unbacked_symbols(n.meta.get("val")) for n in (node, *node.all_input_nodes)):
            infos.append(NodeInfo(node, spec, None, module_path(node), data_dependent=True))
            continue
        attrs = spec.attrs(node) if spec else None
        infos.append(NodeInfo(node, spec, attrs, module_path(node)))
    return infos


def input_names(program: ExportedProgram) -> Sequence[str]:
    """Names of the user inputs of a captured program, in order."""
    return [spec.arg.name for spec in program.graph_signature.input_specs if spec.kind.name == "USER_INPUT"]
