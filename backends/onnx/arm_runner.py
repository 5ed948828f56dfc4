"""Runs ``.onnx`` files in the aarch64 ONNX Runtime under emulation (the ARM stage copies nothing else of xport:
this file imports only onnxruntime)."""


def run(path, samples, threads):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    outs = [session.run(None, dict(zip(names, inputs))) for inputs in samples]
    return outs, f"onnxruntime {ort.__version__} (CPUExecutionProvider)"
