#!/bin/sh
# Builds the libFuzzer harnesses (clang, ASan+UBSan) and runs each for a
# while on a copy of its seed corpus. A finding fails the run and leaves
# its input in out/fuzz/<harness>/; make it a regression test.
#
# usage: sh fuzz/run.sh [SECONDS_PER_HARNESS] [HARNESS...]   (default 60, all)
set -eu

root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cd "$root"
seconds=${1:-60}
[ $# -gt 0 ] && shift
harnesses=${*:-"csv parse api snapshot rules lines plain_rows"}
CC=${FUZZ_CC:-clang}
out=out/fuzz
mkdir -p "$out"
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_POSIX_C_SOURCE=200809L"

status=0
for h in $harnesses; do
    extra=
    [ "$h" = rules ] && extra=cli/rules_file.c
    [ "$h" = lines ] && extra=cli/line_feed.c
    [ "$h" = plain_rows ] && extra="cli/plain_rows.c cli/date_cache.c"
    # shellcheck disable=SC2086
    $CC $flags -Iinclude -Ilib "fuzz/fuzz_$h.c" $extra lib/*.c -o "$out/fuzz_$h" -lm
    work="$out/$h"
    rm -rf "$work"
    mkdir -p "$work/corpus"
    cp fuzz/corpus/"$h"/* "$work/corpus/" 2>/dev/null || true
    echo "fuzz_$h: ${seconds}s"
    if (cd "$work" && "../fuzz_$h" -max_total_time="$seconds" -close_fd_mask=2 \
        -rss_limit_mb=2048 -print_final_stats=1 corpus >log 2>&1); then
        grep -E "stat::number_of_executed_units" "$work/log" | sed "s/^/fuzz_$h: /"
    else
        status=1
        echo "fuzz_$h: FINDING (see $work/log and the crash-* input there)"
        tail -n 30 "$work/log"
    fi
done
exit $status
