"""librfm from Python: exact RFM customer segmentation over the C library.

    import librfm
    with librfm.Context(method="ntile") as ctx:
        ctx.ingest_frame(df, customer="customer_id", date="date", amount="amount")
        scores = ctx.compute().customers()

librfm.dask.score() runs the same computation over a Dask DataFrame.
The shared library is found through $LIBRFM_PATH, next to this package, or
on the system path (see librfm/_lib.py).
"""
from .context import AS_OF_AUTO, Context, partition_hash, version
from .errors import RfmError

__all__ = ["AS_OF_AUTO", "Context", "RfmError", "partition_hash", "version"]
