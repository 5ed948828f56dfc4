"""Stub shared objects for the CUDA libraries that the aarch64 torch wheel's CPU libraries name.

PyPI's aarch64 torch is a CUDA build: libtorch_cpu.so and libtorch_python.so list libcudart, libcupti, libcudnn,
libtorch_cuda ... as NEEDED, and refer to some of their symbols with version tags, which the dynamic loader
checks when it loads them. ExecuTorch never calls into CUDA, so each missing library is replaced by a stub
defining exactly the versioned symbols asked of it (as no-op functions or zeroed data), linked with aarch64
binutils. Unversioned references are left to lazy binding: they are only resolved if called, and never are.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path

from .host import which
from .progress import say

# the folders the guest's loader searches, inside the sysroot
SYSTEM_LIB_DIRS = ("lib/aarch64-linux-gnu", "usr/lib/aarch64-linux-gnu", "lib", "usr/lib")


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def _elf_files(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.so*") if p.is_file() and p.read_bytes()[:4] == b"\x7fELF")


def _needed(path: Path) -> list[str]:
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", _run("readelf", "-d", "-W", str(path)))


def _version_files(path: Path) -> dict[str, str]:
    """version name -> the library file that must define it (from the .gnu.version_r section)."""
    out, current = {}, None
    for line in _run("readelf", "-V", "-W", str(path)).splitlines():
        file_match = re.search(r"File: (\S+)", line)
        if file_match:
            current = file_match.group(1)
            continue
        name_match = re.search(r"Name: (\S+)", line)
        if name_match and current:
            out[name_match.group(1)] = current
    return out


def _dynamic_symbols(path: Path) -> tuple[list[tuple[str, str, str, int]], set[str]]:
    """The undefined dynamic symbols of ``path`` as (symbol, version or "", type, size), and its defined ones."""
    undefined, defined = [], set()
    for line in _run("readelf", "--dyn-syms", "-W", str(path)).splitlines():
        parts = line.split()
        if len(parts) < 8 or not parts[0].rstrip(":").isdigit():
            continue
        symbol, _, ver = parts[7].partition("@")
        if parts[6] == "UND":
            if symbol and parts[4] != "WEAK":
                undefined.append((symbol, ver.lstrip("@"), parts[3], int(parts[2]) if parts[2].isdigit() else 0))
        else:
            defined.add(symbol)
    return undefined, defined


def missing_libraries(site: Path, sysroot: Path) -> dict[str, list[Path]]:
    """NEEDED library name -> the ELF files needing it, for names found neither in ``site`` nor the sysroot."""
    present = {p.name for p in site.rglob("*.so*")}
    for folder in SYSTEM_LIB_DIRS:
        if (sysroot / folder).is_dir():
            present.update(p.name for p in (sysroot / folder).iterdir())
    missing: dict[str, list[Path]] = defaultdict(list)
    for elf in _elf_files(site):
        for name in _needed(elf):
            if name not in present:
                missing[name].append(elf)
    return dict(missing)


def _system_libraries(sysroot: Path) -> list[Path]:
    """The sysroot's C and C++ runtime libraries (what torch's unversioned references may also resolve to)."""
    names = ("libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1", "libgomp.so.1", "libatomic.so.1")
    found = []
    for folder in SYSTEM_LIB_DIRS:
        found += [sysroot / folder / n for n in names if (sysroot / folder / n).is_file()]
    return found


def write_stubs(site: Path, sysroot: Path) -> list[str]:
    """Link a stub into ``site/torch/lib`` for every library the unpacked wheels need but nobody ships."""
    missing = missing_libraries(site, sysroot)
    if not missing:
        return []
    say(f"linking {len(missing)} stub CUDA libraries: {', '.join(sorted(missing))}")
    # library -> version ("" for none) -> {symbol: (type, size)}
    wanted: dict[str, dict[str, dict[str, tuple[str, int]]]] = {name: defaultdict(dict) for name in missing}
    symbols = {elf: _dynamic_symbols(elf) for elf in _elf_files(site)}
    defined = set().union(*(d for _, d in symbols.values()))
    for lib in _system_libraries(sysroot):
        defined |= _dynamic_symbols(lib)[1]
    unversioned_home = min(missing)  # lookups search every loaded library, so any stub can define them
    for elf in {e for users in missing.values() for e in users}:
        files = _version_files(elf)
        for symbol, ver, kind, size in symbols[elf][0]:
            owner = files.get(ver) if ver else None
            if owner in wanted:
                wanted[owner][ver][symbol] = (kind, size)
            elif not ver and symbol not in defined:
                # Data (typeinfo, vtables) is bound at load time, unlike functions: it must exist somewhere.
                wanted[unversioned_home][""][symbol] = (kind, size)
    target = site / "torch" / "lib"
    with tempfile.TemporaryDirectory() as tmp:
        for name, versions in wanted.items():
            asm, script = [], []
            for ver, symbols in sorted(versions.items()):
                for symbol, (kind, size) in sorted(symbols.items()):
                    if kind == "OBJECT" and symbol.startswith("_ZTI"):
                        # A std::type_info that pybind11 hashes by name when it registers a (CUDA) class binding.
                        asm += [".data", ".balign 8", f'.globl "{symbol}"', f'.type "{symbol}", %object',
                                f'.size "{symbol}", 16', f'"{symbol}":',
                                ".quad _ZTVN10__cxxabiv117__class_type_infoE+16", f'.quad "{symbol}.name"',
                                ".section .rodata", f'"{symbol}.name":', f'.asciz "{symbol[4:]}"']
                    elif kind == "OBJECT":
                        asm += [".data", f'.globl "{symbol}"', f'.type "{symbol}", %object',
                                f'.size "{symbol}", {max(size, 64)}', f'"{symbol}":', f".zero {max(size, 64)}"]
                    else:
                        # Returns a pointer to zeroed scratch memory: some static initialisers store through
                        # what an accessor returns (``c10d::get_gil_checker() = ...``), and 0 would crash them.
                        asm += [".text", f'.globl "{symbol}"', f'.type "{symbol}", %function', f'"{symbol}":',
                                "adrp x0, xport_stub_scratch", "add x0, x0, :lo12:xport_stub_scratch", "ret"]
                if ver:
                    names = " ".join(f'"{s}";' for s in sorted(symbols))
                    script.append(f"{ver} {{ global: {names} }};")
            source, obj, vmap = Path(tmp, f"{name}.s"), Path(tmp, f"{name}.o"), Path(tmp, f"{name}.map")
            asm += [".bss", ".balign 16", "xport_stub_scratch:", ".zero 65536"]
            source.write_text("\n".join(asm) + "\n")
            vmap.write_text("\n".join(script) + "\n")
            _run(which("aarch64-linux-gnu-as") or "aarch64-linux-gnu-as", "-o", str(obj), str(source))
            link = [which("aarch64-linux-gnu-ld") or "aarch64-linux-gnu-ld", "-shared", "-soname", name,
                    "-o", str(target / name), str(obj)]
            if script:
                link[1:1] = ["--version-script", str(vmap)]
            _run(*link)
    return sorted(missing)
