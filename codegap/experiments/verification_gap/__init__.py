"""Live check of the claim `verification-gap` (see README.md beside this file)."""

from __future__ import annotations

from typing import Any, Sequence

import pandas as pd

from codegap.experiments.base import Graded, LiveCheck, Request
from codegap.experiments.verification_gap import analysis, generator, grader, task


class VerificationGap(LiveCheck):
    claim_id = "verification-gap"
    arms = task.ARMS

    def unit(self, index: int, seed: int, params: dict[str, Any]) -> list[generator.Instance]:
        return [generator.make(seed, index, int(params["steps"]))]

    def requests(self, instance: generator.Instance, params: dict[str, Any]) -> list[Request]:
        return task.requests(instance, params)

    def grade(self, instance: generator.Instance, request: Request, reply: str, round: int,
              history: Sequence[str] = ()) -> Graded:
        return grader.grade(instance, request.arm, reply, round, history)

    def follow_up(self, instance: generator.Instance, request: Request, reply: str, graded: Graded,
                  round: int) -> str | None:
        """The next turn of a chain (the review request or the test report; a format reminder for both),
        or, for a verifier whose reply holds no verdict line, the request for that line."""
        if request.arm in ("verify_right", "verify_wrong"):
            return task.VERDICT_ASK if graded.unparseable and round == 0 else None
        if request.arm not in task.CHAINS:
            return None
        if graded.unparseable:
            return task.format_reminder(graded.detail)
        if request.arm == "intrinsic":
            return task.REVIEW
        return task.feedback_message(list(graded.value.get("failures", [])))

    def analyse(self, table: pd.DataFrame, params: dict[str, Any]) -> list[Any]:
        return analysis.analyse(table, params)

    def details(self, table: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
        return analysis.details(table, params)

    def describe(self, table: pd.DataFrame, params: dict[str, Any]) -> list[tuple[str, Any]]:
        return [("Accuracy per arm and round (Wilson 95% intervals, descriptive)", analysis.accuracy_table(table)),
                ("Flips and edits per round, from the round before", analysis.flips_table(table)),
                ("What the verifier said, per kind of candidate", analysis.verifier_table(table))]


CHECK = VerificationGap()
