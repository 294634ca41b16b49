"""The claim ledger: the one definition of what a claim record is.

Every page, table and badge in the book is generated from `claims/*.yaml`
validated by these models, so the schema lives here and nowhere else.
Records are strict: unknown fields, wrong types, bad arXiv ids, bad dates and
duplicate ids are errors, reported with file, field and reason.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union

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

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)


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


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("Experiment", "NoExperiment", "function-after[_pick_experiment_kind(), union[Experiment,NoExperiment]]"):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(record)"


def _problems_from(err: ValidationError, file: str) -> list[Problem]:
    probs = []
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
        probs.append(Problem(file, field, msg))
    return probs


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as strings, so a bad date is reported by the
    schema with its field name instead of crashing the YAML parser."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_claim_file(path: Path) -> tuple[Claim | None, list[Problem]]:
    """Parse and validate one YAML record; never raises for bad content."""
    name = str(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (safe subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        return None, [Problem(name, where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]
    except OSError as exc:
        return None, [Problem(name, "(file)", f"cannot read: {exc.strerror}")]
    if not isinstance(data, dict):
        return None, [Problem(name, "(record)", "a claim record must be a YAML mapping")]
    try:
        claim = Claim.model_validate(data)
    except ValidationError as err:
        return None, _problems_from(err, name)
    probs = []
    if claim.id != path.stem:
        probs.append(Problem(name, "id", f"id {claim.id!r} does not match the file name {path.stem!r}"))
    return claim, probs


def validate_dir(directory: Path) -> tuple[list[Claim], list[Problem]]:
    """Validate every `*.yaml` in a directory; collects all problems, never stops early."""
    claims: list[Claim] = []
    problems: list[Problem] = []
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
