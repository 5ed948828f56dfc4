"""Quantization-aware training: fake-quantize the model as the int8 export will, so fine-tuning can adapt."""

from __future__ import annotations

from typing import Any

import torch

from xport import backends as backend_registry
from xport._warnings import quiet_export, quiet_torchao
from xport.capture import as_input_tuple, decomposition_table
from xport.emit_options import resolve_settings

from .quantizer import XportQuantizer

with quiet_torchao():
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_qat_pt2e


def prepare_qat(model: torch.nn.Module, example_inputs: Any, backend: str = "onnx",
                options: dict[str, Any] | None = None) -> torch.fx.GraphModule:
    """A trainable graph of ``model`` with fake-quantization where ``backend``'s int8 export (with export
    ``options``, e.g. Core ML's ``minimum_deployment_target``) quantizes.

    The graph has the shapes of ``example_inputs`` (use the training batch shape). Batch-norm statistics are
    frozen (the graph is captured in eval mode, as fine-tuning from a trained model usually wants); weights,
    biases and batch-norm affine parameters train. Then :func:`convert_qat` gives the int8 graph.
    """
    be = backend_registry.get(backend)
    # The capabilities under the export's settings: Core ML's int8 ops exist only from iOS 17.
    caps = be.caps_for(resolve_settings(backend, be.options, options or {}))
    quantizer = XportQuantizer(caps, quantize_bias=False)
    with quiet_torchao(), quiet_export():
        program = torch.export.export(model.eval(), as_input_tuple(example_inputs))
        graph = program.run_decompositions(decomposition_table()).module()  # spec ops, as export captures them
        return prepare_qat_pt2e(graph, quantizer)


def convert_qat(prepared: torch.fx.GraphModule) -> torch.fx.GraphModule:
    """The int8 (QDQ) graph of a QAT-trained :func:`prepare_qat` graph."""
    with quiet_torchao():
        return convert_pt2e(prepared)
