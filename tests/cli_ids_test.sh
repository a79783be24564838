#!/bin/sh
# End-to-end tests of `rfm score` on ids made of digits, which it holds as
# packed u64 keys (cli/numeric_key.h) until an id that does not pack (or a
# row the context refuses) moves it to string keys (cli/load.c). Whichever
# way a run goes, it must print exactly what string keys print. The
# references here are runs that never pack: the same rows with an "x" before
# every id (stripped again from the output; "x" keeps the ids' bytewise
# order), or with a 17-digit id (too long to pack) as the first row.
#
# usage: RFM=out/rfm sh tests/cli_ids_test.sh     (run from the source root)
#   RFM_RUN_WRAPPER  command prefix, e.g. "valgrind -q --error-exitcode=99"
set -u

NAME=cli_ids_test
. "$(dirname "$0")/cli_lib.sh"

# 12,000 rows (3 batches) over ids of 1 to 16 digits, many with leading
# zeros ("9", "09" and "009" are three customers, which no random id can
# be), ties in every dimension (whole days, amounts in steps of 5.00),
# returns, and one returns-only id
awk 'BEGIN {
    srand(7); print "customer_id,date,amount"
    for (i = 0; i < 12000; i++) {
        c = int(rand() * rand() * 3000)
        w = 1 + (c * 7) % 16
        id = sprintf("%0" w "d", c)
        if (length(id) > w) id = substr(id, length(id) - w + 1)
        date = sprintf("%d-%02d-%02d", 2017 + int(rand() * 2), 1 + int(rand() * 12), 1 + int(rand() * 28))
        a = 5 * (1 + int(rand() * 40))
        if (rand() < 0.05) a = -a
        printf "%s,%s,%d.00\n", id, date, a
    }
    print "9,2018-03-01,10.00"; print "09,2018-03-02,20.00"; print "009,2018-03-03,30.00"
    print "0000000000000000,2017-01-01,-12.50"
}' >"$tmp/digits.csv"
awk -F, 'NR == 1 { print; next } { print "x" $0 }' "$tmp/digits.csv" >"$tmp/x.csv"
unx() { sed 's/^x//' "$tmp/$1" >"$tmp/$1.unx"; }
# err_as A B: stderr of run A, its input file named as run B's
err_as() { sed "s|$tmp/$3|$tmp/$4|g" "$tmp/$1.err" >"$tmp/$1.err.as"; }

# packed all the way: the same as string keys, for each method and setting
for args in "" "--method ntile" "--nested" "--bins 3,4,7" "--method ntile --bins 9" \
    "--thresholds m=50,100,200,400"; do
    for t in 1 2; do
        tag=$(echo "p$t$args" | tr -c 'a-z0-9\n' '_')
        # shellcheck disable=SC2086
        run "$tag" score --threads "$t" $args --summary "$tmp/$tag.sum" "$tmp/digits.csv"
        expect_status "$tag" 0
        # shellcheck disable=SC2086
        run "$tag-x" score --threads "$t" $args --summary "$tmp/$tag-x.sum" "$tmp/x.csv"
        unx "$tag-x.out"
        same_files "$tag.out" "$tag-x.out.unx" "packed ids, $args, $t thread(s)"
        same_files "$tag.sum" "$tag-x.sum" "summary, $args, $t thread(s)"
        err_as "$tag-x" "$tag" x.csv digits.csv
        same_files "$tag.err" "$tag-x.err.as" "stderr, $args, $t thread(s)"
    done
done
# leading zeros make distinct customers, and stay in the output
if grep -q '^9,[^,]*,1,10.00,' "$tmp/p1.out" && grep -q '^09,[^,]*,1,20.00,' "$tmp/p1.out" &&
    grep -q '^009,[^,]*,1,30.00,' "$tmp/p1.out" && ! grep -q '^0000000000000000,' "$tmp/p1.out"; then
    ok
else
    bad "ids 9, 09, 009: $(grep -c '^0*9,' "$tmp/p1.out") lines, or a returns-only id scored"
fi

# a 17-digit id first (string keys from the start), in the middle (a move
# of thousands of packed customers) and last (a move after the last batch
# but one): the same rows, the same output
long=12345678901234567
{ head -1 "$tmp/digits.csv"; echo "$long,2018-06-01,10.00"; tail -n +2 "$tmp/digits.csv"; } \
    >"$tmp/first.csv"
{ head -6001 "$tmp/digits.csv"; echo "$long,2018-06-01,10.00"; tail -n +6002 "$tmp/digits.csv"; } \
    >"$tmp/middle.csv"
{ cat "$tmp/digits.csv"; echo "$long,2018-06-01,10.00"; } >"$tmp/last.csv"
{ head -1 "$tmp/digits.csv"; echo "A-1,2018-06-01,10.00"; tail -n +2 "$tmp/digits.csv"; } \
    >"$tmp/letter.csv"
for t in 1 2; do
    for where in first middle last; do
        for args in "" "--method ntile"; do
            tag=$(echo "$where$t$args" | tr -c 'a-z0-9\n' '_')
            # shellcheck disable=SC2086
            run "$tag" score --threads "$t" $args -q "$tmp/$where.csv"
            expect_status "$tag" 0
        done
    done
    for args in "" "--method ntile"; do
        sfx=$(echo "$t$args" | tr -c 'a-z0-9\n' '_')
        same_files "first$sfx.out" "middle$sfx.out" "17-digit id mid-file, $args, $t thread(s)"
        same_files "first$sfx.out" "last$sfx.out" "17-digit id last, $args, $t thread(s)"
    done
    if grep -q "^$long," "$tmp/middle$t.out"; then ok; else bad "17-digit id not in the output"; fi
    # an id with letters moves the run to string keys at once
    run "letter$t" score --threads "$t" -q "$tmp/letter.csv"
    if grep -q '^A-1,' "$tmp/letter$t.out"; then ok; else bad "id A-1 not in the output"; fi
    grep -v '^A-1,' "$tmp/letter$t.out" | grep -v "^$long," >"$tmp/letter$t.rest"
    grep -v "^$long," "$tmp/first$t.out" | cmp -s - "$tmp/letter$t.rest" && ok ||
        bad "ids with a letter first: other customers differ from the 17-digit run"
done

# a rule table: the context made for the move gets the same rules, and the
# table's report (uncovered and overlapping cells) is printed once
for where in first middle; do
    run "rules-$where" score --segments examples/rfm_r_segments.csv "$tmp/$where.csv"
    expect_status "rules-$where" 0
done
same_files rules-first.out rules-middle.out "a rule table, 17-digit id mid-file"
err_as rules-middle rules-first middle.csv first.csv
same_files rules-first.err rules-middle.err.as "a rule table's report, 17-digit id mid-file"
if [ "$(grep -c 'score cells match no rule' "$tmp/rules-middle.err")" -eq 1 ]; then ok; else
    bad "a rule table's report printed $(grep -c 'score cells match no rule' "$tmp/rules-middle.err") times"
fi

# a row the context refuses while the ids are packed (a sum past the int64
# range): the run moves to string keys there, reports the row as string
# keys do, and goes on with the rest of its batch
awk 'BEGIN {
    print "customer_id,date,amount"
    for (i = 0; i < 5000; i++) printf "%d,2020-01-%02d,%d.00\n", 100 + i % 300, 1 + i % 28, 1 + i % 50
    print "42,2020-02-01,90000000000000000.00"
    print "42,2020-02-02,90000000000000000.00"
    for (i = 0; i < 5000; i++) printf "%d,2020-03-%02d,%d.00\n", 100 + i % 400, 1 + i % 28, 1 + i % 70
}' >"$tmp/big.csv"
awk -F, 'NR == 1 { print; next } { print "x" $0 }' "$tmp/big.csv" >"$tmp/bigx.csv"
for t in 1 2; do
    run "big$t" score --threads "$t" "$tmp/big.csv"
    expect_status "big$t" 0
    expect_err "big$t" 'line 5003: monetary sum .* overflows'
    run "bigx$t" score --threads "$t" "$tmp/bigx.csv"
    unx "bigx$t.out"
    same_files "big$t.out" "bigx$t.out.unx" "refused row while packed, $t thread(s)"
    err_as "bigx$t" "big$t" bigx.csv big.csv
    sed 's/"x\([0-9]\)/"\1/g' "$tmp/bigx$t.err.as" >"$tmp/bigx$t.err.unx"
    same_files "big$t.err" "bigx$t.err.unx" "refused row's message, $t thread(s)"
done

# --timings says how the ids were held: as numbers only where every id packs
for f in digits middle letter; do
    run "timings-$f" score --timings -q "$tmp/$f.csv"
done
if grep -q '^rfm: timings: customer ids held as numbers' "$tmp/timings-digits.err" &&
    grep -q '^rfm: timings: customer ids held as strings$' "$tmp/timings-middle.err" &&
    grep -q '^rfm: timings: customer ids held as strings$' "$tmp/timings-letter.err"; then ok; else
    bad "--timings: how the ids were held"
    grep -h 'held as' "$tmp"/timings-*.err | sed 's/^/    /'
fi
# settings that need string keys never pack (their own tests check them)
run "timings-order" score --timings -q --order customer_id "$tmp/digits.csv"
run "timings-btyd" score --timings -q --btyd "$tmp/digits.csv"
if grep -q 'held as strings$' "$tmp/timings-order.err" &&
    grep -q 'held as strings$' "$tmp/timings-btyd.err"; then ok; else
    bad "--timings: ids packed with --order or --btyd"
fi

# standard input (read, not mapped) prints what the file does
for t in 1 2; do
    run "stdin$t" score --threads "$t" - <"$tmp/middle.csv"
    same_files "middle$t.out" "stdin$t.out" "standard input, $t thread(s)"
done

# a file of over 16 MB is mapped 8 MB at a time (with two threads the
# next window mapped ahead by a helper): records that cross from one window
# to the next, the file read from standard input, and one thread give the
# same customers
awk 'BEGIN {
    print "customer_id,date,amount"
    for (i = 0; i < 720000; i++)
        printf "%d,2019-%02d-%02d,%d.%02d\n", (i * 7919) % 50000, 1 + i % 12, 1 + i % 28, i % 300, i % 100
}' >"$tmp/large.csv"
run large score --threads 2 -q "$tmp/large.csv"
run large-stdin score --threads 2 -q - <"$tmp/large.csv"
if [ "$(wc -c <"$tmp/large.csv")" -gt 16777216 ] && [ "$(wc -l <"$tmp/large.out")" -eq 50001 ]; then
    ok
else
    bad "large file: $(wc -c <"$tmp/large.csv") bytes, $(wc -l <"$tmp/large.out") lines out"
fi
same_files large.out large-stdin.out "a file mapped in windows and the same on standard input"
run large1 score --threads 1 -q "$tmp/large.csv"
same_files large.out large1.out "a file mapped in windows, one thread and two"

cli_done
