"""Small MyST-markdown helpers shared by the generated pages."""

from __future__ import annotations

import html
from typing import Iterable, Sequence


def cell(text: object) -> str:
    """Escape a value for a pipe-table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    rows = list(rows)
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
    return "\n".join(out) + "\n"


def badge(verdict: str, label: str | None = None, *, flipped: bool = False) -> str:
    """An inline verdict badge; the CSS class is derived from the verdict."""
    cls = "cg-" + verdict.replace(" ", "-")
    text = html.escape(label or verdict)
    mark = ' <span class="cg-flip" title="verdicts of this model disagree across runs">⚑ flipped</span>' if flipped else ""
    return f'<span class="cg-badge {cls}">{text}</span>{mark}'


def arxiv_link(arxiv_id: str) -> str:
    return f"[arXiv:{arxiv_id}](https://arxiv.org/abs/{arxiv_id})"


def admonition(kind: str, title: str, body: str) -> str:
    return f":::{{admonition}} {title}\n:class: {kind}\n{body.strip()}\n:::\n"


def fmt_num(value: float, unit: str = "") -> str:
    if unit == "%":
        return f"{value:.1f}%"
    s = f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return s + {"x": "×"}.get(unit, "")
