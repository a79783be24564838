#!/bin/sh
# End-to-end tests of `rfm score --nested` on the bundled CDNOW data: the
# per-customer output equals, byte for byte, that of
# tests/reference/rfm_nested_reference.py (pandas, from SPEC.md alone),
# for 5 bins and for 4,3,6 bins; it differs from the plain scores; the
# options nested cannot combine with are usage errors; --state runs keep it.
#
# usage: RFM=out/rfm sh tests/cli_nested_test.sh     (run from the source root)
#   RFM_RUN_WRAPPER  command prefix, e.g. "valgrind -q --error-exitcode=99"
set -u

NAME=cli_nested_test
. "$(dirname "$0")/cli_lib.sh"

expect_same() { # NAME FILE: stdout equals FILE byte for byte
    if cmp -s "$tmp/$1.out" "$2"; then ok; else
        bad "$1: output differs from $2"
        diff "$tmp/$1.out" "$2" | head -6 | sed 's/^/    /'
    fi
}

# the references
run nested5 score --nested --as-of 1998-07-01 $DATA/cdnow.csv
expect_status nested5 0
expect_same nested5 $REF/cli_cdnow_nested.csv
run nested436 score --nested --bins 4,3,6 --as-of 1998-07-01 -q $DATA/cdnow.csv
expect_status nested436 0
expect_same nested436 $REF/cli_cdnow_nested_436.csv

# nesting changes scores: the plain run must differ from the nested reference
run plain score --as-of 1998-07-01 -q $DATA/cdnow.csv
expect_status plain 0
if cmp -s "$tmp/plain.out" $REF/cli_cdnow_nested.csv; then
    bad "plain: equals the nested reference"
else ok; fi

# R may keep fixed thresholds; F and M are nested within those R levels
run rthr score --nested --thresholds r=60,180,365,500 --as-of 1998-07-01 -q $DATA/cdnow.csv
expect_status rthr 0

# F and M are quantile within groups: ntile and f/m thresholds are refused
run ntile score --nested --method ntile $DATA/cdnow.csv
expect_status ntile 1
expect_err ntile "not with --method ntile"
run fthr score --nested --thresholds f=1,2,3,5 $DATA/cdnow.csv
expect_status fthr 1
expect_err fthr "only r takes --thresholds"

# --state: nested comes from the command line on every run; two
# halves through a state file equal one run over all the data
head -1 $DATA/cdnow.csv >"$tmp/a.csv"
cp "$tmp/a.csv" "$tmp/b.csv"
awk -F, 'NR > 1 && $2 < 19970401' $DATA/cdnow.csv >>"$tmp/a.csv"
awk -F, 'NR > 1 && $2 >= 19970401' $DATA/cdnow.csv >>"$tmp/b.csv"
run part1 score --nested --state "$tmp/s.rfmstate" -q "$tmp/a.csv"
expect_status part1 0
run part2 score --nested --state "$tmp/s.rfmstate" --as-of 1998-07-01 -q "$tmp/b.csv"
expect_status part2 0
cut -d, -f1-8 "$tmp/part2.out" >"$tmp/part2.cut"
if cmp -s "$tmp/part2.cut" $REF/cli_cdnow_nested.csv; then ok; else
    bad "state: two nested runs differ from the nested reference"
    diff "$tmp/part2.cut" $REF/cli_cdnow_nested.csv | head -4 | sed 's/^/    /'
fi

cli_done
