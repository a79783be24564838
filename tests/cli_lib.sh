# Shared by the end-to-end scripts of the rfm command (tests/cli_*test.sh):
# sourced after the script sets NAME, run from the source root.
#   RFM              the rfm binary (default out/rfm)
#   RFM_RUN_WRAPPER  command prefix, e.g. "valgrind -q --error-exitcode=99"
# Gives $tmp (removed on exit), the pass/fail counters and their helpers; the
# script ends with `cli_done`.

RFM=${RFM:-out/rfm}
WRAP=${RFM_RUN_WRAPPER:-}
REF=tests/reference
DATA=examples/data
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rfm-$NAME.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# run CASE ARGS...: runs rfm, stdout to $tmp/CASE.out, stderr to $tmp/CASE.err,
# status in $status. A status >= 99 is a crash, a sanitizer or valgrind report.
run() {
    name=$1
    shift
    # shellcheck disable=SC2086
    $WRAP "$RFM" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
    status=$?
    if [ "$status" -ge 99 ]; then
        bad "$name: crashed or memory error (status $status)"
        sed 's/^/    /' "$tmp/$name.err" | head -20
        return 1
    fi
    return 0
}

# same_files A B WHAT: files $tmp/A and $tmp/B are equal
same_files() {
    if cmp -s "$tmp/$1" "$tmp/$2"; then ok; else
        bad "$3: $1 and $2 differ"
        diff "$tmp/$1" "$tmp/$2" | head -6 | sed 's/^/    /'
    fi
}

expect_status() {
    if [ "$status" -eq "$2" ]; then ok; else
        bad "$1: exit status $status, want $2"
        sed 's/^/    /' "$tmp/$1.err" | head -5
    fi
}

expect_err() {
    if grep -q -- "$2" "$tmp/$1.err"; then ok; else
        bad "$1: stderr lacks '$2'"
        sed 's/^/    /' "$tmp/$1.err" | head -5
    fi
}

cli_done() {
    echo "$NAME: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
