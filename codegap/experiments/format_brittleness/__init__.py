"""Live check of the claim `format-brittleness` (see README.md beside this file)."""

from __future__ import annotations

from typing import Any, Sequence

import pandas as pd

from codegap.experiments.base import Graded, LiveCheck, Request
from codegap.experiments.format_brittleness import analysis, generator, grader, task


class FormatBrittleness(LiveCheck):
    claim_id = "format-brittleness"
    arms = task.ARMS

    def unit(self, index: int, seed: int, params: dict[str, Any]) -> list[generator.Instance]:
        return [generator.make(seed, index, list(params["tools"]))]

    def requests(self, instance: generator.Instance, params: dict[str, Any]) -> list[Request]:
        return task.requests(instance)

    def instance_meta(self, instance: generator.Instance) -> dict[str, Any]:
        return {"tool": instance.tool}

    def grade(self, instance: generator.Instance, request: Request, reply: str, round: int,
              history: Sequence[str] = ()) -> Graded:
        return grader.grade(instance, request.arm, reply)

    def analyse(self, table: pd.DataFrame, params: dict[str, Any]) -> list[Any]:
        return analysis.analyse(table, params)

    def details(self, table: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
        return analysis.details(table, params)

    def describe(self, table: pd.DataFrame, params: dict[str, Any]) -> list[tuple[str, Any]]:
        return [("Accuracy per arm (Wilson 95% intervals, descriptive)", analysis.accuracy_table(table)),
                ("How the JSON replies fail: format or content", analysis.failure_table(table)),
                ("Free JSON outcome against the constrained outcome, per task", analysis.transition_table(table)),
                ("Accuracy per tool and arm", analysis.tool_table(table))]


CHECK = FormatBrittleness()
