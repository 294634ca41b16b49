"""Model-suggested stances: a first read for the maintainer, never a review.

`codegap suggest-stance --model M` asks a model (any model string the model
layer accepts, through `codegap.models.engine.run_eval`) for the stance of the
top unreviewed candidates of each claim, and stores the answers in
`literature/suggestions.yaml` (format: `fetch.suggestions`), separate from
`reviews.yaml`. Suggestions never count towards the literature flag.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Callable

from .suggestions import (  # noqa: F401 - re-exported for callers of the old module
    LABEL,
    SUGGESTIONS_PATH,
    Suggestion,
    SuggestionsError,
    agreement,
    parse_answer,
    read_suggestions,
    write_suggestions,
)

PROMPT = """You are helping a maintainer triage papers for a survey.

Claim (dated {since}): {statement}

Newer paper: {title}
{abstract}
Does this paper support the claim, challenge it, qualify it (holds only partly or under
conditions), or is it irrelevant to it? Answer in exactly two lines:
STANCE: <supports|challenges|qualifies|irrelevant>
REASON: <one short sentence>"""


def suggest(
    root: Path, model: str, *, claim_ids: list[str] | None = None, top: int = 5,
    abstract_of: Callable[[str], str | None] = lambda _id: None, log_dir: Path | None = None,
    today: dt.date | None = None, evaluate: Callable[[Any], Any] | None = None, include_reviewed: bool = False,
) -> list[Suggestion]:
    """Ask `model` about the top unreviewed candidates of each claim; merge into suggestions.yaml.

    With `include_reviewed`, the top candidates are asked about whether or not a
    maintainer reviewed them, so the suggestions can be compared with reviews
    (`fetch.suggestions.agreement`); they still never count as reviews.

    `evaluate(task) -> EvalLog` defaults to the model layer's `run_eval` on `model`;
    tests pass one that runs a scripted inspect model instead.
    """
    import inspect_ai
    from inspect_ai.dataset import Sample
    from inspect_ai.solver import generate

    from codegap.claims import load_claims
    from codegap.models.engine import run_eval

    from .view import load_for_book

    claims = {c.id: c for c in load_claims(root / "claims")}
    book = load_for_book(root)
    path = root / SUGGESTIONS_PATH
    existing = read_suggestions(path)
    done = {(s.claim, s.arxiv, s.model) for s in existing}
    samples = []
    for cid, lit in book.items():
        if claim_ids and cid not in claim_ids:
            continue
        pool = lit.top(top) if include_reviewed else lit.unreviewed
        for p in [p for p in pool if (cid, p.arxiv_id, model) not in done][:top]:
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
