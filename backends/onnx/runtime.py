"""Run an ``.onnx`` or ``.ort`` file in ONNX Runtime."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from xport.artifact import DEFAULT_THREADS, MANIFEST_KEY, Manifest
from xport.errors import ModelFormatError
from xport.tensor_spec import TensorSpec

from . import NAME

log = logging.getLogger("xport")

# Execution providers phones use, best first; ORT's PyPI wheel for x86/ARM Linux ships only the CPU one.
_MOBILE_PROVIDERS = ("XnnpackExecutionProvider", "ACLExecutionProvider", "ArmNNExecutionProvider")
_CPU = "CPUExecutionProvider"


def choose_providers() -> tuple[list[str], str]:
    """Providers for a session, and a note saying whether the ARM/XNNPACK ones were available."""
    present = ort.get_available_providers()
    mobile = [p for p in _MOBILE_PROVIDERS if p in present]
    if mobile:
        return mobile + [_CPU], f"using {', '.join(mobile)}"
    return [_CPU], "no XNNPACK/ACL provider in this onnxruntime build; using CPUExecutionProvider"


def _manifest_from_onnx(path: Path) -> Manifest:
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # onnx raises DecodeError and friends from protobuf
        raise ModelFormatError(path, f"not a valid ONNX model ({type(exc).__name__})",
                               "the file is truncated or corrupt; export it again") from exc
    meta = {p.key: p.value for p in model.metadata_props}
    if MANIFEST_KEY not in meta:
        return _foreign_manifest(model)
    return Manifest.from_json(meta[MANIFEST_KEY])


# Ops that only a quantized graph holds, and the dtype of an fp16 one's weights: how a file xport did not write
# tells its precision (which picks the parity tolerance).
_QUANTIZED_OPS = {"QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul", "MatMulInteger"}


def _foreign_manifest(model: onnx.ModelProto) -> Manifest:
    """What a file xport did not write (``torch.onnx.export``) says about its inputs: names, dtypes, and shapes
    with -1 for symbolic dimensions, which the caller fills in (xport.foreign)."""
    initializers = {i.name for i in model.graph.initializer}
    inputs = []
    for value in model.graph.input:
        if value.name in initializers:  # old exporters list weights as graph inputs too
            continue
        tensor = value.type.tensor_type
        shape = tuple(d.dim_value if d.HasField("dim_value") else -1 for d in tensor.shape.dim)
        dtype = onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type).name
        inputs.append(TensorSpec(value.name, shape, dtype))
    if any(n.op_type in _QUANTIZED_OPS for n in model.graph.node):
        precision = "int8"
    elif any(i.data_type == onnx.TensorProto.FLOAT16 for i in model.graph.initializer):
        precision = "fp16"
    else:
        precision = "fp32"
    return Manifest(NAME, precision, tuple(inputs), (), foreign="input shapes from the ONNX graph")


class OrtRunner:
    companions: tuple = ()

    def __init__(self, path: Path, threads: int = DEFAULT_THREADS):
        self.path = Path(path)
        if not self.path.is_file():
            raise ModelFormatError(self.path, "no such file")
        # An .onnx is read as ONNX first: a damaged one fails with onnx's clear error, and a foreign one (no
        # manifest) is described from its graph. An .ort (ORT Mobile, shipped alone in app bundles) keeps the
        # ONNX metadata_props, so its manifest comes from the session.
        if self.path.suffix != ".ort":
            self.manifest = _manifest_from_onnx(self.path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        providers, note = choose_providers()
        try:
            self._session = ort.InferenceSession(str(self.path), options, providers=providers)
        except Exception as exc:  # ORT raises its own Fail / InvalidProtobuf / InvalidGraph types
            raise ModelFormatError(self.path, f"onnxruntime cannot load it ({str(exc).splitlines()[0][:300]})",
                                   "the file is truncated or corrupt; export it again") from exc
        if self.path.suffix == ".ort":
            meta = self._session.get_modelmeta().custom_metadata_map
            if MANIFEST_KEY not in meta:
                raise ModelFormatError(self.path, "this .ort file has no xport manifest",
                                       "export it with xport, or verify the .onnx it was converted from")
            self.manifest = Manifest.from_json(meta[MANIFEST_KEY])
        self.provider_note = note
        log.info("%s: %s", self.path.name, note)
        active = self._session.get_providers()
        self.runtime = f"onnxruntime {ort.__version__} ({', '.join(active)})"
        self._names = [i.name for i in self._session.get_inputs()]

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        return self._session.run(None, dict(zip(self._names, inputs)))


def load(path: Path, threads: int = DEFAULT_THREADS) -> OrtRunner:
    """Open ``path`` in the runtime (raises ModelFormatError for missing, truncated or corrupt files)."""
    return OrtRunner(path, threads)
