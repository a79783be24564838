#!/usr/bin/python3
"""Independent reference for `rfm score --nested` (SPEC.md sections 2-5, nested scores).

Written from /work/shared/SPEC.md alone, without reading the C library or the CLI.
Input: a CSV with columns customer_id, date (YYYYMMDD), amount (decimal, 2 places at
most) - the layout of examples/data/cdnow.csv; every purchase line is one purchase (no
order column).  Money is exact integer cents (parsed with decimal.Decimal).

Nested scoring (SPEC 4): R over all scored customers with the quantile rule; F with the
quantile rule applied separately within each R level; M within each (R, F) cell.
Quantile rule over a group's sorted values x_1..x_n: c_k = x_(ceil(k*n/B)), k = 1..B-1;
F, M: 1 + #{k : x > c_k}; R: B - #{k : r > c_k}.  Segments: the default preset (SPEC 5,
R x F grid) on scores mapped to ceil(5*s/B) when B != 5.

Prints what `rfm score` prints on stdout: the header
customer_id,recency_days,frequency,monetary,r,f,m,segment and one row per scored
customer sorted by the bytes of customer_id, monetary with 2 decimals.
"""
import argparse
import datetime
import sys
from decimal import Decimal

import numpy as np
import pandas as pd

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


def cutoffs(values, bins):
    x = np.sort(np.asarray(values, dtype=np.int64))
    n = len(x)
    return np.array([x[-(-k * n // bins) - 1] for k in range(1, bins)], dtype=np.int64)


def scores(values, bins, recency):
    """Quantile scores of one group (a pandas Series), same index."""
    c = cutoffs(values.to_numpy(), bins)
    above = np.searchsorted(c, values.to_numpy(), side="left")   # #{k : x > c_k}
    s = bins - above if recency else 1 + above
    return pd.Series(s, index=values.index)


def segment(r, f, bins_r, bins_f):
    r5 = -(-5 * r // bins_r)
    f5 = -(-5 * f // bins_f)
    for name, (rl, rh), (fl, fh) in DEFAULT_PRESET:
        if rl <= r5 <= rh and fl <= f5 <= fh:
            return name
    return "Others"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--as-of", required=True, help="YYYY-MM-DD")
    ap.add_argument("--bins", default="5", help="N or R,F,M")
    ap.add_argument("input")
    a = ap.parse_args()
    b = [int(x) for x in a.bins.split(",")]
    if len(b) == 1:
        b = b * 3
    as_of = (datetime.date.fromisoformat(a.as_of) - datetime.date(1970, 1, 1)).days

    df = pd.read_csv(a.input, dtype=str, keep_default_na=False)
    df["customer_id"] = df["customer_id"].str.strip()
    df["cents"] = [int(Decimal(v.strip()) * 100) for v in df["amount"]]
    df["day"] = [(datetime.date(int(d[:4]), int(d[4:6]), int(d[6:8]))
                  - datetime.date(1970, 1, 1)).days for d in df["date"].str.strip()]
    buys = df[df["cents"] >= 0]
    cust = pd.DataFrame({
        "frequency": buys.groupby("customer_id").size(),
        "last_day": buys.groupby("customer_id")["day"].max(),
    })
    cust["monetary"] = df.groupby("customer_id")["cents"].sum()
    cust = cust[cust["frequency"] >= 1].copy()
    cust["recency_days"] = as_of - cust["last_day"]
    if (cust["recency_days"] < 0).any():
        sys.exit("as-of date before the latest purchase")

    cust["r"] = scores(cust["recency_days"], b[0], True)
    cust["f"] = cust.groupby("r", group_keys=False)["frequency"].apply(
        lambda g: scores(g, b[1], False))
    cust["m"] = cust.groupby(["r", "f"], group_keys=False)["monetary"].apply(
        lambda g: scores(g, b[2], False))
    cust["segment"] = [segment(r, f, b[0], b[1]) for r, f in zip(cust["r"], cust["f"])]

    ids = sorted(cust.index, key=lambda s: s.encode("utf-8"))
    out = sys.stdout
    out.write("customer_id,recency_days,frequency,monetary,r,f,m,segment\n")
    for cid in ids:
        row = cust.loc[cid]
        m = int(row["monetary"])
        money = ("-" if m < 0 else "") + f"{abs(m) // 100}.{abs(m) % 100:02d}"
        out.write(f"{cid},{int(row['recency_days'])},{int(row['frequency'])},{money},"
                  f"{int(row['r'])},{int(row['f'])},{int(row['m'])},{row['segment']}\n")


if __name__ == "__main__":
    main()
