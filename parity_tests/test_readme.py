"""The README says the truth: its generated sections match the code, its Python snippets run exactly as printed,
and its demo table has the columns and the Core ML row `xport demo` prints."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from xport.demo import format_table
from xport.docs import stale_sections

from .helpers import require_backend
from .videos import moving_square

README = Path(__file__).resolve().parent.parent / "README.md"


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", text, re.DOTALL | re.MULTILINE)


def test_generated_sections_are_current():
    assert stale_sections(README.read_text()) == [], "run `python -m xport.docs` to regenerate them"


def test_demo_table_has_the_columns_and_the_core_ml_row_the_demo_prints():
    printed = format_table([], 1.0, {}).splitlines()[0]
    demo = README.read_text().split("Demo table as printed", 1)[1]
    table = demo.split("```\n", 2)[1].splitlines()
    assert table[0].split() == printed.split()
    coreml = next(line for line in table if line.startswith("coreml"))
    assert coreml.split()[-3:] == ["not", "timed", "(stand-in)"]


def test_python_snippets_run_as_printed(tmp_path):
    """Every ```python block of the README, in order, in one interpreter, in a folder holding the files the
    snippets name as the user's own: clips/ (calibration videos), clip.mp4 and labels.txt."""
    for backend in ("onnx", "openvino", "tflite"):
        require_backend(backend)
    blocks = _python_blocks(README.read_text())
    assert len(blocks) == 4  # Python API, int8, packaging, streaming: a new block joins this test by itself
    (tmp_path / "clips").mkdir()
    for i in range(4):
        moving_square(tmp_path / "clips" / f"clip_{i}.mp4", frames=30 + 5 * i)
    moving_square(tmp_path / "clip.mp4")
    (tmp_path / "labels.txt").write_text("".join(f"action {i}\n" for i in range(400)))
    done = subprocess.run([sys.executable, "-c", "\n".join(blocks)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=1500)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "parity PASSED" in done.stdout  # the printed verify report
    assert done.stdout.count("PASSED") >= 3, done.stdout[-3000:]  # ... and one bundle check per model
    assert (tmp_path / "calibration.json").is_file() and list((tmp_path / "bundle").rglob("model.json"))
