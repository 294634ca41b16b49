"""Live check of the claim `iterative-execution` (see README.md beside this file)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from codegap.experiments.base import Graded, LiveCheck, Request
from codegap.experiments.iterative_execution import analysis, generator, grader, task


class IterativeExecution(LiveCheck):
    claim_id = "iterative-execution"
    arms = task.ARMS

    def unit(self, index: int, seed: int, params: dict[str, Any]) -> list[generator.Instance]:
        return generator.unit(index, seed, params["depths"], params["kinds"])

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
        return [("Accuracy per arm and number of steps (Wilson 95% intervals, descriptive)",
                 analysis.accuracy_table(table)),
                ("How wrong answers are wrong", analysis.wrong_answer_table(table))]


CHECK = IterativeExecution()
