"""Run OpenVINO IR with the precision, device and thread count the artifact asks for, and say what ran."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path

import numpy as np
import openvino as ov

from xport.artifact import DEFAULT_THREADS, Manifest
from xport.errors import BackendUnavailableError, ModelFormatError
from xport.tensor_spec import TensorSpec

from . import NAME
from .emit import MANIFEST_RT_KEY

# Inference precision hint per xport precision.
# int8: FakeQuantize regions run int8 kernels whatever the hint; the float islands between them stay fp32.
_HINTS = {"fp32": "f32", "bf16": "bf16", "fp16": "f16", "int8": "f32"}
_NAMES = {"f32": "fp32", "bf16": "bf16", "f16": "fp16"}


def _check_files(xml: Path) -> None:
    if not xml.is_file():
        raise ModelFormatError(xml, "no such file")
    if not xml.with_suffix(".bin").is_file():
        raise ModelFormatError(xml, f"its weights file {xml.with_suffix('.bin').name} is missing",
                               "copy the .bin next to the .xml")
    try:
        ElementTree.parse(xml)
    except ElementTree.ParseError as exc:
        raise ModelFormatError(xml, f"not a valid OpenVINO IR ({exc})", "the file is truncated or corrupt; "
                               "export it again") from exc


def _foreign_manifest(model: ov.Model) -> Manifest:
    """What an IR xport did not write (``ov.convert_model``, NNCF) says about its inputs: names, dtypes, and shapes
    with -1 for dynamic dimensions, which the caller fills in (xport.foreign); its precision from its ops."""
    inputs = tuple(TensorSpec(port.get_any_name(), tuple(d.get_length() if d.is_static else -1
                                                          for d in port.get_partial_shape()),
                              np.dtype(port.get_element_type().to_dtype()).name) for port in model.inputs)
    ops = model.get_ordered_ops()
    if any(op.get_type_name() == "FakeQuantize" for op in ops):
        precision = "int8"
    elif any(op.get_type_name() == "Constant" and op.get_element_type() == ov.Type.f16 for op in ops):
        precision = "fp16"
    else:
        precision = "fp32"
    return Manifest(NAME, precision, inputs, (), foreign="input shapes from the OpenVINO IR")


class OpenVinoRunner:
    def __init__(self, path: Path, threads: int = DEFAULT_THREADS, perf_counts: bool = False):
        self.path = Path(path)
        _check_files(self.path)
        self.companions = (self.path.with_suffix(".bin"),)
        core = ov.Core()
        try:
            model = core.read_model(str(self.path))
            self.manifest = (Manifest.from_json(model.get_rt_info(MANIFEST_RT_KEY).astype(str))
                             if model.has_rt_info(MANIFEST_RT_KEY) else _foreign_manifest(model))
        except RuntimeError as exc:
            raise ModelFormatError(self.path, f"OpenVINO cannot read it ({str(exc).splitlines()[0][:300]})",
                                   "the .xml/.bin pair is truncated, corrupt or mismatched; export it again") from exc
        device = self.manifest.extra.get("device", "CPU")
        present = core.available_devices
        if device != "AUTO" and device not in present:
            raise BackendUnavailableError(f"OpenVINO device '{device}' is not present here (present: "
                                          f"{', '.join(present)}); re-export with device='CPU' or 'AUTO'")
        config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": threads,
                  "INFERENCE_PRECISION_HINT": _HINTS[self.manifest.precision]}
        if perf_counts:  # per-node times for xport profile (profile.py); off by default, as it costs time
            config["PERF_COUNT"] = True
        try:
            compiled = core.compile_model(model, device, config)
        except RuntimeError as exc:
            settings = ", ".join(f"{k}={v}" for k, v in config.items())
            raise ModelFormatError(self.path, f"OpenVINO cannot compile it on {device} with {settings} "
                                   f"({str(exc).splitlines()[0][:300]})", "if the .bin does not match the .xml, "
                                   "export it again; else report the setting and the file") from exc
        # The plugin may run another precision than asked (fp16 on a CPU without fp16 arithmetic): report it.
        ran = compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name()
        self.ran_precision = _NAMES.get(ran, ran)
        self.runtime = f"openvino {ov.__version__.split('-')[0]} ({device}, {self.ran_precision})"
        self._compiled = compiled
        self._request = compiled.create_infer_request()

    def kernels(self) -> Counter:
        """(layer type, kernel) of every node the plugin compiled, counted: ``("Convolution", "jit_avx2_1x1_I8")``
        says a convolution runs an int8 kernel (the plugin's ``*_I8`` primitives), whatever the IR asked for."""
        return Counter((str(info["layerType"].astype(str)), str(info["primitiveType"].astype(str)))
                       for info in (node.get_rt_info() for node in self._compiled.get_runtime_model().get_ops())
                       if "primitiveType" in info)

    def profiling_info(self) -> list:
        """The last inference's per-node counters (``ov.ProfilingInfo``), when opened with ``perf_counts``."""
        return list(self._request.get_profiling_info())

    def reset_state(self) -> None:
        """Set a stateful model's variables (a stream's native state) back to their initial values."""
        self._request.reset_state()

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        result = self._request.infer(list(inputs))
        return [np.array(result[i], copy=True) for i in range(len(result))]


def load(path: Path, threads: int = DEFAULT_THREADS) -> OpenVinoRunner:
    """Open an IR in OpenVINO (ModelFormatError for a missing .bin or corrupt files)."""
    return OpenVinoRunner(path, threads)
