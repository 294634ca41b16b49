"""Samples are data: every reply a run got, stored beside its record.

Why: a verdict is only evidence if anyone can see what the model answered and
re-score it. Each run writes one gzip-compressed JSON-lines file,
`results/samples/<claim>/<run_id>__<model>.jsonl.gz`, committed with its
record. The first line is a header (what was run, with which seed and
parameters); every other line is one model reply (one round of one arm of one
instance). Prompts are not stored, only their digest: the generator rebuilds
them from the seed, and `codegap rescore` checks the digests match.

`codegap rescore` re-grades the stored replies and recomputes metrics and
verdicts with zero model calls, as EvalPlus re-scores saved samples.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from codegap import atomic

SCHEMA = 1


@dataclass
class SampleRow:
    """One model reply and its grade.

    `unit` is the index of the independent unit of evidence (what a confidence
    sequence counts) and `instance` the generated item inside it; `arm` the
    condition (e.g. direct / cot / code); `round` the turn within a multi-round
    arm (0 for single-turn); `epoch` the draw when an item is sampled several
    times (pass@k). `role` names which model answered when a check compares two
    (e.g. base / tuned); `model` is the id the server reported.
    """

    unit: int
    instance: str
    arm: str
    round: int = 0
    epoch: int = 0
    prompt_sha256: str = ""
    reply: str = ""
    parsed: Any = None
    correct: bool = False
    unparseable: bool = False
    truncated: bool = False
    tokens_in: int = 0
    tokens_out: int = 0
    seconds: float = 0.0
    cached: bool = False
    role: str = "subject"
    model: str = ""
    detail: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        # Shallow on purpose: `dataclasses.asdict` deep-copies every value, which took
        # three quarters of the time to re-analyse a 200,000-row organism run.
        d = {name: getattr(self, name) for name in self.__dataclass_fields__}
        d["meta"] = dict(self.meta)
        return d


@dataclass
class SamplesHeader:
    """What produced a samples file (enough to regenerate every prompt)."""

    claim: str
    run_id: str
    model: str
    subject: str
    seed: int
    parameters: dict[str, Any]
    schema: int = SCHEMA


def prompt_digest(messages: Iterable[tuple[str, str]] | str) -> str:
    """sha256 of a prompt: a plain string, or (role, text) pairs of a conversation."""
    if isinstance(messages, str):
        payload = messages
    else:
        payload = json.dumps([[r, t] for r, t in messages], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def encode(header: SamplesHeader, rows: Iterable[SampleRow]) -> bytes:
    """The gzip JSON-lines bytes of a samples file (mtime 0: same rows, same bytes)."""
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz:
        gz.write((json.dumps({"header": asdict(header)}, default=_json_default) + "\n").encode())
        for row in rows:
            gz.write((json.dumps(row.as_dict(), ensure_ascii=False, default=_json_default) + "\n").encode())
    return buf.getvalue()


def write(path: Path, header: SamplesHeader, rows: Iterable[SampleRow]) -> str:
    """Write a new samples file atomically (never overwrites); returns its sha256."""
    data = encode(header, rows)
    atomic.write_new(path, data)
    return hashlib.sha256(data).hexdigest()


class SamplesInvalid(ValueError):
    """A samples file is missing, truncated or malformed; the message names file and line."""


def read(path: Path) -> tuple[SamplesHeader, list[SampleRow]]:
    """Read a samples file; raises SamplesInvalid naming the file and line."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            lines = list(_lines(fh, path))
    except FileNotFoundError as exc:
        raise SamplesInvalid(f"{path}: samples file not found") from exc
    except (OSError, EOFError) as exc:
        raise SamplesInvalid(f"{path}: not a complete gzip file ({exc})") from exc
    if not lines or "header" not in lines[0][1]:
        raise SamplesInvalid(f"{path}: line 1: header missing")
    try:
        header = SamplesHeader(**lines[0][1]["header"])
    except TypeError as exc:
        raise SamplesInvalid(f"{path}: line 1: header: {exc}") from exc
    rows = []
    for lineno, data in lines[1:]:
        try:
            rows.append(SampleRow(**data))
        except TypeError as exc:
            raise SamplesInvalid(f"{path}: line {lineno}: {exc}") from exc
    return header, rows


def _lines(fh: Any, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for lineno, line in enumerate(fh, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SamplesInvalid(f"{path}: line {lineno}: not valid JSON ({exc.msg})") from exc
        if not isinstance(data, dict):
            raise SamplesInvalid(f"{path}: line {lineno}: expected a JSON object")
        yield lineno, data


def frame(rows: Iterable[SampleRow]) -> "Any":
    """A tidy table of rows: the row fields plus each `meta` key as its own column."""
    import pandas as pd

    records = []
    for row in rows:
        d = row.as_dict()
        meta = d.pop("meta") or {}
        for k, v in meta.items():
            d.setdefault(k, v)
        records.append(d)
    cols = list(SampleRow.__dataclass_fields__)
    cols.remove("meta")
    df = pd.DataFrame(records)
    if df.empty:
        df = pd.DataFrame(columns=cols)
    return df
