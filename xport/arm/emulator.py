"""Run one batch of artifacts in the aarch64 runtimes under qemu-aarch64-static, for one core setting.

All artifacts of a run for one backend go to one emulator process per core setting: starting Python and importing
a runtime under emulation costs seconds (~6 s with torch for ExecuTorch), more than a small model's inference.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from xport.errors import BackendUnavailableError

from . import host
from .cores import Core
from .progress import say
from .sysroot import core_root, ensure_sysroot, python_in
from .wheels import ensure_site

RUNNER = Path(__file__).with_name("runner_script.py")
# Emulation is 50-250x slower than native; the limit only catches a hung emulator.
TIMEOUT_S = float(os.environ.get("XPORT_ARM_TIMEOUT", "1800"))


@dataclass(frozen=True)
class Environment:
    """A ready aarch64 environment: qemu, the sysroot and the site folder of runtimes, with their versions."""

    qemu: str
    sysroot: Path
    site: Path
    versions: dict[str, str]


def prepare() -> Environment:
    """Install the host tools and build (or reuse) the cached sysroot and runtimes."""
    tools = host.ensure_tools()
    sysroot = ensure_sysroot(tools)
    site, versions = ensure_site(sysroot)
    return Environment(tools["qemu-aarch64-static"], sysroot, site, versions)


@dataclass(frozen=True)
class ItemResult:
    """What the emulated runner reported for one artifact."""

    id: str
    ok: bool
    runtime: str
    error: str
    seconds: float


def run_batch(env: Environment, core: Core, items: list[dict], work: Path, threads: int = 1) -> dict[str, ItemResult]:
    """Run ``items`` (the runner's job entries) in one emulator process on ``core``; returns id -> result.

    Outputs land in each item's ``out_dir``. A crash of the whole emulator (a segfault in a runtime) marks every
    item that had not reported yet as failed with the emulator's last output.
    """
    work.mkdir(parents=True, exist_ok=True)
    job = work / "job.json"
    job.write_text(json.dumps({"threads": threads, "items": items}))
    results = work / "RESULTS.jsonl"
    results.unlink(missing_ok=True)
    script = work / RUNNER.name
    shutil.copyfile(RUNNER, script)
    root = core_root(env.sysroot, core)
    # ulimit -c 0: a crashed multithreaded guest can hang qemu while it dumps core. env -i: nothing of the host's
    # Python setup (PYTHONHOME, venv variables) may leak into the aarch64 interpreter.
    command = (f"ulimit -c 0; exec env -i PATH=/usr/bin:/bin PYTHONPATH={env.site} PYTHONDONTWRITEBYTECODE=1 "
               f"OMP_NUM_THREADS={threads} {env.qemu} -L {root} -cpu {core.qemu_cpu} {python_in(env.sysroot)} "
               f"{script} {job}")
    backends = ", ".join(dict.fromkeys(i["backend"] for i in items))
    say(f"{core.label}: {len(items)} {backends} artifact(s) in one emulated process (qemu -cpu {core.qemu_cpu})")
    start = time.monotonic()
    try:
        done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=TIMEOUT_S)
        tail, code = (done.stdout + done.stderr).strip().splitlines()[-6:], done.returncode
    except subprocess.TimeoutExpired as exc:
        tail, code = [f"timed out after {TIMEOUT_S:.0f} s (XPORT_ARM_TIMEOUT)", str(exc.stdout or "")[-300:]], -1
    say(f"{core.label}: finished in {time.monotonic() - start:.0f} s")
    reported: dict[str, ItemResult] = {}
    if results.is_file():
        for line in results.read_text().splitlines():
            r = json.loads(line)
            reported[r["id"]] = ItemResult(r["id"], r["ok"], r["runtime"], r["error"], r["seconds"])
    if code != 0 and not reported and not Path(env.qemu).exists():
        raise BackendUnavailableError(f"{env.qemu} is missing; reinstall qemu-user-static")
    for item in items:
        if item["id"] not in reported:
            reported[item["id"]] = ItemResult(item["id"], False, "", f"emulator exited with {code} before "
                                              f"reporting: " + " | ".join(tail), 0.0)
    return reported
