#!/usr/bin/python3
"""Independent reference for what `rfm score` prints (SPEC.md section 7).

Written from /work/shared/SPEC.md alone, without looking at the C library or the CLI
(lib/, include/, cli/), so that the CLI's stdout and --summary file can be checked
byte for byte against the files this script writes.

Everything that is money is an exact integer in minor units (scale 2: cents); decimal
strings are parsed into fractions.Fraction, never float.  Every rounding is explicit and
half to even, done on exact Fractions.  Scores are computed by this file's own code and
then recomputed with the helpers of rfm_reference.py (the library-level reference);
the two must agree or the script stops.

Output (stdout, or --output FILE): header
    customer_id,recency_days,frequency,monetary,r,f,m,segment
one row per scored customer (frequency >= 1), sorted by the UTF-8 bytes of customer_id,
monetary with exactly SCALE decimals, LF line ends, a field quoted only when it holds a
comma, a double quote, CR or LF.  Skipped rows are reported on stderr with their line
number (1-based physical line; header = line 1; a record spanning several lines is
reported at its first line).
"""
import argparse
import calendar
import csv
import datetime
import io
import os
import re
import sys
from fractions import Fraction

SCALE = 2                          # money scale (SPEC 1): minor units = cents
INT64_MIN, INT64_MAX = -2**63, 2**63 - 1
EPOCH = datetime.date(1970, 1, 1)
MAX_KEY_BYTES = 1024               # SPEC 1: byte-string keys are 1..1024 bytes
BLANKS = " \t"                     # ids (and the other fields) are trimmed of these

# SPEC 5 default preset, table order: (name, (r_lo, r_hi), (f_lo, f_hi)).
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

OUT_HEADER = ["customer_id", "recency_days", "frequency", "monetary", "r", "f", "m", "segment"]
SUMMARY_HEADER = ["segment", "customers", "share", "purchases", "monetary", "avg_monetary",
                  "avg_order_value", "median_recency_days", "median_frequency",
                  "median_monetary"]


class RowError(ValueError):
    """A field of one row cannot be parsed: the row is skipped and reported."""


# ---------------------------------------------------------------- parsing helpers

_NUM = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")


def parse_number(s, what):
    """Plain decimal string -> exact Fraction (no exponent, no inf/nan, no '_')."""
    t = s.strip(BLANKS)
    if not _NUM.match(t):
        raise RowError(f"bad {what} {s!r}")
    return Fraction(t)             # Fraction('2.55') is exactly 255/100


class Stats:
    rounded_amounts = 0            # amounts with more than SCALE decimals (rounded half-even)


def to_minor(x, what):
    """Exact Fraction in major units -> int minor units; half-even rounding only if the
    exact value has more than SCALE decimals."""
    v = x * 10**SCALE
    if v.denominator != 1:
        Stats.rounded_amounts += 1
        v = round(v)               # Fraction.__round__ with no ndigits: half to even
    v = int(v)
    if not INT64_MIN <= v <= INT64_MAX:
        raise RowError(f"{what} out of int64 range")
    return v


def parse_ts(s, fmt):
    """Date/time string -> int seconds since 1970-01-01 UTC (no zone = UTC).
    %y follows POSIX/Python: 00-68 -> 20xx, 69-99 -> 19xx."""
    t = s.strip(BLANKS)
    fmts = [fmt] if fmt else ["%Y-%m-%d", "%Y%m%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"]
    for f in fmts:
        try:
            dt = datetime.datetime.strptime(t, f)
            break
        except ValueError:
            continue
    else:
        raise RowError(f"bad date {s!r}")
    if not 1900 <= dt.year <= 2200:
        raise RowError(f"date out of range {s!r}")
    return calendar.timegm(dt.timetuple())


def day_of(ts):
    return ts // 86400             # floor, also for negative ts (SPEC 1)


def day_to_iso(day):
    return (EPOCH + datetime.timedelta(days=day)).isoformat()


def parse_as_of(s):
    d = datetime.date.fromisoformat(s)
    return (d - EPOCH).days


def ceil_div(a, b):
    return -(-a // b)


# ---------------------------------------------------------------- reading

def open_text(path):
    if path == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8",
                                errors="surrogateescape", newline="")
    return open(path, encoding="utf-8", errors="surrogateescape", newline="")


def records(f):
    """Yields (first physical line number, fields) for every record after the header.
    newline='' keeps CR/LF/CRLF as record ends and quoted newlines inside fields."""
    rd = csv.reader(f)             # RFC 4180: ',' separator, '"' quoting, "" escapes
    header = next(rd, None)
    if header is None:
        sys.exit("empty input: no header row")
    yield 1, header
    prev = rd.line_num
    for rec in rd:
        yield prev + 1, rec
        prev = rd.line_num


def load(a):
    """Returns (transactions, counters).  A transaction is
    (customer_id, timestamp, amount_minor, purchase_key or None)."""
    tx = []
    skipped = {"ragged": 0, "empty_id": 0, "unparseable": 0}
    with open_text(a.input) as f:
        it = records(f)
        _, header = next(it)
        names = [h.strip(BLANKS) for h in header]
        if names and names[0].startswith("\ufeff"):
            names[0] = names[0][1:]

        def col(name):
            if name is None:
                return None
            if names.count(name) != 1:
                sys.exit(f"column {name!r} not found once in header {names}")
            return names.index(name)

        c_cust, c_date = col(a.customer), col(a.date)
        c_amt, c_qty, c_price = col(a.amount), col(a.quantity), col(a.price)
        c_order = col(a.order)
        nf = len(header)
        for line, rec in it:
            if len(rec) != nf:
                skipped["ragged"] += 1
                print(f"line {line}: skipped: {len(rec)} fields, header has {nf}",
                      file=sys.stderr)
                continue
            cid = rec[c_cust].strip(BLANKS)
            if cid == "":
                skipped["empty_id"] += 1
                continue
            try:
                if len(cid.encode("utf-8", "surrogateescape")) > MAX_KEY_BYTES:
                    raise RowError(f"customer id longer than {MAX_KEY_BYTES} bytes")
                ts = parse_ts(rec[c_date], a.date_format)
                if c_amt is not None:
                    amt = to_minor(parse_number(rec[c_amt], "amount"), "amount")
                else:
                    q = parse_number(rec[c_qty], "quantity")
                    p = parse_number(rec[c_price], "price")
                    amt = to_minor(q * p, "quantity x price")   # exact product
            except RowError as e:
                skipped["unparseable"] += 1
                print(f"line {line}: skipped: {e}", file=sys.stderr)
                continue
            okey = None
            if c_order is not None:
                okey = rec[c_order].strip(BLANKS)
                if okey == "":
                    # SPEC does not say what an empty purchase key means: refuse to guess.
                    sys.exit(f"line {line}: empty purchase key; not defined by SPEC.md")
            tx.append((cid, ts, amt, okey))
    return tx, skipped


# ---------------------------------------------------------------- aggregation

def aggregate(tx, as_of_day):
    """SPEC 2/3.  Returns (scored customers sorted bytewise, as_of_day, unscored count)."""
    acc = {}    # cid -> [net, purchase count or set of purchase keys, last purchase day]
    for cid, ts, amt, okey in tx:
        a = acc.get(cid)
        if a is None:
            a = acc[cid] = [0, set(), None]
        a[0] += amt                                    # net: purchases and returns
        if amt >= 0:                                   # purchase line
            d = day_of(ts)
            a[1].add(okey if okey is not None else len(a[1]))   # no key: own purchase
            a[2] = d if a[2] is None else max(a[2], d)
    for cid, a in acc.items():
        if not INT64_MIN <= a[0] <= INT64_MAX:
            sys.exit(f"monetary of customer {cid!r} overflows int64")
    last_days = [a[2] for a in acc.values() if a[2] is not None]
    if as_of_day is None:
        if not last_days:
            sys.exit("no purchase line: default as-of date is undefined")
        as_of_day = max(last_days) + 1
    elif last_days and as_of_day < max(last_days):
        sys.exit(f"as-of date is earlier than the latest purchase day {day_to_iso(max(last_days))}")
    cust = []
    for cid, (net, keys, last) in acc.items():
        if keys:
            cust.append({"customer_id": cid, "key": cid.encode("utf-8", "surrogateescape"),
                         "recency_days": as_of_day - last, "frequency": len(keys),
                         "monetary": net})
    cust.sort(key=lambda c: c["key"])
    return cust, as_of_day, len(acc) - len(cust)


# ---------------------------------------------------------------- scoring (SPEC 4, 5)

def quantile_scores(values, B, higher_is_better):
    xs = sorted(values)
    n = len(xs)
    cuts = [xs[ceil_div(k * n, B) - 1] for k in range(1, B)]
    out = []
    for x in values:
        above = sum(1 for c in cuts if x > c)
        out.append(1 + above if higher_is_better else B - above)
    return out


def ntile_scores(values, keys, B, descending):
    n = len(values)
    order = sorted(range(n), key=lambda i: (-values[i] if descending else values[i], keys[i]))
    q, r = divmod(n, B)
    sizes = [q + 1] * r + [q] * (B - r)
    scores, pos = [0] * n, 0
    for g, size in enumerate(sizes, 1):
        for i in order[pos:pos + size]:
            scores[i] = g
        pos += size
    return scores


def segment_of(r, f, B):
    if B != 5:
        r, f = ceil_div(5 * r, B), ceil_div(5 * f, B)
    for name, (r0, r1), (f0, f1) in DEFAULT_PRESET:
        if r0 <= r <= r1 and f0 <= f <= f1:
            return name
    return OTHERS


def score(cust, B, method):
    keys = [c["key"] for c in cust]
    dims = [("r", "recency_days", False), ("f", "frequency", True), ("m", "monetary", True)]
    for s, colname, higher in dims:
        vals = [c[colname] for c in cust]
        if method == "quantile":
            sc = quantile_scores(vals, B, higher)
        else:
            sc = ntile_scores(vals, keys, B, descending=not higher)
        for c, v in zip(cust, sc):
            c[s] = v
    for c in cust:
        c["segment"] = segment_of(c["r"], c["f"], B)


def cross_check_with_library_reference(cust, B, method):
    """Recompute scores and segments with rfm_reference.py's helpers; must agree."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.dont_write_bytecode = True         # no __pycache__ next to the reference files
    import pandas as pd
    import rfm_reference as rr
    assert [tuple(p) for p in rr.DEFAULT_PRESET] == [tuple(p) for p in DEFAULT_PRESET]
    if not cust:
        return
    df = pd.DataFrame({
        "recency_days": pd.Series([c["recency_days"] for c in cust], dtype="int64"),
        "frequency": pd.Series([c["frequency"] for c in cust], dtype="int64"),
        "monetary_cents": pd.Series([c["monetary"] for c in cust], dtype="int64"),
        "key": pd.Series([c["key"] for c in cust], dtype=object)})
    for s, colname, higher in [("r", "recency_days", False), ("f", "frequency", True),
                               ("m", "monetary_cents", True)]:
        vals = [int(v) for v in df[colname]]
        if method == "quantile":
            cuts = rr.quantile_cutoffs(vals, B)
            assert cuts == rr.quantile_cutoffs_ecdf(vals, B)
            theirs = rr.quantile_scores(vals, cuts, B, higher)
        else:
            theirs, _ = rr.ntile(df, colname, B, descending=not higher)
        assert [c[s] for c in cust] == list(theirs), f"{s} scores disagree with rfm_reference"
    assert [c["segment"] for c in cust] == [rr.segment(c["r"], c["f"], B) for c in cust]


# ---------------------------------------------------------------- formatting

def fixed(x, decimals):
    """Exact Fraction/int -> string with exactly `decimals` decimals, half-even rounded."""
    v = round(Fraction(x) * 10**decimals)          # int, half to even
    sign = "-" if v < 0 else ""
    v = abs(v)
    if decimals == 0:
        return f"{sign}{v}"
    ip, fp = divmod(v, 10**decimals)
    return f"{sign}{ip}.{fp:0{decimals}d}"


def money(minor):
    return fixed(Fraction(minor, 10**SCALE), SCALE)


def csv_field(s):
    s = str(s)
    if any(ch in s for ch in ',"\r\n'):
        return '"' + s.replace('"', '""') + '"'
    return s


def csv_line(fields):
    return ",".join(csv_field(x) for x in fields) + "\n"


def customer_lines(cust):
    yield csv_line(OUT_HEADER)
    for c in cust:
        yield csv_line([c["customer_id"], c["recency_days"], c["frequency"],
                        money(c["monetary"]), c["r"], c["f"], c["m"], c["segment"]])


def median(xs):
    """Exact median (Fraction): middle value, or mean of the two middle values."""
    xs = sorted(xs)
    n = len(xs)
    return Fraction(xs[n // 2]) if n % 2 else Fraction(xs[n // 2 - 1] + xs[n // 2], 2)


def summary_lines(cust):
    n = len(cust)
    names = [p[0] for p in DEFAULT_PRESET]
    if any(c["segment"] == OTHERS for c in cust):
        names.append(OTHERS)
    yield csv_line(SUMMARY_HEADER)
    for name in names:
        seg = [c for c in cust if c["segment"] == name]
        k = len(seg)
        if k == 0:
            yield csv_line([name, 0, fixed(0, 4), 0, money(0), money(0), money(0),
                            fixed(0, 1), fixed(0, 1), money(0)])
            continue
        purchases = sum(c["frequency"] for c in seg)
        total = sum(c["monetary"] for c in seg)
        # medians of recency/frequency are integers or .5: 1 decimal is exact
        mr = median([c["recency_days"] for c in seg])
        mf = median([c["frequency"] for c in seg])
        assert (mr * 2).denominator == 1 and (mf * 2).denominator == 1
        yield csv_line([
            name, k, fixed(Fraction(k, n), 4), purchases, money(total),
            money(round(Fraction(total, k))),              # cents, half-even
            money(round(Fraction(total, purchases))),      # purchases >= k >= 1
            fixed(mr, 1), fixed(mf, 1),
            money(round(median([c["monetary"] for c in seg])))])


def write(lines, path):
    data = "".join(lines).encode("utf-8", "surrogateescape")
    if path is None or path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        with open(path, "wb") as f:
            f.write(data)


# ---------------------------------------------------------------- checks vs rfm_reference outputs

def check_customers(cust, path):
    """Compare with rfm_reference.py's *_customers.csv (monetary there is integer cents)."""
    with open(path, newline="", encoding="utf-8", errors="surrogateescape") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["customer_id", "recency_days", "frequency", "monetary_cents",
                       "r", "f", "m", "segment"], rows[0]
    mine = [[c["customer_id"], str(c["recency_days"]), str(c["frequency"]),
             str(c["monetary"]), str(c["r"]), str(c["f"]), str(c["m"]), c["segment"]]
            for c in cust]
    assert rows[1:] == mine, f"customers differ from {path}"
    print(f"check: {len(mine)} customers identical to {path} (monetary as cents)",
          file=sys.stderr)


def check_summary(summary_csv, path):
    """Compare with rfm_reference.py's float *_summary.csv: counts and sums exactly,
    ratios within half a unit of the last printed decimal, medians exactly."""
    with open(path, newline="", encoding="utf-8") as f:
        theirs = list(csv.DictReader(f))
    mine = list(csv.DictReader(io.StringIO(summary_csv)))
    assert [t["segment"] for t in theirs] == [m["segment"] for m in mine]
    for t, m in zip(theirs, mine):
        assert t["customers"] == m["customers"] and t["purchases"] == m["purchases"], t
        assert Fraction(t["monetary_cents"]) == Fraction(m["monetary"]) * 100, t
        if t["customers"] == "0":
            continue
        assert abs(float(t["share"]) - float(m["share"])) <= 0.00005 + 1e-12, t
        for tc, mc in [("avg_monetary_cents", "avg_monetary"), ("aov_cents", "avg_order_value")]:
            assert abs(float(t[tc]) - float(m[mc]) * 100) <= 0.5 + 1e-6, (t, tc)
        assert float(t["median_recency"]) == float(m["median_recency_days"]), t
        assert float(t["median_frequency"]) == float(m["median_frequency"]), t
        assert abs(float(t["median_monetary_cents"]) - float(m["median_monetary"]) * 100) <= 0.5 + 1e-6, t
    print(f"check: summary consistent with {path}", file=sys.stderr)


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input", metavar="FILE", help="CSV with a header row; - = stdin")
    ap.add_argument("--customer", required=True)
    ap.add_argument("--date", required=True)
    ap.add_argument("--date-format", help="strptime format; default ISO date or YYYYMMDD")
    ap.add_argument("--amount")
    ap.add_argument("--quantity")
    ap.add_argument("--price")
    ap.add_argument("--order", help="purchase key column (invoice/order id)")
    ap.add_argument("--as-of", help="YYYY-MM-DD; default latest purchase day + 1")
    ap.add_argument("--bins", type=int, default=5)
    ap.add_argument("--method", choices=["quantile", "ntile"], default="quantile")
    ap.add_argument("--summary", help="also write the segment summary CSV to this file")
    ap.add_argument("--output", help="write the customer rows here instead of stdout")
    ap.add_argument("--check-customers", help="rfm_reference.py *_customers.csv to compare with")
    ap.add_argument("--check-summary", help="rfm_reference.py *_summary.csv to compare with")
    a = ap.parse_args()
    if not 2 <= a.bins <= 100:
        sys.exit("--bins must be in 2..100")
    if a.amount is None and (a.quantity is None or a.price is None):
        sys.exit("give --amount COL, or --quantity COL and --price COL")
    if a.amount is not None:
        a.quantity = a.price = None          # an amount column wins: quantity is ignored

    tx, skipped = load(a)
    as_of = parse_as_of(a.as_of) if a.as_of else None
    cust, as_of, unscored = aggregate(tx, as_of)
    score(cust, a.bins, a.method)
    cross_check_with_library_reference(cust, a.bins, a.method)

    write(customer_lines(cust), a.output)
    summary_csv = "".join(summary_lines(cust))
    if a.summary:
        write([summary_csv], a.summary)
    if a.check_customers:
        check_customers(cust, a.check_customers)
    if a.check_summary:
        check_summary(summary_csv, a.check_summary)

    print(f"{len(tx)} transactions read; skipped rows: {skipped['ragged']} ragged, "
          f"{skipped['empty_id']} empty customer id, {skipped['unparseable']} unparseable",
          file=sys.stderr)
    if Stats.rounded_amounts:
        print(f"{Stats.rounded_amounts} amounts had more than {SCALE} decimals "
              f"(rounded half to even)", file=sys.stderr)
    print(f"as-of {day_to_iso(as_of)}; {len(cust)} scored customers, "
          f"{unscored} unscored (returns only)", file=sys.stderr)


if __name__ == "__main__":
    main()
