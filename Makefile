# climateledger — run `make` for the list of targets.
GO        ?= go
STATICCHECK_VERSION ?= v0.8.2
PKGS      := ./...
BIN       := bin/climateledger
FUZZTIME  ?= 30s
BENCHTIME ?= 1s

.DEFAULT_GOAL := help

.PHONY: help build run test race fuzz bench lint vectors

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/climateledger
	$(GO) build -o $(BIN) ./cmd/climateledger

run: ## run the service with embedded NATS, Pebble and the demo network (data in ./data)
	$(GO) run ./cmd/climateledger serve --data ./data --demo

test: ## run every test (real NATS, Pebble, HTTP and browser)
	$(GO) test -count=1 -timeout 30m $(PKGS)

race: ## run every test under the race detector
	$(GO) test -race -count=1 -timeout 45m $(PKGS)

fuzz: ## run each fuzz target for FUZZTIME (default 30s)
	$(GO) test ./events -run '^$$' -fuzz '^FuzzParseEntry$$' -fuzztime $(FUZZTIME)
	$(GO) test ./events -run '^$$' -fuzz '^FuzzDecodeBody$$' -fuzztime $(FUZZTIME)
	$(GO) test ./events -run '^$$' -fuzz '^FuzzDecodeSubmission$$' -fuzztime $(FUZZTIME)
	$(GO) test ./events -run '^$$' -fuzz '^FuzzDecodeBodyJSON$$' -fuzztime $(FUZZTIME)
	$(GO) test ./events -run '^$$' -fuzz '^FuzzFormats$$' -fuzztime $(FUZZTIME)
	$(GO) test ./ledger/proof -run '^$$' -fuzz '^FuzzParseTLogProof$$' -fuzztime $(FUZZTIME)
	$(GO) test ./ledger/witness -run '^$$' -fuzz '^FuzzParseRequest$$' -fuzztime $(FUZZTIME)
	$(GO) test ./ledger/witness -run '^$$' -fuzz '^FuzzAddCheckpointHTTP$$' -fuzztime $(FUZZTIME)
	$(GO) test ./ledger/httpapi -run '^$$' -fuzz '^FuzzHTTP$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cmd/climateledger -run '^$$' -fuzz '^FuzzParseBatch$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cmd/climateledger -run '^$$' -fuzz '^FuzzBatchState$$' -fuzztime $(FUZZTIME)

bench: ## run the benchmarks (compare ratios, quote medians)
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -count 5 $(PKGS)

lint: ## gofmt, go mod tidy -diff, doc references, go vet and staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@$(GO) mod tidy -diff || (echo "go.mod or go.sum is not tidy: run go mod tidy and commit"; exit 1)
	@! git grep -n 'DESIGN'' §' -- . || (echo "cite docs/SPEC.md (or another file under docs/), not the design page"; exit 1)
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) $(PKGS)

vectors: ## regenerate testdata/vectors and fail if anything drifted
	$(GO) generate ./events/...
	@git diff --exit-code --stat -- testdata/vectors || (echo "test vectors drifted: review and commit"; exit 1)
	@test -z "$$(git status --porcelain -- testdata/vectors)" || (git status --short -- testdata/vectors; echo "new vector files: review and commit"; exit 1)
