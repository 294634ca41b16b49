"""Sequential stopping versus fixed-n designs of equal error rates, per check, from recorded runs.

For the latest record of every live check on one model (default: the book's default model),
this re-analyses the stored samples (no model calls) and compares what the sequential run
spent with what two fixed-n designs would have spent to reach the same decision at the same
error levels:

- **fixed, planned for the budget**: a fixed design must choose n before seeing data; planned
  to detect the effects the rule can detect within the claim's budget, it runs every time to
  `max_units`. Ratio = units used / max_units.
- **fixed, oracle**: the smallest fixed n that reaches the decision with 80% power *knowing* the
  effect the run observed (normal approximation, per-unit standard deviation from the samples,
  at each deciding condition's error level). No real design knows the effect in advance; this
  is the price of anytime validity, not a saving.

Tokens and wall time scale with units within a check, so their ratios are the units ratio
times the run's own tokens (and seconds) per unit; both are printed. Ends with
`RATIO sequential_vs_<design>[<claim>] = <value>` lines.
"""

from __future__ import annotations

import argparse
import math
import sys

from common import REPO  # noqa: F401  (puts the repository on sys.path)

from scipy import stats as sps

from codegap import experiments
from codegap.claims import load_claims
from codegap.evaluation import evaluate
from codegap.results import iter_records, latest_per_model
from codegap.samples import read
from codegap.verdicts import condition_alpha


def oracle_fixed_n(obs, threshold: float, alpha: float, power: float = 0.8) -> float | None:
    """Fixed n for a two-sided level-alpha interval to exclude `threshold` with `power`."""
    import numpy as np

    x = np.asarray(obs.values, dtype=float) if hasattr(obs, "values") else None
    if x is None or x.size < 2:
        return None
    delta = abs(float(x.mean()) - threshold)
    sd = float(x.std(ddof=1))
    if delta == 0:
        return math.inf
    sd = max(sd, 1e-3)  # a constant sample still has sampling error in a real design
    z = sps.norm.ppf(1 - alpha / 2) + sps.norm.ppf(power)
    return (z * sd / delta) ** 2


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="local/qwen2.5-coder-0.5b")
    args = ap.parse_args()
    claims = {c.id: c for c in load_claims() if c.has_experiment}
    records = iter_records()
    rows = []
    for cid, claim in sorted(claims.items()):
        rec = latest_per_model(records, cid).get(args.model)
        if rec is None or not rec.samples or rec.spent is None:
            print(f"- {cid}: no schema-2 record on {args.model}; skipped")
            continue
        exp = claim.experiment
        header, rows_ = read(rec.resolve(rec.samples))
        check = experiments.get(cid)
        ev = evaluate(check, claim, rows_, header.parameters, at_budget=rec.spent.stop != "decided")
        by_obs = {o.name: o for o in ev.observations}
        deciding = [r for r in ev.decision.reasons if r.state in ("met", "failed")]
        if ev.decision.verdict == "does not hold":
            deciding = [r for r in deciding if r.state == "failed" and not r.premise]
        elif ev.decision.verdict == "premise not met":
            deciding = [r for r in deciding if r.state == "failed" and r.premise]
        ns = []
        for r in deciding:
            cond = next(c for c in [*exp.verdict.premises, *exp.verdict.all] if c.metric == r.metric)
            o = by_obs.get(r.metric)
            n = oracle_fixed_n(o, cond.threshold, condition_alpha(exp.verdict, r.metric)) if o is not None else None
            if n is not None:
                ns.append(n)
        # no design decides on fewer units than the rule's own minimum (min_n), however large the effect
        oracle = max(max(ns), exp.verdict.min_n) if ns and ev.decision.decided else None
        tokens = sum(r.tokens_out for r in rows_)
        units = rec.spent.units
        per_unit_tokens = tokens / units if units else 0
        per_unit_s = (rec.provenance.duration_s or 0) / units if units else 0
        budget = exp.budget.max_units
        print(f"\n{cid} on {rec.tested}: {rec.verdict} after {units} units ({rec.spent.stop}), "
              f"{tokens:,} output tokens, {rec.provenance.duration_s or 0:.0f} s")
        print(f"  fixed, planned for the budget: {budget} units, ~{per_unit_tokens * budget:,.0f} tokens, "
              f"~{per_unit_s * budget:.0f} s")
        if rec.spent.stop != "decided":
            # an undecided run (its budget, or a smaller --max-units, ran out) says nothing about how
            # much a sequential design saves: it would have needed more units than it got
            print(f"  not decided ({rec.spent.stop} at {units} of {budget} units): no ratio")
            continue
        print(f"RATIO sequential_vs_budget[{cid}] = {units / budget:.3f}   (units, tokens and time alike)")
        if oracle is not None and math.isfinite(oracle):
            print(f"  fixed, oracle (knows the effect): {math.ceil(oracle)} units")
            print(f"RATIO sequential_vs_oracle[{cid}] = {units / max(math.ceil(oracle), 1):.3f}   "
                  "(the price of looking after every batch)")
        rows.append((cid, units, budget, oracle))
    if rows:
        total_units = sum(u for _, u, _, _ in rows)
        total_budget = sum(b for _, _, b, _ in rows)
        print(f"\nRATIO sequential_vs_budget[all] = {total_units / total_budget:.3f}   (decided runs only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
