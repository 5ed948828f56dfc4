"""Export a model to every available backend and verify each artifact in its runtime.

    python examples/export_and_verify.py [OUT_DIR] [BACKEND,BACKEND...]   # default: every available backend
"""

from __future__ import annotations

import sys

import xport
from xport.efficient_ops import create_model


def main(out_dir: str = "xport-out/example", backends: str = "") -> None:
    model = create_model("efficient_x3d_xs")
    clip = model.default_cfg.example_input()
    names = backends.split(",") if backends else None
    for report in xport.check(model, clip, names).values():
        print(report, end="\n\n")
    for artifact, report in xport.export_all(model, clip, out_dir, backends=names, overwrite=True).values():
        print(artifact)
        print(report, end="\n\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
