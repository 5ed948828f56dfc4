"""How an Android app loads the ``.tflite`` (LiteRT's Interpreter API)."""

from __future__ import annotations

from typing import Any

from ..app_snippets import gradle, kotlin_input_buffer, stream_comment


def kotlin(m: Any, classes: int) -> str:
    if m.stream:
        return _kotlin_stream(m, classes)
    return f"""{gradle("litert")}
{gradle("litert_support")}
import java.nio.ByteBuffer
import java.nio.ByteOrder
import org.tensorflow.lite.Interpreter
import org.tensorflow.lite.support.common.FileUtil

val interpreter = Interpreter(FileUtil.loadMappedFile(context, "{m.file}"), Interpreter.Options().setNumThreads(2))
{kotlin_input_buffer(m)}
val scores = Array(1) {{ FloatArray({classes}) }}
interpreter.run(input, scores)"""


def _kotlin_stream(m: Any, classes: int) -> str:
    return f"""{gradle("litert")}
{gradle("litert_support")}
import java.nio.ByteBuffer
import java.nio.ByteOrder
import org.tensorflow.lite.Interpreter
import org.tensorflow.lite.support.common.FileUtil

val interpreter = Interpreter(FileUtil.loadMappedFile(context, "{m.file}"), Interpreter.Options().setNumThreads(2))
{stream_comment(m)}
fun buffers(bytes: (Int) -> Int) =  // direct buffers start zeroed: a new stream
    Array({len(m.stream["states"])}) {{ i -> ByteBuffer.allocateDirect(bytes(i + 1)).order(ByteOrder.nativeOrder()) }}
var state = buffers {{ interpreter.getInputTensor(it).numBytes() }}
var next = buffers {{ interpreter.getOutputTensor(it).numBytes() }}
val scores = Array(1) {{ FloatArray({classes}) }}

fun onFrame(frame: ByteBuffer): FloatArray {{
    val outputs = HashMap<Int, Any>()
    outputs[0] = scores
    next.forEachIndexed {{ i, b -> outputs[i + 1] = b.rewind() }}
    interpreter.runForMultipleInputsOutputs(arrayOf<Any>(frame.rewind(), *state.onEach {{ it.rewind() }}), outputs)
    state = next.also {{ next = state }}  // this frame's new state is the next frame's input
    return scores[0]
}}
fun reset() {{ state = buffers {{ interpreter.getInputTensor(it).numBytes() }} }}"""
