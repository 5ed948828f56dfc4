"""Model zoo registry (timm-style): ``@register_model`` factories, ``create_model`` and ``list_models``.

Every model carries its card as ``model.default_cfg`` (input clip, preprocessing, GFLOPs, parameters,
accuracy), so exporters, the demo, packaging and ``xport zoo`` read one source of truth.
"""

from __future__ import annotations

import difflib
import functools
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

import torch

from xport.errors import XportError

from .finetuned import finetuned_meta, load_finetuned_into

log = logging.getLogger("xport")


@dataclass(frozen=True)
class ModelCard:
    """What a user needs to feed the model and what to expect of it.

    Input is NCTHW float32 RGB: frames sampled uniformly over ``clip_seconds``, short side resized to
    ``resize_short_side``, centre crop to H×W, pixel/255, then (x − mean) / std per channel.
    """

    name: str
    input_size: tuple[int, int, int, int]  # C, T, H, W (batch added by the user)
    num_classes: int
    description: str = ""
    mean: tuple[float, ...] = (0.45, 0.45, 0.45)
    std: tuple[float, ...] = (0.225, 0.225, 0.225)
    resize_short_side: int | None = None
    clip_seconds: float = 1.0
    sampling: str = "uniform"
    gflops: float | None = None  # 2 × multiply-accumulates of one clip
    params: int | None = None
    accuracy: tuple[float, float] | None = None  # top-1, top-5 of the named checkpoint
    checkpoint: str = ""
    dataset: str = ""  # what the classes are ("kinetics400": packaging ships the Kinetics-400 labels)

    @property
    def frames(self) -> int:
        return self.input_size[1]

    def example_input(self, batch: int = 1, seed: int = 0) -> torch.Tensor:
        """A seeded random clip of the model's input shape."""
        return torch.randn(batch, *self.input_size, generator=torch.Generator().manual_seed(seed))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


Factory = Callable[..., torch.nn.Module]
_REGISTRY: dict[str, tuple[Factory, ModelCard]] = {}


def register_model(card: ModelCard) -> Callable[[Factory], Factory]:
    """Decorator registering ``factory(num_classes=..., **kw)`` under ``card.name``; names are unique."""

    def wrap(factory: Factory) -> Factory:
        if card.name in _REGISTRY:
            raise ValueError(f"model '{card.name}' is already registered")
        _REGISTRY[card.name] = (factory, card)
        return factory

    return wrap


def list_models() -> list[str]:
    """Names of every zoo model."""
    return sorted(_REGISTRY)


def model_card(name: str) -> ModelCard:
    """The card of zoo model ``name``; an unknown name lists the known ones and the closest matches."""
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, list_models(), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise XportError(f"unknown model '{name}'.{hint} The zoo has: {', '.join(list_models())}")
    return _REGISTRY[name][1]


def create_model(name: str, *, num_classes: int | None = None, pretrained: str | None = None, seed: int = 0,
                 **kwargs: Any) -> torch.nn.Module:
    """Build zoo model ``name`` in eval mode, with its card attached as ``model.default_cfg``.

    ``pretrained`` is a local checkpoint path (nothing is downloaded). With a ``num_classes`` different
    from the checkpoint's, the classifier starts fresh and the skipped keys are reported (and kept in
    ``model.pretrained_report``). Initial weights are drawn from ``seed`` (the global RNG is left as it
    was), so the same call always builds the same model — ``xport verify`` relies on that.
    """
    card = model_card(name)
    factory, _ = _REGISTRY[name]
    finetuned = None
    if pretrained is not None:  # an `xport finetune` checkpoint knows its class count (and refuses other models)
        finetuned = finetuned_meta(pretrained, name)
        num_classes = finetuned["num_classes"] if finetuned and num_classes is None else num_classes
    if num_classes is not None and num_classes != card.num_classes:
        card = replace(card, num_classes=num_classes, accuracy=None, dataset="")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = factory(num_classes=card.num_classes, **kwargs)
    if pretrained is not None:
        loader = getattr(model, "load_pretrained", None)
        if loader is None and finetuned:
            loader = functools.partial(load_finetuned_into, model)
        if loader is None:
            raise XportError(f"model '{name}' has no checkpoint loader; load its state_dict yourself")
        model.pretrained_report = loader(pretrained)
        log.info("%s", model.pretrained_report)
    model.default_cfg = card
    return model.eval()
