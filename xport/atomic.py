"""Atomic artifact output: write into a staging folder, move into place only when everything succeeded.

A failed export leaves neither a half-written file nor a stray staging folder behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputDirError, pass_as


def prepare_output_dir(output_dir: Path | str, overwrite: bool) -> Path:
    """Validate ``output_dir`` before any work is done; create its parent if needed."""
    out = Path(output_dir)
    if out.exists() and not out.is_dir():
        raise OutputDirError(f"{out} exists and is not a directory; choose a directory path")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        names = sorted(p.name for p in out.iterdir())
        shown = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
        raise OutputDirError(f"{out} is not empty ({shown}); pass {pass_as('overwrite=True', '--overwrite')} to "
                             "replace files of the same name, or choose an empty directory")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputDirError(f"cannot create {out.parent}: {exc.strerror}") from exc
    writable_dir = out if out.is_dir() else out.parent
    if not os.access(writable_dir, os.W_OK):
        raise OutputDirError(f"{writable_dir} is not writable; choose another output directory")
    return out


@contextlib.contextmanager
def staged_output(output_dir: Path | str, overwrite: bool = False) -> Iterator[Path]:
    """Yield an empty staging folder beside ``output_dir``; on success move its files into ``output_dir``."""
    out = prepare_output_dir(output_dir, overwrite)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.xport-staging-", dir=out.parent))
    try:
        yield stage
        out.mkdir(exist_ok=True)
        for item in sorted(stage.iterdir()):
            target = out / item.name
            if target.is_dir() and not item.is_dir():
                raise OutputDirError(f"{target} is a directory; cannot replace it with a file")
            if target.is_dir():
                shutil.rmtree(target)
            os.replace(item, target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
