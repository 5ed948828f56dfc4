"""OpenVINO IR (``.xml`` + ``.bin``) for x86 edge boxes and laptops (CPU; GPU/NPU where present).

Emission uses OpenVINO's own converter on the planned ExportedProgram (``ov.convert_model`` reads
torch.export programs directly, so no ONNX round trip and no second capture), then fixes the input shapes
to the static example shapes, which OpenVINO compiles into faster kernels than dynamic ones.
Runtime: ``openvino.Core`` with the latency hint, the shared thread count and an explicit inference
precision (fp32 really is fp32 on CPUs with bf16 units).
"""

from __future__ import annotations

from xport.backends.contract import BackendSpec, Option, installed
from xport.tolerances import Tolerance

from .caps import CAPS

NAME = "openvino"


BACKEND = BackendSpec(
    name=NAME,
    summary="OpenVINO IR (.xml + .bin) for the OpenVINO CPU plugin (GPU/NPU where present)",
    suffixes=(".xml",),
    caps=CAPS,
    probe=installed("openvino"),
    requires=("openvino",),
    extra="openvino",
    options={
        "device": Option("CPU", "OpenVINO device the artifact runs on: CPU, GPU, NPU or AUTO (checked at load time)"),
        "decompose": Option((), "spec ops to decompose even though they are native (none are needed here)"),
        "native_state": Option(True, "stream models (xport.stream): keep the state inside OpenVINO as variables "
                                     "(ReadValue/Assign; reset_state() starts a new stream) instead of explicit "
                                     "inputs and outputs"),
    },
    tolerances={
        "bf16": Tolerance(
            max_rel=3e-2, min_sqnr_db=30.0, min_cosine=0.999, min_top1=0.75,
            reason="bf16 keeps 8 significant bits (0.4 % steps) in every layer; measured on X3D-XS: max rel 0.43 %, "
                   "SQNR 48 dB; ~7x headroom. Top-1 may flip on one near-tie of the 4 default inputs"),
        "fp16": Tolerance(
            max_rel=3e-2, min_sqnr_db=30.0, min_cosine=0.999, min_top1=0.75,
            reason="CPUs without fp16 arithmetic (this one) run fp16 IR in bf16, which artifact.runtime reports; "
                   "measured on X3D-XS: max rel 0.45 %, SQNR 47 dB. True fp16 (11 bits) is tighter"),
    },
    profiler="OpenVINO's per-node performance counters (PERF_COUNT)",
)

__all__ = ["NAME", "BACKEND", "CAPS"]
