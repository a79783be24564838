#!/usr/bin/python3
"""Independent reference for the look-back window (SPEC.md section 3) on CDNOW.

Written from /work/shared/SPEC.md alone, without reading the C library or the CLI.
For each (window W, as-of day A) given, the data are the CDNOW rows dated before A (what
a daily run on day A has seen); of them only the transactions with day >= A - W count,
for every aggregate; a customer without a purchase line in the window is unscored (but
still counted as a customer, since it appears in the data). Scores are the SPEC's
quantile rule with 5 bins and the default R x F preset.

CDNOW has no purchase key, so every purchase line (amount >= 0) is one purchase. Money
is integer cents throughout (parsed with decimal.Decimal, never float).

Outputs (one row per scored customer and (W, A), sorted by W, A, customer_id bytewise):
  --out-customers: window,as_of,customer_id,recency_days,tenure_days,frequency,
                   monetary_cents,r,f,m,segment
  --out-cutoffs:   window,as_of,dim,k,cutoff      (R in days, M in cents)
  --out-counts:    window,as_of,customers,scored
"""
import argparse
import datetime
import math
from decimal import Decimal

import pandas as pd

EPOCH = datetime.date(1970, 1, 1)
BINS = 5
PRESET = [  # SPEC section 5, table order: name, R range, F range
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


def day_of(yyyymmdd):
    s = str(yyyymmdd).replace("-", "")
    return (datetime.date(int(s[:4]), int(s[4:6]), int(s[6:8])) - EPOCH).days


def cents(text):
    return int(Decimal(text) * 100)


def cutoffs(values):
    """c_k = x_(ceil(k*n/B)), k = 1..B-1, over the ascending values (1-based)."""
    x = sorted(values)
    n = len(x)
    return [x[math.ceil(k * n / BINS) - 1] for k in range(1, BINS)]


def segment(r, f):
    for name, (rlo, rhi), (flo, fhi) in PRESET:
        if rlo <= r <= rhi and flo <= f <= fhi:
            return name
    return "Others"


def one(data, window, as_of):
    # the data as known on the as-of day: what happened before it (SPEC 3: an as-of
    # day before the latest purchase is an error, so later rows cannot be there)
    data = data[data["day"] < as_of]
    start = as_of - window
    known = data["customer_id"].drop_duplicates()
    w = data[data["day"] >= start]
    buys = w[w["cents"] >= 0]
    agg = pd.DataFrame({
        "monetary_cents": w.groupby("customer_id")["cents"].sum(),
    })
    agg = agg.join(buys.groupby("customer_id").agg(
        frequency=("cents", "size"), first_day=("day", "min"), last_day=("day", "max")),
        how="left")
    scored = agg[agg["frequency"].fillna(0) > 0].copy()
    scored["frequency"] = scored["frequency"].astype("int64")
    scored["recency_days"] = as_of - scored["last_day"].astype("int64")
    scored["tenure_days"] = as_of - scored["first_day"].astype("int64")
    cut = {
        "R": cutoffs(scored["recency_days"].tolist()),
        "F": cutoffs(scored["frequency"].tolist()),
        "M": cutoffs(scored["monetary_cents"].tolist()),
    }
    # F, M: 1 + #{k : x > c_k}; R: B - #{k : r > c_k}
    scored["r"] = [BINS - sum(v > c for c in cut["R"]) for v in scored["recency_days"]]
    scored["f"] = [1 + sum(v > c for c in cut["F"]) for v in scored["frequency"]]
    scored["m"] = [1 + sum(v > c for c in cut["M"]) for v in scored["monetary_cents"]]
    scored["segment"] = [segment(r, f) for r, f in zip(scored["r"], scored["f"])]
    scored = scored.reset_index()
    scored["key"] = scored["customer_id"].map(lambda s: s.encode("utf-8"))
    scored = scored.sort_values("key")
    scored.insert(0, "as_of", as_of)
    scored.insert(0, "window", window)
    counts = (window, as_of, len(known), len(scored))
    return scored, cut, counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", required=True)
    ap.add_argument("--case", action="append", required=True,
                    help="WINDOW_DAYS:YYYY-MM-DD (as-of date), repeatable")
    ap.add_argument("--out-customers", required=True)
    ap.add_argument("--out-cutoffs", required=True)
    ap.add_argument("--out-counts", required=True)
    a = ap.parse_args()
    data = pd.read_csv(a.input, dtype=str)
    data["customer_id"] = data["customer_id"].str.strip()
    data["day"] = data["date"].map(day_of)
    data["cents"] = data["amount"].map(cents)
    cols = ["window", "as_of", "customer_id", "recency_days", "tenure_days", "frequency",
            "monetary_cents", "r", "f", "m", "segment"]
    frames, cut_rows, count_rows = [], [], []
    for case in a.case:
        window, date = case.split(":")
        scored, cut, counts = one(data, int(window), day_of(date))
        frames.append(scored[cols])
        for dim in "RFM":
            for k, c in enumerate(cut[dim], 1):
                cut_rows.append((int(window), day_of(date), dim, k, int(c)))
        count_rows.append(counts)
    pd.concat(frames).to_csv(a.out_customers, index=False)
    pd.DataFrame(cut_rows, columns=["window", "as_of", "dim", "k", "cutoff"]).to_csv(
        a.out_cutoffs, index=False)
    pd.DataFrame(count_rows, columns=["window", "as_of", "customers", "scored"]).to_csv(
        a.out_counts, index=False)


if __name__ == "__main__":
    main()
