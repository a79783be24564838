#!/bin/sh
# The HTML report in a real browser: headless Chromium renders the report of
# the bundled CDNOW data at desktop (1200 px) and phone (360 px) width.
#  - the screenshots are valid PNGs that are not blank (many colours, ink, and
#    the pixels of the customer and revenue bars);
#  - the DOM Chromium built (--dump-dom) holds every segment name with its
#    customer count from the independent reference summary
#    (tests/reference/cli_cdnow_quantile_summary.csv, pandas), as a table row
#    and as a chart label;
#  - it prints: --print-to-pdf gives a PDF of several pages;
#  - the page makes no network request: Chromium runs behind a dead proxy
#    with a net log, which must hold no request made by the page.
# Negative controls show each check can fail: a blank page fails the PNG
# check, a page with an external image fails the net-log check.
#
# usage: RFM=out/rfm sh tests/report_browser_test.sh   (source root; needs
#        chromium, e.g. Debian's `apt-get install chromium`, and python3)
#   CHROMIUM  the browser command (default: chromium)
set -u

RFM=${RFM:-out/rfm}
CHROMIUM=${CHROMIUM:-chromium}
PYTHON=${PYTHON:-/usr/bin/python3}
REF=tests/reference
CHECK=tests/report_browser_check.py
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rfm-browser.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

if ! command -v "$CHROMIUM" >/dev/null 2>&1; then
    echo "report_browser_test: '$CHROMIUM' not found (apt-get install chromium)"
    exit 1
fi
[ -x "$PYTHON" ] || PYTHON=python3

# browser NAME ARGS... URL: one headless run with a fresh profile, behind a
# proxy that refuses every connection, with a net log in $tmp/NAME.netlog
browser() {
    name=$1
    shift
    timeout 180 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --user-data-dir="$tmp/profile-$name" --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --proxy-server=127.0.0.1:9 \
        --log-net-log="$tmp/$name.netlog" "$@" 2>"$tmp/$name.err"
}

"$RFM" report -q --as-of 1998-07-01 -o "$tmp/cdnow.html" examples/data/cdnow.csv ||
    { echo "report_browser_test: rfm report failed"; exit 1; }
url="file://$(cd "$tmp" && pwd)/cdnow.html"

# ---------------------------------------------------------------- screenshots
if browser desktop --window-size=1200,3000 --screenshot="$tmp/desktop.png" "$url" &&
    "$PYTHON" "$CHECK" png "$tmp/desktop.png" 1200 0072B2 E69F00; then ok; else
    bad "desktop screenshot"
    sed 's/^/    /' "$tmp/desktop.err" | tail -5
fi
if browser phone --window-size=360,2400 --screenshot="$tmp/phone.png" "$url" &&
    "$PYTHON" "$CHECK" png "$tmp/phone.png" 360 0072B2; then ok; else
    bad "phone screenshot"
    sed 's/^/    /' "$tmp/phone.err" | tail -5
fi
for name in desktop phone; do
    if "$PYTHON" "$CHECK" netlog "$tmp/$name.netlog"; then ok; else bad "$name: network request"; fi
done

# printing (the print styles): a PDF of several pages, still without a request
if browser print --no-pdf-header-footer --print-to-pdf="$tmp/print.pdf" "$url" &&
    head -c 5 "$tmp/print.pdf" | grep -q '^%PDF-' && tail -c 8 "$tmp/print.pdf" | grep -q '%%EOF' &&
    [ "$(grep -a -c '/Type /Page$\|/Type /Page[^s]' "$tmp/print.pdf")" -ge 2 ]; then ok; else
    bad "print to PDF"
fi
if "$PYTHON" "$CHECK" netlog "$tmp/print.netlog"; then ok; else bad "print: network request"; fi

# ---------------------------------------------------------------- the DOM
browser dom --dump-dom "$url" >"$tmp/dom.html" || bad "dump-dom failed"
if "$PYTHON" "$CHECK" netlog "$tmp/dom.netlog"; then ok; else bad "dom: network request"; fi
# Expected rows and labels from the reference summary; a serialised DOM
# escapes & < > in text (not quotes).
awk -F, 'function group(n,   s) { s = ""; while (length(n) > 3) {
             s = "," substr(n, length(n) - 2) s; n = substr(n, 1, length(n) - 3) } return n s }
         function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s)
                           return s }
         NR > 1 { print "<tr><td>" esc($1) "</td><td>" group($2) "</td>"
                  print "class=\"lbl\">" esc($1) "</text>"
                  print "class=\"val\">" group($2) " · " }' \
    "$REF/cli_cdnow_quantile_summary.csv" >"$tmp/expected.txt"
n=0
while IFS= read -r line; do
    n=$((n + 1))
    grep -qF -- "$line" "$tmp/dom.html" || { bad "the DOM lacks: $line"; n=-999; }
done <"$tmp/expected.txt"
if [ "$n" -eq 30 ]; then ok; else bad "DOM: $n of 30 expected fragments checked"; fi
for frag in '<b>23,570</b>' '<b>1998-07-01</b>' '<section id="grid">' '<table id="levels-r">'; do
    if grep -qF -- "$frag" "$tmp/dom.html"; then ok; else bad "the DOM lacks: $frag"; fi
done
svgs=$(grep -o '<svg' "$tmp/dom.html" | wc -l)
if [ "$svgs" -eq 9 ]; then ok; else bad "DOM: $svgs charts, want 9"; fi
for pat in 'http://' 'https://' '<script' 'src=' 'url('; do
    if grep -qiF -- "$pat" "$tmp/dom.html"; then bad "DOM holds $pat"; else ok; fi
done

# ---------------------------------------------------------------- negative controls
printf '<!DOCTYPE html><html><body></body></html>\n' >"$tmp/blank.html"
browser blank --window-size=1200,800 --screenshot="$tmp/blank.png" "file://$(cd "$tmp" && pwd)/blank.html"
if "$PYTHON" "$CHECK" png "$tmp/blank.png" 1200 >/dev/null 2>&1; then
    bad "control: a blank page passed the screenshot check"
else ok; fi
printf '<!DOCTYPE html><html><body><p>x</p><img src="http://example.invalid/a.png"></body></html>\n' \
    >"$tmp/fetch.html"
browser fetch --dump-dom "file://$(cd "$tmp" && pwd)/fetch.html" >/dev/null
if "$PYTHON" "$CHECK" netlog "$tmp/fetch.netlog" >/dev/null 2>&1; then
    bad "control: a page loading an external image passed the net-log check"
else ok; fi

echo "report_browser_test: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
