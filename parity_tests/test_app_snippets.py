"""The app code in bundle READMEs: every runtime × input dtype parses as Kotlin or Swift (tree-sitter grammars)
and uses the buffer type its input needs."""

from __future__ import annotations

import re

import pytest
import tree_sitter
import tree_sitter_kotlin
import tree_sitter_swift

from xport.backends.app_snippets import GRADLE
from xport.packaging import PLATFORMS, BundledModel, package
from xport.preprocess import PreprocessSpec
from xport.tensor_spec import TensorSpec

from .helpers import require_backend

PARSERS = {"kotlin": tree_sitter.Parser(tree_sitter.Language(tree_sitter_kotlin.language())),
           "swift": tree_sitter.Parser(tree_sitter.Language(tree_sitter_swift.language()))}
FILES = {"tflite": "video_classification.tflite", "onnx": "video_classification.ort",
         "executorch": "video_classification.pte", "torchscript": "video_classification.ptl",
         "coreml": "video_classification.mlpackage"}
CASES = [(plat, backend, dtype) for plat in PLATFORMS for backend in PLATFORMS[plat].allowed
         for dtype in ("float32", "uint8")]


def _model(backend: str, dtype: str) -> BundledModel:
    shape, layout = ((4, 64, 64, 3), "THWC") if dtype == "uint8" else ((1, 3, 4, 64, 64), "NCTHW")
    return BundledModel(backend, "fp32", FILES[backend], "", (TensorSpec("x", shape, dtype, layout),),
                        (TensorSpec("scores", (1, 10), "float32"),))


def _errors(code: str, language: str) -> list[str]:
    """Text of every ERROR or MISSING node the grammar finds (empty: the snippet parses)."""
    found, stack = [], [PARSERS[language].parse(code.encode()).root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            found.append(f"{node.type} at {node.start_point}: {code.encode()[node.start_byte:node.end_byte][:80]!r}")
        stack.extend(node.children)
    return found


@pytest.mark.parametrize("plat,backend,dtype", CASES)
def test_snippet_parses_and_feeds_its_dtype(plat, backend, dtype):
    platform = PLATFORMS[plat]
    code = platform.runtime(backend).snippet(_model(backend, dtype), 10)
    assert _errors(code, platform.language) == [], code
    assert "\\(" not in code, code  # a Swift interpolation escaped into a comment
    if platform.language == "kotlin":  # every Android runtime is a Gradle dependency: pinned, from one table
        (line,) = re.findall(r'implementation\("([^"]+)"\)', code)[:1]
        assert line in GRADLE.values() and re.search(r":\d+\.\d+\.\d+$", line), code
    uint8 = dtype == "uint8"
    if (plat, backend) == ("android", "onnx"):
        assert ("OnnxJavaType.UINT8" in code) == uint8 and "FloatBuffer.wrap" not in code, code
    if (plat, backend) in (("android", "executorch"), ("android", "torchscript")):
        assert ("Tensor.fromBlobUnsigned(" in code) == uint8, code
    if (plat, backend) == ("ios", "executorch"):
        assert ("Tensor<UInt8>(" if uint8 else "Tensor<Float>(") in code, code
    if (plat, backend) == ("android", "tflite"):
        assert ("4 * clip.size" in code) != uint8, code


STREAM = {"frame": {"name": "frame", "shape": [1, 3, 64, 64]}, "outputs": 1, "checksum": "0123456789abcdef",
          "states": [{"name": "past_stem", "shape": [1, 16, 32, 32], "kind": "past frames", "module_path": "stem",
                      "dtype": "float32", "initial": 0.0},
                     {"name": "frames_seen", "shape": [1, 1, 1, 1], "kind": "frame count", "module_path": "",
                      "dtype": "float32", "initial": 0.0}]}


@pytest.mark.parametrize("plat,backend", sorted({(p, b) for p, b, _ in CASES}))
def test_stream_snippet_parses_and_carries_the_state_over(plat, backend):
    """A stream bundle's code feeds one frame per call and keeps the outputs' tail as the next state, allocated as
    the file takes it (here channels-last, as LiteRT's and the lite interpreter's are)."""
    platform = PLATFORMS[plat]
    inputs = (TensorSpec("frame", (1, 3, 64, 64), "float32", "NCHW"),
              *(TensorSpec(st["name"], tuple(st["shape"]), "float32").channels_last() for st in STREAM["states"]))
    m = BundledModel(backend, "fp32", FILES[backend], "", inputs, (TensorSpec("scores", (1, 10), "float32"),),
                     stream=STREAM)
    code = platform.runtime(backend).snippet(m, 10)
    assert _errors(code, platform.language) == [], code
    assert "2 state tensors" in code and ("new state is the next frame's input" in code or "tuple's tail" in code), code
    if "stateShapes" in code:
        assert "1, 32, 32, 16" in code and "1, 16, 32, 32" not in code, code


def test_snippet_errors_are_found():
    """The check itself: a Kotlin slip and a Swift slip are reported."""
    assert _errors('val input = foo(clip, longArrayOf(1, 2)\nval x = 1', "kotlin")
    assert _errors('let input = Tensor<Float>(clip, shape: [1, 2)', "swift")


def test_fused_onnx_bundle_readme_parses(tiny_model, tmp_path):
    require_backend("onnx")
    prep = PreprocessSpec.from_card(tiny_model.default_cfg, resize_short_side=72)
    package(tiny_model, "android", tmp_path / "b", "onnx", preprocessing=prep, fuse_preprocessing=True)
    readme = (tmp_path / "b" / "README.md").read_text()
    blocks = re.findall(r"```kotlin\n(.*?)```", readme, re.S)
    assert blocks and all(_errors(b, "kotlin") == [] for b in blocks), readme
    assert "OnnxJavaType.UINT8" in readme
