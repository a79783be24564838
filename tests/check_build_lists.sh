#!/bin/sh
# Fails when meson.build's explicit lists differ from the files on disk, so that
# the Makefile (which globs) and meson (which lists) always build the same thing:
#   lib_sources = files(...)  must name exactly lib/*.c
#   test_names  = [...]       must name exactly tests/test_*.c (without .c)
#   cli_sources = files(...)  must name exactly cli/*.c
# Run by `make check` and as a meson test. POSIX sh.
set -eu

root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cd "$root"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rfm-lists.XXXXXX")
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

# Prints the quoted strings of the meson assignment "NAME = ..." up to the line
# holding the closing character $2 (comments stripped).
meson_list() {
    awk -v name="$1" -v endc="$2" -v q="'" '
        BEGIN { re = q "[^" q "]*" q; start = "^[ \t]*" name "[ \t]*=" }
        { sub(/#.*/, "") }
        !on && $0 ~ start { on = 1; found = 1 }
        on {
            line = $0
            while (match(line, re)) {
                print substr(line, RSTART + 1, RLENGTH - 2)
                line = substr(line, RSTART + RLENGTH)
            }
            if (index($0, endc)) exit
        }
        END { if (!found) exit 3 }
    ' meson.build
}

status=0

# oneline TEXT: the lines of TEXT joined by spaces
oneline() {
    printf '%s' "$1" | tr '\n' ' '
}

# compare WHAT MESON_FILE DISK_FILE HINT
compare() {
    what=$1
    sort "$2" > "$tmp/m.sorted"
    sort "$3" > "$tmp/d.sorted"
    dups=$(uniq -d "$tmp/m.sorted")
    if [ -n "$dups" ]; then
        echo "check_build_lists: meson.build $what lists twice: $(oneline "$dups")"
        status=1
    fi
    sort -u "$tmp/m.sorted" > "$tmp/m.u"
    missing=$(comm -13 "$tmp/m.u" "$tmp/d.sorted")
    extra=$(comm -23 "$tmp/m.u" "$tmp/d.sorted")
    if [ -n "$missing" ]; then
        echo "check_build_lists: on disk but missing from meson.build $what: $(oneline "$missing")"
        echo "    -> add them to $what in meson.build ($4)"
        status=1
    fi
    if [ -n "$extra" ]; then
        echo "check_build_lists: listed in meson.build $what but not on disk: $(oneline "$extra")"
        echo "    -> remove them from $what in meson.build, or add the file"
        status=1
    fi
}

if [ ! -f meson.build ]; then
    echo "check_build_lists: meson.build not found in $root"
    exit 1
fi

# lib_sources vs lib/*.c
if ! meson_list lib_sources ')' > "$tmp/m_lib"; then
    echo "check_build_lists: no 'lib_sources = files(...)' list in meson.build"
    exit 1
fi
: > "$tmp/d_lib"
for f in lib/*.c; do
    [ -e "$f" ] && echo "$f" >> "$tmp/d_lib"
done
compare lib_sources "$tmp/m_lib" "$tmp/d_lib" "the Makefile builds every lib/*.c"

# test_names vs tests/test_*.c
if ! meson_list test_names ']' > "$tmp/m_test"; then
    echo "check_build_lists: no 'test_names = [...]' list in meson.build"
    exit 1
fi
: > "$tmp/d_test"
for f in tests/test_*.c; do
    [ -e "$f" ] || continue
    f=${f#tests/}
    echo "${f%.c}" >> "$tmp/d_test"
done
compare test_names "$tmp/m_test" "$tmp/d_test" "the Makefile runs every tests/test_*.c"

# cli_sources vs cli/*.c
if ! meson_list cli_sources ')' > "$tmp/m_cli"; then
    echo "check_build_lists: no 'cli_sources = files(...)' list in meson.build"
    exit 1
fi
: > "$tmp/d_cli"
for f in cli/*.c; do
    [ -e "$f" ] && echo "$f" >> "$tmp/d_cli"
done
compare cli_sources "$tmp/m_cli" "$tmp/d_cli" "the Makefile builds every cli/*.c into rfm"

if [ "$status" -eq 0 ]; then
    echo "check_build_lists: meson.build lists match the files on disk" \
        "($(wc -l < "$tmp/d_lib" | tr -d ' ') library sources," \
        "$(wc -l < "$tmp/d_test" | tr -d ' ') tests)"
fi
exit "$status"
