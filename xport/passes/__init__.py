"""Graph rewrites that make every node a spec op the target backend runs natively (one pass per file)."""

from .base import GraphPass, PlanContext
from .conv3d_to_conv2d import Conv3dToConv2d
from .fold_batch_norm import FoldBatchNorm
from .global_pool_to_mean import GlobalPoolToMean
from .graph import relift, unlift
from .pipeline import build_pipeline
from .remove_noops import RemoveNoOps

__all__ = [
    "GraphPass", "PlanContext", "build_pipeline", "unlift", "relift",
    "RemoveNoOps", "FoldBatchNorm", "GlobalPoolToMean", "Conv3dToConv2d",
]
