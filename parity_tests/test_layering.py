"""The layering DESIGN.md promises, kept by reading every import of the source tree (in functions too).

- ``xport.spec`` imports nothing of xport;
- ``xport.efficient_ops`` never imports training or a backend;
- backends never import the public API (``xport.api`` and the facades above it);
- there are no import cycles between modules, also none hidden in a function-level import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Package → folder, as pyproject installs them (backends/ and efficient_ops/ live at the top of the repo).
ROOTS = {"xport": REPO / "xport", "xport.backends": REPO / "backends", "xport.efficient_ops": REPO / "efficient_ops"}
# The public API and the facades that import it (the top package re-exports everything).
PUBLIC_API = ("xport", "xport.api", "xport.packaging", "xport.benchmark", "xport.migration", "xport.validation",
              "xport.demo", "xport.cli")


def _modules() -> dict[str, Path]:
    found = {}
    for package, root in ROOTS.items():
        for path in root.rglob("*.py"):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([package, *parts])] = path
    return found


MODULES = _modules()


def _imports(module: str, path: Path) -> set[str]:
    """The xport modules ``module`` imports anywhere (``if TYPE_CHECKING:`` blocks aside: they never run)."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()

    def resolve(node: ast.ImportFrom) -> str | None:
        if not node.level:
            return node.module
        base = module.split(".")[:len(module.split(".")) - node.level + (1 if is_package else 0)]
        return ".".join(base + ([node.module] if node.module else []))

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                self.generic_visit(node)

        def visit_Import(self, node: ast.Import) -> None:
            found.update(alias.name for alias in node.names)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            base = resolve(node)
            if base:
                found.update(f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names)

    Visitor().visit(ast.parse(path.read_text()))
    return {m for m in found if m in MODULES and m != module}


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _violations(source: str, forbidden) -> list[str]:
    return [f"{m} imports {t}" for m, targets in GRAPH.items() if _under(m, source)
            for t in sorted(targets) if forbidden(t)]


def test_the_op_spec_imports_nothing_of_xport():
    assert _violations("xport.spec", lambda t: not _under(t, "xport.spec")) == []


def test_the_zoo_never_imports_training_or_a_backend():
    def forbidden(target: str) -> bool:
        return _under(target, "xport.training") or _under(target, "xport.backends")

    assert _violations("xport.efficient_ops", forbidden) == []


def test_backends_never_import_the_public_api():
    assert _violations("xport.backends", lambda t: t == "xport" or any(_under(t, p) for p in PUBLIC_API[1:])) == []


def _cycles() -> list[list[str]]:
    """Strongly connected groups of modules (Tarjan), leaving out the top package, which re-exports everything."""
    graph = {m: {t for t in ts if t != "xport"} for m, ts in GRAPH.items() if m != "xport"}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in graph:
        if v not in index:
            visit(v)
    return groups


def test_no_import_cycles():
    assert _cycles() == []


@pytest.mark.parametrize("package", ["xport.spec", "xport.backends.onnx"])
def test_the_checker_sees_imports(package):
    """The graph is not empty by accident: known imports are found."""
    assert GRAPH[package], package
