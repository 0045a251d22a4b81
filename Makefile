# jiayuan - the two commands a new machine needs: `make demo` and `make test`.
# Everything else is a building block of those two.
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
VAR        ?= var
LISTEN     ?= 127.0.0.1:8080
JOBS       ?= $(shell nproc)
FUZZ_SECONDS ?= 12
export FUZZ_SECONDS

.PHONY: all bootstrap ui build demo test test-unit test-asan test-ui fuzz pg clean distclean

all: build

bootstrap:
	@scripts/bootstrap

# The web UI is optional for the server build: without web/dist the binary serves the API
# and a page saying the UI was not built.
ui: bootstrap
	@cd web && npm run --silent build >/dev/null

build: bootstrap ui
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory >/dev/null
	@echo "built $(BUILD)/jiayuan"

demo: build
	@scripts/demo $(BUILD)/jiayuan $(VAR) $(LISTEN)

pg: bootstrap
	@scripts/pg-test >/dev/null

# make test: unit, storage-contract (SQLite and PostgreSQL) and end-to-end tests, the same
# under ASan+UBSan, short fuzz runs, and the browser test.
test: build pg
	@scripts/run-tests

test-asan: bootstrap
	@scripts/run-tests --only-asan

fuzz: bootstrap
	@scripts/run-tests --only-fuzz

test-ui: build
	@scripts/run-tests --only-ui

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)

distclean: clean
	rm -rf web/node_modules web/dist tests/ui/node_modules
