"""Build a throwaway copy of the book with one clearly-labelled fixture run in it."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import nbformat

from codegap.results import MetricRecord, Provenance, RunRecord, append_record

FIXTURE_MODEL = "fixture/not-a-real-model"


def copy_repo(repo: Path, dest: Path) -> Path:
    """The files a book build reads, copied so a test never touches the working tree."""
    for name in ("claims", "book", "results", "literature"):
        if (repo / name).exists():
            shutil.copytree(repo / name, dest / name, ignore=shutil.ignore_patterns("generated"))
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(repo / name, dest / name)
    return dest


def _fixture_samples_html() -> str:
    """The report notebook's table of replies over five made-up rows (two arms)."""
    import pandas as pd

    from codegap.experiments.report import samples_table

    rows = [{"unit": i, "instance": f"u{i}", "arm": "direct" if i % 2 else "code", "correct": bool(i % 3),
             "reply": f"reply number {i} <b>not bold</b>"} for i in range(5)]
    return samples_table(pd.DataFrame(rows), limit=4, source="results/samples/fixture.jsonl.gz")


FIXTURE_SAMPLES_HTML = _fixture_samples_html()


def add_fixture_run(root: Path, claim: str = "iterative-execution", verdicts=("holds", "does not hold")) -> None:
    """Append fixture records (a flip across two runs) and their executed notebook."""
    nb_rel = Path("results/notebooks") / claim / "fixture.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Fixture notebook\n\nWritten by the test suite."),
        nbformat.v4.new_code_cell("print('fixture')", outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="fixture\n")]),
        nbformat.v4.new_code_cell("report.samples()", outputs=[
            nbformat.v4.new_output("display_data", data={"text/html": FIXTURE_SAMPLES_HTML, "text/plain": "<table>"})]),
    ]
    (root / nb_rel).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, root / nb_rel)
    # Both runs decided under one rule version, so their disagreement is a flip (records
    # without a rule version are never compared with each other).
    same_rule = {"rule_version": "fixture-rule"} if "rule_version" in RunRecord.model_fields else {}
    for i, verdict in enumerate(verdicts):
        append_record(RunRecord(**same_rule,
            run_id=f"20260101T00000{i}Z-fixture", claim=claim, model=FIXTURE_MODEL,
            date=dt.datetime(2026, 1, 1 + i, tzinfo=dt.timezone.utc),
            parameters={"n": 12}, verdict=verdict, verdict_explanation="fixture explanation",
            metrics=[MetricRecord(name="in_head_drop", value=0.5, ci_low=0.2, ci_high=0.7, n=24),
                     MetricRecord(name="code_drop", value=0.0, ci_low=-0.1, ci_high=0.1, n=24)],
            notebook=str(nb_rel),
            provenance=Provenance(model=FIXTURE_MODEL, model_version="fixture-sha", seed=1,
                                  codegap_commit="fixture", sampling={"temperature": 0.0}),
        ), root / "results")


def build(root: Path) -> subprocess.CompletedProcess:
    from codegap.book.assemble import assemble, build_site

    assemble(root)
    return build_site(root, strict=True, capture=True)
