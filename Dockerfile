# pipe's container image: a static binary on a minimal, non-root base.
#
#   docker build -t pipe:dev --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg COMMIT=$(git rev-parse HEAD) .
#
# Both base images are build arguments, so a mirror works:
#
#   docker build --build-arg GO_IMAGE=mirror.example.com/library/golang:1.26-bookworm \
#     --build-arg BASE_IMAGE=mirror.example.com/distroless/static-debian12:nonroot .
#
# BuildKit is required (Docker 23 and later use it by default; older: set
# DOCKER_BUILDKIT=1). With a vendor/ folder in the build context the build
# needs no network at all (docs/deployment.md, "Building without a
# registry").

ARG GO_IMAGE=golang:1.26-bookworm
ARG BASE_IMAGE=gcr.io/distroless/static-debian12:nonroot

FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
ARG COMMIT=
# Go build tags; the tests build an image with "pipetest" (their step
# kinds and failpoints, engine/internal/failpoint). Releases set none.
ARG TAGS=
# Module downloads go through GOPROXY; point it at your own proxy if you
# have one.
ARG GOPROXY=https://proxy.golang.org,direct
ENV CGO_ENABLED=0 GOPROXY=${GOPROXY} GOFLAGS=-buildvcs=false
WORKDIR /src
# The module and build caches are cache mounts that outlive the build, so a
# separate `go mod download` layer would buy nothing. A vendor/ folder in
# the context is used as it is (go build picks it up by itself).
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH:-amd64} \
    go build -trimpath -tags "${TAGS}" \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/usr/local/bin/pipe ./cmd/pipe \
 && mkdir -p /out/var/lib/pipe/state /out/var/lib/pipe/store /out/tmp \
 && chmod 1777 /out/tmp

FROM ${BASE_IMAGE}
ARG VERSION=dev
ARG COMMIT=
LABEL org.opencontainers.image.title="pipe" \
      org.opencontainers.image.description="Declarative pipeline-as-code DAG runner for ML training" \
      org.opencontainers.image.source="https://github.com/pipe-ml/pipe" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}"
COPY --from=build /out/usr/local/bin/pipe /usr/local/bin/pipe
# /var/lib/pipe holds the state folder (registry, stat cache, lock) and a
# local store; a named volume mounted there starts out owned by the user.
COPY --from=build --chown=65532:65532 /out/var/lib/pipe /var/lib/pipe
COPY --from=build /out/tmp /tmp
# A scratch base has no PATH; distroless has this one.
ENV PATH=/usr/local/bin:/usr/bin:/bin
# 65532 is distroless's "nonroot"; numeric so Kubernetes' runAsNonRoot can
# check it without reading /etc/passwd.
USER 65532:65532
WORKDIR /var/lib/pipe
EXPOSE 8080
ENTRYPOINT ["pipe"]
