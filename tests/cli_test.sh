#!/bin/sh
# End-to-end tests of the rfm command on real files and real processes:
# golden outputs computed independently (tests/reference/rfm_cli_reference.py,
# pandas, from SPEC.md alone) and a malformed-input suite, each case checking
# the documented message and exit status, never a crash.
#
# usage: RFM=out/rfm sh tests/cli_test.sh     (run from the source root)
#   RFM_RUN_WRAPPER  command prefix, e.g. "valgrind -q --error-exitcode=99"
set -u

NAME=cli_test
. "$(dirname "$0")/cli_lib.sh"

expect_out() {
    if grep -q -- "$2" "$tmp/$1.out"; then ok; else
        bad "$1: stdout lacks '$2'"
        sed 's/^/    /' "$tmp/$1.out" | head -5
    fi
}

expect_same() {
    if cmp -s "$2" "$3"; then ok; else
        bad "$1: $2 differs from $3"
        diff "$2" "$3" | head -10 | sed 's/^/    /'
    fi
}

# ---------------------------------------------------------------- golden outputs
for method in quantile ntile; do
    run "cdnow_$method" score --as-of 1998-07-01 --method "$method" \
        --summary "$tmp/cdnow_${method}_summary.csv" "$DATA/cdnow.csv" &&
        expect_status "cdnow_$method" 0 &&
        expect_same "cdnow_$method" "$tmp/cdnow_$method.out" "$REF/cli_cdnow_$method.csv" &&
        expect_same "cdnow_${method}_summary" "$tmp/cdnow_${method}_summary.csv" \
            "$REF/cli_cdnow_${method}_summary.csv"
    expect_err "cdnow_$method" "69659 rows read, 69659 used, 0 skipped; 23570 customers"

    run "retail_$method" score --date-format '%m/%d/%y %H:%M' --method "$method" \
        "$DATA/online_retail_head.csv" &&
        expect_status "retail_$method" 0 &&
        expect_same "retail_$method" "$tmp/retail_$method.out" \
            "$REF/cli_online_retail_$method.csv"
    # auto-detected columns, and the four lines of the public copy that lost a comma
    expect_err "retail_$method" "customer='CustomerID' date='InvoiceDate' quantity='Quantity' x price='UnitPrice' order='InvoiceNo'"
    for line in 121 172 175 179; do
        expect_err "retail_$method" "line $line: 7 fields, the header has 8"
    done
    expect_err "retail_$method" "183 rows read, 179 used, 4 skipped (4 wrong field count)"
done
run retail_summary score --date-format '%m/%d/%y %H:%M' --summary "$tmp/retail_summary.csv" \
    -o "$tmp/retail_rows.csv" "$DATA/online_retail_head.csv" &&
    expect_same retail_summary "$tmp/retail_summary.csv" \
        "$REF/cli_online_retail_quantile_summary.csv"

# the same data through stdin, with CRLF, a BOM and ';' gives the same rows
head -n 2000 "$DATA/cdnow.csv" >"$tmp/small.csv"
run small score --as-of 1998-07-01 "$tmp/small.csv" && expect_status small 0
{
    printf '\357\273\277'
    sed -e 's/,/;/g' -e 's/$/\r/' "$tmp/small.csv"
} >"$tmp/small_variant.csv"
# shellcheck disable=SC2086
$WRAP "$RFM" score --as-of 1998-07-01 - <"$tmp/small_variant.csv" >"$tmp/stdin.out" 2>"$tmp/stdin.err"
status=$?
expect_status stdin 0
expect_same stdin "$tmp/stdin.out" "$tmp/small.out"

# explicit columns and options
run explicit score --customer customer_id --date date --amount amount --as-of 1998-07-01 \
    --bins 5,5,5 --frequency transactions --delimiter , "$tmp/small.csv" &&
    expect_same explicit "$tmp/explicit.out" "$tmp/small.out"

# ids that need quoting come out quoted; amounts keep exactly two decimals.
# Worked by hand: as-of 2020-01-03; recency 2 and 1 -> cutoffs 1,1,2,2 -> R3, R5;
# frequency 1 both -> F1; money 150, 200 -> cutoffs 150,150,200,200 -> M1, M3.
printf 'customer,date,amount\n"a,b",2020-01-01,1.5\n"q""x",2020-01-02,2\n' >"$tmp/quote.csv"
printf '%s\n' 'customer_id,recency_days,frequency,monetary,r,f,m,segment' \
    '"a,b",2,1,1.50,3,1,1,About to Sleep' '"q""x",1,1,2.00,5,1,3,Recent Customers' \
    >"$tmp/quote.want"
run quote score "$tmp/quote.csv" && expect_status quote 0 &&
    expect_same quote "$tmp/quote.out" "$tmp/quote.want"

# ---------------------------------------------------------------- malformed input
printf 'customer,date,amount\n1,2020-01-01,"5.00\n2,2020-01-02,6\n' >"$tmp/unterminated.csv"
run unterminated score "$tmp/unterminated.csv" && expect_status unterminated 2 &&
    expect_err unterminated "line 2"

printf 'customer,date,amount\n1,2020-01-01,5\n2,2020-01-02\n3,2020-01-03,7,9\n' >"$tmp/ragged.csv"
run ragged score "$tmp/ragged.csv" && expect_status ragged 0 &&
    expect_err ragged "line 3: 2 fields, the header has 3" &&
    expect_err ragged "line 4: 4 fields, the header has 3" &&
    expect_err ragged "3 rows read, 1 used, 2 skipped (2 wrong field count)"

printf 'customer,date,amount\n1,2020-13-01,5\n2,yesterday,6\n3,2020-01-03,7\n4,1850-01-01,1\n' \
    >"$tmp/dates.csv"
run dates score "$tmp/dates.csv" && expect_status dates 0 &&
    expect_err dates "line 2: date '2020-13-01' is not ISO 8601 or YYYYMMDD" &&
    expect_err dates "line 3: date 'yesterday'" &&
    expect_err dates "line 5: date '1850-01-01' is outside the years 1900..2200"
run dates_strict score --strict "$tmp/dates.csv" && expect_status dates_strict 2 &&
    expect_err dates_strict "line 2: date"

printf 'customer,date,amount\n1,2020-01-01,"1,234.00"\n2,2020-01-02,$5\n3,2020-01-03,abc\n4,2020-01-04,99999999999999999999\n5,2020-01-05,1.005\n' \
    >"$tmp/numbers.csv"
run numbers score "$tmp/numbers.csv" && expect_status numbers 0 &&
    expect_err numbers "line 2: amount '1,234.00': thousands separators are not accepted" &&
    expect_err numbers "line 3: amount '\$5': currency signs are not accepted" &&
    expect_err numbers "line 4: amount 'abc': not a decimal number" &&
    expect_err numbers "line 5: amount '99999999999999999999': too large" &&
    expect_out numbers '^5,1,1,1.00,' # 1.005 rounds half to even

printf 'customer,date,amount\n1,2020-01-01,50000000000000000.00\n1,2020-01-02,50000000000000000.00\n' \
    >"$tmp/overflow.csv"
run overflow score "$tmp/overflow.csv" && expect_status overflow 0 &&
    expect_err overflow "line 3: monetary sum"

printf 'customer,date,amount\n ,2020-01-01,5\n2,2020-01-02,6\n' >"$tmp/empty_id.csv"
run empty_id score "$tmp/empty_id.csv" && expect_status empty_id 0 &&
    expect_err empty_id "2 rows read, 1 used, 1 skipped (1 empty customer id)"

: >"$tmp/empty.csv"
run empty score "$tmp/empty.csv" && expect_status empty 2 && expect_err empty "no header row"

printf 'customer,date,amount\n' >"$tmp/header_only.csv"
run header_only score "$tmp/header_only.csv" && expect_status header_only 2 &&
    expect_err header_only "no valid rows"

printf 'customer,date,amount\n1,2020-01-01,-5\n' >"$tmp/returns_only.csv"
run returns_only score "$tmp/returns_only.csv" && expect_status returns_only 2 &&
    expect_err returns_only "no scored customers"

head -c 65536 /dev/urandom >"$tmp/garbage.bin" 2>/dev/null ||
    awk 'BEGIN { srand(7); for (i = 0; i < 65536; i++) printf "%c", int(rand() * 256) }' \
        >"$tmp/garbage.bin"
run garbage score "$tmp/garbage.bin" && expect_status garbage 2

# a 1 MB field: a customer id over 1024 bytes is a bad row, not a crash
awk 'BEGIN { printf "customer,date,amount\n"; s = "x"; for (i = 0; i < 20; i++) s = s s;
             printf "%s,2020-01-01,5\n2,2020-01-02,6\n", s }' >"$tmp/field_1mb.csv"
run field_1mb score "$tmp/field_1mb.csv" && expect_status field_1mb 0 &&
    expect_err field_1mb "line 2: customer id of 1048576 bytes (at most 1024)"

# a 10 MB line: one field over the reader's limit ends the run cleanly
awk 'BEGIN { printf "customer,date,amount\n1,2020-01-01,"; s = "7"; for (i = 0; i < 13; i++) s = s s;
             for (i = 0; i < 1280; i++) printf "%s", s; printf "\n" }' \
    >"$tmp/line_10mb.csv"
run line_10mb score "$tmp/line_10mb.csv"
if [ "$status" -eq 0 ] || [ "$status" -eq 2 ]; then ok; else bad "line_10mb: status $status"; fi

run missing_file score "$tmp/does-not-exist.csv" && expect_status missing_file 2 &&
    expect_err missing_file "does-not-exist.csv"

printf 'who,when,what\n1,2020-01-01,5\n' >"$tmp/no_columns.csv"
run no_columns score "$tmp/no_columns.csv" && expect_status no_columns 2 &&
    expect_err no_columns "no customer (--customer COL) column recognised" &&
    expect_err no_columns "'who', 'when', 'what'"

run as_of_early score --as-of 1997-01-01 "$DATA/cdnow.csv" && expect_status as_of_early 2 &&
    expect_err as_of_early "as-of date 1997-01-01 is before the latest purchase date 1998-06-30"

# streaming: a 100 MB file of 1000 customers runs in a 64 MB address space, so
# memory follows the customers, not the file (skipped under valgrind/sanitizers,
# which reserve far more address space themselves)
if [ -z "$WRAP" ] && [ -z "${RFM_SAN_FLAGS:-}" ]; then
    awk 'BEGIN { printf "customer,date,amount\n";
                 for (i = 0; i < 40000; i++) printf "%d,2020-01-%02d,%d.%02d\n", i % 1000, i % 28 + 1, i % 97, i % 100 }' \
        >"$tmp/block.csv"
    tail -n +2 "$tmp/block.csv" >"$tmp/rows.csv"
    cp "$tmp/block.csv" "$tmp/big.csv"
    i=0
    while [ $i -lt 120 ]; do cat "$tmp/rows.csv"; i=$((i + 1)); done >>"$tmp/big.csv"
    (ulimit -v 65536 && "$RFM" score -o "$tmp/big.out" "$tmp/big.csv" 2>"$tmp/big.err")
    status=$?
    expect_status big 0
    expect_err big "4840000 rows read, 4840000 used, 0 skipped; 1000 customers"
fi

# ---------------------------------------------------------------- state over time
# Daily runs: CDNOW in five date-ordered parts through --state give the same
# scores as one run over the whole file.
awk -F, 'NR == 1 { for (p = 1; p <= 5; p++) print > (dir "/part" p ".csv"); next }
         { p = $2 <= 19970215 ? 1 : $2 <= 19970401 ? 2 : $2 <= 19970701 ? 3 : $2 <= 19971231 ? 4 : 5;
           print > (dir "/part" p ".csv") }' dir="$tmp" "$DATA/cdnow.csv"
run whole score "$DATA/cdnow.csv" && expect_status whole 0
for p in 1 2 3 4 5; do
    run "part$p" score --state "$tmp/daily.state" -o "$tmp/daily.csv" "$tmp/part$p.csv" &&
        expect_status "part$p" 0
done
cut -d, -f1-8 "$tmp/daily.csv" >"$tmp/daily8.csv"
expect_same daily_parts "$tmp/daily8.csv" "$tmp/whole.out"
if [ -e "$tmp/daily.state" ] && ! ls "$tmp"/daily.state?* >/dev/null 2>&1; then ok; else
    bad "daily_parts: state file missing or temporary files left"
fi

# Transitions on CDNOW split at 1997-09-30 against the independent reference.
awk -F, -v dir="$tmp" 'NR == 1 { print > (dir "/early.csv"); print > (dir "/late.csv"); next }
         { print > (dir "/" ($2 <= 19970930 ? "early" : "late") ".csv") }' "$DATA/cdnow.csv"
run run1 score --state "$tmp/t.state" --as-of 1997-10-01 -o "$tmp/run1.csv" "$tmp/early.csv" &&
    expect_status run1 0
run run2 score --state "$tmp/t.state" --as-of 1998-07-01 --transitions "$tmp/transitions.csv" \
    --summary "$tmp/run2_summary.csv" -o "$tmp/run2.csv" "$tmp/late.csv" &&
    expect_status run2 0 &&
    expect_same transitions "$tmp/transitions.csv" "$REF/cdnow_transitions_matrix.csv"
awk -F, 'BEGIN { OFS = "," } { print $1, $9, $8, $10 }' "$tmp/run2.csv" >"$tmp/history.csv"
expect_same history "$tmp/history.csv" "$REF/cdnow_transitions_customers.csv"
awk -F, 'BEGIN { OFS = "," } { print $1, $2, $11, $12 }' "$tmp/run2_summary.csv" \
    >"$tmp/change.csv"
expect_same summary_change "$tmp/change.csv" "$REF/cdnow_transitions_summary.csv"

# Channels: reach per segment equals a count over the per-customer rows.
awk -F, 'NR == 1 { print "customer_id,email,sms,whatsapp"; next }
         NR % 3 { print $1 "," (NR % 2 ? "yes" : "no") "," (NR % 5 ? 0 : 1) ",true" }' \
    "$tmp/small.out" >"$tmp/channels.csv"
printf 'ghost,1,1,1\n' >>"$tmp/channels.csv"
run channels score --as-of 1998-07-01 --channels "$tmp/channels.csv" --summary "$tmp/reach.csv" \
    -o "$tmp/reach_rows.csv" "$tmp/small.csv" && expect_status channels 0 &&
    expect_err channels "1 customers not in the transactions"
awk -F, 'FNR == NR { if (FNR > 1) { e[$1] = ($2 == "yes"); w[$1] = 1 } next }
         FNR > 1 { n[$8]++; if (e[$1]) em[$8]++; if (w[$1]) wa[$8]++ }
         END { for (s in n) print s "," em[s] + 0 "," wa[s] + 0 }' \
    "$tmp/channels.csv" "$tmp/reach_rows.csv" | sort >"$tmp/reach_want.csv"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
         $2 > 0 { print $1 "," $col["reach_email"] "," $col["reach_whatsapp"] }' \
    "$tmp/reach.csv" | sort >"$tmp/reach_got.csv"
expect_same reach "$tmp/reach_got.csv" "$tmp/reach_want.csv"

# BTYD columns, hand-worked: purchases on days 1 (10 + 5), 4 (20) and 11 (30),
# a return on day 5, as of day 21 -> 2 repeat days, recency 10, T 20,
# mean repeat value (65 - 15) / 2 = 25.0000
printf 'customer,date,amount\na,2020-01-01,10\na,2020-01-01,5\na,2020-01-04,20\na,2020-01-05,-7\na,2020-01-11,30\n' \
    >"$tmp/btyd.csv"
run btyd score --btyd --frequency days --as-of 2020-01-21 "$tmp/btyd.csv" && expect_status btyd 0 &&
    expect_out btyd '^a,10,3,58.00,[0-9],[0-9],[0-9],[^,]*,2,10,20,25.0000$'

# ---------------------------------------------------------------- usage
run usage_none score && expect_status usage_none 1
run usage_unknown score --frobnicate x "$tmp/small.csv" && expect_status usage_unknown 1 &&
    expect_err usage_unknown "unknown option '--frobnicate'"
run usage_bins score --bins 1 "$tmp/small.csv" && expect_status usage_bins 1
run usage_method score --method median "$tmp/small.csv" && expect_status usage_method 1
run usage_as_of score --as-of 1998-02-30 "$tmp/small.csv" && expect_status usage_as_of 1
run help score --help && expect_status help 0 && expect_out help "Exit status"
run version --version && expect_status version 0 && expect_out version "^rfm [0-9]"

# ---------------------------------------------------------------- the output file
# An existing file is written over and cut to the new rows: the same bytes as
# a file made new. A run that fails leaves the old file as it was, and an
# output that is a directory is refused before the input is read (here a
# missing input, which would otherwise be the error).
run out_new score --as-of 1998-07-01 -o "$tmp/out_new.csv" "$tmp/small.csv" &&
    expect_status out_new 0
awk 'BEGIN { for (i = 0; i < 100000; i++) print "an old line, longer than the new rows are" }' \
    >"$tmp/out_old.csv"
run out_over score --as-of 1998-07-01 -o "$tmp/out_old.csv" "$tmp/small.csv" &&
    expect_status out_over 0 && same_files out_new.csv out_old.csv "an existing output file"
head -c 100 "$tmp/out_new.csv" >"$tmp/out_short.csv"
run out_short score --as-of 1998-07-01 -o "$tmp/out_short.csv" "$tmp/small.csv" &&
    expect_status out_short 0 && same_files out_new.csv out_short.csv "a shorter output file"
cp "$tmp/out_old.csv" "$tmp/out_kept.csv"
run out_kept score -o "$tmp/out_kept.csv" "$tmp/unterminated.csv" && expect_status out_kept 2 &&
    same_files out_old.csv out_kept.csv "the output file of a failed run"
mkdir "$tmp/out_dir"
run out_dir score -o "$tmp/out_dir" "$tmp/no_such_input.csv" && expect_status out_dir 2 &&
    expect_err out_dir "out_dir: Is a directory"
if grep -q no_such_input "$tmp/out_dir.err"; then bad "out_dir: the input was opened"; else ok; fi
run out_null score --as-of 1998-07-01 -o /dev/null "$tmp/small.csv" && expect_status out_null 0
# every output is looked at first: a new file in a missing directory, and
# --summary, --transitions and --report onto a directory
for opt in -o --summary --transitions --report; do
    case=out_early_${opt#--}
    run "$case" score "$opt" "$tmp/no_dir/x.out" "$tmp/no_such_input.csv" &&
        expect_status "$case" 2 && expect_err "$case" "no_dir/x.out: No such file or directory"
    if grep -q no_such_input "$tmp/$case.err"; then bad "$case: the input was opened"; else ok; fi
done
run out_summary_dir score --summary "$tmp/out_dir" "$tmp/no_such_input.csv" &&
    expect_status out_summary_dir 2 && expect_err out_summary_dir "out_dir: Is a directory"
# the summary, transitions and report files are written over in place too
run out_side_new score --as-of 1998-07-01 --summary "$tmp/side_new.csv" \
    --transitions "$tmp/side_new_tr.csv" --report "$tmp/side_new.html" -o /dev/null \
    "$tmp/small.csv" && expect_status out_side_new 0
for f in side_old.csv side_old_tr.csv side_old.html; do cp "$tmp/out_old.csv" "$tmp/$f"; done
run out_side_old score --as-of 1998-07-01 --summary "$tmp/side_old.csv" \
    --transitions "$tmp/side_old_tr.csv" --report "$tmp/side_old.html" -o /dev/null \
    "$tmp/small.csv" && expect_status out_side_old 0 &&
    same_files side_new.csv side_old.csv "an existing summary file" &&
    same_files side_new_tr.csv side_old_tr.csv "an existing transitions file" &&
    same_files side_new.html side_old.html "an existing report file"

# thresholds and a segment file
run thresholds score --as-of 1998-07-01 --thresholds r=30,90,180,365 --thresholds f=1,2,4,8 \
    --thresholds m=20,50,100,500 "$tmp/small.csv" && expect_status thresholds 0
run thresholds_count score --thresholds r=30,90 "$tmp/small.csv" &&
    expect_status thresholds_count 1 && expect_err thresholds_count "5 bins need 4 edges, 2 given"

printf '# two segments\nsegment,r,f,m\nActive,4-5,*,*\nDormant,*,*,*\n' >"$tmp/rules.txt"
run rules score --as-of 1998-07-01 --segments "$tmp/rules.txt" "$tmp/small.csv" &&
    expect_status rules 0
if awk -F, 'NR > 1 && $8 != "Active" && $8 != "Dormant" { bad = 1 }
            NR > 1 && (($5 >= 4) != ($8 == "Active")) { bad = 1 } END { exit bad }' \
    "$tmp/rules.out"; then ok; else bad "rules: segments do not follow the rule file"; fi

printf 'segment,r,f,m\nTop,5,5,6\n' >"$tmp/bad_rules.txt"
run bad_rules score --segments "$tmp/bad_rules.txt" "$tmp/small.csv" &&
    expect_status bad_rules 1 && expect_err bad_rules "line 2: m range"

cli_done
