"""Hostile claim files and records are refused with one line each, cheaply, and never followed.

Each fixture in tests/fixtures/claims/bad/hardening/ is a good record with exactly
one probe in it (the pattern of test_claims_schema.py); the probes that cannot
live in git (a symlink, a FIFO, an oversized file) are made in a temporary folder.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import threading
import time
import tracemalloc
from pathlib import Path

import pytest
from pydantic import ValidationError

from codegap import claims as claims_mod
from codegap.claims import Condition, load_claim_file, repo_relative_path, validate_dir

from conftest import FIXTURES, REPO

HARDENING = FIXTURES / "claims" / "bad" / "hardening"
GOOD = FIXTURES / "claims" / "good" / "tiny-lit.yaml"

# fixture -> (field, words the reason must contain)
EXPECTED = {
    "threshold-nan": ("experiment.verdict.all[0].threshold", "not a finite number"),
    "threshold-inf": ("experiment.verdict.all[0].threshold", "not a finite number"),
    "parameter-nan": ("experiment.parameters.alpha", "not a finite number"),
    "duplicate-key": ("line 3", "duplicate key 'title' (first on line 2)"),
    "future-status-date": ("status_date", "is in the future"),
    "future-anchor-date": ("anchors[0].date", "is in the future"),
    "ancient-since": ("literature.since", "before 1900"),
    "alias-bomb-parameters": ("line 16", "YAML aliases (*a) are not allowed"),
    "notebook-absolute": ("experiment.notebook", "is not a notebook of this repository"),
    "notebook-dotdot": ("experiment.notebook", "is not a notebook of this repository"),
    "notebook-elsewhere": ("experiment.notebook", "is not a notebook of this repository"),
    "not-utf8": ("line 2", "not UTF-8 text (byte 0xe9"),
    "deeply-nested": ("line 15", "nested deeper than"),
    "experiment-not-mapping": ("experiment", "must be a mapping"),
}


def test_every_hardening_fixture_has_an_expectation() -> None:
    assert {p.stem for p in HARDENING.glob("*.yaml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_record_gives_one_line_naming_file_and_field(name: str) -> None:
    path = HARDENING / f"{name}.yaml"
    claim, problems = load_claim_file(path)
    field, words = EXPECTED[name]
    assert claim is None
    assert len(problems) == 1, [str(p) for p in problems]  # the probe, and only the probe
    (prob,) = problems
    assert (prob.file, prob.field) == (str(path), field), str(prob)
    assert words in prob.reason, str(prob)
    assert "\n" not in str(prob) and "function-after" not in str(prob)


def test_alias_bomb_is_refused_fast_and_small() -> None:
    path = HARDENING / "alias-bomb-parameters.yaml"
    tracemalloc.start()
    t0 = time.monotonic()
    try:
        _, problems = load_claim_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert problems and "aliases" in problems[0].reason
    assert peak < 20 * 1024 * 1024, f"refusing the bomb took {peak / 1e6:.0f} MB"
    assert time.monotonic() - t0 < 10  # a hang guard, not a speed target


def test_even_one_harmless_alias_is_refused(tmp_path: Path) -> None:
    text = GOOD.read_text().replace('queries: ["another query"]', 'queries: &q ["another query"]') \
        + "tags: *q\n"
    (tmp_path / "tiny-lit.yaml").write_text(text)
    _, problems = load_claim_file(tmp_path / "tiny-lit.yaml")
    assert [p.field for p in problems] == ["line 15"] and "aliases (*q)" in problems[0].reason


def test_symlink_is_refused_and_not_followed(tmp_path: Path) -> None:
    secret = tmp_path / "outside" / "secret.yaml"
    secret.parent.mkdir()
    shutil.copy(GOOD, secret)
    folder = tmp_path / "claims"
    folder.mkdir()
    (folder / "tiny-lit.yaml").symlink_to(secret)
    claims, problems = validate_dir(folder)
    assert claims == []
    assert [(p.field, p.reason.split(" (")[0]) for p in problems] == [("(file)", "is a symbolic link")]
    assert str(secret) in problems[0].reason


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    shutil.copy(GOOD, tmp_path / "tiny-lit.yaml")
    os.mkfifo(tmp_path / "pipe.yaml")
    got: dict[str, object] = {}
    worker = threading.Thread(target=lambda: got.update(result=validate_dir(tmp_path)), daemon=True)
    worker.start()
    worker.join(timeout=20)
    if worker.is_alive():  # unblock the reader so the test process can exit, then fail
        with open(tmp_path / "pipe.yaml", "w"):
            pass
        pytest.fail("validate_dir blocked on a FIFO")
    claims, problems = got["result"]  # type: ignore[misc]
    assert [c.id for c in claims] == ["tiny-lit"]
    assert [str(p) for p in problems] == [
        f"{tmp_path / 'pipe.yaml'}: (file): is a FIFO, not a regular file; refused without opening it"]


def test_folder_named_yaml_and_oversized_file_are_refused(tmp_path: Path) -> None:
    (tmp_path / "folder.yaml").mkdir()
    (tmp_path / "huge.yaml").write_text("id: huge\n" + "# padding\n" * 120_000)
    _, problems = validate_dir(tmp_path)
    by_file = {Path(p.file).name: p.reason for p in problems}
    assert by_file["folder.yaml"].startswith("is a folder, not a regular file")
    assert by_file["huge.yaml"].startswith("is larger than 1024 KiB")


def test_missing_folder_is_one_problem(tmp_path: Path) -> None:
    claims, problems = validate_dir(tmp_path / "nope")
    assert claims == [] and len(problems) == 1
    assert problems[0].field == "(directory)" and problems[0].reason.startswith("does not exist")


def test_date_bounds_are_today_plus_a_year_and_1900() -> None:
    claim, problems = load_claim_file(GOOD)
    assert claim is not None and problems == []
    today = dt.date(2026, 11, 30)
    assert claims_mod._date_problems(claim, "f", today=today) == []
    late = claim.model_copy(update={"status_date": today + dt.timedelta(days=300)})
    assert claims_mod._date_problems(late, "f", today=today) == []  # within the slack
    later = claim.model_copy(update={"status_date": today + dt.timedelta(days=400)})
    (prob,) = claims_mod._date_problems(later, "f", today=today)
    assert prob.field == "status_date" and "in the future (after 2027-12-01" in prob.reason


def test_year_only_given_date_in_the_future_is_refused(tmp_path: Path) -> None:
    text = GOOD.read_text().replace('date_given: "2025-06"', 'date_given: "~2999"')
    (tmp_path / "tiny-lit.yaml").write_text(text)
    _, problems = load_claim_file(tmp_path / "tiny-lit.yaml")
    assert [(p.field, "in the future" in p.reason) for p in problems] == [("sources[0].date_given", True)]


def test_models_refuse_non_finite_numbers_when_built_in_code() -> None:
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValidationError, match="finite number"):
            Condition(metric="m", op=">", threshold=bad, why="w")


@pytest.mark.parametrize("text,ok", [
    ("results/notebooks/c/m/run.ipynb", True),
    ("results/samples/c/run__m.jsonl.gz", True),
    ("/etc/shadow", False),
    ("../../etc/passwd", False),
    ("results/../../etc/passwd", False),
    ("~/.ssh/id_rsa", False),
    ("results\\..\\x", False),
    ("results//x", False),
    ("results/x\nother", False),
])
def test_record_paths_stay_inside_the_repository(text: str, ok: bool) -> None:
    if ok:
        assert repo_relative_path(text) == text
    else:
        with pytest.raises(ValueError, match="repository"):
            repo_relative_path(text)


def _records_copy(tmp_path: Path) -> tuple[Path, Path]:
    """A results folder with one real committed record in it: (root, record path)."""
    records = sorted((REPO / "results" / "records").glob("*/*.json"))
    if not records:
        pytest.skip("no committed results record to use as a template")
    src = records[0]
    root = tmp_path / "results"
    dest = root / "records" / src.parent.name / src.name
    dest.parent.mkdir(parents=True)
    shutil.copy(src, dest)
    return root, dest


@pytest.mark.parametrize("field,value", [
    ("notebook", "/etc/shadow"),
    ("notebook", "../../outside.ipynb"),
    ("samples", "/home/someone/samples.jsonl.gz"),
])
def test_records_naming_paths_outside_are_refused_when_read(tmp_path: Path, monkeypatch, field, value) -> None:
    from codegap.results import ResultsInvalid, iter_records

    root, record = _records_copy(tmp_path)
    monkeypatch.setenv("CODEGAP_RESULTS", str(root))
    data = json.loads(record.read_text())
    data[field] = value
    record.write_text(json.dumps(data))
    with pytest.raises(ResultsInvalid) as exc:
        iter_records(root)
    msg = str(exc.value)
    assert msg.startswith(f"{record}: {field}: path {value!r}") and "\n" not in msg


def test_record_inspect_logs_outside_are_refused(tmp_path: Path, monkeypatch) -> None:
    from codegap.results import ResultsInvalid, iter_records

    root, record = _records_copy(tmp_path)
    monkeypatch.setenv("CODEGAP_RESULTS", str(root))
    data = json.loads(record.read_text())
    data["provenance"]["inspect_logs"] = ["/root/.cache/secret.eval"]
    record.write_text(json.dumps(data))
    with pytest.raises(ResultsInvalid, match=r"provenance\.inspect_logs: path '/root/.cache/secret.eval'"):
        iter_records(root)


def test_absolute_paths_inside_the_configured_results_folder_stay_readable(tmp_path: Path, monkeypatch) -> None:
    """Results kept outside the repository ($CODEGAP_RESULTS) name their files absolutely."""
    from codegap.results import iter_records

    root, record = _records_copy(tmp_path)
    monkeypatch.setenv("CODEGAP_RESULTS", str(root))
    data = json.loads(record.read_text())
    data["notebook"] = str(root / "notebooks" / "run.ipynb")
    record.write_text(json.dumps(data))
    (rec,) = iter_records(root)
    assert rec.notebook == data["notebook"]
    data["notebook"] = str(root / "notebooks" / ".." / ".." / "escape.ipynb")
    record.write_text(json.dumps(data))
    with pytest.raises(Exception, match="absolute"):
        iter_records(root)


def test_a_record_samples_digest_must_be_a_sha256() -> None:
    """The digest identifies the samples file; only 64 lowercase hex digits are one (anything else is refused)."""
    import pydantic

    from codegap.results import RunRecord

    good = next(p for p in sorted((REPO / "results" / "records").rglob("*.json"))
                if '"samples_sha256": "' in p.read_text(encoding="utf-8"))
    data = json.loads(good.read_text(encoding="utf-8"))
    RunRecord.model_validate(data)
    for bad in ("<img src=x onerror=alert(1)>", data["samples_sha256"].upper(), data["samples_sha256"][:-1]):
        with pytest.raises(pydantic.ValidationError, match="samples_sha256"):
            RunRecord.model_validate({**data, "samples_sha256": bad})
