"""Test setup: the package from this checkout and the library and `rfm`
binary of the build directory $LIBRFM_OUT (default: out/ of the repo)."""
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
OUT = os.path.abspath(os.environ.get("LIBRFM_OUT", os.path.join(ROOT, "out")))
sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))
os.environ.setdefault("LIBRFM_PATH", OUT)
CDNOW = os.path.join(ROOT, "examples", "data", "cdnow.csv")
RFM = os.path.join(OUT, "rfm")
