"""Columns from lists, numpy arrays and pandas Series into the arrays the
columnar batch API takes. Every path is vectorised or runs once per
distinct value (dates and amounts given as text repeat a lot), never once
per row in Python."""
import ctypes
import datetime

from . import _lib
from .errors import RfmError

try:
    import numpy as np
except ImportError:  # pragma: no cover - numpy is optional
    np = None

DAY = 86400


def _values(col):
    """A sequence or numpy array of the column's values."""
    if hasattr(col, "to_numpy"):  # pandas Series / Index
        return col.to_numpy()
    return col


def is_integer_column(col):
    v = _values(col)
    if np is not None and isinstance(v, np.ndarray):
        return v.dtype.kind in "iu"
    return all(isinstance(x, int) and not isinstance(x, bool) for x in v)


def u64_array(col):
    v = _values(col)
    if np is not None:
        a = np.asarray(v)
        if a.dtype.kind == "i" and a.size and a.min() < 0:
            raise ValueError("u64 customer keys must not be negative")
        return np.ascontiguousarray(a, dtype=np.uint64)
    return (ctypes.c_uint64 * len(v))(*v)


def u64_orders(col):
    """(u64 purchase keys, has_order bytes) for integer customer keys:
    integers, with None/NaN for lines without one."""
    v = list(_values(col)) if np is None else _values(col)
    if np is not None:
        a = np.asarray(v)
        if a.dtype.kind in "iu":
            return np.ascontiguousarray(a, dtype=np.uint64), np.ones(len(a), dtype=np.uint8)
        if a.dtype.kind == "f":
            has = ~np.isnan(a)
            return (np.ascontiguousarray(np.where(has, a, 0), dtype=np.uint64),
                    has.astype(np.uint8))
        v = a.tolist()
    if not all(x is None or x != x or (isinstance(x, int) and x >= 0) for x in v):
        raise ValueError("purchase keys of integer customer keys must be integers (or None); "
                         "pass customer keys as text to use text purchase keys")
    has = [0 if x is None or x != x else 1 for x in v]
    keys = [x if h else 0 for x, h in zip(v, has)]
    return (ctypes.c_uint64 * len(v))(*keys), (ctypes.c_uint8 * len(v))(*has)


def i64_array(values):
    if np is not None:
        return np.ascontiguousarray(values, dtype=np.int64)
    return (ctypes.c_int64 * len(values))(*values)


def _as_bytes(x):
    return x if isinstance(x, bytes) else str(x).encode("utf-8")


def check_present(col, what):
    """Missing values (None, NaN) would silently become keys like "nan"."""
    if hasattr(col, "isna"):
        missing = bool(col.isna().any())
    else:
        missing = any(x is None or (isinstance(x, float) and x != x) for x in _values(col))
    if missing:
        raise ValueError("%s column has missing values; drop those rows first (the rfm "
                         "command skips rows without a customer id)" % what)


def strings(col):
    """(data bytes, offsets array) in the Arrow layout: n + 1 offsets. Only
    C-level iteration (str, join, len) in the common all-ASCII case."""
    items = list(_values(col))
    kinds = set(map(type, items))
    if kinds == {bytes}:
        encoded = items
        data = b"".join(encoded)
    elif bytes in kinds:  # mixed: each value on its own
        encoded = list(map(_as_bytes, items))
        data = b"".join(encoded)
    else:
        strs = list(map(str, items))
        joined = "".join(strs)
        if joined.isascii():
            encoded, data = strs, joined.encode("ascii")
        else:
            encoded = [x.encode("utf-8") for x in strs]
            data = b"".join(encoded)
    if np is not None:
        offsets = np.zeros(len(encoded) + 1, dtype=np.uint64)
        np.cumsum(np.fromiter(map(len, encoded), dtype=np.uint64, count=len(encoded)),
                  out=offsets[1:])
    else:
        offsets = (ctypes.c_uint64 * (len(encoded) + 1))()
        run = 0
        for i, e in enumerate(encoded):
            run += len(e)
            offsets[i + 1] = run
    return data, offsets


def pointer(arr):
    """Address of a numpy array's or ctypes array's first element."""
    if arr is None:
        return None
    if np is not None and isinstance(arr, np.ndarray):
        return arr.ctypes.data
    return ctypes.addressof(arr)


def _parse_each(unique, parse):
    return {u: parse(u) for u in unique}


def _map_unique(v, parse):
    """parse() once per distinct value, then spread back over the rows."""
    if np is not None:
        uniq, inverse = np.unique(np.asarray(v, dtype=object).astype(str), return_inverse=True)
        parsed = np.array([parse(u) for u in uniq], dtype=np.int64)
        return parsed[inverse]
    cache = {}
    return [cache[x] if x in cache else cache.setdefault(x, parse(x)) for x in map(str, v)]


def _parse_time_text(text, fmt):
    raw = text.encode("utf-8")
    out = ctypes.c_int64()
    rc = _lib.lib.rfm_parse_time(raw, len(raw), fmt, ctypes.byref(out))
    if rc:
        raise RfmError(rc, _lib.lib.rfm_strerror(rc).decode(), "date %r does not parse" % text)
    return out.value


def timestamps(col, date_format=None):
    """Seconds since 1970 UTC: datetime64 (floored to the second; aware
    pandas values converted to UTC), datetime/date objects, integers
    (already seconds), or text parsed by the library as the CLI does
    (ISO 8601 or YYYYMMDD, or date_format)."""
    v = _values(col)
    if np is not None:
        a = np.asarray(v)
        if hasattr(col, "dt") and getattr(col.dt, "tz", None) is not None:
            a = col.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
        if a.dtype.kind == "M":
            ns = a.astype("datetime64[ns]").view(np.int64)
            return ns // 1_000_000_000
        if a.dtype.kind in "iu":
            return a.astype(np.int64)
    else:
        a = list(v)
    first = a[0] if len(a) else None
    if isinstance(first, (datetime.datetime, datetime.date)):
        return i64_array([_from_datetime(x) for x in a])
    fmt = date_format.encode("utf-8") if date_format else None
    return i64_array(_map_unique(a, lambda t: _parse_time_text(t, fmt)))


def _from_datetime(x):
    if isinstance(x, datetime.datetime):
        if x.tzinfo is None:
            x = x.replace(tzinfo=datetime.timezone.utc)
        return int(x.timestamp() // 1)
    return (x - datetime.date(1970, 1, 1)).days * DAY


def _parse_amount_text(text, scale):
    raw = text.encode("utf-8")
    out = ctypes.c_int64()
    rc = _lib.lib.rfm_parse_amount(raw, len(raw), scale, ctypes.byref(out))
    if rc:
        raise RfmError(rc, _lib.lib.rfm_strerror(rc).decode(), "amount %r does not parse" % text)
    return out.value


def amounts(col, scale, minor=False):
    """Minor units: text parsed exactly by the library; numbers in major
    units times 10^scale, rounded half to even (np.rint) - give text or
    minor=True integers when float rounding matters."""
    v = _values(col)
    if np is not None:
        a = np.asarray(v)
        if a.dtype.kind in "iu":
            return a.astype(np.int64) * (1 if minor else 10 ** scale)
        if a.dtype.kind == "f":
            if np.isnan(a).any():
                raise ValueError("amount column has missing values (NaN); drop or fill them")
            if minor:
                return np.rint(a).astype(np.int64)
            return np.rint(a * 10 ** scale).astype(np.int64)
    else:
        a = list(v)
        if all(isinstance(x, (int, float)) for x in a):
            mul = 1 if minor else 10 ** scale
            return i64_array([int(round(x * mul)) for x in a])
    return i64_array(_map_unique(a, lambda t: _parse_amount_text(t, scale)))
