"""One page per claim, generated from its YAML record, its results and its literature."""

from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

from codegap.book import charts, live_check
from codegap.book.markdown import (admonition, arxiv_link, badge, code, fmt_num, heading, html_code, link,
                                   Md, mapping, paragraphs, raw_html, table, text)
from codegap.claims import RELATIONS, Anchor, Claim, Experiment
from codegap.provenance import check_numbers, checked, flags, fmt_value, not_checked, support
from codegap.results import RunRecord, latest_per_model, verdict_flips


def _anchor_ref(a: Anchor) -> str:
    if a.arxiv:
        return arxiv_link(a.arxiv)
    if a.url:
        return link("web page", a.url)
    return text(a.citation or "")


def _e(value: object) -> str:
    """Text from a record, escaped for a page (records are data, not markup)."""
    return text(value)


def _sources(claim: Claim) -> str:
    rows = [(code(s.file), _e(s.locator), _e(s.date_given)) for s in claim.sources]
    out = ["## Where the claim comes from\n\n" + table(["source note", "where", "date the note gives"], rows)]
    cites = []
    for s in claim.sources:
        for c in s.cites:
            a = claim.find_anchor(c.anchor)
            said = ", ".join(x for x in (f"as “{_e(c.authors)}”" if c.authors else "",
                                         f"dated “{_e(c.date)}”" if c.date else "") if x)
            name = _e(a.title if a else c.anchor)
            cites.append(f"- {code(s.file)} ({_e(c.where)}) cites *{name}*{' ' + said if said else ''}.")
    if cites:
        out.append("How the note cites its sources (compared with the sources below):\n\n" + "\n".join(cites) + "\n")
    return "\n".join(out)


def _authors(a: Anchor) -> str:
    if not a.authors:
        return ""
    names = a.authors if len(a.authors) <= 4 else [*a.authors[:3], f"and {len(a.authors) - 3} others"]
    return f"Authors: {_e(', '.join(names))} (from {_e(a.authors_from)}).\n"


def _anchors(claim: Claim) -> str:
    legend = "; ".join(f"*{k.replace('-', ' ')}*: {v}" for k, v in RELATIONS.items())
    out = ["## Primary sources\n", f"Each source's relation to the claim ({legend}).\n"]
    for a in claim.anchors:
        when = a.date.human() + (f" ({_e(a.date_source)})" if a.date_source else "")
        why = (f" — {_e(a.justification)}" if a.justification
               else " — ⚠ no justification recorded for this relation")
        out.append(f"**{_e(a.title)}** — {_anchor_ref(a)}, first public {when}. "
                   f"Relation: **{a.relation.replace('-', ' ')}**{why}\n")
        if a.authors:
            out.append("\n" + _authors(a))
        if a.note:
            out.append(f"\n{paragraphs(a.note)}\n")
        if a.numbers:
            out.append("\n" + table(
                ["metric", "model", "value", "status", "where"],
                [(_e(n.metric), _e(n.model), fmt_value(n.value, n.unit, n.change),
                  f"second-hand, not read in the paper: {_e(n.second_hand_from)}" if n.second_hand_from
                  else "reported", _e(n.where)) for n in a.numbers],
            ))
        out.append("\n")
    return "\n".join(out)


_STATUS = {
    "agrees": "✓ agrees",
    "differs": "⚠ differs",
    "not comparable": "⚠ not comparable (a different kind of change)",
    "second-hand only": "not checked: the counterpart is second-hand",
    "untraceable": "⚠ cannot be traced to any primary source",
    "unverified": "not checked: no primary number",
    "anchor number missing": "⚠ anchor has no such number",
}
_SUPPORT = {
    "stated": "Stated by a primary source: {names}.",
    "evidence only": "**Not stated by any primary source.** The anchors give evidence for parts of it only.",
    "unsupported": "**Unsupported.** No primary source states this claim or gives evidence for it.",
}


def _provenance(claim: Claim) -> str:
    out = [_SUPPORT[support(claim)].format(
        names=", ".join(f"*{_e(a.short_title.rstrip('.'))}*" for a in claim.anchors if a.relation == "states-claim")) + "\n"]
    fl = flags(claim)
    if fl:
        body = "\n".join(f"- **{f.kind}:** {_e(f.message)}" for f in fl)
        out.append(admonition("warning", f"Provenance flags ({len(fl)})", body))
    for note in claim.provenance_notes:
        out.append(admonition("note", "Provenance note", paragraphs(note)))
    checks = check_numbers(claim)
    if checks:
        rows = []
        for c in checks:
            if c.published is None:
                pub = "—"
            elif c.published.second_hand_from:
                pub = f"— (only a second-hand {fmt_value(c.published.value, c.published.unit, c.published.change)})"
            else:
                pub = fmt_value(c.published.value, c.published.unit, c.published.change)
            status = _STATUS[c.status]
            if c.status == "unverified" and c.seed.second_hand_from:
                status = "not checked: the note took it from a secondary source (see below)"
            said = fmt_value(c.seed.value, c.seed.unit, c.seed.change)
            if c.seed.derived:
                said += f" (derived: {_e(c.seed.derived)})"
            rows.append((_e(c.seed.metric), _e(c.seed.model), said, pub, status))
        out.append("### Numbers the source notes quote, against the primary source\n\n" + table(
            ["metric", "model", "source note says", "primary source says", "check"], rows))
    done, missing = checked(claim), not_checked(claim)
    if not fl:
        out.append("No flags. Checked: " + "; ".join(_e(x) for x in done) + ".\n" if done else
                   "No flags, but nothing here could be checked against a primary source.\n")
    if missing:
        out.append(admonition("note", f"Not checked ({len(missing)})", "\n".join(f"- {_e(m)}" for m in missing)))
    return "## Provenance\n\n" + "\n".join(out)


def _results(claim: Claim, records: list[RunRecord], run_pages: Mapping[str, str]) -> str:
    if not isinstance(claim.experiment, Experiment):
        return f"## Live check\n\nThis claim has no live check: {text(claim.experiment.none)}\n"
    return live_check.results(claim, records, run_pages)


def render(
    claim: Claim,
    records: list[RunRecord],
    run_pages: Mapping[str, str],
    literature_md: str,
) -> str:
    """The whole MyST page of one claim."""
    latest = latest_per_model([r for r in records if r.claim == claim.id], claim.id)
    if latest:
        badges = " ".join(badge(r.verdict, f"{m}: {r.verdict}") for m, r in sorted(latest.items()))  # escaped by badge
    elif claim.has_experiment:
        badges = badge("not-run", "not run yet")
    else:
        badges = badge("no-live-check", "literature only")
    head = (
        f"{heading(1, claim.title, label=f'claim-{claim.id}')}\n{badges}\n\n"
        f"> {text(claim.statement)}\n\n"
        f"Claim id {code(claim.id)} · dated {text(claim.sources[0].date_given)} by its source note · "
        f"record reviewed {claim.status_date:%d %B %Y} · source of this page: {code(f'claims/{claim.id}.yaml')}\n"
    )
    return "\n".join([head, _sources(claim), _anchors(claim), _provenance(claim),
                      _results(claim, records, run_pages), literature_md])
