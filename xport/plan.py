"""Plan: rewrite a captured program so every node is a spec op the backend runs natively.

:func:`assess` is the single judge of "native / fallback / decomposed / unsupported" — ``xport check`` shows
its verdicts before export ("fallback": the runtime runs the node, but on a slow generic kernel), and
:func:`plan` applies the same passes and then re-assesses the result, raising one
:class:`~xport.errors.UnsupportedOpError` that lists every node left over.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import torch.fx
from torch.export import ExportedProgram

from .caps import FALLBACK, NATIVE, UNSUPPORTED, Capabilities
from .capture import NodeInfo, describe, is_dynamic_program
from .errors import UnsupportedNode, UnsupportedOpError
from .passes import GraphPass, PlanContext, build_pipeline, relift, unlift
from .passes.graph import finish
from .spec.hints import DATA_DEPENDENT_HINT, hint_for

FLOAT = "float"  # at int8: runs, in fp32 between dequantize and quantize (a float island)
# A summary groups these by what they become (X3D-XS has ~200 rewritten nodes); the others are listed one by one.
_GROUPED = ("decomposed", "folded", FLOAT)


@dataclass(frozen=True)
class Verdict:
    """How one node lowers on one backend."""

    info: NodeInfo
    status: str  # "native" | "fallback" | "folded" | "decomposed" | "unsupported" | "float" (int8 only)
    detail: str = ""  # what it is decomposed into, why it runs on a fallback kernel, or why it is unsupported
    hint: str = ""
    skipped: tuple[tuple[str, str], ...] = ()  # (pass, why it left the node alone)


@dataclass
class CheckReport:
    """Per-node verdicts of one backend at one precision."""

    backend: str
    precision: str
    verdicts: list[Verdict] = field(default_factory=list)

    def of(self, status: str) -> list[Verdict]:
        return [v for v in self.verdicts if v.status == status]

    @property
    def ok(self) -> bool:
        return not self.of(UNSUPPORTED)

    def unsupported_nodes(self) -> list[UnsupportedNode]:
        return [UnsupportedNode(v.info.name, v.info.op, v.info.module_path, self.backend, v.detail, v.hint)
                for v in self.of(UNSUPPORTED)]

    def __str__(self) -> str:
        return self.render()

    def render(self, verbose: bool = False) -> str:
        """The report as text: the counts, decomposed and folded nodes grouped by what they become, and every node
        on a fallback kernel or unsupported with its fix. ``verbose`` lists every node, and each pass that left it
        alone and why."""
        counts = Counter(v.status for v in self.verdicts)
        head = (f"{self.backend} @ {self.precision}: {counts['native']} native, {counts['fallback']} on fallback "
                f"kernels, {counts['folded']} folded, {counts['decomposed']} decomposed, {counts['unsupported']} "
                "unsupported" + (f", {counts[FLOAT]} float at int8" if self.precision == "int8" else ""))
        lines = [head]
        grouped = Counter((v.status, v.info.op, v.detail) for v in self.verdicts
                          if (v.status == "native" and v.detail) or (v.status in _GROUPED and not verbose))
        lines += [f"  {status:<11} {op:<18} {n} node(s): {detail}" for (status, op, detail), n in grouped.items()]
        for v in self.verdicts:
            where = v.info.module_path or "<top>"
            if v.status != "native" and (verbose or v.status not in _GROUPED):
                text = f"  {v.status:<11} {v.info.op:<18} {where:<32} {v.detail}"
                lines.append(text + (f"\n{'':14}fix: {v.hint}" if v.hint else ""))
            if verbose:
                lines += [f"  {'':<11} {v.info.op:<18} {where:<32} {name} skipped it: {why}"
                          for name, why in v.skipped]
        return "\n".join(lines)


def _verdict(info: NodeInfo, ctx: PlanContext, passes: Sequence[GraphPass]) -> Verdict:
    if info.data_dependent:
        return Verdict(info, UNSUPPORTED, f"{info.target}: its output shape depends on the input values, and "
                       "mobile runtimes need static shapes", DATA_DEPENDENT_HINT)
    skipped = []
    for p in passes:  # before the spec is consulted: a node outside it may still fold into a constant
        match = p.check(info, ctx)
        if match is not None and match.applies:
            return Verdict(info, match.status, f"{p.name}: {match.detail}", skipped=tuple(skipped))
        if match is not None:
            skipped.append((p.name, match.detail))
    if info.spec is None:
        return Verdict(info, UNSUPPORTED, f"{info.target} is outside the op spec", hint_for(info.target),
                       tuple(skipped))
    status, detail = ctx.caps.verdict(info.spec.name, info.attrs, ctx.precision)
    if status != UNSUPPORTED:  # native: the backend's note, if any; fallback: why the kernel is a slow one
        return Verdict(info, status, detail, skipped=tuple(skipped))
    return Verdict(info, UNSUPPORTED, detail,
                   f"no xport pass lowers this on {ctx.caps.backend}; compare backends with `xport check`, "
                   "or rebuild the module from efficient_ops blocks", tuple(skipped))


def assess(graph: torch.fx.Graph, ctx: PlanContext, passes: Sequence[GraphPass] | None = None) -> CheckReport:
    """Verdict for every compute node of ``graph`` (``passes`` defaults to the full pipeline)."""
    passes = build_pipeline() if passes is None else passes
    report = CheckReport(ctx.caps.backend, ctx.precision)
    report.verdicts = [_verdict(info, ctx, passes) for info in describe(graph)]
    return report


def check_program(program: ExportedProgram, caps: Capabilities, precision: str = "fp32",
                  prefer_decomposed: Iterable[str] = ()) -> CheckReport:
    """What :func:`plan` would do with ``program`` on a backend, without doing it.

    int8 plans the fp32 graph and quantizes what has int8 kernels (:mod:`xport.quant`), so lowering is judged at
    fp32, and a node without an int8 kernel is a float island (status ``"float"``), not unsupported.
    """
    ctx = PlanContext(caps, "fp32" if precision == "int8" else precision, frozenset(prefer_decomposed))
    gm = unlift(program)
    report = assess(gm.graph, ctx)
    report.precision = precision
    if precision == "int8" and "int8" in caps.precisions:
        report.verdicts = [_at_int8(v, caps) for v in report.verdicts]
    return report


def _at_int8(verdict: Verdict, caps: Capabilities) -> Verdict:
    info = verdict.info
    if verdict.status not in (NATIVE, FALLBACK) or caps.runs(info.spec.name, info.attrs, "int8"):
        return verdict
    return Verdict(info, FLOAT, f"no int8 kernel on {caps.backend}: runs in fp32 between dequantize and quantize",
                   skipped=verdict.skipped)


def plan(program: ExportedProgram, caps: Capabilities, precision: str = "fp32",
         prefer_decomposed: Iterable[str] = ()) -> ExportedProgram:
    """Apply the pass pipeline for ``caps``; raise if any node is still not native afterwards."""
    ctx = PlanContext(caps, precision, frozenset(prefer_decomposed))
    inputs = program.example_inputs[0]
    dynamic = is_dynamic_program(program)
    gm = unlift(program)
    leftover = assess(gm.graph, ctx).of(UNSUPPORTED)
    if leftover:  # fail before spending time on rewrites, and name every node at once
        raise UnsupportedOpError(caps.backend, CheckReport(caps.backend, precision, leftover).unsupported_nodes())
    changed = False
    for p in build_pipeline():
        if p.run(gm, ctx):
            finish(gm)
            changed = True
    after = assess(gm.graph, ctx, passes=())
    if not after.ok:
        raise UnsupportedOpError(caps.backend, after.unsupported_nodes())
    return relift(gm, inputs, dynamic) if changed else program  # a re-export costs as much as the capture
