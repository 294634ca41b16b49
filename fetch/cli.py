"""`codegap fetch` and `codegap review`: the fetcher's command-line face.

`register(app)` adds the commands to the project's Typer app. Mode: the
offline mirror unless `--live` is given or env `CODEGAP_FETCH_MODE=live`
(the scheduled CI rebuild passes `--live`); `make book` always uses the mirror.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Optional

import typer

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_dir(root: Path) -> Path:
    env = os.environ.get("CODEGAP_SHARED")
    return Path(env) if env else root.parent / "shared"


def default_mirror_snapshot(root: Path) -> Path:
    env = os.environ.get("CODEGAP_ARXIV_SNAPSHOT")
    return Path(env) if env else shared_dir(root) / "data" / "arxiv" / "arxiv-metadata-snapshot.jsonl.gz"


def _default_live() -> bool:
    return os.environ.get("CODEGAP_FETCH_MODE", "mirror").strip().lower() == "live"


def do_fetch(
    root: Path, claim_ids: list[str] | None = None, live: bool = False, top: int = 25,
    per_query: int = 100, mirror_path: Path | None = None, cache_dir: Path | None = None,
    use_s2: bool = True,
):
    """Run one fetch (importable so tests and the Makefile can call it without Typer)."""
    from codegap.claims import load_claims

    from .mirror import MirrorBackend, open_mirror
    from .pipeline import FetchOptions, run_fetch
    from .snapshot import Source

    claims = load_claims(root / "claims")
    if claim_ids:
        known = {c.id for c in claims}
        unknown = [c for c in claim_ids if c not in known]
        if unknown:
            raise typer.BadParameter(f"no claim(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        claims = [c for c in claims if c.id in claim_ids]
    opts = FetchOptions(mode="live" if live else "mirror", top_n=top, per_query=per_query,
                        mirror_path=mirror_path, cache_dir=cache_dir, use_s2=use_s2)
    if live:
        from .arxiv_client import ArxivConfig, ArxivSource
        from .s2_client import S2Config, S2Source

        acfg = ArxivConfig.from_env(max_results_per_query=per_query)
        backend = ArxivSource(acfg)
        s2 = S2Source(S2Config.from_env()) if use_s2 else None
        source = Source(kind="live", arxiv_url=acfg.base_url, s2_url=s2.config.base_url if s2 else None)
        return run_fetch(root, claims, backend, source, opts, s2=s2)
    snapshot = mirror_path or default_mirror_snapshot(root)
    mirror = open_mirror(snapshot, cache_dir)
    source = Source(kind="mirror", snapshot_file=snapshot.name, snapshot_sha256=mirror.sha256)
    return run_fetch(root, claims, MirrorBackend(mirror, per_query), source, opts,
                     mirror_build_seconds=mirror.build_seconds)


def register(app: typer.Typer) -> None:
    """Add `fetch`, `review` and `suggest-stance` to the `codegap` CLI."""
    _register_suggest(app)

    @app.command("fetch")
    def fetch_cmd(
        claim: Optional[list[str]] = typer.Option(None, "--claim", help="claim id (repeatable); default: all"),
        live: bool = typer.Option(
            _default_live(), "--live/--mirror", "--online/--offline",
            help="live arXiv + Semantic Scholar APIs, or the offline mirror (default; env CODEGAP_FETCH_MODE=live flips it)",
        ),
        top: int = typer.Option(25, "--top", min=1, help="candidates kept per claim"),
        per_query: int = typer.Option(100, "--per-query", min=1, help="results taken per query"),
        mirror: Optional[Path] = typer.Option(None, "--mirror-file", help="arXiv metadata snapshot (JSON lines, .gz ok)"),
        cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="where the mirror index is cached"),
        no_s2: bool = typer.Option(False, "--no-s2", help="live mode: skip Semantic Scholar"),
        root: Path = typer.Option(REPO_ROOT, "--root", help="repository root"),
    ) -> None:
        """Find newer papers for each claim and update literature/snapshot.json."""
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        report = do_fetch(root, claim, live, top, per_query, mirror, cache_dir, not no_s2)
        if report.mirror_build_seconds is not None:
            typer.echo(f"built the mirror index in {report.mirror_build_seconds:.1f}s")
        for o in report.outcomes:
            extra = f" {o.error}" if o.error else f" retrieved {o.retrieved}, new {o.added}"
            typer.echo(f"{o.claim_id:40s} {o.status:9s} {o.seconds:6.2f}s{extra}")
        typer.echo(f"source: {report.source}")
        typer.echo(("wrote literature/snapshot.json" if report.wrote else "nothing new; snapshot unchanged")
                   + f" ({report.seconds:.2f}s)")
        if report.failed:
            names = ", ".join(o.claim_id for o in report.failed)
            typer.echo(f"FAILED for {len(report.failed)} claim(s): {names}; their last good entries were kept", err=True)
            raise typer.Exit(1)

    @app.command("review")
    def review_cmd(
        claim: str = typer.Argument(..., help="claim id"),
        arxiv_id: str = typer.Argument(..., help="arXiv id, with or without version"),
        stance: str = typer.Argument(..., help="supports | challenges | qualifies | irrelevant"),
        reason: str = typer.Option(..., "--reason", help="one line: why this stance"),
        root: Path = typer.Option(REPO_ROOT, "--root", help="repository root"),
    ) -> None:
        """Record a maintainer's stance on one paper for one claim (literature/reviews.yaml)."""
        from codegap.claims import claim_by_id
        from pydantic import ValidationError

        from .snapshot import SNAPSHOT_PATH, read_snapshot
        from .triage import ReviewsError, normalise_id, record_review

        try:
            claim_by_id(claim, root / "claims")
            base = normalise_id(arxiv_id)
        except (KeyError, ValueError) as exc:
            raise typer.BadParameter(str(exc).strip("'\"")) from exc
        entry = read_snapshot(root / SNAPSHOT_PATH).claims.get(claim)
        match = next((c for c in (entry.candidates if entry else []) if c.arxiv_id == base), None)
        try:
            rec = record_review(root / "literature" / "reviews.yaml", claim, base, stance, reason,
                                title=match.title if match else None)
        except ValidationError as err:
            e = err.errors()[0]
            raise typer.BadParameter(f"{'.'.join(map(str, e['loc']))}: {e['msg']}") from err
        except ReviewsError as exc:
            raise typer.BadParameter(str(exc)) from exc
        typer.echo(f"{claim}: {rec.arxiv} -> {rec.stance} ({rec.reason})")
        if match is None:
            typer.echo(f"note: {rec.arxiv} is not among the current candidates for {claim}; recorded anyway", err=True)


def _register_suggest(app: typer.Typer) -> None:
    @app.command("suggest-stance")
    def suggest_cmd(
        model: str = typer.Option(..., "--model", "-m", help="any model string the model layer accepts"),
        claim: Optional[list[str]] = typer.Option(None, "--claim", help="claim id (repeatable); default: all"),
        top: int = typer.Option(5, "--top", min=1, help="unreviewed candidates per claim to ask about"),
        root: Path = typer.Option(REPO_ROOT, "--root", help="repository root"),
    ) -> None:
        """Ask a model for a stance on top unreviewed papers; stored as SUGGESTIONS (literature/suggestions.yaml)."""
        from .mirror import MirrorError, open_mirror
        from .suggest import SUGGESTIONS_PATH, suggest

        try:  # abstracts for the prompt come from the offline mirror when it is there
            mirror = open_mirror(default_mirror_snapshot(root))
            abstract_of = mirror.abstract
        except MirrorError:
            abstract_of = lambda _id: None  # noqa: E731
        made = suggest(root, model, claim_ids=claim, top=top, abstract_of=abstract_of)
        for s in made:
            typer.echo(f"{s.claim:32s} {s.arxiv:12s} suggested {s.stance:11s} {s.reason}")
        typer.echo(f"{len(made)} suggestion(s) by {model} written to {SUGGESTIONS_PATH} (labelled: not reviews)")


def main() -> None:  # pragma: no cover - convenience entry point before the lead's CLI exists
    app = typer.Typer(add_completion=False, help="codegap literature fetcher")
    register(app)
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
