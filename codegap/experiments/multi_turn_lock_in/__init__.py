"""Live check of the claim `multi-turn-lock-in` (see README.md beside this file)."""

from __future__ import annotations

from typing import Any, Sequence

import pandas as pd

from codegap.experiments.base import Graded, LiveCheck, Request
from codegap.experiments.multi_turn_lock_in import analysis, generator, grader, task


class MultiTurnLockIn(LiveCheck):
    claim_id = "multi-turn-lock-in"
    arms = task.ARMS

    def unit(self, index: int, seed: int, params: dict[str, Any]) -> list[generator.Instance]:
        return [generator.make(seed, index, params)]

    def requests(self, instance: generator.Instance, params: dict[str, Any]) -> list[Request]:
        return task.requests(instance)

    def instance_meta(self, instance: generator.Instance) -> dict[str, Any]:
        return {"keep": instance.keep, "transform": instance.transform, "extra": instance.extra,
                "order_turn": instance.order_turn, "n_shards": len(instance.shards)}

    def grade(self, instance: generator.Instance, request: Request, reply: str, round: int,
              history: Sequence[str] = ()) -> Graded:
        return grader.grade(instance, request.arm, reply, round)

    def follow_up(self, instance: generator.Instance, request: Request, reply: str, graded: Graded,
                  round: int) -> str | None:
        """SHARDED: the next requirement, whatever the model answered (the user does not read the code)."""
        if request.arm != "sharded" or round + 1 >= len(instance.shards):
            return None
        return task.sharded_turn(instance, round + 1)

    def analyse(self, table: pd.DataFrame, params: dict[str, Any]) -> list[Any]:
        return analysis.analyse(table, params)

    def details(self, table: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
        return analysis.details(table, params)

    def describe(self, table: pd.DataFrame, params: dict[str, Any]) -> list[tuple[str, Any]]:
        return [("Accuracy per arm (Wilson 95% intervals, descriptive)", analysis.accuracy_table(table)),
                ("SHARDED turn by turn: right on the whole task, kept up with what was said, direction of its lists",
                 analysis.turn_table(table)),
                ("SHARDED accuracy by the turn in which the direction was said", analysis.order_turn_table(table))]


CHECK = MultiTurnLockIn()
