"""The ``xport design`` verb: ``measure`` a backend's block latencies, ``predict`` a model, ``check`` the predictor,
``suggest`` the variant for a latency budget."""

from __future__ import annotations

import argparse
from pathlib import Path

from xport.cli_options import OPTION_HELP, parse_options
from xport.errors import XportError
from xport.model_ref import example_inputs, load_model, parse_shape

from .check import check
from .measure import measure
from .predict import predict, suggest
from .table import BlockTable

DEFAULT_TABLE = "xport-out/design/{backend}_{precision}.json"


def _table(args: argparse.Namespace) -> BlockTable:
    path = Path(args.table or DEFAULT_TABLE.format(backend=args.backend, precision=args.precision))
    if not path.is_file():
        raise XportError(f"no latency table at {path}: make one with `xport design measure --backend {args.backend}`")
    return BlockTable.load(path)


def cmd_measure(args: argparse.Namespace) -> int:
    table = measure(args.backend, args.precision, threads=args.threads, runs=args.runs, **parse_options(args.option))
    path = table.save(args.table or DEFAULT_TABLE.format(backend=args.backend, precision=args.precision))
    print(f"{len(table.blocks)} blocks timed on {args.backend} {args.precision}; a model ≈ "
          f"{table.overhead_ms:.2f} ms + {table.scale:.2f} × its blocks' sum\nwrote {path}")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    model = load_model(args.model, args.pretrained)
    print(predict(model, example_inputs(model, parse_shape(args.input_shape)), _table(args)).table())
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    report = check(_table(args), runs=args.runs)
    print(report.table())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    plot = out / f"design_check_{args.backend}_{args.precision}.png"
    if report.draw(plot):
        print(f"wrote {plot}")
    return 0


def cmd_suggest(args: argparse.Namespace) -> int:
    table = _table(args)
    found = suggest(args.budget, table)
    if found is None:
        print(f"no variant is predicted within {args.budget:g} ms on {args.backend}; the smallest is listed by "
              "`xport design predict`")
        return 1
    print(found.explain(args.budget, args.backend))
    return 0


def add_verbs(verbs: argparse._SubParsersAction) -> None:
    design = verbs.add_parser("design", help="block latency tables: measure, predict, check, suggest a variant")
    actions = design.add_subparsers(dest="action", required=True, metavar="ACTION")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--backend", required=True, help="the runtime to design for")
        p.add_argument("--precision", default="fp32", help="fp32 or int8 (default: %(default)s)")
        p.add_argument("--table", metavar="JSON", help=f"latency table (default: {DEFAULT_TABLE})")
        p.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                       help="print results only, no progress")

    p = actions.add_parser("measure", help="time every distinct block of a grid of X3D variants, and the models")
    common(p)
    p.add_argument("--runs", type=int, default=10, help="timed runs per block (default: %(default)s)")
    p.add_argument("--threads", type=int, default=2, help="runtime threads (default: %(default)s)")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help=OPTION_HELP)
    p.set_defaults(func=cmd_measure)

    p = actions.add_parser("predict", help="a model's latency from the table, block by block")
    p.add_argument("model", help="zoo model name or package.module:factory")
    p.add_argument("--pretrained", metavar="PATH", help="local checkpoint for a zoo model")
    p.add_argument("--input-shape", metavar="N,C,T,H,W", help="example input shape (default: the model's card)")
    common(p)
    p.set_defaults(func=cmd_predict)

    p = actions.add_parser("check", help="predicted vs measured latency of the zoo models and held-out variants")
    common(p)
    p.add_argument("--runs", type=int, default=10, help="timed runs per model (default: %(default)s)")
    p.add_argument("--out", default="xport-out/design", help="where the plot goes (default: %(default)s)")
    p.set_defaults(func=cmd_check)

    p = actions.add_parser("suggest", help="the X3D variant with the most work within a latency budget")
    common(p)
    p.add_argument("--budget", type=float, required=True, metavar="MS", help="latency budget per clip, ms")
    p.set_defaults(func=cmd_suggest)
