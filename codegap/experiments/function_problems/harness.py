"""Reading the functions out of a reply, and running them on whole suites in one sandboxed process.

Extraction. A reply's program is every top-level definition (functions,
classes, imports, constant assignments) of every fenced Python block, in order,
so a model that writes one function per block, or shows a first version and
then a fixed one (the later definition wins), is read as it meant. Top-level
statements that are not definitions are dropped: example calls, `print`s,
`assert`s on its own examples and `if __name__ == "__main__":` blocks are not
part of the answer, and a failing example call must not turn a correct
function into a crash. Without a fence, the whole reply (or the reply from its
first `def`/`import` line) is tried. A required function that is missing is
"no function named ..."; one whose block does not parse (often: cut off by
the token budget) is "does not parse"; both are unparseable.

Execution. All cases of a suite run in one call to `codegap.sandbox.run_python`
(about 0.1 s per call here, against 0.1 s per *case* if each ran alone). The
payload (sources and calls) travels on stdin; inside, the model's code is
executed into a fresh namespace named `solution` (not `__main__`), each call
gets its own copy of the arguments and a one-second alarm, and what the
function returns is encoded as JSON. The comparison with the expected output
happens here, outside the sandbox, so the model's code can neither see nor
rewrite it. A crash while loading, or a sandbox limit (wall clock, CPU,
memory), fails every case of that run with the reason. Runs are memoised by
(sources, calls): the same program graded twice runs once.
"""

from __future__ import annotations

import ast
import functools
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any, Literal, Sequence

from codegap.experiments.answers import parse_python
from codegap.experiments.function_problems.inputs import Case
from codegap.experiments.function_problems.problem import call_text, show

_FENCE = re.compile(r"```[ \t]*(?:python3?|py)?[ \t]*\n(?P<code>.*?)(?:```|\Z)", re.S | re.I)
_CODE_START = re.compile(r"^(?:def |async def |import |from \w|class )", re.M)
_KEEP = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign,
         ast.AnnAssign)
_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)

#: seconds one call may take inside the sandbox, and the whole run
CALL_LIMIT_S = 1.0
RUN_TIMEOUT_S = 20.0
RUN_CPU_S = 10
#: characters of one failure message kept for the samples table
MESSAGE_CHARS = 200


@dataclass(frozen=True)
class Program:
    """What a reply proposes: runnable definitions (`ok`), code that does not parse, or nothing."""

    kind: Literal["ok", "broken", "none"]
    code: str = ""
    why: str = ""
    defined: tuple[str, ...] = ()

    def calls(self, caller: str, callee: str) -> bool:
        """Whether function `caller` refers to `callee` by name anywhere in its body."""
        if self.kind != "ok":
            return False
        for node in parse_python(self.code).body:
            if isinstance(node, _FUNCS) and node.name == caller:
                return any(isinstance(n, ast.Name) and n.id == callee for n in ast.walk(node))
        return False


def _parse(code: str) -> ast.Module | None:
    try:
        return parse_python(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _blocks(reply: str) -> list[str]:
    """Fenced blocks; without any, the reply itself (or from its first line of code) if it parses."""
    blocks = [m.group("code") for m in _FENCE.finditer(reply) if m.group("code").strip()]
    if blocks:
        return blocks
    start = _CODE_START.search(reply)
    for cand in (reply, reply[start.start():] if start else ""):
        if cand.strip() and _parse(cand) is not None:
            return [cand]
    return [reply[start.start():]] if start else []


def _calls_any(node: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in names
               for n in ast.walk(node))


def extract(reply: str, required: Sequence[str]) -> Program:
    """The program of a reply that must define every function in `required` (see module doc)."""
    nodes: list[ast.stmt] = []
    broken: list[str] = []
    for code in _blocks(reply):
        tree = _parse(code)
        if tree is None:
            broken.append(code)
            continue
        nodes += [n for n in tree.body if isinstance(n, _KEEP)]
    defined = {n.name for n in nodes if isinstance(n, _FUNCS)}
    # an assignment that calls the reply's own functions is an example run, not a definition
    nodes = [n for n in nodes if not isinstance(n, (ast.Assign, ast.AnnAssign)) or not _calls_any(n, defined)]
    missing = [name for name in required if name not in defined]
    if missing:
        if any(re.search(rf"\bdef\s+{re.escape(m)}\b", b) for b in broken for m in missing):
            return Program("broken", why=f"the code defining {missing[0]} does not parse")
        if not nodes and not broken:
            return Program("none", why="no Python code found")
        return Program("none", why=f"no function named {', '.join(missing)}")
    return Program("ok", "\n\n".join(ast.unparse(n) for n in nodes) + "\n", "", tuple(sorted(defined)))


@dataclass(frozen=True)
class SuiteResult:
    """How a function did on one suite: counts, the categories of failing cases, the first failures."""

    passed: int
    total: int
    failed_categories: tuple[str, ...] = ()
    first_failures: tuple[str, ...] = ()
    #: a failure of the whole run (crash while loading, timeout, memory), else ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.total > 0 and self.passed == self.total

    def summary(self, label: str) -> str:
        text = f"{label} {self.passed}/{self.total}"
        if self.error:
            return f"{text} ({self.error})"
        return f"{text}; first failure: {self.first_failures[0]}" if self.first_failures else text


_RUNNER = r'''
import json, signal, sys

class _CodegapTimeout(BaseException):
    pass

class _Sink:
    def write(self, text):
        return len(text)
    def flush(self):
        pass

def _alarm(signum, frame):
    raise _CodegapTimeout()

def _enc(v, depth=0):
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if v == v and abs(v) != float("inf") else repr(v)
    if isinstance(v, (list, tuple)) and depth < 20:
        return [_enc(x, depth + 1) for x in v]
    raise TypeError("returned a value of type " + type(v).__name__)

def _why(e):
    return (type(e).__name__ + ": " + str(e))[:200]

def _main():
    payload = json.loads(sys.stdin.read())
    real = sys.stdout
    sys.stdout = _Sink()
    mark = payload["mark"]
    signal.signal(signal.SIGALRM, _alarm)
    def emit(obj):
        real.write("\n" + mark + json.dumps(obj) + "\n")
        real.flush()
    ns = {"__name__": "solution", "__builtins__": __builtins__}
    try:
        signal.setitimer(signal.ITIMER_REAL, payload["load_limit"])
        try:
            for i, src in enumerate(payload["sources"]):
                exec(compile(src, "solution_%d.py" % i, "exec"), ns)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except BaseException as e:
        emit({"load": "timed out while loading" if isinstance(e, _CodegapTimeout) else _why(e)})
        return
    out = []
    for name, args in payload["calls"]:
        fn = ns.get(name)
        if not callable(fn):
            out.append(["error", "NameError: " + name + " is not defined"])
            continue
        try:
            signal.setitimer(signal.ITIMER_REAL, payload["limit"])
            try:
                value = fn(*args)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            out.append(["value", _enc(value)])
        except _CodegapTimeout:
            out.append(["timeout", ""])
        except BaseException as e:
            out.append(["error", _why(e)])
    emit({"results": out})

_main()
'''


@functools.lru_cache(maxsize=4096)
def _execute(sources: tuple[str, ...], calls_json: str) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """(whole-run error or "", per-call (kind, value)) for calls [[name, args], ...] on `sources`."""
    from codegap.sandbox import run_python

    mark = f"__CODEGAP_{secrets.token_hex(8)}__"
    payload = json.dumps({"mark": mark, "sources": list(sources), "calls": json.loads(calls_json),
                          "limit": CALL_LIMIT_S, "load_limit": 2 * CALL_LIMIT_S})
    res = run_python(_RUNNER, stdin=payload, timeout_s=RUN_TIMEOUT_S, cpu_s=RUN_CPU_S, mem_mb=512,
                     max_output=4_000_000, file_mb=16)
    line = next((ln for ln in reversed(res.stdout.splitlines()) if ln.startswith(mark)), None)
    if line is None:
        if res.reason in ("timeout", "cpu"):
            return "the program ran out of time", ()
        last = (res.stderr.strip().splitlines() or [res.reason or f"exit {res.returncode}"])[-1]
        return f"the program crashed ({last[:160]})", ()
    try:
        data = json.loads(line[len(mark):])
    except json.JSONDecodeError:
        return "the program's output was garbled", ()
    if "load" in data:
        return f"loading the code failed: {data['load']}", ()
    return "", tuple((kind, value) for kind, value in data["results"])


def returned(code: str | Sequence[str], name: str,
             args: Sequence[Sequence[Any]]) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """What function `name` of `code` does on each argument tuple, in ONE sandboxed process.

    Returns (whole-run error or "", one (kind, value) per call): kind "value"
    (the JSON-normalised return value), "error" (value: the exception, short)
    or "timeout". For checks that look at what a program returns beyond pass
    or fail (e.g. in which order its lists come); memoised like `run_suites`.
    """
    sources = (code,) if isinstance(code, str) else tuple(code)
    return _execute(sources, json.dumps([[name, list(a)] for a in args]))


def run_suites(code: str | Sequence[str], suites: Sequence[tuple[str, Sequence[Case]]]) -> list[SuiteResult]:
    """Run every suite (function name, cases) against the program `code` in ONE sandboxed process.

    `code` may be several sources executed in order into one namespace (a
    model's reply, then a supplied helper that must not be overridden).
    """
    sources = (code,) if isinstance(code, str) else tuple(code)
    calls = [[name, list(case.args)] for name, cs in suites for case in cs]
    error, outcomes = _execute(sources, json.dumps(calls))
    results: list[SuiteResult] = []
    at = 0
    for name, cs in suites:
        if error:
            results.append(SuiteResult(0, len(cs), tuple(sorted({c.category for c in cs})), (), error))
            continue
        passed, cats, msgs = 0, [], []
        for case, (kind, value) in zip(cs, outcomes[at:at + len(cs)]):
            call = call_text(name, case.args)
            if kind == "value" and value == case.expected:
                passed += 1
                continue
            cats.append(case.category)
            if len(msgs) < 3:
                if kind == "value":
                    msg = f"{call} returned {show(value)}, expected {show(case.expected)}"
                elif kind == "timeout":
                    msg = f"{call} took longer than {CALL_LIMIT_S:g} s"
                else:
                    msg = f"{call} raised {value}"
                msgs.append(f"[{case.category}] {msg}"[:MESSAGE_CHARS])
        at += len(cs)
        results.append(SuiteResult(passed, len(cs), tuple(sorted(set(cats))), tuple(msgs)))
    return results
