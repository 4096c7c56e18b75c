// Package k8stest gives tests a real Kubernetes cluster on this machine:
// a client, throwaway namespaces, pipe's image built from the Dockerfile,
// waits whose errors say what went wrong, and a dump of what a platform
// engineer would read when a test fails. deploy's tests use it for the
// shipped image and manifests; the Kubernetes executor's tests will too.
//
// The cluster is started by the scripts in cluster/, not by the tests:
//
//	build.sh   the binaries, built once per machine from the module proxy
//	           (etcd 3.6.16; kube-apiserver, kube-controller-manager,
//	           kube-scheduler, kubelet, kube-proxy, kubectl 1.37.2; crictl)
//	           into ~/.cache/pipe-k8s/v1.37.2/bin
//	up.sh      starts it and returns when the node is Ready
//	image.sh   builds pipe's image and imports it into the node
//	pipe-image.sh  builds pipe's image on any Docker daemon, its base
//	           images made locally (image.sh and make compose use it)
//	down.sh    tears it down, leaving the machine as up.sh found it
//	run.sh     up.sh, a command, down.sh whatever happens (make test-k8s,
//	           which runs the tests of every package that imports this one)
//
// Connect finds the cluster through $PIPE_K8S_STATE/cluster.env (default
// /tmp/pipe-k8s). Without one a test skips, saying how to start one; with
// PIPE_REQUIRE_K8S=1 (CI) it fails instead.
//
// # What the cluster is
//
// One node, everything a process of this machine, every process's PID in
// cluster.env: containerd (Debian's 1.6, its own root, state and socket;
// restrict_oom_score_adj = true, without which no sandbox starts where the
// process lacks CAP_SYS_RESOURCE; the sandbox image is pause/, built
// locally), a Docker daemon on that containerd (its own data root in the
// cache, so BuildKit's cache mounts outlive a run; no bridge, no iptables),
// etcd, kube-apiserver with --authorization-mode=Node,RBAC and a CA of its
// own made by openssl at start (tokens for the admin and each component,
// NodeRestriction), kube-controller-manager, kube-scheduler, a kubelet
// joined with its node credentials, and kube-proxy in iptables mode.
//
// Traffic stays on this machine. The node's address is the bridge's own,
// 10.244.77.1 on pipek8s0, made before anything binds it: the API server
// and the kubelet listen there, the other components on loopback, on free
// ports picked at start. Pods get 10.244.77.0/24 from the CNI bridge
// plugin (host-local IPAM, portmap) with no default route: they reach each
// other, the host on 10.244.77.1 and Services in 10.97.77.0/24, and nothing
// else. Pulls from docker.io go to 127.0.0.1:9, where nothing listens, so
// an image that is not on the node fails at once with "connection
// refused" instead of leaving the machine. Pods have no DNS (their
// nameserver is the bridge address, where nothing answers).
//
// Storage: a default StorageClass, pipe-local (no provisioner, Immediate
// binding, Retain), and 12 static hostPath PersistentVolumes of 20Gi under
// the state folder, mode 0777 because fsGroup does not chown hostPath.
// Namespace's clean-up empties the volumes a test's claims held and makes
// them Available again; ClaimDir is where a test writes a volume's data.
//
// Namespaces enforce the restricted Pod Security Standard, as the
// manifests' own namespace does; each is deleted when its test ends, after
// a Dump when the test failed.
//
// # Teardown
//
// down.sh stops the kubelet, removes every pod (crictl rmp -fa) and Docker
// container, stops the other processes by their recorded PIDs (checking
// that each PID still names the state folder), kills shims a killed
// containerd left, runs kube-proxy --cleanup, deletes every iptables and
// ip6tables rule and chain that was not there before up.sh (the kubelet's
// KUBE-FIREWALL, KUBE-KUBELET-CANARY and KUBE-IPTABLES-HINT, the CNI
// plugins' chains) and the nf_tables tables iptables made, puts back the
// sysctls the node changed (net.ipv4.ip_forward, route_localnet, the
// kubelet's vm.overcommit_memory, kernel.panic, kernel.panic_on_oops),
// unmounts everything under the state folder, deletes the veths and the
// bridge, removes folders a daemon made outside the state folder
// (/var/lib/kubelet/device-plugins, /run/containerd), and then the state
// folder. It exits 1 naming whatever it could not put back. up.sh runs it
// first when a previous cluster was left (a killed run); run.sh runs it on
// exit, Ctrl-C and SIGTERM included.
//
// Siblings: deploy owns the manifests and the Dockerfile these tests
// apply and build; docs/deployment.md says what the cluster tests prove.
package k8stest
