"""Print fnnet's internal imports, layer by layer, and any import that points up.

Run from the repository root: ``python scripts/import_graph.py``. Exit status 1
if a module imports one of a higher layer or the imports form a cycle. Every
``import`` and ``from ... import`` counts, including those inside functions.
The package root ``fnnet/__init__.py`` only re-exports, so it is left out.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "fnnet"

#: Lowest first. A module may import its own layer or lower ones, never higher.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("_validation", "_version"),
    ("params", "activations", "losses", "io"),
    ("network", "optim", "perceptron"),
    ("_run",),
    ("kernels",),
    ("train",),
    ("datasets", "data", "testing"),
    ("model",),
    ("settings",),
    ("fitting",),
    ("sweep",),
    ("cli", "sklearn"),
)


def module_name(path: Path) -> str:
    """``fnnet/data/table.py`` -> ``data.table``; an ``__init__`` is its package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """The fnnet modules that the file at ``path`` imports (names as above)."""
    here = module_name(path).split(".") if module_name(path) else []
    package = here if path.name == "__init__.py" else here[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name[6:] for a in node.names if a.name.startswith("fnnet.")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
            elif (node.module or "").split(".")[0] == "fnnet":
                base = []
            else:
                continue
            target = ".".join([*base, *([node.module] if node.module else [])])
            target = target.removeprefix("fnnet").removeprefix(".")
            # ``from pkg import name``: name may be a submodule; _known reduces it
            found |= {f"{target}.{a.name}".strip(".") for a in node.names}
    return {name for name in found if name and name != module_name(path)}


def graph() -> dict[str, set[str]]:
    """Every fnnet module (but the root) and the fnnet modules it imports."""
    modules = {module_name(p): p for p in sorted(ROOT.rglob("*.py")) if module_name(p)}
    return {
        name: {_known(i, modules) for i in imports_of(path)} - {""}
        for name, path in modules.items()
    }


def _known(name: str, modules: dict[str, Path]) -> str:
    """An imported name reduced to the module that holds it."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name


def layer(name: str) -> int:
    """The layer of a module, by its top-level name."""
    top = name.split(".")[0]
    for i, group in enumerate(LAYERS):
        if top in group:
            return i
    raise SystemExit(f"module {name} is in no layer: add it to LAYERS")


def upward(g: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Imports of a module of a higher layer."""
    return [(a, b) for a in sorted(g) for b in sorted(g[a]) if layer(b) > layer(a)]


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Import cycles between modules, each as a path that returns to its start."""
    found, state = [], dict.fromkeys(g, 0)

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(g[node]):
            if state[nxt] == 1:
                found.append([*path[path.index(nxt) :], nxt])
            elif state[nxt] == 0:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(g):
        if state[node] == 0:
            visit(node, [node])
    return found


def main() -> int:
    g = graph()
    for i in range(len(LAYERS)):
        for name in sorted(n for n in g if layer(n) == i):
            print(f"{i}  {name:<24} -> {', '.join(sorted(g[name])) or '-'}")
    bad, loops = upward(g), cycles(g)
    for a, b in bad:
        print(f"upward import: {a} (layer {layer(a)}) imports {b} (layer {layer(b)})")
    for loop in loops:
        print("cycle: " + " -> ".join(loop))
    print(f"{len(g)} modules, {len(bad)} upward imports, {len(loops)} cycles")
    return 1 if bad or loops else 0


if __name__ == "__main__":
    sys.exit(main())
