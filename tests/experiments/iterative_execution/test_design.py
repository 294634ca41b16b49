"""iterative-execution: instances are prose with verified answers, operands do not grow with depth,
the grader reads answers exactly and classifies wrong ones (issue 9, item 1)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codegap.experiments import get
from codegap.experiments.answers import compiles
from codegap.experiments.iterative_execution import generator, grader, task

PARAMS = {"depths": [1, 4, 8], "kinds": ["recurrence", "program", "digits"]}
CHECK = get("iterative-execution")
_NUM = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
        "ninth": 9}


def solve_from_text(inst: generator.Instance) -> str:
    """An independent route to the answer: read the prose back and execute it."""
    text = inst.text
    reps = 1 if "once" in text else int(re.search(r"(\d+|twice) times|twice", text).group(0).split()[0]
                                          .replace("twice", "2")) if "in a row" in text else None
    if inst.kind == "recurrence":
        s = int(re.search(r"Start with the number (\d+)", text).group(1))
        m = int(re.search(r"multiply it by (\d+)", text).group(1))
        c = int(re.search(r"add (\d+) to the product", text).group(1))
        p = int(re.search(r"division by (\d+)", text).group(1))
        for _ in range(reps):
            s = (m * s + c) % p
        return str(s)
    if inst.kind == "digits":
        row = [int(d) for d in re.search(r"four digits ([\d, ]+) in a row", text).group(1).split(", ")]
        for _ in range(reps):
            row = row[1:] + [(row[-2] + row[-1]) % 10]
        return "".join(map(str, row))
    values: dict[int, int] = {}
    for sent in text.split(". "):
        sent = sent.rstrip(".")
        m = re.fullmatch(r"The (\w+) number is (\d+)", sent)
        if m:
            values[_NUM[m.group(1)]] = int(m.group(2))
            continue
        m = re.fullmatch(r"The (\w+) number is the (\w+) number (plus|minus) (?:the (\w+) number|(\d+))", sent)
        other = values[_NUM[m.group(4)]] if m.group(4) else int(m.group(5))
        base = values[_NUM[m.group(2)]]
        values[_NUM[m.group(1)]] = base + other if m.group(3) == "plus" else base - other
    return str(values[max(values)])


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), unit=st.integers(0, 500))
def test_answers_are_verified_and_no_text_runs_as_python(seed, unit):
    for inst in CHECK.unit(unit, seed, PARAMS):
        assert solve_from_text(inst) == inst.answer == inst.trace[-1]
        assert len(inst.trace) == inst.depth + 1
        assert not compiles(inst.text), "the procedure must be prose, not a program the code arm can copy"
        for req in CHECK.requests(inst, PARAMS):
            assert not compiles(req.prompt if isinstance(req.prompt, str) else "")


def test_operand_size_is_constant_across_depth():
    for kind in generator.KINDS:
        for depth in (1, 4, 8):
            for u in range(40):
                inst = generator.make(kind, depth, 0, u)
                values = [int(v) for v in inst.trace] if kind != "digits" else [len(v) for v in inst.trace]
                if kind == "program":
                    assert all(generator.BAND[0] <= v <= generator.BAND[1] for v in values)
                elif kind == "recurrence":
                    assert all(0 <= v <= inst.high for v in values) and inst.high <= 42
                else:
                    assert values == [4] * (depth + 1)


def test_units_are_pure_functions_of_seed_and_index():
    a = [CHECK.unit(i, 5, PARAMS) for i in range(6)]
    b = [CHECK.unit(i, 5, PARAMS) for i in reversed(range(6))][::-1]
    assert a == b
    assert CHECK.unit(0, 5, PARAMS) != CHECK.unit(0, 6, PARAMS)
    assert [i.kind for u in a for i in u][::3] == ["recurrence", "program", "digits"] * 2


def test_cot_budget_grows_with_depth_and_every_arm_is_asked():
    inst = generator.make("program", 8, 0, 0)
    reqs = {r.arm: r for r in task.requests(inst)}
    assert set(reqs) == {"direct", "cot", "code"}
    assert reqs["cot"].max_tokens >= 90 * 8 and reqs["direct"].max_tokens < 40
    assert all(r.temperature == 0.0 for r in reqs.values())


@pytest.mark.parametrize("reply, correct, unparseable, detail", [
    ("Answer: {answer}", True, False, ""),
    ("{answer}", True, False, ""),
    ("I cannot compute that.", False, True, "unparseable"),
    ("Answer: {intermediate}", False, False, "intermediate"),
    ("Answer: 5000", False, False, "out of range"),
])
def test_grader_reads_exactly_and_classifies_wrong_answers(reply, correct, unparseable, detail):
    inst = generator.make("program", 4, 0, 1)
    text = reply.format(answer=inst.answer, intermediate=inst.trace[1])
    g = grader.grade(inst, "direct", text)
    assert (g.correct, g.unparseable) == (correct, unparseable)
    if detail:
        assert g.detail == detail


def test_digit_rows_are_read_in_several_layouts():
    inst = generator.make("digits", 4, 0, 2)
    spaced = " ".join(inst.answer)
    for reply in (inst.answer, f"Answer: {spaced}", f"Answer: {', '.join(inst.answer)}.", f"[{', '.join(inst.answer)}]"):
        assert grader.grade(inst, "cot", reply).correct, reply
    assert grader.grade(inst, "cot", "Answer: 12345").unparseable


def test_code_arm_runs_the_program_in_the_sandbox():
    inst = generator.make("recurrence", 4, 0, 0)
    m = re.search(r"multiply it by (\d+), add (\d+) to the product.*division by (\d+)", inst.text)
    start = inst.trace[0]
    program = (f"```python\ns = {start}\nfor _ in range(4):\n    s = (s * {m.group(1)} + {m.group(2)}) % {m.group(3)}\n"
               "print(s)\n```")
    assert grader.grade(inst, "code", program).correct
    assert not grader.grade(inst, "code", "```python\nprint(undefined)\n```").correct
    assert grader.grade(inst, "code", "no code at all").unparseable
