"""TSM and video transformers: xport's artifacts vs each runtime's own converter on the same model, in one run.

    python examples/bench_families.py [FAMILY ...]     (default: every family below)

ONNX: xport's .onnx vs ``torch.onnx.export`` of the eager model, both in onnxruntime with the same session options.
OpenVINO: xport's IR vs ``ov.convert_model`` of the eager model, compiled with the same settings (CPU, latency hint,
2 threads, fp32). Each own-converter output is checked against eager too: a fast wrong answer is reported, not
ranked. Medians of one interleaved run (``xport.benchmark.interleaved``), printed as ratios to eager.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnxruntime as ort
import openvino as ov
import torch

import xport
from xport.benchmark import DEFAULT_THREADS, interleaved

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from parity_tests.video_families import Tsm, TubeletEncoder, shift_roll, shift_zeros  # noqa: E402

CLIP = (1, 3, 8, 112, 112)
_VIT = dict(dim=192, heads=3, depth=4, frames=8, size=112, tubelet=(2, 16, 16))  # ViT-Ti-like widths
FAMILIES: dict[str, Callable[[], torch.nn.Module]] = {
    "tsm_zeros_shift": lambda: Tsm(shift_zeros, segments=8, width=64),
    "tsm_roll_shift": lambda: Tsm(shift_roll, segments=8, width=64),
    "vivit_cls_token": lambda: TubeletEncoder(**_VIT, cls_token=True),
    "videomae_mean_pool": lambda: TubeletEncoder(**_VIT, cls_token=False),
    "timesformer_sdpa": lambda: TubeletEncoder(**{**_VIT, "depth": 2, "tubelet": (1, 16, 16)}, cls_token=False,
                                               block="divided_sdpa"),
    "timesformer_mha": lambda: TubeletEncoder(**{**_VIT, "depth": 2, "tubelet": (1, 16, 16)}, cls_token=False,
                                              block="divided_mha"),
}


def rel_error(out: np.ndarray, ref: torch.Tensor) -> float:
    return float(np.abs(out - ref.numpy()).max() / ref.abs().max())


def onnx_own(model: torch.nn.Module, clip: torch.Tensor, workdir: str) -> tuple[Callable[[], object], float]:
    path = f"{workdir}/own.onnx"
    torch.onnx.export(model, (clip,), path, dynamo=True, external_data=False, verbose=False)
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = DEFAULT_THREADS, 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: clip.numpy()}
    return (lambda: session.run(None, feed)), rel_error(session.run(None, feed)[0], model(clip))


def openvino_own(model: torch.nn.Module, clip: torch.Tensor) -> tuple[Callable[[], object], float]:
    converted = ov.convert_model(model, example_input=clip)
    config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": DEFAULT_THREADS,
              "INFERENCE_PRECISION_HINT": "f32"}
    request = ov.Core().compile_model(converted, "CPU", config).create_infer_request()
    array = clip.numpy()
    return (lambda: request.infer([array])), rel_error(request.infer([array])[0], model(clip))


def bench(name: str, runs: int = 20) -> list[str]:
    torch.manual_seed(0)
    model = FAMILIES[name]().eval()
    clip = torch.randn(CLIP, generator=torch.Generator().manual_seed(0))
    candidates: dict[str, Callable[[], object]] = {"eager": lambda: model(clip)}
    errors: dict[str, float] = {}
    with torch.no_grad(), tempfile.TemporaryDirectory() as workdir:
        for backend in ("onnx", "openvino"):
            artifact = xport.export(model, clip, backend, f"{workdir}/{backend}")
            errors[f"xport {backend}"] = xport.verify(model, artifact).max_rel
            candidates[f"xport {backend}"] = lambda a=artifact: a.run(clip)
        candidates["own onnx"], errors["own onnx"] = onnx_own(model, clip, workdir)
        candidates["own openvino"], errors["own openvino"] = openvino_own(model, clip)
        latency = interleaved(candidates, runs=runs)
    eager_ms = latency["eager"].median_ms
    cells = [f"{eager_ms / latency[c].median_ms:.2f}× ({errors[c]:.0e})" for c in
             ("xport onnx", "own onnx", "xport openvino", "own openvino")]
    return [f"| {name} | {eager_ms:.1f} ms | " + " | ".join(cells) + " |"]


def main(names: list[str]) -> None:
    print("| model | eager | xport ONNX | torch.onnx → ORT | xport OpenVINO | ov.convert_model |")
    print("|---|---|---|---|---|---|")
    for name in names or list(FAMILIES):
        print("\n".join(bench(name)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
