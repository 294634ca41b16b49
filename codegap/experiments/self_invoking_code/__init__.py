"""Live check of the claim `self-invoking-code` (see README.md beside this file)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from codegap.experiments.base import Graded, LiveCheck, Request
from codegap.experiments.self_invoking_code import analysis, generator, grader, task


class SelfInvokingCode(LiveCheck):
    claim_id = "self-invoking-code"
    arms = task.ARMS

    def unit(self, index: int, seed: int, params: dict[str, Any]) -> list[generator.Instance]:
        return generator.unit(index, seed, params)

    def requests(self, instance: generator.Instance, params: dict[str, Any]) -> list[Request]:
        return task.requests(instance)

    def grade(self, instance: generator.Instance, request: Request, reply: str, round: int,
              history: Any = ()) -> Graded:
        return grader.grade(instance, request.arm, reply)

    def analyse(self, table: pd.DataFrame, params: dict[str, Any]) -> list[Any]:
        return analysis.analyse(table, params)

    def details(self, table: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
        return analysis.details(table, params)

    def describe(self, table: pd.DataFrame, params: dict[str, Any]) -> list[tuple[str, Any]]:
        return [("Outcome patterns per pair (f alone, g on a supplied f, both together)",
                 analysis.outcome_table(table)),
                ("Why self-invoking replies failed", analysis.self_failure_table(table)),
                ("Accuracy per composition template (descriptive)", analysis.template_table(table))]


CHECK = SelfInvokingCode()
