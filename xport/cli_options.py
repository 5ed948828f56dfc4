"""Backend options as the command line gives them: ``--option KEY=VALUE``, repeatable.

``xport export`` has one backend, so every option is its own. ``xport package`` and ``xport validate`` export to
several: there an option goes to every one of those backends that declares the key (``xport backends`` lists
them), and a key none of them declares is an error naming which backend takes it. Backends share a key only
when it means the same thing (``decompose``), so one flag per key is enough.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from typing import Any

from . import backends as backend_registry
from .errors import XportError

OPTION_HELP = ("backend option KEY=VALUE (see `xport backends`), repeatable; it applies to every backend here that "
               "has KEY, e.g. minimum_deployment_target=iOS17 (coreml) or input_layout=NTHWC (tflite)")


def comma_list(values: Sequence[str]) -> list[str]:
    """Repeatable ``--flag a,b`` values as one list (``["a,b", "c"]`` → ``["a", "b", "c"]``)."""
    return [v.strip() for text in values for v in text.split(",") if v.strip()]


def parse_options(pairs: Sequence[str]) -> dict[str, Any]:
    """``key=value`` backend options; values are Python literals where they parse as one."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise XportError(f"--option '{pair}' is not KEY=VALUE (e.g. --option minimum_deployment_target=iOS17)")
        try:
            options[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            options[key] = value
    return options


def options_per_backend(pairs: Sequence[str], backends: Iterable[str]) -> dict[str, dict[str, Any]]:
    """backend → the options of ``pairs`` it declares; each key must be declared by at least one of ``backends``."""
    options = parse_options(pairs)
    names = list(backends)
    declared = {name: backend_registry.get(name).options for name in names}
    per_backend = {name: {k: v for k, v in options.items() if k in declared[name]} for name in names}
    for key in options:
        if not any(key in keys for keys in declared.values()):
            owners = [b.name for b in backend_registry.all_backends() if key in b.spec.options]
            where = f"only {', '.join(owners)} take(s) it" if owners else "no backend takes it (`xport backends`)"
            raise XportError(f"--option {key}: none of the backends here ({', '.join(names)}) has this option; "
                             f"{where}")
    return {name: opts for name, opts in per_backend.items() if opts}
