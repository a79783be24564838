#!/usr/bin/python3
"""Independent reference implementation of RFM scoring (SPEC.md sections 1-6).

Written from /work/shared/SPEC.md alone, without looking at the C library, so that the
library can be tested against it.  All money is kept in integer cents (never float); the
only floats are the report ratios/medians, which are computed from exact integers with a
single correctly rounded division each.

Input: CSV with columns customer_id,date(YYYYMMDD),quantity,amount (no purchase key, so
every line is its own purchase).  quantity is not used by the spec's aggregates.
"""
import argparse
import csv
import datetime
import sys
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

SCALE = 2                      # money scale: amounts are cents
EPOCH = datetime.date(1970, 1, 1)
INT64_MAX = 2**63 - 1

# Default preset (SPEC 5), in table order: (name, R range, F range).
DEFAULT_PRESET = [
    ("Champions", (5, 5), (4, 5)),
    ("Loyal Customers", (3, 4), (4, 5)),
    ("Potential Loyalists", (4, 5), (2, 3)),
    ("Recent Customers", (5, 5), (1, 1)),
    ("Promising", (4, 4), (1, 1)),
    ("Need Attention", (3, 3), (3, 3)),
    ("About to Sleep", (3, 3), (1, 2)),
    ("At Risk", (1, 2), (3, 4)),
    ("Can't Lose", (1, 2), (5, 5)),
    ("Hibernating", (1, 2), (1, 2)),
]
OTHERS = "Others"


def parse_day(s):
    """YYYYMMDD or YYYY-MM-DD -> days since 1970-01-01 (date at 00:00 UTC)."""
    s = s.strip().replace("-", "")
    if len(s) != 8 or not s.isdigit():
        raise ValueError(f"bad date {s!r}")
    d = datetime.date(int(s[:4]), int(s[4:6]), int(s[6:]))
    if not 1900 <= d.year <= 2200:
        raise ValueError(f"date out of range {s!r}")
    return (d - EPOCH).days


def parse_cents(s):
    """Decimal string -> exact integer minor units; more than SCALE decimals is an error
    rather than a silent rounding, because the spec's sums are exact."""
    try:
        d = Decimal(s.strip())
    except InvalidOperation:
        raise ValueError(f"bad amount {s!r}")
    if not d.is_finite():
        raise ValueError(f"bad amount {s!r}")
    v = d.scaleb(SCALE)
    if v != v.to_integral_value():
        raise ValueError(f"amount {s!r} has more than {SCALE} decimals")
    return int(v)


def load(path):
    # csv module (not pandas.read_csv) so ids stay exact strings and bad rows keep their
    # line number; surrogateescape round-trips arbitrary bytes back for bytewise keys.
    ids, days, cents, skipped_empty = [], [], [], 0
    with open(path, newline="", encoding="utf-8", errors="surrogateescape") as f:
        rd = csv.DictReader(f)
        for row in rd:
            cid = (row["customer_id"] or "").strip(" \t")
            if cid == "":
                skipped_empty += 1
                continue
            try:
                day, amt = parse_day(row["date"]), parse_cents(row["amount"])
            except (ValueError, TypeError) as e:
                print(f"line {rd.line_num}: skipped: {e}", file=sys.stderr)
                continue
            ids.append(cid); days.append(day); cents.append(amt)
    if skipped_empty:
        print(f"{skipped_empty} rows with empty customer id skipped", file=sys.stderr)
    # Bound the worst-case sum so int64 groupby sums provably cannot wrap.
    if sum(abs(c) for c in cents) > INT64_MAX:
        sys.exit("amount sums may overflow int64")
    return pd.DataFrame({"customer_id": pd.Series(ids, dtype=object),
                         "day": pd.Series(days, dtype="int64"),
                         "cents": pd.Series(cents, dtype="int64")})


def aggregate(tx, as_of_day):
    """Per-customer frequency / monetary / recency for scored customers (frequency >= 1)."""
    purch = tx[tx["cents"] >= 0]      # amount 0 is a purchase line, only < 0 is a return
    if len(purch) and as_of_day < purch["day"].max():
        d = EPOCH + datetime.timedelta(days=int(purch["day"].max()))
        sys.exit(f"as-of date is earlier than the latest purchase day {d.isoformat()}")
    g = purch.groupby("customer_id", sort=False)
    cust = pd.DataFrame({"frequency": g.size(), "last_day": g["day"].max()})
    cust["monetary_cents"] = tx.groupby("customer_id", sort=False)["cents"].sum()
    cust["recency_days"] = as_of_day - cust["last_day"]
    cust = cust.reset_index()
    cust["key"] = [c.encode("utf-8", "surrogateescape") for c in cust["customer_id"]]
    unscored = tx["customer_id"].nunique() - len(cust)
    if unscored:
        print(f"{unscored} unscored customers (returns only)", file=sys.stderr)
    return cust.sort_values("key", kind="mergesort").reset_index(drop=True)


def ceil_div(a, b):
    return -(-a // b)


def quantile_cutoffs(values, B):
    """c_k = x_(ceil(k*n/B)), 1-based order statistic, k = 1..B-1."""
    xs = sorted(int(v) for v in values)
    n = len(xs)
    return [xs[ceil_div(k * n, B) - 1] for k in range(1, B)] if n else []


def quantile_cutoffs_ecdf(values, B):
    """Second formulation, for cross-checking: c_k is the smallest value v whose
    empirical count #{x <= v} reaches k*n/B (compared in integers: count*B >= k*n).
    Built from pandas value_counts + cumsum rather than indexing a sorted list."""
    n = len(values)
    if n == 0:
        return []
    counts = pd.Series(values).value_counts().sort_index().cumsum()
    vals, cum = counts.index.to_numpy(), counts.to_numpy()
    return [int(vals[np.argmax(cum * B >= k * n)]) for k in range(1, B)]


def quantile_scores(values, cuts, B, higher_is_better):
    above = [sum(1 for c in cuts if x > c) for x in values]
    # Cross-check: #{k: x > c_k} equals searchsorted(side='left') on ascending cutoffs.
    alt = np.searchsorted(np.asarray(cuts), np.asarray(values), side="left")
    assert list(alt) == above, "score count mismatch"
    return [1 + a if higher_is_better else B - a for a in above]


def ntile(cust, col, B, descending):
    """SQL NTILE(B) over (col asc|desc, key asc). Returns (scores, last value per group)."""
    order = sorted(range(len(cust)), key=lambda i: (
        -int(cust[col].iat[i]) if descending else int(cust[col].iat[i]), cust["key"].iat[i]))
    n = len(order)
    q, r = divmod(n, B)
    scores = [0] * n
    for pos, i in enumerate(order):
        # the first r groups hold q+1, the rest hold q
        scores[i] = pos // (q + 1) + 1 if pos < r * (q + 1) else r + (pos - r * (q + 1)) // q + 1
    lasts, end = [], 0
    for k in range(1, B):
        end += q + 1 if k <= r else q
        lasts.append(int(cust[col].iat[order[end - 1]]) if end >= 1 else None)
    return scores, lasts


def segment(r, f, B):
    if B != 5:                      # presets are written for 5 levels
        r, f = ceil_div(5 * r, B), ceil_div(5 * f, B)
    for name, (r0, r1), (f0, f1) in DEFAULT_PRESET:
        if r0 <= r <= r1 and f0 <= f <= f1:
            return name
    return OTHERS


def median(xs):
    """Usual median of ints; the even case is one correctly rounded division."""
    xs = sorted(xs)
    n = len(xs)
    return float(xs[n // 2]) if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def fmt(x):
    return "" if x is None else format(x, ".17g")


def summary_rows(cust):
    n = len(cust)
    names = [s[0] for s in DEFAULT_PRESET]
    if (cust["segment"] == OTHERS).any():
        names.append(OTHERS)
    for name in names:
        s = cust[cust["segment"] == name]
        c = len(s)
        freq = [int(v) for v in s["frequency"]]
        mon = [int(v) for v in s["monetary_cents"]]
        rec = [int(v) for v in s["recency_days"]]
        p, m = sum(freq), sum(mon)      # Python ints: exact
        yield [name, c, fmt(c / n if n else None), p, m,
               fmt(m / c if c else None), fmt(m / p if p else None),
               fmt(median(rec) if c else None), fmt(median(freq) if c else None),
               fmt(median(mon) if c else None)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", required=True)
    ap.add_argument("--as-of", required=True, help="YYYY-MM-DD")
    ap.add_argument("--method", choices=["quantile", "ntile"], default="quantile")
    ap.add_argument("--bins", type=int, default=5)
    ap.add_argument("--out-customers", required=True)
    ap.add_argument("--out-summary", required=True)
    ap.add_argument("--out-cutoffs")
    a = ap.parse_args()
    B = a.bins
    if not 2 <= B <= 100:
        sys.exit("--bins must be in 2..100")

    cust = aggregate(load(a.input), parse_day(a.as_of))
    # dim -> (column, higher value is better?)
    dims = {"R": ("recency_days", False), "F": ("frequency", True), "M": ("monetary_cents", True)}
    cutoffs = {}
    for dim, (col, higher) in dims.items():
        vals = [int(v) for v in cust[col]]
        if a.method == "quantile":
            cuts = quantile_cutoffs(vals, B)
            alt = quantile_cutoffs_ecdf(vals, B)
            assert cuts == alt, f"{dim} cutoffs disagree: {cuts} vs {alt}"
            scores = quantile_scores(vals, cuts, B, higher)
        else:
            # R is ordered by recency desc: the stalest customers get score 1.
            scores, cuts = ntile(cust, col, B, descending=not higher)
        cust[dim.lower()] = scores
        cutoffs[dim] = cuts
    cust["segment"] = [segment(r, f, B) for r, f in zip(cust["r"], cust["f"])]

    with open(a.out_customers, "w", newline="", encoding="utf-8", errors="surrogateescape") as f:
        w = csv.writer(f, lineterminator="\n")
        cols = ["customer_id", "recency_days", "frequency", "monetary_cents", "r", "f", "m", "segment"]
        w.writerow(cols)
        w.writerows(cust[cols].itertuples(index=False, name=None))
    with open(a.out_summary, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["segment", "customers", "share", "purchases", "monetary_cents",
                    "avg_monetary_cents", "aov_cents", "median_recency", "median_frequency",
                    "median_monetary_cents"])
        w.writerows(summary_rows(cust))
    if a.out_cutoffs:
        with open(a.out_cutoffs, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["dim", "k", "cutoff"])
            for dim, cuts in cutoffs.items():
                w.writerows([dim, k, c] for k, c in enumerate(cuts, 1))
    print(f"{len(cust)} scored customers", file=sys.stderr)


if __name__ == "__main__":
    main()
