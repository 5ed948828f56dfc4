"""The fingerprint of a model's weights that a bundle records, so verify-bundle knows its eager reference."""

from __future__ import annotations

import hashlib

import torch


def weights_sha256(model: torch.nn.Module) -> str:
    """A fingerprint of the model's parameters and buffers (verify-bundle uses it to trust its eager reference)."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()
