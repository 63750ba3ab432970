# The README's two commands. Both install missing Debian packages first
# (scripts/install-deps.sh is idempotent), then build into build/.
BUILD ?= build
JOBS  ?= $(shell nproc)
# Hardening builds (docs/hardening.md), each in its own folder.
FUZZ_BUILD ?= build-fuzz
SAN_BUILD  ?= build-asan
FUZZ_CXX   ?= clang++-16
TIDY       ?= clang-tidy-16
SMOKE_SECONDS ?= 10
# ccache keys on paths relative to the checkout, so another clone (CI's)
# reuses what this one compiled.
export CCACHE_BASEDIR ?= $(CURDIR)
export CCACHE_NOHASHDIR ?= 1

.PHONY: all deps build run test unit e2e bench clean fuzz fuzz-smoke fuzz-campaign test-sanitize tidy
.PHONY: package

all: build

deps:
	@bash scripts/install-deps.sh $(DEPS_SET)

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# `make run` installs only what building and running need (no test tools).
run: DEPS_SET := --run
run: build
	./$(BUILD)/securemail run $(ARGS)

unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

e2e: build package
	SECUREMAIL_BIN=$(CURDIR)/$(BUILD)/securemail SECUREMAIL_DEB=$$(cat $(BUILD)/package.txt) /usr/bin/python3 -m pytest -q --durations=25 tests/e2e

test: unit e2e fuzz-smoke

# libFuzzer targets (tests/fuzz), clang with ASan+UBSan, -O1.
fuzz: deps
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_CXX_COMPILER=$(FUZZ_CXX) -DSM_FUZZ=ON \
	  -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g" >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_all

# Every target over its seeds and regressions, then SMOKE_SECONDS of fuzzing.
fuzz-smoke: fuzz
	@bash tests/fuzz/smoke $(FUZZ_BUILD)/fuzz $(SMOKE_SECONDS)

fuzz-campaign: fuzz
	@bash bench/fuzz-campaign --build $(FUZZ_BUILD)/fuzz $(ARGS)

# Unit and end-to-end tests on an ASan+UBSan build; any report fails.
# alloc_dealloc_mismatch=0: asio's aligned_new/aligned_delete pick
# aligned_alloc or operator new by whether a libstdc++ header came before
# asio's config in each file, so a coroutine frame allocated in one file may
# be freed with free() by another's inline copy (same allocator under glibc;
# the cure, one ASIO_DISABLE_STD_ALIGNED_ALLOC for all files, rebuilds
# everything). SAN_SKIP: RSS-bound tests measure the real allocator, not
# ASan's quarantine and redzones.
SAN_SKIP = ^Memory\.
# Times out of order under ASan's slowdown: it takes the first webhook
# notice to be its own, and an earlier "added" notice can still arrive
# first (no sanitizer report; reported to the test's owner).
# The certification runs against misconfigured peers repeat the whole
# battery (25 MiB both ways, the facility's delays) through the same code
# as the correct and STARTTLS-stripped runs, which stay; the release e2e
# runs all of them. Kept out here to hold CI to its hour.
SAN_CERTIFY = tests/e2e/test_certify.py::test_
SAN_E2E_SKIP = --deselect tests/e2e/test_directory_cli.py::test_webhook_notice_verifies_with_the_documented_recipe \
	--deselect $(SAN_CERTIFY)a_peer_accepting_bare_lf_fails_exactly_the_line_ending_cases \
	--deselect $(SAN_CERTIFY)a_peer_trusting_any_signer_fails_exactly_the_wrong_signer_case \
	--deselect $(SAN_CERTIFY)an_expired_tls_certificate_fails_the_pin_and_what_needs_it \
	--deselect $(SAN_CERTIFY)receipts_off_and_a_catch_all_fail_exactly_their_cases
SAN_ENV = ASAN_OPTIONS=halt_on_error=1:abort_on_error=0:exitcode=86:detect_leaks=1:alloc_dealloc_mismatch=0:strict_string_checks=1:check_initialization_order=1:log_path=$(CURDIR)/$(SAN_BUILD)/reports/asan \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=86:log_path=$(CURDIR)/$(SAN_BUILD)/reports/ubsan \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitize/lsan.supp:print_suppressions=0 \
	SECUREMAIL_SANITIZER_REPORTS=$(CURDIR)/$(SAN_BUILD)/reports
test-sanitize: deps
	@cmake -S . -B $(SAN_BUILD) -DSM_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g" >/dev/null
	@cmake --build $(SAN_BUILD) -j $(JOBS)
	@rm -rf $(SAN_BUILD)/reports && mkdir -p $(SAN_BUILD)/reports
	cd $(SAN_BUILD) && $(SAN_ENV) ctest --output-on-failure -j $(JOBS) -E "$(SAN_SKIP)" || { cat reports/* 2>/dev/null; exit 1; }
	$(SAN_ENV) SECUREMAIL_BIN=$(CURDIR)/$(SAN_BUILD)/securemail PYTHONPATH=$(CURDIR)/tests/sanitize \
	  /usr/bin/python3 -m pytest -q --durations=25 -p sanitizer_reports $(SAN_E2E_SKIP) tests/e2e
	@bash tests/sanitize/no-reports $(SAN_BUILD)/reports

# clang-tidy over src/ with the main build's compile_commands.json.
tidy: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@bash scripts/tidy $(BUILD) $(TIDY) $(JOBS) $(TIDY_FILES)

bench: build
	bash bench/relay_vs_postfix
	bash bench/sealed_vs_postfix
	bash bench/seal_vs_openssl
	bash bench/directory_100k

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD) $(SAN_BUILD)

# The Debian package of the release build (scripts/package.sh,
# docs/operations.md "Installing the package"); its path in BUILD/package.txt.
package: build
	@bash scripts/package.sh $(BUILD) > $(BUILD)/package.txt
	@cat $(BUILD)/package.txt
