"""Runs exported artifacts inside the emulated aarch64 Python: a job file in, .npy outputs out.

This file is copied into emulation and run by the sysroot's python3.11; it imports only numpy and the runtime
packages (never xport), so what runs there is the aarch64 runtime and nothing of the host.

    python3.11 runner_script.py JOB.json

JOB.json: ``{"threads": 1, "items": [{"id": str, "runner": path, "artifact": path, "samples": [[input.npy, ...],
...], "out_dir": path}]}``, where ``runner`` is the backend's ARM runner file (``BACKEND.arm.script``), which defines
``run(path, samples, threads)``. For each item and sample it writes ``out_dir/s{sample}_o{output}.npy`` and, per
item, a line of ``RESULTS.jsonl`` beside the job file: ``{"id", "ok", "runtime", "outputs", "error"}``. A failing
item is recorded and the others still run.
"""

import importlib.util
import json
import sys
import time
import traceback
from pathlib import Path

import numpy as np


def _runner(path):
    """The ``run`` function of a backend's ARM runner file (``BACKEND.arm.script``), loaded by path."""
    spec = importlib.util.spec_from_file_location(f"xport_arm_runner_{Path(path).parent.name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.run


def main(job_path):
    job = json.loads(Path(job_path).read_text())
    results = Path(job_path).with_name("RESULTS.jsonl")
    threads = int(job.get("threads", 1))
    for item in job["items"]:
        start = time.time()
        record = {"id": item["id"], "ok": False, "runtime": "", "outputs": 0, "error": ""}
        try:
            samples = [[np.load(p) for p in inputs] for inputs in item["samples"]]
            outs, record["runtime"] = _runner(item["runner"])(item["artifact"], samples, threads)
            out_dir = Path(item["out_dir"])
            out_dir.mkdir(parents=True, exist_ok=True)
            for s, outputs in enumerate(outs):
                for o, value in enumerate(outputs):
                    np.save(out_dir / f"s{s}_o{o}.npy", np.asarray(value))
            record.update(ok=True, outputs=len(outs[0]) if outs else 0)
        except Exception as exc:  # one broken artifact must not hide the others' results
            record["error"] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
        record["seconds"] = round(time.time() - start, 2)
        with results.open("a") as handle:
            handle.write(json.dumps(record) + "\n")
        print(f"{item['id']}: {'ok' if record['ok'] else 'FAILED'} in {record['seconds']} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
