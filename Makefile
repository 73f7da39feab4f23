# docker-credential-mint — see README.md.
GO       ?= go
PKG      := github.com/docker-credential-mint/mint
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo v0.0.0+unknown)
REVISION ?= $(shell git rev-parse --short HEAD 2>/dev/null)
LDFLAGS  := -s -w -X $(PKG)/credentials.Version=$(VERSION) -X $(PKG)/credentials.Revision=$(REVISION)
PREFIX   ?= /usr/local
BIN      := bin/docker-credential-mint
FUZZTIME ?= 30s
# Tools the tests need (registry clients built from the module proxy) live
# outside the repo, so a clean clone reuses them.
export MINT_TOOLS ?= $(HOME)/.cache/mint-tools
export PATH := $(MINT_TOOLS)/bin:$(PATH):/usr/sbin:/sbin

.PHONY: all build install deps test test-unit test-integration test-windows fuzz cross lint demo bench clean

all: build

# build: the protocol binary every pull spawns (build tag lean: no HTTP, TLS
# or exec code) and, next to it, the full build it hands minting and the
# operator commands to. The full build alone (go install) also does it all.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -tags lean -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/docker-credential-mint
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)-full ./cmd/docker-credential-mint

install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/docker-credential-mint
	install -m 0755 $(BIN)-full $(DESTDIR)$(PREFIX)/bin/docker-credential-mint-full

# deps installs what the tests and the demo need (Debian packages, registry
# clients); idempotent and quiet when everything is there. Both scripts run
# even when the first fails, so one run names every problem.
deps:
	@rc=0; bash .ci/install.sh || rc=1; bash .ci/install-tokenchain.sh || rc=1; exit $$rc

# test: everything, against the real keychains, registry and clients.
test: deps lint cross
	$(GO) test -race -count=1 -coverprofile=coverage.out ./...
	bash .ci/test-windows.sh

# test-unit: no daemons, no clients; seconds.
test-unit:
	$(GO) test -race -short ./credentials/... ./store/...

test-integration: deps
	$(GO) test -count=1 ./store/... ./cmd/...

# test-windows: the Windows build run for real under Wine (.ci/test-windows.sh
# in .ci/wine.sh's throw-away prefix): the keyring backend against Wine's
# Credential Manager, the store packages a Windows build uses, and the
# protocol binary, the full build and crane.exe built for Windows. make test
# runs it too (about a minute): see README, What Wine proves.
test-windows: deps
	bash .ci/test-windows.sh

fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$($(GO) list -f '{{range .TestGoFiles}}{{$$.Dir}}/{{.}} {{end}}{{range .XTestGoFiles}}{{$$.Dir}}/{{.}} {{end}}' $$pkg) /dev/null | sed 's/func //'); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

cross:
	CGO_ENABLED=0 GOOS=darwin GOARCH=arm64 $(GO) build -o /dev/null ./cmd/docker-credential-mint
	CGO_ENABLED=0 GOOS=darwin GOARCH=arm64 $(GO) build -tags lean -o /dev/null ./cmd/docker-credential-mint
	CGO_ENABLED=0 GOOS=darwin GOARCH=amd64 $(GO) vet ./store/... ./credentials/...
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 $(GO) build -o /dev/null ./cmd/docker-credential-mint
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 $(GO) build -tags lean -o /dev/null ./cmd/docker-credential-mint
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 $(GO) vet ./store/... ./credentials/...

# lint: gofmt, go vet, and golangci-lint (.golangci.yml; the version is
# pinned in .ci/install.sh, which make deps runs).
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	@command -v golangci-lint >/dev/null || { echo "lint: golangci-lint not found in $(MINT_TOOLS)/bin; fix: run make deps"; exit 1; }
	golangci-lint run ./...
	CGO_ENABLED=0 $(GO) build -tags lean -o /dev/null ./cmd/docker-credential-mint

# demo: part 1, a registry with a password: docker login/push/pull through the
# helper. Part 2, the point of the product: a registry that accepts only
# short-lived tokens from a real OAuth2 server, pulled across several token
# lifetimes while the helper mints and refreshes. Part 3: an ECR-shaped
# registry pulled with no config at all (its real host name on 443 in a
# private network namespace; ECR's API and the registry stand in locally).
demo: export MINT_INSTALL_LINT = 0
demo: export MINT_INSTALL_MOTO = 0
demo: export MINT_INSTALL_NERDCTL = 0
demo: export MINT_INSTALL_KUBELET_RUNNER = 0
demo: deps build
	@bash cmd/docker-credential-mint/demo.sh $(BIN)
	@printf '\n\033[1m== part 2: short-lived OAuth2 tokens, minted and refreshed by the helper\033[0m\n'
	@MINT_HELPER=$(BIN) bash cmd/docker-credential-mint/e2e/tokenchain/demo-tokens.sh
	@printf '\n\033[1m== part 3: ECR with no config at all, the password minted through the AWS SDK\033[0m\n'
	@MINT_HELPER=$(BIN) bash cmd/docker-credential-mint/e2e/cloudlab/demo-ecr.sh

# bench: process-level figures next to a trivial Go binary (never in make test).
# Only the clouds: make bench BENCH_BACKENDS= BENCH_FLAGS='-refs ecr-login,gcr,acr-env -refresh=false'
BENCH_SIZES ?= 1,100,1000
BENCH_BACKENDS ?= file,secretservice
BENCH_FLAGS ?=
bench: deps build
	$(GO) run ./cmd/mint-bench -helper $(BIN) -sizes $(BENCH_SIZES) -backends "$(BENCH_BACKENDS)" $(BENCH_FLAGS)

clean:
	rm -rf bin coverage.out
