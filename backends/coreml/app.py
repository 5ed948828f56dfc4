"""How an iOS app loads the ``.mlpackage`` (Core ML; Xcode compiles it into the app)."""

from __future__ import annotations

from typing import Any

from ..app_snippets import shape_text, stem


def swift(m: Any, classes: int) -> str:
    spec = m.inputs[0]
    return f"""import CoreML

// Xcode compiles {m.file} into {stem(m)}.mlmodelc inside the app bundle
let url = Bundle.main.url(forResource: "{stem(m)}", withExtension: "mlmodelc")!
let model = try MLModel(contentsOf: url)
let input = try MLMultiArray(shape: [{shape_text(m)}], dataType: .{'int32' if spec.dtype == 'int32' else 'float32'})
// fill input in {spec.layout} order from the preprocessed clip, then:
let out = try model.prediction(from: MLDictionaryFeatureProvider(dictionary: ["{spec.name}": input]))
let scores = out.featureValue(for: "{m.outputs[0].name}")!.multiArrayValue!  // {classes} scores"""
