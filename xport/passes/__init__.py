"""Graph rewrites that make every node a spec op the target backend runs natively (one pass per file)."""

from .activation_before_view import ActivationBeforeView
from .attention_to_matmul import AttentionToMatmul
from .base import GraphPass, Match, PlanContext, rewrite_as, skip
from .batch_norm_to_affine import BatchNormToAffine
from .conv1d_to_conv2d import Conv1dToConv2d
from .conv3d_to_conv2d import Conv3dToConv2d
from .copy_to_expand import CopyToExpand
from .cumsum_to_adds import CumsumToAdds
from .erf_to_arithmetic import ErfToArithmetic
from .fold_batch_norm import FoldBatchNorm
from .fold_constants import FoldConstants
from .full_like_to_full import FullLikeToFull
from .full_to_constant import FullToConstant
from .gelu_to_arithmetic import GeluToArithmetic
from .global_pool_to_mean import GlobalPoolToMean
from .graph import relift, unlift
from .layer_norm_to_arithmetic import LayerNormToArithmetic
from .matmul_to_bmm import MatmulToBmm
from .mean_to_spatial_mean import MeanToSpatialMean
from .permute_merge_axes import PermuteMergeAxes
from .pipeline import build_pipeline
from .pool_to_pool2d import PoolToPool2d
from .remove_noops import RemoveNoOps
from .roll_to_slice_cat import RollToSliceCat
from .slice_scatter_to_cat import SliceScatterToCat
from .split_to_slices import SplitToSlices

__all__ = [
    "GraphPass", "PlanContext", "Match", "rewrite_as", "skip", "build_pipeline", "unlift", "relift",
    "FoldConstants", "FullLikeToFull", "CopyToExpand", "SliceScatterToCat", "SplitToSlices", "RollToSliceCat",
    "CumsumToAdds", "PermuteMergeAxes",
    "AttentionToMatmul", "MatmulToBmm", "GeluToArithmetic", "ErfToArithmetic", "LayerNormToArithmetic",
    "RemoveNoOps", "FoldBatchNorm", "BatchNormToAffine", "GlobalPoolToMean", "PoolToPool2d", "Conv1dToConv2d",
    "Conv3dToConv2d", "ActivationBeforeView", "MeanToSpatialMean", "FullToConstant",
]
