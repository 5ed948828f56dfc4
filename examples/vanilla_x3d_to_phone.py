"""From a vanilla PyTorchVideo X3D (checkpoint optional) to verified phone artifacts.

    python examples/vanilla_x3d_to_phone.py [X3D_XS.pyth] [OUT_DIR] [BACKEND,BACKEND...]   # default: every backend

1. load the vanilla checkpoint into the efficient zoo model (or transmute a vanilla model in place),
2. export to every available backend, 3. verify each artifact in its runtime.
"""

from __future__ import annotations

import sys

import xport
from xport.efficient_ops import create_model
from xport.efficient_ops.vanilla_x3d import vanilla_x3d_xs


def main(checkpoint: str | None = None, out_dir: str = "xport-out/vanilla_x3d", backends: str = "") -> None:
    if checkpoint:  # official weights: the zoo model loads vanilla checkpoints through its key map
        model = create_model("efficient_x3d_xs", pretrained=checkpoint)
        print(model.pretrained_report)
    else:  # no weights at hand: show the transmuter on the vanilla module tree instead
        model, report = xport.transmute(vanilla_x3d_xs())
        print(report)
    clip = create_model("efficient_x3d_xs").default_cfg.example_input()
    names = backends.split(",") if backends else None
    for artifact, report in xport.export_all(model, clip, out_dir, backends=names, overwrite=True).values():
        print(artifact)
        print(report, end="\n\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
