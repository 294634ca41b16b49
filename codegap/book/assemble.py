"""Write every generated page of the book into `book/generated/`.

The generated folder is build output (never committed): it is rebuilt from
`claims/`, `results/` and `literature/` each time, so no fact is written twice.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat

from codegap import paths
from codegap.book import claim_page, dashboard, literature, methods
from codegap.book.markdown import code, doc_link, heading, text
from codegap.claims import Claim, load_claims
from codegap.results import RunRecord, iter_records, latest_per_model, model_slug

REPO = paths.REPO


def _copy_run_notebooks(claims: list[Claim], records: list[RunRecord], repo: Path, out: Path) -> dict[str, dict[str, str]]:
    """Copy the latest executed notebook of each (claim, model) into the book.

    Returns {claim: {model: docname relative to the claim pages}}. A title cell
    is prepended so each notebook page says which claim, model and run it shows.
    """
    pages: dict[str, dict[str, str]] = {}
    runs = out / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    for c in claims:
        for model, rec in latest_per_model(records, c.id).items():
            if not rec.notebook:
                continue
            src = repo / rec.notebook
            if not src.exists():
                raise FileNotFoundError(f"{rec.run_id}: notebook: {src} is missing (results record names it)")
            nb = nbformat.read(src, as_version=4)
            title = nbformat.v4.new_markdown_cell(
                f"{heading(1, f'{c.title}: {model}')}\nExecuted notebook of run {code(rec.run_id)} "
                f"({rec.date:%Y-%m-%d %H:%M} UTC), verdict **{text(rec.verdict)}**. "
                f"Back to the claim: {{ref}}`claim-{c.id}`."
            )
            # Drop the notebook's own top-level heading so the page has one title.
            cells = list(nb.cells)
            if cells and cells[0].cell_type == "markdown" and cells[0].source.lstrip().startswith("# "):
                lines = cells[0].source.lstrip().splitlines()[1:]
                cells[0] = nbformat.v4.new_markdown_cell("\n".join(lines)) if any(l.strip() for l in lines) else None
            nb.cells = [title] + [x for x in cells if x is not None]
            _lighten_reply_tables(nb)
            # myst-nb needs the language to highlight code; papermill keeps it, hand-made notebooks may not.
            nb.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"})
            nb.metadata.setdefault("language_info", {"name": "python"})
            name = f"{c.id}--{model_slug(model)}"
            nbformat.write(nb, runs / f"{name}.ipynb")
            pages.setdefault(c.id, {})[model] = f"../runs/{name}"
    return pages


def _lighten_reply_tables(nb: nbformat.NotebookNode) -> None:
    """Show replies in tables written before report.samples dropped `<pre>` as `div.cg-reply`.

    The theme measures every `<pre>` on load (one layout each), so a table of 2,000 replies kept
    its page loading for about a minute. Inside a `cg-samples` output every reply was escaped by
    `html.escape`, so each literal `<pre>` tag there is the table's own and is swapped safely;
    nothing else in the notebook changes.
    """
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = out.get("data", {})
            page = data.get("text/html")
            if isinstance(page, list):
                page = "".join(page)
            if isinstance(page, str) and 'class="cg-samples"' in page and "<pre>" in page:
                data["text/html"] = page.replace("<pre>", '<div class="cg-reply">').replace("</pre>", "</div>")


def assemble(repo: Path = REPO) -> Path:
    """Regenerate `repo/book/generated/` from `repo`'s claims, results and literature."""
    claims = load_claims(repo / "claims")
    records = iter_records(repo / "results")
    out = repo / "book" / "generated"
    if out.exists():
        shutil.rmtree(out)
    (out / "claims").mkdir(parents=True)
    run_pages = _copy_run_notebooks(claims, records, repo, out)
    lit = literature.load(repo)
    for c in claims:
        page = claim_page.render(c, records, run_pages.get(c.id, {}), literature.section(c, lit.get(c.id)))
        (out / "claims" / f"{c.id}.md").write_text(page, encoding="utf-8")
    flags = {c.id: literature.flag(lit.get(c.id)) for c in claims}
    (out / "dashboard.md").write_text(dashboard.render(claims, records, flags), encoding="utf-8")
    (out / "verdict_rules.md").write_text(methods.verdict_rules(claims), encoding="utf-8")
    (out / "verdict_states.md").write_text(methods.verdict_states(), encoding="utf-8")
    (out / "interval_methods.md").write_text(methods.interval_methods(claims, records), encoding="utf-8")
    (out / "method_names.md").write_text(methods.method_names(), encoding="utf-8")
    (out / "rule_changes.md").write_text(methods.rule_changes(claims), encoding="utf-8")
    (out / "literature_rule.md").write_text(literature.rule_text() + "\n" + literature.agreement_text(repo),
                                            encoding="utf-8")
    (out / "notebooks.md").write_text(_notebooks_index(run_pages), encoding="utf-8")
    (out / "manifest.json").write_text(json.dumps({
        "claims": [c.id for c in claims], "records": len(records),
        "run_pages": run_pages,
    }, indent=2), encoding="utf-8")
    return out


def _notebooks_index(run_pages: dict[str, dict[str, str]]) -> str:
    lines = ["# Executed notebooks\n",
             "The latest executed notebook of every claim and model, exactly as `codegap run` saved it "
             "(older runs stay in `results/notebooks/`).\n"]
    if not run_pages:
        lines.append("No notebook has been executed yet.\n")
    for claim_id, models in sorted(run_pages.items()):
        for model, doc in sorted(models.items()):
            lines.append(f"- {doc_link(f'{claim_id} on {model}', doc.replace('../', '') + '.ipynb')}")
    return "\n".join(lines) + "\n"


def _page_sources(root: Path) -> list[str]:
    """Every page source under book/ (relative paths), the set the site is built from."""
    return sorted(str(p.relative_to(root)) for p in (root / "book").rglob("*")
                  if p.suffix in (".md", ".ipynb") and ".ipynb_checkpoints" not in p.parts)


def build_site(root: Path = REPO, *, strict: bool = True, capture: bool = False):
    """Run Jupyter Book 1 on `root` (warnings are errors when strict).

    Jupyter Book builds incrementally: the page of a source that is gone (the run page of
    a deleted record) would stay in `_build/html`, and pages Sphinx does not rewrite would
    keep it in their sidebars. So when the set of page sources differs from the last
    successful build's (`_build/.codegap-pages.json`), the old output and Sphinx's cache
    are removed first and the site is built from scratch.
    """
    import subprocess
    import sys

    out = root / "_build"
    stamp = out / ".codegap-pages.json"
    pages = _page_sources(root)
    try:
        previous = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = None
    if previous != pages:
        for name in ("html", ".doctrees", "jupyter_execute"):
            shutil.rmtree(out / name, ignore_errors=True)
        stamp.unlink(missing_ok=True)
    exe = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(exe), "build", str(root), "--keep-going"] + (["-W"] if strict else [])
    res = subprocess.run(cmd, cwd=root, capture_output=capture, text=True)
    if res.returncode == 0:
        stamp.write_text(json.dumps(pages), encoding="utf-8")
    return res
