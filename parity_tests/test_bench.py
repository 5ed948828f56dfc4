"""The latency protocol's logic (interleaving, statistics), without asserting on times."""

from __future__ import annotations

import pytest

from xport.benchmark import Latency, interleaved
from xport.benchmark.protocol import SETTLE_RUNS


def test_runs_are_interleaved_in_blocks_after_warmup():
    calls = []
    result = interleaved({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, runs=5, warmup=2,
                         block=2)
    # warm-up a b a b, then blocks: settling runs (these take no time: all SETTLE_RUNS of them) + up to 2 recorded
    # runs per candidate per round
    settle = SETTLE_RUNS
    assert "".join(calls) == "abab" + ("a" * (settle + 2) + "b" * (settle + 2)) * 2 + "a" * (settle + 1) + "b" * (
        settle + 1)
    assert all(len(lat.samples_ms) == 5 for lat in result.values())


def test_sample_counts_and_statistics():
    result = interleaved({"x": lambda: None}, runs=7, warmup=0)
    assert len(result["x"].samples_ms) == 7
    lat = Latency((5.0, 1.0, 3.0, 2.0, 4.0))
    assert lat.median_ms == 3.0
    assert Latency(tuple(float(i) for i in range(1, 11))).p90_ms == 9.0


def test_runs_must_be_positive():
    with pytest.raises(ValueError):
        interleaved({"x": lambda: None}, runs=0)
    with pytest.raises(ValueError):
        interleaved({"x": lambda: None}, block=0)
