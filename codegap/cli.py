"""The `codegap` command line: validate, run, fetch, book."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import NoReturn, Optional

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


#: Set to 1 to get the full traceback instead of the one-line error.
DEBUG_ENV = "CODEGAP_DEBUG"


def _one_line(text: str, limit: int = 400) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _ours(exc: BaseException) -> bool:
    """Errors this project raises on purpose carry a message written for users."""
    return type(exc).__module__.split(".")[0] in ("codegap", "fetch")


def _report(exc: BaseException) -> NoReturn:
    """Print `exc` as one clear line (one per problem for invalid claims) and exit 1.

    Why: a traceback tells a reader of the site or a maintainer nothing they can
    act on; a line naming the file, field or cause does. The traceback is one
    environment variable away (CODEGAP_DEBUG=1).
    """
    from pydantic import ValidationError

    from codegap.claims import ClaimsInvalid

    err = sys.stderr
    if isinstance(exc, ClaimsInvalid):
        for p in exc.problems:
            print(_one_line(str(p), 1000), file=err)
        print(f"codegap: {len(exc.problems)} problem(s) in the claim records; fix them "
              "(`codegap validate` lists them)", file=err)
    elif isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(record)"
        print(f"codegap: invalid {exc.title}: {where}: {_one_line(first['msg'])} "
              f"({exc.error_count()} error(s); rerun with {DEBUG_ENV}=1 for the traceback)", file=err)
    elif isinstance(exc, OSError) and exc.filename is not None:
        print(f"codegap: {exc.filename}: {exc.strerror or _one_line(str(exc))}", file=err)
    elif _ours(exc):
        print(f"codegap: {_one_line(str(exc))}", file=err)
    else:
        print(f"codegap: unexpected error: {type(exc).__name__}: {_one_line(str(exc))} "
              f"(rerun with {DEBUG_ENV}=1 for the traceback)", file=err)
    raise SystemExit(1)


def main() -> None:
    """Entry point: every error ends as one line on stderr and exit status 1 (2 for usage)."""
    debug = os.environ.get(DEBUG_ENV, "") not in ("", "0")
    try:
        _register_optional()
        app()
    except KeyboardInterrupt:
        print("codegap: interrupted", file=sys.stderr)
        raise SystemExit(130)
    except Exception as exc:  # noqa: BLE001 -- the last-resort handler, by design
        if debug:
            raise
        _report(exc)


if __name__ == "__main__":
    main()
