# pipe's build. Every target works on a fresh clone with Go (see README).

GO        ?= go
GOBIN     := $(shell $(GO) env GOPATH)/bin
BIN       := bin/pipe
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS   := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)

# Pinned tools, installed with go install.
STATICCHECK_VERSION    := v0.7.0
FAKE_GCS_SERVER_VERSION := v1.56.1
VERSITYGW_VERSION       := v1.8.0

# Image and deployment.
REGISTRY  ?= ghcr.io/pipe-ml
IMAGE     ?= $(REGISTRY)/pipe:$(VERSION)
OVERLAY   ?= dev

# How long each fuzz target runs in `make fuzz`: a duration, or a count of
# inputs such as 2000x (what CI uses: no deadline to race).
FUZZTIME ?= 10s

# How many times `make crash` kills pipe apply at a random moment, half on
# a local store, half on the GCS emulator (make test: 30).
CRASH_KILLS ?= 200

GO_FILES = $(shell git ls-files -co --exclude-standard '*.go' 2>/dev/null)

.PHONY: all help build unit test test-k8s vet fmt-check lint fuzz crash bench demo docs tools clean image push deploy render compose

## all: the same as build.
all: build

## help: list the targets, each with what it does.
help:
	@awk '/^## [a-z][a-z0-9-]*:/ { sub(/^## /, ""); name = $$0; sub(/:.*/, "", name); sub(/^[^:]*: */, ""); printf "  %-10s %s\n", name, $$0 }' $(firstword $(MAKEFILE_LIST))

## build: a static pipe binary in bin/, version stamped.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/pipe

## docs: regenerate the pages made from the code: docs/kinds.md and the step-kind table of docs/guide.md (pipe kinds -markdown).
docs:
	$(GO) test -count=1 ./cmd/pipe/internal/views -run '^TestKindsDocs$$' -update

## unit: the fast tests alone (go test -short: no race detector, no end-to-end runs of the pipe binary).
unit:
	$(GO) test -short -count=1 ./...

## test: vet, formatting, and every test (unit and end to end) with the race detector.
test: vet fmt-check
	$(GO) test -race -count=1 -timeout 30m ./...
	$(GO) test -count=1 -tags purego ./steps/shared/logreg

# The packages whose tests run on the test cluster: k8stest's own and
# every package whose tests import it (deploy, the kubernetes executor...).
K8S_PACKAGES ?= $(shell $(GO) list -f '{{.ImportPath}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... | \
	awk '{ for (i = 1; i <= NF; i++) if ($$i == "github.com/pipe-ml/pipe/deploy/k8stest") { print $$1; break } }')

## test-k8s: the tests on a real Kubernetes cluster on this machine (root; docs/deployment.md): binaries built once, cluster up, K8S_PACKAGES, teardown.
test-k8s:
	PIPE_REQUIRE_K8S=1 deploy/k8stest/cluster/run.sh $(GO) test -count=1 -timeout 45m $(K8S_PACKAGES)

## vet: go vet over the module.
vet:
	$(GO) vet ./...

## fmt-check: Go files gofmt'ed and pipeline files pipe fmt'ed.
fmt-check:
	@bad=$$(gofmt -l $(GO_FILES)); if [ -n "$$bad" ]; then echo "gofmt would change:"; echo "$$bad"; exit 1; fi
	$(GO) run ./cmd/pipe fmt -check -recursive pipelines examples

## lint: go vet and a pinned staticcheck.
lint: vet
	@test -x $(GOBIN)/staticcheck && $(GOBIN)/staticcheck -version | grep -q '($(STATICCHECK_VERSION))' \
		|| $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(GOBIN)/staticcheck ./...

QUICKSTART := examples/quickstart

## demo: run the example pipeline end to end (data generated when missing), then show its results.
demo:
	$(GO) build -o $(BIN) ./cmd/pipe
	@test -f $(QUICKSTART)/data/corpus.parquet || $(GO) run ./cmd/pipe-gendata -rows 5000 -seed 1 -out $(QUICKSTART)/data/corpus.parquet
	$(BIN) apply $(QUICKSTART)
	@echo
	$(BIN) output $(QUICKSTART) evaluate.holdout
	@echo
	$(BIN) -chdir=$(QUICKSTART) models show privacy-intent
	@echo
	@echo "The model, its report and its lineage are in $(QUICKSTART)/models/privacy-intent/v1/;"
	@echo "the run is in the registry: $(BIN) -chdir=$(QUICKSTART) lineage privacy-intent@champion"

## tools: install the pinned tools: the GCS emulator and the S3 server the tests start, and staticcheck.
tools:
	$(GO) install github.com/fsouza/fake-gcs-server@$(FAKE_GCS_SERVER_VERSION)
	$(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

## fuzz: run each fuzz target briefly (FUZZTIME each).
fuzz:
	@git grep -l '^func Fuzz' -- '*_test.go' | while read -r file; do \
		pkg=./$$(dirname $$file); \
		for target in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$file); do \
			echo "fuzz $$pkg $$target"; \
			$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

## crash: the crash test at length: CRASH_KILLS (200) SIGKILLs of pipe apply spread over every step, on a local store and the GCS emulator, each recovery checked; prints where the kills landed.
crash:
	@PIPE_CRASH_KILLS=$(CRASH_KILLS) PIPE_REQUIRE_GCS=1 bash -o pipefail -c '$(GO) test -count=1 -timeout 120m -v -run "^TestCrashInsideAStep" ./cmd/pipe \
		| grep -v -E "^ *=== (RUN|PAUSE|CONT|NAME)|^ *--- PASS: .*/kill_|e2e_crash_test.go:[0-9]+: killed "'

# make bench's data and Python; BENCH_ROWS=20000 for a quicker run,
# BENCH_ONLY=train,search,load,steps to pick cases (search is grid,random).
BENCH_ROWS   ?= 100000
BENCH_DIM    ?= 584
BENCH_ONLY   ?= train,search,load,steps
BENCH_PYTHON ?= /usr/bin/python3

## bench: pipe beside scikit-learn and pandas on the same generated data, one table, written into docs/benchmarks.md (tens of minutes; installs nothing).
bench:
	$(GO) run ./cmd/bench/table -go "$(GO)" -rows $(BENCH_ROWS) -dim $(BENCH_DIM) -only $(BENCH_ONLY) -python "$(BENCH_PYTHON)" -write docs/benchmarks.md

## image: the container image (see docs/deployment.md; IMAGE=... to name it). BuildKit: a client with buildx, or Debian's docker.io.
image:
	DOCKER_BUILDKIT=1 docker build --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) -t $(IMAGE) .

## push: push the image to REGISTRY.
push: image
	docker push $(IMAGE)

## deploy: apply the Kustomize overlay OVERLAY (dev or prod) to the current cluster.
deploy:
	kubectl apply -k deploy/overlays/$(OVERLAY)

## render: print the manifests of OVERLAY.
render:
	kubectl kustomize deploy/overlays/$(OVERLAY)

# Compose v2 (docker compose) when the client has it, else Debian's
# docker-compose (v1).
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo docker compose || echo docker-compose)

## compose: pipe serve beside a GCS emulator on 127.0.0.1:8080 (PIPE_PORT), both images built locally first by deploy/compose/images.sh (no registry needed; DOCKER_HOST picks the daemon); Ctrl-C stops it.
compose:
	vars=$$(FAKE_GCS_SERVER_VERSION=$(FAKE_GCS_SERVER_VERSION) deploy/compose/images.sh) && env $$vars $(COMPOSE) -p pipe -f deploy/compose/docker-compose.yml up --no-build

## clean: remove bin/.
clean:
	rm -rf bin
