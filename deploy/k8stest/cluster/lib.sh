# Shared by up.sh, down.sh, image.sh and run.sh: where the test cluster
# lives and what it is called. Sourced, not run.
#
# Everything the cluster writes goes under $state (one folder, removed by
# down.sh) except the cached binaries, the base images and the Docker
# daemon's data (the BuildKit cache) under $cache, which outlive a run the
# way Go's build cache does. The names below are chosen not to meet
# anything else on a machine: a bridge of our own, address ranges from the
# 10/8 block that a host seldom routes, free ports picked at start.

K8S_VERSION=v1.37.2

cache_root="${PIPE_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pipe-k8s}"
cache="$cache_root/$K8S_VERSION"
bin="$cache/bin"
# A fixed default, so that a run after a killed one finds what it left.
state="${PIPE_K8S_STATE:-/tmp/pipe-k8s}"

node_name=pipe-node
bridge=pipek8s0
pod_cidr=10.244.77.0/24
host_ip=10.244.77.1             # the bridge's address: node IP, API server, kubelet
service_cidr=10.97.77.0/24
ipam_range_start=10.244.77.10
ipam_range_end=10.244.77.250

# The sysctls the node changes (kubelet's kernel defaults, the bridge
# plugin's forwarding, kube-proxy's route_localnet); down.sh puts back the
# values up.sh found.
sysctls=(
  net.ipv4.ip_forward
  net.ipv4.conf.all.forwarding
  net.ipv6.conf.all.forwarding
  net.ipv4.conf.all.route_localnet
  net.bridge.bridge-nf-call-iptables
  net.bridge.bridge-nf-call-ip6tables
  vm.overcommit_memory
  vm.panic_on_oom
  kernel.panic
  kernel.panic_on_oops
  kernel.keys.root_maxkeys
  kernel.keys.root_maxbytes
)

# Folders outside $state that a daemon creates whatever it is told
# (containerd's shim sockets, the kubelet's device-plugin and pod-resources
# sockets); down.sh removes those that did not exist before up.sh.
outside_dirs=(
  /run/containerd
  /var/lib/kubelet
  /var/run/netns
  /var/lib/cni
  /etc/cni
)

log() { echo "k8stest: $*" >&2; }
die() { log "$*"; exit 1; }

# docker_cli is Debian's client, which has BuildKit built in; a newer
# client without the buildx plugin refuses DOCKER_BUILDKIT=1.
docker_cli() {
  if [ -x /usr/bin/docker ]; then /usr/bin/docker "$@"; else docker "$@"; fi
}

# pid_of NAME: the PID recorded for NAME, if that process is still ours
# (its command line names $state); nothing otherwise.
pid_of() {
  local f="$state/pids/$1" pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$state"; then
    echo "$pid"
  fi
}
