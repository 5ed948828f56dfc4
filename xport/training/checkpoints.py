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

from xport.efficient_ops import create_model
from xport.efficient_ops.checkpoints import read_checkpoint
from xport.efficient_ops.finetuned import finetuned_meta
from xport.errors import ModelFormatError

STATE_FORMAT = "xport-finetune-state/1"


def atomic_save(obj: Any, path: Path) -> None:
    """``torch.save`` through a temporary file, so an interruption never leaves a truncated checkpoint."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def load_finetuned(path: str | Path) -> torch.nn.Module:
    """The model an xport fine-tuned checkpoint describes, weights loaded, eval mode."""
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
