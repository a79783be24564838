#!/bin/sh
# End-to-end tests of `rfm clv` on real files and real processes: the CDNOW
# calibration sample against the published BG/NBD and Gamma-Gamma estimates
# (Fader, Hardie & Lee 2005; Fader & Hardie 2013; see tests/test_clv.c),
# consistency of the added columns, and usage errors with their messages.
#
# usage: RFM=out/rfm sh tests/cli_clv_test.sh     (run from the source root)
#   RFM_RUN_WRAPPER  command prefix, e.g. "valgrind -q --error-exitcode=99"
set -u

NAME=cli_clv_test
. "$(dirname "$0")/cli_lib.sh"

# check NAME AWK-PROGRAM FILE: passes when the awk program exits 0
check() {
    if awk -F, "$2" "$3"; then ok; else bad "$1"; fi
}

# The calibration period of the BG/NBD paper: purchases up to 1997-09-30.
awk -F, 'NR == 1 || $3 <= 19970930' "$DATA/cdnow_sample.csv" >"$tmp/cal.csv"
COLS="--customer customer_id --date date --amount amount"

run cdnow clv $COLS --as-of 1997-09-30 --unit weeks --horizon 273 --discount 0.01 \
    --summary "$tmp/summary.csv" "$tmp/cal.csv" && expect_status cdnow 0
check "cdnow: header" 'NR == 1 { exit $0 != "customer_id,recency_days,frequency,monetary,r,f,m,segment,p_alive,expected_purchases,expected_spend,clv" }' "$tmp/cdnow.out"
check "cdnow: 2357 customers" 'END { exit NR != 2358 }' "$tmp/cdnow.out"
# published: r 0.243, alpha 4.414, a 0.793, b 2.426; p 6.25, q 3.74, v 15.44 dollars
if grep 'BG/NBD' "$tmp/cdnow.err" | tr ' ,' '\n\n' | awk -F= '
    $1 == "r" { r = sprintf("%.3g", $2) } $1 == "alpha" { al = sprintf("%.4g", $2) }
    $1 == "a" { a = sprintf("%.3g", $2) } $1 == "b" { b = sprintf("%.4g", $2) }
    END { exit !(r == "0.243" && al == "4.414" && a == "0.793" && b == "2.426") }'; then ok
else bad "cdnow: BG/NBD estimates differ from the published ones"; sed 's/^/    /' "$tmp/cdnow.err"; fi
if grep 'Gamma-Gamma' "$tmp/cdnow.err" | tr ' ,' '\n\n' | awk -F= '
    $1 == "p" { p = sprintf("%.3g", $2) } $1 == "q" { q = sprintf("%.3g", $2) }
    $1 == "v" { v = sprintf("%.4g", $2 / 100) }
    END { exit !(p == "6.25" && q == "3.74" && v == "15.44") }'; then ok
else bad "cdnow: Gamma-Gamma estimates differ from the published ones"; fi
expect_err cdnow "log-likelihood -9582.4"
# probabilities in 0..1, values non-negative; one-purchase customers are alive
check "cdnow: value ranges" 'NR > 1 && ($9 < 0 || $9 > 1 || $10 < 0 || $11 <= 0 || $12 < 0) { exit 1 }
    NR > 1 && $3 == 1 && $9 != "1.000000" { exit 1 }' "$tmp/cdnow.out"
# the 39-week holdout: 1,653 expected repeat purchase days (1,882 happened)
check "cdnow: holdout total" 'NR > 1 { s += $10 } END { exit !(s > 1650 && s < 1657) }' "$tmp/cdnow.out"
check "cdnow: summary header" 'NR == 1 { exit $0 !~ /,clv,avg_clv,expected_purchases,avg_p_alive,purchases_per_year$/ }' "$tmp/summary.csv"
# segment CLV sums the customers' CLV (each printed to 4 decimals)
awk -F, 'NR > 1 { s[$8] += $12 } END { for (k in s) printf "%s,%.4f\n", k, s[k] }' \
    "$tmp/cdnow.out" | sort >"$tmp/by_customer"
awk -F, 'NR > 1 && $2 > 0 { printf "%s,%s\n", $1, $11 }' "$tmp/summary.csv" | sort >"$tmp/by_segment"
paste -d, "$tmp/by_customer" "$tmp/by_segment" >"$tmp/by_both"
check "cdnow: segment CLV is the sum of its customers'" '$1 != $3 { exit 1 }
    { d = $2 - $4; if (d < -0.01 || d > 0.01) exit 1 } END { exit NR != 9 }' "$tmp/by_both"

# the score columns are those of `rfm score` (counting purchase days)
run score score $COLS --frequency days --as-of 1997-09-30 "$tmp/cal.csv" && expect_status score 0
cut -d, -f1-8 "$tmp/cdnow.out" >"$tmp/clv8"
if cmp -s "$tmp/clv8" "$tmp/score.out"; then ok; else bad "clv: score columns differ from rfm score"; fi

# no discount, one period: CLV = expected purchases x expected spend
run flat clv $COLS --as-of 1997-09-30 --horizon 90 --period 90 "$tmp/cal.csv" &&
    expect_status flat 0
check "flat: clv = purchases x spend" 'NR > 1 { d = $10 * $11 - $12; if (d < -0.0005 * ($12 + 1) || d > 0.0005 * ($12 + 1)) exit 1 }' "$tmp/flat.out"
# the unit changes the parameters, not the predictions
run days clv $COLS --as-of 1997-09-30 --horizon 273 "$tmp/cal.csv" && expect_status days 0
run weeks clv $COLS --as-of 1997-09-30 --horizon 273 --unit weeks "$tmp/cal.csv" &&
    expect_status weeks 0
paste -d, "$tmp/days.out" "$tmp/weeks.out" >"$tmp/both"
check "days and weeks predict alike" 'NR > 1 { d = $10 - $22; if (d < -1e-4 || d > 1e-4) exit 1 }' "$tmp/both"
expect_err days "BG/NBD (days)"

# nobody repeats: a degenerate fit, reported, and still an answer
printf 'customer_id,date,amount\n' >"$tmp/once.csv"
for i in 1 2 3 4 5 6 7 8 9; do printf 'c%s,2024-01-0%s,1%s.00\n' "$i" "$i" "$i" >>"$tmp/once.csv"; done
run once clv "$tmp/once.csv" && expect_status once 0 && expect_err once "degenerate"
expect_err once "Gamma-Gamma .*not fitted"
check "once: own order value as spend" 'NR > 1 && $11 != $4 "00" { exit 1 }' "$tmp/once.out"

# a state: kept across runs like rfm score's; one saved by rfm score lacks the BTYD sums
run state1 clv $COLS --as-of 1997-09-30 --state "$tmp/clv.state" "$tmp/cal.csv" &&
    expect_status state1 0
run state2 clv $COLS --as-of 1997-09-30 --state "$tmp/clv.state" "$tmp/cal.csv" &&
    expect_status state2 0
# purchase days: the same rows again add no purchase (00004 bought on 3 days)
check "state: a new state counts purchase days" 'NR == 2 { exit $3 != 3 }' "$tmp/state2.out"
run plain score $COLS --as-of 1997-09-30 --state "$tmp/score.state" "$tmp/cal.csv" &&
    expect_status plain 0
run nobtyd clv $COLS --as-of 1997-09-30 --state "$tmp/score.state" "$tmp/cal.csv" &&
    expect_status nobtyd 2 && expect_err nobtyd "RFM_PARAM_BTYD"

# usage errors
run unit clv --unit months "$tmp/cal.csv" && expect_status unit 1 &&
    expect_err unit "--unit: 'months' is not days or weeks"
run window clv --window 90 "$tmp/cal.csv" && expect_status window 1 &&
    expect_err window "a look-back window does not keep the BTYD sums"
run horizon clv --horizon=abc "$tmp/cal.csv" && expect_status horizon 1 &&
    expect_err horizon "--horizon: 'abc' is not a number of days"
run discount clv --discount -1 "$tmp/cal.csv" && expect_status discount 1 &&
    expect_err discount "--discount: '-1' is not a rate"
run novalue clv "$tmp/cal.csv" --period && expect_status novalue 1 &&
    expect_err novalue "option '--period' needs a value"
run help clv --help && expect_status help 0
if grep -q -- "--horizon DAYS" "$tmp/help.out"; then ok; else bad "help: no --horizon"; fi
# the as-of check of rfm score still applies
run late clv $COLS --as-of 1997-09-30 "$DATA/cdnow_sample.csv" && expect_status late 2

cli_done
