"""A file's SHA-256 recorded inside the file itself, in its xport manifest (``.pte``, ``.tflite``, ``.ptl``).

The manifest holds ``"<key>": "<64 hex digits>"``; the digest is computed over the bytes with those 64 digits set
to ``0`` (the way checksums inside headers work), so the file is checked without parsing it. A flipped byte in a
weight passes every format check and silently changes the outputs; this catches it before the runtime runs it.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from xport.errors import ModelFormatError

PLACEHOLDER = "0" * 64
CORRUPT = "its bytes do not match the checksum recorded at export: the file is corrupt or modified"
REEXPORT = "export it again (copy model files as binary)"


def _pattern(key: str) -> re.Pattern[bytes]:
    return re.compile(rb'"' + re.escape(key.encode()) + rb'":\s*"([0-9a-f]{64})"')


def blanked(data: bytes, key: str) -> bytes:
    """``data`` with the checksum recorded under ``key`` set back to the placeholder (what the digest covers)."""
    return _pattern(key).sub(b'"' + key.encode() + b'": "' + PLACEHOLDER.encode() + b'"', data)


def _digest(data: bytes, span: tuple[int, int]) -> str:
    start, end = span
    return hashlib.sha256(b"".join((data[:start], PLACEHOLDER.encode(), data[end:]))).hexdigest()


def seal(data: bytes, key: str) -> tuple[bytes, str]:
    """Write the checksum of ``data`` over the placeholder recorded under ``key``; return the bytes and checksum."""
    found = [m for m in _pattern(key).finditer(data) if m.group(1) == PLACEHOLDER.encode()]
    if len(found) != 1:
        raise ValueError(f"expected one '{key}' checksum placeholder in the serialized file, found {len(found)}")
    span = found[0].span(1)
    digest = _digest(data, span)
    return data[:span[0]] + digest.encode() + data[span[1]:], digest


def check(data: bytes, key: str, path: Path | str, required: bool = True) -> bool:
    """ModelFormatError unless ``data`` hashes to the checksum it records under ``key``.

    Without a recorded checksum: an error if ``required``, else False (files written before xport recorded one).
    """
    found = list(_pattern(key).finditer(data))
    if not found and not required:
        return False
    if len(found) != 1:
        raise ModelFormatError(path, "no xport checksum inside (not written by xport, or damaged)",
                               "export it with xport, or export it again")
    if _digest(data, found[0].span(1)) != found[0].group(1).decode():
        raise ModelFormatError(path, CORRUPT, REEXPORT)
    return True
