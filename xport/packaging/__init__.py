"""App bundles for Android and iOS: artifacts, labels, ``model.json`` and README, and checking them.

    bundle = xport.package(model, "android", "bundle/")          # tflite + ptl, verified, with model.json
    report = xport.verify_bundle("bundle/assets", "clip.mp4")    # as an app would load it, vs eager
"""

from .bundle import STEM, Bundle, package
from .labels import kinetics_400
from .model_json import MODEL_JSON, BundledModel, ModelJson
from .platforms import PLATFORMS
from .verify_bundle import BundleCheck, verify_bundle
from .weights import weights_sha256

__all__ = ["package", "Bundle", "verify_bundle", "BundleCheck", "ModelJson", "BundledModel", "MODEL_JSON",
           "PLATFORMS", "STEM", "kinetics_400", "weights_sha256"]
