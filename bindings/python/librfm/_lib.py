"""Locating and loading the shared library, and the ctypes prototypes.

Search order (the first that loads wins):
  1. $LIBRFM_PATH: the library file itself, or a directory holding it;
  2. next to this package (librfm/librfm.so.1, copied there by a wheel or
     by hand - the usual way to ship it to Dask workers);
  3. the system path (ctypes.util.find_library("rfm"), then "librfm.so.1").
"""
import ctypes
import ctypes.util
import os

_NAMES = ("librfm.so.1", "librfm.so", "librfm.dylib", "rfm.dll")


def _candidates():
    env = os.environ.get("LIBRFM_PATH")
    if env:
        if os.path.isdir(env):
            for name in _NAMES:
                yield os.path.join(env, name)
        else:
            yield env
    here = os.path.dirname(os.path.abspath(__file__))
    for name in _NAMES:
        yield os.path.join(here, name)
    found = ctypes.util.find_library("rfm")
    if found:
        yield found
    yield "librfm.so.1"


def _load():
    tried = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append(path + " (missing)")
            continue
        try:
            return ctypes.CDLL(path), path
        except OSError as exc:
            tried.append("%s (%s)" % (path, exc))
    raise ImportError("librfm shared library not found; set LIBRFM_PATH to the file or "
                      "its directory. Tried: " + "; ".join(tried))


lib, path = _load()

c_ctx_p = ctypes.c_void_p
i64, u64, u32, sz = ctypes.c_int64, ctypes.c_uint64, ctypes.c_uint32, ctypes.c_size_t
P = ctypes.POINTER


class Customer(ctypes.Structure):
    _fields_ = [("size", sz), ("key_u64", u64), ("key", ctypes.c_void_p), ("key_len", sz),
                ("frequency", u64), ("monetary", i64), ("first_purchase", i64),
                ("last_purchase", i64), ("recency_days", i64), ("tenure_days", i64),
                ("scored", ctypes.c_int), ("r", ctypes.c_int), ("f", ctypes.c_int),
                ("m", ctypes.c_int), ("cell", ctypes.c_int), ("total", ctypes.c_int),
                ("weighted", ctypes.c_double), ("segment", ctypes.c_int), ("channels", u32),
                ("previous_segment", ctypes.c_int), ("segment_since", i64),
                ("btyd_frequency", u64), ("btyd_recency", i64), ("btyd_T", i64),
                ("btyd_monetary", ctypes.c_double)]


class SegmentStats(ctypes.Structure):
    _fields_ = [("size", sz), ("customers", u64), ("share", ctypes.c_double),
                ("purchases", u64), ("monetary", i64), ("avg_monetary", ctypes.c_double),
                ("avg_order_value", ctypes.c_double), ("median_recency", ctypes.c_double),
                ("median_frequency", ctypes.c_double), ("median_monetary", ctypes.c_double),
                ("previous_customers", u64), ("change", i64)]


class Warning_(ctypes.Structure):
    _fields_ = [("size", sz), ("code", ctypes.c_int), ("dim", ctypes.c_int),
                ("level", ctypes.c_int), ("message", ctypes.c_char_p)]


class Boundary(ctypes.Structure):
    _fields_ = [("size", sz), ("value", i64), ("key_u64", u64), ("key", ctypes.c_void_p),
                ("key_len", sz)]


WRITE_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, sz, ctypes.c_void_p)

_PROTOS = {
    "rfm_version_string": (ctypes.c_char_p, []),
    "rfm_strerror": (ctypes.c_char_p, [ctypes.c_int]),
    "rfm_create": (ctypes.c_int, [P(c_ctx_p)]),
    "rfm_destroy": (None, [c_ctx_p]),
    "rfm_errmsg": (ctypes.c_char_p, [c_ctx_p]),
    "rfm_set_param": (ctypes.c_int, [c_ctx_p, ctypes.c_int, i64]),
    "rfm_get_param": (ctypes.c_int, [c_ctx_p, ctypes.c_int, P(i64)]),
    "rfm_set_thresholds": (ctypes.c_int, [c_ctx_p, ctypes.c_int, P(i64), sz]),
    "rfm_set_weights": (ctypes.c_int, [c_ctx_p, ctypes.c_double, ctypes.c_double,
                                       ctypes.c_double]),
    "rfm_ingest_columns_u64": (ctypes.c_int, [c_ctx_p, sz, ctypes.c_void_p, ctypes.c_void_p,
                                              ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                              P(sz)]),
    "rfm_ingest_columns_str": (ctypes.c_int, [c_ctx_p, sz, ctypes.c_char_p, ctypes.c_void_p,
                                              ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p,
                                              ctypes.c_void_p, P(sz)]),
    "rfm_compute": (ctypes.c_int, [c_ctx_p, i64]),
    "rfm_as_of_day": (ctypes.c_int, [c_ctx_p, P(i64)]),
    "rfm_counts": (ctypes.c_int, [c_ctx_p, P(sz), P(sz), P(sz)]),
    "rfm_customer_at": (ctypes.c_int, [c_ctx_p, sz, P(Customer)]),
    "rfm_customer_get_u64": (ctypes.c_int, [c_ctx_p, u64, P(Customer)]),
    "rfm_customer_get_str": (ctypes.c_int, [c_ctx_p, ctypes.c_char_p, sz, P(Customer)]),
    "rfm_cutoffs": (ctypes.c_int, [c_ctx_p, ctypes.c_int, P(i64), sz, P(sz)]),
    "rfm_level_counts": (ctypes.c_int, [c_ctx_p, ctypes.c_int, P(u64), sz, P(sz)]),
    "rfm_warning_count": (sz, [c_ctx_p]),
    "rfm_warning_get": (ctypes.c_int, [c_ctx_p, sz, P(Warning_)]),
    "rfm_segment_count": (sz, [c_ctx_p]),
    "rfm_segment_name": (ctypes.c_char_p, [c_ctx_p, ctypes.c_int]),
    "rfm_segment_stats_get": (ctypes.c_int, [c_ctx_p, ctypes.c_int, P(SegmentStats)]),
    "rfm_use_preset": (ctypes.c_int, [c_ctx_p, ctypes.c_int]),
    "rfm_previous_segment_count": (sz, [c_ctx_p]),
    "rfm_previous_segment_name": (ctypes.c_char_p, [c_ctx_p, ctypes.c_int]),
    "rfm_transitions": (ctypes.c_int, [c_ctx_p, P(u64), sz, P(sz), P(sz)]),
    "rfm_channel_add": (ctypes.c_int, [c_ctx_p, ctypes.c_char_p, P(ctypes.c_int)]),
    "rfm_channel_count": (sz, [c_ctx_p]),
    "rfm_channel_name": (ctypes.c_char_p, [c_ctx_p, ctypes.c_int]),
    "rfm_channels_set_u64": (ctypes.c_int, [c_ctx_p, ctypes.c_void_p, sz, u32, u32, P(sz)]),
    "rfm_channels_set_str": (ctypes.c_int, [c_ctx_p, ctypes.c_char_p, ctypes.c_void_p, sz, u32,
                                            u32, P(sz)]),
    "rfm_reach": (ctypes.c_int, [c_ctx_p, ctypes.c_int, ctypes.c_int, P(u64),
                                 P(ctypes.c_double)]),
    "rfm_save": (ctypes.c_int, [c_ctx_p, ctypes.c_char_p]),
    "rfm_load": (ctypes.c_int, [c_ctx_p, ctypes.c_char_p]),
    "rfm_save_to": (ctypes.c_int, [c_ctx_p, WRITE_FN, ctypes.c_void_p]),
    "rfm_load_from": (ctypes.c_int, [c_ctx_p, ctypes.c_char_p, sz]),
    "rfm_merge": (ctypes.c_int, [c_ctx_p, c_ctx_p]),
    "rfm_latest_purchase_day": (ctypes.c_int, [c_ctx_p, P(i64)]),
    "rfm_value_range": (ctypes.c_int, [c_ctx_p, ctypes.c_int, i64, P(u64), P(i64), P(i64)]),
    "rfm_histogram": (ctypes.c_int, [c_ctx_p, ctypes.c_int, i64, ctypes.c_void_p, sz,
                                     ctypes.c_void_p]),
    "rfm_parse_time": (ctypes.c_int, [ctypes.c_char_p, sz, ctypes.c_char_p, P(i64)]),
    "rfm_parse_amount": (ctypes.c_int, [ctypes.c_char_p, sz, ctypes.c_int, P(i64)]),
    # scale-out (0.2)
    "rfm_partition_hash_u64": (u64, [u64]),
    "rfm_partition_hash_bytes": (u64, [ctypes.c_char_p, sz]),
    "rfm_save_partition_to": (ctypes.c_int, [c_ctx_p, u64, u64, WRITE_FN, ctypes.c_void_p]),
    "rfm_rank_count": (ctypes.c_int, [c_ctx_p, ctypes.c_int, i64, P(Boundary), sz, P(u64)]),
    "rfm_rank_sample": (ctypes.c_int, [c_ctx_p, ctypes.c_int, i64, P(Boundary), P(Boundary),
                                       P(Boundary), sz, P(sz), P(u64)]),
    "rfm_compute_at_boundaries": (ctypes.c_int, [c_ctx_p, i64, P(Boundary), P(Boundary),
                                                 P(Boundary)]),
}

# rfm_customer_at into a raw address: fills arrays of Customer without a
# ctypes object per row (the DataFrame path of Context.customers()).
customer_at_raw = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, sz, ctypes.c_void_p)(
    ("rfm_customer_at", lib))

for _name, (_res, _args) in _PROTOS.items():
    _fn = getattr(lib, _name)
    _fn.restype = _res
    _fn.argtypes = _args
