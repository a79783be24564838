#!/bin/sh
# `rfm score --window` end to end: a daily run over CDNOW with a sliding
# 60-day window and --state must print, on every day, exactly what a fresh
# run over all the rows so far prints (every day of March 1997, then weekly
# runs up to the end of the data); plus usage and data errors of --window.
#
# usage: RFM=out/rfm sh tests/cli_window_test.sh     (run from the source root)
#   RFM_RUN_WRAPPER  command prefix, e.g. "valgrind -q --error-exitcode=99"
set -u

NAME=cli_window_test
. "$(dirname "$0")/cli_lib.sh"
CDNOW=$DATA/cdnow.csv
W=60

# rfm ARGS...: cli_lib's run with stdout in $tmp/out and stderr in $tmp/err
rfm() {
    run last "$@"
    mv "$tmp/last.out" "$tmp/out"
    mv "$tmp/last.err" "$tmp/err"
}

# rows FROM TO FILE: the CDNOW rows dated FROM <= date < TO (YYYYMMDD), with the header
rows() {
    awk -F, -v from="$1" -v to="$2" 'NR == 1 || ($2 >= from && $2 < to)' "$CDNOW" >"$3"
}

next_day() { date -u -d "$1 + 1 day" +%Y%m%d; }
iso() { echo "$1" | sed 's/\(....\)\(..\)\(..\)/\1-\2-\3/'; }

# The as-of days (exclusive ends of the chunks): every day of March 1997,
# then every 7th day to the day after the last row.
ends=""
d=19970302
while [ "$d" -le 19970401 ]; do
    ends="$ends $d"
    d=$(next_day "$d")
done
while [ "$d" -le 19980701 ]; do
    ends="$ends $d"
    for _ in 1 2 3 4 5 6 7; do d=$(next_day "$d"); done
done
ends="$ends 19980701"

state="$tmp/shop.rfmstate"
from=19970101
days=0
for end in $ends; do
    [ "$end" -gt "$from" ] || continue
    rows "$from" "$end" "$tmp/chunk.csv"
    rows 19970101 "$end" "$tmp/all.csv"
    from=$end
    if [ "$(wc -l <"$tmp/chunk.csv")" -le 1 ]; then
        continue # a day without rows: nothing to run
    fi
    rfm score --window "$W" --state "$state" --as-of "$(iso "$end")" "$tmp/chunk.csv"
    cut -d, -f1-8 "$tmp/out" >"$tmp/daily.csv"
    grep 'customers,' "$tmp/err" | sed 's/.*; //' >"$tmp/daily.count"
    daily_status=$status
    rfm score --window "$W" --as-of "$(iso "$end")" "$tmp/all.csv"
    grep 'customers,' "$tmp/err" | sed 's/.*; //' >"$tmp/fresh.count"
    if [ "$daily_status" -ne 0 ] || [ "$status" -ne 0 ]; then
        bad "as of $end: status $daily_status (daily) / $status (fresh)"
        sed 's/^/    /' "$tmp/err" | head -5
    elif ! cmp -s "$tmp/daily.csv" "$tmp/out"; then
        bad "as of $end: the daily run with --state differs from a fresh run"
        diff "$tmp/daily.csv" "$tmp/out" | head -5
    elif ! cmp -s "$tmp/daily.count" "$tmp/fresh.count"; then
        bad "as of $end: counts differ: $(cat "$tmp/daily.count") / $(cat "$tmp/fresh.count")"
    else
        ok
    fi
    days=$((days + 1))
done
[ "$days" -ge 90 ] || bad "only $days days compared"
echo "cli_window_test: $days as-of days compared (daily run with --state vs fresh run)"

# The window only moves forward: an as-of day moved back (still after the
# last purchase) is a data error that says so, and the state is left as it
# was; so is a wider window, which would start earlier too.
rows 19980630 19980701 "$tmp/last.csv"
rfm score --window "$W" --state "$state" --as-of 1998-07-10 "$tmp/last.csv"
[ "$status" -eq 0 ] && ok || bad "as of 1998-07-10: status $status"
cp "$state" "$tmp/before"
for args in "--window $W --as-of 1998-07-05" "--window 90 --as-of 1998-07-10"; do
    # shellcheck disable=SC2086
    rfm score $args --state "$state" "$tmp/last.csv"
    if [ "$status" -eq 2 ] && grep -q 'only moves forward' "$tmp/err" &&
        cmp -s "$state" "$tmp/before"; then ok; else bad "$args: status $status"; fi
done
rfm score --window 30 --state "$state" --as-of 1998-07-10 "$tmp/last.csv"
[ "$status" -eq 0 ] && ok || bad "a narrower window: status $status"
rfm score --window 0 --state "$state" "$tmp/chunk.csv"
if [ "$status" -eq 1 ] && grep -q 'switched on or off' "$tmp/err"; then ok; else
    bad "--window 0 on a windowed state: status $status"; fi

# Usage errors
for v in -1 x 110001 ""; do
    rfm score --window "$v" "$CDNOW"
    if [ "$status" -eq 1 ] && grep -q -- '--window' "$tmp/err"; then ok; else
        bad "--window '$v': status $status"; fi
done

# The account line counts customers after the window moved.
rfm score --window 90 --as-of 1998-07-01 "$CDNOW"
if [ "$status" -eq 0 ] && grep -q '23570 customers, 3301 scored, 20269 unscored (no purchase in the window)' "$tmp/err" &&
    grep -q 'rfm: window: 90 days, transactions from 1998-04-02' "$tmp/err"; then ok; else
    bad "account line of a windowed run"; sed 's/^/    /' "$tmp/err"; fi

cli_done
