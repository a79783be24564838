#!/bin/sh
# End-to-end tests of how `rfm score` reads its input (cli/line_feed.h):
# plain lines through the fast reader, every other line through the
# library's CSV reader. The reference for each file is the same rows with
# every field quoted, which no line of it leaves to the fast reader: the
# per-customer CSV, the summary and every message (line numbers included)
# must be the same.
#
# usage: RFM=out/rfm sh tests/cli_lines_test.sh     (run from the source root)
#   RFM_RUN_WRAPPER  command prefix, e.g. "valgrind -q --error-exitcode=99"
set -u

NAME=cli_lines_test
. "$(dirname "$0")/cli_lib.sh"

# gen SEED NUMERIC: two files of the same rows, mixed.csv (fields quoted
# only now and then, or where they hold the delimiter) and quoted.csv
# (every field quoted). With NUMERIC 1 every id is digits, so rfm score
# holds them as numbers and takes runs of common rows in one pass
# (cli/plain_rows.h) until the end. Both have CRLF and LF line ends, empty lines, a CR inside a
# field, ids with a line break, amounts of one to eleven bytes, and bad rows of every kind.
gen() {
    awk -v seed="$1" -v numeric="$2" -v mixed="$tmp/mixed.csv" -v quoted="$tmp/quoted.csv" '
    function q(s) { gsub(/"/, "\"\"", s); return "\"" s "\"" }
    function emit(n, f,    i, a, b) {
        a = ""; b = ""
        for (i = 1; i <= n; i++) {
            a = a (i > 1 ? "," : "") (index(f[i], ",") || index(f[i], "\"") || index(f[i], "\n") || rand() < 0.05 ? q(f[i]) : f[i])
            b = b (i > 1 ? "," : "") q(f[i])
        }
        eol = rand() < 0.2 ? "\r\n" : "\n"
        printf "%s%s", a, eol >mixed
        printf "%s%s", b, eol >quoted
    }
    BEGIN {
        srand(seed)
        print "customer_id,date,amount" >mixed
        print "\"customer_id\",\"date\",\"amount\"" >quoted
        for (r = 0; r < 6000; r++) {
            k = rand()
            if (k < 0.01) { print "" >mixed; print "" >quoted; continue }
            c = int(rand() * rand() * 900)
            f[1] = rand() < 0.5 || numeric ? c : "c" c
            if (rand() < 0.02 && !numeric) f[1] = "c," c
            if (rand() < 0.01 && !numeric) f[1] = "c\"" c
            f[2] = sprintf("2018-%02d-%02d", 1 + int(rand() * 12), 1 + int(rand() * 28))
            if (rand() < 0.3) f[2] = f[2] sprintf(" %02d:%02d:%02d", int(rand() * 24), int(rand() * 60), int(rand() * 60))
            a = int(rand() * 10 ^ (1 + int(rand() * 7)))
            f[3] = rand() < 0.7 ? sprintf("%d.%02d", a / 100, a % 100) : (rand() < 0.5 ? a : sprintf("%.1f", a / 10))
            if (rand() < 0.05) f[3] = "-" f[3]
            if (rand() < 0.02) f[3] = "." int(rand() * 100)
            if (rand() < 0.02) f[3] = "123456.789"
            if (rand() < 0.01) f[3] = "1.2.3"
            if (rand() < 0.01) f[3] = "12,50"
            if (rand() < 0.01) f[3] = " 7.5 "
            if (rand() < 0.01) f[2] = "2018-13-01"
            if (rand() < 0.01) f[3] = "\r9"
            if (rand() < 0.01) { f[4] = "extra"; emit(4, f); continue }
            if (rand() < 0.01 && !numeric) {
                # an id over three lines, the middle one plain on its own
                f[1] = "c\n" c "," c "\n" c; f[3] = "1.00"
                if (!(c in multi)) { multi[c] = 1; n_multi++ }
                emit(3, f); continue
            }
            emit(3, f)
        }
        print n_multi + 0 >(mixed ".multi")
    }'
}

for seed in 1 2 3 4 5; do
    gen "$seed" $((seed > 3))
    cp "$tmp/mixed.csv.multi" "$tmp/multi$seed"
    for args in "" "--scale 3" "--method ntile"; do
        for t in 1 2; do
            tag=$(echo "s$seed-t$t$args" | tr -c 'a-z0-9\n' '_')
            # shellcheck disable=SC2086
            run "$tag-m" score --threads "$t" $args --summary "$tmp/$tag-m.sum" "$tmp/mixed.csv"
            expect_status "$tag-m" 0
            # shellcheck disable=SC2086
            run "$tag-q" score --threads "$t" $args --summary "$tmp/$tag-q.sum" "$tmp/quoted.csv"
            same_files "$tag-m.out" "$tag-q.out" "seed $seed, $args, $t thread(s): scores"
            same_files "$tag-m.sum" "$tag-q.sum" "seed $seed, $args, $t thread(s): summary"
            sed "s|quoted.csv|mixed.csv|g" "$tmp/$tag-q.err" >"$tmp/$tag-q.err.as"
            same_files "$tag-m.err" "$tag-q.err.as" "seed $seed, $args, $t thread(s): messages"
        done
    done
done
# the rows did go both ways: bad rows named by line, on both kinds of line
if grep -q "line [0-9]*: amount '1.2.3'" "$tmp/s3_t1-m.err" &&
    grep -q "line [0-9]*: 4 fields" "$tmp/s3_t1-m.err"; then ok; else
    bad "seed 3: the bad rows are not reported by line"
    head -5 "$tmp/s3_t1-m.err" | sed 's/^/    /'
fi

# the numeric ids were held as numbers to the end
run s5_timings score --timings -o /dev/null "$tmp/mixed.csv"
if grep -q "customer ids held as numbers" "$tmp/s5_timings.err"; then ok; else
    bad "seed 5: the ids were not held as numbers"
    sed 's/^/    /' "$tmp/s5_timings.err" | head -5
fi

# every id over three lines is one customer (its plain middle line was
# not taken for a row of its own)
multi=$(cat "$tmp/multi3")
if [ "$(grep -c '^"c$' "$tmp/s3_t1-m.out")" -eq "$multi" ] &&
    [ "$(grep -c '^[0-9]*,[0-9]*$' "$tmp/s3_t1-m.out")" -eq "$multi" ] && [ "$multi" -gt 10 ]; then
    ok
else
    bad "seed 3: ids over three lines are not read whole"
fi

# a CSV error after plain lines names its line in the file
printf 'customer_id,date,amount\n1,2018-01-01,5\n\n2,2018-01-02,6\r\n"3"x,2018-01-03,7\n' \
    >"$tmp/broken.csv"
run broken score "$tmp/broken.csv"
expect_status broken 2
if grep -q "broken.csv: line 5: text after closing quote" "$tmp/broken.err"; then ok; else
    bad "broken: the error does not name line 5"
    sed 's/^/    /' "$tmp/broken.err" | head -5
fi

# a quote after a ',' in the header of a ';' file: the delimiter's
# detection takes it for an opening quote and holds the lines until the
# next quote, which opens a field over three lines; its middle line looks
# plain (it is part of the note, not a row of two fields)
printf 'customer_id;date;amount;no,"te\n1;2018-01-01;5.00;"a\nx;y\nb"\n2;2018-01-02;6.00;c\n' \
    >"$tmp/header_quote.csv"
run header_quote score "$tmp/header_quote.csv"
expect_status header_quote 0
if grep -q "2 rows read, 2 used, 0 skipped" "$tmp/header_quote.err"; then ok; else
    bad "header_quote: the quoted note over three lines was not one field"
    sed 's/^/    /' "$tmp/header_quote.err" | head -5
fi

cli_done
