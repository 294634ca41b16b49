"""Model-suggested stances: a first read for the maintainer, never a review.

`codegap suggest-stance --model M` asks a model (any model string the model
layer accepts, through `codegap.models.engine.run_eval`) for the stance of the
top unreviewed candidates of each claim, and stores the answers in
`literature/suggestions.yaml`, separate from `reviews.yaml`. Every record says
which model made it and carries the label "model suggestion, not a review";
suggestions never count towards the literature flag.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Callable, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .triage import STANCES

SUGGESTIONS_PATH = Path("literature") / "suggestions.yaml"
LABEL = "model suggestion, not a review"

PROMPT = """You are helping a maintainer triage papers for a survey.

Claim (dated {since}): {statement}

Newer paper: {title}
{abstract}
Does this paper support the claim, challenge it, qualify it (holds only partly or under
conditions), or is it irrelevant to it? Answer in exactly two lines:
STANCE: <supports|challenges|qualifies|irrelevant>
REASON: <one short sentence>"""

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
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = []
    for i, rec in enumerate(data.get("suggestions") or []):
        try:
            out.append(Suggestion.model_validate(rec))
        except ValidationError as err:
            e = err.errors()[0]
            raise SuggestionsError(f"{path}: suggestions[{i}].{'.'.join(map(str, e['loc']))}: {e['msg']}") from err
    return out


def write_suggestions(path: Path, items: list[Suggestion]) -> None:
    from .snapshot import write_atomic

    recs = [s.model_dump() for s in sorted(items, key=lambda s: (s.claim, s.arxiv, s.model))]
    header = ("# MODEL SUGGESTIONS, NOT REVIEWS. Written by `codegap suggest-stance`; they never\n"
              "# change a claim's literature flag. Confirm one with `codegap review`.\n")
    write_atomic(path, header + yaml.safe_dump({"suggestions": recs}, sort_keys=False, allow_unicode=True, width=100))


def suggest(
    root: Path, model: str, *, claim_ids: list[str] | None = None, top: int = 5,
    abstract_of: Callable[[str], str | None] = lambda _id: None, log_dir: Path | None = None,
    today: dt.date | None = None, evaluate: Callable[[Any], Any] | None = None,
) -> list[Suggestion]:
    """Ask `model` about the top unreviewed candidates of each claim; merge into suggestions.yaml.

    `evaluate(task) -> EvalLog` defaults to the model layer's `run_eval` on `model`;
    tests pass one that runs a scripted inspect model instead.
    """
    import inspect_ai
    from inspect_ai.dataset import Sample
    from inspect_ai.solver import generate

    from codegap.claims import load_claims
    from codegap.models.engine import run_eval

    from .snapshot import load_for_book

    claims = {c.id: c for c in load_claims(root / "claims")}
    book = load_for_book(root)
    path = root / SUGGESTIONS_PATH
    existing = read_suggestions(path)
    done = {(s.claim, s.arxiv, s.model) for s in existing}
    samples = []
    for cid, lit in book.items():
        if claim_ids and cid not in claim_ids:
            continue
        for p in [p for p in lit.unreviewed if (cid, p.arxiv_id, model) not in done][:top]:
            abstract = abstract_of(p.arxiv_id)
            prompt = PROMPT.format(since=lit.since, statement=claims[cid].statement, title=p.title,
                                   abstract=f"Abstract: {abstract}\n" if abstract else "")
            samples.append(Sample(input=prompt, id=f"{cid}|{p.arxiv_id}"))
    if not samples:
        return []
    task = inspect_ai.Task(dataset=samples, solver=generate(), name="suggest_stance")
    if evaluate is None:
        log = run_eval(task, model, seed=0, log_dir=log_dir or root / "logs" / "suggest", temperature=0.0,
                       max_tokens=120)
    else:
        log = evaluate(task)
    new = []
    for s in log.samples or []:
        cid, aid = str(s.id).split("|", 1)
        stance, reason = parse_answer(s.output.completion if s.output else "")
        new.append(Suggestion(claim=cid, arxiv=aid, stance=stance, reason=reason, model=model,
                              suggested=today or dt.date.today()))
    write_suggestions(path, existing + new)
    return new
