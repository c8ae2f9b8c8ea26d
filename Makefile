GO      ?= go
BIN     := bin
PLUGINS := $(patsubst plugins/%/main.go,%,$(wildcard plugins/*/main.go))

.PHONY: all build run test generate bench clean

all: build

build:
	@mkdir -p $(BIN)/plugins
	$(GO) build -o $(BIN)/gatehouse ./host/cmd/gatehouse
	@for p in $(PLUGINS); do \
		$(GO) build -o $(BIN)/plugins/gatehouse-plugin-$$p ./plugins/$$p || exit 1; \
	done

run: build
	@mkdir -p data
	./$(BIN)/gatehouse serve --config config.hcl

test:
	./scripts/test.sh

generate:
	protoc -I shared/proto \
		--go_out=. --go_opt=module=github.com/gatehouse/gatehouse \
		--go-grpc_out=. --go-grpc_opt=module=github.com/gatehouse/gatehouse \
		shared/proto/gatehouse/v1/*.proto

# bench runs the side-by-side benchmark suite and prints one table (see
# BENCHMARKS.md); BENCHFLAGS=-quick makes a short run.
bench:
	@mkdir -p $(BIN)
	$(GO) test -c -o $(BIN)/gatehouse-bench.test ./bench
	./$(BIN)/gatehouse-bench.test -test.run '^$$' -test.bench . -test.benchtime 1s \
		-test.timeout 30m $(BENCHFLAGS)

clean:
	rm -rf $(BIN)
