# redeno: `make run` starts the server, `make test` runs every check and test.
# Both install what is missing first: the deno and bun binaries pinned in
# package.json (npm), and nothing else.

SYSTEM_DENO := $(shell command -v deno 2>/dev/null)
DENO ?= $(if $(SYSTEM_DENO),$(SYSTEM_DENO),node_modules/deno/deno)
BUN ?= node_modules/.bin/bun
STAMP := node_modules/.install-stamp
DENO_RUN := $(DENO) run --allow-net --allow-read --allow-write --allow-env --allow-sys

.PHONY: all install run test check unit integration integration-bun integration-binary test-bun-client compat binary binary-deno binary-bun bench clean

all: test

$(STAMP): package.json package-lock.json
	npm install --no-audit --no-fund
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(DENO_RUN) main.ts $(ARGS)

check: install
	$(DENO) fmt --check
	$(DENO) lint
	$(DENO) check main.ts src/ tests/ bench/ tools/

unit: install
	$(DENO) test --allow-all tests/unit/

integration: install
	REDENO_TARGET=deno $(DENO) test --allow-all tests/integration/

integration-bun: install
	REDENO_TARGET=bun $(DENO) test --allow-all tests/integration/

integration-binary: binary
	REDENO_TARGET=binary $(DENO) test --allow-all tests/integration/ tests/binary/

# Bun's built-in Redis client against redeno on Bun (bun test; exits non-zero on failure).
test-bun-client: install
	$(BUN) test --timeout 20000 tests/bun/

compat: install
	$(DENO) test --allow-all tests/compat/

test: check unit integration integration-bun test-bun-client compat integration-binary

# dist/redeno: deno compile where denort can be had (DENORT_BIN or network),
# otherwise bun build --compile. Both build the same main.ts.
binary: install
	@mkdir -p dist
	@$(MAKE) -s binary-deno 2>/dev/null || { \
	  echo "deno compile unavailable (denort cannot be fetched; set DENORT_BIN): using bun build --compile"; \
	  $(MAKE) -s binary-bun; }

binary-deno: install
	$(DENO) compile --allow-net --allow-read --allow-write --allow-env --allow-sys --output dist/redeno main.ts

binary-bun: install
	$(BUN) build --compile --minify --outfile dist/redeno main.ts

# e.g. make bench ARGS="--target binary --markdown"
bench: install
	$(DENO) run --allow-all bench/compare.ts $(ARGS)

clean:
	rm -rf dist
