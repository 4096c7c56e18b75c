package main

import (
	"github.com/pipe-ml/pipe/engine/executor"
	"github.com/pipe-ml/pipe/engine/executor/kubernetes"
	"github.com/pipe-ml/pipe/engine/executor/process"
	"github.com/pipe-ml/pipe/engine/workspace"
)

// executors are the executors an apply of w may hand steps to, by name
// (the local executor needs no entry). Building them reaches nothing: a
// cluster is contacted when a step first runs on it.
func (c *cli) executors(w *workspace.Workspace) map[string]executor.Executor {
	return map[string]executor.Executor{
		executor.ProcessName:    &process.Executor{Store: w.StoreURL, Dir: w.Pipeline.Config.Dir, Env: c.env},
		executor.KubernetesName: kubernetes.FromEnv(w.StoreURL, c.getenv),
	}
}
