# quant: the two set-up commands are `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
PKGS := ./...
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
FUZZTIME ?= 60s

.PHONY: all build run test test-short lint check fuzz bench bench-burst bench-go bench-import bench-hotpath bench-cluster bench-jobs clean

all: build

## build: the quant binary in bin/
build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/quant ./cmd/quant

## run: quant on its embedded defaults (in-memory store, built-in synthetic data, API on :8080)
## with the operations console in this terminal
run:
	$(GO) run -ldflags '$(LDFLAGS)' ./cmd/quant

## test: every test, with the race detector, against real PostgreSQL and Redis
## started on free loopback ports (scripts/testenv.sh installs Redis with
## apt-get if missing) and stopped afterwards
test:
	bash scripts/testenv.sh $(GO) test -race -shuffle=on -count=1 -timeout 20m $(PKGS)

## test-short: unit tests only; tests that need PostgreSQL or Redis skip
test-short:
	$(GO) test -count=1 $(PKGS)

## lint: gofmt, go vet, staticcheck (pinned in go.mod as a tool), go mod tidy
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt: not formatted:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) tool staticcheck $(PKGS)
	$(GO) mod tidy -diff

## check: lint, test, then every fuzz target for FUZZTIME (60s each; CI
## runs them 10s each: FUZZTIME=10s in .ci/run)
check: lint
	$(MAKE) test
	$(MAKE) fuzz

## fuzz: each fuzz target for FUZZTIME (default 60s): the importers (one
## per format: Senate CSV, Senate JSON, Senate filings, House JSON; the
## JSON scanner against encoding/json; generated files holding the JSON
## rules of ANALYTICS.md 1.2; politician ids) and the HTTP API's router
fuzz:
	@for t in FuzzSenateCSV FuzzCSVReader FuzzSenateJSON FuzzSenateFilings FuzzHouseJSON FuzzJSONSyntax FuzzJSONRules FuzzCSVRecordLimit FuzzPoliticianID; do \
	  GO=$(GO) bash scripts/fuzz.sh ./internal/ingest/ $$t $(FUZZTIME) || exit 1; done
	GO=$(GO) bash scripts/fuzz.sh ./internal/server/ FuzzAPI $(FUZZTIME)

## bench: the old system's scenarios (bench/burst.sh), the import timings and
## the hot-path benchmark of BENCHMARKS.md (under 10 minutes)
bench: bench-burst bench-import bench-hotpath

bench-burst: build
	bash scripts/testenv.sh bash bench/burst.sh

## bench-cluster: hot-cache throughput of 1, 2 and 3 instances on shared PostgreSQL and Redis
bench-cluster: build
	bash scripts/testenv.sh bash bench/cluster.sh

## chaos: a mixed load while Redis and PostgreSQL are killed and restarted,
## breakers forced and the cache flushed, then a recovery check; its own
## PostgreSQL and Redis on loopback, CHAOS_DURATION of load (default 5m)
.PHONY: chaos
CHAOS_DURATION ?= 5m
chaos: build
	CHAOS_DURATION=$(CHAOS_DURATION) bash bench/chaos.sh

## bench-jobs: quant warm --top 100 through the jobs API on 1 and 3 instances
bench-jobs: build
	bash scripts/testenv.sh bash bench/jobs.sh

bench-hotpath:
	bash scripts/testenv.sh $(GO) test -run '^$$' -bench HotPath -benchtime 3s ./cmd/quant/

## bench-go: every Go benchmark (long: the 5,000-politician datasets)
bench-go:
	bash scripts/testenv.sh $(GO) test -run '^$$' -bench . -benchmem -count=1 -timeout 60m $(PKGS)

bench-import: build
	bash scripts/testenv.sh bash bench/import.sh

clean:
	rm -rf bin
