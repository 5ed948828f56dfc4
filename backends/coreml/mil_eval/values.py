"""MIL values as stored in an ML Program: tensor types, immediate values in the protobuf, blobs in weight.bin.

Immediate fp16 and (sub-)byte integer tensors are raw little-endian bytes (sub-byte ones packed from the least
significant bit up); the others are repeated protobuf fields. Blob values are read with coremltools' own blob
reader (``libmilstoragepython``), the one piece of Core ML's storage format with no documented layout.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import BACKEND

with BACKEND.quiet():
    from coremltools.libmilstoragepython import _BlobStorageReader
    from coremltools.proto import MIL_pb2

_DT = MIL_pb2.DataType
# MIL data type → (NumPy storage dtype, bits per element).
DTYPES: dict[int, tuple[np.dtype, int]] = {
    _DT.BOOL: (np.dtype(np.bool_), 8), _DT.FLOAT16: (np.dtype(np.float16), 16),
    _DT.FLOAT32: (np.dtype(np.float32), 32), _DT.FLOAT64: (np.dtype(np.float64), 64),
    _DT.INT8: (np.dtype(np.int8), 8), _DT.INT16: (np.dtype(np.int16), 16), _DT.INT32: (np.dtype(np.int32), 32),
    _DT.INT64: (np.dtype(np.int64), 64), _DT.UINT8: (np.dtype(np.uint8), 8), _DT.UINT16: (np.dtype(np.uint16), 16),
    _DT.UINT32: (np.dtype(np.uint32), 32), _DT.UINT64: (np.dtype(np.uint64), 64),
    _DT.INT4: (np.dtype(np.int8), 4), _DT.UINT4: (np.dtype(np.uint8), 4), _DT.UINT1: (np.dtype(np.uint8), 1),
    _DT.UINT2: (np.dtype(np.uint8), 2), _DT.UINT3: (np.dtype(np.uint8), 3), _DT.UINT6: (np.dtype(np.uint8), 6),
}
_SUB_BYTE = {_DT.INT4, _DT.UINT4, _DT.UINT1, _DT.UINT2, _DT.UINT3, _DT.UINT6}
_AS_BYTES = {_DT.FLOAT16, _DT.INT8, _DT.UINT8, _DT.UINT32, *_SUB_BYTE}
_BLOB_READERS = {
    _DT.FLOAT32: "read_float_data", _DT.FLOAT16: "read_fp16_data", _DT.INT8: "read_int8_data",
    _DT.UINT8: "read_uint8_data", _DT.INT16: "read_int16_data", _DT.UINT16: "read_uint16_data",
    _DT.INT32: "read_int32_data", _DT.UINT32: "read_uint32_data", _DT.INT4: "read_int4_data",
    _DT.UINT4: "read_uint4_data", _DT.UINT1: "read_uint1_data", _DT.UINT2: "read_uint2_data",
    _DT.UINT3: "read_uint3_data", _DT.UINT6: "read_uint6_data",
}


class ProgramError(ValueError):
    """The program protobuf or its weights do not make sense (a damaged or foreign file)."""


def dtype_name(dtype: int) -> str:
    return _DT.Name(dtype).lower() if dtype in _DT.values() else f"dtype#{dtype}"


def tensor_shape(value_type) -> tuple[int, ...]:
    """Static shape of a ``ValueType`` (a scalar is ``()``); symbolic dims are not written by xport."""
    tensor = value_type.tensorType
    dims = []
    for d in tensor.dimensions:
        if d.WhichOneof("dimension") != "constant":
            raise ProgramError("the program has a symbolic dimension; xport writes fixed shapes only")
        dims.append(int(d.constant.size))
    if len(dims) != tensor.rank:
        raise ProgramError(f"a tensor type says rank {tensor.rank} but lists {len(dims)} dimensions")
    return tuple(dims)


def unpack_bits(packed: np.ndarray, nbits: int, count: int, signed: bool = False) -> np.ndarray:
    """``count`` ``nbits``-bit integers packed LSB first into ``packed`` (uint8)."""
    bits = np.unpackbits(packed.astype(np.uint8), bitorder="little")
    if bits.size < nbits * count:
        raise ProgramError(f"{packed.size} bytes cannot hold {count} {nbits}-bit values")
    bits = bits[: nbits * count].reshape(count, nbits).astype(np.int32)
    values = (bits << np.arange(nbits, dtype=np.int32)).sum(axis=1)
    if signed:
        values = np.where(values >= 1 << (nbits - 1), values - (1 << nbits), values)
    return values.astype(np.int8 if signed else np.uint8)


class BlobFiles:
    """Opens each weight file once; resolves ``@model_path/weights/...`` inside the package."""

    def __init__(self, model_dir: Path):
        self.model_dir = Path(model_dir)
        self._readers: dict[str, _BlobStorageReader] = {}

    def read(self, file_name: str, offset: int, dtype: int) -> np.ndarray:
        if not file_name.startswith("@model_path/"):
            raise ProgramError(f"blob file '{file_name}' is outside the package")
        path = self.model_dir / file_name.removeprefix("@model_path/")
        if dtype not in _BLOB_READERS:
            raise ProgramError(f"no blob storage for {dtype_name(dtype)} values")
        if file_name not in self._readers:
            if not path.is_file():
                raise ProgramError(f"its weight file {path.name} is missing")
            self._readers[file_name] = _BlobStorageReader(str(path))
        try:
            data = getattr(self._readers[file_name], _BLOB_READERS[dtype])(offset)
        except (RuntimeError, ValueError, IndexError) as exc:  # bad offset, bad blob header
            raise ProgramError(f"weight blob at offset {offset} of {path.name} is unreadable ({exc})") from exc
        if dtype == _DT.FLOAT16:  # the reader hands fp16 back as its raw uint16 bits
            data = np.frombuffer(np.asarray(data).tobytes(), np.float16)
        return np.asarray(data)


def decode(value, blobs: BlobFiles) -> np.ndarray | str:
    """A ``MIL_pb2.Value`` (tensor or scalar) as a NumPy array of its storage dtype, or a string."""
    if value.type.WhichOneof("type") != "tensorType":
        raise ProgramError(f"values of type {value.type.WhichOneof('type')} are not written by xport")
    dtype = value.type.tensorType.dataType
    shape = tensor_shape(value.type)
    count = int(np.prod(shape)) if shape else 1
    if dtype not in DTYPES and dtype != _DT.STRING:
        raise ProgramError(f"values of type {dtype_name(dtype)} are not supported")
    kind = value.WhichOneof("value")
    if kind == "blobFileValue":
        array = blobs.read(value.blobFileValue.fileName, value.blobFileValue.offset, dtype)
    elif kind == "immediateValue":
        array = _immediate(value.immediateValue, dtype, count)
        if isinstance(array, str):
            return array
    else:
        raise ProgramError("a value has no data")
    if array.size != count:
        raise ProgramError(f"a {dtype_name(dtype)} value of shape {list(shape)} holds {array.size} elements")
    return array.reshape(shape)


def _immediate(immediate, dtype: int, count: int) -> np.ndarray | str:
    if immediate.WhichOneof("value") != "tensor":
        raise ProgramError(f"immediate {immediate.WhichOneof('value')} values are not written by xport")
    tensor = immediate.tensor
    field = tensor.WhichOneof("value")
    if dtype == _DT.STRING:
        strings = list(tensor.strings.values)
        return strings[0] if len(strings) == 1 else np.array(strings, dtype=object)
    storage, nbits = DTYPES[dtype]
    if dtype in _AS_BYTES and field == "bytes":
        raw = np.frombuffer(tensor.bytes.values, np.uint8)
        if dtype in _SUB_BYTE:
            return unpack_bits(raw, nbits, count, signed=dtype == _DT.INT4)
        return np.frombuffer(raw.tobytes(), storage)
    if field is None:
        return np.zeros(0, storage)
    return np.asarray(list(getattr(tensor, field).values)).astype(storage)
