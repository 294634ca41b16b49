"""Reading a model's answer out of its reply: numbers, words, programs.

Why one module: every check must treat a malformed answer the same way (scored
wrong, and counted as unparseable), and guessing which number a model meant
would reward answers it did not give. The rules:

- an explicit marker wins ("Answer: 42", "**Answer:** 42", "the answer is 42",
  `\\boxed{42}`); of several, the last one whose value reads as the expected
  type (a closing "I hope this answer is correct." is not an answer);
- without a marker, the reply's last line counts only if it holds exactly one
  value of the expected type ("Therefore, b is 63.");
- a Unicode minus (U+2212) or dash before a number is a minus sign.

Model-written Python is parsed under one process-wide lock: CPython 3.11's
AST constructor keeps its recursion depth in shared state, and a garbage
collection in another thread mid-parse raises "SystemError: AST constructor
recursion depth mismatch" (seen when graders run in worker threads).
"""

from __future__ import annotations

import ast
import hashlib
import random
import re
import threading
from typing import Any

_AST_LOCK = threading.Lock()

_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-", "\ufe63": "-", "\uff0d": "-"})
_MARKER = re.compile(
    r"(?:\*\*|__)?\b(?:final\s+)?answer\b(?:\*\*|__)?\s*(?:is\s*[:=]?|[:=])\s*(?:\*\*|__)?\s*(?P<val>[^\n]*)", re.I)
_BOXED = re.compile(r"\\boxed\{(?P<val>[^{}]*)\}")
_INT = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+$|^[+-]?\d+$")
_NUM = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_LOOSE_INT = re.compile(r"(?<![\w.])[+-]?\d+(?:,\d{3})*(?![\w]|\.\d|,\d)")
_LOOSE_NUM = re.compile(r"(?<![\w.])[+-]?(?:\d+\.\d+|\d+)(?![\w.]\d|\w)")


def make_rng(seed: int, *parts: Any) -> random.Random:
    """A `random.Random` that depends only on the seed and the labels given.

    Python's `hash()` of strings changes between processes, so the labels are
    hashed with SHA-256: the same (seed, parts) gives the same instances on any
    machine and in any process.
    """
    key = "|".join([str(seed), *map(str, parts)]).encode()
    return random.Random(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))


def normalise(text: str) -> str:
    """Unicode minus signs and dashes become '-'."""
    return text.translate(_MINUS)


def _clean_token(raw: str) -> str:
    """Strip markdown, LaTeX and punctuation around a one-token answer."""
    val = raw.strip()
    val = re.sub(r"^\$+|\$+$", "", val).strip()
    val = val.strip("*_`'\" ").rstrip(".").strip("*_`'\" ")
    return val


def marker_values(completion: str) -> list[str]:
    """The text after every answer marker, in the order they appear (cleaned)."""
    text = normalise(completion)
    hits = [(m.start(), m.group("val")) for m in _MARKER.finditer(text)]
    hits += [(m.start(), m.group("val")) for m in _BOXED.finditer(text)]
    return [_clean_token(v) for _, v in sorted(hits)]


def answer_text(completion: str) -> str | None:
    """The text after the last answer marker, if any (whatever it holds)."""
    vals = marker_values(completion)
    return vals[-1] if vals else None


def final_line(completion: str) -> str:
    """The reply's last non-fence line; for an equation ("53 + 50 = 103") what follows the last '='."""
    lines = [ln.strip() for ln in normalise(completion).strip().splitlines()
             if ln.strip() and not ln.strip().startswith("```")]
    last = lines[-1] if lines else ""
    return last.rsplit("=", 1)[-1]


def _as_int(text: str) -> int | None:
    text = _clean_token(text.rsplit("=", 1)[-1])
    text = text.replace(" ", "") if re.fullmatch(r"[+-]?\s*[\d,]+", text) else text
    return int(text.replace(",", "")) if _INT.match(text) else None


def parse_int_answer(completion: str) -> int | None:
    """The integer the model gave as its answer, or None (see module doc for the rules)."""
    for val in reversed(marker_values(completion)):
        got = _as_int(val)
        if got is not None:
            return got
    found = _LOOSE_INT.findall(final_line(completion).replace("`", " ").replace("*", " "))
    if len(found) != 1:
        return None
    return int(found[0].replace(",", ""))


def parse_number_answer(completion: str) -> float | None:
    """A real number answer (decimals allowed), by the same rules as `parse_int_answer`."""
    for val in reversed(marker_values(completion)):
        v = _clean_token(val.rsplit("=", 1)[-1]).replace(",", "")
        if _NUM.match(v):
            return float(v)
    found = _LOOSE_NUM.findall(final_line(completion).replace("`", " ").replace("*", " ").replace(",", ""))
    if len(found) != 1:
        return None
    return float(found[0])


def parse_token_answer(completion: str, allowed: str) -> str | None:
    """A one-word answer made only of `allowed` characters (case-folded), or None.

    Taken after the last answer marker whose value qualifies; without a marker,
    a reply that is just that word, or (for digit answers) a final line holding
    exactly one number.
    """
    for val in reversed(marker_values(completion)):
        v = val.lower()
        if v and all(ch in allowed for ch in v):
            return v
    text = _clean_token(normalise(completion)).lower()
    if text and all(ch in allowed for ch in text):
        return text
    if set(allowed) <= set("0123456789"):
        found = _LOOSE_INT.findall(final_line(completion).replace("`", " ").replace("*", " "))
        if len(found) == 1:
            v = found[0].replace(",", "")
            return v if all(ch in allowed for ch in v) else None
    return None


_FENCE = re.compile(r"```[ \t]*(?:python|py|python3)?[ \t]*\n(?P<code>.*?)(?:```|\Z)", re.S | re.I)


def compiles(source: str) -> bool:
    """True when `source` is valid Python (parsed under the AST lock)."""
    try:
        with _AST_LOCK:
            compile(source, "<reply>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def parse_python(source: str) -> ast.Module:
    """`ast.parse` under the process-wide lock (see module doc); raises SyntaxError."""
    with _AST_LOCK:
        return ast.parse(source)


def extract_code(completion: str) -> str | None:
    """The Python program in a reply: the longest fenced block, else the whole reply if it compiles.

    Small models often forget to close the fence when they hit the token limit,
    so an unclosed final block still counts; a reply with no code at all is
    unparseable rather than "wrong code".
    """
    blocks = [m.group("code") for m in _FENCE.finditer(completion) if m.group("code").strip()]
    if blocks:
        return max(blocks, key=len)
    if completion.strip() and compiles(completion):
        return completion
    return None


def last_line_int(stdout: str) -> int | None:
    """The integer on the last non-empty line a program printed, if it is one."""
    lines = [ln.strip() for ln in stdout.strip().splitlines() if ln.strip()]
    if not lines:
        return None
    return parse_int_answer(lines[-1])
