"""ARM parity stage: X3D-XS (fp32, LiteRT fp16, int8 on ORT, ExecuTorch and LiteRT) and every spec-op model,
exported on x86, run by the aarch64 runtimes under qemu-aarch64-static on a little (A53) and a big (A76) core,
compared with x86 and with eager. int8 and fp16 run on both; fp32 X3D-XS on the big core, the op cases split between
the two (see ``_cases``).

Opt-in (it needs apt packages, a cached ~1 GB sysroot and a few minutes): ``XPORT_ARM=1``; ``.ci/run`` sets it.
``XPORT_ARM_CORES=a53,a55,a76`` picks the core settings. The lite interpreter (.ptl) is not checked: its aarch64
runtime is the full torch wheel's TorchScript interpreter, which the stage only loads partially (ExecuTorch's
pybindings need libtorch's tensor type, not TorchScript), and the lite interpreter is deprecated for ExecuTorch.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import xport
import xport.quant
from xport.arm import ArmCase, ArmReport, resolve_cores, run_arm_parity
from xport.arm.compare import arm_backends, default_inputs_for

from .helpers import needs_arm, require_backend, seeded, x3d_int8_artifact, zoo_artifact
from .op_models import OP_MODELS, VIDEO_MODEL_OP_MODELS
from .test_ops_on_backends import op_artifact

# (backend, precision, export options) checked on ARM; options keep the op matrix fast as in test_ops_on_backends.
# int8 rows: every backend with int8 and an aarch64 runtime (ORT, ExecuTorch, LiteRT), from the same calibration clips.
X3D_CONFIGS = [("onnx", "fp32", {}), ("tflite", "fp32", {}), ("tflite", "fp16", {}), ("executorch", "fp32", {}),
               ("onnx", "int8", {"ort_format": False}), ("executorch", "int8", {}), ("tflite", "int8", {})]
# Every op case at fp32, exported as test_ops_on_backends exports it (the same files, from the run's cache).
OP_BACKENDS = ("onnx", "tflite", "executorch")
# The CNN op cases (the video-model ops run in every x86 runtime; the stage keeps its time budget).
ARM_OP_CASES = sorted(set(OP_MODELS) - set(VIDEO_MODEL_OP_MODELS))


KINDS = ("little", "big")


def _cases(exports, kinds: tuple[str, ...]) -> list[ArmCase]:
    """X3D-XS and every spec-op model on every ARM backend (skipping backends not installed here), from the run's
    export cache: the zoo and op tests check the same files on x86.

    ``kinds``: the kinds of core in the run. Where kernels differ between kinds (int8: dot-product kernels on the
    big core only; fp16: fp16 arithmetic on the big core), X3D-XS runs on every kind; its fp32 rows run on the big
    core, and the op cases alternate between the kinds, for the suite's budget.
    """
    cases = []
    # fp32 rows: the zoo tests' X3D-XS (randomised batch norms), the same files. int8 rows: X3D-XS with its initial
    # weights, on which ORT's int8 bit-exactness across ISAs was measured (see BACKEND.arm and the closing notes:
    # the randomised model differs by up to one output step on ORT's ARM64 kernels).
    for backend, precision, options in X3D_CONFIGS:
        require_backend(backend)
        if precision == "int8":
            model, artifact = x3d_int8_artifact(exports, backend, **options)
        else:
            model, artifact = zoo_artifact(exports, "efficient_x3d_xs", backend, precision, **options)
        # The example clip only: emulating X3D-XS is most of the stage's time (the suite's budget), and the op
        # cases below feed every op several seeded inputs.
        inputs = default_inputs_for(artifact)[:1]
        cases.append(ArmCase(f"x3d_xs/{backend}/{precision}", artifact, inputs, model,
                             kinds[-1:] if precision == "fp32" else kinds))
    for i, name in enumerate(ARM_OP_CASES):
        _op, factory, shape = OP_MODELS[name]
        model = factory().eval()
        for j, backend in enumerate(OP_BACKENDS):
            artifact = op_artifact(exports, name, backend)
            cores = (kinds[(i + j) % len(kinds)],)  # the op cases alternate between the kinds of core
            cases.append(ArmCase(f"{name}/{backend}/fp32", artifact, default_inputs_for(artifact), model, cores))
    return cases


@pytest.fixture(scope="module")
def arm_report(tmp_path_factory, exports) -> ArmReport:
    tmp = tmp_path_factory.mktemp("arm")
    cores = os.environ.get("XPORT_ARM_CORES")
    kinds = tuple(k for k in KINDS if k in {c.kind for c in resolve_cores(cores)})
    report = run_arm_parity(_cases(exports, kinds), cores, work_dir=tmp / "work")
    text = f"{report}\n\n{report.detail_table()}\n"
    (Path(os.environ.get("XPORT_ARM_REPORT", tmp / "arm_report.txt"))).write_text(text)
    print(text)
    return report


@needs_arm
def test_every_case_ran_on_its_cores(arm_report):
    cores = resolve_cores(os.environ.get("XPORT_ARM_CORES"))
    assert {c.kind for c in cores} >= set(KINDS) or os.environ.get("XPORT_ARM_CORES")
    not_run = [f"{r.case} on {r.core.name}: {r.failures[0]}" for r in arm_report.rows if r.vs_x86 is None]
    assert not not_run, "\n".join(not_run)
    ran = {(r.case, r.core.kind) for r in arm_report.rows}
    int8_and_fp16 = {r.case for r in arm_report.rows if r.precision in ("int8", "fp16")}
    assert all((case, kind) in ran for case in int8_and_fp16 for kind in {c.kind for c in cores}), sorted(ran)
    for kind in {c.kind for c in cores}:  # every kind ran op cases of every backend
        assert {r.backend for r in arm_report.rows if r.core.kind == kind and not r.case.startswith("x3d")} == \
            set(OP_BACKENDS), kind


@needs_arm
def test_x3d_xs_matches_x86_and_eager_on_arm(arm_report):
    rows = [r for r in arm_report.rows if r.case.startswith("x3d_xs/")]
    assert {r.backend for r in rows} == set(arm_backends())
    assert {(r.backend, r.precision) for r in rows} == {(b, p) for b, p, _ in X3D_CONFIGS}
    failures = [f"{r.case} on {r.core.name}: {f}" for r in rows for f in r.failures]
    assert not failures, "\n".join(failures) + "\n" + arm_report.summary_table()


@needs_arm
def test_spec_op_models_match_x86_and_eager_on_arm(arm_report):
    rows = [r for r in arm_report.rows if not r.case.startswith("x3d_xs/")]
    assert len({r.case.split("/")[0] for r in rows}) == len(ARM_OP_CASES)
    failures = [f"{r.case} on {r.core.name}: {f}" for r in rows for f in r.failures]
    assert not failures, "\n".join(failures)


@needs_arm
def test_arm_outputs_are_really_from_arm(arm_report):
    """The emulated runtimes are aarch64 builds: at least one fp32 artifact differs from x86 in its last bits
    (if every output were bit-identical, the stage could be running x86 code without anyone noticing)."""
    fp32 = [r for r in arm_report.rows if r.precision == "fp32" and r.vs_x86 is not None]
    assert any(r.bit_exact is False for r in fp32)


@needs_arm
def test_a_broken_artifact_fails_on_arm(tmp_path):
    """The comparison can fail: an ONNX file whose weights were changed after export disagrees with eager."""
    require_backend("onnx")
    import onnx
    from onnx import numpy_helper

    model = OP_MODELS["conv3d_pointwise"][1]().eval()
    artifact = xport.export(model, (seeded(OP_MODELS["conv3d_pointwise"][2]),), "onnx", tmp_path / "onnx",
                            ort_format=False)
    proto = onnx.load(str(artifact.path))
    weight = proto.graph.initializer[0]
    weight.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(weight) * 1.01, weight.name))
    onnx.save(proto, str(artifact.path))
    report = run_arm_parity([ArmCase("tampered", xport.load(artifact.path), default_inputs_for(artifact)[:1], model)],
                            "a76")
    assert not report.passed
    assert any("vs eager" in f for f in report.failures)


def test_unknown_core_is_a_clear_error():
    with pytest.raises(xport.XportError, match="unknown ARM core"):
        resolve_cores("a99")


def test_the_emulated_runners_import_no_xport_and_torch_only_for_executorch():
    from xport.arm.compare import runner_file

    scripts = {name: runner_file(name).read_text() for name in arm_backends()}
    scripts["(job runner)"] = (Path(xport.__file__).parent / "arm" / "runner_script.py").read_text()
    for name, source in scripts.items():
        assert "import xport" not in source and "from xport" not in source, name
        # Only ExecuTorch's runtime needs torch (its Python API's tensor type).
        assert ("import torch" in source) == (name == "executorch"), name


def test_missing_tools_without_root_name_the_packages_and_command(monkeypatch):
    """Not root and no qemu/debootstrap: a clear error saying which packages and which command, nothing run."""
    from xport.arm import host

    monkeypatch.setattr(host, "which", lambda tool: None if tool in ("qemu-aarch64-static", "debootstrap") else tool)
    monkeypatch.setattr(host.os, "geteuid", lambda: 1000)
    with pytest.raises(xport.BackendUnavailableError) as info:
        host.ensure_tools()
    message = str(info.value)
    assert "qemu-user-static" in message and "debootstrap" in message
    assert "sudo sh -c 'apt-get update && apt-get install -y debootstrap qemu-user-static'" in message
