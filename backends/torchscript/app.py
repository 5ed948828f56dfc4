"""How Android and iOS apps load the ``.ptl`` (PyTorch Mobile's lite interpreter)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..app_snippets import gradle, kotlin_value_stream, shape_text, stem, stream_comment


def kotlin(m: Any, classes: int) -> str:
    if m.stream:
        return _kotlin_stream(m)
    blob = "Tensor.fromBlobUnsigned(clip" if m.inputs[0].dtype == "uint8" else "Tensor.fromBlob(clip"
    return f"""{gradle("pytorch_lite")}
import org.pytorch.IValue
import org.pytorch.LiteModuleLoader
import org.pytorch.Tensor

// assetFilePath copies the asset to files/ (as in the PyTorch TorchVideo demo app)
val module = LiteModuleLoader.load(assetFilePath(context, "{m.file}"))
val input = {blob}, longArrayOf({shape_text(m)}))
val scores = module.forward(IValue.from(input)).toTensor().dataAsFloatArray"""


def _kotlin_stream(m: Any) -> str:
    return f"""{gradle("pytorch_lite")}
import org.pytorch.IValue
import org.pytorch.LiteModuleLoader
import org.pytorch.Tensor

val module = LiteModuleLoader.load(assetFilePath(context, "{m.file}"))
{kotlin_value_stream(m, "IValue", ".toTuple()")}"""


def swift(m: Any, classes: int) -> str:
    if m.stream:
        return (f"{stream_comment(m)}\n// With LibTorch-Lite's Objective-C++ wrapper, call module.forward(frame, "
                "state…) and keep the returned tuple's tail as the next state (the Android snippet shows the loop).")
    return f"""// LibTorch-Lite has an Objective-C++ API: wrap it once, as the PyTorch iOS demo apps do
// (TorchModule.mm: torch::jit::_load_for_mobile, then module.forward({{tensor}})).
let module = TorchModule(fileAtPath: Bundle.main.path(forResource: "{stem(m)}", ofType: "ptl")!)!
let scores = module.predict(clip: &clip, shape: [{shape_text(m)}])   // clip: [Float], {m.inputs[0].layout}"""


def notes(path: Path) -> dict:
    """The bytecode version apps' lite interpreters must read (older runtimes refuse newer files)."""
    import torch

    return {"bytecode_version": int(torch.jit.mobile._get_model_bytecode_version(str(path)))}
