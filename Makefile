# workspace_exporter — `make test` runs every test; `make bench` the benchmarks.
GO       ?= go
PROMTOOL ?= promtool
BIN      ?= workspace_exporter
PKG      := github.com/prometheus/common/version
VERSION  ?= $(shell cat VERSION 2>/dev/null || echo dev)
REVISION ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BRANCH   ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -X $(PKG).Version=$(VERSION) -X $(PKG).Revision=$(REVISION) -X $(PKG).Branch=$(BRANCH) \
            -X $(PKG).BuildUser=$(shell whoami)@$(shell hostname) -X $(PKG).BuildDate=$(shell date -u +%Y%m%d-%H:%M:%S)

.PHONY: all build test fmt-check vet unit rules bench demo clean

all: build test

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .

## test: formatting, vet, unit and end-to-end tests (race detector on), alert rule checks and tests.
test: fmt-check vet unit rules

fmt-check:
	@out=$$(gofmt -l .); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 ./...

rules:
	$(PROMTOOL) check rules alerts/workspace_exporter.rules.yml
	$(PROMTOOL) test rules alerts/tests/workspace_exporter_test.yml

## bench: refresh and collect of a 100,000-desktop fleet, paging, simulator pages.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 5x ./collector/ ./client/... ./simulator/

demo:
	$(GO) run . --demo

clean:
	rm -f $(BIN)
