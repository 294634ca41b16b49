"""Regenerate tests/fixtures/fetch/mirror/arxiv-metadata-subset.jsonl.gz from the full mirror.

The subset is what lets the mirror, ranking and claim-query tests run on a fresh
clone without ../shared. It holds, verbatim (arXiv metadata is CC0):

* every paper of the labelled relevance set (literature/relevance.yaml);
* per claim, the head of each of its lexical lists (quorum queries and OR word
  lists) in the full mirror, so the claim queries find what they find there;
* a fixed random sample of the whole mirror, so BM25 sees ordinary, unrelated
  papers too (its statistics and the ranking's noise floor).

Deterministic: same inputs, same bytes (records sorted by id, gzip without a
timestamp). Run: `.venv/bin/python tests/fetch_support/make_mirror_subset.py`
(needs ../shared or $CODEGAP_ARXIV_SNAPSHOT).
"""

from __future__ import annotations

import gzip
import json
import random
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from codegap.claims import load_claims  # noqa: E402
from fetch.cli import default_mirror_snapshot  # noqa: E402
from fetch.mirror import open_mirror  # noqa: E402
from fetch.pipeline import anchor_texts  # noqa: E402
from fetch.mirror import MirrorBackend  # noqa: E402
from fetch.rank import list_specs  # noqa: E402

OUT = REPO / "tests" / "fixtures" / "fetch" / "mirror" / "arxiv-metadata-subset.jsonl.gz"
QUORUM_HEAD = 40
OR_HEAD = 15
BACKGROUND = 800
SEED = 20261130


def wanted_ids(snapshot: Path) -> set[str]:
    ids: set[str] = set()
    rel = yaml.safe_load((REPO / "literature" / "relevance.yaml").read_text(encoding="utf-8"))
    ids |= {str(p["arxiv"]) for papers in rel["claims"].values() for p in papers}
    mirror = open_mirror(snapshot)
    backend = MirrorBackend(mirror)
    for claim in load_claims(REPO / "claims"):
        lit = claim.literature
        ids |= {a.arxiv_base for a in claim.anchors if a.arxiv_base}
        for s in list_specs(lit.queries, claim.statement, anchor_texts(claim, backend)):
            if s.kind == "quorum":
                hits = mirror.search(s.query, since=lit.since, categories=list(lit.categories), limit=QUORUM_HEAD)
            else:
                hits = mirror.search_or(s.terms, since=lit.since, categories=list(lit.categories), limit=OR_HEAD)
            ids |= {h.arxiv_id for h in hits}
    with mirror.connect() as con:
        all_ids = [r[0] for r in con.execute("SELECT id FROM papers ORDER BY id")]
    ids |= set(random.Random(SEED).sample(all_ids, BACKGROUND))
    return ids


def main() -> int:
    snapshot = default_mirror_snapshot(REPO)
    ids = wanted_ids(snapshot)
    lines: dict[str, str] = {}
    with gzip.open(snapshot, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec["id"] in ids:
                lines[rec["id"]] = line if line.endswith("\n") else line + "\n"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as gz:
        for aid in sorted(lines):
            gz.write(lines[aid].encode("utf-8"))
    print(f"{len(lines)} records ({len(ids) - len(lines)} wanted ids not in the mirror) -> "
          f"{OUT.relative_to(REPO)} ({OUT.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
