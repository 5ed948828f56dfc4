"""The transmuter: swap vanilla modules for efficient blocks that compute the same function.

    new_model, report = xport.transmute(model)
    print(report)            # every swap (path, before → after) and every leaf module left alone, with why

Two kinds of rewrite, both checked numerically before they are applied:

- chains inside ``nn.Sequential``: ``Conv3d [→ BatchNorm3d] [→ activation]`` becomes one efficient conv block;
- single modules, by rule (``xport.transmuter_rules``; add your own with :func:`register_rule`).

The input model is never modified (the transmuter works on a deep copy), and transmuting a transmuted
model changes nothing (efficient blocks are never matched).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import torch
from torch import nn

from . import backends
from .efficient_ops.base import EfficientBlock
from .errors import XportError
from .transmuter_rules import ACTIVATION_NAMES, BUILTIN_RULES, Rule, conv_is_supported, efficient_conv, probe_clip

_RULES: list[Rule] = list(BUILTIN_RULES)
_TOLERANCE = 1e-5  # relative to the output scale


def register_rule(rule: Rule, first: bool = False) -> Rule:
    """Add a rule (``first=True`` to try it before the built-in ones). Names are unique."""
    if any(r.name == rule.name for r in _RULES):
        raise XportError(f"a transmuter rule named '{rule.name}' exists already")
    _RULES.insert(0, rule) if first else _RULES.append(rule)
    return rule


def unregister_rule(name: str) -> None:
    _RULES[:] = [r for r in _RULES if r.name != name]


@dataclass(frozen=True)
class Swap:
    path: str
    before: str
    after: str
    rule: str


@dataclass(frozen=True)
class LeftAlone:
    path: str
    module: str
    reason: str


@dataclass
class TransmuteReport:
    swaps: list[Swap] = field(default_factory=list)
    left_alone: list[LeftAlone] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.swaps)

    def __str__(self) -> str:
        if not self.swaps:
            lines = ["transmute: nothing to improve; the model is returned unchanged"]
        else:
            lines = [f"transmute: {len(self.swaps)} swap(s)"]
            lines += [f"  {s.path:<40} {s.before} → {s.after}  [{s.rule}]" for s in self.swaps]
        if self.left_alone:
            lines.append(f"left alone: {len(self.left_alone)} module(s)")
            lines += [f"  {a.path:<40} {a.module}: {a.reason}" for a in self.left_alone]
        return "\n".join(lines)


def _describe(m: nn.Module) -> str:
    return type(m).__name__


def _agrees(before: nn.Module, after: nn.Module, x: torch.Tensor) -> bool:
    with torch.no_grad():
        a, b = before.eval()(x), after.eval()(x)
    scale = float(a.abs().max()) or 1.0
    return a.shape == b.shape and float((a - b).abs().max()) <= _TOLERANCE * scale


def _fuse_chain(seq: nn.Sequential, path: str, report: TransmuteReport) -> None:
    """Conv3d [→ BatchNorm3d] [→ activation] runs inside ``seq`` → one efficient block, in place."""
    names = list(seq._modules)
    i = 0
    while i < len(names):
        conv = seq._modules[names[i]]
        if type(conv) is not nn.Conv3d or not conv_is_supported(conv):
            i += 1
            continue
        used, bn, act = [names[i]], None, "identity"
        nxt = seq._modules.get(names[i + 1]) if i + 1 < len(names) else None
        if isinstance(nxt, nn.BatchNorm3d) and nxt.num_features == conv.out_channels:
            bn = nxt
            used.append(names[i + 1])
        after = seq._modules.get(names[i + len(used)]) if i + len(used) < len(names) else None
        if type(after) in ACTIVATION_NAMES:
            act = ACTIVATION_NAMES[type(after)]
            used.append(names[i + len(used)])
        if len(used) == 1:  # a lone conv is the conv3d rule's job
            i += 1
            continue
        original = nn.Sequential(*(seq._modules[n] for n in used))
        block = efficient_conv(conv, bn, act)
        if _agrees(original, block, probe_clip(conv.in_channels)):
            seq._modules[used[0]] = block
            for n in used[1:]:
                del seq._modules[n]
            before = " + ".join(_describe(m) for m in original)
            report.swaps.append(Swap(f"{path}.{used[0]}".lstrip("."), before, _describe(block), "conv_bn_act_chain"))
            names = list(seq._modules)
        i += 1


def _why_left(m: nn.Module) -> str:
    if type(m) in ACTIVATION_NAMES or isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Tanh, nn.MaxPool3d)):
        return "already a spec op"
    if isinstance(m, nn.Identity):
        return "identity"
    if isinstance(m, (nn.Dropout, nn.Dropout3d)):
        return "no-op at inference (removed at export)"
    if isinstance(m, nn.BatchNorm3d):
        return "batch norm after a conv in forward(): folded into that conv at export"
    if isinstance(m, nn.AvgPool3d):
        return "windowed pooling is a spec op; a clip-sized window becomes a mean at export"
    if isinstance(m, nn.Conv3d):
        return "dilated, non-zero-padded or 'same'-padded conv3d has no efficient block (still a spec op)"
    return "no rule matches; register one with xport.transmuter.register_rule"


def _visit(module: nn.Module, path: str, report: TransmuteReport) -> None:
    """Pre-order walk: a rule may replace a whole subtree (a user's SE block) before its insides are touched;
    chains inside a Sequential are fused before the lone-conv rule sees their convs."""
    if isinstance(module, nn.Sequential):
        _fuse_chain(module, path, report)
    for name, child in list(module.named_children()):
        child_path = f"{path}.{name}" if path else name
        if isinstance(child, EfficientBlock):
            continue  # final: transmuting twice changes nothing
        rule = next((r for r in _RULES if r.matches(child)), None)
        if rule is not None:
            replacement = rule.build(child)
            if _agrees(child, replacement, rule.probe(child)):
                module._modules[name] = replacement
                report.swaps.append(Swap(child_path, _describe(child), _describe(replacement), rule.name))
                continue
            if not list(child.children()):
                reason = f"rule '{rule.name}' failed its probe"
                report.left_alone.append(LeftAlone(child_path, _describe(child), reason))
                continue
        if list(child.children()):
            _visit(child, child_path, report)
        elif rule is None:
            report.left_alone.append(LeftAlone(child_path, _describe(child), _why_left(child)))


def transmute(model: nn.Module, backend: str | None = None) -> tuple[nn.Module, TransmuteReport]:
    """A copy of ``model`` with vanilla modules swapped for efficient blocks, and the report of what changed.

    ``backend`` is validated and recorded for rules that depend on it (the built-in ones do not).
    """
    if backend is not None:
        backends.get(backend)
    new = copy.deepcopy(model)
    report = TransmuteReport()
    if not isinstance(new, EfficientBlock):
        _visit(new, "", report)
    new.train(model.training)
    return new, report
