"""One reading of a claim's `literature.queries`, shared by every backend.

The arXiv API, the offline mirror and the ranking step must agree on what a
query string means, or the same claim would find different papers online and
offline. The rule (documented in fetch/README.md):

* text in double quotes is a phrase and must occur as written;
* every other word is a term; common English words are dropped, and a
  hyphenated word ("step-by-step") becomes a phrase of its parts;
* a paper matches a query when its title or abstract contains at least a
  quorum of the query's terms and phrases: 60% of them, rounded up, and at
  least 2 (all of them when the query has fewer than 3). If that would need
  more than `MAX_CLAUSES` alternative combinations the quorum is raised until
  it fits, so very long queries become stricter rather than unbounded.
  Alternatives of different meaning belong in separate queries.

Free text (a claim statement, an anchor's title or abstract, or a query read
as a bag of words) is searched as an OR of its content words (`or_terms`):
every word except common English ones and bare numbers, most frequent first,
at most `MAX_OR_TERMS`. BM25 then weighs the rare words up and the common ones
down, so such a list is ranked by how much of the text a paper shares.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass

#: Words too common to narrow a search of arXiv titles and abstracts.
STOPWORDS = frozenset(
    """a an and are as at be by can do does for from has have how in into is it its
    of on or over than that the their them these this to via was were what when
    where which while who why will with without versus vs not no""".split()
)

#: Upper bound on the AND-clauses a quorum expands to (keeps API URLs short).
MAX_CLAUSES = 60

#: At most this many words of a free text go into its OR query (keeps API URLs short).
MAX_OR_TERMS = 40

#: The query rule as the book's methods page shows it (one item per line). `parse_query`,
#: `quorum` and `or_terms` below apply it; fetch/README.md restates it.
RULE: tuple[str, ...] = (
    "Text in double quotes is a phrase and must occur as written; every other word is a term; "
    "common English words are dropped, and a hyphenated word is a phrase of its parts.",
    "A paper meets a query's quorum when its title or abstract contains at least 60% of the query's "
    "terms and phrases, rounded up, and at least 2 (all of them when the query has fewer than 3); "
    f"if that would need more than {MAX_CLAUSES} alternative combinations the quorum is raised until "
    "it fits, so very long queries become stricter rather than unbounded.",
    "A free text (the claim statement, a primary source's title or abstract, or a query read as a bag "
    "of words) is searched as an OR of its content words: common words and bare numbers dropped, most "
    f"frequent first, at most {MAX_OR_TERMS}. A title search is the same OR restricted to titles.",
    "Only papers listed in at least one of the claim's `literature.categories` (cross-lists count) and "
    "first submitted on or after its `literature.since` date count; a claim's own primary sources are "
    "never candidates.",
)


#: Extra words dropped from free text (statements, abstracts) before an OR search:
#: they occur in most abstracts and would only slow the search down.
TEXT_STOPWORDS = STOPWORDS | frozenset(
    """also all any been but both each more most much many other same so such only own
    then there they those through under up very we our us you your he she his her one two
    may might must should would could cannot shall i me my if about after again against
    before below between during further here once out off too just don nor again because
    until since instead rather whether yet often however thus paper propose proposed show
    shows present results using use used based new approach method""".split()
)

_QUOTED = re.compile(r'"([^"]+)"')
_WORD = re.compile(r"[A-Za-z0-9]+(?:[-'][A-Za-z0-9]+)*")


@dataclass(frozen=True)
class ParsedQuery:
    """A query as an ordered tuple of phrases; a one-word phrase is a term."""

    text: str
    phrases: tuple[tuple[str, ...], ...]

    @property
    def words(self) -> list[str]:
        """Every word of every phrase, for bag-of-words scoring."""
        return [w for p in self.phrases for w in p]


def _split(word: str) -> tuple[str, ...]:
    return tuple(part.lower() for part in re.split(r"[-']", word) if part)


def parse_query(text: str) -> ParsedQuery:
    """Parse one query string; raises ValueError if nothing searchable is left."""
    phrases: list[tuple[str, ...]] = []
    for quoted in _QUOTED.findall(text):
        parts = tuple(w.lower() for w in re.findall(r"[A-Za-z0-9]+", quoted))
        if parts:
            phrases.append(parts)
    rest = _QUOTED.sub(" ", text)
    for word in _WORD.findall(rest):
        if word.lower() in STOPWORDS:
            continue
        parts = _split(word)
        if parts and parts not in phrases:
            phrases.append(parts)
    if not phrases:
        raise ValueError(f"query {text!r} has no searchable words after dropping common ones")
    return ParsedQuery(text=text, phrases=tuple(phrases))


def quorum(n: int) -> int:
    """How many of a query's n phrases a paper must contain (see module doc)."""
    if n < 3:
        return n
    q = max(2, math.ceil(0.6 * n))
    while q < n and math.comb(n, q) > MAX_CLAUSES:
        q += 1
    return q


def clauses(q: ParsedQuery) -> list[tuple[tuple[str, ...], ...]]:
    """The quorum as a disjunction of conjunctions (each a tuple of phrases)."""
    return list(itertools.combinations(q.phrases, quorum(len(q.phrases))))


def _or_of_ands(q: ParsedQuery, render) -> str:
    ors = [" AND ".join(render(p) for p in conj) for conj in clauses(q)]
    if len(ors) == 1:
        return ors[0]
    return " OR ".join(f"({c})" for c in ors)


def fts5_expression(q: ParsedQuery) -> str:
    """SQLite FTS5 MATCH expression for the quorum; every phrase quoted so no syntax leaks."""
    return _or_of_ands(q, lambda p: '"' + " ".join(p) + '"')


def arxiv_expression(q: ParsedQuery) -> str:
    """arXiv API `search_query` for the same quorum.

    `all:` (title, abstract, authors, comments) is the API's nearest field to
    the mirror's title+abstract, and keeps the URL short for long quorums.
    """

    def render(p: tuple[str, ...]) -> str:
        term = " ".join(p)
        return f'all:"{term}"' if len(p) > 1 else f"all:{term}"

    return _or_of_ands(q, render)


def or_terms(text: str, cap: int = MAX_OR_TERMS) -> tuple[str, ...]:
    """The content words of a free text for an OR search (see module doc).

    Lower-cased; hyphenated words are split; words of one letter, bare numbers
    and `TEXT_STOPWORDS` are dropped; ordered by count in the text (then first
    occurrence), at most `cap`. Raises ValueError if nothing is left.
    """
    counts: dict[str, int] = {}
    for word in re.findall(r"[A-Za-z0-9]+", text):
        w = word.lower()
        if len(w) < 2 or w.isdigit() or w in TEXT_STOPWORDS:
            continue
        counts[w] = counts.get(w, 0) + 1
    if not counts:
        raise ValueError(f"text {text[:60]!r} has no searchable words after dropping common ones")
    order = {w: i for i, w in enumerate(counts)}
    return tuple(sorted(counts, key=lambda w: (-counts[w], order[w]))[:cap])


def fts5_or_expression(terms: tuple[str, ...]) -> str:
    """SQLite FTS5 MATCH expression: any of the terms (each quoted, so no syntax leaks)."""
    return " OR ".join(f'"{t}"' for t in terms)


def arxiv_or_expression(terms: tuple[str, ...]) -> str:
    """arXiv API `search_query` for the same OR search (`all:` fields)."""
    return " OR ".join(f'all:"{t}"' if " " in t else f"all:{t}" for t in terms)


def fts5_title_expression(terms: tuple[str, ...]) -> str:
    """SQLite FTS5 MATCH expression: any of the terms in the title column only."""
    return f"title : ({fts5_or_expression(terms)})"


def arxiv_title_expression(terms: tuple[str, ...]) -> str:
    """arXiv API `search_query` for the same title search (`ti:` fields)."""
    return " OR ".join(f'ti:"{t}"' if " " in t else f"ti:{t}" for t in terms)
