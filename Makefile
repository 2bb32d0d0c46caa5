# eFactura Gateway — `make help` lists the targets.
GO ?= go

.PHONY: help demo test test-short lint build fuzz
help: ## List targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

demo: ## Run the gateway with SQLite and the built-in ANAF simulator.
	$(GO) run ./cmd/efactura serve --demo

build: ## Build the static binary into ./bin/efactura.
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/efactura ./cmd/efactura

test: ## Run every test (PostgreSQL tests need EFACTURA_TEST_DATABASE_URL).
	$(GO) test -count=1 -timeout 25m ./...

lint: ## gofmt and go vet.
	@test -z "$$(gofmt -l cmd internal)" || (gofmt -l cmd internal; exit 1)
	$(GO) vet ./...

fuzz: ## Fuzz the parsers for a while (FUZZTIME=60s).
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $${FUZZTIME:-60s} ./internal/invoice/
	$(GO) test -run '^$$' -fuzz FuzzReadArchive -fuzztime $${FUZZTIME:-60s} ./internal/invoice/
