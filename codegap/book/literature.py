"""The "newer work" section of each claim page, from the fetcher's snapshot.

The data comes only from `fetch.snapshot.load_for_book()` (snapshot plus the
maintainers' reviews); this module just lays it out. When nothing has been
fetched the page says so plainly.
"""

from __future__ import annotations

import html
import inspect
from pathlib import Path

from codegap.book.markdown import arxiv_link, table
from codegap.claims import Claim
from fetch import query, snapshot, triage

NOT_FETCHED = "nothing fetched yet"


def load(repo: Path) -> dict[str, snapshot.ClaimLiterature]:
    return snapshot.load_for_book(repo)


def rule_text() -> str:
    """The flag rule, quoted from the docstring of the function that applies it."""
    doc = inspect.getdoc(triage.flag_for) or ""
    body = doc.split("The rule, in order:", 1)[-1].strip()
    qdoc = inspect.getdoc(query) or ""
    qrule = qdoc.split("The rule (documented in fetch/README.md):", 1)[-1].strip()
    return (
        "**What a query matches.** Each claim's `literature.queries` are read the same way by the "
        "live arXiv API and by the offline mirror (a local SQLite FTS5 index over an arXiv metadata "
        f"snapshot):\n\n{qrule}\n\n"
        "**Ranking and the flag.** "
        "The fetcher ranks papers first submitted after each claim's `literature.since` date "
        "(BM25 over title and abstract, plus cosine similarity of all-MiniLM-L6-v2 embeddings to "
        "the claim statement) and keeps the top candidates. A maintainer records a stance for "
        "each paper they read (`supports`, `challenges`, `qualifies`, `irrelevant`) in "
        "`literature/reviews.yaml`; model-suggested stances are kept apart and always labelled as "
        "suggestions. The dashboard's literature flag follows this rule, in order:\n\n"
        f"```text\n{body}\n```\n"
    )


def flag(entry: snapshot.ClaimLiterature | None) -> str:
    if entry is None:
        return NOT_FETCHED
    return entry.flag


def _paper(p: snapshot.PaperView) -> str:
    return f"{html.escape(p.title)} ({arxiv_link(p.arxiv_id)})"


def _date(p: snapshot.PaperView) -> str:
    return f"{p.submitted:%Y-%m-%d}" if p.submitted else "—"


def section(claim: Claim, entry: snapshot.ClaimLiterature | None, top: int = 10) -> str:
    since = claim.literature.since
    out = [f"## Newer work since {since:%d %B %Y}\n"]
    if entry is None or not entry.fetched:
        out.append(
            "**Nothing has been fetched for this claim yet**, so this page cannot say whether "
            "newer work supports or challenges it. Run `codegap fetch`.\n"
        )
        if entry is not None and entry.reviewed:
            out.append("Reviews recorded so far:\n\n" + table(
                ["stance", "paper", "reason"],
                [(f"**{p.stance}**", _paper(p), p.reason or "") for p in entry.reviewed]))
        return "\n".join(out)
    out.append(
        f"Fetched {entry.fetched_at:%d %B %Y} from {html.escape(entry.source)}. "
        f"**Literature flag: {html.escape(entry.flag)}.**\n"
    )
    counts = ", ".join(f"{k} {v}" for k, v in entry.counts.items())
    out.append(f"Papers by stance: {counts}.\n")
    if entry.note:
        out.append(entry.note + "\n")
    if entry.reviewed:
        out.append("### Reviewed by a maintainer\n\n" + table(
            ["stance", "paper", "first submitted", "reason"],
            [(f"**{p.stance}**", _paper(p), _date(p), p.reason or "") for p in entry.reviewed]))
    unreviewed = entry.unreviewed[:top]
    if unreviewed:
        out.append(f"### Top {len(unreviewed)} candidates, not yet reviewed\n\n"
                   "Ranked by relevance to the claim; *unreviewed* means nobody has read them for "
                   "this claim yet, so they count for nothing in the flag.\n\n" + table(
            ["rank", "paper", "first submitted", "relevance (BM25 / semantic / combined)"],
            [(p.rank, _paper(p), _date(p),
              " / ".join("—" if v is None else f"{v:.2f}" for v in (p.bm25, p.semantic, p.combined)))
             for p in unreviewed]))
    cited = [a for a in entry.anchors if a.citation_count is not None]
    if cited:
        out.append("### Citations of the primary sources (Semantic Scholar)\n\n" + table(
            ["primary source", "citations", "citing papers newer than the claim"],
            [(a.title, a.citation_count, "—" if a.citing_since is None else a.citing_since) for a in cited]))
    else:
        out.append("Citation counts of the primary sources were not fetched in this run "
                   "(Semantic Scholar is only queried in live mode).\n")
    return "\n".join(out)
