"""Helpers the backends' app snippets share (Kotlin for Android, Swift for iOS), filled in from model.json.

Each backend's ``app.py`` writes the minimal app code that loads its bundled model and runs one clip; the snippet
assumes ``clip`` already holds the input exactly as model.json describes it (the bundle README lists the
preprocessing steps before it). ``m`` is the bundle's :class:`xport.packaging.model_json.BundledModel`.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any


def shape_text(m: Any, sep: str = ", ") -> str:
    """The first input's shape, a dynamic batch shown as 1."""
    return sep.join(str(max(d, 1)) for d in m.inputs[0].shape)


def stem(m: Any) -> str:
    """The bundled file's name without its suffix (iOS looks resources up by name and type)."""
    return m.file.rsplit(".", 1)[0]


def _release(distribution: str, fallback: str) -> str:
    """The installed Python runtime's release (major.minor.patch), or ``fallback`` where it is not installed."""
    try:
        return ".".join(version(distribution).split("+")[0].split(".")[:3])
    except PackageNotFoundError:
        return fallback


# The app-side runtime releases the snippets are written against, in one place (Gradle coordinates / packages).
# ExecuTorch and ONNX Runtime publish their Android runtime with each release: the app gets the release whose Python
# runtime verified the file (a .pte's format follows the ExecuTorch release that wrote it). LiteRT's Maven releases
# are numbered apart from the Python wheel; the lite interpreter's last release is 1.13.1 (it is frozen).
GRADLE = {
    "litert": "com.google.ai.edge.litert:litert:1.4.0",
    "litert_support": "com.google.ai.edge.litert:litert-support:1.4.0",
    "onnxruntime": f"com.microsoft.onnxruntime:onnxruntime-android:{_release('onnxruntime', '1.22.0')}",
    "executorch": f"org.pytorch:executorch-android:{_release('executorch', '1.0.1')}",
    "pytorch_lite": "org.pytorch:pytorch_android_lite:1.13.1",
}


def gradle(key: str) -> str:
    """The Gradle dependency line of ``key`` (in the snippet, so the app gets the version it was written for)."""
    return f'// build.gradle.kts: implementation("{GRADLE[key]}")'


def kotlin_input_buffer(m: Any) -> str:
    """Kotlin lines that put ``clip`` into a direct ByteBuffer ``input`` (uint8 frames, or float32 values)."""
    spec = m.inputs[0]
    if spec.dtype == "uint8":
        return (f"// clip: ByteArray of {shape_text(m, ' x ')} RGB bytes (T, H, W, 3), cropped as model.json says\n"
                "val input = ByteBuffer.allocateDirect(clip.size).order(ByteOrder.nativeOrder()).put(clip).rewind()")
    return (f"// clip: FloatArray of {shape_text(m, ' x ')} values ({spec.layout}), preprocessed as model.json says\n"
            "val input = ByteBuffer.allocateDirect(4 * clip.size).order(ByteOrder.nativeOrder())\n"
            "input.asFloatBuffer().put(clip)")


def stream_comment(m: Any) -> str:
    """Comment lines (``//``, Kotlin and Swift alike) stating a stream model's contract from model.json."""
    count = len(m.stream["states"])
    return (f"// Stream: one frame per call. Inputs: '{m.stream['frame']['name']}' [{shape_text(m)}] (NCHW, "
            f"preprocessed as model.json says), then the\n// {count} state tensors of model.json's "
            f"models[].stream.states in order (shaped as its models[].inputs), all zeros for a new stream.\n"
            f"// Outputs: the scores (of every frame so far), then the {count} new states in the same order:\n"
            "// feed them back with the next frame.")


def state_shapes(m: Any, swift: bool = False) -> str:
    """The state tensors' shapes as the file takes them (its inputs after the frame; a runtime may keep them
    channels-last), in input order: ``arrayOf(longArrayOf(1, 96, 80, 80), …)`` in Kotlin, ``[[1, 96, 80, 80], …]``
    in Swift."""
    dims = [", ".join(str(d) for d in s.shape) for s in m.inputs[1:]]
    if swift:
        return "[" + ", ".join(f"[{d}]" for d in dims) + "]"
    return "arrayOf(" + ", ".join(f"longArrayOf({d})" for d in dims) + ")"


def state_names(m: Any, open_: str = "listOf(", close: str = ")") -> str:
    """The state inputs' names in order (``listOf("past_…", …)``; Swift: ``open_="[", close="]"``)."""
    return open_ + ", ".join(f'"{s["name"]}"' for s in m.stream["states"]) + close


def kotlin_value_stream(m: Any, value: str, outputs: str = "") -> str:
    """The per-frame loop of the Android runtimes whose ``module.forward`` takes and returns tensor values
    (ExecuTorch's ``EValue``; the lite interpreter's ``IValue``, whose tuple result needs ``outputs=".toTuple()"``)."""
    return f"""{stream_comment(m)}
val stateShapes = {state_shapes(m)}
fun zeros() = stateShapes.map {{ {value}.from(Tensor.fromBlob(FloatArray(it.reduce(Long::times).toInt()), it)) }}
var state = zeros()

fun onFrame(frame: FloatArray): FloatArray {{
    val input = {value}.from(Tensor.fromBlob(frame, longArrayOf({shape_text(m)})))
    val out = module.forward(input, *state.toTypedArray()){outputs}
    state = out.drop(1)  // this frame's new state is the next frame's input
    return out[0].toTensor().dataAsFloatArray
}}
fun reset() {{ state = zeros() }}"""
