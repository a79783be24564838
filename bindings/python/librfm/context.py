"""The Context class: one librfm context (rfm_ctx) from Python."""
import ctypes
import datetime

from . import _lib, convert
from .errors import RfmError

try:
    import pandas as pd
except ImportError:  # pragma: no cover - pandas is optional
    pd = None

lib = _lib.lib
AS_OF_AUTO = -(2 ** 63)
DIMS = {"r": 0, "f": 1, "m": 2}
METHODS = {"quantile": 0, "ntile": 1, "thresholds": 2}
UNITS = {"orders": 0, "transactions": 1, "days": 2}
PRESETS = {"default": 0, "value_tiers": 1}
PARAM = {"bins": 100, "bins_r": 101, "bins_f": 102, "bins_m": 103, "method": 110,
         "method_r": 111, "method_f": 112, "method_m": 113, "money_scale": 200,
         "frequency_unit": 201, "btyd": 202, "hash_seed": 300}
CUSTOMER_COLUMNS = ["customer_id", "recency_days", "frequency", "monetary", "r", "f", "m",
                    "segment", "monetary_minor", "first_purchase", "last_purchase",
                    "tenure_days", "cell", "total", "weighted", "previous_segment",
                    "segment_since", "channels"]


def _day(as_of):
    """A day number from None (automatic), an int day, a date or 'YYYY-MM-DD'."""
    if as_of is None:
        return AS_OF_AUTO
    if isinstance(as_of, int):
        return as_of
    if isinstance(as_of, str):
        as_of = datetime.date.fromisoformat(as_of)
    if isinstance(as_of, datetime.datetime):
        as_of = as_of.date()
    return (as_of - datetime.date(1970, 1, 1)).days


def _dim(dim):
    return DIMS[dim.lower()] if isinstance(dim, str) else int(dim)


class Context:
    """One customer base. Parameters may be given as keywords:
    bins (int or (r, f, m)), method ("quantile", "ntile", "thresholds"),
    money_scale, frequency_unit ("orders", "transactions", "days"), btyd,
    preset ("default", "value_tiers"). Use it as a context manager, or call
    close(); the context is also freed when garbage-collected."""

    def __init__(self, bins=None, method=None, money_scale=None, frequency_unit=None,
                 btyd=None, preset=None):
        handle = ctypes.c_void_p()
        rc = lib.rfm_create(ctypes.byref(handle))
        if rc:
            raise RfmError(rc, lib.rfm_strerror(rc).decode(), "cannot create a context")
        self._h = handle
        if money_scale is not None:
            self.set_param("money_scale", money_scale)
        if frequency_unit is not None:
            self.set_param("frequency_unit", UNITS.get(frequency_unit, frequency_unit))
        if btyd is not None:
            self.set_param("btyd", int(bool(btyd)))
        if bins is not None:
            if isinstance(bins, int):
                self.set_param("bins", bins)
            else:
                for d, b in zip("rfm", bins):
                    self.set_param("bins_" + d, b)
        if method is not None:
            self.set_param("method", METHODS.get(method, method))
        if preset is not None:
            self._check(lib.rfm_use_preset(self._h, PRESETS.get(preset, preset)))

    # -- lifetime ----------------------------------------------------------
    def close(self):
        # lib can be gone already when __del__ runs at interpreter exit
        if getattr(self, "_h", None) and lib is not None:
            lib.rfm_destroy(self._h)
        self._h = None

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def handle(self):
        if not self._h:
            raise RfmError(3, "library used incorrectly", "the context is closed")
        return self._h

    def _check(self, rc):
        if rc:
            raise RfmError(rc, lib.rfm_strerror(rc).decode(),
                           lib.rfm_errmsg(self._h).decode("utf-8", "replace"))

    # -- parameters ----------------------------------------------------------
    def set_param(self, name, value):
        pid = PARAM[name] if isinstance(name, str) else int(name)
        self._check(lib.rfm_set_param(self.handle, pid, int(value)))

    def get_param(self, name):
        pid = PARAM[name] if isinstance(name, str) else int(name)
        out = ctypes.c_int64()
        self._check(lib.rfm_get_param(self.handle, pid, ctypes.byref(out)))
        return out.value

    @property
    def money_scale(self):
        return self.get_param("money_scale")

    def set_thresholds(self, dim, edges):
        arr = (ctypes.c_int64 * len(edges))(*[int(e) for e in edges])
        self._check(lib.rfm_set_thresholds(self.handle, _dim(dim), arr, len(edges)))

    def set_weights(self, r, f, m):
        self._check(lib.rfm_set_weights(self.handle, r, f, m))

    # -- ingestion -----------------------------------------------------------
    def ingest(self, customers, timestamps, amounts, orders=None, date_format=None,
               amount_minor=False):
        """Adds transactions from parallel columns (lists, numpy arrays or
        pandas Series). Integer customer columns are u64 keys, anything else
        string keys (str() then UTF-8). Timestamps: datetime64/datetime
        values, integer seconds since 1970, or text (ISO 8601 / YYYYMMDD or
        date_format, as the CLI reads it). Amounts: text (exact), or numbers
        in major units (amount_minor=True: already minor units). Orders:
        optional purchase keys (None/NaN/"" = none): text with string
        customer keys, integers with integer ones (the u64 batch takes u64
        purchase keys). Returns the rows
        applied; a failure raises RfmError after applying the rows before it."""
        n = len(customers)
        if len(timestamps) != n or len(amounts) != n or (orders is not None and len(orders) != n):
            raise ValueError("columns differ in length")
        if n == 0:
            return 0
        convert.check_present(customers, "customer")
        ts = convert.timestamps(timestamps, date_format)
        am = convert.amounts(amounts, self.money_scale, amount_minor)
        applied = ctypes.c_size_t()
        if convert.is_integer_column(customers):
            keys = convert.u64_array(customers)
            ords, has = convert.u64_orders(orders) if orders is not None else (None, None)
            rc = lib.rfm_ingest_columns_u64(self.handle, n, convert.pointer(keys),
                                            convert.pointer(ts), convert.pointer(am),
                                            convert.pointer(ords), convert.pointer(has),
                                            ctypes.byref(applied))
        else:
            if orders is not None:
                odata, ooff = convert.strings(["" if o is None or o != o else o for o in
                                               convert._values(orders)])
            else:
                odata, ooff = None, None
            data, off = convert.strings(customers)
            rc = lib.rfm_ingest_columns_str(self.handle, n, data, convert.pointer(off),
                                            convert.pointer(ts), convert.pointer(am), odata,
                                            convert.pointer(ooff), ctypes.byref(applied))
        self._check(rc)
        return applied.value

    def ingest_frame(self, df, customer="customer_id", date="date", amount="amount", order=None,
                     date_format=None, amount_minor=False):
        """ingest() from the named columns of a pandas DataFrame."""
        return self.ingest(df[customer], df[date], df[amount],
                           df[order] if order is not None else None, date_format, amount_minor)

    # -- compute and results -------------------------------------------------
    def compute(self, as_of=None):
        """Scores every customer; as_of: None (latest purchase day + 1), a
        day number, a date or 'YYYY-MM-DD'."""
        self._check(lib.rfm_compute(self.handle, _day(as_of)))
        return self

    @property
    def as_of_day(self):
        out = ctypes.c_int64()
        self._check(lib.rfm_as_of_day(self.handle, ctypes.byref(out)))
        return out.value

    def counts(self):
        """(customers, scored, unscored)."""
        c, s, u = ctypes.c_size_t(), ctypes.c_size_t(), ctypes.c_size_t()
        self._check(lib.rfm_counts(self.handle, ctypes.byref(c), ctypes.byref(s),
                                   ctypes.byref(u)))
        return c.value, s.value, u.value

    def __len__(self):
        return self.counts()[0]

    def segment_names(self):
        return [lib.rfm_segment_name(self.handle, i).decode() for i in
                range(lib.rfm_segment_count(self.handle))]

    def _record(self, c, scale, names):
        key = ctypes.string_at(c.key, c.key_len).decode("utf-8", "surrogateescape") \
            if c.key else c.key_u64
        day = lambda ts: ts // 86400  # noqa: E731
        return {
            "customer_id": key, "recency_days": c.recency_days if c.scored else None,
            "frequency": c.frequency, "monetary": c.monetary / 10 ** scale,
            "r": c.r if c.scored else None, "f": c.f if c.scored else None,
            "m": c.m if c.scored else None,
            "segment": names[c.segment] if c.scored and c.segment >= 0 else None,
            "monetary_minor": c.monetary,
            "first_purchase": day(c.first_purchase) if c.frequency else None,
            "last_purchase": day(c.last_purchase) if c.frequency else None,
            "tenure_days": c.tenure_days if c.scored else None,
            "cell": c.cell if c.scored else None, "total": c.total if c.scored else None,
            "weighted": c.weighted if c.scored else None,
            "previous_segment": (self._prev_name(c.previous_segment) if c.scored else None),
            "segment_since": c.segment_since if c.scored else None, "channels": c.channels,
        }

    def _prev_name(self, pid):
        if pid < 0:
            return "new"
        name = lib.rfm_previous_segment_name(self.handle, pid)
        return name.decode() if name else None

    def records(self, include_unscored=False):
        """Per-customer results of the last compute, in key order, as dicts
        (first_purchase/last_purchase are day numbers)."""
        n = self.counts()[0]
        scale, names = self.money_scale, self.segment_names()
        c = _lib.Customer()
        out = []
        for i in range(n):
            c.size = ctypes.sizeof(c)
            self._check(lib.rfm_customer_at(self.handle, i, ctypes.byref(c)))
            if c.scored or include_unscored:
                out.append(self._record(c, scale, names))
        return out

    def customers(self, include_unscored=False):
        """records() as a pandas DataFrame (a list of dicts without pandas),
        built column-wise: one C call per customer, no Python object per field."""
        if pd is None:
            return self.records(include_unscored)
        import numpy as np
        n = self.counts()[0]
        arr = (_lib.Customer * max(n, 1))()
        t = np.frombuffer(arr, dtype=_customer_dtype(np))
        t["size"] = ctypes.sizeof(_lib.Customer)
        base, step, h = ctypes.addressof(arr), ctypes.sizeof(_lib.Customer), self.handle
        fn = _lib.customer_at_raw
        for i in range(n):
            rc = fn(h, i, base + i * step)
            if rc:
                self._check(rc)
        t = t[:n]
        if not include_unscored:
            t = t[t["scored"] == 1]
        scored = t["scored"] == 1
        if n and t.size and t["key"][0]:
            keys = [ctypes.string_at(p, ln).decode("utf-8", "surrogateescape")
                    for p, ln in zip(t["key"].tolist(), t["key_len"].tolist())]
        else:
            keys = t["key_u64"]
        names = np.array(self.segment_names() + [None], dtype=object)
        prev = np.array([self._prev_name(i) for i in
                         range(lib.rfm_previous_segment_count(self.handle))] + ["new"],
                        dtype=object)
        scale = 10 ** self.money_scale

        def when(col, mask=scored):
            return t[col] if include_unscored is False else np.where(mask, t[col], None)

        has = t["frequency"] > 0
        df = pd.DataFrame({
            "customer_id": keys, "recency_days": when("recency_days"),
            "frequency": t["frequency"], "monetary": t["monetary"] / scale,
            "r": when("r"), "f": when("f"), "m": when("m"),
            "segment": names[np.where(scored, t["segment"], -1)],
            "monetary_minor": t["monetary"],
            "first_purchase": np.where(has, t["first_purchase"] // 86400, None)
            if include_unscored else t["first_purchase"] // 86400,
            "last_purchase": np.where(has, t["last_purchase"] // 86400, None)
            if include_unscored else t["last_purchase"] // 86400,
            "tenure_days": when("tenure_days"), "cell": when("cell"), "total": when("total"),
            "weighted": when("weighted"),
            "previous_segment": np.where(scored, prev[t["previous_segment"]], None)
            if include_unscored else prev[t["previous_segment"]],
            "segment_since": when("segment_since"), "channels": t["channels"],
        }, columns=CUSTOMER_COLUMNS)
        return df

    def customer(self, key):
        """One customer's record (scores None when unscored); KeyError if absent."""
        c = _lib.Customer()
        c.size = ctypes.sizeof(c)
        if isinstance(key, int):
            rc = lib.rfm_customer_get_u64(self.handle, key, ctypes.byref(c))
        else:
            raw = convert._as_bytes(key)
            rc = lib.rfm_customer_get_str(self.handle, raw, len(raw), ctypes.byref(c))
        if rc == 7:
            raise KeyError(key)
        self._check(rc)
        return self._record(c, self.money_scale, self.segment_names())

    def cutoffs(self, dim=None):
        """Cutoffs c_1..c_(B-1) of one dimension, or a dict of all three."""
        if dim is None:
            return {d: self.cutoffs(d) for d in "rfm"}
        buf = (ctypes.c_int64 * 100)()
        n = ctypes.c_size_t()
        self._check(lib.rfm_cutoffs(self.handle, _dim(dim), buf, 100, ctypes.byref(n)))
        return list(buf[:n.value])

    def level_counts(self, dim):
        buf = (ctypes.c_uint64 * 100)()
        n = ctypes.c_size_t()
        self._check(lib.rfm_level_counts(self.handle, _dim(dim), buf, 100, ctypes.byref(n)))
        return list(buf[:n.value])

    def warnings(self):
        out = []
        for i in range(lib.rfm_warning_count(self.handle)):
            w = _lib.Warning_()
            w.size = ctypes.sizeof(w)
            self._check(lib.rfm_warning_get(self.handle, i, ctypes.byref(w)))
            out.append(w.message.decode())
        return out

    def summary(self):
        """Segment summary (SPEC 6), one row per segment; money in major units."""
        scale = 10 ** self.money_scale
        rows = []
        for i, name in enumerate(self.segment_names()):
            s = _lib.SegmentStats()
            s.size = ctypes.sizeof(s)
            self._check(lib.rfm_segment_stats_get(self.handle, i, ctypes.byref(s)))
            rows.append({"segment": name, "customers": s.customers, "share": s.share,
                         "purchases": s.purchases, "monetary": s.monetary / scale,
                         "avg_monetary": s.avg_monetary / scale,
                         "avg_order_value": s.avg_order_value / scale,
                         "median_recency": s.median_recency,
                         "median_frequency": s.median_frequency,
                         "median_monetary": s.median_monetary / scale,
                         "previous_customers": s.previous_customers, "change": s.change})
        return pd.DataFrame(rows) if pd is not None else rows

    def transitions(self):
        """Transition matrix of the last compute: a DataFrame indexed by the
        previous segment (plus "new"), columns the current segments (a dict
        of dicts without pandas)."""
        rows, cols = ctypes.c_size_t(), ctypes.c_size_t()
        self._check(lib.rfm_transitions(self.handle, None, 0, ctypes.byref(rows),
                                        ctypes.byref(cols)))
        buf = (ctypes.c_uint64 * (rows.value * cols.value))()
        self._check(lib.rfm_transitions(self.handle, buf, len(buf), ctypes.byref(rows),
                                        ctypes.byref(cols)))
        prev = [self._prev_name(i) for i in range(rows.value - 1)] + ["new"]
        now = self.segment_names()
        table = {p: {c: buf[i * cols.value + j] for j, c in enumerate(now)}
                 for i, p in enumerate(prev)}
        if pd is None:
            return table
        return pd.DataFrame.from_dict(table, orient="index")[now]

    # -- channels --------------------------------------------------------------
    def channel_add(self, name):
        out = ctypes.c_int()
        self._check(lib.rfm_channel_add(self.handle, name.encode(), ctypes.byref(out)))
        return out.value

    def channel_id(self, channel):
        if isinstance(channel, int):
            return channel
        for i in range(lib.rfm_channel_count(self.handle)):
            if lib.rfm_channel_name(self.handle, i).decode() == channel:
                return i
        raise KeyError(channel)

    def set_channels(self, customers, channels, reachable=True):
        """Marks customers reachable (or not) on the given channel names/ids;
        returns how many customers were unknown."""
        if isinstance(channels, (str, int)):
            channels = [channels]
        bits = 0
        for ch in channels:
            bits |= 1 << self.channel_id(ch)
        set_bits, clear_bits = (bits, 0) if reachable else (0, bits)
        unknown = ctypes.c_size_t()
        n = len(customers)
        if convert.is_integer_column(customers):
            keys = convert.u64_array(customers)
            rc = lib.rfm_channels_set_u64(self.handle, convert.pointer(keys), n, set_bits,
                                          clear_bits, ctypes.byref(unknown))
        else:
            data, off = convert.strings(customers)
            rc = lib.rfm_channels_set_str(self.handle, data, convert.pointer(off), n, set_bits,
                                          clear_bits, ctypes.byref(unknown))
        self._check(rc)
        return unknown.value

    def reach(self, channel, segment=None):
        """(reachable customers, share) of a segment (name/id; None = all)."""
        if isinstance(segment, str):
            segment = self.segment_names().index(segment)
        count, share = ctypes.c_uint64(), ctypes.c_double()
        self._check(lib.rfm_reach(self.handle, -1 if segment is None else segment,
                                  self.channel_id(channel), ctypes.byref(count),
                                  ctypes.byref(share)))
        return count.value, share.value

    # -- snapshots and merge ---------------------------------------------------
    def save(self, path):
        self._check(lib.rfm_save(self.handle, str(path).encode()))

    def load(self, path):
        self._check(lib.rfm_load(self.handle, str(path).encode()))
        return self

    def _collect(self, call):
        chunks = []

        def write(data, length, user):
            chunks.append(ctypes.string_at(data, length))
            return 0

        self._check(call(_lib.WRITE_FN(write)))
        return b"".join(chunks)

    def to_bytes(self):
        """The whole state as snapshot bytes (rfm_save_to)."""
        return self._collect(lambda fn: lib.rfm_save_to(self.handle, fn, None))

    def partition_bytes(self, part, n_parts):
        """Snapshot bytes of the customers whose partition hash % n_parts == part."""
        return self._collect(lambda fn: lib.rfm_save_partition_to(self.handle, part, n_parts,
                                                                  fn, None))

    @classmethod
    def from_bytes(cls, data, **params):
        ctx = cls(**params)
        ctx.load_bytes(data)
        return ctx

    def load_bytes(self, data):
        self._check(lib.rfm_load_from(self.handle, data, len(data)))
        return self

    def merge(self, other):
        """Folds the customers of another Context into this one."""
        self._check(lib.rfm_merge(self.handle, other.handle))
        return self

    def latest_purchase_day(self):
        """Latest purchase day, or None without purchases."""
        out = ctypes.c_int64()
        rc = lib.rfm_latest_purchase_day(self.handle, ctypes.byref(out))
        if rc == 8:
            return None
        self._check(rc)
        return out.value


def _customer_dtype(np):
    """numpy view of the Customer struct, field by field at ctypes' offsets."""
    names, formats, offsets = [], [], []
    for name, ctype in _lib.Customer._fields_:
        names.append(name)
        formats.append(np.uintp if ctype is ctypes.c_void_p else np.dtype(ctype))
        offsets.append(getattr(_lib.Customer, name).offset)
    return np.dtype({"names": names, "formats": formats, "offsets": offsets,
                     "itemsize": ctypes.sizeof(_lib.Customer)})


def partition_hash(key):
    """The library's fixed partition hash (rfm_partition_hash_u64 for int
    keys, rfm_partition_hash_bytes for str/bytes)."""
    if isinstance(key, int):
        return lib.rfm_partition_hash_u64(key)
    raw = convert._as_bytes(key)
    return lib.rfm_partition_hash_bytes(raw, len(raw))


def version():
    return lib.rfm_version_string().decode()
