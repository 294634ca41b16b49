"""Live check of the claim `cot-imitation` (see README.md beside this file)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from codegap.experiments.base import Graded, LiveCheck, Request
from codegap.experiments.cot_imitation import analysis, generator, grader, task


class CotImitation(LiveCheck):
    claim_id = "cot-imitation"
    arms = task.ARMS

    def unit(self, index: int, seed: int, params: dict[str, Any]) -> list[generator.Instance]:
        return generator.unit(index, seed, params["families"], params["base"], params["digits"], params["shifts"])

    def requests(self, instance: generator.Instance, params: dict[str, Any]) -> list[Request]:
        return task.requests(instance)

    def instance_meta(self, instance: generator.Instance) -> dict[str, Any]:
        return {"family": instance.family, "variant": instance.variant, "size": instance.size,
                "convention": instance.convention, "answer": instance.answer,
                "familiar_answer": instance.familiar_answer}

    def grade(self, instance: generator.Instance, request: Request, reply: str, round: int,
              history: Any = ()) -> Graded:
        return grader.grade(instance, reply)

    def analyse(self, table: pd.DataFrame, params: dict[str, Any]) -> list[Any]:
        return analysis.analyse(table, params)

    def details(self, table: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
        return analysis.details(table, params)

    def describe(self, table: pd.DataFrame, params: dict[str, Any]) -> list[tuple[str, Any]]:
        return [("Accuracy per family, twin and arm (Wilson 95% intervals, descriptive)",
                 analysis.accuracy_table(table)),
                ("How wrong answers are wrong", analysis.wrong_answer_table(table))]


CHECK = CotImitation()
