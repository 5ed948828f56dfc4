"""Resolve a model named on the command line: a zoo name, ``package.module:factory``, or a model file."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import torch

from .efficient_ops import create_model
from .efficient_ops.finetuned import finetuned_meta
from .errors import ModelFormatError, XportError

MODEL_FILES = (".pt", ".pth", ".pyth")


def load_model(ref: str, pretrained: str | None = None) -> torch.nn.Module:
    """A zoo model (``efficient_x3d_xs``, with an optional local checkpoint), ``package.module:factory`` called with
    no arguments, or a model file: an ``xport finetune`` run's ``model.pt`` or a pickled module (``xport transmute
    --save``)."""
    if Path(ref).suffix in MODEL_FILES and Path(ref).is_file():
        if pretrained:
            raise XportError(f"{ref} is a model file; --pretrained applies to zoo models")
        return _model_file(Path(ref))
    if ":" in ref:
        if pretrained:
            raise XportError("--pretrained applies to zoo models; load weights inside your factory instead")
        module_name, _, attr = ref.partition(":")
        # The `xport` script's sys.path starts at its own folder, not the current one (`python -m` starts there).
        if os.getcwd() not in sys.path and "" not in sys.path:
            sys.path.insert(0, os.getcwd())
        try:
            factory = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise XportError(f"cannot import '{ref}': {exc}. Use package.module:factory, importable from "
                             "the current directory or an installed package") from exc
        model = factory() if callable(factory) and not isinstance(factory, torch.nn.Module) else factory
        if not isinstance(model, torch.nn.Module):
            raise XportError(f"'{ref}' gave a {type(model).__name__}, not a torch.nn.Module")
        return model.eval()

    return create_model(ref, pretrained=pretrained)


def _model_file(path: Path) -> torch.nn.Module:
    try:
        meta = finetuned_meta(path)
    except ModelFormatError:  # not a plain checkpoint: a pickled module, which only a full unpickling reads
        return _pickled_module(path)
    if meta is None:
        raise XportError(f"{path} holds weights only (a state_dict); name the model and pass the file as "
                         f"--pretrained, e.g. `efficient_x3d_xs --pretrained {path}`")
    # an `xport finetune` model.pt: the zoo model it names, its class count and weights
    return create_model(meta["model"], pretrained=str(path)).eval()


def _pickled_module(path: Path) -> torch.nn.Module:
    try:
        obj = torch.load(path, map_location="cpu", weights_only=False)  # the user's own file, named by them
    except Exception as exc:  # pickle, zip and import errors of every kind
        raise ModelFormatError(path, f"not a PyTorch model file ({type(exc).__name__}: {exc})") from None
    if not isinstance(obj, torch.nn.Module):
        raise ModelFormatError(path, f"holds a {type(obj).__name__}, not a torch.nn.Module")
    return obj.eval()


def example_inputs(model: torch.nn.Module, shape: Sequence[int] | None = None) -> tuple[torch.Tensor, ...]:
    """One seeded example clip: of ``shape`` if given, else from the model's card (batch 1)."""
    card = getattr(model, "default_cfg", None)
    if shape is not None:
        if card is not None:
            _check_against_card(shape, tuple(card.input_size))
        return (torch.randn(*shape, generator=torch.Generator().manual_seed(0)),)
    if card is not None:
        return (card.example_input(),)
    raise XportError("the model has no default_cfg with an input size; pass --input-shape, e.g. 1,3,4,160,160")


def _check_against_card(shape: Sequence[int], card_size: tuple[int, ...]) -> None:
    """A clear error for an --input-shape the model cannot take: the wrong rank or channel count (the frames and the
    frame size may differ from the card's)."""
    example = ",".join(str(d) for d in (1, *card_size))
    if len(shape) != len(card_size) + 1:
        raise XportError(f"--input-shape {','.join(map(str, shape))} has {len(shape)} dims; this model takes "
                         f"{len(card_size) + 1} (N, C, T, H, W), e.g. {example} (its card's)")
    if shape[1] != card_size[0]:
        raise XportError(f"--input-shape {','.join(map(str, shape))} has {shape[1]} channel(s); this model takes "
                         f"{card_size[0]}, e.g. {example} (its card's)")


def parse_shape(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        return tuple(int(d) for d in text.replace("x", ",").split(",") if d.strip())
    except ValueError:
        raise XportError(f"--input-shape '{text}' is not a list of integers like 1,3,4,160,160") from None
