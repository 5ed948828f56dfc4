"""Resolve a model named on the command line: a zoo name or ``package.module:factory``."""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import torch

from .efficient_ops import create_model
from .errors import XportError


def load_model(ref: str, pretrained: str | None = None) -> torch.nn.Module:
    """A zoo model (``efficient_x3d_xs``, with an optional local checkpoint) or ``package.module:factory``
    called with no arguments."""
    if ":" in ref:
        if pretrained:
            raise XportError("--pretrained applies to zoo models; load weights inside your factory instead")
        module_name, _, attr = ref.partition(":")
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


def example_inputs(model: torch.nn.Module, shape: Sequence[int] | None = None) -> tuple[torch.Tensor, ...]:
    """One seeded example clip: of ``shape`` if given, else from the model's card (batch 1)."""
    card = getattr(model, "default_cfg", None)
    if shape is not None:
        return (torch.randn(*shape, generator=torch.Generator().manual_seed(0)),)
    if card is not None:
        return (card.example_input(),)
    raise XportError("the model has no default_cfg with an input size; pass --input-shape, e.g. 1,3,4,160,160")


def parse_shape(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        return tuple(int(d) for d in text.replace("x", ",").split(",") if d.strip())
    except ValueError:
        raise XportError(f"--input-shape '{text}' is not a list of integers like 1,3,4,160,160") from None
