"""`codegap fetch` and `codegap review`: the fetcher's command-line face.

`register(app)` adds the commands to the project's Typer app. Mode: the
offline mirror unless `--live` is given or env `CODEGAP_FETCH_MODE=live`
(the scheduled CI rebuild passes `--live`); `make book` always uses the mirror.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path
from typing import Callable, Optional

import typer

from .pipeline import TOP_N
from .rank import OR_CAP, QUORUM_CAP, TITLE_CAP

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_dir(root: Path) -> Path:
    env = os.environ.get("CODEGAP_SHARED")
    return Path(env) if env else root.parent / "shared"


def default_mirror_snapshot(root: Path) -> Path:
    env = os.environ.get("CODEGAP_ARXIV_SNAPSHOT")
    return Path(env) if env else shared_dir(root) / "data" / "arxiv" / "arxiv-metadata-snapshot.jsonl.gz"


def _default_live() -> bool:
    return os.environ.get("CODEGAP_FETCH_MODE", "mirror").strip().lower() == "live"


_HOW = ("`codegap fetch --live` (arXiv + Semantic Scholar APIs), or point `codegap fetch --mirror-file PATH` or "
        "CODEGAP_ARXIV_SNAPSHOT=PATH at an arXiv metadata snapshot (JSON lines, .gz ok)")


def refresh_hint(root: Path) -> str:
    """What `make book` says when no mirror is at hand (one line)."""
    return (f"literature not refreshed: no arXiv metadata snapshot at {default_mirror_snapshot(root)}; "
            f"the book uses the committed literature/snapshot.json. To refresh: {_HOW}")


def no_mirror_error(root: Path) -> str:
    """What an explicit offline `codegap fetch` says when no mirror is at hand (one line)."""
    return f"error: no arXiv metadata snapshot at {default_mirror_snapshot(root)}; to fetch: {_HOW}"


def do_fetch(
    root: Path, claim_ids: list[str] | None = None, live: bool = False, top: int = TOP_N,
    quorum_cap: int = QUORUM_CAP, or_cap: int = OR_CAP, mirror_path: Path | None = None,
    cache_dir: Path | None = None, use_s2: bool = True, force: bool = False,
    progress: Callable[[str], None] | None = None, embed_cache: Path | None = None, title_cap: int = TITLE_CAP,
):
    """Run one fetch (importable so tests and the Makefile can call it without Typer)."""
    from codegap.claims import load_claims

    from .embed import EmbeddingStore
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
    opts = FetchOptions(mode="live" if live else "mirror", top_n=top, quorum_cap=quorum_cap, or_cap=or_cap,
                        title_cap=title_cap, mirror_path=mirror_path, cache_dir=embed_cache, use_s2=use_s2, force=force,
                        progress=progress)
    store = EmbeddingStore(embed_cache)
    if live:
        from .arxiv_client import ArxivConfig, ArxivSource
        from .s2_client import S2Config, S2Source

        acfg = ArxivConfig.from_env()
        backend = ArxivSource(acfg)
        s2 = S2Source(S2Config.from_env()) if use_s2 else None
        source = Source(kind="live", arxiv_url=acfg.base_url, s2_url=s2.config.base_url if s2 else None)
        return run_fetch(root, claims, backend, source, opts, s2=s2, store=store)
    snapshot = mirror_path or default_mirror_snapshot(root)
    if progress is not None and not _index_ready(snapshot, cache_dir):
        progress(f"indexing {snapshot} (once per snapshot; about a minute for 190k records)")
    mirror = open_mirror(snapshot, cache_dir)
    source = Source(kind="mirror", snapshot_file=snapshot.name, snapshot_sha256=mirror.sha256)
    return run_fetch(root, claims, MirrorBackend(mirror), source, opts,
                     mirror_build_seconds=mirror.build_seconds, store=store)


def _index_ready(snapshot: Path, cache_dir: Path | None) -> bool:
    from .mirror import default_cache_dir

    cache = cache_dir or default_cache_dir()
    return snapshot.is_file() and any(cache.glob("arxiv-*.sqlite"))


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
        top: int = typer.Option(TOP_N, "--top", min=1, help="candidates kept per claim"),
        quorum_cap: int = typer.Option(QUORUM_CAP, "--quorum-cap", min=1, help="papers taken from each quorum query"),
        or_cap: int = typer.Option(OR_CAP, "--or-cap", min=1, help="papers taken from each OR word list"),
        title_cap: int = typer.Option(TITLE_CAP, "--title-cap", min=1, help="papers taken from each title list"),
        mirror: Optional[Path] = typer.Option(None, "--mirror-file", help="arXiv metadata snapshot (JSON lines, .gz ok)"),
        cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="where the mirror index is cached"),
        no_s2: bool = typer.Option(False, "--no-s2", help="live mode: skip Semantic Scholar (keeps the last counts)"),
        force: bool = typer.Option(False, "--force", help="re-rank claims even when nothing changed (cheap: cached embeddings)"),
        if_mirror: bool = typer.Option(
            False, "--if-mirror",
            help="offline: if no mirror snapshot is found, say so in one line and exit 0 (what `make book` uses)"),
        root: Path = typer.Option(REPO_ROOT, "--root", help="repository root"),
    ) -> None:
        """Find newer papers for each claim and update literature/snapshot.json."""
        from codegap.claims import ClaimsInvalid

        from .mirror import MirrorError
        from .proposals import write_proposals
        from .snapshot import SnapshotError
        from .triage import ReviewsError

        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        if not live and mirror is None and not default_mirror_snapshot(root).is_file():
            if if_mirror:
                typer.echo(refresh_hint(root))
                return
            typer.echo(no_mirror_error(root), err=True)
            raise typer.Exit(1)
        try:
            report = do_fetch(root, claim, live, top, quorum_cap, or_cap, mirror, cache_dir, not no_s2, force,
                              progress=lambda line: typer.echo(line, err=True), title_cap=title_cap)
        except (MirrorError, SnapshotError, ReviewsError, ClaimsInvalid) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
        if report.mirror_build_seconds is not None:
            typer.echo(f"built the mirror index in {report.mirror_build_seconds:.1f}s")
        proposals = {}
        for o in report.outcomes:
            if o.error:
                extra = f" {o.error}"
            elif o.proposals is None:  # skipped: nothing could be new
                extra = ""
            else:
                extra = f" pool {o.retrieved}, new candidates {o.added}, embedded {o.embedded}"
            typer.echo(f"{o.claim_id:40s} {o.status:9s} {o.seconds:6.2f}s{extra}")
            if o.proposals is not None:
                proposals[o.claim_id] = o.proposals
                if o.proposals:
                    terms = ", ".join(f'"{p.term}" ({p.papers}/{p.relevant})' for p in o.proposals)
                    typer.echo(f"  proposed query terms (from papers reviewed as relevant): {terms}")
        typer.echo(f"source: {report.source}")
        typer.echo(("wrote literature/snapshot.json" if report.wrote else "nothing new; snapshot unchanged")
                   + f" ({report.seconds:.2f}s, {report.embedded} papers embedded)")
        if any(proposals.values()):
            path = write_proposals(root, proposals, dt.date.today())
            typer.echo(f"query-term proposals written to {path.relative_to(root)}; accept one by adding it to a "
                       "query in claims/<id>.yaml")
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
        reviewer: Optional[str] = typer.Option("maintainer", "--reviewer", help="who judged"),
        basis: Optional[str] = typer.Option("abstract", "--basis", help="what was read: abstract | full text"),
        root: Path = typer.Option(REPO_ROOT, "--root", help="repository root"),
    ) -> None:
        """Record a maintainer's stance on one paper for one claim (literature/reviews.yaml)."""
        from codegap.claims import claim_by_id
        from pydantic import ValidationError

        from .snapshot import SNAPSHOT_PATH, read_snapshot
        from .triage import REVIEWS_PATH, ReviewsError, normalise_id, record_review

        try:
            claim_by_id(claim, root / "claims")
            base = normalise_id(arxiv_id)
        except (KeyError, ValueError) as exc:
            raise typer.BadParameter(str(exc).strip("'\"")) from exc
        entry = read_snapshot(root / SNAPSHOT_PATH).claims.get(claim)
        match = next((c for c in (entry.candidates if entry else []) if c.arxiv_id == base), None)
        try:
            rec = record_review(root / REVIEWS_PATH, claim, base, stance, reason,
                                title=match.title if match else None, reviewer=reviewer, basis=basis)
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
        include_reviewed: bool = typer.Option(
            False, "--include-reviewed", help="also ask about reviewed papers (to measure agreement with reviews)"),
        root: Path = typer.Option(REPO_ROOT, "--root", help="repository root"),
    ) -> None:
        """Ask a model for a stance on top unreviewed papers; stored as SUGGESTIONS (literature/suggestions.yaml)."""
        from .mirror import MirrorError, open_mirror
        from .suggest import SUGGESTIONS_PATH, agreement, read_suggestions, suggest
        from .triage import REVIEWS_PATH, read_review_list

        try:  # abstracts for the prompt come from the offline mirror when it is there
            mirror = open_mirror(default_mirror_snapshot(root))
            abstract_of = mirror.abstract
        except MirrorError:
            abstract_of = lambda _id: None  # noqa: E731
        made = suggest(root, model, claim_ids=claim, top=top, abstract_of=abstract_of,
                       include_reviewed=include_reviewed)
        for s in made:
            typer.echo(f"{s.claim:32s} {s.arxiv:12s} suggested {s.stance:11s} {s.reason}")
        typer.echo(f"{len(made)} suggestion(s) by {model} written to {SUGGESTIONS_PATH} (labelled: not reviews)")
        agree = agreement(read_suggestions(root / SUGGESTIONS_PATH), read_review_list(root / REVIEWS_PATH))
        for m, a in agree.items():
            typer.echo(f"agreement of {m} with maintainer reviews on {a['both']} paper(s): stance "
                       f"{a['exact']}/{a['both']} ({a['exact_rate']:.0%}), relevant-or-not "
                       f"{a['relevant']}/{a['both']} ({a['relevant_rate']:.0%}; calling every paper relevant: "
                       f"{a['reviewed_relevant']}/{a['both']})")


def main() -> None:  # pragma: no cover - convenience entry point before the lead's CLI exists
    app = typer.Typer(add_completion=False, help="codegap literature fetcher")
    register(app)
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
