"""How an Android app loads the ``.tflite`` (LiteRT's Interpreter API)."""

from __future__ import annotations

from typing import Any

from ..app_snippets import kotlin_input_buffer


def kotlin(m: Any, classes: int) -> str:
    return f"""import org.tensorflow.lite.Interpreter
import org.tensorflow.lite.support.common.FileUtil

val interpreter = Interpreter(FileUtil.loadMappedFile(context, "{m.file}"), Interpreter.Options().setNumThreads(2))
{kotlin_input_buffer(m)}
val scores = Array(1) {{ FloatArray({classes}) }}
interpreter.run(input, scores)"""
