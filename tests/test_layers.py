"""The package's layers run one way: no import cycle, and no module imports from a layer above it.

Every import counts, those inside functions included (a lazy import is still a
dependency). Heavy third-party modules are the only ones imported lazily; that is a
matter of speed, not of layering, and is checked by tests/test_fast_start.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "symparams"

LAYERS = [  # lowest first; a module may import from its own layer or any layer below
    ("base", {"symbols", "errors", "format", "parse", "cache", "factoring", "cancelling", "limits", "silence"}),
    ("tree", {"components"}),
    ("spec", {"spec"}),
    ("configs", {"config"}),
    ("families", {"families"}),
    ("readings", {"breakdown", "analysis", "flops", "memory", "scaling", "compiled", "sweep", "verify",
                  "insights", "learn", "timing", "gpus", "parallel", "lawfit", "laws", "shapes"}),
    ("outputs", {"report", "latex", "plot", "display", "documents"}),
    ("catalog", {"catalog", "presets", "hub", "checkpoint", "checkpoint_files", "counting"}),
    ("face", {"cli", "__main__"}),
]


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ("symparams",) + path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, path in mods.items():
        package = m.split(".") if path.name == "__init__.py" else m.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package[: len(package) - (node.level - 1)]
                    base = ".".join(parts + ([base] if base else []))
                names = [base] + [f"{base}.{a.name}" for a in node.names]
            for target in names:
                if target in mods and target != m and not m.startswith(target + "."):
                    graph[m].add(target)
    return graph


def layer(module: str) -> int | None:
    parts = module.split(".")[1:]
    if not parts:
        return None
    for i, (_, names) in enumerate(LAYERS):
        if parts[0] in names:
            return i
    return None


def test_every_module_has_a_layer():
    """A new module must be placed in a layer, so that the check below covers it."""
    unplaced = sorted(m for m in modules() if m != "symparams" and layer(m) is None)
    assert not unplaced, f"modules in no layer: {unplaced}"


def test_no_module_imports_from_a_layer_above_it():
    graph = imports(modules())
    upward = sorted(f"{m} ({LAYERS[layer(m)][0]}) -> {t} ({LAYERS[layer(t)][0]})"
                    for m, targets in graph.items() for t in targets
                    if layer(m) is not None and layer(t) is not None and layer(t) > layer(m))
    assert not upward, "\n".join(upward)


def test_there_is_no_import_cycle():
    graph = imports(modules())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert not found, f"import cycles: {found}"


def test_the_check_sees_an_import_inside_a_function(tmp_path, monkeypatch):
    """The walker counts a function-level import: a check that missed them could not fail."""
    fake = tmp_path / "symparams"
    (fake / "spec").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "spec" / "__init__.py").write_text("def f():\n    from ..report import x\n")
    (fake / "report.py").write_text("x = 1\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", fake)
    graph = imports(modules())
    assert "symparams.report" in graph["symparams.spec"]
