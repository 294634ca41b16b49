"""Semantic Scholar: citation counts of a claim's anchors and the newer papers citing them.

Uses the `semanticscholar` package for URLs, paging and the object model, but
hands it our own requester, because the package's one (0.12) silently turns
HTTP 502/503 into an empty answer, waits at least 5 s per retry, and forgets
the API key on citation pages. Ours:

* spaces requests (`min_interval_seconds`; 1 s is S2's keyed limit);
* retries 429 (honouring Retry-After), 5xx, timeouts, connection errors and
  unparseable bodies with exponential backoff, then fails loudly;
* keeps the package's exceptions for 400 (BadQueryParametersException) and
  404 (ObjectNotFoundException), and turns 403 into a message about the key.

Base URL: env `CODEGAP_S2_URL`; key: env `SEMANTIC_SCHOLAR_API_KEY` (optional).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import time
from dataclasses import dataclass
from typing import Any

import httpx
from semanticscholar import SemanticScholar
from semanticscholar.ApiRequester import ApiRequester
from semanticscholar.SemanticScholarException import (
    BadQueryParametersException,
    ObjectNotFoundException,
)
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt, wait_exponential

from .records import Found

log = logging.getLogger(__name__)

DEFAULT_URL = "https://api.semanticscholar.org"
ANCHOR_FIELDS = ["title", "citationCount", "externalIds", "publicationDate"]
CITING_FIELDS = ["title", "externalIds", "publicationDate", "year", "authors", "abstract"]


class S2Error(Exception):
    """A Semantic Scholar call failed for good; the message names the request."""


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class S2Config:
    base_url: str = DEFAULT_URL
    api_key: str | None = None
    timeout_seconds: float = 30.0
    attempts: int = 5
    backoff_seconds: float = 2.0
    backoff_max_seconds: float = 60.0
    min_interval_seconds: float = 1.0
    max_citations: int = 1000

    @classmethod
    def from_env(cls, **overrides: Any) -> "S2Config":
        values: dict[str, Any] = {}
        if os.environ.get("CODEGAP_S2_URL"):
            values["base_url"] = os.environ["CODEGAP_S2_URL"]
        if os.environ.get("SEMANTIC_SCHOLAR_API_KEY"):
            values["api_key"] = os.environ["SEMANTIC_SCHOLAR_API_KEY"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


class _Requester(ApiRequester):
    """Drop-in for the package's requester with spacing, full status handling and backoff."""

    def __init__(self, config: S2Config):
        super().__init__(config.timeout_seconds, retry=True)
        self.config = config
        self._last: float | None = None
        self.requests_made = 0

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        base = wait_exponential(multiplier=self.config.backoff_seconds, max=self.config.backoff_max_seconds)(state)
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(max(base, exc.retry_after), self.config.backoff_max_seconds)
        return base

    async def _once(self, url: str, parameters: str, headers: dict, payload: dict | None) -> Any:
        if self._last is not None:
            gap = self.config.min_interval_seconds - (time.monotonic() - self._last)
            if gap > 0:
                await asyncio.sleep(gap)
        self.requests_made += 1
        method = "POST" if payload else "GET"
        hdrs = dict(headers or {})
        if self.config.api_key:
            hdrs.setdefault("x-api-key", self.config.api_key)
        try:
            async with httpx.AsyncClient() as client:
                r = await client.request(
                    method, url, params=parameters.lstrip("&"), timeout=self.config.timeout_seconds,
                    headers=hdrs, json=payload,
                )
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timed out after {self.config.timeout_seconds:g}s") from exc
        except httpx.TransportError as exc:
            raise _Retryable(f"connection failed: {exc}") from exc
        finally:
            # Spacing counts from the end of the previous call, so the server never
            # sees two requests closer than the interval, however slow the network.
            self._last = time.monotonic()
        if r.status_code == 429 or r.status_code >= 500:
            ra = r.headers.get("retry-after", "")
            raise _Retryable(f"HTTP {r.status_code}", float(ra) if ra.strip().isdigit() else None)
        try:
            data = r.json()
        except json.JSONDecodeError as exc:
            if r.status_code == 200:
                raise _Retryable(f"unparseable JSON body ({exc.msg})") from exc
            data = {}
        message = data.get("error") or data.get("message") if isinstance(data, dict) else None
        if r.status_code == 400:
            raise BadQueryParametersException(message or "HTTP 400")
        if r.status_code == 403:
            raise S2Error(
                f"Semantic Scholar refused the request (HTTP 403 {message or 'Forbidden'}); "
                f"check SEMANTIC_SCHOLAR_API_KEY [{method} {url}]"
            )
        if r.status_code == 404:
            raise ObjectNotFoundException(message or "HTTP 404")
        if r.status_code != 200:
            raise S2Error(f"Semantic Scholar answered HTTP {r.status_code} [{method} {url}]")
        if isinstance(data, dict) and len(data) == 1 and "error" in data:
            return {}
        return data

    async def get_data_async(self, url: str, parameters: str, headers: dict, payload: dict | None = None) -> Any:  # type: ignore[override]
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_Retryable),
            stop=stop_after_attempt(self.config.attempts),
            wait=self._wait,
            reraise=True,
            before_sleep=lambda s: log.warning("Semantic Scholar: %s; retrying", s.outcome.exception()),
        )
        try:
            return await retrying(self._once, url, parameters, headers, payload)
        except _Retryable as exc:
            raise S2Error(
                f"Semantic Scholar request failed after {self.config.attempts} attempts: {exc} [{url}]"
            ) from exc


@dataclass(frozen=True)
class AnchorCitations:
    """What S2 knows about one anchor paper."""

    paper_id: str | None
    citation_count: int | None
    citing_since: int | None  # citing papers dated on/after `since`
    found: bool
    note: str = ""


def _date_of(paper: Any) -> dt.date | None:
    if paper.publicationDate is not None:
        return paper.publicationDate.date()
    if paper.year:
        return dt.date(int(paper.year), 1, 1)
    return None


class S2Source:
    """Anchor citation counts and citing papers, through the semanticscholar package."""

    def __init__(self, config: S2Config | None = None):
        self.config = config or S2Config.from_env()
        self.client = SemanticScholar(
            timeout=int(self.config.timeout_seconds), api_key=self.config.api_key,
            api_url=self.config.base_url, retry=False,
        )
        self.requester = _Requester(self.config)
        self.client._AsyncSemanticScholar._requester = self.requester

    def paper(self, paper_id: str, fields: list[str] | None = None) -> Any | None:
        """One paper, or None when S2 does not know the id (HTTP 404)."""
        try:
            p = self.client.get_paper(paper_id, fields=fields or ANCHOR_FIELDS)
        except ObjectNotFoundException:
            return None
        return p if p.paperId else None

    def citing(self, paper_id: str, since: dt.date, fields: list[str] | None = None) -> tuple[list[Found], int]:
        """Papers citing `paper_id` dated on/after `since`: (those with an arXiv id, count of all).

        A citing paper with neither a publication date nor a year is skipped:
        it cannot be shown to be newer.
        """
        found: list[Found] = []
        newer = 0
        for p in self.iter_citations(paper_id, fields):
            when = _date_of(p)
            if when is None or when < since:
                continue
            newer += 1
            arx = (p.externalIds or {}).get("ArXiv")
            if arx:
                found.append(Found(
                    arxiv_id=arx, version=1, title=" ".join((p.title or "").split()),
                    authors=[a.name for a in (p.authors or []) if a.name],
                    submitted=when, categories=[], abstract=" ".join((p.abstract or "").split()),
                    origin="cites-anchor",
                ))
        return found, newer

    def iter_citations(self, paper_id: str, fields: list[str] | None = None):
        """Every citing paper S2 lists (all pages, up to `max_citations`)."""
        pages = self.client.get_paper_citations(paper_id, fields=fields or CITING_FIELDS, limit=100)
        for i, cit in enumerate(pages):
            if i >= self.config.max_citations:
                return
            if cit.paper is not None:
                yield cit.paper

    def match_title(self, title: str, fields: list[str] | None = None) -> Any | None:
        """The paper whose title best matches (S2 /paper/search/match), or None."""
        try:
            p = self.client.search_paper(title, fields=fields or ANCHOR_FIELDS, match_title=True)
        except (ObjectNotFoundException, IndexError):
            return None
        return p if getattr(p, "paperId", None) else None

    def anchor(self, arxiv_base: str | None, since: dt.date, title: str = "") -> tuple[AnchorCitations, list[Found]]:
        """Citation count and newer citing papers of one anchor (by arXiv id, else by title)."""
        p = self.paper(f"arXiv:{arxiv_base}") if arxiv_base else self.match_title(title)
        if p is None:
            return AnchorCitations(None, None, None, False, "not found on Semantic Scholar"), []
        found, newer = self.citing(p.paperId, since)
        return AnchorCitations(p.paperId, p.citationCount, newer, True), found

    def search_titles(self, query: str, fields: list[str] | None = None, limit: int = 100) -> list[Any]:
        """First page of a plain S2 relevance search (resolves anchors known only by title)."""
        return list(self.client.search_paper(query, fields=fields or ["title"], limit=limit).items)
