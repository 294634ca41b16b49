"""The book: pages generated from the records, a strict (-W) build, and offline charts."""

from __future__ import annotations

import html
import re

import pytest

from codegap.book import claim_page, dashboard
from codegap.claims import load_claims
from codegap.results import iter_records

from book_support import FIXTURE_MODEL, add_fixture_run
from conftest import FIXTURES, REPO


def test_claim_page_is_generated_from_the_record(tmp_path):
    claims = {c.id: c for c in load_claims(FIXTURES / "claims" / "good")}
    page = html.unescape(claim_page.render(claims["tiny-live"], [], {}, "LITERATURE"))
    assert "# A fixture claim with a live check" in page
    assert "A small statement used only by the tests." in page
    assert "arXiv:2305.01210v3" in page and "88.4%" in page
    assert "as 67.0%" in page  # the seed/anchor mismatch is flagged
    assert "Not run on any model yet" in page
    assert "`gain` has its whole interval above 0" in page
    assert page.rstrip().endswith("LITERATURE")


def test_literature_only_claim_says_so():
    claims = {c.id: c for c in load_claims(FIXTURES / "claims" / "good")}
    page = html.unescape(claim_page.render(claims["tiny-lit"], [], {}, ""))
    assert "no live check: needs a vision model" in page
    assert "literature only" in page


def test_results_appear_with_interval_badge_flip_and_chart(tmp_path):
    add_fixture_run(tmp_path)
    records = iter_records(tmp_path / "results")
    claim = next(c for c in load_claims(REPO / "claims") if c.id == "iterative-execution")
    page = html.unescape(claim_page.render(claim, records, {FIXTURE_MODEL: "../runs/x"}, ""))
    assert "0.50 [0.20, 0.70] (n=24)" in page
    assert 'cg-badge cg-does-not-hold' in page
    assert "flipped" in page  # two runs of the same model disagreed
    assert page.count("<svg") == 2  # latest metrics + verdict history
    assert "fixture-sha" in page  # provenance


def test_dashboard_lists_every_claim(tmp_path):
    claims = load_claims(REPO / "claims")
    add_fixture_run(tmp_path)
    md = dashboard.render(claims, iter_records(tmp_path / "results"), {})
    for c in claims:
        assert f"](claims/{c.id}.md)" in md  # a link to its page, titled with the escaped title
    assert md.count("<svg") == 2  # matrix + timeline


def test_strict_build_has_all_pages(built_book):
    html = built_book / "_build" / "html"
    assert (html / "index.html").exists()
    pages = list((html / "book" / "generated" / "claims").glob("*.html"))
    assert len(pages) == len(load_claims(REPO / "claims")) >= 15
    assert (html / "book" / "generated" / "dashboard.html").exists()


def test_evalplus_page_shows_note_and_paper_numbers_side_by_side(built_book):
    page = (built_book / "_build/html/book/generated/claims/test-insufficiency.html").read_text()
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))
    assert re.search(r"HumanEval pass@1 \(greedy\) GPT-4 67\.0% 88\.4% ⚠ differs", text)
    assert re.search(r"HumanEval\+ pass@1 \(greedy\) GPT-4 50\.0% 76\.2% ⚠ differs", text)


@pytest.mark.parametrize("claim", ["iterative-execution", "backtracking-limit"])
def test_dates_are_flagged_on_the_pages(built_book, claim):
    page = html.unescape((built_book / f"_build/html/book/generated/claims/{claim}.html").read_text())
    assert re.search(r"Provenance flags \(\d+\)", page)  # the date flag and the no-stating-source flag
    assert "no primary source states this claim" in page.lower()
    assert re.search(r'dates this claim [“"]~2024[”"], but no primary paper stating it', page)


def test_no_page_loads_anything_from_a_cdn(built_book):
    for page in (built_book / "_build/html/book/generated").rglob("*.html"):
        text = page.read_text()
        for m in re.finditer(r'<script[^>]+src="(https?:)?//([^"/]+)', text):
            assert m.group(2) in ("127.0.0.1", "localhost"), f"{page.name} loads {m.group(0)}"
        assert "cdn.jsdelivr" not in text and "vega@" not in text


def test_hand_written_pages_restate_nothing_from_the_records():
    prose = "\n".join(p.read_text() for p in (REPO / "book").glob("*.md"))
    for c in load_claims(REPO / "claims"):
        assert c.statement[:60] not in prose, c.id
        for a in c.anchors:
            if a.arxiv:
                assert a.arxiv_base not in prose, (c.id, a.arxiv)
            for n in a.numbers:
                if n.value != int(n.value):  # round numbers like 95 are too common to test
                    assert not re.search(rf"(?<![\w.]){re.escape(f'{n.value:g}')}(?![\w.])", prose), (c.id, n.metric)


def test_markdown_helpers_write_data_as_text_in_every_context():
    from codegap.book.markdown import arxiv_link, code, doc_link, link, table, text

    nasty = "1. <img src=x onerror=alert(1)> `x` {raw}`y` $z$ | [a](javascript:b) &lt; :::\n```{raw} html"
    t = text(nasty)
    assert not set("<>`{}$|[]()&:") & set(html.unescape(t)) - set(nasty)  # nothing new appears
    assert re.fullmatch(r"[^<>`{}$|\[\]()\n:]*", t.replace("&#", "#")), t  # no markup character left raw
    assert html.unescape(t) == " ".join(nasty.split())
    assert t.startswith("1&#46;")  # cannot start an ordered list
    assert code("a``b") == "```a``b```" and code("`x") == "`` `x ``"
    assert table(["h"], [[code("a|b")], [text("c|d")], [3]]).splitlines()[2:] == ["| `a\\|b` |", "| c&#124;d |", "| 3 |"]
    assert link("x", "javascript:alert(1)").startswith("x (javascript")  # not a link
    assert link("x", "https://e.org/a b") == "x (https&#58;//e.org/a b)"
    assert link("x", "https://e.org/(a)<b>") == "[x](<https://e.org/%28a%29%3Cb%3E>)"
    assert arxiv_link("2401.01234v2") == "[arXiv:2401.01234v2](https://arxiv.org/abs/2401.01234v2)"
    assert arxiv_link("2401.0123<script>").endswith("(not an arXiv id)") and "<" not in arxiv_link("<x>")
    with pytest.raises(ValueError):
        doc_link("x", "../runs/a b")


def test_bidi_overrides_are_shown_not_obeyed():
    from codegap.book.markdown import shown, text

    assert shown("abc\u202edef") == "abc[U+202E]def"
    assert "\u202e" not in text("abc\u202edef")


def test_theme_titles_are_escaped(built_book):
    """The theme's print-only <h1> and the sidebar take titles from Sphinx as plain text."""
    from codegap.book.sphinx_ext import _escape_theme_titles

    ctx = {"pagetitle": "a <img src=x onerror=alert(1)>", "root_title": "x & y", "other": "<b>"}
    _escape_theme_titles(None, "p", "page.html", ctx, None)
    assert ctx == {"pagetitle": "a &lt;img src=x onerror=alert(1)&gt;", "root_title": "x &amp; y", "other": "<b>"}
    page = (built_book / "_build/html/book/generated/dashboard.html").read_text()
    assert '<div id="jb-print-docs-body" class="onlyprint">\n    <h1>Dashboard</h1>' in page


def test_build_drops_pages_whose_source_is_gone(tmp_path):
    """Jupyter Book builds incrementally; a run page of a deleted record must not survive."""
    from book_support import build, copy_repo

    root = copy_repo(REPO, tmp_path)
    add_fixture_run(root)
    res = build(root)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    runs = root / "_build/html/book/generated/runs"
    fixture_pages = [p.name for p in runs.glob("*fixture*.html")]
    assert fixture_pages, "the fixture run has a page"
    for rec in (root / "results/records").rglob("*fixture*.json"):
        rec.unlink()
    res = build(root)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    assert not [p for p in fixture_pages if (runs / p).exists()], "stale run page left in the site"
    for page in (root / "_build/html").rglob("*.html"):  # nor a link to it in any sidebar
        text = page.read_text(encoding="utf-8")
        assert not [p for p in fixture_pages if p in text], page


def test_reply_tables_of_older_notebooks_lose_their_pre_tags():
    """Old report notebooks put each reply in a <pre> (slow pages); the book swaps only those."""
    import nbformat

    from codegap.book.assemble import _lighten_reply_tables

    table = ('<div class="cg-samples"><table class="cg-samples-table"><tbody><tr><td><details>'
             '<summary>9 chars</summary><pre>&lt;pre&gt;x</pre></details></td></tr></tbody></table></div>')
    other = "<pre>kept</pre>"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": table}),
        nbformat.v4.new_output("display_data", data={"text/html": other})])]
    _lighten_reply_tables(nb)
    out = [o["data"]["text/html"] for o in nb.cells[0].outputs]
    assert out[0].count("<pre>") == 0 and '<div class="cg-reply">&lt;pre&gt;x</div>' in out[0]
    assert out[1] == other


def test_dashboard_shows_verdicts_of_earlier_rules_as_such(tmp_path):
    """A subject run only under an earlier rule is not shown with that verdict as today's evidence;
    once it has a record under the current rule, that record's verdict is the cell."""
    from codegap.verdicts import rule_version

    claims = load_claims(REPO / "claims")
    claim = next(c for c in claims if c.id == "iterative-execution")
    add_fixture_run(tmp_path)  # rule version "fixture-rule": not the claim's current rule
    records = iter_records(tmp_path / "results")
    md = html.unescape(dashboard.render(claims, records, {}))
    assert "does not hold (earlier rule)" in md and "cg-earlier-rule" in md
    assert "1 model run only under an earlier rule" in dashboard.verdict_summary(claim, records)

    current = records[-1].model_copy(update={"run_id": "20260105T000000Z-fixture", "verdict": "holds",
                                             "rule_version": rule_version(claim.experiment.verdict)})
    md = html.unescape(dashboard.render(claims, [*records, current], {}))
    assert "(earlier rule)" not in md.split("## Across model size")[0].split("## Every claim")[0]
    assert dashboard.verdict_summary(claim, [*records, current]) == "holds on 1 model"


def test_scale_chart_draws_one_panel_per_claim_naming_its_metric():
    import pandas as pd

    from codegap.book import charts

    df = pd.DataFrame([
        {"claim": c, "metric": m, "model": f"local/{size}", "parameters_b": size, "value": v,
         "ci_low": v - 0.1, "ci_high": v + 0.1, "verdict": verdict}
        for c, m in (("claim-a", "gap"), ("claim-b", "drop"), ("claim-c", "rate"))
        for size, v, verdict in ((0.135, 0.1, "inconclusive"), (0.494, 0.4, "holds"))])
    svg = charts.to_svg(charts.scale_chart(df))
    assert "claim-a: gap" in svg and "claim-b: drop" in svg
    assert "parameters (billions, log scale)" in svg
    # every panel has its own x axis, ticked at the sizes run (not a default 0.1..10 log axis)
    assert svg.count(">parameters (billions, log scale)</text>") == 3  # 2 columns: 2 rows of panels
    assert ">0.135<" in svg and ">0.494<" in svg and ">10<" not in svg


def test_nested_mappings_are_flattened_not_shown_as_python_reprs():
    from codegap.book.markdown import mapping

    shown = html.unescape(str(mapping({"seed": 1, "sampling": {"one_pass": {"role": "a `b` \u200b", "t": 0.0}}})))
    assert shown == "seed=1, sampling.one_pass.role=a `b` \u200b, sampling.one_pass.t=0.0"
