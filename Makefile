# eFactura Gateway — `make help` lists the targets.
GO ?= go

# The lint gate's golangci-lint: the one on PATH when it is this version,
# else installed once (go install, from the module proxy) under .cache/.
GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT_DIR := $(CURDIR)/.cache/golangci-lint-$(GOLANGCI_LINT_VERSION)
GOLANGCI_LINT ?= $(shell p="$$(command -v golangci-lint)" && [ "v$$("$$p" version --short 2>/dev/null)" = "$(GOLANGCI_LINT_VERSION)" ] && echo "$$p" || echo "$(GOLANGCI_LINT_DIR)/golangci-lint")

.PHONY: help demo test test-short lint verify build fuzz
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

verify: $(GOLANGCI_LINT) ## The lint gate: gofmt, go vet and golangci-lint (.golangci.yml).
	@test -z "$$(gofmt -l cmd internal third_party)" || (echo "gofmt needed on:"; gofmt -l cmd internal third_party; exit 1)
	$(GO) vet ./...
	$(GOLANGCI_LINT) run ./...

$(GOLANGCI_LINT_DIR)/golangci-lint:
	GOBIN=$(GOLANGCI_LINT_DIR) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

# With a duration, Go 1.26 may end a clean run with "context deadline exceeded"
# and no crasher (golang/go#75804); FUZZTIME=200000x avoids it.
fuzz: ## Fuzz the parsers and the validator for a while (FUZZTIME=60s).
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $${FUZZTIME:-60s} ./internal/invoice/
	$(GO) test -run '^$$' -fuzz FuzzReadArchive -fuzztime $${FUZZTIME:-60s} ./internal/invoice/
	$(GO) test -run '^$$' -fuzz '^FuzzCheck$$' -fuzztime $${FUZZTIME:-60s} ./internal/validate/xsd/
	$(GO) test -run '^$$' -fuzz '^FuzzValidate$$' -fuzztime $${FUZZTIME:-60s} ./internal/validate/
	$(GO) test -run '^$$' -fuzz '^FuzzInviteInput$$' -fuzztime $${FUZZTIME:-60s} ./internal/gateway/
	$(GO) test -run '^$$' -fuzz '^FuzzUploadParams$$' -fuzztime $${FUZZTIME:-60s} ./internal/api/
	$(GO) test -run '^$$' -fuzz '^FuzzUploadInput$$' -fuzztime $${FUZZTIME:-60s} ./internal/gateway/
	$(GO) test -run '^$$' -fuzz '^FuzzANAFErrorList$$' -fuzztime $${FUZZTIME:-60s} ./internal/anafsync/
	$(GO) test -run '^$$' -fuzz '^FuzzPattern$$' -fuzztime $${FUZZTIME:-60s} ./internal/compliance/
	$(GO) test -run '^$$' -fuzz '^FuzzParseVATResponse$$' -fuzztime $${FUZZTIME:-60s} ./internal/anaf/
	$(GO) test -run '^$$' -fuzz '^FuzzVerifyToken$$' -fuzztime $${FUZZTIME:-60s} ./internal/mail/
	$(GO) test -run '^$$' -fuzz '^FuzzComposeEvent$$' -fuzztime $${FUZZTIME:-60s} ./internal/mail/
	$(GO) test -run '^$$' -fuzz '^FuzzSearchText$$' -fuzztime $${FUZZTIME:-60s} ./internal/store/
	$(GO) test -run '^$$' -fuzz '^FuzzParseAmount$$' -fuzztime $${FUZZTIME:-60s} ./internal/store/
	$(GO) test -run '^$$' -fuzz '^FuzzParseURL$$' -fuzztime $${FUZZTIME:-60s} ./internal/webhook/
	$(GO) test -run '^$$' -fuzz '^FuzzVerifySignature$$' -fuzztime $${FUZZTIME:-60s} ./client/
	$(GO) test -run '^$$' -fuzz '^FuzzParseSecondFactor$$' -fuzztime $${FUZZTIME:-60s} ./internal/gateway/
	$(GO) test -run '^$$' -fuzz '^FuzzDeliveryErrorKind$$' -fuzztime $${FUZZTIME:-60s} ./internal/gateway/
	$(GO) test -run '^$$' -fuzz '^FuzzWebhookEvents$$' -fuzztime $${FUZZTIME:-60s} ./internal/gateway/
