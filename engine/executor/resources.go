package executor

import (
	"fmt"
	"strings"
	"time"
)

// Resources are what a step asks of the place it runs, from its resources
// block. None of it is part of the cache key: it changes where and how a
// step runs, never what it computes. The zero value asks for nothing.
type Resources struct {
	// Executor names the executor for this step ("local", "kubernetes"),
	// or "" for the pipeline's default.
	Executor string
	// CPU, Memory and EphemeralStorage are Kubernetes quantities ("2",
	// "500m", "4Gi"), "" when not set. A remote executor requests them
	// (and limits memory to them); the local executor ignores them.
	CPU              string
	Memory           string
	EphemeralStorage string
	// Timeout bounds the step's run (Kubernetes: activeDeadlineSeconds);
	// 0 for none.
	Timeout time.Duration
	// Retries is how many times a remote executor retries a failure of
	// the infrastructure (a step error is never retried); nil for the
	// executor's default.
	Retries *int
	// Shards is how many shards a kind that splits (steps.Sharder) runs
	// as, at most; 0 or 1 for none.
	Shards int
}

// String lists what is set, for plans and messages: "cpu=2, memory=4Gi".
func (r Resources) String() string {
	var parts []string
	add := func(name, v string) {
		if v != "" {
			parts = append(parts, name+"="+v)
		}
	}
	add("cpu", r.CPU)
	add("memory", r.Memory)
	add("ephemeral_storage", r.EphemeralStorage)
	if r.Timeout > 0 {
		add("timeout", r.Timeout.String())
	}
	if r.Retries != nil {
		add("retries", fmt.Sprint(*r.Retries))
	}
	if r.Shards > 1 {
		add("shards", fmt.Sprint(r.Shards))
	}
	return strings.Join(parts, ", ")
}
