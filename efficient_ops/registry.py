"""Model zoo registry (timm-style): ``@register_model`` factories, ``create_model`` and ``list_models``.

Every model carries its card as ``model.default_cfg`` (input clip size, preprocessing, description), so
exporters, the demo and packaging read one source of truth.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import torch


@dataclass(frozen=True)
class ModelCard:
    """What a user needs to feed the model: clip shape (C, T, H, W) and preprocessing."""

    name: str
    input_size: tuple[int, int, int, int]  # C, T, H, W (NCTHW layout, batch added by the user)
    num_classes: int
    mean: tuple[float, ...] = (0.45, 0.45, 0.45)
    std: tuple[float, ...] = (0.225, 0.225, 0.225)
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

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
    if name not in _REGISTRY:
        raise KeyError(f"unknown model '{name}'; the zoo has: {', '.join(list_models())}")
    return _REGISTRY[name][1]


def create_model(name: str, *, num_classes: int | None = None, pretrained: str | None = None,
                 **kwargs: Any) -> torch.nn.Module:
    """Build zoo model ``name`` with its card attached as ``model.default_cfg``.

    ``pretrained`` is a local checkpoint path (nothing is downloaded).
    """
    card = model_card(name)
    factory, _ = _REGISTRY[name]
    if num_classes is not None and num_classes != card.num_classes:
        card = ModelCard(**(card.as_dict() | {"num_classes": num_classes}))
    model = factory(num_classes=card.num_classes, **kwargs)
    if pretrained is not None:
        state = torch.load(pretrained, map_location="cpu", weights_only=True)
        model.load_state_dict(state.get("state_dict", state) if isinstance(state, dict) else state)
    model.default_cfg = card
    return model
