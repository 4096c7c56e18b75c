// Package kubernetes is the executor that runs steps as Kubernetes Jobs,
// the way Flyte's propeller and Argo run steps as pods, while pipe keeps
// its own plan, cache and lineage: Jobs, the job controller, the
// scheduler and quotas do the scheduling.
//
// One Job runs one step, `pipe step exec DIGEST` in pipe's image pinned
// by digest (engine/executor says what the worker does and how it
// reports). Its name comes from the step's cache key alone (JobName), so
// creating it is idempotent: AlreadyExists is adoption, and a coordinator
// that restarts follows the Job the last one left instead of starting a
// second; a Job found ended is replaced. The Job has restartPolicy Never,
// backoffLimit from resources.retries (DefaultRetries), a
// podFailurePolicy that fails it at once on the exit codes a retry cannot
// mend (the step failed, the worker refused its document) and does not
// count disruptions (preemption, a node drain), activeDeadlineSeconds from
// resources.timeout, ttlSecondsAfterFinished, requests from
// resources.cpu, memory and ephemeral_storage (memory and storage also the
// limits), labels naming pipeline, run and step, a nodeSelector for the
// coordinator's architecture, and the restricted Pod Security profile
// under a worker ServiceAccount with no API token; the store's
// credentials come from an optional ConfigMap and Secret (Config), and,
// when the coordinator has a team key, the key from the Secret pipe-key
// (PIPE_KEY_FILE), so that the worker signs its cache entry. A
// step in shards (Task.Shards) is one Indexed Job, each index running
// `-shard=$(JOB_COMPLETION_INDEX)` with backoffLimitPerIndex; the
// coordinator assembles the partial results (engine/apply).
//
// The coordinator follows its Jobs, their pods and the Jobs' warning
// events with informers, label- and field-selected, and reacts to what
// they see; nothing polls. It reports, as executor.Events: a pod that
// cannot be scheduled or a Job over quota as waiting, with the reason;
// each pod's start and, line by line, its log; a pod that failed while
// the Job retries (an OOM-kill named as such). An image that cannot be
// pulled, a missing worker ServiceAccount or a pod the namespace's Pod
// Security level refuses end the run within seconds, the Job deleted.
// When the Job fails, Run returns the step's own error as the worker
// reported it (a *executor.StepError, the same diagnostic as a local
// run), else a *JobError naming step, Job, what happened and what to do.
// Cancelling Run's context deletes the Job with foreground propagation
// and returns once its pods are gone. A coordinator in a pod (POD_NAME,
// POD_UID from the downward API) owns its Jobs.
//
// Before its first Job the executor asks the API server whether it may do
// each thing in Permissions (SelfSubjectAccessReview), so that an
// unreachable cluster or a Role missing a verb is a clear message before
// anything is created; deploy/components/kubernetes-executor grants
// exactly Permissions.
//
// Siblings: engine/executor owns the seam and the worker's contract,
// engine/apply hands steps to executors and records them, cmd/pipe builds
// this executor from the environment (FromEnvironment).
package kubernetes
