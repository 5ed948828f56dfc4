"""``xport profile`` of one artifact in a child process that loads only that artifact's runtime.

    python -m xport.profiling.child ARTIFACT INPUTS.pt --runs N --threads T --label LABEL

The child prints the :class:`~.report.ProfileReport` as one JSON line. In one process, a runtime's worker threads
keep spinning after its call returns and slow the next runtime's nodes (a lite-interpreter profile after three
other runtimes read 2.5x its whole-model time); in its own process a profile sees only its runtime.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import torch

from xport.errors import XportError

from .report import ProfileReport


def profile_in_child(path: Path, inputs: tuple[torch.Tensor, ...], *, runs: int, threads: int, label: str,
                     timeout: float = 1800) -> ProfileReport:
    """:func:`xport.profile` of the artifact at ``path`` in a child process."""
    with tempfile.TemporaryDirectory(prefix="xport-profile-") as scratch:
        saved = Path(scratch) / "inputs.pt"
        torch.save(inputs, saved)
        command = [sys.executable, "-m", __name__, str(path), str(saved), "--runs", str(runs), "--threads",
                   str(threads), "--label", label]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise XportError(f"profiling {path.name} ran past {timeout:.0f} s") from exc
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}, no error output"])[-1]
        raise XportError(f"profiling {path.name} failed in its child process: {last}")
    return ProfileReport.from_dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _child(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {__name__}")
    parser.add_argument("artifact", type=Path)
    parser.add_argument("inputs", type=Path)
    parser.add_argument("--runs", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--label", required=True)
    args = parser.parse_args(argv)

    from xport.api import load

    from .here import profile_here

    artifact = load(args.artifact, threads=args.threads)
    report = profile_here(artifact, torch.load(args.inputs), runs=args.runs, threads=args.threads, label=args.label)
    print(json.dumps(report.to_dict()))


if __name__ == "__main__":
    _child()
