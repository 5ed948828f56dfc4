"""Latency measurement with one protocol for every runtime.

Candidates run interleaved in short blocks (A×k B×k C×k A×k ...) after a warm-up, so drift on a noisy
machine hits all of them alike; results are medians, and speed-ups are ratios inside one run, never against
stored numbers. Each block starts with unrecorded runs that settle the switch: right after it, the previous
runtime's worker threads are still spin-waiting on the same cores, and that is a cost of the harness, not of the
runtime. Measured here: the lite interpreter at 84 ms when alternated run by run with ONNX Runtime, 40 ms alone;
a 4 ms ONNX Runtime stream step at 8 ms for the first ~55 ms after a 32 ms run of another ONNX Runtime session
(its two sessions' pools spin on two cores). So a block starts once 0.1 s of settling runs have passed (at most
25 of them: a fast candidate settles in less).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch

from xport.artifact import DEFAULT_THREADS

SETTLE_S, SETTLE_RUNS = 0.1, 25  # unrecorded runs after a switch: until this long has passed, or this many ran


@dataclass(frozen=True)
class Latency:
    """Latency samples of one candidate, in milliseconds, in the order they were measured."""

    samples_ms: tuple[float, ...]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p90_ms(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]


def interleaved(candidates: Mapping[str, Callable[[], Any]], runs: int = 20, warmup: int = 3,
                threads: int = DEFAULT_THREADS, block: int = 5,
                on_sample: Callable[[str], None] | None = None) -> dict[str, Latency]:
    """``runs`` latency samples (ms) of each zero-argument callable, measured round-robin in blocks of ``block``.

    ``on_sample(name)`` is called after each recorded run (progress bars), outside the timed region.
    """
    if runs < 1 or block < 1:
        raise ValueError("runs and block must be at least 1")
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        for _ in range(warmup):
            for fn in candidates.values():
                fn()
        samples: dict[str, list[float]] = {name: [] for name in candidates}
        while any(len(s) < runs for s in samples.values()):
            for name, fn in candidates.items():
                _settle(fn, SETTLE_S if len(candidates) > 1 else 0.0)  # one candidate: no switch to settle
                for _ in range(min(block, runs - len(samples[name]))):
                    start = time.perf_counter()
                    fn()
                    samples[name].append((time.perf_counter() - start) * 1e3)
                    if on_sample is not None:
                        on_sample(name)
    finally:
        torch.set_num_threads(previous)
    return {name: Latency(tuple(s)) for name, s in samples.items()}


def _settle(fn: Callable[[], Any], seconds: float) -> None:
    """Unrecorded runs (at least one) until ``seconds`` have passed: after a switch, until the other runtimes'
    worker threads stop spin-waiting (see above)."""
    start = time.perf_counter()
    for _ in range(SETTLE_RUNS):
        fn()
        if time.perf_counter() - start >= seconds:
            return
