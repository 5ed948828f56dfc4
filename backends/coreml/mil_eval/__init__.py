"""xport's MIL evaluator: runs a saved ML Program (``.mlpackage``) where Core ML's ``predict`` does not exist.

:func:`load_program` reads the program protobuf and weight blobs into a :class:`Program`; :class:`Evaluator`
interprets it op by op (torch on the CPU as its math library), emulating fp16 where the program computes in it.
"""

from .evaluator import Evaluator, UnknownOpsError
from .kernels import KERNELS
from .program import Program, load_program
from .values import ProgramError

__all__ = ["Evaluator", "KERNELS", "Program", "ProgramError", "UnknownOpsError", "load_program"]
