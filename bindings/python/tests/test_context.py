"""The Context binding against the real `rfm` command on the bundled CDNOW
data, error reporting, and memory over many create/destroy cycles."""
import csv
import io
import os
import subprocess
import sys
from decimal import Decimal

import pytest

from conftest import CDNOW, RFM
import librfm

pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")


def run_cli(*args):
    proc = subprocess.run([RFM, "score", *args, CDNOW], check=True, capture_output=True,
                          text=True)
    return list(csv.DictReader(io.StringIO(proc.stdout)))


def cdnow_frame():
    return pd.read_csv(CDNOW, dtype=str)


@pytest.mark.parametrize("method", ["quantile", "ntile"])
def test_customers_equal_the_cli(method):
    cli = run_cli("--method", method)
    with librfm.Context(method=method) as ctx:
        assert ctx.ingest_frame(cdnow_frame()) == 69659
        got = ctx.compute().records()
    assert len(got) == len(cli) == 23570
    for mine, theirs in zip(got, cli):
        assert mine["customer_id"] == theirs["customer_id"]
        assert mine["recency_days"] == int(theirs["recency_days"])
        assert mine["frequency"] == int(theirs["frequency"])
        assert mine["monetary_minor"] == int(Decimal(theirs["monetary"]) * 100)
        assert (mine["r"], mine["f"], mine["m"]) == (int(theirs["r"]), int(theirs["f"]),
                                                     int(theirs["m"]))
        assert mine["segment"] == theirs["segment"]


def test_summary_equals_the_cli(tmp_path):
    path = tmp_path / "summary.csv"
    run_cli("--summary", str(path))
    with open(path) as f:
        cli = {row["segment"]: row for row in csv.DictReader(f)}
    with librfm.Context() as ctx:
        ctx.ingest_frame(cdnow_frame())
        summary = ctx.compute().summary()
    for _, row in summary.iterrows():
        if row["segment"] in cli:
            assert row["customers"] == int(cli[row["segment"]]["customers"])
            assert round(row["monetary"], 2) == float(cli[row["segment"]]["monetary"])


def test_lists_numpy_and_frames_agree():
    df = cdnow_frame()
    ids = df["customer_id"].astype(int)
    dates = pd.to_datetime(df["date"], format="%Y%m%d")
    cents = df["amount"].map(lambda s: int(Decimal(s) * 100))
    results = []
    for cols in [(ids.tolist(), dates.dt.date.tolist(), cents.tolist()),
                 (ids.to_numpy(), dates.to_numpy(), cents.to_numpy()),
                 (ids, dates, cents)]:
        with librfm.Context() as ctx:
            ctx.ingest(*cols, amount_minor=True)
            results.append(ctx.compute().customers()[["customer_id", "r", "f", "m"]])
    for other in results[1:]:
        assert results[0].equals(other)
    # integer keys order numerically; CDNOW's zero-padded ids give the same order
    with librfm.Context() as ctx:
        ctx.ingest_frame(df)
        text = ctx.compute().customers()
    assert (text["customer_id"].astype(int).to_numpy() == results[0]["customer_id"]).all()
    assert (text[["r", "f", "m"]].to_numpy() == results[0][["r", "f", "m"]].to_numpy()).all()


def test_errors_raise_with_the_library_message():
    with librfm.Context() as ctx:
        with pytest.raises(librfm.RfmError) as err:
            ctx.compute()
        assert err.value.code == 8 and "no scored customers" in str(err.value)
        ctx.ingest(["a"], ["1998-06-30"], ["10.00"])
        with pytest.raises(librfm.RfmError) as err:
            ctx.compute(as_of="1997-01-01")
        assert err.value.code == 4
        assert "before the latest purchase date 1998-06-30" in str(err.value)
        with pytest.raises(librfm.RfmError) as err:
            ctx.set_param("bins", 1)
        assert err.value.code == 4
        with pytest.raises(librfm.RfmError) as err:
            ctx.ingest([1], ["1998-06-30"], ["1.00"])  # u64 key into a string context
        assert err.value.code == 9
        with pytest.raises(librfm.RfmError):
            ctx.ingest(["b"], ["not a date"], ["1.00"])
        with pytest.raises(KeyError):
            ctx.customer("zz")
        with pytest.raises(librfm.RfmError) as err:
            ctx.load_bytes(b"garbage")
        assert err.value.code == 13


def test_state_snapshots_transitions_and_reach(tmp_path):
    df = cdnow_frame()
    first, second = df[df["date"] < "19970701"], df[df["date"] >= "19970701"]
    with librfm.Context() as ctx:
        ctx.ingest_frame(first)
        ctx.compute(as_of="1997-07-01")
        blob = ctx.to_bytes()
        ctx.save(tmp_path / "state.rfm")
        with librfm.Context().load(tmp_path / "state.rfm") as again:
            assert again.to_bytes() == blob
        ctx.ingest_frame(second)
        ctx.compute()
        trans = ctx.transitions()
        assert int(trans.to_numpy().sum()) == 23570
        assert "new" in trans.index
        assert ctx.set_channels(["00001", "00002", "nobody"], "email") == 1
        count, share = ctx.reach("email")
        assert count == 2 and share == pytest.approx(2 / 23570)
        assert ctx.customer("00001")["channels"] == 1
        assert ctx.cutoffs("m") == ctx.cutoffs()["m"] and len(ctx.cutoffs("m")) == 4
        assert sum(ctx.level_counts("r")) == 23570
        assert any("F: score 2" in w for w in ctx.warnings())
    with librfm.Context.from_bytes(blob) as restored:
        assert restored.counts()[0] > 0


def test_partition_hash_is_the_documented_function():
    mask = (1 << 64) - 1

    def h64(key):
        z = (key + 0x9E3779B97F4A7C15) & mask
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        return z ^ (z >> 31)

    def hbytes(data):
        h = 0xCBF29CE484222325
        for b in data:
            h = ((h ^ b) * 0x100000001B3) & mask
        return h64(h)

    for key in [0, 1, 42, 2 ** 63, mask]:
        assert librfm.partition_hash(key) == h64(key)
    for key in ["", "00001", "kund-ö"]:
        assert librfm.partition_hash(key) == hbytes(key.encode())


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
def test_no_leak_over_1e5_create_destroy_cycles():
    def cycles(n):
        for i in range(n):
            ctx = librfm.Context()
            ctx.ingest([i], [86400 * 10000], [100], amount_minor=True)
            ctx.close()

    cycles(2000)  # warm up allocator pools and ctypes caches
    before = rss_bytes()
    cycles(100_000)
    grown = rss_bytes() - before
    # a context with one customer is several KiB: a leak would be >= 100 MB
    assert grown < 4 * 1024 * 1024, grown


def test_integer_keys_with_integer_orders():
    # two lines of order 7 are one purchase; a line without order is its own
    customers = [5, 5, 5, 9]
    days = ["2020-01-01", "2020-01-01", "2020-02-01", "2020-01-05"]
    amounts = ["1.00", "2.00", "3.00", "4.00"]
    with librfm.Context() as ctx:
        ctx.ingest(customers, days, amounts, orders=[7, 7, None, 1])
        assert ctx.customer(5)["frequency"] == 2 and ctx.customer(5)["monetary_minor"] == 600
    with librfm.Context() as ctx:
        ctx.ingest(np.array(customers), days, amounts, orders=np.array([7, 7, np.nan, 1]))
        assert ctx.customer(5)["frequency"] == 2
    with librfm.Context() as ctx, pytest.raises(ValueError):
        ctx.ingest(customers, days, amounts, orders=["a", "a", None, "b"])


def test_standard_library_only():
    # numpy and pandas hidden: lists in, dicts out, same scores as with them
    code = """
import sys
sys.modules['numpy'] = None
sys.modules['pandas'] = None
import csv, librfm
rows = list(csv.DictReader(open(%r)))
with librfm.Context(method='ntile') as ctx:
    ctx.ingest([r['customer_id'] for r in rows], [r['date'] for r in rows],
               [r['amount'] for r in rows])
    recs = ctx.compute().customers()
    assert isinstance(recs, list)
    print(sum(r['r'] * 100 + r['f'] * 10 + r['m'] for r in recs), len(recs))
""" % CDNOW
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    with librfm.Context(method="ntile") as ctx:
        ctx.ingest_frame(cdnow_frame())
        df = ctx.compute().customers()
    assert out.stdout.split() == [str(int((df.r * 100 + df.f * 10 + df.m).sum())), str(len(df))]


def test_string_keys_bytes_and_non_ascii():
    with librfm.Context() as ctx:
        ctx.ingest(["kund-ö", "abc", b"raw\xff"], ["2020-01-01"] * 3, ["1.00", "2.00", "3.00"])
        assert ctx.customer("kund-ö")["monetary_minor"] == 100
        assert ctx.customer(b"raw\xff")["monetary_minor"] == 300
        assert ctx.counts() == (3, 3, 0)


def test_missing_values_are_refused():
    with librfm.Context() as ctx:
        with pytest.raises(ValueError, match="customer"):
            ctx.ingest(pd.Series(["a", None]), ["2020-01-01"] * 2, ["1.00"] * 2)
        with pytest.raises(ValueError, match="amount"):
            ctx.ingest(["a", "b"], ["2020-01-01"] * 2, np.array([1.0, np.nan]))
        with pytest.raises(librfm.RfmError) as err:  # NaT: out of the timestamp range
            ctx.ingest(["a"], pd.Series(pd.to_datetime([None])), [1.0])
        assert err.value.code == 4
        assert ctx.counts() == (0, 0, 0)
