"""xport's OpenVINO artifacts vs OpenVINO's own conversion of the same model, and vs eager, in one run.

    python examples/bench_openvino.py [MODEL ...]       (default: efficient_x3d_xs efficient_x3d_s)

Both paths compile with the same settings (CPU, latency hint, 2 threads, explicit inference precision),
so the difference is only the graph each conversion produces. Prints a markdown table of medians.
"""

from __future__ import annotations

import sys
import tempfile

import openvino as ov
import torch

import xport
from xport.benchmark import DEFAULT_THREADS, interleaved
from xport.efficient_ops import create_model

HINTS = {"fp32": "f32", "bf16": "bf16", "fp16": "f16"}


def openvino_own(model: torch.nn.Module, clip: torch.Tensor, precision: str, workdir: str):
    """OpenVINO's converter applied to the eager module, compiled like xport's artifacts."""
    converted = ov.convert_model(model, example_input=clip)
    converted.reshape({converted.inputs[0]: list(clip.shape)})
    path = f"{workdir}/own_{precision}.xml"
    ov.save_model(converted, path, compress_to_fp16=precision == "fp16")
    config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": DEFAULT_THREADS,
              "INFERENCE_PRECISION_HINT": HINTS[precision]}
    request = ov.Core().compile_model(path, "CPU", config).create_infer_request()
    array = clip.numpy()
    return lambda: request.infer([array])


def bench(name: str, runs: int = 30) -> list[str]:
    model = create_model(name)
    clip = model.default_cfg.example_input()
    candidates = {}

    def eager():
        with torch.no_grad():
            model(clip)

    candidates["eager (PyTorch fp32)"] = eager
    ran = {}
    with tempfile.TemporaryDirectory() as workdir:
        for precision in ("fp32", "bf16", "fp16"):
            artifact = xport.export(model, clip, "openvino", f"{workdir}/{precision}", precision=precision)
            xport.verify(model, artifact)
            ran[precision] = artifact.runtime
            candidates[f"xport {precision}"] = lambda a=artifact: a.run(clip)
            candidates[f"OpenVINO own {precision}"] = openvino_own(model, clip, precision, workdir)
        latency = interleaved(candidates, runs=runs)
    eager_ms = latency["eager (PyTorch fp32)"].median_ms
    rows = [f"| {name} | {label} | {lat.median_ms:.2f} | {lat.p90_ms:.2f} | {eager_ms / lat.median_ms:.2f}x |"
            for label, lat in latency.items()]
    notes = [f"| {name} | (xport {p} ran as: {ran[p]}) | | | |" for p in ran]
    return rows + notes


def main(models: list[str]) -> None:
    print("| model | candidate | median ms | p90 ms | vs eager |")
    print("|---|---|---|---|---|")
    for name in models or ["efficient_x3d_xs", "efficient_x3d_s"]:
        print("\n".join(bench(name)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
