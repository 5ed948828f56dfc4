"""Splitting a zoo model into a frozen prefix and a trained suffix, so the prefix runs once per clip.

A frozen prefix in eval mode is a fixed function of the clip: its outputs are computed once and cached,
and each epoch only runs the suffix. For X3D-XS trained from ``s5`` on, that removes most of the compute.
"""

from __future__ import annotations

import torch
from torch import nn

from xport.errors import XportError


def _takes_flat(module: nn.Module) -> bool:
    """Whether ``module`` starts with a Linear (zoo heads flatten the pooled map right before it)."""
    first = next((m for m in module.modules() if not list(m.children())), None)
    return isinstance(first, nn.Linear)


class ModelSplit:
    """``model`` as ``suffix(prefix(x))`` at top-level child ``start``; the split is checked against
    ``model(x)`` on a random clip, so a model whose forward is not its children in order is refused."""

    def __init__(self, model: nn.Module, start: str | None, example: torch.Tensor):
        children = list(model.named_children())
        names = [n for n, _ in children]
        if start is None:
            at = 0
        elif start in names:
            at = names.index(start)
        else:
            raise XportError(f"cannot train from '{start}': {type(model).__name__} has top-level modules "
                             f"{', '.join(names)}")
        self.model, self.start = model, start
        self.prefix = nn.Sequential(*[m for _, m in children[:at]])
        self.suffix = nn.ModuleList([m for _, m in children[at:]])
        model.eval()
        with torch.no_grad():
            full = model(example)
            try:
                split = self.run_suffix(self.prefix(example))
            except RuntimeError:  # e.g. a shape mismatch: the forward does more between its children
                split = None
        if split is None or full.shape != split.shape or not torch.allclose(full, split, rtol=1e-4, atol=1e-5):
            raise XportError(f"{type(model).__name__}.forward is not its top-level modules in order, so it cannot "
                             f"be split at '{start}'; use freeze='none'")

    def run_suffix(self, x: torch.Tensor) -> torch.Tensor:
        for module in self.suffix:
            if x.ndim > 2 and _takes_flat(module):
                x = x.flatten(1)
            x = module(x)
        return x

    def freeze_prefix(self) -> None:
        """No gradients and eval-mode batch norm for the prefix (it keeps its statistics)."""
        for p in self.prefix.parameters():
            p.requires_grad_(False)
        self.prefix.eval()

    @torch.no_grad()
    def recalibrate_batch_norm(self, clips: torch.Tensor, batch_size: int = 8) -> int:
        """Re-estimate the frozen prefix's batch-norm statistics on ``clips`` (exact averages, no momentum).

        A backbone's statistics describe the data it was trained on (or, for seeded random weights, nothing:
        activations shrink stage after stage). Measured on the new clips, each channel reaches the trained part
        normalised. Returns how many batch norms were updated.
        """
        norms = [m for m in self.prefix.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        saved = [m.momentum for m in norms]
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # cumulative average over all batches
        self.prefix.train()
        for i in range(0, len(clips), batch_size):
            self.prefix(clips[i:i + batch_size])
        for m, momentum in zip(norms, saved):
            m.momentum = momentum
        self.prefix.eval()
        return len(norms)

    @torch.no_grad()
    def prefix_features(self, clips: torch.Tensor, batch_size: int = 8) -> torch.Tensor:
        """The prefix's output for each clip (N, C, T, H, W) → (N, ...), batched."""
        self.prefix.eval()
        return torch.cat([self.prefix(clips[i:i + batch_size]) for i in range(0, len(clips), batch_size)])


def default_head_start(model: nn.Module) -> str:
    """Where "frozen backbone" ends: the ``head`` module if the model has one, else its last module with weights."""
    names = [n for n, m in model.named_children()]
    if "head" in names:
        return "head"
    weighted = [n for n, m in model.named_children() if any(True for _ in m.parameters())]
    return weighted[-1]
