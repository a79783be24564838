#!/bin/sh
# Prints the names of the public functions of librfm: every declaration in
# include/rfm.h that starts a line with RFM_API, one name a line, sorted.
# These, and only these, are the exported symbols; lib/librfm.map lists them
# and tests/check_exports.sh checks header, map and library against each other.
#
# usage: sh scripts/exports.sh [--map] [path/to/rfm.h]
#   --map   print a version script with every name in one LIBRFM_1 node (how
#           lib/librfm.map was first generated; after a release, new functions
#           go into a new node by hand, see the comment in lib/librfm.map)
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
map=0
if [ "${1:-}" = "--map" ]; then
    map=1
    shift
fi
header=${1:-$here/../include/rfm.h}
[ -r "$header" ] || { echo "exports.sh: cannot read $header" >&2; exit 1; }

# The name is the identifier before the first "(" of the declaration line.
names=$(awk '
/^RFM_API[ \t]/ {
    if (!match($0, /rfm_[A-Za-z0-9_]*[ \t]*\(/)) {
        print "exports.sh: cannot find the function name in: " $0 > "/dev/stderr"
        bad = 1
        next
    }
    s = substr($0, RSTART, RLENGTH)
    sub(/[ \t]*\($/, "", s)
    print s
}
END { exit bad }
' "$header" | LC_ALL=C sort)
[ -n "$names" ] || { echo "exports.sh: no RFM_API declaration in $header" >&2; exit 1; }

if [ "$map" -eq 0 ]; then
    printf '%s\n' "$names"
    exit 0
fi

cat <<'EOF'
/* Symbol version script of librfm, used by both the Makefile and meson.
 *
 * It lists every public function (the RFM_API declarations of include/rfm.h)
 * by name; everything else is local. tests/check_exports.sh (run by
 * `make check` and `meson test`) fails when this list, the header and the
 * symbols the built library exports disagree.
 *
 * Rules:
 * - A released node is frozen: never remove, rename or move a name, never
 *   add one to it.
 * - Functions added after a release go into a new node LIBRFM_<SONAME
 *   major>.<n> (n = 1, 2, ... for each release that adds functions) that
 *   inherits the previous node, with the release in a comment above it:
 *       LIBRFM_1.1 {
 *           global:
 *               rfm_new_function;
 *       } LIBRFM_1;
 *   (`local: *;` stays only in LIBRFM_1.)
 * - Removing or changing a function is an incompatible change: it needs a
 *   new SONAME major (RFM_SOVERSION) and a new LIBRFM_<major> node.
 */
LIBRFM_1 {
    global:
EOF
printf '%s\n' "$names" | sed 's/^/        /; s/$/;/'
cat <<'EOF'
    local:
        *;
};
EOF
