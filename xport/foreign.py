"""Files xport did not write (a ``torch.onnx.export`` ``.onnx``, a traced ``.ptl``): the input specs to feed them.

Their runtimes open them without an xport manifest; the backend's runner reports what the file itself says about
its inputs (ONNX: names, dtypes and shapes, -1 for symbolic dimensions; a ``.ptl``: nothing). Shapes come from the
file where it has them all, else from the shapes the caller gives (``--input-shape``, or the model card), and the
manifest says which, so a report never hides where its inputs came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from .artifact import Manifest
from .errors import XportError, pass_as
from .tensor_spec import TensorSpec

Shapes = Sequence[Sequence[int]]


def _dims(shape: Sequence[int]) -> str:
    return ",".join("N" if d == -1 else str(d) for d in shape)


def _resolved(spec: TensorSpec, given: Sequence[int] | None, source: str) -> TensorSpec:
    if -1 not in spec.shape:
        if given is not None and tuple(given) != spec.shape:
            raise XportError(f"input '{spec.name}' of the file has the fixed shape {_dims(spec.shape)}, but "
                             f"{source} gives {_dims(given)}; drop it or give the file's shape")
        return spec
    if given is None:
        raise XportError(f"input '{spec.name}' of the file has symbolic dimensions ({_dims(spec.shape)}); give its "
                         f"shape: {pass_as('input_shapes=', '--input-shape N,C,T,H,W')}")
    if not spec.matches(tuple(given)):
        raise XportError(f"{source} gives {_dims(given)} for input '{spec.name}', which the file declares as "
                         f"{_dims(spec.shape)}; give a shape that fits it")
    return replace(spec, shape=tuple(int(d) for d in given))


def complete_inputs(manifest: Manifest, shapes: Shapes | None, source: str) -> Manifest:
    """``manifest`` of a foreign file with every input shape known; ``source`` names where ``shapes`` came from.

    Raises :class:`XportError` when neither the file nor ``shapes`` tell a shape, or when they disagree.
    """
    if not manifest.inputs:  # the file records no inputs (a .ptl): all of them come from the caller, float32
        if not shapes:
            raise XportError(f"{manifest.foreign}; give the input shape: "
                             f"{pass_as('input_shapes=', '--input-shape N,C,T,H,W')}")
        names = ["input"] if len(shapes) == 1 else [f"input_{i}" for i in range(len(shapes))]
        inputs = tuple(TensorSpec(n, tuple(int(d) for d in s), "float32") for n, s in zip(names, shapes))
        return replace(manifest, inputs=inputs, foreign=f"input shape(s) {_listed(inputs)} from {source}")
    if shapes is not None and len(shapes) != len(manifest.inputs):
        raise XportError(f"the file takes {len(manifest.inputs)} input(s) "
                         f"({', '.join(s.name for s in manifest.inputs)}), {source} gives {len(shapes)} shape(s)")
    if all(-1 not in s.shape for s in manifest.inputs):  # the file's own shapes are the ones it runs
        unused = shapes is not None and [tuple(g) for g in shapes] != [s.shape for s in manifest.inputs]
        note = f" ({source} gives {', '.join(f'[{_dims(g)}]' for g in shapes)}, not used)" if unused else ""
        return replace(manifest, foreign=f"input shape(s) {_listed(manifest.inputs)} from the file{note}")
    given = shapes if shapes is not None else [None] * len(manifest.inputs)
    inputs = tuple(_resolved(s, g, source) for s, g in zip(manifest.inputs, given))
    return replace(manifest, inputs=inputs, foreign=f"input shape(s) {_listed(inputs)} from {source} (the file's "
                                                    f"are {_listed(manifest.inputs)})")


def _listed(inputs: Sequence[TensorSpec]) -> str:
    return ", ".join(f"[{_dims(s.shape)}]" for s in inputs)
