"""Each candidate timed in its own child process, side by side with the eager model in that process.

In one process, runtimes disturb each other: a runtime's worker threads keep spinning on the cores after its call
returns, and process-wide state set for one candidate (torch's quantized engine, thread-pool sizes, allocator
arenas) stays for the next. Two in-process harnesses timed the same LiteRT file at 2.6x and 3.3x eager (issue 21).
Here every candidate gets a fresh process that loads only the eager model, the candidate and its runtime, and
times the two interleaved in blocks with the shared protocol (:func:`.protocol.interleaved`): the speed-up is a
ratio of two medians measured side by side with nothing else loaded, whatever ran before.

    python -m xport.benchmark.isolated CANDIDATE BASELINE.pt INPUTS.pt [--runs N] [--warmup W] [--block B]
                                       [--threads T] [--window CLIP_ARTIFACT]

CANDIDATE is an artifact or a pickled module (``.pt``: a second eager baseline, such as the vanilla model).
With ``--window`` (CANDIDATE a stream step), the clip artifact is timed in the same rounds too: re-run on a sliding
window, it is what the step replaces, and their ratio is then measured side by side, not across two children.
The child prints one JSON line: the samples (ms) of each and what the runtime says ran (engine, precision).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .protocol import Latency

_EAGER, _CANDIDATE, _WINDOW = "eager", "candidate", "window"


@dataclass(frozen=True)
class Paired:
    """A candidate's latency and the eager model's, measured interleaved in one child process."""

    candidate: Latency
    eager: Latency
    runtime: str  # what ran, as the runtime states it
    window: Latency | None = None  # a stream step's clip artifact, timed in the same rounds

    @property
    def speedup(self) -> float:
        return self.eager.median_ms / self.candidate.median_ms


def time_paired(candidate: Path, baseline: Path, inputs: Path, *, runs: int, warmup: int, block: int,
                threads: int, timeout: float = 1800, window: Path | None = None) -> Paired | str:
    """Time ``candidate`` (artifact or pickled module) against pickled ``baseline`` on pickled ``inputs`` in a child
    process (and the clip artifact ``window`` too, for a stream step); the latencies, or why they could not be
    measured."""
    command = [sys.executable, "-m", __name__, str(candidate), str(baseline), str(inputs), "--runs", str(runs),
               "--warmup", str(warmup), "--block", str(block), "--threads", str(threads),
               *(["--window", str(window)] if window is not None else [])]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"the timing child ran past {timeout:.0f} s"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}, no error output"])[-1]
        return f"the timing child failed: {last}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return Paired(Latency(tuple(result[_CANDIDATE])), Latency(tuple(result[_EAGER])), result["runtime"],
                  Latency(tuple(result[_WINDOW])) if _WINDOW in result else None)


def _child(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {__name__}")
    parser.add_argument("candidate", type=Path)
    parser.add_argument("baseline", type=Path)
    parser.add_argument("inputs", type=Path)
    for flag in ("--runs", "--warmup", "--block", "--threads"):
        parser.add_argument(flag, type=int, required=True)
    parser.add_argument("--window", type=Path)
    args = parser.parse_args(argv)

    import torch

    from xport.api import load

    from .calls import timed_call
    from .protocol import interleaved

    torch.set_num_threads(args.threads)
    inputs = torch.load(args.inputs)

    def eager_call(path: Path):
        module = torch.load(path, weights_only=False).eval()

        def call():
            with torch.no_grad():
                module(*inputs)
        return call

    if args.candidate.suffix == ".pt":
        candidate, runtime = eager_call(args.candidate), f"PyTorch {torch.__version__} eager"
    else:
        artifact = load(args.candidate, threads=args.threads)
        candidate, runtime = timed_call(artifact, inputs), artifact.runner.runtime
    calls = {_EAGER: eager_call(args.baseline), _CANDIDATE: candidate}
    if args.window is not None:
        calls[_WINDOW] = timed_call(load(args.window, threads=args.threads), inputs)
    latency = interleaved(calls, runs=args.runs, warmup=args.warmup, threads=args.threads, block=args.block)
    print(json.dumps({**{label: lat.samples_ms for label, lat in latency.items()}, "runtime": runtime}))


if __name__ == "__main__":
    _child()
