"""Move a relu/relu6 that follows a conv through views back onto the conv, so the two fuse into one int8 kernel.

The planner's conv3d → conv2d lowering puts views between a conv and its activation, so the quantizer sees a
conv quantized on its own and a relu quantized again::

    conv → Q(a) → DQ → view → Q(a) → DQ → relu → Q(b)      becomes      conv → relu → Q(b) → DQ → view → Q(b)

Activations commute with views, permutes and squeezes, so this only drops the intermediate rounding at (a): the
conv's output is rounded once, at the activation's range, as a fused ``quantized::conv2d_relu`` does.
"""

from __future__ import annotations

import torch
import torch.fx

from .qdq import DQ, Q, is_call

_aten = torch.ops.aten
ACTIVATIONS = (_aten.relu.default, _aten.clamp.default, _aten.hardtanh.default)
# Pure layout ops: relu(view(x)) == view(relu(x)) exactly.
COMMUTING = (_aten.view.default, _aten._unsafe_view.default, _aten.reshape.default, _aten.permute.default,
             _aten.squeeze.dim, _aten.squeeze.dims, _aten.unsqueeze.default, _aten.clone.default)
COMPUTE = (_aten.convolution.default, _aten.conv1d.default, _aten.conv2d.default, _aten.linear.default,
           _aten.add.Tensor, _aten.mul.Tensor)


def fusable_activation(node: torch.fx.Node) -> bool:
    """relu, or clamp to [0, 6] (relu6): the activations the quantized kernels fuse."""
    if node.target is _aten.relu.default:
        return True
    if node.target in (_aten.clamp.default, _aten.hardtanh.default):
        bounds = tuple(float(b) if b is not None else None for b in node.args[1:3])
        return bounds == (0.0, 6.0) and not node.kwargs
    return False


def _only_user(node: torch.fx.Node) -> torch.fx.Node | None:
    return next(iter(node.users)) if len(node.users) == 1 else None


def _chain_to_compute(dq: torch.fx.Node) -> tuple[torch.fx.Node, list[torch.fx.Node]] | None:
    """From the DQ before an activation back to a compute op, over single-use Q/DQ/layout nodes.

    Returns the compute node and the Q/DQ nodes passed (whose parameters become the activation's).
    """
    qdq: list[torch.fx.Node] = []
    node = dq
    while is_call(node, DQ) and _only_user(node) is not None:
        q = node.args[0]
        if not is_call(q, Q) or _only_user(q) is not node:
            return None
        qdq += [node, q]
        source = q.args[0]
        if is_call(source, *COMPUTE) and _only_user(source) is q:
            return (source, qdq) if len(qdq) > 2 else None  # no views between: nothing to hoist
        if not is_call(source, *COMMUTING) or _only_user(source) is not q:
            return None
        node = source.args[0]
    return None


def hoist_activations(gm: torch.fx.GraphModule) -> int:
    """Rewrite every conv/linear/add/mul → views → relu of the QDQ graph as shown above; returns how many."""
    graph, count = gm.graph, 0
    for act in list(graph.nodes):
        if not is_call(act, *ACTIVATIONS) or not fusable_activation(act):
            continue
        q_out = _only_user(act)
        if not is_call(q_out, Q) or not is_call(act.args[0], DQ):
            continue
        found = _chain_to_compute(act.args[0])
        if found is None:
            continue
        compute, qdq = found
        with graph.inserting_after(compute):
            moved = graph.call_function(act.target, (compute, *act.args[1:]), dict(act.kwargs))
        moved.meta = dict(compute.meta)  # the activation now has the compute op's shape
        first_q = qdq[-1]
        first_q.replace_input_with(compute, moved)
        for node in qdq[1:]:  # the DQ before the activation goes; the others take the activation's range
            node.args = (node.args[0], *q_out.args[1:])
        last_q = qdq[1]
        q_out.replace_all_uses_with(last_q)
        for node in (q_out, act, qdq[0]):
            graph.erase_node(node)
        count += 1
    graph.lint()
    gm.recompile()
    return count
