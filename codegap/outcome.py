"""The hand-off from an executed notebook to `codegap run`.

A notebook computes its metrics and calls `emit()`. That applies the claim's
verdict rule (the shared `decide`), shows the verdict in the notebook, and,
when papermill gave an `outcome_path`, writes a small JSON file that
`codegap run` turns into a results record with provenance.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable

from codegap.claims import Experiment, claim_by_id
from codegap.verdicts import Decision, Metric, decide


def emit(
    claim_id: str,
    metrics: Iterable[Metric],
    outcome_path: str | None,
    *,
    extra: dict[str, Any] | None = None,
) -> Decision:
    """Decide the verdict for this run's metrics and write the outcome file."""
    metrics = list(metrics)
    claim = claim_by_id(claim_id)
    if not isinstance(claim.experiment, Experiment):
        raise ValueError(f"claim {claim_id!r} has no experiment; nothing to emit")
    decision = decide(claim.experiment.verdict, metrics)
    if outcome_path:
        payload = {
            "claim": claim_id,
            "metrics": [m.as_dict() for m in metrics],
            "verdict": decision.verdict,
            "verdict_explanation": decision.explain(),
            "extra": extra or {},
        }
        path = Path(outcome_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-outcome-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=2, default=str)
        os.replace(tmp, path)
    return decision


def read_outcome(path: Path) -> dict[str, Any]:
    """Read an outcome file; raises naming the file and the missing field."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"{path}: the notebook wrote no outcome (did it call codegap.outcome.emit?)") from exc
    for key in ("claim", "metrics", "verdict"):
        if key not in data:
            raise ValueError(f"{path}: {key}: missing from the notebook's outcome")
    data["metrics"] = [Metric(**m) for m in data["metrics"]]
    return data
