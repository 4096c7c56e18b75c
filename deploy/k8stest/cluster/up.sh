#!/usr/bin/env bash
# Starts the test cluster on this machine: containerd, a Docker daemon on
# the same containerd, etcd, kube-apiserver (RBAC on), the controller
# manager, the scheduler, one kubelet joined to the API server, kube-proxy
# (iptables), a CNI bridge, and a default storage class with static
# hostPath volumes. Returns once the node is Ready; then
#
#   $state/kubeconfig     an admin kubeconfig (KUBECONFIG=...)
#   $state/cluster.env    what the tests read (deploy/k8stest), every PID
#
# A cluster left by a killed run is torn down first, so a run starts
# clean. Stop it with down.sh (run.sh does both around a command). Needs
# root, the binaries of build.sh, and Debian's containerd, runc, docker.io,
# containernetworking-plugins, iptables and openssl.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"
start_time=$SECONDS

[ "$(id -u)" = 0 ] || die "the test cluster needs root (it runs a kubelet and containerd)"
for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl crictl; do
  [ -x "$bin/$b" ] || die "$bin/$b is missing: run deploy/k8stest/cluster/build.sh first (once per machine)"
done
for c in containerd runc dockerd iptables ip6tables iptables-save openssl ss findmnt ip; do
  command -v "$c" >/dev/null || die "$c is missing: apt-get install containerd runc docker.io iptables openssl iproute2 util-linux containernetworking-plugins"
done
[ -x /usr/lib/cni/bridge ] || die "/usr/lib/cni/bridge is missing: apt-get install containernetworking-plugins"

if [ -e "$state" ]; then
  log "a cluster was left in $state; tearing it down first"
  "$here/down.sh"
fi
mkdir -p "$state"/{pids,logs,before,pki,etcd,containerd,cni/net.d,cni/ipam,kubelet,pod-logs,volumes,docker-exec}
chmod 700 "$state"

# What the machine looks like before: down.sh restores it and checks.
snapshot() {
  for t in filter nat mangle raw; do
    iptables-save -t "$t" 2>/dev/null | grep -E '^(:|-A)' | sed 's/ \[[0-9]*:[0-9]*\]$//' >"$state/before/iptables-$t" || true
    ip6tables-save -t "$t" 2>/dev/null | grep -E '^(:|-A)' | sed 's/ \[[0-9]*:[0-9]*\]$//' >"$state/before/ip6tables-$t" || true
  done
  : >"$state/before/sysctl"
  for k in "${sysctls[@]}"; do
    v=$(sysctl -n "$k" 2>/dev/null) && echo "$k=$v" >>"$state/before/sysctl"
  done
  : >"$state/before/dirs"
  for d in "${outside_dirs[@]}"; do [ -e "$d" ] && echo "$d" >>"$state/before/dirs"; done
  # iptables on nf_tables makes a table the first time it touches one;
  # down.sh removes those it finds empty that were not here before.
  if command -v nft >/dev/null; then nft list tables >"$state/before/nft-tables" 2>/dev/null || true; fi
  ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort >"$state/before/links"
  return 0
}
snapshot

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 12000))
    if [ -z "$(ss -Htan "sport = :$p")" ] && ! grep -qx "$p" "$state/ports" 2>/dev/null; then
      echo "$p" >>"$state/ports"
      echo "$p"
      return
    fi
  done
}
etcd_port=$(free_port)
etcd_peer_port=$(free_port)
api_port=$(free_port)
cm_port=$(free_port)
sched_port=$(free_port)
kubelet_port=$(free_port)
kubelet_healthz_port=$(free_port)
proxy_healthz_port=$(free_port)
proxy_metrics_port=$(free_port)

# start NAME CMD...: runs a daemon in a session of its own, its output in
# logs/NAME.log, its PID in pids/NAME.
start() {
  local name=$1; shift
  setsid "$@" >"$state/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$state/pids/$name"
  echo "$name" >>"$state/pids/order"
}
# wait_for WHAT SECONDS CMD...: polls CMD until it succeeds.
wait_for() {
  local what=$1 secs=$2; shift 2
  local end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $end ]; then
      log "$what: not ready after ${secs}s; the last lines of its log:"
      tail -n 30 "$state/logs/$what.log" >&2 || true
      exit 1
    fi
    sleep 0.5
  done
}
# On any failure from here on, leave nothing running.
trap 'rc=$?; if [ $rc -ne 0 ]; then log "up.sh failed; tearing down"; "$here/down.sh" || true; fi' EXIT

# --- certificates and credentials ------------------------------------------
pki="$state/pki"
openssl_quiet() { openssl "$@" 2>/dev/null; }
openssl_quiet req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=pipe-k8stest-ca" \
  -keyout "$pki/ca.key" -out "$pki/ca.crt"
# sign NAME SUBJECT [SANS]: a key and a certificate signed by the CA.
sign() {
  local name=$1 subj=$2 sans=${3:-}
  openssl_quiet req -newkey rsa:2048 -nodes -subj "$subj" -keyout "$pki/$name.key" -out "$pki/$name.csr"
  if [ -n "$sans" ]; then
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$sans" >"$pki/$name.ext"
  else
    printf 'extendedKeyUsage=clientAuth\n' >"$pki/$name.ext"
  fi
  openssl_quiet x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 2 -extfile "$pki/$name.ext" -out "$pki/$name.crt"
}
service_ip=${service_cidr%.*}.1
sign apiserver "/CN=kube-apiserver" \
  "IP:$host_ip,IP:127.0.0.1,IP:$service_ip,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
sign apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
openssl_quiet genrsa -out "$pki/sa.key" 2048
openssl_quiet rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub"

token() { head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
admin_token=$(token)
kubelet_token=$(token)
proxy_token=$(token)
cm_token=$(token)
sched_token=$(token)
cat >"$pki/tokens.csv" <<EOF
$admin_token,pipe-k8stest-admin,1,"system:masters"
$kubelet_token,system:node:$node_name,2,"system:nodes"
$proxy_token,system:kube-proxy,3
$cm_token,system:kube-controller-manager,4
$sched_token,system:kube-scheduler,5
EOF
chmod 600 "$pki"/*.key "$pki/tokens.csv"

server="https://$host_ip:$api_port"
kubeconfig() { # FILE USER TOKEN
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: pipe-k8stest
    cluster:
      server: $server
      certificate-authority: $pki/ca.crt
users:
  - name: $2
    user:
      token: $3
contexts:
  - name: pipe-k8stest
    context: {cluster: pipe-k8stest, user: $2}
current-context: pipe-k8stest
EOF
  chmod 600 "$1"
}
kubeconfig "$state/kubeconfig" admin "$admin_token"
kubeconfig "$state/kubelet.kubeconfig" "system:node:$node_name" "$kubelet_token"
kubeconfig "$state/proxy.kubeconfig" system:kube-proxy "$proxy_token"
kubeconfig "$state/cm.kubeconfig" system:kube-controller-manager "$cm_token"
kubeconfig "$state/sched.kubeconfig" system:kube-scheduler "$sched_token"
kubectl() { "$bin/kubectl" --kubeconfig "$state/kubeconfig" "$@"; }

# --- the bridge, before anything that binds its address --------------------
ip link add "$bridge" type bridge
ip addr add "$host_ip/${pod_cidr#*/}" dev "$bridge"
ip link set "$bridge" up

# --- containerd and a Docker daemon on it -----------------------------------
ctd="$state/containerd"
ctd_sock="$ctd/containerd.sock"
cat >"$ctd/config.toml" <<EOF
version = 2
root = "$ctd/root"
state = "$ctd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]

[grpc]
  address = "$ctd_sock"
[ttrpc]
  address = "$ctd_sock.ttrpc"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "pipe.local/pause:1"
  # Required here: without CAP_SYS_RESOURCE runc cannot lower a sandbox's
  # oom_score_adj, and every sandbox fails to start.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$state/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    snapshotter = "overlayfs"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = "$ctd/runc"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$ctd/certs.d"
EOF
# No image is pulled from off this machine: docker.io, the default
# registry, is pointed at a port where nothing listens, so a missing image
# fails at once with "connection refused".
mkdir -p "$ctd/certs.d/docker.io"
printf 'server = "http://127.0.0.1:9"\n[host."http://127.0.0.1:9"]\n  capabilities = ["pull", "resolve"]\n' >"$ctd/certs.d/docker.io/hosts.toml"
start containerd containerd --config "$ctd/config.toml"
wait_for containerd 30 "$bin/crictl" --runtime-endpoint "unix://$ctd_sock" version

# Docker builds the images and runs the compose test: no iptables rules of
# its own (the cluster's are the kubelet's and kube-proxy's), so a port
# that compose publishes is served by Docker's userland proxy.
docker_root="$cache/docker"
docker_sock="$state/docker.sock"
mkdir -p "$docker_root"
start dockerd dockerd --data-root "$docker_root" --exec-root "$state/docker-exec" \
  --pidfile "$state/docker-exec/dockerd.pid" -H "unix://$docker_sock" \
  --containerd "$ctd_sock" --bridge=none --iptables=false --ip6tables=false \
  --ip-forward=false --ip-masq=false
wait_for dockerd 60 env DOCKER_HOST="unix://$docker_sock" /usr/bin/docker version

# The sandbox (pause) image, built once per machine and imported every time.
pause_tar="$cache/images/pause.tar"
if [ ! -f "$pause_tar" ]; then
  log "building the pause image (once per machine)"
  mkdir -p "$cache/images" "$state/pause"
  (cd "$here/../../.." && CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$state/pause/pause" ./deploy/k8stest/pause)
  tar -C "$state/pause" -c pause | DOCKER_HOST="unix://$docker_sock" docker_cli import \
    --change 'ENTRYPOINT ["/pause"]' --change 'USER 65535:65535' - pipe.local/pause:1 >/dev/null
  DOCKER_HOST="unix://$docker_sock" docker_cli save pipe.local/pause:1 -o "$pause_tar.tmp"
  mv "$pause_tar.tmp" "$pause_tar"
fi
ctr -a "$ctd_sock" -n k8s.io images import "$pause_tar" >/dev/null

# --- the pod network ----------------------------------------------------------
# No default route in the pods: they reach each other, the host on the
# bridge's address and Services, and nothing off this machine.
cat >"$state/cni/net.d/10-pipe-k8stest.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "pipe-k8stest",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$bridge",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$state/cni/ipam",
        "ranges": [[{"subnet": "$pod_cidr", "gateway": "$host_ip", "rangeStart": "$ipam_range_start", "rangeEnd": "$ipam_range_end"}]],
        "routes": [{"dst": "$service_cidr"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF

# --- etcd and the control plane ---------------------------------------------
start etcd "$bin/etcd" --name default --data-dir "$state/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-cluster "default=http://127.0.0.1:$etcd_peer_port" --listen-metrics-urls "" \
  --unsafe-no-fsync --log-level warn
start kube-apiserver "$bin/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$etcd_port" \
  --bind-address "$host_ip" --advertise-address "$host_ip" --secure-port "$api_port" \
  --cert-dir "$state/apiserver" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --client-ca-file "$pki/ca.crt" --token-auth-file "$pki/tokens.csv" \
  --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
  --service-cluster-ip-range "$service_cidr" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" \
  --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
  --kubelet-preferred-address-types InternalIP \
  --profiling=false
wait_for kube-apiserver 120 kubectl get --raw /readyz
start kube-controller-manager "$bin/kube-controller-manager" \
  --kubeconfig "$state/cm.kubeconfig" --bind-address 127.0.0.1 --secure-port "$cm_port" \
  --cert-dir "$state/controller-manager" --leader-elect=false \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
  --use-service-account-credentials --profiling=false
start kube-scheduler "$bin/kube-scheduler" \
  --kubeconfig "$state/sched.kubeconfig" --bind-address 127.0.0.1 --secure-port "$sched_port" \
  --cert-dir "$state/scheduler" --leader-elect=false --profiling=false

# --- the node -----------------------------------------------------------------
cat >"$state/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $host_ip
port: $kubelet_port
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $kubelet_healthz_port
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$ctd_sock
cgroupDriver: cgroupfs
# cgroups are hybrid on this kind of machine, and it has no QoS hierarchy
# of its own to manage.
failCgroupV1: false
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
# No DNS in this cluster: pods are told the bridge address, where nothing
# answers, rather than this machine's resolver.
clusterDNS: [$host_ip]
clusterDomain: cluster.local
podLogsDir: $state/pod-logs
# ConfigMap volumes follow an edit within seconds (the tests edit one).
syncFrequency: 10s
# Never evict or collect images on a shared disk: the test images cannot
# be pulled again.
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
maxPods: 60
EOF
start kubelet "$bin/kubelet" --config "$state/kubelet.yaml" --kubeconfig "$state/kubelet.kubeconfig" \
  --root-dir "$state/kubelet" --cert-dir "$state/kubelet/pki" --hostname-override "$node_name" --node-ip "$host_ip" --v=1

cat >"$state/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
hostnameOverride: $node_name
clusterCIDR: $pod_cidr
clientConnection: {kubeconfig: $state/proxy.kubeconfig}
healthzBindAddress: 127.0.0.1:$proxy_healthz_port
metricsBindAddress: 127.0.0.1:$proxy_metrics_port
# NodePorts only on the node's own address, not on every interface.
nodePortAddresses: ["$host_ip/32"]
# Leave the conntrack sysctls as they are.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
start kube-proxy "$bin/kube-proxy" --config "$state/kube-proxy.yaml"

wait_for kubelet 120 kubectl wait --for=condition=Ready "node/$node_name" --timeout=2s
# Pods need their namespace's default ServiceAccount, which the controller
# manager makes.
wait_for kube-controller-manager 60 kubectl -n default get serviceaccount default

# --- storage: a default class of static hostPath volumes --------------------
volumes=${PIPE_K8S_VOLUMES:-12}
{
  cat <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: pipe-local
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: Immediate
reclaimPolicy: Retain
EOF
  for i in $(seq 1 "$volumes"); do
    dir="$state/volumes/pv-$i"
    mkdir -p "$dir" && chmod 0777 "$dir"
    cat <<EOF
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: pipe-local-$i
  labels: {pipe.test/volume: hostpath}
spec:
  capacity: {storage: 20Gi}
  accessModes: [ReadWriteOnce, ReadOnlyMany, ReadWriteMany]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: pipe-local
  hostPath: {path: $dir, type: Directory}
EOF
  done
} | kubectl apply -f - >/dev/null

# --- what the tests read -------------------------------------------------------
{
  echo "PIPE_K8S_STATE=$state"
  echo "KUBECONFIG=$state/kubeconfig"
  echo "K8S_SERVER=$server"
  echo "K8S_BIN=$bin"
  echo "K8S_NODE=$node_name"
  echo "K8S_HOST_IP=$host_ip"
  echo "K8S_POD_CIDR=$pod_cidr"
  echo "K8S_SERVICE_CIDR=$service_cidr"
  echo "CONTAINERD_ADDRESS=$ctd_sock"
  echo "DOCKER_HOST=unix://$docker_sock"
  echo "K8S_CACHE=$cache"
  while read -r name; do echo "PID_$(echo "$name" | tr 'a-z-' 'A-Z_')=$(cat "$state/pids/$name")"; done <"$state/pids/order"
} >"$state/cluster.env.tmp"
mv "$state/cluster.env.tmp" "$state/cluster.env"
trap - EXIT
log "cluster up in $((SECONDS - start_time)) s: KUBECONFIG=$state/kubeconfig ($server)"
