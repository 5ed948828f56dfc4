"""A small backend that lives in the test tree: proof that a backend is its folder plus one registry line.

It writes the planned program as a ``.pt2`` file (``torch.export.save``, manifest inside) and runs it with
``torch.export.load`` — a real file in a real runtime, with none of the six toolchains. Its capabilities are
deliberately narrow (2-D convolution only, no batch norm), so the planner's rewrites run for it as for any target.
"""

from __future__ import annotations

from xport.backends.contract import AppRuntime, BackendSpec, Option
from xport.caps import Capabilities, native
from xport.spec import SPEC

NAME = "toy"

CAPS = Capabilities(
    backend=NAME,
    precisions=("fp32",),
    ops={**{op: native("fp32") for op in SPEC.names() if op not in ("conv", "batch_norm", "adaptive_avg_pool")},
         "conv": native("fp32", rank=(2,))},
)


def _probe() -> str:
    import torch

    return f"torch {torch.__version__} (torch.export.load)"


def _kotlin(m, classes: int) -> str:
    return f'val scores = ToyRuntime.load("{m.file}").run(clip)  // {classes} scores'


BACKEND = BackendSpec(
    name=NAME,
    summary="torch.export program (.pt2) run by torch.export.load, for tests",
    suffixes=(".pt2",),
    caps=CAPS,
    probe=_probe,
    options={"decompose": Option((), "spec ops to decompose even though they are native")},
    apps={"android": AppRuntime("toy runtime (tests only)", _kotlin)},
)
