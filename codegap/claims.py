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


def parse_given_date(text: str) -> tuple[dt.date, dt.date, bool]:
    """Turn a note's date ("~2024", "2025-06") into (earliest, latest, approximate).

    A year-only or "~" date covers the whole period it names, so comparisons
    with paper dates use the interval rather than an invented day.
    """
    m = GIVEN_DATE.match(text.strip())
    if not m:
        raise ValueError(f"date {text!r} is not of the form [~]YYYY[-MM[-DD]]")
    approx, year, month, day = m.group(1), int(m.group(2)), m.group(3), m.group(4)
    if month is None:
        lo, hi = dt.date(year, 1, 1), dt.date(year, 12, 31)
    elif day is None:
        mo = int(month)
        if not 1 <= mo <= 12:
            raise ValueError(f"date {text!r} has month {mo}")
        lo = dt.date(year, mo, 1)
        hi = (dt.date(year + (mo == 12), mo % 12 + 1, 1) - dt.timedelta(days=1))
    else:
        lo = hi = dt.date(year, int(month), int(day))
    return lo, hi, bool(approx) or month is None


class Source(Strict):
    """Where a source note states the claim, and the date the note gives it."""

    file: NonEmpty = Field(description="file name in shared/sources/")
    locator: NonEmpty = Field(description="short locator: paragraph, list item, table")
    date_given: NonEmpty = Field(description='the date as the note gives it, e.g. "~2024"')

    @field_validator("date_given")
    @classmethod
    def _date_given(cls, v: str) -> str:
        parse_given_date(v)
        return v


class ReportedNumber(Strict):
    """A number a primary paper reports, with where in the paper it stands."""

    metric: NonEmpty
    model: NonEmpty
    value: float
    unit: Literal["%", "x", "abs", "s"] = "%"
    where: NonEmpty = Field(description="table/figure/abstract locator")


class Anchor(Strict):
    """A primary source: an arXiv paper (versioned id), a web page (URL), or, for
    work with no retrievable address, a citation text."""

    arxiv: str | None = None
    url: str | None = None
    citation: str | None = None
    title: NonEmpty
    date: dt.date = Field(description="first public date (arXiv: v1 submission)")
    relation: Literal["states-claim", "evidence", "related"] = "evidence"
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

    @model_validator(mode="after")
    def _one_locator(self) -> "Anchor":
        given = [k for k in ("arxiv", "url", "citation") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("an anchor needs exactly one of 'arxiv', 'url' or 'citation'")
        if self.url is not None and not re.match(r"^https?://\S+$", self.url):
            raise ValueError(f"url {self.url!r} is not an http(s) URL")
        return self

    @property
    def arxiv_base(self) -> str | None:
        """The id without its version, for matching across versions."""
        return re.sub(r"v\d+$", "", self.arxiv) if self.arxiv else None

    @property
    def key(self) -> str:
        return self.arxiv or self.url or self.citation or ""


class AnchorRef(Strict):
    """Points a seed number at the anchor number it should agree with."""

    anchor: NonEmpty = Field(description="arXiv id (with or without version) or URL")
    metric: NonEmpty
    model: NonEmpty

    @field_validator("anchor", mode="before")
    @classmethod
    def _quoted(cls, v: Any) -> Any:
        if isinstance(v, (int, float)):
            raise ValueError(f"must be a quoted string (YAML read {v!r} as a number: quote arXiv ids)")
        return v


class SeedNumber(Strict):
    """A number a source note quotes; compared with the anchor to flag mismatches."""

    source: NonEmpty
    metric: NonEmpty
    model: NonEmpty
    value: float
    unit: Literal["%", "x", "abs", "s"] = "%"
    compare_to: AnchorRef | None = None
    tolerance: float = Field(0.5, ge=0, description="absolute difference still counted as agreement")


class Condition(Strict):
    """One test of the verdict rule: metric's interval against a threshold."""

    metric: NonEmpty
    op: Literal[">", "<"]
    threshold: float
    why: NonEmpty


class VerdictRule(Strict):
    """All conditions must hold for `holds`; any clearly failing gives `does not hold`."""

    all: list[Condition] = Field(min_length=1)
    min_n: int = Field(20, ge=1, description="below this many instances: inconclusive")


class MetricSpec(Strict):
    name: Slug | Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+$")]
    description: NonEmpty


class Experiment(Strict):
    """A live check: the notebook, its default parameters, metrics, and verdict rule."""

    notebook: NonEmpty
    parameters: dict[str, Any] = Field(default_factory=dict)
    metrics: list[MetricSpec] = Field(min_length=1)
    verdict: VerdictRule

    @model_validator(mode="after")
    def _rule_uses_emitted_metrics(self) -> "Experiment":
        names = {m.name for m in self.metrics}
        for i, cond in enumerate(self.verdict.all):
            if cond.metric not in names:
                raise ValueError(
                    f"verdict.all[{i}].metric {cond.metric!r} is not among the metrics "
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
