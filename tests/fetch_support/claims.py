"""Small claim records for the fetcher's tests (schema: codegap/claims.py)."""

from __future__ import annotations

from pathlib import Path

import yaml

from codegap.claims import Claim


def claim_dict(cid: str, queries: list[str], since: str = "2025-01-01", categories: list[str] | None = None,
               statement: str = "Language models imitate the form of a procedure instead of carrying it out.",
               anchor: str = "2410.05229v1") -> dict:
    return {
        "id": cid,
        "title": f"Test claim {cid}",
        "statement": statement,
        "status_date": "2026-11-22",
        "sources": [{"file": "x.txt", "locator": "para 1", "date_given": since[:7]}],
        "anchors": [{"arxiv": anchor, "title": "An anchor", "date": "2024-10-07"}],
        "experiment": {"none": "literature-only test claim"},
        "literature": {"queries": queries, "categories": categories or ["cs.CL", "cs.LG", "cs.AI", "cs.SE"],
                       "since": since},
    }


def make_claim(cid: str, queries: list[str], **kw) -> Claim:
    return Claim.model_validate(claim_dict(cid, queries, **kw))


def write_claims(root: Path, dicts: list[dict]) -> Path:
    d = root / "claims"
    d.mkdir(parents=True, exist_ok=True)
    for c in dicts:
        (d / f"{c['id']}.yaml").write_text(yaml.safe_dump(c, sort_keys=False), encoding="utf-8")
    return d
