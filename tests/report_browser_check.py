#!/usr/bin/python3
"""Checks of tests/report_browser_test.sh on what headless Chromium produced.

  report_browser_check.py png FILE WIDTH [RGB ...]
      FILE is a valid PNG (signature, chunk CRCs, IHDR, IEND) WIDTH pixels wide
      whose pixels are not blank: many distinct colours, enough non-white ink,
      and at least 100 pixels near each given colour (e.g. 0072B2, the bars).
  report_browser_check.py netlog FILE
      the Chromium net log (--log-net-log) holds no request made by the page:
      a URL request whose initiator is the page (a file:// page is the opaque
      origin "null") or whose network isolation key is the file:// site. The
      browser's own background requests ("not an origin") are not the page's.

Standard library only (zlib, json, struct): a minimal PNG decoder for 8-bit
RGB/RGBA, non-interlaced images, which is what Chromium writes.
"""
import json
import struct
import sys
import zlib


def fail(msg):
    print("report_browser_check: " + msg)
    sys.exit(1)


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path}: not a PNG (signature)")
    pos, chunks = 8, []
    while pos < len(data):
        if pos + 12 > len(data):
            fail(f"{path}: truncated chunk")
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if len(body) != length or zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            fail(f"{path}: bad CRC or truncated {kind!r} chunk")
        chunks.append((kind, body))
        pos += 12 + length
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        fail(f"{path}: IHDR or IEND missing")
    width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    if depth != 8 or ctype not in (2, 6) or interlace:
        fail(f"{path}: unsupported PNG (depth {depth}, colour type {ctype}, interlace {interlace})")
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(b for k, b in chunks if k == b"IDAT"))
    stride = width * bpp
    if len(raw) != height * (stride + 1):
        fail(f"{path}: image data of {len(raw)} bytes, want {height * (stride + 1)}")
    rows, prev = [], bytearray(stride)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 255
            elif ftype != 0:
                fail(f"{path}: bad filter type {ftype} in row {y}")
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def check_png(path, want_width, colours):
    width, height, bpp, rows = read_png(path)
    if width != want_width:
        fail(f"{path}: {width} pixels wide, want {want_width}")
    targets = [tuple(int(c[i:i + 2], 16) for i in (0, 2, 4)) for c in colours]
    found = [0] * len(targets)
    distinct, ink, total = set(), 0, 0
    for line in rows:
        for x in range(0, width * bpp, bpp):
            px = (line[x], line[x + 1], line[x + 2])
            total += 1
            distinct.add(px)
            if min(px) < 235:
                ink += 1
            for k, t in enumerate(targets):
                if abs(px[0] - t[0]) <= 3 and abs(px[1] - t[1]) <= 3 and abs(px[2] - t[2]) <= 3:
                    found[k] += 1
    print(f"{path}: {width}x{height}, {len(distinct)} colours, {100 * ink / total:.1f}% ink, "
          + ", ".join(f"#{c}: {n} px" for c, n in zip(colours, found)))
    if len(distinct) < 16:
        fail(f"{path}: blank or nearly ({len(distinct)} distinct colours)")
    if ink < total * 0.02:
        fail(f"{path}: blank or nearly ({ink} of {total} pixels not white)")
    for c, n in zip(colours, found):
        if n < 100:
            fail(f"{path}: colour #{c} (a chart's bars) on {n} pixels only")


def check_netlog(path):
    log = json.load(open(path))
    types = log["constants"]["logEventTypes"]
    start = types["URL_REQUEST_START_JOB"]
    made = []
    for e in log["events"]:
        p = e.get("params") or {}
        if e.get("type") != start or "url" not in p:
            continue
        url = p["url"]
        if url.startswith(("file:", "data:")):
            continue
        by_page = p.get("initiator") != "not an origin" or "file://" in p.get(
            "network_isolation_key", "")
        if by_page:
            made.append(url)
    if made:
        fail(f"{path}: the page made {len(made)} request(s): " + ", ".join(sorted(set(made))))
    print(f"{path}: no request by the page")


def main(argv):
    if len(argv) >= 4 and argv[1] == "png":
        check_png(argv[2], int(argv[3]), argv[4:])
    elif len(argv) == 3 and argv[1] == "netlog":
        check_netlog(argv[2])
    else:
        fail("usage: report_browser_check.py png FILE WIDTH [RRGGBB ...] | netlog FILE")


if __name__ == "__main__":
    main(sys.argv)
