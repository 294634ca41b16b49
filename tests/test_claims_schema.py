"""The claim schema: good records pass, each malformed record gives its own one-line error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from codegap.claims import load_claim_file, load_claims, validate_dir, ClaimsInvalid, parse_given_date

from conftest import FIXTURES, REPO

BAD = FIXTURES / "claims" / "bad"

# file -> (field, words the reason must contain)
EXPECTED = {
    "unknown-field": ("colour", "unknown field"),
    "wrong-type": ("seed_numbers[0].value", "valid number"),
    "bad-arxiv": ("anchors[0].arxiv", "quoted string with a version"),
    "bad-date": ("status_date", "valid date"),
    "bad-given-date": ("sources[0].date_given", "[~]YYYY"),
    "rule-metric": ("experiment.verdict.all[0].metric", "not among the metrics"),
    "dangling-seed": ("seed_numbers[0].compare_to.anchor", "names no anchor"),
    "bad-op": ("experiment.verdict.all[0].op", "'>' or '<'"),
    "missing-anchors": ("anchors", "Field required"),
    "wrong-file-name": ("id", "does not match the file name"),
    "not-yaml": ("line 3", "not valid YAML"),
}


def test_every_bad_fixture_has_an_expectation():
    assert {p.stem for p in BAD.glob("*.yaml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_malformed_record_names_file_field_and_reason(name):
    path = BAD / f"{name}.yaml"
    claim, problems = load_claim_file(path)
    field, words = EXPECTED[name]
    assert problems, f"{name} should be rejected"
    first = problems[0]
    assert first.file == str(path)
    assert first.field == field
    assert words in first.reason
    assert "\n" not in str(first), "errors must print on one line"


def test_unversioned_arxiv_id_string_is_rejected(tmp_path):
    text = (FIXTURES / "claims" / "good" / "tiny-live.yaml").read_text().replace(
        "arxiv: 2305.01210v3", 'arxiv: "2305.01210"')
    (tmp_path / "tiny-live.yaml").write_text(text)
    _, problems = load_claim_file(tmp_path / "tiny-live.yaml")
    assert [p.field for p in problems] == ["anchors[0].arxiv"]
    assert "not a versioned arXiv id" in problems[0].reason


def test_duplicate_ids_are_reported():
    _, problems = validate_dir(FIXTURES / "claims" / "bad_duplicate")
    assert any(p.field == "id" and "duplicate id 'tiny-lit'" in p.reason for p in problems)


def test_good_fixtures_validate():
    claims, problems = validate_dir(FIXTURES / "claims" / "good")
    assert problems == []
    assert {c.id for c in claims} == {"tiny-live", "tiny-lit"}


def test_the_real_ledger_validates_and_has_every_claim():
    claims = load_claims(REPO / "claims")
    assert len(claims) >= 15
    ids = {c.id for c in claims}
    for core in ["iterative-execution", "cot-imitation", "backtracking-limit", "verification-gap",
                 "rl-sharpening", "test-insufficiency"]:
        assert core in ids


def test_load_claims_raises_with_all_problems():
    with pytest.raises(ClaimsInvalid) as exc:
        load_claims(BAD)
    assert len(exc.value.problems) >= len(EXPECTED)


def test_given_dates_parse_to_intervals():
    lo, hi, approx = parse_given_date("~2024")
    assert (str(lo), str(hi), approx) == ("2024-01-01", "2024-12-31", True)
    lo, hi, approx = parse_given_date("2024-02")
    assert (str(lo), str(hi), approx) == ("2024-02-01", "2024-02-29", False)
    with pytest.raises(ValueError):
        parse_given_date("2024-13")


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from codegap.cli import app; app()", *args],
                          capture_output=True, text=True, cwd=REPO)


def test_cli_validate_passes_on_the_ledger():
    res = _cli("validate")
    assert res.returncode == 0, res.stderr
    assert "claim records valid" in res.stdout


def test_cli_validate_fails_with_one_line_per_problem(tmp_path):
    (tmp_path / "unknown-field.yaml").write_text((BAD / "unknown-field.yaml").read_text())
    res = _cli("validate", str(tmp_path))
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert lines[0] == f"{tmp_path / 'unknown-field.yaml'}: colour: unknown field"
