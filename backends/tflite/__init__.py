"""TFLite / LiteRT (``.tflite``): the flatbuffer Android apps load, written by xport itself.

No converter exists that xport can rely on here: the official path (litert-torch) pulls TensorFlow-sized
dependencies and has no answer for 3-D video ops. So xport writes the flatbuffer from the planned graph with
the schema's object API shipped in ``ai-edge-litert``, builtin ops only, channels-last inside. Runtime: the
LiteRT interpreter (``ai_edge_litert.interpreter``), which applies XNNPACK by default.
"""

from __future__ import annotations

from xport.backends.contract import AppRuntime, ArmRunner, BackendSpec, Option, installed
from xport.tolerances import XNNPACK_INT8_ARM, ArmTolerance, Tolerance

from . import app
from .caps import CAPS

NAME = "tflite"


BACKEND = BackendSpec(
    name=NAME,
    summary="TFLite flatbuffer for LiteRT (.tflite), written by xport",
    suffixes=(".tflite",),
    caps=CAPS,
    probe=installed("ai-edge-litert", "LiteRT interpreter, XNNPACK"),
    requires=("ai_edge_litert", "flatbuffers"),
    extra="tflite",
    options={
        "input_layout": Option("NCTHW", "axis order of the inputs the app feeds: as the PyTorch model (NCTHW/NCHW), "
                                        "or channels-last (NTHWC/NHWC), which saves the one TRANSPOSE at the graph's "
                                        "input"),
        "decompose": Option((), "spec ops to decompose even though they are native"),
    },
    tolerances={
        "fp16": Tolerance(
            max_rel=1e-2, min_sqnr_db=40.0, min_cosine=0.9999, min_top1=0.75,
            reason="float16 weights (11 significant bits), fp32 activations on CPUs without fp16 arithmetic; "
                   "measured on X3D-XS: max rel 3.4e-4, SQNR 73 dB (30x headroom). Phones with fp16 units may also "
                   "compute in fp16 (XNNPACK), which this x86 check cannot show; top-1 may flip on a near-tie"),
    },
    apps={"android": AppRuntime("LiteRT (Gradle: com.google.ai.edge.litert:litert)", app.kotlin, default_order=1)},
    arm=ArmRunner("arm_runner.py", wheels=("ai-edge-litert",), tolerances={
        "fp16": ArmTolerance(
            max_rel=1e-3, max_steps=None, bit_exact=False,
            reason="float16 weights: LiteRT's XNNPACK computes in fp32 by default (then ≈ fp32's 1e-6), but may use "
                   "fp16 arithmetic on cores that have it (A55/A76), one fp16 step is 4.9e-4 relative"),
        "int8": XNNPACK_INT8_ARM,
    }),
    no_profiler=("LiteRT's Python interpreter has no op profiler; on a phone, run LiteRT's benchmark_model with "
                 "--enable_op_profiling=true (the executorch profile shows the same XNNPACK kernels)"),
)

__all__ = ["NAME", "BACKEND", "CAPS"]
