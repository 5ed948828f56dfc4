"""Every phone runtime (LiteRT, ExecuTorch, lite interpreter, ONNX Runtime) against eager, in one run.

    python examples/bench_phone_backends.py [--runs N] [MODEL ...]   (default: efficient_x3d_xs efficient_x3d_s)

Exports each model to every available phone backend (fp32), checks parity in the real runtime, then times
all artifacts and the eager model interleaved in blocks (2 threads), and prints a markdown table of medians
with the speed-up over eager measured in the same run. This is x86: phones differ in absolute terms, but the
graphs are the ones the phone runs.
"""

from __future__ import annotations

import argparse
import tempfile

import torch
from xport.efficient_ops import create_model

import xport
from xport.benchmark import interleaved

PHONE_BACKENDS = ("tflite", "executorch", "torchscript", "onnx")


def bench(name: str, runs: int) -> list[str]:
    model = create_model(name)
    clip = model.default_cfg.example_input()

    def eager():
        with torch.no_grad():
            model(clip)

    candidates = {"eager (PyTorch fp32)": eager}
    sizes = {}
    with tempfile.TemporaryDirectory() as workdir:
        for backend in (b for b in PHONE_BACKENDS if b in xport.backends.available()):
            print(f"[{name}] exporting to {backend} ...", flush=True)
            artifact = xport.export(model, clip, backend, f"{workdir}/{backend}")
            report = xport.verify(model, artifact)
            label = f"{backend} {artifact.path.suffix} fp32"
            sizes[label] = f"{artifact.size_bytes / 1e6:.1f} MB, SQNR {report.sqnr_db:.0f} dB"
            candidates[label] = lambda a=artifact: a.run(clip)
        print(f"[{name}] timing {len(candidates)} candidates, {runs} runs each ...", flush=True)
        latency = interleaved(candidates, runs=runs)
    eager_ms = latency["eager (PyTorch fp32)"].median_ms
    return [f"| {name} | {label} | {sizes.get(label, '')} | {lat.median_ms:.2f} | {lat.p90_ms:.2f} | "
            f"{eager_ms / lat.median_ms:.2f}x |" for label, lat in latency.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=["efficient_x3d_xs", "efficient_x3d_s"])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    rows = [row for name in args.models for row in bench(name, args.runs)]
    print("| model | artifact | size, parity | median ms | p90 ms | vs eager |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
