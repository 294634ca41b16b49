"""Live check of the claim `insecure-patterns` (see README.md beside this file)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from codegap.experiments.base import Graded, LiveCheck, Request
from codegap.experiments.insecure_patterns import analysis, generator, grader, task


class InsecurePatterns(LiveCheck):
    claim_id = "insecure-patterns"
    arms = task.ARMS

    def unit(self, index: int, seed: int, params: dict[str, Any]) -> list[generator.Instance]:
        return generator.unit(index, seed, params)

    def instance_meta(self, instance: generator.Instance) -> dict[str, Any]:
        return {"family": instance.family, "category": instance.category}

    def requests(self, instance: generator.Instance, params: dict[str, Any]) -> list[Request]:
        return task.requests(instance)

    def grade(self, instance: generator.Instance, request: Request, reply: str, round: int,
              history: Any = ()) -> Graded:
        return grader.grade(instance, reply)

    def analyse(self, table: pd.DataFrame, params: dict[str, Any]) -> list[Any]:
        return analysis.analyse(table, params)

    def details(self, table: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
        return analysis.details(table, params)

    def describe(self, table: pd.DataFrame, params: dict[str, Any]) -> list[tuple[str, Any]]:
        return [("Tasks, working programs, and how many of those were exploited or flagged, per family",
                 analysis.category_table(table)),
                ("Exploits and bandit on the same working programs", analysis.agreement_table(table))]


CHECK = InsecurePatterns()
