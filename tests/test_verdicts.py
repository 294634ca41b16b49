"""The one verdict function: four states, premises first, rule versions, the error split.

The synthetic models of every live check (perfect -> does not hold, limited -> holds,
random -> never holds) run through the real runner in tests/experiments/test_synthetic.py.
"""

from __future__ import annotations

import pytest

from codegap.claims import Condition, VerdictRule
from codegap.verdicts import MEANING, VERDICTS, Metric, condition_alpha, decide, rule_version


def _m(name: str, value: float, lo: float, hi: float, n: int = 50) -> Metric:
    return Metric(name, value, lo, hi, n)


def _rule(premises=(), min_n: int = 20, **kw) -> VerdictRule:
    conds = [Condition(metric="gain", op=">", threshold=0.0, why="w"),
             Condition(metric="drop", op="<", threshold=0.1, why="w")]
    return VerdictRule.model_construct(all=conds, premises=list(premises), min_n=min_n, log=[])


PREMISE = Condition(metric="engaged", op=">", threshold=0.2, why="the model engages")


@pytest.mark.parametrize(
    "gain, drop, expected",
    [
        ((0.2, 0.1, 0.3), (0.0, -0.05, 0.05), "holds"),
        ((0.0, 0.0, 0.0), (0.0, -0.05, 0.05), "does not hold"),  # interval at the threshold is a clear miss
        ((-0.2, -0.3, -0.1), (0.0, -0.05, 0.05), "does not hold"),
        ((0.2, 0.1, 0.3), (0.2, 0.1, 0.3), "does not hold"),  # '<': lo >= threshold fails
        ((0.05, -0.05, 0.15), (0.0, -0.05, 0.05), "inconclusive"),  # straddles 0
        ((0.2, 0.1, 0.3), (0.1, 0.05, 0.15), "inconclusive"),
        ((0.05, -0.05, 0.15), (0.2, 0.15, 0.3), "does not hold"),  # one clear failure beats undecided
    ],
)
def test_decide_states(gain: tuple, drop: tuple, expected: str) -> None:
    d = decide(_rule(), [_m("gain", *gain), _m("drop", *drop)])
    assert d.verdict == expected, d.explain()
    assert d.decided == (expected != "inconclusive")


def test_premises_come_first() -> None:
    rule = _rule([PREMISE])
    good = [_m("gain", 0.2, 0.1, 0.3), _m("drop", 0.0, -0.05, 0.05)]
    assert decide(rule, good + [_m("engaged", 0.5, 0.3, 0.7)]).verdict == "holds"
    failed = decide(rule, good + [_m("engaged", 0.0, 0.0, 0.1)])
    assert failed.verdict == "premise not met" and "premise engaged" in failed.explain()
    # a clearly failing condition cannot be reported while the premise is still open
    open_ = decide(rule, [_m("gain", -0.2, -0.3, -0.1), _m("drop", 0.0, -0.05, 0.05), _m("engaged", 0.3, 0.1, 0.5)])
    assert open_.verdict == "inconclusive" and "premise" in open_.note


def test_missing_metric_min_n_and_budget_note() -> None:
    d = decide(_rule(), [_m("gain", 0.2, 0.1, 0.3)])
    assert d.verdict == "inconclusive" and "missing" in d.note
    small = decide(_rule(min_n=100), [_m("gain", 0.2, 0.1, 0.3), _m("drop", 0.0, -0.05, 0.05)])
    assert small.verdict == "inconclusive" and "min_n=100" in small.note
    spent = decide(_rule(), [_m("gain", 0.05, -0.05, 0.15), _m("drop", 0.0, -0.05, 0.05)], at_budget=True)
    assert spent.verdict == "inconclusive" and "budget spent" in spent.note


def test_every_state_has_a_one_line_meaning() -> None:
    assert set(MEANING) == set(VERDICTS) and all("\n" not in v for v in MEANING.values())


def test_rule_version_changes_with_the_rule_not_its_wording() -> None:
    a = _rule()
    b = VerdictRule.model_construct(all=[c.model_copy(update={"why": "reworded"}) for c in a.all],
                                    premises=[], min_n=20, log=[])
    c = VerdictRule.model_construct(all=[a.all[0].model_copy(update={"threshold": 0.02}), a.all[1]],
                                    premises=[], min_n=20, log=[])
    assert rule_version(a) == rule_version(b) != rule_version(c)
    assert len(rule_version(a)) == 12


def test_conditions_share_the_error_budget() -> None:
    rule = _rule([PREMISE])
    assert condition_alpha(rule, "gain") == pytest.approx(0.025)
    assert condition_alpha(rule, "engaged") == pytest.approx(0.05)
    assert condition_alpha(rule, "descriptive_only") == pytest.approx(0.05)


def test_metric_refuses_nan_inf_and_estimates_outside_their_interval() -> None:
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="finite"):
            Metric("x", bad, 0.0, 1.0, 3)
    with pytest.raises(ValueError, match="outside"):
        Metric("x", 0.9, 0.0, 0.5, 3)


def test_an_unlogged_rule_change_is_refused() -> None:
    from pydantic import ValidationError

    data = {"all": [{"metric": "gain", "op": ">", "threshold": 0.0, "why": "w"}], "min_n": 5}
    with pytest.raises(ValidationError, match="log the rule's current version"):
        VerdictRule.model_validate(data)
    version = rule_version(VerdictRule.model_construct(
        all=[Condition(**data["all"][0])], premises=[], min_n=5, log=[]))
    ok = VerdictRule.model_validate({**data, "log": [{"version": version, "date": "2026-11-30", "reason": "r"}]})
    assert ok.log[-1].version == version


def test_a_failed_premise_rules_even_when_a_subset_metric_is_small() -> None:
    """A premise counted over all units fails clearly; a condition counted over a data-dependent
    subset (e.g. among replies that passed the base tests) has few units: the premise still rules."""
    rule = _rule([PREMISE], min_n=10)
    d = decide(rule, [_m("gain", 0.0, -1.0, 1.0, n=2), _m("drop", 0.0, -1.0, 1.0, n=2),
                      _m("engaged", 0.01, 0.0, 0.05, n=300)])
    assert d.verdict == "premise not met"
    few = decide(rule, [_m("gain", 0.0, -1.0, 1.0, n=2), _m("drop", 0.0, -1.0, 1.0, n=2),
                        _m("engaged", 0.0, 0.0, 0.1, n=5)])
    assert few.verdict == "inconclusive"
