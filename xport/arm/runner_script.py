"""Runs exported artifacts inside the emulated aarch64 Python: a job file in, .npy outputs out.

This file is copied into emulation and run by the sysroot's python3.11; it imports only numpy and the runtime
packages (never xport), so what runs there is the aarch64 runtime and nothing of the host.

    python3.11 runner_script.py JOB.json

JOB.json: ``{"threads": 1, "items": [{"id": str, "backend": "onnx"|"tflite"|"executorch", "artifact": path,
"samples": [[input.npy, ...], ...], "out_dir": path}]}``. For each item and sample it writes
``out_dir/s{sample}_o{output}.npy`` and, per item, a line of ``RESULTS.jsonl`` beside the job file:
``{"id", "ok", "runtime", "outputs", "error"}``. A failing item is recorded and the others still run.
"""

import json
import sys
import time
import traceback
from pathlib import Path

import numpy as np


def run_onnx(path, samples, threads):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    outs = [session.run(None, dict(zip(names, inputs))) for inputs in samples]
    return outs, f"onnxruntime {ort.__version__} (CPUExecutionProvider)"


def run_tflite(path, samples, threads):
    from importlib.metadata import version

    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path), num_threads=threads)
    interpreter.allocate_tensors()
    ins = [d["index"] for d in interpreter.get_input_details()]
    outs_idx = [d["index"] for d in interpreter.get_output_details()]
    outs = []
    for inputs in samples:
        for index, x in zip(ins, inputs):
            interpreter.set_tensor(index, x)
        interpreter.invoke()
        outs.append([interpreter.get_tensor(i).copy() for i in outs_idx])
    return outs, f"ai-edge-litert {version('ai-edge-litert')} (LiteRT interpreter, XNNPACK)"


def run_executorch(path, samples, threads):
    from importlib.metadata import version

    # ExecuTorch's Python runtime exchanges torch tensors and its extension links libtorch: torch is part of that
    # runtime here, imported only for it. The extension is imported directly: executorch.runtime would first
    # import the whole exporter (executorch.exir, torch._inductor), which is not runtime code.
    import torch
    from executorch.extension.pybindings import _C

    if _C._threadpool_get_thread_count() != threads:
        _C._unsafe_reset_threadpool(threads)
    data = Path(path).read_bytes()  # the program points into this buffer: it must outlive every call below
    program = _C._load_program_from_buffer(data, enable_etdump=False, debug_buffer_size=0,
                                           program_verification=_C.Verification.InternalConsistency, data_path=None)
    forward = program.load_method("forward")
    outs = []
    for inputs in samples:
        result = forward(tuple(torch.from_numpy(np.ascontiguousarray(x)) for x in inputs))
        outs.append([o.numpy().copy() for o in result])
    del program, data
    return outs, f"executorch {version('executorch')} (XNNPACK)"


RUNNERS = {"onnx": run_onnx, "tflite": run_tflite, "executorch": run_executorch}


def main(job_path):
    job = json.loads(Path(job_path).read_text())
    results = Path(job_path).with_name("RESULTS.jsonl")
    threads = int(job.get("threads", 1))
    for item in job["items"]:
        start = time.time()
        record = {"id": item["id"], "ok": False, "runtime": "", "outputs": 0, "error": ""}
        try:
            samples = [[np.load(p) for p in inputs] for inputs in item["samples"]]
            outs, record["runtime"] = RUNNERS[item["backend"]](item["artifact"], samples, threads)
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
