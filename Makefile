# Thin wrapper over CMake presets. Every target installs missing Debian
# packages first (scripts/deps), so a fresh Debian 12 machine needs only `make`.
#   make demo    build and serve a demo county on http://127.0.0.1:8080
#   make test    build and run every test (ends with CTest's summary)
#   make build   optimized binary at build/ruralink
#   make test-asan  the tests again under AddressSanitizer + UBSan
#   make test-tsan  the tests again under ThreadSanitizer
#   make bench   speed and quality benchmarks (long; not part of test)
#   make fuzz    run every libFuzzer target for FUZZ_SECONDS each
#   make fuzz-smoke  build the libFuzzer targets (clang) and run each once over
#                its seed corpus (CI: keeps them building and starting)
#   make install  the binary, dashboard and systemd units under PREFIX
#                (default /usr/local; see README "Running it for a county")
#   make format  lay out every C source as .clang-format says (the test
#                `format` checks it)
#   make clean
FUZZ_SECONDS ?= 30
DEMO_DB ?= ruralink-demo.db
DEMO_LISTEN ?= 127.0.0.1:8080
PREFIX ?= /usr/local

.PHONY: all deps build install test test-asan test-tsan demo bench fuzz fuzz-smoke format clean web

all: build

deps:
	@scripts/deps

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release

install: build web
	@cmake --install build --prefix $(PREFIX)

web: deps
	@if [ -f web/package-lock.json ]; then scripts/web-build; fi

test: build web
	@ctest --preset release

test-asan: deps
	@cmake --preset dev >/dev/null
	@cmake --build --preset dev
	@ctest --preset dev

test-tsan: deps
	@cmake --preset tsan >/dev/null
	@cmake --build --preset tsan
	@ctest --preset tsan

demo: build web
	DEMO_DB=$(DEMO_DB) DEMO_LISTEN=$(DEMO_LISTEN) scripts/demo

bench: build
	@for b in bench/*; do [ -x "$$b" ] && [ -f "$$b" ] && { echo "== $$b"; "$$b" || exit 1; }; done; true

fuzz-smoke: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz
	@for f in build-fuzz/fuzz/fuzz_*; do [ -x "$$f" ] || continue; \
	  n=$$(basename $$f); echo "== $$n: its seed corpus"; \
	  $$f -runs=0 -artifact_prefix=build-fuzz/ fuzz/corpus/$$n >build-fuzz/$$n.log 2>&1 \
	    || { tail -40 build-fuzz/$$n.log; exit 1; }; tail -1 build-fuzz/$$n.log; done

fuzz: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz
	@for f in build-fuzz/fuzz/fuzz_*; do [ -x "$$f" ] || continue; \
	  n=$$(basename $$f); echo "== $$n ($(FUZZ_SECONDS) s)"; \
	  mkdir -p build-fuzz/corpus/$$n; dict=""; \
	  [ -f fuzz/$$n.dict ] && dict="-dict=fuzz/$$n.dict"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -artifact_prefix=build-fuzz/ $$dict \
	    build-fuzz/corpus/$$n fuzz/corpus/$$n >build-fuzz/$$n.log 2>&1 \
	    || { tail -60 build-fuzz/$$n.log; exit 1; }; tail -3 build-fuzz/$$n.log; done

format: deps
	@git ls-files --cached --others --exclude-standard '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf build build-dev build-tsan build-fuzz
