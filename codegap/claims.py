"""The claim ledger: the one definition of what a claim record is.

Every page, table and badge in the book is generated from `claims/*.yaml`
validated by these models, so the schema lives here and nowhere else.
Records are strict: unknown fields, wrong types, bad arXiv ids, bad dates and
duplicate ids are errors, reported with file, field and reason.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Iterator, Literal, Union

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

#: New-style (2104.12255v1) or old-style (hep-ex/0406020v1) arXiv id, version required.
ARXIV_VERSIONED = re.compile(r"^(\d{4}\.\d{4,5}|[a-z][a-z\-]*(\.[A-Z]{2})?/\d{7})v\d+$")
#: A date as a source note gives it: "2024", "~2024", "2025-06", "2024-12-03".
GIVEN_DATE = re.compile(r"^(~)?(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
CLAIM_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

Slug = Annotated[str, StringConstraints(pattern=CLAIM_ID.pattern)]
NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class Strict(BaseModel):
    """Base: no unknown fields, no silent coercion of strings into numbers."""

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True, allow_inf_nan=False)


def _period(text: str, year: int, month: str | None, day: str | None) -> tuple[dt.date, dt.date]:
    """First and last day a year, month or day stands for (no invented day)."""
    if month is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    mo = int(month)
    if not 1 <= mo <= 12:
        raise ValueError(f"date {text!r} has month {mo}")
    if day is None:
        return dt.date(year, mo, 1), dt.date(year + (mo == 12), mo % 12 + 1, 1) - dt.timedelta(days=1)
    try:
        d = dt.date(year, mo, int(day))
    except ValueError as exc:
        raise ValueError(f"date {text!r} is not a calendar day ({exc})") from None
    return d, d


def parse_given_date(text: str) -> tuple[dt.date, dt.date, bool]:
    """Turn a note's date ("~2024", "2025-06") into (earliest, latest, approximate).

    A year-only or "~" date covers the whole period it names, so comparisons
    with paper dates use the interval rather than an invented day.
    """
    m = GIVEN_DATE.match(text.strip())
    if not m:
        raise ValueError(f"date {text!r} is not of the form [~]YYYY[-MM[-DD]]")
    approx, year, month, day = m.group(1), int(m.group(2)), m.group(3), m.group(4)
    lo, hi = _period(text, year, month, day)
    return lo, hi, bool(approx) or month is None


#: An anchor's date as far as it is known: "2026", "2026-02" or "2026-02-05".
PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


@dataclass(frozen=True)
class PartialDate:
    """A date known to the year, the month or the day, never padded with an invented day.

    Why: a web page known only as "2026" used to be recorded as 2026-01-01, and
    every date comparison then treated the invented day as a fact. `lo`/`hi`
    are the first and last day the date may stand for; rules compare intervals.
    """

    text: str
    lo: dt.date
    hi: dt.date
    precision: Literal["year", "month", "day"]

    @classmethod
    def parse(cls, value: Any) -> "PartialDate":
        if isinstance(value, cls):
            return value
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return cls(value.isoformat(), value, value, "day")
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # YAML reads a bare year as a number
        if not isinstance(value, str) or not PARTIAL_DATE.match(value.strip()):
            raise ValueError(f"date {value!r} is not of the form YYYY, YYYY-MM or YYYY-MM-DD")
        text = value.strip()
        m = PARTIAL_DATE.match(text)
        assert m is not None
        lo, hi = _period(text, int(m.group(1)), m.group(2), m.group(3))
        precision = "year" if m.group(2) is None else "month" if m.group(3) is None else "day"
        return cls(text, lo, hi, precision)  # type: ignore[arg-type]

    def isoformat(self) -> str:
        """The first day the date may stand for (for plotting and sorting only)."""
        return self.lo.isoformat()

    def human(self) -> str:
        """'5 February 2026', 'February 2026' or '2026': only as precise as known."""
        if self.precision == "day":
            return f"{self.lo.day} {self.lo:%B %Y}"
        return f"{self.lo:%B %Y}" if self.precision == "month" else f"{self.lo.year}"

    def overlaps(self, lo: dt.date, hi: dt.date) -> bool:
        return self.lo <= hi and lo <= self.hi

    def __str__(self) -> str:
        return self.text

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(
            cls.parse, serialization=core_schema.plain_serializer_function_ser_schema(str))


def _no_number(v: Any) -> Any:
    """Refuse an unquoted arXiv id that YAML turned into a number (2504.11741 -> float)."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        raise ValueError(f"must be a quoted string (YAML read {v!r} as a number: quote arXiv ids)")
    return v


class Citation(Strict):
    """How a source note cites one of the claim's anchors: who and when it says.

    Kept so the note's attribution can be compared with the anchor's committed
    authors and date: notes misattribute papers ("Huang et al." for a paper by
    Sun et al.) and misdate them (a February 2026 page cited as 2025).
    """

    anchor: NonEmpty = Field(description="arXiv id (with or without version), URL or citation text of an anchor")
    where: NonEmpty = Field(description="where in the note: footnote, paragraph")
    authors: NonEmpty | None = Field(None, description='the authors as the note names them, e.g. "Huang et al."')
    date: NonEmpty | None = Field(None, description="the date the note gives the work, [~]YYYY[-MM[-DD]]")

    _quoted = field_validator("anchor", mode="before")(_no_number)

    @field_validator("date")
    @classmethod
    def _date(cls, v: str | None) -> str | None:
        if v is not None:
            parse_given_date(v)
        return v


class Source(Strict):
    """Where a source note states the claim, and the date the note gives it."""

    file: NonEmpty = Field(description="file name in shared/sources/")
    locator: NonEmpty = Field(description="short locator: paragraph, list item, table")
    date_given: NonEmpty = Field(description='the date as the note gives it, e.g. "~2024"')
    cites: list[Citation] = Field(default_factory=list, description="the note's citations of the anchors")

    @field_validator("date_given")
    @classmethod
    def _date_given(cls, v: str) -> str:
        parse_given_date(v)
        return v


#: What a number measures. None: a level (a pass rate, a time). "relative": a
#: change as a share of the starting value (a 39% relative drop from 90 ends at
#: 54.9). "absolute": a difference in the unit itself (for %: points).
#: "unstated": the source gives a change without saying which of the two.
Change = Literal["relative", "absolute", "unstated"]


def _check_change(unit: str, change: str | None) -> None:
    if change == "relative" and unit != "%":
        raise ValueError(f"change 'relative' is a share of the starting value, so its unit must be '%' (not {unit!r})")


class ReportedNumber(Strict):
    """A number a primary paper reports, with where in the paper it stands."""

    metric: NonEmpty
    model: NonEmpty
    value: float
    unit: Literal["%", "x", "abs", "s"] = "%"
    change: Change | None = Field(None, description="None for a level; relative/absolute/unstated for a change")
    where: NonEmpty = Field(description="table/figure/abstract locator")
    second_hand_from: NonEmpty | None = Field(
        None, description="the summary this number was taken from when nobody read it in the primary source; "
                          "such numbers are never shown as reported by the paper")

    @model_validator(mode="after")
    def _change_unit(self) -> "ReportedNumber":
        _check_change(self.unit, self.change)
        return self


#: How an anchor bears on the claim; every anchor says which, and why (`justification`).
Relation = Literal["states-claim", "evidence", "qualifies", "challenges", "related"]
RELATIONS: dict[str, str] = {
    "states-claim": "states the claim in (about) the note's form",
    "evidence": "gives evidence for part or all of the claim without stating it",
    "qualifies": "supports a narrower or conditional version of the claim",
    "challenges": "reports results against the claim",
    "related": "is on the same topic but does not bear on the claim itself",
}
#: arXiv assigns new-style ids by submission month (YYMM), so a v1 date outside
#: that month contradicts the id; one day of slack covers the time zone change.
_ARXIV_MONTH = re.compile(r"^(\d{2})(\d{2})\.\d{4,5}v\d+$")


class Anchor(Strict):
    """A primary source: an arXiv paper (versioned id), a web page (URL), or, for
    work with no retrievable address, a citation text."""

    arxiv: str | None = None
    url: str | None = None
    citation: str | None = None
    title: NonEmpty
    authors: list[NonEmpty] | None = Field(
        None, description="every author in order, 'First Last', as the primary source lists them")
    authors_from: NonEmpty | None = Field(None, description="where the author list was read")
    date_source: NonEmpty | None = Field(
        None, description="where the date was read (needed for a date on the 1st of a month)")
    date: PartialDate = Field(description="first public date (arXiv: v1 submission), as precise as known")
    relation: Relation = "evidence"
    justification: NonEmpty | None = Field(
        None, description="one line quoted or paraphrased from the abstract that earns the relation")
    numbers: list[ReportedNumber] = Field(default_factory=list)
    note: str | None = None

    @field_validator("arxiv", mode="before")
    @classmethod
    def _arxiv(cls, v: Any) -> str | None:
        if v is not None and not isinstance(v, str):
            raise ValueError(
                f"arXiv id must be a quoted string with a version, e.g. \"2305.01210v3\" "
                f"(YAML read {v!r} as a {type(v).__name__})"
            )
        if v is not None and not ARXIV_VERSIONED.match(v):
            raise ValueError(
                f"arXiv id {v!r} is not a versioned arXiv id (e.g. 2305.01210v3)"
            )
        return v

    @field_validator("date")
    @classmethod
    def _date(cls, v: PartialDate, info: ValidationInfo) -> PartialDate:
        if v.precision == "day" and v.lo.day == 1 and not info.data.get("date_source"):
            raise ValueError(
                f"{v} looks like a placeholder day: write the year ({v.lo.year}) or month "
                f"({v.lo:%Y-%m}) when the day is unknown, or give date_source saying where this day was read"
            )
        m = _ARXIV_MONTH.match(info.data.get("arxiv") or "")
        if m:
            first = dt.date(2000 + int(m.group(1)), int(m.group(2)), 1)
            last = _period("", first.year, f"{first.month:02d}", None)[1] + dt.timedelta(days=1)
            if not v.overlaps(first, last):
                raise ValueError(
                    f"{v} contradicts arXiv id {info.data['arxiv']}, which was submitted in {first:%B %Y}")
        return v

    @model_validator(mode="after")
    def _one_locator(self) -> "Anchor":
        given = [k for k in ("arxiv", "url", "citation") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("an anchor needs exactly one of 'arxiv', 'url' or 'citation'")
        if self.url is not None and not re.match(r"^https?://\S+$", self.url):
            raise ValueError(f"url {self.url!r} is not an http(s) URL")
        if (self.authors is None) != (self.authors_from is None):
            raise ValueError("authors and authors_from go together: say where the author list was read")
        return self

    @property
    def arxiv_base(self) -> str | None:
        """The id without its version, for matching across versions."""
        return re.sub(r"v\d+$", "", self.arxiv) if self.arxiv else None

    @property
    def key(self) -> str:
        return self.arxiv or self.url or self.citation or ""

    @property
    def short_title(self) -> str:
        return self.title.split(":")[0]


class AnchorRef(Strict):
    """Points a seed number at the anchor number it should agree with."""

    anchor: NonEmpty = Field(description="arXiv id (with or without version) or URL")
    metric: NonEmpty
    model: NonEmpty

    _quoted = field_validator("anchor", mode="before")(_no_number)


class SeedNumber(Strict):
    """A number a source note quotes; compared with the anchor to flag mismatches."""

    source: NonEmpty
    metric: NonEmpty
    model: NonEmpty
    value: float
    unit: Literal["%", "x", "abs", "s"] = "%"
    change: Change | None = Field(None, description="None for a level; relative/absolute/unstated for a change")
    derived: NonEmpty | None = Field(
        None, description="how the value was computed from figures the note gives, when the note does not state it")
    second_hand_from: NonEmpty | None = Field(
        None, description="the secondary text the note took this number from (a cited summary, not an anchor)")
    untraceable: NonEmpty | None = Field(
        None, description="why this number cannot be traced to any primary source")
    compare_to: AnchorRef | None = None
    tolerance: float = Field(0.5, ge=0, description="absolute difference still counted as agreement")

    @model_validator(mode="after")
    def _change_unit(self) -> "SeedNumber":
        _check_change(self.unit, self.change)
        if self.untraceable and self.compare_to:
            raise ValueError("untraceable and compare_to exclude each other: a number with a primary "
                             "counterpart is not untraceable")
        return self
class Condition(Strict):
    """One test of a verdict rule or premise: a metric's interval against a threshold."""

    metric: NonEmpty
    op: Literal[">", "<"]
    threshold: float = Field(allow_inf_nan=False)
    why: NonEmpty


class RuleChange(Strict):
    """One version of a verdict rule: when it took effect and why it changed.

    Rules are fixed before the data. When one must change, its new version
    (`codegap.verdicts.rule_version`, a digest of the rule) is logged here with
    the date and the reason, and the methods page lists the changes; records
    keep the version they were decided under.
    """

    version: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{12}$")]
    date: dt.date
    reason: NonEmpty


class VerdictRule(Strict):
    """Premises first (a clear failure gives `premise not met`); then all conditions
    must be met for `holds`, and any clearly failing gives `does not hold`."""

    all: list[Condition] = Field(min_length=1)
    premises: list[Condition] = Field(default_factory=list)
    min_n: int = Field(10, ge=1, description="below this many units: inconclusive")
    log: list[RuleChange] = Field(default_factory=list, description="every version of this rule, oldest first")

    @model_validator(mode="after")
    def _current_version_logged(self) -> "VerdictRule":
        from codegap.verdicts import rule_version

        current = rule_version(self)
        if not self.log or self.log[-1].version != current:
            last = self.log[-1].version if self.log else "none"
            raise ValueError(
                f"log the rule's current version {current!r} as the last entry of verdict.log "
                f"(with date and reason; the last logged version is {last!r})"
            )
        return self


class Budget(Strict):
    """How much evidence a run may buy: it stops earlier as soon as the verdict is decided."""

    batch: int = Field(ge=1, description="units run between two looks at the evidence")
    max_units: int = Field(ge=1, description="the most units a run may use")
    max_output_tokens: int | None = Field(None, ge=1, description="total model output tokens a run may use")

    @model_validator(mode="after")
    def _batch_fits(self) -> "Budget":
        if self.batch > self.max_units:
            raise ValueError(f"batch {self.batch} is larger than max_units {self.max_units}")
        return self


class MetricSpec(Strict):
    name: Slug | Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+$")]
    description: NonEmpty


class Experiment(Strict):
    """A live check: its report notebook, default parameters, budget, metrics and verdict rule.

    The check itself is the package `codegap.experiments.<claim id with _>`;
    parameter defaults live only here (the notebook's parameters cell is
    checked against them by the tests).
    """

    notebook: NonEmpty
    parameters: dict[str, Any] = Field(default_factory=dict)
    budget: Budget

    @field_validator("notebook")
    @classmethod
    def _notebook_in_repo(cls, v: str) -> str:
        return notebook_path(v)
    metrics: list[MetricSpec] = Field(min_length=1)
    verdict: VerdictRule

    @model_validator(mode="after")
    def _rule_uses_emitted_metrics(self) -> "Experiment":
        names = {m.name for m in self.metrics}
        for key in ("premises", "all"):
            for i, cond in enumerate(getattr(self.verdict, key)):
                if cond.metric not in names:
                    raise ValueError(
                        f"verdict.{key}[{i}].metric {cond.metric!r} is not among the metrics "
                        f"the experiment emits ({', '.join(sorted(names))})"
                    )
        return self


class NoExperiment(Strict):
    """A literature-only claim: no live check, and the reason why."""

    none: NonEmpty = Field(description="why this claim has no live check")


class Literature(Strict):
    """What the fetcher searches for, and from which date work counts as newer."""

    queries: list[NonEmpty] = Field(min_length=1)
    categories: list[Annotated[str, StringConstraints(pattern=r"^[a-z\-]+(\.[A-Za-z\-]+)?$")]] = Field(min_length=1)
    since: dt.date


class Claim(Strict):
    """One dated claim from the source notes."""

    id: Slug
    title: NonEmpty
    statement: NonEmpty
    status_date: dt.date = Field(description="when this record was last reviewed")
    tags: list[NonEmpty] = Field(default_factory=list)
    sources: list[Source] = Field(min_length=1)
    anchors: list[Anchor] = Field(min_length=1)
    seed_numbers: list[SeedNumber] = Field(default_factory=list)
    experiment: Union[Experiment, NoExperiment]
    literature: Literature
    provenance_notes: list[NonEmpty] = Field(default_factory=list)

    @field_validator("experiment", mode="before")
    @classmethod
    def _pick_experiment_kind(cls, v: Any) -> Any:
        # Choose the variant explicitly so errors name the right fields.
        if isinstance(v, dict) and "none" in v:
            return NoExperiment.model_validate(v)
        if isinstance(v, dict):
            return Experiment.model_validate(v)
        if not isinstance(v, (Experiment, NoExperiment)):
            raise ValueError(f"must be a mapping: the live check's fields (notebook, parameters, budget, "
                             f"metrics, verdict) or `none: <why there is no live check>`; YAML read {v!r}")
        return v

    @model_validator(mode="after")
    def _refs_resolve(self) -> "Claim":
        for i, seed in enumerate(self.seed_numbers):
            if seed.compare_to and self.find_anchor(seed.compare_to.anchor) is None:
                raise ValueError(
                    f"seed_numbers[{i}].compare_to.anchor {seed.compare_to.anchor!r} "
                    "names no anchor of this claim"
                )
        for i, src in enumerate(self.sources):
            for j, cite in enumerate(src.cites):
                if self.find_anchor(cite.anchor) is None:
                    raise ValueError(
                        f"sources[{i}].cites[{j}].anchor {cite.anchor!r} names no anchor of this claim")
        return self

    @property
    def has_experiment(self) -> bool:
        return isinstance(self.experiment, Experiment)

    def find_anchor(self, ref: str) -> Anchor | None:
        base = re.sub(r"v\d+$", "", ref)
        for a in self.anchors:
            if a.key == ref or (a.arxiv_base is not None and a.arxiv_base == base):
                return a
        return None

    @property
    def claim_date(self) -> dt.date:
        """Earliest date a source note gives (the claim is 'dated' from here)."""
        return min(parse_given_date(s.date_given)[0] for s in self.sources)


@dataclass(frozen=True)
class Problem:
    """One validation problem, printable as a single line."""

    file: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.reason}"


#: pydantic's internal names for validators and union members; never a field a user wrote.
_INTERNAL_LOC = re.compile(r"^(function-(after|before|wrap|plain)\[.*\]|[A-Z][A-Za-z]*|union\[.*\])$")


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _INTERNAL_LOC.match(str(part)):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(record)"


def _problems_from(err: ValidationError, file: str) -> list[Problem]:
    probs: list[Problem] = []
    for e in err.errors():
        msg = e["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if e["type"] == "extra_forbidden":
            msg = "unknown field"
        field = _loc(tuple(e["loc"]))
        # Errors raised inside a model validator carry their own sub-path.
        m = re.match(r"^([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?)*) (.*)$", msg)
        if m and e["type"] == "value_error" and ("[" in m.group(1) or "." in m.group(1)):
            field = f"{field}.{m.group(1)}" if field != "(record)" else m.group(1)
            msg = m.group(2)
        prob = Problem(file, field, " ".join(msg.split()))  # one line, whatever the message
        if prob not in probs:  # a union reports the same field once per member
            probs.append(prob)
    return probs


#: Limits that keep a hostile record cheap to refuse: claim records are a few KB, a
#: handful of levels deep, and need no YAML aliases.
MAX_RECORD_BYTES = 1024 * 1024
MAX_DEPTH = 32
#: Dates in a record name things that already happened (a paper, a note, a review, a
#: rule change). The upper bound leaves a year of slack so that a validating machine
#: whose clock lags the author's (a CI runner, a container) does not reject good
#: records; it still catches slips like 2999 or 2062, which would also stretch the
#: book's timeline over centuries. Nothing in this field predates 1900.
EARLIEST_DATE = dt.date(1900, 1, 1)
FUTURE_SLACK = dt.timedelta(days=366)


class _Refused(yaml.MarkedYAMLError):
    """A YAML construct claim records do not allow (alias, duplicate key, deep nesting)."""


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as strings (so a bad date is reported by the schema
    with its field name instead of crashing the parser), and refuses what a claim
    record never needs but an attacker might use: aliases (a 10^9-leaf alias bomb
    costs a few hundred bytes), duplicate keys (YAML silently keeps the last one)
    and nesting deeper than MAX_DEPTH (the composer recurses)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Refused(None, None, f"YAML aliases (*{event.anchor}) are not allowed in claim records; "
                                       "write the value out", event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(None, None, f"nested deeper than {MAX_DEPTH} levels; claim records are "
                                           "shallow mappings", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            first: dict[Any, int] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = key_node.value
                if key in first:
                    raise _Refused(None, None, f"duplicate key {key!r} (first on line {first[key] + 1}); "
                                               "YAML would silently keep only the last one", key_node.start_mark)
                first[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_NOTEBOOK = re.compile(r"^notebooks/[A-Za-z0-9_][A-Za-z0-9_.-]*\.ipynb$")


def notebook_path(text: str) -> str:
    """A claim's report notebook: `notebooks/<name>.ipynb`, relative to the repository.

    Why: `codegap run` executes this file and the book links it, so an absolute
    path (/etc/shadow), a `..` or a path into results/ must never get that far.
    """
    if not _NOTEBOOK.match(text):
        raise ValueError(f"{text!r} is not a notebook of this repository: write notebooks/<name>.ipynb "
                         "(relative, no '..', no sub-folders)")
    return text


def repo_relative_path(text: str, *, allowed_root: Path | None = None) -> str:
    """A path a record names (notebook, samples, logs): relative to the repository, inside it.

    Refused: absolute paths, `~`, `..`, backslashes and control characters, so
    that reading a record can never make the book copy or link a file from
    elsewhere. `allowed_root`: an absolute folder whose files may also be named
    absolutely (results kept outside the repository via $CODEGAP_RESULTS).
    """
    bad = (not text or text.startswith("~") or "\\" in text
           or any(ord(c) < 32 or ord(c) == 127 for c in text))
    parts = text.split("/")
    if not bad and text.startswith("/"):
        root = str(allowed_root.resolve()) if allowed_root is not None else None
        inside = root is not None and os.path.normpath(text).startswith(root.rstrip("/") + "/")
        if inside and ".." not in parts:
            return text
        raise ValueError(f"path {text!r} is absolute; record paths are relative to the repository "
                         "(e.g. results/notebooks/...)")
    if bad or ".." in parts or "" in parts[:-1]:
        raise ValueError(f"path {text!r} leaves the repository or is malformed; record paths are "
                         "relative to the repository, without '..'")
    return text


def _nonfinite(data: Any, path: str = "") -> Iterator[str]:
    """Field paths of NaN/inf floats anywhere in a parsed record (parameters included)."""
    if isinstance(data, float) and not math.isfinite(data):
        yield path or "(record)"
    elif isinstance(data, dict):
        for k, v in data.items():
            yield from _nonfinite(v, f"{path}.{k}" if path else str(k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _nonfinite(v, f"{path}[{i}]")


def _dates(obj: Any, path: str = "") -> Iterator[tuple[str, dt.date, str]]:
    """(field, earliest day, as written) of every date in a validated record."""
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            val = getattr(obj, name)
            sub = f"{path}.{name}" if path else name
            if isinstance(val, str) and "date" in name and GIVEN_DATE.match(val.strip()):
                yield sub, parse_given_date(val)[0], val
            else:
                yield from _dates(val, sub)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _dates(v, f"{path}[{i}]")
    elif isinstance(obj, PartialDate):
        yield path, obj.lo, obj.text
    elif isinstance(obj, dt.date):
        yield path, obj, obj.isoformat()


def _date_problems(claim: "Claim", file: str, today: dt.date | None = None) -> list[Problem]:
    latest = (today or dt.date.today()) + FUTURE_SLACK
    probs = []
    for field, day, text in _dates(claim):
        if day > latest:
            probs.append(Problem(file, field, f"{text} is in the future (after {latest}, today + 1 year); "
                                              "dates here name things that already happened: check the year"))
        elif day < EARLIEST_DATE:
            probs.append(Problem(file, field, f"{text} is before {EARLIEST_DATE.year}: check the year"))
    return probs


def _read_record(path: Path) -> tuple[str | None, Problem | None]:
    """The text of a claim file, or the one-line problem why it is refused.

    Never follows a symlink and never opens anything but a regular file
    (a FIFO would block forever); reads at most MAX_RECORD_BYTES.
    """
    name = str(path)
    try:
        st = os.lstat(path)
    except OSError as exc:
        return None, Problem(name, "(file)", f"cannot read: {exc.strerror}")
    if stat.S_ISLNK(st.st_mode):
        return None, Problem(name, "(file)", f"is a symbolic link (to {os.readlink(path)!r}); links are not "
                                             "followed: put the record itself in the claims folder")
    if not stat.S_ISREG(st.st_mode):
        kind = "folder" if stat.S_ISDIR(st.st_mode) else "FIFO" if stat.S_ISFIFO(st.st_mode) else "special file"
        return None, Problem(name, "(file)", f"is a {kind}, not a regular file; refused without opening it")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        return None, Problem(name, "(file)", f"cannot read: {exc.strerror}")
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):  # swapped since lstat
            return None, Problem(name, "(file)", "is not a regular file; refused")
        data = fh.read(MAX_RECORD_BYTES + 1)
    if len(data) > MAX_RECORD_BYTES:
        return None, Problem(name, "(file)", f"is larger than {MAX_RECORD_BYTES // 1024} KiB; a claim record "
                                             "is a few KB")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return None, Problem(name, f"line {line}", f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                                                   f"{exc.start}); save the file as UTF-8")


def load_claim_file(path: Path) -> tuple[Claim | None, list[Problem]]:
    """Parse and validate one YAML record; never raises for bad content."""
    name = str(path)
    text, problem = _read_record(path)
    if problem is not None:
        return None, [problem]
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 (safe subclass)
    except _Refused as exc:
        mark = exc.problem_mark
        return None, [Problem(name, f"line {mark.line + 1}" if mark else "(file)", str(exc.problem))]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        return None, [Problem(name, where, " ".join(f"not valid YAML: {getattr(exc, 'problem', exc)}".split()))]
    except RecursionError:  # belt and braces: MAX_DEPTH stops this first
        return None, [Problem(name, "(file)", "nested too deeply")]
    if not isinstance(data, dict):
        return None, [Problem(name, "(record)", "a claim record must be a YAML mapping")]
    bad_numbers = [Problem(name, f, "not a finite number (.nan/.inf); write a number") for f in _nonfinite(data)]
    if bad_numbers:
        return None, bad_numbers
    try:
        claim = Claim.model_validate(data)
    except ValidationError as err:
        return None, _problems_from(err, name)
    probs = _date_problems(claim, name)
    if claim.id != path.stem:
        probs.append(Problem(name, "id", f"id {claim.id!r} does not match the file name {path.stem!r}"))
    return (None if probs and any(p.field != "id" for p in probs) else claim), probs


def validate_dir(directory: Path) -> tuple[list[Claim], list[Problem]]:
    """Validate every `*.yaml` in a directory; collects all problems, never stops early."""
    claims: list[Claim] = []
    problems: list[Problem] = []
    if not directory.is_dir():
        why = "does not exist" if not directory.exists() else "is not a folder"
        return [], [Problem(str(directory), "(directory)", f"{why}; give the claims folder "
                                                            "(default: claims/, or set CODEGAP_CLAIMS_DIR)")]
    files = sorted(directory.glob("*.yaml"))
    if not files:
        problems.append(Problem(str(directory), "(directory)", "no *.yaml claim records found"))
    seen: dict[str, str] = {}
    for path in files:
        claim, probs = load_claim_file(path)
        problems.extend(probs)
        if claim is None:
            continue
        if claim.id in seen:
            problems.append(Problem(str(path), "id", f"duplicate id {claim.id!r} (also in {seen[claim.id]})"))
            continue
        seen[claim.id] = str(path)
        claims.append(claim)
    return claims, problems


class ClaimsInvalid(Exception):
    """Raised by load_claims when any record is invalid; str() lists every problem."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def default_claims_dir() -> Path:
    """<repo>/claims, or $CODEGAP_CLAIMS_DIR (tests and fixture runs point it elsewhere)."""
    env = os.environ.get("CODEGAP_CLAIMS_DIR")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "claims"


def load_claims(directory: Path | None = None) -> list[Claim]:
    """All claims, sorted by claim date then id; raises ClaimsInvalid on any problem."""
    claims, problems = validate_dir(directory or default_claims_dir())
    if problems:
        raise ClaimsInvalid(problems)
    return sorted(claims, key=lambda c: (c.claim_date, c.id))


def claim_by_id(claim_id: str, directory: Path | None = None) -> Claim:
    for c in load_claims(directory):
        if c.id == claim_id:
            return c
    known = ", ".join(c.id for c in load_claims(directory))
    raise KeyError(f"no claim {claim_id!r}; known: {known}")
