"""Export a model to every available backend and verify each artifact in its runtime.

    python examples/export_and_verify.py [OUT_DIR]
"""

from __future__ import annotations

import sys

import xport
from xport.efficient_ops import create_model


def main(out_dir: str = "xport-out/example") -> None:
    model = create_model("efficient_x3d_xs")
    clip = model.default_cfg.example_input()
    for report in xport.check(model, clip).values():
        print(report, end="\n\n")
    for artifact, report in xport.export_all(model, clip, out_dir, overwrite=True).values():
        print(artifact)
        print(report, end="\n\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
