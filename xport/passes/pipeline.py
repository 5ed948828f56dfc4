"""The one place where the pass order for a backend is decided.

The list is explicit and the same for every backend; each pass rewrites only the nodes its predicate
selects under the backend's capabilities (a backend that runs conv3d natively gets no conv3d taps).
Order matters: constants fold first, before anything is judged (index arithmetic and masks are not ops to
lower); slice assignment and copies become plain ops next (their expands are then no-ops to remove); the
transformer ops (split, roll, running sums, large permutes, attention, matmul, GELU, erf, layer norm) decompose into
ops the later passes know — attention into matmuls, GELU into erf, so each comes before the pass that lowers what it
makes (layer norm's means become spatial means on XNNPACK). Batch norm is folded before conv3d is split, so every
tap carries folded weights, and only batch norms with no conv to fold into become a multiply-add; global pools
become means before any other pool rewrite sees them; means and ``full`` are rewritten last, because earlier passes
create them (global pools, the zero frames of conv3d taps). Activations move next to their conv after the conv3d
rewrite, which puts a view between them.
"""

from __future__ import annotations

from .activation_before_view import ActivationBeforeView
from .attention_to_matmul import AttentionToMatmul
from .base import GraphPass
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
from .layer_norm_to_arithmetic import LayerNormToArithmetic
from .matmul_to_bmm import MatmulToBmm
from .mean_to_spatial_mean import MeanToSpatialMean
from .permute_merge_axes import PermuteMergeAxes
from .pool_to_pool2d import PoolToPool2d
from .remove_noops import RemoveNoOps
from .roll_to_slice_cat import RollToSliceCat
from .slice_scatter_to_cat import SliceScatterToCat
from .split_to_slices import SplitToSlices


def build_pipeline() -> list[GraphPass]:
    """The ordered passes every planned graph goes through."""
    return [FoldConstants(), FullLikeToFull(), CopyToExpand(), SliceScatterToCat(), RemoveNoOps(), SplitToSlices(),
            RollToSliceCat(), CumsumToAdds(), PermuteMergeAxes(), AttentionToMatmul(), MatmulToBmm(),
            GeluToArithmetic(), ErfToArithmetic(), LayerNormToArithmetic(), FoldBatchNorm(), BatchNormToAffine(),
            GlobalPoolToMean(), PoolToPool2d(), Conv1dToConv2d(), Conv3dToConv2d(), ActivationBeforeView(),
            MeanToSpatialMean(), FullToConstant()]
