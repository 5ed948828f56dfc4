"""Which backends take a model, and why not where they don't: a model × backend table, ✓ or the reason.

    python examples/coverage.py                          # the video families of parity_tests/video_families.py
    python examples/coverage.py --family tsm_roll_shift  # some of them
    python examples/coverage.py --model pkg.module:build --input 1,3,8,160,160 [--input ...]   # your model
    python examples/coverage.py --verify                 # also export each and compare with eager in the runtime

Without ``--verify`` the table is ``xport check``'s verdict (no export, seconds). With it, a ✓ means the artifact
ran in the backend's own runtime and matched eager within the fp32 tolerance; the cell then gives the max relative
error. Prints a Markdown table (the README's coverage table is this script's output with ``--verify``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import torch

import xport
from xport.model_ref import load_model

REPO = Path(__file__).resolve().parent.parent


def families(names: list[str]) -> dict[str, tuple[torch.nn.Module, tuple[torch.Tensor, ...]]]:
    """The test suite's small video models (TSM, TimeSformer, ViViT, VideoMAE, MViT, Video Swin, S3D, SlowFast)."""
    sys.path.insert(0, str(REPO))
    from parity_tests.video_families import FAMILIES

    unknown = set(names) - set(FAMILIES)
    if unknown:
        raise SystemExit(f"unknown family {sorted(unknown)}; choose from {', '.join(sorted(FAMILIES))}")
    generator = torch.Generator().manual_seed(0)
    return {name: (factory(), tuple(torch.randn(*shape, generator=generator) for shape in shapes))
            for name, (factory, shapes) in FAMILIES.items() if not names or name in names}


def cell(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...], backend: str, verify: bool) -> str:
    """✓ (with the max relative error when verified) or why not, in one short line."""
    ok, why = xport.backends.get(backend).is_available()
    report = xport.check(model, inputs, backend)[backend]
    if not report.ok:
        node = report.unsupported_nodes()[0]
        return f"✗ {node.op}: {node.reason}"
    if not verify:
        return "✓ (check)"
    if not ok:
        return f"not installed ({why})"
    with tempfile.TemporaryDirectory() as out:
        try:
            artifact = xport.export(model, inputs, backend, out)
            parity = xport.verify(model, artifact, strict=False)
        except xport.XportError as exc:
            return f"✗ {str(exc).splitlines()[0]}"
    return f"✓ {parity.max_rel:.1e}" if parity.passed else f"✗ parity: {'; '.join(parity.failures)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="package.module:factory (a zoo name works too)")
    parser.add_argument("--input", action="append", default=[], help="an input shape, e.g. 1,3,8,160,160")
    parser.add_argument("--family", action="append", default=[], help="a family of video_families.py")
    parser.add_argument("--backend", action="append", default=[], help="a backend (default: all)")
    parser.add_argument("--verify", action="store_true", help="export and compare in each runtime")
    args = parser.parse_args()

    if args.model:
        model = load_model(args.model)
        shapes = [tuple(int(d) for d in s.split(",")) for s in args.input]
        inputs = tuple(torch.randn(*s) for s in shapes) if shapes else (model.default_cfg.example_input(),)
        models = {args.model: (model, inputs)}
    else:
        models = families(args.family)
    backends = args.backend or xport.backends.names()
    print("| model | " + " | ".join(backends) + " |")
    print("|---" * (len(backends) + 1) + "|")
    for name, (model, inputs) in models.items():
        cells = [cell(model, inputs, backend, args.verify).replace("|", "/") for backend in backends]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
