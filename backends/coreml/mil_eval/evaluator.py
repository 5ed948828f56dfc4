"""Interpret an ML Program op by op, with fp16 emulated where the program computes in fp16.

Values live as torch tensors: every floating-point value as float32, and an op whose output type is fp16 has its
result rounded to fp16 (``x.half().float()``): each fp16 op sees inputs on the fp16 grid and yields one rounding
per op, as fp16 hardware does when it accumulates in higher precision (GPU); the Neural Engine, which may
accumulate in fp16 too, can differ more. ``const`` and ``constexpr_*`` ops run once, when the program is opened.
Every op type needs a kernel: a program with any other op is refused when it is opened, naming the ops, so
nothing is ever skipped.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

from .kernels import KERNELS, Args
from .kernels.args import KernelError
from .program import Op, Program
from .values import DTYPES, MIL_pb2, ProgramError, dtype_name

_FLOATS = {MIL_pb2.DataType.FLOAT16, MIL_pb2.DataType.FLOAT32, MIL_pb2.DataType.FLOAT64}


class UnknownOpsError(ProgramError):
    """The program uses op types the evaluator has no kernel for."""

    def __init__(self, ops: list[Op]):
        self.ops = ops
        names = ", ".join(f"'{op.type}' (op '{op.name}')" for op in ops[:10])
        super().__init__(f"xport's MIL evaluator has no kernel for {names}{' ...' if len(ops) > 10 else ''}")


def as_tensor(value) -> torch.Tensor | str:
    """A decoded constant as the evaluator holds it (float32 for every float, int64 for wide unsigned ints)."""
    if isinstance(value, str) or (isinstance(value, np.ndarray) and value.dtype == object):
        return value if isinstance(value, str) else value.tolist()
    array = np.asarray(value)
    if array.dtype.kind == "f":
        return torch.from_numpy(array.astype(np.float32))
    if array.dtype in (np.uint16, np.uint32, np.uint64):
        return torch.from_numpy(array.astype(np.int64))
    return torch.from_numpy(array.copy())  # (ascontiguousarray would turn a scalar into shape [1])


def conform(value: torch.Tensor, declared, op: Op) -> torch.Tensor:
    """``value`` in the declared type of an op output; rounds fp16 outputs; checks the declared shape."""
    if not isinstance(value, torch.Tensor):
        value = torch.as_tensor(value)
    if tuple(value.shape) != declared.shape:
        raise ProgramError(f"op '{op.name}' ({op.type}) computed shape {list(value.shape)}, the program declares "
                           f"{list(declared.shape)}")
    if declared.dtype == MIL_pb2.DataType.FLOAT16:
        return value.to(torch.float32).to(torch.float16).to(torch.float32)
    if declared.dtype in _FLOATS:
        return value.to(torch.float32)
    if declared.dtype == MIL_pb2.DataType.BOOL:
        return value.to(torch.bool)
    if declared.dtype not in DTYPES:
        raise ProgramError(f"op '{op.name}' yields {dtype_name(declared.dtype)}, which the evaluator cannot hold")
    return value if not value.is_floating_point() else value.to(torch.int64)


class Evaluator:
    """A loaded program, ready to run: its constants expanded once, every op type checked against the kernels."""

    def __init__(self, program: Program):
        unknown = [op for op in program.ops if op.type not in KERNELS and op.type != "const"]
        if unknown:
            raise UnknownOpsError(unknown)
        self.program = program
        self.constants: dict[str, torch.Tensor] = {}
        self._ops: list[Op] = []
        for op in program.ops:
            if op.type == "const":
                (out,) = op.outputs
                if "val" not in op.attributes:
                    raise ProgramError(f"const '{op.name}' has no value")
                value = as_tensor(op.attributes["val"])
                self.constants[out.name] = conform(value, out, op) if isinstance(value, torch.Tensor) else value
            elif op.type.startswith("constexpr_"):
                self._run_op(op, self.constants)
            else:
                self._ops.append(op)

    def _run_op(self, op: Op, env: dict) -> None:
        values = {param: [env[b.name] if b.name is not None else as_tensor(b.value) for b in bindings]
                  for param, bindings in op.inputs.items()}
        try:
            result = KERNELS[op.type](Args(op, values))
        except (RuntimeError, IndexError, TypeError, ValueError) as exc:
            if isinstance(exc, (KernelError, ProgramError)):
                raise
            raise ProgramError(f"op '{op.name}' ({op.type}) failed: {str(exc).splitlines()[0][:300]}") from exc
        results = result if isinstance(result, (list, tuple)) else [result]
        if len(results) != len(op.outputs):
            raise ProgramError(f"op '{op.name}' ({op.type}) yields {len(results)} values, declares {len(op.outputs)}")
        for declared, value in zip(op.outputs, results):
            env[declared.name] = conform(value, declared, op)

    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The program's outputs (NumPy arrays, float32 for floats) for inputs named as the program names them."""
        env: dict = dict(self.constants)
        for spec in self.program.inputs:
            value = torch.from_numpy(np.array(feeds[spec.name], copy=True))
            env[spec.name] = conform(value, spec, Op("input", {}, [spec]))
        with torch.no_grad():
            for op in self._ops:
                self._run_op(op, env)
        return {name: env[name].numpy() for name in self.program.outputs}
