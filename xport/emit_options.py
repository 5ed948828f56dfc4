"""What the core hands a backend's ``emit``: precision, file stem, manifest and backend settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .artifact import Manifest
from .errors import XportError


@dataclass(frozen=True)
class EmitOptions:
    precision: str
    name: str
    manifest: Manifest
    settings: Mapping[str, Any] = field(default_factory=dict)


def resolve_settings(backend: str, declared: Mapping[str, tuple[Any, str]], given: Mapping[str, Any]) -> dict:
    """Backend defaults overlaid with the user's options; an unknown option is an error that lists the known."""
    unknown = sorted(set(given) - set(declared))
    if unknown:
        known = ", ".join(f"{k} ({doc})" for k, (_, doc) in declared.items()) or "none"
        raise XportError(f"unknown option(s) {unknown} for backend '{backend}'; it accepts: {known}")
    return {k: given.get(k, default) for k, (default, _doc) in declared.items()}
