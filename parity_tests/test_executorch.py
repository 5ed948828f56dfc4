"""ExecuTorch specifics: XNNPACK delegation report and strict mode, manifest inside the .pte, damaged files,
thread count, and the migration proof from the lite interpreter (.ptl) to ExecuTorch (.pte)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import torch
import yaml
from torch import nn

import xport
from xport import backends
from xport.benchmark import DEFAULT_THREADS
from xport.cli import main
from xport.efficient_ops import create_model
from xport.spec import SPEC

from .helpers import export_verified, require_backend, seeded, tiny_artifact, zoo_artifact
from .op_models import OP_MODELS, Fn
from .test_ops_on_backends import op_artifact


@pytest.fixture(autouse=True)
def _needs_executorch():
    require_backend("executorch")


class FirstFrameConv(nn.Module):
    """A conv2d on the first frame of a clip. ``select`` (x[:, :, 0]) has no XNNPACK kernel: it stays on
    ExecuTorch's portable kernels, in the module ``pick``."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.pick = Fn(lambda x: x[:, :, 0])
        self.conv = nn.Conv2d(4, 8, 3, padding=1)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.conv(self.pick(x)))


CLIP = (1, 4, 3, 8, 8)
SELECT = "aten.select_copy.int"


def _kernel_ops(yaml_path) -> set[str]:
    """Portable kernels a selective build must link for this program (names like ``aten::mean.out``)."""
    return set(yaml.safe_load(yaml_path.read_text())["operators"])


@pytest.fixture(scope="module")
def tiny_pte(exports):
    return tiny_artifact(exports, "executorch")


# --- delegation report and strict mode ---------------------------------------------------------------------


def test_report_lists_the_node_xnnpack_refuses(tmp_path):
    artifact, report = export_verified(FirstFrameConv().eval(), (seeded(CLIP),), "executorch", tmp_path)
    assert [f.name for f in artifact.files] == ["model.pte", "model.delegation.json", "model.selected_operators.yaml"]
    delegation = json.loads((tmp_path / "model.delegation.json").read_text())
    assert delegation["portable"] == [{"node": delegation["portable"][0]["node"], "op": SELECT, "module_path": "pick",
                                       "reason": f"XNNPACK has no kernel for {SELECT}"}]
    assert delegation["portable_by_module"] == {"pick": 1}
    assert delegation["delegated_by_op"]["aten.convolution.default"] == 1
    assert delegation["delegated_by_op"]["aten.relu.default"] == 1
    assert delegation["delegated_by_module"]["conv"] >= 1 and delegation["delegated_by_module"]["act"] == 1
    summary = artifact.manifest.extra["delegation"]
    assert summary == {k: delegation[k] for k in summary}
    assert summary["portable_nodes"] == 1 and summary["portable_ops"] == {SELECT: 1}
    assert _kernel_ops(tmp_path / "model.selected_operators.yaml") == {"aten::select_copy.int_out"}
    assert "1 portable-kernel node" in artifact.runtime and report.max_rel < 1e-5


def test_strict_fails_naming_the_node_and_leaves_no_file(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(xport.UnsupportedOpError) as err:
        xport.export(FirstFrameConv(), seeded(CLIP), "executorch", out, strict=True)
    assert [(n.op, n.module_path) for n in err.value.nodes] == [(SELECT, "pick")]
    text = str(err.value)
    assert "stays on ExecuTorch's portable kernels" in text and "'pick'" in text
    assert "Fix: XNNPACK has no select: slice one index" in text
    assert not out.exists() and list(tmp_path.iterdir()) == []  # nor a staging folder


def test_strict_passes_a_fully_delegated_model(tmp_path):
    _, factory, shape = OP_MODELS["conv3d_depthwise_strided"]
    artifact, _ = export_verified(factory().eval(), (seeded(shape),), "executorch", tmp_path, strict=True)
    summary = artifact.manifest.extra["delegation"]
    assert summary["portable_nodes"] == 0 and summary["delegate_subgraphs"] == 1
    assert _kernel_ops(tmp_path / "model.selected_operators.yaml") == set()
    assert "portable" not in artifact.runtime


def test_tiny_video_cnn_report_is_consistent(tiny_pte):
    report = json.loads(tiny_pte.path.with_suffix(".delegation.json").read_text())
    assert report["delegated_by_op"]["aten.convolution.default"] == 15  # every conv, taps included
    assert report["delegated_nodes"] == sum(report["delegated_by_op"].values()) == \
        sum(report["delegated_by_module"].values())
    assert report["portable_nodes"] == len(report["portable"]) == sum(report["portable_by_module"].values())
    assert all(p["op"] and p["reason"] for p in report["portable"])
    kernels = _kernel_ops(tiny_pte.path.with_suffix(".selected_operators.yaml"))
    assert {op.split(".")[1] for op in report["portable_ops"]} == {k.split("::")[1].split(".")[0] for k in kernels}


# --- the .pte file on its own ----------------------------------------------------------------------------------


def test_manifest_travels_inside_the_pte(tiny_pte, tmp_path):
    alone = tmp_path / "copied.pte"
    shutil.copy(tiny_pte.path, alone)
    loaded = xport.load(alone)
    assert loaded.files == (alone,) and loaded.backend == "executorch"
    assert loaded.manifest == tiny_pte.manifest
    assert xport.verify(create_model("tiny_video_cnn"), loaded).passed


def test_runtime_uses_the_default_thread_count(tiny_pte):
    from executorch.extension.pybindings import portable_lib

    loaded = xport.load(tiny_pte.path)
    assert loaded.runtime.endswith(f", {DEFAULT_THREADS} threads)")
    assert portable_lib._threadpool_get_thread_count() == DEFAULT_THREADS


def test_wrong_input_is_rejected_before_the_runtime(tiny_pte):
    loaded = xport.load(tiny_pte.path)
    with pytest.raises(xport.InputSpecError, match=r"expected float32 tensor of shape \[1, 3, 4, 64, 64\], got "
                                                   r"float32 tensor of shape \[1, 3, 4, 32, 32\]"):
        loaded.run(seeded((1, 3, 4, 32, 32)))
    with pytest.raises(xport.InputSpecError, match="missing"):
        loaded.run(seeded((3, 4, 64, 64)))
    with pytest.raises(xport.InputSpecError, match=r"expected 1 input\(s\)"):
        loaded.run(seeded((1, 3, 4, 64, 64)), seeded((1, 3, 4, 64, 64)))


def _damage(data: bytes, how: str) -> bytes:
    segments = int.from_bytes(data[24:32], "little")  # extended header: where weights and XNNPACK blobs start
    if how == "empty":
        return b""
    if how == "not a program":
        return bytes(range(256)) * 40
    if how == "truncated to half":
        return data[: len(data) // 2]
    if how == "one byte short":
        return data[:-1]
    if how == "weights flipped":  # no format check of ExecuTorch notices this; the checksum in the manifest does
        middle = (segments + len(data)) // 2
        return data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 8]) + data[middle + 8:]
    if how == "flatbuffer damaged":
        return data[:200] + bytes(64) + data[264:]
    raise ValueError(how)


@pytest.mark.parametrize("how, message", [
    ("empty", "too short for an ExecuTorch program"),
    ("not a program", "not an ExecuTorch program"),
    ("truncated to half", "truncated"),
    ("one byte short", "truncated"),
    ("weights flipped", "do not match the checksum recorded at export"),
    ("flatbuffer damaged", "do not match the checksum recorded at export"),
])
def test_damaged_pte_raises_model_format_error(tiny_pte, tmp_path, how, message):
    damaged = tmp_path / "model.pte"
    damaged.write_bytes(_damage(tiny_pte.path.read_bytes(), how))
    with pytest.raises(xport.ModelFormatError, match=message) as err:
        xport.load(damaged)
    assert str(damaged) in str(err.value) and "export it again" in str(err.value)


def test_missing_pte_and_pte_without_manifest(tmp_path):
    with pytest.raises(xport.ModelFormatError, match="no such file"):
        xport.load(tmp_path / "absent.pte")
    with backends.get("executorch").quiet():
        from executorch.exir import to_edge_transform_and_lower

        program = torch.export.export(nn.Linear(4, 2), (torch.randn(1, 4),))
        (tmp_path / "plain.pte").write_bytes(to_edge_transform_and_lower(program).to_executorch().buffer)
    with pytest.raises(xport.ModelFormatError, match="no xport checksum inside"):
        xport.load(tmp_path / "plain.pte")


_LOAD_EACH = """
import sys
import xport
for path in sys.argv[1:]:
    try:
        xport.load(path)
        print(path, "LOADED")
    except xport.ModelFormatError as exc:
        print(path, "ModelFormatError", str(exc).splitlines()[0])
"""


def test_bytes_the_runtime_would_log_raw_do_not_kill_the_process(tiny_pte, tmp_path):
    # ExecuTorch logs a damaged file identifier or XNNPACK blob header byte for byte, and a non-UTF-8 log line
    # aborts the Python process (executorch 1.5.1). Run in a child process so a regression fails this test only.
    data = tiny_pte.path.read_bytes()
    segments = int.from_bytes(data[24:32], "little")
    files = {"identifier": data[:4] + b"\xa7\xc6\xff\xfe" + data[8:],
             "xnnpack header": data[:segments] + bytes(b ^ 0xFF for b in data[segments:segments + 16])
             + data[segments + 16:]}
    paths = []
    for name, content in files.items():
        paths.append(tmp_path / f"{name.replace(' ', '_')}.pte")
        paths[-1].write_bytes(content)
    done = subprocess.run([sys.executable, "-c", _LOAD_EACH, *map(str, paths)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith(str(tmp_path))]
    assert len(lines) == 2 and all("ModelFormatError" in line for line in lines), done.stdout


# --- capabilities say what really runs ---------------------------------------------------------------------------


# Edge-dialect ops with another name than the ATen op they lower (casts keep the dim order as well).
_EDGE_NAMES = {"dim_order_ops._to_dim_order_copy.default": "aten._to_copy.default"}


def _spec_op(edge_op: str) -> str | None:
    """The spec op of an edge-dialect op name from the delegation report (``aten.slice_copy.Tensor`` → ``slice``)."""
    namespace, name, overload = _EDGE_NAMES.get(edge_op, edge_op).split(".")
    return SPEC.op_of_target(f"{namespace}.{name.removesuffix('_copy') if name != '_to_copy' else name}.{overload}")


@pytest.mark.parametrize("case", sorted(OP_MODELS))
def test_check_predicts_the_nodes_xnnpack_leaves_on_portable_kernels(case, exports):
    """`xport check`'s "fallback" verdicts (from attributes) name the ops the real export leaves off XNNPACK."""
    _op, factory, shape = OP_MODELS[case]
    model = factory().eval()
    predicted = {v.info.op for v in xport.check(model, seeded(shape), "executorch")["executorch"].of("fallback")}
    artifact = op_artifact(exports, case, "executorch")
    portable = json.loads(artifact.path.with_suffix(".delegation.json").read_text())["portable"]
    assert predicted == {_spec_op(p["op"]) for p in portable}, portable


# --- zoo: fully delegated --------------------------------------------------------------------------------------


# XS, the one full-size ExecuTorch export of the suite (S, M and L take 2 minutes and more each; the op matrix
# checks the delegation of every conv3d case).
@pytest.mark.parametrize("name", ["efficient_x3d_xs"])
def test_zoo_model_is_fully_delegated(name, exports):
    _model, artifact = zoo_artifact(exports, name, "executorch")  # its parity is test_zoo's
    portable = json.loads(artifact.path.with_suffix(".delegation.json").read_text())["portable"]
    if portable:
        pytest.fail(f"{len(portable)} node(s) on portable kernels, not in XNNPACK:\n" + "\n".join(
            f"  {p['op']} in {p['module_path']}: {p['reason']}" for p in portable), pytrace=False)


# --- migration from the lite interpreter ---------------------------------------------------------------------


def _app_ptl(model: nn.Module, path) -> None:
    """A .ptl as an app's own pipeline would make it: traced and saved for the lite interpreter, no xport manifest."""
    x = model.default_cfg.example_input()
    with torch.no_grad(), backends.get("torchscript").quiet():
        torch.jit.trace(model.eval(), x)._save_for_lite_interpreter(str(path))


# torch.export skips its input-guard module when any caller's file name contains "executorch" (this file's does),
# and torch.jit.trace then warns about the shape checks that run instead; harmless, and only in this file.
@pytest.mark.filterwarnings("ignore:Converting a tensor to a Python:torch.jit.TracerWarning")
def test_verify_migration_exports_both_and_they_agree(tiny_model, tmp_path):
    report = xport.verify_migration(tiny_model, tiny_model.default_cfg.example_input(), tmp_path)
    assert report.passed, str(report)
    assert report.ptl == tmp_path / "torchscript" / "model.ptl" and report.ptl.is_file()
    assert report.pte == tmp_path / "executorch" / "model.pte" and report.pte.is_file()
    assert report.samples == 4 and report.pte_vs_ptl.max_rel < 1e-5 and report.pte_vs_ptl.top1_agreement == 1.0
    assert "lite interpreter" in report.lite_runtime and "XNNPACK" in report.executorch_runtime
    assert "migration PASSED" in str(report) and ".pte vs .ptl" in str(report)


def test_verify_migration_catches_a_ptl_of_other_weights(tiny_model, tmp_path):
    _app_ptl(create_model("tiny_video_cnn", seed=1), tmp_path / "shipped.ptl")
    with pytest.raises(xport.ParityError) as err:
        xport.verify_migration(tiny_model, tiny_model.default_cfg.example_input(), tmp_path / "out",
                               ptl=tmp_path / "shipped.ptl")
    report = err.value.report
    assert not report.passed and report.pte_vs_eager.max_rel < 1e-5  # the new file is right, the old one differs
    assert any(f.startswith(".pte vs .ptl: max rel error") for f in report.failures)
    assert any(f.startswith(".ptl vs eager") for f in report.failures)


def test_migrate_cli(tmp_path, capsys):
    model = create_model("tiny_video_cnn")
    _app_ptl(model, tmp_path / "shipped.ptl")
    assert main(["-q", "migrate", "tiny_video_cnn", "--ptl", str(tmp_path / "shipped.ptl"),
                 "--out", str(tmp_path / "ok")]) == 0
    out = capsys.readouterr().out
    assert "migration PASSED" in out and str(tmp_path / "shipped.ptl") in out
    assert not (tmp_path / "ok" / "torchscript").exists()  # the app's .ptl was used, none exported

    assert main(["-q", "migrate", "tiny_video_cnn", "--ptl", str(tmp_path / "absent.ptl"),
                 "--out", str(tmp_path / "err")]) == 2
    assert "absent.ptl: no such file" in capsys.readouterr().err

    _app_ptl(create_model("tiny_video_cnn", seed=1), tmp_path / "other.ptl")
    assert main(["-q", "migrate", "tiny_video_cnn", "--ptl", str(tmp_path / "other.ptl"),
                 "--out", str(tmp_path / "bad")]) == 1
    assert "migration FAILED" in capsys.readouterr().out


def test_migrate_help(capsys):
    with pytest.raises(SystemExit) as done:
        main(["migrate", "--help"])
    assert done.value.code == 0 and "--ptl PATH" in capsys.readouterr().out
