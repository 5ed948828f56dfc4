"""``xport design``: a latency table measured here, a prediction from it, a suggestion within a budget.

Everything is measured on a small X3D variant (one real ONNX Runtime export per distinct block); the predictor's
accuracy on the zoo models is a benchmark (`xport design check`), not a test.
"""

from __future__ import annotations

import pytest

from xport.cli import main
from xport.design import BlockTable, X3dVariant, measure, predict, suggest
from xport.design.units import units_of

from .helpers import require_backend

SMALL = X3dVariant(width=0.5, depth=0.25, frames=2, crop=64)


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> BlockTable:
    require_backend("onnx")
    measured = measure("onnx", variants=[SMALL], runs=2, ort_format=False)
    measured.save(tmp_path_factory.mktemp("design") / "onnx_fp32.json")
    return measured


def test_measure_times_each_distinct_block_once_and_the_whole_model(table):
    units = [u for u, _ in units_of(SMALL.build(), SMALL.example_input())]
    assert len(units) == 11 and len(table.blocks) == len({u.key for u in units})  # s4/s5 repeat a block config
    assert table.method == "profiled inside whole models" and all(b["ms"] > 0 for b in table.blocks.values())
    assert 0.5 < table.wholes[0]["blocks_ms"] / table.wholes[0]["ms"] < 1.5  # profiled in context: they add up
    assert [w["name"] for w in table.wholes] == [SMALL.name]
    assert table.options == {"ort_format": False}


def test_predict_prices_measured_blocks_exactly_and_others_by_the_fit(table, tmp_path):
    same = predict(SMALL.build(), SMALL.example_input(), table)
    assert same.measured_share == 1.0
    assert same.ms == pytest.approx(table.wholes[0]["ms"])  # one model: blocks + its own overhead
    wider = X3dVariant(width=1.0, depth=0.25, frames=2, crop=64)
    priced = predict(wider.build(), wider.example_input(), table)
    assert priced.measured_share < 1.0 and priced.ms > 0
    loaded = BlockTable.load(table.save(tmp_path / "t.json"))
    assert predict(wider.build(), wider.example_input(), loaded).ms == pytest.approx(priced.ms)


def test_suggest_picks_the_most_work_within_the_budget_and_says_how(table):
    space = [X3dVariant(w, d, 2, 64) for w in (0.5, 1.0) for d in (0.25, 0.5)]
    roomy = suggest(1e6, table, space)
    assert roomy is not None and roomy.within_budget == roomy.considered == 4
    assert roomy.variant == X3dVariant(1.0, 0.5, 2, 64)  # the most work of the four
    assert "most GFLOPs" in roomy.explain(1e6, "onnx")
    budget = predict(SMALL.build(), SMALL.example_input(), table).ms * 1.01
    tight = suggest(budget, table, space)  # the measured small one fits; whatever is chosen fits and has more work
    assert tight is not None and tight.predicted_ms <= budget and 1 <= tight.within_budget <= 4
    assert tight.gflops >= predict(SMALL.build(), SMALL.example_input(), table).flops / 1e9
    assert suggest(1e-6, table, space) is None


def test_cli_design_predict_and_suggest_read_the_saved_table(table, tmp_path, capsys):
    path = table.save(tmp_path / "onnx_fp32.json")
    assert main(["design", "predict", "efficient_x3d_xs", "--backend", "onnx", "--table", str(path), "-q"]) == 0
    assert "predicted:" in capsys.readouterr().out
    assert main(["design", "suggest", "--backend", "onnx", "--budget", "0.000001", "--table", str(path), "-q"]) == 1
    assert main(["design", "predict", "efficient_x3d_xs", "--backend", "onnx", "--table", str(tmp_path / "no.json"),
                 "-q"]) == 2
    assert "xport design measure --backend onnx" in capsys.readouterr().err
