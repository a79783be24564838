#!/bin/sh
# Prints the library version "MAJOR.MINOR.PATCH" read from include/rfm.h,
# the only place the version is written (RFM_VERSION_MAJOR/MINOR/PATCH).
# Used by the Makefile and by meson.build.
#
# usage: sh scripts/version.sh [path/to/rfm.h]
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
header=${1:-$here/../include/rfm.h}

if [ ! -r "$header" ]; then
    echo "version.sh: cannot read $header" >&2
    exit 1
fi

awk '
$1 == "#define" && $2 == "RFM_VERSION_MAJOR" { major = $3 }
$1 == "#define" && $2 == "RFM_VERSION_MINOR" { minor = $3 }
$1 == "#define" && $2 == "RFM_VERSION_PATCH" { patch = $3 }
END {
    if (major !~ /^[0-9]+$/ || minor !~ /^[0-9]+$/ || patch !~ /^[0-9]+$/) {
        print "version.sh: RFM_VERSION_MAJOR/MINOR/PATCH not found in " FILENAME > "/dev/stderr"
        exit 1
    }
    printf "%d.%d.%d\n", major, minor, patch
}
' "$header"
