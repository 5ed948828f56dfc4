"""How an Android app loads the ``.tflite`` (LiteRT's Interpreter API)."""

from __future__ import annotations

from typing import Any

from ..app_snippets import gradle, kotlin_input_buffer


def kotlin(m: Any, classes: int) -> str:
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
