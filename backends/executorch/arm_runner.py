"""Runs ``.pte`` files in the aarch64 ExecuTorch runtime under emulation (imports only numpy, torch, executorch)."""

from pathlib import Path


def run(path, samples, threads):
    from importlib.metadata import version

    import numpy as np

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
