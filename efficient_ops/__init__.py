"""Efficient blocks and the model zoo (``create_model``, ``list_models``).

Blocks are plain trainable ``nn.Module``s whose captured graphs contain spec ops only, with no backend
branches inside; the planner adapts them to each backend.
"""

from . import movinet, tiny_causal_cnn, tiny_video_cnn, tsm, x3d  # noqa: F401  (register the zoo models)
from .activations import Swish, activation_names, make_activation
from .bottleneck import X3dBottleneck
from .conv_blocks import Conv3d3x3x3DwBnAct, Conv3dPwBnAct, Conv3dSpatialBnAct, Conv3dTemporalBnAct, ConvBnAct3d
from .elementwise import GatedMul, ResidualAdd
from .head import FullyConnected, X3dHead
from .movinet import MoViNetA0Like
from .pooling import GlobalAvgPool3d
from .registry import ModelCard, create_model, list_models, model_card, register_model
from .squeeze_excitation import SqueezeExcitation3d
from .tiny_causal_cnn import TinyCausalCNN
from .tsm import TsmMobileNetV2Online
from .x3d import EfficientX3d

__all__ = [
    "create_model", "list_models", "model_card", "register_model", "ModelCard",
    "ConvBnAct3d", "Conv3dPwBnAct", "Conv3d3x3x3DwBnAct", "Conv3dSpatialBnAct", "Conv3dTemporalBnAct",
    "Swish", "make_activation", "activation_names", "SqueezeExcitation3d", "GlobalAvgPool3d", "FullyConnected",
    "X3dHead", "X3dBottleneck", "ResidualAdd", "GatedMul", "EfficientX3d", "MoViNetA0Like", "TinyCausalCNN",
    "TsmMobileNetV2Online",
]
