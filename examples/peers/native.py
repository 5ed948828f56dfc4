"""Running a .tflite or .pte that xport did not write (no xport manifest), with its runtime's own Python API."""

from __future__ import annotations

from pathlib import Path

import torch

from .converters import Clips


def run_natively(path: Path, held_out: Clips) -> tuple[list[torch.Tensor], str]:
    """Outputs of a .tflite or .pte xport did not write, run with its runtime's own Python API, and that runtime."""
    from importlib.metadata import version

    if path.suffix == ".tflite":
        from ai_edge_litert.interpreter import Interpreter

        interpreter = Interpreter(model_path=str(path), num_threads=2)
        interpreter.allocate_tensors()
        (source,), (target,) = interpreter.get_input_details(), interpreter.get_output_details()[:1]
        outputs = []
        for x in held_out:
            interpreter.set_tensor(source["index"], x.numpy())
            interpreter.invoke()
            outputs.append(torch.from_numpy(interpreter.get_tensor(target["index"]).copy()))
        return outputs, f"ai-edge-litert {version('ai-edge-litert')} interpreter"
    if path.suffix == ".pte":
        from executorch.kernels import quantized  # noqa: F401  (q/dq kernels the int8 program may call)
        from executorch.runtime import Runtime

        method = Runtime.get().load_program(path).load_method("forward")
        return [method.execute([x])[0] for x in held_out], f"executorch {version('executorch')} runtime"
    raise ValueError(f"no runtime here runs {path.suffix} files")
