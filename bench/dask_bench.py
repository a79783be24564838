#!/usr/bin/python3
"""Scale-out benchmark: librfm.dask.score() on a generated transaction set
against one Context, on a LocalCluster(n_workers=2) of worker processes.

    LIBRFM_PATH=out PYTHONPATH=bindings/python /usr/bin/python3 bench/dask_bench.py \
        [--rows 5000000] [--customers 1000000] [--parts 1,2,3,7] [--methods quantile,ntile]

For each method and input partition count it prints the wall time of the
whole run and of its phases (route: pre-aggregate, cut by hash and merge
per owner; cutoffs: the exact rounds; score: local scoring and collecting
the rows), the cutoff rounds, the bytes of the pre-aggregated pieces moved
to the owners per transaction, and whether the result equals the single
context bit for bit (it must). It also prints the memory one context takes
per million customers. Fixed seed: the same data on every run.
"""
import argparse
import os
import resource
import sys
import time

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bindings",
                                "python"))
import librfm  # noqa: E402
import librfm.dask as rfm_dask  # noqa: E402


def generate(rows, customers, seed=20240601):
    """Every customer once, the other rows by a power-law popularity; two
    years of timestamps; cents with 3% returns. u64 keys."""
    rng = np.random.default_rng(seed)
    perm = rng.permutation(customers).astype(np.uint64)
    pop = (customers * rng.random(rows - customers) ** 2.5).astype(np.int64)
    cust = np.concatenate([np.arange(customers, dtype=np.uint64), perm[pop]])
    ts = 1640995200 + rng.integers(0, 730 * 86400, rows)
    cents = rng.integers(50, 5050, rows)
    returns = rng.random(rows) < 0.03
    cents[returns] = -cents[returns]
    order = rng.permutation(rows)  # rows in no particular order
    return pd.DataFrame({"customer": 1_000_000_000 + cust[order], "ts": ts[order],
                         "cents": cents[order]})


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def context_mb_per_million(customers=1_000_000, chunk=100_000):
    """Resident growth of a fresh process' one context of `customers`
    customers (three purchases each), ingested in small chunks so that
    freed temporaries cannot hide the context's own memory."""
    import subprocess
    code = """
import os, sys, numpy as np, librfm
def rss():
    return int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
n, chunk = %d, %d
ctx = librfm.Context()
before = rss()
for rep in range(3):
    for lo in range(0, n, chunk):
        k = np.arange(lo, min(n, lo + chunk), dtype=np.uint64)
        ctx.ingest(k, 1640995200 + 86400 * ((k + rep * 97) %% 700).astype(np.int64),
                   np.full(len(k), 1234), amount_minor=True)
ctx.compute()
print((rss() - before) / 2 ** 20 * 1e6 / n)
""" % (customers, chunk)
    env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                   "..", "bindings", "python"))
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, env=env)
    return float(out.stdout.strip())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--parts", default="1,2,3,7")
    ap.add_argument("--methods", default="quantile,ntile")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    import dask.dataframe as dd
    import distributed

    t = time.perf_counter()
    df = generate(args.rows, args.customers)
    print("generated %d transactions, %d customers in %.1f s"
          % (len(df), args.customers, time.perf_counter() - t))
    cols = dict(customer="customer", date="ts", amount="cents", amount_minor=True)

    print("one context, u64 keys, after compute: %.0f MB per million customers"
          % context_mb_per_million())
    ctx = librfm.Context()
    ctx.ingest_frame(df, **cols)
    singles = {}
    for method in args.methods.split(","):
        t = time.perf_counter()
        ctx.set_param("method", {"quantile": 0, "ntile": 1}[method])
        singles[method] = ctx.compute().customers()
        print("single context %-8s compute + rows: %.1f s" % (method, time.perf_counter() - t))
    ctx.close()

    cluster = distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                       processes=True, dashboard_address=None)
    client = distributed.Client(cluster)
    print("\n%-8s %5s %8s %7s %8s %7s %6s %6s %9s %s" % (
        "method", "parts", "total_s", "route_s", "cutoff_s", "score_s", "q_rnd", "n_rnd",
        "bytes/tx", "equal"))
    for method in args.methods.split(","):
        want = singles[method]
        for parts in [int(p) for p in args.parts.split(",")]:
            ddf = dd.from_pandas(df, npartitions=parts, sort=False).persist()
            distributed.wait(ddf)
            t = time.perf_counter()
            res, st = rfm_dask.score(ddf, method=method, client=client, return_stats=True, **cols)
            got = res.compute()
            total = time.perf_counter() - t
            got = got.sort_values("customer_id").reset_index(drop=True)
            equal = len(got) == len(want) and all(
                np.array_equal(got[c].to_numpy(), want[c].to_numpy())
                for c in ["customer_id", "recency_days", "frequency", "monetary_minor", "r", "f",
                          "m", "segment"])
            print("%-8s %5d %8.1f %7.1f %8.2f %7.1f %6d %6d %9.2f %s" % (
                method, parts, total, st["seconds_route"], st["seconds_cutoffs"],
                total - st["seconds_route"] - st["seconds_cutoffs"], st["quantile_rounds"],
                st["ntile_rounds"], st["bytes_shuffled"] / len(df), "yes" if equal else "NO"))
            sys.stdout.flush()
            del ddf
    client.close()
    cluster.close()
    print("\npeak RSS of this (client) process: %.0f MB"
          % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


if __name__ == "__main__":
    main()
