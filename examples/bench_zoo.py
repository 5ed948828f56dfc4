"""Benchmark the zoo's X3D-XS and X3D-S on every available backend and precision, and write the report.

    python examples/bench_zoo.py [--runs N] [--backends a,b] [--precision all|fp32,...] [--out DIR] [MODEL ...]

For each model: export to every backend × precision, check parity in the real runtime, measure this
machine's fp32 matmul peak, time eager (the efficient zoo model, and for X3D the vanilla PyTorchVideo module
tree of the same architecture) and all artifacts interleaved (2 threads), measure each one's peak
memory in its own process, and write DIR/<model>/bench.{json,md,png}. Prints the markdown tables. This is
x86: phones differ in absolute terms, but the graphs are the ones the phone runs.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import xport
from xport.efficient_ops import create_model
from xport.efficient_ops.vanilla_x3d import vanilla_x3d_s, vanilla_x3d_xs

VANILLA = {"efficient_x3d_xs": vanilla_x3d_xs, "efficient_x3d_s": vanilla_x3d_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=["efficient_x3d_xs", "efficient_x3d_s"])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--backends", help="comma list (default: every available backend)")
    parser.add_argument("--precision", default="all", help="comma list, or 'all' (default: %(default)s)")
    parser.add_argument("--out", default="xport-out/bench_zoo")
    args = parser.parse_args()
    progress = logging.getLogger("xport")  # xport's progress lines only, not every library's INFO logs
    progress.addHandler(logging.StreamHandler())
    progress.setLevel(logging.INFO)
    backends = args.backends.split(",") if args.backends else None
    precisions = "all" if args.precision == "all" else args.precision.split(",")
    for name in args.models:
        print(f"[{name}] exporting, verifying and timing ...", flush=True)
        vanilla = VANILLA[name]() if name in VANILLA else None
        report = xport.bench(create_model(name), vanilla=vanilla, backends=backends, precisions=precisions,
                             runs=args.runs)
        files = report.save(Path(args.out) / name)
        print(report.markdown())
        print("\n".join(f"wrote {f}" for f in files), end="\n\n")


if __name__ == "__main__":
    main()
