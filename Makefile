# tintri-jobs — build, test and demo targets. `make help` lists them.
GO       ?= go
BIN      ?= bin/tintri-jobs
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
LDFLAGS  := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
FUZZTIME ?= 20s
PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
# Container image: `make image` builds IMAGE_TAR for IMAGE_PLATFORMS without a container daemon.
IMAGE           ?= ghcr.io/tintri-jobs/tintri-jobs
IMAGE_TAG       ?= $(VERSION)
IMAGE_TAR       ?= bin/tintri-jobs-image.tar
IMAGE_PLATFORMS ?= linux/amd64 linux/arm64
CA_CERTS        ?= /etc/ssl/certs/ca-certificates.crt
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)

.PHONY: help build test vet lint cross faults bench bench-fleet fuzz demo sim fmt clean image image-test

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: ## build bin/tintri-jobs
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/tintri-jobs

vet: ## go vet every package
	$(GO) vet ./...

lint: ## staticcheck, errcheck and ineffassign on both modules, pinned (scripts/lint.sh)
	GO=$(GO) ./scripts/lint.sh

cross: ## build every package for linux, darwin and windows on amd64 and arm64 (static, as released)
	@for p in $(PLATFORMS); do \
		echo "go build ./... for $$p"; \
		CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build -trimpath ./... || exit 1; \
	done

test: vet ## vet, then every test with the race detector (simulator over HTTPS on loopback)
	$(GO) test -race -count=1 ./...
	$(MAKE) --no-print-directory image-test

faults: ## the fault suite alone: concurrent applies, kills, full disks, edited plans (also in make test)
	$(GO) test -race -count=1 -run '^TestFault' ./...

bench: ## benchmarks: client paging, plan cost, daemon memory
	$(GO) test -run '^$$' -bench . -benchmem ./...

bench-fleet: build ## fleet scenarios vs their physical limits, peak RSS, a 60s idle daemon (~5 min; not in make test; docs/performance.md)
	$(GO) run ./internal/benchfleet -bin $(BIN) $(BENCHFLEET_FLAGS)

fuzz: ## run each fuzz target for FUZZTIME (seeds in testdata/ also run in `make test`)
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./runner/engine
	$(GO) test -run '^$$' -fuzz '^FuzzReadNames$$' -fuzztime $(FUZZTIME) ./tasks
	$(GO) test -run '^$$' -fuzz '^FuzzReadFields$$' -fuzztime $(FUZZTIME) ./tasks
	$(GO) test -run '^$$' -fuzz '^FuzzReadDataIPs$$' -fuzztime $(FUZZTIME) ./tasks

image: ## container image as an OCI archive (IMAGE_TAR), built without a daemon; see docs/container.md
	@for p in $(IMAGE_PLATFORMS); do \
	  echo "go build $$p"; \
	  CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build -trimpath -ldflags '-s -w $(LDFLAGS)' \
	    -o bin/image/$$p/tintri-jobs ./cmd/tintri-jobs || exit 1; \
	done
	$(GO) -C build/image run . -out $(abspath $(IMAGE_TAR)) -ref $(IMAGE):$(IMAGE_TAG) \
	  -version $(VERSION) -revision $(COMMIT) -ca-certs $(abspath $(CA_CERTS)) -created $(SOURCE_DATE_EPOCH) \
	  $(foreach p,$(IMAGE_PLATFORMS),-binary $(p)=$(abspath bin/image/$(p)/tintri-jobs))

image-test: image ## build the image, then check it: entrypoint, user, static binary, `version` runs
	$(GO) -C build/image vet ./...
	TINTRI_JOBS_IMAGE=$(abspath $(IMAGE_TAR)) $(GO) -C build/image test -count=1 ./...

demo: build ## the main job on the built-in simulator: plan, apply, plan again (no changes)
	./scripts/demo.sh $(BIN)

sim: build ## run the simulator in the foreground and write .tintri-sim.env
	$(BIN) sim -env-file .tintri-sim.env

fmt: ## gofmt and tintri-jobs fmt
	gofmt -l -w .

clean: ## remove build and demo output
	rm -rf bin .tintri-jobs .tintri-sim.env reports
