"""The experiment contract: what every live check provides, and what the runner does with it.

A live check is the package `codegap.experiments.<claim id with _>`; its
`CHECK` object is a `LiveCheck`. The runner (`codegap.runner`) and the report
notebook call the same methods, so the verdict in a record and the tables in a
notebook come from one code path:

1. `unit(index, seed, params)`: the instances of one independent unit of
   evidence, a pure function of its arguments (unit i is the same whatever the
   batch size, so a re-score rebuilds every prompt exactly);
2. `requests(instance, params)`: the model requests of an instance, one per arm
   (prompt, token budget, temperature, draws, rounds);
3. `collect(...)`: asks the model (default: one inspect evaluation per batch,
   `codegap.experiments.collect`) and returns `SampleRow`s;
4. `grade(instance, request, reply, round)`: scores one reply exactly; the same
   function scores a run and a re-score of its stored samples;
5. `analyse(table, params)`: per-unit `Observations` for every metric the claim
   declares; intervals are added by `codegap.stats.estimate`, never here.

Multi-round arms (self-review, feedback, a scripted user) implement
`follow_up`, which returns the next user message or None to stop.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Sequence

if TYPE_CHECKING:
    import pandas as pd

    from codegap.samples import SampleRow
    from codegap.stats import Observations


@dataclass(frozen=True)
class Graded:
    """The outcome of scoring one reply: exact correctness, and whether it could be parsed at all.

    `value` is the parsed answer (JSON-serialisable); `detail` a short reason
    shown in the samples table (e.g. which test failed).
    """

    correct: bool
    unparseable: bool
    value: Any = None
    detail: str = ""


@dataclass(frozen=True)
class Request:
    """One arm's request for one instance.

    `prompt` is the user message, or a list of (role, text) messages when the
    arm needs a system message or a scripted conversation. `epochs` independent
    draws are made (each with its own sampling seed), `rounds` is the most turns
    a multi-round arm may take. `role` names the model that answers when a
    check compares several ("subject" otherwise). `response_schema` asks for
    grammar-constrained JSON where the provider supports it.
    """

    arm: str
    prompt: str | tuple[tuple[str, str], ...]
    max_tokens: int
    temperature: float = 0.0
    epochs: int = 1
    rounds: int = 1
    role: str = "subject"
    response_schema: dict[str, Any] | None = None

    def messages(self) -> list[tuple[str, str]]:
        return [("user", self.prompt)] if isinstance(self.prompt, str) else list(self.prompt)


class LiveCheck:
    """Base class of a live check; see the module doc for the contract."""

    #: the claim this check tests (its YAML record is claims/<claim_id>.yaml)
    claim_id: ClassVar[str] = ""
    #: every arm the check can run, in display order
    arms: ClassVar[tuple[str, ...]] = ()

    # --- instances and prompts --------------------------------------------------------
    def unit(self, index: int, seed: int, params: dict[str, Any]) -> list[Any]:
        """The instances of unit `index` (each with a unique string `id`)."""
        raise NotImplementedError

    def requests(self, instance: Any, params: dict[str, Any]) -> list[Request]:
        raise NotImplementedError

    def instance_meta(self, instance: Any) -> dict[str, Any]:
        """Columns of the samples table taken from an instance (small scalars only)."""
        out = {}
        for f in dataclasses.fields(instance):
            v = getattr(instance, f.name)
            if f.name != "id" and isinstance(v, (int, float, str, bool)) and not (isinstance(v, str) and len(v) > 80):
                out[f.name] = v
        return out

    # --- models -------------------------------------------------------------------------
    def models(self, model: str, params: dict[str, Any]) -> dict[str, str]:
        """Which model string answers each request role. Default: the one model under test."""
        return {"subject": model}

    def subject(self, model: str, params: dict[str, Any]) -> str:
        """What this run actually tests, as shown in records and pages.

        Normally the model string; a check that trains its own organism, or
        compares a pair of models, names that instead, so no verdict is ever
        filed under a model that was not called.
        """
        return model

    def collect(self, instances: Sequence[Any], params: dict[str, Any], ctx: "Any") -> list["SampleRow"]:
        """Ask the model(s) for every request of `instances`; default: inspect (see collect.py)."""
        from codegap.experiments.collect import collect_inspect

        return collect_inspect(self, instances, params, ctx)

    # --- grading --------------------------------------------------------------------------
    def grade(self, instance: Any, request: Request, reply: str, round: int,
              history: Sequence[str] = ()) -> Graded:
        """Score one reply exactly. `history` holds the arm's earlier replies for this instance."""
        raise NotImplementedError

    def follow_up(self, instance: Any, request: Request, reply: str, graded: Graded, round: int) -> str | None:
        """The next user message of a multi-round arm after `reply`, or None to stop."""
        return None

    # --- analysis -------------------------------------------------------------------------
    def analyse(self, table: "pd.DataFrame", params: dict[str, Any]) -> list["Observations"]:
        raise NotImplementedError

    def details(self, table: "pd.DataFrame", params: dict[str, Any]) -> dict[str, Any]:
        """Numbers a record keeps beyond its metrics (e.g. truncation rate), JSON-serialisable."""
        return {}

    def describe(self, table: "pd.DataFrame", params: dict[str, Any]) -> list[tuple[str, Any]]:
        """(title, DataFrame or chart) pairs the report notebook shows; descriptive only."""
        return []
