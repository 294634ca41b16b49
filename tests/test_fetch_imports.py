"""The fetch package has no import cycles (module-level or inside functions)."""

from __future__ import annotations

import ast
from pathlib import Path

FETCH = Path(__file__).resolve().parents[1] / "fetch"


def _edges() -> list[tuple[str, str]]:
    mods = {p.stem for p in FETCH.glob("*.py")}
    edges = []
    for p in FETCH.glob("*.py"):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level == 1 and node.module:  # from .x import y
                    target = node.module.split(".")[0]
                elif node.level == 1:  # from . import x
                    targets = [a.name for a in node.names]
                    edges += [(p.stem, t) for t in targets if t in mods]
                    continue
                elif node.module and node.module.startswith("fetch."):
                    target = node.module.split(".")[1]
                else:
                    continue
                if target in mods:
                    edges.append((p.stem, target))
    return edges


def _cycle(edges: list[tuple[str, str]]) -> list[str] | None:
    """One import cycle as a path of modules, or None (depth-first search)."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
    state: dict[str, int] = {}  # 1 on the stack, 2 done

    def visit(n: str, path: list[str]) -> list[str] | None:
        state[n] = 1
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return path[path.index(m):] + [m] if m in path else [n, m]
            if m not in state:
                found = visit(m, path + [m])
                if found:
                    return found
        state[n] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return None


def test_cycle_finder_finds_a_cycle():
    assert _cycle([("a", "b"), ("b", "c"), ("c", "a")]) == ["a", "b", "c", "a"]
    assert _cycle([("a", "b"), ("b", "c")]) is None


def test_fetch_has_no_import_cycles():
    cycle = _cycle(_edges())
    assert cycle is None, f"import cycle inside fetch/: {' -> '.join(cycle)}"


def test_leaf_modules_stay_leaves():
    """snapshot, triage and suggestions are data modules: they import no view or runner."""
    out = {}
    for a, b in _edges():
        out.setdefault(a, set()).add(b)
    for leaf in ("snapshot", "triage", "suggestions"):
        assert not out.get(leaf, set()) & {"view", "suggest", "pipeline", "cli"}, leaf
