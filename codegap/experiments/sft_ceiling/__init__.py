"""Live check of the claim `sft-ceiling` (see README.md beside this file).

It trains its own subjects (tiny students of three teachers), so `models()`
has no roles and the record names `tinysft/<digest of the recipe>`.
"""

from __future__ import annotations

from typing import Any, Sequence

import pandas as pd

from codegap.experiments.base import Graded, Request
from codegap.experiments.sft_ceiling import analysis, generator, grader, organism, task
from codegap.organisms.check import OrganismCheck, Progress, UnitOutput


class SFTCeiling(OrganismCheck):
    claim_id = "sft-ceiling"
    organism_name = "tinysft"
    recipe_keys = organism.RECIPE

    #: display names: the arms themselves follow the `sizes` parameter (task.arm_names)
    arms = ("systematic@<n>", "noisy@<n>", "clean@<largest n>", "rl")

    def unit(self, index: int, seed: int, params: dict[str, Any]) -> list[generator.Problem]:
        return generator.unit(index, seed, params)

    def requests(self, instance: generator.Problem, params: dict[str, Any]) -> list[Request]:
        return task.requests(instance, params)

    def grade(self, instance: generator.Problem, request: Request, reply: str, round: int,
              history: Any = ()) -> Graded:
        return grader.grade(instance, request.arm, reply)

    def train_unit(self, unit: int, seed: int, instances: Sequence[Any], params: dict[str, Any],
                   progress: Progress | None) -> UnitOutput:
        return organism.train_unit(unit, seed, instances, params, progress)

    def analyse(self, table: pd.DataFrame, params: dict[str, Any]) -> list[Any]:
        return analysis.analyse(table, params)

    def details(self, table: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
        return analysis.details(table, params)

    def describe(self, table: pd.DataFrame, params: dict[str, Any]) -> list[tuple[str, Any]]:
        return [("Student accuracy per teacher and data size (mean over seeds; lowest and highest seed)",
                 analysis.curve_table(table, params))]


CHECK = SFTCeiling()
