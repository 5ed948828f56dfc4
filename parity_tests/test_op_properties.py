"""Property tests of the ops video models brought into the spec: drawn attributes and shapes, on every backend.

Each drawn case is either refused by ``xport check`` (then export must refuse it too, naming the op) or exported,
run in the backend's runtime and compared with eager at the fp32 tolerance: never a silent mismatch. The example
budget is fixed and the draws derandomized, so CI runs the same cases every time.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xport

from .op_models import Fn

EXAMPLES = 8  # per backend: 8 small exports (ONNX's are the slowest, ~6 s each: the suite's budget)


@st.composite
def shapes(draw, min_rank: int = 2, max_rank: int = 5) -> tuple[int, ...]:
    return tuple(draw(st.lists(st.integers(1, 5), min_size=min_rank, max_size=max_rank)))


@st.composite
def cases(draw) -> tuple[str, Callable[[torch.Tensor], torch.Tensor], tuple[int, ...]]:
    """(what it is, the function, the input shape) for one of the new ops with drawn attributes."""
    kind = draw(st.sampled_from(["roll", "split", "index_select", "expand", "repeat", "amax", "pow", "compare",
                                 "gelu", "layer_norm", "attention", "unary", "binary"]))
    shape = draw(shapes())
    rank = len(shape)
    dim = draw(st.integers(0, rank - 1))
    if kind == "roll":
        dims = tuple(draw(st.lists(st.integers(0, rank - 1), min_size=1, max_size=rank, unique=True)))
        shifts = tuple(draw(st.integers(-6, 6)) for _ in dims)
        return f"roll{shifts}{dims}", lambda x: torch.roll(x, shifts, dims), shape
    if kind == "split":
        size = draw(st.integers(1, max(1, shape[dim])))
        return f"split({size}, {dim})", lambda x: torch.cat(x.split(size, dim)[::-1], dim), shape
    if kind == "index_select":
        index = draw(st.lists(st.integers(0, shape[dim] - 1), min_size=1, max_size=6))
        return f"index_select({dim}, {index})", lambda x: x.index_select(dim, torch.tensor(index)) * 2, shape
    if kind == "expand":
        return f"expand over {dim}", lambda x: x.amax(dim, keepdim=True).expand(shape) - x, shape
    if kind == "repeat":
        times = tuple(draw(st.integers(1, 3)) for _ in shape)
        return f"repeat{times}", lambda x: x.repeat(times), shape
    if kind == "amax":
        keepdim = draw(st.booleans())
        return f"amax({dim}, keepdim={keepdim})", lambda x: x.amax(dim, keepdim=keepdim), shape
    if kind == "pow":
        exponent = draw(st.sampled_from([2.0, 3.0, 0.5, 1.5, -1.0]))
        return f"pow {exponent}", lambda x: (x.abs() + 0.5).pow(exponent), shape
    if kind == "compare":
        op = draw(st.sampled_from([torch.gt, torch.ge, torch.lt, torch.le, torch.eq, torch.ne]))
        threshold = draw(st.sampled_from([0.0, 0.3, -0.7]))
        return f"where({op.__name__} {threshold})", lambda x: torch.where(op(x, threshold), x, -2 * x), shape
    if kind == "gelu":
        approximate = draw(st.sampled_from(["none", "tanh"]))
        return f"gelu {approximate}", lambda x: F.gelu(x * 2, approximate=approximate), shape
    if kind == "layer_norm":
        normalized = shape[-draw(st.integers(1, min(2, rank))):]
        return f"layer_norm{normalized}", lambda x: F.layer_norm(x, normalized, eps=1e-5), shape
    if kind == "attention":
        heads, queries, keys, width = (draw(st.integers(1, 4)) for _ in range(4))
        causal = draw(st.booleans()) and queries == keys
        shape = (1, heads, queries + keys, width)
        return (f"attention(L={queries}, S={keys}, causal={causal})",
                lambda x: F.scaled_dot_product_attention(x[:, :, :queries], x[:, :, queries:], x[:, :, queries:] * 2,
                                                         is_causal=causal), shape)
    if kind == "unary":
        fn = draw(st.sampled_from([torch.exp, torch.erf, torch.neg, torch.abs, torch.sqrt, torch.rsqrt]))
        safe = fn in (torch.sqrt, torch.rsqrt)
        return fn.__name__, (lambda x: fn(x.abs() + 0.1)) if safe else fn, shape
    fn = draw(st.sampled_from([torch.maximum, torch.minimum]))
    return fn.__name__, lambda x: fn(x, x.mean(dim, keepdim=True)), shape


@pytest.mark.parametrize("backend", xport.backends.names())
def test_drawn_ops_match_eager_or_are_refused(backend, tmp_path_factory):
    from .helpers import require_backend

    require_backend(backend)

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(cases())
    def check_case(case):
        name, fn, shape = case
        model, x = Fn(fn).eval(), torch.randn(shape, generator=torch.Generator().manual_seed(0))
        out = tmp_path_factory.mktemp("drawn")
        if not xport.check(model, (x,), backend)[backend].ok:
            with pytest.raises(xport.UnsupportedOpError):
                xport.export(model, (x,), backend, out)
            return
        report = xport.verify(model, xport.export(model, (x,), backend, out), strict=False)
        assert report.passed, f"{name} on {shape}: {report}"

    check_case()
