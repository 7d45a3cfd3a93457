# tintri-jobs — build, test and demo targets. `make help` lists them.
GO       ?= go
BIN      ?= bin/tintri-jobs
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
LDFLAGS  := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
FUZZTIME ?= 20s
# golangci-lint, pinned; `go run` builds it once into the Go build cache.
GOLANGCI  ?= $(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0
PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64

.PHONY: help build test vet lint cross bench fuzz demo sim fmt clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: ## build bin/tintri-jobs
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/tintri-jobs

vet: ## go vet every package
	$(GO) vet ./...

lint: ## golangci-lint with .golangci.yml: errcheck, govet, ineffassign, staticcheck, unused
	$(GOLANGCI) run ./...

cross: ## build every package for linux, darwin and windows on amd64 and arm64
	@for p in $(PLATFORMS); do \
		echo "go build ./... for $$p"; \
		GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build ./... || exit 1; \
	done

test: vet ## vet, then every test with the race detector (simulator over HTTPS on loopback)
	$(GO) test -race -count=1 ./...

bench: ## benchmarks: client paging, plan cost, daemon memory
	$(GO) test -run '^$$' -bench . -benchmem ./...

fuzz: ## run each fuzz target for FUZZTIME (seeds in testdata/ also run in `make test`)
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./runner
	$(GO) test -run '^$$' -fuzz '^FuzzReadNames$$' -fuzztime $(FUZZTIME) ./tasks
	$(GO) test -run '^$$' -fuzz '^FuzzReadFields$$' -fuzztime $(FUZZTIME) ./tasks
	$(GO) test -run '^$$' -fuzz '^FuzzReadDataIPs$$' -fuzztime $(FUZZTIME) ./tasks

demo: build ## the main job on the built-in simulator: plan, apply, plan again (no changes)
	./scripts/demo.sh $(BIN)

sim: build ## run the simulator in the foreground and write .tintri-sim.env
	$(BIN) sim -env-file .tintri-sim.env

fmt: ## gofmt and tintri-jobs fmt
	gofmt -l -w .

clean: ## remove build and demo output
	rm -rf bin .tintri-jobs .tintri-sim.env reports
