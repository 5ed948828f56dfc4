"""Core ML's parity tolerances for the precisions beyond the shared fp32 and int8 ones, each with its reason."""

from __future__ import annotations

from xport.tolerances import Tolerance

TOLERANCES: dict[str, Tolerance] = {
    "fp16": Tolerance(
        max_rel=1e-2, min_sqnr_db=40.0, min_cosine=0.9999, min_top1=0.75,
        reason="fp16 weights and arithmetic (11 significant bits), one rounding per op as the MIL evaluator emulates "
               "it; measured on X3D-XS: max rel 7.2e-4, SQNR 65 dB (14x headroom). A Neural Engine that also "
               "accumulates in fp16 adds error this emulation cannot show; top-1 may flip on a near-tie"),
    "int8w": Tolerance(
        max_rel=5e-2, min_sqnr_db=30.0, min_cosine=0.999, min_top1=0.75,
        reason="int8 weights per output channel (steps of 1/127 of each channel's largest weight), fp16 "
               "arithmetic; measured on X3D-XS: max rel 8.4e-3, SQNR 43 dB (6x headroom)"),
    "pal8": Tolerance(
        max_rel=5e-2, min_sqnr_db=30.0, min_cosine=0.999, min_top1=0.75,
        reason="256 k-means weight values per tensor, fp16 arithmetic; measured on X3D-XS: max rel 9.0e-3, "
               "SQNR 42 dB (as int8)"),
    "pal6": Tolerance(
        max_rel=1e-1, min_sqnr_db=22.0, min_cosine=0.995, min_top1=0.5,
        reason="64 k-means weight values per tensor, fp16 arithmetic; measured on X3D-XS: max rel 2.8e-2, SQNR 30 dB "
               "(3.6x headroom); an untrained X3D-XS (near-tied logits) flipped 1 of 4 top-1 at SQNR 58 dB. Check "
               "task accuracy before shipping: parity here catches broken packages"),
    "pal4": Tolerance(
        max_rel=4e-1, min_sqnr_db=10.0, min_cosine=0.95, min_top1=0.5,
        reason="16 k-means weight values per tensor: a size/accuracy trade, not a faithful copy; measured on "
               "X3D-XS: max rel 0.12, SQNR 17.7 dB. Only task accuracy (fine-tuning with palettization) can "
               "justify it; this tolerance catches broken packages, not lost accuracy"),
}
