"""A small writer over the TFLite schema's object API: tensors, constant buffers, builtin ops, metadata.

The object classes (``ModelT``, ``TensorT``, ...) come from ``ai_edge_litert.schema_py_generated``, the
schema LiteRT itself reads, so the files are what the runtime expects without TensorFlow in the loop.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as schema

BuiltinOperator = schema.BuiltinOperator
BuiltinOptions = schema.BuiltinOptions
Activation = schema.ActivationFunctionType
Padding = schema.Padding

# TFLite's 4-byte file identifier and schema version.
FILE_IDENTIFIER = b"TFL3"
SCHEMA_VERSION = 3

_TENSOR_TYPES = {np.dtype("float32"): schema.TensorType.FLOAT32, np.dtype("float16"): schema.TensorType.FLOAT16,
                 np.dtype("int32"): schema.TensorType.INT32, np.dtype("int64"): schema.TensorType.INT64,
                 np.dtype("uint8"): schema.TensorType.UINT8, np.dtype("int8"): schema.TensorType.INT8,
                 np.dtype("bool"): schema.TensorType.BOOL}
# Operator versions of the int8 kernels (TFLite's op_version.cc); float ops are version 1 (see _FIRST_VERSIONS).
_INT8_VERSIONS = {
    BuiltinOperator.CONV_2D: 3, BuiltinOperator.DEPTHWISE_CONV_2D: 3, BuiltinOperator.FULLY_CONNECTED: 4,
    BuiltinOperator.ADD: 2, BuiltinOperator.MUL: 2, BuiltinOperator.QUANTIZE: 2, BuiltinOperator.DEQUANTIZE: 2,
    BuiltinOperator.TRANSPOSE: 2, BuiltinOperator.PAD: 2, BuiltinOperator.PADV2: 2, BuiltinOperator.SLICE: 2,
    BuiltinOperator.STRIDED_SLICE: 2, BuiltinOperator.CONCATENATION: 2, BuiltinOperator.RELU: 2,
    BuiltinOperator.RELU6: 2, BuiltinOperator.MEAN: 2, BuiltinOperator.AVERAGE_POOL_2D: 2,
    BuiltinOperator.MAX_POOL_2D: 2, BuiltinOperator.LOGISTIC: 2,
}
# Builtin ops whose first builtin kernel is not version 1: BROADCAST_TO's version 1 was the TensorFlow-op fallback,
# which LiteRT refuses to load.
_FIRST_VERSIONS = {BuiltinOperator.BROADCAST_TO: 2}
_OP_NAMES = {v: k for k, v in vars(BuiltinOperator).items() if not k.startswith("_")}


def op_name(code: int) -> str:
    """The schema's name of a builtin operator code (``CONV_2D``)."""
    return _OP_NAMES.get(code, str(code))


class ModelWriter:
    """Accumulates one subgraph (tensors and operators) and its buffers, then packs the flatbuffer."""

    def __init__(self) -> None:
        self.tensors: list[Any] = []
        self.operators: list[Any] = []
        self.buffers: list[Any] = [schema.BufferT()]  # buffer 0 is the empty sentinel every model has
        self._opcodes: dict[int, int] = {}
        self.opcode_list: list[Any] = []
        self._constants: dict[tuple, int] = {}
        self.metadata: list[Any] = []
        self._like: Any = None  # the tensor whose type computed float tensors take (see ``carrying``)

    def tensor(self, name: str, shape: Sequence[int], dtype: Any = np.float32, data: np.ndarray | None = None,
               quantization: Any = None) -> int:
        """A new tensor (with a constant buffer when ``data`` is given); returns its index.

        ``quantization`` is a ``QuantizationParametersT`` (int8 scale and zero point, per tensor or per axis).
        """
        t = schema.TensorT()
        t.name = name
        t.shape = np.asarray(list(shape), dtype=np.int32)
        t.type = _TENSOR_TYPES[np.dtype(dtype)]
        t.buffer = 0 if data is None else self._buffer(np.ascontiguousarray(data, dtype=dtype).tobytes())
        t.quantization = quantization
        if data is None and quantization is None and np.dtype(dtype) == np.float32 and self._like is not None:
            t.type, t.quantization = self._like.type, self._like.quantization
        self.tensors.append(t)
        return len(self.tensors) - 1

    def tensor_like(self, name: str, shape: Sequence[int], source: int) -> int:
        """A new computed tensor of ``source``'s type and quantization (a transposed or reshaped copy)."""
        index = self.tensor(name, shape)
        self.tensors[index].type = self.tensors[source].type
        self.tensors[index].quantization = self.tensors[source].quantization
        return index

    @contextmanager
    def carrying(self, source: int) -> Iterator[None]:
        """Within: new computed float tensors take ``source``'s type and quantization instead.

        Data-movement ops (reshape, slice, pad, ...) move int8 values unchanged; their lowerings are written for
        float and stay so, and this makes the tensors they create int8 with the input's scale and zero point.
        """
        self._like = self.tensors[source]
        try:
            yield
        finally:
            self._like = None

    def is_int8(self, index: int) -> bool:
        return self.tensors[index].type == schema.TensorType.INT8

    def constant(self, name: str, value: np.ndarray) -> int:
        """A constant tensor; identical constants share one tensor (e.g. reshape targets, zero biases)."""
        value = np.ascontiguousarray(value)
        if value.dtype == np.float64:
            value = value.astype(np.float32)
        if value.dtype == np.int64:
            value = value.astype(np.int32)
        key = (value.dtype.str, value.shape, value.tobytes()) if value.size <= 64 else None
        if key is not None and key in self._constants:
            return self._constants[key]
        index = self.tensor(name, value.shape, value.dtype, value)
        if key is not None:
            self._constants[key] = index
        return index

    def _buffer(self, data: bytes) -> int:
        buffer = schema.BufferT()
        buffer.data = np.frombuffer(data, dtype=np.uint8)
        self.buffers.append(buffer)
        return len(self.buffers) - 1

    def op(self, code: int, inputs: Sequence[int], outputs: Sequence[int], options_type: int = 0,
           options: Any = None) -> None:
        """Append one builtin operator (``inputs`` may hold -1 for an omitted optional input).

        An operator on int8 tensors gets the operator version that introduced its int8 kernel; the model's
        operator code carries the highest version any of its uses needs.
        """
        int8 = any(i >= 0 and self.is_int8(i) for i in (*inputs, *outputs))
        version = max(_INT8_VERSIONS.get(code, 1) if int8 else 1, _FIRST_VERSIONS.get(code, 1))
        if code not in self._opcodes:
            opcode = schema.OperatorCodeT()
            opcode.builtinCode = code
            # Codes above 127 live only in the new field; old readers see PLACEHOLDER_FOR_GREATER_OP_CODES.
            opcode.deprecatedBuiltinCode = min(code, BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES)
            opcode.version = 1
            self._opcodes[code] = len(self.opcode_list)
            self.opcode_list.append(opcode)
        opcode = self.opcode_list[self._opcodes[code]]
        opcode.version = max(opcode.version, version)
        operator = schema.OperatorT()
        operator.opcodeIndex = self._opcodes[code]
        operator.inputs = np.asarray(list(inputs), dtype=np.int32)
        operator.outputs = np.asarray(list(outputs), dtype=np.int32)
        operator.builtinOptionsType = options_type
        operator.builtinOptions = options
        self.operators.append(operator)

    def add_metadata(self, name: str, data: bytes) -> None:
        entry = schema.MetadataT()
        entry.name = name
        entry.buffer = self._buffer(data)
        self.metadata.append(entry)

    def count(self, code: int) -> int:
        """How many operators of builtin type ``code`` the subgraph has."""
        return sum(1 for op in self.operators if self.opcode_list[op.opcodeIndex].builtinCode == code)

    def op_names(self) -> list[str]:
        """The builtin operators the model uses (for a selective LiteRT build)."""
        return sorted(op_name(code) for code in self._opcodes)

    def finish(self, inputs: Sequence[tuple[str, int]], outputs: Sequence[tuple[str, int]],
               description: str) -> bytes:
        """Pack the model: one subgraph, one ``serving_default`` signature with the given tensor names."""
        subgraph = schema.SubGraphT()
        subgraph.name = "main"
        subgraph.tensors, subgraph.operators = self.tensors, self.operators
        subgraph.inputs = np.asarray([i for _, i in inputs], dtype=np.int32)
        subgraph.outputs = np.asarray([i for _, i in outputs], dtype=np.int32)
        signature = schema.SignatureDefT()
        signature.signatureKey = "serving_default"
        signature.subgraphIndex = 0
        signature.inputs = [_tensor_map(name, i) for name, i in inputs]
        signature.outputs = [_tensor_map(name, i) for name, i in outputs]
        model = schema.ModelT()
        model.version = SCHEMA_VERSION
        model.description = description
        model.operatorCodes = self.opcode_list
        model.subgraphs = [subgraph]
        model.buffers = self.buffers
        model.metadata = self.metadata
        model.signatureDefs = [signature]
        builder = flatbuffers.Builder(1024 + sum(len(b.data) for b in self.buffers if b.data is not None))
        builder.Finish(model.Pack(builder), file_identifier=FILE_IDENTIFIER)
        return bytes(builder.Output())


def _tensor_map(name: str, index: int) -> Any:
    entry = schema.TensorMapT()
    entry.name, entry.tensorIndex = name, index
    return entry


def read_metadata(data: bytes, name: str) -> bytes | None:
    """The bytes of metadata entry ``name`` in a ``.tflite`` file, or ``None`` if it has none."""
    model = schema.Model.GetRootAs(data, 0)
    for i in range(model.MetadataLength()):
        entry = model.Metadata(i)
        if entry.Name() is not None and entry.Name().decode() == name:
            return model.Buffers(entry.Buffer()).DataAsNumpy().tobytes()
    return None


def has_identifier(data: bytes) -> bool:
    return len(data) >= 8 and data[4:8] == FILE_IDENTIFIER
