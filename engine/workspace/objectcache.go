package workspace

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipe-ml/pipe/engine/store"
)

// Environment variables of the local object cache (see store.ObjectCache):
// its folder, default STATE/objects, and its size bound, default
// store.DefaultCacheMax.
const (
	EnvCacheDir = "PIPE_CACHE_DIR"
	EnvCacheMax = "PIPE_CACHE_MAX"
)

// resolveCache sets w.CacheDir and w.CacheMax from the environment.
func (w *Workspace) resolveCache(env []string) hcl.Diagnostics {
	w.CacheDir = filepath.Join(w.StateDir, "objects")
	if d := Getenv(env, EnvCacheDir); d != "" {
		abs, err := filepath.Abs(d)
		if err != nil {
			abs = d
		}
		w.CacheDir = abs
	}
	w.CacheMax = store.DefaultCacheMax
	if v := Getenv(env, EnvCacheMax); v != "" {
		n, err := ParseSize(v)
		if err != nil {
			return hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Invalid " + EnvCacheMax,
				Detail:   fmt.Sprintf("%s=%q: %v. Give a size such as 20GiB, 500MB or a number of bytes.", EnvCacheMax, v, err),
			}}
		}
		w.CacheMax = n
	}
	return nil
}

// openCache opens the object cache for a remote store; local and memory
// stores have no use for one. A cache that cannot be opened is not an
// error: the store then reads and writes the bucket directly, and
// CacheProblem says why.
func (w *Workspace) openCache() *store.ObjectCache {
	loc, err := store.ParseLocation(w.StoreURL, w.Pipeline.Config.Dir)
	if err != nil || loc.Scheme != "gs" && loc.Scheme != "s3" {
		return nil
	}
	c, err := store.OpenObjectCache(w.CacheDir, w.CacheMax)
	if err != nil {
		w.CacheProblem = err
		return nil
	}
	return c
}

// ParseSize reads a size in bytes: a whole number, optionally followed by
// a unit, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of
// 1024); K, M, G and T alone are the binary units.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') {
		i--
	}
	units := map[string]int64{"": 1, "B": 1,
		"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
		"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40,
		"KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30, "TIB": 1 << 40}
	mult, ok := units[strings.ToUpper(strings.TrimSpace(t[i:]))]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q", strings.TrimSpace(t[i:]))
	}
	n, err := strconv.ParseInt(strings.TrimSpace(t[:i]), 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("not a positive size")
	}
	return n * mult, nil
}
