#!/usr/bin/env bash
# Builds the test cluster's binaries once per machine from the Go module
# proxy: etcd, the Kubernetes control plane, the kubelet, kube-proxy,
# kubectl and crictl, at the pinned versions below. A later run finds them
# in the cache folder and builds nothing. Cold, on 2 cores: about 35 min.
#
#   deploy/k8stest/cluster/build.sh            # build what is missing
#   PIPE_K8S_CACHE=/some/dir build.sh          # elsewhere than ~/.cache
set -euo pipefail

K8S_VERSION=v1.37.2          # Kubernetes 1.38+ will likely refuse containerd 1.x
STAGING_VERSION=v0.37.2      # the k8s.io/* staging modules of that release
ETCD_VERSION=v3.6.16         # 3.6: Debian's etcd 3.4 breaks watch clients
CRITOOLS_VERSION=v1.37.0

cache="${PIPE_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pipe-k8s}/$K8S_VERSION"
bin="$cache/bin"
mkdir -p "$bin"

want=(etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl crictl)
missing=()
for b in "${want[@]}"; do [ -x "$bin/$b" ] || missing+=("$b"); done
if [ ${#missing[@]} -eq 0 ]; then
  echo "k8s binaries: cached in $bin"
  exit 0
fi
echo "k8s binaries: building ${missing[*]} into $bin (cold: about 35 min on 2 cores)"
start=$SECONDS

# A scratch module that requires k8s.io/kubernetes with every staging module
# replaced by its release (the kubernetes go.mod points them at ./staging).
mod="$cache/mod"
mkdir -p "$mod"
cat > "$mod/go.mod" <<MOD
module pipe.test/k8sbins

go 1.26

require k8s.io/kubernetes $K8S_VERSION
MOD
modroot=$(cd "$mod" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
{
  echo "replace ("
  sed -n '/^replace (/,/^)/p' "$modroot/go.mod" | sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\t\1 => \1 '"$STAGING_VERSION"'#p'
  echo ")"
} >> "$mod/go.mod"
printf 'package k8sbins\n\nimport _ "k8s.io/kubernetes/cmd/kube-apiserver/app"\n' > "$mod/tools.go"
(cd "$mod" && GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || true)

ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37 -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION"
build_k8s() { # name package
  [ -x "$bin/$1" ] && return 0
  echo "  building $1"
  (cd "$mod" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$bin/$1.tmp" "$2") && mv "$bin/$1.tmp" "$bin/$1"
}
build_k8s kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
build_k8s kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager
build_k8s kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler
build_k8s kube-proxy k8s.io/kubernetes/cmd/kube-proxy
build_k8s kubectl k8s.io/kubernetes/cmd/kubectl
build_k8s kubelet k8s.io/kubernetes/cmd/kubelet

# etcd's and cri-tools' go.mod files carry replace directives, so `go
# install pkg@version` refuses them: each is built from a scratch module of
# its own, with the same replacements pointed at the released modules.
build_from() { # name module version package [replace...]
  local name=$1 module=$2 version=$3 pkg=$4; shift 4
  [ -x "$bin/$name" ] && return 0
  echo "  building $name"
  local dir="$cache/mod-$name"
  mkdir -p "$dir"
  printf 'module pipe.test/%s\n\ngo 1.26\n\nrequire %s %s\n' "$name" "$module" "$version" > "$dir/go.mod"
  for r in "$@"; do echo "replace $r" >> "$dir/go.mod"; done
  printf 'package main\n\nimport _ "%s"\n' "$pkg" > "$dir/tools.go"
  (cd "$dir" && GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || true)
  (cd "$dir" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$bin/$name.tmp" "$pkg") && mv "$bin/$name.tmp" "$bin/$name"
}
build_from etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION" go.etcd.io/etcd/server/v3 \
  "go.etcd.io/etcd/api/v3 => go.etcd.io/etcd/api/v3 $ETCD_VERSION" \
  "go.etcd.io/etcd/client/pkg/v3 => go.etcd.io/etcd/client/pkg/v3 $ETCD_VERSION" \
  "go.etcd.io/etcd/client/v3 => go.etcd.io/etcd/client/v3 $ETCD_VERSION" \
  "go.etcd.io/etcd/pkg/v3 => go.etcd.io/etcd/pkg/v3 $ETCD_VERSION"
build_from crictl sigs.k8s.io/cri-tools "$CRITOOLS_VERSION" sigs.k8s.io/cri-tools/cmd/crictl

echo "k8s binaries: built in $((SECONDS - start)) s"
