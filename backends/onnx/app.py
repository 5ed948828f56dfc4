"""How an Android app loads the ``.ort`` (ONNX Runtime Mobile's Java/Kotlin API)."""

from __future__ import annotations

from typing import Any

from ..app_snippets import gradle, kotlin_input_buffer, shape_text


def kotlin(m: Any, classes: int) -> str:
    # A uint8 (fused) input needs a ByteBuffer tagged UINT8: a FloatBuffer would make a float tensor.
    uint8 = m.inputs[0].dtype == "uint8"
    create = ("OnnxTensor.createTensor(env, input, shape, OnnxJavaType.UINT8)" if uint8
              else "OnnxTensor.createTensor(env, input.asFloatBuffer(), shape)")
    return f"""{gradle("onnxruntime")}
import ai.onnxruntime.OnnxJavaType
import ai.onnxruntime.OnnxTensor
import ai.onnxruntime.OrtEnvironment
import java.nio.ByteBuffer
import java.nio.ByteOrder

val env = OrtEnvironment.getEnvironment()
val session = env.createSession(context.assets.open("{m.file}").readBytes())
{kotlin_input_buffer(m)}
val shape = longArrayOf({shape_text(m)})
val tensor = {create}
val scores = (session.run(mapOf("{m.inputs[0].name}" to tensor))[0].value as Array<FloatArray>)[0]"""
