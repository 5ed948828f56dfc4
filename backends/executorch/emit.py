"""Planned ExportedProgram → ``<name>.pte`` (XNNPACK-delegated), ``<name>.delegation.json`` and
``<name>.selected_operators.yaml``.

ExecuTorch's own lowering does the work (:mod:`.lowering`), then ``to_executorch`` writes the program.

The manifest travels inside the ``.pte`` as a *constant method*: ExecuTorch stores a method that takes no
input and returns a string, which any ExecuTorch runtime can execute (``program.load_method("xport_manifest")``),
so ``xport.load`` needs nothing but the file. Its text includes the delegation summary, which is known only
after partitioning: the method is declared (empty) when lowering and filled in just before emission.

The manifest also records the file's SHA-256, which the runtime checks before ExecuTorch parses anything (see
:mod:`.pte_format` for why and how).

The delegation report lists every node left outside XNNPACK with XNNPACK's reason; ``strict=True`` turns any
such node into :class:`~xport.errors.UnsupportedOpError` (raised inside the staging folder, so no file is left).
``selected_operators.yaml`` is ExecuTorch's selective-build list of the portable kernels the program calls
(its ``gen_oplist``): an app links only those.
"""

from __future__ import annotations

import contextlib
import io
import logging
from dataclasses import replace
from pathlib import Path

from torch.export import ExportedProgram

from xport.artifact import Artifact, Manifest
from xport.emit_options import EmitOptions
from xport.errors import UnsupportedOpError, XportError

from . import BACKEND, NAME
from .channels_last_state import lower_stream
from .lowering import EdgeProgramManager, lower
from .memory_plan import stream_config
from .pte_format import CHECKSUM_KEY, CHECKSUM_PLACEHOLDER, MANIFEST_METHOD, seal

log = logging.getLogger("xport")


def _set_manifest(edge: EdgeProgramManager, manifest: Manifest) -> None:
    # EdgeProgramManager has no public setter for constant methods; to_executorch() reads this dict.
    methods = getattr(edge, "_config_methods", None)
    if not isinstance(methods, dict) or MANIFEST_METHOD not in methods:
        raise XportError("this ExecuTorch version keeps constant methods elsewhere, so xport cannot store its "
                         "manifest in the .pte; install the executorch version pinned in constraints.txt")
    methods[MANIFEST_METHOD] = manifest.to_json()


def _write_operator_list(pte: Path, out: Path) -> None:
    with BACKEND.quiet():
        from executorch.codegen.tools.gen_oplist import gen_oplist

        with contextlib.redirect_stdout(io.StringIO()):  # it prints every operator it finds
            gen_oplist(output_path=str(out), model_file_path=str(pte))
    # It records the file it read as debug info: name the artifact, not the staging folder it is written in.
    out.write_text(out.read_text().replace(str(pte), pte.name))


def emit(program: ExportedProgram, options: EmitOptions, out_dir: Path) -> Artifact:
    out_dir = Path(out_dir)
    path = out_dir / f"{options.name}.pte"
    report_path = out_dir / f"{options.name}.delegation.json"
    ops_path = out_dir / f"{options.name}.selected_operators.yaml"

    manifest, strict = options.manifest, options.settings["strict"]
    try:
        if "stream" in manifest.extra and options.precision != "int8":  # int8: the quantizer's graph, NCHW as it is
            edge, report, manifest = lower_stream(program, manifest, strict)
        else:
            edge, report = lower(program)
    except RuntimeError as exc:  # ExecuTorch's own lowering errors are bare RuntimeErrors
        raise XportError(f"ExecuTorch could not lower the program: {str(exc).splitlines()[0]}. Run `xport check` "
                         "for what each node lowers to; int8 programs need every quantized op delegated") from exc
    log.info("executorch: %s", report.brief())
    if strict and not report.fully_delegated:
        raise UnsupportedOpError(NAME, [p.as_unsupported(NAME) for p in report.portable])

    extra = {**manifest.extra, "delegation": report.summary(), CHECKSUM_KEY: CHECKSUM_PLACEHOLDER}
    _set_manifest(edge, replace(manifest, extra=extra))
    with BACKEND.quiet():
        try:
            data, checksum = seal(edge.to_executorch(stream_config() if "stream" in manifest.extra else None).buffer)
        except RuntimeError as exc:  # e.g. an op left outside XNNPACK with no portable kernel
            raise XportError(f"ExecuTorch could not build the program: {str(exc).splitlines()[0]}; "
                             f"delegation: {report.brief()}") from exc
    path.write_bytes(data)
    report_path.write_text(report.to_json() + "\n")
    _write_operator_list(path, ops_path)
    manifest = replace(manifest, extra={**extra, CHECKSUM_KEY: checksum})
    return Artifact(NAME, options.precision, path, (path, report_path, ops_path), manifest)
