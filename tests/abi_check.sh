#!/bin/sh
# ABI check: compares a freshly built librfm.so with the ABI of the last
# release, committed as abi/librfm.so.<SONAME major>.abi (abidw output), with
# abidiff from libabigail (Debian: abigail-tools). README "ABI and versioning".
#
# Passes on compatible changes: functions added (in a new node of
# lib/librfm.map), enumerators added, internal (opaque) types changed, and
# fields appended to a size-prefixed struct (rfm_customer, rfm_rule_report,
# rfm_warning, rfm_segment_stats, rfm_record: `size` member; rfm_row_u64,
# rfm_row_str, rfm_rule: size argument) at or past its old size.
# Fails on everything else abidiff reports: a function or variable removed,
# a changed signature (including callback types), a changed enumerator value,
# any other change of a public struct (a field inserted, removed, retyped or
# moved; any change of the frozen rfm_purchase_key), and on abidiff's
# ABIDIFF_ABI_INCOMPATIBLE_CHANGE or error bits.
#
# usage: sh tests/abi_check.sh [--update] [LIBRARY]
#   LIBRARY   the built shared library (default out/librfm.so.1); it needs
#             debug information (-g, the default OPTFLAGS)
#   --update  write the baseline from LIBRARY instead of checking: only on a
#             deliberate release, see README (build it with gcc on x86_64)
# environment: ABIDW, ABIDIFF (default abidw, abidiff)
set -eu

root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cd "$root"

ABIDW=${ABIDW:-abidw}
ABIDIFF=${ABIDIFF:-abidiff}
SIZE_PREFIXED="rfm_customer rfm_rule_report rfm_warning rfm_segment_stats rfm_record"
SIZE_ARGUMENT="rfm_row_u64 rfm_row_str rfm_rule"

update=0
if [ "${1:-}" = "--update" ]; then
    update=1
    shift
fi
lib=${1:-out/librfm.so.1}

fail() {
    echo "abi_check: FAIL: $*"
    exit 1
}

for tool in "$ABIDW" "$ABIDIFF" readelf; do
    command -v "$tool" > /dev/null 2>&1 ||
        fail "$tool not found (Debian: apt-get install abigail-tools binutils)"
done
[ -f "$lib" ] || fail "$lib does not exist (build it first: make lib)"
readelf -S "$lib" | grep -q '\.debug_info' ||
    fail "$lib has no debug information (build with -g, e.g. the default OPTFLAGS=-O2 -g)"
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
case $soname in
librfm.so.[0-9]*) ;;
*) fail "$lib has SONAME '$soname', expected librfm.so.<major>" ;;
esac
baseline=abi/$soname.abi

if [ "$update" -eq 1 ]; then
    mkdir -p abi
    # Public types only (the rest stays declaration-only), and no paths of
    # this machine: file names without directories, no compilation dir.
    "$ABIDW" --no-corpus-path --no-comp-dir-path --short-locs --headers-dir include \
        --drop-private-types --out-file "$baseline.tmp" "$lib" ||
        fail "abidw failed on $lib"
    if grep -n -e '/work/' -e '/tmp/' -e '/home/' -e '/root/' "$baseline.tmp" | head -n 3 | grep .; then
        rm -f "$baseline.tmp"
        fail "the ABI dump holds machine-specific paths (above)"
    fi
    mv "$baseline.tmp" "$baseline"
    echo "abi_check: wrote $baseline from $lib ($(wc -c < "$baseline" | tr -d ' ') bytes); commit it"
    exit 0
fi

[ -f "$baseline" ] || fail "no baseline $baseline for SONAME $soname
    -> a new SONAME major starts a new baseline: sh tests/abi_check.sh --update $lib"
want_arch=$(sed -n "1s/.*architecture='\([^']*\)'.*/\1/p" "$baseline")
case $want_arch in
elf-amd-x86_64) readelf -h "$lib" | grep -q 'X86-64' ||
    fail "$baseline describes x86_64; $lib is another architecture (check a 64-bit build)" ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rfm-abi.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT TERM

# --leaf-changes-only: every changed type once, where it changed, not once
# per function that reaches it.
set +e
"$ABIDIFF" --leaf-changes-only --no-default-suppression "$baseline" "$lib" > "$tmp/report" 2>&1
rc=$?
set -e
cat "$tmp/report"

[ $((rc & 1)) -eq 0 ] || fail "abidiff failed (exit $rc)"
[ $((rc & 2)) -eq 0 ] || fail "abidiff usage error (exit $rc)"
[ $((rc & 8)) -eq 0 ] ||
    fail "abidiff reports an incompatible ABI change (ABIDIFF_ABI_INCOMPATIBLE_CHANGE, exit $rc)"
if [ $((rc & 4)) -eq 0 ]; then
    echo "abi_check: $lib has the ABI of $baseline"
    exit 0
fi

# ABIDIFF_ABI_CHANGE: accept only additions.
awk -v allowed="$SIZE_PREFIXED $SIZE_ARGUMENT" -v q="'" '
function problem(msg) { print "abi_check: not an addition: " msg; bad++ }
function end_block() {
    if (block != "" && !(grew && inserted))
        problem(block " changed (neither grown nor only appended to)")
    block = ""
}
BEGIN {
    n = split(allowed, a, " ")
    for (i = 1; i <= n; i++) ok[a[i]] = 1
    leaf = "^" q "[^" q "]*" q " changed:$"   # QUOTE struct NAME at FILE:L:C QUOTE changed:
}
# summaries: "N Removed, N Changed, N Added"
/functions summary:|variables summary:|symbols changes summary:/ {
    end_block()
    if (match($0, /[0-9]+ Removed/) && substr($0, RSTART, RLENGTH) + 0 > 0)
        problem("removed: " $0)
    if (match($0, /[0-9]+ Changed/) && substr($0, RSTART, RLENGTH) + 0 > 0)
        problem("changed: " $0)
    next
}
$0 ~ leaf {
    end_block()
    t = substr($0, 2)
    split(t, w, " ")
    kind = w[1]; name = w[2]
    block = kind " " name; grew = 0; inserted = 0; oldsize = -1
    if (kind != "struct" || !(name in ok)) {
        problem(block " changed (only size-prefixed structs may grow)")
        block = ""
    }
    next
}
/^[^ ]/ { end_block(); next }
block == "" { next }
/^  type size changed from [0-9]+ to [0-9]+ \(in bits\)$/ {
    oldsize = $5 + 0
    if ($7 + 0 > oldsize) grew = 1
    else problem(block ": " $0)
    next
}
/^  [0-9]+ data member insertions?:$/ { inserted = 1; next }
inserted && /, at offset [0-9]+ \(in bits\)/ {
    off = $0
    sub(/.*, at offset /, "", off)
    off = off + 0
    if (oldsize < 0 || off < oldsize)
        problem(block ": field not appended at or past the old size: " $0)
    next
}
/^[ \t]*$/ { next }
{ problem(block ": " $0) }
END {
    end_block()
    exit bad ? 1 : 0
}
' "$tmp/report" || fail "incompatible change against $baseline (see above)
    -> keep the old ABI; or, for a deliberate break, bump RFM_SOVERSION (README)"

echo "abi_check: $lib is compatible with $baseline (additions only)"
