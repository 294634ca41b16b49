"""Live check of the claim `backtracking-limit` (see README.md beside this file)."""

from __future__ import annotations

from typing import Any, Sequence

import pandas as pd

from codegap.experiments.backtracking_limit import analysis, generator, grader, task
from codegap.experiments.base import Graded, LiveCheck, Request


class BacktrackingLimit(LiveCheck):
    claim_id = "backtracking-limit"
    arms = task.ARMS

    def unit(self, index: int, seed: int, params: dict[str, Any]) -> list[generator.Instance]:
        return generator.unit(index, seed, params["levels"], params["people"], params["slots"], params["rules"])

    def requests(self, instance: generator.Instance, params: dict[str, Any]) -> list[Request]:
        return task.requests(instance, int(params["rounds"]))

    def grade(self, instance: generator.Instance, request: Request, reply: str, round: int,
              history: Sequence[str] = ()) -> Graded:
        return grader.grade(instance, request.arm, reply)

    def follow_up(self, instance: generator.Instance, request: Request, reply: str, graded: Graded,
                  round: int) -> str | None:
        """The checker's feedback after a failed retry attempt; None once solved (or for other arms)."""
        if request.arm != "retry" or graded.correct:
            return None
        schedule = grader.parse_schedule(instance, reply)
        missing = [] if schedule is None else [p for p in instance.people
                                               if not 1 <= schedule.get(p, 0) <= instance.slots]
        return task.feedback(instance, schedule, missing)

    def analyse(self, table: pd.DataFrame, params: dict[str, Any]) -> list[Any]:
        return analysis.analyse(table, params)

    def details(self, table: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
        return analysis.details(table, params)

    def describe(self, table: pd.DataFrame, params: dict[str, Any]) -> list[tuple[str, Any]]:
        return [("Solve rate by level", analysis.solve_rate_chart(table)),
                ("Solve rate per arm and level, beside a random schedule and an assigner that never retracts "
                 "(Wilson 95% intervals, descriptive)", analysis.accuracy_table(table)),
                ("How final answers are wrong", analysis.wrong_answer_table(table))]


CHECK = BacktrackingLimit()
