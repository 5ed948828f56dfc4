"""Minimal app code per backend: load the bundled model and run one clip, filled in from model.json.

Kotlin for Android, Swift for iOS. Each snippet assumes ``clip`` already holds the input exactly as model.json
describes it (the README lists the preprocessing steps before the snippet).
"""

from __future__ import annotations

from .model_json import BundledModel


def _shape(m: BundledModel, sep: str = ", ") -> str:
    return sep.join(str(max(d, 1)) for d in m.inputs[0].shape)


def _kotlin_buffer(m: BundledModel) -> str:
    spec = m.inputs[0]
    if spec.dtype == "uint8":
        return (f"// clip: ByteArray of {_shape(m, ' x ')} RGB bytes (T, H, W, 3), cropped as model.json says\n"
                "val input = ByteBuffer.allocateDirect(clip.size).order(ByteOrder.nativeOrder()).put(clip).rewind()")
    return (f"// clip: FloatArray of {_shape(m, ' x ')} values ({spec.layout}), preprocessed as model.json says\n"
            "val input = ByteBuffer.allocateDirect(4 * clip.size).order(ByteOrder.nativeOrder())\n"
            "input.asFloatBuffer().put(clip)")


def kotlin(m: BundledModel, classes: int) -> str:
    name, shape = m.file, _shape(m)
    if m.backend == "tflite":
        return f"""import org.tensorflow.lite.Interpreter
import org.tensorflow.lite.support.common.FileUtil

val interpreter = Interpreter(FileUtil.loadMappedFile(context, "{name}"), Interpreter.Options().setNumThreads(2))
{_kotlin_buffer(m)}
val scores = Array(1) {{ FloatArray({classes}) }}
interpreter.run(input, scores)"""
    if m.backend == "torchscript":
        blob = "Tensor.fromBlobUnsigned(clip" if m.inputs[0].dtype == "uint8" else "Tensor.fromBlob(clip"
        return f"""import org.pytorch.IValue
import org.pytorch.LiteModuleLoader
import org.pytorch.Tensor

// assetFilePath copies the asset to files/ (as in the PyTorch TorchVideo demo app)
val module = LiteModuleLoader.load(assetFilePath(context, "{name}"))
val input = {blob}, longArrayOf({shape}))
val scores = module.forward(IValue.from(input)).toTensor().dataAsFloatArray"""
    if m.backend == "executorch":
        return f"""import org.pytorch.executorch.EValue
import org.pytorch.executorch.Module
import org.pytorch.executorch.Tensor

val module = Module.load(assetFilePath(context, "{name}"))
val input = Tensor.fromBlob(clip, longArrayOf({shape}))
val scores = module.forward(EValue.from(input))[0].toTensor().dataAsFloatArray"""
    return f"""import ai.onnxruntime.OnnxTensor
import ai.onnxruntime.OrtEnvironment

val env = OrtEnvironment.getEnvironment()
val session = env.createSession(context.assets.open("{name}").readBytes())
val input = OnnxTensor.createTensor(env, java.nio.FloatBuffer.wrap(clip), longArrayOf({shape}))
val scores = (session.run(mapOf("{m.inputs[0].name}" to input))[0].value as Array<FloatArray>)[0]"""


def swift(m: BundledModel, classes: int) -> str:
    stem = m.file.rsplit(".", 1)[0]
    spec = m.inputs[0]
    if m.backend == "coreml":
        return f"""import CoreML

// Xcode compiles {m.file} into {stem}.mlmodelc inside the app bundle
let url = Bundle.main.url(forResource: "{stem}", withExtension: "mlmodelc")!
let model = try MLModel(contentsOf: url)
let input = try MLMultiArray(shape: [{_shape(m)}], dataType: .{'int32' if spec.dtype == 'int32' else 'float32'})
// fill input (\\({spec.layout}) order) from the preprocessed clip, then:
let out = try model.prediction(from: MLDictionaryFeatureProvider(dictionary: ["{spec.name}": input]))
let scores = out.featureValue(for: "{m.outputs[0].name}")!.multiArrayValue!  // {classes} scores"""
    if m.backend == "executorch":
        return f"""import ExecuTorch

let module = Module(filePath: Bundle.main.path(forResource: "{stem}", ofType: "pte")!)
try module.load("forward")
let input = Tensor<Float>(clip, shape: [{_shape(m)}])   // clip: [Float], {spec.layout}
let scores: [Float] = try module.forward(input)[0].tensor()!.scalars()"""
    return f"""// LibTorch-Lite has an Objective-C++ API: wrap it once, as the PyTorch iOS demo apps do
// (TorchModule.mm: torch::jit::_load_for_mobile, then module.forward({{tensor}})).
let module = TorchModule(fileAtPath: Bundle.main.path(forResource: "{stem}", ofType: "ptl")!)!
let scores = module.predict(clip: &clip, shape: [{_shape(m)}])   // clip: [Float], {spec.layout}"""
