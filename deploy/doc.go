// Package deploy holds pipe's deployment files and the tests that keep them
// true; it has no Go API. The files:
//
//	base/                     the Kustomize base: namespace, ServiceAccount,
//	                          an empty Role, PVCs for data and state, the
//	                          `pipe serve` Deployment and Service, the
//	                          nightly `pipe apply` CronJob
//	overlays/dev, overlays/prod
//	                          what a user deploys (kubectl apply -k)
//	components/               cloud credentials for prod: GKE workload
//	                          identity, workload identity federation, a key
//	                          Secret, or IRSA with an S3 store; and the
//	                          opt-in kubernetes-executor (the coordinator's
//	                          Role, the workers' ServiceAccount, the
//	                          CronJob's settings)
//	monitoring/               PrometheusRule, ServiceMonitor, Grafana
//	                          dashboard
//	argocd/                   Argo CD Applications for GitOps
//	compose/                  docker compose: pipe serve beside a GCS
//	                          emulator for local development
//
// The tests render every overlay in-process with Kustomize's own library
// (sigs.k8s.io/kustomize/api/krusty, so no binary is needed) and, when
// kubectl is installed, check that `kubectl kustomize` renders the same
// objects. Every rendered object is decoded strictly into the k8s.io/api
// types: an unknown field or a wrong type fails. Kinds outside k8s.io/api
// (PrometheusRule, ServiceMonitor, Application) are decoded strictly into
// local structs that mirror the fields used. The tests then check what
// the manifests promise: hardened pods, probes on serve's endpoints, the
// CronJob's schedule and limits, a ConfigMap holding every
// pipelines/*.pipe.hcl, credentials in prod, alerts and dashboards that
// name only metrics pipe serve exports, and the Dockerfile's shape.
//
// The cluster_*_test.go tests then run all of it for real on the test
// cluster of deploy/k8stest (make test-k8s; they skip without one): the
// image built from the Dockerfile, every installation through the API
// server's dry run, the dev overlay applied and run (serve, a Job from the
// CronJob, a ConfigMap edit, a broken pipeline), and the failures a
// platform engineer reads (an image that cannot be pulled, a failed run,
// an OOM-kill, a missing Secret, a claim that cannot bind), with the
// alerts evaluated by a real Prometheus. docs/deployment.md lists what
// each proves.
//
// Siblings own the rest: the pipeline files are pipelines/*.pipe.hcl (the
// ConfigMap generator beside them, pipelines/kustomization.yaml, is this
// package's), the image is built by the Dockerfile at the repository root,
// the endpoints and metrics are served by `pipe serve` in cmd/pipe, and
// docs/deployment.md is the guide to all of it.
package deploy
