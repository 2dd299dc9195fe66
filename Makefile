# cell: an OCI container runtime.
#   make          build ./cell
#   make demo     install missing Debian packages, build, run a busybox container
#   make check    every test (unit under ASan/UBSan, schema fixtures, integration against the real binary)
#   make bench    cell vs crun vs runc
#   make install  PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
# The library flags below are computed when make reads this file. On a new machine the libraries are not there
# yet, so every target that runs `make deps` first (demo, check, bench, fuzz) builds through a new `$(MAKE)`,
# which reads this file again after deps have installed them; none of them lists `cell` as a prerequisite.
PKGS := libseccomp libcap yajl libmnl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# Link libseccomp, libcap and yajl statically where Debian ships the archives: fewer objects for the dynamic
# loader on every `cell` start (measured: ~0.5 ms of a ~5 ms `run`). STATIC_DEPS=0 links them dynamically.
STATIC_DEPS ?= 1
LIBDIR := $(shell $(CC) -print-multiarch 2>/dev/null | sed 's|^|/usr/lib/|')
ifeq ($(STATIC_DEPS),1)
ifeq ($(words $(wildcard $(LIBDIR)/libseccomp.a $(LIBDIR)/libcap.a $(LIBDIR)/libyajl_s.a)),3)
PKG_LIBS := -Wl,-Bstatic -lseccomp -lcap -lyajl_s -Wl,-Bdynamic -lmnl
endif
endif
# libarchive and libcrypto (cell image) are dlopen()ed by image/dl.c, never linked: linked, they and their
# dependencies add ~2 ms of dynamic loading to every cell start (cell --version 0.8 -> 2.9 ms). Headers only.
IMAGE_PKGS := libarchive libcrypto
PKG_CFLAGS += $(shell pkg-config --cflags $(IMAGE_PKGS) 2>/dev/null)
VERSION := 0.1.0
COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

OPTFLAGS ?= -O2 -g
CFLAGS ?=
CFLAGS += $(OPTFLAGS)
# gnu11 predefines `linux` as 1; the config model has a member of that name (runtime-spec "linux").
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -fno-strict-aliasing -D_GNU_SOURCE -Ulinux \
	  -DCELL_VERSION='"$(VERSION)"' -DCELL_COMMIT='"$(COMMIT)"' -I. -Iruntime $(PKG_CFLAGS)
LDLIBS += $(PKG_LIBS)
# Bind every symbol at load time (and full RELRO): cheaper than resolving ~150 libc functions one by one on
# first call, in the parent and again in the init after the clone (measured: ~45 us of a ~3.1 ms `run`).
LDFLAGS += -Wl,-z,now -Wl,-z,relro

BUILD ?= build
LIB_SRC := $(wildcard runtime/base/*.c runtime/config/*.c runtime/rootfs/*.c runtime/process/*.c runtime/*.c)
LIB_SRC += $(wildcard cgroups/*.c namespaces/*.c image/*.c)
# The overcommit policy lives in its own directory under cgroups/.
LIB_SRC += $(wildcard cgroups/overcommit/*.c)
CLI_SRC := $(wildcard cli/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/*/test-*.c tests/unit/*/*/test-*.c)
UNIT_BIN := $(UNIT_SRC:%.c=$(BUILD)/%)
HEADERS := $(wildcard runtime/base/*.h runtime/config/*.h runtime/rootfs/*.h runtime/process/*.h runtime/*.h)
HEADERS += $(wildcard cgroups/*.h namespaces/*.h image/*.h cli/*.h tests/unit/*.h)
HEADERS += $(wildcard cgroups/overcommit/*.h)

all: cell

cell: $(BUILD)/libcell.a $(CLI_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libcell.a $(LDLIBS)

$(BUILD)/libcell.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c $(HEADERS) | have-libs
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# Without the libraries the build would fail on a missing header or with a page of undefined references: say
# what to do instead, before compiling anything.
PKG_MISSING := $(shell pkg-config --exists $(PKGS) $(IMAGE_PKGS) 2>/dev/null || echo 1)
have-libs:
	@$(if $(PKG_MISSING),echo "cell: libraries missing (pkg-config $(PKGS) $(IMAGE_PKGS)): run make deps" >&2; exit 1)

# Unit tests build with ASan/UBSan in their own tree.
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
$(BUILD)/asan/libcell.a:
	$(MAKE) --no-print-directory BUILD=$(BUILD)/asan OPTFLAGS="-O1 -g $(ASAN_FLAGS)" $(BUILD)/asan/libcell.a

$(BUILD)/tests/unit/%: tests/unit/%.c $(BUILD)/asan/libcell.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -O2,$(CFLAGS)) -O1 -g $(ASAN_FLAGS) -Itests/unit -o $@ $< $(BUILD)/asan/libcell.a $(LDLIBS) -lm

unit: $(UNIT_BIN)
	@tests/run-unit $(UNIT_BIN)

deps:
	@tests/deps.sh

demo: deps
	@$(MAKE) --no-print-directory cell
	@tests/demo.sh

check: deps
	@$(MAKE) --no-print-directory cell
	@$(MAKE) --no-print-directory -B $(BUILD)/asan/libcell.a
	@tests/check.sh

bench: deps
	@$(MAKE) --no-print-directory cell
	@tests/bench/run.sh

# make fuzz FUZZ_TIME=N: libFuzzer on the config parser for N seconds (clang, ASan+UBSan, own build tree);
# seeds: tests/fixtures/config and tests/fuzz/corpus/config; see tests/fuzz/run.sh.
FUZZ_TIME ?= 60
FUZZ_CC ?= clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
fuzz: deps
	@$(MAKE) --no-print-directory CC=$(FUZZ_CC) BUILD=$(BUILD)/fuzz \
	  OPTFLAGS="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)" $(BUILD)/fuzz/libcell.a
	@$(MAKE) --no-print-directory $(BUILD)/fuzz/fuzz-config
	@tests/fuzz/run.sh $(BUILD)/fuzz/fuzz-config $(FUZZ_TIME)

$(BUILD)/fuzz/fuzz-config: tests/fuzz/fuzz-config.c $(BUILD)/fuzz/libcell.a $(HEADERS)
	$(FUZZ_CC) $(filter-out -O2,$(CFLAGS)) -O1 -g -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $< $(BUILD)/fuzz/libcell.a $(LDLIBS)

install: cell
	install -D -m 0755 cell $(DESTDIR)$(PREFIX)/bin/cell

clean:
	rm -rf $(BUILD) cell

.PHONY: all have-libs unit deps demo check bench fuzz install clean
