"""Model-suggested stances on disk (`literature/suggestions.yaml`): format, reading, writing, agreement.

A leaf of the fetch package next to `triage` (reviews): the book's view reads
these, and `fetch.suggest` (which asks a model) writes them. Every record says
which model made it and carries the label "model suggestion, not a review";
suggestions never count towards the literature flag.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from codegap.atomic import replace as write_atomic
from .triage import STANCES, Review

SUGGESTIONS_PATH = Path("literature") / "suggestions.yaml"
LABEL = "model suggestion, not a review"

_STANCE = re.compile(r"STANCE:\s*\**\s*(supports|challenges|qualifies|irrelevant)\b", re.I)
_REASON = re.compile(r"REASON:\s*(.+)", re.I)


class SuggestionsError(Exception):
    """suggestions.yaml is invalid; message names file, record and field."""


class Suggestion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    claim: str
    arxiv: str
    stance: Literal["supports", "challenges", "qualifies", "irrelevant", "unclear"]
    reason: str
    model: str = Field(min_length=1)
    suggested: dt.date
    label: Literal["model suggestion, not a review"] = LABEL


def parse_answer(text: str) -> tuple[str, str]:
    """(stance, one-line reason) from a model's answer; 'unclear' if no stance is given."""
    m = _STANCE.search(text or "")
    r = _REASON.search(text or "")
    reason = " ".join(r.group(1).split())[:300] if r else ""
    if not m:
        return "unclear", reason or "no stance in the answer: " + " ".join((text or "").split())[:120]
    stance = m.group(1).lower()
    assert stance in STANCES
    return stance, reason or "(no reason given)"


def read_suggestions(path: Path) -> list[Suggestion]:
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SuggestionsError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise SuggestionsError(f"{path}: expected a mapping with a 'suggestions' list")
    out = []
    for i, rec in enumerate(data.get("suggestions") or []):
        try:
            out.append(Suggestion.model_validate(rec))
        except ValidationError as err:
            e = err.errors()[0]
            raise SuggestionsError(f"{path}: suggestions[{i}].{'.'.join(map(str, e['loc']))}: {e['msg']}") from err
    return out


def write_suggestions(path: Path, items: list[Suggestion]) -> None:
    recs = [s.model_dump() for s in sorted(items, key=lambda s: (s.claim, s.arxiv, s.model))]
    header = ("# MODEL SUGGESTIONS, NOT REVIEWS. Written by `codegap suggest-stance`; they never\n"
              "# change a claim's literature flag. Confirm one with `codegap review`.\n")
    write_atomic(path, header + yaml.safe_dump({"suggestions": recs}, sort_keys=False, allow_unicode=True, width=100))


def agreement(suggestions: list[Suggestion], reviews: list[Review]) -> dict[str, dict[str, float | int]]:
    """Per model: papers both judged, exact stance agreements, and relevant/irrelevant agreements.

    `relevant` agreement counts a match when both call the paper irrelevant or
    both give it one of the three relevant stances (the coarser question).
    An `unclear` suggestion is a disagreement. `reviewed_relevant` (papers the
    maintainer found relevant) is the relevant-or-not agreement of a model that
    calls every paper relevant: the baseline the rate must beat to mean anything.
    """
    by_key = {(r.claim, r.arxiv): r.stance for r in reviews}
    out: dict[str, dict[str, float | int]] = {}
    for s in suggestions:
        stance = by_key.get((s.claim, s.arxiv))
        if stance is None:
            continue
        m = out.setdefault(s.model, {"both": 0, "exact": 0, "relevant": 0, "reviewed_relevant": 0})
        m["both"] += 1
        m["reviewed_relevant"] += int(stance != "irrelevant")  # what "always relevant" would match
        m["exact"] += int(s.stance == stance)
        m["relevant"] += int(s.stance != "unclear" and (s.stance == "irrelevant") == (stance == "irrelevant"))
    for m in out.values():
        m["exact_rate"] = m["exact"] / m["both"] if m["both"] else float("nan")
        m["relevant_rate"] = m["relevant"] / m["both"] if m["both"] else float("nan")
    return out
