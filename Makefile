# workspace_exporter — `make` lists the targets; `make test` runs every test.
GO          ?= go
GOFMT       ?= gofmt
PROMTOOL    ?= promtool
DOCKER      ?= docker
BIN         ?= workspace_exporter
IMAGE       ?= workspace_exporter
FUZZTIME    ?= 30s
# staticcheck 2026.2.2: the first release line that supports Go 1.26.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

PKG        := github.com/prometheus/common/version
VERSION    ?= $(shell cat VERSION 2>/dev/null || echo dev)
REVISION   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BRANCH     ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
BUILD_USER ?= $(shell whoami)@$(shell hostname)
BUILD_DATE ?= $(shell date -u +%Y%m%d-%H:%M:%S)
LDFLAGS    := -X $(PKG).Version=$(VERSION) -X $(PKG).Revision=$(REVISION) -X $(PKG).Branch=$(BRANCH) \
              -X $(PKG).BuildUser=$(BUILD_USER) -X $(PKG).BuildDate=$(BUILD_DATE)

.DEFAULT_GOAL := help
.PHONY: help all build test check-promtool fmt-check fmt vet lint unit rules bench fuzz demo docker clean

## help: list the targets (the default).
help:
	@echo "Targets (make TARGET):"
	@sed -n 's/^## \([a-z-]*\): \(.*\)/\1\t\2/p' $(MAKEFILE_LIST) | awk -F'\t' '{ printf "  %-10s %s\n", $$1, $$2 }'

## all: build, then test.
all: build test

## build: the binary ./workspace_exporter, stamped with VERSION, git revision, branch, user and date.
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .

## test: promtool present, formatting, vet, unit and end-to-end tests (race detector on), alert rule checks and tests.
test: check-promtool fmt-check vet unit rules

check-promtool:
	@command -v $(PROMTOOL) >/dev/null 2>&1 || { \
	  echo "promtool not found: install it with apt-get install -y --no-install-recommends prometheus (Debian) or set PROMTOOL=/path/to/promtool" >&2; \
	  exit 1; }

fmt-check:
	@out=$$($(GOFMT) -l .); \
	if [ -n "$$out" ]; then echo "gofmt needed on (run make fmt):"; echo "$$out"; exit 1; fi

## fmt: gofmt every Go file in place.
fmt:
	$(GOFMT) -w .

vet:
	$(GO) vet ./...

## lint: go vet and staticcheck (fetched through the Go module proxy on first use).
lint: vet
	$(GO) run $(STATICCHECK) ./...

## unit: the Go tests only (race detector on; includes the fuzz targets' seed corpora).
unit:
	$(GO) test -race -count=1 ./...

## rules: promtool checks and unit-tests the alert rules.
rules: check-promtool
	$(PROMTOOL) check rules alerts/workspace_exporter.rules.yml
	$(PROMTOOL) test rules alerts/tests/workspace_exporter_test.yml

## bench: the real binary on the demo fleet (10k and 100k desktops: scrapes through HTTP, RSS, next to the client_golang floor), then refresh, render, decoding and simulator benchmarks.
bench:
	$(GO) test -run '^$$' -bench 'DemoEndToEnd' -benchtime 20x .
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 5x ./collector/ ./client/... ./simulator/...

## fuzz: run every native fuzz target (func FuzzXxx) for FUZZTIME each (default 30s), one at a time.
fuzz:
	@targets=$$(grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' . | sed 's/:func /:/'); \
	if [ -z "$$targets" ]; then echo "no fuzz targets found"; exit 0; fi; \
	for t in $$targets; do \
	  dir=$$(dirname "$${t%%:*}"); name=$${t##*:}; \
	  echo "$(GO) test -run '^\$$' -fuzz '^$$name\$$' -fuzztime $(FUZZTIME) $$dir"; \
	  $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) "$$dir" || exit 1; \
	done

## demo: the exporter on a simulated fleet: http://localhost:10078/metrics
demo:
	$(GO) run . --demo

## docker: build the image workspace_exporter:VERSION (docker build, stamped like make build).
docker:
	$(DOCKER) build \
	  --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) --build-arg BRANCH=$(BRANCH) \
	  --build-arg BUILD_USER=$(BUILD_USER) --build-arg BUILD_DATE=$(BUILD_DATE) \
	  -t $(IMAGE):$(VERSION) .

## clean: remove the binary.
clean:
	rm -f $(BIN)
