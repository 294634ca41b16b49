"""Bandit over a reply's program: the static half of the check.

Bandit (PyCQA) runs in this process on the program text (it never executes
it). Its AST parse happens under `answers`' process-wide parse lock, since
graders run in threads (CPython 3.11's AST constructor is not thread-safe,
see `codegap.experiments.answers`). Only findings of medium or high severity
count: the low ones are `import subprocess` or `subprocess` without a shell,
which the secure references use too.

Bandit has no check for path traversal, so on the path families the static
half can only agree with the dynamic one by accident; the report shows the
agreement per category.
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings

from codegap.experiments.answers import _AST_LOCK  # the one process-wide parse lock (see its module doc)

COUNTED = ("MEDIUM", "HIGH")


def findings(code: str) -> list[str]:
    """`B608:MEDIUM` style ids of bandit's medium- and high-severity findings on `code`, sorted."""
    from bandit.core import config, manager

    logging.getLogger("bandit").setLevel(logging.ERROR)
    # stevedore logs "Could not load 'sarif'" at ERROR: bandit's SARIF output formatter needs an
    # optional package; only the in-process issue list is used here, never a formatter
    logging.getLogger("stevedore.extension").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory(prefix="codegap-bandit-") as d:
        path = os.path.join(d, "solution.py")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(code)
        with _AST_LOCK, warnings.catch_warnings():
            # stevedore (bandit's plugin loader) warns about an argument bandit still passes
            warnings.filterwarnings("ignore", message=".*verify_requirements.*")
            mgr = manager.BanditManager(config.BanditConfig(), "file", quiet=True)
            mgr.discover_files([path])
            mgr.run_tests()
            issues = mgr.get_issue_list()
    return sorted({f"{i.test_id}:{i.severity}" for i in issues if str(i.severity) in COUNTED})
