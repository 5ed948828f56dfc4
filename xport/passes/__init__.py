"""Graph rewrites that make every node a spec op the target backend runs natively (one pass per file)."""

from .activation_before_view import ActivationBeforeView
from .base import GraphPass, PlanContext
from .batch_norm_to_affine import BatchNormToAffine
from .conv1d_to_conv2d import Conv1dToConv2d
from .conv3d_to_conv2d import Conv3dToConv2d
from .fold_batch_norm import FoldBatchNorm
from .full_to_constant import FullToConstant
from .global_pool_to_mean import GlobalPoolToMean
from .graph import relift, unlift
from .mean_to_spatial_mean import MeanToSpatialMean
from .pipeline import build_pipeline
from .pool_to_pool2d import PoolToPool2d
from .remove_noops import RemoveNoOps

__all__ = [
    "GraphPass", "PlanContext", "build_pipeline", "unlift", "relift",
    "RemoveNoOps", "FoldBatchNorm", "BatchNormToAffine", "GlobalPoolToMean", "PoolToPool2d", "Conv1dToConv2d",
    "Conv3dToConv2d", "ActivationBeforeView", "MeanToSpatialMean", "FullToConstant",
]
