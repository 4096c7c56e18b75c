#!/usr/bin/env bash
# Makes the two images docker-compose.yml runs, on the Docker daemon of
# DOCKER_HOST, with no registry (none is reachable from the machines this
# project is tested on):
#
#   pipe:dev                   the repository's Dockerfile as it is, its
#                              base images made locally
#                              (deploy/k8stest/cluster/pipe-image.sh)
#   pipe.local/fake-gcs-server:VERSION
#                              the GCS emulator, built from its Go module
#                              (FAKE_GCS_SERVER_VERSION, the Makefile's pin)
#                              into a static binary on an empty base
#
# and prints FAKE_GCS_IMAGE=NAME, the variable docker-compose.yml reads
# for the emulator's image. `make compose` runs it, then compose. With
# Docker Hub reachable neither is needed: `docker compose up --build`
# pulls fsouza/fake-gcs-server and the Dockerfile's default bases.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cluster="$here/../k8stest/cluster"
. "$cluster/lib.sh"
version=${FAKE_GCS_SERVER_VERSION:-v1.56.1}
gcs_image="pipe.local/fake-gcs-server:${version#v}"

"$cluster/pipe-image.sh" pipe:dev >&2

if ! docker_cli image inspect "$gcs_image" >/dev/null 2>&1; then
  log "building $gcs_image from github.com/fsouza/fake-gcs-server@$version"
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  mkdir -p "$root/bin" "$root/storage" "$root/tmp"
  chmod 1777 "$root/tmp"
  (cd "$root" && CGO_ENABLED=0 GOBIN="$root/bin" \
    go install -trimpath -ldflags='-s -w' "github.com/fsouza/fake-gcs-server@$version")
  tar -C "$root" --numeric-owner -c bin storage tmp | docker_cli import \
    --change 'ENTRYPOINT ["/bin/fake-gcs-server"]' --change 'EXPOSE 4443' - "$gcs_image" >/dev/null
fi
echo "FAKE_GCS_IMAGE=$gcs_image"
