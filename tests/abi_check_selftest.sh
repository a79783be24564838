#!/bin/sh
# Shows that tests/abi_check.sh (and tests/check_exports.sh) tell additions
# from incompatible changes: builds copies of the library with one change
# each, against the committed baseline in abi/, and expects
#   pass: a field appended to rfm_customer, a function added in a new
#         version node of lib/librfm.map, an enumerator added
#   fail: a function removed, a field inserted in the middle of rfm_customer,
#         an enumerator value changed, a field appended to the frozen
#         rfm_purchase_key, a changed function signature.
# Run by .ci/run (needs abigail-tools; about 5 s per case).
#
# usage: sh tests/abi_check_selftest.sh
# environment: CC (default cc), MAKE (default make)
set -eu

root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cd "$root"
MAKE=${MAKE:-make}
CC=${CC:-cc}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rfm-abiself.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT TERM

failures=0
bad() {
    echo "abi_check_selftest: FAIL: $*"
    failures=$((failures + 1))
}

# edit FILE SED-SCRIPT: applies the script; the case is broken if it changes nothing
edit() {
    cp "$1" "$1.orig"
    sed -e "$2" "$1.orig" > "$1"
    if cmp -s "$1" "$1.orig"; then
        echo "abi_check_selftest: the edit '$2' no longer applies to $1: update this test"
        exit 1
    fi
    rm -f "$1.orig"
}

# run_case NAME EXPECT(pass|fail) EDIT-FUNCTION
run_case() {
    name=$1
    expect=$2
    dir=$tmp/$name
    mkdir -p "$dir/tests"
    cp -R include lib scripts pkgconfig abi Makefile "$dir/"
    cp tests/abi_check.sh tests/check_exports.sh "$dir/tests/"
    (cd "$dir" && "$3")
    if ! "$MAKE" -s -C "$dir" OUT=o CC="$CC" lib > "$dir/build.log" 2>&1; then
        cat "$dir/build.log"
        bad "$name: the changed library does not build"
        return
    fi
    if sh "$dir/tests/abi_check.sh" "$dir/o/librfm.so.1" > "$dir/abi.log" 2>&1; then
        got=pass
    else
        got=fail
    fi
    if [ "$got" = "$expect" ]; then
        echo "abi_check_selftest: $name: abi_check says $got, as expected"
    else
        cat "$dir/abi.log"
        bad "$name: abi_check says $got, expected $expect"
    fi
    if [ "$expect" = pass ] && ! sh "$dir/tests/check_exports.sh" "$dir/o/librfm.so.1" \
        > "$dir/exports.log" 2>&1; then
        cat "$dir/exports.log"
        bad "$name: check_exports failed on an allowed addition"
    fi
    rm -rf "$dir"
}

additions() {
    edit include/rfm.h 's/^    double btyd_monetary;$/&\
    int64_t abi_selftest_field;/'
    edit include/rfm.h 's/^RFM_API const char \*rfm_version_string(void);$/&\
\/** Added by the self-test. @since 0.2 *\/\
RFM_API int rfm_abi_selftest(void);/'
    edit include/rfm.h 's/^    RFM_PARAM_HASH_SEED = 300,/    RFM_PARAM_ABI_SELFTEST = 999,\
&/'
    echo 'int rfm_abi_selftest(void) { return 0; }' >> lib/version.c
    cat >> lib/librfm.map <<'EOF'

LIBRFM_1.99 {
    global:
        rfm_abi_selftest;
} LIBRFM_1.1;
EOF
}
remove_function() {
    edit lib/librfm.map '/^        rfm_as_of_day;$/d'
}
insert_field() {
    edit include/rfm.h 's/^    uint64_t key_u64; \/\* u64 contexts \*\/$/&\
    uint64_t abi_selftest_field;/'
}
change_enumerator() {
    edit include/rfm.h 's/RFM_PARAM_HASH_SEED = 300/RFM_PARAM_HASH_SEED = 301/'
}
grow_frozen_struct() {
    edit include/rfm.h '/^typedef struct rfm_purchase_key {$/,/^} rfm_purchase_key;$/s/^    size_t len;$/&\
    uint64_t abi_selftest_field;/'
}
change_signature() {
    edit include/rfm.h 's/^RFM_API int rfm_as_of_day(rfm_ctx \*ctx, int64_t \*day);$/RFM_API int rfm_as_of_day(rfm_ctx *ctx, int32_t *day);/'
    for f in lib/*.c; do
        if grep -q '^int rfm_as_of_day(rfm_ctx \*ctx, int64_t \*day)$' "$f"; then
            edit "$f" 's/^int rfm_as_of_day(rfm_ctx \*ctx, int64_t \*day)$/int rfm_as_of_day(rfm_ctx *ctx, int32_t *day)/'
            edit "$f" '/^int rfm_as_of_day(/,/^}/s/\*day = \(.*\);$/*day = (int32_t)(\1);/'
        fi
    done
}

[ -f abi/librfm.so.1.abi ] || { echo "abi_check_selftest: no abi/librfm.so.1.abi"; exit 1; }
run_case additions pass additions
run_case remove_function fail remove_function
run_case insert_field fail insert_field
run_case change_enumerator fail change_enumerator
run_case grow_frozen_struct fail grow_frozen_struct
run_case change_signature fail change_signature

if [ "$failures" -ne 0 ]; then
    echo "abi_check_selftest: $failures case(s) failed"
    exit 1
fi
echo "abi_check_selftest: every case passed"
