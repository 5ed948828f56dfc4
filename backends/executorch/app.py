"""How Android and iOS apps load the ``.pte`` (ExecuTorch's Module API)."""

from __future__ import annotations

from typing import Any

from ..app_snippets import shape_text, stem


def kotlin(m: Any, classes: int) -> str:
    return f"""import org.pytorch.executorch.EValue
import org.pytorch.executorch.Module
import org.pytorch.executorch.Tensor

val module = Module.load(assetFilePath(context, "{m.file}"))
val input = Tensor.fromBlob(clip, longArrayOf({shape_text(m)}))
val scores = module.forward(EValue.from(input))[0].toTensor().dataAsFloatArray"""


def swift(m: Any, classes: int) -> str:
    return f"""import ExecuTorch

let module = Module(filePath: Bundle.main.path(forResource: "{stem(m)}", ofType: "pte")!)
try module.load("forward")
let input = Tensor<Float>(clip, shape: [{shape_text(m)}])   // clip: [Float], {m.inputs[0].layout}
let scores: [Float] = try module.forward(input)[0].tensor()!.scalars()"""
