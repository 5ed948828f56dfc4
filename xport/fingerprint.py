"""A model's weight fingerprint: a digest of its ``state_dict`` tensors, recorded in every manifest at export.

``xport verify`` computes it again from the model it is given, so a parity failure against an artifact exported
from other weights (another checkpoint, a model trained since) is told apart from a bad conversion.

The digest covers each tensor's dtype, shape and bytes in the order of the sorted state_dict keys, but not the
key names: wrapping a model (``nn.Sequential(model)``, fused preprocessing) renames its keys without changing
what it computes. Float tensors are hashed as stored, so a cast to another dtype changes the fingerprint.
"""

from __future__ import annotations

import hashlib

import torch

PREFIX = "sha256:"


def weight_fingerprint(model: torch.nn.Module) -> str:
    """``"sha256:<hex>"`` over the tensors of ``model.state_dict()`` (parameters and buffers)."""
    digest = hashlib.sha256()
    state = model.state_dict()
    for key in sorted(state):
        tensor = state[key]
        if not isinstance(tensor, torch.Tensor):  # extra state a module chose to keep: not weights
            continue
        tensor = tensor.detach().cpu().contiguous()
        if tensor.is_quantized:
            tensor = tensor.dequantize()
        digest.update(f"{tensor.dtype}{tuple(tensor.shape)};".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return PREFIX + digest.hexdigest()


def short(fingerprint: str) -> str:
    """The first 12 hex digits, enough to tell two fingerprints apart in a message."""
    return fingerprint.removeprefix(PREFIX)[:12]
