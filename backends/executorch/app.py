"""How Android and iOS apps load the ``.pte`` (ExecuTorch's Module API)."""

from __future__ import annotations

from typing import Any

from ..app_snippets import gradle, kotlin_value_stream, shape_text, state_shapes, stem, stream_comment


def kotlin(m: Any, classes: int) -> str:
    if m.stream:
        return _kotlin_stream(m)
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


def _kotlin_stream(m: Any) -> str:
    return f"""{gradle("executorch")}
import org.pytorch.executorch.EValue
import org.pytorch.executorch.Module
import org.pytorch.executorch.Tensor

val module = Module.load(assetFilePath(context, "{m.file}"))
{kotlin_value_stream(m, "EValue")}"""


def swift(m: Any, classes: int) -> str:
    if m.stream:
        return _swift_stream(m)
    scalar = "UInt8" if m.inputs[0].dtype == "uint8" else "Float"
    return f"""import ExecuTorch

let module = Module(filePath: Bundle.main.path(forResource: "{stem(m)}", ofType: "pte")!)
try module.load("forward")
let input = Tensor<{scalar}>(clip, shape: [{shape_text(m)}])   // clip: [{scalar}], {m.inputs[0].layout}
let scores: [Float] = try module.forward(input)[0].tensor()!.scalars()"""


def _swift_stream(m: Any) -> str:
    return f"""import ExecuTorch

let module = Module(filePath: Bundle.main.path(forResource: "{stem(m)}", ofType: "pte")!)
try module.load("forward")
{stream_comment(m)}
let stateShapes: [[Int]] = {state_shapes(m, swift=True)}
func zeros() -> [Tensor<Float>] {{
    stateShapes.map {{ Tensor<Float>([Float](repeating: 0, count: $0.reduce(1, *)), shape: $0) }}
}}
var state = zeros()

func onFrame(_ frame: [Float]) throws -> [Float] {{
    let out = try module.forward([Tensor<Float>(frame, shape: [{shape_text(m)}])] + state)
    state = out.dropFirst().map {{ $0.tensor()! }}  // this frame's new state is the next frame's input
    return try out[0].tensor()!.scalars()
}}"""
