"""Live check of the claim `proxy-reward-trap` (see README.md beside this file)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from codegap.experiments.base import Graded, LiveCheck, Request
from codegap.experiments.proxy_reward_trap import analysis, generator, grader, task


class ProxyRewardTrap(LiveCheck):
    claim_id = "proxy-reward-trap"
    arms = task.ARMS

    def unit(self, index: int, seed: int, params: dict[str, Any]) -> list[generator.Instance]:
        return generator.unit(index, seed, params)

    def instance_meta(self, instance: generator.Instance) -> dict[str, Any]:
        return {"family": instance.family, "func": instance.func}

    def requests(self, instance: generator.Instance, params: dict[str, Any]) -> list[Request]:
        return task.requests(instance, params)

    def grade(self, instance: generator.Instance, request: Request, reply: str, round: int,
              history: Any = ()) -> Graded:
        return grader.grade(instance, reply)

    def analyse(self, table: pd.DataFrame, params: dict[str, Any]) -> list[Any]:
        return analysis.analyse(table, params)

    def details(self, table: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
        return analysis.details(table, params)

    def describe(self, table: pd.DataFrame, params: dict[str, Any]) -> list[tuple[str, Any]]:
        return [("Outcome of every task, per family and arm", analysis.outcome_table(table)),
                ("CPU time against the reference at the largest size, replies that finished every size",
                 analysis.speed_table(table))]


CHECK = ProxyRewardTrap()
