"""Parity tolerances, as data: the shared ones by precision, each with the reason for its numbers.

Errors are measured relative to the output scale (``max|reference|``), so a tolerance means the same for
logits of size 1 and of size 100. A backend whose numbers differ declares its own in its ``BACKEND`` record (tolerances,
int8 gate, ARM tolerances); :func:`xport.backends.tolerance_for` picks the backend's entry over the shared one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tolerance:
    max_rel: float  # max |artifact − eager| / max |eager|
    min_sqnr_db: float
    min_cosine: float
    min_top1: float  # fraction of samples whose top-1 class agrees (near-ties count as agreement)
    reason: str


# The shared tolerances, by precision. A backend with its own precisions (bf16, fp16, Core ML's compressed
# forms) or other numbers declares them in its ``BACKEND.tolerances`` (:mod:`xport.backends.contract`).
DEFAULT_TOLERANCES: dict[str, Tolerance] = {
    "fp32": Tolerance(
        max_rel=1e-4, min_sqnr_db=70.0, min_cosine=0.99999, min_top1=1.0,
        reason="fp32 everywhere: only summation order differs (BN folding, conv taps, runtime kernels); "
               "measured errors are ~1e-6 of the output scale, 100x headroom for other CPUs' kernels"),
    "int8": Tolerance(
        max_rel=2.5e-1, min_sqnr_db=15.0, min_cosine=0.985, min_top1=0.5,
        reason="int8 activations (per-tensor, 256 steps over each calibrated range) and per-channel int8 weights "
               "in every conv/linear/add/mul, measured against the fp32 eager model. Measured on X3D-XS (random "
               "weights, calibrated on 8 random clips): SQNR 44.6 dB, max rel 0.9 % on ORT, OpenVINO and XNNPACK. "
               "Trained models lose more (sharper activation ranges); their accuracy is gated separately "
               "(Int8Gate). This tolerance catches broken quantization, not lost accuracy"),
}


@dataclass(frozen=True)
class Int8Gate:
    """The accuracy an int8 export must keep against fp32 on held-out clips of a trained model."""

    min_sqnr_db: float
    min_top1: float  # fraction of clips whose top-1 class agrees with fp32
    reason: str


DEFAULT_INT8_GATE = Int8Gate(
    min_sqnr_db=15.0, min_top1=0.98,
    reason="int8 vs fp32 on 96 held-out clips of the shipped trained model (parity_tests/test_quant.py), 16 "
           "calibration clips. Measured 2026-11-25: SQNR 15.9 dB (ORT), 16.1 (OpenVINO), 15.8 (XNNPACK), 16.1 "
           "(TFLite), 15.8 (lite interpreter, qnnpack), 15.9 (Core ML iOS 17, fp16 arithmetic), top-1 agreement "
           "100 % on all; the SQNR gate leaves under 1 dB, and 2 flips in 96 are allowed")


# ---- ARM parity (xport.arm): the same artifact on aarch64 kernels under emulation vs on this x86 machine ----


@dataclass(frozen=True)
class ArmTolerance:
    """How far an artifact's aarch64 outputs may be from its x86 outputs (same file, same inputs).

    ``max_rel`` is relative to the output scale (``max|x86 output|``); ``max_steps`` counts quantization steps of
    the output (int8). ``bit_exact`` says identical outputs are expected: a difference within tolerance is then
    reported as a note, not a failure. Against eager, the ARM outputs must meet the backend's usual tolerance.
    """

    max_rel: float | None
    max_steps: float | None
    bit_exact: bool
    reason: str


# ExecuTorch and LiteRT both run int8 on XNNPACK: one fact about that kernel library, used by both backends' specs.
XNNPACK_INT8_ARM = ArmTolerance(
    max_rel=None, max_steps=1.0, bit_exact=False,
    reason="XNNPACK's int8 kernels are exact, but the op producing the model output stays float (xport's "
           "quantizer keeps it so), and XNNPACK's f32 NEON GEMM sums in another order than x86's: measured "
           "2.8e-8 (LiteRT) and 3.5e-8 (ExecuTorch) abs on X3D-XS's logits (scale 0.2), far inside one step")

DEFAULT_ARM_TOLERANCES: dict[str, ArmTolerance] = {
    "fp32": ArmTolerance(
        max_rel=1e-5, max_steps=None, bit_exact=False,
        reason="fp32 NEON kernels sum in another order than x86's AVX ones, and XNNPACK picks other kernels per "
               "core (A53 vs A76); measured ≤ 1e-6 of the output scale, 10x headroom"),
    "int8": ArmTolerance(
        max_rel=None, max_steps=1.0, bit_exact=False,
        reason="int8 kernels are integer arithmetic, bit-exact across ISAs (measured on ORT and XNNPACK), but the "
               "ops xport keeps float (the output op, the squeeze-excitation convs on pooled vectors) sum in NEON "
               "order, and a float gate that feeds an int8 op can flip one rounding there: measured 2.8e-4 (ORT) "
               "and 9.1e-4 (LiteRT) of X3D-XS's output scale, a quarter of one step at most"),
}
