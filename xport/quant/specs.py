"""The int8 scheme every backend shares: what PT2E observes and how it rounds.

Activations: int8 per-tensor affine (min/max ranges), or symmetric where the backend's ``Int8Scheme`` says so.
Weights: int8 per-channel symmetric (−127…127, so the zero point is 0 as XNNPACK, ORT and OpenVINO want).
Biases: int32 with scale = input scale × weight scale (ORT fuses Conv into QLinearConv only with such a bias);
XNNPACK takes float biases and quantizes them itself.
"""

from __future__ import annotations

import torch
import torch.fx

from xport._warnings import quiet_torchao
from xport.caps import Int8Scheme

with quiet_torchao():
    from torchao.quantization.pt2e import MinMaxObserver, PerChannelMinMaxObserver
    from torchao.quantization.pt2e.quantizer import DerivedQuantizationSpec, QuantizationSpec

ACTIVATION = QuantizationSpec(
    dtype=torch.int8, quant_min=-128, quant_max=127, qscheme=torch.per_tensor_affine, is_dynamic=False,
    observer_or_fake_quant_ctr=MinMaxObserver.with_args(eps=2**-12))
# Zero point 0: the range is symmetric around zero (NNCF's default for OpenVINO's CPU plugin).
SYMMETRIC_ACTIVATION = QuantizationSpec(
    dtype=torch.int8, quant_min=-128, quant_max=127, qscheme=torch.per_tensor_symmetric, is_dynamic=False,
    observer_or_fake_quant_ctr=MinMaxObserver.with_args(qscheme=torch.per_tensor_symmetric, eps=2**-12))


def activation_spec(scheme: Int8Scheme) -> QuantizationSpec:
    """How a backend's int8 scheme observes and rounds activations."""
    return SYMMETRIC_ACTIVATION if scheme.activations == "symmetric" else ACTIVATION

WEIGHT = QuantizationSpec(
    dtype=torch.int8, quant_min=-127, quant_max=127, qscheme=torch.per_channel_symmetric, ch_axis=0,
    is_dynamic=False, observer_or_fake_quant_ctr=PerChannelMinMaxObserver.with_args(eps=2**-12))


def _bias_qparams(observers) -> tuple[torch.Tensor, torch.Tensor]:
    act, weight = observers
    act_scale, _ = act.calculate_qparams()
    weight_scale, _ = weight.calculate_qparams()
    scale = (act_scale * weight_scale).float()
    return scale, torch.zeros_like(scale, dtype=torch.int32)


def bias_spec(x: torch.fx.Node, weight: torch.fx.Node, op: torch.fx.Node) -> DerivedQuantizationSpec:
    """int32 bias of ``op`` with scale = scale(x) × scale(weight), per output channel."""
    return DerivedQuantizationSpec(
        derived_from=[(x, op), (weight, op)], derive_qparams_fn=_bias_qparams, dtype=torch.int32,
        quant_min=-(2**31) + 1, quant_max=2**31 - 1, qscheme=torch.per_channel_symmetric, ch_axis=0)
