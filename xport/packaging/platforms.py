"""What each app platform gets: which backends, where the files go, how an app loads them."""

from __future__ import annotations

from dataclasses import dataclass

from xport.errors import XportError


@dataclass(frozen=True)
class Platform:
    name: str
    folder: str  # where the model files go inside the bundle (the folder an app copies as is)
    defaults: tuple[str, ...]  # backends packaged when none are named
    allowed: tuple[str, ...]
    # backend → the app-side runtime (dependency to add), for model.json and the README
    app_runtimes: dict[str, str]


PLATFORMS: dict[str, Platform] = {
    "android": Platform(
        "android", "assets", ("tflite", "torchscript"), ("tflite", "torchscript", "executorch", "onnx"),
        {"tflite": "LiteRT (Gradle: com.google.ai.edge.litert:litert)",
         "torchscript": "PyTorch Mobile lite interpreter (Gradle: org.pytorch:pytorch_android_lite)",
         "executorch": "ExecuTorch with XNNPACK (Gradle: org.pytorch:executorch-android)",
         "onnx": "ONNX Runtime Mobile (Gradle: com.microsoft.onnxruntime:onnxruntime-android)"}),
    "ios": Platform(
        "ios", "Resources", ("coreml",), ("coreml", "torchscript", "executorch"),
        {"coreml": "Core ML (system framework; Xcode compiles the .mlpackage)",
         "torchscript": "PyTorch Mobile lite interpreter (CocoaPods: LibTorch-Lite)",
         "executorch": "ExecuTorch with XNNPACK (Swift package: executorch)"}),
}


def platform(name: str) -> Platform:
    if name not in PLATFORMS:
        raise XportError(f"unknown platform '{name}'; choose one of {', '.join(PLATFORMS)}")
    return PLATFORMS[name]


def backends_for(plat: Platform, backends: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """The backends to package (the platform's defaults when ``None``), checked against the platform."""
    names = list(plat.defaults) if backends is None else [backends] if isinstance(backends, str) else list(backends)
    wrong = [b for b in names if b not in plat.allowed]
    if wrong or not names:
        raise XportError(f"{plat.name} bundles take backends {', '.join(plat.allowed)}; "
                         f"got {', '.join(wrong) or 'none'}")
    return names
