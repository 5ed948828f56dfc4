"""Progress lines for the minute-long cold setup and the emulator runs.

They go to the ``xport`` logger (the CLI shows it on stderr unless ``-q``; pytest captures it); a library
caller who configured no logging at all still sees them on stderr, since a silent minute looks like a hang.
"""

from __future__ import annotations

import logging
import sys
import time

log = logging.getLogger("xport.arm")
_START = time.monotonic()


def say(message: str) -> None:
    """Report one step of the ARM stage, with the seconds since the stage started."""
    line = f"[arm {time.monotonic() - _START:6.1f}s] {message}"
    if log.hasHandlers():
        log.info(line)
    else:
        print(f"xport: {line}", file=sys.stderr, flush=True)
