"""Helpers shared by passes: moving between ExportedProgram and an editable GraphModule.

Passes edit the *unlifted* module (``program.module()``), where parameters are ``get_attr`` nodes that a
pass can read, replace and add (folded weights, per-tap conv weights). :func:`relift` re-exports the
edited module, so the stage output is again a plain ExportedProgram with the original module paths kept
in each node's ``nn_module_stack``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.fx
from torch._guards import detect_fake_mode
from torch.export import ExportedProgram

from .._warnings import quiet_export
from ..capture import batch_dims, mark_decomposed, traced_batch

_VIEWS = (torch.ops.aten.view.default, torch.ops.aten._unsafe_view.default)
# Node metadata that says where a node came from; copied onto the nodes a pass creates.
_PROVENANCE = ("nn_module_stack", "stack_trace", "source_fn_stack")


def unlift(program: ExportedProgram) -> torch.fx.GraphModule:
    """An editable GraphModule computing ``program``, with parameters as attributes."""
    with quiet_export():
        gm = program.module()
    for node in list(gm.graph.nodes):
        # The input-shape guard is re-created by relift; passes should not see it.
        if node.op == "call_module" and node.target == "_guards_fn":
            gm.graph.erase_node(node)
    gm.graph.eliminate_dead_code()
    gm.recompile()
    return gm


def relift(gm: torch.fx.GraphModule, example_inputs: Sequence[torch.Tensor],
           dynamic_batch: bool = False) -> ExportedProgram:
    """Re-export an edited module as an ExportedProgram (node provenance survives re-tracing).

    Rewrites change which tensors are contiguous (a conv3d lowering returns a permuted view; a removed clone no longer
    copies), so every ``view`` becomes a ``reshape``: a view where the strides allow one, a copy where not, decided
    by each converter.
    """
    for node in gm.graph.nodes:
        if node.op == "call_function" and node.target in _VIEWS:
            node.target = torch.ops.aten.reshape.default
    gm.recompile()

    inputs = tuple(example_inputs)
    with torch.no_grad(), quiet_export():
        program = torch.export.export(gm, traced_batch(inputs, dynamic_batch),
                                      dynamic_shapes=batch_dims(inputs, dynamic_batch))
    return _in_aten_dialect(program)


def _in_aten_dialect(program: ExportedProgram) -> ExportedProgram:
    """The re-exported program in the ATen dialect, without a second trace.

    The edited module holds core ATen ops only, so torch.export's training dialect differs from core ATen here
    in one op: the retrace keeps each ``reshape``, where ``run_decompositions`` would choose between a ``view``
    and a copy. That choice is left to each converter (the spec's ``reshape`` is all three, and the converters
    decompose again with their own tables, where an op such as attention may lay out its output differently);
    the second trace through the whole graph cost as much as the export itself (5–11 s of a 22–28 s X3D-XS export).
    """
    program.graph_module.graph.eliminate_dead_code()  # the unused outputs of batch norm the retrace keeps
    program.graph_module.recompile()
    return ExportedProgram(
        root=program.graph_module, graph=program.graph, graph_signature=program.graph_signature,
        state_dict=program.state_dict, range_constraints=program.range_constraints,
        module_call_graph=program.module_call_graph, example_inputs=program.example_inputs,
        constants=program.constants)  # the default verifier: the ATen dialect


def _meta_val(value: Any) -> Any:
    """A node argument as the meta tensor recorded for it (so shapes can be inferred without data)."""
    if isinstance(value, torch.fx.Node):
        return _meta_val(value.meta["val"])
    if isinstance(value, torch.Tensor):  # captured nodes carry FakeTensors, which cannot mix with meta ones
        return torch.empty(value.shape, dtype=value.dtype, device="meta")
    if isinstance(value, (tuple, list)):
        return type(value)(_meta_val(v) for v in value)
    return value


def _infer_val(target: Any, args: tuple) -> Any:
    """The output a new node records, inferred without data: on meta tensors, or, where a shape is symbolic (a
    dynamic batch), on the captured FakeTensors in their own fake mode, which knows the symbols."""
    vals = torch.utils._pytree.tree_map(lambda a: a.meta["val"] if isinstance(a, torch.fx.Node) else a, args)
    fake_mode = detect_fake_mode(vals)
    if fake_mode is None or not any(isinstance(d, torch.SymInt) for v in torch.utils._pytree.tree_leaves(vals)
                                    if isinstance(v, torch.Tensor) for d in v.shape):
        return target(*_meta_val(args))
    with fake_mode:  # constants added by passes record meta tensors: made fake CPU tensors (no memory) here
        vals = torch.utils._pytree.tree_map(
            lambda v: torch.empty(v.shape, dtype=v.dtype) if isinstance(v, torch.Tensor) and v.is_meta else v, vals)
        return target(*vals)


def add_constant(gm: torch.fx.GraphModule, hint: str, value: torch.Tensor) -> str:
    """Register ``value`` as a new buffer of ``gm`` under a fresh name derived from ``hint``."""
    base = hint.replace(".", "_")
    name, i = base, 0
    while hasattr(gm, name):
        i += 1
        name = f"{base}_{i}"
    gm.register_buffer(name, value.detach().clone().contiguous())
    return name


def get_attr_value(gm: torch.fx.GraphModule, node: Any) -> torch.Tensor | None:
    """The tensor behind a ``get_attr`` node, or ``None`` if ``node`` is not a plain attribute."""
    if not isinstance(node, torch.fx.Node) or node.op != "get_attr":
        return None
    obj: Any = gm
    for part in str(node.target).split("."):
        obj = getattr(obj, part)
    return obj if isinstance(obj, torch.Tensor) else None


def copy_provenance(new: torch.fx.Node, old: torch.fx.Node) -> torch.fx.Node:
    for key in _PROVENANCE:
        if key in old.meta:
            new.meta[key] = old.meta[key]
    return new


class NodeBuilder:
    """Inserts nodes before an anchor node, each stamped with the anchor's provenance.

    ``b.call(aten.relu.default, x)`` reads as the op it emits; new constants go through ``b.const``.
    """

    def __init__(self, gm: torch.fx.GraphModule, anchor: torch.fx.Node):
        self.gm, self.anchor = gm, anchor

    def call(self, target: Any, *args: Any) -> torch.fx.Node:
        with self.gm.graph.inserting_before(self.anchor):
            node = self.gm.graph.call_function(target, args)
        # Infer the output shape on meta tensors, so later rewrites can read it like any captured node's.
        node.meta["val"] = _infer_val(target, args)
        mark_decomposed(node, self.anchor)
        return copy_provenance(node, self.anchor)

    def const(self, hint: str, value: torch.Tensor) -> torch.fx.Node:
        name = add_constant(self.gm, hint, value)
        with self.gm.graph.inserting_before(self.anchor):
            node = self.gm.graph.get_attr(name)
        node.meta["val"] = torch.empty(value.shape, dtype=value.dtype, device="meta")
        return copy_provenance(node, self.anchor)


def finish(gm: torch.fx.GraphModule) -> torch.fx.GraphModule:
    """Drop dead nodes and unused attributes after a rewrite, then regenerate code."""
    gm.graph.eliminate_dead_code()
    gm.graph.lint()
    gm.delete_all_unused_submodules()
    used = {str(n.target) for n in gm.graph.nodes if n.op == "get_attr"}
    for name in [n for n, _ in gm.named_buffers(recurse=False) if n not in used]:
        delattr(gm, name)
    gm.recompile()
    return gm
