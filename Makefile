# sparkplane — `make help` lists the targets.
SHELL := bash
GO    ?= go
BIN   := bin/sparkplane
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/sparkplane/sparkplane/internal/cli.Version=$(VERSION)
IMAGE ?= ghcr.io/sparkplane/sparkplane

.PHONY: help setup build image quickstart dev-cluster test test-unit lint fuzz bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

setup: ## install a JDK 17 and Apache Spark (cached in ~/.cache/sparkplane; /var/cache/sparkplane as root) and, as root, the job user
	@scripts/setup.sh

build: ## build bin/sparkplane
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/sparkplane

image: ## build the container image (IMAGE=ghcr.io/sparkplane/sparkplane, tag VERSION) without Docker (linux/amd64 + linux/arm64, non-root, no base image pulled): OCI layout bin/image/sparkplane-oci, OCI archive bin/image/sparkplane.tar
	$(GO) run ./scripts/image -go $(GO) -out bin/image -repository $(IMAGE) -version $(VERSION) -revision "$$(git rev-parse HEAD 2>/dev/null)" \
	  -epoch "$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || echo 0)}"

quickstart: setup build ## set up, then run pi.py through the EMR on EKS API end to end
	$(BIN) quickstart

dev-cluster: setup build ## start the embedded Kubernetes cluster and its S3 server (as root): builds kube-apiserver and versitygw on first use, then pods run as host processes
	@scripts/kube-binaries.sh >/dev/null
	@scripts/versitygw.sh >/dev/null
	$(BIN) dev-cluster up

test: ## set up everything the tests need, lint, and run every test (real Spark, PostgreSQL, AWS SDK and CLI)
	@scripts/setup.sh --test
	@scripts/kube-binaries.sh
	@$(MAKE) --no-print-directory lint
	$(GO) test -count=1 -timeout 45m ./...

test-unit: ## the fast tests only (no Spark)
	$(GO) test -count=1 -short ./...

lint: ## gofmt, go vet, go mod tidy check
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [[ -n "$$out" ]]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@$(GO) mod tidy -diff >/dev/null || { echo "go.mod/go.sum not tidy: run go mod tidy"; exit 1; }

fuzz: ## run each fuzz target for 30 s
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime 30s $$pkg || exit 1; \
	  done; done

bench: ## run the benchmarks recorded in BENCHMARKS.md (Spark, PostgreSQL, kube-apiserver, the embedded cluster as root, the Spark Operator)
	@scripts/setup.sh --test
	@scripts/spark-operator.sh >/dev/null
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 240m ./test/bench/... ./test/devcluster/
