#!/usr/bin/env bash
# Builds pipe's image from the repository's Dockerfile as it is, on the
# Docker daemon of DOCKER_HOST, with no registry. Its two base images are
# made here, once per daemon, since none can be pulled:
#
#   GO_IMAGE    pipe.local/golang:GOVERSION-bookworm: Debian bookworm
#               minbase (debootstrap, cached as a tarball under the test
#               cluster's cache) plus this machine's Go and CA certificates
#   BASE_IMAGE  pipe.local/static-nonroot:1: CA certificates, /etc/passwd
#               with nonroot (65532), /home/nonroot and /tmp, no shell
#
# The build runs with --network host so that `go build` fetches modules
# through GOPROXY (this machine's `go env GOPROXY`); BuildKit's cache
# mounts keep them and the build cache in the daemon's data root, so a
# second build compiles only what changed.
#
#   deploy/k8stest/cluster/pipe-image.sh [TAG]      # default pipe:dev
#
# PIPE_IMAGE_TAGS sets the Go build tags (the Dockerfile's TAGS). image.sh
# (the test cluster's image) and deploy/compose/images.sh (make compose)
# use it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"
repo="$(cd "$here/../../.." && pwd)"
tag=${1:-pipe:dev}
export DOCKER_BUILDKIT=1
images="$cache/images"
mkdir -p "$images"

have_image() { docker_cli image inspect "$1" >/dev/null 2>&1; }

# GO_IMAGE: a Debian minbase (cached as a tarball) plus this machine's Go.
go_version=$(go env GOVERSION)
go_image="pipe.local/golang:${go_version#go}-bookworm"
if ! have_image "$go_image"; then
  command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install debootstrap"
  if [ ! -f "$images/bookworm-minbase.tar" ]; then
    log "debootstrap --variant=minbase bookworm (once per machine, about a minute)"
    rootfs="$images/bookworm-minbase.rootfs"
    rm -rf "$rootfs"
    debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$images/debootstrap.log" 2>&1 ||
      { tail -n 20 "$images/debootstrap.log" >&2; die "debootstrap failed (log: $images/debootstrap.log)"; }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . >"$images/bookworm-minbase.tar.tmp"
    mv "$images/bookworm-minbase.tar.tmp" "$images/bookworm-minbase.tar"
    rm -rf "$rootfs"
  fi
  log "making $go_image from the minbase and $(go env GOROOT)"
  root=$(mktemp -d)
  tar -C "$root" -xf "$images/bookworm-minbase.tar"
  mkdir -p "$root/usr/local" "$root/go"
  cp -a "$(go env GOROOT)" "$root/usr/local/go"
  # golang:bookworm has ca-certificates; minbase has not, and module
  # downloads need them. This machine's bundle stands in.
  mkdir -p "$root/etc/ssl/certs"
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
  tar -C "$root" --numeric-owner -c . | docker_cli import \
    --change 'ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV GOPATH=/go' --change 'ENV GOTOOLCHAIN=local' - "$go_image" >/dev/null
  rm -rf "$root"
fi

# BASE_IMAGE: what distroless static:nonroot holds that pipe needs.
base_image=pipe.local/static-nonroot:1
if ! have_image "$base_image"; then
  log "making $base_image"
  root=$(mktemp -d)
  mkdir -p "$root/etc/ssl/certs" "$root/tmp" "$root/home/nonroot"
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$root/etc/group"
  chmod 1777 "$root/tmp"
  chown 65532:65532 "$root/home/nonroot"
  tar -C "$root" --numeric-owner -c . | docker_cli import - "$base_image" >/dev/null
  rm -rf "$root"
fi

version=$(git -C "$repo" describe --tags --always --dirty 2>/dev/null || echo dev)
commit=$(git -C "$repo" rev-parse HEAD 2>/dev/null || true)
log "building $tag from $repo/Dockerfile (VERSION=$version)"
start=$SECONDS
docker_cli build --network host \
  --build-arg GO_IMAGE="$go_image" --build-arg BASE_IMAGE="$base_image" \
  --build-arg GOPROXY="$(go env GOPROXY)" \
  --build-arg VERSION="$version" --build-arg COMMIT="$commit" \
  --build-arg TAGS="${PIPE_IMAGE_TAGS:-}" \
  -t "$tag" "$repo"
log "built $tag in $((SECONDS - start)) s, $(docker_cli image inspect -f '{{.Size}}' "$tag") bytes"
# The image this tag named before is dangling now: drop it, so that the
# cached data root does not grow with every build (BuildKit's cache stays).
docker_cli image prune -f >/dev/null
