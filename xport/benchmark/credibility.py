"""Whether a bench's "vs eager" ratios can be quoted: the rule, on the timing samples and the machine's load.

A ratio is eager's median over a candidate's, both from one interleaved run. Interleaving makes slow phases
hit every candidate alike, but not when the machine is busy in bursts shorter than a round, or when the
baseline itself moves: the same artifacts then gave 205×, 98.7× and 2.65× minutes apart. Each ratio gets a
verdict, ``credible``, ``noisy`` (shown as "2.6x (noisy)", with the reason) or ``withheld`` (not shown), from:

- the machine: other processes' CPU use while timing (:mod:`.machine_load`), and the matmul peak measured
  before and after the timing;
- the eager baseline's drift: its per-round medians (one round = one block of each candidate) should agree;
- each candidate's spread: p90 over median, its own and eager's (the ratio's numerator).

Pure functions on lists of milliseconds, so the rule is tested on synthetic samples.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .machine_load import MachineLoad
from .protocol import Latency

CREDIBLE = "credible"
NOISY = "noisy"
WITHHELD = "withheld"

# The thresholds, in one place. Why these values:
# - SPREAD_LIMIT: in the README's bench tables (2-core EPYC, 30 runs) 16 of 20 rows have p90/median 1.05–1.26;
#   a p90 half again above the median means one run in ten or more was interrupted, and then which runs fall
#   on either side of the median, and so the median itself, depends on the interruptions (those tables' rows
#   above it, e.g. X3D-S eager at 1.65, would now be marked).
# - DRIFT_NOISY: separate runs differ by ±20 % (README); rounds of one run are seconds apart, so a baseline
#   whose round medians are more than a quarter apart changed speed during the run.
# - DRIFT_WITHHELD: the baseline doubled (or halved) between rounds: the ratio is then known only within a
#   factor of two, and a single number (the 205× of issue 22) misleads more than none.
# - PEAK_DROP: a best-of-10 matmul is very stable alone; losing a fifth of it between before and after
#   the timing takes a busy or throttling machine (the rule the bench had before these verdicts).
# - OTHER_CORES_MARGIN: other processes may use the cores the bench leaves free (cores - threads); beyond
#   that, a quarter of a core on average (one time slice in four taken from a timed thread) is contention,
#   and it is well above the measurement's error (two 10-ms ticks over a window of at least 0.5 s).
SPREAD_LIMIT = 1.5
DRIFT_NOISY = 1.25
DRIFT_WITHHELD = 2.0
PEAK_DROP = 0.8
OTHER_CORES_MARGIN = 0.25

THRESHOLDS = {"spread_limit": SPREAD_LIMIT, "drift_noisy": DRIFT_NOISY, "drift_withheld": DRIFT_WITHHELD,
              "peak_drop": PEAK_DROP, "other_cores_margin": OTHER_CORES_MARGIN}


def rounds(samples: Sequence[float], block: int) -> list[Sequence[float]]:
    """``samples`` cut into the protocol's rounds: ``block`` consecutive runs each (the last may be shorter)."""
    return [samples[i:i + block] for i in range(0, len(samples), block)]


def spread(samples: Sequence[float]) -> float:
    """p90 over median: 1.0 for perfectly steady runs."""
    latency = Latency(tuple(samples))
    return latency.p90_ms / latency.median_ms


def drift(samples: Sequence[float], block: int) -> float | None:
    """Slowest round's median over the fastest's; None with fewer than two rounds (nothing to compare)."""
    medians = [statistics.median(r) for r in rounds(samples, block)]
    return max(medians) / min(medians) if len(medians) > 1 else None


def round_speedups(eager: Sequence[float], candidate: Sequence[float], block: int) -> tuple[float, ...]:
    """The ratio per round: eager's median in a round over the candidate's in the same round."""
    return tuple(statistics.median(e) / statistics.median(c)
                 for e, c in zip(rounds(eager, block), rounds(candidate, block)))


def busy_reasons(load: MachineLoad | None, peaks: Sequence[float] = ()) -> list[str]:
    """Why the machine was too busy for ratios to be trusted: empty when it looked quiet (or was not measured)."""
    reasons = []
    if load is not None and load.other_cores is not None and load.other_cores > load.free_cores + OTHER_CORES_MARGIN:
        averages = (f"; load average {load.load_before:.1f} → {load.load_after:.1f}"
                    if load.load_before is not None and load.load_after is not None else "")
        reasons.append(f"other processes kept {load.other_cores:.2f} of {load.cores} cores busy while timing "
                       f"({load.source}; the bench used {load.threads} thread(s), leaving {load.free_cores} free"
                       f"{averages})")
    if len(peaks) > 1 and min(peaks) < PEAK_DROP * max(peaks):
        reasons.append(f"the matmul peak moved during the run ({peaks[0]:.0f} → {peaks[-1]:.0f} GFLOP/s)")
    return reasons


@dataclass(frozen=True)
class RatioVerdict:
    """One candidate's ratio verdict, the reasons for it, and the evidence (spread, per-round ratios)."""

    verdict: str  # CREDIBLE, NOISY, WITHHELD; "" for eager itself and when there is no eager baseline
    reasons: tuple[str, ...] = ()
    spread: float | None = None
    round_speedups: tuple[float, ...] = ()


@dataclass(frozen=True)
class Credibility:
    """The verdict on every ratio of one run, and the machine-wide reasons behind it."""

    rows: dict[str, RatioVerdict]
    machine_reasons: tuple[str, ...] = ()  # apply to every ratio: a busy machine, a drifting or spread baseline
    withheld: bool = False
    eager_drift: float | None = None
    load: MachineLoad | None = None
    peaks: tuple[float, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """The run-wide part for the report's JSON (the per-row verdicts go into the rows)."""
        return {"machine_reasons": list(self.machine_reasons), "withheld": self.withheld,
                "eager_drift": self.eager_drift, "load": asdict(self.load) if self.load else None,
                "matmul_peaks_gflops": list(self.peaks), "thresholds": dict(THRESHOLDS)}

    def notes(self) -> list[str]:
        """The report's notes: why ratios are withheld or marked (noisy), with the measured numbers."""
        doubtful = {label: v for label, v in self.rows.items() if v.verdict in (NOISY, WITHHELD)}
        if not doubtful and not self.machine_reasons:
            return []
        if self.withheld:
            head = "ratios withheld: no single \"vs eager\" number describes this run"
        elif doubtful:
            head = f"ratios marked (noisy) are not credible ({', '.join(doubtful)})"
        else:  # busy, but no ratios to mark (no eager baseline): the latencies themselves are affected
            head = "the machine was busy while timing: latencies are slower and noisier than on a quiet machine"
        notes = [f"{head}: {'; '.join(self.machine_reasons)}" if self.machine_reasons else head]
        for label, v in doubtful.items():
            own = [r for r in v.reasons if r not in self.machine_reasons]
            ratios = (f"per-round ratios {min(v.round_speedups):.2f}–{max(v.round_speedups):.2f}x"
                      if len(v.round_speedups) > 1 else "")
            details = "; ".join([*own, ratios] if ratios else own)
            if details:
                notes.append(f"{label}: {details}")
        notes.append("rerun on a quiet machine (nothing else running) or with more --runs before quoting ratios")
        return notes


def assess(samples: Mapping[str, Sequence[float]], block: int, eager: str | None, *,
           load: MachineLoad | None = None, peaks: Sequence[float] = (), baseline_name: str = "eager") -> Credibility:
    """The verdict on each candidate's ratio against ``eager`` (a key of ``samples``, or None: no ratios).

    ``samples`` are each candidate's latencies (ms) in measured order, ``block`` the protocol's block size;
    ``load`` and ``peaks`` (the matmul peak before and after the timing) describe the machine. The reasons call the
    baseline ``baseline_name`` (e.g. "window" when a stream step is judged against its clip artifact).
    """
    reasons = busy_reasons(load, peaks)
    baseline = samples.get(eager) if eager is not None else None
    eager_drift = drift(baseline, block) if baseline else None
    withheld = eager_drift is not None and eager_drift > DRIFT_WITHHELD
    if baseline:
        if eager_drift is not None and eager_drift > DRIFT_NOISY:
            medians = [statistics.median(r) for r in rounds(baseline, block)]
            reasons.append(f"the {baseline_name} baseline drifted {eager_drift:.2f}x between rounds (per-round medians "
                           f"{min(medians):.2f}–{max(medians):.2f} ms; noisy above {DRIFT_NOISY}x, withheld above "
                           f"{DRIFT_WITHHELD}x)")
        if spread(baseline) > SPREAD_LIMIT:
            reasons.append(f"{baseline_name}'s p90 is {spread(baseline):.2f}x its median (limit {SPREAD_LIMIT}x)")
    rows = {}
    for label, times in samples.items():
        own_spread = spread(times)
        if baseline is None or label == eager:
            rows[label] = RatioVerdict("", spread=own_spread)
            continue
        own = [f"p90 is {own_spread:.2f}x the median (limit {SPREAD_LIMIT}x)"] if own_spread > SPREAD_LIMIT else []
        why = tuple(reasons + own)
        verdict = WITHHELD if withheld else NOISY if why else CREDIBLE
        rows[label] = RatioVerdict(verdict, why, own_spread, round_speedups(baseline, times, block))
    return Credibility(rows, tuple(reasons), withheld, eager_drift, load, tuple(peaks))


def assess_pairs(pairs: Mapping[str, tuple[Sequence[float], Sequence[float]]], block: int, eager: str, *,
                 load: MachineLoad | None = None, peaks: Sequence[float] = ()) -> Credibility:
    """The verdicts when each candidate was timed beside its own eager run (one child process per candidate,
    :mod:`xport.benchmark.isolated`): ``pairs`` maps a candidate to (eager samples, its samples).

    Each ratio is judged on its own pair (that child's eager drift and spread); the machine-wide reasons are the
    busy machine's. The ``eager`` row gets no verdict: it is the baseline of every pair.
    """
    judged = {label: assess({eager: base, label: times}, block, eager, load=load, peaks=peaks)
              for label, (base, times) in pairs.items()}
    rows = {eager: RatioVerdict("", spread=spread([ms for base, _ in pairs.values() for ms in base]))}
    rows |= {label: verdicts.rows[label] for label, verdicts in judged.items()}
    drifts = [v.eager_drift for v in judged.values() if v.eager_drift is not None]
    return Credibility(rows, tuple(busy_reasons(load, peaks)), False, max(drifts, default=None), load, tuple(peaks))
