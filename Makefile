# librfm - GNU Makefile (the meson build in meson.build is equivalent).
#
#   make                      library: out/librfm.so.1 (+ librfm.so), out/librfm.a, out/librfm.pc
#   make check                build everything, run every test and check (build lists, exports,
#                             header, C++/C99 use, install); last line "N passed, N failed"
#   make check SANITIZE=1     same with ASan+UBSan, built in out-san/
#   make check VALGRIND=1     run each test under valgrind
#   make check M32=1          same, 32-bit, in out-m32/ (gcc-multilib, g++-multilib, cmocka:i386)
#   make check-report         the HTML report rendered in headless Chromium (needs chromium)
#   make CC=clang WERROR=1    any compiler, warnings as errors (or CFLAGS+=-Werror)
#   make install PREFIX=/usr/local [DESTDIR=...]   /   make uninstall
#   make abi-check            compare the built library with the released ABI in abi/ (abidiff)
#   make dist                 out/librfm-VERSION.tar.gz of the files git tracks (+ dist_test.sh)
#   make demo | examples | bench | bench-full | format | format-check | clean | help
#   make check-python         the Python binding and its Dask scale-out (bindings/python, pytest)
#
# Variables: CC, CFLAGS (empty by default, appended last so it can override anything),
# OPTFLAGS (default -O2 -g), CPPFLAGS, LDFLAGS, LDLIBS, AR, PREFIX, LIBDIR, INCLUDEDIR,
# PKGCONFIGDIR, DESTDIR, WERROR=1, SANITIZE=1, VALGRIND=1, M32=1, OUT (build dir), CXX and
# CXXFLAGS (the C++ header test; CXX defaults to clang++ when CC is clang, else g++).

.SUFFIXES:
.DELETE_ON_ERROR:
.DEFAULT_GOAL := all

# SONAME major version, deliberately kept apart from the API version in include/rfm.h.
# Bump it ONLY on an incompatible ABI change (an exported symbol removed or renamed, a
# changed signature, or a changed layout of a struct that callers allocate), never for
# additions. Keep it equal to RFM_SOVERSION in meson.build.
RFM_SOVERSION = 1

# The version is written only in include/rfm.h; scripts/version.sh reads it.
VERSION := $(shell sh scripts/version.sh)
ifeq ($(VERSION),)
$(error could not read the version from include/rfm.h (scripts/version.sh failed))
endif
VERSION_MINOR := $(word 2,$(subst ., ,$(VERSION)))
VERSION_PATCH := $(word 3,$(subst ., ,$(VERSION)))

SONAME   := librfm.so.$(RFM_SOVERSION)
REALNAME := librfm.so.$(RFM_SOVERSION).$(VERSION_MINOR).$(VERSION_PATCH)

# ---------------------------------------------------------------- options
SANITIZE ?= 0
VALGRIND ?= 0
WERROR   ?= 0
M32      ?= 0

ifeq ($(SANITIZE)$(VALGRIND),11)
$(error SANITIZE=1 and VALGRIND=1 cannot be combined)
endif

ifeq ($(SANITIZE),1)
OUT = out-san
SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# clang does not link the sanitizer runtime into shared objects: allow undefined there.
NOUNDEF =
else
OUT = out
SAN_FLAGS =
NOUNDEF = -Wl,--no-undefined
endif

# M32=1: a 32-bit x86 build in its own directory (out-m32, out-san-m32). SSE2 arithmetic as
# on x86_64: with x87 excess precision, double results computed in a test and stored by the
# library could differ in the last bits.
ifeq ($(M32),1)
OUT := $(OUT)-m32
ARCH_FLAGS = -m32 -msse2 -mfpmath=sse
else
ARCH_FLAGS =
endif

ifeq ($(VALGRIND),1)
TEST_WRAPPER = valgrind -q --error-exitcode=99 --leak-check=full \
               --errors-for-leak-kinds=definite,indirect
else
TEST_WRAPPER =
endif

# ---------------------------------------------------------------- tools and flags
CC       ?= cc
AR       ?= ar
CLANG_FORMAT ?= clang-format
PKG_CONFIG   ?= pkg-config

OPTFLAGS ?= -O2 -g
CFLAGS   ?=
STD       = -std=c11
WARNFLAGS = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
ifeq ($(WERROR),1)
WARNFLAGS += -Werror
endif

ifndef CMOCKA_CFLAGS
CMOCKA_CFLAGS := $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
endif
ifndef CMOCKA_LIBS
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)
endif

# Everything compiled shares these; the user's CPPFLAGS/CFLAGS come last.
BASE_CFLAGS = $(STD) $(OPTFLAGS) $(WARNFLAGS) $(SAN_FLAGS) $(ARCH_FLAGS)
LIB_CFLAGS  = $(BASE_CFLAGS) -pthread -fPIC -fvisibility=hidden -Iinclude -Ilib $(CPPFLAGS) $(CFLAGS)
TEST_CFLAGS = $(BASE_CFLAGS) -Iinclude -Ilib $(CMOCKA_CFLAGS) $(CPPFLAGS) $(CFLAGS)
EX_CFLAGS   = $(BASE_CFLAGS) -Iinclude $(CPPFLAGS) $(CFLAGS)
# The command uses the public API only (no -Ilib) and POSIX I/O.
CLI_CFLAGS  = $(BASE_CFLAGS) -pthread -D_POSIX_C_SOURCE=200809L -Iinclude $(CPPFLAGS) $(CFLAGS)
BENCH_CFLAGS = $(BASE_CFLAGS) -Iinclude -Ilib $(CPPFLAGS) $(CFLAGS)
# -pthread: large ingest batches may run on several threads (lib/parallel.c)
LINK_FLAGS  = $(OPTFLAGS) $(SAN_FLAGS) $(ARCH_FLAGS) -pthread $(CFLAGS) $(LDFLAGS)

# ---------------------------------------------------------------- install dirs
PREFIX       ?= /usr/local
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
BINDIR       ?= $(PREFIX)/bin
MANDIR       ?= $(PREFIX)/share/man
DESTDIR      ?=
# librfm.pc refers to ${prefix} where the directories are below PREFIX.
PC_LIBDIR     = $(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))
PC_INCLUDEDIR = $(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))

# ---------------------------------------------------------------- sources
LIB_SRCS   := $(sort $(wildcard lib/*.c))
TEST_SRCS  := $(sort $(wildcard tests/test_*.c))
EX_SRCS    := $(sort $(wildcard examples/*.c))
BENCH_SRCS := $(sort $(wildcard bench/*.c))
CLI_SRCS   := $(sort $(wildcard cli/*.c))

LIB_OBJS   := $(LIB_SRCS:%.c=$(OUT)/obj/%.o)
TEST_BINS  := $(TEST_SRCS:tests/%.c=$(OUT)/tests/%)
EX_BINS    := $(EX_SRCS:examples/%.c=$(OUT)/%)
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(OUT)/bench/%)
CLI_OBJS   := $(CLI_SRCS:%.c=$(OUT)/obj/%.o)
CLI_BIN    := $(OUT)/rfm

SHLIB      := $(OUT)/$(REALNAME)
STLIB      := $(OUT)/librfm.a
PCFILE     := $(OUT)/librfm.pc
LIB_LINKS  := $(OUT)/$(SONAME) $(OUT)/librfm.so
MAPFILE    := lib/librfm.map
FLAGS_STAMP := $(OUT)/build-flags

FORMAT_SRCS = $(wildcard include/*.h lib/*.c lib/*.h tests/*.c tests/*.h \
                         examples/*.c examples/*.h bench/*.c bench/*.h \
                         cli/*.c cli/*.h)

.PHONY: all lib cli check check-report test tests examples demo bench bench-full fuzz install uninstall clean \
        format format-check help FORCE abi-check abi-baseline dist

all: lib cli
lib: $(SHLIB) $(LIB_LINKS) $(STLIB) $(PCFILE)
cli: $(CLI_BIN)
tests: $(TEST_BINS)
examples: $(EX_BINS)

# ---------------------------------------------------------------- build-flag tracking
# Rewritten only when the compiler or flags change, so objects built with other flags
# (gcc vs clang, -Werror, ...) are rebuilt instead of being mixed.
BUILD_SIG = $(CC) | $(BASE_CFLAGS) | $(CPPFLAGS) | $(CFLAGS) | $(LDFLAGS) | $(LDLIBS)
$(FLAGS_STAMP): FORCE
	@mkdir -p $(@D)
	@sig='$(BUILD_SIG)'; \
	if [ "$$(cat $@ 2>/dev/null)" != "$$sig" ]; then printf '%s\n' "$$sig" > $@; fi

PC_SIG = $(PREFIX) | $(PC_LIBDIR) | $(PC_INCLUDEDIR) | $(VERSION)
$(OUT)/pc-vars: FORCE
	@mkdir -p $(@D)
	@sig='$(PC_SIG)'; \
	if [ "$$(cat $@ 2>/dev/null)" != "$$sig" ]; then printf '%s\n' "$$sig" > $@; fi

FORCE:

# ---------------------------------------------------------------- library
$(OUT)/obj/lib/%.o: lib/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -MMD -MP -c $< -o $@

$(SHLIB): $(LIB_OBJS) $(MAPFILE) $(FLAGS_STAMP)
	$(CC) -shared $(LINK_FLAGS) $(NOUNDEF) -Wl,-soname,$(SONAME) \
	    -Wl,--version-script=$(MAPFILE) -o $@ $(LIB_OBJS) -lm $(LDLIBS)

$(OUT)/$(SONAME): $(SHLIB)
	ln -sf $(REALNAME) $@

$(OUT)/librfm.so: $(OUT)/$(SONAME)
	ln -sf $(SONAME) $@

$(STLIB): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $(LIB_OBJS)

$(PCFILE): pkgconfig/librfm.pc.in $(OUT)/pc-vars
	sed -e 's|@prefix@|$(PREFIX)|g' -e 's|@libdir@|$(PC_LIBDIR)|g' \
	    -e 's|@includedir@|$(PC_INCLUDEDIR)|g' -e 's|@version@|$(VERSION)|g' $< > $@

# ---------------------------------------------------------------- the rfm command
# Linked with the static library so the installed binary needs nothing else.
$(OUT)/obj/cli/%.o: cli/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CLI_CFLAGS) -MMD -MP -c $< -o $@

$(CLI_BIN): $(CLI_OBJS) $(STLIB)
	$(CC) $(LINK_FLAGS) -pthread -o $@ $(CLI_OBJS) $(STLIB) -lm $(LDLIBS)

# ---------------------------------------------------------------- tests (static library)
$(OUT)/obj/tests/%.o: tests/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -MMD -MP -c $< -o $@

$(TEST_BINS): $(OUT)/tests/%: $(OUT)/obj/tests/%.o $(STLIB)
	@mkdir -p $(@D)
	$(CC) $(LINK_FLAGS) -pthread -o $@ $< $(STLIB) $(CMOCKA_LIBS) -lm $(LDLIBS)

# The public header as other projects use it, with nothing but include/: compiled as C++11
# (linked with the static library) and as strict C99 (linked with the shared library).
ifeq ($(origin CXX),default)
CXX := $(if $(findstring clang,$(CC)),clang++,g++)
endif
CXXFLAGS ?=
CONSUMER_WARN := -Wall -Wextra -pedantic -Werror
CXX_TEST := $(OUT)/tests/cxx_header_test
C99_TEST := $(OUT)/tests/c99_consumer
C99_FLAGS = -std=c99 $(CONSUMER_WARN) $(OPTFLAGS) $(SAN_FLAGS) $(ARCH_FLAGS) -Iinclude $(CPPFLAGS) \
            $(CFLAGS)

$(CXX_TEST): tests/cxx_header_test.cpp include/rfm.h $(STLIB) $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CXX) -std=c++11 $(CONSUMER_WARN) $(OPTFLAGS) $(SAN_FLAGS) $(ARCH_FLAGS) -Iinclude \
	    $(CPPFLAGS) $(CXXFLAGS) -o $@ $< $(STLIB) -lm -pthread $(LDFLAGS) $(LDLIBS)

$(C99_TEST): tests/c99_consumer.c include/rfm.h $(SHLIB) $(LIB_LINKS) $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(C99_FLAGS) -o $@ $< -L$(OUT) -lrfm -Wl,-rpath,'$$ORIGIN/..' $(LDFLAGS) $(LDLIBS)

# Tests run from the source root (they open examples/data/... by relative path).
# Every test executable and each check script counts once in the final line.
# End-to-end scripts of the rfm command besides tests/cli_test.sh (meson.build
# lists the same in cli_tests).
CLI_TESTS := cli_nested_test cli_segments_test cli_report_test cli_clv_test cli_window_test \
             cli_threads_test cli_ids_test cli_lines_test

check: lib cli examples $(TEST_BINS) $(CXX_TEST) $(C99_TEST)
	@pass=0; fail=0; failed=''; \
	export ASAN_OPTIONS="$${ASAN_OPTIONS:-detect_leaks=1}"; \
	export UBSAN_OPTIONS="$${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"; \
	for t in $(TEST_BINS); do \
	    name=$${t##*/}; \
	    echo "---- $$name$(if $(TEST_WRAPPER), (valgrind))"; \
	    if $(TEST_WRAPPER) ./$$t; then pass=$$((pass + 1)); echo "PASS: $$name"; \
	    else rc=$$?; fail=$$((fail + 1)); failed="$$failed $$name"; \
	        echo "FAIL: $$name (exit $$rc)"; fi; \
	done; \
	echo "---- check_build_lists"; \
	if sh tests/check_build_lists.sh; then pass=$$((pass + 1)); echo "PASS: check_build_lists"; \
	else fail=$$((fail + 1)); failed="$$failed check_build_lists"; \
	    echo "FAIL: check_build_lists"; fi; \
	echo "---- check_exports"; \
	if sh tests/check_exports.sh $(OUT)/$(SONAME); then pass=$$((pass + 1)); echo "PASS: check_exports"; \
	else fail=$$((fail + 1)); failed="$$failed check_exports"; echo "FAIL: check_exports"; fi; \
	echo "---- check_header"; \
	if sh tests/check_header.sh; then pass=$$((pass + 1)); echo "PASS: check_header"; \
	else fail=$$((fail + 1)); failed="$$failed check_header"; echo "FAIL: check_header"; fi; \
	echo "---- cxx_header_test"; \
	if $(TEST_WRAPPER) ./$(CXX_TEST); then pass=$$((pass + 1)); echo "PASS: cxx_header_test"; \
	else fail=$$((fail + 1)); failed="$$failed cxx_header_test"; echo "FAIL: cxx_header_test"; fi; \
	echo "---- c99_consumer (and a call of an RFM_DEPRECATED function must not compile)"; \
	if $(TEST_WRAPPER) ./$(C99_TEST) && \
	    ! $(CC) $(C99_FLAGS) -DC99_CALL_DEPRECATED -c tests/c99_consumer.c -o /dev/null \
	        > $(OUT)/tests/c99_deprecated.log 2>&1 && \
	    grep -q 'is deprecated: use rfm_version_number()' $(OUT)/tests/c99_deprecated.log; then \
	    pass=$$((pass + 1)); echo "PASS: c99_consumer"; \
	else fail=$$((fail + 1)); failed="$$failed c99_consumer"; echo "FAIL: c99_consumer"; fi; \
	echo "---- cli_test"; \
	if RFM='./$(CLI_BIN)' RFM_RUN_WRAPPER='$(TEST_WRAPPER)' RFM_SAN_FLAGS='$(SAN_FLAGS)' \
	    sh tests/cli_test.sh; then \
	    pass=$$((pass + 1)); echo "PASS: cli_test"; \
	else fail=$$((fail + 1)); failed="$$failed cli_test"; echo "FAIL: cli_test"; fi; \
	for t in $(CLI_TESTS); do \
	    echo "---- $$t"; \
	    if RFM='./$(CLI_BIN)' EXAMPLES='$(OUT)' RFM_RUN_WRAPPER='$(TEST_WRAPPER)' sh tests/$$t.sh; then \
	        pass=$$((pass + 1)); echo "PASS: $$t"; \
	    else fail=$$((fail + 1)); failed="$$failed $$t"; echo "FAIL: $$t"; fi; \
	done; \
	echo "---- install_test"; \
	if MAKE='$(MAKE)' CC='$(CC)' RFM_SAN_FLAGS='$(SAN_FLAGS) $(ARCH_FLAGS)' \
	    RFM_RUN_WRAPPER='$(TEST_WRAPPER)' sh tests/install_test.sh; then pass=$$((pass + 1)); echo "PASS: install_test"; \
	else fail=$$((fail + 1)); failed="$$failed install_test"; echo "FAIL: install_test"; fi; \
	echo "===="; \
	if [ $$fail -ne 0 ]; then echo "failed:$$failed"; fi; \
	echo "$$pass passed, $$fail failed"; \
	[ $$fail -eq 0 ]

test: check

# The HTML report in headless Chromium (Debian package chromium; not part of
# `make check`): screenshots not blank, the DOM holds the segment counts of the
# reference, the page makes no network request.
check-report: $(CLI_BIN)
	RFM='./$(CLI_BIN)' sh tests/report_browser_test.sh
# Python binding (bindings/python): pytest with the Debian interpreter, which sees the
# python3-pytest, -numpy, -pandas, -dask and -distributed packages, against this build's
# library and `rfm` binary. Not with SANITIZE=1 (python is not built with ASan).
PYTHON ?= /usr/bin/python3
.PHONY: check-python
check-python: lib cli
	LIBRFM_OUT='$(abspath $(OUT))' LIBRFM_PATH='$(abspath $(OUT))' \
	    $(PYTHON) -m pytest -q -p no:cacheprovider bindings/python/tests

# ---------------------------------------------------------------- examples (shared library)
$(OUT)/obj/examples/%.o: examples/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(EX_CFLAGS) -MMD -MP -c $< -o $@

$(EX_BINS): $(OUT)/%: $(OUT)/obj/examples/%.o $(SHLIB) $(LIB_LINKS)
	$(CC) $(LINK_FLAGS) -o $@ $< -L$(OUT) -lrfm -Wl,-rpath,'$$ORIGIN' -lm $(LDLIBS)

# The main job on the bundled real data: score CDNOW as of the end of the
# data set, per-customer rows to out/cdnow_scores.csv, the segment summary here, the
# HTML report to out/cdnow_report.html.
demo: $(CLI_BIN)
	./$(CLI_BIN) score --as-of 1998-07-01 --table -o $(OUT)/cdnow_scores.csv \
	    --summary $(OUT)/cdnow_summary.csv --report $(OUT)/cdnow_report.html \
	    examples/data/cdnow.csv
	@echo "per-customer scores: $(OUT)/cdnow_scores.csv, summary: $(OUT)/cdnow_summary.csv," \
	    "HTML report: $(OUT)/cdnow_report.html"

# ---------------------------------------------------------------- benchmarks (static library)
$(OUT)/obj/bench/%.o: bench/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -MMD -MP -c $< -o $@

$(BENCH_BINS): $(OUT)/bench/%: $(OUT)/obj/bench/%.o $(STLIB)
	@mkdir -p $(@D)
	$(CC) $(LINK_FLAGS) -o $@ $< $(STLIB) -lm $(LDLIBS)

# bench/run.sh generates the data (cached in $(OUT)/bench/data), runs librfm,
# `rfm score` and the DuckDB peer (npm package installed on first use into the
# git-ignored bench/.duckdb), checks that every per-customer result is equal and
# prints the side-by-side table ($(OUT)/bench/NAME/table.txt and results.json).
bench: $(BENCH_BINS) $(CLI_BIN)
	sh bench/run.sh --out $(OUT) small

bench-full: $(BENCH_BINS) $(CLI_BIN)
	sh bench/run.sh --out $(OUT) all

# ---------------------------------------------------------------- ABI check and dist
# abi/librfm.so.$(RFM_SOVERSION).abi is the ABI of the last release (abidw, public types only);
# abi-check fails unless the library built now only adds to it. abi-baseline rewrites it: only
# on a deliberate release (README "ABI and versioning"). Both need abigail-tools.
# libFuzzer harnesses (clang), each for FUZZ_SECONDS on its seed corpus
FUZZ_SECONDS ?= 60
fuzz:
	sh fuzz/run.sh $(FUZZ_SECONDS)

abi-check: $(SHLIB) $(LIB_LINKS)
	sh tests/abi_check.sh $(OUT)/$(SONAME)

abi-baseline: $(SHLIB) $(LIB_LINKS)
	sh tests/abi_check.sh --update $(OUT)/$(SONAME)

# The source tarball: every file git tracks, under librfm-VERSION/, reproducible (sorted,
# owner 0, mtime of the last commit). tests/dist_test.sh builds and checks it.
DIST_NAME := librfm-$(VERSION)
dist:
	@git rev-parse --is-inside-work-tree > /dev/null 2>&1 || \
	    { echo "make dist: needs a git checkout (it packs the files git tracks)"; exit 1; }
	@mkdir -p $(OUT)
	git ls-files -z | LC_ALL=C tar --null -T - --sort=name --owner=0 --group=0 --numeric-owner \
	    --mtime="@$$(git log -1 --format=%ct 2>/dev/null || echo 0)" \
	    --transform='s,^,$(DIST_NAME)/,S' -cf - | gzip -n -9 > $(OUT)/$(DIST_NAME).tar.gz
	@echo "$(OUT)/$(DIST_NAME).tar.gz: $$(git ls-files | wc -l | tr -d ' ') files"

# ---------------------------------------------------------------- install
install: lib cli
	install -d '$(DESTDIR)$(INCLUDEDIR)' '$(DESTDIR)$(LIBDIR)' '$(DESTDIR)$(PKGCONFIGDIR)' \
	    '$(DESTDIR)$(BINDIR)' '$(DESTDIR)$(MANDIR)/man1'
	install -m 755 $(CLI_BIN) '$(DESTDIR)$(BINDIR)/rfm'
	install -m 644 cli/rfm.1 '$(DESTDIR)$(MANDIR)/man1/rfm.1'
	install -m 644 include/rfm.h '$(DESTDIR)$(INCLUDEDIR)/rfm.h'
	install -m 755 $(SHLIB) '$(DESTDIR)$(LIBDIR)/$(REALNAME)'
	ln -sf $(REALNAME) '$(DESTDIR)$(LIBDIR)/$(SONAME)'
	ln -sf $(SONAME) '$(DESTDIR)$(LIBDIR)/librfm.so'
	install -m 644 $(STLIB) '$(DESTDIR)$(LIBDIR)/librfm.a'
	install -m 644 $(PCFILE) '$(DESTDIR)$(PKGCONFIGDIR)/librfm.pc'

uninstall:
	rm -f '$(DESTDIR)$(INCLUDEDIR)/rfm.h' \
	      '$(DESTDIR)$(LIBDIR)/$(REALNAME)' '$(DESTDIR)$(LIBDIR)/$(SONAME)' \
	      '$(DESTDIR)$(LIBDIR)/librfm.so' '$(DESTDIR)$(LIBDIR)/librfm.a' \
	      '$(DESTDIR)$(PKGCONFIGDIR)/librfm.pc' \
	      '$(DESTDIR)$(BINDIR)/rfm' '$(DESTDIR)$(MANDIR)/man1/rfm.1'

# ---------------------------------------------------------------- misc
format:
	$(CLANG_FORMAT) -i $(FORMAT_SRCS)

format-check:
	$(CLANG_FORMAT) --dry-run --Werror $(FORMAT_SRCS)

clean:
	rm -rf out out-san out-m32 out-san-m32

help:
	@sed -n '2,20s/^# \{0,1\}//p' Makefile

-include $(wildcard $(OUT)/obj/*/*.d)
