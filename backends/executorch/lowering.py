"""ExecuTorch's own lowering of a planned program: edge dialect, constant propagation, XNNPACK partitioning.

``to_edge_transform_and_lower`` runs ExecuTorch's ``constant_prop_pass`` as its edge transform, then the
``XnnpackPartitioner``. Constant propagation matters: XNNPACK takes conv weights only as constants, and the
planner's 2-D views of 3-D kernels (and the dtype casts of Python scalars, ``x * 2``) are computations on
constants until folded.
"""

from __future__ import annotations

import torch
from torch.export import ExportedProgram

from . import BACKEND
from .delegation import DelegationReport, delegation_report, xnnpack_ops, xnnpack_refusals
from .pte_format import DELEGATE, MANIFEST_METHOD

with BACKEND.quiet():  # these imports print deprecation and "experimental" notices
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.exir import EdgeProgramManager, to_edge_transform_and_lower
    from executorch.exir.pass_base import ExportedProgramPassBase, ExportedProgramPassResult
    from executorch.exir.pass_manager import ExportedProgramPassManager
    from executorch.exir.passes.constant_prop_pass import constant_prop_pass


class ConstantPropagation(ExportedProgramPassBase):
    """ExecuTorch's ``constant_prop_pass`` in the pass interface ``to_edge_transform_and_lower`` takes."""

    def call(self, program: ExportedProgram) -> ExportedProgramPassResult:
        program = constant_prop_pass(program)
        for key, value in program.constants.items():
            # A folded view of a weight still requires grad, and torch.export would warn about each one.
            if isinstance(value, torch.Tensor) and value.requires_grad:
                program.constants[key] = value.detach()
        return ExportedProgramPassResult(program, True)


def lower(program: ExportedProgram) -> tuple[EdgeProgramManager, DelegationReport]:
    """The edge program with XNNPACK partitions (and an empty manifest method), and which nodes it delegated."""
    with BACKEND.quiet(), xnnpack_refusals() as refusals:
        edge = to_edge_transform_and_lower(
            program, transform_passes=ExportedProgramPassManager([ConstantPropagation()]),
            partitioner=[XnnpackPartitioner()], constant_methods={MANIFEST_METHOD: ""})
    return edge, delegation_report(edge.exported_program().graph_module, refusals, DELEGATE, xnnpack_ops())
