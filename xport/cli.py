"""``xport`` command line (verb first): demo, export, check, verify, migrate, bench, profile, design, package,
verify-bundle, make-data, finetune, validate, transmute, zoo, backends, spec."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

from . import backends as backend_registry
from .api import check, export, load, verify
from .arm.compare import arm_backends
from .benchmark import bench
from .cli_options import comma_list, parse_options
from .demo import format_table, run_demo
from .design.cli import add_verbs as add_design_verbs
from .efficient_ops import list_models, model_card
from .errors import ParityError, XportError
from .migration import verify_migration
from .model_ref import example_inputs, load_model, parse_shape
from .packaging.cli import add_verbs as add_packaging_verbs
from .profiling.cli import add_verbs as add_profiling_verbs
from .quant import Calibration
from .quant.sources import calibration_from
from .spec import SPEC
from .streaming import stream
from .training.cli import add_verbs as add_training_verbs
from .transmuter import transmute

log = logging.getLogger("xport")


def _add_model_args(p: argparse.ArgumentParser) -> None:
    _add_model_ref(p)
    p.add_argument("--input-shape", metavar="N,C,T,H,W",
                   help="example input shape (default: the zoo model's card, batch 1)")


def _add_model_ref(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="zoo model name (e.g. efficient_x3d_xs; `xport zoo` lists them) or "
                                 "package.module:factory")
    p.add_argument("--pretrained", metavar="PATH", help="local checkpoint for a zoo model (official X3D "
                                                        "efficient or vanilla .pyth, or one saved by xport)")


def cmd_demo(args: argparse.Namespace) -> int:
    rows, eager_ms, skipped = run_demo(args.model, args.out, runs=args.runs, threads=args.threads,
                                       pretrained=args.pretrained)
    print(format_table(rows, eager_ms, skipped))
    return 0 if all(r.passed for r in rows) else 1


def cmd_export(args: argparse.Namespace) -> int:
    model = load_model(args.model, args.pretrained)
    inputs = example_inputs(model, parse_shape(args.input_shape))
    exported, exported_inputs = model, inputs
    if args.stream:  # the per-frame model with state; verified below against the clip model, step by step
        exported = stream(model, inputs[0].shape[:2] + inputs[0].shape[3:], clip_frames=args.clip_frames)
        exported_inputs = exported.example_inputs()
        print(f"stream model: {len(exported.states)} state tensors (listed in the manifest's extra['stream'])")
    quant = {}
    if args.precision == "int8" or args.calibration:
        if not args.calibration:
            raise XportError("--precision int8 needs --calibration DIR (videos or .npy/.pt clips), FILE.json "
                             "(saved), or 'synthetic' (random clips: timing only)")
        calibration = calibration_from(args.calibration, model, inputs)
        if args.stream and calibration.inputs:  # clips (a saved .json holds the step's own ranges): their frames,
            # each with the state a stream reaches there
            calibration = Calibration.from_data(exported.calibration_inputs(calibration.inputs), exported_inputs)
        quant = {"calibration": calibration, "max_drop": args.max_drop}
        if args.save_calibration:  # written as soon as the ranges are measured, before any max_drop search
            quant["calibration"].save_as_recorded(args.save_calibration)
    out = args.out or Path("xport-out", args.model.replace(":", "_").replace("/", "_"), args.backend)
    artifact = export(exported, exported_inputs, args.backend, out, args.precision, name=args.name,
                      overwrite=args.overwrite, dynamic_batch=args.dynamic_batch, **quant,
                      **parse_options(args.option))
    if args.save_calibration and quant:
        print(quant["calibration"].save(args.save_calibration))
    for f in artifact.files:
        print(f)
    if args.no_verify:
        return 0
    report = verify(model, artifact, strict=False)
    print(report)
    return 0 if report.passed else 1


def cmd_check(args: argparse.Namespace) -> int:
    model = load_model(args.model, args.pretrained)
    reports = check(model, example_inputs(model, parse_shape(args.input_shape)), args.backend, args.precision)
    print("\n\n".join(r.render(args.verbose) for r in reports.values()))
    return 0 if args.backend is None or all(r.ok for r in reports.values()) else 1


def cmd_verify(args: argparse.Namespace) -> int:
    arm = (args.arm_cores or True) if args.arm else False
    model = load_model(args.model, args.pretrained)
    # Shapes for a file xport did not write, used only where the file has none: --input-shape, else the card's.
    shape, shapes_from = parse_shape(args.input_shape), "--input-shape"
    if shape is None and getattr(model, "default_cfg", None) is not None:
        shape, shapes_from = tuple(example_inputs(model)[0].shape), "the model card"
    artifact = load(args.artifact, input_shapes=None if shape is None else [shape], shapes_from=shapes_from)
    report = verify(model, artifact, strict=False, arm=arm)
    print(report)
    return 0 if report.passed else 1


def cmd_migrate(args: argparse.Namespace) -> int:
    model = load_model(args.model, args.pretrained)
    report = verify_migration(model, example_inputs(model, parse_shape(args.input_shape)), args.out, ptl=args.ptl,
                              overwrite=args.overwrite, strict=False, **parse_options(args.option))
    print(report)
    return 0 if report.passed else 1


def cmd_bench(args: argparse.Namespace) -> int:
    import tempfile


    model = load_model(args.model, args.pretrained)
    inputs = example_inputs(model, parse_shape(args.input_shape))
    vanilla = None
    if args.transmute:
        vanilla, (model, report) = model, transmute(model)
        log.info("transmute: %d swap(s); the vanilla model is timed as a second baseline", len(report.swaps))
    precisions = "all" if args.precision == "all" else comma_list([args.precision])
    out = Path(args.out)
    with tempfile.TemporaryDirectory(prefix="xport-bench-") as scratch:
        work_dir = out / "artifacts" if args.keep_artifacts else Path(scratch)
        target = [Path(a) for a in args.artifact] if args.artifact else model
        report = bench(target, inputs, model=None if target is model else model, vanilla=vanilla,
                       backends=comma_list(args.backend) or None, precisions=precisions, threads=args.threads,
                       warmup=args.warmup, runs=args.runs, measure_memory=not args.no_memory, work_dir=work_dir,
                       isolate=args.isolate, progress=not args.quiet, stream=args.stream)
    print(report.table())
    for note in report.notes:
        print(f"note: {note}")
    for path in report.save(out):
        print(f"wrote {path}")
    return 0 if all(r.parity_passed is not False for r in report.rows) else 1


def cmd_transmute(args: argparse.Namespace) -> int:
    import torch


    model = load_model(args.model, args.pretrained)
    inputs = example_inputs(model, parse_shape(args.input_shape))  # before the work: a missing shape fails fast
    new, report = transmute(model, args.backend)
    print(report)
    if getattr(model, "default_cfg", None) is not None and getattr(new, "default_cfg", None) is None:
        new.default_cfg = model.default_cfg  # the saved module then exports without --input-shape
    with torch.no_grad():
        diff = (new(*inputs) - model(*inputs)).abs().max().item()
    print(f"max |transmuted − original| on the example input: {diff:.3g}")
    if args.save:
        torch.save(new, args.save)
        print(f"saved the transmuted module to {args.save} (pickled; `xport export {args.save} ...` takes it, "
              "Python: torch.load(path, weights_only=False))")
    return 0


def cmd_zoo(args: argparse.Namespace) -> int:
    header = f"{'model':<18} {'clip (C,T,H,W)':<18} {'GFLOPs':>7} {'params':>10}  {'top-1/top-5':<12} preprocessing"
    print(header)
    for name in list_models():
        c = model_card(name)
        acc = f"{c.accuracy[0]}/{c.accuracy[1]}" if c.accuracy else "-"
        prep = (f"{c.frames} frames over {c.clip_seconds:g} s, short side {c.resize_short_side or c.input_size[2]}, "
                f"centre crop {c.input_size[2]}, /255, mean {c.mean[0]}, std {c.std[0]}")
        gflops = f"{c.gflops:.2f}" if c.gflops else "-"
        params = f"{c.params:,}" if c.params else "-"
        print(f"{name:<18} {str(c.input_size):<18} {gflops:>7} {params:>10}  {acc:<12} {prep}")
        if args.verbose and c.checkpoint:
            print(f"{'':<18} official checkpoint: {c.checkpoint}")
    return 0


def cmd_backends(args: argparse.Namespace) -> int:
    for name, (ok, reason) in backend_registry.status().items():
        be = backend_registry.get(name)
        print(f"{name:<12} {'available' if ok else 'missing':<10} {reason}")
        print(f"{'':<12} {be.spec.summary}")
        print(f"{'':<12} files {', '.join(be.suffixes)}; precisions {', '.join(be.caps.precisions)}")
        for key, (default, doc) in be.options.items():
            print(f"{'':<12} option {key}={default!r}: {doc}")
    return 0


def cmd_spec(args: argparse.Namespace) -> int:
    for op in SPEC:
        print(f"{op.name:<18} {op.doc}\n{'':<18} {', '.join(op.aten)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xport", description=__doc__)
    parser.add_argument("-q", "--quiet", action="store_true", help="print results only, no progress")
    parser.add_argument("--version", action="version", version=f"xport {version('xport')}")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser("demo", help="export the default model to every available backend and tabulate")
    p.add_argument("--model", default="efficient_x3d_xs", help="model to use (default: %(default)s)")
    p.add_argument("--pretrained", metavar="PATH", help="local checkpoint for the model")
    p.add_argument("--out", default="xport-out/demo", help="output directory (default: %(default)s)")
    p.add_argument("--runs", type=int, default=20, help="timed runs per candidate (default: %(default)s)")
    p.add_argument("--threads", type=int, default=2, help="CPU threads (default: %(default)s)")
    p.set_defaults(func=cmd_demo)

    p = verbs.add_parser("export", help="export a model to one backend, then verify parity")
    _add_model_args(p)
    p.add_argument("--backend", required=True, choices=backend_registry.names())
    p.add_argument("--out", help="output directory (default: xport-out/MODEL/BACKEND)")
    p.add_argument("--precision", default="fp32")
    p.add_argument("--name", default="model", help="artifact file stem (default: %(default)s)")
    p.add_argument("--overwrite", action="store_true", help="replace files in a non-empty output directory")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="backend option (see `xport backends`), repeatable")
    p.add_argument("--dynamic-batch", action="store_true",
                   help=f"let the artifact take any batch size ({', '.join(backend_registry.with_dynamic_batch())}; "
                        "static shapes run faster)")
    p.add_argument("--no-verify", action="store_true", help="skip the parity check after export")
    p.add_argument("--stream", action="store_true",
                   help="export the per-frame form of a causal model (frame + state in, outputs + state out; e.g. "
                        "efficient_x3d_xs_causal), verified step by step against the clip model")
    p.add_argument("--clip-frames", type=int, metavar="T",
                   help="with --stream, for a model that takes clips of T frames only (TSM's num_segments): "
                        "captured on such a clip and verified after its last frame")
    p.add_argument("--calibration", metavar="DIR|FILE.json|synthetic",
                   help="int8 calibration clips: a folder of videos or .npy/.pt inputs, a saved calibration, or "
                        "'synthetic' (random clips: right for timing, wrong for accuracy)")
    p.add_argument("--max-drop", type=float, metavar="F",
                   help="int8 accuracy budget: keep the most sensitive blocks in float until top-1 agreement with "
                        "fp32 drops by at most F (e.g. 0.02)")
    p.add_argument("--save-calibration", metavar="FILE.json", help="write the measured int8 ranges for reuse")
    p.set_defaults(func=cmd_export)

    p = verbs.add_parser("check", help="show how every node lowers on each backend, before exporting")
    _add_model_args(p)
    p.add_argument("--backend", choices=backend_registry.names(), help="one backend (default: all)")
    p.add_argument("--precision", default="fp32")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="list every node (the default groups rewritten nodes), and which rewrites left each alone "
                        "and why (e.g. a batch norm not folded)")
    p.set_defaults(func=cmd_check)

    p = verbs.add_parser("verify", help="compare an exported artifact with the eager model")
    _add_model_ref(p)
    p.add_argument("artifact", type=Path, help=f"artifact file ({', '.join(backend_registry.all_suffixes())}); an "
                                               ".onnx or .ptl xport did not write works too")
    p.add_argument("--input-shape", metavar="N,C,T,H,W",
                   help="input shape for a file xport did not write, where the file records none (default: the "
                        "zoo model's card, batch 1)")
    p.add_argument("--arm", action="store_true",
                   help=f"also run it in the aarch64 runtime under qemu-aarch64-static ({', '.join(arm_backends())})")
    p.add_argument("--arm-cores", metavar="CORES", help="core settings for --arm: a53, a55, a76 (default a53,a76)")
    p.set_defaults(func=cmd_verify)

    p = verbs.add_parser("migrate", help="prove a .pte (ExecuTorch) computes what the .ptl (lite interpreter) did")
    _add_model_args(p)
    p.add_argument("--ptl", type=Path, metavar="PATH",
                   help="the .ptl the app ships today (default: export one from the model)")
    p.add_argument("--out", default="xport-out/migrate", help="output directory (default: %(default)s)")
    p.add_argument("--overwrite", action="store_true", help="replace files in a non-empty output directory")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="executorch backend option (e.g. strict=True), repeatable")
    p.set_defaults(func=cmd_migrate)

    p = verbs.add_parser("bench", help="time artifacts against eager with one protocol; write JSON, markdown, PNG")
    _add_model_args(p)
    p.add_argument("--backend", action="append", default=[], metavar="NAME[,NAME]",
                   help="backends to export to and time (default: every available one)")
    p.add_argument("--precision", default="fp32", help="comma list, or 'all' for every precision each backend "
                                                        "has (default: %(default)s)")
    p.add_argument("--artifact", action="append", default=[], metavar="PATH",
                   help="time these exported files instead of exporting (repeatable)")
    p.add_argument("--transmute", action="store_true",
                   help="the model is vanilla: transmute it first, and time the vanilla form as a second baseline")
    p.add_argument("--runs", type=int, default=20, help="timed runs per candidate (default: %(default)s)")
    p.add_argument("--warmup", type=int, default=3, help="warm-up rounds (default: %(default)s)")
    p.add_argument("--threads", type=int, default=2, help="threads for every runtime (default: %(default)s)")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory child processes")
    p.add_argument("--isolate", action="store_true",
                   help="time each candidate in its own child process beside the eager model (ratios that no other "
                        "runtime's threads or state can disturb)")
    p.add_argument("--stream", action="store_true",
                   help="a causal model: also export and time its stream step (one frame + state, xport.stream) on "
                        "each backend, against re-running the clip artifact on a sliding window")
    p.add_argument("--out", default="xport-out/bench", help="report directory (default: %(default)s)")
    p.add_argument("--keep-artifacts", action="store_true", help="keep the exported files in OUT/artifacts")
    p.set_defaults(func=cmd_bench)

    add_profiling_verbs(verbs)
    add_design_verbs(verbs)
    add_packaging_verbs(verbs)
    add_training_verbs(verbs)

    p = verbs.add_parser("transmute", help="swap vanilla modules for efficient blocks and report every change")
    _add_model_args(p)
    p.add_argument("--backend", choices=backend_registry.names(), help="target backend (recorded for rules)")
    p.add_argument("--save", help="write the transmuted module here (torch.save)")
    p.set_defaults(func=cmd_transmute)

    p = verbs.add_parser("zoo", help="list zoo models with clip size, GFLOPs, parameters and preprocessing")
    p.add_argument("-v", "--verbose", action="store_true", help="also name the official checkpoints")
    p.set_defaults(func=cmd_zoo)

    p = verbs.add_parser("backends", help="list backends, whether they are available here, and their options")
    p.set_defaults(func=cmd_backends)

    p = verbs.add_parser("spec", help="list the backend-neutral op spec")
    p.set_defaults(func=cmd_spec)

    for sub in verbs.choices.values():  # `xport export ... -q` as well as `xport -q export ...`
        # SUPPRESS: without -q after the verb, the verb must not reset a -q given before it.
        sub.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                         help="print results only, no progress")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.quiet:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("xport: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    try:
        return args.func(args)
    except ParityError as exc:  # the artifact ran and disagrees: a parity failure, not a usage error
        print(f"error: {exc.cli_message()}", file=sys.stderr)
        return 1
    except XportError as exc:
        print(f"error: {exc.cli_message()}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `xport check ... | head`: the reader left; exit quietly like other CLI tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    finally:
        log.handlers.clear()


if __name__ == "__main__":
    sys.exit(main())
