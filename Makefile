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
# Every target installs the Debian packages it uses on first use (quiet when they are
# there). Targets with a script do it in the script; the others call this. Go downloads
# modules over HTTPS (ca-certificates).
ENSURE     := hack/lib/ensure-packages.sh

.PHONY: help build test unit lint fuzz demo inventory-demo bench bench-micro clean cluster-up cluster-down e2e-tools e2e vm-test

help: ## list targets
	@grep -E '^[a-z0-9-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{gsub(/\$$\$$/, "$$", $$2); printf "  %-15s %s\n", $$1, $$2}'

build: ## build netclaim-plugin and netclaimctl into bin/
	@$(ENSURE) ca-certificates
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/...

# Container image without Docker or a registry (hack/image, its own module): the static
# plugin (and netclaimctl, for `kubectl exec`) on scratch, as a docker-archive tarball that
# `ctr -n k8s.io images import` and `docker load` read. Same tree, same digest.
IMAGE       ?= ghcr.io/netclaim/netclaim:$(VERSION)
IMAGE_TAR   ?= $(BIN)/netclaim-image.tar
IMAGE_ARCH  ?= amd64

.PHONY: image image-builder test-images
image: image-builder ## the plugin image as $(IMAGE_TAR), tagged IMAGE (default ghcr.io/netclaim/netclaim:VERSION)
	@mkdir -p $(BIN)/image-root
	CGO_ENABLED=0 GOOS=linux GOARCH=$(IMAGE_ARCH) $(GO) build -trimpath -ldflags "$(LDFLAGS) -s -w" -o $(BIN)/image-root/ ./cmd/netclaim-plugin ./cmd/netclaimctl
	$(BIN)/image-builder --tag $(IMAGE) --out $(IMAGE_TAR) --arch $(IMAGE_ARCH) \
	  --entrypoint /netclaim-plugin \
	  --file $(BIN)/image-root/netclaim-plugin:/netclaim-plugin:0755 \
	  --file $(BIN)/image-root/netclaimctl:/netclaimctl:0755 \
	  --label org.opencontainers.image.source=https://github.com/netclaim/netclaim \
	  --label org.opencontainers.image.version=$(VERSION)
	@echo "image $(IMAGE) in $(IMAGE_TAR); import with: ctr -n k8s.io images import $(IMAGE_TAR)"

image-builder:
	@$(ENSURE) ca-certificates
	@mkdir -p $(BIN)
	cd hack/image && GOWORK=off GOFLAGS=-mod=readonly $(GO) build -trimpath -o $(BIN)/image-builder .

test-images: ## pause + busybox images for a registry-less test node, into $(BIN)/test-images
	@hack/image/build-test-images.sh $(BIN)/test-images

# The Helm chart and its rendered plain manifests. helm is built from the Go module proxy
# (hack/helm, its own module) and cached in ~/.cache/netclaim/helm-<version>.
HELM_CHART := deployments/helm/netclaim
.PHONY: helm manifests manifests-check helm-lint
helm: ## build (or reuse) the cached helm binary; prints its path
	@hack/helm/build.sh

manifests: ## render the chart's defaults into deployments/manifests/{netclaim,rbac}.yaml
	@hack/helm/render.sh deployments/manifests
	@echo "rendered deployments/manifests/netclaim.yaml and rbac.yaml"

manifests-check: ## fail when deployments/manifests differs from what the chart renders
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && hack/helm/render.sh "$$tmp" && \
	  for f in netclaim.yaml rbac.yaml; do \
	    diff -u deployments/manifests/$$f "$$tmp/$$f" || { echo "deployments/manifests/$$f is stale: run make manifests"; exit 1; }; \
	  done

helm-lint: ## helm lint --strict the chart (default values and every toggle off)
	@helm=$$(hack/helm/build.sh) && \
	  "$$helm" lint --strict $(HELM_CHART) && \
	  "$$helm" lint --strict $(HELM_CHART) --set deviceClasses.create=false,resourceSlicePolicy.enabled=false,serviceAccount.create=false,serviceAccount.name=existing,excludeDevices={eno1}

.PHONY: deploy-check
deploy-check: manifests-check helm-lint ## CI: manifests fresh, chart lints, image builder + chart selector tests (hack/ modules)
	@$(ENSURE) ca-certificates
	@fmt=$$(gofmt -l hack); if [ -n "$$fmt" ]; then echo "gofmt needed:"; echo "$$fmt"; exit 1; fi
	cd hack/image && GOWORK=off $(GO) vet ./... && GOWORK=off $(GO) test -count=1 ./...
	cd hack/helm && GOWORK=off $(GO) vet ./... && GOWORK=off $(GO) test -count=1 ./...

lint: ## gofmt and go vet
	@$(ENSURE) git ca-certificates
	@fmt=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$fmt" ]; then echo "gofmt needed:"; echo "$$fmt"; exit 1; fi
	$(GO) vet ./...
	cd test/e2e && $(GO) vet ./...
	cd test/bench && $(GO) vet ./...

# -race needs cgo: gcc and the C library headers.
test: lint ## unit + netns tiers (netns tests need root; they skip with a reason otherwise)
	@$(ENSURE) gcc libc6-dev
	$(GO) test -count=1 -race ./...
	cd test/e2e && $(GO) test -count=1 -race ./cmd/... ./nodeagent/... ./e2eutil/...
	$(MAKE) --no-print-directory fuzz

fuzz: ## run each fuzz target for FUZZTIME
	@$(ENSURE) ca-certificates
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
	$(BIN)/netclaimctl validate -f demo/deviceclasses.yaml -f demo/claims.yaml -f demo/pods.yaml

bench: ## attach vs the floor and the CNI path, prepare, discovery, rescan, RSS; key=value figures (root; docs/benchmarks.md)
	@test/bench/run.sh

bench-micro: ## the packages' Go micro-benchmarks
	@$(ENSURE) ca-certificates
	$(GO) test -run='^$$' -bench=. -benchmem ./pkg/...

e2e-tools: ## build (or reuse) the cached control-plane binaries
	@test/e2e/tools/build.sh >/dev/null

cluster-up: ## local control plane + E2E_NODES simulated nodes; eval "$$(make -s cluster-up)"
	@NODES=$(E2E_NODES) test/e2e/scripts/cluster-up.sh

cluster-down: ## stop the local cluster, remove its netns, links and run dir
	@test/e2e/scripts/cluster-down.sh

e2e: ## cluster-up + the Go e2e suite (test/e2e/suite) + cluster-down, always; logs kept
	@NODES=$(E2E_NODES) test/e2e/scripts/e2e.sh

.PHONY: e2e-node
e2e-node: ## real kubelet + containerd node, netclaim from the Helm chart, test/e2e/nodesuite; always torn down
	@test/e2e/scripts/e2e-node.sh

# VM_RUN, VM_PKGS and the other knobs reach test/vm/run.sh through the environment
# (make exports command-line variables unexpanded, so a regexp's $ survives).
vm-test: ## the real-kernel tier: *_vm_test.go (TestVM*) in a qemu VM with igb SR-IOV VFs (VM_RUN=regexp)
	@test/vm/run.sh

clean: ## remove build outputs
	rm -rf $(BIN) $(DEMO_HOST)
