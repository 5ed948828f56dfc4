"""Reading checkpoints written by ``xport finetune``: the zoo loads them like any other checkpoint.

The format is the zoo's to read (``create_model(name, pretrained=...)`` recognises it) and training's to write
(:mod:`xport.training`); keeping the reader here lets the zoo load fine-tuned weights without importing training.
"""

from __future__ import annotations

from pathlib import Path

import torch

from xport.errors import XportError

from .checkpoints import read_checkpoint

FINETUNED_FORMAT = "xport-finetuned/1"


class CheckpointModelError(XportError):
    """A checkpoint belongs to another model (or another run) than the one it is loaded into."""


def finetuned_meta(path: str | Path, model_name: str | None = None) -> dict | None:
    """The metadata of an xport fine-tuned checkpoint (everything but the weights), or ``None`` for any other
    checkpoint. Raises :class:`CheckpointModelError` when it was fine-tuned from another model than
    ``model_name``."""
    obj = read_checkpoint(path)
    if obj.get("format") != FINETUNED_FORMAT:
        return None
    if model_name is not None and obj["model"] != model_name:
        raise CheckpointModelError(f"{path} was fine-tuned from '{obj['model']}', not '{model_name}'; "
                                   f"use create_model('{obj['model']}', pretrained=...)")
    return {k: v for k, v in obj.items() if k != "state_dict"}


def load_finetuned_into(model: torch.nn.Module, path: str | Path) -> str:
    """Load the weights of an xport fine-tuned checkpoint (strict; a different head is kept fresh)."""
    obj = read_checkpoint(path)
    state = dict(obj["state_dict"])
    own = model.state_dict()
    fresh = [k for k in state if k in own and state[k].shape != own[k].shape]
    for key in fresh:  # another class count: the user asked for a new head
        del state[key]
    try:
        model.load_state_dict(state, strict=not fresh)
    except RuntimeError as exc:
        raise CheckpointModelError(f"{path} does not fit {type(model).__name__}: {exc}") from None
    return f"loaded {len(state)} tensors from {path} (xport fine-tuned, {obj['num_classes']} classes)" + (
        f"; kept fresh: {', '.join(fresh)}" if fresh else "")
