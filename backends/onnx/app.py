"""How an Android app loads the ``.ort`` (ONNX Runtime Mobile's Java/Kotlin API)."""

from __future__ import annotations

from typing import Any

from ..app_snippets import shape_text


def kotlin(m: Any, classes: int) -> str:
    return f"""import ai.onnxruntime.OnnxTensor
import ai.onnxruntime.OrtEnvironment

val env = OrtEnvironment.getEnvironment()
val session = env.createSession(context.assets.open("{m.file}").readBytes())
val input = OnnxTensor.createTensor(env, java.nio.FloatBuffer.wrap(clip), longArrayOf({shape_text(m)}))
val scores = (session.run(mapOf("{m.inputs[0].name}" to input))[0].value as Array<FloatArray>)[0]"""
