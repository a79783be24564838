#!/bin/sh
# End-to-end tests of `rfm score --threads N`: with 1 thread the file is read
# and ingested in turn, with 2 or more it is read and parsed in a second
# thread (cli/load_pipe.c). Everything the command prints - the per-customer
# rows, the summary, the bad-row messages and their order, the counts, the
# exit status - must be the same whatever N, on generated files that span
# many batches of rows (4096 each) with bad rows of every kind, under
# --strict, --quiet, a CSV syntax error at the end, and on standard input.
# --timings adds its two lines and changes nothing else.
# The counts are also checked against ones worked out here with awk.
#
# usage: RFM=out/rfm sh tests/cli_threads_test.sh     (run from the source root)
#   RFM_RUN_WRAPPER  command prefix, e.g. "valgrind -q --error-exitcode=99"
set -u

NAME=cli_threads_test
. "$(dirname "$0")/cli_lib.sh"

# run_st NAME ARGS...: cli_lib's run, the status also kept in $tmp/NAME.st
run_st() {
    run "$@"
    echo "$status" >"$tmp/$1.st"
}

# same NAME SUBCOMMAND ARGS...: runs with --threads 1, 2 and 3; all three
# print the same
same() {
    sname=$1
    sub=$2
    shift 2
    for n in 1 2 3; do
        run_st "$sname-$n" "$sub" --threads "$n" "$@"
    done
    for n in 2 3; do
        for part in out err st; do
            if cmp -s "$tmp/$sname-1.$part" "$tmp/$sname-$n.$part"; then ok; else
                bad "$sname: $part with --threads $n differs from --threads 1"
                diff "$tmp/$sname-1.$part" "$tmp/$sname-$n.$part" | head -6 | sed 's/^/    /'
            fi
        done
    done
}

# NAME COUNT: each run of `same NAME` printed every id of NAME.csv once (COUNT
# ids), in bytewise order
ids_in_order() {
    awk -F, 'NR > 1 { print $1 }' "$tmp/$1.csv" | LC_ALL=C sort -u >"$tmp/$1.ids"
    for n in 1 2 3; do
        tail -n +2 "$tmp/$1-$n.out" | cut -d, -f1 >"$tmp/$1-$n.ids"
        if [ "$(wc -l <"$tmp/$1.ids")" -eq "$2" ] && cmp -s "$tmp/$1.ids" "$tmp/$1-$n.ids"; then ok; else
            bad "$1, --threads $n: the ids are not each id once in bytewise order"
        fi
    done
}

expect_status() { # NAME WANT (of the --threads 1 run)
    if [ "$(cat "$tmp/$1-1.st")" -eq "$2" ]; then ok; else
        bad "$1: exit status $(cat "$tmp/$1-1.st"), want $2"
        head -5 "$tmp/$1-1.err" | sed 's/^/    /'
    fi
}

expect_err() { # NAME TEXT: stderr of the --threads 2 run holds TEXT
    if grep -q -- "$2" "$tmp/$1-2.err"; then ok; else
        bad "$1: stderr lacks '$2'"
        head -5 "$tmp/$1-2.err" | sed 's/^/    /'
    fi
}

# 30,000 rows (8 batches) over 3,000 customers, with order ids; bad rows:
# every 997th too few fields, every 1777th an amount with a thousands
# separator, every 1499th an impossible date, every 2003rd an empty id;
# every 2500th id quoted with a comma in it.
awk 'BEGIN {
    print "customer_id,date,amount,order_id"
    for (i = 1; i <= 30000; i++) {
        c = "c" (i * 7919) % 3000
        d = sprintf("2020-%02d-%02d %02d:%02d:%02d", 1 + i % 12, 1 + i % 28, i % 24, i % 60, (i * 7) % 60)
        a = sprintf("%d.%02d", i % 500, i % 100)
        if (i % 997 == 0) { print c "," d; continue }
        if (i % 1499 == 0) d = "2020-02-30"
        if (i % 1777 == 0) a = "\"1,5\""
        if (i % 2003 == 0) c = ""
        if (i % 2500 == 0) c = "\"x," i "\""
        print c "," d "," a ",o" int(i / 3)
    }
}' >"$tmp/t.csv"
# the counts, in the order the command checks a row
want=$(awk 'BEGIN {
    for (i = 1; i <= 30000; i++) {
        if (i % 997 == 0) { ragged++; continue }
        if (i % 2003 == 0) { empty++; continue }
        if (i % 1499 == 0) { date++; continue }
        if (i % 1777 == 0) { amount++; continue }
        used++
    }
    printf "30000 rows read, %d used, %d skipped (%d empty customer id, %d wrong field count, %d bad date, %d bad amount)",
        used, 30000 - used, empty, ragged, date, amount
}')

same plain score --summary "$tmp/sum.csv" "$tmp/t.csv"
expect_status plain 0
expect_err plain "$want"
expect_err plain "line 998: 2 fields, the header has 4"
expect_err plain "and $(( $(echo "$want" | sed 's/.* \([0-9]*\) skipped.*/\1/') - $(awk 'BEGIN { n = 0; for (i = 1; i <= 30000; i++) if (i % 2003 == 0 && i % 997 != 0) n++; print n }') - 20 )) more bad rows"
same quiet score -q --method ntile "$tmp/t.csv"
expect_status quiet 0
same strict score --strict "$tmp/t.csv"
expect_status strict 2
expect_err strict "line 998: 2 fields"

# a syntax error at the very end, after every batch
cp "$tmp/t.csv" "$tmp/u.csv"
printf 'c1,"2020-01-01,1.00,o1\n' >>"$tmp/u.csv"
same unterminated score "$tmp/u.csv"
expect_status unterminated 2
expect_err unterminated "unterminated quoted field"

# standard input; the bundled data with the summary table
for n in 1 2; do
    $WRAP "$RFM" score --threads "$n" - <"$tmp/t.csv" >"$tmp/stdin-$n.out" 2>"$tmp/stdin-$n.err"
done
if cmp -s "$tmp/stdin-1.out" "$tmp/plain-1.out" && cmp -s "$tmp/stdin-2.out" "$tmp/plain-1.out"; then ok; else
    bad "stdin: output differs from the file's"
fi
same cdnow score --table --as-of 1998-07-01 $DATA/cdnow.csv
expect_status cdnow 0

# 20,000 customers: with 2 or more threads a second thread formats every
# other chunk of 8192 lines (cli/score_lines.c); every id once, in bytewise
# order, whatever the thread count
awk 'BEGIN {
    print "customer_id,date,amount"
    for (i = 1; i <= 40000; i++)
        printf "k%d,2021-%02d-%02d,%d.%02d\n", (i * 104729) % 20000, 1 + i % 12, 1 + i % 28, i % 300, i % 100
}' >"$tmp/many.csv"
same many score "$tmp/many.csv"
expect_status many 0
ids_in_order many 20000

# The same with numeric ids of 1 to 9 digits, held as numbers: the listing
# sorts a copy of the records by key (lib/score_list.c) and both threads
# format chunks
awk 'BEGIN {
    print "customer_id,date,amount"
    for (i = 1; i <= 90000; i++)
        printf "%d,2021-%02d-%02d,%d.%02d\n", (i * 7919) % 30011 * (1 + i % 3 * 4999), 1 + i % 12, 1 + i % 28, i % 300, i % 100
}' >"$tmp/numeric.csv"
same numeric score "$tmp/numeric.csv"
expect_status numeric 0
ids_in_order numeric 89987

# --timings: three lines on stderr after everything else, the byte count of
# the file read, figures that are numbers; stdout unchanged
bytes=$(wc -c <"$tmp/t.csv" | tr -d ' ')
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
for n in 1 2; do
    run "timings-$n" score --threads "$n" --timings "$tmp/t.csv"
    if cmp -s "$tmp/timings-$n.out" "$tmp/plain-1.out"; then ok; else
        bad "--timings --threads $n: stdout differs"
    fi
    if grep -Eq "^rfm: timings: reading and parsing [0-9]+\.[0-9]{3} s busy, $mb MB, [0-9]+ MB/s \(" \
        "$tmp/timings-$n.err"; then ok; else
        bad "--timings --threads $n: no reading line for $mb MB"
        cat "$tmp/timings-$n.err" | sed 's/^/    /'
    fi
    if tail -1 "$tmp/timings-$n.err" |
        grep -Eq '^rfm: timings: loading [0-9.]+ s \([0-9]+ MB/s end to end\), scoring [0-9.]+ s, output [0-9.]+ s, total [0-9.]+ s$'; then ok; else
        bad "--timings --threads $n: the last line is not the phases"
        tail -2 "$tmp/timings-$n.err" | sed 's/^/    /'
    fi
done
if grep -q "ingesting ran alongside" "$tmp/timings-2.err" && grep -q "one thread" "$tmp/timings-1.err"; then ok; else
    bad "--timings: the reading line does not say how it was measured"
fi
run notimings score --threads 2 "$tmp/t.csv"
if grep -q "timings" "$tmp/notimings.err"; then bad "timings printed without --timings"; else ok; fi

# usage errors
for v in 0 x -1; do
    $WRAP "$RFM" score --threads "$v" $DATA/cdnow.csv >/dev/null 2>"$tmp/usage.err"
    st=$?
    if [ "$st" -eq 1 ] && grep -q -- "--threads: '$v' is not 1..1024" "$tmp/usage.err"; then ok; else
        bad "--threads $v: status $st"
    fi
done

cli_done
