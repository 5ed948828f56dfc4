"""Migration proof for apps leaving the PyTorch Mobile lite interpreter (``.ptl``) for ExecuTorch (``.pte``).

The lite interpreter is deprecated; ExecuTorch is its successor. Before an app swaps one file for the other, its
developers want evidence that the new file computes what the old one did. :func:`verify_migration` runs the
``.ptl`` in torch's lite interpreter and the ``.pte`` in ExecuTorch's runtime on the same inputs and compares
three pairs: ``.ptl`` vs eager, ``.pte`` vs eager, and ``.pte`` vs ``.ptl`` directly (what the app will see
change). Each must hold within the fp32 tolerance of :mod:`xport.tolerances` for the ``.pte``.

The ``.ptl`` can be the one the app ships today (made by any exporter, with or without an xport manifest), or
xport exports one from the model.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.jit.mobile

from . import backends as backend_registry
from .api import export
from .artifact import Artifact
from .capture import as_input_tuple
from .errors import ModelFormatError, ParityError
from .parity import Metrics, compare, judge
from .sample_inputs import default_inputs
from .tolerances import Tolerance

log = logging.getLogger("xport")

_PAIRS = (("ptl_vs_eager", ".ptl vs eager"), ("pte_vs_eager", ".pte vs eager"), ("pte_vs_ptl", ".pte vs .ptl"))


@dataclass
class MigrationReport:
    """Agreement of a ``.ptl`` and a ``.pte`` of one model with each other and with eager PyTorch."""

    ptl: Path
    pte: Path
    lite_runtime: str
    executorch_runtime: str
    samples: int
    ptl_vs_eager: Metrics
    pte_vs_eager: Metrics
    pte_vs_ptl: Metrics
    tolerance: Tolerance
    delegation: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def __str__(self) -> str:
        t = self.tolerance
        lines = [f"migration {'PASSED' if self.passed else 'FAILED'}: lite interpreter → ExecuTorch, "
                 f"{self.samples} input(s)",
                 f"  .ptl {self.ptl}  on {self.lite_runtime}",
                 f"  .pte {self.pte}  on {self.executorch_runtime}"]
        if self.delegation:
            d = self.delegation
            lines.append(f"       {d.get('delegated_nodes')} node(s) in XNNPACK, {d.get('portable_nodes')} on portable "
                         f"kernels {d.get('portable_ops') or ''}".rstrip())
        for attr, label in _PAIRS:
            m: Metrics = getattr(self, attr)
            top1 = "n/a" if m.top1_agreement is None else f"{100 * m.top1_agreement:.1f}%"
            lines.append(f"  {label:<14} max abs {m.max_abs:.3g}  max rel {m.max_rel:.3g}  SQNR {m.sqnr_db:.1f} dB  "
                         f"cosine {m.cosine:.7f}  top-1 {top1}")
        lines.append(f"  tolerance: max rel {t.max_rel:g}, SQNR >= {t.min_sqnr_db:g} dB, cosine >= {t.min_cosine:g}, "
                     f"top-1 >= {100 * t.min_top1:.0f}%")
        lines += [f"  FAIL: {f}" for f in self.failures]
        return "\n".join(lines)


class _LiteModule:
    """Any ``.ptl`` in torch's lite interpreter; app-made files carry no xport manifest, so none is required."""

    def __init__(self, path: Path):
        if not path.is_file():
            raise ModelFormatError(path, "no such file")
        try:
            with backend_registry.get("torchscript").quiet():
                self._module = torch.jit.mobile._load_for_lite_interpreter(str(path), map_location=torch.device("cpu"))
        except (RuntimeError, ValueError) as exc:
            raise ModelFormatError(path, f"the lite interpreter cannot load it ({str(exc).splitlines()[0][:300]})",
                                   "the file is truncated, corrupt or not a lite-interpreter model") from exc
        self.runtime = f"torch {torch.__version__} lite interpreter"

    def __call__(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        with backend_registry.get("torchscript").quiet():
            return _as_tuple(self._module(*inputs))


def _as_tuple(result: Any) -> tuple[torch.Tensor, ...]:
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)


def verify_migration(model: torch.nn.Module, example_inputs: Any, output_dir: Path | str, *,
                     ptl: Path | str | None = None, inputs: Iterable[Sequence[torch.Tensor]] | None = None,
                     overwrite: bool = False, strict: bool = True, **executorch_options: Any) -> MigrationReport:
    """Export ``model`` to ``.pte`` (and to ``.ptl`` unless ``ptl`` names the app's current file), run both in
    their runtimes and compare them with each other and with eager.

    Files go to ``output_dir/executorch/`` and ``output_dir/torchscript/``. ``inputs`` defaults to the example plus
    seeded random and structured clips, as in :func:`xport.verify`. ``executorch_options`` go to the ExecuTorch
    export (``strict=True`` there fails on nodes XNNPACK does not take). Raises :class:`~xport.ParityError` on
    disagreement unless ``strict=False``.
    """
    example = as_input_tuple(example_inputs)
    out = Path(output_dir)
    model = model.eval()
    if ptl is None:
        ptl = export(model, example, "torchscript", out / "torchscript", overwrite=overwrite).path
    lite = _LiteModule(Path(ptl))
    log.info("exporting the ExecuTorch program for the migration check")
    pte: Artifact = export(model, example, "executorch", out / "executorch", overwrite=overwrite, **executorch_options)

    refs, lite_outs, et_outs, samples = [], [], [], 0
    with torch.no_grad():
        for case in (default_inputs(example) if inputs is None else inputs):
            case = tuple(case)
            ref, old, new = _as_tuple(model(*case)), lite(*case), _as_tuple(pte.run(*case))
            if not len(ref) == len(old) == len(new):
                raise ParityError(f"eager returns {len(ref)} output(s), the .ptl {len(old)}, the .pte {len(new)}")
            refs += ref
            lite_outs += old
            et_outs += new
            samples += 1
    if not samples:
        raise ValueError("verify_migration needs at least one input tuple")
    tol = backend_registry.tolerance_for("executorch", pte.precision)
    metrics = {"ptl_vs_eager": compare(refs, lite_outs), "pte_vs_eager": compare(refs, et_outs),
               "pte_vs_ptl": compare(lite_outs, et_outs)}
    failures = [f"{label}: {f}" for attr, label in _PAIRS for f in judge(metrics[attr], tol)]
    report = MigrationReport(Path(ptl), pte.path, lite.runtime, pte.runtime, samples,
                             tolerance=tol, delegation=pte.manifest.extra.get("delegation", {}), failures=failures,
                             **metrics)
    if strict and not report.passed:
        raise ParityError(report)
    return report
