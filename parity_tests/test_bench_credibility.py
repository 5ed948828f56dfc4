"""The ratio credibility rule (issue 22, item 12) on synthetic timing samples, and how reports show its verdicts.

The rule is a pure function of latency lists, the protocol's block size and the machine's load, so these
tests give it samples shaped like a quiet run, a spread candidate, a drifting baseline and a busy machine.
"""

from __future__ import annotations

import pytest

from xport.benchmark import BenchReport, BenchRow, assess
from xport.benchmark import credibility as rule
from xport.benchmark.machine_load import MachineLoad

BLOCK = 5
EAGER = "eager (PyTorch fp32)"


def steady(ms: float, rounds_: int = 4, wobble: float = 0.02) -> list[float]:
    """``rounds_`` blocks of runs within ±``wobble`` of ``ms``: a quiet machine."""
    pattern = (1.0, 1 + wobble, 1 - wobble, 1 + wobble / 2, 1 - wobble / 2)
    return [ms * f for _ in range(rounds_) for f in pattern]


def drifting(ms_per_round: list[float]) -> list[float]:
    """A steady candidate whose speed changes from round to round."""
    return [x for ms in ms_per_round for x in steady(ms, 1)]


def load(other_cores: float, cores: int = 2, threads: int = 2) -> MachineLoad:
    return MachineLoad(cores=cores, threads=threads, window_s=5.0, load_before=3.0, load_after=3.5,
                       other_cores=other_cores, source="/proc/stat")


def test_quiet_run_is_credible_and_needs_no_note():
    verdicts = assess({EAGER: steady(40), "onnx fp32": steady(20)}, BLOCK, EAGER, load=load(0.05),
                      peaks=[200, 198])
    assert verdicts.rows["onnx fp32"].verdict == rule.CREDIBLE and verdicts.rows["onnx fp32"].reasons == ()
    assert verdicts.rows[EAGER].verdict == ""  # the reference has no verdict of its own
    assert verdicts.notes() == [] and not verdicts.withheld
    assert verdicts.rows["onnx fp32"].round_speedups == pytest.approx((2.0,) * 4)


def test_a_spread_candidate_is_noisy_alone():
    jittery = [20, 21, 20, 45, 20] * 4  # one run in five interrupted: p90 far above the median
    verdicts = assess({EAGER: steady(40), "onnx fp32": jittery, "tflite fp32": steady(10)}, BLOCK, EAGER,
                      load=load(0.0))
    assert rule.spread(jittery) > rule.SPREAD_LIMIT
    assert verdicts.rows["onnx fp32"].verdict == rule.NOISY and verdicts.rows["tflite fp32"].verdict == rule.CREDIBLE
    notes = "\n".join(verdicts.notes())
    assert "(onnx fp32)" in notes and "onnx fp32: p90 is 2.25x the median" in notes and "tflite" not in notes


def test_a_drifting_baseline_marks_every_ratio_then_withholds_them():
    candidates = {"onnx fp32": steady(20), "tflite fp32": steady(10)}
    noisy = assess({EAGER: drifting([40, 40, 56, 40]), **candidates}, BLOCK, EAGER)
    assert noisy.eager_drift == pytest.approx(1.4)
    assert {v.verdict for label, v in noisy.rows.items() if label != EAGER} == {rule.NOISY}
    assert "drifted 1.40x" in noisy.notes()[0] and "40.00–56.00 ms" in noisy.notes()[0]

    # 205x one minute, 2.65x the next: the baseline itself moved by more than the limit
    withheld = assess({EAGER: drifting([40, 400, 40, 40]), **candidates}, BLOCK, EAGER)
    assert withheld.withheld and withheld.eager_drift > rule.DRIFT_WITHHELD
    assert {v.verdict for label, v in withheld.rows.items() if label != EAGER} == {rule.WITHHELD}
    assert withheld.notes()[0].startswith("ratios withheld")
    assert withheld.rows["onnx fp32"].round_speedups == pytest.approx((2.0, 20.0, 2.0, 2.0))
    assert "per-round ratios 2.00–20.00x" in "\n".join(withheld.notes())


def test_a_spread_baseline_marks_every_ratio():
    verdicts = assess({EAGER: [40, 41, 40, 90, 40] * 4, "onnx fp32": steady(20)}, BLOCK, EAGER)
    assert verdicts.rows["onnx fp32"].verdict == rule.NOISY
    assert any(r.startswith("eager's p90 is") for r in verdicts.rows["onnx fp32"].reasons)


def test_a_busy_machine_marks_every_ratio():
    samples = {EAGER: steady(40), "onnx fp32": steady(20)}
    busy = assess(samples, BLOCK, EAGER, load=load(1.2))  # 1.2 cores taken on a 2-core machine, bench at 2 threads
    assert busy.rows["onnx fp32"].verdict == rule.NOISY
    assert "other processes kept 1.20 of 2 cores busy" in busy.notes()[0]
    assert "load average 3.0 → 3.5" in busy.notes()[0]
    throttled = assess(samples, BLOCK, EAGER, load=load(0.0), peaks=[200, 120])
    assert throttled.rows["onnx fp32"].verdict == rule.NOISY and "200 → 120 GFLOP/s" in throttled.notes()[0]


def test_other_processes_on_cores_the_bench_leaves_free_do_not_count():
    samples = {EAGER: steady(40), "onnx fp32": steady(20)}
    assert assess(samples, BLOCK, EAGER, load=load(3.0, cores=8, threads=2)).rows["onnx fp32"].verdict == rule.CREDIBLE
    assert assess(samples, BLOCK, EAGER, load=load(6.5, cores=8, threads=2)).rows["onnx fp32"].verdict == rule.NOISY
    unmeasured = MachineLoad(2, 2, 0.1, None, None, None, "timing took 0.10 s, too short to measure")
    assert assess(samples, BLOCK, EAGER, load=unmeasured).rows["onnx fp32"].verdict == rule.CREDIBLE


def test_without_a_baseline_there_are_no_verdicts_but_a_busy_machine_is_said():
    verdicts = assess({"onnx fp32": steady(20)}, BLOCK, None, load=load(1.5))
    assert verdicts.rows["onnx fp32"].verdict == "" and verdicts.rows["onnx fp32"].round_speedups == ()
    assert verdicts.notes()[0].startswith("the machine was busy while timing: latencies are slower")


def test_rounds_and_drift_follow_the_protocol_blocks():
    samples = [1.0, 1.0, 2.0, 2.0, 4.0]  # runs=5, block=2: rounds of 2, 2, 1
    assert [list(r) for r in rule.rounds(samples, 2)] == [[1.0, 1.0], [2.0, 2.0], [4.0]]
    assert rule.drift(samples, 2) == 4.0
    assert rule.drift(samples, 5) is None  # one round: nothing to compare, not a reason to withhold
    assert rule.round_speedups([4.0, 4.0, 8.0, 8.0], [2.0, 2.0, 2.0, 2.0], 2) == (2.0, 4.0)


def _report(samples: dict[str, list[float]], name: str, **machine) -> BenchReport:
    """A report built from synthetic samples the way ``bench`` builds one (no runtime involved)."""
    verdicts = assess(samples, BLOCK, EAGER, **machine)
    eager_ms = sorted(samples[EAGER])[len(samples[EAGER]) // 2]
    rows = []
    for label, times in samples.items():
        median = sorted(times)[len(times) // 2]
        v = verdicts.rows[label]
        rows.append(BenchRow(label=label, kind="eager" if label == EAGER else "artifact", backend="onnx",
                             precision="fp32", runtime="synthetic", size_mb=1.0, median_ms=median,
                             p90_ms=max(times), samples_ms=tuple(times), speedup=eager_ms / median,
                             speedup_verdict=v.verdict, speedup_reasons=v.reasons, round_speedups=v.round_speedups,
                             spread=v.spread))
    return BenchReport(model=name, input_shapes=((1, 3, 4, 32, 32),), flops=None, clip_seconds=None,
                       machine={"cpu": "synthetic"}, matmul_peak_gflops=None,
                       protocol={"threads": 2, "runs": 20, "block": BLOCK}, rows=tuple(rows),
                       notes=tuple(verdicts.notes()), credibility=verdicts.to_dict())


def test_tables_mark_noisy_and_withheld_ratios_and_every_report_carries_its_note(tmp_path):
    noisy = _report({EAGER: steady(40), "onnx fp32": steady(20)}, "first", load=load(1.2))
    withheld = _report({EAGER: drifting([40, 400, 40, 40]), "onnx fp32": steady(20)}, "second")
    assert "| 2.00x (noisy) |" in noisy.markdown() and "2.00x (noisy)" in noisy.table()
    assert "| withheld |" in withheld.markdown() and "withheld" in withheld.table()
    assert withheld.row("onnx fp32").quotable_speedup is None and noisy.row("onnx fp32").quotable_speedup == 2.0
    assert withheld.row(EAGER).speedup_text() == "1.00x"
    # each report says why, in its own markdown: not once per process
    assert "other processes kept 1.20 of 2 cores busy" in noisy.markdown()
    assert "ratios withheld" in withheld.markdown() and "ratios withheld" not in noisy.markdown()
    for report in (noisy, withheld):
        json_path = report.save(tmp_path / report.model)[0]
        again = BenchReport.from_json(json_path.read_text())
        assert again == report
        assert again.credibility["thresholds"]["spread_limit"] == rule.SPREAD_LIMIT
    assert BenchReport.from_json(withheld.to_json()).credibility["withheld"] is True
