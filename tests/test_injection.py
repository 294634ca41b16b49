"""Stored XSS: a payload corpus in every field the site shows, built and opened in Chromium.

Claims, result records, an executed notebook, the literature snapshot, maintainers'
reviews and model strings are all untrusted text. This test writes one injection claim
per payload into a throwaway copy of the repository (every free-text field of the claim,
its record, its run notebook and its literature carries that payload, tagged with a
number saying which field it is in), builds the site with -W, and opens every page in
headless Chromium. It asserts that no dialog opens, that no injected script element,
event handler or javascript: link reaches the DOM, that no request leaves 127.0.0.1,
and that each payload is shown to the reader as the text it is.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import http.server
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pandas as pd
import pytest
import yaml

from book_support import copy_repo
from browser_support import find_browser
from conftest import REPO

#: The tests that build the site and drive Chromium.
browser_test = [pytest.mark.slow, pytest.mark.browser]

#: One payload per injection claim; `{n}` becomes a number naming claim and field.
PAYLOADS = [
    "<script>alert({n})</script>",
    "<img src=x onerror=alert({n})>",
    '"><svg onload=alert({n})>',
    "'><img src=x onerror=alert({n})>",
    '<a href="javascript:alert({n})">link {n}</a>',
    "[link {n}](javascript:alert({n}))",
    "```{raw} html\n<img src=x onerror=alert({n})>\n```",
    ":::{raw} html\n<img src=x onerror=alert({n})>\n:::",
    "\n```\n<img src=x onerror=alert({n})>\n```{raw} html\n",
    "{ref}`x <javascript:alert({n})>` {abbr}`A (<img src=x onerror=alert({n})>)`",
    "costs $x_{n}$ or $$y_{n}$$ \\begin{equation}z_{n}\\end{equation}",
    "cell {n} | broken | table\n|---|---|\n| a | b |",
    "`code {n}` ``double `tick` {n}`` ```",
    "&lt;img src=x onerror=alert({n})&gt; &#60;script&#62;alert({n})&#60;/script&#62;",
    "\u202eevil {n}\u200b ＜script＞alert({n})＜/script＞ e\u0301",
    "{{ substitution_{n} }} (target-{n})=\n# heading {n}\n% comment {n}",
    "<style>body{display:none}</style> style {n}",
    '<img src="http://evil.example/{n}.png"> ![image {n}](http://evil.example/{n}.png)',
    "<details open ontoggle=alert({n})>x</details>",
    "</code></summary></details></ul></li><img src=x onerror=alert({n})>",
    '<iframe srcdoc="<script>parent.alert({n})</script>"></iframe> <!-- {n} -->',
    "javascript:alert({n})",
    "*emph {n}* _under_ **bold** ~~strike~~ [^1] <https://evil.example/{n}>",
    "<svg><script>alert({n})</script></svg> {{{n}}} \\ \\\\ |",
]

#: Keys whose values are identifiers, enums, dates or paths that the schemas validate or
#: that name files: left as they are (a separate test checks model strings and arXiv ids).
SKIP_KEYS = {"id", "claim", "run_id", "status_date", "date", "date_given", "since", "until", "arxiv", "relation",
             "unit", "change", "op", "version", "notebook", "name", "categories", "kind", "origin",
             "fetched_at", "first_seen", "submitted", "reviewed", "schema_version", "fingerprint", "key",
             "rule_version", "samples", "inspect_logs", "seen", "precision", "stance", "verdict"}
#: Fields that carry a payload but that no page shows (yet): checked for scripts, not for text.
NOT_SHOWN = re.compile(r"^(claim\.tags|claim\.literature\.|literature\.candidates\[0\]\.(authors|url|categories)"
                       r"|literature\.anchors\[\d+\]\.note|record\.metrics\[\d+\]\.note"
                       r"|claim\.experiment\.verdict\.log\[\d+\]\.reason"
                       r"|claim\.anchors\[\d+\]\.url"  # a link target, percent-encoded
                       r"|claim\.seed_numbers\[\d+\]\.source"
                       # the verdict section does not list premises yet: drop this line when it does
                       r"|claim\.experiment\.verdict\.premises\[\d+\]\.why)")

#: Every injected field, by number (k * 1000 + number names payload k in that field).
FIELDS: dict[str, int] = {}
#: (payload index, field) pairs a schema refused: an identifier check did its job.
REFUSED: set[tuple[int, str]] = set()


def payload(k: int, f: str) -> str:
    """Payload k as it appears in field f: the number k*1000+FIELDS[f] names both in an alert."""
    return PAYLOADS[k].replace("{n}", str(k * 1000 + FIELDS.setdefault(f, len(FIELDS) + 1)))


def field_name(n: int) -> str:
    names = {v: f for f, v in FIELDS.items()}
    return f"{names.get(n % 1000, '?')}, payload {n // 1000}"


def claim_id(k: int) -> str:
    return f"inject-{k:02d}"


def visible(value: str) -> str:
    """What a reader sees of `value` (whitespace runs as one space; see markdown.shown)."""
    from codegap.book.markdown import shown

    return shown(value)


# --------------------------------------------------------------------------- the corpus


def _leaves(obj, path=()):
    """(path, value) of every string leaf, dict keys included as their own leaves' paths."""
    if isinstance(obj, dict):
        for key, val in obj.items():
            yield from _leaves(val, path + (key,))
    elif isinstance(obj, list):
        for i, val in enumerate(obj):
            yield from _leaves(val, path + (i,))
    elif isinstance(obj, str):
        yield path, obj


def _name(prefix: str, path: tuple) -> str:
    out = prefix
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _set(obj, path: tuple, value) -> None:
    for part in path[:-1]:
        obj = obj[part]
    obj[path[-1]] = value


def _inject_tree(data, prefix: str, k: int, skip=lambda path: False) -> dict[tuple, str]:
    """Put payload k into every free-text string leaf of `data`; returns {path: original}."""
    replaced = {}
    for path, value in list(_leaves(data)):
        keys = [p for p in path if isinstance(p, str)]
        if (keys and keys[-1] in SKIP_KEYS) or skip(path):
            continue
        new = payload(k, _name(prefix, path))
        if keys and keys[-1] == "url":  # must stay an http(s) URL: the payload goes into its path
            new = "https://example.org/" + re.sub(r"\s", "", new)
        _set(data, path, new)
        replaced[path] = value
    return replaced


def _fit(data, replaced: dict[tuple, str], validate, prefix: str, k: int) -> None:
    """Validate; put back the original value of every field a schema refuses (noting it)."""
    for _ in range(50):
        locs = validate(data)
        if not locs:
            return
        for loc in locs:
            obj, path = data, ()
            for part in loc:  # pydantic adds union tags and validator names to the path
                if isinstance(obj, (dict, list)) and (part in obj if isinstance(obj, dict)
                                                      else isinstance(part, int) and part < len(obj)):
                    obj, path = obj[part], path + (part,)
            hit = [p for p in replaced if p[:len(path)] == path]
            if not hit:
                raise AssertionError(f"{prefix}: validation error at {loc} not caused by a payload")
            for p in hit:
                _set(data, p, replaced.pop(p))
                REFUSED.add((k, _name(prefix, p)))
    raise AssertionError(f"{prefix}: still invalid after reverting refused fields")


def _errors(model):
    from pydantic import ValidationError

    def validate(data):
        try:
            model.model_validate(data)
        except ValidationError as err:
            return [e["loc"] for e in err.errors()]
        return []
    return validate


def _template(root: Path) -> tuple[dict, dict]:
    """The claim with a live check and its newest record, as the templates for every injection claim."""
    for path in sorted((root / "claims").glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_loader())
        records = sorted((root / "results" / "records" / data["id"]).glob("*.json"))
        if "notebook" in data.get("experiment", {}) and records:
            return _augment(data, root), json.loads(records[-1].read_text(encoding="utf-8"))
    raise AssertionError("no claim with a live check and a record to copy")


def _augment(claim: dict, root: Path) -> dict:
    """The template claim plus the kinds of field it lacks: a citation anchor, a web anchor and
    a seed number (each kept only if the current schema accepts the claim with it)."""
    from pydantic import ValidationError

    from codegap.claims import Claim

    base = {k: v for k, v in claim["anchors"][0].items() if k not in ("arxiv", "url", "citation", "numbers",
                                                                       "authors", "authors_from")}
    seeds = [dict(seed) for path in sorted((root / "claims").glob("*.yaml"))
             for seed in yaml.load(path.read_text(encoding="utf-8"), Loader=_loader()).get("seed_numbers") or []]
    additions = [("anchors", {**base, "citation": "A citation", "date": "2024"}),
                 ("anchors", {**base, "url": "https://example.org/page", "date": "2024"})]
    additions += [("seed_numbers", {k: v for k, v in seeds[0].items() if k != "compare_to"})] if seeds else []
    for key, item in additions:
        trial = copy.deepcopy(claim)
        trial.setdefault(key, []).append(item)
        try:
            Claim.model_validate(trial)
        except ValidationError:
            continue
        claim = trial
    return claim


def _loader():
    from codegap.claims import _Loader  # dates as strings, as the ledger reads them

    return _Loader


def _notebook(k: int) -> nbformat.NotebookNode:
    from codegap.book.markdown import text

    p = functools.partial(payload, k)
    nb = nbformat.v4.new_notebook()
    with pd.option_context("display.max_colwidth", None):
        table = pd.DataFrame({"instance": [1], "reply": [p("notebook.samples_table")]}).to_html()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Injected run\n\nWritten by tests/test_injection.py."),
        nbformat.v4.new_code_cell(f"# Parameters\nmodel = {p('notebook.parameters_cell')!r}\n",
                                  metadata={"tags": ["injected-parameters"]}),
        nbformat.v4.new_code_cell("print(reply)", outputs=[
            nbformat.v4.new_output("stream", name="stdout", text=p("notebook.stream_output") + "\n")]),
        nbformat.v4.new_code_cell("reply", outputs=[nbformat.v4.new_output(
            "execute_result", data={"text/plain": repr(p("notebook.text_plain_result"))}, execution_count=1)]),
        nbformat.v4.new_code_cell("samples", outputs=[
            nbformat.v4.new_output("display_data", data={"text/html": table, "text/plain": "table"})]),
        nbformat.v4.new_code_cell("display(Markdown(...))", outputs=[nbformat.v4.new_output("display_data", data={
            "text/markdown": "**Reply:** " + text(p("notebook.markdown_output")), "text/plain": "md"})]),
    ]
    return nb


def _claim_and_record(root: Path, k: int, claim_t: dict, record_t: dict) -> None:
    from codegap.claims import Claim
    from codegap.results import RunRecord, model_slug

    claim = copy.deepcopy(claim_t)
    claim["id"] = claim_id(k)
    claim.setdefault("provenance_notes", []).append("x")
    claim["tags"] = ["x"]
    def refs(path: tuple) -> bool:  # a seed number points at an anchor number; a rule at a metric
        return "compare_to" in path or (path[:2] == ("experiment", "verdict") and path[-1] == "metric")

    def same_model(path: tuple) -> bool:  # provenance.model repeats the record's model string
        return path == ("provenance", "model")

    done = _inject_tree(claim, "claim", k, skip=refs)
    _fit(claim, done, _errors(Claim), "claim", k)
    (root / "claims" / f"{claim_id(k)}.yaml").write_text(
        yaml.safe_dump(claim, sort_keys=False, allow_unicode=True), encoding="utf-8")

    rec = copy.deepcopy(record_t)
    rec.update(claim=claim_id(k), run_id=f"20260101T000000Z-inj{k:03d}", date="2026-01-01T00:00:00Z")
    done = _inject_tree(rec, "record", k, skip=same_model)
    rec["provenance"]["model"] = rec["model"]
    _fit(rec, done, _errors(RunRecord), "record", k)
    nb_rel = Path("results/notebooks") / claim_id(k) / model_slug(rec["model"]) / f"{rec['run_id']}.ipynb"
    (root / nb_rel).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(_notebook(k), root / nb_rel)
    rec["notebook"] = str(nb_rel)
    out = root / "results" / "records" / claim_id(k) / f"{rec['run_id']}__{model_slug(rec['model'])}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rec, indent=2, ensure_ascii=False), encoding="utf-8")


def _literature(root: Path, ks: list[int]) -> None:
    """Injection entries in the snapshot, copied from a real entry so they follow its current format."""
    from fetch.snapshot import SNAPSHOT_PATH, Snapshot
    from fetch.triage import record_review

    path = root / SNAPSHOT_PATH
    data = json.loads(path.read_text(encoding="utf-8"))
    template = next(e for e in data["claims"].values() if e["candidates"])
    reviews = root / "literature" / "reviews.yaml"
    for k in ks:
        entry = copy.deepcopy(template)
        cand = entry["candidates"][0]
        entry["candidates"] = [cand, {**cand, "arxiv_id": f"2506.{k:05d}", "title": "A reviewed candidate",
                                      "url": f"https://arxiv.org/abs/2506.{k:05d}"}]
        entry["seen"] = {}
        for anchor in entry.get("anchors") or []:  # the book lists anchors with a citation count
            anchor["citation_count"] = 3
        done = _inject_tree(entry, "literature", k, skip=lambda p: p[:2] == ("candidates", 1))

        def validate(e, k=k):
            trial = {**data, "claims": {**data["claims"], claim_id(k): e}}
            return [loc[2:] for loc in _errors(Snapshot)(trial) if tuple(loc[:2]) == ("claims", claim_id(k))]

        _fit(entry, done, validate, "literature", k)
        data["claims"][claim_id(k)] = entry
        record_review(reviews, claim_id(k), f"2506.{k:05d}", "supports", payload(k, "review.reason"),
                      today=dt.date(2025, 6, 1))
        record_review(reviews, claim_id(k), f"2507.{k:05d}", "qualifies", "Reviewed, not a candidate.",
                      today=dt.date(2025, 6, 1), title=payload(k, "review.title"))
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")


def inject(root: Path, ks: list[int] | None = None) -> list[int]:
    """Write the injection claims, records, notebooks and literature into the copy at `root`."""
    ks = list(range(len(PAYLOADS))) if ks is None else ks
    claim_t, record_t = _template(root)
    for k in ks:
        _claim_and_record(root, k, claim_t, record_t)
    _literature(root, ks)
    return ks


# --------------------------------------------------------------------------- the browser


@dataclass
class Findings:
    """What the browser saw across the site."""

    dialogs: dict[str, list[str]] = field(default_factory=dict)  # page -> alert messages
    injected: dict[str, list[str]] = field(default_factory=dict)  # page -> injected scripts/handlers/links
    foreign: dict[str, list[str]] = field(default_factory=dict)  # page -> requests leaving 127.0.0.1
    text: dict[str, str] = field(default_factory=dict)  # page -> visible text

    def fired(self) -> set[int]:
        """Distinct (payload, field) numbers whose alert() ran."""
        return {int(m) for msgs in self.dialogs.values() for m in msgs if m.isdigit()}

    def summary(self) -> str:
        fired = sorted(self.fired())
        lines = [f"{len(fired)} payload(s) fired: " + ", ".join(
            f"{n} ({field_name(n)})" for n in fired)]
        for name, found in (("injected into the DOM", self.injected), ("requests off this machine", self.foreign)):
            for page, items in sorted(found.items()):
                lines.append(f"{page}: {name}: {sorted(set(items))[:8]}")
        return "\n".join(lines)


# Elements/attributes a payload would leave behind even when nothing fires by itself
# (a javascript: link needs a click, onmouseover a pointer).
_DOM_PROBE = r"""() => {
  const out = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const v = a.value || '';
      if (a.name.startsWith('on') && /alert|evil/.test(v)) out.push(`${el.tagName} ${a.name}=${v}`);
      if (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(a.name)
          && /^\s*javascript:/i.test(v)) out.push(`${el.tagName} ${a.name}=${v}`);
    }
    if (el.tagName === 'SCRIPT' && /alert\s*\(/.test(el.textContent)) out.push('SCRIPT ' + el.textContent);
    if (el.tagName === 'IFRAME') out.push('IFRAME ' + (el.getAttribute('srcdoc') || el.src));
  }
  return out;
}"""


def _leaves_the_machine(url: str) -> bool:
    u = urlparse(url)
    return u.scheme in ("http", "https", "ws", "wss") and u.hostname != "127.0.0.1"


def scan(html_root: Path, pages: list[str], executable: str) -> Findings:
    """Serve `html_root` on 127.0.0.1 and open each page (relative path) in headless Chromium."""
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_QuietHandler, directory=str(html_root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    found = Findings()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=executable, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync"])
            for rel in pages:
                page = browser.new_page()
                dialogs: list[str] = []
                foreign: list[str] = []

                def on_dialog(d, dialogs=dialogs):
                    dialogs.append(d.message)
                    d.dismiss()

                page.on("dialog", on_dialog)
                page.on("request", lambda r, foreign=foreign: foreign.append(r.url)
                        if _leaves_the_machine(r.url) else None)
                # a request that leaves the machine is recorded above and then cut off here: offline,
                # it would otherwise hang until the navigation timeout and hide every other finding
                page.route("**/*", lambda route: route.abort() if _leaves_the_machine(route.request.url)
                           else route.continue_())
                url = f"{base}/{rel}"
                page.goto(url, wait_until="load")
                injected, text = _inspect(page, url)
                found.text[rel] = text
                for store, items in ((found.dialogs, dialogs), (found.injected, injected), (found.foreign, foreign)):
                    if items:
                        store[rel] = list(items)
                page.close()
            browser.close()
    finally:
        httpd.shutdown()
    return found


def _inspect(page, url: str) -> tuple[list[str], str]:
    """Injected DOM items and visible text of the loaded page; a page that navigates itself
    away (a payload did it) is a finding too."""
    for _ in range(3):
        try:
            page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
            page.wait_for_timeout(150)  # handlers of images that fail late, toggled <details>
            injected = page.evaluate(_DOM_PROBE)
            if urlparse(page.url).netloc != urlparse(url).netloc:  # index.html redirects to the intro
                injected.append(f"page navigated itself to {page.url}")
            return injected, page.inner_text("body")
        except Exception as exc:  # noqa: BLE001 - "execution context destroyed" by a navigation
            err = str(exc).splitlines()[0]
            page.wait_for_load_state("load")
    return [f"page kept navigating: {err}"], ""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest output readable
        pass


def site_pages(html_root: Path) -> list[str]:
    """Every page of the built site except Sphinx's search and index pages."""
    skip = {"search.html", "genindex.html"}
    return sorted(str(p.relative_to(html_root)) for p in html_root.rglob("*.html")
                  if p.name not in skip and "_static" not in p.parts)


# --------------------------------------------------------------------------- the tests


@pytest.fixture(scope="module")
def browser_path() -> str:
    b = find_browser()
    if b is None:
        pytest.fail("no Chromium-family browser found; `make browser` installs Debian's chromium")
    print(f"\nbrowser: {b.describe()}")
    return b.path


@pytest.fixture(scope="module")
def injected_site(tmp_path_factory, browser_path) -> tuple[Path, Findings]:
    from codegap.book.assemble import assemble, build_site

    root = copy_repo(REPO, tmp_path_factory.mktemp("inject"))
    inject(root)
    assemble(root)
    res = build_site(root, strict=True, capture=True)
    assert res.returncode == 0, "the build with -W must pass with the payloads in:\n" + (
        res.stdout[-3000:] + res.stderr[-3000:])
    html_root = root / "_build" / "html"
    return root, scan(html_root, site_pages(html_root), browser_path)


@browser_test[0]
@browser_test[1]
def test_no_payload_runs_and_nothing_leaves_the_machine(injected_site):
    _, found = injected_site
    assert len(found.text) >= 2 * len(PAYLOADS), "every claim page and run page was opened"
    assert not (found.dialogs or found.injected or found.foreign), found.summary()


def _run_page(root: Path, k: int) -> str:
    manifest = json.loads((root / "book" / "generated" / "manifest.json").read_text())
    (doc,) = manifest["run_pages"][claim_id(k)].values()
    return "book/generated/" + doc.replace("../", "") + ".html"


@browser_test[0]
@browser_test[1]
def test_every_payload_is_shown_as_text(injected_site):
    root, found = injected_site
    shared = " ".join(visible(found.text[p]) for p in (
        "book/generated/dashboard.html", "book/generated/notebooks.html", "book/methods.html"))
    missing = []
    for k in range(len(PAYLOADS)):
        page = " ".join([visible(found.text[f"book/generated/claims/{claim_id(k)}.html"]),
                         visible(found.text[_run_page(root, k)]), shared])
        for f in sorted(FIELDS):
            if NOT_SHOWN.match(f) or (k, f) in REFUSED:
                continue
            want = payload(k, f)
            if f in ("notebook.parameters_cell", "notebook.text_plain_result"):  # Python shows a repr()
                want = repr(want)
            if f == "notebook.samples_table":  # pandas writes control characters as \\n, \\t
                want = want.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
            if visible(want) not in page:
                missing.append(f"payload {k} in {f}: {visible(want)!r}")
    assert not missing, f"{len(missing)} payload(s) not shown as text:\n" + "\n".join(missing)


@browser_test[0]
@browser_test[1]
def test_claim_titles_reach_the_dashboard_as_text(injected_site):
    _, found = injected_site
    dash = visible(found.text["book/generated/dashboard.html"])
    for k in range(len(PAYLOADS)):
        assert visible(payload(k, "claim.title")) in dash, k


@pytest.mark.parametrize("k", range(len(PAYLOADS)))
def test_model_strings_with_markup_are_refused(k):
    """A model string names result files and page titles: markup never gets that far."""
    from codegap.models.spec import ModelStringError, parse_model

    for model in (f"openai-api/x/{PAYLOADS[k]}", f"openai/{PAYLOADS[k]}".replace(" ", "")):
        with pytest.raises(ModelStringError, match="not allowed|whitespace") as err:
            parse_model(model)
        assert len(str(err.value).splitlines()[0]) < 400  # one line, then the accepted forms


@pytest.mark.parametrize("model", ["openai/gpt-4o", "openai-api/vllm/Qwen/Qwen2.5-Coder-7B-Instruct",
                                   "openai-api/ollama/llama3.1:8b", "hf/meta-llama/Llama-3.1-8B",
                                   "anthropic/claude-sonnet-4-0"])
def test_real_model_strings_pass(model):
    from codegap.models.spec import parse_model

    assert parse_model(model).raw == model


def test_model_slugs_are_file_names_and_distinct():
    from codegap.results import model_slug

    models = [model_string for model_string in (
        "local/qwen2.5-coder-0.5b", "ollama/x:8b", "ollama/x-8b", "a/b--c", "a--b/c", ".hidden/x", "x" * 300,
        *(f"inject/{p}" for p in PAYLOADS))]
    slugs = [model_slug(m) for m in models]
    assert model_slug("local/qwen2.5-coder-0.5b") == "local--qwen2.5-coder-0.5b"  # existing files keep names
    assert len(set(slugs)) == len(slugs)
    for s in slugs:
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,119}", s), s
