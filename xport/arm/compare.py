"""The ARM parity stage: save inputs, run x86 and eager, run every artifact on each emulated core, compare.

Each artifact is judged twice: against its own x86 outputs (same file, same inputs: only the kernels differ;
:meth:`xport.backends.Backend.arm_tolerance`) and against eager PyTorch (the backend's usual tolerance, so an ARM-only
numerical problem cannot hide behind an x86 one).
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from xport import backends
from xport.artifact import Artifact
from xport.errors import BackendUnavailableError, XportError
from xport.parity import compare, judge
from xport.sample_inputs import default_inputs
from xport.tensor_spec import in_model_layout

from .cores import Core, resolve_cores
from .emulator import ItemResult, prepare, run_batch
from .progress import say
from .report import ArmReport, ArmRow


def arm_backends() -> list[str]:
    """Backends with an aarch64 runner (``BACKEND.arm``): an aarch64 Python runtime on PyPI that the stage unpacks."""
    return [b.name for b in backends.all_backends() if b.spec.arm is not None]


def runner_file(backend: str) -> Path:
    """The backend's ARM runner script (``BACKEND.arm.script``, a file of its package)."""
    be = backends.get(backend)
    return Path(importlib.util.find_spec(be.package).origin).parent / be.spec.arm.script


@dataclass
class ArmCase:
    """One artifact to check on ARM: its name in the report, the artifact, the eager model (optional), inputs.

    ``inputs`` are input tuples in the model's layout (as for :func:`xport.verify`). ``cores`` names the core
    settings (``"a76"``) or kinds (``"big"``, ``"little"``) of the run it goes to (default: every one).
    """

    name: str
    artifact: Artifact
    inputs: Sequence[Sequence[torch.Tensor]]
    model: torch.nn.Module | None = None
    cores: Sequence[str] | None = None

    def runs_on(self, core: Core) -> bool:
        return self.cores is None or core.name in self.cores or core.kind in self.cores


def quant_step(artifact: Artifact, reference: list[torch.Tensor]) -> float:
    """One quantization step of the output: the manifest's output scale when it has one, else the step of an
    int8 grid spanning the output's range (what an int8 output tensor of that range would have)."""
    scale = artifact.manifest.extra.get("output_scale") if artifact.manifest.extra else None
    if isinstance(scale, (int, float)) and scale > 0:
        return float(scale)
    flat = torch.cat([r.reshape(-1).double() for r in reference])
    return float(flat.max() - flat.min()) / 255 or 1.0


def judge_vs_x86(row: ArmRow, artifact: Artifact, x86: list[torch.Tensor], arm: list[torch.Tensor]) -> None:
    """Fill ``row.vs_x86`` and its failures/notes from the ARM tolerance of the artifact's (backend, precision)."""
    tol = backends.arm_tolerance_for(artifact.backend, artifact.precision)
    metrics = row.vs_x86 = compare(x86, arm)
    row.bit_exact = all(torch.equal(a, b) for a, b in zip(x86, arm))
    if tol.max_rel is not None and not metrics.max_rel <= tol.max_rel:
        row.failures.append(f"vs x86: max rel {metrics.max_rel:.3g} > {tol.max_rel:g}")
    if tol.max_steps is not None:
        steps = metrics.max_abs / quant_step(artifact, x86)
        if not steps <= tol.max_steps:
            row.failures.append(f"vs x86: {steps:.2f} quantization steps > {tol.max_steps:g}")
    if tol.bit_exact and not row.bit_exact:
        row.notes.append(f"not bit-exact vs x86 (expected for {artifact.backend} {artifact.precision}): "
                         f"max abs {metrics.max_abs:.3g}")


def default_inputs_for(artifact: Artifact) -> list[tuple[torch.Tensor, ...]]:
    """The inputs :func:`xport.verify` uses by default for ``artifact`` (its example plus seeded clips)."""

    if artifact.example_inputs is not None:
        return list(default_inputs(artifact.example_inputs))
    shapes = tuple(torch.zeros(s.example_shape(), dtype=getattr(torch, s.dtype)) for s in artifact.manifest.inputs)
    return list(default_inputs(shapes))[1:]


def _as_list(out) -> list[torch.Tensor]:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def run_arm_parity(cases: Sequence[ArmCase], cores: str | Sequence[str] | None = None,
                   work_dir: Path | str | None = None, threads: int = 1) -> ArmReport:
    """Run every case's artifact on each core setting (one emulator process per core and backend), compare.

    ``cores``: names from :data:`xport.arm.cores.CORES` (default one little and one big core). Inputs, x86
    outputs and ARM outputs are kept in ``work_dir`` (a temporary folder when not given).
    """
    core_list = resolve_cores(cores)
    for case in cases:
        if case.artifact.backend not in arm_backends():
            raise BackendUnavailableError(f"{case.name}: no aarch64 runtime for backend '{case.artifact.backend}' "
                                          f"in the ARM stage (it runs {', '.join(arm_backends())})")
        if not any(case.runs_on(core) for core in core_list):
            raise XportError(f"{case.name}: runs on {', '.join(case.cores)}, and this run has none of them "
                             f"({', '.join(c.name for c in core_list)})")
    start = time.monotonic()
    env = prepare()
    with tempfile.TemporaryDirectory(prefix="xport-arm-") as tmp:
        work = Path(work_dir) if work_dir is not None else Path(tmp)
        items, x86_outs, eager_outs = [], {}, {}
        for index, case in enumerate(cases):
            case_dir = work / f"{index:03d}"
            samples, x86_list, eager_list = [], [], []
            with torch.no_grad():
                for s, args in enumerate(case.inputs):
                    fed = [spec.from_model_layout(x) for spec, x in zip(case.artifact.manifest.inputs, args)]
                    paths = []
                    for i, x in enumerate(fed):
                        path = case_dir / "inputs" / f"s{s}_i{i}.npy"
                        path.parent.mkdir(parents=True, exist_ok=True)
                        np.save(path, x.detach().numpy())
                        paths.append(str(path))
                    samples.append(paths)
                    x86_list += _as_list(case.artifact.run(*fed))
                    if case.model is not None:
                        eager_list += _as_list(case.model.eval()(*args))
            x86_outs[case_dir.name], eager_outs[case_dir.name] = x86_list, eager_list
            items.append({"id": case_dir.name, "backend": case.artifact.backend, "artifact": str(case.artifact.path),
                          "runner": str(runner_file(case.artifact.backend)),
                          "samples": samples, "out_dir": str(case_dir / "{core}")})
        # One emulator process per core and backend, every model of that backend in it: each runtime bundles its
        # own XNNPACK build, and a crash of one runtime must not take the other backends' results down with it.
        # The processes are single-threaded, so up to one per host CPU runs at once (XPORT_ARM_JOBS).
        groups = [(core, backend, [dict(item, out_dir=item["out_dir"].format(core=core.name))
                                   for case, item in zip(cases, items)
                                   if item["backend"] == backend and case.runs_on(core)])
                  for core in core_list for backend in dict.fromkeys(item["backend"] for item in items)]
        groups = [group for group in groups if group[2]]
        jobs = max(1, min(len(groups), int(os.environ.get("XPORT_ARM_JOBS") or os.cpu_count() or 1)))
        with ThreadPoolExecutor(jobs) as pool:
            done = list(pool.map(lambda g: run_batch(env, g[0], g[2], work / f"run-{g[0].name}-{g[1]}", threads),
                                 groups))
        results = {(core.name, item_id): r for (core, _, _), batch in zip(groups, done) for item_id, r in batch.items()}
        rows = []
        for core in core_list:
            for case, item in ((c, i) for c, i in zip(cases, items) if c.runs_on(core)):
                rows.append(_row(case, core, results[(core.name, item["id"])],
                                 Path(item["out_dir"].format(core=core.name)), x86_outs[item["id"]],
                                 eager_outs[item["id"]]))
    report = ArmReport(rows, core_list, env.versions, time.monotonic() - start)
    say(f"ARM parity: {sum(r.passed for r in rows)}/{len(rows)} passed in {report.seconds:.0f} s")
    return report


def _row(case: ArmCase, core: Core, result: ItemResult, out_dir: Path, x86: list[torch.Tensor],
         eager: list[torch.Tensor]) -> ArmRow:
    art = case.artifact
    row = ArmRow(case.name, art.backend, art.precision, core, result.runtime)
    if not result.ok:
        row.failures.append(f"did not run on aarch64: {result.error.strip()[:2000]}")
        return row
    per_sample = len(x86) // max(len(case.inputs), 1)
    # The runner writes each sample's outputs in the file's layout; x86's are in the model's.
    arm = [o for s in range(len(case.inputs)) for o in in_model_layout(
        [torch.from_numpy(np.load(out_dir / f"s{s}_o{o}.npy")) for o in range(per_sample)], art.manifest.outputs)]
    if len(arm) != len(x86):
        row.failures.append(f"aarch64 run returned {len(arm)} outputs, x86 {len(x86)}")
        return row
    judge_vs_x86(row, art, x86, arm)
    if eager:
        row.vs_eager = compare(eager, arm)
        tol = backends.tolerance_for(art.backend, art.precision)
        row.failures += [f"vs eager: {f}" for f in judge(row.vs_eager, tol)]
    return row
