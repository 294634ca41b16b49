"""Reviews file, the literature flag rule, and the book's view (`load_for_book`)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from fetch.snapshot import (
    SNAPSHOT_PATH,
    Candidate,
    ClaimEntry,
    Snapshot,
    SnapshotError,
    Source,
    read_snapshot,
    write_snapshot,
)
from fetch.view import load_for_book
from fetch.triage import ReviewsError, flag_for, load_reviews, normalise_id, read_review_list, record_review
from fetch_support.claims import claim_dict, write_claims


def cand(aid: str, score: float) -> Candidate:
    return Candidate(arxiv_id=aid, version=2, title=f"T {aid}", authors=["X"], submitted=dt.date(2025, 5, 1),
                     categories=["cs.SE"], url=f"https://arxiv.org/abs/{aid}", score=score, dense=0.5,
                     ranks={"quorum:0": 1, "dense": 3}, first_seen=dt.date(2026, 11, 22))


def entry(cands: list[Candidate]) -> ClaimEntry:
    return ClaimEntry(
        fetched_at=dt.datetime(2026, 11, 22, 3, 0, tzinfo=dt.timezone.utc),
        source=Source(kind="mirror", snapshot_file="s.jsonl.gz", snapshot_sha256="f" * 64),
        since=dt.date(2025, 1, 1), until=dt.date(2026, 11, 22), fingerprint="x", retrieved=len(cands),
        added=len(cands), candidates=cands, seen={c.arxiv_id: c.first_seen for c in cands},
    )


@pytest.mark.parametrize("counts, fetched, level, text", [
    ({}, False, "not-fetched", "literature not fetched"),
    ({"unreviewed": 3}, True, "unreviewed", "no reviewed newer work (3 unreviewed candidates)"),
    ({"unreviewed": 1, "irrelevant": 4}, True, "unreviewed", "no reviewed newer work (1 unreviewed candidate)"),
    ({"supports": 2}, True, "supported", "supported by 2 newer papers, none challenge it"),
    ({"supports": 2, "qualifies": 1}, True, "qualified", "qualified by 1 newer paper"),
    ({"challenges": 1, "supports": 5}, True, "challenged", "challenged by 1 newer paper"),
    ({"challenges": 2, "qualifies": 1}, True, "challenged", "challenged by 2 newer papers, qualified by 1"),
])
def test_flag_rule(counts, fetched, level, text):
    assert flag_for(counts, fetched) == (level, text)


@pytest.mark.parametrize("raw, base", [("2401.01234v3", "2401.01234"), ("arXiv:2401.01234", "2401.01234"),
                                       ("https://arxiv.org/abs/2401.01234v1", "2401.01234"),
                                       ("hep-ex/0406020v1", "hep-ex/0406020")])
def test_ids_are_normalised(raw, base):
    assert normalise_id(raw) == base


def test_record_review_upserts_and_round_trips(tmp_path):
    path = tmp_path / "reviews.yaml"
    record_review(path, "c-one", "2501.00001v2", "supports", "Same effect,\n on new models.", dt.date(2026, 11, 1))
    record_review(path, "c-one", "2501.00001", "challenges", "On reflection it contradicts.", dt.date(2026, 11, 2))
    record_review(path, "c-one", "2501.00002", "irrelevant", "Different task.", dt.date(2026, 11, 2))
    revs = read_review_list(path)
    assert [(r.arxiv, r.stance) for r in revs] == [("2501.00001", "challenges"), ("2501.00002", "irrelevant")]
    assert '"2501.00001"' in path.read_text() or "'2501.00001'" in path.read_text()


def test_bad_reviews_name_record_and_field(tmp_path):
    path = tmp_path / "reviews.yaml"
    path.write_text("reviews:\n  - {claim: c, arxiv: 2501.00001, stance: supports, reason: r, reviewed: 2026-11-01}\n")
    with pytest.raises(ReviewsError, match=r"reviews\[0\]\.arxiv: .*quote it"):
        read_review_list(path)
    path.write_text("reviews:\n  - {claim: c, arxiv: '2501.00001', stance: loves, reason: r, reviewed: 2026-11-01}\n")
    with pytest.raises(ReviewsError, match=r"reviews\[0\]\.stance"):
        read_review_list(path)
    path.write_text("reviews:\n  - {claim: c, arxiv: '2501.00001', stance: supports, reason: r, reviewed: 2026-11-01}\n")
    with pytest.raises(ReviewsError, match=r"reviews\[0\]\.claim: no claim 'c'"):
        load_reviews(path, {"other"})


def test_load_for_book_covers_every_claim_with_stances_counts_and_flag(tmp_path):
    write_claims(tmp_path, [claim_dict("c-one", ["alpha beta"]), claim_dict("c-two", ["gamma delta"])])
    write_snapshot(tmp_path / SNAPSHOT_PATH, Snapshot(claims={"c-one": entry([cand("2501.00001", 0.9),
                                                                              cand("2501.00002", 0.8),
                                                                              cand("2501.00003", 0.7)])}))
    reviews = tmp_path / "literature" / "reviews.yaml"
    record_review(reviews, "c-one", "2501.00002", "challenges", "Shows the effect vanishes with tools.")
    record_review(reviews, "c-one", "2409.99999", "qualifies", "Older version of the argument.", title="Elsewhere")
    book = load_for_book(tmp_path)
    assert set(book) == {"c-one", "c-two"}
    one, two = book["c-one"], book["c-two"]
    assert one.fetched and one.flag == "challenged by 1 newer paper, qualified by 1" and one.flag_level == "challenged"
    assert one.counts == {"supports": 0, "challenges": 1, "qualifies": 1, "irrelevant": 0, "unreviewed": 2}
    assert [(p.arxiv_id, p.rank, p.stance) for p in one.candidates] == [
        ("2501.00001", 1, "unreviewed"), ("2501.00002", 2, "challenges"), ("2501.00003", 3, "unreviewed")]
    assert [p.arxiv_id for p in one.reviewed] == ["2501.00002", "2409.99999"]
    assert one.reviewed[1].title == "Elsewhere" and one.reviewed[1].rank is None
    assert one.candidates[1].reason == "Shows the effect vanishes with tools."
    assert [p.arxiv_id for p in one.unreviewed] == ["2501.00001", "2501.00003"]
    assert "offline arXiv mirror s.jsonl.gz" in one.source and one.snapshot_sha256 == "f" * 64
    assert one.since == dt.date(2025, 1, 1)
    assert not two.fetched and two.flag == "literature not fetched" and "No literature has been fetched" in two.note
    assert two.candidates == [] and two.since == dt.date(2025, 1, 1)


def test_format_1_snapshot_is_read_as_format_2(tmp_path):
    """The committed snapshot of the previous fetcher still loads (scores mapped, ids kept)."""
    path = tmp_path / "snapshot.json"
    old = {"format": 1, "updated_at": None, "claims": {"c": {
        "fetched_at": "2026-11-22T03:00:00Z", "since": "2025-01-01", "until": "2026-11-22", "fingerprint": "x",
        "retrieved": 2, "added": 2, "anchors": [],
        "source": {"kind": "mirror", "snapshot_file": "s.jsonl.gz", "snapshot_sha256": "f" * 64},
        "seen": {"2501.00001": "2026-11-22", "2501.00009": "2026-11-22"},
        "candidates": [{"arxiv_id": "2501.00001", "version": 1, "title": "T", "authors": [], "submitted": "2025-05-01",
                        "categories": ["cs.SE"], "url": "https://arxiv.org/abs/2501.00001", "bm25": 3.0,
                        "semantic": 0.4, "combined": 0.7, "first_seen": "2026-11-22", "origin": "search",
                        "queries": [0]}]}}}
    path.write_text(json.dumps(old))
    snap = read_snapshot(path)
    c = snap.claims["c"].candidates[0]
    assert (snap.format, c.score, c.dense, c.ranks) == (2, 0.7, 0.4, {})
    assert list(snap.claims["c"].seen) == ["2501.00001"]


def test_snapshot_rejects_an_arxiv_id_that_is_not_one(tmp_path):
    path = tmp_path / "snapshot.json"
    write_snapshot(path, Snapshot(claims={"c": entry([cand("2501.00001", 0.9)])}))
    path.write_text(path.read_text().replace('"2501.00001"', '"<img src=x onerror=alert(1)>"', 1))
    with pytest.raises(SnapshotError, match="arxiv_id"):
        read_snapshot(path)


def test_corrupt_snapshot_is_a_clear_error(tmp_path):
    path = tmp_path / "snapshot.json"
    path.write_text('{"format": 1, "claims": {"c": {"since": "nope"}}}')
    with pytest.raises(SnapshotError, match=r"snapshot\.json: claims\.c\."):
        read_snapshot(path)
    path.write_text('{"format": 1,')
    with pytest.raises(SnapshotError, match="not valid JSON"):
        read_snapshot(path)


def test_committed_snapshot_is_valid_and_bibliographic_only():
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    path = repo / SNAPSHOT_PATH
    if not path.exists():
        pytest.skip("no committed snapshot yet")
    snap = read_snapshot(path)  # strict model: extra keys such as "abstract" would fail here
    assert not any("abstract" in c for e in json.loads(path.read_text())["claims"].values() for c in e["candidates"])
    for cid, e in snap.claims.items():
        assert all(c.submitted >= e.since for c in e.candidates), cid
        assert [c.score for c in e.candidates] == sorted((c.score for c in e.candidates), reverse=True)
        assert len(e.candidates) <= 50 and set(e.seen) >= {c.arxiv_id for c in e.candidates}


# ----------------------------------------------------------------- model suggestions


@pytest.mark.parametrize("text, stance", [
    ("STANCE: challenges\nREASON: Shows the opposite on GPT-4.", "challenges"),
    ("stance: **Qualifies**\nreason: only for short programs", "qualifies"),
    ("I think it supports it.", "unclear"),
    ("", "unclear"),
])
def test_parse_model_answer(text, stance):
    from fetch.suggest import parse_answer

    got, reason = parse_answer(text)
    assert got == stance and reason and "\n" not in reason


def test_suggestions_are_labelled_shown_and_never_change_the_flag(tmp_path):
    from fetch.suggest import LABEL, SUGGESTIONS_PATH, Suggestion, read_suggestions, write_suggestions

    write_claims(tmp_path, [claim_dict("c-one", ["alpha beta"])])
    write_snapshot(tmp_path / SNAPSHOT_PATH, Snapshot(claims={"c-one": entry([cand("2501.00001", 0.9)])}))
    write_suggestions(tmp_path / SUGGESTIONS_PATH, [Suggestion(
        claim="c-one", arxiv="2501.00001", stance="challenges", reason="Contradicts it.",
        model="mockllm/model", suggested=dt.date(2026, 11, 22))])
    text = (tmp_path / SUGGESTIONS_PATH).read_text()
    assert "NOT REVIEWS" in text and LABEL in text
    assert read_suggestions(tmp_path / SUGGESTIONS_PATH)[0].label == LABEL
    view = load_for_book(tmp_path)["c-one"]
    assert view.flag_level == "unreviewed" and view.counts["challenges"] == 0
    p = view.candidates[0]
    assert (p.stance, p.suggested_stance, p.suggested_by) == ("unreviewed", "challenges", "mockllm/model")


def test_agreement_of_suggestions_with_reviews():
    from fetch.suggest import Suggestion, agreement
    from fetch.triage import Review

    day = dt.date(2026, 11, 30)
    revs = [Review(claim="c", arxiv=a, stance=s, reason="r", reviewed=day)
            for a, s in [("2501.00001", "supports"), ("2501.00002", "irrelevant"), ("2501.00003", "qualifies")]]
    sugg = [Suggestion(claim="c", arxiv=a, stance=s, reason="r", model="m", suggested=day)
            for a, s in [("2501.00001", "supports"), ("2501.00002", "challenges"), ("2501.00003", "unclear"),
                         ("2501.00004", "supports")]]
    a = agreement(sugg, revs)["m"]
    assert (a["both"], a["exact"], a["relevant"]) == (3, 1, 1)
    assert a["exact_rate"] == pytest.approx(1 / 3)
    assert a["reviewed_relevant"] == 2  # a model calling everything relevant would match 2 of 3


def test_book_shows_suggestion_agreement_beside_the_always_relevant_baseline(tmp_path):
    from codegap.book import literature
    from fetch.suggest import SUGGESTIONS_PATH, Suggestion, write_suggestions
    from fetch.triage import REVIEWS_PATH, Review, write_reviews

    assert "No model-suggested stance" in literature.agreement_text(tmp_path)
    day = dt.date(2026, 11, 30)
    write_reviews(tmp_path / REVIEWS_PATH, [Review(claim="c", arxiv=a, stance=s, reason="r", reviewed=day)
                                            for a, s in [("2501.00001", "supports"), ("2501.00002", "irrelevant")]])
    write_suggestions(tmp_path / SUGGESTIONS_PATH, [
        Suggestion(claim="c", arxiv=a, stance="supports", reason="r", model="m<b>", suggested=day)
        for a in ("2501.00001", "2501.00002")])
    md = literature.agreement_text(tmp_path)
    assert "| `m<b>` | 2 | 1 (50%) | 1 (50%) | 1 (50%) |" in md  # model string as a code span (shown as text)


def test_suggest_stance_runs_an_inspect_task_and_parses_answers(tmp_path):
    """End to end through inspect_ai with a scripted model (no network, no weights)."""
    import inspect_ai

    from support.scripted_model import scripted_model
    from fetch.suggest import SUGGESTIONS_PATH, read_suggestions, suggest

    prompts: list[str] = []

    def answer(messages):
        prompts.append(messages[-1].text)
        return "STANCE: qualifies\nREASON: Holds only for short programs."

    def evaluate(task):
        return inspect_ai.eval(task, model=scripted_model(answer), display="none", log_dir=str(tmp_path / "logs"))[0]

    write_claims(tmp_path, [claim_dict("c-one", ["alpha beta"])])
    write_snapshot(tmp_path / SNAPSHOT_PATH, Snapshot(claims={"c-one": entry([cand("2501.00001", 0.9),
                                                                              cand("2501.00002", 0.8)])}))
    record_review(tmp_path / "literature" / "reviews.yaml", "c-one", "2501.00002", "supports", "Agrees.")
    made = suggest(tmp_path, "scripted/model", top=5, evaluate=evaluate,
                   abstract_of=lambda aid: f"Abstract of {aid}.")
    assert [(s.arxiv, s.stance, s.reason) for s in made] == [
        ("2501.00001", "qualifies", "Holds only for short programs.")]
    assert len(prompts) == 1 and "T 2501.00001" in prompts[0] and "Abstract of 2501.00001." in prompts[0]
    assert len(read_suggestions(tmp_path / SUGGESTIONS_PATH)) == 1
    assert suggest(tmp_path, "scripted/model", top=5, evaluate=evaluate) == []  # already asked
    assert load_for_book(tmp_path)["c-one"].flag == "supported by 1 newer paper, none challenge it"
