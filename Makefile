# counternet — `make demo` runs the main job on embedded defaults, `make test` runs every test.
# Both install what they need (Debian packages, as root) through deploy/deps.sh.

GO       ?= go
BIN      := bin/counternet
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo dev)
REVISION := $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS  := -X main.version=$(VERSION) -X main.revision=$(REVISION)
PKGS     := ./...

.PHONY: all build deps test-deps demo test test-short test-unit test-integration vet fmt-check tidy-check check bench bench-views clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/counternet

deps:
	@deploy/deps.sh --with-tor

test-deps:
	@deploy/deps.sh --with-test-tools

# The main job: fixture markets behind a local SOCKS5 proxy, collected,
# published on an embedded JetStream, loaded into a managed ClickHouse.
demo: deps build
	./$(BIN) demo

# Everything: vet, formatting, module tidiness, the config and every site
# file validated, unit tests under the race detector, and integration tests
# against real clickhouse-server and nats-server processes.
test: test-deps fmt-check vet tidy-check check test-unit test-integration

test-short:
	$(GO) test -short $(PKGS)

test-unit:
	$(GO) test -race -short -count=1 $(PKGS)

# The private Tor network test runs on its own, after the rest: seven tor
# processes want the machine's cores while they vote and build circuits.
test-integration:
	$(GO) test -count=1 -timeout 25m $$($(GO) list $(PKGS) | grep -v /internal/tornet)
	$(GO) test -count=1 -timeout 10m ./internal/tornet/

check: build
	./$(BIN) check
	./$(BIN) chain tags --check

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l cmd internal configs pipelines deploy 2>/dev/null); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

tidy-check:
	@cp go.mod /tmp/counternet-go.mod.bak; cp go.sum /tmp/counternet-go.sum.bak; \
	$(GO) mod tidy; \
	if ! cmp -s go.mod /tmp/counternet-go.mod.bak || ! cmp -s go.sum /tmp/counternet-go.sum.bak; then \
		echo "go.mod/go.sum are not tidy: run 'go mod tidy' and commit"; \
		cp /tmp/counternet-go.mod.bak go.mod; cp /tmp/counternet-go.sum.bak go.sum; exit 1; fi

# Benchmarks, each reporting its figure as a ratio to a baseline measured in
# the same run (x_* and ratio columns). The 10M-row warehouse view benchmark
# runs with `make bench-views` (it generates 10M rows first, ~2.5 min, then
# runs each query 3 times as the rows landed and 3 times once compacted).
BENCH_AWK := awk '/^Benchmark/ { printf "%-44s", $$1; for (i = 3; i < NF; i += 2) printf "  %s=%s", $$(i+1), $$i; printf "\n" } /^(ok|FAIL)/'
bench: deps
	@$(GO) test -run '^$$' -bench 'Loader1M|Publish|Collector|OnionFetch' -benchtime 1x -timeout 30m \
		./internal/load/ ./internal/bus/ ./internal/crawl/ ./internal/tornet/ | $(BENCH_AWK)
	@$(GO) test -run '^$$' -bench 'DecodeListing|Extract50|Money|CryptoAddresses' -benchtime 2s \
		./internal/load/ ./internal/pipeline/ ./internal/normalize/ | $(BENCH_AWK)

bench-views: deps
	$(GO) test -run '^$$' -bench Views -benchtime 3x -timeout 30m ./internal/warehouse/

clean:
	rm -rf bin data
