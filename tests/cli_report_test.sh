#!/bin/sh
# End-to-end tests of the HTML report (`rfm report`, `rfm score --report`)
# without a browser: the page's structure, the numbers it shows against the
# independent pandas outputs under tests/reference/ (never against rfm's own
# output), HTML escaping of hostile names, self-containment (nothing that
# could fetch), and errors with their exit status. tests/report_browser_test.sh
# renders the page in a real browser.
#
# usage: RFM=out/rfm sh tests/cli_report_test.sh     (run from the source root)
#   RFM_RUN_WRAPPER  command prefix, e.g. "valgrind -q --error-exitcode=99"
set -u

NAME=cli_report_test
. "$(dirname "$0")/cli_lib.sh"

# has FILE TEXT: FILE holds TEXT (fixed string)
has() {
    if grep -qF -- "$2" "$1"; then ok; else bad "$1 lacks: $2"; fi
}

lacks() {
    if grep -qiF -- "$2" "$1"; then bad "$1 holds: $2"; else ok; fi
}

# awk functions: digit groups as the report prints them (23570 -> 23,570);
# a name as HTML text (the reference names hold an apostrophe).
GROUP='function group(n,   s) { s = ""; while (length(n) > 3) { s = "," substr(n, length(n) - 2) s;
                                    n = substr(n, 1, length(n) - 3) } return n s }
       function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s);
                         gsub(/\047/, "\\&#39;", s); return s }'

# check_rows FILE EXPECTED: every line of EXPECTED (HTML fragments) is in FILE
check_rows() {
    n=0
    while IFS= read -r line; do
        n=$((n + 1))
        if ! grep -qF -- "$line" "$1"; then bad "$1 lacks the row: $line"; return; fi
    done <"$2"
    if [ "$n" -gt 0 ]; then ok; else bad "$2: no expected rows (test bug)"; fi
}

# self_contained FILE: nothing in the page can make the browser fetch
self_contained() {
    for pat in 'http://' 'https://' '//' 'url(' 'src=' '@import' '<script' '<link' \
        '<iframe' '<object' '<embed' '<img'; do
        lacks "$1" "$pat"
    done
    # links only to sections of the page itself
    if grep -o 'href=[^>]*' "$1" | grep -qv '^href="#[a-z-]*"$'; then
        bad "$1: a link out of the page"
    else ok; fi
}

# ---------------------------------------------------------------- the CDNOW report
run cdnow report --as-of 1998-07-01 -o "$tmp/cdnow.html" "$DATA/cdnow.csv" &&
    expect_status cdnow 0
page=$tmp/cdnow.html
if [ -s "$tmp/cdnow.out" ]; then bad "cdnow: rfm report -o FILE wrote to stdout"; else ok; fi
expect_err cdnow "69659 rows read, 69659 used, 0 skipped; 23570 customers"

# structure
if head -n 1 "$page" | grep -qx '<!DOCTYPE html>' && tail -n 1 "$page" | grep -qx '</html>'
then ok; else bad "cdnow: not a whole HTML document"; fi
for frag in '<meta charset="utf-8">' 'name="viewport"' 'Content-Security-Policy' \
    "default-src 'none'" '<style>' '@media print' '@media (max-width:480px)' \
    '<section id="headline">' '<section id="segments-overview">' '<section id="grid">' \
    '<section id="levels">' '<section id="diagnostics">' '<table id="segments">' \
    '<table class="grid-table">' '<table id="levels-r">' '<table id="levels-f">' \
    '<table id="levels-m">' 'role="img"' '<title>Customers per segment</title>' \
    '<title>Revenue per segment</title>' 'examples/data/cdnow.csv' \
    'F: score 2 has no customer (tied values share a score)' '#0072B2' '#E69F00'; do
    has "$page" "$frag"
done
lacks "$page" '<section id="history">'
lacks "$page" '<section id="reach">'
# every chart has its table: 2 segment charts (one summary table), the grid,
# 3 level charts, 3 value histograms
svgs=$(grep -o '<svg' "$page" | wc -l)
tables=$(grep -o '<table' "$page" | wc -l)
if [ "$svgs" -eq 9 ] && [ "$tables" -eq 8 ]; then ok; else
    bad "cdnow: $svgs charts (want 9) and $tables tables (want 8)"
fi
# a text label on every bar: each <rect> of a bar chart carries a <title>
if awk '/<g class="bar">/ && !/<rect[^>]*><title>[^<]+<\/title><\/rect><text/ { bad = 1 }
        END { exit bad }' "$page"; then ok; else bad "cdnow: a bar without its label"; fi
self_contained "$page"

# headline numbers against the reference rows and summary
awk -F, "$GROUP"'
    FNR == NR { if (FNR > 1) { n++; split($4, p, "."); cents += p[1] * 100 + p[2] } next }
    FNR > 1 { purchases += $4 }
    END { printf "<span>customers</span><b>%s</b>\n", group(n)
          printf "<span>scored</span><b>%s</b>\n", group(n)
          printf "<span>purchases</span><b>%s</b>\n", group(purchases)
          printf "<span>revenue (scored, net)</span><b>%s.%02d</b>\n", group(int(cents / 100)),
                 cents % 100 }' \
    "$REF/cli_cdnow_quantile.csv" "$REF/cli_cdnow_quantile_summary.csv" >"$tmp/kpis.txt"
check_rows "$page" "$tmp/kpis.txt"
has "$page" '<span>as-of day</span><b>1998-07-01</b>'
has "$page" '<span>purchases from – to</span><b>1997-01-01 – 1998-06-30</b>'
has "$page" '<span>rows read</span><b>69,659</b>'
has "$page" '<span>rows skipped</span><b>0</b>'

# segment summary: name, customers, share, purchases, revenue per segment
awk -F, "$GROUP"'
    NR > 1 { printf "<tr><td>%s</td><td>%s</td><td>%.2f%%</td><td>%s</td>\n", esc($1),
             group($2), 100 * $3, group($4) }' "$REF/cli_cdnow_quantile_summary.csv" >"$tmp/segs.txt"
check_rows "$page" "$tmp/segs.txt"
# every bar of the customer chart names its segment and count
awk -F, "$GROUP"'NR > 1 { printf "%s: %s ·\n", esc($1), group($2) }' \
    "$REF/cli_cdnow_quantile_summary.csv" >"$tmp/bars.txt"
check_rows "$page" "$tmp/bars.txt"

# the R x F grid: customers per cell, counted from the reference rows
awk -F, "$GROUP"'
    NR > 1 { n[$5 " F " $6]++ }
    END { for (r = 5; r >= 1; r--) for (f = 1; f <= 5; f++)
              printf "<tr><td>R %s</td><td>%s</td>\n", r " F " f, group(n[r " F " f] + 0) }' \
    "$REF/cli_cdnow_quantile.csv" >"$tmp/grid.txt"
check_rows "$page" "$tmp/grid.txt"
# every cell is named by its segment of the default preset (SPEC 5), empty or not
for cell in 'R 5 F 1</td><td>0</td><td>&#8212;</td><td>Recent Customers' \
    'R 4 F 1</td><td>0</td><td>&#8212;</td><td>Promising' \
    'R 3 F 2</td><td>0</td><td>&#8212;</td><td>About to Sleep' \
    'R 1 F 5</td><td>4</td><td>173.02</td><td>Can&#39;t Lose'; do
    has "$page" "<tr><td>$cell</td></tr>"
done

# score levels: customers per level, counted from the reference rows, and the
# level ranges from the reference cutoffs
awk -F, "$GROUP"'
    NR > 1 { r[$5]++; f[$6]++; m[$7]++ }
    END { for (s = 5; s >= 1; s--)
              printf "<tr><td>R %d</td><td>[^<]*</td><td>%s</td></tr>\n" \
                     "<tr><td>F %d</td><td>[^<]*</td><td>%s</td></tr>\n" \
                     "<tr><td>M %d</td><td>[^<]*</td><td>%s</td></tr>\n",
                     s, group(r[s] + 0), s, group(f[s] + 0), s, group(m[s] + 0) }' \
    "$REF/cli_cdnow_quantile.csv" >"$tmp/levels.txt"
n=0
while IFS= read -r line; do
    n=$((n + 1))
    grep -qE -- "$line" "$page" || { bad "$page lacks the level row: $line"; n=-99; }
done <"$tmp/levels.txt"
if [ "$n" -eq 15 ]; then ok; else bad "levels: $n rows checked"; fi
awk -F, '$1 == "R" { c[$2] = $3 } END {
    printf "<tr><td>R 5</td><td>≤ %s days</td>\n", c[1]
    printf "<tr><td>R 4</td><td>&gt; %s to ≤ %s days</td>\n", c[1], c[2]
    printf "<tr><td>R 1</td><td>&gt; %s days</td>\n", c[4] }' \
    "$REF/cdnow_quantile_cutoffs.csv" >"$tmp/ranges.txt"
check_rows "$page" "$tmp/ranges.txt"
has "$page" '<tr><td>F 2</td><td>no value (tied cutoffs)</td><td>0</td></tr>'

# level_ranges NAME PAGE ROWS: every level label of PAGE holds the values of
# that level's customers in the reference rows ROWS (their min and max)
level_ranges() {
    if awk -F, '
        FNR == NR { if (FNR == 1) next
                    for (d = 0; d < 3; d++) { k = substr("RFM", d + 1, 1) " " $(5 + d); v = $(2 + d) + 0
                        if (!(k in mn) || v < mn[k]) mn[k] = v
                        if (!(k in mx) || v > mx[k]) mx[k] = v }
                    next }
        /^<tr><td>[RFM] [0-9]+<\/td><td>/ {
            split($0, p, /<\/?td>/); k = p[2]; t = p[4]
            gsub(/ days|,/, "", t); gsub(/&gt;/, ">", t); checked++
            if (!(k in mn)) { if (t != "no value (tied cutoffs)") { print "level " k ": " t; bad = 1 } next }
            lo = -1e300; hi = 1e300; open = 0
            if (t ~ /^> .* to ≤ /) { split(t, w, " "); lo = w[2]; hi = w[5]; open = 1 }
            else if (t ~ / to /) { split(t, w, " "); lo = w[1]; hi = w[3] }
            else if (t ~ /^≤ /) hi = substr(t, length("≤ ") + 1)
            else if (t ~ /^≥ /) lo = substr(t, length("≥ ") + 1)
            else if (t ~ /^> /) { lo = substr(t, 3); open = 1 }
            else lo = hi = t
            if (mn[k] < lo + 0 || (open && mn[k] == lo + 0) || mx[k] > hi + 0) {
                print "level " k ": \"" t "\" but values " mn[k] ".." mx[k]; bad = 1 }
        }
        END { if (checked != 15) { print checked " level rows"; bad = 1 } exit bad }' \
        "$3" "$2"; then ok; else bad "$1: a level label does not hold its customers"; fi
}
level_ranges quantile_levels "$page" "$REF/cli_cdnow_quantile.csv"
run ntile report -q --method ntile --as-of 1998-07-01 -o "$tmp/ntile.html" "$DATA/cdnow.csv" &&
    expect_status ntile 0
level_ranges ntile_levels "$tmp/ntile.html" "$REF/cli_cdnow_ntile.csv"

# value histograms: the customers of each column, counted over the reference rows
for dim in r f m; do
    if awk -F, -v dim="$dim" '
        FNR == NR { if (FNR > 1) v[++n] = $(dim == "r" ? 2 : dim == "f" ? 3 : 4) + 0; next }
        index($0, "<table id=\"values-" dim "\">") { on = 1; next }
        on && /<\/table>/ { exit }
        on && /^<tr><td>/ {
            split($0, p, /<\/?td>/); t = p[2]; want = p[4]; gsub(/,/, "", t); gsub(/,/, "", want)
            gsub(/&gt;/, ">", t); rows++
            if (t ~ /^> /) { lo = substr(t, 3) + 0; hi = 1e300; strict = 1 }
            else if (t ~ / to /) { split(t, w, " "); lo = w[1] + 0; hi = w[3] + 0; strict = 0 }
            else { lo = hi = t + 0; strict = 0 }
            c = 0
            for (i = 1; i <= n; i++) if ((strict ? v[i] > lo : v[i] >= lo) && v[i] <= hi) c++
            if (c != want + 0) { print dim " " t ": " want " customers shown, " c " in the reference"; bad = 1 }
        }
        END { if (rows < 5) { print dim ": " rows " histogram rows"; bad = 1 } exit bad }' \
        "$REF/cli_cdnow_quantile.csv" "$page"; then ok; else bad "histogram $dim"; fi
done

# ---------------------------------------------------------------- --report on score
run score_report score --as-of 1998-07-01 --report "$tmp/score.html" -o "$tmp/rows.csv" \
    "$DATA/cdnow.csv" && expect_status score_report 0
if cmp -s "$tmp/rows.csv" "$REF/cli_cdnow_quantile.csv"; then ok; else
    bad "score_report: the rows differ from the reference"
fi
if cmp -s "$tmp/score.html" "$page"; then ok; else
    bad "score_report: --report differs from rfm report"
fi

# to stdout, from stdin
run stdout report -q --as-of 1998-07-01 - <"$DATA/cdnow.csv" && expect_status stdout 0
if head -n 1 "$tmp/stdout.out" | grep -qx '<!DOCTYPE html>' &&
    grep -qF '<b id="input">standard input</b>' "$tmp/stdout.out"; then ok; else
    bad "stdout: no report on stdout"
fi
if [ -s "$tmp/stdout.err" ]; then bad "stdout: -q printed on stderr"; else ok; fi

# ---------------------------------------------------------------- escaping
hostile='<script>alert("x")</script> & '"'"'q'"'"' <b>'
escaped='&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39; &lt;b&gt;'
printf 'segment,r,f,m\n%s,4-5,*,*\nRest,*,*,*\n' "$hostile" >"$tmp/hostile.rules"
cp "$DATA/cdnow_sample.csv" "$tmp/in <i>&\"'.csv"
run hostile report --as-of 1998-07-01 --segments "$tmp/hostile.rules" \
    -o "$tmp/hostile.html" "$tmp/in <i>&\"'.csv" && expect_status hostile 0
has "$tmp/hostile.html" "$escaped"
has "$tmp/hostile.html" 'in &lt;i&gt;&amp;&quot;&#39;.csv'
lacks "$tmp/hostile.html" '<script'
lacks "$tmp/hostile.html" '<i>'
if grep -qF '<b>' "$tmp/hostile.html" && ! grep -F '<b>' "$tmp/hostile.html" |
    grep -qvE '<b>[^<]*</b>|<b id="input">'; then ok; else
    bad "hostile: an unescaped <b> from the segment name"
fi
has "$tmp/hostile.html" 'hostile.rules'
self_contained "$tmp/hostile.html"

# long and non-ASCII names are cut in the grid's cells on whole characters
printf 'segment,r,f,m\n\303\211l\303\251phants tr\303\250s tr\303\250s fid\303\250les,4-5,*,*\n' \
    >"$tmp/utf8.rules"
printf '\346\227\245\346\234\254\350\252\236\343\201\256\351\241\247\345\256\242\343\202\273\343\202\260\343\203\241\343\203\263\343\203\210,*,4-5,*\nRest,*,*,*\n' \
    >>"$tmp/utf8.rules"
run utf8 report -q --as-of 1998-07-01 --segments "$tmp/utf8.rules" -o "$tmp/utf8.html" \
    "$DATA/cdnow.csv" && expect_status utf8 0
if iconv -f UTF-8 -t UTF-8 "$tmp/utf8.html" >/dev/null 2>&1; then ok; else
    bad "utf8: the report is not valid UTF-8"
fi
has "$tmp/utf8.html" 'class="seg">Éléphants tr…<tspan'

# rules that use M: the grid marks cells whose segment depends on M
printf 'segment,r,f,m\nBig spenders,*,*,4-5\nOthers,*,*,*\n' >"$tmp/m.rules"
run m_rules report -q --as-of 1998-07-01 --segments "$tmp/m.rules" -o "$tmp/m.html" \
    "$DATA/cdnow.csv" && expect_status m_rules 0
has "$tmp/m.html" '>+M</text>'
has "$tmp/m.html" '(and others by M)'
has "$tmp/m.html" 'm.rules</b>: 75 score cells match no rule (they go to the fallback segment)'
has "$tmp/hostile.html" 'hostile.rules</b>: 75 score cells match no rule'

# more levels than the grid draws
run bins report -q --bins 25,25,5 -o "$tmp/bins.html" "$DATA/cdnow.csv" && expect_status bins 0
has "$tmp/bins.html" 'Not drawn: 25 x 25 score levels'

# ---------------------------------------------------------------- state and channels
awk -F, -v dir="$tmp" 'NR == 1 { print > (dir "/early.csv"); print > (dir "/late.csv"); next }
         { print > (dir "/" ($2 <= 19970930 ? "early" : "late") ".csv") }' "$DATA/cdnow.csv"
awk -F, 'NR == 1 { print "customer_id,email,sms"; next }
         NR % 3 { print $1 "," (NR % 2 ? "yes" : "no") "," (NR % 5 ? 0 : 1) }' \
    "$REF/cli_cdnow_quantile.csv" >"$tmp/channels.csv"
run run1 score -q --state "$tmp/t.state" --as-of 1997-10-01 -o /dev/null "$tmp/early.csv" &&
    expect_status run1 0
run run2 report -q --state "$tmp/t.state" --as-of 1998-07-01 --channels "$tmp/channels.csv" \
    -o "$tmp/state.html" "$tmp/late.csv" && expect_status run2 0
page=$tmp/state.html
has "$page" '<section id="history"><h2>Changes since the previous run (1997-10-01)</h2>'
has "$page" '<table id="matrix" class="matrix">'
has "$page" '<section id="reach">'
has "$page" '<title>Biggest segment changes since the previous run</title>'
has "$page" '<title>Change in customers per segment since the previous run</title>'
# diverging bars: gains right of the centre line, losses left, the sign as text
has "$page" 'Promising: −1,652</title>'
has "$page" 'Loyal Customers: +1,730</title>'
has "$page" 'No customer can be reached on: push, web_push.'
has "$page" '<a href="#history">Changes</a><a href="#reach">Reach</a>'
# the biggest flows are marked in the matrix too
marks=$(grep -o '&#9650;&#160;' "$page" | wc -l)
if [ "$marks" -eq 8 ]; then ok; else bad "state: $marks flows marked in the matrix, want 8"; fi
# changes per segment against the transitions reference
awk -F, "$GROUP"'
    NR > 1 { d = $4 < 0 ? -$4 : $4
             cls = ($4 > 0) ? "up" : ($4 < 0) ? "down" : ""
             sign = ($4 > 0) ? "+" : ($4 < 0) ? "−" : ""
             printf "<tr><td>%s</td><td>%s</td><td>%s</td><td class=\"%s\">%s%s</td></tr>\n",
                    esc($1), group($3), group($2), cls, sign, group(d) }' \
    "$REF/cdnow_transitions_summary.csv" >"$tmp/changes.txt"
check_rows "$page" "$tmp/changes.txt"
# the five biggest changes of segment are called out
awk -F, "$GROUP"'NR > 1 && $1 != $2 {
        print $3 "\t<tr><td>" esc($1) "</td><td>" esc($2) "</td><td>" group($3) "</td></tr>" }' \
    "$REF/cdnow_transitions_matrix.csv" | sort -t "$(printf '\t')" -k1,1nr | head -n 5 |
    cut -f2 >"$tmp/flows.txt"
check_rows "$page" "$tmp/flows.txt"
# reach per segment and channel, counted over the reference rows (the final
# scores equal one run over the whole file)
awk -F, "$GROUP"'
    FNR == NR { if (FNR > 1) { e[$1] = ($2 == "yes"); s[$1] = $3 } next }
    FNR > 1 { n[$8]++; em[$8] += e[$1]; sm[$8] += s[$1] }
    END { for (g in n) printf "<tr><td>%s</td><td>%s</td><td>%s (%.1f%%)</td><td>%s (%.1f%%)</td>\n",
              esc(g), group(n[g]), group(em[g] + 0), 100 * em[g] / n[g], group(sm[g] + 0),
              100 * sm[g] / n[g] }' \
    "$tmp/channels.csv" "$REF/cli_cdnow_quantile.csv" >"$tmp/reach.txt"
check_rows "$page" "$tmp/reach.txt"
self_contained "$page"

# ---------------------------------------------------------------- nested scoring
# F and M have cutoffs per group, none global: the report still renders, says
# so, and its segment bars carry the nested reference's counts.
run nested report -q --nested --as-of 1998-07-01 -o "$tmp/nested.html" "$DATA/cdnow.csv" &&
    expect_status nested 0
has "$tmp/nested.html" 'nested: the range differs per group'
awk -F, "$GROUP"'NR > 1 { n[$8]++ } END { for (s in n) printf "%s: %s ·\n", esc(s), group(n[s]) }' \
    "$REF/cli_cdnow_nested.csv" >"$tmp/nested_bars.txt"
check_rows "$tmp/nested.html" "$tmp/nested_bars.txt"

# ---------------------------------------------------------------- errors
run no_dir report -o "$tmp/missing/r.html" "$DATA/cdnow_sample.csv" &&
    expect_status no_dir 2 && expect_err no_dir "missing/r.html: No such file or directory"
run is_dir report -o "$tmp" "$DATA/cdnow_sample.csv" &&
    expect_status is_dir 2 && expect_err is_dir "Is a directory"
if [ -w /dev/full ]; then
    run full report -o /dev/full "$DATA/cdnow_sample.csv" &&
        expect_status full 2 && expect_err full "writing the report /dev/full failed"
fi
run score_no_dir score --report "$tmp/missing/s.html" -o "$tmp/s.csv" "$DATA/cdnow_sample.csv" &&
    expect_status score_no_dir 2 && expect_err score_no_dir "missing/s.html"
run no_input report -o "$tmp/x.html" && expect_status no_input 1 &&
    expect_err no_input "no input file"
run bad_option report --frobnicate "$DATA/cdnow_sample.csv" && expect_status bad_option 1
run no_file report -o "$tmp/x.html" "$tmp/nonexistent.csv" && expect_status no_file 2
if [ -e "$tmp/x.html" ]; then bad "no_file: a report was written"; else ok; fi
run stdout_table report --table "$DATA/cdnow_sample.csv" && expect_status stdout_table 1 &&
    expect_err stdout_table "the report and --table would both go to standard output"
run stdout_rows score --report - "$DATA/cdnow_sample.csv" && expect_status stdout_rows 1 &&
    expect_err stdout_rows "the report and the rows would both go to standard output"
run stdout_summary report --summary - "$DATA/cdnow_sample.csv" && expect_status stdout_summary 1
run usage report && expect_status usage 1
run help report --help && expect_status help 0
if grep -q 'rfm report' "$tmp/help.out"; then ok; else bad "help: rfm report not documented"; fi

cli_done
