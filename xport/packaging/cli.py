"""The ``xport package`` and ``xport verify-bundle`` verbs."""

from __future__ import annotations

import argparse
from pathlib import Path

from xport.cli_options import OPTION_HELP, options_per_backend
from xport.errors import XportError
from xport.model_ref import example_inputs, load_model

from .bundle import package
from .platforms import PLATFORMS, backends_for, platform
from .verify_bundle import verify_bundle


def _comma_list(values: list[str]) -> list[str] | None:
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    return names or None


def cmd_package(args: argparse.Namespace) -> int:
    from xport.quant.sources import calibration_from

    names = backends_for(platform(args.platform), _comma_list(args.backend))
    options = options_per_backend(args.option, names)  # before the work: a wrong key fails fast
    if args.precision == "int8" and not args.calibration:
        raise XportError("--precision int8 needs --calibration DIR (videos or .npy/.pt clips) or 'synthetic' "
                         "(random clips: timing only)")
    model = load_model(args.model, args.pretrained)
    calibration = calibration_from(args.calibration, model, example_inputs(model)) if args.calibration else None
    bundle = package(model, args.platform, args.out, names, args.precision,
                     labels=args.labels, fuse_preprocessing=args.fuse_preprocessing, checkpoint=args.pretrained,
                     overwrite=args.overwrite, options=options, calibration=calibration, max_drop=args.max_drop,
                     stream=args.stream)
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
    p.add_argument("--precision", default="fp32", help="fp32, fp16, int8 (needs --calibration) ... as the "
                                                        "backends have them (default: %(default)s)")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help=OPTION_HELP)
    p.add_argument("--calibration", metavar="DIR|FILE.json|synthetic",
                   help="int8 calibration clips: a folder of videos (class subfolders too, as make-data writes) or "
                        ".npy/.pt inputs, a saved calibration (not with --fuse-preprocessing), or 'synthetic' "
                        "(random clips: right for timing, wrong for accuracy)")
    p.add_argument("--max-drop", type=float, metavar="F",
                   help="int8 accuracy budget: keep the most sensitive blocks in float until top-1 agreement with "
                        "fp32 drops by at most F")
    p.add_argument("--labels", type=Path, metavar="FILE",
                   help="class names, one per line (default: Kinetics-400 for the zoo models)")
    p.add_argument("--fuse-preprocessing", action="store_true",
                   help="fold normalisation and layout into the model: the app feeds cropped uint8 RGB (T, H, W, 3)")
    p.add_argument("--stream", action="store_true",
                   help="bundle the per-frame form of a causal model (e.g. efficient_x3d_xs_causal): one frame per "
                        "call, the state carried over (model.json lists each state tensor)")
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
