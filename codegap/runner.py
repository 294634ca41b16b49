"""`codegap run`: test claims on a model, batch by batch, until the evidence decides.

For each selected claim the runner imports its check
(`codegap.experiments.<claim_id>`), then repeats: generate the next batch of
units from the seed, ask the model (`LiveCheck.collect`), grade, re-analyse
everything so far (`codegap.evaluation.evaluate`: anytime-valid intervals) and
apply the claim's rule. It stops as soon as the verdict is decided, or when the
claim's budget (units, output tokens) is spent ("inconclusive at budget").

Then, in this order, each written atomically and never overwritten:
1. the samples (`results/samples/<claim>/<run>__<model>.jsonl.gz`): every reply and its grade;
2. the report: the claim's notebook executed by papermill on those samples
   (no model calls), `results/notebooks/<claim>/<model>/<run>.ipynb`;
3. the record (`results/records/<claim>/<run>__<model>.json`): metrics, verdict,
   rule version, budget spent, provenance.

Interrupted (Ctrl-C) or failed runs leave nothing half-written: the partial
notebook is removed, one line says what happened, and the responses already
received stay in inspect's cache, so a rerun catches up without model calls.
API keys reach inspect through the environment only; they are never parameters.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import typer
import yaml

from codegap import experiments, fingerprint
from codegap.claims import Claim, ClaimsInvalid, load_claims
from codegap.evaluation import Evaluation, evaluate, experiment_of
from codegap.experiments.collect import RunContext
from codegap.paths import REPO, claims_dir, relative
from codegap.results import (
    MetricRecord,
    Provenance,
    RunRecord,
    Spent,
    append_record,
    iter_records,
    model_slug,
    new_run_id,
    results_dir,
    samples_path,
)
from codegap.samples import SampleRow, SamplesHeader
from codegap.samples import write as write_samples
from codegap.verdicts import MEANING, rule_version

#: Parameter names that look like credentials are refused: keys come from the environment.
SECRET_NAME = re.compile(
    r"(api[_-]?key|secret|password|passwd|credential|(^|_)(access_|auth_|bearer_|api_)?token$)", re.I)

#: Parameters the runner itself supplies to the report notebook.
RUN_PARAMETERS = ("model", "seed", "samples_path")


class RunError(RuntimeError):
    """A claim could not be run; the message names claim and model and says what to do."""


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
                f"--param {key}: credentials are never parameters; "
                "set them in the environment (e.g. OPENAI_API_KEY)")
        if key in RUN_PARAMETERS:
            raise typer.BadParameter(f"--param {key}: set by codegap run itself")
        try:
            out[key] = yaml.safe_load(raw)
        except yaml.YAMLError:
            out[key] = raw
    return out


def effective_parameters(claim: Claim, overrides: dict[str, Any]) -> dict[str, Any]:
    """The claim's parameter defaults with overrides; unknown names are refused."""
    exp = experiment_of(claim)
    unknown = sorted(set(overrides) - set(exp.parameters))
    if unknown:
        raise RunError(f"claim {claim.id}: unknown parameter(s) {', '.join(unknown)}; "
                       f"known: {', '.join(sorted(exp.parameters)) or 'none'}")
    params = dict(exp.parameters)
    params.update(overrides)
    for key in params:
        if SECRET_NAME.search(key):
            raise RunError(f"claims/{claim.id}.yaml: experiment.parameters.{key}: looks like a credential; "
                           "credentials come from the environment only")
    return params


def git_commit() -> str:
    """HEAD of the codegap checkout, `+dirty` when tracked files changed; `unknown` outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return "uncommitted"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def model_versions(models: dict[str, str]) -> dict[str, str]:
    """Exact version per role known before the run: GGUF sha256 for local models, else the name."""
    from codegap.models.engine import model_version

    return {role: model_version(m) for role, m in models.items()}


def _sampling(check: Any, params: dict[str, Any], seed: int) -> dict[str, Any]:
    """Per arm, the sampling settings actually sent (from the check's own requests)."""
    out: dict[str, Any] = {}
    for inst in check.unit(0, seed, params):
        for req in check.requests(inst, params):
            cfg = out.setdefault(req.arm, {"temperature": req.temperature, "max_tokens": set(),
                                           "draws": req.epochs, "rounds": req.rounds, "role": req.role})
            cfg["max_tokens"].add(req.max_tokens)
            if req.response_schema is not None:
                cfg["response_schema"] = True
    for cfg in out.values():
        mt = sorted(cfg["max_tokens"])
        cfg["max_tokens"] = mt[0] if len(mt) == 1 else mt
    return out


@dataclass
class Progress:
    """What the terminal shows while a claim runs (rich, to stderr)."""

    on_batch: Callable[[int, int, Evaluation], None] | None = None
    on_sample: Callable[[int, int], None] | None = None


class LineProgress:
    """Progress as plain lines, for a run whose stderr is a file or a CI log.

    Rich draws its bars only on a terminal; redirected, it prints nothing until the
    claim ends, and a two-hour local run would look hung. So, off a terminal: one
    line per finished batch, and within a batch a line at most once a minute.
    """

    def __init__(self, claim_id: str, console: Any, every_s: float = 60.0) -> None:
        self.claim_id, self.console, self.every_s = claim_id, console, every_s
        self.start = self.last = time.monotonic()

    def _say(self, text: str) -> None:
        self.last = time.monotonic()
        self.console.print(f"{time.strftime('%H:%M:%S')} {self.claim_id}: {text} "
                           f"({self.last - self.start:.0f} s)", markup=False, highlight=False)

    def sample(self, done: int, total: int) -> None:
        if time.monotonic() - self.last >= self.every_s:
            self._say(f"samples in this batch {done}/{total or '?'}")

    def batch(self, done: int, limit: int, verdict: str) -> None:
        self._say(f"units {done}/{limit}, {verdict} so far")


@dataclass
class SequentialResult:
    rows: list[SampleRow]
    evaluation: Evaluation
    spent: Spent
    ctx: RunContext


def sequential(check: Any, claim: Claim, *, model: str, seed: int, params: dict[str, Any],
               max_units: int | None, log_dir: Path, progress: Progress | None = None,
               max_connections: int | None = None) -> SequentialResult:
    """Batches until the verdict is decided or the budget is spent (see module doc)."""
    exp = experiment_of(claim)
    budget = exp.budget
    limit = budget.max_units if max_units is None else min(max_units, budget.max_units)
    ctx = RunContext(model=model, seed=seed, log_dir=log_dir, max_connections=max_connections,
                     on_progress=progress.on_sample if progress else None)
    rows: list[SampleRow] = []
    units = batches = 0
    stop = "unit budget"
    ev: Evaluation | None = None
    while units < limit:
        k = min(budget.batch, limit - units)
        instances = [inst for i in range(units, units + k) for inst in check.unit(i, seed, params)]
        rows.extend(check.collect(instances, params, ctx))
        units += k
        batches += 1
        tokens = sum(r.tokens_out for r in rows)
        over_tokens = budget.max_output_tokens is not None and tokens >= budget.max_output_tokens
        ev = evaluate(check, claim, rows, params, at_budget=units >= limit or over_tokens)
        if progress and progress.on_batch:
            progress.on_batch(units, limit, ev)
        if ev.decision.decided:
            stop = "decided"
            break
        if over_tokens:
            stop = "token budget"
            break
    assert ev is not None, "a budget has at least one unit"
    spent = Spent(units=units, batches=batches, samples=len(rows),
                  output_tokens=sum(r.tokens_out for r in rows), stop=stop)
    return SequentialResult(rows, ev, spent, ctx)


def up_to_date(claim_id: str, subject: str, fp: str) -> RunRecord | None:
    """The latest record of (claim, subject) if it was made with this exact fingerprint."""
    latest = None
    for rec in iter_records():
        if rec.claim == claim_id and rec.tested == subject:
            latest = rec
    if latest is not None and getattr(latest.provenance, "fingerprint", None) == fp:
        return latest
    return None


def execute_report(claim: Claim, *, model: str, seed: int, params: dict[str, Any], samples_rel: str,
                   out: Path) -> None:
    """Run the claim's report notebook on stored samples (no model calls).

    papermill runs in a child process: in-process it leaves asyncio patched by
    the notebook client, and the next claim's evaluation in the same `codegap
    run` then hangs. The child's chatter (kernel warnings) is shown only when
    the notebook fails.
    """
    import sys
    import tempfile

    exp = experiment_of(claim)
    nb = (REPO / exp.notebook).resolve()
    if not nb.is_relative_to((REPO / "notebooks").resolve()) or not nb.is_file():
        raise RunError(f"claims/{claim.id}.yaml: experiment.notebook: {exp.notebook!r} is not a notebook "
                       "inside notebooks/")
    out.parent.mkdir(parents=True, exist_ok=True)  # papermill does not create folders
    parameters = {**params, "model": model, "seed": seed, "samples_path": samples_rel}
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as fh:
        yaml.safe_dump(parameters, fh)
        pfile = fh.name
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "papermill", str(nb), str(out), "-f", pfile, "--cwd", str(REPO),
             "--no-progress-bar", "--no-log-output", "-k", "python3"],
            capture_output=True, text=True)
    finally:
        os.unlink(pfile)
    if proc.returncode != 0:
        err = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
        tail = next((ln for ln in reversed(err) if "Error" in ln or "Exception" in ln), err[-1] if err else "")
        raise RunError(f"claim {claim.id} on {model}: report notebook failed: {tail.strip()} "
                       f"(see {relative(out)})")


def run_identity(claim: Claim, model: str, seed: int, overrides: dict[str, Any]) -> tuple[str, str]:
    """(subject, fingerprint) of a run that would be made now (see codegap.fingerprint)."""
    check = experiments.get(claim.id)
    exp = experiment_of(claim)
    params = effective_parameters(claim, overrides)
    versions = model_versions(check.models(model, params))
    subject = check.subject(model, params)
    fp = fingerprint.fingerprint(
        check_module=f"codegap.experiments.{experiments.module_name(claim.id)}",
        experiment=exp.model_dump(mode="json", exclude={"verdict": {"log"}}), parameters=params,
        model=subject, model_version=str(sorted(versions.items())), seed=seed)
    return subject, fp


def staleness(claim: Claim, model: str, seed: int, overrides: dict[str, Any]) -> str:
    """"up to date", "no record yet", or what changed since the latest record of this subject."""
    subject, fp = run_identity(claim, model, seed, overrides)
    latest = None
    for rec in iter_records():
        if rec.claim == claim.id and rec.tested == subject:
            latest = rec
    if latest is None:
        return "no record yet"
    if getattr(latest.provenance, "fingerprint", None) == fp:
        return "up to date"
    return f"inputs changed since run {latest.run_id} (code, parameters, rule, weights or packages)"


def run_claim(claim: Claim, *, model: str, seed: int, overrides: dict[str, Any], max_units: int | None = None,
              progress: Progress | None = None, if_changed: bool = False, report: bool = True,
              max_connections: int | None = None) -> Path | None:
    """Run one claim's check and append its record; returns the record path (None: up to date)."""
    check = experiments.get(claim.id)
    exp = experiment_of(claim)
    params = effective_parameters(claim, overrides)
    models = check.models(model, params)
    versions = model_versions(models)
    subject, fp = run_identity(claim, model, seed, overrides)
    if if_changed and max_units is None and up_to_date(claim.id, subject, fp):
        return None
    root = results_dir()
    run_id = new_run_id()
    slug = model_slug(subject)
    log_dir = root / "logs" / claim.id / slug / run_id
    t0 = time.perf_counter()
    result = sequential(check, claim, model=model, seed=seed, params=params, max_units=max_units,
                        log_dir=log_dir, progress=progress, max_connections=max_connections)
    duration = time.perf_counter() - t0

    spath = samples_path(claim.id, run_id, subject, root)
    header = SamplesHeader(claim=claim.id, run_id=run_id, model=model, subject=subject, seed=seed,
                           parameters=params)
    digest = write_samples(spath, header, result.rows)
    nb_out = root / "notebooks" / claim.id / slug / f"{run_id}.ipynb"
    nb_rel: str | None = None
    report_error: RunError | None = None
    if report:
        try:
            execute_report(claim, model=model, seed=seed, params=params, samples_rel=relative(spath), out=nb_out)
            nb_rel = relative(nb_out, root.parent)
        except (RunError, KeyboardInterrupt) as exc:
            nb_out.unlink(missing_ok=True)
            if isinstance(exc, KeyboardInterrupt):
                raise
            report_error = exc

    ev = result.evaluation
    served = {e["role"]: e["served"] for e in result.ctx.evals}
    # local models are named by their weights' hash; API models by the id the server reported
    exact = {role: v if v.startswith("sha256:") else served.get(role, v) for role, v in versions.items()}
    calls = sum(1 for r in result.rows if not r.cached and r.role in models)
    prov = Provenance(
        model=model,
        model_version=exact.get("subject") or "; ".join(f"{r}: {v}" for r, v in sorted(exact.items()))
        or "no model called",
        models=exact,
        sampling=_sampling(check, params, seed),
        seed=seed,
        codegap_commit=git_commit(),
        packages=fingerprint.distributions(
            fingerprint.closure(f"codegap.experiments.{experiments.module_name(claim.id)}")[1]),
        inspect_logs=sorted({relative(Path(e["log"])) for e in result.ctx.evals if e["log"]}),
        duration_s=round(duration, 3),
        model_calls=calls,
        cache_hits=sum(1 for r in result.rows if r.cached),
        fingerprint=fp,
        # which path asked the model(s): "direct" (API models, codegap.models.direct) or "inspect"
        engine=", ".join(sorted({e.get("engine", "inspect") for e in result.ctx.evals})) or None,
    )
    record = RunRecord(
        run_id=run_id, claim=claim.id, model=model, subject=subject,
        date=dt.datetime.now(dt.timezone.utc),
        parameters=params,
        budget=exp.budget.model_dump() | ({"max_units_cap": max_units} if max_units is not None else {}),
        spent=result.spent,
        metrics=[MetricRecord(**m.as_dict()) for m in ev.metrics],
        verdict=ev.decision.verdict,
        verdict_explanation=ev.decision.explain(),
        rule_version=rule_version(exp.verdict),
        samples=relative(spath, root.parent), samples_sha256=digest,
        notebook=nb_rel,
        details=ev.details,
        provenance=prov,
    )
    path = append_record(record, root)
    if report_error is not None:
        raise RunError(f"{report_error} — the record {relative(path)} was written without a report")
    return path


def select_claims(ids: list[str] | None, directory: Path) -> list[Claim]:
    claims = load_claims(directory)
    runnable = [c for c in claims if c.has_experiment]
    if not ids:
        return runnable
    by_id = {c.id: c for c in claims}
    out = []
    for cid in ids:
        if cid not in by_id:
            raise typer.BadParameter(f"no claim {cid!r}; known: {', '.join(sorted(by_id))}", param_hint="--claim")
        if not by_id[cid].has_experiment:
            raise typer.BadParameter(f"claim {cid!r} has no live check (literature only)", param_hint="--claim")
        out.append(by_id[cid])
    return out


def _check_models(claim: Claim, model: str, overrides: dict[str, Any]) -> list[str]:
    """Validate (and, for local models, verify the weights of) every model the check will call."""
    from codegap.models.engine import local_weights
    from codegap.models.spec import parse_model

    check = experiments.get(claim.id)
    params = effective_parameters(claim, overrides)
    used = list(check.models(model, params).values())
    for m in used:
        spec = parse_model(m)
        if spec.is_local:
            local_weights(spec)
    return used


def register(app: typer.Typer) -> None:
    """Attach `codegap run` to the CLI."""

    @app.command("run")
    def run(
        model: str = typer.Option("local/qwen2.5-coder-0.5b", "--model", "-m",
                                  help="model string, e.g. local/qwen2.5-coder-0.5b, openai/gpt-4o, "
                                       "openai-api/<name>/<model>"),
        claim: Optional[list[str]] = typer.Option(None, "--claim", "-c",
                                                  help="claim id (repeatable); default: all with a live check"),
        seed: int = typer.Option(0, "--seed", help="run seed: instances and sampling seeds derive from it"),
        max_units: Optional[int] = typer.Option(None, "--max-units", min=1,
                                                help="cap the claim's unit budget (quick smoke runs)"),
        param: Optional[list[str]] = typer.Option(None, "--param", "-p",
                                                  help="check parameter key=value (repeatable)"),
        if_changed: bool = typer.Option(False, "--if-changed",
                                        help="skip claims whose latest record for this subject was made from "
                                             "identical inputs (check code, parameters, rule, weights, packages)"),
        max_connections: Optional[int] = typer.Option(None, "--max-connections", min=1,
                                                      help="requests in flight (API) or sequences batched (local)"),
        report: bool = typer.Option(True, help="execute the report notebook after the run"),
        dry_run: bool = typer.Option(False, "--dry-run",
                                     help="only say, per claim, whether its latest record is up to date"),
    ) -> None:
        """Run claims' live checks on a model; append one record (with samples) per claim."""
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress as RichProgress, SpinnerColumn,
                                   TextColumn, TimeElapsedColumn)

        from codegap.models.spec import ModelStringError
        from codegap.models.weights import WeightsError

        console = Console(stderr=True, highlight=False)
        overrides = parse_params(param)
        base = claims_dir()
        try:
            selected = select_claims(claim, base)
        except ClaimsInvalid as exc:
            console.print(f"[red]error:[/red] the claim records in {base} are invalid:\n{exc}")
            raise typer.Exit(2)
        if not selected:
            console.print(f"no claims with a live check in {base}")
            raise typer.Exit(1)
        try:
            for c in selected:
                used = _check_models(c, model, overrides)
                if model not in used:
                    check = experiments.get(c.id)
                    console.print(f"note: {c.id} does not call {model}: it tests "
                                  f"{check.subject(model, effective_parameters(c, overrides))}")
        except (ModelStringError, WeightsError, RunError, experiments.NoSuchCheck) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2)
        if dry_run:
            stale = []
            for c in selected:
                state = staleness(c, model, seed, overrides)
                console.print(f"{'=' if state == 'up to date' else '!'} {c.id} on {model}: {state}")
                stale += [c.id] if state != "up to date" else []
            console.print(f"{len(stale)} of {len(selected)} check(s) would run on {model}"
                          + (f": codegap run --model {model} --if-changed" if stale else ""))
            return
        failures: list[str] = []
        with RichProgress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), console=console, transient=False) as bar:
            overall = bar.add_task(f"{len(selected)} claim(s) on {model}", total=len(selected))
            for c in selected:
                units_task = bar.add_task(f"  {c.id}: units", total=experiment_of(c).budget.max_units)
                sample_task = bar.add_task("    samples in batch", total=None)

                lines = LineProgress(c.id, console) if not console.is_terminal else None

                def on_batch(done: int, limit: int, ev: Evaluation, _t=units_task, _c=c, _l=lines) -> None:
                    bar.update(_t, completed=done, total=limit,
                               description=f"  {_c.id}: {ev.decision.verdict} so far")
                    if _l:
                        _l.batch(done, limit, ev.decision.verdict)

                def on_sample(done: int, total: int, _t=sample_task, _l=lines) -> None:
                    bar.update(_t, completed=done, total=total or None)
                    if _l:
                        _l.sample(done, total)

                try:
                    path = run_claim(c, model=model, seed=seed, overrides=overrides, max_units=max_units,
                                     progress=Progress(on_batch, on_sample), if_changed=if_changed,
                                     report=report, max_connections=max_connections)
                    if path is None:
                        bar.console.print(f"[green]=[/green] {c.id}: up to date on {model} (no model calls)")
                    else:
                        rec = RunRecord.model_validate_json(path.read_text())
                        sp = rec.spent
                        bar.console.print(
                            f"[green]✓[/green] {c.id} on {rec.tested}: [bold]{rec.verdict}[/bold] "
                            f"({MEANING[rec.verdict]}); {sp.units} units in {sp.batches} batch(es), stop: "
                            f"{sp.stop}; calls {rec.provenance.model_calls}, cache hits "
                            f"{rec.provenance.cache_hits}, {rec.provenance.duration_s:.0f} s -> {relative(path)}")
                except KeyboardInterrupt:
                    bar.stop()
                    console.print(f"interrupted: {c.id} on {model}; nothing was recorded for it (replies received "
                                  "so far are cached, so a rerun resumes without repeating those calls)")
                    raise typer.Exit(130)
                except Exception as exc:  # report, keep going, fail at the end
                    failures.append(c.id)
                    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                    bar.console.print(f"[red]✗ {c.id} on {model} failed:[/red] {type(exc).__name__}: {msg}")
                    if os.environ.get("CODEGAP_DEBUG"):
                        console.print_exception()
                finally:
                    bar.remove_task(sample_task)
                bar.advance(overall)
        if failures:
            console.print(f"[red]{len(failures)} of {len(selected)} claim(s) failed on {model}: "
                          f"{', '.join(failures)}[/red] (set CODEGAP_DEBUG=1 for tracebacks)")
            raise typer.Exit(1)


def package_versions(names: tuple[str, ...] = ("inspect-ai", "llama-cpp-python", "torch", "numpy")) -> dict[str, str]:
    """Installed versions of a few packages (for benchmarks' own provenance)."""
    out = {}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out
