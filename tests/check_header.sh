#!/bin/sh
# Checks the rules of the public header that keep the ABI stable
# (README "ABI and versioning"):
#   1. every public declaration - each RFM_API function, typedef and RFM_
#      macro group - has "@since MAJOR.MINOR" in the comment that governs it
#      (the nearest comment starting a line above it, in the same block of
#      lines: declarations that share a comment share its @since), and no
#      @since names a version newer than the header's;
#   2. every enumerator has an explicit value (RFM_ERROR_MAP entries too) and
#      no enum uses a value twice;
#   3. every struct whose layout the header shows is size-prefixed (its first
#      member is `size_t size`), or is one of the structs a call takes with a
#      separate size argument (rows and rules), or is rfm_purchase_key, whose
#      layout is frozen. Other types must stay opaque.
#
# usage: sh tests/check_header.sh [path/to/rfm.h]
set -eu

root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cd "$root"
header=${1:-include/rfm.h}
[ -r "$header" ] || { echo "check_header: cannot read $header"; exit 1; }
version=$(sh scripts/version.sh "$header") || exit 1

# Structs with a layout in the header that carry no `size` member.
SIZE_ARGUMENT_STRUCTS="rfm_row_u64 rfm_row_str rfm_rule rfm_score_row" # row_size / rule_size argument
FROZEN_STRUCTS="rfm_purchase_key"                        # array element, layout frozen

awk -v version="$version" -v allowed="$SIZE_ARGUMENT_STRUCTS $FROZEN_STRUCTS" '
function problem(msg) {
    printf "check_header: %s:%d: %s\n", FILENAME, FNR, msg
    bad++
}
# compares "A.B" with the header version "X.Y.Z": 1 if A.B is newer
function newer(v,    a, b) {
    split(v, a, ".")
    split(version, b, ".")
    return (a[1] + 0 > b[1] + 0) || (a[1] + 0 == b[1] + 0 && a[2] + 0 > b[2] + 0)
}
function check_since(what,    m) {
    if (last == "" || !match(last, /@since[ \t]+[0-9]+\.[0-9]+/)) {
        problem(what " has no \"@since MAJOR.MINOR\" in the comment above it")
        return
    }
    m = substr(last, RSTART, RLENGTH)
    sub(/@since[ \t]+/, "", m)
    if (newer(m))
        problem(what " is @since " m ", newer than the header version " version)
}
# e: "NAME = VALUE" (or "NAME") of enum enumname
function enumerator(e,    name, v) {
    sub(/^[ \t]*/, "", e)
    sub(/[ \t,]*$/, "", e)
    if (e == "") return
    name = e
    sub(/[ \t=].*/, "", name)
    if (e !~ /^[A-Za-z0-9_]+[ \t]*=[ \t]*-?[0-9]+/) {
        problem("enumerator " name " has no explicit value")
        return
    }
    v = e
    sub(/^[^=]*=[ \t]*/, "", v)
    sub(/[^-0-9].*/, "", v)
    if ((enumname, v) in used)
        problem(enumname ": value " v " of " name " is already used by " used[enumname, v])
    used[enumname, v] = name
}
# m: the first member of struct instruct
function first_member(m) {
    if (m !~ /^[ \t]*size_t[ \t]+size[ \t]*;/ && !(instruct in allow))
        problem("struct " instruct " shows its layout but is not size-prefixed " \
                "(first member size_t size): make it opaque or size-prefixed")
}
BEGIN {
    n = split(allowed, a, " ")
    for (i = 1; i <= n; i++) allow[a[i]] = 1
}
{
    line = $0
    code = ""
    if (incomment) {
        j = index(line, "*/")
        if (j == 0) {
            if (lead) last = last " " line
            next
        }
        if (lead) last = last " " substr(line, 1, j - 1)
        line = substr(line, j + 2)
        incomment = 0
    } else if (line ~ /^[ \t]*$/) {
        last = ""   # a blank line ends a block: what follows needs its own comment
        next
    }
    # A comment that starts a line (at file scope) becomes the governing
    # comment of the declarations below it; a comment after code does not.
    while ((i = index(line, "/*")) > 0) {
        code = code substr(line, 1, i - 1)
        rest = substr(line, i + 2)
        j = index(rest, "*/")
        lead = (code ~ /^[ \t]*$/ && depth == 0)
        if (lead) last = j ? substr(rest, 1, j - 1) : rest
        if (j == 0) {
            incomment = 1
            line = ""
            break
        }
        line = substr(rest, j + 2)
    }
    code = code line

    # Enumerators: NAME = VALUE inside an enum body.
    if (inenum && code ~ /^[ \t]*RFM_[A-Z0-9_]+[ \t]*(=|,|$)/)
        enumerator(code)
    # X-macro entries of RFM_ERROR_MAP: X(NAME, VALUE, "text")
    if (code ~ /^[ \t]*X\(RFM_[A-Z0-9_]+,/) {
        e = code
        sub(/^[ \t]*X\(/, "", e)
        split(e, f, ",")
        gsub(/[ \t]/, "", f[2])
        if (f[2] !~ /^[0-9]+$/)
            problem("error code " f[1] " has no explicit value")
        else if (("RFM_ERROR_MAP", f[2]) in used)
            problem("RFM_ERROR_MAP: value " f[2] " of " f[1] " is already used by " used["RFM_ERROR_MAP", f[2]])
        else
            used["RFM_ERROR_MAP", f[2]] = f[1]
    }

    # Declarations at file scope.
    if (depth == 0) {
        if (code ~ /^RFM_API[ \t]/) {
            name = code
            if (match(name, /rfm_[A-Za-z0-9_]*[ \t]*\(/)) name = substr(name, RSTART, RLENGTH - 1)
            check_since("function " name)
        } else if (code ~ /^typedef[ \t]/) {
            name = code
            if (match(name, /^typedef[ \t]+(struct|enum)[ \t]+[A-Za-z0-9_]+/)) {
                name = substr(name, RSTART, RLENGTH)
                sub(/^typedef[ \t]+/, "", name)
            } else if (match(name, /\(\*[ \t]*[A-Za-z0-9_]+\)/)) {
                name = substr(name, RSTART + 2, RLENGTH - 3)
            }
            check_since("type " name)
            body = code
            sub(/^[^{]*\{?/, "", body)   # what follows "{" on this line
            sub(/\}.*/, "", body)
            if (code ~ /^typedef[ \t]+struct[ \t]+[A-Za-z0-9_]+[ \t]*\{/) {
                split(name, w, /[ \t]+/)
                instruct = w[2]
                firstmember = 1
                if (body ~ /[^ \t]/) {   # a one-line struct
                    first_member(body)
                    firstmember = 0
                }
            }
            if (code ~ /^typedef[ \t]+enum[ \t]+[A-Za-z0-9_]+[ \t]*\{/) {
                split(name, w, /[ \t]+/)
                inenum = 1
                enumname = w[2]
                k = split(body, parts, ",")   # a one-line enum
                for (i = 1; i <= k; i++) enumerator(parts[i])
            }
        } else if (code ~ /^#[ \t]*define[ \t]+RFM_[A-Z0-9]/ && code !~ /^#[ \t]*define[ \t]+RFM_H([ \t]|$)/) {
            name = code
            sub(/^#[ \t]*define[ \t]+/, "", name)
            sub(/[ \t(].*/, "", name)
            check_since("macro " name)
        }
    } else if (instruct != "" && firstmember && code !~ /^[ \t]*$/) {
        firstmember = 0
        first_member(code)
    }

    # Brace depth (extern "C" braces do not count).
    if (code ~ /^extern "C"/ || code ~ /^}[ \t]*$/) next
    gsub(/"([^"\\]|\\.)*"/, "", code)
    t = code
    opens = gsub(/\{/, "", t)
    t = code
    closes = gsub(/\}/, "", t)
    depth += opens - closes
    if (depth == 0) { instruct = ""; inenum = 0 }
}
END {
    if (bad) {
        printf "check_header: %d problem(s) in %s\n", bad, FILENAME
        exit 1
    }
    printf "check_header: %s: every public declaration has @since, enumerators have unique explicit values, structs are size-prefixed or listed\n", FILENAME
}
' "$header"
