#!/bin/sh
# Checks the exported symbols of librfm against the version script and the
# header, so that no symbol is exported by accident and none is forgotten:
#   - the RFM_API declarations of include/rfm.h (scripts/exports.sh) are
#     exactly the names lib/librfm.map lists (adding a function to the header
#     without listing it fails, and so does a stale map entry);
#   - every symbol the library defines in its dynamic table starts with rfm_
#     (never the internal rfm__), is listed in the map, and carries the
#     default version (@@) of the map node that lists it (LIBRFM_1 or a later
#     node);
#   - every listed name is exported.
#
# usage: sh tests/check_exports.sh [LIBRARY...]
#   LIBRARY  shared libraries to check (default: out/librfm.so.1 of the Makefile
#            build; meson passes its own)
# environment: NM (default nm)
set -eu

root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cd "$root"

NM=${NM:-nm}
map=lib/librfm.map
header=include/rfm.h
[ $# -gt 0 ] || set -- out/librfm.so.1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rfm-exports.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT TERM

status=0
fail() {
    echo "check_exports: FAIL: $*"
    status=1
}
# oneline FILE: the lines of FILE joined by spaces
oneline() {
    tr '\n' ' ' < "$1"
}

# ---------------------------------------------------------------- the map
# "name node" for every name in a global: section; the nodes in "$tmp/nodes".
awk -v nodes="$tmp/nodes" '
{ text = text $0 "\n" }
END {
    # drop comments, then split into tokens
    while ((i = index(text, "/*")) > 0) {
        rest = substr(text, i + 2)
        j = index(rest, "*/")
        if (j == 0) { print "check_exports: unterminated comment in the map" > "/dev/stderr"; exit 1 }
        text = substr(text, 1, i - 1) " " substr(rest, j + 2)
    }
    gsub(/[{};]/, " & ", text)
    n = split(text, tok, /[ \t\n]+/)
    # state: "name" (before a node), "body" (inside its braces), "tail"
    # (after "}": an optional parent node name, then ";")
    state = "name"; node = ""; mode = ""
    for (k = 1; k <= n; k++) {
        t = tok[k]
        if (t == "") continue
        if (state == "name") {
            if (t == "{") { state = "body"; mode = ""; continue }
            if (t != ";") { node = t; print node > nodes }
            continue
        }
        if (state == "tail") {
            if (t == ";") state = "name"
            continue
        }
        if (t == "}") { state = "tail"; continue }
        if (t == "global:") { mode = "global"; continue }
        if (t == "local:") { mode = "local"; continue }
        if (t == ";") continue
        if (mode == "global") print t, node
    }
}
' "$map" > "$tmp/map_pairs" || { echo "check_exports: cannot parse $map"; exit 1; }
cut -d' ' -f1 "$tmp/map_pairs" | LC_ALL=C sort > "$tmp/map_names"
[ -s "$tmp/map_names" ] || { echo "check_exports: $map lists no symbol"; exit 1; }
dups=$(uniq -d "$tmp/map_names")
[ -z "$dups" ] || fail "$map lists twice: $(printf '%s' "$dups" | tr '\n' ' ')"
if grep -v '^rfm_[A-Za-z0-9]' "$tmp/map_names" > "$tmp/bad"; then
    fail "$map lists names that are not public rfm_ functions (a glob?): $(oneline "$tmp/bad")"
fi

# ---------------------------------------------------------------- header vs map
sh scripts/exports.sh "$header" > "$tmp/hdr_names" || exit 1
LC_ALL=C sort -u "$tmp/map_names" > "$tmp/map_u"
LC_ALL=C comm -23 "$tmp/hdr_names" "$tmp/map_u" > "$tmp/x"
[ ! -s "$tmp/x" ] || fail "declared RFM_API in $header but not listed in $map: $(oneline "$tmp/x")
    -> add them to a new version node of $map (see the rules at its top)"
LC_ALL=C comm -13 "$tmp/hdr_names" "$tmp/map_u" > "$tmp/x"
[ ! -s "$tmp/x" ] || fail "listed in $map but not declared RFM_API in $header: $(oneline "$tmp/x")"

# ---------------------------------------------------------------- libraries
for lib in "$@"; do
    if [ ! -f "$lib" ]; then
        fail "$lib does not exist (build it first)"
        continue
    fi
    if ! "$NM" -D --defined-only --with-symbol-versions "$lib" > "$tmp/nm" 2> "$tmp/nm.err"; then
        cat "$tmp/nm.err"
        fail "$NM cannot read $lib"
        continue
    fi
    # Version definitions (type A) must be nodes of the map.
    awk '$2 == "A" { print $3 }' "$tmp/nm" | sed 's/@.*//' | LC_ALL=C sort -u > "$tmp/vdefs"
    LC_ALL=C sort -u "$tmp/nodes" > "$tmp/nodes_u"
    LC_ALL=C comm -23 "$tmp/vdefs" "$tmp/nodes_u" > "$tmp/x"
    [ ! -s "$tmp/x" ] || fail "$lib: version nodes not in $map: $(oneline "$tmp/x")"
    # Every defined symbol: "name@@VERSION" (default version), nothing else.
    awk '$2 != "A" { print $3 }' "$tmp/nm" > "$tmp/syms"
    : > "$tmp/exported"
    while read -r sym; do
        name=${sym%%@*}
        ver=
        case $sym in
        *@@*) ver=${sym#*@@} ;;
        *@*) fail "$lib: $sym is exported with a non-default version" ;;
        *) fail "$lib: $sym is exported without a version (not covered by $map)" ;;
        esac
        echo "$name" >> "$tmp/exported"
        case $name in
        rfm__*) fail "$lib: internal symbol $name is exported"; continue ;;
        rfm_[A-Za-z0-9]*) ;;
        *) fail "$lib: $name is exported but is not an rfm_ symbol"; continue ;;
        esac
        node=$(awk -v n="$name" '$1 == n { print $2; exit }' "$tmp/map_pairs")
        if [ -z "$node" ]; then
            fail "$lib: $name is exported but not listed in $map"
        elif [ -n "$ver" ] && [ "$ver" != "$node" ]; then
            fail "$lib: $name has version $ver, but $map lists it in $node"
        fi
    done < "$tmp/syms"
    LC_ALL=C sort -u "$tmp/exported" > "$tmp/exported_u"
    LC_ALL=C comm -23 "$tmp/map_u" "$tmp/exported_u" > "$tmp/x"
    [ ! -s "$tmp/x" ] || fail "$lib: listed in $map but not exported: $(oneline "$tmp/x")
    -> define them (with RFM_API) or remove them from the header and the map"
    if [ "$status" -eq 0 ]; then
        echo "check_exports: $lib: $(wc -l < "$tmp/exported_u" | tr -d ' ') symbols, all" \
            "rfm_, all listed and versioned ($(LC_ALL=C sort -u "$tmp/nodes" | tr '\n' ' ' | sed 's/ $//'))"
    fi
done

if [ "$status" -eq 0 ]; then
    echo "check_exports: $header, $map and the exported symbols agree" \
        "($(wc -l < "$tmp/hdr_names" | tr -d ' ') functions)"
fi
exit "$status"
