// Command pause is the test cluster's sandbox image: the process that holds
// a pod's namespaces while its containers come and go. No registry is
// reachable from the test machine, so the cluster cannot pull Kubernetes'
// own pause image; deploy/k8stest/cluster/up.sh builds this one (static,
// FROM scratch) and hands it to containerd as its sandbox_image.
//
// It does what Kubernetes' pause does: sleeps until SIGTERM or SIGINT, then
// exits 0, and reaps any child that is reparented to it (it is PID 1 of the
// pod's PID namespace when the pod shares one).
package main
