"""Exact RFM over a Dask DataFrame: librfm.dask.score().

1. Every input partition is pre-aggregated into a C context on the worker
   that holds it, and cut by the library's partition hash into n_parts
   snapshot pieces (rfm_save_partition_to): only these compact per-customer
   states cross the network, never transactions.
2. Owner j (pinned to one worker) merges piece j of every input partition,
   so owners hold disjoint customers, each customer whole.
3. The coordinator (the client) finds the global as-of day and the exact
   global cutoffs by asking every owner for counts only: quantile cutoffs
   by histogram refinement (each round narrows every cutoff's value interval
   by a factor edges_per_round + 1), ntile boundaries - (value, key)
   positions - by sampling candidates and counting their global ranks (each
   round narrows by about sample_cap). A round is one message to every
   owner, whatever the number of cutoffs.
4. The cutoffs are broadcast and every owner scores its customers locally
   with them; the result is a Dask DataFrame of the owners' rows.

The result equals one context holding every transaction, bit for bit.
"""
import itertools
import time
import uuid

from . import _lib, scaleout
from .context import AS_OF_AUTO, Context, _day
from .errors import RfmError

# Owner contexts of the running scores on this process, by token. A worker
# keeps an owner from its build to its scoring task (pinned to it).
_OWNERS = {}

_DIMS = ("r", "f", "m")


def _config(kw):
    return {k: kw[k] for k in ("money_scale", "frequency_unit", "date_format", "amount_minor")}


def _new_context(cfg):
    return Context(money_scale=cfg["money_scale"], frequency_unit=cfg["frequency_unit"])


def _preaggregate(pdf, columns, n_parts, cfg):
    """Input partition -> n_parts snapshot pieces (bytes)."""
    customer, date, amount, order = columns
    with _new_context(cfg) as ctx:
        if len(pdf):
            ctx.ingest(pdf[customer], pdf[date], pdf[amount],
                       pdf[order] if order is not None else None, cfg["date_format"],
                       cfg["amount_minor"])
        return [ctx.partition_bytes(j, n_parts) for j in range(n_parts)]


def _piece(pieces, j):
    return pieces[j]


def _build_owner(token, cfg, *pieces):
    ctx = _new_context(cfg)
    for blob in pieces:
        with Context.from_bytes(blob) as piece:
            ctx.merge(piece)
    _OWNERS[token] = ctx
    customers, scored, _ = ctx.counts()
    return {"customers": customers, "scored": scored, "latest": ctx.latest_purchase_day(),
            "bytes": sum(len(b) for b in pieces)}


def _ranges(token, as_of):
    ctx = _OWNERS[token]
    return [scaleout.value_range(ctx, d, as_of) for d in _DIMS]


def _count_le(token, as_of, edges):
    ctx = _OWNERS[token]
    return {d: scaleout.count_le(ctx, d, as_of, e) for d, e in edges.items()}


def _samples(token, as_of, requests, cap):
    ctx = _OWNERS[token]
    return [scaleout.rank_sample(ctx, d, as_of, after, upto, cap) for d, after, upto in requests]


def _rank_counts(token, as_of, positions):
    ctx = _OWNERS[token]
    return {d: scaleout.rank_count(ctx, d, as_of, p) for d, p in positions.items()}


def _score_owner(token, as_of, bins, thresholds, boundaries, preset):
    ctx = _OWNERS.pop(token)
    try:
        for i, d in enumerate(_DIMS):
            ctx.set_param("bins_" + d, bins[i])
            if d in thresholds:
                ctx.set_thresholds(d, thresholds[d])
                ctx.set_param("method_" + d, 2)
        if preset is not None:
            ctx._check(_lib.lib.rfm_use_preset(ctx.handle, preset))
        if ctx.counts()[1] == 0:
            return ctx.customers().iloc[0:0]
        scaleout.compute_at_boundaries(ctx, as_of, *[boundaries.get(d) for d in _DIMS])
        return ctx.customers()
    finally:
        ctx.close()


def _release(token):
    ctx = _OWNERS.pop(token, None)
    if ctx is not None:
        ctx.close()


class _LocalRunner:
    """No distributed client: everything in this process."""

    workers = [None]

    def submit(self, fn, *args, worker=None):
        return fn(*args)

    def gather(self, values):
        return list(values)


class _ClientRunner:
    def __init__(self, client):
        self.client = client
        self.workers = sorted(client.scheduler_info()["workers"])

    def submit(self, fn, *args, worker=None):
        kw = {"pure": False}
        if worker is not None:
            kw.update(workers=[worker], allow_other_workers=False)
        return self.client.submit(fn, *args, **kw)

    def gather(self, futures):
        return self.client.gather(list(futures))


def _runner(client):
    if client is False:
        return _LocalRunner()
    if client is None:
        try:
            from distributed import get_client
            client = get_client()
        except (ImportError, ValueError):
            return _LocalRunner()
    return _ClientRunner(client)


def _ntile_targets(n, bins):
    """Global 1-based ranks closing groups 1..bins-1 (SQL NTILE sizes)."""
    out, end = [], 0
    for g in range(1, bins):
        end += n // bins + (1 if g <= n % bins else 0)
        out.append(end)
    return out


def _quantile_cutoffs(run, owners, as_of, dims, n, bins, ranges, per_round, stats):
    """c_k = smallest v with #{x <= v} >= ceil(k n / B), by refinement."""
    # per (dim, k): (lo, hi) with count(<= lo) < t <= count(<= hi)
    state = {}
    for d in dims:
        i = _DIMS.index(d)
        lo = min(r[i][1] for r in ranges if r[i][0]) - 1
        hi = max(r[i][2] for r in ranges if r[i][0])
        for k in range(1, bins[i]):
            state[(d, k)] = [lo, hi, -(-k * n // bins[i])]
    while any(hi - lo > 1 for lo, hi, _ in state.values()):
        stats["quantile_rounds"] += 1
        edges = {d: set() for d in dims}
        for (d, _), (lo, hi, _) in state.items():
            if hi - lo > 1:  # k edges strictly inside (lo, hi), evenly spaced
                k = min(per_round, hi - lo - 1)
                edges[d].update(lo + j * (hi - lo) // (k + 1) for j in range(1, k + 1))
        edges = {d: sorted(v) for d, v in edges.items() if v}
        replies = run.gather(run.submit(_count_le, t, as_of, edges, worker=w)
                             for t, w in owners)
        for d, e in edges.items():
            total = [sum(r[d][i] for r in replies) for i in range(len(e))]
            for (dd, _), st in state.items():
                if dd != d:
                    continue
                for v, c in zip(e, total):
                    if st[0] < v < st[1]:
                        if c >= st[2]:
                            st[1] = v
                            break
                        st[0] = v
    cut = {d: [] for d in dims}
    for (d, k), (_, hi, _) in sorted(state.items()):
        cut[d].append(hi)
    return cut


def _ntile_boundaries(run, owners, as_of, dims, n, bins, cap, stats):
    """The positions at global ranks p_g, by sampling and counting."""
    state = {}  # (dim, g): [after, upto, target, found]
    for d in dims:
        for g, p in enumerate(_ntile_targets(n, bins[_DIMS.index(d)])):
            state[(d, g)] = [None, None, p, None]
    while any(st[3] is None for st in state.values()):
        stats["ntile_rounds"] += 1
        open_ = [key for key, st in state.items() if st[3] is None]
        requests = [(d, state[(d, g)][0], state[(d, g)][1]) for d, g in open_]
        samples = run.gather(run.submit(_samples, t, as_of, requests, cap, worker=w)
                             for t, w in owners)
        cands = {key: sorted(set(itertools.chain.from_iterable(s[i] for s in samples)),
                             key=lambda pos, d=key[0]: scaleout.ntile_order(d, pos))
                 for i, key in enumerate(open_)}
        positions = {d: sorted({p for (dd, _), c in cands.items() if dd == d for p in c},
                               key=lambda pos, d=d: scaleout.ntile_order(d, pos))
                     for d in {d for d, _ in open_}}
        replies = run.gather(run.submit(_rank_counts, t, as_of, positions, worker=w)
                             for t, w in owners)
        rank = {}
        for d, pos in positions.items():
            for i, p in enumerate(pos):
                rank[(d, p)] = sum(r[d][i] for r in replies)
        for key in open_:
            d, st = key[0], state[key]
            below = None
            for p in cands[key]:  # ascending: the first reaching the target
                if rank[(d, p)] >= st[2]:
                    if rank[(d, p)] == st[2]:
                        st[3] = p
                    else:
                        st[0], st[1] = below if below is not None else st[0], p
                    break
                below = p
    out = {d: [] for d in dims}
    for (d, g), st in sorted(state.items()):
        out[d].append(st[3])
    return out


def score(ddf, customer="customer_id", date="date", amount="amount", order=None, *,
          method="quantile", bins=5, as_of=None, money_scale=2, frequency_unit="orders",
          date_format=None, amount_minor=False, preset=None, n_parts=None, client=None,
          edges_per_round=1024, sample_cap=1024, return_stats=False):
    """Scores the customers of a Dask DataFrame exactly as one Context
    holding every row would (columns and conversions as Context.ingest()).

    method: "quantile" or "ntile", or one per dimension (r, f, m); bins: int
    or (r, f, m); as_of: None (global latest purchase day + 1), a day number,
    a date or "YYYY-MM-DD" - one global day, never a per-worker one.
    n_parts: owner contexts (default: the input's partition count); each is
    pinned to a worker of `client` (default: the current distributed client;
    without one, or with client=False, everything runs in this process). Returns a Dask DataFrame of
    the per-customer rows of Context.customers() (each owner's rows in key
    order; sort by customer_id for the global order), and with
    return_stats=True also a dict: rounds, bytes of the pieces moved, timings.
    """
    import dask
    import dask.dataframe as dd

    bins = (bins,) * 3 if isinstance(bins, int) else tuple(bins)
    methods = (method,) * 3 if isinstance(method, str) else tuple(method)
    if any(m not in ("quantile", "ntile") for m in methods):
        raise ValueError("method must be 'quantile' or 'ntile'")
    cfg = _config(locals())
    run = _runner(client)
    n_parts = n_parts or max(1, ddf.npartitions)
    stats = {"quantile_rounds": 0, "ntile_rounds": 0, "n_parts": n_parts}
    t0 = time.perf_counter()

    # 1-2: pre-aggregate, cut by hash, merge per owner
    columns = (customer, date, amount, order)
    pre = [dask.delayed(_preaggregate)(p, columns, n_parts, cfg) for p in ddf.to_delayed()]
    token = uuid.uuid4().hex
    owners = [("%s-%d" % (token, j), run.workers[j % len(run.workers)]) for j in range(n_parts)]
    if isinstance(run, _ClientRunner):
        pre_f = run.client.compute(pre)
        pieces = [[run.client.submit(_piece, f, j, pure=False) for f in pre_f]
                  for j in range(n_parts)]
    else:
        pre_v = dask.compute(*pre)
        pieces = [[v[j] for v in pre_v] for j in range(n_parts)]
    try:
        built = run.gather(run.submit(_build_owner, t, cfg, *pieces[j], worker=w)
                           for j, (t, w) in enumerate(owners))
        stats["bytes_shuffled"] = sum(b["bytes"] for b in built)
        stats["customers"] = sum(b["customers"] for b in built)
        t1 = time.perf_counter()
        # 3: global as-of day and cutoffs
        latest = [b["latest"] for b in built if b["latest"] is not None]
        if as_of is None:
            as_of_day = max(latest) + 1 if latest else AS_OF_AUTO
        else:
            as_of_day = _day(as_of)
            if latest and as_of_day < max(latest):
                # the message rfm_compute() gives, before any round is spent
                import datetime
                day = lambda d: datetime.date(1970, 1, 1) + datetime.timedelta(days=d)  # noqa
                raise RfmError(4, "value out of range",
                               "as-of date %s is before the latest purchase date %s" %
                               (day(as_of_day), day(max(latest))))
        n = sum(b["scored"] for b in built)
        thresholds, boundaries = {}, {}
        if n:
            ranges = run.gather(run.submit(_ranges, t, as_of_day, worker=w) for t, w in owners)
            q = [d for d, m in zip(_DIMS, methods) if m == "quantile"]
            nt = [d for d, m in zip(_DIMS, methods) if m == "ntile"]
            if q:
                thresholds = _quantile_cutoffs(run, owners, as_of_day, q, n, bins, ranges,
                                               edges_per_round, stats)
            if nt:
                boundaries = _ntile_boundaries(run, owners, as_of_day, nt, n, bins, sample_cap,
                                               stats)
        t2 = time.perf_counter()
        # 4: broadcast and score locally
        preset_id = {"default": 0, "value_tiers": 1}.get(preset, preset)
        parts = [run.submit(_score_owner, t, as_of_day, bins, thresholds, boundaries, preset_id,
                            worker=w) for t, w in owners]
    except BaseException:
        # free the owners built so far; their workers may be gone too
        try:
            run.gather(run.submit(_release, t, worker=w) for t, w in owners)
        except Exception:  # noqa: BLE001 - the original error matters
            pass
        raise
    if isinstance(run, _ClientRunner):
        result = dd.from_delayed(parts)
    else:
        import pandas as pd
        result = dd.from_pandas(pd.concat(parts, ignore_index=True) if parts else parts,
                                npartitions=max(1, len(parts)))
    stats.update(as_of_day=as_of_day, thresholds=thresholds, boundaries=boundaries,
                 seconds_route=t1 - t0, seconds_cutoffs=t2 - t1,
                 seconds_score_submit=time.perf_counter() - t2)
    return (result, stats) if return_stats else result
