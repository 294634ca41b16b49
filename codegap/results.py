"""Append-only store of run results, one immutable JSON file per (claim, model, run).

Why one file per run rather than one growing CSV: a record is written to a
temporary file and hard-linked into place, so it appears whole or not at all,
an existing record can never be overwritten, and two runs never conflict in git.
`load_results()` gives the tidy view (one row per run and metric) the book uses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from codegap import atomic

SCHEMA_VERSION = 2


from codegap.paths import results_dir  # noqa: E402  (re-exported: where records live)


def model_slug(model: str) -> str:
    """A file-name-safe form of a model string (`local/qwen2.5-coder-0.5b` -> `local--qwen2.5-coder-0.5b`).

    `/` becomes `--`; any other character but letters, digits, `.`, `_` and `-` becomes `-`.
    When that loses information (`ollama/x:8b` and `ollama/x-8b` would share a name), or the
    name is long or would start with a dot, 8 hex digits of the string's sha256 are appended,
    so two model strings never share a record file, a notebook folder or a run page.
    """
    base = model.replace("/", "--")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-.")
    if safe == base and "--" not in model and len(safe) <= 120:
        return safe
    digest = hashlib.sha256(model.encode("utf-8")).hexdigest()[:8]
    return f"{safe[:100].rstrip('-.')}-{digest}".lstrip("-")


class MetricRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    value: float
    ci_low: float
    ci_high: float
    n: int = Field(ge=0)
    note: str = ""
    method: str = Field("", description="how the interval was made, e.g. 'sequential@97.5%' (see codegap.stats)")
    unit: str = Field("", description="what one of the n is: instance, instance pair, problem, seed")
    bounds: tuple[float, float] | None = Field(None, description="range of one unit's value")


class Provenance(BaseModel):
    """Everything needed to say where a number came from."""

    model_config = ConfigDict(extra="allow")
    model: str
    model_version: str = Field(description="GGUF sha256 or the API-reported model id")
    models: dict[str, str] = Field(default_factory=dict,
                                   description="per request role (e.g. base/tuned): model string -> served version")
    sampling: dict[str, Any] = Field(default_factory=dict)
    seed: int
    codegap_commit: str
    packages: dict[str, str] = Field(default_factory=dict)
    inspect_logs: list[str] = Field(default_factory=list)
    duration_s: float | None = None
    model_calls: int | None = None
    cache_hits: int | None = None
    engine: str | None = Field(default=None, description='which path asked the model: "direct" (API models) or "inspect"')

    @field_validator("inspect_logs")
    @classmethod
    def _logs_inside(cls, v: list[str]) -> list[str]:
        return [_record_path_field(p) for p in v]


class Spent(BaseModel):
    """What a run used of its budget, and why it stopped."""

    model_config = ConfigDict(extra="forbid")
    units: int
    batches: int
    samples: int
    output_tokens: int
    stop: Literal["decided", "unit budget", "token budget", "fixed design"]


class RunRecord(BaseModel):
    """One run of one claim's check: metrics, verdict, and where every number came from.

    Schema 1 records (before samples were stored) have no `samples`,
    `subject`, `rule_version`, `budget` or `spent`; they stay readable as
    history but cannot be re-scored.
    """

    model_config = ConfigDict(extra="forbid")
    schema_version: int = SCHEMA_VERSION
    run_id: str
    claim: str
    model: str = Field(description="the model string the run was asked for")
    subject: str = Field("", description="what was actually tested (a model, a model pair, a trained organism)")
    date: dt.datetime
    parameters: dict[str, Any] = Field(default_factory=dict)
    budget: dict[str, Any] = Field(default_factory=dict)
    spent: Spent | None = None
    metrics: list[MetricRecord]
    verdict: Literal["holds", "does not hold", "inconclusive", "premise not met"]
    verdict_explanation: str = ""
    rule_version: str = ""
    samples: str | None = Field(None, description="stored samples, relative to the folder holding results/ "
                                                  "(the repository): results/samples/...")
    samples_sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$",
                                       description="sha256 of the samples file, lowercase hex")
    notebook: str | None = Field(None, description="executed notebook, relative to the folder holding results/")
    details: dict[str, Any] = Field(default_factory=dict,
                                    description="what the analysis reported beyond its metrics")
    rescored_from: str | None = Field(None, description="run id whose stored samples were re-scored")
    provenance: Provenance

    @field_validator("samples", "notebook")
    @classmethod
    def _paths_inside(cls, v: str | None) -> str | None:
        return None if v is None else _record_path_field(v)

    def resolve(self, relpath: str, results: Path | None = None) -> Path:
        """A path the record names (samples, notebook), made absolute against the folder holding results/."""
        return (results or results_dir()).parent / relpath

    @property
    def tested(self) -> str:
        """The subject when recorded, else (schema 1) the model string."""
        return self.subject or self.model


def _record_path_field(text: str) -> str:
    """A path a record names stays inside the repository (or the configured results folder):
    the book copies and links these files, so /etc/shadow or ../.. must be refused on read."""
    from codegap.claims import repo_relative_path

    return repo_relative_path(text, allowed_root=results_dir())


class ResultsInvalid(Exception):
    pass


def new_run_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.timezone.utc)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + os.urandom(3).hex()


def record_path(record: RunRecord, root: Path | None = None) -> Path:
    root = root or results_dir()
    # named by what was tested (a trained organism, a model pair), not the --model string
    return root / "records" / record.claim / f"{record.run_id}__{model_slug(record.tested)}.json"


def append_record(record: RunRecord, root: Path | None = None) -> Path:
    """Write one record atomically; refuses to replace an existing file."""
    path = record_path(record, root)
    return atomic.write_new(path, record.model_dump_json(indent=2) + "\n")


def samples_path(claim: str, run_id: str, model: str, root: Path | None = None) -> Path:
    """Where a run's samples live: results/samples/<claim>/<run_id>__<model>.jsonl.gz."""
    root = root or results_dir()
    return root / "samples" / claim / f"{run_id}__{model_slug(model)}.jsonl.gz"


def iter_records(root: Path | None = None) -> list[RunRecord]:
    """Every record, oldest first; a malformed file raises naming file and field."""
    root = root or results_dir()
    out = []
    for path in sorted((root / "records").glob("*/*.json")):
        try:
            rec = RunRecord.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except json.JSONDecodeError as exc:
            raise ResultsInvalid(f"{path}: (file): not valid JSON: {exc.msg} at line {exc.lineno} "
                                 "(truncated? restore it from git)") from exc
        except UnicodeDecodeError as exc:
            raise ResultsInvalid(f"{path}: (file): not UTF-8 text (byte offset {exc.start})") from exc
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise ResultsInvalid(f"{path}: {field}: {first['msg'].removeprefix('Value error, ')}") from exc
        out.append(rec)
    return sorted(out, key=lambda r: (r.date, r.run_id))


def load_results(root: Path | None = None) -> pd.DataFrame:
    """Tidy table: one row per (run, metric) with verdict and key provenance."""
    rows = []
    for rec in iter_records(root):
        base = {
            "run_id": rec.run_id,
            "claim": rec.claim,
            "model": rec.model,
            "date": rec.date,
            "verdict": rec.verdict,
            "model_version": rec.provenance.model_version,
            "seed": rec.provenance.seed,
            "codegap_commit": rec.provenance.codegap_commit,
            "notebook": rec.notebook,
        }
        for m in rec.metrics:
            rows.append({**base, "metric": m.name, "value": m.value, "ci_low": m.ci_low,
                         "ci_high": m.ci_high, "n": m.n})
    cols = ["run_id", "claim", "model", "date", "verdict", "model_version", "seed",
            "codegap_commit", "notebook", "metric", "value", "ci_low", "ci_high", "n"]
    return pd.DataFrame(rows, columns=cols)


def latest_per_model(records: list[RunRecord], claim: str) -> dict[str, RunRecord]:
    """The newest record of each tested subject for one claim (keyed by `RunRecord.tested`)."""
    latest: dict[str, RunRecord] = {}
    for rec in records:
        if rec.claim == claim:
            latest[rec.tested] = rec  # records are sorted oldest first
    return latest


def verdict_flips(records: list[RunRecord], claim: str, subject: str) -> bool:
    """True when records of one subject, decided under the same rule version, disagree.

    A verdict that changed because the rule changed is not a flip (the methods
    page lists rule changes); schema 1 records carry no rule version and are
    never compared with each other.
    """
    by_rule: dict[str, set[str]] = {}
    for r in records:
        if r.claim == claim and r.tested == subject:
            by_rule.setdefault(r.rule_version or f"legacy:{r.run_id}", set()).add(r.verdict)
    return any(len(v) > 1 for v in by_rule.values())
