# netclaim — build, test and demo entry points. `make help` lists them.
SHELL      := /bin/bash
GO         ?= go
BIN        := $(CURDIR)/bin
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS    := -X github.com/netclaim/netclaim/pkg/version.Version=$(VERSION)
DEMO_HOST  := $(CURDIR)/demo/host-example
DEMO_NODE  ?= demo-node
# Short fuzz runs in `make test`; run `make fuzz FUZZTIME=10m` for a long one.
FUZZTIME   ?= 10s

E2E_NODES  ?= 3
# make demo leaves the cluster up unless DEMO_KEEP=0.
DEMO_KEEP  ?= 1

.PHONY: help build test unit lint fuzz demo inventory-demo bench bench-micro clean cluster-up cluster-down e2e-tools e2e

help: ## list targets
	@grep -E '^[a-z0-9-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build netclaim-plugin and netclaimctl into bin/
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/...

lint: ## gofmt and go vet
	@fmt=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$fmt" ]; then echo "gofmt needed:"; echo "$$fmt"; exit 1; fi
	$(GO) vet ./...
	cd test/e2e && $(GO) vet ./...
	cd test/bench && $(GO) vet ./...

test: lint ## unit + netns tiers (netns tests need root; they skip with a reason otherwise)
	$(GO) test -count=1 -race ./...
	cd test/e2e && $(GO) test -count=1 -race ./cmd/... ./nodeagent/...
	$(MAKE) --no-print-directory fuzz

fuzz: ## run each fuzz target for FUZZTIME
	@for t in $$(grep -rlE '^func Fuzz' --include='*_test.go' . | xargs -n1 dirname | sort -u); do \
	  for f in $$(grep -hoE '^func (Fuzz[A-Za-z0-9_]+)' $$t/*_test.go | awk '{print $$2}'); do \
	    echo "fuzz $$t $$f ($(FUZZTIME))"; \
	    $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$t || exit 1; \
	  done; \
	done

demo: ## the main job: local cluster, demo/ pods, their devices and interfaces (DEMO_KEEP=0 tears down)
	@DEMO_KEEP=$(DEMO_KEEP) NODES=$(E2E_NODES) test/e2e/scripts/demo.sh

inventory-demo: build ## print the ResourceSlices of a synthetic example host and of this host
	@rm -rf $(DEMO_HOST)
	$(GO) run ./demo/mkhost $(DEMO_HOST)
	@echo; echo "== Synthetic example host ($(DEMO_HOST)) as node $(DEMO_NODE) =="
	$(BIN)/netclaimctl inventory --host-root $(DEMO_HOST) --node $(DEMO_NODE) -o table
	@echo; echo "== The same, as the ResourceSlices the plugin would publish =="
	$(BIN)/netclaimctl inventory --host-root $(DEMO_HOST) --node $(DEMO_NODE) -o yaml
	@echo; echo "== This host (live sysfs + netlink) =="
	$(BIN)/netclaimctl inventory -o table
	@echo; echo "== Validating the example NetworkConfigs in demo/ =="
	$(BIN)/netclaimctl validate -f demo/deviceclasses.yaml -f demo/claims.yaml

bench: ## attach vs the floor and the CNI path, prepare, discovery, rescan, RSS; key=value figures (root; docs/benchmarks.md)
	@test/bench/run.sh

bench-micro: ## the packages' Go micro-benchmarks
	$(GO) test -run='^$$' -bench=. -benchmem ./pkg/...

e2e-tools: ## build (or reuse) the cached control-plane binaries
	@test/e2e/tools/build.sh >/dev/null

cluster-up: ## local control plane + E2E_NODES simulated nodes; eval "$$(make -s cluster-up)"
	@NODES=$(E2E_NODES) test/e2e/scripts/cluster-up.sh

cluster-down: ## stop the local cluster, remove its netns, links and run dir
	@test/e2e/scripts/cluster-down.sh

e2e: ## cluster-up + the Go e2e suite (test/e2e/suite) + cluster-down, always; logs kept
	@NODES=$(E2E_NODES) test/e2e/scripts/e2e.sh

clean: ## remove build outputs
	rm -rf $(BIN) $(DEMO_HOST)
