#!/usr/bin/env bash
# Runs a command against a fresh test cluster: builds the binaries if this
# machine has none (build.sh), starts the cluster (up.sh), runs the command
# with PIPE_K8S_STATE and KUBECONFIG set, and tears the cluster down
# (down.sh) whatever happens: on success, on failure, on Ctrl-C or SIGTERM.
# Exits with the command's status, or with down.sh's when the command
# passed but the machine could not be put back as it was.
#
#   deploy/k8stest/cluster/run.sh go test -count=1 ./deploy/...
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"
[ $# -gt 0 ] || die "usage: run.sh COMMAND [ARG...]"

"$here/build.sh" || exit 1

child=
teardown() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
    kill -TERM "$child" 2>/dev/null
    wait "$child" 2>/dev/null
  fi
  if [ "$rc" -ne 0 ] && [ -d "$state/logs" ]; then
    log "the command failed ($rc); the end of each component's log:"
    for f in "$state"/logs/*.log; do
      echo "----- $f" >&2
      tail -n 15 "$f" >&2
    done
  fi
  "$here/down.sh"
  local drc=$?
  [ "$rc" -ne 0 ] || rc=$drc
  exit "$rc"
}
trap teardown EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

"$here/up.sh" || exit 1
export PIPE_K8S_STATE="$state" KUBECONFIG="$state/kubeconfig"
start=$SECONDS
# In the background, so that a signal reaches the trap at once.
"$@" &
child=$!
wait "$child"
rc=$?
child=
log "the command took $((SECONDS - start)) s"
exit "$rc"
