"""The backend-neutral op spec: the contract between efficient_ops, capture, passes and backends."""

from . import traits
from .attrs import (
    AdaptivePoolAttrs,
    AxisAttrs,
    BatchNormAttrs,
    ClampAttrs,
    ConvAttrs,
    PadAttrs,
    PoolAttrs,
    RankAttrs,
    ReduceAttrs,
    ShapeAttrs,
    SliceAttrs,
    shape_of,
)
from .ops import SPEC
from .registry import OpRegistry, OpSpec

__all__ = [
    "SPEC", "OpSpec", "OpRegistry", "shape_of",
    "ConvAttrs", "BatchNormAttrs", "PoolAttrs", "AdaptivePoolAttrs", "ReduceAttrs", "ClampAttrs",
    "AxisAttrs", "ShapeAttrs", "RankAttrs", "SliceAttrs", "PadAttrs", "traits",
]
