"""The ARM parity report: one row per artifact and core, and a per-backend × per-core summary of max errors."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from xport.parity import Metrics
from xport.text_table import aligned

from .cores import Core


def _g(value: float | None) -> str:
    return "-" if value is None else f"{value:.2e}"


@dataclass
class ArmRow:
    """One artifact on one core: metrics against x86 and against eager, and what failed."""

    case: str
    backend: str
    precision: str
    core: Core
    runtime: str = ""
    vs_x86: Metrics | None = None
    vs_eager: Metrics | None = None
    bit_exact: bool | None = None
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class ArmReport:
    """Everything one ARM parity run measured (``rows``), on which cores, with which runtime versions."""

    rows: list[ArmRow]
    cores: tuple[Core, ...]
    versions: dict[str, str]
    seconds: float

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rows)

    @property
    def failures(self) -> list[str]:
        return [f"{r.case} {r.backend} {r.precision} on {r.core.name}: {f}" for r in self.rows for f in r.failures]

    def summary(self) -> list[dict]:
        """Per (backend, precision, core): artifacts, max abs / max rel error vs x86 and vs eager, bit-exact count."""
        groups: dict[tuple[str, str, str], list[ArmRow]] = defaultdict(list)
        for r in self.rows:
            groups[(r.backend, r.precision, r.core.name)].append(r)
        out = []
        for (backend, precision, core), rows in groups.items():
            ran = [r for r in rows if r.vs_x86 is not None]
            eager = [r for r in ran if r.vs_eager is not None]
            out.append({
                "backend": backend, "precision": precision, "core": core, "artifacts": len(rows), "ran": len(ran),
                "bit_exact": sum(bool(r.bit_exact) for r in ran), "passed": sum(r.passed for r in rows),
                "x86_max_abs": max((r.vs_x86.max_abs for r in ran), default=None),
                "x86_max_rel": max((r.vs_x86.max_rel for r in ran), default=None),
                "eager_max_abs": max((r.vs_eager.max_abs for r in eager), default=None),
                "eager_max_rel": max((r.vs_eager.max_rel for r in eager), default=None),
            })
        return out

    def summary_table(self) -> str:
        """The per-backend × per-core table of max errors against x86 and against eager."""
        cores = {c.name: c for c in self.cores}
        rows = [[s["backend"], s["precision"], cores[s["core"]].label, f"{s['ran']}/{s['artifacts']}",
                 f"{s['bit_exact']}/{s['ran']}", _g(s["x86_max_abs"]), _g(s["x86_max_rel"]), _g(s["eager_max_abs"]),
                 _g(s["eager_max_rel"]), f"{s['passed']}/{s['artifacts']}"] for s in self.summary()]
        return aligned(["backend", "precision", "core", "ran", "bit-exact", "vs x86 abs", "vs x86 rel", "vs eager abs",
                       "vs eager rel", "passed"], rows)

    def detail_table(self) -> str:
        """One line per artifact and core."""
        rows = [[r.case, r.backend, r.precision, r.core.name, _g(r.vs_x86 and r.vs_x86.max_rel),
                 "yes" if r.bit_exact else "no" if r.bit_exact is False else "-",
                 _g(r.vs_eager and r.vs_eager.max_rel), "ok" if r.passed else "FAIL"] for r in self.rows]
        return aligned(["artifact", "backend", "precision", "core", "vs x86 rel", "bit-exact", "vs eager rel",
                       "parity"], rows)

    def __str__(self) -> str:
        versions = ", ".join(f"{k} {v}" for k, v in self.versions.items())
        lines = [f"ARM parity {'PASSED' if self.passed else 'FAILED'}: {len(self.rows)} run(s) on "
                 f"{', '.join(c.label for c in self.cores)} under qemu-aarch64 ({self.seconds:.0f} s; {versions})",
                 self.summary_table()]
        lines += [f"  note: {r.case} {r.backend} on {r.core.name}: {n}" for r in self.rows for n in r.notes]
        lines += [f"  FAIL: {f}" for f in self.failures]
        return "\n".join(lines)


@dataclass
class ArmVerifyReport:
    """What ``xport.verify(model, artifact, arm=True)`` returns: the x86 parity report and the ARM one.

    Attribute access falls through to the x86 :class:`~xport.parity.ParityReport` (``max_abs``, ``sqnr_db``, ...).
    """

    x86: object  # xport.parity.ParityReport
    arm: ArmReport

    @property
    def passed(self) -> bool:
        return bool(self.x86.passed) and self.arm.passed

    @property
    def failures(self) -> list[str]:
        return [*self.x86.failures, *self.arm.failures]

    def __getattr__(self, name: str):
        if name in ("x86", "arm"):  # not set yet (copy/pickle): never recurse
            raise AttributeError(name)
        return getattr(self.x86, name)

    def __str__(self) -> str:
        return f"{self.x86}\n{self.arm}"
