"""Runs ``.tflite`` files in the aarch64 LiteRT interpreter under emulation (imports only ai_edge_litert)."""


def run(path, samples, threads):
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
