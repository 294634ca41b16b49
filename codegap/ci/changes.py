"""Summarise what a rebuild changed, as the body of its pull request.

Compares the literature flags of the working tree with those at a git ref
(default HEAD), lists papers newly ranked per claim, and lists result records
that are new since the ref. Run: `python -m codegap.ci.changes [REF] > body.md`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from codegap import paths
from fetch.snapshot import SNAPSHOT_PATH
from fetch.view import ClaimLiterature, load_for_book

REPO = paths.REPO


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False).stdout


def _at_ref(root: Path, ref: str) -> dict[str, ClaimLiterature]:
    """The book's literature view as it was at `ref` (claims, snapshot, reviews from git)."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "claims").mkdir()
        (base / "literature").mkdir()
        names = _git(root, "ls-tree", "--name-only", f"{ref}:claims").split()
        if not names:
            return {}
        for name in names:
            (base / "claims" / name).write_text(_git(root, "show", f"{ref}:claims/{name}"), encoding="utf-8")
        for rel in (SNAPSHOT_PATH, Path("literature") / "reviews.yaml"):
            text = _git(root, "show", f"{ref}:{rel.as_posix()}")
            if text:
                (base / rel).write_text(text, encoding="utf-8")
        return load_for_book(base)


def summary(root: Path = REPO, ref: str = "HEAD") -> str:
    now = load_for_book(root)
    then = _at_ref(root, ref)
    lines = ["## Scheduled rebuild", "", "### Literature flags", "",
             "| claim | before | after | newly ranked papers |", "|---|---|---|---|"]
    changed = 0
    for cid, lit in now.items():
        old = then.get(cid)
        before = old.flag if old else "(new claim)"
        old_ids = {p.arxiv_id for p in old.candidates} if old else set()
        new = [p for p in lit.candidates if p.arxiv_id not in old_ids]
        if before != lit.flag or new:
            changed += 1
            mark = " **changed**" if before != lit.flag else ""
            titles = "; ".join(f"[{p.arxiv_id}]({p.url})" for p in new[:5]) + (" ..." if len(new) > 5 else "")
            lines.append(f"| {cid} | {before} | {lit.flag}{mark} | {len(new)} {titles} |")
    if not changed:
        lines.append("| (none) | | | |")
    status = _git(root, "status", "--porcelain", "--untracked-files=all", "results/records")
    records = sorted(line[3:] for line in status.splitlines() if line[3:].endswith(".json"))
    lines += ["", "### New result records", ""]
    lines += [f"- `{r}`" for r in records] or ["- (none)"]
    lines += ["", "Review the newly ranked papers with `codegap review <claim> <arxiv id> <stance> --reason ...`."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    sys.stdout.write(summary(REPO, sys.argv[1] if len(sys.argv) > 1 else "HEAD"))
