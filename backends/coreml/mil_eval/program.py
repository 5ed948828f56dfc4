"""An ML Program as the evaluator sees it: typed inputs, a flat list of ops with resolved arguments, outputs.

Read from the saved ``model.mlmodel`` protobuf (``spec.mlProgram.functions["main"]``) and its weight blobs, not
from coremltools' in-memory program, so what is evaluated is exactly what an app loads. Every name an op reads
must be defined before it (an input, or an earlier op's output): a damaged program is caught here, at load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .values import BlobFiles, ProgramError, decode, dtype_name, tensor_shape


@dataclass(frozen=True)
class TensorType:
    name: str
    dtype: int  # MIL_pb2.DataType
    shape: tuple[int, ...]

    def describe(self) -> str:
        return f"{self.name}: {dtype_name(self.dtype)}{list(self.shape)}"


@dataclass(frozen=True)
class Binding:
    """One argument of an op: a named value of the program, or a value written into the op itself."""

    name: str | None = None
    value: np.ndarray | str | None = None


@dataclass
class Op:
    type: str
    inputs: dict[str, list[Binding]]
    outputs: list[TensorType]
    attributes: dict[str, np.ndarray | str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The op's name in the program (its first output's name, as Core ML's tools show it)."""
        return self.outputs[0].name if self.outputs else f"<{self.type}>"


@dataclass
class Program:
    opset: str
    inputs: list[TensorType]
    ops: list[Op]
    outputs: list[str]

    def op_types(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for op in self.ops:
            counts[op.type] = counts.get(op.type, 0) + 1
        return counts


def _tensor_type(named) -> TensorType:
    kind = named.type.WhichOneof("type")
    if kind != "tensorType":
        raise ProgramError(f"'{named.name}' is a {kind}; xport's programs pass tensors only")
    return TensorType(named.name, named.type.tensorType.dataType, tensor_shape(named.type))


def _op(op_proto, blobs: BlobFiles, defined: set[str]) -> Op:
    if len(op_proto.blocks):
        raise ProgramError(f"op '{op_proto.type}' has nested blocks (control flow), which xport never writes")
    inputs: dict[str, list[Binding]] = {}
    for param, argument in op_proto.inputs.items():
        bindings = []
        for b in argument.arguments:
            if b.WhichOneof("binding") == "name":
                if b.name not in defined:
                    raise ProgramError(f"op '{op_proto.type}' reads '{b.name}', which nothing before it defines")
                bindings.append(Binding(name=b.name))
            else:
                bindings.append(Binding(value=decode(b.value, blobs)))
        inputs[param] = bindings
    outputs = [_tensor_type(o) for o in op_proto.outputs]
    # A const's value is its "val" attribute; iOS 16 constexpr ops keep their (constant) parameters as attributes
    # too, so those become arguments. "name" is only a label.
    attributes = {}
    for key, value in op_proto.attributes.items():
        if key == "name":
            continue
        if op_proto.type == "const":
            attributes[key] = decode(value, blobs)
        elif key not in inputs:
            inputs[key] = [Binding(value=decode(value, blobs))]
    return Op(op_proto.type, inputs, outputs, attributes)


def load_program(spec, model_dir: Path) -> Program:
    """The ``main`` function of the ML Program in ``spec`` (a ``Model_pb2.Model``), weights read from ``model_dir``."""
    if spec.WhichOneof("Type") != "mlProgram":
        raise ProgramError(f"it holds a Core ML '{spec.WhichOneof('Type')}' model, not an ML Program")
    functions = spec.mlProgram.functions
    if "main" not in functions:
        raise ProgramError("its ML Program has no 'main' function")
    main = functions["main"]
    if main.opset not in main.block_specializations:
        raise ProgramError(f"its 'main' function has no block for its opset {main.opset}")
    block = main.block_specializations[main.opset]
    inputs = [_tensor_type(i) for i in main.inputs]
    defined = {i.name for i in inputs}
    blobs = BlobFiles(model_dir)
    ops = []
    for op_proto in block.operations:
        op = _op(op_proto, blobs, defined)
        defined.update(o.name for o in op.outputs)
        ops.append(op)
    missing = [name for name in block.outputs if name not in defined]
    if missing:
        raise ProgramError(f"its outputs {missing} are not computed by any op")
    return Program(main.opset, inputs, ops, list(block.outputs))
