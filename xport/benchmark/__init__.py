"""Benchmarks with one protocol for every runtime: :func:`bench` and the report it returns.

``protocol`` times callables interleaved; ``machine`` measures this machine's matmul peak and names its
CPU and tool versions; ``machine_load`` watches what else runs while timing; ``credibility`` judges whether each
ratio can be quoted; ``flops`` counts a model's FLOPs; ``memory`` measures peak memory in a child
process; ``report`` turns results into JSON, markdown and terminal tables; ``chart`` draws the PNG.
"""

from .credibility import Credibility, RatioVerdict, assess
from .protocol import DEFAULT_THREADS, Latency, interleaved
from .report import BenchReport, BenchRow
from .run import bench

__all__ = ["DEFAULT_THREADS", "Latency", "interleaved", "bench", "BenchReport", "BenchRow", "assess", "Credibility",
           "RatioVerdict"]
