"""How an Android app loads the ``.ort`` (ONNX Runtime Mobile's Java/Kotlin API)."""

from __future__ import annotations

from typing import Any

from ..app_snippets import gradle, kotlin_input_buffer, shape_text, state_names, stream_comment


def kotlin(m: Any, classes: int) -> str:
    if m.stream:
        return _kotlin_stream(m)
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


def _kotlin_stream(m: Any) -> str:
    return f"""{gradle("onnxruntime")}
import ai.onnxruntime.OnnxTensor
import ai.onnxruntime.OrtEnvironment
import ai.onnxruntime.TensorInfo
import java.nio.FloatBuffer

val env = OrtEnvironment.getEnvironment()
val session = env.createSession(context.assets.open("{m.file}").readBytes())
{stream_comment(m)}
val stateNames = {state_names(m)}
fun zeros() = stateNames.associateWith {{ name ->
    val shape = (session.inputInfo.getValue(name).info as TensorInfo).shape
    OnnxTensor.createTensor(env, FloatBuffer.allocate(shape.reduce(Long::times).toInt()), shape)
}}
var state: Map<String, OnnxTensor> = zeros()

fun onFrame(frame: FloatBuffer): FloatArray {{
    val input = OnnxTensor.createTensor(env, frame, longArrayOf({shape_text(m)}))
    val result = session.run(state + ("{m.stream['frame']['name']}" to input))  // keep it open while its state is used
    // this frame's new state is the next frame's input
    state = stateNames.withIndex().associate {{ (i, name) -> name to result[i + 1] as OnnxTensor }}
    return (result[0].value as Array<FloatArray>)[0]
}}
fun reset() {{ state = zeros() }}"""
