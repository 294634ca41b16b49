"""What decides a run's result, hashed, so `--if-changed` reruns only what could change.

A run's fingerprint covers: the claim's experiment block (parameters, budget,
rule), the run parameters, the model and its exact version (GGUF sha256 for
local models), the source of every codegap module the check imports (followed
transitively through the import statements, including the model layer and the
sandbox), and the installed version of every third-party distribution those
modules import (torch included where a check trains a model). Editing a book
page, a test or another check changes nothing here, so nothing reruns.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import importlib.util
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from codegap.paths import REPO

#: Our own top-level packages: followed into their source files.
OWN = ("codegap", "fetch")
#: What turns any check's samples into metrics and a verdict (part of every run's identity).
RUN_PATH = ("codegap.evaluation",)


def _module_file(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin in (None, "built-in", "frozen"):
        return None
    return Path(spec.origin)


def _imports(path: Path, module: str) -> set[str]:
    """Absolute names imported anywhere in a module (inside functions too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_pkg = path.name == "__init__.py"
    package = module if is_pkg else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)  # `from pkg import module`
    return out


@lru_cache(maxsize=None)
def closure(root_module: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(own module names, third-party top-level names) reachable from `root_module`."""
    seen: set[str] = set()
    third: set[str] = set()
    todo = [root_module, *RUN_PATH]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        top = name.split(".")[0]
        if top not in OWN:
            third.add(top)
            continue
        path = _module_file(name)
        if path is None or path.suffix != ".py":
            continue
        seen.add(name)
        if name == root_module and path.name == "__init__.py":  # the check's own package: all of it
            for child in path.parent.glob("*.py"):
                if child.name != "__init__.py":
                    todo.append(f"{name}.{child.stem}")
        todo.extend(_imports(path, name))
    return tuple(sorted(seen)), tuple(sorted(third))


def distributions(top_level: tuple[str, ...]) -> dict[str, str]:
    """Installed versions of the distributions providing these top-level imports."""
    mapping = importlib.metadata.packages_distributions()
    out: dict[str, str] = {}
    for name in top_level:
        for dist in mapping.get(name, []):
            try:
                out[dist] = importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                continue
    return dict(sorted(out.items()))


def code_digest(root_module: str) -> str:
    """sha256 over the source of every own module the check reaches."""
    own, _ = closure(root_module)
    h = hashlib.sha256()
    for name in own:
        path = _module_file(name)
        if path is None:
            continue
        rel = path.resolve().relative_to(REPO) if path.resolve().is_relative_to(REPO) else path
        h.update(str(rel).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def fingerprint(*, check_module: str, experiment: dict[str, Any], parameters: dict[str, Any],
                model: str, model_version: str, seed: int) -> str:
    """The hash of everything that decides a run's result (see module doc)."""
    _, third = closure(check_module)
    parts = {
        "experiment": experiment,
        "parameters": parameters,
        "model": model,
        "model_version": model_version,
        "seed": seed,
        "code": code_digest(check_module),
        "packages": distributions(third),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
