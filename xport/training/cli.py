"""The ``xport make-data``, ``xport finetune`` and ``xport validate`` verbs."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from xport.cli_options import OPTION_HELP
from xport.data import TASKS, make_dataset
from xport.training import finetune
from xport.validation import validate


def _comma_list(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]


def cmd_make_data(args: argparse.Namespace) -> int:
    info = make_dataset(args.out, task=args.task, classes=args.classes, train_clips=args.train_clips,
                        val_clips=args.val_clips,
                        seed=args.seed, size=args.size, fps=args.fps, clutter=args.clutter, progress=not args.quiet,
                        overwrite=args.overwrite)
    print(f"{sum(info.counts.values())} clips ({info.counts['train']} train, {info.counts['val']} val) of "
          f"{info.size[0]}x{info.size[1]} at {info.fps} fps in {info.generated_in_s:.1f} s → {args.out}")
    print(f"classes: {', '.join(info.classes)}")
    return 0


def finetune_kwargs(args: argparse.Namespace) -> dict:
    """Keyword arguments of :func:`xport.finetune` from the parsed ``finetune`` options (also used by ddp.py)."""
    return dict(model=args.model, data=args.data, classes=args.classes, out=args.out, pretrained=args.pretrained,
                epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, weight_decay=args.weight_decay,
                freeze=args.freeze, recalibrate_bn=not args.no_bn_recalibration, seed=args.seed, resume=args.resume,
                overwrite=args.overwrite, time_limit=args.time_limit, max_steps=args.max_steps, threads=args.threads,
                progress=not args.quiet)


def print_result(result) -> None:
    for h in result.history:
        print(f"epoch {h['epoch']:>3}  loss {h['loss']:.3f}  val accuracy {100 * h['val_accuracy']:5.1f}%  "
              f"{h['seconds']:7.1f} s")
    if result.finished:
        print(f"val accuracy {100 * result.val_accuracy:.1f}% after {result.seconds:.0f} s; "
              f"checkpoint {result.checkpoint} (weights sha256 {result.digest[:16]})")
    else:
        print(f"stopped by the time limit after {result.steps} steps ({result.seconds:.0f} s); "
              f"state in {result.state}: run again with --resume to continue")


def _forwarded_options(args: argparse.Namespace) -> list[str]:
    """The parsed finetune options as command-line arguments again, for the worker processes."""
    argv = []
    for key, value in finetune_kwargs(args).items():
        flag = "--" + key.replace("_", "-")
        if key == "progress":
            argv += [] if value else ["--quiet"]
        elif key == "recalibrate_bn":
            argv += [] if value else ["--no-bn-recalibration"]
        elif isinstance(value, bool):
            argv += [flag] if value else []
        elif value is not None:
            argv += [flag, str(value)]
    return argv


def cmd_finetune(args: argparse.Namespace) -> int:
    if args.nproc > 1:
        # One process per core: re-run under torch.distributed.run (torchrun), gloo, on this machine. For several
        # machines call torchrun yourself: `torchrun --nnodes ... -m xport.training.ddp <finetune options>`.
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={args.nproc}",
                   "-m", "xport.training.ddp", *_forwarded_options(args)]
        return subprocess.call(command, env=os.environ | {"OMP_NUM_THREADS": str(args.threads or 1)})

    print_result(finetune(**finetune_kwargs(args)))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from xport import backends as backend_registry
    from xport.cli_options import options_per_backend
    from xport.model_ref import example_inputs
    from xport.quant.sources import calibration_from
    from xport.training.checkpoints import load_finetuned

    backends = "all" if args.backend == "all" else _comma_list(args.backend)
    known = [b for b in (backend_registry.names() if backends == "all" else backends) if b in backend_registry.names()]
    options = options_per_backend(args.option, known)  # before the work: a wrong key fails fast
    calibration = None
    if args.calibration:
        model = load_finetuned(args.model)
        calibration = calibration_from(args.calibration, model, example_inputs(model))
    report = validate(args.model, args.data, backends, _comma_list(args.precision), split=args.split,
                      out_dir=args.out, calibration_clips=args.calibration_clips, limit=args.limit,
                      progress=not args.quiet, options=options, calibration=calibration)
    print(report.table())
    if args.per_clip:
        print()
        print(report.per_clip())
    return 0 if report.passed(args.min_agreement) else 1


def add_finetune_args(p: argparse.ArgumentParser, quiet: bool = False) -> None:
    """The options of ``xport finetune`` (shared with ``python -m xport.training.ddp``)."""
    p.add_argument("--model", default="efficient_x3d_xs", help="zoo model to start from (default: %(default)s)")
    p.add_argument("--pretrained", metavar="PATH", help="local checkpoint of that model (official or fine-tuned)")
    p.add_argument("--data", required=True, type=Path, help="DIR/{train,val}/<class>/*.mp4 (see make-data)")
    p.add_argument("--classes", type=int, help="number of classes (checked against the data)")
    p.add_argument("--out", default="xport-out/finetune", help="run folder: model.pt, last.pt (default: %(default)s)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=16, help="global batch, split over processes (default: 16)")
    p.add_argument("--lr", type=float, default=3e-3, help="peak AdamW learning rate (default: %(default)s)")
    p.add_argument("--weight-decay", type=float, default=0.05)
    p.add_argument("--freeze", default="none",
                   help="'none', 'backbone' (train the head only) or a top-level module to train from, e.g. s5; "
                        "frozen modules run once per clip (default: %(default)s)")
    p.add_argument("--no-bn-recalibration", action="store_true",
                   help="keep the frozen modules' batch-norm statistics (default: re-measure them on the clips)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="continue the run saved in --out/last.pt")
    p.add_argument("--overwrite", action="store_true", help="start again in an --out that holds a run")
    p.add_argument("--time-limit", type=float, metavar="SECONDS", help="stop (resumably) after this long")
    p.add_argument("--max-steps", type=int, help="stop (resumably) after this many optimizer steps in all")
    p.add_argument("--threads", type=int, help="torch CPU threads per process")
    if quiet:  # the main parser has its own -q
        p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def add_verbs(verbs) -> None:
    """Register make-data, finetune and validate on the main parser's subparsers."""
    p = verbs.add_parser("make-data", help="write a synthetic motion-classification dataset as H.264 video files")
    p.add_argument("out", help="dataset folder")
    p.add_argument("--task", default="speed", choices=list(TASKS),
                   help="; ".join(f"{task}: {'/'.join(names)}" for task, names in TASKS.items())
                        + ", in class-index order (default: %(default)s)")
    p.add_argument("--classes", type=int, help="use the first N classes of the task, in the order above "
                                               "(default: all)")
    p.add_argument("--train-clips", type=int, default=240)
    p.add_argument("--val-clips", type=int, default=60)
    p.add_argument("--size", type=int, default=160, help="frame height and width (default: %(default)s)")
    p.add_argument("--fps", type=int, default=15)
    p.add_argument("--clutter", type=float, default=1.0, help="static background texture and shapes (0: none)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(func=cmd_make_data)

    p = verbs.add_parser("finetune", help="fine-tune a zoo model with a new head on a clip dataset")
    add_finetune_args(p)
    p.add_argument("--nproc", type=int, default=1, help="data-parallel processes (torchrun, gloo) (default: 1)")
    p.set_defaults(func=cmd_finetune)

    p = verbs.add_parser("validate", help="accuracy on real clips in eager and in every backend × precision")
    p.add_argument("--model", required=True, help="checkpoint written by `xport finetune` (model.pt)")
    p.add_argument("--data", required=True, type=Path, help="dataset folder")
    p.add_argument("--split", default="val")
    p.add_argument("--backend", default="all", help="comma list or 'all' (default: %(default)s)")
    p.add_argument("--precision", default="fp32", help="comma list, e.g. fp32,int8 (default: %(default)s)")
    p.add_argument("--out", help="keep the artifacts here (default: a temporary folder)")
    p.add_argument("--calibration-clips", type=int, default=16, help="training clips for int8 (default: 16)")
    p.add_argument("--calibration", metavar="DIR|FILE.json|synthetic",
                   help="int8 calibration instead of --calibration-clips training clips: a folder of videos or "
                        ".npy/.pt inputs, a saved calibration, or 'synthetic'")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help=OPTION_HELP)
    p.add_argument("--limit", type=int, metavar="N",
                   help="validate N clips only, taken round-robin over the classes (deterministic)")
    p.add_argument("--min-agreement", type=float, default=0.9,
                   help="exit 1 if an artifact agrees with eager on fewer clips than this (default: %(default)s)")
    p.add_argument("--per-clip", action="store_true", help="also print every clip's top-1 in every runtime")
    p.set_defaults(func=cmd_validate)
