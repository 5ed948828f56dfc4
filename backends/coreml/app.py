"""How an iOS app loads the ``.mlpackage`` (Core ML; Xcode compiles it into the app)."""

from __future__ import annotations

from typing import Any

from ..app_snippets import shape_text, state_names, stem, stream_comment


def swift(m: Any, classes: int) -> str:
    if m.stream:
        return _swift_stream(m)
    spec = m.inputs[0]
    return f"""import CoreML

// Xcode compiles {m.file} into {stem(m)}.mlmodelc inside the app bundle
let url = Bundle.main.url(forResource: "{stem(m)}", withExtension: "mlmodelc")!
let model = try MLModel(contentsOf: url)
let input = try MLMultiArray(shape: [{shape_text(m)}], dataType: .{'int32' if spec.dtype == 'int32' else 'float32'})
// fill input in {spec.layout} order from the preprocessed clip, then:
let out = try model.prediction(from: MLDictionaryFeatureProvider(dictionary: ["{spec.name}": input]))
let scores = out.featureValue(for: "{m.outputs[0].name}")!.multiArrayValue!  // {classes} scores"""


def _swift_stream(m: Any) -> str:
    outputs = ", ".join(f'"{o.name}"' for o in m.outputs)
    return f"""import CoreML

// Xcode compiles {m.file} into {stem(m)}.mlmodelc inside the app bundle
let model = try MLModel(contentsOf: Bundle.main.url(forResource: "{stem(m)}", withExtension: "mlmodelc")!)
{stream_comment(m)}
let stateNames = {state_names(m, "[", "]")}
let outputNames = [{outputs}]  // the scores, then the new states
func zeros() throws -> [String: MLMultiArray] {{
    try Dictionary(uniqueKeysWithValues: stateNames.map {{ name in
        let shape = model.modelDescription.inputDescriptionsByName[name]!.multiArrayConstraint!.shape
        let array = try MLMultiArray(shape: shape, dataType: .float32)
        for i in 0..<array.count {{ array[i] = 0 }}
        return (name, array)
    }})
}}
var state = try zeros()

func onFrame(_ frame: MLMultiArray) throws -> MLMultiArray {{  // frame: [{shape_text(m)}] float32, NCHW
    var inputs: [String: Any] = state
    inputs["{m.stream['frame']['name']}"] = frame
    let out = try model.prediction(from: MLDictionaryFeatureProvider(dictionary: inputs))
    for (i, name) in stateNames.enumerated() {{  // this frame's new state is the next frame's input
        state[name] = out.featureValue(for: outputNames[i + 1])!.multiArrayValue!
    }}
    return out.featureValue(for: outputNames[0])!.multiArrayValue!
}}"""
