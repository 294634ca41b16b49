"""`codegap run`: execute claims' notebooks on a model and record results with provenance.

For each selected claim with an experiment the notebook is executed with
papermill (parameters: model, n, seed, outcome_path, log_dir and the claim's own
`experiment.parameters`; never API keys, which reach inspect through the
environment only). The executed notebook lands in
`results/notebooks/<claim>/<model-slug>/<run_id>.ipynb`, the inspect logs in
`results/logs/<claim>/<model-slug>/<run_id>/`. The run then reads the notebook's
outcome, re-applies the claim's verdict rule (`codegap.verdicts.decide`), and
appends one immutable `RunRecord` with full provenance.

Progress (per claim, and per sample via an inspect hook writing to a side
file) is shown in the terminal; the notebooks themselves stay clean.
A failing notebook is reported by claim and model, the other claims still run,
and the command exits non-zero at the end.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import re
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import typer
import yaml

from codegap.claims import Claim, ClaimsInvalid, Experiment, load_claims
from codegap.outcome import read_outcome
from codegap.results import (
    MetricRecord,
    Provenance,
    RunRecord,
    append_record,
    iter_records,
    latest_per_model,
    model_slug,
    new_run_id,
    results_dir,
)
from codegap.verdicts import decide

REPO = Path(__file__).resolve().parent.parent

#: Package versions recorded with every run.
TRACKED_PACKAGES = ("inspect-ai", "llama-cpp-python", "papermill", "openai", "numpy",
                    "pandas", "scipy", "ipykernel", "nbclient")

#: Parameter names that look like credentials are refused: keys come from the environment.
SECRET_NAME = re.compile(
    r"(api[_-]?key|secret|password|passwd|credential|(^|_)(access_|auth_|bearer_|api_)?token$)", re.I)

#: Parameters the runner itself supplies (the notebook contract in ARCHITECTURE.md).
RUN_PARAMETERS = ("model", "n", "seed", "outcome_path", "log_dir")


class RunError(RuntimeError):
    """A claim could not be run; the message names claim and model."""


def claims_dir() -> Path:
    """$CODEGAP_CLAIMS_DIR or the repository's claims/."""
    env = os.environ.get("CODEGAP_CLAIMS_DIR")
    return Path(env) if env else REPO / "claims"


def parse_params(items: list[str] | None) -> dict[str, Any]:
    """`key=value` strings -> dict; values are read as YAML (numbers, lists, strings)."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key):
            raise typer.BadParameter(f"--param {item!r}: expected key=value with a Python name as key")
        if SECRET_NAME.search(key):
            raise typer.BadParameter(
                f"--param {key}: credentials are never notebook parameters; "
                "set them in the environment (e.g. OPENAI_API_KEY)"
            )
        if key in ("outcome_path", "log_dir"):
            raise typer.BadParameter(f"--param {key}: set by codegap run itself")
        try:
            out[key] = yaml.safe_load(raw)
        except yaml.YAMLError:
            out[key] = raw
    return out


def notebook_parameters(claim: Claim, *, model: str, seed: int, n: int | None, limit: int | None,
                        overrides: dict[str, Any], outcome_path: Path, log_dir: Path) -> dict[str, Any]:
    """The papermill parameters of one run (see module doc); checked for credentials."""
    assert isinstance(claim.experiment, Experiment)
    params: dict[str, Any] = dict(claim.experiment.parameters)
    params.update(overrides)
    if n is not None:
        params["n"] = n
    if limit is not None and "n" in params:
        params["n"] = min(int(params["n"]), limit)
    elif limit is not None:
        params["n"] = limit
    params.update(model=model, seed=seed, outcome_path=str(outcome_path), log_dir=str(log_dir))
    for key in params:
        if SECRET_NAME.search(key):
            raise RunError(f"claim {claim.id}: parameter {key!r} looks like a credential; "
                           "credentials come from the environment only")
    return params


def resolve_notebook(claim: Claim, base: Path) -> Path:
    """The claim's notebook: relative to the claims folder's parent, else to the repo."""
    assert isinstance(claim.experiment, Experiment)
    rel = Path(claim.experiment.notebook)
    for cand in ([rel] if rel.is_absolute() else [base.parent / rel, REPO / rel]):
        if cand.is_file():
            return cand
    raise RunError(f"claim {claim.id}: experiment.notebook {str(rel)!r} not found "
                   f"(looked in {base.parent} and {REPO})")


def package_versions() -> dict[str, str]:
    out = {}
    for name in TRACKED_PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def git_commit() -> str:
    """HEAD of the codegap checkout, `+dirty` when tracked files changed; `unknown` outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, timeout=10)
        if head.returncode != 0:
            return "uncommitted"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def code_digest() -> str:
    """sha256 over codegap's Python sources (book generation excluded): task code,
    scorers and the model layer all change results, so they are part of a run's identity."""
    h = hashlib.sha256()
    pkg = REPO / "codegap"
    for path in sorted(pkg.rglob("*.py")):
        if "book" in path.relative_to(pkg).parts or "__pycache__" in path.parts:
            continue
        h.update(str(path.relative_to(pkg)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def run_fingerprint(claim: Claim, notebook: Path, params: dict[str, Any], model: str) -> str:
    """Everything that decides a run's result, hashed: notebook, claim experiment,
    parameters, model (and GGUF hash), codegap code, package versions."""
    from codegap.models.engine import model_version

    parts = {
        "notebook": hashlib.sha256(notebook.read_bytes()).hexdigest(),
        "experiment": claim.experiment.model_dump(mode="json"),
        "parameters": {k: v for k, v in params.items() if k not in ("outcome_path", "log_dir")},
        "model": model,
        "model_version": model_version(model) if model.startswith("local/") else model,
        "code": code_digest(),
        "packages": package_versions(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def up_to_date(claim_id: str, model: str, fingerprint: str) -> RunRecord | None:
    """The latest record of (claim, model) if it was made with this exact fingerprint."""
    latest = latest_per_model(iter_records(), claim_id).get(model)
    if latest is not None and getattr(latest.provenance, "fingerprint", None) == fingerprint:
        return latest
    return None


@dataclass
class LogSummary:
    paths: list[Path] = field(default_factory=list)
    calls: int = 0
    cache_hits: int = 0
    model_version: str | None = None
    sampling: dict[str, Any] = field(default_factory=dict)


def summarize_logs(log_dir: Path, model: str) -> LogSummary:
    """Calls, cache hits, served model version and sampling settings from inspect logs."""
    from inspect_ai.log import read_eval_log

    from codegap.models.engine import log_call_stats, model_version

    out = LogSummary(paths=sorted(log_dir.glob("*.eval")))
    for p in out.paths:
        log = read_eval_log(str(p))
        stats = log_call_stats(log)
        out.calls += stats.calls
        out.cache_hits += stats.cache_hits
        if out.model_version is None and log.samples:
            out.model_version = model_version(model, log)
        if not out.sampling:
            cfg = log.eval.model_generate_config.model_dump(exclude_none=True)
            cfg.pop("cache", None)
            cfg.pop("max_connections", None)
            if log.eval.config.epochs:
                cfg["epochs"] = log.eval.config.epochs
            out.sampling = json.loads(json.dumps(cfg, default=str))
    if out.model_version is None:
        out.model_version = model_version(model)
    if model.startswith("local/"):
        # what the embedded provider used where the run left a setting unset
        from codegap.models import local_provider as lp

        for key, value in (("temperature", lp.DEFAULT_TEMPERATURE), ("top_p", lp.DEFAULT_TOP_P),
                           ("top_k", lp.DEFAULT_TOP_K), ("max_tokens", lp.DEFAULT_MAX_TOKENS)):
            out.sampling.setdefault(key, value)
        out.sampling["seed_derivation"] = "sha256('codegap:<seed>:<epoch>')[:4], per epoch"
    return out


class _ProgressWatcher(threading.Thread):
    """Follows the side file the notebook's inspect hook appends to (see engine)."""

    def __init__(self, path: Path, on_update) -> None:
        super().__init__(daemon=True)
        self.path, self.on_update = path, on_update
        self.stop = threading.Event()
        self.done = 0
        self.total = 0

    def run(self) -> None:
        pos = 0
        while not self.stop.wait(0.3):
            pos = self.poll(pos)
        self.poll(pos)

    def poll(self, pos: int) -> int:
        try:
            with open(self.path, encoding="utf-8") as fh:
                fh.seek(pos)
                for line in fh:
                    try:
                        ev = json.loads(line)
                    except json.JSONDecodeError:
                        continue
                    if ev.get("event") == "task_start":
                        self.total += int(ev.get("samples", 0))
                    elif ev.get("event") == "sample_end":
                        self.done += 1
                pos = fh.tell()
        except FileNotFoundError:
            return pos
        self.on_update(self.done, self.total)
        return pos


def run_claim(claim: Claim, *, model: str, seed: int, n: int | None, limit: int | None,
              overrides: dict[str, Any], base: Path, progress=None,
              if_changed: bool = False) -> Path | None:
    """Run one claim's notebook and append its record; returns the record path.

    With `if_changed`, returns None without running when the latest record of
    this claim and model has the same run fingerprint (nothing that decides the
    result changed), so an unchanged `make book` neither calls models nor adds records.
    """
    import papermill as pm

    root = results_dir()
    run_id = new_run_id()
    slug = model_slug(model)
    nb_out = root / "notebooks" / claim.id / slug / f"{run_id}.ipynb"
    log_dir = root / "logs" / claim.id / slug / run_id
    outcome_path = log_dir / "outcome.json"
    notebook = resolve_notebook(claim, base)
    params = notebook_parameters(claim, model=model, seed=seed, n=n, limit=limit,
                                 overrides=overrides, outcome_path=outcome_path, log_dir=log_dir)
    fingerprint = run_fingerprint(claim, notebook, params, model)
    if if_changed and up_to_date(claim.id, model, fingerprint):
        return None
    nb_out.parent.mkdir(parents=True, exist_ok=True)  # papermill does not create folders
    log_dir.mkdir(parents=True, exist_ok=True)

    fd, progress_file = tempfile.mkstemp(prefix="codegap-progress-", suffix=".jsonl")
    os.close(fd)
    task_id = progress.add_task(f"{claim.id} on {model}", total=None) if progress else None
    watcher = _ProgressWatcher(
        Path(progress_file),
        lambda done, total: progress.update(task_id, completed=done, total=total or None)
        if progress else None,
    )
    old = os.environ.get("CODEGAP_PROGRESS_FILE")
    os.environ["CODEGAP_PROGRESS_FILE"] = progress_file  # inherited by the kernel
    watcher.start()
    t0 = time.perf_counter()
    try:
        pm.execute_notebook(str(notebook), str(nb_out), parameters=params, progress_bar=False,
                            log_output=False, cwd=str(REPO), kernel_name="python3")
    except pm.PapermillExecutionError as exc:
        raise RunError(f"claim {claim.id} on model {model}: notebook failed in cell "
                       f"{exc.exec_count}: {exc.ename}: {exc.evalue} (see {_rel(nb_out)})") from exc
    finally:
        watcher.stop.set()
        watcher.join(timeout=5)
        if old is None:
            os.environ.pop("CODEGAP_PROGRESS_FILE", None)
        else:
            os.environ["CODEGAP_PROGRESS_FILE"] = old
        Path(progress_file).unlink(missing_ok=True)
    duration = time.perf_counter() - t0

    outcome = read_outcome(outcome_path)
    if outcome["claim"] != claim.id:
        raise RunError(f"claim {claim.id}: the notebook emitted an outcome for {outcome['claim']!r}")
    assert isinstance(claim.experiment, Experiment)
    decision = decide(claim.experiment.verdict, outcome["metrics"])
    if decision.verdict != outcome["verdict"]:
        raise RunError(f"claim {claim.id} on model {model}: notebook reported verdict "
                       f"{outcome['verdict']!r} but the claim's rule gives {decision.verdict!r}")
    logs = summarize_logs(log_dir, model)
    prov = Provenance(
        model=model,
        model_version=logs.model_version or "unknown",
        sampling=logs.sampling,
        seed=seed,
        codegap_commit=git_commit(),
        packages=package_versions(),
        inspect_logs=[_rel(p) for p in logs.paths],
        duration_s=round(duration, 3),
        model_calls=logs.calls,
        cache_hits=logs.cache_hits,
        fingerprint=fingerprint,
    )
    record = RunRecord(
        run_id=run_id,
        claim=claim.id,
        model=model,
        date=dt.datetime.now(dt.timezone.utc),
        parameters={k: v for k, v in params.items() if k not in ("outcome_path", "log_dir")},
        metrics=[MetricRecord(**m.as_dict()) for m in outcome["metrics"]],
        verdict=decision.verdict,
        verdict_explanation=decision.explain(),
        notebook=_rel(nb_out),
        details=outcome.get("extra") or {},
        provenance=prov,
    )
    return append_record(record)


def select_claims(ids: list[str] | None, directory: Path) -> list[Claim]:
    claims = load_claims(directory)
    runnable = [c for c in claims if c.has_experiment]
    if not ids:
        return runnable
    by_id = {c.id: c for c in claims}
    out = []
    for cid in ids:
        if cid not in by_id:
            raise typer.BadParameter(f"no claim {cid!r}; known: {', '.join(sorted(by_id))}",
                                     param_hint="--claim")
        if not by_id[cid].has_experiment:
            raise typer.BadParameter(f"claim {cid!r} has no experiment (literature only)",
                                     param_hint="--claim")
        out.append(by_id[cid])
    return out


def register(app: typer.Typer) -> None:
    """Attach `codegap run` to the CLI."""

    @app.command("run")
    def run(
        model: str = typer.Option("local/qwen2.5-coder-0.5b", "--model", "-m",
                                  help="model string, e.g. local/qwen2.5-coder-0.5b, openai/gpt-4o, "
                                       "openai-api/<name>/<model>"),
        claim: Optional[list[str]] = typer.Option(None, "--claim", "-c",
                                                  help="claim id (repeatable); default: all with an experiment"),
        n: Optional[int] = typer.Option(None, "--n", min=1, help="instances per claim (default: the claim's)"),
        seed: int = typer.Option(0, "--seed", help="run seed (sampling seeds are derived per epoch)"),
        limit: Optional[int] = typer.Option(None, "--limit", min=1,
                                            help="cap n at this many instances (quick smoke runs)"),
        param: Optional[list[str]] = typer.Option(None, "--param", "-p",
                                                  help="notebook parameter key=value (repeatable)"),
        if_changed: bool = typer.Option(False, "--if-changed",
                                        help="skip claims whose latest record for this model was made "
                                             "from identical inputs (notebook, parameters, code, weights)"),
    ) -> None:
        """Run claims' notebooks on a model; append one result record per claim."""
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        from codegap.models.engine import local_weights
        from codegap.models.spec import ModelStringError, parse_model
        from codegap.models.weights import WeightsError

        console = Console(stderr=True)
        try:
            spec = parse_model(model)
            if spec.is_local:
                local_weights(spec)  # fail now, with the package to install, not inside a notebook
        except (ModelStringError, WeightsError) as exc:
            typer.echo(f"error: {exc}", err=True)  # plain: keeps the forms table unwrapped
            raise typer.Exit(2)
        overrides = parse_params(param)
        base = claims_dir()
        try:
            selected = select_claims(claim, base)
        except ClaimsInvalid as exc:
            console.print(f"[red]error:[/red] the claim records in {base} are invalid:\n{exc}",
                          highlight=False)
            raise typer.Exit(2)
        if not selected:
            console.print(f"no claims with an experiment in {base}")
            raise typer.Exit(1)
        failures: list[str] = []
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                      MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                      transient=False) as progress:
            overall = progress.add_task(f"{len(selected)} claim(s) on {model}", total=len(selected))
            for c in selected:
                try:
                    path = run_claim(c, model=model, seed=seed, n=n, limit=limit,
                                     overrides=overrides, base=base, progress=progress,
                                     if_changed=if_changed)
                    if path is None:
                        progress.console.print(f"[green]=[/green] {c.id}: up to date on {model} "
                                               "(no model calls)", highlight=False)
                        progress.advance(overall)
                        continue
                    rec = json.loads(path.read_text())
                    progress.console.print(
                        f"[green]✓[/green] {c.id}: {rec['verdict']}  "
                        f"(calls {rec['provenance']['model_calls']}, cache hits "
                        f"{rec['provenance']['cache_hits']}, {rec['provenance']['duration_s']:.1f} s) "
                        f"-> {_rel(path)}", highlight=False)
                except Exception as exc:  # report, keep going, fail at the end
                    failures.append(c.id)
                    progress.console.print(f"[red]✗ {c.id} on {model} failed:[/red] {exc}", highlight=False)
                progress.advance(overall)
        if failures:
            console.print(f"[red]{len(failures)} of {len(selected)} claim(s) failed on {model}: "
                          f"{', '.join(failures)}[/red]")
            raise typer.Exit(1)
