"""The "newer work" section of each claim page, from the fetcher's snapshot.

The data comes only from `fetch.view.load_for_book()` (snapshot plus the
maintainers' reviews and, labelled apart, model suggestions); this module just
lays it out. The methods page's rules come from the fetcher as data
(`fetch.query.RULE`, `fetch.rank.RULE`, `fetch.triage.FLAG_RULE`), never cut
out of docstrings. When nothing has been fetched the page says so plainly.
Every value from data goes onto the page through `codegap.book.markdown`.
"""

from __future__ import annotations

from pathlib import Path

from codegap.book.markdown import arxiv_link, code, emph, strong, table, text
from codegap.claims import Claim
from fetch import query, rank, triage, view

NOT_FETCHED = "nothing fetched yet"
TOP = 20  # candidates listed on each claim page


def load(repo: Path) -> dict[str, view.ClaimLiterature]:
    return view.load_for_book(repo)


def _items(lines: tuple[str, ...]) -> str:
    return "\n".join(f"- {line}" for line in lines) + "\n"


def rule_text() -> str:
    """The query, ranking and flag rules, from the fetcher's own rule data."""
    flag_rows = [(i, text(cond), code(level), text(shown)) for i, (cond, level, shown)
                 in enumerate(triage.FLAG_RULE, 1)]
    return (
        "**What a query matches.** Each claim's `literature.queries` are read the same way by the "
        "live arXiv API and by the offline mirror (a local SQLite FTS5 index over an arXiv metadata "
        f"snapshot):\n\n{_items(query.RULE)}\n"
        "**How candidates are ranked.** For each claim the fetcher builds several ranked lists and "
        f"fuses them by rank:\n\n{_items(rank.RULE)}\n"
        f"The best {TOP} are listed on each claim page. A maintainer records a stance for each paper "
        "they read (`supports`, `challenges`, `qualifies`, `irrelevant`, with a one-line reason) in "
        "`literature/reviews.yaml`; model-suggested stances are kept apart "
        "(`literature/suggestions.yaml`) and always labelled as suggestions.\n\n"
        "**The literature flag.** The dashboard's flag follows this rule, applied in order:\n\n"
        + table(["#", "when", "level", "flag"], flag_rows)
        + f"\n{triage.FLAG_NOTE}\n"
    )


def agreement_text(repo: Path) -> str:
    """How often each model's suggested stances match the maintainer's reviews of the same papers,
    beside what calling every paper relevant would score (the suggestions never move a flag)."""
    from fetch.suggestions import SUGGESTIONS_PATH, agreement, read_suggestions
    from fetch.triage import REVIEWS_PATH, read_review_list

    agree = agreement(read_suggestions(repo / SUGGESTIONS_PATH), read_review_list(repo / REVIEWS_PATH))
    if not agree:
        return "**Model suggestions against reviews.** No model-suggested stance has a review to compare with yet.\n"
    rows = [(code(m), str(a["both"]), f"{a['exact']} ({a['exact_rate']:.0%})",
             f"{a['relevant']} ({a['relevant_rate']:.0%})",
             f"{a['reviewed_relevant']} ({a['reviewed_relevant'] / a['both']:.0%})")
            for m, a in sorted(agree.items())]
    return ("**Model suggestions against reviews.** Papers that both a model (`codegap suggest-stance`) "
            "and a maintainer judged, and how often they agree:\n\n"
            + table(["model", "papers judged by both", "same stance", "same relevant-or-not",
                     "baseline: calling every paper relevant"], rows))


def counts_text(entry: view.ClaimLiterature) -> str:
    c = entry.counts
    return (f"supports {c.get('supports', 0)}, challenges {c.get('challenges', 0)}, "
            f"qualifies {c.get('qualifies', 0)}")


def flag(entry: view.ClaimLiterature | None) -> str:
    """The dashboard's literature cell: the flag and the reviewed stance counts."""
    if entry is None:
        return NOT_FETCHED
    if not entry.fetched and not entry.reviewed:
        return entry.flag
    return f"{entry.flag} ({counts_text(entry)})"


def _paper(p: view.PaperView) -> str:
    return f"{text(p.title)} ({arxiv_link(p.arxiv_id)})"


def _date(p: view.PaperView) -> str:
    return f"{p.submitted:%Y-%m-%d}" if p.submitted else "—"


def _stance(p: view.PaperView) -> str:
    if p.stance == "unreviewed":
        return emph("unreviewed")
    return strong(p.stance)


def _suggestion(p: view.PaperView) -> str:
    if not p.suggested_stance:
        return "—"
    return f"{emph(p.suggested_stance)} by {code(p.suggested_by or '?')}: {text(p.suggested_reason or '')}"


def _evidence(p: view.PaperView) -> str:
    lexical = sorted(n for n in p.ranks if n != "dense" and not n.startswith("dense:"))
    dense = "—" if p.dense is None else f"{p.dense:.2f}"
    return text(f"{len(lexical)} lists; similarity {dense}")


def section(claim: Claim, entry: view.ClaimLiterature | None, top: int = TOP) -> str:
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
                [(strong(p.stance), _paper(p), text(p.reason or "")) for p in entry.reviewed]))
        return "\n".join(out)
    out.append(
        f"Fetched {entry.fetched_at:%d %B %Y} from {text(entry.source)}. "
        f"**Literature flag: {text(entry.flag)}.**\n"
    )
    shown = entry.top(top)
    unreviewed = sum(1 for p in shown if p.stance == "unreviewed")
    out.append(f"Maintainers' reviews: {text(counts_text(entry))}, irrelevant "
               f"{entry.counts.get('irrelevant', 0)}; {unreviewed} of the top {len(shown)} not reviewed yet.\n")
    if entry.note:
        out.append(text(entry.note) + "\n")
    if shown:
        with_sugg = any(p.suggested_stance for p in shown)
        header = ["rank", "paper", "first submitted", "stance (maintainer)", "reason", "found by"]
        if with_sugg:
            header.append("model suggestion (not a review)")
        rows = []
        for p in shown:
            row = [p.rank, _paper(p), _date(p), _stance(p), text(p.reason or ""), _evidence(p)]
            if with_sugg:
                row.append(_suggestion(p))
            rows.append(row)
        out.append(f"### Top {len(shown)} candidates\n\n"
                   "Ranked by fused relevance to the claim (see the methods page). The stance is a "
                   "maintainer's, after reading the abstract; *unreviewed* papers count for nothing in "
                   "the flag. \"found by\" gives how many ranked lists the paper is in and its "
                   "similarity to the claim's texts.\n\n" + table(header, rows))
    others = [p for p in entry.reviewed if p.rank is None or p.rank > top]
    if others:
        out.append("### Other reviewed papers\n\nReviewed by a maintainer, ranked below the top "
                   f"{top} or no longer among the candidates; they count in the flag.\n\n" + table(
                       ["stance", "paper", "first submitted", "reason"],
                       [(strong(p.stance), _paper(p), _date(p), text(p.reason or "")) for p in others]))
    if entry.lists:
        out.append("### How the candidates were found\n\n"
                   f"The ranked lists fused for this claim (pool of {entry.retrieved} papers); "
                   "each shows the words or phrases it searched.\n\n" + table(
                       ["list", "kind", "papers", "words searched"],
                       [(code(li.name), text(li.kind), li.size, text(" · ".join(li.terms)))
                        for li in entry.lists]))
    cited = [a for a in entry.anchors if a.citation_count is not None]
    if cited:
        out.append("### Citations of the primary sources (Semantic Scholar)\n\n" + table(
            ["primary source", "citations", "citing papers newer than the claim", "counted on"],
            [(text(a.title), a.citation_count, "—" if a.citing_since is None else a.citing_since,
              "—" if a.counted_on is None else f"{a.counted_on:%Y-%m-%d}") for a in cited]))
    else:
        out.append("Citation counts of the primary sources were not fetched in this run "
                   "(Semantic Scholar is only queried in live mode).\n")
    return "\n".join(out)
