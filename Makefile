# vfctl + vfvm: one build.
#   make            build build/vfctl and build/vfvm (and test binaries); says
#                   which packages are missing instead of failing to compile
#   make test       the fast loop, as an ordinary user: unit + sim tiers, plain
#                   and sanitizer builds (no apt, no lab)
#   make check      as root: install what is missing, every check and test tier
#   make demo       install what is missing, build, show the main job in the emulated lab
#   make bench      side-by-side measurements, reported as ratios
#   make asan       build into build-asan/ with AddressSanitizer + UBSan
#   make tsan       build into build-tsan/ with ThreadSanitizer (the unit tier runs it)
#   make fuzz       libFuzzer targets (tests/fuzz/, clang + ASan/UBSan, build-fuzz/),
#                   each run FUZZ_SECONDS (60); per target executions, coverage, crashes
#   make format     clang-format every C file; make format-check only checks
#   make clean-cache  drop the lab's machine-wide cache (kernels, initramfs)
#   make install    programs, units, udev rule, man pages (DESTDIR=, PREFIX=)
#   make WERROR=0   same warnings, but they do not stop the build (for packagers)
#
# Parts of the tree add their own rules in */*.mk fragments (included below)
# so that each area owns its build details.

BUILD     ?= build
CC        ?= gcc
# Libraries (tools/check-build-deps.sh names the Debian package of each):
# the programs link only what they use; the rest is for tests.
PROG_PKGS := libpci libnl-3.0 json-c zlib libseccomp libcap-ng
TEST_PKGS := libnl-route-3.0 fuse3 cmocka
PKG_CFLAGS := $(shell pkg-config --cflags $(PROG_PKGS) $(TEST_PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PROG_PKGS) 2>/dev/null)
TEST_LIBS  := $(shell pkg-config --libs libnl-route-3.0 cmocka 2>/dev/null)

OPT       ?= -O2
CFLAGS    ?= $(OPT) -g
SANITIZE  ?=
# Warnings: the whole tree builds clean with these.  `make WERROR=0` keeps the
# warnings but does not stop the build on them (for packagers on newer compilers).
WERROR    ?= 1
WARNINGS  := -Wall -Wextra \
	-Wmissing-prototypes -Wstrict-prototypes -Wshadow -Wvla -Wundef \
	-Wwrite-strings -Wformat=2
ifneq ($(WERROR),0)
WARNINGS  += -Werror
endif
ALL_CFLAGS = -std=gnu11 $(WARNINGS) -D_GNU_SOURCE -MMD -MP -pthread \
	$(addprefix -I,$(LIB_DIRS)) $(PKG_CFLAGS) $(SANITIZE) $(CFLAGS)
ALL_LDFLAGS = -pthread $(SANITIZE) $(LDFLAGS)
LIBS      = $(PKG_LIBS) -lm

# Libraries, one per folder (every .c in it), in layers: each uses only the
# ones after it, so this is also the static link order (docs/ARCHITECTURE.md).
#   vfio         passthrough: VFIO/iommufd, the passthrough PCI function
#   src/devices  emulated devices: MSI-X model, virtio, serial
#   src/vmm      the VM: memory, vCPUs, boot, ACPI, platform, PCI host, buses
#   irq          GSI routing, irqfd, host IRQ affinity
#   sriov        VFs: counts, NVMe virtualization, VF link settings, config
#   src/host     host PCI facts and binding: devices, IOMMU groups, checks
#   src/lib      errors, PCI addresses, sysfs access
LIB_DIRS  := vfio src/devices src/vmm irq sriov src/host src/lib
libname    = $(BUILD)/lib$(subst /,-,$(1)).a
define lib_rules
$(1)_SRCS := $$(wildcard $(1)/*.c)
$(1)_OBJS := $$(patsubst %.c,$(BUILD)/%.o,$$($(1)_SRCS))
$(call libname,$(1)): $$($(1)_OBJS)
	@mkdir -p $$(@D)
	@rm -f $$@
	$$(AR) rcs $$@ $$^
endef
$(foreach d,$(LIB_DIRS),$(eval $(call lib_rules,$(d))))
LIBARS    := $(foreach d,$(LIB_DIRS),$(call libname,$(d)))

# Front ends: tools/<prog>/*.c -> build/<prog>, each with tools/common/*.c
# (what both show alike: the pre-flight report)
PROGS     := vfctl vfvm
define prog_rules
$(1)_SRCS := $$(wildcard tools/$(1)/*.c tools/common/*.c)
$(1)_OBJS := $$(patsubst %.c,$(BUILD)/%.o,$$($(1)_SRCS))
$(BUILD)/$(1): $$($(1)_OBJS) $(LIBARS)
	@mkdir -p $$(@D)
	$$(CC) $(ALL_LDFLAGS) -o $$@ $$($(1)_OBJS) $(LIBARS) $(LIBS)
endef
$(foreach p,$(PROGS),$(eval $(call prog_rules,$(p))))
$(BUILD)/tools/%.o: ALL_CFLAGS += -Itools/common

# Test doubles shared by the test programs (never linked into vfctl/vfvm);
# only code under tests/ sees their headers.
FAKE_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/fakes/*.c))
$(BUILD)/tests/%.o: ALL_CFLAGS += -Itests/fakes

# Unit tests: tests/unit/test_*.c, one cmocka program each, linked with all libraries.
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
UNIT_HELPERS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/unit/helpers/*.c)) $(FAKE_OBJS)
$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(UNIT_HELPERS) $(LIBARS)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(UNIT_HELPERS) $(LIBARS) $(LIBS) $(TEST_LIBS)

# Every compile waits for the check that names missing packages.
$(BUILD)/%.o: %.c | build-deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build-deps:
	@bash tools/check-build-deps.sh

TEST_BINS :=
-include $(wildcard */*.mk tests/*/*.mk)

all: $(addprefix $(BUILD)/,$(PROGS)) $(UNIT_BINS) $(TEST_BINS)

deps:
	@bash tools/install-deps.sh

# Each tier prints "<tier>: N passed, N failed" and exits non-zero on failure.
TIERS ?= unit sim fuzz kvm lab lab-iommufd
check: deps
	$(MAKE) all
	$(MAKE) asan
	$(MAKE) tsan
	$(MAKE) format-check shellcheck layers-check
	bash tests/run-tiers.sh $(TIERS)

# The contributor's loop: no root, no apt, no lab (make check runs it all).
test:
	$(MAKE) all
	$(MAKE) asan
	$(MAKE) tsan
	bash tests/run-tiers.sh unit sim

asan:
	$(MAKE) BUILD=build-asan OPT=-O1 \
		SANITIZE="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" all

tsan:
	$(MAKE) BUILD=build-tsan OPT=-O1 SANITIZE="-fsanitize=thread -fno-omit-frame-pointer" all

demo: deps
	$(MAKE) all
	bash tests/lab/demo.sh

bench: deps
	$(MAKE) all
	bash tests/bench/run.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	@clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h') && \
		echo "format-check: every C file is clang-format clean"

# Every tracked shell script: *.sh and the extension-less ones file(1) calls
# shell scripts; each one's dialect comes from its shebang or shell= directive.
shellcheck:
	@shellcheck -x $$({ git ls-files '*.sh'; git ls-files | xargs file | \
		grep -i 'shell script' | cut -d: -f1; } | sort -u) && \
		echo "shellcheck: every shell script is clean"

# The library folders are layers: no include points up (docs/ARCHITECTURE.md).
layers-check:
	@bash tools/check-layers.sh $(LIB_DIRS)

clean:
	rm -rf build build-asan build-tsan build-fuzz

clean-cache:
	bash -c '. tests/lab/lab-env.sh && echo "removing $$LAB_CACHE" && rm -rf "$$LAB_CACHE"'

.PHONY: all deps build-deps check test asan demo bench format format-check shellcheck layers-check clean \
	clean-cache
.DEFAULT_GOAL := all
.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
