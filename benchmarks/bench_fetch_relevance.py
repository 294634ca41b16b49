"""How well the literature fetcher finds the papers a maintainer labelled relevant.

Reads the labelled set `literature/relevance.yaml` and reports, per claim and
overall, recall@20, recall@50 and nDCG@20 (binary relevance) of:

* `new`: the current fetcher (fused lists + dense list, `fetch.pipeline.rank_claim`)
  with the current claims' queries, over the offline mirror;
* `new, base queries` (with `--base-queries`): the current fetcher with the claims'
  literature blocks as they were at `--base` (separates the ranking change from
  the query changes); `new, queries@REF` (with `--queries-at REF`, repeatable): the
  same with the literature blocks at any other git ref;
* `current`: the fetcher as it was at git ref `--base` (its own code, claims and
  options, keeping 50 candidates), run in a subprocess from `git archive`.

"Overall" is the mean over claims (each claim counts once), with the pooled
(micro) figure beside it, the means over two fixed halves of the claims (alternate
claims in alphabetical order: a setting chosen on one half is checked on the
other), and the capped recall@20 (hits in the top 20 / min(20, labelled)), since
a claim with more than 20 labelled papers cannot reach recall@20 = 1. With
`--labels-at REF` the current fetcher is also scored against the labelled set as
it was at REF. Targets (issue 11): overall recall@20 >= 0.6 and every claim >= 0.4. Needs the offline mirror (../shared or $CODEGAP_ARXIV_SNAPSHOT);
embeddings come from the on-disk cache, so a second run is fast.

Run: `.venv/bin/python benchmarks/bench_fetch_relevance.py [--base REF] [--base-queries] [--json OUT]`
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from codegap.claims import Claim, load_claims  # noqa: E402
from fetch.cli import default_mirror_snapshot  # noqa: E402
from fetch.embed import EmbeddingStore  # noqa: E402
from fetch.mirror import MirrorBackend, open_mirror  # noqa: E402
from fetch.pipeline import FetchOptions, rank_claim  # noqa: E402

BASE = "e612a89"  # the fetcher before issue 11 (query-and-BM25 shortlist, log-BM25 + cosine)
KS = (20, 50)


def load_relevance(path: Path = REPO / "literature" / "relevance.yaml", claims: list[Claim] | None = None,
                   report: bool = False, text: str | None = None) -> dict[str, set[str]]:
    """Labelled papers per claim, less any that the claim now lists as its own anchor (the claims
    may have changed after labelling; an anchor is never a candidate). `text`: the file's content
    (e.g. from `git show`) instead of `path`."""
    data = yaml.safe_load(text if text is not None else path.read_text(encoding="utf-8"))
    rel = {cid: {str(p["arxiv"]) for p in papers} for cid, papers in data["claims"].items()}
    if claims is None:
        return rel
    for c in claims:
        own = {a.arxiv_base for a in c.anchors if a.arxiv_base}
        dropped = sorted(rel.get(c.id, set()) & own)
        if dropped and report:
            print(f"note: {c.id}: labelled paper(s) {', '.join(dropped)} are now anchors of the claim; not counted")
        rel[c.id] = rel.get(c.id, set()) - own
    return rel


def recall(ranked: list[str], rel: set[str], k: int) -> float:
    return len(set(ranked[:k]) & rel) / len(rel) if rel else float("nan")


def ndcg(ranked: list[str], rel: set[str], k: int = 20) -> float:
    dcg = sum(1.0 / math.log2(i + 2) for i, a in enumerate(ranked[:k]) if a in rel)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(rel), k)))
    return dcg / ideal if ideal else float("nan")


def new_rankings(claims: list[Claim], today: dt.date) -> dict[str, list[str]]:
    """Full fused order of every claim's pool with the current fetcher."""
    mirror = open_mirror(default_mirror_snapshot(REPO))
    backend, store = MirrorBackend(mirror), EmbeddingStore()
    out = {}
    for c in claims:
        ranked = rank_claim(c, backend, start=c.literature.since, today=today, store=store,
                            opts=FetchOptions(today=today))
        out[c.id] = [f.arxiv_id for f, *_ in ranked.candidates]
    return out


def _git(*args: str, cwd: Path = REPO) -> bytes:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True).stdout


def base_claims(ref: str) -> list[Claim]:
    """Today's claims with the `literature` blocks they had at `ref` (older records may not
    validate against today's schema, so only the queries, categories and since-date are taken)."""
    out = []
    for c in load_claims(REPO / "claims"):
        try:
            old = yaml.safe_load(_git("show", f"{ref}:claims/{c.id}.yaml"))
        except subprocess.CalledProcessError:
            out.append(c)
            continue
        lit = c.literature.model_copy(update={k: old["literature"][k] for k in ("queries", "categories", "since")})
        out.append(c.model_copy(update={"literature": type(c.literature).model_validate(lit.model_dump())}))
    return out


OLD_RUNNER = """
import sys, json
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from fetch.cli import do_fetch
root = Path(sys.argv[2])
do_fetch(root, top=50, mirror_path=Path(sys.argv[3]), cache_dir=None)
snap = json.loads((root / "literature" / "snapshot.json").read_text())
print(json.dumps({c: [x["arxiv_id"] for x in e["candidates"]] for c, e in snap["claims"].items()}))
"""


def old_rankings(ref: str, tmp: Path) -> dict[str, list[str]]:
    """Top 50 per claim of the fetcher at `ref`, with its own code and claims."""
    pkg, root = tmp / "oldpkg", tmp / "oldrepo"
    pkg.mkdir()
    (root / "claims").mkdir(parents=True)
    archive = _git("archive", ref, "fetch", "codegap/__init__.py", "codegap/claims.py")  # its own schema
    subprocess.run(["tar", "-x", "-C", str(pkg)], input=archive, check=True)
    for name in _git("ls-tree", "--name-only", f"{ref}:claims").decode().split():
        (root / "claims" / name).write_bytes(_git("show", f"{ref}:claims/{name}"))
    res = subprocess.run([sys.executable, "-c", OLD_RUNNER, str(pkg), str(root), str(default_mirror_snapshot(REPO))],
                         capture_output=True, text=True, cwd=tmp)
    if res.returncode != 0:
        raise SystemExit(f"the fetcher at {ref} failed:\n{res.stderr[-2000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def scores(rankings: dict[str, list[str]], rel: dict[str, set[str]]) -> dict[str, dict[str, float]]:
    out = {}
    for cid, r in rel.items():
        ranked = rankings.get(cid, [])
        out[cid] = {"r20": recall(ranked, r, 20), "r50": recall(ranked, r, 50), "ndcg20": ndcg(ranked, r),
                    "hits20": len(set(ranked[:20]) & r), "n": len(r)}
    return out


def halves(claim_ids) -> tuple[list[str], list[str]]:
    """Two fixed halves of the claims: alternate ids in alphabetical order."""
    ids = sorted(claim_ids)
    return ids[0::2], ids[1::2]


def overall(s: dict[str, dict[str, float]]) -> dict[str, float]:
    vals = list(s.values())
    n = sum(v["n"] for v in vals)
    a, b = halves(s)
    mean = lambda ids, key: sum(s[c][key] for c in ids) / len(ids) if ids else float("nan")  # noqa: E731
    return {"r20": sum(v["r20"] for v in vals) / len(vals), "r50": sum(v["r50"] for v in vals) / len(vals),
            "ndcg20": sum(v["ndcg20"] for v in vals) / len(vals),
            "micro_r20": sum(v["hits20"] for v in vals) / n if n else float("nan"),
            "r20_half_a": mean(a, "r20"), "r20_half_b": mean(b, "r20"),
            "capped_r20": sum(v["hits20"] / min(20, v["n"]) for v in vals) / len(vals)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", default=BASE, help="git ref of the fetcher to compare with")
    ap.add_argument("--base-queries", action="store_true", help="also rank with the base ref's claim queries")
    ap.add_argument("--queries-at", action="append", default=[], metavar="REF",
                    help="also rank with the claims' literature blocks at this git ref (repeatable)")
    ap.add_argument("--labels-at", metavar="REF", help="also score the current fetcher against the labels at REF")
    ap.add_argument("--no-old", action="store_true", help="skip running the fetcher at --base")
    ap.add_argument("--json", type=Path, help="write all figures to this file")
    args = ap.parse_args()
    rel = load_relevance(claims=load_claims(REPO / "claims"), report=True)
    today = dt.datetime.now(dt.timezone.utc).date()
    runs: dict[str, dict[str, dict[str, float]]] = {}
    t0 = time.perf_counter()
    new_order = new_rankings(load_claims(REPO / "claims"), today)
    runs["new"] = scores(new_order, rel)
    t_new = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        if args.base_queries:
            runs["new, base queries"] = scores(new_rankings(base_claims(args.base), today), rel)
        for ref in args.queries_at:
            runs[f"new, queries@{ref}"] = scores(new_rankings(base_claims(ref), today), rel)
        if not args.no_old:
            runs["current"] = scores(old_rankings(args.base, Path(tmp)), rel)
    names = list(runs)
    head = "| claim | labelled | " + " | ".join(f"{n}: R@20 / R@50 / nDCG@20" for n in names) + " |"
    print(head)
    print("|" + "---|" * (2 + len(names)))
    for cid in sorted(rel):
        cells = [f"{runs[n][cid]['r20']:.2f} / {runs[n][cid]['r50']:.2f} / {runs[n][cid]['ndcg20']:.2f}" for n in names]
        print(f"| {cid} | {len(rel[cid])} | " + " | ".join(cells) + " |")
    tot = {n: overall(runs[n]) for n in names}
    print("| **overall (mean of claims)** | " + str(sum(len(r) for r in rel.values())) + " | "
          + " | ".join(f"{tot[n]['r20']:.2f} / {tot[n]['r50']:.2f} / {tot[n]['ndcg20']:.2f}" for n in names) + " |")
    print("| pooled recall@20 | | " + " | ".join(f"{tot[n]['micro_r20']:.2f}" for n in names) + " |")
    print("| capped recall@20 (hits / min(20, labelled)) | | " + " | ".join(f"{tot[n]['capped_r20']:.2f}" for n in names) + " |")
    a, b = halves(rel)
    print("| recall@20, half A / half B | | "
          + " | ".join(f"{tot[n]['r20_half_a']:.2f} / {tot[n]['r20_half_b']:.2f}" for n in names) + " |")
    print(f"\n(half A: {', '.join(a)}; half B: {', '.join(b)})")
    if args.labels_at:
        old = load_relevance(claims=load_claims(REPO / "claims"),
                             text=_git("show", f"{args.labels_at}:literature/relevance.yaml").decode())
        s_old = scores(new_order, old)
        t_old = overall(s_old)
        print(f"\nnew fetcher against the labelled set at {args.labels_at}: recall@20 {t_old['r20']:.2f}, "
              f"recall@50 {t_old['r50']:.2f}, nDCG@20 {t_old['ndcg20']:.2f}; per claim: "
              + ", ".join(f"{c} {v['r20']:.2f}" for c, v in sorted(s_old.items())))
        runs[f"new vs labels@{args.labels_at}"] = s_old
    print(f"\n(new ranking of {len(rel)} claims took {t_new:.1f}s)")
    worst = min(runs["new"].values(), key=lambda v: v["r20"])["r20"]
    ok = tot["new"]["r20"] >= 0.6 and worst >= 0.4
    if "current" in runs:
        print(f"RATIO recall20_new_over_current = {tot['new']['r20'] / max(tot['current']['r20'], 1e-9):.2f}")
    print(f"TARGET overall recall@20 >= 0.6 (got {tot['new']['r20']:.2f}) and every claim >= 0.4 "
          f"(lowest {worst:.2f}): {'met' if ok else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "overall": tot}, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
