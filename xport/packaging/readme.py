"""The bundle's README.md: what is in it, how to turn frames into the input, and app code that loads it."""

from __future__ import annotations

from .model_json import MODEL_JSON, ModelJson
from .platforms import Platform


def _steps(mj: ModelJson) -> list[str]:
    p = mj.preprocessing
    steps = [f"Take {p.frames} frames spread uniformly over the first {p.clip_seconds:g} s of the clip "
             "(indices = linspace(0, n − 1, frames), truncated)."]
    if p.resize_short_side:
        steps.append(f"Resize each frame so its short side is {p.resize_short_side} px (bilinear, keep the aspect "
                     "ratio; do not squash).")
    steps.append(f"Centre-crop {p.crop[0]}×{p.crop[1]} (H×W). Frames are RGB (not BGR).")
    if p.fused:
        steps.append("Feed the cropped uint8 RGB frames as (T, H, W, 3): the model scales and normalises them "
                     "(Core ML: the same 0–255 values as float32).")
    else:
        steps.append(f"Scale pixels by {p.scale:.6g} (to 0–1), then per channel (x − mean) / std with mean "
                     f"{list(p.mean)} and std {list(p.std)}.")
        steps.append("Pack in the input's layout (below): NCTHW = channels, then frames, then rows; NTHWC = "
                     "frames, rows, columns, channels.")
    return steps


def readme(mj: ModelJson, plat: Platform) -> str:
    """README.md text for a bundle."""
    out = mj.outputs
    lines = [f"# {mj.model['name']} for {plat.title}", "",
             f"Packaged by xport {mj.xport_version}. Copy `{plat.folder}/` into the app ({plat.app_folder}) as is. "
             f"`{plat.folder}/{MODEL_JSON}` is the contract: inputs, preprocessing, outputs and the SHA-256 of "
             "every file; `xport verify-bundle` checks a bundle against it.", ""]
    if mj.model.get("untrained"):
        lines += [f"**Untrained weights.** {mj.model['untrained']}.", ""]
    lines += ["## Input", ""]
    lines += [f"{i}. {s}" for i, s in enumerate(_steps(mj), 1)]
    lines += ["", "| file | runtime in the app | input | output |", "|---|---|---|---|"]
    for m in mj.models:
        spec = m.inputs[0]
        lines.append(f"| `{m.file}` | {m.app_runtime} | `{spec.name}` {spec.dtype} {list(spec.shape)} {spec.layout} "
                     f"| {out['kind']} {list(m.outputs[0].shape)} |")
    lines += ["", "## Output", "",
              f"{out['num_classes']} {out['kind']} per clip; class i is line i + 1 of `{out['labels']}` "
              f"({out['labels_source']}). Take the top 5 by score.", ""]
    for m in mj.models:
        code = plat.runtime(m.backend).snippet(m, out["num_classes"])
        lines += [f"## {m.backend}: `{m.file}`", ""]
        if m.operators:
            lines += [f"Operators for a selective runtime build: `{m.operators}`.", ""]
        if "bytecode_version" in m.notes:
            lines += [f"Lite-interpreter bytecode version {m.notes['bytecode_version']}: the app's runtime must "
                      "read it.", ""]
        lines += ["```" + plat.language, code, "```", ""]
    return "\n".join(lines)
