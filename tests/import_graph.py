"""The package's import graph: its edges, its cycles and the layer rules it must keep.

Run ``python tests/import_graph.py [PACKAGE_DIR]`` to print the graph's size,
every cycle, every import that breaks a layer rule and every function-local
import of the package; ``tests/test_architecture.py`` fails on any of them.
Imports are read from the source (``ast``), top-level and function-local alike.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

#: Layers from the top down: a module may import its own layer's modules and those below, never above.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("pipeline.__main__",),
    ("pipeline.bench", "pipeline.stages"),
    ("pipeline.stances",),
    ("pipeline.tracking",),
    ("pipeline.models", "pipeline.frontend", "pipeline.corpora"),
    ("pipeline.core",),
)

#: Packages of one layer that must not import each other (independent concerns).
INDEPENDENT: tuple[tuple[str, str], ...] = (
    ("pipeline.models", "pipeline.frontend"), ("pipeline.models", "pipeline.corpora"),
    ("pipeline.frontend", "pipeline.corpora"), ("pipeline.bench", "pipeline.stages"),
)


@dataclass(frozen=True)
class Import:
    """One import of a package module by another."""

    importer: str
    imported: str
    line: int
    local: bool  # inside a function or method


def module_names(package_dir: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module under the package folder."""
    root = package_dir.parent
    names = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _resolve(target: str, names: dict[str, Path]) -> str | None:
    """The package module an imported name lives in (the longest known prefix)."""
    parts = target.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in names:
            return candidate
    return None


def imports_of(module: str, path: Path, names: dict[str, Path]) -> list[Import]:
    """The package imports one module makes, with their lines and whether they are function-local."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = names and module.split(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, local: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = local or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            targets: list[str] = []
            if isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                targets = [f"{child.module}.{alias.name}" for alias in child.names]
            for target in targets:
                if target.split(".")[0] != package:
                    continue
                resolved = _resolve(target, names)
                if resolved and resolved != module:
                    found.append(Import(module, resolved, child.lineno, local))
            visit(child, inner)

    visit(tree, False)
    return found


def graph(package_dir: Path) -> list[Import]:
    """Every package import of every module (duplicates of an edge kept: one per statement)."""
    names = module_names(package_dir)
    return [found for module, path in names.items() for found in imports_of(module, path, names)]


def edges(imports: list[Import]) -> set[tuple[str, str]]:
    """Distinct (importer, imported) module pairs."""
    return {(i.importer, i.imported) for i in imports}


def cycles(edge_set: set[tuple[str, str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    nodes = sorted({n for edge in edge_set for n in edge})
    successors: dict[str, list[str]] = {n: [] for n in nodes}
    for source, target in edge_set:
        successors[source].append(target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in successors[node]:
            if successor not in index:
                connect(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(nodes) + 100))
    for node in nodes:
        if node not in index:
            connect(node)
    return sorted(groups)


def layer_of(module: str) -> int | None:
    """The layer index of a module (0 is the top), or None for the package root."""
    for depth, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return depth
    return None


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def layer_violations(imports: list[Import]) -> list[Import]:
    """Imports of a higher layer by a lower one, or between independent packages of one layer."""
    bad = []
    for found in imports:
        importer, imported = layer_of(found.importer), layer_of(found.imported)
        if importer is None or imported is None:
            continue
        upward = imported < importer
        sideways = any((_within(found.importer, a) and _within(found.imported, b)) or
                       (_within(found.importer, b) and _within(found.imported, a)) for a, b in INDEPENDENT)
        if upward or sideways:
            bad.append(found)
    return bad


#: Third-party packages only some modules may import, and where: (package, the modules allowed, whether at
#: the top of the module too). Ray may be imported only inside the Ray engine's functions, so that the
#: local engine, which imports that module, never loads it.
RESTRICTED: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("ray", ("pipeline.stances.ray_engine",), False),
)


def external_imports(module: str, path: Path) -> list[tuple[str, int, bool]]:
    """(top-level package, line, function-local) of every import of a module outside the package."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module.split(".")[0]
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, local: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = local or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                names = [child.module]
            found.extend((n.split(".")[0], child.lineno, local) for n in names if n.split(".")[0] != package)
            visit(child, inner)

    visit(tree, False)
    return found


def restricted_imports(package_dir: Path) -> list[str]:
    """Imports of a restricted third-party package (:data:`RESTRICTED`) where it is not allowed."""
    bad = []
    for module, path in module_names(package_dir).items():
        for name, line, local in external_imports(module, path):
            for restricted, allowed, top_level in RESTRICTED:
                if name == restricted and (module not in allowed or (not local and not top_level)):
                    bad.append(f"{module}:{line} imports {name}{'' if local else ' at the top'}")
    return bad


def report(package_dir: Path) -> str:
    """The graph's size, its cycles, layer violations and function-local imports, as text."""
    imports = graph(package_dir)
    edge_set = edges(imports)
    found_cycles = cycles(edge_set)
    violations = layer_violations(imports)
    local = [i for i in imports if i.local]
    lines = [f"{package_dir}: {len(module_names(package_dir))} modules, {len(edge_set)} import edges, "
             f"{len(found_cycles)} cycles, {len(violations)} layer violations, {len(local)} function-local imports"]
    lines += [f"cycle: {' <-> '.join(group)}" for group in found_cycles]
    lines += [f"layer: {i.importer}:{i.line} imports {i.imported}" for i in violations]
    lines += [f"local: {i.importer}:{i.line} imports {i.imported}" for i in local]
    lines += [f"restricted: {offence}" for offence in restricted_imports(package_dir)]
    return "\n".join(lines)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "pipeline"
    print(report(target))
