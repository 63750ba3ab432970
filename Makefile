# The README's two commands. Both install missing Debian packages first
# (scripts/install-deps.sh is idempotent), then build into build/.
BUILD ?= build
JOBS  ?= $(shell nproc)

.PHONY: all deps build run test unit e2e bench clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/securemail run $(ARGS)

unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

e2e: build
	SECUREMAIL_BIN=$(CURDIR)/$(BUILD)/securemail /usr/bin/python3 -m pytest -q tests/e2e

test: unit e2e

bench: build
	bash bench/relay_vs_postfix
	bash bench/sealed_vs_postfix
	bash bench/seal_vs_openssl
	bash bench/directory_100k

clean:
	rm -rf $(BUILD)
