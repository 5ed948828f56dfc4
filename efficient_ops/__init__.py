"""Efficient blocks and the model zoo (``create_model``, ``list_models``)."""

from . import tiny_video_cnn  # noqa: F401  (registers the model)
from .registry import ModelCard, create_model, list_models, model_card, register_model

__all__ = ["create_model", "list_models", "model_card", "register_model", "ModelCard"]
