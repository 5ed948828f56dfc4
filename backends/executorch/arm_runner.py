"""Runs ``.pte`` files in the aarch64 ExecuTorch runtime under emulation (imports only numpy, torch, executorch)."""

from pathlib import Path


def run(path, samples, threads):
    import json
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
    # Inputs taken in channels-last dim order (pte_format.CHANNELS_LAST_INPUTS, read here from the manifest method):
    # handed over as such, since ExecuTorch reads a tensor of the other order as if it were in the method's.
    manifest = json.loads(program.load_method("xport_manifest").call(())[0])
    channels_last = [spec["name"] in manifest["extra"].get("channels_last_inputs", ()) for spec in manifest["inputs"]]
    outs = []
    for inputs in samples:
        tensors = (torch.from_numpy(np.ascontiguousarray(x)) for x in inputs)
        result = forward(tuple(t.contiguous(memory_format=torch.channels_last) if last else t
                               for t, last in zip(tensors, channels_last)))
        outs.append([o.numpy().copy() for o in result])
    del program, data
    return outs, f"executorch {version('executorch')} (XNNPACK)"
