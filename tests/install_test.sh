#!/bin/sh
# Install test: installs librfm into a temporary prefix and builds
# examples/quickstart.c the way a user would, with nothing but
# `pkg-config --cflags --libs librfm`, then runs it (shared library, found with
# LD_LIBRARY_PATH), and links and runs it again statically
# (`pkg-config --static --libs librfm` with librfm.a).
#
# usage: sh tests/install_test.sh [--make] [--meson BUILD_DIR]
#   --make             test the Makefile build (`make install PREFIX=...`, plus a
#                      DESTDIR install and `make uninstall`); the default when no
#                      option is given
#   --meson BUILD_DIR  test a configured meson build (`meson install --destdir`)
# environment:
#   CC               compiler for quickstart.c (default cc)
#   MAKE             make program (default make); `make check` passes its own
#   RFM_SAN_FLAGS    sanitizer flags the library was built with (added to the
#                    quickstart compile/link so it links against it)
#   RFM_RUN_WRAPPER  command prefix to run quickstart with (e.g. valgrind ...)
# Everything happens in a mktemp directory under ${TMPDIR:-/tmp}, removed at exit.
set -eu

root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cd "$root"

do_make=0
meson_dir=
while [ $# -gt 0 ]; do
    case $1 in
    --make) do_make=1 ;;
    --meson)
        [ $# -ge 2 ] || { echo "install_test: --meson needs a build directory" >&2; exit 2; }
        meson_dir=$2
        shift
        ;;
    *) echo "usage: $0 [--make] [--meson BUILD_DIR]" >&2; exit 2 ;;
    esac
    shift
done
[ -n "$meson_dir" ] || do_make=1

CC=${CC:-cc}
MAKE=${MAKE:-make}
RFM_SAN_FLAGS=${RFM_SAN_FLAGS:-}
RFM_RUN_WRAPPER=${RFM_RUN_WRAPPER:-}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rfm-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT TERM

fail() {
    echo "install_test: FAIL: $*" >&2
    exit 1
}
note() {
    echo "install_test: $*"
}
# run_logged LOG CMD...: runs CMD with output in LOG, shown only on failure
run_logged() {
    log=$1
    shift
    if ! "$@" > "$log" 2>&1; then
        cat "$log" >&2
        fail "command failed: $*"
    fi
}

version=$(sh scripts/version.sh)
soversion=$(sed -n 's/^RFM_SOVERSION[ \t]*=[ \t]*\([0-9][0-9]*\).*/\1/p' Makefile)
meson_soversion=$(sed -n 's/^RFM_SOVERSION[ \t]*=[ \t]*\([0-9][0-9]*\).*/\1/p' meson.build)
[ -n "$soversion" ] || fail "no RFM_SOVERSION in Makefile"
[ "$soversion" = "$meson_soversion" ] ||
    fail "RFM_SOVERSION differs: Makefile $soversion, meson.build $meson_soversion"
soname=librfm.so.$soversion

quickstart=$root/examples/quickstart.c
[ -f "$quickstart" ] || fail "examples/quickstart.c does not exist"

# check_install LABEL PCDIR [pkg-config options...]
# Checks one installed tree whose librfm.pc is in PCDIR, then builds and runs
# quickstart against it, shared and static.
check_install() {
    label=$1
    pcdir=$2
    shift 2
    PKG_CONFIG_PATH=$pcdir
    export PKG_CONFIG_PATH

    got=$("$PKG_CONFIG" "$@" --modversion librfm) || fail "$label: pkg-config cannot find librfm in $pcdir"
    [ "$got" = "$version" ] || fail "$label: librfm.pc version $got, expected $version"
    libdir=$("$PKG_CONFIG" "$@" --variable=libdir librfm)
    includedir=$("$PKG_CONFIG" "$@" --variable=includedir librfm)
    case $libdir in "$tmp"/*) ;; *) fail "$label: libdir $libdir is outside the install tree" ;; esac

    [ -f "$includedir/rfm.h" ] || fail "$label: $includedir/rfm.h not installed"
    [ -f "$libdir/librfm.a" ] || fail "$label: $libdir/librfm.a not installed"
    [ -L "$libdir/librfm.so" ] || fail "$label: $libdir/librfm.so is not a symlink"
    [ -L "$libdir/$soname" ] || fail "$label: $libdir/$soname is not a symlink"
    [ -f "$libdir/librfm.so" ] || fail "$label: $libdir/librfm.so is a dangling symlink"
    got=$(readelf -d "$libdir/librfm.so" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
    [ "$got" = "$soname" ] || fail "$label: SONAME is '$got', expected $soname"

    # Only rfm_* may be exported (and never the internal rfm__*).
    bad=$(nm -D --defined-only "$libdir/librfm.so" |
        awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' |
        grep -v '^rfm_[A-Za-z0-9]' || true)
    [ -z "$bad" ] || fail "$label: unexpected exported symbols: $(printf '%s' "$bad" | tr '\n' ' ')"
    nexp=$(nm -D --defined-only "$libdir/librfm.so" | awk '$2 != "A"' | wc -l | tr -d ' ')
    [ "$nexp" -gt 0 ] || fail "$label: librfm.so exports no symbol"

    # Shared: only what pkg-config says.
    cflags=$("$PKG_CONFIG" "$@" --cflags librfm)
    libs=$("$PKG_CONFIG" "$@" --libs librfm)
    # shellcheck disable=SC2086
    $CC $RFM_SAN_FLAGS -o "$tmp/qs_shared" "$quickstart" $cflags $libs ||
        fail "$label: cannot build quickstart.c with: $cflags $libs"
    readelf -d "$tmp/qs_shared" | grep -q "NEEDED.*\[$soname\]" ||
        fail "$label: quickstart does not need $soname"
    # shellcheck disable=SC2086
    LD_LIBRARY_PATH=$libdir $RFM_RUN_WRAPPER "$tmp/qs_shared" > "$tmp/qs_shared.out" 2>&1 || {
        cat "$tmp/qs_shared.out" >&2
        fail "$label: quickstart (shared) exited non-zero"
    }
    note "$label: shared quickstart OK ($nexp exported symbols, SONAME $soname)"

    # Static: pkg-config --static --libs, with -lrfm taken as librfm.a.
    slibs=
    for w in $("$PKG_CONFIG" "$@" --static --libs librfm); do
        if [ "$w" = "-lrfm" ]; then w=$libdir/librfm.a; fi
        slibs="$slibs $w"
    done
    # shellcheck disable=SC2086
    $CC $RFM_SAN_FLAGS -o "$tmp/qs_static" "$quickstart" $cflags $slibs ||
        fail "$label: cannot link quickstart.c statically with: $slibs"
    if readelf -d "$tmp/qs_static" | grep -q 'NEEDED.*librfm'; then
        fail "$label: static quickstart still needs librfm.so"
    fi
    # shellcheck disable=SC2086
    env -u LD_LIBRARY_PATH $RFM_RUN_WRAPPER "$tmp/qs_static" > "$tmp/qs_static.out" 2>&1 || {
        cat "$tmp/qs_static.out" >&2
        fail "$label: quickstart (static) exited non-zero"
    }
    note "$label: static quickstart OK"
    rm -f "$tmp/qs_shared" "$tmp/qs_static"
}

# leftovers DIR: lists files and symlinks still under DIR
leftovers() {
    find "$1" \( -type f -o -type l \) -print
}

if [ "$do_make" -eq 1 ]; then
    prefix=$tmp/prefix
    run_logged "$tmp/make-install.log" "$MAKE" --no-print-directory -C "$root" install PREFIX="$prefix"
    check_install "make install PREFIX" "$prefix/lib/pkgconfig"
    grep -q "^prefix=$prefix\$" "$prefix/lib/pkgconfig/librfm.pc" ||
        fail "make: librfm.pc does not name prefix $prefix"
    run_logged "$tmp/make-uninstall.log" "$MAKE" --no-print-directory -C "$root" uninstall PREFIX="$prefix"
    left=$(leftovers "$prefix")
    [ -z "$left" ] || fail "make uninstall left: $left"

    # Staged install: files under DESTDIR, librfm.pc still names the real prefix.
    dest=$tmp/dest
    run_logged "$tmp/make-install-destdir.log" "$MAKE" --no-print-directory -C "$root" install \
        PREFIX=/usr/local DESTDIR="$dest"
    grep -q '^prefix=/usr/local$' "$dest/usr/local/lib/pkgconfig/librfm.pc" ||
        fail "make DESTDIR: librfm.pc does not name prefix /usr/local"
    check_install "make install DESTDIR" "$dest/usr/local/lib/pkgconfig" \
        --define-variable=prefix="$dest/usr/local"
    run_logged "$tmp/make-uninstall-destdir.log" "$MAKE" --no-print-directory -C "$root" uninstall \
        PREFIX=/usr/local DESTDIR="$dest"
    left=$(leftovers "$dest")
    [ -z "$left" ] || fail "make uninstall DESTDIR left: $left"
    # The pc file of the build tree was generated for the temporary prefixes;
    # it is regenerated on the next build, nothing to restore.
fi

if [ -n "$meson_dir" ]; then
    [ -f "$meson_dir/build.ninja" ] || fail "$meson_dir is not a configured meson build directory"
    dest=$tmp/meson-dest
    run_logged "$tmp/meson-install.log" meson install -C "$meson_dir" --no-rebuild --destdir "$dest"
    pc=$(find "$dest" -name librfm.pc | head -n 1)
    [ -n "$pc" ] || fail "meson install did not install librfm.pc"
    # Point pkg-config's variables into the staging tree.
    defs=
    for var in prefix libdir includedir; do
        raw=$(sed -n "s/^$var=//p" "$pc")
        # shellcheck disable=SC2016
        case $raw in
        '${prefix}'*) ;;
        /*) defs="$defs --define-variable=$var=$dest$raw" ;;
        *) fail "meson: librfm.pc has an unexpected $var=$raw" ;;
        esac
    done
    # shellcheck disable=SC2086
    check_install "meson install" "$(dirname "$pc")" $defs
fi

note "all install checks passed"
