#!/usr/bin/python3
"""Independent reference for segment transitions between two computes (SPEC.md section 6).

Written from /work/shared/SPEC.md alone (sections 1-6), without looking at the C library.
It reuses the loading / aggregation / scoring helpers of rfm_reference.py (same directory),
so the scores of each run are exactly those that script gives for the same transactions.

Two computes over one input file:
  run 1: transactions dated <= --run1-until (inclusive), scored as of --run1-as-of;
  run 2: every transaction of the file, scored as of --run2-as-of.
Each compute keeps every customer's previous segment.  For each customer scored in run 2:
  previous_segment = its run-1 segment, or "new" if it was not scored in run 1;
  segment_since    = run-2 as-of date if segment != previous_segment (or new),
                     else run-1 as-of date (first compute of the current unbroken run).
Customers scored in run 1 but not in run 2 cannot occur here (run 2 sees a superset of the
transactions and uses no look-back window); the script asserts this.
"""
import argparse
import collections
import csv
import datetime
import os
import sys

import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rfm_reference as ref  # noqa: E402

NEW = "new"
COLS = ["customer_id", "recency_days", "frequency", "monetary_cents", "r", "f", "m", "segment"]


def day_str(day):
    return (ref.EPOCH + datetime.timedelta(days=int(day))).isoformat()


def score(tx, as_of_day, B, method):
    """Same steps as rfm_reference.main(): aggregate, score R/F/M, default-preset segment."""
    cust = ref.aggregate(tx, as_of_day)
    dims = {"R": ("recency_days", False), "F": ("frequency", True), "M": ("monetary_cents", True)}
    cutoffs = {}
    for dim, (col, higher) in dims.items():
        vals = [int(v) for v in cust[col]]
        if method == "quantile":
            cuts = ref.quantile_cutoffs(vals, B)
            alt = ref.quantile_cutoffs_ecdf(vals, B)
            assert cuts == alt, f"{dim} cutoffs disagree: {cuts} vs {alt}"
            scores = ref.quantile_scores(vals, cuts, B, higher)
        else:
            scores, cuts = ref.ntile(cust, col, B, descending=not higher)
        cust[dim.lower()] = scores
        cutoffs[dim] = cuts
    cust["segment"] = [ref.segment(r, f, B) for r, f in zip(cust["r"], cust["f"])]
    return cust, cutoffs


def write_customers(path, cust):
    with open(path, "w", newline="", encoding="utf-8", errors="surrogateescape") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLS)
        w.writerows(cust[COLS].itertuples(index=False, name=None))


def write_cutoffs(path, cutoffs):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["dim", "k", "cutoff"])
        for dim, cuts in cutoffs.items():
            w.writerows([dim, k, c] for k, c in enumerate(cuts, 1))


def check_against(path, cust, what):
    """Assert that a per-customer file written by rfm_reference.py equals our rows."""
    with open(path, newline="", encoding="utf-8", errors="surrogateescape") as f:
        theirs = [tuple(r) for r in csv.reader(f)]
    ours = [tuple(COLS)] + [tuple(str(v) for v in t)
                            for t in cust[COLS].itertuples(index=False, name=None)]
    assert theirs == ours, f"{what}: rows differ from {path}"
    print(f"{what}: identical to {path} ({len(ours) - 1} customers)", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", required=True)
    ap.add_argument("--run1-until", required=True, help="last transaction date of run 1, YYYY-MM-DD (inclusive)")
    ap.add_argument("--run1-as-of", required=True, help="YYYY-MM-DD")
    ap.add_argument("--run2-as-of", required=True, help="YYYY-MM-DD")
    ap.add_argument("--method", choices=["quantile", "ntile"], default="quantile")
    ap.add_argument("--bins", type=int, default=5)
    ap.add_argument("--out-matrix", required=True)
    ap.add_argument("--out-customers", required=True)
    ap.add_argument("--out-summary", required=True)
    ap.add_argument("--out-run1-customers", required=True)
    ap.add_argument("--out-run1-cutoffs")
    ap.add_argument("--check-run2-customers",
                    help="per-customer file of rfm_reference.py for run 2; must be identical")
    a = ap.parse_args()
    B = a.bins
    if not 2 <= B <= 100:
        sys.exit("--bins must be in 2..100")
    until, as_of1, as_of2 = (ref.parse_day(s) for s in (a.run1_until, a.run1_as_of, a.run2_as_of))
    if as_of1 > as_of2:
        sys.exit("run 1 as-of date is after run 2 as-of date")

    tx = ref.load(a.input)
    tx1 = tx[tx["day"] <= until].reset_index(drop=True)   # every line (purchase or return)
    c1, cut1 = score(tx1, as_of1, B, a.method)
    c2, _ = score(tx, as_of2, B, a.method)
    print(f"run 1: {len(tx1)} lines, {len(c1)} scored customers; "
          f"run 2: {len(tx)} lines, {len(c2)} scored customers", file=sys.stderr)
    write_customers(a.out_run1_customers, c1)
    if a.out_run1_cutoffs:
        write_cutoffs(a.out_run1_cutoffs, cut1)
    if a.check_run2_customers:
        check_against(a.check_run2_customers, c2, "run 2")

    # --- per-customer transitions (pandas merge) ---
    prev = c1.set_index("customer_id")["segment"]
    missing = set(prev.index) - set(c2["customer_id"])
    assert not missing, f"{len(missing)} customers scored in run 1 but not in run 2"
    t = c2[["customer_id", "key", "segment"]].copy()         # c2 is sorted by key already
    t["previous_segment"] = t["customer_id"].map(prev).fillna(NEW)
    same = t["previous_segment"] == t["segment"]
    t["segment_since"] = [day_str(as_of1) if s else day_str(as_of2) for s in same]
    assert list(t["key"]) == sorted(t["key"]), "not sorted bytewise"

    # Cross-check with a plain dict walk (no pandas) over the two runs.
    p1 = dict(zip(c1["customer_id"], c1["segment"]))
    for cid, seg, ps, since in zip(t["customer_id"], t["segment"], t["previous_segment"],
                                   t["segment_since"]):
        exp_prev = p1.get(cid, NEW)
        exp_since = a.run1_as_of if exp_prev == seg else a.run2_as_of
        assert (ps, since) == (exp_prev, exp_since), cid

    # --- matrix, two ways ---
    names = [s[0] for s in ref.DEFAULT_PRESET]
    if (c1["segment"] == ref.OTHERS).any() or (c2["segment"] == ref.OTHERS).any():
        names.append(ref.OTHERS)
    from_order = names + [NEW]
    ct = pd.crosstab(t["previous_segment"], t["segment"])
    cnt = collections.Counter(zip(t["previous_segment"], t["segment"]))
    rows = []
    for fr in from_order:
        for to in names:
            n = int(ct.at[fr, to]) if fr in ct.index and to in ct.columns else 0
            assert n == cnt.get((fr, to), 0), (fr, to)
            if n:
                rows.append([fr, to, n])
    assert sum(r[2] for r in rows) == len(t) and set(cnt) <= set(
        (fr, to) for fr in from_order for to in names), "unexpected segment name"

    with open(a.out_matrix, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["from", "to", "customers"])
        w.writerows(rows)
    with open(a.out_customers, "w", newline="", encoding="utf-8", errors="surrogateescape") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["customer_id", "previous_segment", "segment", "segment_since"])
        w.writerows(t[["customer_id", "previous_segment", "segment", "segment_since"]]
                    .itertuples(index=False, name=None))
    n1 = c1["segment"].value_counts()
    n2 = c2["segment"].value_counts()
    with open(a.out_summary, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["segment", "customers", "previous_customers", "change"])
        for name in names:
            x, y = int(n2.get(name, 0)), int(n1.get(name, 0))
            # column sums / row sums of the matrix must give the same counts
            assert x == sum(r[2] for r in rows if r[1] == name)
            assert y == sum(r[2] for r in rows if r[0] == name)
            w.writerow([name, x, y, x - y])
    print(f"{int(same.sum())} customers kept their segment, {int((~same).sum())} changed "
          f"(of which {int((t['previous_segment'] == NEW).sum())} new)", file=sys.stderr)


if __name__ == "__main__":
    main()
