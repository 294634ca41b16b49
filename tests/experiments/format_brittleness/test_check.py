"""format-brittleness: generated tool-call tasks with verified calls, format and content grading, the rule."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import jsonschema
import pytest

from codegap import experiments
from codegap.claims import claim_by_id
from codegap.evaluation import evaluate
from codegap.experiments.format_brittleness import generator, task
from codegap.experiments.format_brittleness.tools import CURRENCIES, NUMBER_WORDS, TOOLS
from codegap.samples import SampleRow
from support.report_notebook import check_report_notebook

CLAIM = claim_by_id("format-brittleness")
PARAMS = CLAIM.experiment.parameters
CHECK = experiments.get("format-brittleness")
WORDS = {w: i for i, w in enumerate(NUMBER_WORDS)}


def req(inst: generator.Instance, arm: str):
    return next(r for r in CHECK.requests(inst, PARAMS) if r.arm == arm)


def read_request(tool: str, text: str) -> dict[str, Any]:
    """An independent reading of a request: the arguments worked out from its words with regular expressions."""
    num = lambda s: WORDS[s] if s in WORDS else int(s)  # noqa: E731
    if tool == "set_timer":
        h, m, sound = re.search(r"for (\d+) hours? and (\d+) minutes.* the (\w+) sound", text).groups()
        return {"minutes": int(h) * 60 + int(m), "sound": sound}
    if tool == "book_table":
        name, friends, h, m = re.search(r"table at (.+) for me and (\w+) friends? at (\d+):(\d+) pm", text).groups()
        return {"restaurant": name, "people": num(friends) + 1, "time": f"{int(h) + 12}:{m}"}
    if tool == "convert_currency":
        target, amount, source = re.search(r"How many (.+) would I get for (\d+) (.+)\?", text).groups()
        code = {v: k for k, v in CURRENCIES.items()}
        return {"amount": int(amount), "source": code[source], "target": code[target]}
    if tool == "get_forecast":
        city, weeks, days, unit = re.search(r"in (\w+) over the next (\w+ )?weeks? and (\w+) days?\? "
                                            r"Temperatures in (\w+)", text).groups()
        return {"city": city, "days": 7 * (num(weeks.strip()) if weeks else 1) + num(days), "unit": unit.lower()}
    if tool == "transfer_money":
        part, amount, src, dst = re.search(r"Move (half|a quarter) of the (\d+) dollars in my (\w+) account "
                                           r"to my (\w+) account", text).groups()
        return {"from_account": src, "to_account": dst, "amount": int(amount) // (2 if part == "half" else 4)}
    if tool == "create_event":
        today, title, ahead, h, m = re.search(r"Today is (\S+)\. Put \"(.+)\" in my calendar (\w+) days from today, "
                                              r"lasting (\d+) hours? and (\d+) minutes", text).groups()
        date = dt.date.fromisoformat(today) + dt.timedelta(days=num(ahead))
        return {"title": title, "date": date.isoformat(), "duration_minutes": int(h) * 60 + int(m)}
    if tool == "set_thermostat":
        room, now, delta, way = re.search(r"The (.+) is at (\d+) degrees Celsius; make it (\d+) degrees (\w+)",
                                          text).groups()
        return {"room": room, "temperature": int(now) + (int(delta) if way == "warmer" else -int(delta))}
    if tool == "order_items":
        dozens, item = re.search(r"Order (\w+) dozen (\w+)", text).groups()
        return {"item": item, "quantity": 12 * num(dozens)}
    raise AssertionError(tool)


# --- instances ------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 5, 1000])
def test_tasks_are_valid_and_their_calls_verified_by_reading_the_request(seed: int) -> None:
    from codegap.models.local_provider import schema_grammar

    for index in range(64):
        inst = CHECK.unit(index, seed, PARAMS)[0]
        assert inst.tool in inst.toolbox and len(set(inst.toolbox)) == generator.TOOLBOX
        assert inst.arguments == read_request(inst.tool, inst.request), inst.request
        assert list(inst.arguments) == [p.name for p in TOOLS[inst.tool].params]
        jsonschema.validate(inst.call(), inst.schema())
        assert "root ::=" in schema_grammar(inst.schema())  # the local provider can constrain to it
        for arm in ("free_json", "grammar_json"):
            assert CHECK.grade(inst, req(inst, arm), json.dumps(inst.call()), 0).correct


def test_units_are_pure_independent_of_batching_and_every_tool_is_used() -> None:
    alone = CHECK.unit(23, 2, PARAMS)[0]
    for i in range(23):
        CHECK.unit(i, 2, PARAMS)
    assert CHECK.unit(23, 2, PARAMS)[0] == alone
    assert CHECK.unit(23, 3, PARAMS)[0] != alone
    assert {CHECK.unit(i, 0, PARAMS)[0].tool for i in range(16)} == set(PARAMS["tools"])


def test_bad_parameters_name_the_parameter() -> None:
    with pytest.raises(ValueError, match="parameter tools"):
        CHECK.unit(0, 0, {"tools": ["set_timer", "fly_to_moon", "book_table", "order_items"]})
    with pytest.raises(ValueError, match="parameter tools"):
        CHECK.unit(0, 0, {"tools": ["set_timer", "book_table"]})


def test_the_json_arms_differ_only_by_the_schema() -> None:
    inst = CHECK.unit(4, 0, PARAMS)[0]
    free, constrained, plain = (req(inst, a) for a in task.ARMS)
    assert free.prompt == constrained.prompt and free.max_tokens == constrained.max_tokens
    assert free.response_schema is None and constrained.response_schema == inst.schema()
    assert plain.response_schema is None and "JSON" in plain.prompt and inst.request in plain.prompt
    from inspect_ai.util import JSONSchema

    # what collect sends survives inspect's schema model unchanged
    assert JSONSchema.model_validate(inst.schema()).model_dump(exclude_none=True) == inst.schema()


# --- grading ----------------------------------------------------------------------------------------

def _inst() -> generator.Instance:
    return next(i for i in (CHECK.unit(k, 0, PARAMS)[0] for k in range(8)) if i.tool == "book_table")


@pytest.mark.parametrize("reply, kind", [
    ("", "no JSON"),
    ("I would book a table for you.", "no JSON"),
    ("{'name': 'book_table', 'arguments': {'restaurant': 'X', 'people': 2, 'time': '19:00'}}", "no JSON"),
    ('{"name": "book_table", "arguments": {"restaurant": "X", "people": 2, "time": "19:00"},}', "no JSON"),
    ('Sure:\n{"name": "book_table", "arguments": {"restaurant": "X", "people": 2, "time": "19:00"}}',
     "JSON inside text"),
    ('{"name": "book_table", "arguments": {"restaurant": "X", "people": "2", "time": "19:00"}}', "not the schema"),
    ('{"name": "book_table", "arguments": {"restaurant": "X", "people": 2}}', "not the schema"),
    ('{"name": "fly", "arguments": {"restaurant": "X", "people": 2, "time": "19:00"}}', "not the schema"),
    ('{"name": "book_table", "arguments": "{\\"people\\": 2}"}', "not the schema"),
    ('{"name": "book_table", "arguments": {"restaurant": "X", "people": 2, "time": "19:00"}, "why": "x"}',
     "not the schema"),
    ('{"name": "book_table", "arguments": {"restaurant": "X", "people": 2, "time": "19:00"', "no JSON"),
])
def test_format_invalid_replies_are_wrong_unparseable_and_classified(reply: str, kind: str) -> None:
    inst = _inst()
    for arm in ("free_json", "grammar_json"):
        g = CHECK.grade(inst, req(inst, arm), reply, 0)
        assert not g.correct and g.unparseable and g.value["format"] == kind, g


def test_a_fenced_call_is_read_and_content_is_compared_leniently() -> None:
    inst = _inst()
    call = inst.call()
    call["arguments"]["restaurant"] = "  " + call["arguments"]["restaurant"].upper() + " "
    g = CHECK.grade(inst, req(inst, "free_json"), f"```json\n{json.dumps(call)}\n```", 0)
    assert g.correct and not g.unparseable
    call["arguments"]["people"] += 1
    g = CHECK.grade(inst, req(inst, "free_json"), json.dumps(call), 0)
    assert not g.correct and not g.unparseable and g.value["wrong"] == ["people"]


def test_plain_answers_need_the_right_tool_only_and_every_value() -> None:
    inst = _inst()
    a = inst.arguments
    plain = req(inst, "plain")
    ok = (f"Use book table: the restaurant is {a['restaurant'].lower()}, {NUMBER_WORDS[a['people']]} people, "
          f"at {a['time']}.") if a["people"] <= 10 else ""
    assert CHECK.grade(inst, plain, ok, 0).correct
    other = next(t for t in inst.toolbox if t != "book_table")
    assert not CHECK.grade(inst, plain, ok + f" Or maybe {other}.", 0).correct
    g = CHECK.grade(inst, plain, "I would book it for you.", 0)
    assert not g.correct and g.unparseable
    g = CHECK.grade(inst, plain, f"Call book_table at {a['time']}.", 0)
    assert not g.correct and not g.unparseable and "restaurant" in g.value["missing"]


# --- the rule on graded rows (no model) --------------------------------------------------------------

def rows(pattern: list[tuple[str, bool]], *, truncated: bool = False) -> list[SampleRow]:
    """Per task: (free outcome: 'right' | 'invalid' | 'wrong', constrained right?)."""
    out = []
    for u, (free, grammar_ok) in enumerate(pattern):
        cells = (("free_json", free == "right", free == "invalid"), ("grammar_json", grammar_ok, False),
                 ("plain", grammar_ok, False))
        for arm, ok, invalid in cells:
            out.append(SampleRow(unit=u, instance=f"u{u}", arm=arm, correct=ok, unparseable=invalid,
                                 truncated=truncated, meta={"tool": "set_timer"},
                                 parsed={"format": "no JSON" if invalid else "valid", "wrong": [] if ok else ["x"]}))
    return out


def decide(pattern: list[tuple[str, bool]], **kw: Any):
    return evaluate(CHECK, CLAIM, rows(pattern, **kw), PARAMS)


def test_what_the_reference_models_score() -> None:
    # without the limitation: never wrong
    assert decide([("right", True)] * 70).decision.verdict == "does not hold"
    # always valid JSON with wrong arguments (constrained too)
    assert decide([("wrong", False)] * 70).decision.verdict == "does not hold"
    # always invalid JSON, right once constrained
    assert decide([("invalid", True)] * 70).decision.verdict == "holds"
    # always invalid JSON, wrong even when constrained: the format was not what failed it
    assert decide([("invalid", False)] * 70).decision.verdict == "does not hold"


def test_the_rule_asks_for_most_failures_to_be_repaired_not_some() -> None:
    # a quarter of the failures repaired (invalid -> right), the rest content failures: share below one half
    pattern = [("invalid", True), ("wrong", False), ("wrong", False), ("wrong", False)] * 30
    ev = decide(pattern)
    m = {x.name: x for x in ev.metrics}
    assert m["repaired_share"].value == pytest.approx(0.25) and m["repaired_share"].n == 120
    assert m["repair_balance"].value == pytest.approx(-0.5)
    assert ev.decision.verdict == "does not hold"
    # 80% repaired, the rest right: holds
    assert decide([("invalid", True)] * 80 + [("wrong", False), ("right", True)] * 10).decision.verdict == "holds"


def test_premises_gate_the_verdict() -> None:
    unconstrained = [(f, False) for f in ("invalid", "right")] * 35
    rows_ = rows(unconstrained)
    for r in rows_:
        if r.arm == "grammar_json":
            r.unparseable = True
    assert evaluate(CHECK, CLAIM, rows_, PARAMS).decision.verdict == "premise not met"
    assert decide([("invalid", True)] * 70, truncated=True).decision.verdict == "premise not met"


def test_repaired_share_has_no_units_for_a_model_that_never_fails() -> None:
    m = {x.name: x for x in decide([("right", True)] * 20).metrics}
    assert m["repaired_share"].n == 0 and m["repair_balance"].n == 20


# --- the schema reaches the server --------------------------------------------------------------------

def test_the_constrained_arm_sends_the_schema_and_the_free_arm_does_not(tmp_path, monkeypatch) -> None:
    """Through inspect's openai-api provider to the stub server: response_format carries the schema."""
    from codegap.experiments.collect import RunContext, collect_inspect
    from support.openai_server import OpenAIStub

    inst = CHECK.unit(0, 0, PARAMS)[0]
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "cache"))
    with OpenAIStub(answer=lambda messages, body: json.dumps(inst.call())) as srv:
        service = f"fbstub{srv.port}"
        monkeypatch.setenv(f"{service.upper()}_API_KEY", "x")
        monkeypatch.setenv(f"{service.upper()}_BASE_URL", srv.base_url)
        ctx = RunContext(model=f"openai-api/{service}/m", seed=0, log_dir=tmp_path / "logs")
        got = collect_inspect(CHECK, [inst], PARAMS, ctx)
        bodies = list(srv.calls)
    formats = [b.get("response_format") for b in bodies]
    assert sum(f is not None for f in formats) == 1 and len(bodies) == 3
    sent = next(f for f in formats if f)
    assert sent["type"] == "json_schema" and sent["json_schema"]["schema"] == inst.schema()
    # the plain arm asks what the call is, not how it is written: the JSON states it, so it counts
    assert {r.arm: r.correct for r in got} == {"free_json": True, "grammar_json": True, "plain": True}


# --- the report notebook ----------------------------------------------------------------------------

def test_notebook_parameters_are_the_yaml_defaults_and_the_two_files_agree() -> None:
    check_report_notebook("format-brittleness")
