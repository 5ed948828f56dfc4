"""What each app platform gets: where the files go, in which language the app code is, which backends.

A platform's facts (folder, language) live here; which backends an app on it can load, and how, is each backend's
own fact (``BACKEND.apps``, :class:`xport.backends.contract.AppRuntime`), read from the registry.
"""

from __future__ import annotations

from dataclasses import dataclass

from xport import backends as backend_registry
from xport.backends.contract import AppRuntime
from xport.errors import XportError


@dataclass(frozen=True)
class Platform:
    name: str
    title: str  # "Android" / "iOS"
    folder: str  # where the model files go inside the bundle (the folder an app copies as is)
    language: str  # the app code's language (the README's code fences)
    app_folder: str  # where the app keeps the folder

    def runtimes(self) -> dict[str, AppRuntime]:
        """backend → how an app on this platform loads its artifact, for every registered backend that has one."""
        return {b.name: b.spec.apps[self.name] for b in backend_registry.all_backends() if self.name in b.spec.apps}

    @property
    def allowed(self) -> tuple[str, ...]:
        return tuple(self.runtimes())

    @property
    def defaults(self) -> tuple[str, ...]:
        """Backends packaged when none are named, in their ``default_order``."""
        ranked = [(app.default_order, name) for name, app in self.runtimes().items() if app.default_order]
        return tuple(name for _, name in sorted(ranked))

    def runtime(self, backend: str) -> AppRuntime:
        return self.runtimes()[backend]


PLATFORMS: dict[str, Platform] = {
    "android": Platform("android", "Android", "assets", "kotlin", "app/src/main/assets/"),
    "ios": Platform("ios", "iOS", "Resources", "swift", "the Xcode target"),
}


def platform(name: str) -> Platform:
    if name not in PLATFORMS:
        raise XportError(f"unknown platform '{name}'; choose one of {', '.join(PLATFORMS)}")
    return PLATFORMS[name]


def backends_for(plat: Platform, backends: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """The backends to package (the platform's defaults when ``None``), checked against the platform."""
    names = list(plat.defaults) if backends is None else [backends] if isinstance(backends, str) else list(backends)
    wrong = [b for b in names if b not in plat.allowed]
    if wrong or not names:
        raise XportError(f"{plat.name} bundles take backends {', '.join(plat.allowed)}; "
                         f"got {', '.join(wrong) or 'none'}")
    return names
