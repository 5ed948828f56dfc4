"""What an xport ``.pte`` holds besides the model, and the checks made before ExecuTorch's runtime reads one.

The manifest is the string returned by the program's constant method ``xport_manifest``; the delegate is XNNPACK.
The manifest records the SHA-256 of the whole file (:mod:`xport.backends.checksum`), so the file can be checked
without parsing it.

Why check in Python first: ExecuTorch's Python bindings forward the runtime's log lines to Python, and a log line
holding non-UTF-8 bytes aborts the whole process (measured with executorch 1.5.1). Damaged file identifiers and
damaged XNNPACK blobs are logged byte for byte, so a flipped byte could kill the caller instead of raising; other
flipped bytes (weights, kernel arguments) pass every format check and silently change the outputs. The checksum
catches both before the runtime sees the file.

Header layout (``schema/extended_header.h``): a flatbuffer root offset (4 bytes), the file identifier ``ET`` + two
digits, then, in programs with segments, the extended header: magic ``eh00``, header length (u32), program size
(u64), segment base offset (u64) and, when the header is long enough, segment data size (u64); little-endian.
"""

from __future__ import annotations

import re
from pathlib import Path

from xport.backends import checksum
from xport.errors import ModelFormatError

MANIFEST_METHOD = "xport_manifest"
# manifest.extra key: the inputs the program takes in channels-last dim order (a stream's state, channels_last_state.py)
CHANNELS_LAST_INPUTS = "channels_last_inputs"
DELEGATE = "XnnpackBackend"
CHECKSUM_KEY = "pte_sha256"  # in manifest.extra
CHECKSUM_PLACEHOLDER = checksum.PLACEHOLDER

_HEAD_BYTES = 40
_IDENTIFIER = re.compile(rb"ET\d\d")
_EXTENDED_MAGIC = b"eh00"
_MIN_HEADER_LENGTH = 24  # magic, length, program size, segment base offset
_REEXPORT = "the file is truncated or corrupt; export it again"


def _u(data: bytes, start: int, size: int) -> int:
    return int.from_bytes(data[start:start + size], "little")


def check_header(data: bytes, path: Path | str) -> None:
    """ModelFormatError unless ``data`` starts like a complete ExecuTorch program."""
    if len(data) < _HEAD_BYTES:
        raise ModelFormatError(path, f"only {len(data)} bytes, too short for an ExecuTorch program", _REEXPORT)
    if not _IDENTIFIER.fullmatch(data[4:8]):
        raise ModelFormatError(path, "not an ExecuTorch program (no 'ETnn' file identifier)", _REEXPORT)
    if data[8:12] != _EXTENDED_MAGIC:
        return  # programs without segments (nothing delegated, no constants) have no extended header
    length = _u(data, 12, 4)
    if length < _MIN_HEADER_LENGTH:
        raise ModelFormatError(path, "the ExecuTorch extended header is damaged", _REEXPORT)
    program_size, segment_base = _u(data, 16, 8), _u(data, 24, 8)
    segment_size = _u(data, 32, 8) if length > _MIN_HEADER_LENGTH else 0
    expected = segment_base + segment_size if segment_base else program_size
    if len(data) < expected:
        raise ModelFormatError(path, f"truncated: {len(data)} bytes, its header says {expected}", _REEXPORT)


def seal(data: bytes) -> tuple[bytes, str]:
    """Write the file's checksum over the placeholder in its manifest; return the sealed bytes and the checksum."""
    return checksum.seal(data, CHECKSUM_KEY)


def check_checksum(data: bytes, path: Path | str) -> None:
    """ModelFormatError unless ``data`` hashes to the checksum its manifest records."""
    checksum.check(data, CHECKSUM_KEY, path)
