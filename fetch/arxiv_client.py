"""Live arXiv search through the `arxiv` package, made polite and fault-tolerant.

The `arxiv` package does the paging and Atom parsing. What it lacks for an
unattended weekly job is supplied here by the HTTP session it is given:

* a request timeout (the package sets none);
* at most one request per `delay_seconds` (arXiv's terms ask for 3 s),
  counted over retries too;
* retries with exponential backoff (tenacity) on 5xx, 429, timeouts,
  connection errors and truncated/malformed Atom bodies, honouring
  `Retry-After`;
* a clear error for a 4xx answer, quoting arXiv's own error-feed message;
* suspicious answers are retried and then fail, never taken as "nothing new":
  a feed without `opensearch:totalResults`, a page with no entries although
  `totalResults` says there are more, an entry without an arXiv id. (arXiv
  is known to answer an occasional empty page; taking it at face value would
  move the live window past papers never seen.)

The endpoint comes from `ArxivConfig.base_url` (env `CODEGAP_ARXIV_URL`) so
tests can point the real client at a server on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any, Iterator

import arxiv
import requests
from lxml import etree
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from .query import ParsedQuery, arxiv_expression, arxiv_or_expression, arxiv_title_expression
from .records import Found, split_version

log = logging.getLogger(__name__)

DEFAULT_URL = "https://export.arxiv.org/api/query"
ATOM = "{http://www.w3.org/2005/Atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


class ArxivFetchError(Exception):
    """A search could not be completed; the message says which request and why."""


class ArxivQueryRejected(ArxivFetchError):
    """arXiv answered 4xx (e.g. HTTP 400 with an error feed): retrying will not help."""


class _Retryable(Exception):
    """Internal: a transient failure worth another try."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class ArxivConfig:
    base_url: str = DEFAULT_URL
    page_size: int = 100
    delay_seconds: float = 3.0
    timeout_seconds: float = 30.0
    attempts: int = 5  # first try + 4 retries
    backoff_seconds: float = 4.0  # first backoff; doubles each retry
    backoff_max_seconds: float = 120.0
    max_results_per_query: int = 200

    @classmethod
    def from_env(cls, **overrides: Any) -> "ArxivConfig":
        """Defaults, then `CODEGAP_ARXIV_URL`, then explicit overrides."""
        values: dict[str, Any] = {}
        if os.environ.get("CODEGAP_ARXIV_URL"):
            values["base_url"] = os.environ["CODEGAP_ARXIV_URL"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def error_feed_message(body: bytes) -> str | None:
    """arXiv's explanation inside an error feed (entry title 'Error'), if any."""
    try:
        root = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    for entry in root.iter(f"{ATOM}entry"):
        if (entry.findtext(f"{ATOM}title") or "").strip() == "Error":
            return (entry.findtext(f"{ATOM}summary") or "").strip() or None
    return None


def _check_atom(body: bytes) -> None:
    """Raise _Retryable unless the body is a complete, plausible Atom feed (see module doc)."""
    try:
        root = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise _Retryable(f"malformed or truncated Atom feed: {exc}") from exc
    if root.tag != f"{ATOM}feed":
        raise _Retryable(f"response is XML but not an Atom feed (root {root.tag})")
    total_text = (root.findtext(f"{OPENSEARCH}totalResults") or "").strip()
    if not total_text.isdigit():
        raise _Retryable("suspicious feed: no opensearch:totalResults")
    start_text = (root.findtext(f"{OPENSEARCH}startIndex") or "0").strip()
    start = int(start_text) if start_text.isdigit() else 0
    entries = root.findall(f"{ATOM}entry")
    if not entries and int(total_text) > start:
        raise _Retryable(f"suspicious feed: no entries although totalResults={total_text} (start {start})")
    for e in entries:
        if "arxiv.org/abs/" not in (e.findtext(f"{ATOM}id") or ""):
            raise _Retryable("suspicious feed: an entry has no arXiv id")


class PoliteSession(requests.Session):
    """A requests session that spaces, times out, retries and validates arXiv calls."""

    def __init__(self, config: ArxivConfig):
        super().__init__()
        self.config = config
        self._lock = threading.Lock()
        self._last: float | None = None
        self.requests_made = 0

    def _wait_turn(self) -> None:
        """Sleep until `delay_seconds` have passed since the previous request finished."""
        with self._lock:
            if self._last is not None:
                gap = self.config.delay_seconds - (time.monotonic() - self._last)
                if gap > 0:
                    time.sleep(gap)

    def _wait_backoff(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        base = wait_exponential(
            multiplier=self.config.backoff_seconds, max=self.config.backoff_max_seconds
        )(state)
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(max(base, exc.retry_after), self.config.backoff_max_seconds)
        return base

    def _once(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        self._wait_turn()
        self.requests_made += 1
        try:
            resp = super().request(method, url, timeout=self.config.timeout_seconds, **kwargs)
        except requests.Timeout as exc:
            raise _Retryable(f"timed out after {self.config.timeout_seconds:g}s") from exc
        except requests.ConnectionError as exc:
            raise _Retryable(f"connection failed: {exc}") from exc
        finally:
            self._last = time.monotonic()  # spacing counts from the end of this request
        if resp.status_code == 429 or resp.status_code >= 500:
            ra = resp.headers.get("Retry-After")
            retry_after = float(ra) if ra and ra.strip().isdigit() else None
            raise _Retryable(f"HTTP {resp.status_code}", retry_after)
        if resp.status_code >= 400:
            why = error_feed_message(resp.content) or resp.text[:200].strip() or resp.reason
            raise ArxivQueryRejected(f"arXiv rejected the request (HTTP {resp.status_code}): {why} [{url}]")
        if resp.status_code == 200:
            _check_atom(resp.content)
        return resp

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.pop("timeout", None)
        retrying = Retrying(
            retry=retry_if_exception_type(_Retryable),
            stop=stop_after_attempt(self.config.attempts),
            wait=self._wait_backoff,
            reraise=True,
            before_sleep=lambda s: log.warning(
                "arXiv request failed (%s); retry %d of %d", s.outcome.exception(),
                s.attempt_number, self.config.attempts - 1,
            ),
        )
        try:
            return retrying(self._once, method, url, *args, **kwargs)
        except _Retryable as exc:
            raise ArxivFetchError(
                f"arXiv request failed after {self.config.attempts} attempts: {exc} [{url}]"
            ) from exc


class ArxivSource:
    """Search arXiv for one claim's queries, newest submissions first."""

    def __init__(self, config: ArxivConfig | None = None):
        self.config = config or ArxivConfig.from_env()
        self.session = PoliteSession(self.config)
        # Spacing and retries live in the session; the package's own retry
        # covers only its "unexpectedly empty page" glitch.
        self.client = arxiv.Client(page_size=self.config.page_size, delay_seconds=0.0, num_retries=2)
        self.client.query_url_format = self.config.base_url + "?{}"
        self.client._session = self.session  # the package's documented session slot

    def results(self, search: arxiv.Search, query_index: int = -1) -> list[Found]:
        """Run any `arxiv.Search` (all pages) through the polite session."""
        return [_to_found(r, query_index) for r in self._run(search)]

    def _run(self, search: arxiv.Search) -> Iterator[arxiv.Result]:
        try:
            yield from self.client.results(search)
        except arxiv.UnexpectedEmptyPageError as exc:
            raise ArxivFetchError(f"arXiv returned an empty page mid-way: {exc}") from exc
        except arxiv.HTTPError as exc:  # only reachable if the session let a status through
            raise ArxivFetchError(f"arXiv answered HTTP {exc.status} [{exc.url}]") from exc

    #: Lists arrive sorted by date or by arXiv's relevance, not by BM25 with one
    #: corpus: the pipeline re-ranks every list over the retrieved pool.
    ranks_lists = False

    def search(
        self,
        query: ParsedQuery,
        *,
        since: dt.date,
        until: dt.date,
        categories: list[str],
        query_index: int = 0,
        limit: int | None = None,
        max_results: int | None = None,
    ) -> list[Found]:
        """Papers meeting the query's quorum, first submitted in [since, until], newest first."""
        search = arxiv.Search(
            query=f"({arxiv_expression(query)}) AND {self._scope(since, until, categories)}",
            max_results=limit or max_results or self.config.max_results_per_query,
            sort_by=arxiv.SortCriterion.SubmittedDate,
            sort_order=arxiv.SortOrder.Descending,
        )
        return self.results(search, query_index)

    def search_or(
        self, terms: tuple[str, ...], *, since: dt.date, until: dt.date, categories: list[str], limit: int = 300,
    ) -> list[Found]:
        """Papers containing any of `terms` in the window, in arXiv's relevance order."""
        search = arxiv.Search(
            query=f"({arxiv_or_expression(terms)}) AND {self._scope(since, until, categories)}",
            max_results=limit,
            sort_by=arxiv.SortCriterion.Relevance,
            sort_order=arxiv.SortOrder.Descending,
        )
        return self.results(search)

    def search_title(
        self, terms: tuple[str, ...], *, since: dt.date, until: dt.date, categories: list[str], limit: int = 200,
    ) -> list[Found]:
        """Papers whose title contains any of `terms` in the window, in arXiv's relevance order."""
        search = arxiv.Search(
            query=f"({arxiv_title_expression(terms)}) AND {self._scope(since, until, categories)}",
            max_results=limit,
            sort_by=arxiv.SortCriterion.Relevance,
            sort_order=arxiv.SortOrder.Descending,
        )
        return self.results(search)

    @staticmethod
    def _scope(since: dt.date, until: dt.date, categories: list[str]) -> str:
        cats = " OR ".join(f"cat:{c}" for c in categories)
        window = f"submittedDate:[{since:%Y%m%d}0000 TO {until:%Y%m%d}2359]"
        return f"({cats}) AND {window}" if cats else window

    def lookup(self, ids: list[str]) -> dict[str, Found]:
        """Look papers up by id (with or without version), keyed by base id, in request order."""
        out: dict[str, Found] = {}
        for i in range(0, len(ids), 100):
            chunk = ids[i:i + 100]
            for f in self.results(arxiv.Search(id_list=chunk, max_results=len(chunk))):
                out.setdefault(f.arxiv_id, f)
        return out


def _to_found(r: arxiv.Result, query_index: int) -> Found:
    base, version = split_version(r.get_short_id())
    return Found(
        arxiv_id=base,
        version=version or 1,
        title=" ".join(r.title.split()),
        authors=[a.name for a in r.authors],
        submitted=r.published.date(),
        categories=list(r.categories),
        abstract=" ".join((r.summary or "").split()),
        matched_queries=[query_index] if query_index >= 0 else [],
    )
