"""The benchmark's result: one row per candidate, plus what is needed to trust and compare the numbers.

Speed-ups are ratios against the eager run of the same session, each with a verdict on whether it can be
quoted (:mod:`.credibility`): the table and markdown show "2.6x (noisy)" or "withheld" and say why in the
notes; the JSON keeps every measured ratio next to its verdict. Achieved GFLOP/s is counted FLOPs over the
median latency, and its fraction of the machine's fp32 matmul peak (measured in the same run) says how
much of the CPU a runtime actually uses. Writes JSON (everything, including raw samples), markdown and a
terminal table.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from xport.text_table import aligned

from .chart import draw
from .credibility import NOISY, WITHHELD

EAGER = "eager"
VANILLA = "vanilla"


@dataclass(frozen=True)
class BenchRow:
    """One candidate's numbers: the eager model, its vanilla form, or an exported artifact."""

    label: str
    kind: str  # "eager", "vanilla" or "artifact"
    backend: str
    precision: str
    runtime: str
    size_mb: float  # artifact files an app ships; for eager models, parameters and buffers
    median_ms: float
    p90_ms: float
    samples_ms: tuple[float, ...]
    speedup: float | None = None  # eager median / this median, same run (measured; see speedup_verdict)
    speedup_verdict: str = ""  # "credible", "noisy", "withheld"; "" for eager itself or without a baseline
    speedup_reasons: tuple[str, ...] = ()  # why noisy or withheld, with the measured numbers
    round_speedups: tuple[float, ...] = ()  # the ratio in each interleaved round: its spread is its uncertainty
    spread: float | None = None  # p90 / median
    ms_per_clip_second: float | None = None  # median per second of video covered by the input
    gflops_per_s: float | None = None
    peak_fraction: float | None = None  # gflops_per_s / machine matmul peak
    peak_mb: float | None = None  # peak resident memory of a process that loads and runs only this candidate
    model_mb: float | None = None  # the peak minus that process's resident set before loading the model
    memory_note: str = ""
    sqnr_db: float | None = None  # parity against eager (artifacts only)
    max_rel: float | None = None
    parity_passed: bool | None = None
    path: str = ""
    stream: bool = False  # a stream artifact's step: one new frame and the state, not a clip
    window_speedup: float | None = None  # stream rows: how much less a new frame costs than re-running the clip
    window_label: str = ""  # the clip artifact it is compared with (same backend and precision)
    window_verdict: str = ""  # the worse of the two speed-ups' verdicts

    @property
    def is_eager(self) -> bool:
        """The eager model as given: the reference every speed-up is measured against."""
        return self.kind == EAGER

    @property
    def quotable_speedup(self) -> float | None:
        """The speed-up unless it was withheld as not credible (a noisy one is returned: it carries its mark)."""
        return None if self.speedup_verdict == WITHHELD else self.speedup

    def speedup_text(self) -> str:
        """The "vs eager" cell: "2.65x", "2.65x (noisy)", "withheld" or "-"."""
        return _ratio_text(self.speedup, self.speedup_verdict)

    def window_text(self) -> str:
        """The "vs window" cell of a stream row: its step against its clip artifact re-run on a sliding window."""
        return _ratio_text(self.window_speedup, self.window_verdict)


@dataclass(frozen=True)
class BenchReport:
    """Everything one :func:`xport.bench` run measured; ``save`` writes JSON, markdown and a PNG chart."""

    model: str
    input_shapes: tuple[tuple[int, ...], ...]
    flops: int | None
    clip_seconds: float | None
    machine: dict[str, Any]
    matmul_peak_gflops: float | None
    protocol: dict[str, Any]
    rows: tuple[BenchRow, ...]
    notes: tuple[str, ...] = field(default=())
    credibility: dict[str, Any] = field(default_factory=dict)  # the run-wide verdict: machine load, drift, limits

    def row(self, label: str) -> BenchRow:
        """The row called ``label``."""
        for r in self.rows:
            if r.label == label:
                return r
        raise KeyError(f"no row '{label}'; rows: {', '.join(r.label for r in self.rows)}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def markdown(self) -> str:
        """A markdown table, one row per candidate, with a header line naming the model and the machine."""
        m = self.machine
        peak = f"{self.matmul_peak_gflops:.0f} GFLOP/s" if self.matmul_peak_gflops else "not measured"
        flops = f"{self.flops / 1e9:.2f} GFLOPs" if self.flops else "FLOPs unknown"
        lines = [f"**{self.model}** {shape_text(self.input_shapes)}, {flops}; {m.get('cpu')}, "
                 f"{self.protocol['threads']} threads, fp32 matmul peak {peak}; median of {self.protocol['runs']} "
                 "interleaved runs", "",
                 "| candidate | runtime | size MB | median ms | p90 ms | vs eager | ms per 1-s clip | GFLOP/s "
                 "| % of peak | peak MB (model MB) | parity |" + (" vs window |" if self.streams else ""),
                 "|---|---|---|---|---|---|---|---|---|---|---|" + ("---|" if self.streams else "")]
        for r in self.rows:
            lines.append("| " + " | ".join(self._cells(r)) + " |")
        if self.streams:
            lines += ["\nstream rows: one new frame with the state carried over (ms per 1-s clip: per second of "
                      "video at the clip's frame rate); vs window: the clip artifact's median, which a sliding window "
                      "pays per new frame, over the step's"]
        lines += [f"\n{note}" for note in self.notes]
        return "\n".join(lines)

    def table(self) -> str:
        """The same numbers as :meth:`markdown`, aligned for a terminal."""
        header = ("candidate", "size MB", "median ms", "p90 ms", "vs eager", "GFLOP/s", "% peak", "peak MB",
                  "parity") + (("vs window",) if self.streams else ())
        columns = (0, 2, 3, 4, 5, 7, 8, 9, 10) + ((11,) if self.streams else ())
        return aligned(header, [[self._cells(r)[i] for i in columns] for r in self.rows])

    @property
    def streams(self) -> bool:
        """Whether any row is a stream step (``bench(..., stream=True)``): the tables then show "vs window"."""
        return any(r.stream for r in self.rows)

    def _cells(self, r: BenchRow) -> list[str]:
        return _cells(r) + ([r.window_text()] if self.streams else [])

    def save(self, out_dir: Path | str, stem: str = "bench") -> list[Path]:
        """Write ``<stem>.json``, ``<stem>.md`` and ``<stem>.png`` into ``out_dir``; the paths written."""

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        written = [out_dir / f"{stem}.json", out_dir / f"{stem}.md", out_dir / f"{stem}.png"]
        written[0].write_text(self.to_json() + "\n")
        written[1].write_text(self.markdown() + "\n")
        draw(self, written[2])
        return written

    @classmethod
    def from_json(cls, text: str) -> BenchReport:
        d = json.loads(text)
        tuples = ("samples_ms", "speedup_reasons", "round_speedups")
        rows = tuple(BenchRow(**{**r, **{k: tuple(r[k]) for k in tuples if k in r}}) for r in d.pop("rows"))
        shapes = tuple(tuple(s) for s in d.pop("input_shapes"))
        return cls(**{**d, "rows": rows, "input_shapes": shapes, "notes": tuple(d.get("notes", ()))})


_DOUBT = {NOISY: 1, WITHHELD: 2}  # a verdict's rank: credible (or none) is 0


def with_window_speedups(rows: list[BenchRow]) -> list[BenchRow]:
    """Each stream row with its speed-up over re-running its backend's clip artifact (same precision) on a sliding
    window. A row that has it already was timed beside its clip artifact (``isolate``: in one child process); else
    it is the ratio of the two speed-ups vs eager, each measured beside the eager model, so the machine's drift
    between them cancels, with the worse of the two verdicts."""
    clips = {(r.backend, r.precision): r for r in rows if r.kind == "artifact" and not r.stream}
    done = []
    for r in rows:
        clip = clips.get((r.backend, r.precision)) if r.stream else None
        if clip is not None and r.window_speedup is not None:
            r = replace(r, window_label=clip.label)
        elif clip is not None and r.speedup and clip.speedup:
            worse = max((r, clip), key=lambda x: _DOUBT.get(x.speedup_verdict, 0))
            r = replace(r, window_speedup=r.speedup / clip.speedup, window_label=clip.label,
                        window_verdict=worse.speedup_verdict)
        done.append(r)
    return done


def shape_text(shapes: tuple[tuple[int, ...], ...]) -> str:
    return ", ".join("×".join(map(str, s)) for s in shapes)


def _ratio_text(ratio: float | None, verdict: str) -> str:
    if ratio is None:
        return "-"
    if verdict == WITHHELD:
        return "withheld"
    return f"{ratio:.2f}x" + (" (noisy)" if verdict == NOISY else "")


def _number(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def _cells(r: BenchRow) -> list[str]:
    memory = "-" if r.peak_mb is None else f"{r.peak_mb:.0f} ({r.model_mb:.0f})"
    if r.parity_passed is None:
        parity = ""
    else:
        parity = f"{'ok' if r.parity_passed else 'FAIL'}, SQNR {r.sqnr_db:.0f} dB"
    return [r.label, r.runtime, f"{r.size_mb:.2f}", f"{r.median_ms:.2f}", f"{r.p90_ms:.2f}",
            r.speedup_text(), _number(r.ms_per_clip_second, ".2f"),
            _number(r.gflops_per_s, ".1f"), _number(None if r.peak_fraction is None else 100 * r.peak_fraction, ".1f"),
            memory, parity]
