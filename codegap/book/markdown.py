"""The one escaping module: how data gets onto a generated page.

Claims, result records, notebooks, the literature snapshot, reviews and model strings
are untrusted text: a paper title, a model reply or a model string may hold HTML, MyST
directives or roles, `$math$`, table syntax or a fence. Page generators put such values
into MyST markdown only through the functions here; anything else in a page is markup
the code wrote itself.

How: `text()` writes every character that means something to CommonMark, MyST or HTML
as a numeric character reference (`<` becomes `&#60;`). Markdown turns a reference
back into that literal character and never into markup, and HTML does the same inside
raw blocks and quoted attributes, so one escaped form is safe in a paragraph, a heading,
a table cell, link text, an admonition title, a raw-HTML block and an attribute value.
Runs of whitespace (newlines included) become one space, so a value can never start a
block of its own (a fence, a directive, a heading, a list). Characters that reorder the
text around them (bidirectional overrides and isolates) are shown as their code points.

Helpers return `Md`, a `str` that marks markdown this module built. A `str` handed to
`table()`, `admonition()` or `raw_html()` is taken as markdown/HTML the caller wrote:
wrap every piece of data in it with `text()`, `code()`, `link()` or `arxiv_link()` first.
tests/test_injection.py checks that no field of the site is missed.
"""

from __future__ import annotations

import html
import re
from typing import Iterable, Mapping, Sequence
from urllib.parse import quote, urlsplit


class Md(str):
    """Markdown built by this module (data in it is escaped)."""


#: Characters with a meaning in CommonMark, MyST (roles, directives, math, substitutions,
#: targets, comments, colon fences) or HTML. `.`, `,`, `-`, `/`, `;`, `?` and `@` only
#: matter at the start of a line, which `text()` handles separately.
_SPECIAL = set("\\`*_{}[]<>()#+!|$&~:%=^\"'")
#: Formatting characters that reorder neighbouring text (the "Trojan Source" set).
_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_START = re.compile(r"^(\d+)([.)])")


def _ref(ch: str) -> str:
    return f"&#{ord(ch)};"


def shown(value: object) -> str:
    """What a reader sees of `value` on a page: whitespace runs as one space, reordering
    characters as visible code points. (Tests compare page text with this.)"""
    s = " ".join(str(value).split())
    return "".join(f"[U+{ord(c):04X}]" if c in _BIDI else c for c in s)


def text(value: object) -> Md:
    """Plain text, safe anywhere in markdown and inside raw HTML (see the module docstring)."""
    s = shown(value).replace("\x00", "\ufffd")
    out = "".join(_ref(c) if c in _SPECIAL else c for c in s)
    m = _LINE_START.match(out)  # "1." / "1)" would start an ordered list
    if m:
        out = m.group(1) + _ref(m.group(2)) + out[m.end():]
    elif out[:1] in ("-", ".", "/", ",", ";", "?", "@"):
        out = _ref(out[0]) + out[1:]
    return Md(out)


def paragraphs(value: object) -> Md:
    """Multi-paragraph plain text: blank lines stay paragraph breaks, everything else as `text()`."""
    parts = [p for p in re.split(r"\n\s*\n", str(value)) if p.strip()]
    return Md("\n\n".join(text(p) for p in parts))


def code(value: object) -> Md:
    """Inline code (a markdown code span): shown verbatim, whitespace runs as one space.

    The fence is one backtick longer than any run inside, so the value cannot close it;
    in a table, `table()` escapes the pipes.
    """
    s = shown(value)
    if not s:
        return Md("` `")
    ticks = "`" * (max((len(r) for r in re.findall(r"`+", s)), default=0) + 1)
    pad = " " if s[0] in "` " or s[-1] in "` " else ""
    return Md(f"{ticks}{pad}{s}{pad}{ticks}")


def html_code(value: object) -> str:
    """Inline code inside a raw-HTML block."""
    return f"<code>{text(value)}</code>"


def strong(value: object) -> Md:
    return Md(f"**{text(value)}**")


def emph(value: object) -> Md:
    return Md(f"*{text(value)}*")


def _flat(values: Mapping[str, object], prefix: str = "") -> list[str]:
    out = []
    for k, v in values.items():
        if isinstance(v, Mapping):  # nested (e.g. sampling per request role): role.key=value
            out += _flat(v, f"{prefix}{k}.")
        else:
            out.append(f"{prefix}{k}={v}")
    return out


def mapping(values: Mapping[str, object]) -> Md:
    """`k=v, k=v` as plain text, nested mappings as `k.sub=v` (never a Python repr, which would
    show strings quoted and escaped: a reader sees each value as it is)."""
    return text(", ".join(_flat(values)))


def safe_url(url: object) -> str | None:
    """`url` percent-encoded for a link, or None unless it is an http(s) URL with a host."""
    s = str(url).strip()
    parts = urlsplit(s)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c.isspace() for c in s):
        return None
    return quote(s, safe=":/?#@!$&*+,;=%-._~").replace("&", "&amp;")


def link(label: object, url: object) -> Md:
    """A link with escaped text; a URL that is not plain http(s) is shown as text instead."""
    dest = safe_url(url)
    if dest is None:
        return Md(f"{text(label)} ({text(url)})")
    return Md(f"[{text(label)}](<{dest}>)")


#: New-style (2104.12255) or old-style (hep-th/9901001) arXiv id, version optional.
ARXIV_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z][a-z\-]*(\.[A-Z]{2})?/\d{7})(v\d+)?$")


def arxiv_link(arxiv_id: object) -> Md:
    """`arXiv:ID` linking to its abstract page; a string that is no arXiv id is shown as text."""
    s = str(arxiv_id)
    if not ARXIV_ID.match(s):
        return Md(f"{text(s)} (not an arXiv id)")
    return Md(f"[arXiv:{s}](https://arxiv.org/abs/{s})")


def doc_link(label: object, path: str) -> Md:
    """A link to another page of the book by its source path (`claims/x.md`, `../runs/y.ipynb`)."""
    if not re.fullmatch(r"[A-Za-z0-9._/-]+", path) or path.startswith("/"):
        raise ValueError(f"page path {path!r} is not a relative path of safe characters")
    return Md(f"[{text(label)}]({path})")


def heading(level: int, value: object, label: str | None = None) -> Md:
    """A heading with escaped text, optionally preceded by a MyST target `(label)=`."""
    if label is not None and not re.fullmatch(r"[a-z0-9][a-z0-9-]*", label):
        raise ValueError(f"target label {label!r} must be lower-case letters, digits and -")
    target = f"({label})=\n" if label else ""
    return Md(f"{target}{'#' * level} {text(value)}\n")


def cell(value: object) -> Md:
    """A table cell: a `str` is markdown (data in it already escaped), anything else
    (a number, a date, None) is written as text; no newline, pipes escaped."""
    s = value if isinstance(value, str) else text(value)
    return Md(" ".join(s.split("\n")).replace("|", "\\|"))


def table(header: Sequence[object], rows: Iterable[Sequence[object]]) -> Md:
    """A pipe table. Cells are markdown: put data in through `text()`/`code()`/`link()`."""
    out = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return Md("\n".join(out) + "\n")


def badge(verdict: str, label: object | None = None, *, flipped: bool = False) -> Md:
    """An inline verdict badge; the CSS class is derived from the verdict."""
    cls = "cg-" + re.sub(r"[^a-z0-9-]+", "-", verdict.lower().replace(" ", "-"))
    mark = (' <span class="cg-flip" title="verdicts of this model disagree across runs">⚑ flipped</span>'
            if flipped else "")
    return Md(f'<span class="cg-badge {cls}">{text(label or verdict)}</span>{mark}')


def admonition(kind: str, title: object, body: str) -> Md:
    """A MyST admonition; `title` is plain text, `body` markdown built with these helpers."""
    if not re.fullmatch(r"[a-z]+", kind):
        raise ValueError(f"admonition class {kind!r}")
    return Md(f":::{{admonition}} {text(title)}\n:class: {kind}\n{body.strip()}\n:::\n")


def raw_html(fragment: str) -> Md:
    """A raw-HTML block around HTML this code wrote (data in it escaped with `text()`).

    Kept on one line, with backticks as references, so nothing in it can end the fence.
    """
    one_line = " ".join(fragment.split("\n")).replace("`", "&#96;")
    return Md(f"```{{raw}} html\n{one_line}\n```\n")


def html_escape(value: object) -> str:
    """Text for an HTML context outside markdown (e.g. a Sphinx template value)."""
    return html.escape(str(value), quote=True)


def fmt_num(value: float, unit: str = "") -> str:
    if unit == "%":
        return f"{value:.1f}%"
    s = f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return s + {"x": "×"}.get(unit, "")
