# denit — the Makefile only wraps scripts and deno tasks; it has no logic of its own.
# A fresh machine needs only `make`: the pinned Deno comes from the npm registry.

DENO := $(shell scripts/deno.sh)
PREFIX ?= /usr/local
DESTDIR ?=

export DENO

.PHONY: all deno check test test-unit test-boot compile install bench bench-boot rootfs boot-vm clean

all: check

deno:
	@echo $(DENO)

## fmt check + lint + type check
check:
	$(DENO) fmt --check
	$(DENO) lint
	$(DENO) check mod.ts cmd/ lib/ ffi/ tests/ bench/

## everything CI runs: the gates, every test, the QEMU boot test
test: check
	scripts/test.sh
	$(MAKE) test-boot

## the deno tests only (unit, black-box, side by side, pid-1 namespace)
test-unit:
	scripts/test.sh

test-boot:
	scripts/test-boot.sh

compile:
	scripts/compile.sh

install:
	PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" scripts/install.sh

bench:
	scripts/bench.sh

bench-boot:
	scripts/bench-boot.sh

rootfs:
	scripts/rootfs.sh

boot-vm:
	scripts/boot-vm.sh

clean:
	rm -rf dist build
