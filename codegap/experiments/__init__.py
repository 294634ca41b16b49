"""The live checks: one package per claim, named by the claim id (`-` becomes `_`).

`codegap/experiments/<claim_id>/` holds the check's generator, grader, task
(requests and prompts), analysis, synthetic models and README; its tests are in
`tests/experiments/<claim_id>/` and its report notebook is
`notebooks/<claim-id>.ipynb` (paired with a MyST text version). The runner finds
a check from the claim id alone: `get("iterative-execution")`.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codegap.experiments.base import LiveCheck


class NoSuchCheck(LookupError):
    """The claim has no live-check package."""


def module_name(claim_id: str) -> str:
    """`iterative-execution` -> `iterative_execution` (the package name)."""
    return claim_id.replace("-", "_")


def available() -> list[str]:
    """Claim ids that have a check package (a subpackage with a `CHECK`)."""
    import codegap.experiments as pkg

    names = []
    for m in pkgutil.iter_modules(pkg.__path__):
        if not m.ispkg:
            continue
        try:  # shared code (e.g. function_problems) is a package without a CHECK
            has_check = getattr(importlib.import_module(f"{pkg.__name__}.{m.name}"), "CHECK", None) is not None
        except ImportError:
            has_check = False
        if has_check:
            names.append(m.name.replace("_", "-"))
    return sorted(names)


def get(claim_id: str) -> "LiveCheck":
    """The `CHECK` object of a claim's package."""
    name = f"codegap.experiments.{module_name(claim_id)}"
    try:
        mod = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            raise NoSuchCheck(f"claim {claim_id!r} has no live check package ({name}); "
                              f"checks: {', '.join(available()) or 'none'}") from exc
        raise
    check = getattr(mod, "CHECK", None)
    if check is None or check.claim_id != claim_id:
        raise NoSuchCheck(f"{name} defines no CHECK for claim {claim_id!r}")
    return check
