"""Files a fine-tuning run writes: the fine-tuned model (``model.pt``) and the resumable state (``last.pt``).

``model.pt`` is a dict ``{"format": "xport-finetuned/1", "model": zoo name, "num_classes", "classes",
"state_dict", "preprocess", "val_accuracy", "config"}``; ``create_model(name, pretrained="model.pt")`` reads
the class count from it, so the fine-tuned model reloads with one call.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import torch

from xport.efficient_ops.checkpoints import read_checkpoint
from xport.errors import ModelFormatError, XportError

FINETUNED_FORMAT = "xport-finetuned/1"
STATE_FORMAT = "xport-finetune-state/1"


class CheckpointModelError(XportError):
    """A checkpoint belongs to another model (or another run) than the one it is loaded into."""


def atomic_save(obj: Any, path: Path) -> None:
    """``torch.save`` through a temporary file, so an interruption never leaves a truncated checkpoint."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


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


def load_finetuned(path: str | Path) -> torch.nn.Module:
    """The model an xport fine-tuned checkpoint describes, weights loaded, eval mode."""
    from xport.efficient_ops import create_model

    meta = finetuned_meta(path)
    if meta is None:
        raise ModelFormatError(Path(path), "is not a checkpoint written by `xport finetune`",
                               "pass the model.pt of a fine-tuning run's output folder")
    return create_model(meta["model"], pretrained=str(path))


def weights_digest(model: torch.nn.Module) -> str:
    """SHA-256 of every parameter and buffer, in state_dict order: equal digests mean equal weights."""
    h = hashlib.sha256()
    for key, tensor in model.state_dict().items():
        h.update(key.encode())
        h.update(tensor.detach().contiguous().cpu().numpy().tobytes())
    return h.hexdigest()


def load_state(path: Path) -> dict:
    """A resumable training state written by :func:`xport.finetune`."""
    obj = read_checkpoint(path)
    if obj.get("format") != STATE_FORMAT:
        raise ModelFormatError(path, "is not a training state written by `xport finetune`")
    return obj
