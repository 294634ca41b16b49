"""Every CLI error is one clear line (file, field or cause), never a traceback.

The commands run as a user runs them: `.venv/bin/codegap` in a subprocess.
Commands that read the repository's own folders (`codegap book`) run on a
throwaway copy of the code and data (PYTHONPATH points at the copy, and
CODEGAP_CLAIMS_DIR / CODEGAP_RESULTS at its folders), so the real claims/ and
results/ are never touched.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO

HARDENING = FIXTURES / "claims" / "bad" / "hardening"
CODEGAP = Path(sys.executable).parent / "codegap"


def _codegap(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None,
             timeout: float = 300) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k != "CODEGAP_DEBUG"}
    full.update(env or {})
    exe = [str(CODEGAP)] if CODEGAP.exists() else [sys.executable, "-m", "codegap.cli"]
    return subprocess.run([*exe, *args], capture_output=True, text=True, cwd=cwd, env=full, timeout=timeout)


def _assert_clean_failure(res: subprocess.CompletedProcess) -> list[str]:
    """Failed, no traceback, and every stderr line is a message (returns the lines)."""
    assert res.returncode == 1, (res.returncode, res.stdout[-2000:], res.stderr[-2000:])
    out = res.stdout + res.stderr
    assert "Traceback" not in out and "╭" not in out and 'File "' not in out, res.stderr[-3000:]
    lines = res.stderr.strip().splitlines()
    assert lines and all(line.strip() for line in lines), res.stderr
    return lines


@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory) -> Path:
    """The code and the data `codegap book` reads, copied (no .venv, no _build)."""
    dest = tmp_path_factory.mktemp("cli-repo")
    for name in ("codegap", "fetch", "claims", "results", "literature", "book", "notebooks", "config"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, dest / name, symlinks=True,
                            ignore=shutil.ignore_patterns("generated", "__pycache__"))
    for name in ("_config.yml", "_toc.yml", "pyproject.toml"):
        if (REPO / name).exists():
            shutil.copy(REPO / name, dest / name)
    # Each test breaks one thing on purpose; a record that is invalid in the working
    # tree right now (test_claims_schema.py reports those) must not mask it.
    from codegap.claims import load_claim_file

    for path in sorted((dest / "claims").glob("*.yaml")):
        if load_claim_file(path)[1]:
            path.unlink()
    assert any((dest / "claims").glob("*.yaml")), "no valid claim record to build from"
    return dest


def _copy_env(root: Path) -> dict[str, str]:
    return {"PYTHONPATH": str(root), "CODEGAP_CLAIMS_DIR": str(root / "claims"),
            "CODEGAP_RESULTS": str(root / "results")}


def _fresh(repo_copy: Path, tmp_path: Path) -> Path:
    """A private copy per test, so one test's breakage does not leak into the next."""
    root = tmp_path / "repo"
    shutil.copytree(repo_copy, root, symlinks=True)
    return root


def test_validate_missing_directory_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-claims"
    lines = _assert_clean_failure(_codegap("validate", str(missing)))
    assert lines[0] == (f"{missing}: (directory): does not exist; give the claims folder "
                        "(default: claims/, or set CODEGAP_CLAIMS_DIR)")


def test_validate_a_file_instead_of_a_folder(tmp_path: Path) -> None:
    f = tmp_path / "claims.yaml"
    f.write_text("id: x\n")
    lines = _assert_clean_failure(_codegap("validate", str(f)))
    assert lines[0].startswith(f"{f}: (directory): is not a folder")


def test_validate_prints_one_line_per_hostile_record() -> None:
    res = _codegap("validate", str(HARDENING), timeout=60)
    lines = _assert_clean_failure(res)
    files = sorted(HARDENING.glob("*.yaml"))
    assert len(lines) == len(files) + 1, lines  # one per record, plus the count
    for path, line in zip(files, lines):
        assert line.startswith(f"{path}: "), line
    assert lines[-1] == f"{len(files)} problem(s) in {HARDENING}"


def test_validate_refuses_symlink_and_fifo_without_hanging(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "claims" / "good" / "tiny-lit.yaml", tmp_path / "tiny-lit.yaml")
    (tmp_path / "linked.yaml").symlink_to(FIXTURES / "claims" / "good" / "tiny-lit.yaml")
    os.mkfifo(tmp_path / "pipe.yaml")
    lines = _assert_clean_failure(_codegap("validate", str(tmp_path), timeout=60))
    assert lines[0].startswith(f"{tmp_path / 'linked.yaml'}: (file): is a symbolic link")
    assert lines[1] == f"{tmp_path / 'pipe.yaml'}: (file): is a FIFO, not a regular file; refused without opening it"
    assert len(lines) == 3


def test_book_with_an_invalid_claim_is_one_line_per_problem(repo_copy: Path, tmp_path: Path) -> None:
    root = _fresh(repo_copy, tmp_path)
    target = next(p for p in sorted((root / "claims").glob("*.yaml"))
                  if re.search(r"(?m)^\s*threshold: *[-0-9.]+ *$", p.read_text()))
    text, n = re.subn(r"(?m)^(\s*threshold:) *[-0-9.]+ *$", r"\1 .nan", target.read_text(), count=1)
    assert n == 1, "no threshold line to break"
    target.write_text(text)
    lines = _assert_clean_failure(_codegap("book", "--no-build", cwd=root, env=_copy_env(root)))
    assert len(lines) == 2, lines
    assert re.match(rf"^{re.escape(str(target))}: experiment\.verdict\.(all|premises)\[\d+\]\.threshold: "
                    r"not a finite number \(\.nan/\.inf\); write a number$", lines[0]), lines[0]
    assert lines[1:] == [
        "codegap: 1 problem(s) in the claim records; fix them (`codegap validate` lists them)",
    ]


def _a_record(root: Path) -> Path:
    records = sorted((root / "results" / "records").glob("*/*.json"))
    if not records:
        pytest.skip("no committed results record to corrupt")
    return records[0]


def test_book_with_a_truncated_record_is_one_line(repo_copy: Path, tmp_path: Path) -> None:
    root = _fresh(repo_copy, tmp_path)
    record = _a_record(root)
    data = record.read_bytes()
    record.write_bytes(data[: len(data) // 2])
    lines = _assert_clean_failure(_codegap("book", "--no-build", cwd=root, env=_copy_env(root)))
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"codegap: {record}: (file): not valid JSON")


@pytest.mark.parametrize("field,value", [("notebook", "/etc/shadow"), ("samples", "../../../etc/passwd")])
def test_book_refuses_a_record_naming_a_path_outside_the_repository(repo_copy: Path, tmp_path: Path,
                                                                     field: str, value: str) -> None:
    root = _fresh(repo_copy, tmp_path)
    record = _a_record(root)
    data = json.loads(record.read_text())
    data[field] = value
    record.write_text(json.dumps(data, indent=2))
    lines = _assert_clean_failure(_codegap("book", "--no-build", cwd=root, env=_copy_env(root)))
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"codegap: {record}: {field}: path {value!r}"), lines[0]


def _with_command(body: str) -> str:
    """A program that adds a `boom` command running `body` to the real CLI and invokes it."""
    return ("import sys\nimport codegap.cli as c\n"
            "@c.app.command('boom')\ndef boom() -> None:\n"
            f"    {body}\n"
            "sys.argv = ['codegap', 'boom']\nc.main()\n")


def test_unexpected_exception_is_one_line_with_a_debug_hint() -> None:
    code = _with_command("{}['missing-key']")
    env = {k: v for k, v in os.environ.items() if k != "CODEGAP_DEBUG"}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    lines = _assert_clean_failure(res)
    assert lines == ["codegap: unexpected error: KeyError: 'missing-key' "
                     "(rerun with CODEGAP_DEBUG=1 for the traceback)"]
    debug = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env={**env, "CODEGAP_DEBUG": "1"}, timeout=120)
    assert debug.returncode != 0 and "Traceback" in debug.stderr and "missing-key" in debug.stderr


def test_project_errors_print_their_own_message() -> None:
    code = _with_command("from codegap.results import ResultsInvalid\n"
                         "    raise ResultsInvalid('results/records/x.json: verdict: not a verdict')")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={k: v for k, v in os.environ.items() if k != "CODEGAP_DEBUG"})
    assert _assert_clean_failure(res) == ["codegap: results/records/x.json: verdict: not a verdict"]
