"""librfm.dask.score() on a LocalCluster(n_workers=2) equals one Context
holding every row, bit for bit, for 1, 2, 3 and 7 input partitions, both
methods, on CDNOW and on a small generated set with returns and orders."""
import pytest

from conftest import CDNOW
import librfm

pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
import librfm.dask as rfm_dask  # noqa: E402


@pytest.fixture(scope="module")
def client():
    # worker processes, as on a real cluster: the package and the shared
    # library are found there through sys.path and LIBRFM_PATH
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def cdnow():
    # shuffled so every partition holds pieces of many customers
    return pd.read_csv(CDNOW, dtype=str).sample(frac=1.0, random_state=7).reset_index(drop=True)


def generated():
    rng = np.random.default_rng(42)
    n = 4000
    df = pd.DataFrame({
        "customer": rng.integers(0, 700, n).astype(str),
        "ts": pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 500, n), unit="D"),
        "cents": rng.integers(-500, 20000, n),  # some returns
        "order": np.where(rng.random(n) < 0.5, rng.integers(0, 300, n).astype(str), None),
    })
    return df


def single(df, method, **cols):
    with librfm.Context(method=method) as ctx:
        ctx.ingest_frame(df, **cols)
        return ctx.compute().customers()


def check_equal(got, want):
    got = got.sort_values("customer_id").reset_index(drop=True)
    assert len(got) == len(want)
    pd.testing.assert_frame_equal(got, want.reset_index(drop=True), check_dtype=False)


@pytest.mark.parametrize("method", ["quantile", "ntile"])
@pytest.mark.parametrize("parts", [1, 2, 3, 7])
def test_cdnow_equals_one_context(client, method, parts):
    df = cdnow()
    want = single(df, method)
    ddf = dd.from_pandas(df, npartitions=parts, sort=False)
    got, stats = rfm_dask.score(ddf, method=method, client=client, return_stats=True,
                                edges_per_round=16, sample_cap=16)
    check_equal(got.compute(), want)
    assert stats["n_parts"] == parts and stats["customers"] == 23570
    assert stats["quantile_rounds" if method == "quantile" else "ntile_rounds"] >= 2


@pytest.mark.parametrize("method", ["quantile", "ntile", ("ntile", "quantile", "ntile")])
@pytest.mark.parametrize("parts", [1, 2, 3, 7])
def test_generated_equals_one_context(client, method, parts):
    df = generated()
    cols = dict(customer="customer", date="ts", amount="cents", order="order",
                amount_minor=True)
    with librfm.Context(method=method if isinstance(method, str) else "quantile") as ctx:
        if not isinstance(method, str):
            for d, m in zip("rfm", method):
                ctx.set_param("method_" + d, 1 if m == "ntile" else 0)
        ctx.ingest_frame(df, **cols)
        want = ctx.compute().customers()
    ddf = dd.from_pandas(df, npartitions=parts, sort=False)
    got = rfm_dask.score(ddf, method=method, client=client, customer="customer", date="ts",
                         amount="cents", order="order", amount_minor=True, sample_cap=8)
    check_equal(got.compute(), want)


def test_as_of_is_global_and_checked(client):
    df = cdnow()
    ddf = dd.from_pandas(df, npartitions=3, sort=False)
    got = rfm_dask.score(ddf, client=client, as_of="1998-12-31").compute()
    with librfm.Context() as ctx:
        ctx.ingest_frame(df)
        want = ctx.compute(as_of="1998-12-31").customers()
    check_equal(got, want)
    with pytest.raises(librfm.RfmError) as err:
        rfm_dask.score(ddf, client=client, as_of="1997-01-01").compute()
    assert "before the latest purchase date" in str(err.value)
    # the owners built before the error are freed
    assert set(client.run(lambda: len(rfm_dask._OWNERS)).values()) == {0}


def test_without_a_client_runs_in_process():
    df = generated()
    ddf = dd.from_pandas(df, npartitions=3, sort=False)
    got = rfm_dask.score(ddf, method="ntile", client=False, customer="customer", date="ts",
                         amount="cents", amount_minor=True)
    want = single(df, "ntile", customer="customer", date="ts", amount="cents",
                  amount_minor=True)
    check_equal(got.compute(), want)


def test_worker_errors_arrive_as_rfm_errors(client):
    df = generated().astype({"ts": str})
    df.loc[1234, "ts"] = "not a date"
    ddf = dd.from_pandas(df, npartitions=3, sort=False)
    with pytest.raises(librfm.RfmError) as err:
        rfm_dask.score(ddf, client=client, customer="customer", date="ts", amount="cents",
                       amount_minor=True)
    assert err.value.code == 11 and "not a date" in str(err.value)
    # no owner context is left behind on the workers
    assert set(client.run(lambda: len(rfm_dask._OWNERS)).values()) == {0}
