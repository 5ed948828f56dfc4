"""The ``xport package`` and ``xport verify-bundle`` verbs."""

from __future__ import annotations

import argparse
from pathlib import Path

from xport.model_ref import load_model

from .bundle import package
from .platforms import PLATFORMS
from .verify_bundle import verify_bundle


def _comma_list(values: list[str]) -> list[str] | None:
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    return names or None


def cmd_package(args: argparse.Namespace) -> int:
    model = load_model(args.model, args.pretrained)
    bundle = package(model, args.platform, args.out, _comma_list(args.backend), args.precision,
                     labels=args.labels, fuse_preprocessing=args.fuse_preprocessing, checkpoint=args.pretrained,
                     overwrite=args.overwrite)
    for name, report in bundle.parity.items():
        print(f"{name}: parity {'PASSED' if report.passed else 'FAILED'}, max rel {report.max_rel:.2g}, "
              f"SQNR {report.sqnr_db:.0f} dB")
    for path in sorted(p for p in bundle.path.rglob("*") if p.is_file() and ".mlpackage/" not in p.as_posix()):
        print(path)
    return 0


def cmd_verify_bundle(args: argparse.Namespace) -> int:
    model = load_model(args.model, args.pretrained) if args.model else None
    checks = verify_bundle(args.bundle, args.video, model, _comma_list(args.backend), args.start)
    print("\n\n".join(str(c) for c in checks))
    return 0 if all(c.passed for c in checks) else 1


def add_verbs(verbs) -> None:
    """Register the packaging verbs on the main parser's subparsers."""
    p = verbs.add_parser("package", help="bundle a model for an Android or iOS app: artifacts, classes.txt, "
                                         "model.json, README")
    p.add_argument("--model", default="efficient_x3d_xs",
                   help="zoo model or package.module:factory (default: %(default)s)")
    p.add_argument("--pretrained", metavar="PATH", help="local checkpoint for a zoo model")
    p.add_argument("--platform", required=True, choices=sorted(PLATFORMS))
    p.add_argument("--backend", action="append", default=[], metavar="NAME[,NAME]",
                   help="backends to bundle (default: android tflite,torchscript; ios coreml)")
    p.add_argument("--precision", default="fp32")
    p.add_argument("--labels", type=Path, metavar="FILE",
                   help="class names, one per line (default: Kinetics-400 for the zoo models)")
    p.add_argument("--fuse-preprocessing", action="store_true",
                   help="fold normalisation and layout into the model: the app feeds cropped uint8 RGB (T, H, W, 3)")
    p.add_argument("--out", required=True, help="bundle directory")
    p.add_argument("--overwrite", action="store_true", help="replace files in a non-empty output directory")
    p.set_defaults(func=cmd_package)

    p = verbs.add_parser("verify-bundle", help="run a video through a bundle as an app would, print the top 5 "
                                               "and check each model against eager")
    p.add_argument("bundle", type=Path, help="bundle directory (or its assets/ or Resources/ folder)")
    p.add_argument("--video", type=Path, required=True, help="a video file (anything FFmpeg decodes)")
    p.add_argument("--model", help="eager reference (default: the zoo model model.json names)")
    p.add_argument("--pretrained", metavar="PATH", help="checkpoint for --model")
    p.add_argument("--backend", action="append", default=[], metavar="NAME[,NAME]",
                   help="check only these backends' models")
    p.add_argument("--start", type=float, default=0.0, metavar="SECONDS", help="where the clip starts in the video")
    p.set_defaults(func=cmd_verify_bundle)
