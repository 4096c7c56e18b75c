package steps

import "context"

// ArtifactMapper is implemented by an [Env] that can hand an artifact's
// bytes over in place, without copying them: the engine's does. Kinds
// that read large artifacts (datasets: steps/shared/dataset.Open) use it
// when their Env has it, and ReadArtifact otherwise, so that a kind never
// knows where the bytes come from.
type ArtifactMapper interface {
	// MapArtifact returns the content of a, in memory: a read-only
	// memory map of a local copy where the engine has one (a local
	// store's own file, or the local object cache's copy of a remote
	// object), otherwise the bytes read into memory.
	//
	// It does not wait for the digest check. The engine checks every
	// byte beside the step, and commits nothing the step produces before
	// the check has passed: PutArtifact and OpenBucket wait for it, and
	// so does the step's cache entry. A mismatch fails the step, naming
	// the artifact; it is never data.
	//
	// The bytes must not be written to (that crashes the process) and
	// are valid until Run returns. Another process that truncates the
	// file under them makes reading them fault: every goroutine that
	// reads them must guard against it (steps/shared/fault), or the
	// fault crashes the process.
	MapArtifact(ctx context.Context, a Artifact) ([]byte, error)
}

// PageDropper is implemented by an [Env] whose mapped artifacts' pages
// can leave the process's resident memory early: the engine's does. A
// kind that is done reading a large part of a mapped artifact (evaluate
// and predict after scoring the matrix) drops its pages, so that what
// the step does next (metrics, a plot, writing predictions) does not
// stand on top of the whole dataset in the process's peak memory.
type PageDropper interface {
	// DropPages drops this process's mapping of the whole pages inside
	// b, a part of bytes MapArtifact returned: they stay in the page
	// cache, and reading b again maps them back (from there, or from
	// the file). Bytes that are not a memory map (read into memory) are
	// left alone. It changes no byte the step reads.
	DropPages(b []byte)
}
