"""Live check of the claim `test-insufficiency` (see README.md beside this file)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from codegap.experiments.base import Graded, LiveCheck, Request
from codegap.experiments.test_insufficiency import analysis, generator, grader, task


class ThinTestSuites(LiveCheck):
    claim_id = "test-insufficiency"
    arms = task.ARMS

    def unit(self, index: int, seed: int, params: dict[str, Any]) -> list[generator.Instance]:
        return generator.unit(index, seed, params)

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
        return [("Passes per family (base suite, augmented suite, wrongly accepted)", analysis.family_table(table)),
                ("Which inputs exposed the programs the base suite accepted wrongly", analysis.exposure_table(table))]


CHECK = ThinTestSuites()
