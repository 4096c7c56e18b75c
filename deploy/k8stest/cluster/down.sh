#!/usr/bin/env bash
# Tears the test cluster down and leaves the machine as up.sh found it:
# pods removed, every process stopped by the PID up.sh recorded, mounts
# undone, the iptables rules and chains the node added removed, the sysctls
# it changed put back, the bridge deleted, $state removed. It works on a
# cluster whose up.sh or test was killed half-way, and does nothing when
# there is no cluster. Exits 1 when something could not be put back, and
# says what.
#
#   deploy/k8stest/cluster/down.sh
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"

[ -d "$state" ] || exit 0
[ "$(id -u)" = 0 ] || die "tearing the test cluster down needs root"
ctd_sock="$state/containerd/containerd.sock"
problems=()

# stop NAME: SIGTERM, then SIGKILL after 15 s; only a process whose
# command line names $state (a PID may have been reused since).
stop() {
  local pid
  pid=$(pid_of "$1")
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 150); do
    [ -d "/proc/$pid" ] || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  sleep 0.2
}

# 1. The kubelet first, so that it does not restart what is removed next.
stop kubelet
# 2. Every pod sandbox and container, while containerd still runs.
if [ -n "$(pid_of containerd)" ]; then
  timeout 120 "$bin/crictl" --runtime-endpoint "unix://$ctd_sock" rmp -fa >/dev/null 2>&1 ||
    problems+=("crictl rmp -fa failed")
  if [ -n "$(pid_of dockerd)" ]; then
    ids=$(DOCKER_HOST="unix://$state/docker.sock" timeout 30 /usr/bin/docker ps -aq 2>/dev/null)
    [ -z "$ids" ] || DOCKER_HOST="unix://$state/docker.sock" timeout 60 /usr/bin/docker rm -f $ids >/dev/null 2>&1
  fi
fi
# 3. The other daemons, in the reverse of their start order.
if [ -f "$state/pids/order" ]; then
  for name in $(tac "$state/pids/order"); do stop "$name"; done
fi
# 4. Shims (and their containers) left by a containerd that was killed.
for p in /proc/[0-9]*; do
  pid=${p#/proc/}
  cmd=$({ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null) || continue
  case "$cmd" in
  *containerd-shim*"$ctd_sock"*)
    for c in $(grep -l "^PPid:[[:space:]]*$pid\$" /proc/[0-9]*/status 2>/dev/null); do
      c=${c#/proc/}; c=${c%/status}; kill -KILL "$c" 2>/dev/null
    done
    kill -KILL "$pid" 2>/dev/null ;;
  esac
done
sleep 0.5

# 5. iptables: kube-proxy's own cleanup, then every rule and chain that was
# not there before up.sh (the kubelet's KUBE-FIREWALL, KUBE-KUBELET-CANARY
# and KUBE-IPTABLES-HINT, the CNI plugins' CNI-*, whatever a version
# adds), in both address families.
"$bin/kube-proxy" --cleanup >/dev/null 2>&1 || true
restore_iptables() { # iptables|ip6tables
  local cmd=$1 t line
  for t in filter nat mangle raw; do
    local before="$state/before/$cmd-$t"
    [ -f "$before" ] || continue
    local now
    now=$("$cmd-save" -t "$t" 2>/dev/null | grep -E '^(:|-A)' | sed 's/ \[[0-9]*:[0-9]*\]$//')
    # Rules first (a chain cannot go while a rule jumps to it)...
    while IFS= read -r line; do
      [ -n "$line" ] || continue
      eval "$cmd -w -t $t -D ${line#-A }" 2>/dev/null || problems+=("$cmd -t $t: cannot delete rule: $line")
    done < <(grep '^-A' <<<"$now" | grep -vxF -f <(grep '^-A' "$before"; echo '#none#'))
    # ...then the chains.
    local chains
    chains=$(grep '^:' <<<"$now" | awk '{print $1}' | sed 's/^://' | grep -vxF -f <(grep '^:' "$before" | awk '{print $1}' | sed 's/^://'; echo '#none#'))
    for c in $chains; do "$cmd" -w -t "$t" -F "$c" 2>/dev/null; done
    for c in $chains; do "$cmd" -w -t "$t" -X "$c" 2>/dev/null || problems+=("$cmd -t $t: cannot delete chain $c"); done
  done
}
restore_iptables iptables
restore_iptables ip6tables
# iptables-nft made the tables it touched; a table that was not there
# before and holds no rule now is ours to remove.
if command -v nft >/dev/null && [ -f "$state/before/nft-tables" ]; then
  nft list tables 2>/dev/null | grep -vxF -f <(cat "$state/before/nft-tables"; echo '#none#') | while read -r _ family name; do
    if ! nft list table "$family" "$name" 2>/dev/null | grep -qvE '^\s*(table|chain|type|\}|$)'; then
      nft delete table "$family" "$name" 2>/dev/null
    fi
  done
fi

# 6. Sysctls as they were.
if [ -f "$state/before/sysctl" ]; then
  while IFS='=' read -r k v; do
    [ "$(sysctl -n "$k" 2>/dev/null)" = "$v" ] || sysctl -qw "$k=$v" >/dev/null 2>&1 || problems+=("cannot set $k back to $v")
  done <"$state/before/sysctl"
fi

# 7. Mounts under $state and under the Docker data root (deepest first).
unmount_under() {
  local m
  for m in $(findmnt -rn -o TARGET | grep -E "^$1(/|\$)" | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || problems+=("cannot unmount $m")
  done
}
unmount_under "$state"
unmount_under "$cache/docker"

# 8. Network links: the pods' veths and the bridge.
if ip link show "$bridge" >/dev/null 2>&1; then
  for l in $(ip -o link show master "$bridge" 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//'); do
    ip link delete "$l" 2>/dev/null
  done
  ip link delete "$bridge" 2>/dev/null || problems+=("cannot delete the bridge $bridge")
fi
if [ -f "$state/before/links" ]; then
  for l in $(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort | comm -13 "$state/before/links" -); do
    case "$l" in veth*) ip link delete "$l" 2>/dev/null ;; esac
  done
fi

# 9. Folders a daemon made outside $state.
if [ -f "$state/before/dirs" ]; then
  for d in "${outside_dirs[@]}"; do
    grep -qxF "$d" "$state/before/dirs" || rm -rf "$d"
  done
fi

# 10. What is left must be nothing; then $state goes.
for p in /proc/[0-9]*; do
  cmd=$({ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null) || continue
  case "$cmd" in *"$state/"*) problems+=("process ${p#/proc/} still runs: ${cmd:0:120}") ;; esac
done
[ -z "$(findmnt -rn -o TARGET | grep -E "^$state(/|\$)")" ] || problems+=("mounts remain under $state")
if [ ${#problems[@]} -gt 0 ]; then
  for p in "${problems[@]}"; do log "down.sh: $p"; done
  log "down.sh: $state kept for a look; run down.sh again after fixing the above"
  exit 1
fi
rm -rf "$state"
log "cluster down; the machine is as up.sh found it"
