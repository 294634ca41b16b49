"""The scheduled rebuild's claims x models matrix (config/ci-matrix.yaml).

Used by the workflow through Makefile targets:

* `python -m codegap.ci.matrix json` -> `cells=<JSON list of {claim, model}>` for $GITHUB_OUTPUT
* `python -m codegap.ci.matrix check CLAIM MODEL` -> exit 1 naming the missing secret, if any
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from codegap import paths
from codegap.claims import load_claims

REPO = paths.REPO
DEFAULT_PATH = REPO / "config" / "ci-matrix.yaml"


class MatrixError(Exception):
    """The matrix file is invalid or names unknown claims; message names file and field."""


class ModelEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str = Field(min_length=1)
    secrets: list[str] = Field(default_factory=list)
    enabled: bool = True


class Cell(BaseModel):
    model_config = ConfigDict(extra="forbid")
    claim: str
    model: str


class MatrixFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    claims: Union[Literal["all"], list[str]]
    models: list[ModelEntry] = Field(min_length=1)
    exclude: list[Cell] = Field(default_factory=list)


def read_matrix(path: Path = DEFAULT_PATH) -> MatrixFile:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return MatrixFile.model_validate(data)
    except yaml.YAMLError as exc:
        raise MatrixError(f"{path}: not valid YAML: {exc}") from exc
    except ValidationError as err:
        e = err.errors()[0]
        raise MatrixError(f"{path}: {'.'.join(map(str, e['loc']))}: {e['msg']}") from err


def cells(path: Path = DEFAULT_PATH, claims_dir: Path | None = None) -> list[Cell]:
    """Every (claim, enabled model) cell to run, in claim then model order."""
    m = read_matrix(path)
    claims = load_claims(claims_dir or REPO / "claims")
    with_exp = [c.id for c in claims if c.has_experiment]
    if m.claims == "all":
        ids = with_exp
    else:
        known = {c.id for c in claims}
        for i, cid in enumerate(m.claims):
            if cid not in known:
                raise MatrixError(f"{path}: claims[{i}]: no claim {cid!r} in claims/")
            if cid not in with_exp:
                raise MatrixError(f"{path}: claims[{i}]: claim {cid!r} has no experiment to run")
        ids = list(m.claims)
    skip = {(c.claim, c.model) for c in m.exclude}
    return [Cell(claim=cid, model=e.model) for cid in ids for e in m.models
            if e.enabled and (cid, e.model) not in skip]


def missing_secrets(model: str, path: Path = DEFAULT_PATH) -> list[str]:
    """Secrets the model needs that are empty or unset in the environment."""
    for e in read_matrix(path).models:
        if e.model == model:
            return [s for s in e.secrets if not os.environ.get(s)]
    raise MatrixError(f"{path}: model {model!r} is not listed under models")


def main(argv: list[str]) -> int:
    if argv[:1] == ["json"]:
        print("cells=" + json.dumps([c.model_dump() for c in cells()], separators=(",", ":")))
        return 0
    if argv[:1] == ["check"] and len(argv) == 3:
        claim, model = argv[1], argv[2]
        missing = missing_secrets(model)
        if missing:
            print(f"FAILED claim {claim} on model {model}: secret(s) {', '.join(missing)} not set "
                  "(add them under Settings > Secrets and variables > Actions)", file=sys.stderr)
            return 1
        return 0
    print("usage: python -m codegap.ci.matrix json | check CLAIM MODEL", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
