"""What an xport ``.ptl`` holds besides the model: its manifest, and the checksum of everything in the file.

A ``.ptl`` is a zip archive whose entries sit under one folder named after the file; the manifest is the extra
file ``<folder>/extra/xport.json``. torch's reader skips the zip CRCs, so a flipped byte in a weight loads and
silently changes the outputs. The manifest therefore records the SHA-256 of every entry (name and bytes, in name
order, the manifest itself with that record set to ``0``: :mod:`xport.backends.checksum`), checked before the
lite interpreter opens the file. The entry ``.data/serialization_id`` is left out: torch writes a new random id
on every save, and the file is saved at least twice (once to measure, then with the checksum).
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

from xport.artifact import MANIFEST_KEY, Manifest
from xport.backends import checksum
from xport.errors import ModelFormatError

CHECKSUM_KEY = "ptl_sha256"  # in manifest.extra
_UNHASHED = (".data/serialization_id",)
_REEXPORT = "the file is truncated or corrupt; export it again"


def _manifest_entry(archive: zipfile.ZipFile) -> str | None:
    return next((n for n in archive.namelist() if n.endswith(f"/extra/{MANIFEST_KEY}")), None)


def entries_digest(archive: zipfile.ZipFile) -> str:
    """SHA-256 over the archive's entries (see the module docstring); zipfile checks each entry's CRC on reading."""
    manifest_entry = _manifest_entry(archive)
    digest = hashlib.sha256()
    for name in sorted(archive.namelist()):
        inner = name.partition("/")[2]  # without the folder named after the file: renaming keeps the checksum
        if inner in _UNHASHED:
            continue
        data = archive.read(name)
        if name == manifest_entry:
            data = checksum.blanked(data, CHECKSUM_KEY)
        digest.update(f"{inner}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def read_manifest(path: Path) -> Manifest | None:
    """The manifest inside a ``.ptl`` after checking its checksum (None for a file xport did not write).

    Manifests written before xport recorded a checksum load unchecked; corrupt archives raise ModelFormatError.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            entry = _manifest_entry(archive)
            if entry is None:
                return None
            manifest = Manifest.from_json(archive.read(entry).decode())
            recorded = manifest.extra.get(CHECKSUM_KEY)
            if recorded is not None and entries_digest(archive) != recorded:
                raise ModelFormatError(path, checksum.CORRUPT, checksum.REEXPORT)
            return manifest
    except zipfile.BadZipFile as exc:
        if "CRC" in str(exc):  # an entry's bytes changed after torch wrote it
            raise ModelFormatError(path, f"{checksum.CORRUPT} ({exc})", checksum.REEXPORT) from exc
        raise ModelFormatError(path, f"not a valid lite-interpreter archive ({exc})", _REEXPORT) from exc
    except (OSError, EOFError, ValueError, KeyError) as exc:
        raise ModelFormatError(path, f"not a valid lite-interpreter archive ({exc})", _REEXPORT) from exc


def file_digest(path: Path) -> str:
    """The checksum of the ``.ptl`` at ``path`` as :func:`read_manifest` computes it."""
    with zipfile.ZipFile(path) as archive:
        return entries_digest(archive)
