#!/bin/sh
# librfm benchmarks, side by side with DuckDB. POSIX sh; run from anywhere.
#
#   bench/run.sh [--out DIR] small | full | scaling | all
#
#   small    1M transactions, 100k customers, +10k increment   (`make bench`)
#   full     10M transactions, 1M customers, +100k increment   (`make bench-full`)
#   scaling  librfm in memory at 1M, 10M and 50M transactions, customers = 1/10
#            and customers = 1M: cost per transaction           (`make bench-full`)
#   all      full, then scaling
#
# Each configuration: generate the data set once (bench/gen.h; cached as CSV
# under DIR/bench/data), time librfm in memory (rfmbench, u64 keys and string
# keys), `rfm score` on the CSV file (rfmrun), and DuckDB on the same data
# (bench/duckdb_peer.mjs: load, query over the loaded table, increment, and
# read_csv + query + COPY); compare every per-customer result; print the
# table (bench/report.mjs). Results: DIR/bench/NAME/{table.txt,results.json}.
#
# DIR is the build directory (default out; the Makefile passes $(OUT)) and
# must hold rfm, bench/rfmgen, bench/rfmbench and bench/rfmrun (`make bench`
# builds them). DuckDB comes from the npm package @duckdb/node-api, installed
# on first use into the git-ignored bench/.duckdb (needs network once).
#
# Environment: RFM_BENCH_THREADS (DuckDB threads, default: nproc),
# RFM_BENCH_REPEAT (timed repetitions, best kept; default 3),
# RFM_BENCH_DUCKDB_PKG (npm spec, default @duckdb/node-api@1.5.6-r.1),
# RFM_BENCH_NO_DUCKDB=1 (librfm only).
set -eu

root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cd "$root"

out=out
while [ $# -gt 0 ]; do
    case $1 in
    --out) out=$2; shift 2 ;;
    -h | --help) sed -n '2,27s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) break ;;
    esac
done
what=${1:-small}
case $out in /*) ;; *) out=$root/$out ;; esac

threads=${RFM_BENCH_THREADS:-$(nproc 2>/dev/null || echo 2)}
repeat=${RFM_BENCH_REPEAT:-3}
duckdb_pkg=${RFM_BENCH_DUCKDB_PKG:-@duckdb/node-api@1.5.6-r.1}
duckdb_dir=$root/bench/.duckdb
seed=42

gen=$out/bench/rfmgen
bench=$out/bench/rfmbench
run=$out/bench/rfmrun
rfm=$out/rfm
for b in "$gen" "$bench" "$run"; do
    [ -x "$b" ] || { echo "bench: $b is missing: run 'make bench'" >&2; exit 2; }
done

say() { printf '%s\n' "bench: $*" >&2; }

# 1-minute load average (Linux), "?" elsewhere
loadavg() {
    cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?'
}

# the sources measured: commit, and whether the work tree differs from it
revision() {
    git -C "$root" describe --always --dirty 2>/dev/null || echo unknown
}

now() { date +%s.%N 2>/dev/null || date +%s; }
# step LABEL COMMAND...: runs a command, says how long it took
step() {
    label=$1; shift
    t0=$(now)
    if "$@"; then
        say "$label ($(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'))"
    else
        rc=$?
        say "$label FAILED (exit $rc)"
        return $rc
    fi
}

# ------------------------------------------------------------ DuckDB
have_duckdb=0
duckdb_ready() {
    [ "${RFM_BENCH_NO_DUCKDB:-0}" = 1 ] && return 1
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        say "note: node/npm not found: DuckDB side skipped"
        return 1
    fi
    case $duckdb_pkg in
    @*@*) want=${duckdb_pkg##*@} ;; # a pinned version
    *) want= ;;
    esac
    pj=$duckdb_dir/node_modules/@duckdb/node-api/package.json
    have=$(node -e "try{console.log(require(process.argv[1]).version)}catch(e){}" "$pj" 2>/dev/null || true)
    if [ -n "$have" ] && { [ -z "$want" ] || [ "$have" = "$want" ]; }; then
        return 0
    fi
    say "note: installing $duckdb_pkg into bench/.duckdb (first run only; needs network) ..."
    mkdir -p "$duckdb_dir"
    if ! npm install --prefix "$duckdb_dir" --no-audit --no-fund --loglevel=error "$duckdb_pkg" >&2; then
        say "note: npm install failed: DuckDB side skipped"
        return 1
    fi
}
if duckdb_ready; then have_duckdb=1; fi

# ------------------------------------------------------------ data
data=$out/bench/data
mkdir -p "$data"

# csv_file ROWS CUSTOMERS [FROM COUNT]: generates (once) the CSV of rows
# FROM..FROM+COUNT-1 (default: the ROWS base rows) and prints its path
csv_file() {
    if [ $# -gt 2 ]; then
        f=$data/tx-$1-$2-s$seed-from$3-n$4.csv
        set -- -n "$1" -c "$2" --from "$3" --count "$4"
    else
        f=$data/tx-$1-$2-s$seed.csv
        set -- -n "$1" -c "$2"
    fi
    if [ ! -s "$f" ]; then
        "$gen" "$@" --seed "$seed" -o "$f.tmp" && mv "$f.tmp" "$f"
    fi
    printf '%s\n' "$f"
}

# ------------------------------------------------------------ one configuration
# config NAME ROWS CUSTOMERS INCREMENT
config() {
    name=$1 rows=$2 customers=$3 incr=$4
    dir=$out/bench/$name
    rm -rf "$dir"
    mkdir -p "$dir"
    : > "$dir/notes.txt"
    revision > "$dir/revision.txt"
    load_at=$(loadavg)
    say "== $name: $rows transactions, $customers customers, +$incr increment, best of $repeat"
    t0=$(now)
    csv=$(csv_file "$rows" "$customers")
    inc=$(csv_file "$rows" "$customers" "$rows" "$incr")
    say "data: $csv, $inc ($(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'))"

    # the rows in memory as columns in one batch (as DuckDB has them in one
    # columnar table), on DuckDB's thread count; then as row structs in one
    # batch, and in batches of 32768 on one thread
    step "librfm in memory, u64 keys, columns, one batch, $threads threads" "$bench" -n "$rows" \
        -c "$customers" --seed "$seed" --batch "$rows" --threads "$threads" --columns \
        --increment "$incr" --repeat "$repeat" --out "$dir/lib" --json "$dir/librfm.json" \
        --snapshot "$dir/state.rfmsnap" --quiet > "$dir/librfm.txt" ||
        echo "rfmbench (u64 keys) failed with exit status $?" >> "$dir/notes.txt"
    step "librfm in memory, u64 keys, row structs, one batch, $threads threads" "$bench" \
        -n "$rows" -c "$customers" --seed "$seed" --batch "$rows" --threads "$threads" \
        --increment "$incr" --repeat "$repeat" --out "$dir/lib-rows" \
        --json "$dir/librfm-rows.json" --no-ntile --quiet > "$dir/librfm-rows.txt" ||
        echo "rfmbench (u64 keys, row structs) failed with exit status $?" >> "$dir/notes.txt"
    step "librfm in memory, u64 keys, batches of 32768, 1 thread" "$bench" -n "$rows" \
        -c "$customers" --seed "$seed" --batch 32768 --threads 1 --increment "$incr" \
        --repeat "$repeat" --out "$dir/lib-stream" --json "$dir/librfm-stream.json" --no-ntile \
        --quiet > "$dir/librfm-stream.txt" ||
        echo "rfmbench (u64 keys, batches of 32768) failed with exit status $?" >> "$dir/notes.txt"
    step "librfm in memory, string keys" "$bench" -n "$rows" -c "$customers" --seed "$seed" \
        --keys str --increment "$incr" --repeat "$repeat" --out "$dir/lib-str" \
        --json "$dir/librfm-str.json" --no-ntile --quiet > "$dir/librfm-str.txt" ||
        echo "rfmbench (string keys) failed with exit status $?" >> "$dir/notes.txt"

    if [ -x "$rfm" ]; then
        step "rfm score on the CSV file" "$run" --json "$dir/rfm-score.json" --input "$csv" \
            --repeat "$repeat" -- "$rfm" score --quiet -o "$dir/rfm-score.csv" "$csv" || true
        # the reading side's own throughput (its busy time, waits excluded)
        step "rfm score --timings (reading side)" sh -c '"$1" score --quiet --timings -o /dev/null "$2" 2>"$3"' \
            sh "$rfm" "$csv" "$dir/rfm-timings.txt" || true
    else
        echo "rfm score skipped: $rfm is not built" >> "$dir/notes.txt"
    fi

    if [ $have_duckdb = 1 ]; then
        step "DuckDB: load, query, increment ($threads threads)" env RFM_BENCH_DUCKDB_DIR="$duckdb_dir" \
            node bench/duckdb_peer.mjs table --csv "$csv" --increment-csv "$inc" --out "$dir/duck" \
            --json "$dir/duckdb.json" --threads "$threads" --repeat "$repeat" --verify-cutoffs \
            --threads1 || true
        step "DuckDB: read_csv + query + COPY ($threads threads)" env RFM_BENCH_DUCKDB_DIR="$duckdb_dir" \
            node bench/duckdb_peer.mjs csv --csv "$csv" --out "$dir/duck-csv.csv" \
            --json "$dir/duckdb-csv.json" --threads "$threads" --repeat "$repeat" || true
    else
        echo "DuckDB side not run (see the notes above): no ratios" >> "$dir/notes.txt"
    fi
    [ -s "$dir/lib-str-quantile.csv" ] && ! cmp -s "$dir/lib-quantile.csv" "$dir/lib-str-quantile.csv" &&
        echo "string-key results differ from u64-key results" >> "$dir/notes.txt"
    for f in quantile increment; do
        for v in stream rows; do
            [ -s "$dir/lib-$v-$f.csv" ] && ! cmp -s "$dir/lib-$f.csv" "$dir/lib-$v-$f.csv" &&
                echo "results of the $v run differ ($f)" >> "$dir/notes.txt"
        done
    done
    echo "load average (1 min) at start $load_at, at end $(loadavg) (other processes share the machine)" \
        >> "$dir/notes.txt"
    echo >&2
    rc=0
    node bench/report.mjs --dir "$dir" --name "$name" || rc=$?
    # the string-key run, for the record (same data, same results checked above)
    # shellcheck disable=SC2016 # JavaScript template literals, not shell
    node -e '
        const j = require(process.argv[1]), s = j.seconds;
        console.log(`  librfm, string keys: ingest ${s.ingest.toFixed(3)} s (${(j.rows / s.ingest / 1e6).toFixed(2)} M rows/s), ` +
            `compute ${(s.compute * 1000).toFixed(1)} ms, ${(j.bytes_live_after_compute / j.customers).toFixed(1)} bytes/customer`);
    ' "$dir/librfm-str.json" 2>/dev/null | tee -a "$dir/table.txt" || true
    # shellcheck disable=SC2016 # JavaScript template literals, not shell
    for v in rows stream; do
        node -e '
            const j = require(process.argv[1]), s = j.seconds, d = require(process.argv[2]).seconds;
            const how = j.batch >= j.rows ? "in one batch" : `in batches of ${j.batch}`;
            console.log(`  librfm, u64 keys as ${j.layout} structs ${how} on ${j.threads} thread(s): ingest ${s.ingest.toFixed(3)} s, ` +
                `ingest + compute ${(s.ingest + s.compute).toFixed(3)} s (${(d.query / (s.ingest + s.compute)).toFixed(2)}x vs the query), ` +
                `increment + recompute ${((s.increment + s.recompute) * 1000).toFixed(1)} ms`);
        ' "$dir/librfm-$v.json" "$dir/duckdb.json" 2>/dev/null | tee -a "$dir/table.txt" || true
    done
    echo
    return $rc
}

# ------------------------------------------------------------ scaling
scaling() {
    dir=$out/bench/scaling
    rm -rf "$dir"
    mkdir -p "$dir"
    say "== scaling: librfm in memory (u64 keys), best of $repeat"
    revision > "$dir/revision.txt"
    # customers = transactions / 10, and customers fixed at 1M (10M:1M is in both)
    for nc in 1000000:100000 10000000:1000000 50000000:5000000 \
        1000000:1000000 50000000:1000000; do
        n=${nc%:*} c=${nc#*:}
        step "librfm in memory, $n transactions, $c customers" "$bench" -n "$n" -c "$c" \
            --seed "$seed" --no-ntile --repeat "$repeat" --json "$dir/scaling-$n-$c.json" \
            --quiet > "$dir/scaling-$n-$c.txt"
    done
    node bench/report.mjs --dir "$dir" --name scaling --scaling
}

status=0
case $what in
small) config small 1000000 100000 10000 || status=$? ;;
full) config full 10000000 1000000 100000 || status=$? ;;
scaling) scaling || status=$? ;;
all)
    config full 10000000 1000000 100000 || status=$?
    scaling || status=$?
    ;;
*) echo "usage: bench/run.sh [--out DIR] small|full|scaling|all" >&2; exit 2 ;;
esac
exit $status
