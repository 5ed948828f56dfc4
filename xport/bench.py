"""Latency measurement with one protocol for every runtime.

Candidates run interleaved (A B C A B C ...) after a warm-up, so drift on a noisy machine hits all of them
alike, and results are medians; speed-ups are ratios inside one run, never against stored numbers.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import torch


@dataclass(frozen=True)
class Latency:
    samples_ms: tuple[float, ...]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p90_ms(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]


def interleaved(candidates: Mapping[str, Callable[[], Any]], runs: int = 20, warmup: int = 3,
                threads: int = 2) -> dict[str, Latency]:
    """Median-ready latency samples of each zero-argument callable, measured round-robin."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        for _ in range(warmup):
            for fn in candidates.values():
                fn()
        samples: dict[str, list[float]] = {name: [] for name in candidates}
        for _ in range(runs):
            for name, fn in candidates.items():
                start = time.perf_counter()
                fn()
                samples[name].append((time.perf_counter() - start) * 1e3)
    finally:
        torch.set_num_threads(previous)
    return {name: Latency(tuple(s)) for name, s in samples.items()}
