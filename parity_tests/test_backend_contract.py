"""The backend contract: a backend is its folder plus one registry line (here: a test backend in the test tree).

``parity_tests/toy_backend`` writes ``.pt2`` files run by ``torch.export.load``; registering it is the only step,
and export, verify, check, bench, packaging and the CLI take it like any built-in backend.
"""

from __future__ import annotations

import pytest
import torch

import xport
from xport import backends
from xport.backends.contract import BackendSpec, Option
from xport.caps import Capabilities
from xport.cli import main
from xport.errors import XportError

TOY = "toy"


@pytest.fixture
def toy():
    backends.register(TOY, "parity_tests.toy_backend")
    yield backends.get(TOY)
    backends.unregister(TOY)


def test_registered_backend_is_listed_with_its_facts(toy):
    assert TOY in backends.names() and TOY in backends.available()
    assert ".pt2" in backends.all_suffixes() and backends.for_path("m.pt2") == TOY
    assert toy.tolerance("fp32") is xport.tolerances.DEFAULT_TOLERANCES["fp32"]


def test_export_verify_check_and_load(toy, tiny_model, tmp_path):
    clip = tiny_model.default_cfg.example_input()
    report = xport.check(tiny_model, clip, TOY)[TOY]
    assert report.ok and report.of("decomposed")  # its caps lack conv3d and batch norm: the planner rewrites them
    artifact = xport.export(tiny_model, clip, TOY, tmp_path / "out")
    assert artifact.path.suffix == ".pt2" and artifact.runtime.endswith("(torch.export.load)")
    parity = xport.verify(tiny_model, artifact)
    assert parity.passed and parity.max_rel < 1e-4
    torch.testing.assert_close(xport.load(artifact.path).run(clip), tiny_model(clip), rtol=1e-4, atol=1e-5)


def test_bench_times_it_against_eager(toy, tiny_model, tmp_path):
    report = xport.bench(tiny_model, backends=[TOY], runs=2, warmup=1, measure_memory=False, work_dir=tmp_path)
    toy_rows = [r for r in report.rows if r.backend == TOY]
    assert len(toy_rows) == 1 and toy_rows[0].speedup and toy_rows[0].parity_passed


def test_cli_export_check_and_backends(toy, tmp_path, capsys):
    assert main(["-q", "export", "tiny_video_cnn", "--backend", TOY, "--out", str(tmp_path / "cli")]) == 0
    assert (tmp_path / "cli" / "model.pt2").is_file() and "parity PASSED" in capsys.readouterr().out
    assert main(["-q", "check", "tiny_video_cnn", "--backend", TOY]) == 0
    assert main(["-q", "backends"]) == 0
    out = capsys.readouterr().out
    assert "toy @ fp32" in out and "files .pt2" in out


def test_packaging_takes_its_app_runtime(toy, tiny_model, tmp_path):
    bundle = xport.package(tiny_model, "android", tmp_path / "bundle", TOY)
    (model,) = bundle.model_json.models
    assert model.file == "video_classification.pt2" and model.app_runtime == "toy runtime (tests only)"
    assert 'ToyRuntime.load("video_classification.pt2")' in (tmp_path / "bundle" / "README.md").read_text()


def _spec(**changes) -> BackendSpec:
    fields = {"name": "bad", "summary": "", "suffixes": (".bad",), "caps": Capabilities("bad", ("fp32",), {}),
                  "probe": lambda: "here"}
    return BackendSpec(**(fields | changes))


@pytest.mark.parametrize("changes, message", [
    ({"caps": Capabilities("other", ("fp32",), {})}, "caps.backend is 'other'"),
    ({"suffixes": ("bad",)}, "must be file suffixes"),
    ({"caps": Capabilities("bad", ("fp32", "fp8"), {})}, r"precisions \['fp8'\] have no tolerance"),
    ({"options": {"x": (1,)}}, "option 'x' must be Option"),
])
def test_an_inconsistent_record_is_refused_when_loaded(changes, message):
    with pytest.raises(XportError, match=message):
        _spec(**changes).validate("parity_tests.toy_backend")


def test_a_package_without_a_record_is_refused():
    backends.register("norecord", "parity_tests.helpers")
    try:
        with pytest.raises(XportError, match="defines no BACKEND"):
            backends.get("norecord")
    finally:
        backends.unregister("norecord")


def test_options_are_typed_records():
    option = backends.get("onnx").options["opset"]
    assert isinstance(option, Option) and option.default == 18 and option.doc
