"""Loading official X3D checkpoints into :class:`~.x3d.EfficientX3d`, strictly.

Two layouts are recognised (facts in shared/reference/x3d.md):

- efficient (``efficient_x3d_{xs,s}_original_form.pyth``): a raw state_dict with the model's own names;
- vanilla (``X3D_XS.pyth`` …): ``{"model_state": {...}}`` with ``blocks.*`` names, renamed here. Vanilla has no
  batch norm on stage 2's first shortcut; it is filled as the identity (weight 1, bias 0, mean 0, var 1 − eps).

Everything is validated before anything is copied, so a bad file never leaves a half-loaded model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import torch

from xport.errors import ModelFormatError, XportError

_PROJECTION = ("projection.model.weight", "projection.model.bias")
DEFAULT_CLASSES = 400  # Kinetics-400: the head of every official checkpoint


class CheckpointMismatchError(XportError):
    """A checkpoint's keys or shapes do not fit the model; lists every problem."""


@dataclass
class LoadReport:
    path: str
    layout: str  # "efficient" | "vanilla"
    loaded: int
    skipped: list[str] = field(default_factory=list)
    filled: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"loaded {self.loaded} tensors from {self.path} ({self.layout} X3D checkpoint)"
        if self.skipped:
            text += f"; skipped {', '.join(self.skipped)} (not used by this model: new or no classifier)"
        if self.filled:
            text += f"; filled {len(self.filled)} tensors of the stage-2 shortcut BN as identity"
        return text


_VANILLA_RULES = [  # (pattern on the vanilla name, replacement with the efficient name)
    (r"^blocks\.0\.conv\.conv_t\.", "s1.pathway0_stem_conv_xy.kernel.conv."),
    (r"^blocks\.0\.conv\.conv_xy\.", "s1.pathway0_stem_conv.kernel.conv."),
    (r"^blocks\.0\.norm\.", "s1.pathway0_stem_conv.kernel.bn."),
    (r"^blocks\.5\.pool\.pre_conv\.", "head.conv_5.kernel.conv."),
    (r"^blocks\.5\.pool\.pre_norm\.", "head.conv_5.kernel.bn."),
    (r"^blocks\.5\.pool\.post_conv\.", "head.lin_5.kernel.conv."),
    (r"^blocks\.5\.proj\.", "projection.model."),
]
_VANILLA_BLOCK = re.compile(r"^blocks\.([1-4])\.res_blocks\.(\d+)\.(.+)$")
_VANILLA_BLOCK_PARTS = [
    (r"^branch1_conv\.", "_res_proj.kernel.conv."),
    (r"^branch1_norm\.", "_res_proj.kernel.bn."),
    (r"^branch2\.conv_a\.", "layers.conv_0.kernel.conv."),
    (r"^branch2\.norm_a\.", "layers.conv_0.kernel.bn."),
    (r"^branch2\.conv_b\.", "layers.conv_1.kernel.conv."),
    (r"^branch2\.norm_b\.0\.", "layers.conv_1.kernel.bn."),
    (r"^branch2\.norm_b\.1\.block\.", "layers.se.se.block."),
    (r"^branch2\.conv_c\.", "layers.conv_2.kernel.conv."),
    (r"^branch2\.norm_c\.", "layers.conv_2.kernel.bn."),
]


def vanilla_to_efficient_name(name: str) -> str | None:
    """The efficient-X3D name of a vanilla X3D state_dict key, or ``None`` if it has no counterpart."""
    for pattern, repl in _VANILLA_RULES:
        if re.match(pattern, name):
            return re.sub(pattern, repl, name)
    m = _VANILLA_BLOCK.match(name)
    if m:
        stage, block, rest = int(m.group(1)) + 1, m.group(2), m.group(3)
        for pattern, repl in _VANILLA_BLOCK_PARTS:
            if re.match(pattern, rest):
                return f"s{stage}.pathway0_res{block}." + re.sub(pattern, repl, rest)
    return None


def read_checkpoint(path: str | Path) -> dict:
    """The dict a checkpoint file holds (CPU tensors, no code executed); clear errors for anything else."""
    path = Path(path)
    if not path.is_file():
        raise ModelFormatError(path, "no such checkpoint file")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle, zip and torch errors of every kind
        raise ModelFormatError(path, f"not a PyTorch checkpoint ({type(exc).__name__})",
                               "pass the .pyth/.pt file saved by torch.save") from exc
    if not isinstance(obj, dict):
        raise ModelFormatError(path, f"holds a {type(obj).__name__}, not a state_dict or checkpoint dict")
    return obj


def _identity_bn(model_state: dict, prefix: str, eps: float) -> dict:
    like = model_state[f"{prefix}.weight"]
    return {f"{prefix}.weight": torch.ones_like(like), f"{prefix}.bias": torch.zeros_like(like),
            f"{prefix}.running_mean": torch.zeros_like(like), f"{prefix}.running_var": torch.full_like(like, 1 - eps),
            f"{prefix}.num_batches_tracked": torch.zeros((), dtype=torch.long)}


def _normalise(obj: dict, model: torch.nn.Module) -> tuple[dict, str, list[str]]:
    """(state_dict with efficient names, layout, keys filled in)."""
    if "model_state" in obj or any(str(k).startswith("blocks.") for k in obj):
        vanilla = obj.get("model_state", obj)
        unknown = [key for key in vanilla if vanilla_to_efficient_name(key) is None]
        if unknown:
            raise CheckpointMismatchError(f"vanilla X3D keys with no efficient counterpart: {unknown[:10]}"
                                          f"{' …' if len(unknown) > 10 else ''}")
        renamed = {vanilla_to_efficient_name(key): value for key, value in vanilla.items()}
        prefix = "s2.pathway0_res0._res_proj.kernel.bn"
        filled = {}
        if f"{prefix}.weight" not in renamed and f"{prefix}.weight" in model.state_dict():
            eps = model.get_submodule(prefix).eps
            filled = _identity_bn(model.state_dict(), prefix, eps)
        return renamed | filled, "vanilla", sorted(filled)
    state = obj.get("state_dict", obj)
    return dict(state), "efficient", []


def _drop_head_keys(state: dict, own: dict) -> list[str]:
    """Remove (and return) checkpoint keys the model deliberately does not take.

    The classifier is skipped only when the model was built with a non-default ``num_classes`` (the user
    asked for a new head); a checkpoint whose head differs from a default model is a mismatch, reported.
    With ``enable_head=False`` the head's weights are not needed at all.
    """
    if "projection.model.weight" not in own:
        dropped = [k for k in state if k.startswith(("head.", "projection."))]
    elif own["projection.model.weight"].shape[0] != DEFAULT_CLASSES and "projection.model.weight" in state \
            and state["projection.model.weight"].shape != own["projection.model.weight"].shape:
        dropped = [k for k in _PROJECTION if k in state]
    else:
        dropped = []
    for key in dropped:
        del state[key]
    return dropped


def load_x3d_checkpoint(model: torch.nn.Module, path: str | Path) -> LoadReport:
    """Validate every key and shape of the checkpoint against ``model``, then load it (all or nothing)."""
    state, layout, filled = _normalise(read_checkpoint(path), model)
    own = model.state_dict()
    skipped = _drop_head_keys(state, own)
    expected_missing = set(_PROJECTION) if any(k in _PROJECTION for k in skipped) else set()
    missing = sorted(set(own) - set(state) - expected_missing)
    unexpected = sorted(set(state) - set(own))
    wrong = sorted(f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(own[k].shape)}"
                   for k in set(state) & set(own) if state[k].shape != own[k].shape)
    if missing or unexpected or wrong:
        parts = [f"{len(missing)} missing: {missing[:8]}" if missing else "",
                 f"{len(unexpected)} unexpected: {unexpected[:8]}" if unexpected else "",
                 f"{len(wrong)} with other shapes: {wrong[:8]}" if wrong else ""]
        raise CheckpointMismatchError(
            f"{path} does not fit {type(model).__name__} ({layout} layout): " + "; ".join(p for p in parts if p)
            + ". Is it the checkpoint of another model size (XS/S/M vs L) or another architecture? "
            "A fine-tuned checkpoint with another number of classes needs create_model(..., num_classes=N).")
    model.load_state_dict(state, strict=not skipped)
    return LoadReport(str(path), layout, len(state), skipped, filled)
