"""The `codegap` command line: validate, run, fetch, book."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer

from codegap.claims import default_claims_dir, validate_dir

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="codegap: dated claims about AI code generation, re-tested on models.")
REPO = Path(__file__).resolve().parent.parent


@app.command()
def validate(directory: Optional[Path] = typer.Argument(None, help="claims folder (default: claims/)")) -> None:
    """Check every claim record; print one line per problem (file: field: reason)."""
    directory = directory or default_claims_dir()
    claims, problems = validate_dir(directory)
    for p in problems:
        typer.echo(str(p), err=True)
    if problems:
        typer.echo(f"{len(problems)} problem(s) in {directory}", err=True)
        raise typer.Exit(1)
    typer.echo(f"{len(claims)} claim records valid in {directory}")


@app.command()
def book(
    build: bool = typer.Option(True, help="run jupyter-book after generating the pages"),
    strict: bool = typer.Option(True, help="treat Sphinx warnings as errors (-W)"),
) -> None:
    """Generate the claim pages and dashboard, then build the site into _build/html."""
    from codegap.book.assemble import assemble, build_site

    t0 = time.perf_counter()
    out = assemble(REPO)
    typer.echo(f"generated pages in {out.relative_to(REPO)} ({time.perf_counter() - t0:.1f} s)")
    if not build:
        return
    res = build_site(REPO, strict=strict)
    if res.returncode != 0:
        typer.echo("book build failed (see the warnings above)", err=True)
        raise typer.Exit(res.returncode)
    typer.echo(f"site built: open {REPO / '_build' / 'html' / 'index.html'}")


def _register_optional() -> None:
    """Attach the run and fetch commands; each module owns its own options."""
    from codegap import rescore, runner
    from fetch import cli as fetch_cli

    runner.register(app)
    rescore.register(app)
    fetch_cli.register(app)


def main() -> None:
    _register_optional()
    app()


if __name__ == "__main__":
    main()
