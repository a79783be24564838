#!/bin/sh
# Dist test: `make dist` packs the files git tracks into
# out/librfm-VERSION.tar.gz; this unpacks it into an empty temporary
# directory (no git, no build output) and runs `make check` there, which must
# end with "N passed, 0 failed". Slow (a whole build and test run): run by
# .ci/run, not by `make check`.
#
# usage: sh tests/dist_test.sh [MAKE-ARGUMENTS...]   (e.g. CC=gcc WERROR=1)
# environment: MAKE (default make)
set -eu

root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cd "$root"
MAKE=${MAKE:-make}

fail() {
    echo "dist_test: FAIL: $*"
    exit 1
}

version=$(sh scripts/version.sh)
name=librfm-$version
tarball=out/$name.tar.gz

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rfm-dist.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT TERM

rm -f "$tarball"
"$MAKE" --no-print-directory dist || fail "make dist failed"
[ -f "$tarball" ] || fail "make dist did not write $tarball"

# Contents: exactly the tracked files, all under $name/.
tar -tzf "$tarball" > "$tmp/list" || fail "$tarball is not a gzip'd tar"
outside=$(grep -v "^$name/" "$tmp/list" || true)
[ -z "$outside" ] || fail "entries outside $name/: $(printf '%s' "$outside" | head -n 5 | tr '\n' ' ')"
sed "s,^$name/,," "$tmp/list" | grep -v '^$' | grep -v '/$' | LC_ALL=C sort > "$tmp/packed"
git ls-files | LC_ALL=C sort > "$tmp/tracked"
if ! cmp -s "$tmp/packed" "$tmp/tracked"; then
    diff "$tmp/tracked" "$tmp/packed" | head -n 20
    fail "the tarball differs from the files git tracks (above: < tracked, > packed)"
fi
for f in include/rfm.h lib/librfm.map Makefile meson.build "abi/librfm.so.1.abi" \
    pkgconfig/librfm.pc.in scripts/version.sh; do
    grep -qx "$f" "$tmp/packed" || fail "$f is not in the tarball (is it committed?)"
done
if grep -E '^(out|out-san|build[^/]*)/' "$tmp/packed" | head -n 3 | grep .; then
    fail "build output in the tarball (above)"
fi
echo "dist_test: $tarball: $(wc -l < "$tmp/packed" | tr -d ' ') files under $name/"

# Build and test it from a clean directory.
mkdir "$tmp/src"
tar -xzf "$tarball" -C "$tmp/src"
cd "$tmp/src/$name"
[ ! -e .git ] || fail "the tarball holds a .git"
"$MAKE" --no-print-directory check "$@" > "$tmp/check.log" 2>&1 || {
    tail -n 40 "$tmp/check.log"
    fail "make check failed in the unpacked $name"
}
last=$(tail -n 1 "$tmp/check.log")
case $last in
*" passed, 0 failed") ;;
*) tail -n 40 "$tmp/check.log"; fail "unexpected last line of make check: $last" ;;
esac
echo "dist_test: make check in the unpacked $name: $last"
