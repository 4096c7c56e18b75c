#!/usr/bin/env bash
# Builds pipe's image from the repository's Dockerfile as it is, on the
# test cluster's Docker daemon, and imports it into the node's containerd,
# so that the manifests' `pipe:dev` (imagePullPolicy: IfNotPresent) runs
# without a registry. pipe-image.sh builds it (base images made locally,
# modules fetched through GOPROXY, BuildKit's cache in the daemon's data
# root, $cache/docker, so a second build compiles only what changed).
#
#   deploy/k8stest/cluster/image.sh [TAG]      # default pipe:dev
#
# PIPE_IMAGE_TAGS sets the Go build tags (the Dockerfile's TAGS): the
# kubernetes executor's tests build pipe:pipetest with "pipetest".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"
tag=${1:-pipe:dev}

[ -f "$state/cluster.env" ] || die "no test cluster in $state: run deploy/k8stest/cluster/up.sh first"
DOCKER_HOST=$(sed -n 's/^DOCKER_HOST=//p' "$state/cluster.env")
ctd_sock=$(sed -n 's/^CONTAINERD_ADDRESS=//p' "$state/cluster.env")
export DOCKER_HOST DOCKER_BUILDKIT=1
"$here/pipe-image.sh" "$tag"
docker_cli save "$tag" | ctr -a "$ctd_sock" -n k8s.io images import - >/dev/null
log "imported $tag into the node's containerd"
