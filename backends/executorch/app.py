"""How Android and iOS apps load the ``.pte`` (ExecuTorch's Module API)."""

from __future__ import annotations

from typing import Any

from ..app_snippets import gradle, shape_text, stem


def kotlin(m: Any, classes: int) -> str:
    # Tensor.fromBlob(ByteArray) makes int8; a uint8 (fused) input needs fromBlobUnsigned.
    blob = "Tensor.fromBlobUnsigned" if m.inputs[0].dtype == "uint8" else "Tensor.fromBlob"
    array = "ByteArray" if m.inputs[0].dtype == "uint8" else "FloatArray"
    return f"""{gradle("executorch")}
import org.pytorch.executorch.EValue
import org.pytorch.executorch.Module
import org.pytorch.executorch.Tensor

val module = Module.load(assetFilePath(context, "{m.file}"))
// clip: {array} ({m.inputs[0].layout}), as model.json says
val input = {blob}(clip, longArrayOf({shape_text(m)}))
val scores = module.forward(EValue.from(input))[0].toTensor().dataAsFloatArray"""


def swift(m: Any, classes: int) -> str:
    scalar = "UInt8" if m.inputs[0].dtype == "uint8" else "Float"
    return f"""import ExecuTorch

let module = Module(filePath: Bundle.main.path(forResource: "{stem(m)}", ofType: "pte")!)
try module.load("forward")
let input = Tensor<{scalar}>(clip, shape: [{shape_text(m)}])   // clip: [{scalar}], {m.inputs[0].layout}
let scores: [Float] = try module.forward(input)[0].tensor()!.scalars()"""
