"""The ``xport profile`` verb: per-block times of a model (or of exported files) on one or more runtimes."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from xport import backends as backend_registry
from xport.api import load
from xport.cli_options import comma_list
from xport.errors import XportError
from xport.model_ref import example_inputs, load_model, parse_shape

from . import profile
from .compare import cross_table, draw_chart, precision_split
from .report import DEFAULT_DEPTH, ProfileReport


def _is_artifact(ref: str) -> bool:
    return Path(ref).exists() and Path(ref).suffix in backend_registry.all_suffixes()


def _reports(args: argparse.Namespace, scratch: Path) -> tuple[list[ProfileReport], list[str]]:
    from xport.benchmark.candidates import export_candidates

    if all(_is_artifact(ref) for ref in args.target):
        return [profile(load(ref, args.threads), runs=args.runs, threads=args.threads) for ref in args.target], []
    if len(args.target) != 1:
        raise XportError(f"profile one model, or exported files ({', '.join(backend_registry.all_suffixes())}); "
                         f"got {args.target}")
    model = load_model(args.target[0], args.pretrained)
    inputs = example_inputs(model, parse_shape(args.input_shape))
    backends = comma_list(args.backend) or backend_registry.available()
    precisions = comma_list([args.compare or args.precision])
    notes: list[str] = []
    artifacts = export_candidates(model, inputs, backends, precisions, scratch, notes)
    return [profile(a, inputs, runs=args.runs, threads=args.threads) for a in artifacts], notes


def cmd_profile(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="xport-profile-") as scratch:
        reports, notes = _reports(args, Path(scratch))
    for r in reports:
        print(r.table(args.depth), end="\n\n")
    text = cross_table(reports, args.depth)
    print(text)
    splits = [f"{r.label}: {precision_split(r)}" for r in reports if r.precision == "int8" and r.nodes]
    for line in [*splits, *notes]:
        print(f"note: {line}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "profile.json", out / "profile.md"]
    written[0].write_text(json.dumps([r.to_dict(args.depth) for r in reports], indent=2))
    tables = "\n\n".join(f"```\n{r.table(args.depth)}\n```" for r in reports)
    written[1].write_text(f"# Per-block profile\n\n```\n{text}\n```\n\n" + "".join(f"- {n}\n" for n in
                                                                              [*splits, *notes]) + f"\n{tables}\n")
    if draw_chart(reports, out / "profile.png", args.depth):
        written.append(out / "profile.png")
    for path in written:
        print(f"wrote {path}")
    return 0


def add_verbs(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser("profile", help="per-block latency on each runtime, from the runtime's own profiler")
    p.add_argument("target", nargs="+", help="a zoo model (or package.module:factory), or exported files")
    p.add_argument("--pretrained", metavar="PATH", help="local checkpoint for a zoo model")
    p.add_argument("--input-shape", metavar="N,C,T,H,W", help="example input shape (default: the model's card)")
    p.add_argument("--backend", action="append", default=[], metavar="NAME[,NAME]",
                   help="backends to export to and profile (default: every available one)")
    p.add_argument("--precision", default="fp32", help="precision to export (default: %(default)s)")
    p.add_argument("--compare", metavar="P,P", help="profile each backend at these precisions side by side, e.g. "
                                                   "fp32,int8: shows where int8 does not pay (int8 uses synthetic "
                                                   "calibration: right for timing only)")
    p.add_argument("--runs", type=int, default=10, help="profiled runs per artifact (default: %(default)s)")
    p.add_argument("--threads", type=int, default=2, help="threads for every runtime (default: %(default)s)")
    p.add_argument("--depth", type=int, default=DEFAULT_DEPTH,
                   help="module-path depth of a block (default: %(default)s, e.g. s2.pathway0_res0)")
    p.add_argument("--out", default="xport-out/bench", help="where profile.json/.md/.png go, next to the bench "
                                                           "report (default: %(default)s)")
    p.set_defaults(func=cmd_profile)
