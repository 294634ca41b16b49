"""Live check of the claim `rl-sharpening` (see README.md beside this file).

Mode B (default) trains its own subject, a tiny organism, so `models()` has no
roles and the record names `tinyrl/<digest of the recipe>`; Mode A (both
`base_model` and `rl_model` given) asks two served models through inspect.
"""

from __future__ import annotations

from typing import Any, Sequence

import pandas as pd

from codegap.experiments.base import Graded, Request
from codegap.experiments.rl_sharpening import analysis, generator, grader, organism, task
from codegap.organisms.check import OrganismCheck, Progress, UnitOutput


class RLSharpening(OrganismCheck):
    claim_id = "rl-sharpening"
    arms = task.ARMS
    organism_name = "tinyrl"
    recipe_keys = organism.RECIPE

    def trains(self, params: dict[str, Any]) -> bool:
        return not generator.mode_a(params)

    def models(self, model: str, params: dict[str, Any]) -> dict[str, str]:
        if self.trains(params):
            return {}
        return {"base": str(params["base_model"]), "rl": str(params["rl_model"])}

    def subject(self, model: str, params: dict[str, Any]) -> str:
        if self.trains(params):
            return super().subject(model, params)
        return f"{params['base_model']} -> {params['rl_model']}"

    def unit(self, index: int, seed: int, params: dict[str, Any]) -> list[generator.Problem]:
        return generator.unit(index, seed, params)

    def requests(self, instance: generator.Problem, params: dict[str, Any]) -> list[Request]:
        return task.requests(instance, params)

    def grade(self, instance: generator.Problem, request: Request, reply: str, round: int,
              history: Any = ()) -> Graded:
        return grader.grade(instance, reply)

    def train_unit(self, unit: int, seed: int, instances: Sequence[Any], params: dict[str, Any],
                   progress: Progress | None) -> UnitOutput:
        return organism.train_unit(unit, seed, instances, params, progress)

    def analyse(self, table: pd.DataFrame, params: dict[str, Any]) -> list[Any]:
        return analysis.analyse(table, params)

    def details(self, table: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
        return analysis.details(table, params)

    def describe(self, table: pd.DataFrame, params: dict[str, Any]) -> list[tuple[str, Any]]:
        return [("pass@k per arm (mean over units; lowest and highest unit)", analysis.passk_table(table, params)),
                ("Coverage: share of problems solved at any k, per unit", analysis.coverage_table(table, params)),
                ("Per unit (seed in Mode B): pass@1 and pass@k of every arm", analysis.seed_means(table, params))]


CHECK = RLSharpening()
