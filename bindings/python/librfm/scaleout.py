"""The scale-out queries of the C API (rfm_value_range, rfm_histogram,
rfm_rank_sample, rfm_rank_count, rfm_compute_at_boundaries) on a Context,
with positions as plain (value, key) tuples so they pickle between Dask
workers. Keys are ints (u64 contexts) or bytes (string contexts)."""
import ctypes

from . import _lib
from .context import _dim

lib = _lib.lib


def value_range(ctx, dim, as_of_day):
    """(scored customers, min, max) of a dimension."""
    n, lo, hi = ctypes.c_uint64(), ctypes.c_int64(), ctypes.c_int64()
    ctx._check(lib.rfm_value_range(ctx.handle, _dim(dim), as_of_day, ctypes.byref(n),
                                   ctypes.byref(lo), ctypes.byref(hi)))
    return n.value, lo.value, hi.value


def count_le(ctx, dim, as_of_day, edges):
    """#{x <= e} for each ascending edge e (rfm_histogram, accumulated)."""
    if not edges:
        return []
    arr = (ctypes.c_int64 * len(edges))(*edges)
    counts = (ctypes.c_uint64 * (len(edges) + 1))()
    ctx._check(lib.rfm_histogram(ctx.handle, _dim(dim), as_of_day, arr, len(edges), counts))
    out, run = [], 0
    for c in counts[:len(edges)]:
        run += c
        out.append(run)
    return out


def _boundaries(positions):
    """A ctypes array of rfm_boundary for (value, key) tuples; the key
    buffers are kept alive by the returned tuple."""
    arr = (_lib.Boundary * max(1, len(positions)))()
    keep = []
    for b, (value, key) in zip(arr, positions):
        b.size = ctypes.sizeof(_lib.Boundary)
        b.value = value
        if isinstance(key, bytes):
            buf = ctypes.create_string_buffer(key, len(key))
            keep.append(buf)
            b.key, b.key_len = ctypes.addressof(buf), len(key)
        else:
            b.key_u64 = key
    arr[0].size = ctypes.sizeof(_lib.Boundary)
    return arr, keep


def _position(b):
    key = ctypes.string_at(b.key, b.key_len) if b.key else b.key_u64
    return (b.value, key)


def rank_sample(ctx, dim, as_of_day, after, upto, cap):
    """Up to cap evenly spaced positions of the customers in (after, upto]
    (None: unbounded), in ntile order; all of them when they fit."""
    a = _boundaries([after]) if after is not None else None
    u = _boundaries([upto]) if upto is not None else None
    out = (_lib.Boundary * cap)()
    out[0].size = ctypes.sizeof(_lib.Boundary)
    n = ctypes.c_size_t()
    ctx._check(lib.rfm_rank_sample(ctx.handle, _dim(dim), as_of_day, a[0] if a else None,
                                   u[0] if u else None, out, cap, ctypes.byref(n), None))
    return [_position(out[i]) for i in range(n.value)]


def rank_count(ctx, dim, as_of_day, positions):
    """Scored customers at or before each position in the ntile order."""
    if not positions:
        return []
    arr, keep = _boundaries(positions)
    counts = (ctypes.c_uint64 * len(positions))()
    ctx._check(lib.rfm_rank_count(ctx.handle, _dim(dim), as_of_day, arr, len(positions), counts))
    del keep
    return list(counts)


def compute_at_boundaries(ctx, as_of_day, r=None, f=None, m=None):
    """rfm_compute_at_boundaries with bins-1 positions per given dimension."""
    arrays = [None if p is None else _boundaries(p) for p in (r, f, m)]
    ctx._check(lib.rfm_compute_at_boundaries(ctx.handle, as_of_day,
                                             *[None if a is None else a[0] for a in arrays]))
    return ctx


def ntile_order(dim, position):
    """Sort key of a position in dim's ntile order (R: recency descends)."""
    value, key = position
    return (-value if _dim(dim) == 0 else value, key)
