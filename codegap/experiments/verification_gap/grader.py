"""Exact grading: run a reply's function on every test in the sandbox, or read a verifier's verdict.

Code answers. A reply's answer is the last fenced code block that defines a
top-level function `transform` (a review often shows the old version before
the new one), else the whole reply if it is such a program. A reply with a
code block that mentions `def transform` but does not parse is a broken
answer (wrong, unparseable). A reply with no function at all:
- in the first round of a chain it is unparseable and wrong;
- in a review or feedback round, or in the planted probe, the answer the
  model was asked to revise stands ("the function is correct as it is" keeps
  it), and it counts as not edited. Counting such replies as wrong would turn
  a model that says "no changes needed" into one whose review breaks answers.

An answer is correct when the function returns exactly the expected list of
ints on the visible example and on every hidden test. All tests run in one
sandboxed process per distinct program (`codegap.sandbox.run_python`), and
results are memoised by program text, so a function repeated unchanged across
rounds or arms runs once.

"Edited" compares the answer with the one under review by a digest of its
syntax tree (top-level definitions, docstrings, imports and assignments;
formatting, comments and test calls ignored), so re-typing the same function
is not an edit and changing one constant is.

Model-written code is parsed only with `answers.parse_python` (it holds the
process-wide AST lock: grading runs in worker threads).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any, Sequence

from codegap.experiments.answers import parse_python
from codegap.experiments.base import Graded
from codegap.experiments.verification_gap.generator import FEEDBACK_TESTS, FUNC, Instance, TestCase
from codegap.experiments.verification_gap.task import show

_FENCE = re.compile(r"```[ \t]*(?:python|py|python3)?[ \t]*\n(?P<code>.*?)(?:```|\Z)", re.S | re.I)
_VERDICT = re.compile(r"verdict[*_`\s]*[:=][*_`\s]*(correct|incorrect|wrong)\b", re.I)
#: longest message about one failing test shown to the model
_MSG_CHARS = 200


@dataclass(frozen=True)
class Answer:
    """What a reply proposes: a function (`code`), a broken attempt, or nothing."""

    kind: str  # "function" | "broken" | "none"
    code: str = ""
    why: str = ""

    @property
    def digest(self) -> str | None:
        if self.kind == "function":
            return code_digest(self.code)
        if self.kind == "broken":
            return "broken:" + hashlib.sha256(self.code.strip().encode()).hexdigest()[:12]
        return None


def _defines_func(tree: ast.Module) -> bool:
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == FUNC for n in tree.body)


def _try_parse(code: str) -> ast.Module | None:
    try:
        return parse_python(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def find_answer(reply: str) -> Answer:
    """The function a reply proposes (see module doc)."""
    blocks = [m.group("code") for m in _FENCE.finditer(reply) if m.group("code").strip()]
    for code in reversed(blocks):
        tree = _try_parse(code)
        if tree is not None and _defines_func(tree):
            return Answer("function", code)
    broken = [c for c in blocks if re.search(rf"\bdef\s+{FUNC}\b", c)]
    if broken:
        return Answer("broken", broken[-1], f"the code block defining {FUNC} does not parse")
    if not blocks and reply.strip():
        tree = _try_parse(reply)
        if tree is not None and _defines_func(tree):
            return Answer("function", reply)
    why = "no code block" if not blocks else f"no function named {FUNC}"
    return Answer("none", "", why)


def code_digest(code: str) -> str:
    """Digest of a program's definitions (see module doc); identical functions give identical digests."""
    tree = parse_python(code)
    kept = []
    for node in tree.body:
        if isinstance(node, (ast.Expr, ast.If)):
            continue  # test calls, prints, `if __name__ == "__main__":` blocks
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body and \
                isinstance(node.body[0], ast.Expr) and isinstance(getattr(node.body[0], "value", None), ast.Constant) \
                and isinstance(node.body[0].value.value, str):
            node.body = node.body[1:] or [ast.Pass()]
        kept.append(ast.dump(node, annotate_fields=False, include_attributes=False))
    return hashlib.sha256("\n".join(kept).encode()).hexdigest()[:12]


_HARNESS = """

def _codegap_main():
    import json as _j, sys as _s
    _out = []
    for _x in _j.loads({inputs!r}):
        try:
            _v = {func}(_x)
        except BaseException as _e:
            _out.append({{"error": (type(_e).__name__ + ": " + str(_e))[:120]}})
            continue
        if type(_v) is list and all(type(_e) is int for _e in _v):
            _out.append({{"value": _v}})
        else:
            _out.append({{"bad": repr(_v)[:120]}})
    _s.stdout.write("\\n" + {mark!r} + _j.dumps(_out) + "\\n")
_codegap_main()
"""


@functools.lru_cache(maxsize=8192)
def _run(code: str, inputs_json: str) -> tuple[tuple[str, Any], ...]:
    """Outcome per input: ("value", list) / ("error", text) / ("bad", repr) / ("failed", why)."""
    from codegap.sandbox import run_python

    mark = f"__CODEGAP_{secrets.token_hex(8)}__"  # a program cannot print a forged result line
    program = code + _HARNESS.format(func=FUNC, mark=mark, inputs=inputs_json)
    res = run_python(program, timeout_s=5.0, cpu_s=3, mem_mb=256, max_output=50_000)
    n = len(json.loads(inputs_json))
    line = next((ln for ln in reversed(res.stdout.splitlines()) if ln.startswith(mark)), None)
    if line is None:
        if res.reason in ("timeout", "cpu"):
            why = "the program timed out"
        else:
            last = (res.stderr.strip().splitlines() or [res.reason or f"exit {res.returncode}"])[-1]
            why = f"the program crashed ({last[:160]})"
        return (("failed", why),) * n
    try:
        outcomes = json.loads(line[len(mark):])
    except json.JSONDecodeError:
        return (("failed", "the program's output was garbled"),) * n
    out = []
    for o in outcomes:
        key = next(iter(o))
        out.append((key, tuple(o[key]) if key == "value" else o[key]))
    return tuple(out)


def run_tests(code: str, tests: Sequence[TestCase]) -> list[tuple[bool, str]]:
    """(passed, what happened) per test, running `code` once in the sandbox for all of them."""
    outcomes = _run(code, json.dumps([list(inp) for inp, _ in tests]))
    results = []
    for (inp, expected), (kind, val) in zip(tests, outcomes):
        call = f"{FUNC}({show(inp)})"
        if kind == "value" and val == expected:
            results.append((True, ""))
        elif kind == "value":
            results.append((False, f"{call} returned {show(val)}, expected {show(expected)}"[:_MSG_CHARS]))
        elif kind == "error":
            results.append((False, f"{call} raised {val}, expected {show(expected)}"[:_MSG_CHARS]))
        elif kind == "bad":
            results.append((False, f"{call} returned {val} (not a list of ints), expected {show(expected)}"
                            [:_MSG_CHARS]))
        else:
            results.append((False, f"{call}: {val}"[:_MSG_CHARS]))
    return results


def standing_answer(inst: Instance, arm: str, history: Sequence[str]) -> Answer:
    """The answer under review before the current reply: the planted candidate, then each reply that proposed one."""
    current = Answer("function", inst.wrong_code) if arm == "planted" else Answer("none", "", "no answer yet")
    for earlier in history:
        a = find_answer(earlier)
        if a.kind != "none":
            current = a
    return current


def grade_code(inst: Instance, arm: str, reply: str, round: int, history: Sequence[str] = ()) -> Graded:
    """Grade one code reply of a chain arm or the planted probe (see module doc)."""
    proposed = find_answer(reply)
    revising = round > 0 or arm == "planted"
    before = standing_answer(inst, arm, history) if revising else None
    kept = proposed.kind == "none" and before is not None and before.kind != "none"
    answer = before if kept else proposed
    assert answer is not None
    edited = None if before is None else (answer.digest != before.digest)
    value: dict[str, Any] = {"code": answer.digest, "edited": edited, "kept": kept}
    if answer.kind != "function":
        why = answer.why or proposed.why
        value.update(passed=0, total=len(inst.all_tests))
        return Graded(False, True, value, why)
    results = run_tests(answer.code, inst.all_tests)
    passed = sum(ok for ok, _ in results)
    value.update(passed=passed, total=len(results))
    if arm == "feedback":
        value["failures"] = [msg for ok, msg in results[1:1 + FEEDBACK_TESTS] if not ok]
    first_fail = next((msg for ok, msg in results if not ok), "")
    detail = ("kept the function under review; " if kept else "") + f"passed {passed}/{len(results)}" + (
        f"; first failure: {first_fail}" if first_fail else "")
    return Graded(passed == len(results), False, value, detail)


def read_verdict(reply: str) -> str | None:
    """"correct" or "wrong" from a verifier's reply (last `Verdict:` line wins), else None."""
    hits = list(_VERDICT.finditer(reply))
    if hits:
        last = hits[-1]
        line_start = reply.rfind("\n", 0, last.start()) + 1
        line_end = reply.find("\n", last.end())
        same_line = {m.group(1).lower() == "correct" for m in hits
                     if line_start <= m.start() < (line_end if line_end >= 0 else len(reply))}
        if len(same_line) > 1:
            return None  # "Verdict: correct or Verdict: wrong" repeats the instructions, it does not decide
        return "correct" if last.group(1).lower() == "correct" else "wrong"
    lines = [ln.strip().strip("*_`.!").strip().lower() for ln in reply.strip().splitlines() if ln.strip()]
    if lines and lines[-1] in ("correct", "wrong", "incorrect"):
        return "correct" if lines[-1] == "correct" else "wrong"
    return None


def grade_verdict(arm: str, reply: str) -> Graded:
    truth = "correct" if arm == "verify_right" else "wrong"
    said = read_verdict(reply)
    if said is None:
        return Graded(False, True, None, "no verdict line")
    return Graded(said == truth, False, said, "" if said == truth else f"said {said}, the candidate is {truth}")


def grade(inst: Instance, arm: str, reply: str, round: int, history: Sequence[str] = ()) -> Graded:
    if arm in ("verify_right", "verify_wrong"):
        return grade_verdict(arm, reply)
    return grade_code(inst, arm, reply, round, history)
